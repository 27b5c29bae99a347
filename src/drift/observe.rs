//! Building the observed contract from exchanges: one [`Observer`] per worker, merged, then
//! frozen into a deterministic [`ObservedContract`] per case.

use crate::check::Outcome;
use crate::contract::{Expect, Operation};
use crate::generate::{family, Origin, PlannedRequest};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// String fields with more distinct values than this are shape-only (`many`).
const MAX_TRACKED_VALUES: usize = 12;
/// Enum fields of the response schema are tracked up to this many values.
const MAX_TRACKED_ENUM_VALUES: usize = 256;

/// The observed contract of one case: request class -> status -> what came back.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ObservedContract {
    /// The case.
    pub case: String,
    /// Request class (`valid`, `invalid/<family>`, `auth`) → status → what was seen.
    pub classes: BTreeMap<String, BTreeMap<String, ObservedStatus>>,
}

impl ObservedContract {
    /// Apply `scrub` to every tracked value (a server may echo a secret back).
    pub fn scrub_values(&mut self, scrub: &dyn Fn(&str) -> String) {
        let fields = self
            .classes
            .values_mut()
            .flat_map(|s| s.values_mut())
            .flat_map(|s| s.fields.values_mut());
        for field in fields {
            if let Some(values) = field.values.take() {
                field.values = Some(values.iter().map(|v| scrub(v)).collect());
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
        Expect::Reject if planned.reason.family == family::EXAMPLE => "invalid/example".to_owned(),
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
        status
            .content_types
            .insert(response.media_type().unwrap_or_else(|| "(none)".to_owned()));
        if response.declares_json() {
            if let Ok(body) = serde_json::from_slice::<Value>(&response.body) {
                let limit = |pointer: &str| {
                    if case.enum_pointers.contains(pointer) {
                        MAX_TRACKED_ENUM_VALUES
                    } else {
                        MAX_TRACKED_VALUES
                    }
                };
                let mut seen = BTreeSet::new();
                walk(
                    &body,
                    &mut String::new(),
                    &mut status.fields,
                    &mut seen,
                    &limit,
                );
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
                collect_enum_pointers(&schema.document, &mut String::new(), &mut enum_pointers);
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
                for (pointer, field) in theirs.fields {
                    let into = tally.fields.entry(pointer).or_default();
                    into.types.extend(field.types);
                    into.present += field.present;
                    into.values.extend(field.values);
                    into.overflow |= field.overflow;
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

/// Record every pointer below the root of `value` (array items collapse into `/*`);
/// `seen` holds the pointers already counted as present in this body.
fn walk(
    value: &Value,
    pointer: &mut String,
    fields: &mut BTreeMap<String, FieldTally>,
    seen: &mut BTreeSet<String>,
    limit: &dyn Fn(&str) -> usize,
) {
    let children: Vec<(String, &Value)> = match value {
        Value::Object(map) => map.iter().map(|(k, v)| (escape(k), v)).collect(),
        Value::Array(items) => items.iter().map(|v| ("*".to_owned(), v)).collect(),
        _ => return,
    };
    for (segment, child) in children {
        let length = pointer.len();
        pointer.push('/');
        pointer.push_str(&segment);
        let field = fields.entry(pointer.clone()).or_default();
        field.types.insert(json_type(child));
        if seen.insert(pointer.clone()) {
            field.present += 1;
        }
        if let Value::String(text) = child {
            track(field, text, limit(pointer));
        }
        walk(child, pointer, fields, seen, limit);
        pointer.truncate(length);
    }
}

fn track(field: &mut FieldTally, text: &str, limit: usize) {
    if field.overflow || field.values.contains(text) {
        return;
    }
    if field.values.len() >= limit {
        field.overflow = true;
        field.values.clear();
        return;
    }
    field.values.insert(text.to_owned());
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// The pointers (in instance terms) of `enum` properties in a response schema.
fn collect_enum_pointers(schema: &Value, pointer: &mut String, out: &mut BTreeSet<String>) {
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        return;
    };
    for (name, property) in properties {
        let length = pointer.len();
        pointer.push('/');
        pointer.push_str(&escape(name));
        if property.get("enum").is_some() {
            out.insert(pointer.clone());
        }
        collect_enum_pointers(property, pointer, out);
        pointer.truncate(length);
    }
}
