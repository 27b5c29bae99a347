//! The deterministic coverage plan of one operation.
//!
//! Built once, from the schema's outline and fields (`solve::outline`): the required-only and all-fields
//! payloads, each optional field alone, every enum value, boundary strings and numbers, the
//! case's own examples, every subset of missing required fields, every mutation of every
//! field, bad bodies and the auth requests. Every entry is checked against the compiled
//! validator while it is built: a mutation the schema happens to accept is dropped, and a
//! "valid" payload that fails is counted as a contradiction (a generator bug) and dropped.

use super::judge::Judge;
use super::solve::object::required_subsets;
use super::solve::outline::{without, Field, Outline};
use super::solve::value::{near_outside, show, Kind};
use super::solve::{format, number, string, Side, Solver, Variant};
use super::{Body, Family, KeyUse, Origin, PlannedRequest, Reason};
use crate::contract::wire::{IdSource, Location, Media, RAW};
use crate::contract::{Expect, Operation};
use crate::schema::Keyword;
use serde_json::Value;
use std::collections::HashSet;
use std::sync::Arc;

/// What building the coverage plan produced.
pub(crate) struct CoveragePlan {
    pub requests: Vec<PlannedRequest>,
    /// The field mutations the validator refused, for random exploration to draw from.
    pub mutations: Vec<Mutation>,
    /// Payloads meant as valid that the validator refused (a generator bug when non-zero).
    pub contradictions: usize,
    /// Every accepted body of the plan: checked valid payloads random exploration falls
    /// back on when its draws keep failing the schema.
    pub valid_pool: Vec<Value>,
    /// Every planned reject's payload (kept for envelopes only, see `Generator::enveloped`).
    pub reject_pool: Vec<Value>,
}

pub(crate) struct Builder<'a> {
    operation: &'a Operation,
    root: &'a Outline,
    fields: &'a [Field],
    required: &'a [String],
    base: Value,
    solver: &'a Solver,
    judge: &'a Judge,
    examples: Vec<crate::contract::Example>,
    case: Arc<str>,
    ids: HashSet<String>,
    /// Every JSON body planned so far, serialised: a variant that repeats one is not planned.
    bodies: HashSet<String>,
    out: CoveragePlan,
}

impl<'a> Builder<'a> {
    pub(super) fn new(
        operation: &'a Operation,
        root: &'a Outline,
        fields: &'a [Field],
        required: &'a [String],
        base: Value,
        solver: &'a Solver,
        judge: &'a Judge,
    ) -> Self {
        Builder {
            operation,
            root,
            fields,
            required,
            base,
            solver,
            judge,
            examples: operation.examples.clone(),
            case: Arc::from(operation.name.as_str()),
            ids: HashSet::new(),
            bodies: HashSet::new(),
            out: CoveragePlan {
                requests: Vec::new(),
                mutations: Vec::new(),
                contradictions: 0,
                valid_pool: Vec::new(),
                reject_pool: Vec::new(),
            },
        }
    }

    /// Plan these examples instead of the case's own (an envelope's, made whole).
    pub(super) fn with_examples(mut self, examples: Vec<crate::contract::Example>) -> Self {
        self.examples = examples;
        self
    }

    pub(super) fn build(mut self) -> CoveragePlan {
        self.valid_payloads();
        self.examples();
        self.missing_required();
        self.field_mutations();
        self.constraints();
        self.bad_bodies();
        self.parameters();
        self.auth();
        self.out
    }

    fn valid_payloads(&mut self) {
        self.accept(Family::RequiredOnly, String::new(), self.base.clone());
        self.accept(Family::AllFields, String::new(), self.root.full());
        for field in self.fields.iter().filter(|f| !f.required) {
            let payload = self.with(field, field.outline.minimal());
            self.accept(Family::OptionalField, field.label(), payload);
        }
        for field in self.fields {
            for value in field.outline.enum_values.iter().flatten() {
                let detail = format!("{}={}", field.label(), show(value));
                let payload = self.with(field, value.clone());
                self.accept(Family::EnumValue, detail, payload);
            }
        }
        for field in self.fields {
            for (name, value) in boundaries(&field.outline) {
                let detail = format!("{}={name}", field.label());
                let payload = self.with(field, value);
                self.accept(Family::Boundary, detail, payload);
            }
        }
    }

    fn examples(&mut self) {
        for example in std::mem::take(&mut self.examples) {
            let reason = Reason {
                family: Family::Example,
                detail: example.name.clone(),
            };
            let body = Body::Json(example.body);
            self.push(reason, example.expect, KeyUse::Valid, body, Origin::Example);
        }
    }

    fn missing_required(&mut self) {
        for subset in required_subsets(self.required.len()) {
            let names: Vec<&str> = subset.iter().map(|&i| self.required[i].as_str()).collect();
            let payload = without(&self.base, &names);
            self.reject(Family::MissingRequired, names.join(","), payload);
        }
        // Below the root, each required property of a nested object is left out on its own,
        // named by its JSON pointer (the subsets of the root are what the tracker counts).
        for field in self
            .fields
            .iter()
            .filter(|f| f.path.len() > 1 && f.required)
        {
            let Some(parent) = self
                .fields
                .iter()
                .find(|p| p.path.len() + 1 == field.path.len() && field.path.starts_with(&p.path))
            else {
                continue;
            };
            let name = field.path.last().map_or("", String::as_str);
            let object = without(&parent.outline.minimal(), &[name]);
            let payload = self.with(parent, object);
            self.reject(Family::MissingRequired, field.label(), payload);
        }
    }

    fn field_mutations(&mut self) {
        for (index, field) in self.fields.iter().enumerate() {
            for mutation in mutations(index, field) {
                let payload = self.with(field, mutation.value.clone());
                if self.reject(mutation.family, mutation.detail.clone(), payload) {
                    self.out.mutations.push(mutation);
                }
            }
        }
    }

    /// The solver's boundaries and breaks of every constraint at any depth, and its further
    /// valid values of the whole body; each planned only when it shows a body not planned
    /// yet and the whole schema agrees with its label.
    fn constraints(&mut self) {
        let alternatives = self.solver.valid("", 0);
        for value in alternatives.into_iter().skip(1) {
            self.accept_new(Family::Alternative, String::new(), value);
        }
        let variants = self.solver.variants("", &self.base, "", 0);
        for variant in rank_by_precision(self, variants) {
            let detail = variant.detail();
            match variant.side {
                Side::Accept => self.accept_new(variant.kind, detail, variant.value),
                Side::Reject => {
                    if !self.bodies.contains(&variant.value.to_string()) {
                        self.reject(variant.kind, detail, variant.value);
                    }
                }
            }
        }
    }

    /// Plan a valid payload that no entry holds yet, if the schema agrees it is valid.
    fn accept_new(&mut self, family: Family, detail: String, payload: Value) {
        if self.bodies.contains(&payload.to_string()) || self.judge.verdict(&payload) != Some(true)
        {
            return;
        }
        self.accept(family, detail, payload);
    }

    fn bad_bodies(&mut self) {
        let mut params = self.base.clone();
        let body_media = match &self.operation.shape {
            None => Some(Media::Json),
            Some(shape) => shape.body().map(|b| Media::of(&b.content_type)),
        };
        let Some(media) = body_media else {
            return;
        };
        let body = match (&self.operation.shape, params.as_object_mut()) {
            (Some(_), Some(map)) => map.remove("body").unwrap_or(Value::Null),
            _ => self.base.clone(),
        };
        let array = Value::Array(vec![body]);
        let array = match &self.operation.shape {
            None => array,
            Some(_) => {
                let mut whole = params.clone();
                whole["body"] = array;
                whole
            }
        };
        self.reject(Family::BadBody, "array".into(), array);
        let mut raw = vec![("empty", "")];
        if media == Media::Json {
            raw.insert(0, ("not-json", "this is not JSON {"));
        }
        if self
            .operation
            .shape
            .as_ref()
            .and_then(|s| s.body())
            .is_some_and(|b| !b.required)
        {
            // An optional body may be left out: an empty one is no fault.
            raw.retain(|(detail, _)| *detail != "empty");
        }
        for (detail, text) in raw {
            let reason = Reason {
                family: Family::BadBody,
                detail: detail.to_owned(),
            };
            let body = match &self.operation.shape {
                None => Body::Raw(text.to_owned()),
                Some(_) => Body::RawWith {
                    envelope: params.clone(),
                    text: text.to_owned(),
                },
            };
            self.push(
                reason,
                Expect::Reject,
                KeyUse::Valid,
                body,
                Origin::Coverage,
            );
        }
    }

    /// For an operation with parameters: a well-formed id the server does not know for each
    /// parameter whose ids are known, and the URL's edge cases for each string parameter in
    /// the path or the query, labelled by what the schema says of them.
    fn parameters(&mut self) {
        let Some(shape) = self.operation.shape.clone() else {
            return;
        };
        for parameter in shape.parameters() {
            let pointer = format!(
                "/{}/{}",
                parameter.location.as_str(),
                crate::schema::escape(&parameter.name)
            );
            if parameter.media() == Some(Media::Json) {
                self.not_json(&pointer, parameter.location, &parameter.name);
            }
            if let Some(known) = parameter.ids.as_ref().and_then(IdSource::ids) {
                let document = Arc::new(parameter.schema.clone());
                let unknown = super::valid_values(&document)
                    .into_iter()
                    .find(|v| !known.iter().any(|id| parameter.same_id(id, v)));
                // Well-formed, so valid to the contract; the server has no such resource, so
                // `check` also takes its documented not-found answer (an unknown id).
                if let Some(id) = unknown {
                    let mut payload = self.base.clone();
                    set_pointer(&mut payload, &pointer, id);
                    self.accept(Family::UnknownId, pointer.clone(), payload);
                }
                // Malformed ids: each constraint of the id's own schema broken once.
                let mut kinds = HashSet::new();
                for (kind, value) in super::reject_variants(&document, &known[0]) {
                    if kinds.insert(kind) {
                        let mut payload = self.base.clone();
                        set_pointer(&mut payload, &pointer, value);
                        self.reject(kind, pointer.clone(), payload);
                    }
                }
                continue;
            }
            let in_url = matches!(parameter.location, Location::Path | Location::Query);
            let stringy = Keyword::Type
                .value_in(&parameter.schema)
                .is_none_or(|t| t == "string");
            // A parameter that allows an empty value takes text whatever its type.
            if !in_url || !(stringy || parameter.allow_empty) {
                continue;
            }
            for (name, text) in URL_EDGES {
                let mut payload = self.base.clone();
                set_pointer(&mut payload, &pointer, Value::String((*text).to_owned()));
                let detail = format!("{pointer}={name}");
                match self.judge.verdict(&payload) {
                    Some(true) => self.accept(Family::UrlEdge, detail, payload),
                    Some(false) => {
                        self.reject(Family::UrlEdge, detail, payload);
                    }
                    None => {}
                }
            }
        }
    }

    /// The base request with the parameter at `pointer`, serialised as JSON, sent as text
    /// that is not JSON: its value left out and the text given under the envelope's
    /// [`RAW`] member, which no value reads back as (so no judge is asked: it is invalid).
    fn not_json(&mut self, pointer: &str, location: Location, name: &str) {
        let mut payload = self.base.clone();
        if let Some(part) = payload
            .get_mut(location.as_str())
            .and_then(Value::as_object_mut)
        {
            part.remove(name);
        }
        set_pointer(
            &mut payload,
            &format!("/{RAW}/{}", location.as_str()),
            serde_json::json!({ name: NOT_JSON }),
        );
        self.push_planned(Family::NotJson, pointer.to_owned(), Expect::Reject, payload);
    }

    fn auth(&mut self) {
        if self.operation.auth.is_public() {
            return;
        }
        let cases = [
            (Family::AuthMissing, KeyUse::Missing),
            (Family::AuthWrong, KeyUse::Wrong),
        ];
        for (name, key) in cases {
            let reason = Reason {
                family: name,
                detail: String::new(),
            };
            let body = Body::Json(self.base.clone());
            self.push(reason, Expect::Unauthorized, key, body, Origin::Coverage);
        }
    }

    /// The required-only payload with `field` set to `value`.
    fn with(&self, field: &Field, value: Value) -> Value {
        let mut payload = self.base.clone();
        field.set(&mut payload, value);
        payload
    }

    fn accept(&mut self, family: Family, detail: String, payload: Value) {
        match self.judge.verdict(&payload) {
            Some(true) => {}
            // A value the wire cannot carry (a header with a line break) is no contradiction.
            None => return,
            Some(false) => {
                self.out.contradictions += 1;
                return;
            }
        }
        self.out.valid_pool.push(payload.clone());
        self.push_planned(family, detail, Expect::Accept, payload);
    }

    /// Plan a reject unless the schema accepts the payload after all; whether it was planned.
    fn reject(&mut self, family: Family, detail: String, payload: Value) -> bool {
        if self.judge.verdict(&payload) != Some(false) {
            return false;
        }
        if self.judge.shape.is_some() {
            self.out.reject_pool.push(payload.clone());
        }
        self.push_planned(family, detail, Expect::Reject, payload);
        true
    }

    /// Plan a coverage request with the valid key and `payload` as its JSON body.
    fn push_planned(&mut self, family: Family, detail: String, expect: Expect, payload: Value) {
        let reason = Reason { family, detail };
        let body = Body::Json(payload);
        self.push(reason, expect, KeyUse::Valid, body, Origin::Coverage);
    }

    fn push(&mut self, reason: Reason, expect: Expect, key: KeyUse, body: Body, origin: Origin) {
        if let (Body::Json(value), KeyUse::Valid) = (&body, key) {
            self.bodies.insert(value.to_string());
        }
        let id = self.unique_id(&reason);
        self.out.requests.push(PlannedRequest {
            case: Arc::clone(&self.case),
            id,
            expect,
            reason,
            key,
            body,
            origin,
        });
    }

    fn unique_id(&mut self, reason: &Reason) -> String {
        let base = if reason.detail.is_empty() {
            format!("{}:{}", self.case, reason.family)
        } else {
            format!("{}:{}:{}", self.case, reason.family, reason.detail)
        };
        let mut id = base.clone();
        let mut n = 1;
        while !self.ids.insert(id.clone()) {
            n += 1;
            id = format!("{base}#{n}");
        }
        id
    }
}

/// The text a parameter serialised as JSON is sent as to be refused: an object left open.
const NOT_JSON: &str = "{";

/// The values that test a parameter's encoding in a URL.
const URL_EDGES: [(&str, &str); 8] = [
    ("space", "a b"),
    ("slash", "a/b"),
    ("question-mark", "a?b"),
    ("hash", "a#b"),
    ("percent", "100%"),
    ("plus", "a+b"),
    ("non-ascii", "Zoë-東京"),
    ("empty", ""),
];

/// Set the value at a two-level envelope pointer (`/query/limit`), making the part if absent.
fn set_pointer(payload: &mut Value, pointer: &str, value: Value) {
    let mut segments = pointer.trim_start_matches('/').splitn(2, '/');
    let (Some(part), Some(name)) = (segments.next(), segments.next()) else {
        return;
    };
    let name = crate::schema::unescape(name);
    if let Some(map) = payload.as_object_mut() {
        let part = map
            .entry(part.to_owned())
            .or_insert_with(|| Value::Object(serde_json::Map::new()));
        if let Some(part) = part.as_object_mut() {
            part.insert(name, value);
        }
    }
}

/// Reject variants that break only the constraint they name come first; of the others, only
/// the first of each kind and place is kept (it still breaks the schema, but not only there).
fn rank_by_precision(builder: &Builder<'_>, variants: Vec<Variant>) -> Vec<Variant> {
    let validator = &builder.operation.request_schema.validator();
    let mut precise = Vec::new();
    let mut rough: Vec<Variant> = Vec::new();
    for variant in variants {
        if variant.side == Side::Accept {
            precise.push(variant);
            continue;
        }
        let errors: Vec<String> = validator
            .iter_errors(&variant.value)
            .map(|e| e.instance_path().to_string())
            .collect();
        let here = variant.at.split(',').next().unwrap_or("");
        let only_here = !errors.is_empty()
            && errors
                .iter()
                .all(|at| here.starts_with(at.as_str()) || at.starts_with(here));
        if only_here {
            precise.push(variant);
        } else if !rough
            .iter()
            .any(|r| r.kind == variant.kind && r.at == variant.at)
        {
            rough.push(variant);
        }
    }
    let covered: HashSet<(Family, String)> =
        precise.iter().map(|v| (v.kind, v.at.clone())).collect();
    rough.retain(|r| !covered.contains(&(r.kind, r.at.clone())));
    precise.extend(rough);
    precise
}

/// Boundary values for a free-form string or number field, named, within its own limits.
fn boundaries(outline: &Outline) -> Vec<(&'static str, Value)> {
    if outline.is_fixed() {
        return Vec::new();
    }
    match outline.shape {
        Kind::String if outline.string.format.is_none() && outline.string.pattern.is_none() => {
            string::edges(outline.string.min, outline.string.max)
        }
        Kind::Number | Kind::Integer => {
            number::edges(outline.shape == Kind::Integer, |x| outline.number.admits(x))
        }
        _ => Vec::new(),
    }
}

/// A field set to a value its schema refuses.
#[derive(Debug, Clone)]
pub(crate) struct Mutation {
    /// Index into the generator's field list.
    pub field: usize,
    pub value: Value,
    pub family: Family,
    pub detail: String,
}

/// Mutations of one field: a sample of each type it does not allow, null, values outside
/// its enum, near misses of its format. The values are the solver's: its families own them.
fn mutations(index: usize, field: &Field) -> Vec<Mutation> {
    let label = field.label();
    let at = |family: Family, value: Value, detail: String| Mutation {
        field: index,
        value,
        family,
        detail,
    };
    let allowed = &field.outline.kinds;
    let mut out: Vec<Mutation> = Kind::SAMPLED
        .into_iter()
        .filter(|kind| !allowed.contains(kind))
        .map(|kind| {
            let detail = format!("{label}={}", kind.name());
            at(Family::WrongType, kind.sample(), detail)
        })
        .collect();
    if !allowed.contains(&Kind::Null) {
        out.push(at(Family::NullValue, Value::Null, label.clone()));
    }
    for value in field
        .outline
        .enum_values
        .as_deref()
        .map_or_else(Vec::new, near_outside)
    {
        let detail = format!("{label}={}", show(&value));
        out.push(at(Family::EnumOutside, value, detail));
    }
    let free_format = field
        .outline
        .string
        .format
        .as_deref()
        .filter(|_| !field.outline.is_fixed());
    for text in free_format.map_or_else(Vec::new, format::plainest_misses) {
        let detail = format!("{label}={text}");
        out.push(at(Family::BadFormat, Value::String(text), detail));
    }
    out
}
