//! The checks peers run that specgate gained with issue #21, each over real HTTP against the
//! built-in sandbox: found against the fault that commits it, silent against the faithful
//! sandbox, on `tests/data/orders` and on the release cases (`cases/`).
//!
//! - undeclared request media types: each JSON operation's first valid request is sent once
//!   more declared `Content-Type: text/plain`; 415 (or the documented invalid status)
//!   conforms, 2xx is `accepts-invalid`, 5xx `server-error`;
//! - `readOnly`/`writeOnly` (`tests/data/accounts.openapi.yaml`): valid requests leave the
//!   readOnly properties out, sending them does not make a request invalid, and a response
//!   that returns a writeOnly property is `response-schema`;
//! - a body on 204/205/304 or HEAD, read off the wire (an HTTP client drops those bytes):
//!   each operation documenting such an answer is sent once on a raw connection, and bytes
//!   after the headers are `response-schema` (`body on 204`).

use crate::common::*;
use serde_json::Value;
use std::path::Path;

const ORDERS: &str = "tests/data/orders";

/// The findings whose plan ids name the probe `family` (`case:family:detail`).
fn of_family(report: &Value, family: &str) -> Vec<Value> {
    let tag = format!(":{family}:");
    finding_members(report)
        .into_iter()
        .filter(|f| f["plan_id"].as_str().is_some_and(|id| id.contains(&tag)))
        .collect()
}

/// The probes of `family` the report counts, per case.
fn probes(report: &Value, family: &str) -> Vec<(String, u64)> {
    report["summary"]["coverage"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| {
            let n = c["probes"][family].as_u64()?;
            Some((c["case"].as_str().unwrap().to_owned(), n))
        })
        .collect()
}

fn orders_run(faults: &[&str]) -> (i32, Value, String) {
    let sandbox = TestSandbox::serving(Path::new(ORDERS), faults, KEY);
    run_orders_cases(&sandbox, "2", &[])
}

fn release_cases_run(faults: &[&str]) -> (i32, Value, String) {
    let sandbox = TestSandbox::start(faults);
    run_against(&sandbox, &["--drift", "off"])
}

const UNDECLARED: &str = "undeclared-content-type";

#[test]
fn the_faithful_sandbox_refuses_an_undeclared_content_type_on_orders() {
    let (code, report, console) = orders_run(&[]);
    assert_eq!(code, 0, "{console}");
    assert!(of_family(&report, UNDECLARED).is_empty(), "{report:#}");
    // Only the create takes a JSON body; the probe is counted, apart from the plan.
    assert_eq!(
        probes(&report, UNDECLARED),
        [("orders-create".to_owned(), 1)]
    );
}

#[test]
fn the_faithful_sandbox_refuses_an_undeclared_content_type_on_the_release_cases() {
    let (code, report, console) = release_cases_run(&[]);
    assert_eq!(code, 0, "{console}");
    assert!(of_family(&report, UNDECLARED).is_empty(), "{report:#}");
    let probed = probes(&report, UNDECLARED);
    assert!(
        !probed.is_empty() && probed.iter().all(|(_, n)| *n == 1),
        "{probed:?}"
    );
}

#[test]
fn a_server_that_reads_an_undeclared_content_type_accepts_invalid() {
    let (code, report, console) = orders_run(&["accept-undeclared-content-type"]);
    assert_eq!(code, 1, "{console}");
    let found = of_family(&report, UNDECLARED);
    assert_eq!(found.len(), 1, "{found:#?}");
    let finding = &found[0];
    assert_eq!(finding["check"], "accepts-invalid");
    assert_eq!(finding["case"], "orders-create");
    assert_eq!(finding["cause"], "201 to an undeclared Content-Type");
    assert_eq!(finding["response"]["status"], 201);
    // The same JSON bytes, declared as text: the curl line says so, with the key scrubbed.
    let curl = finding["curl"].as_str().unwrap();
    assert!(curl.contains("content-type: text/plain"), "{curl}");
    assert!(!curl.contains(KEY), "{curl}");
    let body: Value = serde_json::from_str(finding["request"]["body"].as_str().unwrap())
        .expect("the probe's body is the valid request's JSON");
    assert!(body.is_object(), "{body}");

    let (code, report, console) = release_cases_run(&["accept-undeclared-content-type"]);
    assert_eq!(code, 1, "{console}");
    let found = of_family(&report, UNDECLARED);
    assert!(!found.is_empty(), "{report:#}");
    assert!(
        found.iter().all(|f| f["check"] == "accepts-invalid"),
        "{found:#?}"
    );
}

#[test]
fn a_server_that_fails_on_an_undeclared_content_type_is_a_server_error() {
    let (code, report, console) = orders_run(&["server-error-undeclared-content-type"]);
    assert_eq!(code, 1, "{console}");
    let found = of_family(&report, UNDECLARED);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0]["check"], "server-error");
    assert_eq!(found[0]["cause"], "500 to an undeclared Content-Type");
    // Nothing else of the run fails: the fault touches only the probe.
    assert_eq!(finding_members(&report).len(), 1, "{report:#}");
}

const ACCOUNTS: &str = "tests/data/accounts.openapi.yaml";

/// The accounts document imported into a folder of its own: (folder, cases folder).
fn accounts_cases() -> (tempfile::TempDir, std::path::PathBuf) {
    let folder = tempfile::tempdir().unwrap();
    let document = specgate::openapi::read(Path::new(ACCOUNTS)).unwrap();
    let imported = specgate::openapi::write_cases(&document, folder.path(), None).unwrap();
    assert!(imported.problems.is_empty(), "{:?}", imported.problems);
    let cases = imported.cases_dir.clone();
    (folder, cases)
}

fn accounts_run(faults: &[&str]) -> (i32, Value, String) {
    let (_folder, cases) = accounts_cases();
    let sandbox = TestSandbox::serving(&cases, faults, KEY);
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let report_arg = format!("json={}", report.display());
    let cases_arg = cases.display().to_string();
    let args = [
        "run",
        "--cases",
        &cases_arg,
        "--base-url",
        &sandbox.base_url,
        "--examples",
        "20",
        "--drift",
        "off",
        "--report",
        &report_arg,
    ];
    let output = specgate(&args, &[]);
    let console = format!("{}{}", text(&output.stdout), text(&output.stderr));
    let report = std::fs::read_to_string(&report).unwrap_or_else(|_| panic!("{console}"));
    (
        output.status.code().unwrap_or(-1),
        serde_json::from_str(&report).unwrap(),
        console,
    )
}

#[test]
fn valid_requests_leave_read_only_properties_out_and_keep_write_only_ones() {
    let output = specgate(&["plan", "--openapi", ACCOUNTS, "--examples", "30"], &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let plan: Vec<Value> = text(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let valid: Vec<&Value> = plan.iter().filter(|r| r["expect"] == "accept").collect();
    assert!(valid.len() > 10, "{plan:#?}");
    for request in &valid {
        let body = &request["body"];
        assert!(
            body.get("id").is_none() && body.get("createdAt").is_none(),
            "{request}"
        );
        assert!(
            body["password"].is_string(),
            "required in requests: {request}"
        );
    }
}

#[test]
fn read_only_properties_sent_do_not_make_a_valid_request_invalid() {
    let (_folder, cases) = accounts_cases();
    let operations = specgate::contract::load_cases(&cases).unwrap();
    let create = &operations[0];
    let without = serde_json::json!({"login": "ada", "password": "correct horse"});
    let mut with = without.clone();
    with["id"] = "acc_0123abcd".into();
    with["createdAt"] = "2026-12-05T06:00:00Z".into();
    for body in [&without, &with] {
        assert!(create.request_schema.validator().is_valid(body), "{body}");
    }
    // The faithful sandbox, which validates with its own calls, takes both.
    let sandbox = TestSandbox::serving(&cases, &[], KEY);
    let url = format!("{}/accounts", sandbox.base_url);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for body in [&without, &with] {
        let (status, returned) = runtime.block_on(async {
            let answer = reqwest::Client::new().post(&url).json(body).send().await;
            let answer = answer.unwrap();
            (
                answer.status().as_u16(),
                answer.json::<Value>().await.unwrap(),
            )
        });
        assert_eq!(status, 201, "{body}: {returned}");
        assert!(returned.get("password").is_none(), "{returned}");
        assert!(
            returned["id"].is_string() && returned["createdAt"].is_string(),
            "{returned}"
        );
    }
}

#[test]
fn the_faithful_sandbox_returns_no_write_only_property() {
    let (code, report, console) = accounts_run(&[]);
    assert_eq!(code, 0, "{console}");
    assert!(finding_members(&report).is_empty(), "{report:#}");
}

#[test]
fn a_write_only_property_returned_is_a_response_schema_finding() {
    let (code, report, console) = accounts_run(&["write-only-returned"]);
    assert_eq!(code, 1, "{console}");
    let found = finding_members(&report);
    assert!(!found.is_empty(), "{report:#}");
    for finding in &found {
        assert_eq!(finding["check"], "response-schema", "{finding:#}");
        assert_eq!(finding["cause"], "/password forbidden", "{finding:#}");
        let message = finding["message"].as_str().unwrap();
        assert!(message.contains("writeOnly"), "{message}");
    }
}

const NO_CONTENT: &str = "body-on-no-content";

#[test]
fn the_faithful_sandbox_ends_each_204_at_its_headers() {
    let (code, report, console) = orders_run(&[]);
    assert_eq!(code, 0, "{console}");
    assert!(of_family(&report, NO_CONTENT).is_empty(), "{report:#}");
    // Only the DELETE documents a 204: it is read raw once, on an order made for it.
    assert_eq!(
        probes(&report, NO_CONTENT),
        [("orders-delete".to_owned(), 1)]
    );
    // The release cases document no answer without a body: nothing is probed.
    let (code, report, console) = release_cases_run(&[]);
    assert_eq!(code, 0, "{console}");
    assert!(probes(&report, NO_CONTENT).is_empty(), "{report:#}");
}

#[test]
fn a_body_sent_after_a_204_is_read_off_the_wire_and_found() {
    let (code, report, console) = orders_run(&["body-on-no-content"]);
    assert_eq!(code, 1, "{console}");
    let found = of_family(&report, NO_CONTENT);
    assert_eq!(found.len(), 1, "{found:#?}");
    let finding = &found[0];
    assert_eq!(finding["check"], "response-schema");
    assert_eq!(finding["case"], "orders-delete");
    assert_eq!(finding["cause"], "body on 204");
    assert_eq!(finding["response"]["status"], 204);
    assert_eq!(finding["response"]["body"], r#"{"deleted":true}"#);
    let message = finding["message"].as_str().unwrap();
    assert!(message.contains("16 bytes after them"), "{message}");
    assert!(
        !finding["curl"].as_str().unwrap().contains(KEY),
        "{finding:#}"
    );
}

/// Issue #21's last "done when": the README's first screen (its first 40 lines) leads a
/// team with a document to the OpenAPI path, and the two set-up commands stay as they were.
#[test]
fn the_readmes_first_screen_shows_the_openapi_path_and_the_two_set_up_commands() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let first_screen: Vec<&str> = readme.lines().take(40).collect();
    let first_screen = first_screen.join("\n");
    assert!(
        first_screen.contains("(#start-from-your-openapi-document)"),
        "{first_screen}"
    );
    assert!(readme.contains("\n## Start from your OpenAPI document\n"));
    for command in [
        "cargo run --release -- run     # the main job",
        "cargo test                     # the test suite",
    ] {
        assert!(first_screen.contains(command), "{command}\n{first_screen}");
    }
    let openapi = readme.find("## Start from your OpenAPI document").unwrap();
    // Hand-written case files come after it.
    let case_files = readme
        .find("## Adding an operation")
        .expect("the case-file section");
    assert!(openapi < case_files, "the OpenAPI path comes first");
}
