//! Generator gaps found on real documents, each closed at its root and proven against the
//! sandbox: a pattern with length limits, OpenAPI's numeric formats as bounds (with a big
//! integer past `int64` as a probe), an integer written as a float, and a `$ref` inside a
//! form body. Each case is planned, and run against a sandbox serving it: a faithful server
//! gives no finding.

use crate::common::*;
use serde_json::Value;
use std::path::Path;

/// A case folder holding one POST operation with `schema` as its body, sent as
/// `content_type`.
fn case_folder(schema: &Value, content_type: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let case = format!(
        "name = \"gap\"\nmethod = \"POST\"\npath = \"/gap\"\n\n[request]\nschema = \"gap.json\"\ncontent_type = \"{content_type}\"\n\n[expect]\nvalid = [\"200\"]\ninvalid = [\"400\"]\n"
    );
    std::fs::write(dir.path().join("gap.toml"), case).unwrap();
    std::fs::write(dir.path().join("gap.json"), schema.to_string()).unwrap();
    dir
}

/// `specgate plan` of the cases in `dir`: each planned request as JSON.
fn plan(dir: &Path) -> Vec<Value> {
    let cases = dir.display().to_string();
    let output = specgate(&["plan", "--cases", &cases, "--examples", "20"], &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    text(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// The bodies planned with `expect` (`accept` or `reject`), as the JSON they are.
fn bodies(plan: &[Value], expect: &str) -> Vec<Value> {
    plan.iter()
        .filter(|entry| entry["expect"] == expect)
        .map(|entry| entry["body"].clone())
        .collect()
}

/// A run against a sandbox serving `dir` is conformant: exit 0, no finding.
fn assert_conformant(dir: &Path) {
    let sandbox = TestSandbox::serving(dir, &[], KEY);
    let (code, written) = run_writing_all(dir, &sandbox.base_url, &[], &[]);
    assert_eq!(code, 0, "{written}");
    assert!(written.contains("\"findings\": []"), "{written}");
}

#[test]
fn a_pattern_with_length_limits_gets_matching_values_of_those_lengths() {
    let schema = serde_json::json!({
        "type": "object",
        "required": ["sha", "key"],
        "properties": {
            "sha": {"type": "string", "pattern": "^[0-9a-fA-F]+$", "minLength": 40, "maxLength": 40},
            "key": {"type": "string", "pattern": "^ssh-(rsa|dss|ed25519) |^ecdsa-sha2-nistp(256|384|521) "}
        }
    });
    let dir = case_folder(&schema, "application/json");
    let planned = plan(dir.path());
    let valid = bodies(&planned, "accept");
    assert!(!valid.is_empty());
    for body in &valid {
        let sha = body["sha"].as_str().unwrap();
        assert!(
            sha.len() == 40 && sha.chars().all(|c| c.is_ascii_hexdigit()),
            "{sha}"
        );
        let key = body["key"].as_str().unwrap();
        assert!(
            key.starts_with("ssh-") || key.starts_with("ecdsa-sha2-nistp"),
            "{key}"
        );
    }
    let shas: Vec<&Value> = bodies(&planned, "reject")
        .iter()
        .map(|b| b["sha"].clone())
        .collect::<Vec<_>>()
        .leak()
        .iter()
        .collect();
    assert!(
        shas.iter()
            .any(|s| s.as_str().is_some_and(|s| s.len() == 41)),
        "one past the length limit is a break: {shas:?}"
    );
    assert_conformant(dir.path());
}

#[test]
fn int32_bounds_are_valid_and_one_past_them_is_a_break_the_sandbox_refuses() {
    let schema = serde_json::json!({
        "type": "object",
        "required": ["count"],
        "properties": {"count": {"type": "integer", "format": "int32"}}
    });
    let dir = case_folder(&schema, "application/json");
    let planned = plan(dir.path());
    let valid: Vec<Value> = bodies(&planned, "accept")
        .iter()
        .map(|b| b["count"].clone())
        .collect();
    assert!(valid.contains(&serde_json::json!(2147483647)), "{valid:?}");
    assert!(valid.contains(&serde_json::json!(-2147483648)), "{valid:?}");
    assert!(
        valid
            .iter()
            .all(|v| v.as_f64().is_some_and(|x| x.abs() <= 2147483648.0)),
        "nothing past int32 is labelled valid: {valid:?}"
    );
    let broken: Vec<Value> = bodies(&planned, "reject")
        .iter()
        .map(|b| b["count"].clone())
        .collect();
    assert!(
        broken.contains(&serde_json::json!(2147483648_i64)),
        "{broken:?}"
    );
    assert!(
        broken.contains(&serde_json::json!(-2147483649_i64)),
        "{broken:?}"
    );
    assert_conformant(dir.path());
}

#[test]
fn an_integer_past_int64_is_sent_as_a_probe_the_sandbox_refuses() {
    let schema = serde_json::json!({
        "type": "object",
        "required": ["id"],
        "properties": {"id": {"type": "integer", "format": "int64"}}
    });
    let dir = case_folder(&schema, "application/json");
    let planned = plan(dir.path());
    let probe = planned
        .iter()
        .find(|entry| entry["body"]["id"] == serde_json::json!(9223372036854775808_u64))
        .expect("a probe at 2^63");
    assert_eq!(probe["expect"], "reject", "{probe}");
    assert!(bodies(&planned, "accept")
        .iter()
        .any(|b| b["id"] == serde_json::json!(i64::MAX)));
    assert_conformant(dir.path());
}

#[test]
fn an_integer_written_as_a_float_is_sent_as_a_valid_integer() {
    let schema = serde_json::json!({
        "type": "object",
        "required": ["quantity"],
        "properties": {"quantity": {"type": "integer", "minimum": 1}}
    });
    let dir = case_folder(&schema, "application/json");
    let planned = plan(dir.path());
    let as_float = planned
        .iter()
        .find(|entry| {
            entry["body"]["quantity"]
                .as_number()
                .is_some_and(|n| n.is_f64() && n.as_f64().is_some_and(|x| x.fract() == 0.0))
        })
        .expect("an integer written with a fraction part");
    assert_eq!(as_float["expect"], "accept", "{as_float}");
    assert_conformant(dir.path());
}

#[test]
fn a_ref_inside_a_form_body_works_as_the_inlined_schema_does() {
    let referenced = serde_json::json!({
        "type": "object",
        "required": ["count", "name"],
        "properties": {"count": {"$ref": "#/$defs/Count"}, "name": {"type": "string", "minLength": 1}},
        "$defs": {"Count": {"type": "integer", "minimum": 0, "maximum": 9}}
    });
    let dir = case_folder(&referenced, "application/x-www-form-urlencoded");
    let planned = plan(dir.path());
    // A form is planned as its bytes: `count=1&name=…`.
    let forms = |expect: &str| -> Vec<String> {
        planned
            .iter()
            .filter(|entry| entry["expect"] == expect)
            .filter_map(|entry| entry["raw_body"].as_str().map(str::to_owned))
            .collect()
    };
    let valid = forms("accept");
    assert!(
        valid.iter().any(|form| form.starts_with("count=1&")),
        "a valid form carries the `$ref`ed integer: {valid:?}"
    );
    assert!(
        forms("reject")
            .iter()
            .any(|form| form.starts_with("count=10&")),
        "its maximum is broken too"
    );
    assert_conformant(dir.path());
}
