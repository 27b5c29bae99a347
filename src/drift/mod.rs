//! Drift: the observed contract (what really came back, per case and request class), its
//! insta snapshot beside the case files, and the graded diff against the stored baseline.
//!
//! Schemas are often looser than the service: `status` is just "string". The observed
//! contract records, for each request class and status, the content types, the shape of
//! the body (each JSON pointer with its types and whether it was always present) and the
//! values of enum fields and of string fields with few distinct values. Fields named in the
//! case's redactions keep their shape but not their values.
//!
//! Only the deterministic coverage plan feeds it (not random exploration), so the baseline
//! depends on the contract and the server alone, not on `--seed` or `--examples`.

mod diff;
pub mod differential;
mod observe;
pub mod review;
pub mod snapshot;

pub use diff::{diff, Change, Marks};
pub use observe::{ObservedContract, Observer};
pub use snapshot::{Nonconformant, SnapshotOutcome, SnapshotPolicy, SnapshotWrites};

use crate::results::{Check, Finding, SentRequest};

pub use crate::results::{DriftRecord, Severity};

/// How a run may write its snapshots.
#[derive(Debug, Clone, Copy)]
pub struct WritePolicy {
    /// Compare (writing what insta's rules allow) or record (`--update-snapshots`).
    pub snapshots: SnapshotPolicy,
    /// Whether a run with contract findings may write at all.
    pub nonconformant: Nonconformant,
}

/// Compare each case's observed contract with its baseline: the drift findings and a record
/// per case. `scrub` removes secrets from observed values before anything is compared or
/// written. `run_findings` are the run's contract findings: a case that has some is written
/// only under [`Nonconformant::Record`], with those observations marked.
pub fn check_drift(
    observer: &Observer,
    operations: &[std::sync::Arc<crate::contract::Operation>],
    cases_dir: &std::path::Path,
    policy: WritePolicy,
    scrub: &dyn Fn(&str) -> String,
    run_findings: &[Finding],
) -> Result<(Vec<Finding>, Vec<DriftRecord>), snapshot::SnapshotError> {
    let mut findings = Vec::new();
    let mut records = Vec::new();
    for (operation, mut observed) in operations.iter().zip(observer.contracts()) {
        observed.scrub_values(scrub);
        let own: Vec<&Finding> = run_findings
            .iter()
            .filter(|f| f.case == operation.name && f.check != Check::Drift)
            .collect();
        let marks = snapshot::nonconformant_places(&own);
        let recording = snapshot::Recording {
            policy: policy.snapshots,
            marks: &marks,
            findings: !own.is_empty(),
            nonconformant: policy.nonconformant,
        };
        let outcome =
            snapshot::compare_and_store(cases_dir, &operation.source, &observed, recording)?;
        if let Some(finding) = drift_finding(&outcome) {
            findings.push(finding);
        }
        records.push(DriftRecord {
            case: outcome.case.clone(),
            snapshot: outcome.path.display().to_string(),
            status: status_name(&outcome.status).to_owned(),
            changes: outcome.changes.len() as u64,
        });
    }
    Ok((findings, records))
}

fn status_name(status: &snapshot::SnapshotStatus) -> &'static str {
    use snapshot::SnapshotStatus::*;
    match status {
        Matched => "matched",
        Recorded => "recorded",
        Updated => "updated",
        Pending(_) => "pending",
        Missing => "missing",
        Changed => "changed",
        Refused => "refused",
    }
}

/// A drift finding for a changed or (on CI) missing snapshot.
fn drift_finding(outcome: &SnapshotOutcome) -> Option<Finding> {
    use snapshot::SnapshotStatus::*;
    let path = outcome.path.display();
    let (severity, message, diff) = match &outcome.status {
        Missing => (
            Severity::Breaking,
            format!("no drift baseline at {path}, and none may be written here (CI or INSTA_UPDATE=no); run `specgate run --update-snapshots` outside CI and commit the file"),
            format!("- {path}: missing"),
        ),
        _ if outcome.changes.is_empty() => return None,
        status => {
            let worst = outcome.changes.iter().map(|c| c.severity).max()?;
            let next = match status {
                Pending(new) => {
                    let folder = new.parent().map_or_else(|| ".".to_owned(), |f| f.display().to_string());
                    format!("the new observation is in {}: review it with `specgate snapshots review {folder}`, then `specgate snapshots accept {folder}` (or `reject`)", new.display())
                }
                Updated => "the baseline was updated to this observation".to_owned(),
                Refused => "nothing was written: this run had contract findings (record anyway with --record-nonconformant)".to_owned(),
                _ => "nothing was written (CI or INSTA_UPDATE=no)".to_owned(),
            };
            let lines: Vec<String> = outcome.changes.iter().map(ToString::to_string).collect();
            let toward = if worst == Severity::Fixed { " toward the contract (fixed)" } else { "" };
            let message = format!("{} change(s){toward} to the observed contract since {path}; {next}", outcome.changes.len());
            (worst, message, lines.join("\n"))
        }
    };
    Some(Finding {
        check: Check::Drift,
        case: outcome.case.clone(),
        plan_id: format!("{}:drift", outcome.case),
        plan_position: u64::MAX,
        reason: "drift: observed contract".to_owned(),
        expect: crate::contract::Expect::Accept,
        cause: format!("observed contract ({severity})"),
        message,
        request: SentRequest::default(),
        response: None,
        curl: String::new(),
        count: outcome.changes.len().max(1) as u64,
        examples: Vec::new(),
        example_positions: Vec::new(),
        shrunk: None,
        severity: Some(severity),
        diff: Some(diff),
        operations: Vec::new(),
    })
}
