//! The release gate over real HTTP against sandbox faults: known-failures files (known,
//! new, expired, unmatched and malformed), fixed-vs-broken drift, SARIF, GitHub Actions
//! annotations, flaky findings and differential runs.

use crate::common::*;
use std::path::Path;

/// `specgate run` against `sandbox` without drift, with a JSON report in `dir`.
fn gate_run(sandbox: &TestSandbox, dir: &Path, extra: &[&str]) -> (i32, serde_json::Value, String) {
    let mut args = vec!["--drift", "off", "--examples", "0"];
    args.extend_from_slice(extra);
    let (code, report, console) = run_against(sandbox, &args);
    std::fs::write(dir.join("report.json"), report.to_string()).unwrap();
    (code, report, console)
}

fn known_add(dir: &Path) -> String {
    let from = dir.join("report.json").display().to_string();
    let out = dir.join("known.toml").display().to_string();
    let output = specgate(&["known", "add", "--from", &from, "--out", &out], &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    std::fs::read_to_string(dir.join("known.toml")).unwrap()
}

fn fingerprints(findings: &serde_json::Value) -> Vec<String> {
    findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_run_whose_findings_are_all_known_passes_and_lists_them() {
    let dir = tempfile::tempdir().unwrap();
    let faulty = TestSandbox::start(&["reject-enum-value"]);
    let (code, report, _) = gate_run(&faulty, dir.path(), &[]);
    assert_eq!(code, 1, "the fault fails the run before it is known");
    let before = fingerprints(&report["findings"]);
    assert_eq!(before, ["rejects-valid:sessionlink-v2:400 for enum-value"]);
    let file = known_add(dir.path());
    assert!(
        file.contains("fingerprint = \"rejects-valid:sessionlink-v2:400 for enum-value\""),
        "{file}"
    );

    let known = dir.path().join("known.toml").display().to_string();
    let markdown = dir.path().join("report.md");
    let junit = dir.path().join("report.xml");
    let markdown_arg = format!("markdown={}", markdown.display());
    let junit_arg = format!("junit={}", junit.display());
    let flags = [
        "--known",
        &known,
        "--report",
        &markdown_arg,
        "--report",
        &junit_arg,
    ];
    let (code, report, console) = gate_run(&faulty, dir.path(), &flags);
    assert_eq!(code, 0, "{console}");
    assert_eq!(report["findings"], serde_json::json!([]));
    let markdown = std::fs::read_to_string(markdown).unwrap();
    assert!(markdown.contains("## Known failures"), "{markdown}");
    assert!(
        markdown.contains(&format!("| known | `{}` | 1 |", before[0])),
        "{markdown}"
    );
    let junit = std::fs::read_to_string(junit).unwrap();
    assert!(
        junit.contains(&format!("name=\"{}\"", before[0])),
        "{junit}"
    );
    assert!(
        junit.contains("<skipped message=\"known failure until"),
        "{junit}"
    );
    assert!(!junit.contains("<failure"), "{junit}");
    let listed = &report["known"]["known"];
    assert_eq!(listed.as_array().unwrap().len(), 1, "{report}");
    assert_eq!(listed[0]["entry"]["fingerprint"], before[0].as_str());
    assert!(console.contains("1 known (not failing)"), "{console}");
    assert!(
        console.contains(&format!("known: {}", before[0])),
        "{console}"
    );
    assert_valid_report(&report);
}

/// The JSON report, known section included, validates against schemas/report.schema.json.
fn assert_valid_report(report: &serde_json::Value) {
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string("schemas/report.schema.json").unwrap())
            .unwrap();
    let validator = jsonschema::draft202012::new(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(report)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn a_new_finding_beside_known_ones_fails() {
    let dir = tempfile::tempdir().unwrap();
    let faulty = TestSandbox::start(&["reject-enum-value"]);
    gate_run(&faulty, dir.path(), &[]);
    known_add(dir.path());
    let worse = TestSandbox::start(&["reject-enum-value", "accept-wrong-type"]);
    let known = dir.path().join("known.toml").display().to_string();
    let (code, report, console) = gate_run(&worse, dir.path(), &["--known", &known]);
    assert_eq!(code, 1, "{console}");
    let failing = fingerprints(&report["findings"]);
    assert!(!failing.is_empty());
    assert!(
        failing.iter().all(|f| f.starts_with("accepts-invalid:")),
        "{failing:?}"
    );
    assert_eq!(report["known"]["known"].as_array().unwrap().len(), 1);
}

#[test]
fn an_expired_entry_fails_again_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let faulty = TestSandbox::start(&["reject-enum-value"]);
    gate_run(&faulty, dir.path(), &[]);
    let file = known_add(dir.path());
    let expired = regex_free_replace_expires(&file, "2020-01-31");
    std::fs::write(dir.path().join("known.toml"), expired).unwrap();
    let known = dir.path().join("known.toml").display().to_string();
    let (code, report, console) = gate_run(&faulty, dir.path(), &["--known", &known]);
    assert_eq!(code, 1, "{console}");
    assert_eq!(report["known"]["expired"][0]["expires"], "2020-01-31");
    assert_eq!(report["findings"].as_array().unwrap().len(), 1);
    assert!(console.contains("EXPIRED on 2020-01-31"), "{console}");
    assert_valid_report(&report);
}

/// Replace the value of every `expires = ...` line.
fn regex_free_replace_expires(file: &str, date: &str) -> String {
    file.lines()
        .map(|line| {
            if line.starts_with("expires = ") {
                format!("expires = {date}")
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn an_entry_that_matched_nothing_is_reported_as_maybe_fixed() {
    let dir = tempfile::tempdir().unwrap();
    let faulty = TestSandbox::start(&["reject-enum-value"]);
    gate_run(&faulty, dir.path(), &[]);
    known_add(dir.path());
    let faithful = TestSandbox::start(&[]);
    let known = dir.path().join("known.toml").display().to_string();
    let (code, report, console) = gate_run(&faithful, dir.path(), &["--known", &known]);
    assert_eq!(code, 0, "{console}");
    let unmatched = &report["known"]["unmatched"];
    assert_eq!(
        unmatched[0]["fingerprint"],
        "rejects-valid:sessionlink-v2:400 for enum-value"
    );
    assert!(
        console
            .contains("fixed? remove this entry: rejects-valid:sessionlink-v2:400 for enum-value"),
        "{console}"
    );
    assert_valid_report(&report);
}

#[test]
fn known_add_extends_a_file_and_keeps_what_a_person_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let faulty = TestSandbox::start(&["reject-enum-value"]);
    gate_run(&faulty, dir.path(), &[]);
    let first = known_add(dir.path()).replace("TODO: the team that tracks it", "payments");
    std::fs::write(dir.path().join("known.toml"), &first).unwrap();
    let worse = TestSandbox::start(&["reject-enum-value", "accept-wrong-type"]);
    gate_run(&worse, dir.path(), &[]);
    let second = known_add(dir.path());
    assert!(
        second.starts_with(&first),
        "the person's edits are kept:\n{second}"
    );
    assert_eq!(
        second.matches("[[known]]").count(),
        1 + second.matches("accepts-invalid:").count()
    );
    assert_eq!(
        second.matches("rejects-valid:").count(),
        1,
        "no duplicate entry"
    );
}

#[test]
fn a_malformed_known_failures_file_is_exit_2_with_file_line_and_fix_before_any_request() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("[[known]]\nfingerprint = \"server-error:sessionlink-v2:500 for boundary\"\nreason = \"r\"\nowner = \"o\"\nlink = \"l\"\nexpires = 2027-01-31\nticket = \"T-1\"\n", ":7:", "unknown field `ticket`"),
        ("[[known]]\nfingerprint = \"server-error:sessionlink-v2:500 for boundary\"\nreason = \"r\"\nowner = \"o\"\nlink = \"l\"\nexpires = \"31/01/2027\"\n", ":6:", "is not a date"),
        ("[[known]\nfingerprint = 1\n", ":1:", ""),
    ];
    for (text, place, problem) in cases {
        let path = dir.path().join("known.toml");
        std::fs::write(&path, text).unwrap();
        let file = path.display().to_string();
        // A closed port: had anything been sent, the exit code would be 3.
        let output = specgate(
            &[
                "run",
                "--base-url",
                "http://127.0.0.1:9/v1",
                "--known",
                &file,
            ],
            &[],
        );
        let stderr = text_of(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(&format!("{file}{place}")), "{stderr}");
        assert!(stderr.contains(problem), "{stderr}");
        assert!(stderr.contains("fix:"), "{stderr}");
    }
}

fn text_of(bytes: &[u8]) -> String {
    text(bytes)
}

/// The suite's trial `trial` with `envs`, as a CI job runs it (`suite` runs the built binary).
fn contract_trial(trial: &str, envs: &[(&str, &str)]) -> (i32, String) {
    let mut command = suite(&["--exact", trial]);
    command
        .env("SPECGATE_API_KEY", KEY)
        .env("SPECGATE_EXAMPLES", "0");
    for (name, value) in envs {
        command.env(name, value);
    }
    let output = command.output().unwrap();
    let log = format!("{}{}", text(&output.stdout), text(&output.stderr));
    (output.status.code().unwrap_or(-1), log)
}

#[test]
fn the_cargo_test_suite_reads_known_failures_from_an_environment_variable() {
    let dir = tempfile::tempdir().unwrap();
    let faulty = TestSandbox::start(&["reject-enum-value"]);
    gate_run(&faulty, dir.path(), &[]);
    known_add(dir.path());
    let known = dir.path().join("known.toml").display().to_string();
    let trial = "sessionlink_v2::valid::enum_values";
    let target = ("SPECGATE_BASE_URL", faulty.base_url.as_str());

    let (code, log) = contract_trial(trial, &[target]);
    assert_ne!(code, 0, "the fault fails the trial:\n{log}");
    let (code, log) = contract_trial(trial, &[target, ("SPECGATE_KNOWN", &known)]);
    assert_eq!(code, 0, "known, it passes:\n{log}");
    let broken = dir.path().join("broken.toml");
    std::fs::write(&broken, "[[known]]\nfingerprint = \"x\"\n").unwrap();
    let broken = broken.display().to_string();
    let (code, log) = contract_trial(trial, &[target, ("SPECGATE_KNOWN", &broken)]);
    assert_eq!(code, 2, "a malformed file stops the suite:\n{log}");
    assert!(log.contains(&format!("SPECGATE_KNOWN: {broken}:")), "{log}");
}

/// `specgate run` against `sandbox` with its drift baselines in `snapshots`, as CI runs it.
fn drift_run(
    sandbox: &TestSandbox,
    snapshots: &Path,
    extra: &[&str],
) -> (i32, serde_json::Value, String) {
    let report = snapshots.join("report.json");
    let report_arg = format!("json={}", report.display());
    let dir = snapshots.display().to_string();
    let mut args = vec![
        "run",
        "--base-url",
        &sandbox.base_url,
        "--examples",
        "0",
        "--snapshots",
        &dir,
        "--report",
        &report_arg,
    ];
    args.extend_from_slice(extra);
    let output = specgate(&args, &[("CI", "true")]);
    let console = format!("{}{}", text(&output.stdout), text(&output.stderr));
    let json = std::fs::read_to_string(&report).unwrap_or_else(|_| panic!("{console}"));
    (
        output.status.code().unwrap_or(-1),
        serde_json::from_str(&json).unwrap(),
        console,
    )
}

#[test]
fn a_baseline_is_not_recorded_from_a_run_with_contract_findings_without_the_flag() {
    let snapshots = tempfile::tempdir().unwrap();
    let faulty = TestSandbox::start(&["server-error-long-string"]);
    let (code, report, console) = drift_run(&faulty, snapshots.path(), &["--update-snapshots"]);
    assert_eq!(code, 1, "{console}");
    assert!(
        console.contains("did not record the drift baseline of sessionlink-v2"),
        "{console}"
    );
    assert!(console.contains("--record-nonconformant"), "{console}");
    assert_eq!(report["summary"]["drift"][0]["status"], "refused");
    assert!(!snapshots.path().join("sessionlink-v2.snap").exists());
}

#[test]
fn a_baseline_recorded_from_a_faulty_server_grades_the_fix_as_fixed() {
    let snapshots = tempfile::tempdir().unwrap();
    let faulty = TestSandbox::start(&["server-error-long-string"]);
    let flags = ["--update-snapshots", "--record-nonconformant"];
    let (code, _, console) = drift_run(&faulty, snapshots.path(), &flags);
    assert_eq!(code, 1, "the findings still fail the run:\n{console}");
    let stored = std::fs::read_to_string(snapshots.path().join("sessionlink-v2.snap")).unwrap();
    assert!(stored.contains("\"nonconformant\""), "{stored}");
    assert!(stored.contains("\"valid 500\""), "{stored}");
    drop(faulty);

    let fixed = TestSandbox::start(&[]);
    let (code, report, console) = drift_run(&fixed, snapshots.path(), &[]);
    assert_eq!(code, 0, "{console}");
    let drift = &report["findings"][0];
    assert_eq!(drift["check"], "drift", "{report}");
    assert_eq!(drift["severity"], "fixed", "{report}");
    let diff = drift["diff"].as_str().unwrap();
    assert!(
        diff.contains("- valid: status 500 no longer returned [fixed]"),
        "{diff}"
    );
    assert!(
        !diff.contains("[breaking]") && !diff.contains("[warning]"),
        "{diff}"
    );
}

#[test]
fn the_sarif_report_validates_against_the_sarif_2_1_0_schema() {
    let dir = tempfile::tempdir().unwrap();
    let faulty = TestSandbox::start(&["reject-enum-value", "response-wrong-type"]);
    gate_run(&faulty, dir.path(), &[]);
    let file = known_add(dir.path());
    // Keep the enum-value finding known, so the report holds a suppressed result too.
    let only_enum: String = file
        .split("\n[[known]]")
        .filter(|entry| !entry.contains("response-schema"))
        .collect::<Vec<_>>()
        .join("\n[[known]]");
    std::fs::write(dir.path().join("known.toml"), only_enum).unwrap();
    let known = dir.path().join("known.toml").display().to_string();
    let sarif_path = dir.path().join("specgate.sarif");
    let sarif_arg = format!("sarif={}", sarif_path.display());
    let (code, report, console) = gate_run(
        &faulty,
        dir.path(),
        &["--known", &known, "--report", &sarif_arg],
    );
    assert_eq!(code, 1, "{console}");

    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif_path).unwrap()).unwrap();
    let mut schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string("tests/vendor/sarif/sarif-2.1.0-rtm.5.json").unwrap(),
    )
    .unwrap();
    // The published schema's `language` patterns (of `run` and `toolComponent`) have a stray
    // `]` that the jsonschema crate's meta-schema check refuses as a regex. specgate writes no
    // `language`, so those patterns are dropped here rather than edited in the vendored file.
    for owner in ["run", "toolComponent"] {
        let language = &mut schema["definitions"][owner]["properties"]["language"];
        assert!(language["pattern"].is_string(), "{owner}");
        language.as_object_mut().unwrap().remove("pattern");
    }
    let validator = jsonschema::draft4::new(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");

    let run = &sarif["runs"][0];
    let rules: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"response-schema") && rules.contains(&"rejects-valid"));
    let results = run["results"].as_array().unwrap();
    let failing = report["findings"].as_array().unwrap().len();
    assert_eq!(
        results.len(),
        failing + 1,
        "one result per grouped finding, known included"
    );
    for result in results {
        let fingerprint = result["partialFingerprints"]["specgateFingerprint/v1"]
            .as_str()
            .unwrap();
        let rule = result["ruleId"].as_str().unwrap();
        assert!(
            fingerprint.starts_with(&format!("{rule}:sessionlink-v2:")),
            "{result}"
        );
        let location = &result["locations"][0]["physicalLocation"];
        assert_eq!(
            location["artifactLocation"]["uri"],
            "cases/sessionlink-v2.toml"
        );
        let line = location["region"]["startLine"].as_u64().unwrap() as usize;
        let case_file = std::fs::read_to_string("cases/sessionlink-v2.toml").unwrap();
        assert!(
            case_file.lines().nth(line - 1).unwrap().starts_with("path"),
            "line {line}"
        );
    }
    let suppressed: Vec<&serde_json::Value> = results
        .iter()
        .filter(|r| r.get("suppressions").is_some())
        .collect();
    assert_eq!(suppressed.len(), 1);
    assert_eq!(suppressed[0]["ruleId"], "rejects-valid");
}

/// `specgate run` with the GitHub Actions variables set (`Some`) or removed (`None`).
fn run_as_github_step(sandbox: &TestSandbox, actions: Option<&str>, summary: &Path) -> String {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_specgate"));
    command
        .args([
            "run",
            "--base-url",
            &sandbox.base_url,
            "--examples",
            "0",
            "--drift",
            "off",
        ])
        .env("SPECGATE_API_KEY", KEY)
        .env("GITHUB_STEP_SUMMARY", summary)
        .env_remove("GITHUB_ACTIONS");
    if let Some(value) = actions {
        command.env("GITHUB_ACTIONS", value);
    }
    let output = command.output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    text(&output.stdout)
}

#[test]
fn annotations_and_the_job_summary_appear_only_under_github_actions() {
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.md");
    let faulty = TestSandbox::start(&["reject-enum-value"]);
    let earlier = "## an earlier step's summary\n";
    std::fs::write(&summary, earlier).unwrap();

    for outside in [None, Some("false"), Some("1")] {
        let stdout = run_as_github_step(&faulty, outside, &summary);
        assert!(!stdout.contains("::error"), "{outside:?}: {stdout}");
        assert_eq!(
            std::fs::read_to_string(&summary).unwrap(),
            earlier,
            "{outside:?}"
        );
    }

    let stdout = run_as_github_step(&faulty, Some("true"), &summary);
    let annotation = stdout
        .lines()
        .find(|l| l.starts_with("::error "))
        .unwrap_or_else(|| panic!("no annotation:\n{stdout}"));
    let case_file = std::fs::read_to_string("cases/sessionlink-v2.toml").unwrap();
    let line = case_file
        .lines()
        .position(|l| l.starts_with("path"))
        .unwrap()
        + 1;
    assert!(
        annotation.starts_with(&format!(
            "::error file=cases/sessionlink-v2.toml,line={line},title=specgate rejects-valid%3A"
        )),
        "{annotation}"
    );
    assert!(
        annotation.contains("%0Afingerprint: rejects-valid:sessionlink-v2:400 for enum-value"),
        "{annotation}"
    );
    let written = std::fs::read_to_string(&summary).unwrap();
    assert!(written.starts_with(earlier), "appended, not replaced");
    assert!(
        written[earlier.len()..].starts_with("# specgate contract report"),
        "{written}"
    );
    assert!(written.contains("rejects-valid:sessionlink-v2:400 for enum-value"));
}

/// A front for a sandbox that answers the first POST with a 500 and forwards everything
/// else: a server error that does not happen again.
struct FlakyFront {
    base_url: String,
    /// Serves the front; dropping it stops the front.
    _runtime: tokio::runtime::Runtime,
    _sandbox: TestSandbox,
}

#[derive(Clone)]
struct Upstream {
    base: String,
    client: reqwest::Client,
    first: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

async fn forward(
    axum::extract::State(upstream): axum::extract::State<Upstream>,
    request: axum::extract::Request,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 1 << 24).await.unwrap();
    let first = upstream
        .first
        .swap(false, std::sync::atomic::Ordering::SeqCst);
    if first && parts.method == axum::http::Method::POST {
        let headers = [(axum::http::header::CONTENT_TYPE, "application/json")];
        return (
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            headers,
            "{\"error\":\"blip\"}",
        )
            .into_response();
    }
    let url = format!("{}{}", upstream.base, parts.uri.path());
    let mut outbound = upstream
        .client
        .request(parts.method.clone(), url)
        .body(body);
    for (name, value) in parts
        .headers
        .iter()
        .filter(|(n, _)| *n != axum::http::header::HOST)
    {
        outbound = outbound.header(name, value);
    }
    let answer = outbound.send().await.unwrap();
    let status = answer.status();
    let headers = answer.headers().clone();
    let bytes = answer.bytes().await.unwrap();
    let mut response = (status, bytes).into_response();
    for name in [axum::http::header::CONTENT_TYPE, axum::http::header::ALLOW] {
        if let Some(value) = headers.get(&name) {
            response.headers_mut().insert(name, value.clone());
        }
    }
    response
}

impl FlakyFront {
    fn start() -> FlakyFront {
        let sandbox = TestSandbox::start(&[]);
        let origin = url::Url::parse(&sandbox.base_url).unwrap();
        let upstream = Upstream {
            base: origin[..url::Position::BeforePath].to_owned(),
            client: reqwest::Client::new(),
            first: std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true)),
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let port = listener.local_addr().unwrap().port();
        let app = axum::Router::new().fallback(forward).with_state(upstream);
        runtime.spawn(async move { axum::serve(listener, app).await });
        FlakyFront {
            base_url: format!("http://127.0.0.1:{port}{}", origin.path()),
            _runtime: runtime,
            _sandbox: sandbox,
        }
    }
}

#[test]
fn a_finding_that_does_not_come_back_is_flaky_and_fails_only_under_strict() {
    let run = |extra: &[&str]| {
        let front = FlakyFront::start();
        let dir = tempfile::tempdir().unwrap();
        let report = dir.path().join("report.json");
        let report_arg = format!("json={}", report.display());
        let mut args = vec![
            "run",
            "--base-url",
            &front.base_url,
            "--examples",
            "0",
            "--drift",
            "off",
            "--report",
            &report_arg,
        ];
        args.extend_from_slice(extra);
        let output = specgate(&args, &[]);
        let console = format!("{}{}", text(&output.stdout), text(&output.stderr));
        let json: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(&report).unwrap_or_else(|_| panic!("{console}")),
        )
        .unwrap();
        (output.status.code().unwrap_or(-1), json, console)
    };
    let (code, report, console) = run(&[]);
    assert_eq!(code, 0, "{console}");
    assert_eq!(report["findings"], serde_json::json!([]), "{console}");
    let flaky = report["flaky"].as_array().unwrap();
    assert_eq!(flaky.len(), 1, "{console}");
    assert_eq!(flaky[0]["check"], "server-error");
    assert!(
        console.contains("flaky: 1 finding(s) not reproduced"),
        "{console}"
    );

    let (code, report, console) = run(&["--strict"]);
    assert_eq!(code, 1, "{console}");
    assert_eq!(report["flaky"].as_array().unwrap().len(), 1);
}

/// `specgate diff --base-url CANDIDATE --against REFERENCE`: (exit code, JSON report, output).
fn diff_run(candidate: &TestSandbox, reference: &TestSandbox) -> (i32, serde_json::Value, String) {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("diff.json");
    let report_arg = format!("json={}", report.display());
    let args = [
        "diff",
        "--base-url",
        &candidate.base_url,
        "--against",
        &reference.base_url,
        "--report",
        &report_arg,
    ];
    let output = specgate(&args, &[]);
    let console = format!("{}{}", text(&output.stdout), text(&output.stderr));
    let json = std::fs::read_to_string(&report).unwrap_or_else(|_| panic!("{console}"));
    (
        output.status.code().unwrap_or(-1),
        serde_json::from_str(&json).unwrap(),
        console,
    )
}

/// The request classes named by a report's drift diffs (`- invalid/null 400 /x: ...`).
fn classes_in_diffs(report: &serde_json::Value) -> std::collections::BTreeSet<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| {
            f["diff"]
                .as_str()
                .unwrap()
                .lines()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .map(|line| {
            let place = &line[2..];
            place.split([' ', ':']).next().unwrap().to_owned()
        })
        .collect()
}

/// The request classes of a run report's findings, named as the observed contract names them.
fn classes_of_findings(report: &serde_json::Value) -> std::collections::BTreeSet<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let family = f["reason"].as_str().unwrap().split(':').next().unwrap();
            match f["expect"].as_str().unwrap() {
                "accept" => "valid".to_owned(),
                "unauthorized" => "auth".to_owned(),
                _ => format!("invalid/{family}"),
            }
        })
        .collect()
}

#[test]
fn diff_reports_exactly_the_classes_a_fault_changes_and_nothing_between_faithful_targets() {
    let reference = TestSandbox::start(&[]);
    let twin = TestSandbox::start(&[]);
    let (code, report, console) = diff_run(&twin, &reference);
    assert_eq!(code, 0, "{console}");
    assert_eq!(report["findings"], serde_json::json!([]), "{console}");
    assert!(console.contains("SAME BEHAVIOUR"), "{console}");

    for fault in ["accept-wrong-type", "response-wrong-type"] {
        let faulty = TestSandbox::start(&[fault]);
        let dir = tempfile::tempdir().unwrap();
        // What the fault breaks, as the checks see it, is the oracle.
        let (_, run_report, _) = gate_run(&faulty, dir.path(), &[]);
        let expected = classes_of_findings(&run_report);
        assert!(!expected.is_empty(), "{fault}");
        let (code, report, console) = diff_run(&faulty, &reference);
        assert_eq!(code, 1, "{fault}: {console}");
        assert_eq!(classes_in_diffs(&report), expected, "{fault}: {console}");
        assert_eq!(report["findings"][0]["severity"], "breaking", "{fault}");
    }
}

#[test]
fn diff_grades_a_candidate_that_fixes_the_reference_as_fixed() {
    let broken_reference = TestSandbox::start(&["accept-wrong-type"]);
    let candidate = TestSandbox::start(&[]);
    let (code, report, console) = diff_run(&candidate, &broken_reference);
    assert_eq!(code, 0, "{console}");
    let diff = report["findings"][0]["diff"].as_str().unwrap();
    assert!(
        diff.contains("- invalid/wrong-type: status 200 no longer returned [fixed]"),
        "{diff}"
    );
    assert!(
        diff.lines()
            .all(|l| l.ends_with("[fixed]") || l.ends_with("[info]")),
        "what comes with the fix is only noted: {diff}"
    );
}

#[test]
fn merged_shard_reports_keep_the_known_failures_of_one_whole_run() {
    let dir = tempfile::tempdir().unwrap();
    let faulty = TestSandbox::start(&["reject-enum-value", "accept-wrong-type"]);
    gate_run(&faulty, dir.path(), &[]);
    let mut file = known_add(dir.path());
    file.push_str("\n[[known]]\nfingerprint = \"server-error:sessionlink-v2:500 for boundary\"\nreason = \"r\"\nowner = \"o\"\nlink = \"l\"\nexpires = 2999-12-31\n");
    std::fs::write(dir.path().join("known.toml"), &file).unwrap();
    let known = dir.path().join("known.toml").display().to_string();
    let (code, whole, _) = gate_run(&faulty, dir.path(), &["--known", &known]);
    assert_eq!(code, 0);

    let mut shards = Vec::new();
    for k in 1..=2 {
        let shard = format!("{k}/2");
        let (_, report, _) = gate_run(&faulty, dir.path(), &["--known", &known, "--shard", &shard]);
        let path = dir.path().join(format!("shard-{k}.json"));
        std::fs::write(&path, report.to_string()).unwrap();
        shards.push(path.display().to_string());
    }
    let merged_path = dir.path().join("merged.json");
    let merged_arg = format!("json={}", merged_path.display());
    let output = specgate(
        &[
            "report",
            "merge",
            &shards[0],
            &shards[1],
            "--report",
            &merged_arg,
        ],
        &[],
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stdout));
    let merged: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&merged_path).unwrap()).unwrap();
    let counts = |report: &serde_json::Value| -> Vec<(String, u64)> {
        report["known"]["known"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| {
                let fingerprint = k["entry"]["fingerprint"].as_str().unwrap().to_owned();
                (fingerprint, k["finding"]["count"].as_u64().unwrap())
            })
            .collect()
    };
    let mut expected = counts(&whole);
    expected.sort();
    assert_eq!(counts(&merged), expected);
    assert_eq!(merged["known"]["unmatched"], whole["known"]["unmatched"]);
    assert_eq!(merged["known"]["unmatched"].as_array().unwrap().len(), 1);
}

#[test]
fn the_sarif_report_reads_as_a_code_scanning_log() {
    let dir = tempfile::tempdir().unwrap();
    let faulty = TestSandbox::start(&["reject-enum-value", "response-null"]);
    let sarif_path = dir.path().join("specgate.sarif");
    let sarif_arg = format!("sarif={}", sarif_path.display());
    let (code, _, console) = gate_run(&faulty, dir.path(), &["--report", &sarif_arg]);
    assert_eq!(code, 1, "{console}");
    let port = url::Url::parse(&faulty.base_url).unwrap().port().unwrap();
    let sarif = std::fs::read_to_string(&sarif_path)
        .unwrap()
        .replace(&format!("127.0.0.1:{port}"), "127.0.0.1:PORT");
    insta::assert_snapshot!("sarif_report", sarif);
}

#[test]
fn a_known_failures_file_with_a_missing_key_says_what_an_entry_looks_like() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("known.toml");
    let entry = "[[known]]\nfingerprint = \"server-error:sessionlink-v2:500 for boundary\"\nreason = \"r\"\nlink = \"l\"\nexpires = 2027-01-31\n";
    std::fs::write(&path, entry).unwrap();
    let file = path.display().to_string();
    let output = specgate(
        &[
            "run",
            "--base-url",
            "http://127.0.0.1:9/v1",
            "--known",
            &file,
        ],
        &[],
    );
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr).replace(&file, "known.toml");
    insta::assert_snapshot!("known_file_missing_key", stderr);
}

#[test]
fn an_openapi_run_points_its_sarif_results_at_the_operation_in_the_document() {
    let dir = tempfile::tempdir().unwrap();
    let faulty = TestSandbox::start(&["reject-enum-value"]);
    let sarif_path = dir.path().join("specgate.sarif");
    let sarif_arg = format!("sarif={}", sarif_path.display());
    let document = "schemas/sessionlink-v2.openapi.yaml";
    let args = [
        "--openapi",
        document,
        "--base-url",
        &faulty.base_url,
        "--examples",
        "0",
        "--drift",
        "off",
        "--report",
        &sarif_arg,
    ];
    let mut full = vec!["run"];
    full.extend_from_slice(&args);
    let output = specgate(&full, &[]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif_path).unwrap()).unwrap();
    let location = &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], document);
    let line = location["region"]["startLine"].as_u64().unwrap() as usize;
    let text_of_document = std::fs::read_to_string(document).unwrap();
    let named = text_of_document.lines().nth(line - 1).unwrap();
    assert_eq!(
        named.trim(),
        "post:",
        "line {line} is the operation's method key"
    );
    let logical = &sarif["runs"][0]["results"][0]["locations"][0]["logicalLocations"][0];
    assert_eq!(
        logical["fullyQualifiedName"], "/paths/~1auth~1sessionlink-v2/post",
        "{sarif:#}"
    );
}
