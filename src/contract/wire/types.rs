//! The plain types both the wire and its form codec read: OpenAPI's serialisation styles,
//! the JSON types a schema admits (to read text back as values), why a request cannot be
//! sent, and a primitive value as text.

use crate::schema::Index;
use serde_json::Value;

/// OpenAPI's serialisation styles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// `a,b,c` (path and header default).
    Simple,
    /// `.a.b.c` (path).
    Label,
    /// `;name=a,b` (path).
    Matrix,
    /// `name=a&name=b` (query and cookie default).
    Form,
    /// `name=a%20b` (query arrays).
    SpaceDelimited,
    /// `name=a|b` (query arrays).
    PipeDelimited,
    /// `name[key]=value` (query objects).
    DeepObject,
}

impl Style {
    /// The style named `name` as OpenAPI spells it.
    pub fn parse(name: &str) -> Option<Style> {
        Some(match name {
            "simple" => Style::Simple,
            "label" => Style::Label,
            "matrix" => Style::Matrix,
            "form" => Style::Form,
            "spaceDelimited" => Style::SpaceDelimited,
            "pipeDelimited" => Style::PipeDelimited,
            "deepObject" => Style::DeepObject,
            _ => return None,
        })
    }
}

/// Why an envelope cannot be sent as a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot be sent: {0}")]
pub struct Unsendable(pub String);

/// The JSON types a parameter's schema admits, for reading text back as values.
#[derive(Debug, Clone, Default)]
pub(super) struct Types(pub(super) Vec<String>);

impl Types {
    /// The types of a schema read alone: its `$ref`s followed inside it.
    pub(super) fn of(schema: &Value) -> Types {
        // Most schemas read here (a header's, a parameter's) are no `$ref`: no index needed.
        if crate::schema::Keyword::Ref.value_in(schema).is_none() {
            return Types(crate::schema::types_of(schema));
        }
        Types::at(schema, &Index::new(schema), "")
    }

    /// The types of the subschema at `pointer` of `document`, its `$ref`s followed.
    pub(super) fn at(document: &Value, index: &Index, pointer: &str) -> Types {
        Types(crate::schema::types_at(document, index, pointer))
    }

    pub(super) fn has(&self, name: &str) -> bool {
        self.0.iter().any(|t| t == name)
    }

    /// `text` read as the first of these types it parses as; text otherwise.
    pub(super) fn read(&self, text: &str) -> Value {
        for kind in &self.0 {
            let parsed = match kind.as_str() {
                "integer" => text
                    .parse::<i64>()
                    .ok()
                    .map(Value::from)
                    .or_else(|| text.parse::<u64>().ok().map(Value::from)),
                "number" => serde_json::from_str::<serde_json::Number>(text)
                    .ok()
                    .map(Value::Number),
                "boolean" => match text {
                    "true" => Some(Value::Bool(true)),
                    "false" => Some(Value::Bool(false)),
                    _ => None,
                },
                "null" if text.is_empty() && !self.has("string") => Some(Value::Null),
                _ => None,
            };
            if let Some(value) = parsed {
                return value;
            }
        }
        Value::String(text.to_owned())
    }
}

/// A primitive as text; `None` for arrays and objects.
pub(super) fn primitive_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => Some(String::new()),
        _ => None,
    }
}
