//! The fields of a payload: every property of the request schema, at any depth, with the path
//! that reaches it and the values its ancestors need so that it can be set on its own.

use super::schema_walk::{escape, Node};
use serde_json::Value;

/// One property, anywhere in the payload.
#[derive(Debug, Clone)]
pub(crate) struct Field {
    /// Property names from the root.
    pub path: Vec<String>,
    /// Whether the property is required by its parent object.
    pub required: bool,
    /// The minimal value of each ancestor property, used when the ancestor is absent.
    pub parents: Vec<Value>,
    pub node: Node,
}

impl Field {
    /// How reasons name the field: the property name at the top level, a JSON pointer below.
    pub(super) fn label(&self) -> String {
        match self.path.as_slice() {
            [name] => name.clone(),
            path => path.iter().map(|p| format!("/{}", escape(p))).collect(),
        }
    }

    /// Set the field in `payload` to `value`, adding absent ancestors at their minimal value.
    pub(super) fn set(&self, payload: &mut Value, value: Value) {
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
    pub(super) fn get<'v>(&self, payload: &'v Value) -> Option<&'v Value> {
        self.path
            .iter()
            .try_fold(payload, |node, name| node.as_object()?.get(name))
    }
}

/// Every property of `root`, depth first in schema order (not below arrays or cycles).
pub(crate) fn fields(root: &Node) -> Vec<Field> {
    let mut out = Vec::new();
    collect(root, &mut Vec::new(), &mut Vec::new(), &mut out);
    out
}

fn collect(node: &Node, path: &mut Vec<String>, parents: &mut Vec<Value>, out: &mut Vec<Field>) {
    for property in &node.properties {
        path.push(property.name.clone());
        out.push(Field {
            path: path.clone(),
            required: property.required,
            parents: parents.clone(),
            node: property.node.clone(),
        });
        if !property.node.cyclic && !property.node.properties.is_empty() {
            parents.push(property.node.minimal());
            collect(&property.node, path, parents, out);
            parents.pop();
        }
        path.pop();
    }
}

/// The root's required property names, in schema order.
pub(crate) fn required_names(root: &Node) -> Vec<String> {
    root.properties
        .iter()
        .filter(|p| p.required)
        .map(|p| p.name.clone())
        .collect()
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
