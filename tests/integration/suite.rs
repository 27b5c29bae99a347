//! The contract suite as a test binary: its trials are listed, two partitions run every trial
//! exactly once, it speaks nextest's protocol, and the CLI's `--shard 1/2` + `2/2` +
//! `report merge` equal one run. The suite runs as its already-built binary
//! (`specgate-suite`, the same trials as `tests/contract.rs`), so no test builds anything.

use crate::common::*;
use serde_json::Value;
use std::collections::BTreeMap;

/// The trial names, from the suite binary's own `--list`.
fn listed_trials() -> Vec<String> {
    let output = suite(&["--list"]).output().unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    trial_lines(&output.stdout)
}

/// The names in a libtest listing (`NAME: test` lines), as cargo and nextest read it.
fn trial_lines(listing: &[u8]) -> Vec<String> {
    text(listing)
        .lines()
        .filter_map(|line| line.strip_suffix(": test"))
        .map(str::to_owned)
        .collect()
}

/// One half of the trials, split as nextest's `count:k/2` does (every other listed trial).
/// libtest-mimic takes one filter, so each half is run by skipping (exactly) the other half.
fn partition(k: u32, all: &[String]) -> Vec<String> {
    let mut args = vec!["--exact"];
    for (i, name) in all.iter().enumerate() {
        if i % 2 != (k - 1) as usize {
            args.extend(["--skip", name.as_str()]);
        }
    }
    let output = suite(&args).output().unwrap();
    let log = text(&output.stdout);
    assert!(output.status.success(), "{log}{}", text(&output.stderr));
    log.lines()
        .filter_map(|l| l.strip_prefix("test ")?.strip_suffix(" ... ok"))
        .map(|name| name.trim().to_owned())
        .collect()
}

#[test]
fn two_partitions_run_every_trial_exactly_once() {
    let all = listed_trials();
    for expected in [
        "sessionlink_v2::valid::enum_values",
        "sessionlink_v2::invalid::missing_required",
        "sessionlink_v2::auth",
        "sessionlink_v2::drift",
    ] {
        assert!(all.iter().any(|t| t == expected), "{expected} in {all:?}");
    }
    let mut runs: BTreeMap<String, u32> = BTreeMap::new();
    for k in 1..=2 {
        let ran = partition(k, &all);
        assert!(!ran.is_empty(), "partition {k} ran nothing");
        for name in ran {
            *runs.entry(name).or_default() += 1;
        }
    }
    let expected: BTreeMap<String, u32> = all.iter().map(|n| (n.clone(), 1)).collect();
    assert_eq!(runs, expected, "every trial exactly once");
}

/// What nextest asks of a test binary: a terse listing of the tests and of the ignored ones,
/// then one process per test with `--exact NAME --nocapture`.
#[test]
fn the_suite_speaks_the_protocol_nextest_runs_it_by() {
    let terse = suite(&["--list", "--format", "terse"]).output().unwrap();
    assert!(terse.status.success(), "{}", text(&terse.stderr));
    assert_eq!(trial_lines(&terse.stdout), listed_trials());
    let ignored = suite(&["--list", "--format", "terse", "--ignored"])
        .output()
        .unwrap();
    assert!(ignored.status.success(), "{}", text(&ignored.stderr));
    assert_eq!(trial_lines(&ignored.stdout), Vec::<String>::new());
    let one = suite(&["--exact", "sessionlink_v2::auth", "--nocapture"])
        .output()
        .unwrap();
    let log = text(&one.stdout);
    assert!(one.status.success(), "{log}");
    assert!(
        log.contains("1 passed") && log.contains("0 failed"),
        "{log}"
    );
}

#[test]
fn name_filters_and_exact_select_trials() {
    let output = suite(&["--exact", "sessionlink_v2::auth"])
        .output()
        .unwrap();
    let log = text(&output.stdout);
    assert!(output.status.success(), "{log}");
    assert!(log.contains("1 passed"), "{log}");
    let output = suite(&["invalid::", "--list"]).output().unwrap();
    let listed: Vec<&str> = text(&output.stdout)
        .leak()
        .lines()
        .filter(|l| l.ends_with(": test"))
        .collect();
    assert!(
        listed.len() >= 5 && listed.iter().all(|l| l.contains("::invalid::")),
        "{listed:?}"
    );
}

/// Findings without what legitimately differs between runs (timings, the Date header).
fn comparable(report: &Value) -> Value {
    let mut findings = report["findings"].clone();
    for finding in findings.as_array_mut().unwrap() {
        if let Some(response) = finding["response"].as_object_mut() {
            response.remove("elapsed_ms");
            if let Some(headers) = response.get_mut("headers").and_then(Value::as_array_mut) {
                headers.retain(|h| h[0] != "date");
            }
        }
    }
    findings
}

#[test]
fn shards_merged_equal_one_unsharded_run() {
    let sandbox = TestSandbox::start(&[
        "accept-missing-required",
        "reject-enum-value",
        "server-error-long-string",
    ]);
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).display().to_string();
    let run = |extra: &[&str], name: &str| {
        let report = format!("json={}", path(name));
        let mut args = vec![
            "run",
            "--base-url",
            &sandbox.base_url,
            "--examples",
            "40",
            "--drift",
            "off",
            "--report",
            &report,
        ];
        args.extend_from_slice(extra);
        let output = specgate(&args, &[]);
        assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    };
    run(&[], "whole.json");
    run(&["--shard", "1/2"], "a.json");
    run(&["--shard", "2/2"], "b.json");
    let merged_arg = format!("json={}", path("merged.json"));
    let output = specgate(
        &[
            "report",
            "merge",
            &path("a.json"),
            &path("b.json"),
            "--report",
            &merged_arg,
        ],
        &[],
    );
    assert_eq!(
        output.status.code(),
        Some(1),
        "the merged report fails the gate too: {}",
        text(&output.stderr)
    );
    let read = |name: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(path(name)).unwrap()).unwrap()
    };
    let (whole, merged, a) = (read("whole.json"), read("merged.json"), read("a.json"));
    assert!(
        comparable(&a) != comparable(&whole),
        "one shard alone sees less"
    );
    assert_eq!(comparable(&merged), comparable(&whole));
    for key in ["planned", "findings_by_check", "coverage", "statuses"] {
        assert_eq!(merged["summary"][key], whole["summary"][key], "{key}");
    }
}

#[test]
fn a_trial_against_a_broken_api_fails_with_a_readable_finding() {
    let sandbox = TestSandbox::start(&["accept-missing-required"]);
    let trial = |name: &str| {
        suite(&["--exact", name])
            .env("SPECGATE_BASE_URL", &sandbox.base_url)
            .env("SPECGATE_API_KEY", KEY)
            .output()
            .unwrap()
    };
    let broken = trial("sessionlink_v2::invalid::missing_required");
    let log = text(&broken.stdout);
    assert!(!broken.status.success(), "{log}");
    assert!(
        log.contains("0 passed; 1 failed"),
        "{log}{}",
        text(&broken.stderr)
    );
    assert!(
        log.contains("[accepts-invalid]") && log.contains("curl "),
        "{log}"
    );
    assert!(!log.contains(KEY), "the key never shows");
    let unaffected = trial("sessionlink_v2::valid::enum_values");
    assert!(unaffected.status.success(), "{}", text(&unaffected.stdout));
}

#[test]
fn a_suite_variable_that_is_not_understood_stops_the_suite_with_its_name() {
    let output = suite(&["--list"])
        .env("SPECGATE_SEED", "abc")
        .output()
        .unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("SPECGATE_SEED=\"abc\"") && stderr.contains("whole number"),
        "{stderr}"
    );
}
