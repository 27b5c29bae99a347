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

/// The type names the `type` keyword of `schema` lists, in its order: one for a string, each
/// string of an array, none when it has no `type`. Unlike [`types_of`], `enum` and `const`
/// are not consulted and no list is allocated (the sandbox asks this per property).
pub fn declared_types(schema: &Value) -> impl Iterator<Item = &str> {
    let (one, many) = match schema.get("type") {
        Some(Value::String(one)) => (Some(one.as_str()), None),
        Some(Value::Array(many)) => (None, Some(many.iter().filter_map(Value::as_str))),
        _ => (None, None),
    };
    one.into_iter().chain(many.into_iter().flatten())
}

/// [`types_at`] for a schema that is not a `$ref` itself (nothing to follow).
pub fn types_of(schema: &Value) -> Vec<String> {
    let declared: Vec<String> = declared_types(schema).map(str::to_owned).collect();
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

/// How deep [`alternatives`] goes through nested `allOf`/`anyOf`/`oneOf` before stopping: a
/// recursive schema would otherwise never end.
const MAX_BRANCH_DEPTH: usize = 8;

/// The subschemas that together say what the value at `pointer` may be: the subschema
/// itself and every branch of its `allOf`, `anyOf` and `oneOf`, recursively, each with its
/// `$ref`s followed (the pointers where they really are). A form reading `address[line1]`
/// asks all of them, since `address` may be `anyOf` an object and an empty string.
pub fn alternatives(document: &Value, index: &Index, pointer: &str) -> Vec<String> {
    let mut out = Vec::new();
    collect_alternatives(document, index, pointer, 0, &mut out);
    out
}

fn collect_alternatives(
    document: &Value,
    index: &Index,
    pointer: &str,
    depth: usize,
    out: &mut Vec<String>,
) {
    let Some(at) = index.follow(document, pointer) else {
        return;
    };
    if depth > MAX_BRANCH_DEPTH || out.contains(&at) {
        return;
    }
    out.push(at.clone());
    let Some(node) = document.pointer(&at) else {
        return;
    };
    for applicator in ["allOf", "anyOf", "oneOf"] {
        if let Some(Value::Array(branches)) = node.get(applicator) {
            for i in 0..branches.len() {
                let branch = format!("{at}/{applicator}/{i}");
                collect_alternatives(document, index, &branch, depth + 1, out);
            }
        }
    }
}

/// The subschemas that say what member `member` of a value at `pointer` may be: a property
/// of that name (else `additionalProperties`), and, when `member` is an index, the array's
/// `prefixItems` at it (else `items`); through every alternative of `pointer`. Empty when no
/// subschema says anything about it.
pub fn member_pointers(
    document: &Value,
    index: &Index,
    pointer: &str,
    member: &str,
) -> Vec<String> {
    let mut out = Vec::new();
    let position: Option<usize> = member.parse().ok();
    for at in alternatives(document, index, pointer) {
        let Some(node) = document.pointer(&at) else {
            continue;
        };
        let named = node
            .get("properties")
            .and_then(|p| p.get(member))
            .map(|_| format!("{at}/properties/{}", super::escape(member)));
        let rest = node
            .get("additionalProperties")
            .filter(|a| a.is_object())
            .map(|_| format!("{at}/additionalProperties"));
        out.extend(named.or(rest));
        if let Some(i) = position {
            let prefixed = node
                .get("prefixItems")
                .and_then(|p| p.get(i))
                .map(|_| format!("{at}/prefixItems/{i}"));
            let items = node
                .get("items")
                .filter(|a| a.is_object())
                .map(|_| format!("{at}/items"));
            out.extend(prefixed.or(items));
        }
    }
    out
}

/// The JSON types any of the subschemas at `pointers` admits (each through its
/// [`alternatives`]), in order of first mention.
pub fn types_among(document: &Value, index: &Index, pointers: &[String]) -> Vec<String> {
    let mut types: Vec<String> = Vec::new();
    for pointer in pointers {
        for at in alternatives(document, index, pointer) {
            for name in document.pointer(&at).map(types_of).unwrap_or_default() {
                if !types.contains(&name) {
                    types.push(name);
                }
            }
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
    fn declared_types_are_the_type_keyword_alone() {
        let listed = json!({"type": ["integer", 7, "null"], "enum": [true]});
        assert_eq!(
            declared_types(&listed).collect::<Vec<_>>(),
            ["integer", "null"]
        );
        assert_eq!(
            declared_types(&json!({"type": "string"})).next(),
            Some("string")
        );
        assert_eq!(declared_types(&json!({"enum": ["a"]})).next(), None);
        assert_eq!(types_of(&json!({"enum": ["a"]})), ["string"]);
    }

    #[test]
    fn a_member_is_found_through_references_and_branches() {
        let document = json!({
            "type": "object",
            "properties": {
                "address": {"anyOf": [{"$ref": "#/$defs/Address"}, {"enum": [""]}]},
                "items": {"type": "array", "items": {"$ref": "#/$defs/Item"}},
                "metadata": {"type": "object", "additionalProperties": {"type": "string"}}
            },
            "$defs": {
                "Address": {"type": "object", "properties": {"line1": {"type": "string"}}},
                "Item": {"type": "object", "properties": {"quantity": {"type": "integer"}}}
            }
        });
        let index = Index::new(&document);
        let line1 = member_pointers(&document, &index, "/properties/address", "line1");
        assert_eq!(line1, ["/$defs/Address/properties/line1"]);
        assert_eq!(
            types_among(&document, &index, &["/properties/address".to_owned()]),
            ["object", "string"]
        );
        let item = member_pointers(&document, &index, "/properties/items", "0");
        let quantity = member_pointers(&document, &index, &item[0], "quantity");
        assert_eq!(types_among(&document, &index, &quantity), ["integer"]);
        let key = member_pointers(&document, &index, "/properties/metadata", "any");
        assert_eq!(key, ["/properties/metadata/additionalProperties"]);
        assert!(member_pointers(&document, &index, "/properties/items", "x").is_empty());
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
