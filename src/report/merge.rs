//! Joining the JSON reports of a sharded run into the report one unsharded run would have
//! written: counts add up, findings regroup by (check, case, cause), and each group keeps its
//! earliest member in plan order (shards keep global plan positions); causes several
//! operations share are unfolded first and folded again at the end.

use super::{ReportError, RunReport};
use crate::known::{KnownEntry, KnownFinding, KnownReport};
use crate::results::fold::{fold, unfold};
use crate::results::Finding;
use crate::results::Summary;
use std::collections::BTreeMap;

/// Plan ids kept per group, as in a single run.
const EXAMPLES_PER_GROUP: usize = 5;

/// One report from the reports of a run's shards, equal to the report of one unsharded run.
pub fn merge(reports: Vec<RunReport>) -> Result<RunReport, ReportError> {
    let first = reports
        .first()
        .ok_or_else(|| ReportError::Mismatch("no reports to merge".to_owned()))?;
    check_compatible(&reports)?;
    let cases = first.cases.clone();
    let strict = reports.iter().any(|r| r.strict);
    let known = merge_known(&reports);
    let mut summary = Summary {
        shard: None,
        ..first.summary.clone()
    };
    summary.base_url = distinct(reports.iter().map(|r| r.summary.base_url.as_str())).join(", ");
    let mut findings = Vec::new();
    let mut flaky = Vec::new();
    for (n, report) in reports.into_iter().enumerate() {
        if n > 0 {
            add_summary(&mut summary, &report.summary);
        }
        findings.extend(unfold(report.findings));
        flaky.extend(unfold(report.flaky));
    }
    let findings = regroup(findings);
    // A finding confirmed in one shard is no longer flaky for the whole run.
    let confirmed: Vec<(String, String, String)> = findings.iter().map(key).collect();
    let flaky = fold(
        regroup(flaky)
            .into_iter()
            .filter(|f| !confirmed.contains(&key(f)))
            .collect(),
    );
    // Causes shared across operations fold as in one run, whichever shard saw which.
    let findings = fold(findings);
    summary.requests_per_s = if summary.elapsed_s > 0.0 {
        summary.requests as f64 / summary.elapsed_s
    } else {
        0.0
    };
    summary.findings_by_check = BTreeMap::new();
    for finding in &findings {
        *summary
            .findings_by_check
            .entry(finding.check.name().to_owned())
            .or_default() += finding.count;
    }
    summary.finding_groups = findings.len() as u64;
    let mut merged = RunReport::new(summary, findings);
    merged.cases = cases;
    merged.flaky = flaky;
    merged.strict = strict;
    merged.known = known;
    Ok(merged)
}

fn key(finding: &Finding) -> (String, String, String) {
    (
        finding.check.name().to_owned(),
        finding.case.clone(),
        finding.cause.clone(),
    )
}

/// Findings grouped again by (check, case, cause), each group keeping its earliest member.
fn regroup(findings: Vec<Finding>) -> Vec<Finding> {
    let mut groups: BTreeMap<(String, String, String), Finding> = BTreeMap::new();
    for finding in findings {
        let key = key(&finding);
        let merged = match groups.remove(&key) {
            Some(mine) => combine(mine, finding),
            None => finding,
        };
        groups.insert(key, merged);
    }
    let mut findings: Vec<Finding> = groups.into_values().collect();
    findings.sort_by_key(|f| (f.check, f.case.clone(), f.plan_position, f.cause.clone()));
    findings
}

/// The shards' known-failures sections as one run's: known findings regrouped, expired
/// entries once each, and an entry unmatched only when no shard matched it.
fn merge_known(reports: &[RunReport]) -> Option<KnownReport> {
    let sections: Vec<&KnownReport> = reports.iter().filter_map(|r| r.known.as_ref()).collect();
    let first = *sections.first()?;
    let mut known: BTreeMap<String, KnownFinding> = BTreeMap::new();
    for k in sections.iter().flat_map(|s| &s.known) {
        let merged = match known.remove(&k.entry.fingerprint) {
            Some(mine) => KnownFinding {
                entry: mine.entry,
                finding: combine(mine.finding, k.finding.clone()),
            },
            None => k.clone(),
        };
        known.insert(k.entry.fingerprint.clone(), merged);
    }
    let mut expired: Vec<KnownEntry> = Vec::new();
    for e in sections.iter().flat_map(|s| &s.expired) {
        if !expired.iter().any(|x| x.fingerprint == e.fingerprint) {
            expired.push(e.clone());
        }
    }
    let matched = |fingerprint: &str| {
        known.contains_key(fingerprint) || expired.iter().any(|e| e.fingerprint == fingerprint)
    };
    let unmatched = first
        .unmatched
        .iter()
        .filter(|e| !matched(&e.fingerprint))
        .filter(|e| {
            sections
                .iter()
                .all(|s| s.unmatched.iter().any(|u| u.fingerprint == e.fingerprint))
        })
        .cloned()
        .collect();
    Some(KnownReport {
        file: first.file.clone(),
        today: first.today,
        known: known.into_values().collect(),
        expired,
        unmatched,
    })
}

fn distinct<'a>(items: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    for item in items {
        if !seen.iter().any(|s| s == item) {
            seen.push(item.to_owned());
        }
    }
    seen
}

/// Shards of one run share the seed and the examples, and are distinct parts of the same N.
fn check_compatible(reports: &[RunReport]) -> Result<(), ReportError> {
    let first = &reports[0].summary;
    for report in reports {
        let s = &report.summary;
        if (s.seed, s.examples) != (first.seed, first.examples) {
            return Err(ReportError::Mismatch(format!(
                "seed/examples differ ({}/{} vs {}/{}): shards must come from the same plan",
                s.seed, s.examples, first.seed, first.examples
            )));
        }
    }
    let shards: Vec<&str> = reports
        .iter()
        .filter_map(|r| r.summary.shard.as_deref())
        .collect();
    let unique = distinct(shards.iter().copied());
    if unique.len() != shards.len() {
        return Err(ReportError::Mismatch(format!(
            "the same shard appears twice among {}",
            shards.join(", ")
        )));
    }
    Ok(())
}

fn add_summary(into: &mut Summary, other: &Summary) {
    into.planned += other.planned;
    into.requests += other.requests;
    into.elapsed_s = into.elapsed_s.max(other.elapsed_s);
    for (status, count) in &other.statuses {
        *into.statuses.entry(status.clone()).or_default() += count;
    }
    for coverage in &other.coverage {
        match into.coverage.iter_mut().find(|c| c.case == coverage.case) {
            Some(mine) => mine.merge(coverage),
            None => into.coverage.push(coverage.clone()),
        }
    }
    into.capped |= other.capped;
    into.stopped_early |= other.stopped_early;
    into.incomplete = into.incomplete.take().or_else(|| other.incomplete.clone());
    into.drift.extend(other.drift.iter().cloned());
    into.drift_fail_on = into.drift_fail_on.or(other.drift_fail_on);
    for warning in &other.warnings {
        match into.warnings.iter_mut().find(|w| w.cause == warning.cause) {
            Some(mine) => mine.count += warning.count,
            None => into.warnings.push(warning.clone()),
        }
    }
}

fn combine(a: Finding, b: Finding) -> Finding {
    let (mut first, second) = if a.plan_position <= b.plan_position {
        (a, b)
    } else {
        (b, a)
    };
    first.count += second.count;
    let mut examples: Vec<(u64, String)> = first
        .example_positions
        .iter()
        .copied()
        .zip(first.examples)
        .collect();
    examples.extend(
        second
            .example_positions
            .iter()
            .copied()
            .zip(second.examples),
    );
    examples.sort();
    examples.dedup();
    examples.truncate(EXAMPLES_PER_GROUP);
    first.example_positions = examples.iter().map(|(p, _)| *p).collect();
    first.examples = examples.into_iter().map(|(_, id)| id).collect();
    first
}
