//! Building the observed contract from exchanges: one [`Observer`] per worker, merged, then
//! frozen into a deterministic [`ObservedContract`] per case.
//!
//! Memory is bounded by these limits, not by what a server sends: at most
//! [`MAX_POINTERS`] distinct JSON pointers and [`MAX_CONTENT_TYPES`] media types per request
//! class and status (more set `truncated`, which is graded as drift), pointers, media types
//! and tracked values of bounded length, and JSON nesting as deep as serde_json parses (128
//! levels).

use crate::check::Outcome;
use crate::contract::{Expect, Operation};
use crate::generate::{Family, Origin, PlannedRequest};
use crate::schema::{escape, unescape, Index, Keyword};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::cell::OnceCell;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// String fields with more distinct values than this are shape-only (`many`).
const MAX_TRACKED_VALUES: usize = 12;
/// Enum fields of the response schema are tracked up to this many values.
const MAX_TRACKED_ENUM_VALUES: usize = 256;
/// Distinct JSON pointers kept per request class and status.
pub(super) const MAX_POINTERS: usize = 512;
/// Longer pointers are not kept (they count as truncation).
const MAX_POINTER_BYTES: usize = 1024;
/// Longer string values are not tracked: the field becomes `many`.
const MAX_VALUE_BYTES: usize = 1024;
/// Distinct media types kept per request class and status, and their longest length: more,
/// or longer, is truncation.
const MAX_CONTENT_TYPES: usize = 16;
const MAX_MEDIA_TYPE_BYTES: usize = 256;

/// The observed contract of one case: request class -> status -> what came back.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ObservedContract {
    /// The case.
    pub case: String,
    /// Request class (`valid`, `invalid/<family>`, `auth`) → status → what was seen.
    pub classes: BTreeMap<String, BTreeMap<String, ObservedStatus>>,
}

impl ObservedContract {
    /// Apply `scrub` to everything the server chose: content types, field names (pointers)
    /// and tracked values (a server may echo a secret back in any of them).
    pub fn scrub_values(&mut self, scrub: &dyn Fn(&str) -> String) {
        for status in self.classes.values_mut().flat_map(|s| s.values_mut()) {
            let types = std::mem::take(&mut status.content_types);
            status.content_types = types.iter().map(|t| scrub(t)).collect();
            let fields = std::mem::take(&mut status.fields);
            for (pointer, mut field) in fields {
                if let Some(values) = field.values.take() {
                    field.values = Some(values.iter().map(|v| scrub(v)).collect());
                }
                status.fields.insert(scrub_pointer(&pointer, scrub), field);
            }
        }
    }
}

/// What came back with one status for one request class.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ObservedStatus {
    pub content_types: BTreeSet<String>,
    /// JSON pointer (array items as `/*`) -> field.
    pub fields: BTreeMap<String, ObservedField>,
    /// The bodies held more than [`MAX_POINTERS`] distinct pointers (or absurdly long
    /// ones): only the first were kept.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ObservedField {
    pub types: BTreeSet<String>,
    /// Present in every body of this class and status.
    pub always: bool,
    /// The values seen, for enum fields and string fields with few distinct values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<BTreeSet<String>>,
    /// Values not tracked: `redacted` (named in the case's redactions) or `many`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub untracked: Option<String>,
}

/// Collects observations during a run (one per worker, merged at the end).
#[derive(Debug, Default, Clone)]
pub struct Observer {
    cases: Vec<CaseObserver>,
}

#[derive(Debug, Default, Clone)]
struct CaseObserver {
    case: String,
    redactions: BTreeSet<String>,
    /// Pointers of enum properties in the success schemas, with their value limit raised.
    enum_pointers: BTreeSet<String>,
    classes: BTreeMap<String, BTreeMap<u16, StatusTally>>,
}

#[derive(Debug, Default, Clone)]
struct StatusTally {
    bodies: u64,
    content_types: BTreeSet<String>,
    fields: BTreeMap<String, FieldTally>,
    truncated: bool,
}

#[derive(Debug, Default, Clone)]
struct FieldTally {
    types: BTreeSet<&'static str>,
    present: u64,
    values: BTreeSet<String>,
    overflow: bool,
}

/// The request class of a planned request: `valid`, `invalid/<family>` or `auth`.
pub(super) fn request_class(planned: &PlannedRequest) -> String {
    match planned.expect {
        Expect::Accept => "valid".to_owned(),
        Expect::Unauthorized => "auth".to_owned(),
        Expect::Reject if planned.reason.family == Family::Example => "invalid/example".to_owned(),
        Expect::Reject => format!("invalid/{}", planned.reason.family),
    }
}

impl Observer {
    /// An empty observer for `operations`, in their order.
    pub fn new(operations: &[Arc<Operation>]) -> Observer {
        let cases = operations.iter().map(|o| CaseObserver::new(o)).collect();
        Observer { cases }
    }

    /// Record one exchange of operation number `operation`. Random exploration is ignored.
    pub fn observe(&mut self, operation: usize, planned: &PlannedRequest, outcome: &Outcome) {
        if matches!(planned.origin, Origin::Random { .. }) {
            return;
        }
        let (Some(case), Outcome::Response(response)) = (self.cases.get_mut(operation), outcome)
        else {
            return;
        };
        let status = case
            .classes
            .entry(request_class(planned))
            .or_default()
            .entry(response.status)
            .or_default();
        status.bodies += 1;
        let media = response.media_type().unwrap_or_else(|| "(none)".to_owned());
        let known = status.content_types.contains(&media);
        if known
            || (status.content_types.len() < MAX_CONTENT_TYPES
                && media.len() <= MAX_MEDIA_TYPE_BYTES)
        {
            status.content_types.insert(media);
        } else {
            status.truncated = true;
        }
        if response.declares_json() {
            if let Ok(body) = serde_json::from_slice::<Value>(&response.body) {
                let limit = |pointer: &str| {
                    if case.enum_pointers.contains(pointer) {
                        MAX_TRACKED_ENUM_VALUES
                    } else {
                        MAX_TRACKED_VALUES
                    }
                };
                let mut walk = Walk {
                    fields: &mut status.fields,
                    seen: BTreeSet::new(),
                    limit: &limit,
                    truncated: false,
                };
                walk.value(&body, &mut String::new());
                status.truncated |= walk.truncated;
            }
        }
    }

    /// Add another worker thread's observations.
    pub fn merge(&mut self, other: Observer) {
        if self.cases.is_empty() {
            *self = other;
            return;
        }
        for (mine, theirs) in self.cases.iter_mut().zip(other.cases) {
            mine.merge(theirs);
        }
    }

    /// The observed contract of each case, in case order.
    pub fn contracts(&self) -> Vec<ObservedContract> {
        self.cases.iter().map(CaseObserver::freeze).collect()
    }
}

impl CaseObserver {
    fn new(operation: &Operation) -> CaseObserver {
        let mut enum_pointers = BTreeSet::new();
        for response in &operation.responses {
            if let Some(schema) = &response.schema {
                enum_pointers.extend(enum_pointers_of(&schema.document));
            }
        }
        CaseObserver {
            case: operation.name.clone(),
            redactions: operation.redactions.iter().cloned().collect(),
            enum_pointers,
            classes: BTreeMap::new(),
        }
    }

    fn merge(&mut self, other: CaseObserver) {
        for (class, statuses) in other.classes {
            let mine = self.classes.entry(class).or_default();
            for (status, theirs) in statuses {
                let tally = mine.entry(status).or_default();
                tally.bodies += theirs.bodies;
                tally.content_types.extend(theirs.content_types);
                while tally.content_types.len() > MAX_CONTENT_TYPES {
                    tally.content_types.pop_last();
                    tally.truncated = true;
                }
                tally.truncated |= theirs.truncated;
                for (pointer, field) in theirs.fields {
                    let into = tally.fields.entry(pointer).or_default();
                    into.types.extend(field.types);
                    into.present += field.present;
                    into.values.extend(field.values);
                    into.overflow |= field.overflow;
                }
                // Each thread kept up to the limit; together they keep no more.
                while tally.fields.len() > MAX_POINTERS {
                    tally.fields.pop_last();
                    tally.truncated = true;
                }
            }
        }
    }

    fn freeze(&self) -> ObservedContract {
        let mut classes = BTreeMap::new();
        for (class, statuses) in &self.classes {
            let frozen = statuses
                .iter()
                .map(|(status, tally)| (status.to_string(), self.freeze_status(tally)))
                .collect();
            classes.insert(class.clone(), frozen);
        }
        ObservedContract {
            case: self.case.clone(),
            classes,
        }
    }

    fn freeze_status(&self, tally: &StatusTally) -> ObservedStatus {
        let fields = tally
            .fields
            .iter()
            .map(|(pointer, field)| {
                (
                    pointer.clone(),
                    self.freeze_field(pointer, field, tally.bodies),
                )
            })
            .collect();
        ObservedStatus {
            content_types: tally.content_types.clone(),
            fields,
            truncated: tally.truncated,
        }
    }

    fn freeze_field(&self, pointer: &str, field: &FieldTally, bodies: u64) -> ObservedField {
        let limit = if self.enum_pointers.contains(pointer) {
            MAX_TRACKED_ENUM_VALUES
        } else {
            MAX_TRACKED_VALUES
        };
        let (values, untracked) = if self.redactions.contains(pointer) {
            (None, Some("redacted".to_owned()))
        } else if field.overflow || field.values.len() > limit {
            (None, Some("many".to_owned()))
        } else if field.values.is_empty() {
            (None, None)
        } else {
            (Some(field.values.clone()), None)
        };
        ObservedField {
            types: field.types.iter().map(|t| (*t).to_owned()).collect(),
            always: field.present == bodies,
            values,
            untracked,
        }
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// One body's walk: every pointer below the root (array items collapse into `/*`), into
/// `fields`; `seen` holds the pointers already counted as present in this body.
struct Walk<'a> {
    fields: &'a mut BTreeMap<String, FieldTally>,
    seen: BTreeSet<String>,
    limit: &'a dyn Fn(&str) -> usize,
    truncated: bool,
}

impl Walk<'_> {
    fn value(&mut self, value: &Value, pointer: &mut String) {
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    self.child(&escape(key), child, pointer);
                }
            }
            Value::Array(items) => {
                for child in items {
                    self.child("*", child, pointer);
                }
            }
            _ => {}
        }
    }

    fn child(&mut self, segment: &str, child: &Value, pointer: &mut String) {
        let length = pointer.len();
        pointer.push('/');
        pointer.push_str(segment);
        if self.admit(pointer) {
            let field = self.fields.entry(pointer.clone()).or_default();
            field.types.insert(json_type(child));
            if self.seen.insert(pointer.clone()) {
                field.present += 1;
            }
            if let Value::String(text) = child {
                track(field, text, (self.limit)(pointer));
            }
            self.value(child, pointer);
        }
        pointer.truncate(length);
    }

    /// Whether `pointer` is, or may become, a tracked field; a refusal marks truncation.
    fn admit(&mut self, pointer: &str) -> bool {
        let known = self.fields.contains_key(pointer);
        if known || (self.fields.len() < MAX_POINTERS && pointer.len() <= MAX_POINTER_BYTES) {
            return true;
        }
        self.truncated = true;
        false
    }
}

fn track(field: &mut FieldTally, text: &str, limit: usize) {
    if field.overflow || field.values.contains(text) {
        return;
    }
    if field.values.len() >= limit || text.len() > MAX_VALUE_BYTES {
        field.overflow = true;
        field.values.clear();
        return;
    }
    field.values.insert(text.to_owned());
}

/// `pointer` with `scrub` applied to each field name as the server sent it (a secret with
/// a `/` or `~` in it is escaped in the pointer, where it would not be recognised).
fn scrub_pointer(pointer: &str, scrub: &dyn Fn(&str) -> String) -> String {
    let scrubbed = pointer.split('/').map(|segment| {
        let name = unescape(segment);
        escape(&scrub(&name))
    });
    scrubbed.collect::<Vec<_>>().join("/")
}

/// The pointers (in instance terms) of `enum` properties in a response schema, `$ref`s
/// followed through `schema` (a schema met again below itself is walked once).
fn enum_pointers_of(document: &Value) -> BTreeSet<String> {
    let mut walk = EnumWalk {
        document,
        index: OnceCell::new(),
        path: Vec::new(),
        out: BTreeSet::new(),
    };
    walk.schema("", &mut String::new());
    walk.out
}

/// A walk of a response schema's `properties` for [`enum_pointers_of`].
struct EnumWalk<'a> {
    document: &'a Value,
    /// Built only when a `$ref` is met: most response schemas have none.
    index: OnceCell<Index>,
    /// The schema pointers being walked, to stop at recursive schemas.
    path: Vec<String>,
    out: BTreeSet<String>,
}

impl<'a> EnumWalk<'a> {
    /// The subschema at `at` with its `$ref` chain followed.
    fn resolved(&self, at: &str) -> Option<(String, &'a Value)> {
        let document: &'a Value = self.document;
        let node = document.pointer(at)?;
        if Keyword::Ref.value_in(node).is_none() {
            return Some((at.to_owned(), node));
        }
        let index = self.index.get_or_init(|| Index::new(self.document));
        let end = index.follow(self.document, at)?;
        let node = document.pointer(&end)?;
        Some((end, node))
    }

    fn schema(&mut self, at: &str, instance: &mut String) {
        let Some((at, node)) = self.resolved(at) else {
            return;
        };
        let Some(properties) = Keyword::Properties
            .value_in(node)
            .and_then(Value::as_object)
        else {
            return;
        };
        if self.path.contains(&at) {
            return;
        }
        self.path.push(at.clone());
        for name in properties.keys() {
            let length = instance.len();
            instance.push('/');
            instance.push_str(&escape(name));
            let child = format!("{at}/{}/{}", Keyword::Properties.name(), escape(name));
            let has_enum = self
                .resolved(&child)
                .is_some_and(|(_, property)| Keyword::Enum.value_in(property).is_some());
            if has_enum {
                self.out.insert(instance.clone());
            }
            self.schema(&child, instance);
            instance.truncate(length);
        }
        self.path.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_are_scrubbed_as_the_server_sent_them() {
        let scrub = |text: &str| text.replace("se/cr~et", "${KEY}");
        let pointer = format!("/a/{}/*/b", escape("se/cr~et"));
        assert_eq!(scrub_pointer(&pointer, &scrub), "/a/${KEY}/*/b");
    }

    #[test]
    fn ever_new_field_names_are_bounded_and_marked_truncated() {
        let mut fields = BTreeMap::new();
        let limit = |_: &str| MAX_TRACKED_VALUES;
        for body in 0..4 {
            let object: serde_json::Map<String, Value> = (0..1000)
                .map(|i| (format!("f{body}-{i}"), Value::from("x".repeat(2000))))
                .collect();
            let mut walk = Walk {
                fields: &mut fields,
                seen: BTreeSet::new(),
                limit: &limit,
                truncated: false,
            };
            walk.value(&Value::Object(object), &mut String::new());
            assert!(walk.truncated);
        }
        assert_eq!(fields.len(), MAX_POINTERS);
        assert!(fields.values().all(|f| f.overflow && f.values.is_empty()));
    }

    #[test]
    fn enum_properties_behind_refs_are_found_and_recursion_stops() {
        let schema = serde_json::json!({
            "type": "object",
            "properties": {
                "status": {"$ref": "#/$defs/Status"},
                "owner": {"$ref": "#/$defs/Person"},
                "plain": {"enum": ["x"]}
            },
            "$defs": {
                "Status": {"enum": ["open", "closed"]},
                "Person": {"type": "object", "properties": {
                    "role": {"$ref": "#/$defs/Status"},
                    "manager": {"$ref": "#/$defs/Person"}
                }}
            }
        });
        let found: Vec<String> = enum_pointers_of(&schema).into_iter().collect();
        assert_eq!(found, ["/owner/role", "/plain", "/status"]);
    }
}
