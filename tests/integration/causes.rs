//! One finding per cause: a cause every operation of tests/data/orders shares (error bodies
//! off their shared schema) is one finding listing them all, each with its own request and
//! count; its fingerprint does not depend on how many share it, and a known-failures file
//! knows it whole (`check:*:cause`) or operation by operation (the old fingerprints).

use crate::common::*;
use serde_json::Value;
use std::path::Path;

const ORDERS: &str = "tests/data/orders";

fn run(sandbox: &TestSandbox, known: Option<&Path>) -> (i32, Value, String) {
    let known_arg = known.map(|k| k.display().to_string());
    let extra: Vec<&str> = known_arg
        .iter()
        .flat_map(|k| ["--known", k.as_str()])
        .collect();
    run_orders_cases(sandbox, "5", &extra)
}

fn known_file(dir: &Path, fingerprints: &[&str]) -> std::path::PathBuf {
    let path = dir.join("known.toml");
    let entries: String = fingerprints
        .iter()
        .map(|f| {
            format!(
                "[[known]]\nfingerprint = {}\nreason = \"r\"\nowner = \"o\"\nlink = \"l\"\nexpires = 2999-01-01\n\n",
                toml_quoted(f)
            )
        })
        .collect();
    std::fs::write(&path, entries).unwrap();
    path
}

fn toml_quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap()
}

#[test]
fn a_cause_every_operation_shares_is_one_finding_listing_them_all() {
    let sandbox = TestSandbox::serving(Path::new(ORDERS), &["error-body-off-schema"], KEY);
    let (code, report, console) = run(&sandbox, None);
    assert_eq!(code, 1, "{console}");
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{console}");
    let shared = &findings[0];
    assert_eq!(shared["check"], "response-schema");
    assert_eq!(shared["case"], "*");
    let fingerprint = shared["fingerprint"].as_str().unwrap();
    assert_eq!(
        fingerprint,
        format!("response-schema:*:{}", shared["cause"].as_str().unwrap())
    );
    let members = shared["operations"].as_array().unwrap();
    let cases: Vec<&str> = members
        .iter()
        .map(|m| m["case"].as_str().unwrap())
        .collect();
    let mut every: Vec<String> = specgate::contract::load_cases(Path::new(ORDERS))
        .unwrap()
        .into_iter()
        .map(|o| o.name)
        .collect();
    every.sort();
    assert_eq!(cases, every, "{console}");
    // Counts stay available: per operation, and their sum.
    let sum: u64 = members.iter().map(|m| m["count"].as_u64().unwrap()).sum();
    assert!(members.iter().all(|m| m["count"].as_u64().unwrap() > 0));
    assert_eq!(shared["count"].as_u64().unwrap(), sum);
    assert_eq!(
        report["summary"]["findings_by_check"]["response-schema"],
        sum
    );
    assert_eq!(report["summary"]["finding_groups"], 1);
    // Each operation with its own request to reproduce.
    for member in members {
        let curl = member["curl"].as_str().unwrap();
        assert!(console.contains(curl), "{curl} not in\n{console}");
    }

    // Known whole by its one fingerprint...
    let dir = tempfile::tempdir().unwrap();
    let (code, _, console) = run(&sandbox, Some(&known_file(dir.path(), &[fingerprint])));
    assert_eq!(code, 0, "{console}");
    // ...or operation by operation: what no entry knows still fails, under its own name.
    let per_operation: Vec<String> = members
        .iter()
        .skip(1)
        .map(|m| m["fingerprint"].as_str().unwrap().to_owned())
        .collect();
    let per_operation: Vec<&str> = per_operation.iter().map(String::as_str).collect();
    let (code, report, console) = run(&sandbox, Some(&known_file(dir.path(), &per_operation)));
    assert_eq!(code, 1, "{console}");
    let left = report["findings"].as_array().unwrap();
    assert_eq!(left.len(), 1, "{console}");
    assert_eq!(left[0]["case"], members[0]["case"], "{console}");
    assert_eq!(left[0]["fingerprint"], members[0]["fingerprint"]);
}

/// `text` as a GitHub Actions command's message carries it.
fn command_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

#[test]
fn every_report_of_a_shared_cause_names_each_operation_with_its_own_request() {
    let sandbox = TestSandbox::serving(Path::new(ORDERS), &["error-body-off-schema"], KEY);
    let dir = tempfile::tempdir().unwrap();
    let at = |name: &str| dir.path().join(name).display().to_string();
    let reports = [
        format!("json={}", at("report.json")),
        format!("junit={}", at("junit.xml")),
        format!("markdown={}", at("report.md")),
    ];
    let mut args = vec![
        "run",
        "--cases",
        ORDERS,
        "--base-url",
        &sandbox.base_url,
        "--examples",
        "5",
        "--drift",
        "off",
    ];
    for report in &reports {
        args.extend(["--report", report.as_str()]);
    }
    let output = specgate(
        &args,
        &[
            ("ORDERS_TOKEN", KEY),
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_STEP_SUMMARY", ""),
        ],
    );
    let console = text(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{console}");
    let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap();
    let report: Value = serde_json::from_str(&read("report.json")).unwrap();
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{console}");
    let members = findings[0]["operations"].as_array().unwrap();
    assert_eq!(members.len(), 4, "every orders operation: {console}");
    let (junit, markdown) = (read("junit.xml"), read("report.md"));
    let annotations: Vec<&str> = console
        .lines()
        .filter(|l| l.starts_with("::error "))
        .collect();
    assert_eq!(
        annotations.len(),
        members.len(),
        "one per operation: {console}"
    );
    for member in members {
        let case = member["case"].as_str().unwrap();
        let curl = member["curl"].as_str().unwrap();
        let plan_id = member["plan_id"].as_str().unwrap();
        // Console and Markdown: the operation and its own request, as it is.
        assert!(
            console.contains(&format!("- {case} (")),
            "{case}: {console}"
        );
        assert!(console.contains(curl), "{curl}: {console}");
        assert!(
            markdown.contains(&format!("| {case} |")),
            "{case}: {markdown}"
        );
        assert!(markdown.contains(curl), "{curl}: {markdown}");
        // JUnit: a failing test of the operation, naming its request.
        assert!(
            junit.contains(&format!("classname=\"{case}\"")),
            "{case}: {junit}"
        );
        assert!(
            junit.contains(&format!("plan id: {plan_id}")),
            "{plan_id}: {junit}"
        );
        // GitHub: an annotation titled by the operation, with its request and the others.
        let annotation = annotations
            .iter()
            .find(|a| a.contains(&format!("title=specgate response-schema%3A {case} (")))
            .unwrap_or_else(|| panic!("no annotation for {case}: {annotations:#?}"));
        assert!(annotation.contains(&command_data(curl)), "{annotation}");
        assert!(
            annotation.contains("shared by 4 operations"),
            "{annotation}"
        );
        assert!(
            annotation.contains(&command_data(findings[0]["fingerprint"].as_str().unwrap())),
            "{annotation}"
        );
    }
}
