//! The contract suite under cargo: its trials are listed, nextest's two partitions run every
//! trial exactly once, and the CLI's `--shard 1/2` + `2/2` + `report merge` equal one run.

use crate::common::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::process::Command;

/// `cargo ARGS` without the variables cargo set for this test, which would otherwise change
/// build-script fingerprints and make the nested cargo rebuild half the tree.
fn cargo_command(args: &[&str]) -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    for (name, _) in std::env::vars() {
        if (name.starts_with("CARGO_") && name != "CARGO_HOME") || name.starts_with("RUSTC") {
            command.env_remove(name);
        }
    }
    command.args(args).current_dir(workdir());
    command
}

fn cargo(args: &[&str]) -> std::process::Output {
    cargo_command(args).output().unwrap()
}

fn has_nextest() -> bool {
    cargo(&["nextest", "--version"]).status.success()
}

/// The trial names, from the test binary's own `--list`.
fn listed_trials() -> Vec<String> {
    let output = cargo(&["test", "-q", "--test", "contract", "--", "--list"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    text(&output.stdout)
        .lines()
        .filter_map(|line| line.strip_suffix(": test"))
        .map(str::to_owned)
        .collect()
}

/// The trials one partition ran, from nextest's `PASS [ 0.1s] specgate::contract NAME` lines.
fn nextest_partition(k: u32) -> Vec<String> {
    let partition = format!("count:{k}/2");
    let output = cargo(&[
        "nextest",
        "run",
        "--test",
        "contract",
        "--partition",
        &partition,
        "--no-fail-fast",
    ]);
    let log = format!("{}{}", text(&output.stdout), text(&output.stderr));
    assert!(output.status.success(), "{log}");
    log.lines()
        .filter(|line| line.trim_start().starts_with("PASS ["))
        .filter_map(|line| line.split_whitespace().last().map(str::to_owned))
        .collect()
}

/// Without nextest: the same split by hand. libtest-mimic takes one filter, so each half is
/// run by skipping (exactly) the trials of the other half.
fn libtest_partition(k: u32, all: &[String]) -> Vec<String> {
    let mut args = vec!["test", "-q", "--test", "contract", "--", "--exact"];
    for (i, name) in all.iter().enumerate() {
        if i % 2 != (k - 1) as usize {
            args.extend(["--skip", name.as_str()]);
        }
    }
    let output = cargo(&args);
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
    let nextest = has_nextest();
    let mut runs: BTreeMap<String, u32> = BTreeMap::new();
    for k in 1..=2 {
        let ran = if nextest {
            nextest_partition(k)
        } else {
            libtest_partition(k, &all)
        };
        assert!(!ran.is_empty(), "partition {k} ran nothing");
        for name in ran {
            *runs.entry(name).or_default() += 1;
        }
    }
    let expected: BTreeMap<String, u32> = all.iter().map(|n| (n.clone(), 1)).collect();
    assert_eq!(
        runs, expected,
        "every trial exactly once (nextest: {nextest})"
    );
}

#[test]
fn name_filters_and_exact_select_trials() {
    let output = cargo(&[
        "test",
        "-q",
        "--test",
        "contract",
        "--",
        "--exact",
        "sessionlink_v2::auth",
    ]);
    let log = text(&output.stdout);
    assert!(output.status.success(), "{log}");
    assert!(log.contains("1 passed"), "{log}");
    let output = cargo(&[
        "test",
        "-q",
        "--test",
        "contract",
        "--",
        "invalid::",
        "--list",
    ]);
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
        cargo_command(&["test", "-q", "--test", "contract", "--", "--exact", name])
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
    let output = cargo_command(&["test", "-q", "--test", "contract", "--", "--list"])
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
