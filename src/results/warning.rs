//! [`Warning`]: something a run noticed about the target that is not a finding and fails
//! nothing, noted once with how often it happened (e.g. a server that closes kept-alive
//! connections after a 500 without `Connection: close`).

use super::Check;
use serde::{Deserialize, Serialize};

/// A note about the target, counted: reported apart from the findings, never failing a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    /// The check it concerns, e.g. `transport`.
    pub check: Check,
    /// What makes two warnings the same, e.g. `connection closed after a 500 without
    /// Connection: close`; shard reports merge on it.
    pub cause: String,
    /// A sentence for a person.
    pub message: String,
    /// How many times it happened.
    pub count: u64,
}
