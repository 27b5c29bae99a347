//! OpenAPI Schema Objects → self-contained JSON Schema 2020-12 documents.
//!
//! Every `$ref` (to `#/components/schemas/...` or to another file) is translated once per
//! document ([`Sources::shared`]) under a readable name and pointed at as `#/$defs/NAME`, so
//! circular references stay circular; the referring schema holds no copy (a large document's
//! operations reach most of its definitions), and [`Definitions::self_contained`] makes the
//! document that needs no other file when one is wanted. For OpenAPI 3.0, the dialect differences are
//! translated: `nullable: true` adds `null` to `type`, boolean
//! `exclusiveMinimum`/`exclusiveMaximum` become numbers, `example` becomes `examples`, and
//! `$ref` siblings are dropped as 3.0 says. A `discriminator` becomes what it means in JSON
//! Schema: each schema it selects requires the discriminating property to hold the values
//! that select it (so `oneOf` branches that share a base no longer overlap). OpenAPI-only
//! annotations that never change what is valid (`xml`, `externalDocs`, `x-*` extensions) are
//! left out.

#[cfg(doc)]
use super::source::{Definitions, Shared};
use super::source::{Location, Sources};
use super::{OpenApiError, Version};
use crate::schema::{Holds, Keyword, OpenApiKeyword};
use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// OpenAPI annotations with no effect on validity.
const OPENAPI_ONLY: [OpenApiKeyword; 3] = [
    OpenApiKeyword::Discriminator,
    OpenApiKeyword::Xml,
    OpenApiKeyword::ExternalDocs,
];

/// Translates one schema of a document, its referenced schemas translated once into the
/// document's [`Shared`] schemas, which it refers to.
pub(super) struct Bundler<'a> {
    sources: &'a mut Sources,
    version: Version,
    /// Names this bundle gave, forgotten if it fails.
    given: Vec<Location>,
    pending: Vec<(Location, String)>,
}

impl<'a> Bundler<'a> {
    /// A bundler reading `sources`, written in `version`'s dialect.
    pub(super) fn new(sources: &'a mut Sources, version: Version) -> Bundler<'a> {
        Bundler {
            sources,
            version,
            given: Vec::new(),
            pending: Vec::new(),
        }
    }

    /// The 2020-12 schema for the schema at `at` (its value given), referring to the shared
    /// definitions by `#/$defs/NAME`; an empty `$defs` stands where its self-contained form
    /// holds those it reaches.
    pub(super) fn bundle(mut self, schema: &Value, at: &Location) -> Result<Value, OpenApiError> {
        let bundled = self.bundle_once(schema, at);
        if bundled.is_err() {
            self.sources.shared.forget(&self.given);
        }
        bundled
    }

    fn bundle_once(&mut self, schema: &Value, at: &Location) -> Result<Value, OpenApiError> {
        // A body schema that is only a `$ref` (`schema: {$ref: pet.yaml}`) becomes the root
        // itself.
        let (schema, at) = self.root_target(schema, at)?;
        let mut root = self.translate(&schema, &at)?;
        while let Some((location, name)) = self.pending.pop() {
            let value = self.sources.get(&location)?.clone();
            let translated = self.translate(&value, &location)?;
            self.sources.shared.definitions.insert(name, translated);
        }
        let reaches_shared = !self.sources.shared.definitions.reached(&root).is_empty();
        let root_object = match &mut root {
            Value::Object(object) => object,
            Value::Bool(true) => return Ok(Value::Object(Map::new())),
            other => return Ok(other.clone()),
        };
        if reaches_shared {
            // Where its self-contained form holds what it reaches
            // ([`Definitions::self_contained`]); the definitions themselves stay shared.
            root_object
                .entry(Keyword::Defs.name())
                .or_insert_with(|| Value::Object(Map::new()));
        }
        root_object.insert(
            Keyword::Schema.name().to_owned(),
            Value::String("https://json-schema.org/draft/2020-12/schema".to_owned()),
        );
        Ok(root)
    }

    /// Follow a root that is only a `$ref` to what it names.
    fn root_target(
        &mut self,
        schema: &Value,
        at: &Location,
    ) -> Result<(Value, Location), OpenApiError> {
        let only_ref = schema.as_object().is_some_and(|o| {
            o.contains_key(Keyword::Ref.name()) && (self.version == Version::V3_0 || o.len() == 1)
        });
        if !only_ref {
            return Ok((schema.clone(), at.clone()));
        }
        self.sources.resolve(at)
    }

    fn translate(&mut self, schema: &Value, at: &Location) -> Result<Value, OpenApiError> {
        let Value::Object(object) = schema else {
            return Ok(schema.clone());
        };
        if let Some(reference) = object.get(Keyword::Ref.name()).and_then(Value::as_str) {
            let pointer = self.def_pointer(at, reference)?;
            if self.version == Version::V3_0 {
                // 3.0: "This object cannot be extended with additional properties".
                return Ok(one(Keyword::Ref, Value::String(pointer)));
            }
            let mut rest = object.clone();
            rest.remove(Keyword::Ref.name());
            let mut translated = self.translate_object(&rest, at)?;
            translated.insert(Keyword::Ref.name().to_owned(), Value::String(pointer));
            return Ok(Value::Object(translated));
        }
        Ok(Value::Object(self.translate_object(object, at)?))
    }

    fn translate_object(
        &mut self,
        object: &Map<String, Value>,
        at: &Location,
    ) -> Result<Map<String, Value>, OpenApiError> {
        let mut out = Map::new();
        for (key, value) in object {
            let here = child(at, key);
            let translated = match crate::schema::holds(key) {
                Some(Holds::One) => self.translate(value, &here)?,
                Some(Holds::List) => self.translate_array(value, &here)?,
                Some(Holds::Map) => self.translate_map(value, &here)?,
                None if OPENAPI_ONLY.iter().any(|k| k.name() == key) || key.starts_with("x-") => {
                    continue
                }
                None if key == Keyword::Pattern.name() => match value {
                    Value::String(pattern) => Value::String(literal_braces(pattern)),
                    _ => value.clone(),
                },
                None => value.clone(),
            };
            out.insert(key.clone(), translated);
        }
        if self.version == Version::V3_0 {
            from_openapi_3_0(&mut out);
        } else {
            boolean_exclusive_bounds(&mut out);
        }
        self.discriminate_branches(object, at, &mut out)?;
        self.discriminate_inheritor(object, at, &mut out)?;
        Ok(out)
    }

    /// `oneOf`/`anyOf` with a `discriminator`: each `$ref` branch also requires the
    /// discriminating property to hold one of the values that select it (the mapping's
    /// keys, else the schema's name), as OpenAPI means; without this the branches of a
    /// typical polymorphic schema overlap and `oneOf` refuses everything.
    fn discriminate_branches(
        &mut self,
        object: &Map<String, Value>,
        at: &Location,
        out: &mut Map<String, Value>,
    ) -> Result<(), OpenApiError> {
        let Some(discriminator) = object.get(OpenApiKeyword::Discriminator.name()) else {
            return Ok(());
        };
        for keyword in [Keyword::OneOf.name(), Keyword::AnyOf.name()] {
            let Some(Value::Array(branches)) = object.get(keyword) else {
                continue;
            };
            let mut wrapped = Vec::with_capacity(branches.len());
            for (index, branch) in branches.iter().enumerate() {
                let translated = out[keyword][index].clone();
                let target = match branch.get(Keyword::Ref.name()).and_then(Value::as_str) {
                    Some(reference) => Sources::target(at, reference)?,
                    None => {
                        wrapped.push(translated);
                        continue;
                    }
                };
                match selecting(discriminator, at, &target)? {
                    Some(constraint) => {
                        wrapped.push(one(
                            Keyword::AllOf,
                            Value::Array(vec![translated, constraint]),
                        ));
                    }
                    None => wrapped.push(translated),
                }
            }
            out.insert(keyword.to_owned(), Value::Array(wrapped));
        }
        Ok(())
    }

    /// A schema that inherits (`allOf` with a `$ref`) from a schema with a `discriminator`
    /// requires the discriminating property to hold the values that select it.
    fn discriminate_inheritor(
        &mut self,
        object: &Map<String, Value>,
        at: &Location,
        out: &mut Map<String, Value>,
    ) -> Result<(), OpenApiError> {
        let Some(Value::Array(parents)) = object.get(Keyword::AllOf.name()) else {
            return Ok(());
        };
        let mut constraints = Vec::new();
        for parent in parents {
            let Some(reference) = parent.get(Keyword::Ref.name()).and_then(Value::as_str) else {
                continue;
            };
            let parent_at = Sources::target(at, reference)?;
            let (parent, _) = self.sources.resolve(&parent_at)?;
            if let Some(discriminator) = parent.get(OpenApiKeyword::Discriminator.name()) {
                constraints.extend(selecting(discriminator, &parent_at, at)?);
            }
        }
        if let Some(Value::Array(all_of)) = out.get_mut(Keyword::AllOf.name()) {
            all_of.extend(constraints);
        }
        Ok(())
    }

    fn translate_array(&mut self, value: &Value, at: &Location) -> Result<Value, OpenApiError> {
        let Value::Array(items) = value else {
            return Ok(value.clone());
        };
        let mut out = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            out.push(self.translate(item, &child(at, &index.to_string()))?);
        }
        Ok(Value::Array(out))
    }

    fn translate_map(&mut self, value: &Value, at: &Location) -> Result<Value, OpenApiError> {
        let Value::Object(entries) = value else {
            return Ok(value.clone());
        };
        let mut out = Map::new();
        for (name, schema) in entries {
            out.insert(name.clone(), self.translate(schema, &child(at, name))?);
        }
        Ok(Value::Object(out))
    }

    /// `#/$defs/NAME` for the schema `reference` names, queued for translation once in the
    /// whole document.
    fn def_pointer(&mut self, at: &Location, reference: &str) -> Result<String, OpenApiError> {
        let target = Sources::target(at, reference)?;
        if let Some(name) = self.sources.shared.names.get(&target) {
            return Ok(format!("#/$defs/{name}"));
        }
        self.sources.get(&target)?;
        let name = unique_name(&self.sources.shared.taken, &target);
        let shared = &mut self.sources.shared;
        shared.names.insert(target.clone(), name.clone());
        shared.taken.insert(name.clone());
        self.given.push(target.clone());
        self.pending.push((target, name.clone()));
        Ok(format!("#/$defs/{name}"))
    }
}

fn unique_name(taken: &BTreeSet<String>, target: &Location) -> String {
    let last = target.pointer.rsplit('/').next().unwrap_or_default();
    let stem = target
        .file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let base = if last.is_empty() {
        stem
    } else {
        last.to_owned()
    };
    let base: String = base
        .replace("~1", "_")
        .replace("~0", "_")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_.-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut name = base.clone();
    let mut suffix = 2;
    while taken.contains(&name) {
        name = format!("{base}_{suffix}");
        suffix += 1;
    }
    name
}

/// `{"properties": {P: {"enum": [values]}}}` for the discriminator values that select the
/// schema at `target`: the mapping's keys that name it, else its component name. `None` when
/// the discriminator has no property name, or selects an inline schema by no mapping.
fn selecting(
    discriminator: &Value,
    written_at: &Location,
    target: &Location,
) -> Result<Option<Value>, OpenApiError> {
    let Some(property) = discriminator.get("propertyName").and_then(Value::as_str) else {
        return Ok(None);
    };
    let mut values = Vec::new();
    if let Some(Value::Object(mapping)) = discriminator.get("mapping") {
        for (value, names) in mapping {
            let Some(names) = names.as_str() else {
                continue;
            };
            let named = if names.contains('#') || names.contains('/') {
                Sources::target(written_at, names)?
            } else {
                Location {
                    file: written_at.file.clone(),
                    pointer: format!("/components/schemas/{names}"),
                }
            };
            if &named == target {
                values.push(Value::String(value.clone()));
            }
        }
    }
    if values.is_empty() {
        // The implicit mapping is by component name; an inline schema has none.
        let Some(name) = target.pointer.strip_prefix("/components/schemas/") else {
            return Ok(None);
        };
        if name.contains('/') {
            return Ok(None);
        }
        values.push(Value::String(crate::schema::unescape(name)));
    }
    let mut properties = Map::new();
    properties.insert(
        property.to_owned(),
        one(Keyword::Enum, Value::Array(values)),
    );
    Ok(Some(one(Keyword::Properties, Value::Object(properties))))
}

fn child(at: &Location, key: &str) -> Location {
    Location {
        file: at.file.clone(),
        pointer: format!("{}/{}", at.pointer, crate::schema::escape(key)),
    }
}

/// OpenAPI 3.0's dialect differences, on one translated schema object.
fn from_openapi_3_0(schema: &mut Map<String, Value>) {
    if let Some(example) = schema.remove(OpenApiKeyword::Example.name()) {
        schema
            .entry(Keyword::Examples.name())
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Some(Value::Array(examples)) = schema.get_mut(Keyword::Examples.name()) {
            examples.push(example);
        }
    }
    boolean_exclusive_bounds(schema);
    if schema.remove(OpenApiKeyword::Nullable.name()) == Some(Value::Bool(true)) {
        allow_null(schema);
    }
}

/// OpenAPI 3.0's boolean `exclusiveMinimum`/`exclusiveMaximum` (a flag on `minimum`/`maximum`)
/// as JSON Schema's numbers. 3.1 documents written in 3.0's style (`@readme/oas-examples`'
/// `schema-validation-local`) get the same reading: a boolean there is no valid 2020-12 schema.
fn boolean_exclusive_bounds(schema: &mut Map<String, Value>) {
    for (flag, bound) in [
        (Keyword::ExclusiveMinimum.name(), Keyword::Minimum.name()),
        (Keyword::ExclusiveMaximum.name(), Keyword::Maximum.name()),
    ] {
        if let Some(Value::Bool(exclusive)) = schema.get(flag).cloned() {
            schema.remove(flag);
            if exclusive {
                if let Some(limit) = schema.remove(bound) {
                    schema.insert(flag.to_owned(), limit);
                }
            }
        }
    }
}

/// `pattern` with each brace that starts no quantifier escaped: ECMA-262 (Annex B), which
/// OpenAPI's patterns follow, reads such a `{` or `}` as itself (`^{[0-9a-f]{8}}$`, a GUID in
/// braces), where the validator's regex syntax refuses the whole pattern.
fn literal_braces(pattern: &str) -> String {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() + 4);
    let (mut i, mut in_class) = (0, false);
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                out.push(c);
                if let Some(next) = chars.get(i + 1) {
                    out.push(*next);
                }
                i += 2;
                continue;
            }
            '[' => in_class = true,
            ']' => in_class = false,
            '{' if !in_class => {
                if let Some(length) = quantifier_length(&chars[i..]) {
                    out.extend(&chars[i..i + length]);
                    i += length;
                    continue;
                }
                out.push('\\');
            }
            '}' if !in_class => out.push('\\'),
            _ => {}
        }
        out.push(c);
        i += 1;
    }
    out
}

/// The length of the quantifier `{n}`, `{n,}` or `{n,m}` that `chars` starts with.
fn quantifier_length(chars: &[char]) -> Option<usize> {
    let close = chars.iter().position(|c| *c == '}')?;
    let inside: String = chars[1..close].iter().collect();
    let (low, high) = inside.split_once(',').unwrap_or((&inside, "0"));
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    (!low.is_empty() && digits(low) && digits(high)).then_some(close + 1)
}

/// Make `null` valid for a schema that was `nullable: true` (3.0.3: only where `type` is
/// given).
fn allow_null(schema: &mut Map<String, Value>) {
    match schema.get_mut(Keyword::Type.name()) {
        Some(Value::String(single)) => {
            let single = std::mem::take(single);
            schema.insert(
                Keyword::Type.name().to_owned(),
                serde_json::json!([single, "null"]),
            );
        }
        Some(Value::Array(types)) if !types.contains(&Value::from("null")) => {
            types.push(Value::from("null"));
        }
        _ => {}
    }
    // 3.0.3: `nullable` does not widen an `enum`; a nullable enum lists `null` itself.
}

/// A schema object of one keyword.
fn one(keyword: Keyword, value: Value) -> Value {
    let mut object = Map::new();
    object.insert(keyword.name().to_owned(), value);
    Value::Object(object)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn openapi_3_0_dialect_becomes_2020_12() {
        let mut schema = json!({
            "type": "integer", "nullable": true, "minimum": 1, "exclusiveMinimum": true,
            "maximum": 9, "exclusiveMaximum": false, "example": 5, "enum": [2, 5]
        });
        from_openapi_3_0(schema.as_object_mut().unwrap());
        assert_eq!(
            schema,
            json!({"type": ["integer", "null"], "exclusiveMinimum": 1, "maximum": 9,
                   "examples": [5], "enum": [2, 5]})
        );
    }

    #[test]
    fn boolean_exclusive_bounds_become_numbers_and_numbers_stay() {
        let mut flags = json!({"minimum": 1, "exclusiveMinimum": true, "maximum": 9,
                               "exclusiveMaximum": false});
        boolean_exclusive_bounds(flags.as_object_mut().unwrap());
        assert_eq!(flags, json!({"exclusiveMinimum": 1, "maximum": 9}));
        let mut numbers = json!({"exclusiveMinimum": 2, "minimum": 0});
        boolean_exclusive_bounds(numbers.as_object_mut().unwrap());
        assert_eq!(numbers, json!({"exclusiveMinimum": 2, "minimum": 0}));
    }

    #[test]
    fn braces_that_start_no_quantifier_are_literal() {
        assert_eq!(
            literal_braces("^(?:{[0-9a-f]{4}(?:-?[0-9a-f]{4}){7}}|x{2,}y{1,3})$"),
            r"^(?:\{[0-9a-f]{4}(?:-?[0-9a-f]{4}){7}\}|x{2,}y{1,3})$"
        );
        assert_eq!(literal_braces(r"[{}]\{a{,2}"), r"[{}]\{a\{,2\}");
    }

    #[test]
    fn a_discriminator_selects_its_branches_by_mapping_or_name() {
        let at = Location {
            file: std::path::PathBuf::from("api.yaml"),
            pointer: "/paths/~1pets/post/requestBody".to_owned(),
        };
        let cat = Location {
            file: at.file.clone(),
            pointer: "/components/schemas/Cat".to_owned(),
        };
        let mapped = json!({"propertyName": "kind", "mapping": {"cat": "#/components/schemas/Cat", "kitten": "Cat"}});
        assert_eq!(
            selecting(&mapped, &at, &cat).unwrap(),
            Some(json!({"properties": {"kind": {"enum": ["cat", "kitten"]}}}))
        );
        let implicit = json!({"propertyName": "kind"});
        assert_eq!(
            selecting(&implicit, &at, &cat).unwrap(),
            Some(json!({"properties": {"kind": {"enum": ["Cat"]}}}))
        );
        assert_eq!(
            selecting(&implicit, &at, &at).unwrap(),
            None,
            "inline schemas have no name"
        );
    }
}
