//! The drift workflow over real HTTP: a baseline is recorded once, later runs are clean on it,
//! a changed server shows up as drift, `--update-snapshots` accepts the change, and under
//! `CI=true` nothing is ever written.

use crate::common::*;
use std::path::Path;

/// `specgate run` against `sandbox` with its baselines in `snapshots`; (exit code, output).
fn run(
    sandbox: &TestSandbox,
    snapshots: &Path,
    extra: &[&str],
    envs: &[(&str, &str)],
) -> (i32, String) {
    let dir = snapshots.display().to_string();
    let mut args = vec![
        "run",
        "--base-url",
        &sandbox.base_url,
        "--examples",
        "5",
        "--snapshots",
        &dir,
    ];
    args.extend_from_slice(extra);
    let output = specgate(&args, envs);
    (
        output.status.code().unwrap_or(-1),
        format!("{}{}", text(&output.stdout), text(&output.stderr)),
    )
}

fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

const OUTSIDE_CI: &[(&str, &str)] = &[("CI", "false")];
const ON_CI: &[(&str, &str)] = &[("CI", "true")];

#[test]
fn the_first_run_records_and_later_runs_are_drift_free() {
    let sandbox = TestSandbox::start(&[]);
    let snapshots = tempfile::tempdir().unwrap();
    let (code, output) = run(&sandbox, snapshots.path(), &[], OUTSIDE_CI);
    assert_eq!(code, 0, "{output}");
    assert!(
        output.contains("recorded the drift baseline"),
        "it says where: {output}"
    );
    assert_eq!(files(snapshots.path()), vec!["sessionlink-v2.snap"]);
    let recorded = std::fs::read_to_string(snapshots.path().join("sessionlink-v2.snap")).unwrap();
    for seed in ["1", "2"] {
        let (code, output) = run(&sandbox, snapshots.path(), &["--seed", seed], OUTSIDE_CI);
        assert_eq!(code, 0, "run with seed {seed} is drift-free: {output}");
    }
    assert_eq!(
        std::fs::read_to_string(snapshots.path().join("sessionlink-v2.snap")).unwrap(),
        recorded
    );
    assert_eq!(
        files(snapshots.path()),
        vec!["sessionlink-v2.snap"],
        "nothing pending"
    );
}

#[test]
fn a_change_is_left_for_review_and_update_snapshots_accepts_it() {
    let snapshots = baseline_copy();
    let changed = TestSandbox::start(&["drift-status-value"]);
    let (code, output) = run(&changed, snapshots.path(), &[], OUTSIDE_CI);
    assert_eq!(code, 1, "{output}");
    assert!(output.contains("specgate snapshots review"), "{output}");
    let pending = snapshots.path().join("sessionlink-v2.snap.new");
    let proposed = insta::Snapshot::from_file(&pending).expect("insta reads the pending snapshot");
    assert!(proposed
        .contents()
        .as_text()
        .unwrap()
        .to_string()
        .contains("\"CREATED\""));
    let (code, output) = run(
        &changed,
        snapshots.path(),
        &["--update-snapshots"],
        OUTSIDE_CI,
    );
    assert_eq!(
        code, 1,
        "the updating run still reports what changed: {output}"
    );
    assert!(output.contains("updated the drift baseline"), "{output}");
    assert_eq!(
        files(snapshots.path()),
        vec!["sessionlink-v2.snap"],
        "the pending file is gone"
    );
    let (code, output) = run(&changed, snapshots.path(), &[], OUTSIDE_CI);
    assert_eq!(code, 0, "clean on the new baseline: {output}");
}

#[test]
fn on_ci_a_missing_or_changed_snapshot_fails_and_nothing_is_written() {
    let sandbox = TestSandbox::start(&[]);
    let empty = tempfile::tempdir().unwrap();
    let (code, output) = run(&sandbox, empty.path(), &[], ON_CI);
    assert_eq!(code, 1, "{output}");
    assert!(output.contains("no drift baseline"), "{output}");
    assert!(files(empty.path()).is_empty(), "nothing written on CI");

    let snapshots = baseline_copy();
    let before = std::fs::read_to_string(snapshots.path().join("sessionlink-v2.snap")).unwrap();
    let changed = TestSandbox::start(&["drift-dropped-field"]);
    let (code, output) = run(&changed, snapshots.path(), &[], ON_CI);
    assert_eq!(code, 1, "{output}");
    assert_eq!(
        files(snapshots.path()),
        vec!["sessionlink-v2.snap"],
        "no .snap.new on CI"
    );
    assert_eq!(
        std::fs::read_to_string(snapshots.path().join("sessionlink-v2.snap")).unwrap(),
        before
    );
}

#[test]
fn insta_update_no_is_honoured_outside_ci() {
    let snapshots = baseline_copy();
    let changed = TestSandbox::start(&["drift-new-field"]);
    let (code, output) = run(
        &changed,
        snapshots.path(),
        &["--drift-fail-on", "info"],
        &[("CI", "false"), ("INSTA_UPDATE", "no")],
    );
    assert_eq!(code, 1, "{output}");
    assert_eq!(files(snapshots.path()), vec!["sessionlink-v2.snap"]);
}

#[test]
fn drift_off_reads_and_writes_no_snapshot() {
    let sandbox = TestSandbox::start(&["drift-dropped-field"]);
    let empty = tempfile::tempdir().unwrap();
    let (code, output) = run(&sandbox, empty.path(), &["--drift", "off"], OUTSIDE_CI);
    assert_eq!(code, 0, "{output}");
    assert!(files(empty.path()).is_empty());
}
