//! Known failures: findings a team has accepted for a while (a partner's tracked bug), so the
//! gate stays on. A finding is matched by its [`fingerprint`] (check, case, cause: stable
//! across runs, seeds and shards, and printed in every report so it can be copied). Known,
//! unexpired findings move to their own section and do not fail; an expired entry's finding
//! stays a failure; an entry that matched nothing is reported as possibly fixed.
//!
//! This module reads the file ([`file`]), applies it to a report ([`apply`]) and writes entries
//! for a person to fill in ([`add_entries`]). It renders nothing.

pub mod date;
pub mod file;

pub use date::Date;
pub use file::KnownFile;

use crate::check::Finding;
use serde::{Deserialize, Serialize};
use std::fmt::Write;

/// How a fingerprint is written, quoted in errors.
pub const FINGERPRINT_HELP: &str = "a fingerprint is CHECK:CASE:CAUSE exactly as a report prints it after `fingerprint:` (copy it from the console, Markdown or JSON report, or let `specgate known add --from report.json` write the entry)";

/// The environment variable the `cargo test` harness reads a known-failures file from.
pub const ENV_VAR: &str = "SPECGATE_KNOWN";

/// The stable identity of a finding: `check:case:cause`; for a cause several operations
/// share, `check:*:cause`, however many share it.
pub fn fingerprint(finding: &Finding) -> String {
    format!("{}:{}:{}", finding.check, finding.case, finding.cause)
}

/// One entry of a known-failures file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KnownEntry {
    /// `check:case:cause`, as reports print it.
    pub fingerprint: String,
    /// Why the finding is accepted for now.
    pub reason: String,
    /// Who tracks it.
    pub owner: String,
    /// Where it is tracked (a ticket).
    pub link: String,
    /// The last day the entry holds.
    pub expires: Date,
    /// The line of the entry in its file.
    pub line: usize,
}

impl KnownEntry {
    /// The fields still as `known add` wrote them (`TODO: …`): `reason`, `owner`, `link`.
    pub fn unfilled(&self) -> Vec<&'static str> {
        [
            ("reason", &self.reason),
            ("owner", &self.owner),
            ("link", &self.link),
        ]
        .into_iter()
        .filter(|(_, value)| value.trim_start().starts_with("TODO"))
        .map(|(name, _)| name)
        .collect()
    }
}

/// A finding that a known, unexpired entry matched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KnownFinding {
    /// The entry that matched.
    pub entry: KnownEntry,
    /// The finding it matched.
    pub finding: Finding,
}

/// What the known-failures file did to a run, as every report shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KnownReport {
    /// The known-failures file.
    pub file: String,
    /// The day the entries were judged against.
    pub today: Date,
    /// Matched by an unexpired entry: reported, not failing.
    pub known: Vec<KnownFinding>,
    /// Matched, but past `expires`: their findings stay among the failures.
    pub expired: Vec<KnownEntry>,
    /// Matched nothing in this run: fixed? remove the entry.
    pub unmatched: Vec<KnownEntry>,
}

/// Move the findings `file` knows about out of `findings`; what is left fails the run.
/// A finding several operations share is known whole by its `check:*:cause` entry, or
/// operation by operation by their own `check:case:cause` entries (what is left of it
/// still fails, folded again).
pub fn apply(findings: &mut Vec<Finding>, file: &KnownFile, today: Date) -> KnownReport {
    let mut matched = vec![false; file.entries.len()];
    let mut known = Vec::new();
    let mut expired = Vec::new();
    let mut failing = Vec::with_capacity(findings.len());
    let listed = |finding: &Finding| {
        let print = fingerprint(finding);
        file.entries.iter().any(|e| e.fingerprint == print)
    };
    let (whole, members): (Vec<Finding>, Vec<Finding>) = findings
        .drain(..)
        .partition(|f| f.operations.is_empty() || listed(f));
    let candidates = whole
        .into_iter()
        .chain(crate::results::fold::unfold(members));
    for finding in candidates {
        let print = fingerprint(&finding);
        let Some(index) = file.entries.iter().position(|e| e.fingerprint == print) else {
            failing.push(finding);
            continue;
        };
        matched[index] = true;
        let entry = file.entries[index].clone();
        if entry.expires >= today {
            known.push(KnownFinding { entry, finding });
        } else {
            expired.push(entry);
            failing.push(finding);
        }
    }
    *findings = crate::results::fold::fold(failing);
    let unmatched = file
        .entries
        .iter()
        .zip(&matched)
        .filter(|(_, m)| !**m)
        .map(|(e, _)| e.clone())
        .collect();
    KnownReport {
        file: file.path.display().to_string(),
        today,
        known,
        expired,
        unmatched,
    }
}

/// `existing` (a known-failures file's text, possibly empty) with an entry appended for each
/// finding it does not list yet, for a person to fill in; and how many were added.
pub fn add_entries(
    existing: &str,
    known: &[KnownEntry],
    findings: &[Finding],
    today: Date,
) -> (String, usize) {
    let mut out = existing.to_owned();
    if out.trim().is_empty() {
        out = "# Known failures: findings that do not fail `specgate run --known FILE` until they expire.\n# Fill in reason, owner and link; an expired entry fails the run again.\n".to_owned();
    }
    let mut listed: Vec<String> = known.iter().map(|e| e.fingerprint.clone()).collect();
    let mut added = 0;
    for finding in findings {
        let print = fingerprint(finding);
        if listed.contains(&print) {
            continue;
        }
        if !out.ends_with('\n') {
            out.push('\n');
        }
        let _ = write!(
            out,
            "\n[[known]]\n# {}\nfingerprint = {}\nreason = \"TODO: why this is accepted for now\"\nowner = \"TODO: the team that tracks it\"\nlink = \"TODO: the ticket\"\nexpires = {}\n",
            finding.message.lines().next().unwrap_or_default(),
            toml_string(&print),
            today.plus_days(30)
        );
        listed.push(print);
        added += 1;
    }
    (out, added)
}

/// A TOML basic string holding `text`.
fn toml_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Date::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("`{text}` is not a YYYY-MM-DD date")))
    }
}
