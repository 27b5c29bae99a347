//! A body where HTTP allows none: a 204, 205 or 304, or any answer to HEAD, ends at its
//! headers (RFC 9110 sections 6.4.1, 9.3.2, 15.3.5, 15.3.6, 15.4.5). Bytes sent after them
//! are read by a kept-alive client as the start of its next response: the connection is
//! poisoned. HTTP clients drop those bytes, so `run` reads them off the wire; this judges
//! what it read.

use super::{Cause, Check, Violation};
use http::Method;

/// Whether an answer with `status` to `method` must end at its headers.
pub fn no_body_allowed(method: &Method, status: u16) -> bool {
    method == Method::HEAD || matches!(status, 204 | 205 | 304)
}

/// The violation in `extra` bytes sent after the headers of a `status` answer to `method`.
pub fn body_after_headers(method: &Method, status: u16, extra: usize) -> Option<Violation> {
    if extra == 0 || !no_body_allowed(method, status) {
        return None;
    }
    Some(Violation {
        check: Check::ResponseSchema,
        cause: Cause::BodyOnNoContent(status),
        message: format!(
            "a {status} answer to {method} must end at its headers, but the server sent \
             {extra} bytes after them, which a kept-alive client reads as its next response"
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_after_a_no_content_head_are_a_finding_and_none_are_not() {
        let found = body_after_headers(&Method::DELETE, 204, 16).expect("a finding");
        assert_eq!(found.check, Check::ResponseSchema);
        assert_eq!(found.cause, Cause::BodyOnNoContent(204));
        assert!(found.message.contains("16 bytes"), "{}", found.message);
        assert!(body_after_headers(&Method::HEAD, 200, 3).is_some());
        assert_eq!(body_after_headers(&Method::DELETE, 204, 0), None);
        assert_eq!(body_after_headers(&Method::GET, 200, 16), None);
    }
}
