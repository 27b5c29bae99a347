//! Views of a schema that `readOnly` and `writeOnly` make (OpenAPI 3.x, JSON Schema 2020-12
//! annotations): a property marked `readOnly` belongs to responses, one marked `writeOnly`
//! to requests, and `required` binds each only on its own side.
//!
//! A view is the same document with each marked property changed where it is declared (a
//! `$ref` to a marked schema counts as marked), so every stage reads it as it reads any
//! schema. A document without the marks has no view: callers keep the original.

use super::{escape, Index, Keyword};
use serde_json::{Map, Value};

/// Which side of an exchange reads the schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// What a request may hold: `readOnly` properties are optional (a server may refuse
    /// them, or ignore them).
    Request,
    /// What valid requests are planned from: `readOnly` properties are left out.
    Plan,
    /// What a response may hold: `writeOnly` properties are forbidden (a secret returned is
    /// a finding), and optional.
    Response,
}

impl View {
    /// The annotation that marks the properties this view changes.
    fn mark(self) -> Keyword {
        match self {
            View::Request | View::Plan => Keyword::ReadOnly,
            View::Response => Keyword::WriteOnly,
        }
    }

    /// Whether a marked property becomes `false` (forbidden), not only optional.
    fn forbids(self) -> bool {
        matches!(self, View::Plan | View::Response)
    }
}

/// `$ref` chains longer than this are treated as unresolvable (a cycle).
const MAX_REF_DEPTH: usize = 16;

/// The `view` of `document`; `None` when no property carries the view's mark.
pub fn view(document: &Value, view: View) -> Option<Value> {
    // Most documents mark nothing, which one walk that allocates nothing tells: indexing
    // each (a large document's shared definitions copied in) to find that out was a tenth
    // of loading Stripe's import back.
    if !carries(document, view.mark()) {
        return None;
    }
    let index = Index::new(document);
    let mut marked: Vec<(String, String)> = Vec::new();
    super::visit(document, "", &mut |pointer, map| {
        let Some(Value::Object(properties)) = map.get(Keyword::Properties.name()) else {
            return;
        };
        for (name, property) in properties {
            let at = format!("{pointer}/{}/{}", Keyword::Properties.name(), escape(name));
            if is_marked(document, &index, property, &at, view.mark()) {
                marked.push((pointer.to_owned(), name.clone()));
            }
        }
    });
    if marked.is_empty() {
        return None;
    }
    let mut viewed = document.clone();
    for (pointer, name) in marked {
        if let Some(Value::Object(schema)) = viewed.pointer_mut(&pointer) {
            change(schema, &name, view);
        }
    }
    Some(viewed)
}

/// Whether any object within `value` holds `mark: true`: no property can be marked
/// otherwise, as every `$ref` lands within the document.
fn carries(value: &Value, mark: Keyword) -> bool {
    match value {
        Value::Object(map) => {
            map.get(mark.name()) == Some(&Value::Bool(true))
                || map.values().any(|member| carries(member, mark))
        }
        Value::Array(items) => items.iter().any(|item| carries(item, mark)),
        _ => false,
    }
}

/// Whether the property schema `node` (at `pointer`), or the schema its `$ref` chain lands
/// on, carries `mark: true`.
fn is_marked(document: &Value, index: &Index, node: &Value, pointer: &str, mark: Keyword) -> bool {
    let (mut node, mut pointer) = (node, pointer.to_owned());
    for _ in 0..MAX_REF_DEPTH {
        let Value::Object(map) = node else {
            return false;
        };
        if map.get(mark.name()) == Some(&Value::Bool(true)) {
            return true;
        }
        let target = map
            .get(Keyword::Ref.name())
            .and_then(Value::as_str)
            .and_then(|target| index.resolve(&pointer, target));
        match target.and_then(|t| document.pointer(&t).map(|n| (n, t))) {
            Some((next, at)) => (node, pointer) = (next, at),
            None => return false,
        }
    }
    false
}

/// Make property `name` of `schema` optional and, when the view forbids it, `false`.
fn change(schema: &mut Map<String, Value>, name: &str, view: View) {
    if let Some(Value::Array(required)) = schema.get_mut(Keyword::Required.name()) {
        required.retain(|r| r.as_str() != Some(name));
    }
    if view.forbids() {
        if let Some(Value::Object(properties)) = schema.get_mut(Keyword::Properties.name()) {
            properties.insert(name.to_owned(), Value::Bool(false));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn account() -> Value {
        json!({
            "type": "object",
            "required": ["id", "name", "password"],
            "properties": {
                "id": {"$ref": "#/$defs/Id"},
                "name": {"type": "string"},
                "password": {"type": "string", "writeOnly": true},
                "owner": {
                    "type": "object",
                    "required": ["since"],
                    "properties": {"since": {"type": "string", "readOnly": true}}
                }
            },
            "$defs": {"Id": {"type": "string", "readOnly": true}}
        })
    }

    #[test]
    fn a_request_may_leave_out_read_only_properties_and_still_send_them() {
        let viewed = view(&account(), View::Request).expect("a view");
        assert_eq!(viewed["required"], json!(["name", "password"]));
        assert_eq!(viewed["properties"]["id"], json!({"$ref": "#/$defs/Id"}));
        assert_eq!(viewed["properties"]["owner"]["required"], json!([]));
    }

    #[test]
    fn valid_requests_are_planned_without_read_only_properties() {
        let viewed = view(&account(), View::Plan).expect("a view");
        assert_eq!(viewed["properties"]["id"], json!(false));
        assert_eq!(
            viewed["properties"]["owner"]["properties"]["since"],
            json!(false)
        );
        assert_eq!(viewed["properties"]["password"]["writeOnly"], json!(true));
    }

    #[test]
    fn a_response_may_not_hold_a_write_only_property() {
        let viewed = view(&account(), View::Response).expect("a view");
        assert_eq!(viewed["required"], json!(["id", "name"]));
        assert_eq!(viewed["properties"]["password"], json!(false));
        assert_eq!(viewed["properties"]["id"], json!({"$ref": "#/$defs/Id"}));
    }

    #[test]
    fn a_document_without_marks_has_no_view() {
        let plain = json!({"type": "object", "properties": {"a": {"type": "string"}}});
        for side in [View::Request, View::Plan, View::Response] {
            assert_eq!(view(&plain, side), None);
        }
        let unmarked = json!({"properties": {"a": {"type": "string", "readOnly": false}}});
        assert_eq!(view(&unmarked, View::Plan), None);
    }

    #[test]
    fn a_mark_reached_only_through_an_array_of_branches_is_found() {
        let branched = json!({
            "allOf": [{"properties": {"id": {"$ref": "#/$defs/Id"}}}],
            "$defs": {"Id": {"type": "string", "readOnly": true}}
        });
        let viewed = view(&branched, View::Plan).expect("a view");
        assert_eq!(viewed["allOf"][0]["properties"]["id"], json!(false));
    }
}
