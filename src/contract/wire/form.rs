//! Form bodies (`application/x-www-form-urlencoded`), each field serialised as OpenAPI's
//! `encoding` entry for it says: a primitive as `name=value`; an array of primitives
//! repeated (`form`, exploded, the default), joined (`form` unexploded, `spaceDelimited`,
//! `pipeDelimited`) or indexed (`deepObject`: `name[0]=a`); and, with `deepObject` only,
//! objects and arrays at any depth as bracketed keys (`metadata[key]=v`,
//! `items[0][price]=p`), as Stripe's API takes them. Reading a form back is guided by the
//! body's schema ([`crate::schema::member_pointers`]): a bracket is an array's index where
//! the schema admits an array there, and every value is read as the types its subschema
//! admits, through `$ref`s and `anyOf` branches. The bytes are made and parsed by
//! `url::form_urlencoded`, the same encoding browsers and servers use.

use super::types::{primitive_text, Style, Types, Unsendable};
use crate::schema::Index;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};
use url::form_urlencoded;

/// How one field of a form body is serialised: OpenAPI's `encoding` entry for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldEncoding {
    /// `form` (the default), `spaceDelimited`, `pipeDelimited` or `deepObject`.
    pub style: Style,
    /// OpenAPI's `explode` (the default: true for `form`).
    pub explode: bool,
}

impl Default for FieldEncoding {
    fn default() -> FieldEncoding {
        FieldEncoding {
            style: Style::Form,
            explode: true,
        }
    }
}

impl FieldEncoding {
    /// Whether a form field may have this style (the query styles).
    pub fn allowed(style: Style) -> bool {
        matches!(
            style,
            Style::Form | Style::SpaceDelimited | Style::PipeDelimited | Style::DeepObject
        )
    }
}

/// A form body's codec: its schema, to read text back by type, and each field's encoding.
#[derive(Debug, Clone)]
pub(super) struct Form {
    schema: Value,
    index: Index,
    encoding: BTreeMap<String, FieldEncoding>,
    answers: Answers,
}

/// The schema queries reading a body back has answered, by their arguments. Every body of a
/// form asks the same few (a plan reads each of its form requests back, the sandbox each it
/// receives), and walking a large schema for each was most of Stripe's import and plan.
/// Bounded, since a server reads keys its clients chose.
#[derive(Debug, Default)]
struct Answers {
    /// `members(pointers, member)`.
    members: Mutex<HashMap<(Pointers, String), Pointers>>,
    /// `types(pointers)`.
    types: Mutex<HashMap<Pointers, Types>>,
}

/// The places in the schema one key of a body may be at (one per `anyOf` branch and `$ref`).
type Pointers = Vec<String>;

/// At most this many answers of each kind are kept.
const MAX_ANSWERS: usize = 4096;

impl Clone for Answers {
    /// A copy starts with none: they are found again as cheaply as the first time.
    fn clone(&self) -> Answers {
        Answers::default()
    }
}

/// `mutex` locked; a panic elsewhere while it was held left nothing half-written in it.
fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// The answer kept under `key` in `answers`, else `find`'s, kept while there is room.
fn remembered<K: std::hash::Hash + Eq, V: Clone>(
    answers: &Mutex<HashMap<K, V>>,
    key: K,
    find: impl FnOnce() -> V,
) -> V {
    if let Some(found) = locked(answers).get(&key) {
        return found.clone();
    }
    let found = find();
    let mut kept = locked(answers);
    if kept.len() < MAX_ANSWERS {
        kept.insert(key, found.clone());
    }
    found
}

/// A form's keys as a tree: `a[b][0]=x` is the leaf `x` under `a`, `b`, `0`.
#[derive(Debug)]
enum Node {
    /// The values given to one key, in order (a repeated key is an exploded array).
    Leaf(Vec<String>),
    /// Named children, in the order first seen.
    Branch(Vec<(String, Node)>),
}

impl Form {
    /// The codec of a form body with `schema` and these field encodings.
    pub(super) fn new(schema: &Value, encoding: BTreeMap<String, FieldEncoding>) -> Form {
        Form {
            index: Index::new(schema),
            schema: schema.clone(),
            encoding,
            answers: Answers::default(),
        }
    }

    fn encoding_of(&self, field: &str) -> FieldEncoding {
        self.encoding.get(field).copied().unwrap_or_default()
    }

    /// The bytes of `body`, an object of fields.
    pub(super) fn encode(&self, body: &Value) -> Result<Vec<u8>, Unsendable> {
        let map = body
            .as_object()
            .ok_or_else(|| Unsendable("a form body must be an object".to_owned()))?;
        let mut out = form_urlencoded::Serializer::new(String::new());
        for (field, value) in map {
            for (name, text) in field_pairs(field, value, self.encoding_of(field))? {
                out.append_pair(&name, &text);
            }
        }
        Ok(out.finish().into_bytes())
    }

    /// A received form body as the value its schema describes.
    pub(super) fn decode(&self, bytes: &[u8]) -> Result<Value, String> {
        let mut root: Vec<(String, Node)> = Vec::new();
        for (key, value) in form_urlencoded::parse(bytes) {
            let path = self.key_path(&key);
            insert(&mut root, &path, value.into_owned())
                .map_err(|()| format!("the form key `{key}` is both a value and nested values"))?;
        }
        let mut map = Map::new();
        for (field, node) in root {
            let pointers = self.members(&[String::new()], &field);
            let value = match node {
                Node::Leaf(values) => self.read_field(&field, &values, &pointers),
                Node::Branch(children) => self.read_branch(children, &pointers),
            };
            map.insert(field, value);
        }
        Ok(Value::Object(map))
    }

    /// A key as the path it names: its brackets opened only for a `deepObject` field that is
    /// not itself a field with brackets in its name.
    fn key_path(&self, key: &str) -> Vec<String> {
        let declared = !self.members(&[String::new()], key).is_empty();
        let Some((field, rest)) = key.split_once('[') else {
            return vec![key.to_owned()];
        };
        if declared || self.encoding_of(field).style != Style::DeepObject {
            return vec![key.to_owned()];
        }
        let Some(segments) = rest.strip_suffix(']') else {
            return vec![key.to_owned()];
        };
        let mut path = vec![field.to_owned()];
        path.extend(segments.split("][").map(str::to_owned));
        path
    }

    fn members(&self, pointers: &[String], member: &str) -> Vec<String> {
        let key = (pointers.to_vec(), member.to_owned());
        remembered(&self.answers.members, key, || {
            pointers
                .iter()
                .flat_map(|p| crate::schema::member_pointers(&self.schema, &self.index, p, member))
                .collect()
        })
    }

    fn types(&self, pointers: &[String]) -> Types {
        remembered(&self.answers.types, pointers.to_vec(), || {
            Types(crate::schema::types_among(
                &self.schema,
                &self.index,
                pointers,
            ))
        })
    }

    /// A top-level field's values, split as its style joins an array.
    fn read_field(&self, field: &str, values: &[String], pointers: &[String]) -> Value {
        let encoding = self.encoding_of(field);
        let separator = match encoding.style {
            Style::Form if !encoding.explode => Some(','),
            Style::SpaceDelimited => Some(' '),
            Style::PipeDelimited => Some('|'),
            _ => None,
        };
        match (separator, values.last()) {
            (Some(by), Some(last)) if self.types(pointers).has("array") => {
                let parts: Vec<String> = match last.is_empty() {
                    true => Vec::new(),
                    false => last.split(by).map(str::to_owned).collect(),
                };
                self.read_leaf(&parts, pointers)
            }
            _ => self.read_leaf(values, pointers),
        }
    }

    /// The values of one key: an array of them where the schema admits an array, else the
    /// last one, read as its types.
    fn read_leaf(&self, values: &[String], pointers: &[String]) -> Value {
        if self.types(pointers).has("array") {
            let items = self.members(pointers, "0");
            let types = self.types(&items);
            return Value::Array(values.iter().map(|v| types.read(v)).collect());
        }
        let last = values.last().map_or("", String::as_str);
        self.types(pointers).read(last)
    }

    /// Bracketed children: an array where the schema admits one and the keys are its
    /// indexes `0..n`, else an object.
    fn read_branch(&self, children: Vec<(String, Node)>, pointers: &[String]) -> Value {
        let types = self.types(pointers);
        let mut indexes: Vec<usize> = children
            .iter()
            .filter_map(|(k, _)| k.parse().ok().filter(|i: &usize| i.to_string() == *k))
            .collect();
        indexes.sort_unstable();
        let dense = indexes.len() == children.len() && indexes.iter().copied().eq(0..indexes.len());
        let as_array = types.has("array") && dense && !(types.has("object") && children.is_empty());
        let mut read: Vec<(String, Value)> = children
            .into_iter()
            .map(|(key, node)| {
                let inner = self.members(pointers, &key);
                let value = match node {
                    Node::Leaf(values) => self.read_leaf(&values, &inner),
                    Node::Branch(grandchildren) => self.read_branch(grandchildren, &inner),
                };
                (key, value)
            })
            .collect();
        if as_array {
            read.sort_by_key(|(k, _)| k.parse::<usize>().unwrap_or_default());
            return Value::Array(read.into_iter().map(|(_, v)| v).collect());
        }
        Value::Object(read.into_iter().collect())
    }
}

/// The `name=value` pairs of one field.
fn field_pairs(
    field: &str,
    value: &Value,
    encoding: FieldEncoding,
) -> Result<Vec<(String, String)>, Unsendable> {
    if let Some(text) = primitive_text(value) {
        return Ok(vec![(field.to_owned(), text)]);
    }
    if encoding.style == Style::DeepObject {
        let mut pairs = Vec::new();
        flatten(field, value, &mut pairs)?;
        return Ok(pairs);
    }
    let nested = || {
        Unsendable(format!(
            "the form field `{field}` is nested, and only `style: deepObject` sends nested values"
        ))
    };
    let Value::Array(items) = value else {
        return Err(nested());
    };
    let texts: Vec<String> = items
        .iter()
        .map(primitive_text)
        .collect::<Option<_>>()
        .ok_or_else(nested)?;
    let joined = |by: &str| vec![(field.to_owned(), texts.join(by))];
    Ok(match encoding.style {
        Style::Form if !encoding.explode => joined(","),
        Style::SpaceDelimited => joined(" "),
        Style::PipeDelimited => joined("|"),
        _ => texts
            .iter()
            .map(|t| (field.to_owned(), t.clone()))
            .collect(),
    })
}

/// `value` under the key `prefix` as `deepObject` sends it: one pair per primitive, its key
/// the path to it in brackets.
fn flatten(prefix: &str, value: &Value, out: &mut Vec<(String, String)>) -> Result<(), Unsendable> {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                if key.contains(['[', ']']) {
                    return Err(Unsendable(format!(
                        "the key `{key}` of `{prefix}` holds a bracket, which deepObject cannot send"
                    )));
                }
                flatten(&format!("{prefix}[{key}]"), inner, out)?;
            }
        }
        Value::Array(items) => {
            for (i, inner) in items.iter().enumerate() {
                flatten(&format!("{prefix}[{i}]"), inner, out)?;
            }
        }
        primitive => out.push((
            prefix.to_owned(),
            primitive_text(primitive).unwrap_or_default(),
        )),
    }
    Ok(())
}

/// `value` put at `path` of the tree; `Err` when a key is given both a value and children.
fn insert(nodes: &mut Vec<(String, Node)>, path: &[String], value: String) -> Result<(), ()> {
    let Some((head, rest)) = path.split_first() else {
        return Err(());
    };
    let at = match nodes.iter().position(|(k, _)| k == head) {
        Some(at) => at,
        None => {
            let fresh = match rest.is_empty() {
                true => Node::Leaf(Vec::new()),
                false => Node::Branch(Vec::new()),
            };
            nodes.push((head.clone(), fresh));
            nodes.len() - 1
        }
    };
    match (&mut nodes[at].1, rest.is_empty()) {
        (Node::Leaf(values), true) => {
            values.push(value);
            Ok(())
        }
        (Node::Branch(children), false) => insert(children, rest, value),
        _ => Err(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deep(fields: &[&str]) -> BTreeMap<String, FieldEncoding> {
        fields
            .iter()
            .map(|f| {
                let encoding = FieldEncoding {
                    style: Style::DeepObject,
                    explode: true,
                };
                ((*f).to_owned(), encoding)
            })
            .collect()
    }

    fn schema() -> Value {
        json!({
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "count": {"type": "integer"},
                "metadata": {"anyOf": [
                    {"type": "object", "additionalProperties": {"type": "string"}},
                    {"enum": [""]}
                ]},
                "address": {"$ref": "#/$defs/Address"},
                "items": {"type": "array", "items": {"type": "object", "properties": {
                    "price": {"type": "string"}, "quantity": {"type": "integer"}}}},
                "expand": {"type": "array", "items": {"type": "string"}},
                "tags": {"type": "array", "items": {"type": "integer"}}
            },
            "$defs": {"Address": {"type": "object", "properties": {
                "line1": {"type": "string"}, "zip": {"type": "integer"}}}}
        })
    }

    #[test]
    fn nested_values_go_as_bracketed_keys_and_read_back_by_the_schema() {
        let form = Form::new(&schema(), deep(&["metadata", "address", "items", "expand"]));
        let body = json!({
            "name": "a b&c",
            "count": 3,
            "metadata": {"order": "7", "note": "x=y"},
            "address": {"line1": "1 Main St", "zip": 12345},
            "items": [{"price": "p_1", "quantity": 2}, {"price": "p_2", "quantity": 1}],
            "expand": ["customer", "invoice"],
            "tags": [1, 2]
        });
        let bytes = form.encode(&body).unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.contains("metadata%5Border%5D=7"), "{text}");
        assert!(text.contains("items%5B1%5D%5Bquantity%5D=1"), "{text}");
        assert!(text.contains("expand%5B0%5D=customer"), "{text}");
        assert!(
            text.contains("name=a+b%26c") && text.contains("tags=1&tags=2"),
            "{text}"
        );
        assert_eq!(form.decode(&bytes).unwrap(), body);
        // The empty-string branch of `metadata` is a plain value.
        let blank = json!({"metadata": ""});
        assert_eq!(form.decode(&form.encode(&blank).unwrap()).unwrap(), blank);
    }

    #[test]
    fn answers_kept_read_a_body_as_a_first_reading_does_and_stay_bounded() {
        let form = Form::new(&schema(), deep(&["metadata", "items"]));
        let body = json!({"metadata": {"order": "7"}, "items": [{"price": "p", "quantity": 2}]});
        let bytes = form.encode(&body).unwrap();
        let first = form.decode(&bytes).unwrap();
        assert_eq!(
            form.decode(&bytes).unwrap(),
            first,
            "read again from kept answers"
        );
        assert_eq!(
            form.clone().decode(&bytes).unwrap(),
            first,
            "a copy starts afresh"
        );
        // A client choosing its keys cannot grow the kept answers past their bound.
        let keys: Vec<String> = (0..MAX_ANSWERS + 100)
            .map(|i| format!("metadata%5Bk{i}%5D=v"))
            .collect();
        let many = form.decode(keys.join("&").as_bytes()).unwrap();
        assert_eq!(
            many["metadata"].as_object().map(Map::len),
            Some(MAX_ANSWERS + 100)
        );
        assert!(locked(&form.answers.members).len() <= MAX_ANSWERS);
        assert!(locked(&form.answers.types).len() <= MAX_ANSWERS);
    }

    #[test]
    fn a_nested_value_without_deep_object_cannot_be_sent() {
        let form = Form::new(&schema(), BTreeMap::new());
        let error = form
            .encode(&json!({"address": {"line1": "x"}}))
            .unwrap_err();
        assert!(error.0.contains("deepObject"), "{error}");
        // Without deepObject, a bracketed key is a field's name, not a path.
        let read = form.decode(b"address%5Bline1%5D=x").unwrap();
        assert_eq!(read, json!({"address[line1]": "x"}));
    }

    #[test]
    fn joined_arrays_split_by_their_style() {
        let styles = [
            (Style::Form, false, "tags=1%2C2"),
            (Style::SpaceDelimited, false, "tags=1+2"),
            (Style::PipeDelimited, false, "tags=1%7C2"),
        ];
        for (style, explode, wire) in styles {
            let encoding = [("tags".to_owned(), FieldEncoding { style, explode })];
            let form = Form::new(&schema(), encoding.into_iter().collect());
            let body = json!({"tags": [1, 2]});
            let bytes = form.encode(&body).unwrap();
            assert_eq!(String::from_utf8(bytes.clone()).unwrap(), wire);
            assert_eq!(form.decode(&bytes).unwrap(), body, "{style:?}");
        }
    }

    #[test]
    fn a_key_that_is_both_a_value_and_nested_is_refused() {
        let form = Form::new(&schema(), deep(&["address"]));
        let error = form.decode(b"address=x&address%5Bline1%5D=y").unwrap_err();
        assert!(error.contains("address[line1]"), "{error}");
    }
}
