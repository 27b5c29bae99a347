//! The gate as a new team reads it, over real HTTP against sandbox faults: the verdict line
//! says what decides it, known findings stand apart, entries left as TODO are warned about
//! (and refused under `--strict-known`), a refused baseline is said once per run, proposed
//! baselines are reviewed and accepted with the binary, and SARIF points into a one-line
//! JSON document by pointer.

use crate::common::*;
use std::path::Path;

const ORDERS: &str = "tests/data/orders";

/// Run `specgate run` against `sandbox` (drift off, coverage plan only) with `extra`:
/// (exit code, stdout and stderr together).
fn console_run(sandbox: &TestSandbox, extra: &[&str]) -> (i32, String) {
    let mut args = vec![
        "run",
        "--base-url",
        &sandbox.base_url,
        "--drift",
        "off",
        "--examples",
        "0",
    ];
    args.extend_from_slice(extra);
    let output = specgate(&args, &[]);
    let console = format!("{}{}", text(&output.stdout), text(&output.stderr));
    (output.status.code().unwrap_or(-1), console)
}

/// A known-failures file listing the findings of a run against `sandbox`, as `known add`
/// writes it (reason, owner and link still TODO).
fn known_file_of(sandbox: &TestSandbox, dir: &Path) -> String {
    let report = dir.join("report.json");
    let report_arg = format!("json={}", report.display());
    let (code, console) = console_run(sandbox, &["--report", &report_arg]);
    assert_eq!(code, 1, "{console}");
    let out = dir.join("known.toml");
    let (from, out_arg) = (report.display().to_string(), out.display().to_string());
    let added = specgate(&["known", "add", "--from", &from, "--out", &out_arg], &[]);
    assert_eq!(added.status.code(), Some(0), "{}", text(&added.stderr));
    out_arg
}

#[test]
fn the_verdict_line_counts_new_known_and_expired_findings_and_known_ones_stand_apart() {
    let dir = tempfile::tempdir().unwrap();
    let faulty = TestSandbox::start(&["reject-enum-value"]);
    let (_, before) = console_run(&faulty, &[]);
    assert!(
        before.contains("specgate: CONTRACT VIOLATIONS — 1 new finding(s) — "),
        "{before}"
    );
    let known = known_file_of(&faulty, dir.path());
    let (code, console) = console_run(&faulty, &["--known", &known]);
    assert_eq!(code, 0, "{console}");
    assert!(
        console.contains("specgate: CONFORMANT — 0 new findings; 1 known, 0 expired — "),
        "{console}"
    );
    assert!(console.contains("new   known (not failing"), "{console}");
    let row = console
        .lines()
        .find(|l| l.trim_start().starts_with("rejects-valid"))
        .unwrap_or_else(|| panic!("{console}"));
    let counts: Vec<&str> = row.split_whitespace().skip(1).collect();
    assert_eq!(counts[0], "0", "no new rejects-valid: {row}");
    assert_ne!(counts[1], "0", "the known ones, apart: {row}");
}

#[test]
fn entries_left_as_todo_are_warned_about_on_every_run_and_refused_under_strict_known() {
    let dir = tempfile::tempdir().unwrap();
    let faulty = TestSandbox::start(&["reject-enum-value"]);
    let known = known_file_of(&faulty, dir.path());
    for _ in 0..2 {
        let (code, console) = console_run(&faulty, &["--known", &known]);
        assert_eq!(code, 0, "{console}");
        assert!(console.contains(&format!("warning: {known}:")), "{console}");
        assert!(
            console.contains("still has TODO in reason, owner, link"),
            "{console}"
        );
    }
    let (code, console) = console_run(&faulty, &["--known", &known, "--strict-known"]);
    assert_eq!(code, 2, "{console}");
    assert!(
        console.contains("--strict-known: 1 known-failures entry is not filled in"),
        "{console}"
    );
    assert!(console.contains(&format!("{known}:")), "{console}");
    assert!(
        console.contains("fix: write why the finding is accepted"),
        "{console}"
    );
    assert!(!console.contains("requests:"), "nothing was run: {console}");

    let text = std::fs::read_to_string(&known).unwrap();
    let filled = text
        .replace(
            "TODO: why this is accepted for now",
            "the partner fixes it in March",
        )
        .replace("TODO: the team that tracks it", "payments")
        .replace("TODO: the ticket", "https://tracker.example/PAY-12");
    std::fs::write(&known, filled).unwrap();
    let (code, console) = console_run(&faulty, &["--known", &known, "--strict-known"]);
    assert_eq!(code, 0, "{console}");
    assert!(!console.contains("still has TODO"), "{console}");
}

#[test]
fn a_baseline_refused_for_every_case_is_said_once_per_run() {
    let snapshots = tempfile::tempdir().unwrap();
    let faulty = TestSandbox::serving(Path::new(ORDERS), &["error-body-off-schema"], KEY);
    let dir = snapshots.path().display().to_string();
    let output = specgate(
        &[
            "run",
            "--cases",
            ORDERS,
            "--base-url",
            &faulty.base_url,
            "--examples",
            "0",
            "--snapshots",
            &dir,
            "--update-snapshots",
        ],
        &[("ORDERS_TOKEN", KEY), ("CI", "true")],
    );
    let console = format!("{}{}", text(&output.stdout), text(&output.stderr));
    assert_eq!(output.status.code(), Some(1), "{console}");
    assert_eq!(
        console.matches("did not record the drift baseline").count(),
        1,
        "{console}"
    );
    assert_eq!(
        console.matches("fix: fix the findings first").count(),
        1,
        "{console}"
    );
    for case in [
        "orders-create",
        "orders-list",
        "orders-get",
        "orders-delete",
    ] {
        assert!(console.contains(case), "{case}: {console}");
    }
}

#[test]
fn a_proposed_baseline_is_reviewed_and_accepted_with_the_binary() {
    let snapshots = tempfile::tempdir().unwrap();
    let dir = snapshots.path().display().to_string();
    let drift_run = |sandbox: &TestSandbox| {
        let output = specgate(
            &[
                "run",
                "--base-url",
                &sandbox.base_url,
                "--examples",
                "0",
                "--snapshots",
                &dir,
            ],
            &[("CI", "")],
        );
        let console = format!("{}{}", text(&output.stdout), text(&output.stderr));
        (output.status.code().unwrap_or(-1), console)
    };
    let (code, console) = drift_run(&TestSandbox::start(&[]));
    assert_eq!(code, 0, "the first run records the baseline: {console}");
    let drifted = TestSandbox::start(&["drift-status-value"]);
    let (code, console) = drift_run(&drifted);
    assert_eq!(code, 1, "{console}");
    assert!(
        console.contains(&format!("`specgate snapshots review {dir}`")),
        "{console}"
    );
    assert!(!console.contains("cargo insta"), "{console}");
    let pending = snapshots.path().join("sessionlink-v2.snap.new");
    assert!(pending.exists(), "{console}");

    let review = specgate(&["snapshots", "review", &dir], &[]);
    let shown = text(&review.stdout);
    assert_eq!(review.status.code(), Some(0), "{}", text(&review.stderr));
    assert!(shown.contains("sessionlink-v2.snap.new"), "{shown}");
    assert!(
        shown
            .lines()
            .any(|l| l.starts_with('+') && !l.starts_with("+++")),
        "{shown}"
    );
    assert!(shown.contains("1 proposed snapshot(s)"), "{shown}");

    let accept = specgate(&["snapshots", "accept", &dir], &[]);
    assert_eq!(accept.status.code(), Some(0), "{}", text(&accept.stderr));
    assert!(!pending.exists());
    let (code, console) = drift_run(&drifted);
    assert_eq!(code, 0, "the accepted baseline is the new one: {console}");
}

#[test]
fn sarif_of_a_one_line_json_document_carries_each_operations_pointer() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = std::fs::read_to_string("schemas/sessionlink-v2.openapi.yaml").unwrap();
    let value: serde_json::Value = serde_yaml_ng::from_str(&yaml).unwrap();
    for entry in std::fs::read_dir("schemas").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
        }
    }
    let document = dir.path().join("sessionlink.json");
    std::fs::write(&document, serde_json::to_string(&value).unwrap()).unwrap();
    let faulty = TestSandbox::start(&["reject-enum-value"]);
    let sarif_path = dir.path().join("specgate.sarif");
    let sarif_arg = format!("sarif={}", sarif_path.display());
    let document_arg = document.display().to_string();
    let output = specgate(
        &[
            "run",
            "--openapi",
            &document_arg,
            "--base-url",
            &faulty.base_url,
            "--examples",
            "0",
            "--drift",
            "off",
            "--report",
            &sarif_arg,
        ],
        &[],
    );
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif_path).unwrap()).unwrap();
    let location = &sarif["runs"][0]["results"][0]["locations"][0];
    assert_eq!(location["physicalLocation"]["region"]["startLine"], 1);
    assert_eq!(
        location["logicalLocations"][0]["fullyQualifiedName"], "/paths/~1auth~1sessionlink-v2/post",
        "{sarif:#}"
    );
}
