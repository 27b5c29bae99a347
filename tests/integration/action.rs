//! The GitHub Action (`action.yml`): its "Run specgate" step, read from the file itself, run
//! as GitHub runs a composite `bash` step (`bash --noprofile --norc -eo pipefail`), with its
//! `${{ … }}` expressions filled in as the runner would, against the sandbox.

use crate::common::*;
use serde_yaml_ng::Value;
use std::collections::BTreeMap;
use std::path::Path;

fn action() -> Value {
    serde_yaml_ng::from_str(&std::fs::read_to_string("action.yml").unwrap()).unwrap()
}

/// `${{ inputs.NAME }}` and `${{ runner.temp }}` in `text`, as the runner fills them in.
fn expand(text: &str, inputs: &BTreeMap<String, String>, runner_temp: &Path) -> String {
    let mut out = text.replace("${{ runner.temp }}", &runner_temp.display().to_string());
    for (name, value) in inputs {
        out = out.replace(&format!("${{{{ inputs.{name} }}}}"), value);
    }
    assert!(
        !out.contains("${{"),
        "an expression the test does not know: {out}"
    );
    out
}

/// The action's inputs: their defaults, overridden by `given`.
fn inputs(action: &Value, given: &[(&str, &str)]) -> BTreeMap<String, String> {
    let mut inputs: BTreeMap<String, String> = action["inputs"]
        .as_mapping()
        .unwrap()
        .iter()
        .map(|(name, spec)| {
            let default = spec["default"].as_str().unwrap_or_default().to_owned();
            (name.as_str().unwrap().to_owned(), default)
        })
        .collect();
    for (name, value) in given {
        assert!(
            inputs.contains_key(*name),
            "action.yml has no input `{name}`"
        );
        inputs.insert((*name).to_owned(), (*value).to_owned());
    }
    inputs
}

/// Run the action's `run` step with `given` inputs in `workdir`: (exit code of the step, the
/// `exit-code` output it wrote, console).
fn run_step(given: &[(&str, &str)], workdir: &Path) -> (i32, String, String) {
    let action = action();
    let step = action["runs"]["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|s| s["id"].as_str() == Some("run"))
        .expect("a step with id `run`");
    assert_eq!(step["shell"].as_str(), Some("bash"));
    let inputs = inputs(&action, given);
    let runner_temp = tempfile::tempdir().unwrap();
    let bin = runner_temp.path().join("specgate/bin");
    std::fs::create_dir_all(&bin).unwrap();
    // The build step's `cargo install` puts the binary here; the test's is the same crate.
    std::fs::copy(env!("CARGO_BIN_EXE_specgate"), bin.join("specgate")).unwrap();
    let script = workdir.join("step.sh");
    std::fs::write(&script, step["run"].as_str().unwrap()).unwrap();
    let output_file = workdir.join("github_output");
    let mut command = std::process::Command::new("bash");
    command
        .args(["--noprofile", "--norc", "-eo", "pipefail"])
        .arg(&script)
        .current_dir(workdir)
        .env("GITHUB_OUTPUT", &output_file)
        .env("SPECGATE_API_KEY", KEY)
        .env_remove("GITHUB_ACTIONS")
        .env_remove("CI");
    for (name, value) in step["env"].as_mapping().unwrap() {
        let value = expand(value.as_str().unwrap(), &inputs, runner_temp.path());
        command.env(name.as_str().unwrap(), value);
    }
    let output = command.output().unwrap();
    let console = format!("{}{}", text(&output.stdout), text(&output.stderr));
    let written = std::fs::read_to_string(&output_file).unwrap_or_default();
    (output.status.code().unwrap_or(-1), written, console)
}

fn absolute(path: &str) -> String {
    std::fs::canonicalize(path).unwrap().display().to_string()
}

#[test]
fn the_actions_command_line_runs_green_against_the_sandbox_from_a_document() {
    let sandbox = TestSandbox::start(&[]);
    let workdir = tempfile::tempdir().unwrap();
    let document = absolute("schemas/sessionlink-v2.openapi.yaml");
    let given = [
        ("openapi", document.as_str()),
        ("base-url", sandbox.base_url.as_str()),
        ("args", "--examples 5 --drift off"),
    ];
    let (code, written, console) = run_step(&given, workdir.path());
    assert_eq!(code, 0, "{console}");
    assert_eq!(written.trim(), "exit-code=0", "{console}");
    assert!(console.contains("CONFORMANT — 0 new findings"), "{console}");
    let sarif: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(workdir.path().join("specgate.sarif")).unwrap(),
    )
    .unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    for default_report in ["specgate.json", "specgate.html"] {
        assert!(
            workdir.path().join(default_report).exists(),
            "{default_report}"
        );
    }
}

#[test]
fn the_action_keeps_the_exit_code_of_a_failing_run_for_its_last_step() {
    let faulty = TestSandbox::start(&["reject-enum-value"]);
    let workdir = tempfile::tempdir().unwrap();
    let cases = absolute("cases");
    let given = [
        ("cases", cases.as_str()),
        ("base-url", faulty.base_url.as_str()),
        ("args", "--examples 0 --drift off"),
    ];
    let (code, written, console) = run_step(&given, workdir.path());
    assert_eq!(
        code, 0,
        "the step itself succeeds so SARIF is uploaded: {console}"
    );
    assert_eq!(written.trim(), "exit-code=1", "{console}");
    let sarif = std::fs::read_to_string(workdir.path().join("specgate.sarif")).unwrap();
    assert!(sarif.contains("rejects-valid"), "{sarif}");
    let action = std::fs::read_to_string("action.yml").unwrap();
    assert!(
        action.contains("github/codeql-action/upload-sarif@"),
        "{action}"
    );
    assert!(
        action.contains("if: steps.run.outputs.exit-code != '0'"),
        "{action}"
    );
}
