//! Reports and what findings carry: the JSON report validates against its schema, the JUnit
//! report is XML with the right counts, the Markdown report is pinned by a snapshot, the key
//! appears nowhere, curl lines reproduce, and random failures are shrunk.

use crate::common::*;
use serde_json::Value;
use std::collections::BTreeSet;

/// Run against a faulty sandbox writing every report format; returns the folder.
fn all_reports(sandbox: &TestSandbox, extra: &[&str]) -> (tempfile::TempDir, i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).display().to_string();
    let (json, junit, markdown) = (path("r.json"), path("r.xml"), path("r.md"));
    let snapshots = baseline_copy();
    let mut args = vec![
        "run".to_owned(),
        "--base-url".to_owned(),
        sandbox.base_url.clone(),
        "--snapshots".to_owned(),
        snapshots.path().display().to_string(),
        "--report".to_owned(),
        format!("json={json}"),
        "--report".to_owned(),
        format!("junit={junit}"),
        "--report".to_owned(),
        format!("markdown={markdown}"),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = specgate(&args, &[("CI", "true")]);
    let console = format!("{}{}", text(&output.stdout), text(&output.stderr));
    (dir, output.status.code().unwrap_or(-1), console)
}

fn read_json(dir: &tempfile::TempDir) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.path().join("r.json")).unwrap()).unwrap()
}

#[test]
fn the_json_report_validates_against_its_schema() {
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string("schemas/report.schema.json").unwrap())
            .unwrap();
    let validator = jsonschema::draft202012::new(&schema).unwrap();
    let sandbox = TestSandbox::start(&[
        "response-null",
        "accept-missing-required",
        "drift-new-field",
    ]);
    let (dir, code, console) = all_reports(&sandbox, &["--examples", "10"]);
    assert_eq!(code, 1, "{console}");
    let report = read_json(&dir);
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let checks: BTreeSet<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["check"].as_str().unwrap())
        .collect();
    assert!(
        checks.is_superset(&BTreeSet::from([
            "response-schema",
            "accepts-invalid",
            "drift"
        ])),
        "{checks:?}"
    );
}

/// Test cases and failures per suite, read with an XML parser.
fn junit_counts(xml: &str) -> (usize, usize, Vec<(String, String)>) {
    let mut reader = quick_xml::Reader::from_str(xml);
    let (mut cases, mut failures, mut declared) = (0, 0, Vec::new());
    loop {
        match reader.read_event().expect("well-formed XML") {
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                let attr = |name: &[u8]| {
                    e.attributes()
                        .flatten()
                        .find(|a| a.key.as_ref() == name)
                        .map(|a| String::from_utf8_lossy(&a.value).into_owned())
                };
                match e.name().as_ref() {
                    b"testcase" => cases += 1,
                    b"failure" => failures += 1,
                    b"testsuite" => {
                        declared.push((attr(b"tests").unwrap(), attr(b"failures").unwrap()))
                    }
                    _ => {}
                }
            }
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    (cases, failures, declared)
}

#[test]
fn the_junit_report_is_xml_with_the_right_counts() {
    let sandbox = TestSandbox::start(&["accept-missing-required", "reject-enum-value"]);
    let (dir, code, console) = all_reports(&sandbox, &["--examples", "10", "--drift", "off"]);
    assert_eq!(code, 1, "{console}");
    let xml = std::fs::read_to_string(dir.path().join("r.xml")).unwrap();
    let (cases, failures, declared) = junit_counts(&xml);
    let report = read_json(&dir);
    let families = report["summary"]["coverage"][0]["by_family"]
        .as_object()
        .unwrap()
        .len();
    assert_eq!(cases, families, "one test case per request family\n{xml}");
    // The failing families are exactly those of the findings' reasons.
    let failing: BTreeSet<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            f["reason"]
                .as_str()
                .unwrap()
                .split(':')
                .next()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(failures, failing.len(), "{xml}");
    assert_eq!(
        declared,
        vec![(cases.to_string(), failures.to_string())],
        "{xml}"
    );
}

#[test]
fn the_markdown_report_reads_as_a_regression_report() {
    let sandbox = TestSandbox::start(&["accept-missing-required", "server-error-long-string"]);
    let (dir, code, console) = all_reports(&sandbox, &["--examples", "0", "--drift", "off"]);
    assert_eq!(code, 1, "{console}");
    let markdown = std::fs::read_to_string(dir.path().join("r.md")).unwrap();
    let port = sandbox
        .base_url
        .split(':')
        .nth(2)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let stable: Vec<String> = markdown
        .lines()
        .map(|line| {
            let line = line.replace(&port, "PORT");
            if line.starts_with("| Elapsed") {
                "| Elapsed | (elapsed) |".to_owned()
            } else if line.starts_with("**Response** (") {
                "**Response** (elapsed)".to_owned()
            } else {
                line
            }
        })
        .collect();
    insta::assert_snapshot!("markdown_report", stable.join("\n"));
}

#[test]
fn a_distinctive_key_appears_nowhere_in_output_reports_or_snapshots() {
    const SECRET: &str = "sk_live_DISTINCTIVE_7f3a9c2e";
    let sandbox = TestSandbox::start_with_key(
        &[
            "accept-missing-required",
            "response-null",
            "drift-new-field",
        ],
        SECRET,
    );
    let dir = tempfile::tempdir().unwrap();
    let snapshots = tempfile::tempdir().unwrap();
    let reports: Vec<String> = [
        "json=r.json",
        "junit=r.xml",
        "markdown=r.md",
        "sarif=r.sarif",
    ]
    .iter()
    .map(|r| {
        let (format, name) = r.split_once('=').unwrap();
        format!("{format}={}", dir.path().join(name).display())
    })
    .collect();
    let snapshots_arg = snapshots.path().display().to_string();
    let mut args = vec![
        "run",
        "--base-url",
        &sandbox.base_url,
        "--examples",
        "10",
        "--snapshots",
        &snapshots_arg,
        // A run with findings records its snapshot only when asked.
        "--record-nonconformant",
    ];
    for report in &reports {
        args.extend(["--report", report.as_str()]);
    }
    // Outside CI, so the snapshot is written too.
    let output = specgate(&args, &[("SPECGATE_API_KEY", SECRET), ("CI", "false")]);
    let stdout = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{stdout}{}",
        text(&output.stderr)
    );
    assert!(stdout.contains("curl"), "the findings carry curl lines");
    assert!(!stdout.contains(SECRET) && !text(&output.stderr).contains(SECRET));
    let mut files = 0;
    for folder in [dir.path(), snapshots.path()] {
        for entry in std::fs::read_dir(folder).unwrap() {
            let content = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            assert!(!content.contains(SECRET));
            files += 1;
        }
    }
    assert_eq!(files, 5, "four reports and one snapshot were checked");
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("r.json")).unwrap()).unwrap();
    let curl = report["findings"][0]["curl"].as_str().unwrap();
    assert!(curl.contains("$SPECGATE_API_KEY"), "{curl}");
}

#[test]
fn a_findings_curl_line_reproduces_its_status() {
    let sandbox = TestSandbox::start(&["accept-missing-required", "server-error-long-string"]);
    let (code, report, console) = run_against(&sandbox, &["--examples", "0", "--drift", "off"]);
    assert_eq!(code, 1, "{console}");
    let findings = report["findings"].as_array().unwrap();
    assert!(findings.len() >= 2);
    for finding in findings {
        let curl = finding["curl"].as_str().unwrap();
        let output = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("{curl} -o /dev/null -w '%{{http_code}}'"))
            .env("SPECGATE_API_KEY", KEY)
            .output()
            .unwrap();
        assert_eq!(
            text(&output.stdout),
            finding["response"]["status"].to_string(),
            "{curl}"
        );
    }
}

#[test]
fn a_random_failure_on_one_enum_value_shrinks_to_the_required_fields_plus_that_value() {
    let sandbox = TestSandbox::start(&["reject-enum-value=/gender:Other"]);
    let (code, report, console) = run_against(&sandbox, &["--examples", "200", "--drift", "off"]);
    assert_eq!(code, 1, "{console}");
    let shrunk = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == "rejects-valid" && f["shrunk"].is_object())
        .unwrap_or_else(|| panic!("no shrunk finding\n{report:#}"));
    assert_eq!(shrunk["shrunk"]["confirmed"], true);
    let body: Value = serde_json::from_str(shrunk["request"]["body"].as_str().unwrap()).unwrap();
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string("schemas/sessionlink-v2.request.json").unwrap(),
    )
    .unwrap();
    let mut expected: BTreeSet<String> = schema["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    expected.insert("gender".to_owned());
    let fields: BTreeSet<String> = body.as_object().unwrap().keys().cloned().collect();
    assert_eq!(fields, expected, "{body}");
    assert_eq!(body["gender"], "Other");
}
