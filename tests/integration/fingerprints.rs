//! The fingerprints of findings are a promise to every team's known-failures file: a refactor
//! of the generator may change plan ids, never the fingerprint of a finding it already had.
//! These runs commit several sandbox faults at once against the default cases, the keywords
//! case and the orders API, and hold the sorted fingerprints (with each case's coverage: every
//! enum value, every required subset) in a snapshot.

use crate::common::{specgate, text, TestSandbox, KEY};
use serde_json::Value;
use std::path::Path;

/// `specgate run` over `cases` against a sandbox serving them with `faults`, drift off; the
/// JSON report.
fn report_with(cases: &str, faults: &[&str]) -> Value {
    let sandbox = TestSandbox::serving(Path::new(cases), faults, KEY);
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let report_arg = format!("json={}", report.display());
    let args = [
        "run",
        "--cases",
        cases,
        "--base-url",
        &sandbox.base_url,
        "--examples",
        "10",
        "--drift",
        "off",
        "--report",
        &report_arg,
    ];
    let output = specgate(&args, &[("CI", "true"), ("ORDERS_TOKEN", KEY)]);
    drop(sandbox);
    let console = format!("{}{}", text(&output.stdout), text(&output.stderr));
    assert_eq!(output.status.code(), Some(1), "{console}");
    let json = std::fs::read_to_string(&report)
        .unwrap_or_else(|_| panic!("no report; output:\n{console}"));
    serde_json::from_str(&json).unwrap()
}

/// A report's coverage lines and its findings' fingerprints, sorted, one a line.
fn held(report: &Value) -> String {
    let mut lines: Vec<String> = report["summary"]["coverage"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "coverage {}: enum values {}/{}, required subsets {}/{}, by family {}",
                c["case"].as_str().unwrap(),
                c["enum_values_covered"],
                c["enum_values_total"],
                c["required_subsets_covered"],
                c["required_subsets_total"],
                c["by_family"]
            )
        })
        .collect();
    let mut fingerprints: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap().to_owned())
        .collect();
    fingerprints.sort();
    fingerprints.dedup();
    assert!(!fingerprints.is_empty(), "no findings: {report:#}");
    lines.extend(fingerprints);
    lines.join("\n")
}

#[test]
fn fingerprints_of_the_default_cases_under_faults_hold() {
    let report = report_with(
        "cases",
        &[
            "accept-missing-required",
            "accept-wrong-type",
            "accept-bad-format",
            "reject-enum-value",
            "server-error-long-string",
            "response-null",
            "auth-wrong-status",
        ],
    );
    insta::assert_snapshot!(held(&report));
}

#[test]
fn fingerprints_of_the_keywords_case_under_faults_hold() {
    let report = report_with(
        "tests/data/keywords",
        &[
            "accept-length-off-by-one",
            "accept-out-of-range",
            "accept-pattern-miss",
            "accept-unknown-field",
            "accept-too-many-items",
            "accept-duplicate-items",
            "accept-one-of-two",
            "reject-date-time-form",
        ],
    );
    insta::assert_snapshot!(held(&report));
}

#[test]
fn fingerprints_of_the_orders_api_under_faults_hold() {
    let report = report_with(
        "tests/data/orders",
        &[
            "server-error-path-param",
            "accept-query-off-by-one",
            "accept-missing-required",
            "accept-wrong-type",
        ],
    );
    insta::assert_snapshot!(held(&report));
}
