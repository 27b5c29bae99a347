//! Payload generation: from an [`Operation`]'s request schema to a plan of [`PlannedRequest`]s.
//!
//! Owns the deterministic coverage plan (every enum value, every required-field subset,
//! boundaries, mutations, auth cases), seeded random exploration with proptest, and the
//! shrinking of a failing random payload. It knows JSON Schema, never a particular operation's
//! fields, and knows nothing of HTTP clients or reports.

use crate::contract::{Expect, Operation};
use serde_json::Value;
use std::fmt;
use std::sync::Arc;

/// How a planned request uses the API key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyUse {
    /// The configured key, from the environment.
    Valid,
    /// No key header at all.
    Missing,
    /// A key that is certainly wrong.
    Wrong,
}

/// The value sent as the key for [`KeyUse::Wrong`]: obviously not a real key.
pub const WRONG_KEY: &str = "specgate-wrong-key";

/// The request body, exactly as it will be sent.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// A JSON document, sent serialised with the operation's content type.
    Json(Value),
    /// Bytes that are not (or not meant as) JSON: a non-JSON body, or `""` for an empty one.
    Raw(String),
}

impl Body {
    /// The bytes that go on the wire.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Body::Json(value) => serde_json::to_vec(value).unwrap_or_default(),
            Body::Raw(text) => text.as_bytes().to_vec(),
        }
    }
}

/// Why a request is in the plan: a stable family name plus what exactly it exercises.
/// Rendered as `family: detail`, e.g. `missing-required: city,state`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Reason {
    pub family: &'static str,
    pub detail: String,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.detail.is_empty() {
            f.write_str(self.family)
        } else {
            write!(f, "{}: {}", self.family, self.detail)
        }
    }
}

/// The stable reason families. Reports, drift request classes and test names are built from
/// these, so they never change meaning.
pub mod family {
    // Valid payloads (expect accept).
    pub const REQUIRED_ONLY: &str = "required-only";
    pub const ALL_FIELDS: &str = "all-fields";
    pub const OPTIONAL_FIELD: &str = "optional-field";
    pub const ENUM_VALUE: &str = "enum-value";
    pub const BOUNDARY: &str = "boundary";
    pub const RANDOM_VALID: &str = "random-valid";
    // Invalid payloads (expect reject).
    pub const MISSING_REQUIRED: &str = "missing-required";
    pub const WRONG_TYPE: &str = "wrong-type";
    pub const NULL_VALUE: &str = "null";
    pub const ENUM_OUTSIDE: &str = "enum-outside";
    pub const BAD_FORMAT: &str = "bad-format";
    pub const BAD_BODY: &str = "bad-body";
    pub const RANDOM_INVALID: &str = "random-invalid";
    // Hand-written examples from the case file (either outcome).
    pub const EXAMPLE: &str = "example";
    // Key missing or wrong (expect unauthorized).
    pub const AUTH_MISSING: &str = "auth-missing";
    pub const AUTH_WRONG: &str = "auth-wrong";
}

/// Where a planned request came from; random ones can be regenerated and shrunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Origin {
    Coverage,
    Example,
    Random { class: RandomClass, index: u64 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RandomClass {
    Valid,
    Invalid,
}

/// One request of the plan: what to send and what the contract promises for it.
#[derive(Debug, Clone)]
pub struct PlannedRequest {
    /// The operation's name (`Operation::name`).
    pub case: Arc<str>,
    /// Stable for a given seed, e.g. `sessionlink-v2:enum-value:countryCode=AX`.
    pub id: String,
    pub expect: Expect,
    pub reason: Reason,
    pub key: KeyUse,
    pub body: Body,
    pub origin: Origin,
}

/// Options that shape a plan.
#[derive(Debug, Clone, Copy)]
pub struct PlanOptions {
    pub seed: u64,
    /// Random examples per case and class: N valid plus N invalid.
    pub examples: u64,
}

/// Placeholder a plan shows instead of the key: plans never hold a real key.
pub fn key_placeholder(env: &str) -> String {
    format!("${{{env}}}")
}

/// Everything needed to generate one operation's requests, compiled once per run.
/// `Send + Sync`: shared by every worker of a run.
pub struct Generator {
    operation: Arc<Operation>,
}

impl Generator {
    /// Compile the operation's request schema into coverage rules and proptest strategies.
    pub fn new(operation: Arc<Operation>) -> Result<Generator, crate::contract::ContractError> {
        Ok(Generator { operation })
    }

    pub fn operation(&self) -> &Arc<Operation> {
        &self.operation
    }

    /// The deterministic coverage plan, including the case's examples and the auth requests.
    pub fn coverage(&self) -> Vec<PlannedRequest> {
        todo!("issue 2")
    }

    /// The `index`-th random request of `class` for `seed`: the same inputs always give the
    /// same request, without generating the ones before it.
    pub fn random(&self, _seed: u64, _class: RandomClass, _index: u64) -> PlannedRequest {
        todo!("issue 2")
    }

    /// A shrinker that starts from exactly `random(seed, class, index)`.
    pub fn shrinker(&self, _seed: u64, _class: RandomClass, _index: u64) -> Shrinker {
        todo!("issue 2")
    }
}

/// Walks a failing random request towards a minimal one (proptest's simplify/complicate).
/// Not `Send`: the caller keeps it on one thread.
pub struct Shrinker {}

impl Shrinker {
    /// The current candidate.
    pub fn current(&self) -> PlannedRequest {
        todo!("issue 2")
    }
    /// The current candidate still fails: try a simpler one. `false` when none is left.
    pub fn simplify(&mut self) -> bool {
        todo!("issue 2")
    }
    /// The current candidate passed: step back towards the last failing one. `false` when
    /// there is nothing left to try.
    pub fn complicate(&mut self) -> bool {
        todo!("issue 2")
    }
}

/// The whole plan, lazily, so a million-request run holds no more than one request per
/// worker: every generator's coverage entries first, then random entries (valid and invalid
/// interleaved, `options.examples` of each per generator).
pub fn plan(
    generators: Vec<Arc<Generator>>,
    options: PlanOptions,
) -> impl Iterator<Item = PlannedRequest> + Send {
    let _ = options;
    generators.into_iter().flat_map(|g| g.coverage())
}

/// Coverage figures for one operation, counted from the requests actually planned or sent.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Coverage {
    pub case: String,
    pub enum_values_covered: u64,
    pub enum_values_total: u64,
    pub required_subsets_covered: u64,
    pub required_subsets_total: u64,
    /// Requests per reason family.
    pub by_family: std::collections::BTreeMap<String, u64>,
}

impl Coverage {
    /// Add another shard's coverage of the same case.
    pub fn merge(&mut self, other: &Coverage) {
        for (family, count) in &other.by_family {
            *self.by_family.entry(family.clone()).or_default() += count;
        }
        self.enum_values_covered = self.enum_values_covered.max(other.enum_values_covered);
        self.required_subsets_covered = self
            .required_subsets_covered
            .max(other.required_subsets_covered);
    }
}

/// Counts coverage from the requests it is shown: enum values seen in `accept` payloads,
/// subsets of required fields missing from `missing-required` payloads. Cheap per request.
pub struct CoverageTracker {
    case: String,
}

impl CoverageTracker {
    pub fn new(operation: &Operation) -> CoverageTracker {
        CoverageTracker {
            case: operation.name.clone(),
        }
    }
    pub fn observe(&mut self, _request: &PlannedRequest) {}
    /// Add what another tracker of the same operation saw (runs keep one per worker).
    pub fn merge(&mut self, _other: CoverageTracker) {}
    pub fn coverage(&self) -> Coverage {
        Coverage {
            case: self.case.clone(),
            ..Coverage::default()
        }
    }
}
