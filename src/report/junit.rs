//! JUnit XML (via quick-junit) that CI servers render: one test suite per case, one test
//! case per request family (`enum-value`, `missing-required`, …) plus `drift`, failing with
//! the findings of that family; an operation that was never run has a suite of its
//! `untested` findings.

use super::RunReport;
use crate::results::{Check, Finding};
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
use std::collections::BTreeMap;
use std::time::Duration;

/// The JUnit XML of `report`.
pub fn render(report: &RunReport) -> String {
    let mut junit = Report::new("specgate");
    junit.set_time(Duration::from_secs_f64(report.summary.elapsed_s.max(0.0)));
    for coverage in &report.summary.coverage {
        let mut suite = TestSuite::new(coverage.case.as_str());
        let findings = findings_by_family(report, &coverage.case);
        let mut families: Vec<&str> = coverage.by_family.keys().map(String::as_str).collect();
        families.extend(
            findings
                .keys()
                .copied()
                .filter(|f| !coverage.by_family.contains_key(*f)),
        );
        families.sort_unstable();
        families.dedup();
        for family in families {
            let requests = coverage.by_family.get(family).copied().unwrap_or(0);
            let failures = findings.get(family).map(Vec::as_slice).unwrap_or_default();
            suite.add_test_case(test_case(&coverage.case, family, requests, failures));
        }
        junit.add_test_suite(suite);
    }
    // Operations never run (untested) have no coverage: a suite of their findings alone.
    let mut uncovered: Vec<&str> = super::per_operation(&report.findings)
        .map(|f| f.case.as_str())
        .filter(|case| !report.summary.coverage.iter().any(|c| c.case == *case))
        .collect();
    uncovered.sort_unstable();
    uncovered.dedup();
    for case in uncovered {
        let mut suite = TestSuite::new(case);
        for (family, failures) in findings_by_family(report, case) {
            suite.add_test_case(test_case(case, family, 0, &failures));
        }
        junit.add_test_suite(suite);
    }
    if let Some(suite) = accepted_suite(report) {
        junit.add_test_suite(suite);
    }
    junit.to_string().unwrap_or_default()
}

/// Known and flaky findings, and known-failure entries that matched nothing, as skipped test
/// cases: CI shows them without failing the job (the expired ones fail in their family).
fn accepted_suite(report: &RunReport) -> Option<TestSuite> {
    let mut skipped: Vec<(String, String)> = Vec::new();
    if let Some(known) = &report.known {
        for k in &known.known {
            let e = &k.entry;
            let why = format!(
                "known failure until {}: {} (owner {}, {})",
                e.expires, e.reason, e.owner, e.link
            );
            skipped.push((e.fingerprint.clone(), why));
        }
        for e in &known.unmatched {
            let why = format!(
                "fixed? remove this entry: it matched nothing ({}:{})",
                known.file, e.line
            );
            skipped.push((e.fingerprint.clone(), why));
        }
    }
    if !report.strict {
        for f in &report.flaky {
            let why = "flaky: not reproduced when sent again".to_owned();
            skipped.push((crate::known::fingerprint(f), why));
        }
    }
    if skipped.is_empty() {
        return None;
    }
    let mut suite = TestSuite::new("specgate::accepted");
    for (name, why) in skipped {
        let mut status = TestCaseStatus::skipped();
        status.set_message(why);
        let mut test = TestCase::new(name, status);
        test.set_classname("specgate::accepted");
        suite.add_test_case(test);
    }
    Some(suite)
}

/// The family of a finding: the part of its reason before `:` (`drift` for drift findings).
fn family_of(finding: &Finding) -> &str {
    if finding.check == Check::Drift {
        return "drift";
    }
    finding.reason.split(':').next().unwrap_or_default().trim()
}

fn findings_by_family<'a>(
    report: &'a RunReport,
    case: &str,
) -> BTreeMap<&'a str, Vec<&'a Finding>> {
    let mut map: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for finding in super::per_operation(&report.findings).filter(|f| f.case == case) {
        map.entry(family_of(finding)).or_default().push(finding);
    }
    map
}

fn test_case(case: &str, family: &str, requests: u64, failures: &[&Finding]) -> TestCase {
    let status = match failures {
        [] => TestCaseStatus::success(),
        _ => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            let checks: Vec<&str> = failures.iter().map(|f| f.check.name()).collect();
            status.set_type(checks.join(","));
            status.set_message(summary_line(failures));
            status.set_description(details(failures));
            status
        }
    };
    let mut test = TestCase::new(format!("{case}::{family}"), status);
    test.set_classname(case);
    test.set_assertions(requests as usize);
    test
}

fn summary_line(failures: &[&Finding]) -> String {
    let parts: Vec<String> = failures
        .iter()
        .map(|f| format!("{} ({}) ×{}", f.check, f.cause, f.count))
        .collect();
    parts.join("; ")
}

fn details(failures: &[&Finding]) -> String {
    let mut text = String::new();
    for f in failures {
        text.push_str(&format!(
            "[{}] {}\nplan id: {}\nreason: {}\nfingerprint: {}\n",
            f.check,
            f.message,
            f.plan_id,
            f.reason,
            crate::known::fingerprint(f)
        ));
        if let Some(diff) = &f.diff {
            text.push_str(diff);
            text.push('\n');
        } else {
            text.push_str(&format!("reproduce: {}\n", f.curl));
        }
        text.push('\n');
    }
    text
}
