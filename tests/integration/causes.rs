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
