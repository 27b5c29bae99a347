//! The request media type, as a router that reads bodies by their declared type checks it:
//! a body whose `Content-Type` the operation does not declare is refused with 415 before
//! it is read. `accept-undeclared-content-type` reads it anyway (and accepts it when its
//! bytes are valid); `server-error-undeclared-content-type` answers 500, a handler that
//! picked no parser.

use super::faults::Fault;
use crate::contract::Operation;
use http::header::CONTENT_TYPE;
use http::HeaderMap;

/// How a body of an undeclared media type is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum UndeclaredMedia {
    /// 415 Unsupported Media Type.
    Refused,
    /// `accept-undeclared-content-type`: read as if it were declared.
    Read,
    /// `server-error-undeclared-content-type`: 500.
    ServerError,
}

impl UndeclaredMedia {
    pub(super) fn from_faults(faults: &[Fault]) -> UndeclaredMedia {
        if faults.contains(&Fault::AcceptUndeclaredContentType) {
            UndeclaredMedia::Read
        } else if faults.contains(&Fault::ServerErrorUndeclaredContentType) {
            UndeclaredMedia::ServerError
        } else {
            UndeclaredMedia::Refused
        }
    }
}

/// The body's declared media type of `operation`, lower-cased without parameters; `None`
/// when it takes no body.
pub(super) fn body_media(operation: &Operation) -> Option<String> {
    let declared = match &operation.shape {
        Some(shape) => shape.body()?.content_type.clone(),
        None if operation.body_schema.is_some() => operation.content_type.clone(),
        None => return None,
    };
    Some(essence(&declared))
}

/// Whether a request with `headers` and a body of `body_len` bytes declares a media type
/// other than `declared`. A request without a body or without `Content-Type` declares
/// nothing to refuse.
pub(super) fn undeclared(declared: Option<&str>, headers: &HeaderMap, body_len: usize) -> bool {
    let (Some(declared), Some(sent)) = (declared, headers.get(CONTENT_TYPE)) else {
        return false;
    };
    if body_len == 0 {
        return false;
    }
    let sent = sent.as_bytes();
    if !sent.is_ascii() {
        // Unicode whitespace (a no-break space) is trimmed as text.
        let sent = essence(&String::from_utf8_lossy(sent));
        return !covers(declared, sent.as_bytes());
    }
    // Read in place, as `essence` does but without copying: a request's header is ASCII,
    // and two strings a request and a copy each cost every request (callgrind).
    let end = sent.iter().position(|&b| b == b';').unwrap_or(sent.len());
    !covers(declared, sent[..end].trim_ascii())
}

fn essence(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// Whether the declared media range (`*/*`, `text/*` or an exact type, lower-cased) covers
/// the essence `sent`, compared ignoring ASCII case.
fn covers(declared: &str, sent: &[u8]) -> bool {
    match declared.strip_suffix("/*") {
        Some("*") => true,
        Some(kind) => sent
            .split(|&b| b == b'/')
            .next()
            .is_some_and(|sent| sent.eq_ignore_ascii_case(kind.as_bytes())),
        None => sent.eq_ignore_ascii_case(declared.as_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn sent(content_type: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        headers
    }

    #[test]
    fn only_a_body_under_another_declared_type_is_undeclared() {
        let json = Some("application/json");
        assert!(undeclared(json, &sent("text/plain"), 2));
        assert!(!undeclared(
            json,
            &sent("Application/JSON; charset=utf-8"),
            2
        ));
        assert!(!undeclared(json, &sent("text/plain"), 0));
        assert!(!undeclared(json, &HeaderMap::new(), 2));
        assert!(!undeclared(None, &sent("text/plain"), 2));
        assert!(!undeclared(Some("*/*"), &sent("text/plain"), 2));
        assert!(!undeclared(Some("text/*"), &sent("text/plain"), 2));
        assert!(undeclared(Some("text/*"), &sent("application/json"), 2));
    }
}
