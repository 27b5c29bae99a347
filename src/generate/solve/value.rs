//! `type`, `enum` and `const`: which kinds of value a schema admits, fixed values, and the
//! values of other types, outside the enum and next to the const that it must refuse.

use super::Variant;
use crate::generate::Family;
use crate::schema::Keyword;
use serde_json::{json, Map, Value};

/// A JSON type, as `type` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    String,
    Integer,
    Number,
    Boolean,
    Object,
    Array,
    Null,
}

impl Kind {
    /// Every type.
    pub(crate) const ALL: [Kind; 7] = [
        Kind::String,
        Kind::Integer,
        Kind::Number,
        Kind::Object,
        Kind::Array,
        Kind::Boolean,
        Kind::Null,
    ];

    fn named(name: &str) -> Option<Kind> {
        Some(match name {
            "string" => Kind::String,
            "integer" => Kind::Integer,
            "number" => Kind::Number,
            "boolean" => Kind::Boolean,
            "object" => Kind::Object,
            "array" => Kind::Array,
            "null" => Kind::Null,
            _ => return None,
        })
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::String => "string",
            Kind::Integer => "integer",
            Kind::Number => "number",
            Kind::Boolean => "boolean",
            Kind::Object => "object",
            Kind::Array => "array",
            Kind::Null => "null",
        }
    }

    /// The types a value of another type is tried as, in the order the field mutations try
    /// them (`null` is a family of its own there).
    pub(crate) const SAMPLED: [Kind; 6] = [
        Kind::String,
        Kind::Number,
        Kind::Integer,
        Kind::Boolean,
        Kind::Object,
        Kind::Array,
    ];

    /// One sample value of this type: what a break of `type` sends, here and in the field
    /// mutations.
    pub(crate) fn sample(self) -> Value {
        match self {
            Kind::String => json!("specgate"),
            Kind::Integer => json!(7),
            Kind::Number => json!(1.5),
            Kind::Boolean => json!(true),
            Kind::Object => json!({}),
            Kind::Array => json!([]),
            Kind::Null => Value::Null,
        }
    }

    /// The keywords that only constrain values of this type (they hint at it when `type` is
    /// absent).
    fn keywords(self) -> &'static [Keyword] {
        match self {
            Kind::String => &[
                Keyword::MinLength,
                Keyword::MaxLength,
                Keyword::Pattern,
                Keyword::Format,
            ],
            Kind::Integer => &[],
            Kind::Number => &[
                Keyword::Minimum,
                Keyword::Maximum,
                Keyword::ExclusiveMinimum,
                Keyword::ExclusiveMaximum,
                Keyword::MultipleOf,
            ],
            Kind::Object => &[
                Keyword::Properties,
                Keyword::Required,
                Keyword::AdditionalProperties,
                Keyword::PatternProperties,
                Keyword::PropertyNames,
                Keyword::MinProperties,
                Keyword::MaxProperties,
                Keyword::DependentRequired,
                Keyword::DependentSchemas,
                Keyword::UnevaluatedProperties,
            ],
            Kind::Array => &[
                Keyword::Items,
                Keyword::PrefixItems,
                Keyword::Contains,
                Keyword::MinItems,
                Keyword::MaxItems,
                Keyword::UniqueItems,
                Keyword::UnevaluatedItems,
            ],
            Kind::Boolean | Kind::Null => &[],
        }
    }
}

/// The types listed by `type`, or, without it, those its other keywords hint at; none when
/// nothing hints at a type (any value will do, the applicators and the fallback decide).
pub(crate) fn types(map: &Map<String, Value>) -> Vec<Kind> {
    match map.get(Keyword::Type.name()) {
        Some(Value::String(_) | Value::Array(_)) => listed(map),
        _ => Kind::ALL
            .into_iter()
            .filter(|k| k.keywords().iter().any(|key| map.contains_key(key.name())))
            .collect(),
    }
}

/// The types `type` lists, in its order; none when it is absent.
pub(crate) fn listed(map: &Map<String, Value>) -> Vec<Kind> {
    match map.get(Keyword::Type.name()) {
        Some(Value::String(name)) => Kind::named(name).into_iter().collect(),
        Some(Value::Array(names)) => names
            .iter()
            .filter_map(Value::as_str)
            .filter_map(Kind::named)
            .collect(),
        _ => Vec::new(),
    }
}

/// The type of `value`; a whole number counts as an integer, as JSON Schema reads it.
pub(crate) fn kind_of(value: &Value) -> Kind {
    match value {
        Value::String(_) => Kind::String,
        Value::Number(n) if n.as_f64().is_some_and(|x| x.fract() == 0.0) => Kind::Integer,
        Value::Number(_) => Kind::Number,
        Value::Bool(_) => Kind::Boolean,
        Value::Object(_) => Kind::Object,
        Value::Array(_) => Kind::Array,
        Value::Null => Kind::Null,
    }
}

/// `examples[0]`, else `default`: the schema's own suggestion of a value, which may be wrong.
pub(crate) fn hint(map: &Map<String, Value>) -> Option<Value> {
    let example = match map.get(Keyword::Examples.name()) {
        Some(Value::Array(examples)) => examples.first().cloned(),
        _ => None,
    };
    example.or_else(|| map.get(Keyword::Default.name()).cloned())
}

/// What `type` admits (an `integer` is a `number`): every type when it is absent.
pub(crate) fn admitted(map: &Map<String, Value>) -> Vec<Kind> {
    match map.get(Keyword::Type.name()) {
        None => Kind::ALL.to_vec(),
        Some(_) => {
            let listed = types(map);
            let mut out = listed.clone();
            if listed.contains(&Kind::Number) {
                out.push(Kind::Integer);
            }
            out
        }
    }
}

/// The values of `const` or `enum`, when the schema fixes them.
pub(crate) fn fixed(map: &Map<String, Value>) -> Option<Vec<Value>> {
    if let Some(value) = map.get(Keyword::Const.name()) {
        return Some(vec![value.clone()]);
    }
    match map.get(Keyword::Enum.name()) {
        Some(Value::Array(values)) => Some(values.clone()),
        _ => None,
    }
}

/// A spread of values of every type, simplest first: the fallback for a schema whose own
/// keywords propose nothing (`not`, an untyped schema, `true`).
pub(crate) fn anything() -> Vec<Value> {
    vec![
        json!("specgate"),
        json!(0),
        json!({}),
        json!([]),
        json!(true),
        Value::Null,
        json!(""),
        json!(1),
        json!(-1),
        json!(1.5),
        json!(false),
        json!("a"),
        json!([1]),
        json!({"a": 1}),
    ]
}

/// Values of other types, `null`, values outside the enum and next to the const.
pub(crate) fn variants(map: &Map<String, Value>, value: &Value, at: &str) -> Vec<Variant> {
    let mut out = Vec::new();
    if map.contains_key(Keyword::Type.name()) {
        let allowed = admitted(map);
        for kind in Kind::ALL.into_iter().filter(|k| !allowed.contains(k)) {
            let (family, note) = match kind {
                Kind::Null => (Family::NullValue, String::new()),
                other => (Family::WrongType, other.name().to_owned()),
            };
            out.push(Variant::reject(family, at, kind.sample()).with_note(note));
        }
    }
    if let Some(Value::Array(values)) = map.get(Keyword::Enum.name()) {
        // Every value of an enum at any depth, each a coverage obligation of its own.
        for value in values {
            let note = show(value);
            let mut variant = Variant::boundary(&note, at, value.clone());
            variant.kind = Family::EnumValue;
            out.push(variant);
        }
        for outside in outside(values) {
            let note = show(&outside);
            out.push(Variant::reject(Family::EnumOutside, at, outside).with_note(note));
        }
    }
    if let Some(constant) = map.get(Keyword::Const.name()) {
        for near in neighbours(constant) {
            out.push(Variant::reject(Family::ConstNeighbour, at, near));
        }
    }
    let _ = value;
    out
}

/// Values next to a const: a changed last character, one more, a flipped flag, one more
/// item or property.
fn neighbours(constant: &Value) -> Vec<Value> {
    match constant {
        Value::String(text) => {
            let mut changed: String = text.clone();
            changed.push('x');
            let upper = text.to_uppercase();
            vec![Value::String(changed), Value::String(upper)]
        }
        Value::Number(n) => {
            let x = n.as_f64().unwrap_or(0.0);
            vec![super::number_value(x + 1.0), super::number_value(x - 0.5)]
        }
        Value::Bool(b) => vec![Value::Bool(!b)],
        Value::Null => vec![json!(0), json!(false)],
        Value::Array(items) => {
            let mut longer = items.clone();
            longer.push(Value::Null);
            vec![Value::Array(longer), json!([])]
        }
        Value::Object(map) => {
            let mut bigger = map.clone();
            bigger.insert("specgate".to_owned(), Value::Null);
            vec![Value::Object(bigger), json!({})]
        }
    }
}

/// Values outside an enum: case changes and padding of its strings, a number past them all,
/// and a neighbour of each non-string value.
fn outside(values: &[Value]) -> Vec<Value> {
    outside_of(values, true)
}

/// Values outside an enum without the neighbours of its non-string values: what the field
/// mutations plan for a property's enum.
pub(crate) fn near_outside(values: &[Value]) -> Vec<Value> {
    outside_of(values, false)
}

/// Case changes and padding of the enum's strings, or a number past its numbers and (when
/// `with_neighbours`) a neighbour of each of its first three values; none of them in the enum.
fn outside_of(values: &[Value], with_neighbours: bool) -> Vec<Value> {
    let strings: Vec<&str> = values.iter().filter_map(Value::as_str).collect();
    let mut candidates: Vec<Value> = strings
        .iter()
        .take(2)
        .flat_map(|s| [s.to_lowercase(), s.to_uppercase()])
        .map(Value::String)
        .collect();
    candidates.push(json!(""));
    if let Some(first) = strings.first() {
        candidates.push(Value::String(format!(" {first} ")));
    }
    if strings.is_empty() {
        let top = values.iter().filter_map(Value::as_f64).fold(0.0, f64::max);
        candidates.push(json!(top.floor() + 1.0));
        for value in values.iter().take(if with_neighbours { 3 } else { 0 }) {
            candidates.extend(neighbours(value));
        }
    }
    let mut out: Vec<Value> = Vec::new();
    for candidate in candidates {
        if !values.contains(&candidate) && !out.contains(&candidate) {
            out.push(candidate);
        }
    }
    out
}

/// How a value is shown in a reason: strings bare, everything else as JSON.
pub(crate) fn show(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}
