//! [`Summary`]: the figures of a finished run, with its [`Coverage`] per case and what
//! happened to each drift baseline ([`DriftRecord`]); and [`Progress`], the live counts a
//! progress display reads while the run goes on.

use super::{Severity, Warning};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::atomic::AtomicU64;

/// The figures of a finished run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// The target's base URL.
    pub base_url: String,
    /// The seed of the random exploration.
    pub seed: u64,
    /// Random payloads per case and class.
    pub examples: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// `K/N` when the run was one shard.
    pub shard: Option<String>,
    /// Plan entries carried out.
    pub planned: u64,
    /// HTTP requests sent, retries and shrinking included.
    pub requests: u64,
    /// Wall time of the run.
    pub elapsed_s: f64,
    /// HTTP requests per second of wall time.
    pub requests_per_s: f64,
    /// Findings per check: a group of N identical findings counts N, and one body can break
    /// its schema in several places.
    pub findings_by_check: BTreeMap<String, u64>,
    /// Distinct findings after grouping.
    pub finding_groups: u64,
    /// Responses per status code.
    pub statuses: BTreeMap<String, u64>,
    /// Coverage per case.
    pub coverage: Vec<Coverage>,
    /// The request cap stopped the run before the plan was done.
    pub capped: bool,
    /// `--fail-fast` stopped the run at the first finding.
    pub stopped_early: bool,
    /// Why the run stopped before its plan was done, when something other than the request
    /// cap or `--fail-fast` stopped it: the circuit breaker or `--deadline`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incomplete: Option<Halt>,
    /// Per case: the drift snapshot and what happened to it (empty when drift was not checked).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drift: Vec<DriftRecord>,
    /// Drift findings at or above this severity fail the run; `None`: drift only warns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drift_fail_on: Option<Severity>,
    /// What the run noticed about the target that fails nothing (e.g. connections closed
    /// without notice), once per cause.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Warning>,
}

/// What stopped a run before its plan was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HaltReason {
    /// Too many consecutive requests got no usable answer: the target is down or hung.
    CircuitBreaker,
    /// `--deadline` passed.
    Deadline,
}

/// Why and when a run was halted, as the summary reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Halt {
    /// What stopped it.
    pub reason: HaltReason,
    /// A sentence for a person: what was seen and when.
    pub message: String,
}

impl std::fmt::Display for Halt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Live counts for progress displays.
#[derive(Debug, Default)]
pub struct Progress {
    /// Plan entries this run will carry out.
    pub total: AtomicU64,
    /// Plan entries carried out so far.
    pub done: AtomicU64,
    /// Findings so far, before grouping.
    pub findings: AtomicU64,
}

/// Coverage figures for one operation, counted from the requests actually planned or sent.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Coverage {
    /// The case.
    pub case: String,
    /// Enum values some accepted payload carried.
    pub enum_values_covered: u64,
    /// Enum values in the schema.
    pub enum_values_total: u64,
    /// Planned sets of missing required fields some request left out.
    pub required_subsets_covered: u64,
    /// Planned sets of missing required fields.
    pub required_subsets_total: u64,
    /// Requests per reason family.
    pub by_family: BTreeMap<String, u64>,
    /// Probes sent after the plan, per family (`method-not-allowed`,
    /// `undeclared-content-type`): requests outside the plan that cover nothing.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub probes: BTreeMap<String, u64>,
    /// `field=value` of every enum value no accepted payload carried.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub uncovered_enum_values: Vec<String>,
    /// Every planned set of missing required fields (`a,b`) no request left out.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub uncovered_required_subsets: Vec<String>,
    /// Random draws that failed the request schema and were drawn again: zero for a schema
    /// whose draws are valid by construction.
    #[serde(default)]
    pub redraws: u64,
}

impl Coverage {
    /// Add another shard's coverage of the same case: what is uncovered in both stays
    /// uncovered, so the merge is exact.
    pub fn merge(&mut self, other: &Coverage) {
        for (family, count) in &other.by_family {
            *self.by_family.entry(family.clone()).or_default() += count;
        }
        for (family, count) in &other.probes {
            *self.probes.entry(family.clone()).or_default() += count;
        }
        self.redraws += other.redraws;
        self.uncovered_enum_values
            .retain(|v| other.uncovered_enum_values.contains(v));
        self.uncovered_required_subsets
            .retain(|v| other.uncovered_required_subsets.contains(v));
        self.enum_values_covered = self.enum_values_total - self.uncovered_enum_values.len() as u64;
        self.required_subsets_covered =
            self.required_subsets_total - self.uncovered_required_subsets.len() as u64;
    }
}

/// What happened to one case's snapshot, as the summary reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftRecord {
    /// The case.
    pub case: String,
    /// The snapshot file.
    pub snapshot: String,
    /// `matched`, `recorded`, `updated`, `pending`, `missing`, `changed` or `refused`.
    pub status: String,
    /// Graded changes from the baseline.
    pub changes: u64,
}
