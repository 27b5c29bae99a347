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

use super::fields::{remove_properties, Field};
use super::invalid::Mutation;
use super::schema_walk::Node;
use super::{family, Body, RandomClass, Reason};
use draw::{Draw, Edit, Tree};
use proptest::prelude::Rng;
use proptest::strategy::{NewTree, Strategy, ValueTree};
use proptest::test_runner::{RngAlgorithm, TestRng, TestRunner};
use serde_json::Value;
use std::sync::Arc;

/// What a random request carries: a body and why it is in the plan.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    pub body: Body,
    pub reason: Reason,
}

impl Candidate {
    /// An empty candidate, for building a request's identity before its body.
    pub fn placeholder() -> Candidate {
        Candidate::valid(Body::Raw(String::new()))
    }

    fn valid(body: Body) -> Candidate {
        Candidate {
            body,
            reason: Reason {
                family: family::RANDOM_VALID,
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
    pub fn new(
        root: &Node,
        fields: Arc<[Field]>,
        required: &[String],
        mutations: Vec<Mutation>,
    ) -> RandomPayloads {
        let mut damages = Vec::new();
        if !required.is_empty() {
            damages.push((1, DamageKind::Missing(required.to_vec())));
        }
        if !mutations.is_empty() {
            damages.push((2, DamageKind::Set(mutations)));
        }
        RandomPayloads {
            root: Draw::new(root),
            fields,
            damages,
        }
    }

    /// The random candidate of `class` drawn from `rng`.
    pub fn candidate(&self, class: RandomClass, rng: &mut TestRng) -> Candidate {
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
    pub fn candidate_to_send(&self, class: RandomClass, rng: &mut TestRng) -> Candidate {
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
    pub fn tree(&self, class: RandomClass, rng: &mut TestRng) -> CandidateTree {
        let damage = self.damage(class, rng);
        let payload = match damage {
            Some(Damage::NotJson) => Tree::Fixed(Value::Null),
            _ => self.root.tree(rng),
        };
        CandidateTree {
            payload,
            damage,
            fields: Arc::clone(&self.fields),
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
            family: family::RANDOM_INVALID,
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
            Damage::Missing(names) => format!("{}: {}", family::MISSING_REQUIRED, names.join(",")),
            Damage::Set(mutation) => format!("{}: {}", mutation.family, mutation.detail),
            Damage::NotJson => return not_json().reason,
        };
        Reason {
            family: family::RANDOM_INVALID,
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
        self.payload.simplify()
    }

    fn complicate(&mut self) -> bool {
        self.payload.complicate()
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
    use crate::generate::schema_walk::walk;

    /// With no required property and no mutation, a random-invalid body cannot be a damaged
    /// payload: it is a body that is not JSON, and its tree says the same.
    #[test]
    fn nothing_to_damage_gives_a_body_that_is_not_json() {
        let schema = serde_json::json!({"type": "object", "properties": {"a": {"type": "string"}}});
        let root = walk(&schema).expect("walks");
        let payloads = RandomPayloads::new(&root, Arc::from(Vec::new()), &[], Vec::new());
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
