//! Undocumented methods: what the answer to a method a path does not document says about
//! the server. It must be refused as 405 with an `Allow` header that lists the documented
//! methods (RFC 9110 section 15.5.6), or as 404 or 501; never 2xx, never 5xx.
//!
//! `HEAD` and `OPTIONS` are never probed and never required in `Allow`: many frameworks
//! answer `HEAD` for every `GET` and `OPTIONS` for every path on their own, so a document
//! that leaves them out does not make a server that serves them wrong.

use super::{Cause, Check, ObservedResponse, Violation};
use http::Method;

/// The methods probed at a path that does not document them.
pub const PROBED: [Method; 5] = [
    Method::GET,
    Method::PUT,
    Method::POST,
    Method::DELETE,
    Method::PATCH,
];

/// What the document says about the path a probe went to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Documented {
    /// The methods of the path's own template: `Allow` must list each.
    pub own: Vec<Method>,
    /// The methods of every template the requested path fits (its own included): `Allow`
    /// may list these, as a router that tries each fitting template does.
    pub fitting: Vec<Method>,
}

/// The violation in the answer to `method` sent where the document does not serve it.
pub fn undocumented_method(
    method: &Method,
    documented: &Documented,
    response: &ObservedResponse,
) -> Option<Violation> {
    let status = response.status;
    match status {
        405 => wrong_allow(method, documented, response),
        404 | 501 => None,
        _ => Some(Violation {
            check: Check::MethodNotAllowed,
            cause: Cause::UndocumentedMethod(status),
            message: format!(
                "{method} is not documented for this path (it documents {}), but the server \
                 answered {status}, not 405 (or 404/501)",
                names(&documented.own)
            ),
        }),
    }
}

/// A 405 whose `Allow` header is missing, leaves out a documented method or lists one the
/// document does not serve there.
fn wrong_allow(
    method: &Method,
    documented: &Documented,
    response: &ObservedResponse,
) -> Option<Violation> {
    let Some(allow) = response.header("allow") else {
        return Some(Violation {
            check: Check::MethodNotAllowed,
            cause: Cause::AllowMissing,
            message: format!(
                "{method} was answered 405 without an `Allow` header, which RFC 9110 requires; \
                 the path documents {}",
                names(&documented.own)
            ),
        });
    };
    let listed: Vec<String> = allow
        .split(',')
        .map(|m| m.trim().to_ascii_uppercase())
        .filter(|m| !m.is_empty())
        .collect();
    let missing: Vec<&str> = documented
        .own
        .iter()
        .map(Method::as_str)
        .filter(|m| !listed.iter().any(|l| l == m))
        .collect();
    let extra: Vec<&str> = listed
        .iter()
        .map(String::as_str)
        .filter(|l| !matches!(*l, "HEAD" | "OPTIONS"))
        .filter(|l| !documented.fitting.iter().any(|m| m.as_str() == *l))
        .collect();
    let cause = match (missing.is_empty(), extra.is_empty()) {
        (true, true) => return None,
        (false, _) => Cause::AllowLeavesOut,
        (true, false) => Cause::AllowListsUndocumented,
    };
    let mut problems = Vec::new();
    if !missing.is_empty() {
        problems.push(format!("leaves out {}", missing.join(", ")));
    }
    if !extra.is_empty() {
        problems.push(format!("lists {}, not documented here", extra.join(", ")));
    }
    Some(Violation {
        check: Check::MethodNotAllowed,
        cause,
        message: format!(
            "{method} was answered 405 with `Allow: {allow}`, which {}; the path documents {}",
            problems.join(" and "),
            names(&documented.own)
        ),
    })
}

fn names(methods: &[Method]) -> String {
    let names: Vec<&str> = methods.iter().map(Method::as_str).collect();
    names.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, allow: Option<&'static str>) -> ObservedResponse {
        let mut headers = http::HeaderMap::new();
        if let Some(allow) = allow {
            headers.insert(http::header::ALLOW, http::HeaderValue::from_static(allow));
        }
        ObservedResponse {
            status,
            headers,
            body: bytes::Bytes::new(),
            elapsed_ms: 1,
        }
    }

    fn orders_item() -> Documented {
        Documented {
            own: vec![Method::GET, Method::DELETE],
            fitting: vec![Method::GET, Method::DELETE],
        }
    }

    #[test]
    fn a_405_listing_the_documented_methods_or_a_404_or_501_conforms() {
        for response in [
            answer(405, Some("GET, DELETE")),
            answer(405, Some("delete,get,HEAD, OPTIONS")),
            answer(404, None),
            answer(501, None),
        ] {
            assert_eq!(
                undocumented_method(&Method::PATCH, &orders_item(), &response),
                None
            );
        }
    }

    #[test]
    fn a_success_or_a_server_error_to_an_undocumented_method_is_a_finding() {
        for status in [200, 204, 500, 400] {
            let found = undocumented_method(&Method::PATCH, &orders_item(), &answer(status, None))
                .expect("a violation");
            assert_eq!(found.check, Check::MethodNotAllowed);
            assert_eq!(found.cause, Cause::UndocumentedMethod(status));
            assert!(found.message.contains("PATCH"), "{}", found.message);
        }
    }

    #[test]
    fn a_405_whose_allow_is_missing_short_or_too_long_is_a_finding() {
        let judge = |allow| undocumented_method(&Method::PUT, &orders_item(), &answer(405, allow));
        assert_eq!(judge(None).expect("missing").cause, Cause::AllowMissing);
        let short = judge(Some("GET")).expect("short");
        assert_eq!(short.cause, Cause::AllowLeavesOut);
        assert!(
            short.message.contains("leaves out DELETE"),
            "{}",
            short.message
        );
        let long = judge(Some("GET, DELETE, POST")).expect("long");
        assert_eq!(long.cause, Cause::AllowListsUndocumented);
        assert!(long.message.contains("lists POST"), "{}", long.message);
    }

    #[test]
    fn allow_may_list_the_methods_of_every_template_the_path_fits() {
        let documented = Documented {
            own: vec![Method::POST],
            fitting: vec![Method::POST, Method::GET, Method::DELETE],
        };
        let response = answer(405, Some("POST, GET, DELETE"));
        assert_eq!(
            undocumented_method(&Method::PATCH, &documented, &response),
            None
        );
    }
}
