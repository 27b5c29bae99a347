//! Seeded random exploration: random valid and invalid payloads, and their proptest value
//! trees for shrinking.
//!
//! Owns the valid payloads (required properties always, optional ones maybe, bounded strings
//! mixing ASCII, non-ASCII and whitespace, enums by selection, date-times from components,
//! finite numbers), the invalid ones (a valid payload plus one damage that is kept while
//! shrinking), and the per-request RNG: each request is generated from its own seed, derived
//! from (seed, case, class, index), so the n-th one costs the same as the first.
//!
//! A payload to send is drawn straight into its JSON bytes (or a value, for plans); the tree
//! that shrinks it is drawn only for a failure, from the same seed, and starts from the same
//! payload (see [`draw`]).

mod draw;

use super::coverage::Mutation;
use super::solve::outline::{remove_properties, Field, Outline};
use super::{Body, Family, RandomClass, Reason};
use crate::generate::judge::Judge;
use crate::schema::Keyword;
use draw::{Draw, Edit, Tree};
use proptest::prelude::Rng;
use proptest::strategy::{NewTree, Strategy, ValueTree};
use proptest::test_runner::{RngAlgorithm, TestRng, TestRunner};
use serde_json::Value;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Draws of one random request that fail the schema before a checked valid payload (or,
/// for an invalid request, a body that is not JSON) is used instead.
const MAX_REDRAWS: usize = 8;

/// How random payloads are checked against the schema.
pub(crate) struct Checks {
    /// The request schema's validator when draws must be checked; `None` when every draw is
    /// valid by construction ([`drawn_exactly`]).
    pub validator: Option<Arc<Judge>>,
    /// Checked valid payloads, used when draw after draw fails.
    pub pool: Vec<Value>,
    /// The request schema's validator, checked or not: debug builds check every draw.
    #[cfg_attr(not(debug_assertions), allow(dead_code))]
    pub schema: Arc<Judge>,
}

impl std::fmt::Debug for Checks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checks")
            .field("checked", &self.validator.is_some())
            .field("pool", &self.pool.len())
            .finish()
    }
}

/// Keywords whose every draw [`Draw`] makes valid by construction.
const EXACT: &[Keyword] = &[
    Keyword::Schema,
    Keyword::Id,
    Keyword::Comment,
    Keyword::Defs,
    Keyword::Title,
    Keyword::Description,
    Keyword::Examples,
    Keyword::Default,
    Keyword::Deprecated,
    Keyword::ReadOnly,
    Keyword::WriteOnly,
    Keyword::Type,
    Keyword::Properties,
    Keyword::Required,
    Keyword::Enum,
    Keyword::Const,
    Keyword::Format,
    Keyword::MinLength,
    Keyword::MaxLength,
    Keyword::Items,
    Keyword::MinItems,
    Keyword::AdditionalProperties,
];

/// Whether every random draw of `document` is valid by construction, so a run may send the
/// bytes it draws without checking them: only keywords [`Draw`] honours exactly, no
/// references, formats it draws from their components (and no length limit beside them),
/// enum and const values of the listed type, and objects whose required properties are all
/// listed. Any other schema has each draw checked (and redrawn when it fails).
pub(crate) fn drawn_exactly(document: &Value) -> bool {
    let mut exact = true;
    crate::schema::visit(document, "", &mut |_, map| {
        exact &= map_is_exact(map);
    });
    exact
}

fn map_is_exact(map: &serde_json::Map<String, Value>) -> bool {
    let known = |key: &String| Keyword::parse(key).is_some_and(|k| EXACT.contains(&k));
    if !map.keys().all(known) {
        return false;
    }
    let get = |keyword: Keyword| map.get(keyword.name());
    let has = |keyword: Keyword| map.contains_key(keyword.name());
    let lengths = has(Keyword::MinLength) || has(Keyword::MaxLength);
    let format_ok = match get(Keyword::Format).and_then(Value::as_str) {
        None => true,
        Some("date-time" | "date") => !lengths,
        Some(_) => false,
    };
    let listed = |value: &Value| match get(Keyword::Type) {
        None => true,
        Some(Value::String(name)) => type_matches(name, value),
        Some(Value::Array(names)) => names
            .iter()
            .filter_map(Value::as_str)
            .any(|n| type_matches(n, value)),
        Some(_) => false,
    };
    let plain = get(Keyword::Format).is_none() && !lengths;
    let fixed_ok = match (get(Keyword::Enum), get(Keyword::Const)) {
        (Some(Value::Array(values)), None) => {
            !values.is_empty() && values.iter().all(listed) && plain
        }
        (None, Some(value)) => listed(value) && plain,
        (None, None) => true,
        _ => false,
    };
    let properties_ok = match get(Keyword::Properties) {
        None => true,
        Some(Value::Object(properties)) => properties
            .values()
            .all(|p| p.is_object() || p == &Value::Bool(true)),
        Some(_) => false,
    };
    let required_listed = match get(Keyword::Required) {
        None => true,
        Some(Value::Array(names)) => names.iter().all(|n| {
            n.as_str()
                .is_some_and(|n| get(Keyword::Properties).and_then(|p| p.get(n)).is_some())
        }),
        Some(_) => false,
    };
    let items_ok = get(Keyword::Items).is_none_or(Value::is_object);
    let counts_ok = [Keyword::MinLength, Keyword::MaxLength, Keyword::MinItems]
        .into_iter()
        .all(|k| get(k).is_none_or(|v| v.is_u64()));
    let additional_ok = !has(Keyword::AdditionalProperties) || required_listed;
    format_ok && fixed_ok && properties_ok && items_ok && additional_ok && counts_ok
}

fn type_matches(name: &str, value: &Value) -> bool {
    match (name, value) {
        ("string", Value::String(_)) | ("boolean", Value::Bool(_)) | ("null", Value::Null) => true,
        ("object", Value::Object(_))
        | ("array", Value::Array(_))
        | ("number", Value::Number(_)) => true,
        ("integer", Value::Number(n)) => n.is_i64() || n.is_u64(),
        _ => false,
    }
}

/// What a random request carries: a body and why it is in the plan.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    pub body: Body,
    pub reason: Reason,
}

impl Candidate {
    /// An empty candidate, for building a request's identity before its body.
    pub(super) fn placeholder() -> Candidate {
        Candidate::valid(Body::Raw(String::new()))
    }

    fn valid(body: Body) -> Candidate {
        Candidate {
            body,
            reason: Reason {
                family: Family::RandomValid,
                detail: String::new(),
            },
        }
    }
}

/// Random payloads for one request schema.
#[derive(Debug)]
pub(crate) struct RandomPayloads {
    root: Draw,
    fields: Arc<[Field]>,
    /// What an invalid payload may suffer, with their weights; empty when the schema gives
    /// nothing to damage, and an invalid payload is then a body that is not JSON.
    damages: Vec<(u32, DamageKind)>,
    checks: Checks,
    redraws: AtomicU64,
}

#[derive(Debug)]
enum DamageKind {
    /// Leave out a non-empty subset of these required properties.
    Missing(Vec<String>),
    /// Apply one of these field mutations the coverage plan kept.
    Set(Vec<Mutation>),
}

/// The one thing wrong with a random-invalid payload.
#[derive(Debug, Clone)]
enum Damage {
    Missing(Vec<String>),
    Set(Mutation),
    /// The schema gives nothing to damage: the body is not JSON at all.
    NotJson,
}

impl RandomPayloads {
    /// Compile `root`; invalid payloads draw from the missing-required subsets and from the
    /// field mutations the coverage plan kept.
    pub(super) fn new(
        root: &Outline,
        fields: Arc<[Field]>,
        required: &[String],
        mutations: Vec<Mutation>,
        checks: Checks,
        known: &dyn Fn(&str) -> Vec<Value>,
    ) -> RandomPayloads {
        let mut damages = Vec::new();
        if !required.is_empty() {
            damages.push((1, DamageKind::Missing(required.to_vec())));
        }
        if !mutations.is_empty() {
            damages.push((2, DamageKind::Set(mutations)));
        }
        RandomPayloads {
            root: Draw::new(root, known),
            fields,
            damages,
            checks,
            redraws: AtomicU64::new(0),
        }
    }

    /// Draws that failed the schema so far.
    pub(super) fn redraws(&self) -> u64 {
        self.redraws.load(Ordering::Relaxed)
    }

    /// Whether `candidate` is what `class` promises: valid, or really invalid.
    fn keeps(&self, class: RandomClass, candidate: &Candidate) -> bool {
        let Some(judge) = &self.checks.validator else {
            return true;
        };
        judge.keeps(class, &candidate.body)
    }

    /// When draw after draw fails: a checked valid payload, or a body that is not JSON.
    fn fallback(&self, class: RandomClass, rng: &mut TestRng) -> Candidate {
        let pool = &self.checks.pool;
        match class {
            RandomClass::Valid if !pool.is_empty() => Candidate::valid(Body::Json(
                pool[(rng.next_u64() % pool.len() as u64) as usize].clone(),
            )),
            _ => not_json(),
        }
    }

    /// The random candidate of `class` drawn from `rng`: drawn again (from where the RNG
    /// stands) while it fails the schema, up to [`MAX_REDRAWS`] times, then a fallback.
    pub(super) fn candidate(&self, class: RandomClass, rng: &mut TestRng) -> Candidate {
        if self.checks.validator.is_none() {
            let candidate = self.draw(class, rng);
            #[cfg(debug_assertions)]
            self.assert_exact(class, &candidate);
            return candidate;
        }
        for _ in 0..=MAX_REDRAWS {
            let candidate = self.draw(class, rng);
            if self.keeps(class, &candidate) {
                return candidate;
            }
            self.redraws.fetch_add(1, Ordering::Relaxed);
        }
        self.fallback(class, rng)
    }

    /// In debug builds (the tests), a schema claimed valid by construction is checked all the
    /// same, so a wrong claim fails a test rather than mislabel a payload.
    #[cfg(debug_assertions)]
    fn assert_exact(&self, class: RandomClass, candidate: &Candidate) {
        assert!(
            self.checks.schema.keeps(class, &candidate.body),
            "a draw of a schema drawn exactly is not what it claims: {candidate:?}"
        );
    }

    /// One draw, unchecked.
    fn draw(&self, class: RandomClass, rng: &mut TestRng) -> Candidate {
        match self.damage(class, rng) {
            None => Candidate::valid(Body::Json(self.root.value(rng))),
            Some(Damage::NotJson) => not_json(),
            Some(damage) => damage.apply(self.root.value(rng), &self.fields),
        }
    }

    /// The same candidate as [`RandomPayloads::candidate`] for the same RNG, drawn straight
    /// into JSON bytes: a valid payload, and an invalid one whose damage is to the root's own
    /// properties (made while writing). Damage to a nested field, whose absent ancestors must
    /// be added, is applied to a drawn value.
    pub(super) fn candidate_to_send(&self, class: RandomClass, rng: &mut TestRng) -> Candidate {
        if self.checks.validator.is_some() {
            // Checked as a value, then sent as its bytes.
            let mut candidate = self.candidate(class, rng);
            if let Body::Json(value) = &candidate.body {
                candidate.body = Body::Serialized(Body::Json(value.clone()).to_bytes().into());
            }
            return candidate;
        }
        let candidate = self.draw_to_send(class, rng);
        #[cfg(debug_assertions)]
        self.assert_exact(class, &candidate);
        candidate
    }

    fn draw_to_send(&self, class: RandomClass, rng: &mut TestRng) -> Candidate {
        // Most payloads fit: no growing while writing.
        let mut bytes = Vec::with_capacity(1024);
        let damage = match self.damage(class, rng) {
            None => {
                self.root.write(rng, &mut bytes);
                return Candidate::valid(Body::Serialized(bytes.into()));
            }
            Some(damage) => damage,
        };
        let edit = match &damage {
            Damage::Missing(names) => Some(Edit {
                remove: names,
                set: None,
            }),
            Damage::Set(mutation) => match self.fields.get(mutation.field).map(|f| &f.path[..]) {
                Some([name]) => Some(Edit {
                    remove: &[],
                    set: Some((name, &mutation.value)),
                }),
                _ => None,
            },
            Damage::NotJson => return not_json(),
        };
        match edit {
            Some(edit) if self.root.write_edited(rng, &edit, &mut bytes) => Candidate {
                body: Body::Serialized(bytes.into()),
                reason: damage.reason(),
            },
            _ => damage.apply(self.root.value(rng), &self.fields),
        }
    }

    /// The same candidate as [`RandomPayloads::candidate`] for the same RNG, as a tree that
    /// shrinks its payload and keeps its damage.
    pub(super) fn tree(&self, class: RandomClass, rng: &mut TestRng) -> CandidateTree {
        let Some(validator) = &self.checks.validator else {
            return self.draw_tree(class, rng, None);
        };
        for _ in 0..=MAX_REDRAWS {
            let mut start = rng.clone();
            if self.keeps(class, &self.draw(class, rng)) {
                return self.draw_tree(class, &mut start, Some((Arc::clone(validator), class)));
            }
        }
        let fallback = self.fallback(class, rng);
        let (payload, damage) = match fallback.body {
            Body::Json(value) => (Tree::Fixed(value), None),
            _ => (Tree::Fixed(Value::Null), Some(Damage::NotJson)),
        };
        CandidateTree {
            payload,
            damage,
            fields: Arc::clone(&self.fields),
            legal: None,
        }
    }

    fn draw_tree(
        &self,
        class: RandomClass,
        rng: &mut TestRng,
        legal: Option<(Arc<Judge>, RandomClass)>,
    ) -> CandidateTree {
        let damage = self.damage(class, rng);
        let payload = match damage {
            Some(Damage::NotJson) => Tree::Fixed(Value::Null),
            _ => self.root.tree(rng),
        };
        CandidateTree {
            payload,
            damage,
            fields: Arc::clone(&self.fields),
            legal,
        }
    }

    /// An invalid payload's damage, drawn before its payload; `None` for a valid one.
    fn damage(&self, class: RandomClass, rng: &mut TestRng) -> Option<Damage> {
        if class == RandomClass::Valid {
            return None;
        }
        let total: u32 = self.damages.iter().map(|(weight, _)| weight).sum();
        let Some(mut ticket) = rng.next_u32().checked_rem(total) else {
            return Some(Damage::NotJson);
        };
        let (_, kind) = self.damages.iter().find(|(weight, _)| {
            let hit = ticket < *weight;
            ticket = ticket.saturating_sub(*weight);
            hit
        })?;
        Some(match kind {
            DamageKind::Missing(names) => Damage::Missing(subset(rng, names)),
            DamageKind::Set(mutations) => {
                let index = (rng.next_u64() % mutations.len() as u64) as usize;
                Damage::Set(mutations[index].clone())
            }
        })
    }
}

/// A non-empty subset of `names`, of a uniformly drawn size, in their original order.
fn subset(rng: &mut TestRng, names: &[String]) -> Vec<String> {
    let size = 1 + (rng.next_u64() % names.len() as u64) as usize;
    let mut order: Vec<usize> = (0..names.len()).collect();
    for i in 0..size {
        let j = i + (rng.next_u64() % (names.len() - i) as u64) as usize;
        order.swap(i, j);
    }
    let mut chosen = order[..size].to_vec();
    chosen.sort_unstable();
    chosen.into_iter().map(|i| names[i].clone()).collect()
}

fn not_json() -> Candidate {
    Candidate {
        body: Body::Raw("this is not JSON {".to_owned()),
        reason: Reason {
            family: Family::RandomInvalid,
            detail: "bad-body: not-json".to_owned(),
        },
    }
}

impl Damage {
    fn apply(self, payload: Value, fields: &[Field]) -> Candidate {
        let mut payload = payload;
        let reason = self.reason();
        match self {
            Damage::Missing(names) => {
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                remove_properties(&mut payload, &names);
            }
            Damage::Set(mutation) => {
                if let Some(field) = fields.get(mutation.field) {
                    field.set(&mut payload, mutation.value);
                }
            }
            Damage::NotJson => return not_json(),
        }
        Candidate {
            body: Body::Json(payload),
            reason,
        }
    }

    fn reason(&self) -> Reason {
        let detail = match self {
            Damage::Missing(names) => format!("{}: {}", Family::MissingRequired, names.join(",")),
            Damage::Set(mutation) => format!("{}: {}", mutation.family, mutation.detail),
            Damage::NotJson => return not_json().reason,
        };
        Reason {
            family: Family::RandomInvalid,
            detail,
        }
    }
}

/// A random candidate as a proptest value tree: its payload shrinks, its damage stays.
pub(crate) struct CandidateTree {
    payload: Tree,
    /// `None` for a valid candidate.
    damage: Option<Damage>,
    fields: Arc<[Field]>,
    /// For a checked schema, the validator and class every candidate must keep to: a step
    /// that leads to a candidate of the other class is undone, as if it had not failed.
    legal: Option<(Arc<Judge>, RandomClass)>,
}

impl CandidateTree {
    fn is_legal(&self) -> bool {
        match &self.legal {
            None => true,
            Some((judge, class)) => judge.keeps(*class, &self.current().body),
        }
    }

    /// Step back from illegal candidates; `false` when no legal one is left to try.
    fn settle(&mut self) -> bool {
        for _ in 0..1024 {
            if self.is_legal() {
                return true;
            }
            if !self.payload.complicate() {
                return false;
            }
        }
        false
    }
}

impl ValueTree for CandidateTree {
    type Value = Candidate;

    fn current(&self) -> Candidate {
        let payload = self.payload.current();
        match &self.damage {
            None => Candidate::valid(Body::Json(payload)),
            Some(damage) => damage.clone().apply(payload, &self.fields),
        }
    }

    fn simplify(&mut self) -> bool {
        self.payload.simplify() && self.settle()
    }

    fn complicate(&mut self) -> bool {
        self.payload.complicate() && self.settle()
    }
}

/// One class of random payloads as a proptest strategy, for proptest's own runner.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RandomStrategy<'a> {
    pub payloads: &'a RandomPayloads,
    pub class: RandomClass,
}

impl Strategy for RandomStrategy<'_> {
    type Tree = CandidateTree;
    type Value = Candidate;

    fn new_tree(&self, runner: &mut TestRunner) -> NewTree<Self> {
        Ok(self.payloads.tree(self.class, runner.rng()))
    }
}

/// The RNG of one random request: seeded from (seed, case, class, index) by a stable mix, so
/// the same inputs give the same request on every machine and run.
pub(crate) fn rng_for(seed: u64, case: &str, class: RandomClass, index: u64) -> TestRng {
    let class_tag = match class {
        RandomClass::Valid => 1,
        RandomClass::Invalid => 2,
    };
    let mut h = splitmix(seed);
    h = splitmix(h ^ fnv1a(case.as_bytes()));
    h = splitmix(h ^ class_tag);
    h = splitmix(h ^ index);
    let mut bytes = [0u8; 16];
    for (i, chunk) in bytes.chunks_mut(8).enumerate() {
        chunk.copy_from_slice(&splitmix(h.wrapping_add(i as u64)).to_le_bytes());
    }
    // XorShift, not ChaCha: the payloads need variety, not cryptographic strength, and a
    // fresh RNG per request made ChaCha's setup and block function a fifth of generation.
    TestRng::from_seed(RngAlgorithm::XorShift, &bytes)
}

fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::solve::outline::Outline;

    /// With no required property and no mutation, a random-invalid body cannot be a damaged
    /// payload: it is a body that is not JSON, and its tree says the same.
    #[test]
    fn nothing_to_damage_gives_a_body_that_is_not_json() {
        let schema = serde_json::json!({"type": "object", "properties": {"a": {"type": "string"}}});
        let root = Outline::of(&schema).expect("reads");
        let validator = Arc::new(crate::generate::judge::Judge {
            validator: Arc::new(jsonschema::validator_for(&schema).expect("compiles")),
            shape: None,
        });
        let checks = Checks {
            validator: None,
            pool: Vec::new(),
            schema: validator,
        };
        let payloads = RandomPayloads::new(
            &root,
            Arc::from(Vec::new()),
            &[],
            Vec::new(),
            checks,
            &|_| Vec::new(),
        );
        for index in 0..20 {
            let rng = || rng_for(1, "empty", RandomClass::Invalid, index);
            let candidate = payloads.candidate(RandomClass::Invalid, &mut rng());
            assert_eq!(candidate.body, Body::Raw("this is not JSON {".to_owned()));
            assert_eq!(candidate.reason.detail, "bad-body: not-json");
            let mut tree = payloads.tree(RandomClass::Invalid, &mut rng());
            assert_eq!(tree.current().body, candidate.body);
            assert!(!tree.simplify());
        }
    }
}
