//! The outline of a request schema that the coverage plan, random draws and the coverage
//! tracker share: each subschema's rules as its family module reads them (`type`, `enum`,
//! `const` and hints from [`value`], lengths and format from [`string`], the number interval
//! from [`number`]), its properties and items, with `$ref`s followed (through
//! [`crate::schema::Index`]) and cycles cut; and from it the plainest and the fullest value,
//! and every property at any depth as a [`Field`].
//!
//! It reads, it does not judge: every payload built from an outline is checked against the
//! compiled validator by the caller, so a keyword it does not follow (the second branch of an
//! `anyOf`, a `pattern`) can only drop a planned request, never mislabel one.

use super::number::{self, Limits};
use super::string;
use super::value::{self, Kind};
use crate::schema::{escape, Index, Keyword};
use serde_json::{Map, Value};

/// One subschema, its references followed: what its values look like.
#[derive(Debug, Clone)]
pub(crate) struct Outline {
    /// Where its keywords sit in the document (after `$ref`s are followed).
    pub pointer: String,
    /// The types `type` admits (every type when it is absent).
    pub kinds: Vec<Kind>,
    /// The type values are built as: the first listed, else what its keywords hint at.
    pub shape: Kind,
    pub enum_values: Option<Vec<Value>>,
    pub const_value: Option<Value>,
    /// `examples[0]` or `default`, tried before the plainest value of the shape.
    pub hint: Option<Value>,
    pub string: string::Rules,
    pub number: Limits,
    pub properties: Vec<Property>,
    pub items: Option<Box<Outline>>,
    pub min_items: usize,
    /// A `$ref` back into its own ancestors: not followed further.
    pub cyclic: bool,
}

/// One property of an object's outline.
#[derive(Debug, Clone)]
pub(crate) struct Property {
    pub name: String,
    pub required: bool,
    pub outline: Outline,
}

/// A `$ref` that cannot be followed. The loader already refuses dangling references, so this
/// only guards against schemas other importers built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unresolved {
    pub pointer: String,
    pub problem: String,
}

impl Outline {
    /// The outline of the whole `document`.
    pub(crate) fn of(document: &Value) -> Result<Outline, Unresolved> {
        Reader {
            document,
            index: Index::new(document),
            refs: Vec::new(),
        }
        .outline(document, String::new())
    }

    fn any(pointer: String) -> Outline {
        Outline {
            pointer,
            kinds: Kind::ALL.to_vec(),
            shape: Kind::String,
            enum_values: None,
            const_value: None,
            hint: None,
            string: string::Rules::default(),
            number: Limits::default(),
            properties: Vec::new(),
            items: None,
            min_items: 0,
            cyclic: false,
        }
    }

    /// Whether its values are fixed by `const` or `enum`.
    pub(crate) fn is_fixed(&self) -> bool {
        self.const_value.is_some() || self.enum_values.is_some()
    }

    /// The plainest value: required properties only, every leaf at its plainest.
    pub(crate) fn minimal(&self) -> Value {
        self.value(Fill::Required)
    }

    /// A value with every listed property present.
    pub(crate) fn full(&self) -> Value {
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
            Kind::String => Value::String(string::plainest(&self.string)),
            Kind::Number => super::number_value(self.number.plainest(1.5)),
            Kind::Integer => super::number_value(self.number.plainest(1.0)),
            Kind::Boolean => Value::Bool(true),
            Kind::Null => Value::Null,
            Kind::Object => self.object(fill),
            Kind::Array => self.array(fill),
        }
    }

    /// Whether a scalar hint can serve as the plainest value: a schema's own example may be
    /// wrong, and a wrong one must not make the whole schema unusable.
    fn fits(&self, value: &Value) -> bool {
        let rules_ok = match value {
            Value::String(text) => self.string.fits(text),
            Value::Number(n) => n.as_f64().is_some_and(|x| self.number.admits(x)),
            Value::Bool(_) | Value::Null => true,
            Value::Array(_) | Value::Object(_) => false,
        };
        let enum_ok = self.enum_values.as_ref().is_none_or(|v| v.contains(value));
        rules_ok && enum_ok && self.kinds.contains(&value::kind_of(value))
    }

    fn object(&self, fill: Fill) -> Value {
        let map = self
            .properties
            .iter()
            .filter(|p| p.required || (fill == Fill::All && !p.outline.cyclic))
            .map(|p| (p.name.clone(), p.outline.value(fill)))
            .collect();
        Value::Object(map)
    }

    fn array(&self, fill: Fill) -> Value {
        let count = self.min_items.max(usize::from(fill == Fill::All));
        let item = self.items.as_ref().map_or(Value::Null, |i| i.value(fill));
        Value::Array(vec![item; count])
    }

    /// Every property, depth first in schema order (not below arrays or cycles).
    pub(crate) fn fields(&self) -> Vec<Field> {
        let mut out = Vec::new();
        collect(self, &mut Vec::new(), &mut Vec::new(), &mut out);
        out
    }

    /// Its required property names, in schema order.
    pub(crate) fn required_names(&self) -> Vec<String> {
        self.properties
            .iter()
            .filter(|p| p.required)
            .map(|p| p.name.clone())
            .collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fill {
    Required,
    All,
}

struct Reader<'a> {
    document: &'a Value,
    index: Index,
    /// The `$ref` targets being followed, to stop at cycles.
    refs: Vec<String>,
}

impl<'a> Reader<'a> {
    fn outline(&mut self, schema: &'a Value, pointer: String) -> Result<Outline, Unresolved> {
        let Value::Object(map) = schema else {
            // `true`, `false` or garbage: anything (the validator has the last word).
            return Ok(Outline::any(pointer));
        };
        if let Some(Value::String(target)) = map.get(Keyword::Ref.name()) {
            return self.reference(target, &pointer);
        }
        // Of an untyped `anyOf`/`oneOf`, the first branch.
        for branching in [Keyword::AnyOf, Keyword::OneOf] {
            if let (Some(Value::Array(branches)), None) =
                (map.get(branching.name()), map.get(Keyword::Type.name()))
            {
                if let Some(first) = branches.first() {
                    let at = format!("{pointer}/{}/0", branching.name());
                    return self.outline(first, at);
                }
            }
        }
        self.plain(map, pointer)
    }

    fn reference(&mut self, target: &str, pointer: &str) -> Result<Outline, Unresolved> {
        let unresolved = |problem: &str| Unresolved {
            pointer: format!("{pointer}/{}", Keyword::Ref.name()),
            problem: format!("`$ref: \"{target}\"` {problem}"),
        };
        let Some(fragment) = self.index.resolve(pointer, target) else {
            return Err(unresolved(if target.starts_with('#') {
                "points at nothing"
            } else {
                "is not a local reference"
            }));
        };
        if self.refs.contains(&fragment) {
            let mut outline = Outline::any(fragment);
            outline.cyclic = true;
            return Ok(outline);
        }
        let Some(resolved) = self.document.pointer(&fragment) else {
            return Err(unresolved("points at nothing"));
        };
        self.refs.push(fragment.clone());
        let outline = self.outline(resolved, fragment);
        self.refs.pop();
        outline
    }

    fn plain(
        &mut self,
        map: &'a Map<String, Value>,
        pointer: String,
    ) -> Result<Outline, Unresolved> {
        let mut outline = Outline::any(pointer);
        outline.enum_values = match map.get(Keyword::Enum.name()) {
            Some(Value::Array(values)) => Some(values.clone()),
            _ => None,
        };
        outline.const_value = map.get(Keyword::Const.name()).cloned();
        outline.hint = value::hint(map);
        outline.string = string::Rules::read(map);
        outline.number = number::Rules::read(map).limits();
        outline.min_items = super::count(map, Keyword::MinItems.name()).unwrap_or(0);
        self.properties(map, &mut outline)?;
        self.merge_all_of(map, &mut outline)?;
        if let Some(items) = map.get(Keyword::Items.name()) {
            let at = format!("{}/{}", outline.pointer, Keyword::Items.name());
            outline.items = Some(Box::new(self.outline(items, at)?));
        }
        outline.kinds = value::admitted(map);
        outline.shape = match value::listed(map).first() {
            Some(kind) => *kind,
            None if !outline.properties.is_empty() => Kind::Object,
            None if outline.items.is_some() => Kind::Array,
            None => Kind::String,
        };
        Ok(outline)
    }

    fn properties(
        &mut self,
        map: &'a Map<String, Value>,
        outline: &mut Outline,
    ) -> Result<(), Unresolved> {
        let required: Vec<&str> = match map.get(Keyword::Required.name()) {
            Some(Value::Array(names)) => names.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if let Some(Value::Object(properties)) = map.get(Keyword::Properties.name()) {
            for (name, schema) in properties {
                let at = format!(
                    "{}/{}/{}",
                    outline.pointer,
                    Keyword::Properties.name(),
                    escape(name)
                );
                outline.properties.push(Property {
                    name: name.clone(),
                    required: required.contains(&name.as_str()),
                    outline: self.outline(schema, at)?,
                });
            }
        }
        // A required name with no property schema still has to be sent: any value will do.
        for name in required {
            if !outline.properties.iter().any(|p| p.name == name) {
                let at = format!("{}/{}", outline.pointer, Keyword::Required.name());
                outline.properties.push(Property {
                    name: name.to_owned(),
                    required: true,
                    outline: Outline::any(at),
                });
            }
        }
        Ok(())
    }

    /// `allOf` branches add their properties and requirements.
    fn merge_all_of(
        &mut self,
        map: &'a Map<String, Value>,
        outline: &mut Outline,
    ) -> Result<(), Unresolved> {
        let Some(Value::Array(branches)) = map.get(Keyword::AllOf.name()) else {
            return Ok(());
        };
        for (i, branch) in branches.iter().enumerate() {
            let at = format!("{}/{}/{i}", outline.pointer, Keyword::AllOf.name());
            let merged = self.outline(branch, at)?;
            for property in merged.properties {
                match outline
                    .properties
                    .iter_mut()
                    .find(|p| p.name == property.name)
                {
                    Some(existing) => existing.required |= property.required,
                    None => outline.properties.push(property),
                }
            }
        }
        Ok(())
    }
}

/// One property, anywhere in the payload.
#[derive(Debug, Clone)]
pub(crate) struct Field {
    /// Property names from the root.
    pub path: Vec<String>,
    /// Whether its parent object requires it.
    pub required: bool,
    /// The plainest value of each ancestor property, used when the ancestor is absent.
    pub parents: Vec<Value>,
    pub outline: Outline,
}

impl Field {
    /// How reasons name the field: the property name at the top level, a JSON pointer below.
    pub(crate) fn label(&self) -> String {
        match self.path.as_slice() {
            [name] => name.clone(),
            path => path.iter().map(|p| format!("/{}", escape(p))).collect(),
        }
    }

    /// Set the field in `payload` to `value`, adding absent ancestors at their plainest.
    pub(crate) fn set(&self, payload: &mut Value, value: Value) {
        let Some((last, ancestors)) = self.path.split_last() else {
            return;
        };
        let mut current = payload;
        for (name, parent_value) in ancestors.iter().zip(&self.parents) {
            let Some(map) = current.as_object_mut() else {
                return;
            };
            current = map
                .entry(name.clone())
                .or_insert_with(|| parent_value.clone());
        }
        if let Some(map) = current.as_object_mut() {
            map.insert(last.clone(), value);
        }
    }

    /// The field's value in `payload`, if present.
    pub(crate) fn get<'v>(&self, payload: &'v Value) -> Option<&'v Value> {
        self.path
            .iter()
            .try_fold(payload, |node, name| node.as_object()?.get(name))
    }
}

fn collect(
    outline: &Outline,
    path: &mut Vec<String>,
    parents: &mut Vec<Value>,
    out: &mut Vec<Field>,
) {
    for property in &outline.properties {
        path.push(property.name.clone());
        out.push(Field {
            path: path.clone(),
            required: property.required,
            parents: parents.clone(),
            outline: property.outline.clone(),
        });
        if !property.outline.cyclic && !property.outline.properties.is_empty() {
            parents.push(property.outline.minimal());
            collect(&property.outline, path, parents, out);
            parents.pop();
        }
        path.pop();
    }
}

/// `payload` without the named top-level properties.
pub(crate) fn without(payload: &Value, names: &[&str]) -> Value {
    let mut copy = payload.clone();
    remove_properties(&mut copy, names);
    copy
}

/// Drop the named top-level properties of `payload` in place, keeping the others' order.
pub(crate) fn remove_properties(payload: &mut Value, names: &[&str]) {
    if let Value::Object(map) = payload {
        map.retain(|name, _| !names.contains(&name.as_str()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn required_only_and_all_fields_follow_required() {
        let schema = json!({"type": "object", "required": ["a"],
            "properties": {"a": {"type": "string"}, "b": {"type": "integer"}}});
        let outline = Outline::of(&schema).expect("reads");
        assert_eq!(outline.minimal(), json!({"a": "specgate"}));
        assert_eq!(outline.full(), json!({"a": "specgate", "b": 1}));
    }

    #[test]
    fn local_refs_are_followed_and_cycles_stop() {
        let schema = json!({"type": "object", "required": ["p"],
            "properties": {"p": {"$ref": "#/$defs/P"}},
            "$defs": {"P": {"type": "object", "properties": {"next": {"$ref": "#/$defs/P"}}}}});
        let outline = Outline::of(&schema).expect("reads");
        assert_eq!(outline.properties[0].outline.pointer, "/$defs/P");
        assert!(outline.properties[0].outline.properties[0].outline.cyclic);
    }

    #[test]
    fn dangling_refs_are_reported_with_their_pointer() {
        let schema = json!({"properties": {"p": {"$ref": "#/$defs/Nope"}}});
        let error = Outline::of(&schema).expect_err("dangling");
        assert_eq!(error.pointer, "/properties/p/$ref");
    }

    #[test]
    fn a_fitting_example_is_the_plainest_value_and_a_wrong_one_is_ignored() {
        let schema = json!({"type": "object", "required": ["a", "b"], "properties": {
            "a": {"type": "string", "examples": ["Jane"]},
            "b": {"type": "integer", "default": "seven"}}});
        let outline = Outline::of(&schema).expect("reads");
        assert_eq!(outline.minimal(), json!({"a": "Jane", "b": 1}));
    }

    #[test]
    fn plainest_values_respect_limits() {
        let schema = json!({"type": "object", "required": ["s", "n", "f"], "properties": {
            "s": {"type": "string", "minLength": 10, "maxLength": 12},
            "n": {"type": "number", "minimum": 5, "maximum": 9},
            "f": {"type": "integer", "format": "int32", "minimum": 3}}});
        let outline = Outline::of(&schema).expect("reads");
        assert_eq!(
            outline.minimal(),
            json!({"s": "specgatexx", "n": 5, "f": 3})
        );
    }

    /// Fields reach nested properties, named by pointer below the top level, and set one
    /// into a payload without its ancestor by adding the ancestor at its plainest.
    #[test]
    fn nested_fields_are_set_with_their_ancestors() {
        let schema = json!({"type": "object", "properties": {"a/b": {"type": "object",
            "required": ["c"], "properties": {"c": {"type": "string"}, "d": {"type": "integer"}}}}});
        let outline = Outline::of(&schema).expect("reads");
        let fields = outline.fields();
        let labels: Vec<String> = fields.iter().map(Field::label).collect();
        assert_eq!(labels, ["a/b", "/a~1b/c", "/a~1b/d"]);
        let mut payload = json!({});
        fields[2].set(&mut payload, json!(7));
        assert_eq!(payload, json!({"a/b": {"c": "specgate", "d": 7}}));
        assert_eq!(fields[2].get(&payload), Some(&json!(7)));
    }
}
