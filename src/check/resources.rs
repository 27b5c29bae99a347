//! What a valid request's ids say about a not-found answer. An id the run did not obtain
//! from the server (one it invented for a path parameter, or a `known` id it transformed)
//! is an *unknown id*: the server's documented "not found", "gone", "conflict" or
//! "forbidden" answer to it is conformant, never `rejects-valid`. An id a producer returned
//! (a bound link) names a resource the server made: "not found" or "gone" for it is
//! `resource-unavailable`. Where an operation documents no 404, any client error it
//! documents answering an unknown id conforms: a server whose document lists only 400 and
//! 403 for an id has no other way to say it holds none. Asked only when a valid request got
//! a status its case does not allow, so it costs nothing on a conformant exchange.

use super::{Cause, Check, Violation};
use crate::contract::wire::IdSource;
use crate::contract::{any_matches, Expect, Operation, ResponseStatus};
use crate::generate::{Body, PlannedRequest};
use serde_json::Value;

/// The statuses a server answers a request for a resource it does not have: 403 (a token
/// it does not recognise), 404, 409 (a name already taken) and 410. Documented, each
/// conforms for an unknown id even where the operation documents 404 as well: a server may
/// say "not yours" or "taken" rather than "not found". Undocumented, it is the server
/// deviating from its document, and stays a finding.
const NOT_THERE: [u16; 4] = [403, 404, 409, 410];

/// What the resources a request names are.
enum Named<'a> {
    /// Some id is one the run did not obtain.
    Unknown,
    /// Every id is known, and one was returned by the producer `from`, with the value sent.
    Obtained { from: &'a str, id: String },
    /// No id, or only ids the case declares.
    Declared,
}

/// The status violations of a valid request that got `status`, corrected for what its ids
/// are: cleared for an unknown id's documented answer, `resource-unavailable` for a made
/// resource that is not there.
pub(super) fn correct(
    operation: &Operation,
    planned: &PlannedRequest,
    status: u16,
    violations: &mut Vec<Violation>,
) {
    if !(400..500).contains(&status) {
        return;
    }
    match named(operation, planned) {
        Named::Unknown if answers_unknown(operation, status) => violations.clear(),
        Named::Obtained { from, id } if matches!(status, 404 | 410) => {
            *violations = vec![Violation {
                check: Check::ResourceUnavailable,
                cause: Cause::ResourceUnavailable {
                    status,
                    from: from.to_owned(),
                },
                message: format!(
                    "`{id}` names a resource `{from}` returned, but the server answered {status}: \
                     it made the resource and cannot find it"
                ),
            }];
        }
        _ => {}
    }
}

/// Whether `status` is a documented answer of `operation` to an id it does not hold: one
/// of [`NOT_THERE`], or, where it documents no 404, any client error it lists.
fn answers_unknown(operation: &Operation, status: u16) -> bool {
    documents(operation, status) && (NOT_THERE.contains(&status) || !documents(operation, 404))
}

/// Whether `status` is a documented 409 Conflict to a valid request: one whose verdict
/// depends on the state the run made (see `run`'s `settle_conflicts`), not on the request
/// alone. An undocumented 409 is the server deviating from its document, whatever the state.
pub fn is_conflict(operation: &Operation, planned: &PlannedRequest, status: u16) -> bool {
    status == 409 && planned.expect == Expect::Accept && documents(operation, status)
}

/// Whether `status` says that the resource an id names is not there (deleted, or never
/// made): 404 or 410, or, where `operation` documents neither, any client error it lists.
/// So a deleted resource answered with the only client errors a document lists is gone,
/// not still served.
pub fn says_not_there(operation: &Operation, status: u16) -> bool {
    matches!(status, 404 | 410)
        || ((400..500).contains(&status)
            && documents(operation, status)
            && !documents(operation, 404)
            && !documents(operation, 410))
}

/// Whether the operation lists `status` itself (exactly or by class, not as `default`).
fn documents(operation: &Operation, status: u16) -> bool {
    operation
        .response_for(status)
        .is_some_and(|r| r.status != ResponseStatus::Default)
        || any_matches(&operation.expect.invalid, status)
}

/// What the parameters that name resources hold: a path parameter with no known ids holds
/// an invented one; one with known ids, one of them or not (ids that differ only in case
/// are one id where the parameter's format says so).
///
/// Which parameters name a resource is read from their role, never from a name: a path
/// parameter does (the path names the resource, and link inference reads the same template,
/// `/things/{P}`), and so does any parameter, wherever it travels, that a link (declared or
/// inferred) or `known` ids give its values: a page token in the query declared with
/// `known` ids is an id, and a token the server never issued, like a made-up path id, is
/// unknown. A query, header or cookie parameter with neither is a value of its schema, a
/// filter or a search as likely as a cursor: taking every made-up query value for an
/// unknown id would clear a server that refuses a valid filter with a documented 403. A
/// request body names no resource either: a link reads a producer's answer, not the body
/// it was sent, so nothing says which field of a create's body is the name a 409 ("already
/// exists") is about.
fn named<'a>(operation: &'a Operation, planned: &PlannedRequest) -> Named<'a> {
    let Some(shape) = &operation.shape else {
        return Named::Declared;
    };
    let Some(envelope) = envelope(&planned.body) else {
        return Named::Declared;
    };
    let mut verdict = Named::Declared;
    for parameter in shape.parameters() {
        let Some(value) = envelope.pointer(&parameter.pointer()) else {
            continue;
        };
        let known = |ids: &[Value]| ids.iter().any(|id| parameter.same_id(id, value));
        match &parameter.ids {
            None if parameter.location == crate::contract::wire::Location::Path => {
                return Named::Unknown
            }
            None => {}
            Some(IdSource::Link { .. } | IdSource::Inferred { .. }) => return Named::Unknown,
            Some(IdSource::Known(ids)) if !known(ids) => return Named::Unknown,
            Some(IdSource::Known(_)) => {}
            Some(IdSource::Obtained { ids, .. }) if !known(ids) => return Named::Unknown,
            Some(IdSource::Obtained { from, .. }) => {
                let id = value
                    .as_str()
                    .map_or_else(|| value.to_string(), str::to_owned);
                verdict = Named::Obtained { from, id };
            }
        }
    }
    verdict
}

/// The envelope a request was planned as.
fn envelope(body: &Body) -> Option<std::borrow::Cow<'_, Value>> {
    match body {
        Body::Json(value)
        | Body::RawWith {
            envelope: value, ..
        } => Some(std::borrow::Cow::Borrowed(value)),
        Body::Serialized(bytes) => serde_json::from_slice(bytes)
            .ok()
            .map(std::borrow::Cow::Owned),
        Body::Raw(_) => None,
    }
}
