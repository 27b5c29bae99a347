//! Shared by the integration tests: an in-process sandbox on an ephemeral loopback port
//! (with faults), and the real `specgate` binary run against it.

use specgate::sandbox::{Fault, Sandbox, SandboxConfig};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

pub(crate) const KEY: &str = "test-key-4b1d";

/// A sandbox serving cases/ on 127.0.0.1:0, kept alive by its own runtime.
pub(crate) struct TestSandbox {
    pub(crate) base_url: String,
    sandbox: Option<Sandbox>,
    runtime: tokio::runtime::Runtime,
}

impl TestSandbox {
    pub(crate) fn start(faults: &[&str]) -> TestSandbox {
        Self::start_with_key(faults, KEY)
    }

    pub(crate) fn start_with_key(faults: &[&str], key: &str) -> TestSandbox {
        Self::serving(Path::new("cases"), faults, key)
    }

    /// A sandbox serving the cases in `cases`.
    pub(crate) fn serving(cases: &Path, faults: &[&str], key: &str) -> TestSandbox {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let operations = specgate::contract::load_cases(cases).unwrap();
        let faults: Vec<Fault> = faults.iter().map(|f| f.parse().unwrap()).collect();
        let config = SandboxConfig {
            addr: ([127, 0, 0, 1], 0).into(),
            api_key: key.to_owned(),
            faults,
        };
        let sandbox = runtime
            .block_on(Sandbox::start(
                operations.into_iter().map(Arc::new).collect(),
                config,
            ))
            .unwrap();
        let base_url = sandbox.base_url().to_string();
        TestSandbox {
            base_url,
            sandbox: Some(sandbox),
            runtime,
        }
    }
}

impl Drop for TestSandbox {
    fn drop(&mut self) {
        if let Some(sandbox) = self.sandbox.take() {
            self.runtime.block_on(sandbox.shutdown());
        }
    }
}

/// `specgate ARGS` with the test key in the environment and CI unset unless given.
pub(crate) fn specgate(args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_specgate"));
    command
        .args(args)
        .env("SPECGATE_API_KEY", KEY)
        .env_remove("INSTA_UPDATE");
    for (name, value) in envs {
        command.env(name, value);
    }
    command.output().unwrap()
}

/// The contract suite's trials (`cargo test --test contract -- ARGS`) run by its already-built
/// binary, `specgate-suite`, in the crate's folder: no nested cargo build.
pub(crate) fn suite(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_specgate-suite"));
    command
        .args(args)
        .current_dir(workdir())
        .env_remove("INSTA_UPDATE");
    command
}

/// `specgate run --openapi DOCUMENT --examples N --drift off` against the document's own
/// sandbox: its stdout, after asserting that it exited 0 and said CONFORMANT.
pub(crate) fn openapi_runs_conformant(document: &str, examples: &str) -> String {
    let args = [
        "run",
        "--openapi",
        document,
        "--examples",
        examples,
        "--drift",
        "off",
    ];
    exits_0_saying(&args, "CONFORMANT")
}

/// `specgate ARGS`: its stdout, after asserting that it exited 0 and printed `verdict`.
pub(crate) fn exits_0_saying(args: &[&str], verdict: &str) -> String {
    let output = specgate(args, &[]);
    let stdout = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}{}",
        text(&output.stderr)
    );
    assert!(stdout.contains(verdict), "{stdout}");
    stdout
}

pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A temp folder holding a copy of the committed drift baseline of the built-in sandbox.
pub(crate) fn baseline_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir("cases/snapshots/sandbox").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "snap") {
            std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
        }
    }
    dir
}

/// Run against `sandbox` with a JSON report; returns (exit code, report, stdout+stderr).
pub(crate) fn run_against(
    sandbox: &TestSandbox,
    extra: &[&str],
) -> (i32, serde_json::Value, String) {
    let dir = tempfile::tempdir().unwrap();
    let snapshots = baseline_copy();
    let report = dir.path().join("report.json");
    let report_arg = format!("json={}", report.display());
    let snapshots_arg = snapshots.path().display().to_string();
    let mut args = vec![
        "run",
        "--report",
        &report_arg,
        "--snapshots",
        &snapshots_arg,
    ];
    // Defaults the test did not set itself (clap refuses a flag given twice).
    if !extra.contains(&"--base-url") {
        args.extend(["--base-url", &sandbox.base_url]);
    }
    if !extra.contains(&"--examples") {
        args.extend(["--examples", "10"]);
    }
    args.extend_from_slice(extra);
    let output = specgate(&args, &[("CI", "true")]);
    let console = format!("{}{}", text(&output.stdout), text(&output.stderr));
    let json = std::fs::read_to_string(&report)
        .unwrap_or_else(|_| panic!("no report; output:\n{console}"));
    (
        output.status.code().unwrap_or(-1),
        serde_json::from_str(&json).unwrap(),
        console,
    )
}

/// `specgate run --cases tests/data/orders` against `sandbox` with a JSON report, drift off and
/// `examples` random requests per operation, plus `extra` flags; returns (exit code, report,
/// stdout+stderr).
pub(crate) fn run_orders_cases(
    sandbox: &TestSandbox,
    examples: &str,
    extra: &[&str],
) -> (i32, serde_json::Value, String) {
    let folder = tempfile::tempdir().unwrap();
    let report = folder.path().join("report.json");
    let report_arg = format!("json={}", report.display());
    let mut args = vec![
        "run",
        "--cases",
        "tests/data/orders",
        "--base-url",
        &sandbox.base_url,
        "--examples",
        examples,
        "--drift",
        "off",
        "--report",
        &report_arg,
    ];
    args.extend_from_slice(extra);
    let output = specgate(&args, &[("ORDERS_TOKEN", KEY)]);
    let console = format!("{}{}", text(&output.stdout), text(&output.stderr));
    let report = serde_json::from_str(&std::fs::read_to_string(&report).unwrap_or_default())
        .unwrap_or_else(|_| panic!("no report: {console}"));
    (output.status.code().unwrap_or(-1), report, console)
}

/// The checks of a report's findings.
pub(crate) fn checks(report: &serde_json::Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["check"].as_str().unwrap().to_owned())
        .collect()
}

pub(crate) fn workdir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `specgate run` against `base_url` for the cases in `cases`, with a JSON report: its exit
/// code and everything it wrote (console and report), for tests that search all of it.
pub(crate) fn run_writing_all(
    cases: &Path,
    base_url: &str,
    extra_args: &[&str],
    envs: &[(&str, &str)],
) -> (i32, String) {
    let folder = tempfile::tempdir().unwrap();
    let report = folder.path().join("report.json");
    let report_arg = format!("json={}", report.display());
    let cases = cases.display().to_string();
    let mut args = vec![
        "run",
        "--cases",
        &cases,
        "--base-url",
        base_url,
        "--drift",
        "off",
        "--report",
        &report_arg,
    ];
    // The default the test did not set itself (clap refuses a flag given twice).
    if !extra_args.contains(&"--examples") {
        args.extend(["--examples", "5"]);
    }
    args.extend_from_slice(extra_args);
    let output = specgate(&args, envs);
    let written = format!(
        "{}{}{}",
        text(&output.stdout),
        text(&output.stderr),
        std::fs::read_to_string(&report).unwrap_or_default()
    );
    (output.status.code().unwrap_or(-1), written)
}

/// The findings of a JSON report, each folded finding (one cause several operations share)
/// replaced by its members, the operations' own findings.
pub(crate) fn finding_members(report: &serde_json::Value) -> Vec<serde_json::Value> {
    report["findings"]
        .as_array()
        .expect("a report lists its findings")
        .iter()
        .flat_map(|f| match f["operations"].as_array() {
            Some(members) => members.clone(),
            None => vec![f.clone()],
        })
        .collect()
}
