//! Values from any draft 2020-12 schema, found by proposing and checking: the valid values of
//! each subschema, the boundaries just inside each limit, and a value just outside each
//! constraint, at any depth.
//!
//! Each keyword family has its own module owning everything about its keywords: [`value`]
//! (`type`, `enum`, `const`), [`string`] (lengths, `pattern`), [`format`], [`number`],
//! [`array`], [`object`] and [`applicator`] (`$ref`, `allOf`, `anyOf`, `oneOf`, `not`,
//! `if`/`then`/`else`). Each reads its keywords into a closed set of constraints, and from those
//! proposes candidates (valid values, most preferred first) and variants (a boundary to
//! accept or a break to reject, with the kind that names it). Every valid candidate of a
//! subschema is checked with that subschema's compiled validator
//! ([`crate::schema::Subschemas`]), so a proposal can be rough and never be wrong; the plan
//! checks every variant against the whole schema again before using it.

pub(crate) mod applicator;
pub(crate) mod array;
pub(crate) mod format;
pub(crate) mod number;
pub(crate) mod object;
pub(crate) mod outline;
pub(crate) mod pattern;
pub(crate) mod string;
pub(crate) mod value;

use crate::generate::Family;
use crate::schema::{Index, Keyword, Subschemas};
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// Valid candidates kept per subschema.
const KEEP: usize = 10;
/// Deeper than this, a subschema proposes nothing (recursive schemas end here).
const MAX_DEPTH: usize = 10;
/// Variants kept per location, so a wide schema's plan stays small.
const MAX_VARIANTS: usize = 400;

/// Whether a variant is a boundary to accept or a break to reject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Side {
    Accept,
    Reject,
}

/// A value at one location that is a boundary or a break of one constraint.
#[derive(Debug, Clone)]
pub(crate) struct Variant {
    pub side: Side,
    /// The stable kind, e.g. `max-length+1`: a reason family of the plan.
    pub kind: Family,
    /// More about it (a type name, a boundary's name), or empty.
    pub note: String,
    /// The instance pointer of the constraint's location.
    pub at: String,
    /// The whole value at the location where the variants were asked for.
    pub value: Value,
}

impl Variant {
    pub(super) fn reject(kind: Family, at: &str, value: Value) -> Variant {
        Variant {
            side: Side::Reject,
            kind,
            note: String::new(),
            at: at.to_owned(),
            value,
        }
    }

    pub(super) fn boundary(name: &str, at: &str, value: Value) -> Variant {
        Variant {
            side: Side::Accept,
            kind: Family::Boundary,
            note: name.to_owned(),
            at: at.to_owned(),
            value,
        }
    }

    pub(super) fn with_note(mut self, note: impl Into<String>) -> Variant {
        self.note = note.into();
        self
    }

    /// The reason detail: the location's pointer (nothing for the body itself), then
    /// `=note`, e.g. `/customer/name` or `/age=string`.
    pub(super) fn detail(&self) -> String {
        match (self.at.is_empty(), self.note.is_empty()) {
            (_, true) => self.at.clone(),
            (true, false) => self.note.clone(),
            (false, false) => format!("{}={}", self.at, self.note),
        }
    }
}

/// Proposes and checks values for the subschemas of one document.
pub(crate) struct Solver {
    subschemas: Arc<Subschemas>,
    index: Index,
    cache: RefCell<HashMap<String, Vec<Value>>>,
    busy: RefCell<HashSet<String>>,
}

impl Solver {
    pub(super) fn new(subschemas: Arc<Subschemas>) -> Solver {
        let index = Index::new(subschemas.document());
        Solver {
            subschemas,
            index,
            cache: RefCell::new(HashMap::new()),
            busy: RefCell::new(HashSet::new()),
        }
    }

    /// The schema at `pointer`.
    pub(super) fn schema(&self, pointer: &str) -> Option<&Value> {
        self.subschemas.document().pointer(pointer)
    }

    /// Where a `$ref` written at `pointer` lands.
    pub(super) fn resolve(&self, pointer: &str, target: &str) -> Option<String> {
        self.index.resolve(pointer, target)
    }

    /// Whether `value` passes the subschema at `pointer`.
    pub(super) fn admits(&self, pointer: &str, value: &Value) -> bool {
        self.subschemas.admits(pointer, value)
    }

    /// Valid values of the subschema at `pointer`, the preferred (simplest) first; empty
    /// when none was found.
    pub(super) fn valid(&self, pointer: &str, depth: usize) -> Vec<Value> {
        if let Some(found) = self.cache.borrow().get(pointer) {
            return found.clone();
        }
        if depth > MAX_DEPTH || !self.busy.borrow_mut().insert(pointer.to_owned()) {
            return Vec::new();
        }
        let proposed = self.propose(pointer, depth);
        self.busy.borrow_mut().remove(pointer);
        let mut seen = HashSet::new();
        let found: Vec<Value> = proposed
            .into_iter()
            .filter(|v| seen.insert(v.to_string()) && self.admits(pointer, v))
            .take(KEEP)
            .collect();
        self.cache
            .borrow_mut()
            .insert(pointer.to_owned(), found.clone());
        found
    }

    /// A simple value the subschema at `pointer` refuses.
    pub(super) fn refused(&self, pointer: &str) -> Option<Value> {
        value::anything()
            .into_iter()
            .find(|v| !self.admits(pointer, v))
    }

    /// The first valid value of the subschema at `pointer`.
    pub(super) fn first(&self, pointer: &str, depth: usize) -> Option<Value> {
        self.valid(pointer, depth).into_iter().next()
    }

    /// Candidates for the subschema at `pointer`, unchecked.
    fn propose(&self, pointer: &str, depth: usize) -> Vec<Value> {
        match self.schema(pointer) {
            Some(Value::Bool(true)) => value::anything(),
            Some(Value::Object(map)) => self.propose_map(pointer, map, depth),
            _ => Vec::new(),
        }
    }

    fn propose_map(&self, pointer: &str, map: &Map<String, Value>, depth: usize) -> Vec<Value> {
        if let Some(fixed) = value::fixed(map) {
            return fixed;
        }
        let mut own = Vec::new();
        for kind in value::types(map) {
            own.extend(match kind {
                value::Kind::String => string::candidates(self, pointer, map),
                value::Kind::Integer => number::candidates(map, true),
                value::Kind::Number => number::candidates(map, false),
                value::Kind::Object => object::candidates(self, pointer, map, depth),
                value::Kind::Array => array::candidates(self, pointer, map, depth),
                value::Kind::Boolean => vec![Value::Bool(true), Value::Bool(false)],
                value::Kind::Null => vec![Value::Null],
            });
        }
        let mut out = applicator::combine(self, pointer, map, depth, own);
        out.extend(value::anything());
        out
    }

    /// Boundaries and breaks of every constraint on `value` (valid at `pointer`), at this
    /// location and below it; `at` is the location's instance pointer.
    pub(super) fn variants(
        &self,
        pointer: &str,
        value: &Value,
        at: &str,
        depth: usize,
    ) -> Vec<Variant> {
        let Some(schema) = self.schema(pointer) else {
            return Vec::new();
        };
        let map = match schema {
            Value::Object(map) if depth <= MAX_DEPTH => map,
            // A `false` schema refuses anything at all.
            Value::Bool(false) => {
                let any = if value.is_null() {
                    Value::String("specgate".into())
                } else {
                    value.clone()
                };
                return vec![Variant::reject(Family::FalseSchema, at, any)];
            }
            _ => return Vec::new(),
        };
        let mut out = value::variants(map, value, at);
        // The constraints of each type are broken from a valid value of that type: the
        // given one, and one of each other type the subschema admits.
        let mut bases = vec![value.clone()];
        for other in self.valid(pointer, depth) {
            if !bases.iter().any(|b| same_type(b, &other)) {
                bases.push(other);
            }
        }
        for base in &bases {
            out.extend(self.typed_variants(pointer, map, base, at, depth));
            out.extend(applicator::variants(self, pointer, map, base, at, depth));
        }
        let mut seen = HashSet::new();
        out.retain(|v| seen.insert((v.side, v.value.to_string())));
        out.truncate(MAX_VARIANTS);
        out
    }
}

impl Solver {
    fn typed_variants(
        &self,
        pointer: &str,
        map: &Map<String, Value>,
        value: &Value,
        at: &str,
        depth: usize,
    ) -> Vec<Variant> {
        match value {
            Value::String(text) => string::variants(self, pointer, map, text, at),
            Value::Number(_) => number::variants(map, value, at),
            Value::Array(items) => array::variants(self, pointer, map, items, at, depth),
            Value::Object(object) => object::variants(self, pointer, map, object, at, depth),
            Value::Bool(_) | Value::Null => Vec::new(),
        }
    }
}

fn same_type(a: &Value, b: &Value) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
}

/// What generation does with a keyword.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Treatment {
    /// Valid values honour it, and a reject of this reason family breaks it.
    Breaks(Family),
    /// Valid values honour it; it is broken through the subschemas it holds (or, for
    /// `required`, by the missing-required subsets).
    Shapes,
    /// It identifies, names or annotates: nothing to honour or break.
    Annotation,
    /// Generation does not follow it: values are still checked against it, so nothing is
    /// mislabelled, but few may be found. Reported at load time with this reason.
    NotFollowed(&'static str),
}

/// How generation treats `keyword`. An exhaustive match: a keyword added to
/// [`Keyword`] does not compile until it is decided here (and in its family's module).
pub(crate) fn treatment(keyword: Keyword) -> Treatment {
    use super::Family;
    use Treatment::{Annotation, Breaks, NotFollowed, Shapes};
    match keyword {
        Keyword::Type => Breaks(Family::WrongType),
        Keyword::Const => Breaks(Family::ConstNeighbour),
        Keyword::Enum => Breaks(Family::EnumOutside),
        Keyword::MinLength => Breaks(Family::MinLengthMinus),
        Keyword::MaxLength => Breaks(Family::MaxLengthPlus),
        Keyword::Pattern => Breaks(Family::PatternMiss),
        Keyword::Format => Breaks(Family::BadFormat),
        Keyword::Minimum => Breaks(Family::BelowMinimum),
        Keyword::Maximum => Breaks(Family::AboveMaximum),
        Keyword::ExclusiveMinimum => Breaks(Family::AtExclusiveMinimum),
        Keyword::ExclusiveMaximum => Breaks(Family::AtExclusiveMaximum),
        Keyword::MultipleOf => Breaks(Family::NotMultiple),
        Keyword::MinItems => Breaks(Family::MinItemsMinus),
        Keyword::MaxItems => Breaks(Family::MaxItemsPlus),
        Keyword::UniqueItems => Breaks(Family::DuplicateItem),
        Keyword::Contains | Keyword::MinContains => Breaks(Family::ContainsTooFew),
        Keyword::MaxContains => Breaks(Family::ContainsTooMany),
        Keyword::UnevaluatedItems => Breaks(Family::ExtraItem),
        Keyword::AdditionalProperties | Keyword::UnevaluatedProperties => Breaks(Family::ExtraProperty),
        Keyword::PropertyNames => Breaks(Family::PropertyName),
        Keyword::MinProperties => Breaks(Family::MinPropertiesMinus),
        Keyword::MaxProperties => Breaks(Family::MaxPropertiesPlus),
        Keyword::Required => Breaks(Family::MissingRequired),
        Keyword::DependentRequired => Breaks(Family::DependentRequired),
        Keyword::DependentSchemas => Breaks(Family::DependentSchema),
        Keyword::AnyOf => Breaks(Family::AnyOfNone),
        Keyword::OneOf => Breaks(Family::OneOfNone),
        Keyword::Not => Breaks(Family::NotMatched),
        Keyword::If | Keyword::Then => Breaks(Family::IfThen),
        Keyword::Else => Breaks(Family::IfElse),
        Keyword::Properties
        | Keyword::PatternProperties
        | Keyword::Items
        | Keyword::PrefixItems
        | Keyword::AllOf
        | Keyword::Ref => Shapes,
        Keyword::Schema
        | Keyword::Id
        | Keyword::Anchor
        | Keyword::DynamicAnchor
        | Keyword::Defs
        | Keyword::Definitions
        | Keyword::Comment
        | Keyword::Title
        | Keyword::Description
        | Keyword::Default
        | Keyword::Deprecated
        | Keyword::ReadOnly
        | Keyword::WriteOnly
        | Keyword::Examples
        | Keyword::ContentEncoding
        | Keyword::ContentMediaType
        | Keyword::ContentSchema => Annotation,
        Keyword::DynamicRef => NotFollowed(
            "it is resolved by dynamic scope; payloads are still checked against it",
        ),
        Keyword::Vocabulary => NotFollowed(
            "custom vocabularies are unknown; payloads are checked against the keywords the validator knows",
        ),
        Keyword::Dependencies => NotFollowed(
            "it is the draft 2019-09 spelling; use `dependentRequired` or `dependentSchemas`",
        ),
    }
}

/// A JSON number from an `f64`; whole numbers are written as integers.
pub(crate) fn number_value(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 9.0e15 {
        Value::Number(serde_json::Number::from(x as i64))
    } else {
        serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
    }
}

/// `items` with `item` at `index` (replacing it, or appended when `index` is the length).
pub(crate) fn with_item(items: &[Value], index: usize, item: Value) -> Value {
    let mut copy = items.to_vec();
    if index < copy.len() {
        copy[index] = item;
    } else {
        copy.push(item);
    }
    Value::Array(copy)
}

/// Child variants of an item or property, each set back into a copy of the parent value.
pub(crate) fn lift(
    children: Vec<Variant>,
    rebuild: impl Fn(Value) -> Value,
) -> impl Iterator<Item = Variant> {
    children.into_iter().map(move |mut variant| {
        variant.value = rebuild(std::mem::take(&mut variant.value));
        variant
    })
}

/// A non-negative integer keyword.
pub(crate) fn count(map: &Map<String, Value>, key: &str) -> Option<usize> {
    whole_number(map.get(key)?)
}

/// A non-negative whole number; `2.0` counts too, as JSON Schema reads it as the integer 2.
pub(crate) fn whole_number(value: &Value) -> Option<usize> {
    value
        .as_u64()
        .or_else(|| {
            value
                .as_f64()
                .filter(|x| x.fract() == 0.0 && *x >= 0.0)
                .map(|x| x as u64)
        })
        .and_then(|n| usize::try_from(n).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A schema using `keyword`, for each keyword a reject breaks.
    fn sample(keyword: Keyword) -> Option<Value> {
        Some(match keyword {
            Keyword::Type => json!({"type": "string"}),
            Keyword::Const => json!({"const": "a"}),
            Keyword::Enum => json!({"enum": ["a", "b"]}),
            Keyword::MinLength => json!({"type": "string", "minLength": 3}),
            Keyword::MaxLength => json!({"type": "string", "maxLength": 3}),
            Keyword::Pattern => json!({"type": "string", "pattern": "^[a-z]+$"}),
            Keyword::Format => json!({"type": "string", "format": "date"}),
            Keyword::Minimum => json!({"type": "integer", "minimum": 5}),
            Keyword::Maximum => json!({"type": "number", "maximum": 5.5}),
            Keyword::ExclusiveMinimum => json!({"type": "number", "exclusiveMinimum": 0}),
            Keyword::ExclusiveMaximum => json!({"type": "integer", "exclusiveMaximum": 10}),
            Keyword::MultipleOf => json!({"type": "number", "multipleOf": 0.5}),
            Keyword::MinItems => json!({"type": "array", "minItems": 2}),
            Keyword::MaxItems => json!({"type": "array", "maxItems": 1}),
            Keyword::UniqueItems => json!({"type": "array", "uniqueItems": true}),
            Keyword::Contains | Keyword::MinContains => {
                json!({"type": "array", "contains": {"type": "integer"}, "minContains": 2})
            }
            Keyword::MaxContains => {
                json!({"type": "array", "contains": {"type": "integer"}, "maxContains": 1})
            }
            Keyword::UnevaluatedItems => json!({"type": "array",
                "prefixItems": [{"type": "string"}], "unevaluatedItems": false}),
            Keyword::AdditionalProperties => json!({"type": "object",
                "properties": {"a": {}}, "additionalProperties": false}),
            Keyword::UnevaluatedProperties => json!({"type": "object",
                "allOf": [{"properties": {"a": {}}}], "unevaluatedProperties": false}),
            Keyword::PropertyNames => json!({"type": "object", "propertyNames": {"maxLength": 2}}),
            Keyword::MinProperties => json!({"type": "object", "minProperties": 1}),
            Keyword::MaxProperties => json!({"type": "object", "maxProperties": 1}),
            Keyword::Required => json!({"type": "object", "required": ["a"],
                "properties": {"a": {"type": "string"}}}),
            Keyword::DependentRequired => {
                json!({"type": "object", "dependentRequired": {"a": ["b"]}})
            }
            Keyword::DependentSchemas => {
                json!({"type": "object", "dependentSchemas": {"a": {"required": ["b"]}}})
            }
            Keyword::AnyOf => json!({"anyOf": [{"type": "string"}, {"type": "integer"}]}),
            Keyword::OneOf => json!({"oneOf": [{"type": "string"}, {"type": "integer"}]}),
            Keyword::Not => json!({"not": {"type": "string"}}),
            Keyword::If | Keyword::Then => {
                json!({"if": {"type": "string"}, "then": {"minLength": 20}})
            }
            Keyword::Else => {
                json!({"if": {"type": "string"}, "then": true, "else": {"type": "integer"}})
            }
            _ => return None,
        })
    }

    /// Every keyword that [`treatment`] says a reject breaks is broken, one level down, by a
    /// reject of that family that the whole schema really refuses.
    #[test]
    fn every_keyword_a_reject_breaks_is_broken_at_depth() {
        for keyword in Keyword::ALL.iter().copied() {
            let Treatment::Breaks(family) = treatment(keyword) else {
                continue;
            };
            let inner =
                sample(keyword).unwrap_or_else(|| panic!("`{}` needs a sample", keyword.name()));
            let document = json!({"type": "object", "required": ["x"], "properties": {"x": inner}});
            let validator = crate::schema::validator_options()
                .with_draft(jsonschema::Draft::Draft202012)
                .build(&document)
                .expect("compiles");
            let solver = Solver::new(Arc::new(Subschemas::new(Arc::new(document.clone()))));
            let base = solver.first("", 0).expect("a valid value");
            let broken = solver.variants("", &base, "", 0).into_iter().any(|v| {
                v.side == Side::Reject
                    && v.kind == family
                    && v.at.starts_with("/x")
                    && !validator.is_valid(&v.value)
            });
            assert!(
                broken,
                "`{}`: no {family} reject in {document}",
                keyword.name()
            );
        }
    }
}
