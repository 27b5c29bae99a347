//! Operations beyond one JSON-body POST: a multi-operation API (tests/data/orders) with path,
//! query and header parameters, a body-less GET and DELETE, bearer auth and documented error
//! bodies. The sandbox serving it faithfully is conformant; each parameter-level fault is
//! found by the check it names, for the operation it hits.

use crate::common::*;
use serde_json::Value;
use std::path::Path;

const ORDERS: &str = "tests/data/orders";

/// Serve the orders API with `faults` and run against it: (exit code, the JSON report's
/// findings as (check, case)).
fn run(faults: &[&str]) -> (i32, Vec<(String, String)>, String) {
    let sandbox = TestSandbox::serving(Path::new(ORDERS), faults, KEY);
    let (code, report, console) = run_orders_cases(&sandbox, "10", &[]);
    // A cause several operations share is one finding listing each of them.
    let findings = finding_members(&report)
        .into_iter()
        .map(|f| {
            (
                f["check"].as_str().unwrap().to_owned(),
                f["case"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    (code, findings, console)
}

#[test]
fn a_faithful_sandbox_of_a_multi_operation_api_is_conformant() {
    let (code, findings, console) = run(&[]);
    assert_eq!(code, 0, "{console}");
    assert!(findings.is_empty(), "{findings:?}");
    assert!(!console.contains(KEY), "the token leaked: {console}");
}

#[test]
fn each_parameter_fault_is_found_by_its_check_for_the_operation_it_hits() {
    let expectations: [(&str, &str, &[&str]); 8] = [
        (
            "server-error-path-param",
            "server-error",
            &["orders-get", "orders-delete"],
        ),
        (
            "accept-query-off-by-one",
            "accepts-invalid",
            &["orders-list"],
        ),
        (
            "error-body-off-schema",
            "response-schema",
            &[
                "orders-create",
                "orders-list",
                "orders-get",
                "orders-delete",
            ],
        ),
        (
            "error-as-html",
            "content-type",
            &[
                "orders-create",
                "orders-list",
                "orders-get",
                "orders-delete",
            ],
        ),
        (
            "auth-skipped-on=orders-get",
            "auth-not-enforced",
            &["orders-get"],
        ),
        (
            "undocumented-status-on=DELETE",
            "status-undocumented",
            &["orders-delete"],
        ),
        // State: the orders a create makes are the ones GET and DELETE /orders/{id} name.
        (
            "deleted-still-served",
            "use-after-free",
            &["orders-get", "orders-delete"],
        ),
        (
            "created-not-stored",
            "resource-unavailable",
            &["orders-get", "orders-delete"],
        ),
    ];
    for (fault, check, cases) in expectations {
        let (code, findings, console) = run(&[fault]);
        assert_eq!(code, 1, "{fault}: {console}");
        let hit: std::collections::BTreeSet<&str> = findings
            .iter()
            .filter(|(c, _)| c == check)
            .map(|(_, case)| case.as_str())
            .collect();
        let wanted: std::collections::BTreeSet<&str> = cases.iter().copied().collect();
        assert_eq!(hit, wanted, "{fault}: findings {findings:?}");
        assert!(
            findings.iter().all(|(c, _)| c == check),
            "{fault} caused findings of other checks: {findings:?}"
        );
    }
}

/// The plan as JSON lines.
fn plan() -> Vec<Value> {
    let output = specgate(&["plan", "--cases", ORDERS, "--examples", "5"], &[]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    text(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn parameters_travel_where_they_are_declared() {
    let plan = plan();
    let line = |id: &str| {
        plan.iter()
            .find(|l| l["id"] == id)
            .unwrap_or_else(|| panic!("no {id} in the plan"))
            .clone()
    };
    let limit = line("orders-list:above-maximum:/query/limit");
    assert_eq!(limit["target"], "/orders?limit=51");
    assert_eq!(limit["expect"], "reject");
    let known = line("orders-get:required-only");
    assert_eq!(
        known["target"], "/orders/ord_1",
        "valid ids are the known ones"
    );
    assert!(known.get("body").is_none() && known["headers"].get("content-type").is_none());
    let unknown = line("orders-get:unknown-id:/path/id");
    assert_eq!(
        unknown["expect"], "accept",
        "a well-formed id is valid; its 404 conforms"
    );
    let id = unknown["target"]
        .as_str()
        .unwrap()
        .trim_start_matches("/orders/");
    assert!(
        id.starts_with("ord_") && id != "ord_1" && id != "ord_2",
        "{id}"
    );
    let header = line("orders-create:max-length+1:/header/Idempotency-Key");
    assert_eq!(
        header["headers"]["idempotency-key"].as_str().unwrap().len(),
        65
    );
    let edges: Vec<&str> = plan
        .iter()
        .filter(|l| {
            l["reason"]
                .as_str()
                .unwrap()
                .starts_with("url-edge: /query/q=")
        })
        .map(|l| l["target"].as_str().unwrap())
        .collect();
    for encoded in [
        "q=a%20b",
        "q=a%2Fb",
        "q=a%3Fb",
        "q=a%23b",
        "q=100%25",
        "q=Zo%C3%AB",
        "q=",
    ] {
        assert!(
            edges.iter().any(|t| t.contains(encoded)),
            "{encoded} not in {edges:?}"
        );
    }
}

#[test]
fn every_enum_value_of_a_query_array_is_sent_and_the_body_less_operations_send_no_body() {
    let plan = plan();
    for status in ["pending", "shipped", "cancelled"] {
        let wanted = format!("/orders?status={status}");
        assert!(
            plan.iter().any(|l| l["case"] == "orders-list"
                && l["expect"] == "accept"
                && l["target"] == wanted),
            "{wanted}"
        );
    }
    for line in plan
        .iter()
        .filter(|l| l["case"] == "orders-get" || l["case"] == "orders-delete")
    {
        assert!(
            line.get("body").is_none() && line.get("raw_body").is_none(),
            "{line}"
        );
    }
}

#[test]
fn a_path_template_without_its_parameter_is_refused_at_load() {
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(
        folder.path().join("broken.toml"),
        "name = \"broken\"\nmethod = \"GET\"\npath = \"/orders/{id}\"\n\n[responses.200]\n\n[expect]\nvalid = [\"200\"]\ninvalid = [\"400\"]\n",
    )
    .unwrap();
    let cases = folder.path().display().to_string();
    let output = specgate(&["plan", "--cases", &cases], &[]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("broken.toml") && stderr.contains("`{id}`"),
        "{stderr}"
    );
}

/// A case folder with one GET whose key travels in the query string (`?api_key=`), and the
/// orders API's list, which reads its token from another variable.
fn query_key_cases() -> tempfile::TempDir {
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(
        folder.path().join("stock.toml"),
        r#"name = "stock"
method = "GET"
path = "/stock"

[auth]
scheme = "query"
query = "api_key"
env = "STOCK_KEY"

[[parameters]]
name = "sku"
in = "query"
required = true
schema = { type = "string", pattern = "^[A-Z]{3}-[0-9]{2}$" }

[responses.200]

[expect]
valid = ["200"]
invalid = ["400"]
"#,
    )
    .unwrap();
    let list = std::fs::read_to_string(Path::new(ORDERS).join("list.toml")).unwrap();
    std::fs::create_dir(folder.path().join("schemas")).unwrap();
    for schema in ["order-list.json", "error.json"] {
        std::fs::copy(
            Path::new(ORDERS).join("schemas").join(schema),
            folder.path().join("schemas").join(schema),
        )
        .unwrap();
    }
    std::fs::write(folder.path().join("list.toml"), list).unwrap();
    folder
}

#[test]
fn a_key_in_the_query_and_a_key_per_variable_are_sent_checked_and_never_written() {
    let folder = query_key_cases();
    let cases = folder.path().display().to_string();
    let run = |faults: &[&str], envs: &[(&str, &str)]| {
        let sandbox = TestSandbox::serving(folder.path(), faults, KEY);
        run_writing_all(folder.path(), &sandbox.base_url, &[], envs)
    };
    let both = [("STOCK_KEY", KEY), ("ORDERS_TOKEN", KEY)];
    let (code, written) = run(&[], &both);
    assert_eq!(code, 0, "{written}");
    assert!(!written.contains(KEY), "the key leaked: {written}");

    let (code, written) = run(&["auth-skipped-on=stock"], &both);
    assert_eq!(code, 1, "{written}");
    assert!(written.contains("[auth-not-enforced] stock"), "{written}");
    assert!(!written.contains(KEY), "the key leaked: {written}");

    let (code, written) = run(&[], &[("STOCK_KEY", KEY)]);
    assert_eq!(code, 2, "{written}");
    assert!(
        written.contains("ORDERS_TOKEN") && written.contains("orders-list"),
        "{written}"
    );

    let output = specgate(&["plan", "--cases", &cases, "--examples", "0"], &[]);
    let plan = text(&output.stdout);
    assert!(
        plan.contains("?sku=") && plan.contains("&api_key=${STOCK_KEY}"),
        "{plan}"
    );
    assert!(plan.contains("Bearer ${ORDERS_TOKEN}"), "{plan}");
}

#[test]
fn a_link_whose_producer_returns_no_id_stops_the_run_naming_both_operations() {
    let folder = tempfile::tempdir().unwrap();
    let copy = |from: &Path, to: &Path| {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            if entry.path().is_file() {
                std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
            }
        }
    };
    copy(Path::new(ORDERS), folder.path());
    copy(
        &Path::new(ORDERS).join("schemas"),
        &folder.path().join("schemas"),
    );
    let delete = folder.path().join("delete.toml");
    let case = std::fs::read_to_string(&delete)
        .unwrap()
        .replace("pointer = \"/id\"", "pointer = \"/receipt\"");
    std::fs::write(&delete, case).unwrap();
    let sandbox = TestSandbox::serving(folder.path(), &[], KEY);
    let cases = folder.path().display().to_string();
    let output = specgate(
        &[
            "run",
            "--cases",
            &cases,
            "--base-url",
            &sandbox.base_url,
            "--drift",
            "off",
        ],
        &[("ORDERS_TOKEN", KEY)],
    );
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("orders-delete")
            && stderr.contains("orders-create")
            && stderr.contains("/receipt"),
        "{stderr}"
    );
}

#[test]
fn a_key_in_the_query_string_is_not_repeated_by_transport_errors() {
    // A server that accepts each connection and closes it at once: every request is a
    // transport failure, whose client error would otherwise quote the URL, key and all.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            drop(stream);
        }
    });
    let folder = query_key_cases();
    // Only the operation whose key travels in the URL.
    std::fs::remove_file(folder.path().join("list.toml")).unwrap();
    let base_url = format!("http://127.0.0.1:{port}/v1");
    let (code, written) = run_writing_all(
        folder.path(),
        &base_url,
        &[],
        &[("STOCK_KEY", KEY), ("ORDERS_TOKEN", KEY)],
    );
    assert_ne!(code, 0, "{written}");
    assert!(
        written.contains("transport") || written.contains("circuit"),
        "{written}"
    );
    assert!(!written.contains(KEY), "the key leaked: {written}");
}
