//! Reads a JSON Schema document into a [`Node`] tree the generators can work from.
//!
//! Owns the schema knowledge of generation: types, `enum`, `const`, `format`, string and number
//! limits, object properties and `required`, array items, local `$ref`s (`#/...`), and the
//! first branch of `anyOf`/`oneOf`. It builds the minimal (required-only) and full
//! (all-fields) values of each node. It does not validate: every payload built from a node is
//! checked against the compiled validator by the caller, so a keyword this walk does not
//! understand can only drop a planned request, never mislabel one.

use crate::schema::Keyword;
use serde_json::{Map, Value};

/// The JSON types a node admits, as a small bit set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Types(u8);

impl Types {
    pub(super) const STRING: Types = Types(1);
    pub(super) const NUMBER: Types = Types(2);
    pub(super) const INTEGER: Types = Types(4);
    pub(super) const BOOLEAN: Types = Types(8);
    pub(super) const OBJECT: Types = Types(16);
    pub(super) const ARRAY: Types = Types(32);
    pub(super) const NULL: Types = Types(64);
    pub(super) const ANY: Types = Types(127);

    fn named(name: &str) -> Types {
        match name {
            "string" => Types::STRING,
            "number" => Types::NUMBER,
            "integer" => Types::INTEGER,
            "boolean" => Types::BOOLEAN,
            "object" => Types::OBJECT,
            "array" => Types::ARRAY,
            "null" => Types::NULL,
            _ => Types(0),
        }
    }

    /// The type a solver's kind names.
    pub(super) fn of(kind: super::solve::value::Kind) -> Types {
        use super::solve::value::Kind;
        match kind {
            Kind::String => Types::STRING,
            Kind::Number => Types::NUMBER,
            Kind::Integer => Types::INTEGER,
            Kind::Boolean => Types::BOOLEAN,
            Kind::Object => Types::OBJECT,
            Kind::Array => Types::ARRAY,
            Kind::Null => Types::NULL,
        }
    }

    pub(super) fn contains(self, other: Types) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether a value of this type would be admitted (`integer` counts as a `number`).
    pub(super) fn admits(self, other: Types) -> bool {
        self.contains(other) || (other == Types::INTEGER && self.contains(Types::NUMBER))
    }
}

/// What a node's values look like: the type chosen to build them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    String,
    Number,
    Integer,
    Boolean,
    Object,
    Array,
    Null,
}

/// Limits on strings.
#[derive(Debug, Clone, Default)]
pub(crate) struct StringRules {
    pub min_len: usize,
    pub max_len: Option<usize>,
    pub has_pattern: bool,
    pub format: Option<String>,
}

/// Limits on numbers. Exclusive bounds are folded into `min`/`max` with a flag.
#[derive(Debug, Clone, Default)]
pub(crate) struct NumberRules {
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub exclusive_min: bool,
    pub exclusive_max: bool,
    pub multiple_of: Option<f64>,
}

impl NumberRules {
    /// Whether `x` satisfies these limits.
    pub(super) fn admits(&self, x: f64) -> bool {
        let above = self
            .min
            .is_none_or(|m| if self.exclusive_min { x > m } else { x >= m });
        let below = self
            .max
            .is_none_or(|m| if self.exclusive_max { x < m } else { x <= m });
        let multiple = self
            .multiple_of
            .is_none_or(|m| m > 0.0 && (x / m).fract() == 0.0);
        above && below && multiple
    }
}

/// One property of an object node.
#[derive(Debug, Clone)]
pub(crate) struct Property {
    pub name: String,
    pub required: bool,
    pub node: Node,
}

/// One schema, resolved: everything generation needs to know about the values it admits.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    /// Where this node's keywords sit in the schema document (after `$ref` resolution).
    pub pointer: String,
    pub types: Types,
    pub shape: Shape,
    pub enum_values: Option<Vec<Value>>,
    pub const_value: Option<Value>,
    /// `examples[0]` or `default`, tried before the built-in base values.
    pub hint: Option<Value>,
    pub string: StringRules,
    pub number: NumberRules,
    pub properties: Vec<Property>,
    pub items: Option<Box<Node>>,
    pub min_items: usize,
    /// A `$ref` that points back into its own ancestors: not expanded further.
    pub cyclic: bool,
}

/// A `$ref` that cannot be followed. The loader already rejects dangling references, so this
/// only guards against schemas built by other importers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WalkError {
    pub pointer: String,
    pub problem: String,
}

/// Read the whole document into a node tree.
pub(crate) fn walk(document: &Value) -> Result<Node, WalkError> {
    Walker {
        document,
        index: crate::schema::Index::new(document),
        refs: Vec::new(),
    }
    .node(document, String::new())
}

struct Walker<'a> {
    document: &'a Value,
    /// Where `$id`s and anchors are, to resolve references to pointers.
    index: crate::schema::Index,
    /// The `$ref` targets being expanded, to stop at cycles.
    refs: Vec<String>,
}

impl<'a> Walker<'a> {
    fn node(&mut self, schema: &'a Value, pointer: String) -> Result<Node, WalkError> {
        let Value::Object(map) = schema else {
            // `true`, `false` or garbage: admit anything (the validator has the last word).
            return Ok(Node::any(pointer));
        };
        if let Some(Value::String(target)) = map.get(Keyword::Ref.name()) {
            return self.reference(target, &pointer);
        }
        for branching in [Keyword::AnyOf.name(), Keyword::OneOf.name()] {
            if let (Some(Value::Array(branches)), None) =
                (map.get(branching), map.get(Keyword::Type.name()))
            {
                if let Some(first) = branches.first() {
                    return self.node(first, format!("{pointer}/{branching}/0"));
                }
            }
        }
        self.plain(map, pointer)
    }

    fn reference(&mut self, target: &str, pointer: &str) -> Result<Node, WalkError> {
        let resolved = self.index.resolve(pointer, target);
        let Some(fragment) = resolved.as_deref() else {
            let problem = if target.starts_with('#') {
                format!("`$ref: \"{target}\"` points at nothing")
            } else {
                format!("`$ref: \"{target}\"` is not a local reference")
            };
            return Err(WalkError {
                pointer: format!("{pointer}/$ref"),
                problem,
            });
        };
        if self.refs.iter().any(|r| r == fragment) {
            let mut node = Node::any(fragment.to_owned());
            node.cyclic = true;
            return Ok(node);
        }
        let Some(resolved) = self.document.pointer(fragment) else {
            return Err(WalkError {
                pointer: format!("{pointer}/$ref"),
                problem: format!("`$ref: \"{target}\"` points at nothing"),
            });
        };
        self.refs.push(fragment.to_owned());
        let node = self.node(resolved, fragment.to_owned());
        self.refs.pop();
        node
    }

    fn plain(&mut self, map: &'a Map<String, Value>, pointer: String) -> Result<Node, WalkError> {
        let mut node = Node::any(pointer);
        node.enum_values = match map.get(Keyword::Enum.name()) {
            Some(Value::Array(values)) => Some(values.clone()),
            _ => None,
        };
        node.const_value = map.get(Keyword::Const.name()).cloned();
        node.hint = hint(map);
        node.string = string_rules(map);
        node.number = number_rules(map);
        node.min_items = usize_of(map.get(Keyword::MinItems.name())).unwrap_or(0);
        self.properties(map, &mut node)?;
        self.merge_all_of(map, &mut node)?;
        if let Some(items) = map.get(Keyword::Items.name()) {
            let items_pointer = format!("{}/items", node.pointer);
            node.items = Some(Box::new(self.node(items, items_pointer)?));
        }
        let (types, listed) = types_of(map);
        node.types = types;
        node.shape = shape_of(&node, listed.first().copied());
        Ok(node)
    }

    fn properties(
        &mut self,
        map: &'a Map<String, Value>,
        node: &mut Node,
    ) -> Result<(), WalkError> {
        let required: Vec<&str> = match map.get(Keyword::Required.name()) {
            Some(Value::Array(names)) => names.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if let Some(Value::Object(properties)) = map.get(Keyword::Properties.name()) {
            for (name, schema) in properties {
                let pointer = format!("{}/properties/{}", node.pointer, escape(name));
                node.properties.push(Property {
                    name: name.clone(),
                    required: required.contains(&name.as_str()),
                    node: self.node(schema, pointer)?,
                });
            }
        }
        // A required name with no property schema still has to be sent: any value will do.
        for name in required {
            if !node.properties.iter().any(|p| p.name == name) {
                let pointer = format!("{}/required", node.pointer);
                node.properties.push(Property {
                    name: name.to_owned(),
                    required: true,
                    node: Node::any(pointer),
                });
            }
        }
        Ok(())
    }

    /// `allOf` branches add their properties and requirements to the node.
    fn merge_all_of(
        &mut self,
        map: &'a Map<String, Value>,
        node: &mut Node,
    ) -> Result<(), WalkError> {
        let Some(Value::Array(branches)) = map.get(Keyword::AllOf.name()) else {
            return Ok(());
        };
        for (i, branch) in branches.iter().enumerate() {
            let merged = self.node(branch, format!("{}/allOf/{i}", node.pointer))?;
            for property in merged.properties {
                match node.properties.iter_mut().find(|p| p.name == property.name) {
                    Some(existing) => existing.required |= property.required,
                    None => node.properties.push(property),
                }
            }
        }
        Ok(())
    }
}

impl Node {
    fn any(pointer: String) -> Node {
        Node {
            pointer,
            types: Types::ANY,
            shape: Shape::String,
            enum_values: None,
            const_value: None,
            hint: None,
            string: StringRules::default(),
            number: NumberRules::default(),
            properties: Vec::new(),
            items: None,
            min_items: 0,
            cyclic: false,
        }
    }

    /// Whether the node's values are fixed by `const` or `enum`.
    pub(super) fn is_fixed(&self) -> bool {
        self.const_value.is_some() || self.enum_values.is_some()
    }

    /// The simplest value: required properties only, every leaf at its base value.
    pub(super) fn minimal(&self) -> Value {
        self.value(Fill::Required)
    }

    /// A value with every known property present.
    pub(super) fn full(&self) -> Value {
        self.value(Fill::All)
    }

    fn value(&self, fill: Fill) -> Value {
        if let Some(value) = &self.const_value {
            return value.clone();
        }
        if let Some(hint) = self.hint.as_ref().filter(|h| self.fits(h)) {
            return hint.clone();
        }
        if let Some(first) = self.enum_values.as_ref().and_then(|v| v.first()) {
            return first.clone();
        }
        match self.shape {
            Shape::String => Value::String(base_string(&self.string)),
            Shape::Number => number_value(base_number(&self.number, 1.5)),
            Shape::Integer => number_value(base_number(&self.number, 1.0)),
            Shape::Boolean => Value::Bool(true),
            Shape::Null => Value::Null,
            Shape::Object => self.object(fill),
            Shape::Array => self.array(fill),
        }
    }

    /// Whether a scalar `examples[0]`/`default` can serve as the base value: a schema's own
    /// example may be wrong, and a wrong one must not make the whole schema unusable.
    fn fits(&self, value: &Value) -> bool {
        let rules_ok = match value {
            Value::String(text) => {
                let len = text.chars().count();
                len >= self.string.min_len && self.string.max_len.is_none_or(|max| len <= max)
            }
            Value::Number(n) => n.as_f64().is_some_and(|x| self.number.admits(x)),
            Value::Bool(_) | Value::Null => true,
            Value::Array(_) | Value::Object(_) => false,
        };
        let enum_ok = self.enum_values.as_ref().is_none_or(|v| v.contains(value));
        rules_ok && enum_ok && self.types.admits(type_of(value))
    }

    fn object(&self, fill: Fill) -> Value {
        let map = self
            .properties
            .iter()
            .filter(|p| p.required || (fill == Fill::All && !p.node.cyclic))
            .map(|p| (p.name.clone(), p.node.value(fill)))
            .collect();
        Value::Object(map)
    }

    fn array(&self, fill: Fill) -> Value {
        let count = self.min_items.max(usize::from(fill == Fill::All));
        let item = self.items.as_ref().map_or(Value::Null, |i| i.value(fill));
        Value::Array(vec![item; count])
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fill {
    Required,
    All,
}

/// The JSON type of a value (whole numbers count as integers).
fn type_of(value: &Value) -> Types {
    match value {
        Value::String(_) => Types::STRING,
        Value::Number(n) if n.as_f64().is_some_and(|x| x.fract() == 0.0) => Types::INTEGER,
        Value::Number(_) => Types::NUMBER,
        Value::Bool(_) => Types::BOOLEAN,
        Value::Object(_) => Types::OBJECT,
        Value::Array(_) => Types::ARRAY,
        Value::Null => Types::NULL,
    }
}

pub(crate) use super::solve::number_value;

/// The base string for a format, or a short plain word fitted to the length limits.
pub(crate) fn base_string(rules: &StringRules) -> String {
    if let Some(example) = rules.format.as_deref().and_then(format_example) {
        return example.to_owned();
    }
    let mut word: String = "specgate"
        .chars()
        .take(rules.max_len.unwrap_or(8))
        .collect();
    while word.chars().count() < rules.min_len {
        word.push('x');
    }
    word
}

/// The plainest valid value of a `format` the solver knows.
fn format_example(format: &str) -> Option<&'static str> {
    super::solve::format::valid(format).first().copied()
}

fn base_number(rules: &NumberRules, preferred: f64) -> f64 {
    let step = rules.multiple_of.filter(|m| *m > 0.0);
    let candidates = [preferred, 0.0, 1.0, -1.0];
    if let Some(x) = candidates.into_iter().find(|x| rules.admits(*x)) {
        return x;
    }
    let start = rules.min.unwrap_or(0.0) + if rules.exclusive_min { 1.0 } else { 0.0 };
    let start = rules.max.map_or(start, |max| start.min(max));
    step.map_or(start, |m| (start / m).ceil() * m)
}

fn hint(map: &Map<String, Value>) -> Option<Value> {
    let example = match map.get(Keyword::Examples.name()) {
        Some(Value::Array(examples)) => examples.first().cloned(),
        _ => None,
    };
    example.or_else(|| map.get(Keyword::Default.name()).cloned())
}

fn string_rules(map: &Map<String, Value>) -> StringRules {
    StringRules {
        min_len: usize_of(map.get(Keyword::MinLength.name())).unwrap_or(0),
        max_len: usize_of(map.get(Keyword::MaxLength.name())),
        has_pattern: map.contains_key(Keyword::Pattern.name()),
        format: map
            .get(Keyword::Format.name())
            .and_then(Value::as_str)
            .map(str::to_owned),
    }
}

fn number_rules(map: &Map<String, Value>) -> NumberRules {
    let get = |key: &str| map.get(key).and_then(Value::as_f64);
    let (min, exclusive_min) = match get(Keyword::ExclusiveMinimum.name()) {
        Some(x) => (Some(x), true),
        None => (get(Keyword::Minimum.name()), false),
    };
    let (max, exclusive_max) = match get(Keyword::ExclusiveMaximum.name()) {
        Some(x) => (Some(x), true),
        None => (get(Keyword::Maximum.name()), false),
    };
    // An OpenAPI numeric format (`int32`) bounds the values as `minimum`/`maximum` would.
    let format = crate::schema::NumericFormat::of(map).and_then(|f| f.range());
    let (min, exclusive_min) = match (min, format) {
        (Some(m), Some((lo, _))) if m < lo => (Some(lo), false),
        (None, Some((lo, _))) => (Some(lo), false),
        (min, _) => (min, exclusive_min),
    };
    let (max, exclusive_max) = match (max, format) {
        (Some(m), Some((_, hi))) if m > hi => (Some(hi), false),
        (None, Some((_, hi))) => (Some(hi), false),
        (max, _) => (max, exclusive_max),
    };
    NumberRules {
        min,
        max,
        exclusive_min,
        exclusive_max,
        multiple_of: get(Keyword::MultipleOf.name()),
    }
}

fn usize_of(value: Option<&Value>) -> Option<usize> {
    super::solve::whole_number(value?)
}

/// The admitted types and the listed ones in the schema's order (empty when untyped).
fn types_of(map: &Map<String, Value>) -> (Types, Vec<Types>) {
    let listed: Vec<Types> = match map.get(Keyword::Type.name()) {
        Some(Value::String(name)) => vec![Types::named(name)],
        Some(Value::Array(names)) => names
            .iter()
            .filter_map(Value::as_str)
            .map(Types::named)
            .collect(),
        _ => Vec::new(),
    };
    if listed.is_empty() {
        return (Types::ANY, listed);
    }
    let set = listed.iter().fold(Types(0), |acc, t| Types(acc.0 | t.0));
    (set, listed)
}

fn shape_of(node: &Node, first_listed: Option<Types>) -> Shape {
    match first_listed {
        Some(t) if t == Types::STRING => Shape::String,
        Some(t) if t == Types::NUMBER => Shape::Number,
        Some(t) if t == Types::INTEGER => Shape::Integer,
        Some(t) if t == Types::BOOLEAN => Shape::Boolean,
        Some(t) if t == Types::OBJECT => Shape::Object,
        Some(t) if t == Types::ARRAY => Shape::Array,
        Some(t) if t == Types::NULL => Shape::Null,
        _ if !node.properties.is_empty() => Shape::Object,
        _ if node.items.is_some() => Shape::Array,
        _ => Shape::String,
    }
}

pub(crate) use crate::schema::escape;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn required_only_and_all_fields_follow_required() {
        let schema = json!({"type": "object", "required": ["a"],
            "properties": {"a": {"type": "string"}, "b": {"type": "integer"}}});
        let node = walk(&schema).expect("walks");
        assert_eq!(node.minimal(), json!({"a": "specgate"}));
        assert_eq!(node.full(), json!({"a": "specgate", "b": 1}));
    }

    #[test]
    fn local_refs_are_followed_and_cycles_stop() {
        let schema = json!({"type": "object", "required": ["p"],
            "properties": {"p": {"$ref": "#/$defs/P"}},
            "$defs": {"P": {"type": "object", "properties": {"next": {"$ref": "#/$defs/P"}}}}});
        let node = walk(&schema).expect("walks");
        assert_eq!(node.properties[0].node.pointer, "/$defs/P");
        assert!(node.properties[0].node.properties[0].node.cyclic);
    }

    #[test]
    fn dangling_refs_are_reported_with_their_pointer() {
        let schema = json!({"properties": {"p": {"$ref": "#/$defs/Nope"}}});
        let error = walk(&schema).expect_err("dangling");
        assert_eq!(error.pointer, "/properties/p/$ref");
    }

    #[test]
    fn a_fitting_example_is_the_base_value_and_a_wrong_one_is_ignored() {
        let schema = json!({"type": "object", "required": ["a", "b"], "properties": {
            "a": {"type": "string", "examples": ["Jane"]},
            "b": {"type": "integer", "default": "seven"}}});
        let node = walk(&schema).expect("walks");
        assert_eq!(node.minimal(), json!({"a": "Jane", "b": 1}));
    }

    #[test]
    fn base_values_respect_limits() {
        let schema = json!({"type": "object", "required": ["s", "n"], "properties": {
            "s": {"type": "string", "minLength": 10, "maxLength": 12},
            "n": {"type": "number", "minimum": 5, "maximum": 9}}});
        let node = walk(&schema).expect("walks");
        assert_eq!(node.minimal(), json!({"s": "specgatexx", "n": 5}));
    }
}
