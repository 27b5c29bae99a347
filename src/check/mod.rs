//! Checks: what an [`Exchange`] (one planned request and what came back) says about the
//! contract, as [`Violation`]s that `run` groups into [`Finding`]s (whose types live in
//! [`crate::results`]).
//! It sends nothing and renders nothing.

mod cause;
mod headers;
mod media;
pub mod methods;
mod resources;
mod status;
pub mod undeclared_type;
pub mod unwanted_body;

pub use crate::results::{
    excerpt, Check, Finding, ResponseRecord, SentRequest, Shrunk, RESPONSE_EXCERPT_BYTES,
};
pub use cause::{Cause, HeaderProblem};
pub use resources::{is_conflict, says_not_there};
pub use status::status_findings;

use crate::contract::{Expect, Operation};
use crate::generate::PlannedRequest;
use std::fmt;

/// A response as received: status, headers and the body up to the run's size limit.
#[derive(Debug, Clone)]
pub struct ObservedResponse {
    /// The status code.
    pub status: u16,
    /// As received; kept as a map (no per-header copies on the hot path).
    pub headers: http::HeaderMap,
    /// The body, up to the run's `--max-body-bytes`.
    pub body: bytes::Bytes,
    /// Time from sending to the whole body read.
    pub elapsed_ms: u64,
}

impl ObservedResponse {
    /// A header's value, if present and text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The media type of `content-type`, without parameters (as sent; compare ignoring case).
    fn media(&self) -> Option<&str> {
        let value = self.header("content-type")?;
        Some(value.split(';').next().unwrap_or_default().trim())
    }

    /// The media type of `content-type`, lower-cased, without parameters.
    pub fn media_type(&self) -> Option<String> {
        self.media().map(str::to_ascii_lowercase)
    }

    /// Whether the response declares a JSON body (`application/json` or `*/*+json`).
    pub fn declares_json(&self) -> bool {
        self.media().is_some_and(|m| {
            m.eq_ignore_ascii_case("application/json")
                || m.len() > 5 && m[m.len() - 5..].eq_ignore_ascii_case("+json")
        })
    }

    /// The response as a finding keeps it: status, headers and a body excerpt.
    pub fn record(&self) -> ResponseRecord {
        let text = String::from_utf8_lossy(&self.body);
        let (body, body_truncated) = excerpt(&text, RESPONSE_EXCERPT_BYTES);
        ResponseRecord {
            status: self.status,
            headers: self.header_pairs(),
            body,
            body_truncated,
            elapsed_ms: self.elapsed_ms,
        }
    }

    /// `(name, value)` pairs in order, for records and reports.
    pub fn header_pairs(&self) -> Vec<(String, String)> {
        self.headers
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect()
    }
}

/// Why no usable response came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportFailure {
    /// No whole response within the timeout.
    Timeout,
    /// The connection could not be made or broke; the reason as the client gave it.
    Connect(String),
    /// The connection broke while sending or reading.
    Broken(String),
    /// The body grew past the run's `--max-body-bytes`.
    Oversized {
        /// The limit (`--max-body-bytes`).
        limit: u64,
    },
    /// Still 429/503 after the allowed retries.
    StillThrottled {
        /// The status that asked to retry (429 or 503).
        status: u16,
        /// Retries spent.
        retries: u32,
    },
}

impl TransportFailure {
    /// A short stable name, used to group findings.
    pub fn kind(&self) -> &'static str {
        match self {
            TransportFailure::Timeout => "timeout",
            TransportFailure::Connect(_) => "connect",
            TransportFailure::Broken(_) => "broken-connection",
            TransportFailure::Oversized { .. } => "oversized-body",
            TransportFailure::StillThrottled { .. } => "still-throttled",
        }
    }
}

impl fmt::Display for TransportFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransportFailure::Timeout => f.write_str("no complete response within the timeout"),
            TransportFailure::Connect(e) => write!(f, "could not connect: {e}"),
            TransportFailure::Broken(e) => write!(f, "the connection broke: {e}"),
            TransportFailure::Oversized { limit } => {
                write!(
                    f,
                    "the response body is larger than the limit of {limit} bytes"
                )
            }
            TransportFailure::StillThrottled { status, retries } => {
                write!(
                    f,
                    "still answered {status} after {retries} retries honouring Retry-After"
                )
            }
        }
    }
}

/// What came back for one request.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// A response came back.
    Response(ObservedResponse),
    /// No usable response came back.
    Transport(TransportFailure),
}

/// One planned request, what was sent and what came back.
#[derive(Debug, Clone)]
pub struct Exchange<'a> {
    /// The operation the request belongs to.
    pub operation: &'a Operation,
    /// The request as planned.
    pub planned: &'a PlannedRequest,
    /// What came back.
    pub outcome: &'a Outcome,
}

/// A problem one check found in one exchange, before grouping and rendering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The check that found it.
    pub check: Check,
    /// What grouping treats as "the same cause" (with the reason family for a status
    /// verdict): `400` (`400 for enum-value`) or `/statusDetail enum`.
    pub cause: Cause,
    /// A sentence for a person.
    pub message: String,
}

/// Run every check on one exchange. Cheap when the exchange conforms: no allocation beyond
/// the response-schema validation itself.
pub fn check_exchange(exchange: &Exchange<'_>) -> Vec<Violation> {
    let response = match exchange.outcome {
        Outcome::Transport(failure) => return vec![transport(failure)],
        Outcome::Response(response) => response,
    };
    if !(100..=599).contains(&response.status) {
        return vec![status_out_of_range(response.status)];
    }
    let mut violations = status_findings(exchange.operation, exchange.planned.expect, response);
    if exchange.planned.expect == Expect::Accept && !violations.is_empty() {
        resources::correct(
            exchange.operation,
            exchange.planned,
            response.status,
            &mut violations,
        );
    }
    let spec = exchange.operation.response_for(response.status);
    let schema = spec.and_then(|r| r.schema.as_ref());
    if no_body_allowed(exchange.operation, response) {
        if !response.body.is_empty() {
            violations.push(Violation {
                check: Check::ResponseSchema,
                cause: Cause::BodyOnNoContent(response.status),
                message: format!(
                    "a {} answer to {} must have no body, but it has {} bytes",
                    response.status,
                    exchange.operation.method,
                    response.body.len()
                ),
            });
        }
        return violations;
    }
    if let Some(spec) = spec.filter(|r| !r.media.is_empty()) {
        media::documented_media(spec, response, &mut violations);
        headers::response_headers(spec, response, &mut violations);
        return violations;
    }
    let parsed = content_type(response, schema.is_some(), &mut violations);
    if let (Some(schema), Some(body)) = (schema, parsed) {
        response_schema(schema, response.status, &body, &mut violations);
    }
    if let Some(spec) = spec {
        headers::response_headers(spec, response, &mut violations);
    }
    violations
}

/// A 204, 205 or 304, or any answer to HEAD, has no body (RFC 9110 sections 9.3.2, 15.3.5,
/// 15.3.6, 15.4.5).
fn no_body_allowed(operation: &Operation, response: &ObservedResponse) -> bool {
    unwanted_body::no_body_allowed(&operation.method, response.status)
}

fn transport(failure: &TransportFailure) -> Violation {
    Violation {
        check: Check::Transport,
        cause: Cause::Transport(failure.kind()),
        message: failure.to_string(),
    }
}

/// HTTP statuses are 100-599 (RFC 9110 section 15); anything else is a broken protocol, not
/// a server error, and nothing else about such a response is judged.
fn status_out_of_range(status: u16) -> Violation {
    Violation {
        check: Check::Transport,
        cause: Cause::StatusOutOfRange(status),
        message: format!(
            "the server answered with status {status}, outside 100-599: a protocol violation, \
             not an HTTP status"
        ),
    }
}

/// The content-type check; returns the parsed body when it is declared and parses as JSON,
/// and a schema (`want_value`) will look at it.
fn content_type(
    response: &ObservedResponse,
    want_value: bool,
    violations: &mut Vec<Violation>,
) -> Option<serde_json::Value> {
    let success = (200..300).contains(&response.status) && response.status != 204;
    if response.declares_json() {
        match parse_json(&response.body, want_value) {
            Ok(value) => return value,
            Err(e) if success || !response.body.is_empty() => violations.push(Violation {
                check: Check::ContentType,
                cause: Cause::UnparsableJson,
                message: format!(
                    "the {} body is declared `{}` but does not parse: {e}",
                    response.status,
                    response.header("content-type").unwrap_or_default()
                ),
            }),
            Err(_) => {}
        }
    } else if success && (want_value || !response.body.is_empty()) {
        // An empty success body with no documented schema (a `201` that documents none) is
        // no content to misdeclare.
        let declared = response.header("content-type").unwrap_or("(none)");
        violations.push(Violation {
            check: Check::ContentType,
            cause: Cause::SuccessServedAs(response.media_type().unwrap_or_default()),
            message: format!(
                "the {} success body is declared `{declared}`, not application/json",
                response.status
            ),
        });
    } else if want_value && !response.body.is_empty() {
        violations.push(documented_error_misdeclared(response));
    }
    None
}

/// An error answer whose status documents a JSON body, served as something else (an HTML
/// error page from a proxy or a framework's default handler). An empty error body is not
/// judged here: there is no content to misdeclare.
fn documented_error_misdeclared(response: &ObservedResponse) -> Violation {
    let declared = response.header("content-type").unwrap_or("(none)");
    Violation {
        check: Check::ContentType,
        cause: Cause::ServedAs {
            status: response.status,
            media: response.media_type().unwrap_or_default(),
        },
        message: format!(
            "the {} body is declared `{declared}`, but the case documents a JSON body for {}",
            response.status, response.status
        ),
    }
}

/// The body as a JSON value, or (`want_value` false) only whether it is JSON: bodies no
/// schema looks at, such as most error answers, are checked without building a value.
fn parse_json(
    body: &[u8],
    want_value: bool,
) -> Result<Option<serde_json::Value>, serde_json::Error> {
    if want_value {
        // One hint for every operation's responses: it only sizes the top-level map.
        static RESPONSE_SIZE: std::sync::atomic::AtomicUsize =
            std::sync::atomic::AtomicUsize::new(0);
        return crate::json::from_slice(body, &RESPONSE_SIZE).map(Some);
    }
    serde_json::from_slice::<serde::de::IgnoredAny>(body).map(|_| None)
}

/// How many schema errors of one body are reported; the rest are counted in the message.
const SCHEMA_ERRORS_PER_BODY: usize = 5;

fn response_schema(
    schema: &crate::contract::Schema,
    status: u16,
    body: &serde_json::Value,
    violations: &mut Vec<Violation>,
) {
    if schema.validator().is_valid(body) {
        return;
    }
    for error in schema
        .validator()
        .iter_errors(body)
        .take(SCHEMA_ERRORS_PER_BODY)
    {
        let pointer = error.instance_path().to_string();
        let keyword = error
            .schema_path()
            .to_string()
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        let at = if pointer.is_empty() {
            "/".to_owned()
        } else {
            pointer
        };
        // A `false` schema: in a response, a `writeOnly` property (`schema::View::Response`),
        // whose value the server must never send back.
        let (cause, hint) = match error.kind() {
            jsonschema::error::ValidationErrorKind::FalseSchema => (
                Cause::Forbidden { at: at.clone() },
                "; a writeOnly property (a secret the client sent) must never be returned",
            ),
            _ => (
                Cause::Schema {
                    at: at.clone(),
                    keyword,
                },
                "",
            ),
        };
        violations.push(Violation {
            check: Check::ResponseSchema,
            cause,
            message: format!(
                "{status} body at `{at}` violates `{}`: {error}{hint}",
                error.schema_path()
            ),
        });
    }
}

/// The expectation in words, for messages.
pub fn expectation_words(expect: Expect) -> &'static str {
    match expect {
        Expect::Accept => "a valid payload with the right key",
        Expect::Reject => "an invalid payload",
        Expect::Unauthorized => "a request with a missing or wrong key",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json_response(status: u16, body: &'static str) -> ObservedResponse {
        let mut headers = http::HeaderMap::new();
        headers.insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
        ObservedResponse {
            status,
            headers,
            body: bytes::Bytes::from_static(body.as_bytes()),
            elapsed_ms: 1,
        }
    }

    #[test]
    fn a_no_content_answer_with_a_body_is_a_finding_and_an_empty_one_is_not() {
        // hyper will not send a body on a 204, so the sandbox cannot commit this: the check
        // is tested on the exchange itself.
        let (operation, generator) = crate::generate::sessionlink_for_tests();
        let planned = generator.coverage().into_iter().next().expect("a plan");
        let judge = |response: ObservedResponse| {
            let outcome = Outcome::Response(response);
            check_exchange(&Exchange {
                operation: &operation,
                planned: &planned,
                outcome: &outcome,
            })
        };
        let with_body = judge(json_response(204, "{\"deleted\":true}"));
        assert!(
            with_body
                .iter()
                .any(|v| v.check == Check::ResponseSchema && v.cause == Cause::BodyOnNoContent(204)),
            "{with_body:?}"
        );
        let empty = judge(json_response(204, ""));
        assert!(
            empty
                .iter()
                .all(|v| !matches!(v.cause, Cause::BodyOnNoContent(_))),
            "{empty:?}"
        );
    }

    #[test]
    fn a_status_outside_100_to_599_is_a_transport_finding() {
        let (operation, generator) = crate::generate::sessionlink_for_tests();
        let planned = generator.coverage().into_iter().next().expect("a plan");
        for status in [999, 600, 42] {
            let outcome = Outcome::Response(json_response(status, "{}"));
            let exchange = Exchange {
                operation: &operation,
                planned: &planned,
                outcome: &outcome,
            };
            let violations = check_exchange(&exchange);
            assert_eq!(violations.len(), 1, "{violations:?}");
            assert_eq!(violations[0].check, Check::Transport);
            assert!(violations[0].message.contains(&status.to_string()));
        }
    }

    #[test]
    fn a_documented_error_served_as_html_is_a_content_type_finding() {
        let mut html = json_response(400, "<html><body>Bad Request</body></html>");
        html.headers.insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("text/html; charset=utf-8"),
        );
        let mut violations = Vec::new();
        assert!(content_type(&html, true, &mut violations).is_none());
        assert_eq!(violations.len(), 1, "{violations:?}");
        assert_eq!(violations[0].check, Check::ContentType);
        assert_eq!(violations[0].cause.to_string(), "400 served as text/html");
        // Undocumented (no schema for the status) or empty: nothing to judge.
        let mut none = Vec::new();
        content_type(&html, false, &mut none);
        html.body = bytes::Bytes::new();
        content_type(&html, true, &mut none);
        assert!(none.is_empty(), "{none:?}");
    }

    /// Bodies no schema reads are only checked to be JSON: no value, but the same verdict.
    #[test]
    fn declared_json_is_checked_whether_or_not_a_schema_wants_the_value() {
        for want_value in [true, false] {
            let mut violations = Vec::new();
            let good = json_response(400, r#"{"error": "invalid request"}"#);
            let value = content_type(&good, want_value, &mut violations);
            assert!(violations.is_empty(), "{violations:?}");
            assert_eq!(value.is_some(), want_value);

            let cut = json_response(400, r#"{"error": "inva"#);
            assert!(content_type(&cut, want_value, &mut violations).is_none());
            assert_eq!(violations.len(), 1, "{violations:?}");
            assert_eq!(violations[0].check, Check::ContentType);
            assert!(violations[0].message.contains("does not parse"));
        }
    }
}
