//! One real run per keyword family against a sandbox that commits that family's classic
//! regression (a length check off by one, a dropped range check, a pattern no longer enforced,
//! an unknown field accepted, an array one item too long, duplicates accepted, `oneOf` checked
//! as `anyOf`, a legal date-time form refused), serving tests/data/keywords:
//! each is found by the right check, reported with the payload just past (or at) the boundary.
//! And with no fault, the same case is conformant: the sandbox honours every keyword.

use crate::common::{specgate, text, TestSandbox, KEY};
use serde_json::Value;
use std::path::Path;

const CASES: &str = "tests/data/keywords";

/// Serve the keywords case with `fault` (if any) on a loopback port; run specgate against it
/// and return (exit code, JSON report, console).
fn run_with(fault: Option<&str>) -> (i32, Value, String) {
    let faults: Vec<&str> = fault.into_iter().collect();
    let sandbox = TestSandbox::serving(Path::new(CASES), &faults, KEY);
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let report_arg = format!("json={}", report.display());
    let base_url = sandbox.base_url.clone();
    let args = [
        "run",
        "--cases",
        CASES,
        "--base-url",
        &base_url,
        "--examples",
        "20",
        "--drift",
        "off",
        "--report",
        &report_arg,
    ];
    let output = specgate(&args, &[("CI", "true")]);
    drop(sandbox);
    let console = format!("{}{}", text(&output.stdout), text(&output.stderr));
    let json = std::fs::read_to_string(&report)
        .unwrap_or_else(|_| panic!("no report; output:\n{console}"));
    (
        output.status.code().unwrap_or(-1),
        serde_json::from_str(&json).unwrap(),
        console,
    )
}

/// The finding of `check` whose reason starts with `reason`, and its request body.
fn finding(report: &Value, check: &str, reason: &str, console: &str) -> Value {
    let found = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == check && f["reason"].as_str().unwrap().starts_with(reason));
    let found = found.unwrap_or_else(|| panic!("no {check} finding for {reason}:\n{console}"));
    serde_json::from_str(found["request"]["body"].as_str().unwrap()).unwrap()
}

#[test]
fn the_keywords_case_is_conformant_against_the_honest_sandbox() {
    let (code, report, console) = run_with(None);
    assert_eq!(code, 0, "{console}");
    assert!(
        report["findings"].as_array().unwrap().is_empty(),
        "{console}"
    );
}

#[test]
fn a_length_check_off_by_one_is_found_one_past_the_limit() {
    let (code, report, console) = run_with(Some("accept-length-off-by-one"));
    assert_eq!(code, 1, "{console}");
    let body = finding(&report, "accepts-invalid", "max-length+1: /name", &console);
    assert_eq!(body["name"].as_str().unwrap().chars().count(), 9, "{body}");
    let body = finding(&report, "accepts-invalid", "min-length-1: /name", &console);
    assert_eq!(body["name"].as_str().unwrap().chars().count(), 1, "{body}");
}

#[test]
fn a_dropped_range_check_is_found_one_step_outside() {
    let (code, report, console) = run_with(Some("accept-out-of-range"));
    assert_eq!(code, 1, "{console}");
    let body = finding(&report, "accepts-invalid", "below-minimum: /age", &console);
    assert_eq!(body["age"], 17, "{body}");
    let body = finding(&report, "accepts-invalid", "above-maximum: /age", &console);
    assert_eq!(body["age"], 121, "{body}");
}

#[test]
fn a_pattern_no_longer_enforced_is_found_with_a_near_miss() {
    let (code, report, console) = run_with(Some("accept-pattern-miss"));
    assert_eq!(code, 1, "{console}");
    let body = finding(&report, "accepts-invalid", "pattern-miss: /code", &console);
    let code_value = body["code"].as_str().unwrap();
    assert!(code_value.len() <= 4, "a near miss, not noise: {body}");
}

#[test]
fn an_unknown_field_accepted_is_found_at_the_root_and_inside_arrays() {
    let (code, report, console) = run_with(Some("accept-unknown-field"));
    assert_eq!(code, 1, "{console}");
    let body = finding(&report, "accepts-invalid", "extra-property", &console);
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(
        keys.len(),
        5,
        "the four required fields and one extra: {body}"
    );
    let reasons: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["examples"].as_array().unwrap().iter())
        .filter_map(Value::as_str)
        .collect();
    assert!(
        reasons
            .iter()
            .any(|id| id.contains("extra-property:/parts/0")),
        "{reasons:?}"
    );
}

#[test]
fn a_legal_date_time_form_refused_is_found_as_rejects_valid() {
    let (code, report, console) = run_with(Some("reject-date-time-form"));
    assert_eq!(code, 1, "{console}");
    let body = finding(&report, "rejects-valid", "", &console);
    let when = body["when"].as_str().unwrap();
    assert_eq!(&when[10..11], "t", "{body}");
}

/// A keyword no stage understands (here a misspelt one) is named, with its pointer, before
/// anything is planned: it is never silently ignored.
#[test]
fn an_unknown_keyword_is_reported_at_load_time_with_its_pointer() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["keywords.toml", "keywords.response-201.json"] {
        std::fs::copy(Path::new(CASES).join(name), dir.path().join(name)).unwrap();
    }
    let schema = std::fs::read_to_string(Path::new(CASES).join("keywords.request.json"))
        .unwrap()
        .replace("\"maxLength\": 8", "\"maxLenght\": 8");
    std::fs::write(dir.path().join("keywords.request.json"), schema).unwrap();
    let cases = dir.path().display().to_string();
    let output = specgate(&["plan", "--cases", &cases, "--examples", "0"], &[]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("/properties/name: unknown keyword `maxLenght`"),
        "{stderr}"
    );
}

/// Each constraint of the schema, found by a walk of its own (not the generator's), and the
/// reason family that must break it.
fn constraints(schema: &Value, at: &str, out: &mut Vec<(&'static str, String)>) {
    let families: [(&str, &'static str); 10] = [
        ("maxLength", "max-length+1"),
        ("minLength", "min-length-1"),
        ("minimum", "below-minimum"),
        ("maximum", "above-maximum"),
        ("pattern", "pattern-miss"),
        ("maxItems", "max-items+1"),
        ("format", "bad-format"),
        ("enum", "enum-outside"),
        ("uniqueItems", "duplicate-item"),
        ("oneOf", "one-of-two"),
    ];
    for (keyword, family) in families {
        if schema.get(keyword).is_some() {
            out.push((family, at.to_owned()));
        }
    }
    if schema.get("additionalProperties") == Some(&Value::Bool(false)) {
        out.push(("extra-property", at.to_owned()));
    }
    if let Some(Value::Object(properties)) = schema.get("properties") {
        for (name, child) in properties {
            constraints(child, &format!("{at}/{name}"), out);
        }
    }
    if let Some(items) = schema.get("items") {
        constraints(items, &format!("{at}/0"), out);
    }
}

/// Every constraint at any depth has a reject payload that breaks it, named by its kind and
/// its place; and every length limit has an accept payload exactly at it.
#[test]
fn every_constraint_at_any_depth_has_a_reject_just_past_it_and_an_accept_at_it() {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(CASES).join("keywords.request.json")).unwrap(),
    )
    .unwrap();
    let mut wanted = Vec::new();
    constraints(&schema, "", &mut wanted);
    assert!(wanted.len() >= 12, "{wanted:?}");
    let output = specgate(&["plan", "--cases", CASES, "--examples", "0"], &[]);
    let lines: Vec<Value> = text(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let rejects: Vec<(String, String)> = lines
        .iter()
        .filter(|l| l["expect"] == "reject")
        .map(|l| {
            let reason = l["reason"].as_str().unwrap();
            let (family, detail) = reason.split_once(": ").unwrap_or((reason, ""));
            let detail = if detail.is_empty() || detail.starts_with('/') {
                detail.to_owned()
            } else {
                format!("/{detail}")
            };
            (family.to_owned(), detail)
        })
        .collect();
    for (family, at) in &wanted {
        assert!(
            rejects
                .iter()
                .any(|(f, d)| f == family && (d.starts_with(&format!("{at}=")) || d == at)),
            "no {family} at {at:?} in {rejects:?}"
        );
    }
    let accepted = |pointer: &str, len: usize| {
        lines.iter().any(|l| {
            l["expect"] == "accept"
                && l["body"]
                    .pointer(pointer)
                    .and_then(Value::as_str)
                    .is_some_and(|s| s.chars().count() == len)
        })
    };
    for (pointer, len) in [
        ("/name", 2),
        ("/name", 8),
        ("/parts/0/sku", 1),
        ("/parts/0/sku", 4),
    ] {
        assert!(
            accepted(pointer, len),
            "no accept with {pointer} of length {len}"
        );
    }
}

#[test]
fn an_array_one_item_too_long_is_found_at_max_items_plus_one() {
    let (code, report, console) = run_with(Some("accept-too-many-items"));
    assert_eq!(code, 1, "{console}");
    let body = finding(&report, "accepts-invalid", "max-items+1: /parts", &console);
    assert_eq!(body["parts"].as_array().unwrap().len(), 4, "{body}");
}

#[test]
fn duplicates_accepted_are_found_with_one_item_repeated() {
    let (code, report, console) = run_with(Some("accept-duplicate-items"));
    assert_eq!(code, 1, "{console}");
    let body = finding(
        &report,
        "accepts-invalid",
        "duplicate-item: /tags",
        &console,
    );
    let tags = body["tags"].as_array().unwrap();
    assert!(
        tags.iter()
            .enumerate()
            .any(|(i, a)| tags[i + 1..].contains(a)),
        "{body}"
    );
}

#[test]
fn one_of_checked_as_any_of_is_found_with_a_value_matching_two_branches() {
    let (code, report, console) = run_with(Some("accept-one-of-two"));
    assert_eq!(code, 1, "{console}");
    let body = finding(&report, "accepts-invalid", "one-of-two: /slots", &console);
    let slots = body["slots"].as_i64().unwrap();
    assert!(slots % 6 == 0, "matches both branches: {body}");
}
