//! Declared response headers, part of the `response-schema` check: a required header that is
//! missing, and a value that does not match its schema. A header's text is read as the
//! schema's type says (`integer`, `number`, `boolean`), as OpenAPI's `simple` style sends it.

use super::{Cause, Check, HeaderProblem, ObservedResponse, Violation};
use crate::contract::{HeaderSpec, ResponseSpec};

/// Check every header `spec` declares against `response`.
pub(super) fn response_headers(
    spec: &ResponseSpec,
    response: &ObservedResponse,
    violations: &mut Vec<Violation>,
) {
    for header in &spec.headers {
        let values: Vec<&http::HeaderValue> =
            response.headers.get_all(&header.name).iter().collect();
        if values.is_empty() {
            if header.required {
                violations.push(violation(
                    header,
                    HeaderProblem::Missing,
                    format!(
                        "{} response lacks the required header `{}`",
                        response.status, header.name
                    ),
                ));
            }
            continue;
        }
        let Some(schema) = &header.schema else {
            continue;
        };
        for value in values {
            let text = String::from_utf8_lossy(value.as_bytes());
            let typed = header.read_value(&text);
            if !schema.validator().is_valid(&typed) {
                let reason = schema
                    .validator()
                    .iter_errors(&typed)
                    .next()
                    .map_or_else(String::new, |e| e.to_string());
                violations.push(violation(
                    header,
                    HeaderProblem::Value,
                    format!(
                        "{} response header `{}: {text}` does not match its schema: {reason}",
                        response.status, header.name
                    ),
                ));
            }
        }
    }
}

fn violation(header: &HeaderSpec, problem: HeaderProblem, message: String) -> Violation {
    Violation {
        check: Check::ResponseSchema,
        cause: Cause::Header {
            name: header.name.to_string(),
            problem,
        },
        message,
    }
}
