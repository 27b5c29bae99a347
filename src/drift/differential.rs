//! Differential runs: the observed contracts of two targets that got the same plan, diffed
//! and graded like drift. The reference (`--against`, e.g. production's sandbox) plays the
//! baseline, with its own contract findings as non-conformant marks, so a candidate that
//! answers where the reference was broken is graded `fixed`, not `breaking`.

use super::diff::diff;
use super::observe::Observer;
use super::snapshot::nonconformant_places;
use super::Severity;
use crate::check::{Check, Finding, SentRequest};
use crate::contract::Operation;
use std::sync::Arc;

/// What one target answered to the plan.
pub struct TargetRun<'a> {
    /// The target, as reports name it.
    pub base_url: &'a str,
    /// What it answered.
    pub observed: &'a Observer,
    /// The run's contract findings.
    pub findings: &'a [Finding],
    /// Removes the target's secrets from observed values.
    pub scrub: &'a dyn Fn(&str) -> String,
}

/// One `drift` finding per case whose observed contract differs between the two targets.
pub fn compare(
    operations: &[Arc<Operation>],
    reference: &TargetRun<'_>,
    candidate: &TargetRun<'_>,
) -> Vec<Finding> {
    let before = reference.observed.contracts();
    let after = candidate.observed.contracts();
    let mut findings = Vec::new();
    for ((operation, mut old), mut new) in operations.iter().zip(before).zip(after) {
        old.scrub_values(reference.scrub);
        new.scrub_values(candidate.scrub);
        let own: Vec<&Finding> = reference
            .findings
            .iter()
            .filter(|f| f.case == operation.name)
            .collect();
        let changes = diff(&old, &nonconformant_places(&own), &new);
        let Some(worst) = changes.iter().map(|c| c.severity).max() else {
            continue;
        };
        let lines: Vec<String> = changes.iter().map(ToString::to_string).collect();
        findings.push(difference(operation, reference.base_url, worst, &lines));
    }
    findings
}

fn difference(
    operation: &Operation,
    reference: &str,
    worst: Severity,
    lines: &[String],
) -> Finding {
    let toward = if worst == Severity::Fixed {
        " toward the contract (fixed)"
    } else {
        ""
    };
    Finding {
        check: Check::Drift,
        case: operation.name.clone(),
        plan_id: format!("{}:differential", operation.name),
        plan_position: u64::MAX,
        reason: "drift: differential run".to_owned(),
        expect: crate::contract::Expect::Accept,
        cause: format!("differs from the reference ({worst})"),
        message: format!(
            "{} difference(s){toward} from the reference {reference}",
            lines.len()
        ),
        request: SentRequest::default(),
        response: None,
        curl: String::new(),
        count: lines.len() as u64,
        examples: Vec::new(),
        example_positions: Vec::new(),
        shrunk: None,
        severity: Some(worst),
        diff: Some(lines.join("\n")),
        operations: Vec::new(),
    }
}
