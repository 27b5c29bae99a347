//! The status checks: server-error, rejects-valid, accepts-invalid, auth-not-enforced and
//! status-undocumented. Each response earns at most one of them, the most specific.

use super::{expectation_words, Cause, Check, ObservedResponse, Violation};
use crate::contract::{any_matches, Expect, Operation};

/// The status verdict for one response to a request with expectation `expect`.
pub fn status_findings(
    operation: &Operation,
    expect: Expect,
    response: &ObservedResponse,
) -> Vec<Violation> {
    let status = response.status;
    let allowed = operation.expect.for_expect(expect);
    if any_matches(allowed, status) {
        return Vec::new();
    }
    let success = (200..300).contains(&status);
    let check = match expect {
        _ if status >= 500 => Check::ServerError,
        Expect::Accept if !success => Check::RejectsValid,
        Expect::Reject if success => Check::AcceptsInvalid,
        Expect::Unauthorized if success => Check::AuthNotEnforced,
        _ => Check::StatusUndocumented,
    };
    let listed: Vec<String> = allowed.iter().map(ToString::to_string).collect();
    vec![Violation {
        check,
        cause: Cause::Status(status),
        message: format!(
            "{} got {status}; the case expects {}",
            expectation_words(expect),
            listed.join(" or ")
        ),
    }]
}
