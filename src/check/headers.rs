//! Declared response headers, part of the `response-schema` check: a required header that is
//! missing, and a value that does not match its schema. A header's text is read as the
//! schema's type says (`integer`, `number`, `boolean`), as OpenAPI's `simple` style sends it.

use super::{Check, ObservedResponse, Violation};
use crate::contract::{HeaderSpec, ResponseSpec};
use serde_json::Value;

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
                    "missing",
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
            let typed = typed_value(&schema.document, &text);
            if !schema.validator.is_valid(&typed) {
                let reason = schema
                    .validator
                    .iter_errors(&typed)
                    .next()
                    .map_or_else(String::new, |e| e.to_string());
                violations.push(violation(
                    header,
                    "value",
                    format!(
                        "{} response header `{}: {text}` does not match its schema: {reason}",
                        response.status, header.name
                    ),
                ));
            }
        }
    }
}

fn violation(header: &HeaderSpec, what: &str, message: String) -> Violation {
    Violation {
        check: Check::ResponseSchema,
        cause: format!("header {} {what}", header.name),
        message,
    }
}

/// The header's text as the JSON value its schema's `type` describes; text when it does not
/// parse as that type (so the schema reports the mismatch).
pub(crate) fn typed_value(schema: &Value, text: &str) -> Value {
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(one)) => vec![one.as_str()],
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    for kind in types {
        let parsed = match kind {
            "integer" | "number" => serde_json::from_str::<serde_json::Number>(text.trim())
                .ok()
                .map(Value::Number),
            "boolean" => match text.trim() {
                "true" => Some(Value::Bool(true)),
                "false" => Some(Value::Bool(false)),
                _ => None,
            },
            _ => None,
        };
        if let Some(parsed) = parsed {
            return parsed;
        }
    }
    Value::String(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn header_text_is_read_as_its_schema_type() {
        assert_eq!(typed_value(&json!({"type": "integer"}), " 42 "), json!(42));
        assert_eq!(
            typed_value(&json!({"type": "integer"}), "many"),
            json!("many")
        );
        assert_eq!(
            typed_value(&json!({"type": ["boolean", "string"]}), "true"),
            json!(true)
        );
        assert_eq!(typed_value(&json!({"type": "string"}), "7"), json!("7"));
    }
}
