//! A schema moved into a bigger document: its own-document references rewritten to where it
//! now lives, so the copy means what the original meant. The wire embeds each parameter's and
//! the body's schema in a request's envelope this way.
//!
//! It does not resolve anything: a reference to another document is left as written.

use super::Keyword;
use serde_json::Value;

/// `schema` moved to `at` (a pointer into a bigger document): its own-document `$ref`s and
/// `$dynamicRef`s (`#/...`, `#`) are rewritten to point at their new place, and `$schema`
/// and `$id` at its root are dropped (the bigger document has its own).
pub fn embed(schema: &Value, at: &str) -> Value {
    let mut copy = schema.clone();
    if let Value::Object(map) = &mut copy {
        map.remove(Keyword::Schema.name());
        map.remove(Keyword::Id.name());
    }
    rewrite(&mut copy, at);
    copy
}

/// Rewrite the references under `value` to their place below `at`. Every member is walked,
/// not only the keywords [`super::children`] knows, so a reference under an unknown keyword
/// moves too; the values of `enum`, `const` and `examples` are data, where a `$ref` member
/// is not a reference and stays as written.
fn rewrite(value: &mut Value, at: &str) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                // Spelt out rather than `Keyword::parse`d: every member of a large body
                // schema passes here, and three comparisons beat a scan of every keyword.
                match key.as_str() {
                    "$ref" | "$dynamicRef" => relocate(child, at),
                    "enum" | "const" | "examples" => {}
                    _ => rewrite(child, at),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| rewrite(i, at)),
        _ => {}
    }
}

/// A reference within its own document (`#`, `#/...`) made to point below `at`.
fn relocate(reference: &mut Value, at: &str) {
    let Value::String(target) = reference else {
        return;
    };
    if target == "#" {
        *target = format!("#{at}");
    } else if let Some(pointer) = target.strip_prefix("#/") {
        *target = format!("#{at}/{pointer}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn references_point_at_the_new_place_and_data_is_left_alone() {
        let schema = json!({
            "$schema": "x", "$id": "y",
            "$ref": "#/$defs/a",
            "$defs": {"a": {"items": {"$ref": "#"}}, "b": {"$ref": "other.json#/c"}},
            "x-unknown": {"$ref": "#/$defs/a"},
            "enum": [{"$ref": "#/$defs/a"}],
            "const": {"$ref": "#"},
            "examples": [{"$ref": "#"}]
        });
        let embedded = embed(&schema, "/properties/body");
        assert_eq!(
            embedded,
            json!({
                "$ref": "#/properties/body/$defs/a",
                "$defs": {"a": {"items": {"$ref": "#/properties/body"}},
                          "b": {"$ref": "other.json#/c"}},
                "x-unknown": {"$ref": "#/properties/body/$defs/a"},
                "enum": [{"$ref": "#/$defs/a"}],
                "const": {"$ref": "#"},
                "examples": [{"$ref": "#"}]
            })
        );
    }
}
