//! Success bodies: a [`BodyTemplate`] is built once per operation from its success response
//! schema and the case's `sandbox_fields`, then rendered per request from a hash of the request
//! body, so the same body always gets the same answer and different bodies get varied ones.
//!
//! Everything that can be decided before the first request is: JSON keys and constant values
//! are stored pre-serialised, enum values as pre-serialised lists. Rendering only copies bytes
//! and writes the hash. Response faults rewrite the template once, at start.

use super::faults::Fault;
use crate::contract::Operation;
use crate::schema::Keyword;
use serde_json::Value;
use std::collections::BTreeMap;

/// The placeholder in `sandbox_fields` templates that becomes the request-body hash.
const HASH_PLACEHOLDER: &str = "{hash}";

/// The undocumented field `drift-new-field` adds (suffixed with digits if the schema has it).
const NEW_FIELD_NAME: &str = "riskScore";

/// Why a success body cannot be built for an operation.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TemplateError {
    /// A `[sandbox.fields]` template names a field the response schema lacks.
    #[error("sandbox field `{pointer}` names no property of the success response schema")]
    UnknownField {
        /// Its JSON pointer.
        pointer: String,
    },
    /// The built body does not validate against the response schema.
    #[error("the generated success body does not validate against the response schema at `{pointer}`: {message}")]
    InvalidBody {
        /// The JSON pointer of the first error.
        pointer: String,
        /// The validator's message.
        message: String,
    },
}

/// The stable 64-bit FNV-1a hash of a request body: the same bytes give the same value on
/// every run and platform.
pub fn body_hash(bytes: &[u8]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes.iter().fold(OFFSET, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(PRIME)
    })
}

/// How one value of the success body is produced.
#[derive(Debug, Clone)]
enum Source {
    /// A constant, pre-serialised.
    Json(String),
    /// Pre-serialised pieces of a string with the hex hash written between each pair.
    Hashed(Vec<String>),
    /// One of the pre-serialised values, picked by `(hash + salt) % len`.
    OneOf {
        choices: Vec<String>,
        salt: u64,
    },
    Object(Vec<Property>),
}

/// What fault targeting needs to know about a property.
#[derive(Debug, Clone, Default)]
struct Facts {
    is_string: bool,
    is_enum: bool,
    /// Set by a `sandbox_fields` template without `{hash}`.
    fixed_template: bool,
    redacted: bool,
}

#[derive(Debug, Clone)]
struct Property {
    name: String,
    /// `"name":`, pre-serialised.
    key: String,
    source: Source,
    facts: Facts,
}

impl Property {
    fn new(name: String, source: Source, facts: Facts) -> Property {
        let key = format!("{}:", Value::String(name.clone()));
        Property {
            name,
            key,
            source,
            facts,
        }
    }

    fn rename(&mut self, name: String) {
        *self = Property::new(name, self.source.clone(), self.facts.clone());
    }
}

/// The success body of one operation, ready to render.
#[derive(Debug, Clone)]
pub struct BodyTemplate {
    root: Source,
    /// The top-level properties the schema forbids (`false`: a `writeOnly` one in the
    /// response view), left out; `write-only-returned` returns the first.
    forbidden: Vec<String>,
    /// A little more than a rendered body's size, so rendering allocates once.
    capacity: usize,
}

impl BodyTemplate {
    /// Build the template for `operation`'s `status` response and check that what it renders
    /// validates against its schema. Without a documented schema the body is `{}`.
    pub fn build(operation: &Operation, status: u16) -> Result<BodyTemplate, TemplateError> {
        let schema = operation
            .response_for(status)
            .and_then(|r| r.schema.as_ref());
        Self::for_schema(schema, operation)
    }

    /// Build the template for the response schema `schema` of `operation` (`None`: `{}`) and
    /// check that what it renders validates against it: an error says that neither this
    /// walk nor the solver finds a body the schema admits.
    pub fn for_schema(
        schema: Option<&crate::contract::Schema>,
        operation: &Operation,
    ) -> Result<BodyTemplate, TemplateError> {
        let any_object = serde_json::json!({ (Keyword::Type.name()): "object" });
        let document = schema.map_or(&any_object, |s| &*s.document);
        let mut template =
            Self::from_schema(document, &operation.sandbox_fields, &operation.redactions)?;
        if let Some(schema) = schema {
            if let Err(error) = template.check(&schema.validator()) {
                // The walk above knows the keywords success bodies usually use; for the
                // others, the generator's solver finds a valid body, the same every time.
                let value = crate::generate::valid_value(&schema.document).ok_or(error)?;
                template.root = Source::Json(value.to_string());
                template.capacity = value.to_string().len() + 64;
                template.check(&schema.validator())?;
            }
        }
        Ok(template)
    }

    /// Build the template for a response schema document, without checking the result.
    pub fn from_schema(
        document: &Value,
        fields: &[(String, String)],
        redactions: &[String],
    ) -> Result<BodyTemplate, TemplateError> {
        let mut builder = Builder {
            document,
            index: crate::schema::Index::new(document),
            fields: fields.iter().cloned().collect(),
            redactions,
            salt: 0,
            forbidden: Vec::new(),
            visiting: Vec::new(),
        };
        let root = builder.source(&[document], "", 0);
        if let Some(pointer) = builder.fields.into_keys().next() {
            return Err(TemplateError::UnknownField { pointer });
        }
        let mut template = BodyTemplate {
            root,
            forbidden: builder.forbidden,
            capacity: 0,
        };
        template.capacity = template.render(body_hash(b"{}")).len() + 64;
        Ok(template)
    }

    fn check(&self, validator: &jsonschema::Validator) -> Result<(), TemplateError> {
        let rendered = self.render(body_hash(b"{}"));
        let body: Value = serde_json::from_slice(&rendered).unwrap_or(Value::Null);
        let first = validator
            .iter_errors(&body)
            .next()
            .map(|error| TemplateError::InvalidBody {
                pointer: error.instance_path().to_string(),
                message: error.to_string(),
            });
        first.map_or(Ok(()), Err)
    }

    /// The body for a request whose body hashes to `hash`.
    pub fn render(&self, hash: u64) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.capacity);
        let hex = hex(hash);
        self.root.render(hash, &hex, &mut out);
        out
    }

    /// Rewrite the template to commit the response faults among `faults`; others are ignored.
    pub fn apply_faults(&mut self, faults: &[Fault]) {
        if let Source::Json(text) = &self.root {
            // A body the solver made (the walk's did not validate) is one constant object.
            let object = object_properties(text).filter(|_| !self.forbidden.is_empty());
            if let (true, Some(mut properties)) =
                (faults.contains(&Fault::WriteOnlyReturned), object)
            {
                return_a_forbidden_property(&mut properties, &self.forbidden);
                self.root = Source::Object(properties);
                self.capacity = self.render(0).len() + 64;
            }
            return;
        }
        let Source::Object(properties) = &mut self.root else {
            return;
        };
        for fault in faults {
            match fault {
                Fault::ResponseWrongType => make_a_string_a_number(properties),
                Fault::ResponseEnumOutside => move_an_enum_outside(properties),
                Fault::ResponseNull => make_a_property_null(properties),
                Fault::ResponseRenamedField => rename_a_property(properties),
                Fault::DriftNewField => add_an_undocumented_field(properties),
                Fault::DriftStatusValue => upper_case_fixed_values(properties),
                Fault::DriftDroppedField => drop_a_property(properties),
                Fault::WriteOnlyReturned => {
                    return_a_forbidden_property(properties, &self.forbidden)
                }
                _ => {}
            }
        }
        self.capacity = self.render(0).len() + 64;
    }
}

fn hex(hash: u64) -> [u8; 16] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; 16];
    for (i, slot) in out.iter_mut().enumerate() {
        let shift = 60 - 4 * i;
        // Masked to 0..16, so the index is always in range.
        *slot = DIGITS[((hash >> shift) & 0xf) as usize];
    }
    out
}

impl Source {
    fn render(&self, hash: u64, hex: &[u8; 16], out: &mut Vec<u8>) {
        match self {
            Source::Json(text) => out.extend_from_slice(text.as_bytes()),
            Source::Hashed(pieces) => {
                for (i, piece) in pieces.iter().enumerate() {
                    if i > 0 {
                        out.extend_from_slice(hex);
                    }
                    out.extend_from_slice(piece.as_bytes());
                }
            }
            Source::OneOf { choices, salt } => {
                let len = choices.len().max(1) as u64;
                let index = (hash.wrapping_add(*salt) % len) as usize;
                if let Some(choice) = choices.get(index) {
                    out.extend_from_slice(choice.as_bytes());
                }
            }
            Source::Object(properties) => {
                out.push(b'{');
                for (i, property) in properties.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    out.extend_from_slice(property.key.as_bytes());
                    property.source.render(hash, hex, out);
                }
                out.push(b'}');
            }
        }
    }
}

/// Walks the response schema once, turning each node into a [`Source`].
struct Builder<'a> {
    document: &'a Value,
    /// Where the document's `$id`s and anchors are: references resolve as the generator's do.
    index: crate::schema::Index,
    /// The `sandbox_fields` not yet placed; whatever is left at the end names nothing.
    fields: BTreeMap<String, String>,
    redactions: &'a [String],
    /// Counts properties, so each enum property draws from its own offset.
    salt: u64,
    /// The top-level properties the schema forbids.
    forbidden: Vec<String>,
    /// The schemas being built, outermost first: an optional property that leads back into
    /// one of them is left out, so a recursive schema gives a finite body.
    visiting: Vec<*const Value>,
}

/// `$ref` chains longer than this are treated as unresolvable (they would be a cycle).
const MAX_REF_DEPTH: usize = 16;

/// At most this many schemas are gathered through `allOf` for one value.
const MAX_PARTS: usize = 64;

impl<'a> Builder<'a> {
    fn resolve(&self, node: &'a Value) -> &'a Value {
        let mut node = node;
        for _ in 0..MAX_REF_DEPTH {
            let target = Keyword::Ref
                .value_in(node)
                .and_then(Value::as_str)
                .and_then(|r| self.index.resolve("", r))
                .and_then(|pointer| self.document.pointer(&pointer));
            match target {
                Some(next) => node = next,
                None => break,
            }
        }
        node
    }

    /// The schemas a value must satisfy at once: `nodes` and, through `allOf`, the schemas
    /// each inherits from, resolved, each once. An inherited property (a discriminator's
    /// value set by a subtype) is built from them all.
    fn parts(&self, nodes: &[&'a Value]) -> Vec<&'a Value> {
        let mut parts: Vec<&'a Value> = Vec::new();
        let mut queue: Vec<&'a Value> = nodes.iter().rev().copied().collect();
        while let Some(node) = queue.pop() {
            let node = self.resolve(node);
            if parts.iter().any(|p| std::ptr::eq(*p, node)) || parts.len() >= MAX_PARTS {
                continue;
            }
            parts.push(node);
            if let Some(Value::Array(members)) = Keyword::AllOf.value_in(node) {
                queue.extend(members.iter().rev());
            }
            // A value of an `anyOf` or `oneOf` is one of its branch's: the first, which the
            // check after the walk confirms (a `oneOf` whose branches overlap goes to the
            // solver). Without it such a property, most of a large API's expandable fields,
            // was `null` and the whole body fell to the solver.
            for alternatives in [Keyword::AnyOf, Keyword::OneOf] {
                if let Some(first) = alternatives.value_in(node).and_then(Value::as_array) {
                    queue.extend(first.first());
                }
            }
        }
        parts
    }

    fn source(&mut self, nodes: &[&'a Value], pointer: &str, depth: usize) -> Source {
        let parts = self.parts(nodes);
        let typed = parts
            .iter()
            .copied()
            .find(|p| primary_type(p).is_some())
            .or_else(|| parts.first().copied())
            .unwrap_or(&Value::Bool(true));
        if let Some(template) = self.fields.remove(pointer) {
            return template_source(&template, typed);
        }
        if let Some(constant) = parts.iter().find_map(|p| Keyword::Const.value_in(p)) {
            return Source::Json(constant.to_string());
        }
        if let Some(Value::Array(values)) = parts.iter().find_map(|p| Keyword::Enum.value_in(p)) {
            let choices = values.iter().map(Value::to_string).collect();
            return Source::OneOf {
                choices,
                salt: self.salt,
            };
        }
        let has_properties = parts
            .iter()
            .any(|p| Keyword::Properties.value_in(p).is_some());
        match primary_type(typed) {
            Some("object") | None if has_properties && depth < MAX_REF_DEPTH => {
                let before = self.visiting.len();
                self.visiting
                    .extend(parts.iter().map(|p| *p as *const Value));
                let properties = self.properties(&parts, pointer, depth);
                self.visiting.truncate(before);
                Source::Object(properties)
            }
            Some("object") => Source::Json("{}".into()),
            Some("string") => Source::Json(Value::String(default_string(typed)).to_string()),
            Some("integer" | "number") => Source::Json(default_number(typed)),
            Some("boolean") => Source::Json("false".into()),
            Some("array") => Source::Json("[]".into()),
            _ => Source::Json("null".into()),
        }
    }

    /// The properties of an object that satisfies every one of `parts`, each built from
    /// every part that declares it; an optional one that leads back into a schema being
    /// built is left out.
    fn properties(&mut self, parts: &[&'a Value], pointer: &str, depth: usize) -> Vec<Property> {
        let mut declared: Vec<(&'a String, Vec<&'a Value>)> = Vec::new();
        for part in parts {
            let Some(Value::Object(properties)) = Keyword::Properties.value_in(part) else {
                continue;
            };
            for (name, child) in properties {
                match declared.iter_mut().find(|(n, _)| *n == name) {
                    Some((_, children)) => children.push(child),
                    None => declared.push((name, vec![child])),
                }
            }
        }
        let required: Vec<&str> = parts
            .iter()
            .filter_map(|p| Keyword::Required.value_in(p).and_then(Value::as_array))
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let mut built = Vec::with_capacity(declared.len());
        for (name, children) in declared {
            let resolved: Vec<&'a Value> = children.iter().map(|c| self.resolve(c)).collect();
            // A property no value may take (a `writeOnly` one, in a response) is left out.
            if resolved.iter().any(|c| *c == &Value::Bool(false)) {
                if pointer.is_empty() {
                    self.forbidden.push(name.clone());
                }
                continue;
            }
            let recursive = resolved
                .iter()
                .any(|c| self.visiting.contains(&(*c as *const Value)));
            if recursive && !required.contains(&name.as_str()) {
                continue;
            }
            let child_pointer = format!("{pointer}/{}", crate::schema::escape(name));
            let facts = self.facts(&resolved, &child_pointer);
            self.salt += 1;
            let source = self.source(&children, &child_pointer, depth + 1);
            built.push(Property::new(name.clone(), source, facts));
        }
        built
    }

    fn facts(&self, nodes: &[&'a Value], pointer: &str) -> Facts {
        let parts = self.parts(nodes);
        Facts {
            is_string: parts.iter().find_map(|p| primary_type(p)) == Some("string"),
            is_enum: parts.iter().any(|p| Keyword::Enum.value_in(p).is_some()),
            fixed_template: self
                .fields
                .get(pointer)
                .is_some_and(|t| !t.contains(HASH_PLACEHOLDER)),
            redacted: self.redactions.iter().any(|r| r == pointer),
        }
    }
}

/// A template is a string, unless the schema wants another type and the template is that
/// JSON (e.g. `"42"` for an integer).
fn template_source(template: &str, node: &Value) -> Source {
    if template.contains(HASH_PLACEHOLDER) {
        let serialised = Value::String(template.to_owned()).to_string();
        return Source::Hashed(
            serialised
                .split(HASH_PLACEHOLDER)
                .map(str::to_owned)
                .collect(),
        );
    }
    let wants_string = matches!(primary_type(node), Some("string") | None);
    match serde_json::from_str::<Value>(template) {
        Ok(value) if !wants_string && !value.is_string() => Source::Json(value.to_string()),
        _ => Source::Json(Value::String(template.to_owned()).to_string()),
    }
}

/// The node's `type`, or the first of its types.
fn primary_type(node: &Value) -> Option<&str> {
    crate::schema::declared_types(node).next()
}

fn default_string(node: &Value) -> String {
    match Keyword::Format.value_in(node).and_then(Value::as_str) {
        Some("date-time") => "1970-01-01T00:00:00Z".into(),
        Some("date") => "1970-01-01".into(),
        Some("time") => "00:00:00Z".into(),
        Some("email") => "sandbox@specgate.invalid".into(),
        Some("uri" | "url") => "https://sandbox.specgate.invalid/".into(),
        Some("uuid") => "00000000-0000-4000-8000-000000000000".into(),
        _ => {
            let min = Keyword::MinLength
                .value_in(node)
                .and_then(Value::as_u64)
                .and_then(|min| usize::try_from(min).ok())
                .unwrap_or(0);
            let max = Keyword::MaxLength
                .value_in(node)
                .and_then(Value::as_u64)
                .and_then(|max| usize::try_from(max).ok());
            Keyword::Pattern
                .value_in(node)
                .and_then(Value::as_str)
                .and_then(|pattern| crate::generate::shortest_match(pattern, min, max))
                .unwrap_or_else(|| "x".repeat(min))
        }
    }
}

fn default_number(node: &Value) -> String {
    Keyword::Minimum
        .value_in(node)
        .filter(|m| m.is_number())
        .map_or_else(|| "0".to_owned(), Value::to_string)
}

fn documented(properties: &[Property]) -> impl Iterator<Item = &Property> {
    properties.iter().filter(|p| !p.facts.redacted)
}

fn position(properties: &[Property], wanted: impl Fn(&Property) -> bool) -> Option<usize> {
    properties.iter().position(wanted)
}

/// The first non-redacted plain string (no enum) becomes a number.
fn make_a_string_a_number(properties: &mut [Property]) {
    let target = position(properties, |p| {
        !p.facts.redacted && p.facts.is_string && !p.facts.is_enum
    })
    .or_else(|| position(properties, |p| p.facts.is_string));
    if let Some(i) = target {
        properties[i].source = Source::Json("1".into());
    }
}

/// The first enum property draws from values outside its enum (its values upper-cased).
fn move_an_enum_outside(properties: &mut [Property]) {
    let Some(i) = position(properties, |p| p.facts.is_enum) else {
        return;
    };
    if let Source::OneOf { choices, .. } = &mut properties[i].source {
        let outside: Vec<String> = choices.iter().map(|c| outside_value(c, choices)).collect();
        *choices = outside;
    }
}

fn outside_value(choice: &str, choices: &[String]) -> String {
    let upper = match serde_json::from_str::<Value>(choice) {
        Ok(Value::String(text)) => text.to_uppercase(),
        _ => format!("{choice}-UNDOCUMENTED"),
    };
    let candidate = Value::String(upper.clone()).to_string();
    if choices.contains(&candidate) {
        Value::String(format!("UNDOCUMENTED_{upper}")).to_string()
    } else {
        candidate
    }
}

/// The last enum property (else the first non-redacted one) becomes null.
fn make_a_property_null(properties: &mut [Property]) {
    let target = properties
        .iter()
        .rposition(|p| p.facts.is_enum)
        .or_else(|| position(properties, |p| !p.facts.redacted));
    if let Some(i) = target {
        properties[i].source = Source::Json("null".into());
    }
}

/// The first non-redacted, non-enum property whose snake_case name differs is renamed to it.
fn rename_a_property(properties: &mut [Property]) {
    let taken: Vec<String> = properties.iter().map(|p| p.name.clone()).collect();
    let renamed = |p: &Property| snake_case(&p.name);
    let target = position(properties, |p| {
        !p.facts.redacted
            && !p.facts.is_enum
            && renamed(p) != p.name
            && !taken.contains(&renamed(p))
    });
    match target {
        Some(i) => {
            let name = renamed(&properties[i]);
            properties[i].rename(name);
        }
        None => {
            if let Some(i) = position(properties, |p| !p.facts.redacted) {
                let name = unused_name(&format!("{}_renamed", properties[i].name), &taken);
                properties[i].rename(name);
            }
        }
    }
}

fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for c in name.chars() {
        if c.is_uppercase() {
            out.push('_');
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn unused_name(wanted: &str, taken: &[String]) -> String {
    let mut name = wanted.to_owned();
    let mut n = 2;
    while taken.contains(&name) {
        name = format!("{wanted}{n}");
        n += 1;
    }
    name
}

fn add_an_undocumented_field(properties: &mut Vec<Property>) {
    let taken: Vec<String> = properties.iter().map(|p| p.name.clone()).collect();
    let name = unused_name(NEW_FIELD_NAME, &taken);
    properties.push(Property::new(
        name,
        Source::Json("0".into()),
        Facts::default(),
    ));
}

/// Values set by fixed templates (e.g. a status) change spelling: upper-case.
fn upper_case_fixed_values(properties: &mut [Property]) {
    for property in properties.iter_mut().filter(|p| p.facts.fixed_template) {
        if let Source::Json(text) = &property.source {
            if let Ok(Value::String(value)) = serde_json::from_str::<Value>(text) {
                property.source = Source::Json(Value::String(value.to_uppercase()).to_string());
            }
        }
    }
}

/// The last non-redacted property disappears.
fn drop_a_property(properties: &mut Vec<Property>) {
    let last = documented(properties).last().map(|p| p.name.clone());
    if let Some(name) = last {
        properties.retain(|p| p.name != name);
    }
}

/// The members of the JSON object `text` as constant properties; `None` if it is not one.
fn object_properties(text: &str) -> Option<Vec<Property>> {
    let Ok(Value::Object(members)) = serde_json::from_str::<Value>(text) else {
        return None;
    };
    let constant = |(name, value): (String, Value)| {
        Property::new(name, Source::Json(value.to_string()), Facts::default())
    };
    Some(members.into_iter().map(constant).collect())
}

/// `write-only-returned`: the first top-level property the schema forbids (a `writeOnly`
/// one) comes back, with the kind of value a secret has.
fn return_a_forbidden_property(properties: &mut Vec<Property>, forbidden: &[String]) {
    if let Some(name) = forbidden.first() {
        let value = Source::Json("\"written-only-s3cret\"".to_owned());
        properties.push(Property::new(name.clone(), value, Facts::default()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rendered(schema: &Value, fields: &[(&str, &str)], hash: u64) -> Value {
        let fields: Vec<(String, String)> = fields
            .iter()
            .map(|(p, t)| ((*p).to_owned(), (*t).to_owned()))
            .collect();
        let template = BodyTemplate::from_schema(schema, &fields, &[]).expect("a template");
        serde_json::from_slice(&template.render(hash)).expect("JSON")
    }

    #[test]
    fn every_property_gets_a_value_of_its_type() {
        let schema = json!({
            "type": "object",
            "$defs": {"When": {"type": "string", "format": "date-time"}},
            "properties": {
                "name": {"type": "string", "minLength": 2},
                "count": {"type": "integer", "minimum": 3},
                "ok": {"type": "boolean"},
                "tags": {"type": "array"},
                "at": {"$ref": "#/$defs/When"},
                "kind": {"const": "fixed"},
                "inner": {"type": "object", "properties": {"deep": {"type": "number"}}}
            }
        });
        let body = rendered(&schema, &[], 0);
        let expected = json!({
            "name": "xx", "count": 3, "ok": false, "tags": [], "at": "1970-01-01T00:00:00Z",
            "kind": "fixed", "inner": {"deep": 0}
        });
        assert_eq!(body, expected);
    }

    #[test]
    fn an_object_gathers_the_properties_of_what_it_inherits_through_all_of() {
        let schema = json!({
            "$defs": {
                "Base": {"type": "object", "required": ["kind"],
                         "properties": {"kind": {"type": "string"}}},
                "Named": {"allOf": [
                    {"$ref": "#/$defs/Base"},
                    {"properties": {"kind": {"enum": ["Named"]}}}
                ], "properties": {"name": {"type": "string", "minLength": 1}}}
            },
            "allOf": [{"$ref": "#/$defs/Named"}],
            "type": "object",
            "properties": {"size": {"type": "integer", "minimum": 2}}
        });
        let body = rendered(&schema, &[], 0);
        assert_eq!(body, json!({"size": 2, "name": "x", "kind": "Named"}));
    }

    #[test]
    fn an_optional_property_that_leads_back_is_left_out() {
        let schema = json!({
            "$defs": {"Node": {"type": "object", "required": ["id"], "properties": {
                "id": {"type": "string"},
                "next": {"$ref": "#/$defs/Node"},
                "child": {"$ref": "#/$defs/Leaf"}
            }}, "Leaf": {"type": "object", "properties": {"up": {"$ref": "#/$defs/Node"}}}},
            "$ref": "#/$defs/Node"
        });
        let body = rendered(&schema, &[], 0);
        assert_eq!(body, json!({"id": "", "child": {}}));
    }

    #[test]
    fn an_any_of_or_one_of_is_walked_through_its_first_branch() {
        // Stripe's expandable fields: an id string or the expanded object, maybe null.
        let schema = json!({
            "$defs": {"Customer": {"type": "object", "required": ["id"],
                "properties": {"id": {"type": "string"}}}},
            "type": "object",
            "required": ["customer", "source", "shape"],
            "properties": {
                "customer": {"anyOf": [{"$ref": "#/$defs/Customer"}, {"type": "string"}]},
                "source": {"anyOf": [{"type": "string", "maxLength": 5000}], "nullable": true},
                "shape": {"oneOf": [{"type": "integer", "minimum": 3}, {"type": "string"}]}
            }
        });
        let body = rendered(&schema, &[], 1);
        assert_eq!(body["customer"], json!({"id": ""}));
        assert_eq!(body["source"], json!(""));
        assert_eq!(body["shape"], json!(3));
    }

    #[test]
    fn a_string_with_a_pattern_matches_it_within_its_lengths() {
        let schema = json!({"type": "object", "properties": {
            "url": {"type": "string", "pattern": "^/v1/charges", "maxLength": 5000},
            "code": {"type": "string", "pattern": "^[A-Z]{3}$"},
            "padded": {"type": "string", "pattern": "^a+$", "minLength": 4}
        }});
        let body = rendered(&schema, &[], 1);
        assert!(body["url"]
            .as_str()
            .is_some_and(|u| u.starts_with("/v1/charges")));
        assert!(body["code"]
            .as_str()
            .is_some_and(|c| c.len() == 3 && c.chars().all(|c| c.is_ascii_uppercase())));
        assert_eq!(body["padded"], json!("aaaa"));
    }

    #[test]
    fn templates_fill_nested_pointers_and_the_hash_replaces_its_placeholder() {
        let schema = json!({"type": "object", "properties": {
            "inner": {"type": "object", "properties": {"id": {"type": "string"}, "n": {"type": "integer"}}}
        }});
        let body = rendered(
            &schema,
            &[("/inner/id", "id-{hash}"), ("/inner/n", "42")],
            0xabc,
        );
        assert_eq!(
            body,
            json!({"inner": {"id": "id-0000000000000abc", "n": 42}})
        );
    }

    #[test]
    fn enum_values_are_drawn_by_the_hash() {
        let schema = json!({"type": "object", "properties": {"pick": {"enum": ["a", "b", "c"]}}});
        let picks: Vec<Value> = (0..3)
            .map(|hash| rendered(&schema, &[], hash)["pick"].clone())
            .collect();
        assert_eq!(picks, [json!("b"), json!("c"), json!("a")]);
    }

    #[test]
    fn a_template_for_a_property_the_schema_lacks_is_an_error() {
        let schema = json!({"type": "object", "properties": {}});
        let fields = [("/nowhere".to_owned(), "x".to_owned())];
        let error = BodyTemplate::from_schema(&schema, &fields, &[]).unwrap_err();
        assert_eq!(
            error,
            TemplateError::UnknownField {
                pointer: "/nowhere".into()
            }
        );
    }

    #[test]
    fn the_body_hash_is_fnv1a() {
        assert_eq!(body_hash(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(body_hash(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn hex_writes_sixteen_lower_case_digits() {
        assert_eq!(&hex(0x0123_4567_89ab_cdef), b"0123456789abcdef");
    }

    #[test]
    fn snake_case_splits_at_capitals() {
        assert_eq!(snake_case("lastSeenAt"), "last_seen_at");
        assert_eq!(snake_case("status"), "status");
    }

    #[test]
    fn outside_values_never_fall_inside_the_enum() {
        let choices = vec!["\"UBN\"".to_owned(), "\"Card\"".to_owned()];
        assert_eq!(outside_value("\"Card\"", &choices), "\"CARD\"");
        assert_eq!(outside_value("\"UBN\"", &choices), "\"UNDOCUMENTED_UBN\"");
    }
}
