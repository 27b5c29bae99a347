//! A broken case file or schema stops `specgate plan` before anything is generated, with exit
//! code 2 and a message that names the file, the line or JSON pointer, and what is wrong.
//! Each test writes one broken contract into a temporary folder and runs the real binary.

use std::path::Path;
use std::process::Command;

const SCHEMA: &str = r#"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "required": ["name"],
  "properties": {
    "name": { "type": "string" },
    "kind": { "type": "string", "enum": ["a", "b"] }
  }
}
"#;

const CASE: &str = r#"name = "widget"
method = "POST"
path = "/widgets"

[auth]
header = "api_key"

[request]
schema = "widget.request.json"

[expect]
valid = ["2xx"]
invalid = ["4xx"]
"#;

/// What `specgate plan --cases DIR` said, with the temporary folder written as `[DIR]`.
struct Outcome {
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: String,
}

fn plan_with(case: &str, schema: &str) -> Outcome {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "widget.toml", case);
    write(dir.path(), "widget.request.json", schema);
    let output = Command::new(env!("CARGO_BIN_EXE_specgate"))
        .args(["plan", "--summary", "--cases"])
        .arg(dir.path())
        .output()
        .expect("specgate runs");
    let stderr = String::from_utf8_lossy(&output.stderr)
        .replace(&dir.path().display().to_string(), "[DIR]")
        .replace('\\', "/");
    Outcome {
        code: output.status.code(),
        stdout: output.stdout,
        stderr,
    }
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).expect("write");
}

/// Exit code 2 and every fragment in the message.
fn assert_refused(outcome: &Outcome, fragments: &[&str]) {
    assert_eq!(outcome.code, Some(2), "{}", outcome.stderr);
    assert!(outcome.stdout.is_empty(), "nothing is planned");
    for fragment in fragments {
        assert!(
            outcome.stderr.contains(fragment),
            "`{fragment}` not in:\n{}",
            outcome.stderr
        );
    }
}

#[test]
fn the_unbroken_contract_plans() {
    let outcome = plan_with(CASE, SCHEMA);
    assert_eq!(outcome.code, Some(0), "{}", outcome.stderr);
    assert!(String::from_utf8_lossy(&outcome.stdout).contains("widget"));
}

#[test]
fn a_toml_syntax_error_names_the_case_file_line_and_column() {
    let case = CASE.replace("path = \"/widgets\"", "path = \"/widgets");
    let outcome = plan_with(&case, SCHEMA);
    assert_refused(&outcome, &["[DIR]/widget.toml:3:"]);
    insta::assert_snapshot!("toml_syntax_error", outcome.stderr);
}

#[test]
fn a_missing_schema_file_names_the_case_file_line_and_the_missing_path() {
    let case = CASE.replace("widget.request.json", "missing.request.json");
    let outcome = plan_with(&case, SCHEMA);
    assert_refused(
        &outcome,
        &[
            "[DIR]/widget.toml:9:",
            "missing.request.json",
            "does not exist",
        ],
    );
    insta::assert_snapshot!("missing_schema_file", outcome.stderr);
}

#[test]
fn a_dangling_ref_names_the_schema_file_and_the_pointer_of_the_ref() {
    let schema = SCHEMA.replace(
        r#""name": { "type": "string" }"#,
        r##""name": { "$ref": "#/$defs/Name" }"##,
    );
    let outcome = plan_with(CASE, &schema);
    assert_refused(
        &outcome,
        &["[DIR]/widget.request.json", "/properties/name/$ref"],
    );
    insta::assert_snapshot!("dangling_ref", outcome.stderr);
}

#[test]
fn an_unknown_key_names_the_case_file_line_and_the_key() {
    let case = CASE.replace("method = \"POST\"", "method = \"POST\"\nretries = 3");
    let outcome = plan_with(&case, SCHEMA);
    assert_refused(&outcome, &["[DIR]/widget.toml:3:", "retries"]);
    insta::assert_snapshot!("unknown_key", outcome.stderr);
}

#[test]
fn a_constant_that_cannot_travel_names_the_line_the_constant_and_the_fix() {
    let bad_name =
        format!("{CASE}\n[[constants]]\nname = \"X Target\"\nin = \"header\"\nvalue = \"a\"\n");
    let outcome = plan_with(&bad_name, SCHEMA);
    assert_refused(
        &outcome,
        &[
            "[DIR]/widget.toml:16:",
            "`X Target` is not a header name",
            "fix:",
        ],
    );
    let in_path = format!("{CASE}\n[[constants]]\nname = \"kind\"\nin = \"path\"\nvalue = \"a\"\n");
    let outcome = plan_with(&in_path, SCHEMA);
    assert_refused(
        &outcome,
        &[
            "[DIR]/widget.toml:",
            "travels in a header or the query",
            "in = \"query\"",
        ],
    );
}

#[test]
fn an_enum_with_no_values_names_the_schema_file_and_the_pointer_of_the_enum() {
    let schema = SCHEMA.replace(r#""enum": ["a", "b"]"#, r#""enum": []"#);
    let outcome = plan_with(CASE, &schema);
    assert_refused(
        &outcome,
        &[
            "[DIR]/widget.request.json",
            "/properties/kind/enum",
            "no values",
        ],
    );
    insta::assert_snapshot!("empty_enum", outcome.stderr);
}

#[test]
fn an_expected_status_that_is_not_a_status_names_the_line_and_the_value() {
    for (bad, name) in [("2yy", "status_2yy"), ("600", "status_600")] {
        let case = CASE.replace("valid = [\"2xx\"]", &format!("valid = [\"{bad}\"]"));
        let outcome = plan_with(&case, SCHEMA);
        assert_refused(
            &outcome,
            &["[DIR]/widget.toml:12:", bad, "is not an HTTP status"],
        );
        insta::assert_snapshot!(name, outcome.stderr);
    }
}

#[test]
fn a_schema_syntax_error_names_the_schema_file_line_and_column() {
    let schema = SCHEMA.replace(r#""type": "object","#, r#""type": "object""#);
    let outcome = plan_with(CASE, &schema);
    assert_refused(
        &outcome,
        &["[DIR]/widget.request.json:4:", "not valid JSON"],
    );
    insta::assert_snapshot!("schema_syntax_error", outcome.stderr);
}

#[test]
fn a_schema_no_payload_can_satisfy_names_the_schema_file_and_pointer() {
    let schema = SCHEMA.replace(
        r#""name": { "type": "string" }"#,
        r#""name": { "type": "string", "minLength": 5, "maxLength": 2 }"#,
    );
    let outcome = plan_with(CASE, &schema);
    assert_refused(
        &outcome,
        &[
            "[DIR]/widget.request.json",
            "/properties/name/",
            "no valid request body",
        ],
    );
    insta::assert_snapshot!("unsatisfiable_schema", outcome.stderr);
}
