//! [`Severity`]: how bad a change of the observed contract is.

use serde::{Deserialize, Serialize};

/// How bad a change of the observed contract is, as spec-diff tools grade them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A change toward the contract (a valid class that stops answering 5xx, an invalid class
    /// that starts answering 4xx, a field that starts matching its schema): never fails.
    Fixed,
    /// A new field, or a request class seen for the first time.
    Info,
    /// A new value of a tracked field (e.g. a new `status`).
    Warning,
    /// A field that was always present disappeared or became optional, a type changed, a
    /// status code or content type changed for a request class, a tracked value disappeared.
    Breaking,
}

impl Severity {
    /// The stable name: `fixed`, `info`, `warning` or `breaking`.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Fixed => "fixed",
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Breaking => "breaking",
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
