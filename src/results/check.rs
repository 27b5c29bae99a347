//! [`Check`]: every check's stable name and description, as every report prints them.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Every check, with the stable name used in every report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Check {
    /// Any 5xx.
    ServerError,
    /// A non-2xx answer to a payload the contract says is valid.
    RejectsValid,
    /// A 2xx answer to a payload the contract says is invalid.
    AcceptsInvalid,
    /// A 2xx answer without the key or with a wrong one.
    AuthNotEnforced,
    /// A status the case does not list for that outcome.
    StatusUndocumented,
    /// A success body, or an error body whose status documents JSON, not declared as JSON; or
    /// a declared JSON body that does not parse.
    ContentType,
    /// The body or a declared header violates the documented response for its status.
    ResponseSchema,
    /// A resource the server made (its id returned by a create) is not found.
    ResourceUnavailable,
    /// A deleted resource is still served: after a DELETE, a GET or a second DELETE of
    /// its id does not answer 404 or 410.
    UseAfterFree,
    /// A method the path does not document was not refused as 405 with an `Allow` header
    /// listing the documented methods (or as 404 or 501).
    MethodNotAllowed,
    /// Timeouts, resets, unreadable or oversized bodies.
    Transport,
    /// The observed contract differs from the stored snapshot.
    Drift,
    /// An operation of the document that the case format cannot express: nothing was sent.
    Untested,
}

impl Check {
    /// Every check, in report order.
    pub const ALL: [Check; 13] = [
        Check::ServerError,
        Check::RejectsValid,
        Check::AcceptsInvalid,
        Check::AuthNotEnforced,
        Check::StatusUndocumented,
        Check::ContentType,
        Check::ResponseSchema,
        Check::ResourceUnavailable,
        Check::UseAfterFree,
        Check::MethodNotAllowed,
        Check::Transport,
        Check::Drift,
        Check::Untested,
    ];

    /// The stable name, e.g. `rejects-valid`.
    pub fn name(self) -> &'static str {
        match self {
            Check::ServerError => "server-error",
            Check::RejectsValid => "rejects-valid",
            Check::AcceptsInvalid => "accepts-invalid",
            Check::AuthNotEnforced => "auth-not-enforced",
            Check::StatusUndocumented => "status-undocumented",
            Check::ContentType => "content-type",
            Check::ResponseSchema => "response-schema",
            Check::ResourceUnavailable => "resource-unavailable",
            Check::UseAfterFree => "use-after-free",
            Check::MethodNotAllowed => "method-not-allowed",
            Check::Transport => "transport",
            Check::Drift => "drift",
            Check::Untested => "untested",
        }
    }

    /// One line for `--help`-style listings and report legends.
    pub fn description(self) -> &'static str {
        match self {
            Check::ServerError => "the server answered 5xx",
            Check::RejectsValid => "a valid payload got a non-2xx answer",
            Check::AcceptsInvalid => "an invalid payload got a 2xx answer",
            Check::AuthNotEnforced => {
                "a request without the key, or with a wrong one, got a 2xx answer"
            }
            Check::StatusUndocumented => "a status the case does not list for that kind of request",
            Check::ContentType => {
                "a success body (or a documented error body) not declared as JSON, or declared JSON that does not parse"
            }
            Check::ResponseSchema => {
                "the body or a declared header violates the documented response for its status"
            }
            Check::ResourceUnavailable => {
                "a resource the server made (its id returned by a create) is not found"
            }
            Check::UseAfterFree => {
                "after a DELETE, a GET or a second DELETE of the id did not answer 404 or 410"
            }
            Check::MethodNotAllowed => {
                "a method the path does not document got no 405 with the documented methods in Allow (or 404/501)"
            }
            Check::Transport => "timeout, reset, unreadable or oversized body",
            Check::Drift => "the observed contract differs from the stored snapshot",
            Check::Untested => {
                "an operation of the document could not be expressed as a case: nothing was sent"
            }
        }
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
