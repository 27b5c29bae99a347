//! `method-not-allowed`: after the plan, each path of the run is sent each of GET, PUT,
//! POST, DELETE and PATCH it does not document, once. Against the orders API (GET and POST
//! `/orders`, GET and DELETE `/orders/{id}`) that is exactly six probes; the faithful sandbox
//! answers each 405 with the path's methods in `Allow`, and each fault is found.

use crate::common::*;
use serde_json::Value;
use std::path::Path;

const ORDERS: &str = "tests/data/orders";

/// The `method-not-allowed` findings of a run against the orders API with `faults`, each
/// folded finding replaced by its members.
fn method_findings(faults: &[&str], extra: &[&str]) -> (i32, Vec<Value>, String) {
    let sandbox = TestSandbox::serving(Path::new(ORDERS), faults, KEY);
    let (code, report, console) = run_orders_cases(&sandbox, "2", extra);
    let findings = finding_members(&report)
        .into_iter()
        .filter(|f| f["check"] == "method-not-allowed")
        .collect();
    (code, findings, console)
}

/// The probed methods a finding's examples name (`case:method-not-allowed:METHOD`).
fn methods(finding: &Value) -> Vec<String> {
    let mut methods: Vec<String> = finding["examples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| id.as_str().unwrap().rsplit(':').next().unwrap().to_owned())
        .collect();
    methods.sort();
    methods
}

#[test]
fn a_faithful_sandbox_answers_every_undocumented_method_with_405_and_its_allow() {
    let (code, findings, console) = method_findings(&[], &[]);
    assert_eq!(code, 0, "{console}");
    assert!(findings.is_empty(), "{findings:#?}");
}

#[test]
fn a_500_to_each_undocumented_method_is_found_once_per_path_and_method() {
    let (code, findings, console) = method_findings(&["undocumented-method-500"], &[]);
    assert_eq!(code, 1, "{console}");
    let by_case: Vec<(&str, Vec<String>, u64)> = findings
        .iter()
        .map(|f| {
            assert_eq!(f["cause"], "500 to an undocumented method", "{f:#}");
            assert_eq!(f["response"]["status"], 500);
            assert!(f["curl"].as_str().unwrap().contains(" -X "), "{f:#}");
            (
                f["case"].as_str().unwrap(),
                methods(f),
                f["count"].as_u64().unwrap(),
            )
        })
        .collect();
    // Each path is probed through its GET; HEAD and OPTIONS never.
    assert_eq!(
        by_case,
        [
            (
                "orders-get",
                vec!["PATCH".into(), "POST".into(), "PUT".into()],
                3
            ),
            (
                "orders-list",
                vec!["DELETE".into(), "PATCH".into(), "PUT".into()],
                3
            ),
        ],
        "{findings:#?}"
    );
    // The probe names a resource the server has and sends no body.
    let get = &findings[0];
    assert!(
        get["request"]["url"]
            .as_str()
            .unwrap()
            .contains("/orders/ord_"),
        "{get:#}"
    );
    assert_eq!(get["request"]["body"], "");
}

#[test]
fn an_allow_header_of_another_route_is_found_where_it_is_wrong_only() {
    let (code, findings, console) = method_findings(&["allow-one-route"], &[]);
    assert_eq!(code, 1, "{console}");
    // The first operation's path is `/orders` (create): its own 405s are right.
    assert_eq!(findings.len(), 1, "{findings:#?}");
    let finding = &findings[0];
    assert_eq!(finding["case"], "orders-get");
    assert_eq!(
        finding["cause"],
        "405 whose Allow leaves out documented methods"
    );
    assert_eq!(methods(finding), ["PATCH", "POST", "PUT"]);
    let message = finding["message"].as_str().unwrap();
    assert!(message.contains("leaves out DELETE"), "{message}");
    assert!(
        message.contains("lists POST, not documented here"),
        "{message}"
    );
}

/// An operation left out of the run is still documented: its method is never probed as
/// undocumented, and `Allow` may name it.
#[test]
fn operations_left_out_of_the_run_are_not_probed_as_undocumented() {
    let (code, findings, console) =
        method_findings(&["undocumented-method-500"], &["--operation", "orders-get"]);
    assert_eq!(code, 1, "{console}");
    assert_eq!(findings.len(), 1, "{findings:#?}");
    // DELETE /orders/{id} is documented (by orders-delete, not selected): not sent.
    assert_eq!(methods(&findings[0]), ["PATCH", "POST", "PUT"]);
    let (code, findings, console) = method_findings(&[], &["--operation", "orders-get"]);
    assert_eq!(code, 0, "{console}");
    assert!(findings.is_empty(), "{findings:#?}");
}
