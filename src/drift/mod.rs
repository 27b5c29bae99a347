//! Drift: the observed contract (what really came back, per case and request class), its
//! insta snapshot beside the case files, and the graded diff against the stored baseline.

use crate::check::Outcome;
use crate::contract::Operation;
use crate::generate::PlannedRequest;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// How bad a change of the observed contract is, as spec-diff tools grade them.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A new field.
    Info,
    /// A new value of a tracked field.
    Warning,
    /// Something clients rely on disappeared or changed type, status or content type.
    Breaking,
}

/// Collects observations during a run (one per worker, merged at the end).
#[derive(Debug, Default)]
pub struct Observer {}

impl Observer {
    pub fn new(_operations: &[Arc<Operation>]) -> Observer {
        Observer {}
    }
    pub fn observe(&mut self, _operation: usize, _planned: &PlannedRequest, _outcome: &Outcome) {}
    pub fn merge(&mut self, _other: Observer) {}
}
