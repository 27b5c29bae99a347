//! Undeclared request media types: what the answer to an operation's JSON body sent under a
//! `Content-Type` it does not declare says about the server. A server that reads the body by
//! its declared type must refuse it: 415 (RFC 9110 section 15.5.16) or the operation's
//! documented status for an invalid request. A 2xx means it parsed bytes it was told were
//! something else (`accepts-invalid`); a 5xx that it choked on them (`server-error`).

use super::{Cause, Check, ObservedResponse, Violation};
use crate::contract::{any_matches, Expect, Operation};

/// The media type the probe declares: one a JSON operation does not list, whose bytes are
/// the same JSON text.
pub const UNDECLARED: &str = "text/plain";

/// The violation in the answer to `operation`'s JSON body declared as [`UNDECLARED`].
pub fn undeclared_content_type(
    operation: &Operation,
    response: &ObservedResponse,
) -> Option<Violation> {
    let status = response.status;
    let documented = operation.expect.for_expect(Expect::Reject);
    if status == 415 || any_matches(documented, status) {
        return None;
    }
    let check = match status {
        500..=599 => Check::ServerError,
        200..=299 => Check::AcceptsInvalid,
        _ => Check::StatusUndocumented,
    };
    let listed: Vec<String> = documented.iter().map(ToString::to_string).collect();
    Some(Violation {
        check,
        cause: Cause::UndeclaredType(status),
        message: format!(
            "the valid body declared `Content-Type: {UNDECLARED}`, a type {} does not accept, \
             got {status}; expected 415 or {}",
            operation.name,
            listed.join(" or ")
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16) -> ObservedResponse {
        ObservedResponse {
            status,
            headers: http::HeaderMap::new(),
            body: bytes::Bytes::new(),
            elapsed_ms: 1,
        }
    }

    #[test]
    fn a_415_or_a_documented_invalid_status_conforms() {
        let (operation, _) = crate::generate::sessionlink_for_tests();
        assert_eq!(undeclared_content_type(&operation, &answer(415)), None);
        let documented = operation.expect.for_expect(Expect::Reject);
        let status = (400..500)
            .find(|s| any_matches(documented, *s))
            .expect("sessionlink documents an invalid status");
        assert_eq!(undeclared_content_type(&operation, &answer(status)), None);
    }

    #[test]
    fn a_success_is_accepts_invalid_and_a_5xx_is_server_error() {
        let (operation, _) = crate::generate::sessionlink_for_tests();
        for (status, check) in [
            (201, Check::AcceptsInvalid),
            (200, Check::AcceptsInvalid),
            (500, Check::ServerError),
            (503, Check::ServerError),
        ] {
            let found = undeclared_content_type(&operation, &answer(status)).expect("a finding");
            assert_eq!(found.check, check);
            assert_eq!(found.cause, Cause::UndeclaredType(status));
            assert!(found.message.contains("text/plain"), "{}", found.message);
        }
    }
}
