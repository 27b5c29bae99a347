//! Questions about the subschema at a pointer, with its `$ref`s followed: where it really is
//! ([`Index::follow`]) and which JSON types it admits ([`types_at`]). Stages that read values
//! back by type (the wire reading a form field or a query parameter) ask here, so a `$ref`ed
//! property reads as its inlined copy would.

use super::Index;
use serde_json::Value;

/// How many `$ref`s in a row are followed before giving up on a cycle.
const MAX_HOPS: usize = 32;

impl Index {
    /// The pointer of the subschema at `pointer` once its `$ref` chain is followed (a schema
    /// without `$ref` is its own end); `None` for a reference that leads nowhere or loops.
    pub fn follow(&self, document: &Value, pointer: &str) -> Option<String> {
        let mut at = pointer.to_owned();
        for _ in 0..MAX_HOPS {
            let node = document.pointer(&at)?;
            let Some(target) = node.get("$ref").and_then(Value::as_str) else {
                return Some(at);
            };
            at = self.resolve(&at, target)?;
        }
        None
    }
}

/// The JSON types the subschema at `pointer` admits, in its own order: its `type`, else the
/// types of its `enum` or `const` values; `$ref`s followed. Empty when it says nothing.
pub fn types_at(document: &Value, index: &Index, pointer: &str) -> Vec<String> {
    index
        .follow(document, pointer)
        .and_then(|at| document.pointer(&at))
        .map_or_else(Vec::new, types_of)
}

/// [`types_at`] for a schema that is not a `$ref` itself (nothing to follow).
pub fn types_of(schema: &Value) -> Vec<String> {
    let declared: Vec<String> = match schema.get("type") {
        Some(Value::String(one)) => vec![one.clone()],
        Some(Value::Array(many)) => many
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    };
    if !declared.is_empty() {
        return declared;
    }
    let listed = match (schema.get("enum"), schema.get("const")) {
        (Some(Value::Array(values)), _) => values.clone(),
        (_, Some(one)) => vec![one.clone()],
        _ => Vec::new(),
    };
    let mut types: Vec<String> = Vec::new();
    for value in &listed {
        let name = type_of(value).to_owned();
        if !types.contains(&name) {
            types.push(name);
        }
    }
    types
}

/// The JSON Schema type name of a value as a parameter reads it (`integer` for whole
/// numbers written without a fraction; anything not a number or boolean as `string`).
fn type_of(value: &Value) -> &'static str {
    match value {
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::Bool(_) => "boolean",
        _ => "string",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_referenced_property_has_the_types_of_its_target() {
        let document = json!({
            "type": "object",
            "properties": {"count": {"$ref": "#/$defs/Count"}, "mode": {"$ref": "#/$defs/Mode"}},
            "$defs": {"Count": {"$ref": "#/$defs/Whole"}, "Whole": {"type": "integer"},
                      "Mode": {"enum": ["a", 2]}}
        });
        let index = Index::new(&document);
        assert_eq!(
            types_at(&document, &index, "/properties/count"),
            ["integer"]
        );
        assert_eq!(
            types_at(&document, &index, "/properties/mode"),
            ["string", "integer"]
        );
        assert_eq!(types_at(&document, &index, ""), ["object"]);
    }

    #[test]
    fn a_reference_cycle_or_dangling_reference_says_nothing() {
        let document = json!({"$defs": {"A": {"$ref": "#/$defs/B"}, "B": {"$ref": "#/$defs/A"}},
                              "properties": {"x": {"$ref": "#/$defs/A"}, "y": {"$ref": "#/nope"}}});
        let index = Index::new(&document);
        assert!(types_at(&document, &index, "/properties/x").is_empty());
        assert!(types_at(&document, &index, "/properties/y").is_empty());
    }
}
