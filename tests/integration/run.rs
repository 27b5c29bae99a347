//! `specgate run` over real HTTP: against the built-in sandbox it is conformant with full
//! coverage; against each sandbox fault it exits 1 with a finding of the matching check.

use crate::common::*;
use serde_json::Value;

#[test]
fn the_builtin_sandbox_is_conformant_with_full_coverage() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let output = specgate(
        &[
            "run",
            "--examples",
            "20",
            "--report",
            &format!("json={}", report.display()),
        ],
        &[("CI", "true")],
    );
    let console = format!("{}{}", text(&output.stdout), text(&output.stderr));
    assert_eq!(output.status.code(), Some(0), "{console}");
    assert!(
        console.contains("testing the built-in sandbox"),
        "{console}"
    );
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(
        report["findings"].as_array().unwrap().len(),
        0,
        "{report:#}"
    );
    for coverage in report["summary"]["coverage"].as_array().unwrap() {
        assert!(coverage["enum_values_total"].as_u64().unwrap() > 0);
        assert_eq!(
            coverage["enum_values_covered"], coverage["enum_values_total"],
            "{coverage}"
        );
        assert_eq!(
            coverage["required_subsets_covered"], coverage["required_subsets_total"],
            "{coverage}"
        );
    }
    assert_eq!(
        report["summary"]["drift"][0]["status"], "matched",
        "{report:#}"
    );
}

/// Faults with tests of their own: they need a parameter or a particular client setting.
/// The keyword faults need limits, patterns and closed objects sessionlink-v2 does not have:
/// tests/integration/keywords.rs runs each against a case that has them.
const TESTED_APART: &[&str] = &[
    "slow-response",
    "redirect-cross-origin",
    "rate-limit",
    "accept-length-off-by-one",
    "accept-out-of-range",
    "accept-pattern-miss",
    "accept-unknown-field",
    "accept-too-many-items",
    "accept-duplicate-items",
    "accept-one-of-two",
    "reject-date-time-form",
    // Parameters, error schemas and a DELETE, which sessionlink-v2 does not have:
    // tests/integration/operations.rs runs each against the orders API.
    "server-error-path-param",
    "accept-query-off-by-one",
    "error-body-off-schema",
    "error-as-html",
    "undocumented-status-on",
    // Caught by none: tests/integration/connections.rs proves it costs no finding.
    "close-after-5xx",
    // Resources made and deleted: tests/integration/operations.rs runs each against the
    // orders API, whose create, get and delete share them.
    "deleted-still-served",
    "created-not-stored",
    // Wrong only where paths differ: sessionlink-v2 has one path.
    // tests/integration/undocumented_methods.rs runs it against the orders API.
    "allow-one-route",
    // sessionlink-v2 marks no property writeOnly: tests/integration/peer_checks.rs runs it
    // against tests/data/accounts.openapi.yaml.
    "write-only-returned",
    // sessionlink-v2 documents no 204: tests/integration/peer_checks.rs runs it against the
    // orders API, whose DELETE answers 204.
    "body-on-no-content",
    // A finding only where the operation does not document the status: sessionlink-v2 has no
    // ids. tests/integration/state.rs runs it against tests/data/gadgets-unknown-ids.openapi.yaml,
    // whose get documents 403 and whose replace documents 409, and tests/data/pages.
    "unknown-id-status",
    // A finding only where no create succeeds or 409 is undocumented: sessionlink-v2 repeats
    // no create. tests/integration/state.rs runs it against tests/data/gizmos-unique.openapi.yaml.
    "unique-create",
];

#[test]
fn every_sandbox_fault_is_caught_by_the_check_its_catalogue_names() {
    let checks_by_name: Vec<&str> = specgate::check::Check::ALL
        .iter()
        .map(|c| c.name())
        .collect();
    let mut missed = Vec::new();
    let mut tried = 0;
    for fault in specgate::sandbox::Fault::catalogue() {
        if TESTED_APART.contains(&fault.name) {
            continue;
        }
        assert!(
            checks_by_name.contains(&fault.category),
            "{}: `{}` is not a check",
            fault.name,
            fault.category
        );
        let sandbox = TestSandbox::start(&[fault.name]);
        // A new field is `info` drift, below the default --drift-fail-on warning.
        let gate: &[&str] = if fault.name == "drift-new-field" {
            &["--drift-fail-on", "info"]
        } else {
            &[]
        };
        let (code, report, console) = run_against(&sandbox, gate);
        tried += 1;
        if code != 1 || !checks(&report).iter().any(|c| c == fault.category) {
            missed.push(format!(
                "{}: exit {code}, checks {:?}\n{console}",
                fault.name,
                checks(&report)
            ));
        }
    }
    assert!(tried >= 17, "only {tried} faults tried");
    assert!(
        missed.is_empty(),
        "faults not caught:\n{}",
        missed.join("\n")
    );
}

#[test]
fn a_slow_answer_is_a_transport_finding_not_a_hang() {
    let sandbox = TestSandbox::start(&["slow-response=5000"]);
    let started = std::time::Instant::now();
    let (code, report, console) = run_against(&sandbox, &["--timeout-ms", "300", "--drift", "off"]);
    assert_eq!(code, 1, "{console}");
    let transport: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["check"] == "transport")
        .collect();
    assert!(!transport.is_empty(), "{report:#}");
    assert!(
        transport[0]["message"]
            .as_str()
            .unwrap()
            .contains("timeout"),
        "{report:#}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
}

#[test]
fn drift_findings_show_a_graded_readable_diff() {
    let cases = [
        ("drift-new-field", "info", "new field"),
        ("drift-status-value", "warning", "new value \"CREATED\""),
        (
            "drift-dropped-field",
            "breaking",
            "was always present, now missing",
        ),
    ];
    for (fault, severity, words) in cases {
        let sandbox = TestSandbox::start(&[fault]);
        let (code, report, console) = run_against(&sandbox, &["--drift-fail-on", "info"]);
        assert_eq!(code, 1, "{fault}: {console}");
        let drift = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["check"] == "drift");
        let drift = drift.unwrap_or_else(|| panic!("{fault}: no drift finding\n{report:#}"));
        let diff = drift["diff"].as_str().unwrap();
        assert!(diff.contains(words), "{fault}: {diff}");
        assert!(diff.contains(&format!("[{severity}]")), "{fault}: {diff}");
        assert!(
            console.contains(words),
            "{fault}: the console shows the diff too\n{console}"
        );
    }
}

#[test]
fn drift_below_the_threshold_is_reported_without_failing() {
    let sandbox = TestSandbox::start(&["drift-new-field"]);
    let (code, report, console) = run_against(&sandbox, &[]);
    assert_eq!(
        code, 0,
        "info drift is below the default --drift-fail-on warning: {console}"
    );
    assert_eq!(checks(&report), vec!["drift"]);
    assert!(console.contains("CONFORMANT"), "{console}");
    let (code, _, console) = run_against(&sandbox, &["--drift", "warn", "--drift-fail-on", "info"]);
    assert_eq!(code, 0, "--drift warn never fails: {console}");
}

#[test]
fn a_throttling_target_is_waited_out_and_retried() {
    let sandbox = TestSandbox::start(&["rate-limit"]);
    let (code, report, console) = run_against(&sandbox, &["--drift", "off"]);
    assert_eq!(code, 0, "{console}");
    let summary = &report["summary"];
    assert!(
        summary["requests"].as_u64() > summary["planned"].as_u64(),
        "retries are counted: {summary}"
    );
}

#[test]
fn the_key_is_not_sent_across_origins_on_redirect() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let elsewhere = format!(
        "redirect-cross-origin=http://localhost:{}/steal",
        listener.local_addr().unwrap().port()
    );
    let sandbox = TestSandbox::start(&[&elsewhere]);
    let (code, report, console) = run_against(&sandbox, &["--drift", "off"]);
    assert_eq!(code, 1, "{console}");
    let rejects = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == "rejects-valid");
    assert_eq!(rejects.unwrap()["response"]["status"], 307, "{report:#}");
    assert!(
        listener.accept().is_err(),
        "nothing may connect to the other origin"
    );
}

#[test]
fn max_requests_is_a_hard_cap() {
    let sandbox = TestSandbox::start(&[]);
    let (code, report, console) = run_against(&sandbox, &["--max-requests", "40"]);
    assert_eq!(code, 0, "{console}");
    assert_eq!(report["summary"]["requests"], 40);
    assert_eq!(report["summary"]["capped"], true);
}

#[test]
fn rate_paces_the_requests() {
    let sandbox = TestSandbox::start(&[]);
    let (_, report, console) = run_against(
        &sandbox,
        &["--max-requests", "30", "--rate", "100", "--drift", "off"],
    );
    // 30 requests at 100/s cannot take less than ~0.29 s whatever the machine.
    assert!(
        report["summary"]["elapsed_s"].as_f64().unwrap() >= 0.28,
        "{console}"
    );
}

#[test]
fn an_unreachable_target_exits_3_without_a_report() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let output = specgate(
        &["run", "--base-url", &format!("http://127.0.0.1:{port}/v1")],
        &[],
    );
    assert_eq!(output.status.code(), Some(3), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("could not be reached"));
}

#[test]
fn bad_flags_exit_2_before_any_request() {
    /// (arguments, environment, words the message must contain)
    type BadInput<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);
    let cases: &[BadInput] = &[
        (
            &["run", "--base-url", "http://partner.example/v1"],
            &[],
            "--allow-insecure",
        ),
        (&["run", "--base-url", "not a url"], &[], "--base-url"),
        (
            &["run", "--base-url", "https://partner.example/v1"],
            &[("SPECGATE_API_KEY", "")],
            "SPECGATE_API_KEY",
        ),
        (
            &["run", "--report", "pdf=x.pdf"],
            &[],
            "unknown report format",
        ),
        (&["run", "--shard", "3/2"], &[], "shard"),
        (&["run", "--cases", "no-such-folder"], &[], "no-such-folder"),
    ];
    for (args, envs, words) in cases {
        let output = specgate(args, envs);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(words), "{args:?}: {stderr}");
    }
}

#[test]
fn the_base_url_keeps_its_path() {
    let sandbox = TestSandbox::start(&[]);
    let with_slash = format!("{}/", sandbox.base_url.trim_end_matches('/'));
    let (code, _, console) = run_against(
        &sandbox,
        &["--base-url", &with_slash, "--max-requests", "20"],
    );
    assert_eq!(code, 0, "a trailing slash changes nothing: {console}");
}

#[test]
fn fail_fast_stops_at_the_first_finding() {
    let sandbox = TestSandbox::start(&["accept-missing-required"]);
    let (code, report, console) = run_against(&sandbox, &["--fail-fast", "--examples", "1000"]);
    assert_eq!(code, 1, "{console}");
    assert_eq!(report["summary"]["stopped_early"], true);
    let planned = report["summary"]["planned"].as_u64().unwrap();
    assert!(
        planned < 2734,
        "stopped before the plan was done: {planned}"
    );
}

#[test]
fn progress_is_a_plain_line_per_tenth_when_stderr_is_not_a_terminal() {
    let sandbox = TestSandbox::start(&[]);
    // Paced so the run lasts long enough for the progress display to tick.
    let (_, _, console) = run_against(&sandbox, &["--rate", "1500", "--drift", "off"]);
    let lines: Vec<&str> = console
        .lines()
        .filter(|l| l.starts_with("specgate: ") && l.contains("% ("))
        .collect();
    assert!(lines.len() >= 3, "{console}");
    assert!(
        lines
            .iter()
            .all(|l| l.contains("requests,") && l.contains("findings)")),
        "{lines:?}"
    );
    assert!(
        !console.contains('\u{1b}'),
        "no terminal escapes when not on a terminal"
    );
}

#[test]
fn an_unknown_insta_update_is_a_usage_error_and_nothing_is_sent() {
    // A bare listener: anything specgate sent, even a preflight connect, would be waiting here.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base_url = format!("http://{}/v1", listener.local_addr().unwrap());
    let output = specgate(
        &["run", "--base-url", &base_url, "--examples", "1"],
        &[("INSTA_UPDATE", "sometimes")],
    );
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("INSTA_UPDATE=\"sometimes\"")
            && stderr.contains("auto, always, new, unseen or no"),
        "{stderr}"
    );
    listener.set_nonblocking(true).unwrap();
    let accepted = listener.accept();
    assert!(
        matches!(&accepted, Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "no connection may be made: {accepted:?}"
    );
}
