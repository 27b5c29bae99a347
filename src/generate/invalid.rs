//! Mutations: values a field's schema must refuse, and why.
//!
//! Each function proposes candidates from the schema alone (wrong JSON types, `null`, values
//! outside an `enum`, malformed formats); the coverage plan keeps only those the compiled
//! validator really refuses, and random exploration draws from what the plan kept.

use super::fields::{show, Field};
use super::schema_walk::Types;
use super::Family;
use serde_json::{json, Value};

/// A field set to a value its schema refuses.
#[derive(Debug, Clone)]
pub(crate) struct Mutation {
    /// Index into the generator's field list.
    pub field: usize,
    pub value: Value,
    pub family: Family,
    pub detail: String,
}

/// One sample value per JSON type, used for wrong-type mutations.
const TYPE_SAMPLES: [(&str, Types); 5] = [
    ("string", Types::STRING),
    ("number", Types::NUMBER),
    ("integer", Types::INTEGER),
    ("boolean", Types::BOOLEAN),
    ("object", Types::OBJECT),
];

fn sample(name: &str) -> Value {
    match name {
        "string" => json!("specgate"),
        "number" => json!(1.5),
        "integer" => json!(7),
        "boolean" => json!(true),
        "object" => json!({}),
        _ => json!([]),
    }
}

/// Every JSON type the field does not allow, as `(type name, sample value)`. `integer` is
/// skipped when `number` is allowed (an integer is a number).
pub(crate) fn wrong_types(field: &Field) -> Vec<(&'static str, Value)> {
    let allowed = field.node.types;
    TYPE_SAMPLES
        .iter()
        .map(|(name, t)| (*name, *t))
        .chain([("array", Types::ARRAY)])
        .filter(|(_, t)| !allowed.admits(*t))
        .map(|(name, _)| (name, sample(name)))
        .collect()
}

/// Mutations of one field: wrong types, null, values outside its enum, malformed formats.
pub(crate) fn mutations(index: usize, field: &Field) -> Vec<Mutation> {
    let label = field.label();
    let at = |family: Family, value: Value, detail: String| Mutation {
        field: index,
        value,
        family,
        detail,
    };
    let mut out: Vec<Mutation> = wrong_types(field)
        .into_iter()
        .map(|(name, value)| at(Family::WrongType, value, format!("{label}={name}")))
        .collect();
    if !field.node.types.contains(Types::NULL) {
        out.push(at(Family::NullValue, Value::Null, label.clone()));
    }
    for value in outside_enum(field) {
        let detail = format!("{label}={}", show(&value));
        out.push(at(Family::EnumOutside, value, detail));
    }
    for text in bad_formats(field) {
        let detail = format!("{label}={text}");
        out.push(at(Family::BadFormat, Value::String(text), detail));
    }
    out
}

/// Values outside the field's enum: wrong case of its first two string values, the empty
/// string, the first value padded with spaces; for non-string enums, a number past them all.
pub(crate) fn outside_enum(field: &Field) -> Vec<Value> {
    let Some(values) = &field.node.enum_values else {
        return Vec::new();
    };
    let strings: Vec<&str> = values.iter().filter_map(Value::as_str).collect();
    let mut candidates: Vec<String> = strings
        .iter()
        .take(2)
        .flat_map(|s| [s.to_lowercase(), s.to_uppercase()])
        .collect();
    candidates.push(String::new());
    if let Some(first) = strings.first() {
        candidates.push(format!(" {first} "));
    }
    let mut out: Vec<Value> = Vec::new();
    for candidate in candidates.into_iter().map(Value::String) {
        if !values.contains(&candidate) && !out.contains(&candidate) {
            out.push(candidate);
        }
    }
    if strings.is_empty() {
        let top = values.iter().filter_map(Value::as_f64).fold(0.0, f64::max);
        out.push(json!(top.floor() + 1.0));
    }
    out
}

/// Malformed values for the field's string `format`.
pub(crate) fn bad_formats(field: &Field) -> Vec<String> {
    let Some(format) = field.node.string.format.as_deref() else {
        return Vec::new();
    };
    if field.node.is_fixed() {
        return Vec::new();
    }
    let specific: &[&str] = match format {
        "date-time" => &["2023-13-45T99:00:00Z", "2023-11-07", "05:31:56Z"],
        "date" => &["2023-13-45", "2023-11-07T05:31:56Z"],
        "time" => &["99:61:00Z", "2023-11-07"],
        "email" | "idn-email" => &["user.example.com"],
        "uuid" => &["00000000-0000-4000-8000"],
        "ipv4" => &["999.1.1.1"],
        _ => &[],
    };
    specific
        .iter()
        .map(|s| (*s).to_owned())
        .chain([format!("not a {format}")])
        .collect()
}
