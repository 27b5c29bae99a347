//! OpenAPI Schema Objects → self-contained JSON Schema 2020-12 documents.
//!
//! Every `$ref` (to `#/components/schemas/...` or to another file) is copied into the
//! document's `$defs` under a readable name and pointed at there, so circular references stay
//! circular and the result needs no other file. For OpenAPI 3.0, the dialect differences are
//! translated: `nullable: true` adds `null` to `type`, boolean
//! `exclusiveMinimum`/`exclusiveMaximum` become numbers, `example` becomes `examples`, and
//! `$ref` siblings are dropped as 3.0 says. OpenAPI-only annotations that never change what is
//! valid (`discriminator`, `xml`, `externalDocs`, `x-*` extensions) are left out.

use super::source::{Location, Sources};
use super::{OpenApiError, Version};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Keys whose value is one schema.
const ONE_SCHEMA: &[&str] = &[
    "items",
    "additionalItems",
    "additionalProperties",
    "not",
    "contains",
    "propertyNames",
    "if",
    "then",
    "else",
    "unevaluatedItems",
    "unevaluatedProperties",
];
/// Keys whose value is an array of schemas.
const SCHEMA_ARRAYS: &[&str] = &["allOf", "anyOf", "oneOf", "prefixItems"];
/// Keys whose value maps names to schemas.
const SCHEMA_MAPS: &[&str] = &[
    "properties",
    "patternProperties",
    "$defs",
    "definitions",
    "dependentSchemas",
];
/// OpenAPI annotations with no effect on validity.
const OPENAPI_ONLY: &[&str] = &["discriminator", "xml", "externalDocs"];

/// Translates the schemas of one document, collecting referenced schemas as `$defs`.
pub(super) struct Bundler<'a> {
    sources: &'a mut Sources,
    version: Version,
    names: BTreeMap<Location, String>,
    defs: BTreeMap<String, Value>,
    pending: Vec<(Location, String)>,
}

impl<'a> Bundler<'a> {
    /// A bundler reading `sources`, written in `version`'s dialect.
    pub(super) fn new(sources: &'a mut Sources, version: Version) -> Bundler<'a> {
        Bundler {
            sources,
            version,
            names: BTreeMap::new(),
            defs: BTreeMap::new(),
            pending: Vec::new(),
        }
    }

    /// The self-contained 2020-12 schema for the schema at `at` (its value given).
    pub(super) fn bundle(mut self, schema: &Value, at: &Location) -> Result<Value, OpenApiError> {
        // A body schema that is only a `$ref` (`schema: {$ref: pet.yaml}`) becomes the root
        // itself, and references back to it point at the root.
        let (schema, at) = self.root_target(schema, at)?;
        let mut root = self.translate(&schema, &at)?;
        while let Some((location, name)) = self.pending.pop() {
            let value = self.sources.get(&location)?.clone();
            let translated = self.translate(&value, &location)?;
            self.defs.insert(name, translated);
        }
        let root_object = match &mut root {
            Value::Object(object) => object,
            Value::Bool(true) => return Ok(Value::Object(Map::new())),
            other => return Ok(other.clone()),
        };
        if !self.defs.is_empty() {
            let defs = root_object
                .entry("$defs")
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(defs) = defs {
                defs.extend(self.defs);
            }
        }
        root_object.insert(
            "$schema".to_owned(),
            Value::String("https://json-schema.org/draft/2020-12/schema".to_owned()),
        );
        Ok(root)
    }

    /// Follow a root that is only a `$ref` to what it names, remembering it as the root.
    fn root_target(
        &mut self,
        schema: &Value,
        at: &Location,
    ) -> Result<(Value, Location), OpenApiError> {
        let only_ref = schema.as_object().is_some_and(|o| {
            o.contains_key("$ref") && (self.version == Version::V3_0 || o.len() == 1)
        });
        if !only_ref {
            return Ok((schema.clone(), at.clone()));
        }
        let (target, target_at) = self.sources.resolve(at)?;
        self.names.insert(target_at.clone(), String::new());
        Ok((target, target_at))
    }

    fn translate(&mut self, schema: &Value, at: &Location) -> Result<Value, OpenApiError> {
        let Value::Object(object) = schema else {
            return Ok(schema.clone());
        };
        if let Some(reference) = object.get("$ref").and_then(Value::as_str) {
            let pointer = self.def_pointer(at, reference)?;
            if self.version == Version::V3_0 {
                // 3.0: "This object cannot be extended with additional properties".
                return Ok(serde_json::json!({ "$ref": pointer }));
            }
            let mut rest = object.clone();
            rest.remove("$ref");
            let mut translated = self.translate_object(&rest, at)?;
            translated.insert("$ref".to_owned(), Value::String(pointer));
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
            let translated = if ONE_SCHEMA.contains(&key.as_str()) {
                self.translate(value, &here)?
            } else if SCHEMA_ARRAYS.contains(&key.as_str()) {
                self.translate_array(value, &here)?
            } else if SCHEMA_MAPS.contains(&key.as_str()) {
                self.translate_map(value, &here)?
            } else if OPENAPI_ONLY.contains(&key.as_str()) || key.starts_with("x-") {
                continue;
            } else {
                value.clone()
            };
            out.insert(key.clone(), translated);
        }
        if self.version == Version::V3_0 {
            from_openapi_3_0(&mut out);
        }
        Ok(out)
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

    /// `#/$defs/NAME` for the schema `reference` names, queued for translation once.
    fn def_pointer(&mut self, at: &Location, reference: &str) -> Result<String, OpenApiError> {
        let target = Sources::target(at, reference)?;
        match self.names.get(&target) {
            Some(root) if root.is_empty() => return Ok("#".to_owned()),
            Some(name) => return Ok(format!("#/$defs/{name}")),
            None => {}
        }
        self.sources.get(&target)?;
        let name = self.unique_name(&target);
        self.names.insert(target.clone(), name.clone());
        self.pending.push((target, name.clone()));
        Ok(format!("#/$defs/{name}"))
    }

    fn unique_name(&self, target: &Location) -> String {
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
        let taken = |name: &str| self.names.values().any(|n| n == name);
        let mut name = base.clone();
        let mut suffix = 2;
        while taken(&name) {
            name = format!("{base}_{suffix}");
            suffix += 1;
        }
        name
    }
}

fn child(at: &Location, key: &str) -> Location {
    Location {
        file: at.file.clone(),
        pointer: format!(
            "{}/{}",
            at.pointer,
            key.replace('~', "~0").replace('/', "~1")
        ),
    }
}

/// OpenAPI 3.0's dialect differences, on one translated schema object.
fn from_openapi_3_0(schema: &mut Map<String, Value>) {
    if let Some(example) = schema.remove("example") {
        schema
            .entry("examples")
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Some(Value::Array(examples)) = schema.get_mut("examples") {
            examples.push(example);
        }
    }
    for (flag, bound) in [
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
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
    if schema.remove("nullable") == Some(Value::Bool(true)) {
        allow_null(schema);
    }
}

/// Make `null` valid for a schema that was `nullable: true` (3.0.3: only where `type` is
/// given).
fn allow_null(schema: &mut Map<String, Value>) {
    match schema.get_mut("type") {
        Some(Value::String(single)) => {
            let single = std::mem::take(single);
            schema.insert("type".to_owned(), serde_json::json!([single, "null"]));
        }
        Some(Value::Array(types)) if !types.contains(&Value::from("null")) => {
            types.push(Value::from("null"));
        }
        _ => {}
    }
    // 3.0.3: `nullable` does not widen an `enum`; a nullable enum lists `null` itself.
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
}
