//! One finding per cause: findings of different operations that share a cause are folded
//! into one finding (case `*`) that lists the finding of each operation it covers, so one
//! header the server validates more strictly than its document is one finding, not one per
//! operation and request family.
//!
//! Two findings share a cause when they have the same check and:
//! - for a status verdict (`server-error`, `rejects-valid`, `accepts-invalid`,
//!   `auth-not-enforced`, `status-undocumented`): the same status and the same error
//!   message (the first line of the response body, as kept);
//! - for `content-type`, `response-schema`, `method-not-allowed` and `transport`: the same
//!   cause, e.g. the same pointer of a shared schema.
//!
//! A cause only one operation has is left as it is, with its own fingerprint
//! (`check:case:cause`); a folded one's fingerprint is `check:*:cause`, whatever the number
//! of operations. Folding is a pure function of the findings, so a run and the merge of its
//! shards' reports fold the same way (the merge unfolds, regroups and folds again).

use super::{Check, Finding};
use std::collections::BTreeMap;

/// The case of a finding that several operations share.
pub const EVERY_OPERATION: &str = "*";

/// How much of the error message a shared cause quotes.
const MESSAGE_CHARS: usize = 120;

/// `findings` with every cause shared by two operations or more folded into one finding,
/// in the order of their earliest members.
pub fn fold(findings: Vec<Finding>) -> Vec<Finding> {
    let mut shared: BTreeMap<(Check, String), Vec<Finding>> = BTreeMap::new();
    let mut kept: Vec<Finding> = Vec::new();
    for finding in unfold(findings) {
        match shared_cause(&finding) {
            Some(cause) => shared
                .entry((finding.check, cause))
                .or_default()
                .push(finding),
            None => kept.push(finding),
        }
    }
    for ((_, cause), members) in shared {
        if distinct_cases(&members) < 2 {
            kept.extend(members);
        } else {
            kept.push(folded(cause, members));
        }
    }
    kept.sort_by(|a, b| {
        let order = |f: &Finding| (f.check, f.plan_position, f.case.clone(), f.cause.clone());
        order(a).cmp(&order(b))
    });
    kept
}

/// Every finding of one operation: folded findings replaced by their members.
pub fn unfold(findings: Vec<Finding>) -> Vec<Finding> {
    let mut flat = Vec::with_capacity(findings.len());
    for finding in findings {
        if finding.operations.is_empty() {
            flat.push(finding);
        } else {
            flat.extend(finding.operations);
        }
    }
    flat
}

/// The cause operations can share, for the checks whose findings can be folded.
fn shared_cause(finding: &Finding) -> Option<String> {
    match finding.check {
        Check::ServerError
        | Check::RejectsValid
        | Check::AcceptsInvalid
        | Check::AuthNotEnforced
        | Check::StatusUndocumented => {
            let response = finding.response.as_ref()?;
            let first_line = response.body.lines().next().unwrap_or_default();
            let message: String = first_line
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .chars()
                .take(MESSAGE_CHARS)
                .collect();
            Some(if message.is_empty() {
                format!("{} (no body)", response.status)
            } else {
                format!("{} {message}", response.status)
            })
        }
        Check::ContentType | Check::ResponseSchema | Check::Transport | Check::MethodNotAllowed => {
            Some(finding.cause.clone())
        }
        // Judged per case (drift) or per resource sequence: each about its own operation.
        Check::Drift | Check::Untested | Check::UseAfterFree | Check::ResourceUnavailable => None,
    }
}

fn distinct_cases(members: &[Finding]) -> usize {
    let mut cases: Vec<&str> = members.iter().map(|f| f.case.as_str()).collect();
    cases.sort_unstable();
    cases.dedup();
    cases.len()
}

/// One finding for `members` (two operations or more): the earliest member's request and
/// answer, the sum of the counts, the earliest plan ids, and the members in case order.
fn folded(cause: String, mut members: Vec<Finding>) -> Finding {
    members.sort_by(|a, b| (&a.case, a.plan_position).cmp(&(&b.case, b.plan_position)));
    let earliest = members
        .iter()
        .min_by_key(|f| f.plan_position)
        .cloned()
        .unwrap_or_else(|| members[0].clone());
    let mut examples: Vec<(u64, String)> = members
        .iter()
        .flat_map(|f| f.example_positions.iter().copied().zip(f.examples.clone()))
        .collect();
    examples.sort();
    examples.truncate(earliest.examples.len().max(1));
    let count = members.iter().map(|f| f.count).sum();
    let cases: Vec<&str> = members.iter().map(|f| f.case.as_str()).collect();
    let message = format!(
        "{} operations share this cause ({}); e.g. {}",
        distinct_cases(&members),
        dedup_joined(&cases),
        earliest.message
    );
    Finding {
        case: EVERY_OPERATION.to_owned(),
        cause,
        message,
        count,
        example_positions: examples.iter().map(|(p, _)| *p).collect(),
        examples: examples.into_iter().map(|(_, id)| id).collect(),
        shrunk: None,
        operations: members,
        ..earliest
    }
}

fn dedup_joined(cases: &[&str]) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for case in cases {
        if !seen.contains(case) {
            seen.push(case);
        }
    }
    seen.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::ResponseRecord;

    fn finding(case: &str, position: u64, status: u16, body: &str) -> Finding {
        let mut f = Finding::untested(case, "here", "/x", "x");
        f.check = Check::StatusUndocumented;
        f.cause = format!("{status} for valid");
        f.plan_position = position;
        f.examples = vec![format!("{case}:{position}")];
        f.example_positions = vec![position];
        f.count = 2;
        f.response = Some(ResponseRecord {
            status,
            headers: Vec::new(),
            body: body.to_owned(),
            body_truncated: false,
            elapsed_ms: 1,
        });
        f
    }

    #[test]
    fn a_cause_every_operation_shares_is_one_finding_listing_them_all() {
        let findings = vec![
            finding("b", 7, 400, "{\"detail\": \"bad header\"}"),
            finding("a", 3, 400, "{\"detail\":  \"bad header\"}"),
            finding("c", 5, 400, "{\"detail\": \"other\"}"),
        ];
        let folded = fold(findings.clone());
        assert_eq!(folded.len(), 2, "{folded:#?}");
        let shared = &folded[0];
        assert_eq!(shared.case, EVERY_OPERATION);
        assert_eq!(shared.cause, "400 {\"detail\": \"bad header\"}");
        assert_eq!(shared.count, 4);
        assert_eq!(shared.plan_position, 3);
        let cases: Vec<&str> = shared.operations.iter().map(|f| f.case.as_str()).collect();
        assert_eq!(cases, ["a", "b"]);
        // The lone cause keeps its own identity.
        assert_eq!((folded[1].case.as_str(), folded[1].count), ("c", 2));
        // Folding what is folded changes nothing; unfolding gives the members back.
        assert_eq!(fold(folded.clone()), folded);
        assert_eq!(unfold(folded).len(), 3);
    }
}
