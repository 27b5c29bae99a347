//! Resources and state: ids the run did not obtain from the server are unknown ids, not
//! invalid requests; a known id in another case (for a case-insensitive format) is the
//! same id; lifecycle sequences report every step.

use crate::common::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// tests/data/orders.openapi.yaml without its `links`.
const UNLINKED: &str = "tests/data/orders-unlinked.openapi.yaml";

const KNOWN_UUID: &str = "0b6f5d1e-3c7a-4f7e-9a57-1c2d3e4f5a6b";

/// A folder with one GET whose path id is a UUID with one known value.
fn uuid_cases() -> tempfile::TempDir {
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(
        folder.path().join("device.toml"),
        format!(
            r#"name = "device-get"
method = "GET"
path = "/devices/{{id}}"

[[parameters]]
name = "id"
in = "path"
schema = {{ type = "string", format = "uuid" }}
known = ["{KNOWN_UUID}"]

[responses.200]

[responses.404]

[expect]
valid = ["200"]
invalid = ["400", "404"]
"#
        ),
    )
    .unwrap();
    folder
}

fn plan_lines(cases: &str) -> Vec<Value> {
    let output = specgate(&["plan", "--cases", cases, "--examples", "20"], &[]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    text(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn a_well_formed_id_is_never_labelled_invalid_and_an_unknown_one_is_valid() {
    let folder = uuid_cases();
    let plan = plan_lines(&folder.path().display().to_string());
    let id = |line: &Value| {
        line["target"]
            .as_str()
            .unwrap()
            .trim_start_matches("/devices/")
            .to_owned()
    };
    let uuid = jsonschema::options()
        .should_validate_formats(true)
        .build(&serde_json::json!({"type": "string", "format": "uuid"}))
        .unwrap();
    let well_formed = |id: &str| uuid.is_valid(&Value::String(id.to_owned()));
    for line in plan.iter().filter(|l| l["expect"] == "reject") {
        assert!(
            !well_formed(&id(line)),
            "a well-formed id is labelled invalid: {line}"
        );
    }
    let unknown = plan
        .iter()
        .find(|l| l["reason"] == "unknown-id: /path/id")
        .expect("an unknown-id request");
    assert_eq!(unknown["expect"], "accept", "{unknown}");
    assert!(!id(unknown).eq_ignore_ascii_case(KNOWN_UUID), "{unknown}");
    let valid: Vec<String> = plan
        .iter()
        .filter(|l| l["expect"] == "accept" && l["reason"] != "unknown-id: /path/id")
        .map(id)
        .collect();
    assert!(!valid.is_empty());
    assert!(
        valid.iter().all(|v| v == KNOWN_UUID),
        "valid requests name the known id: {valid:?}"
    );
}

#[test]
fn an_unknown_id_answered_with_its_documented_404_is_conformant() {
    let folder = uuid_cases();
    let sandbox = TestSandbox::serving(folder.path(), &[], KEY);
    let cases = folder.path().display().to_string();
    let report = folder.path().join("report.json");
    let report_arg = format!("json={}", report.display());
    let output = specgate(
        &[
            "run",
            "--cases",
            &cases,
            "--base-url",
            &sandbox.base_url,
            "--drift",
            "off",
            "--report",
            &report_arg,
        ],
        &[],
    );
    let console = format!("{}{}", text(&output.stdout), text(&output.stderr));
    assert_eq!(output.status.code(), Some(0), "{console}");
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(report["findings"], serde_json::json!([]), "{console}");
    let not_found = report["summary"]["statuses"]["404"].as_u64().unwrap_or(0);
    assert!(not_found >= 1, "the unknown id was answered 404: {console}");
}

/// `METHOD url` with the test key, and the status it got.
async fn status(client: &reqwest::Client, method: reqwest::Method, url: &str) -> u16 {
    client
        .request(method, url)
        .header("authorization", format!("Bearer {KEY}"))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[test]
fn the_sandbox_forgets_a_deleted_order_and_serves_an_upper_case_uuid_as_the_same_id() {
    let orders = TestSandbox::serving(Path::new("tests/data/orders"), &[], KEY);
    let devices_folder = uuid_cases();
    let devices = TestSandbox::serving(devices_folder.path(), &[], KEY);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        use reqwest::Method;
        let client = reqwest::Client::new();
        let created: Value = client
            .post(format!("{}/orders", orders.base_url))
            .header("authorization", format!("Bearer {KEY}"))
            .json(&serde_json::json!({"item": "lamp", "quantity": 1}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let order = format!(
            "{}/orders/{}",
            orders.base_url,
            created["id"].as_str().unwrap()
        );
        assert_eq!(
            status(&client, Method::GET, &order).await,
            200,
            "a made order is served"
        );
        assert_eq!(status(&client, Method::DELETE, &order).await, 204);
        assert_eq!(
            status(&client, Method::GET, &order).await,
            404,
            "a deleted order is gone"
        );
        assert_eq!(
            status(&client, Method::DELETE, &order).await,
            404,
            "and gone for good"
        );

        let device = |id: String| format!("{}/devices/{id}", devices.base_url);
        let get = |id: String| {
            let client = client.clone();
            async move { status(&client, Method::GET, &device(id)).await }
        };
        assert_eq!(get(KNOWN_UUID.to_owned()).await, 200);
        assert_eq!(
            get(KNOWN_UUID.to_uppercase()).await,
            200,
            "one id in either case"
        );
        assert_eq!(
            get("11111111-2222-4333-8444-555555555555".to_owned()).await,
            404
        );
        assert_eq!(get("not-a-uuid".to_owned()).await, 400);
    });
}

/// One request the proxy passed on and its answer.
#[derive(Clone)]
struct Passed {
    method: String,
    path: String,
    /// It carried the test key.
    keyed: bool,
    status: u16,
    location: Option<String>,
    body: bytes::Bytes,
}

/// Every request the proxy passed on.
type Seen = Arc<Mutex<Vec<Passed>>>;

/// A loopback HTTP proxy to `upstream` that records what passes through it.
async fn recording_proxy(upstream: String, seen: Seen) -> String {
    use axum::extract::Request;
    let client = reqwest::Client::new();
    let handler = move |request: Request| {
        let (client, upstream, seen) = (client.clone(), upstream.clone(), seen.clone());
        async move {
            let (parts, body) = request.into_parts();
            let body = axum::body::to_bytes(body, 1 << 24).await.unwrap();
            let target = parts.uri.path_and_query().map_or("", |p| p.as_str());
            let mut forward = client.request(parts.method.clone(), format!("{upstream}{target}"));
            for (name, value) in &parts.headers {
                if name != "host" {
                    forward = forward.header(name, value);
                }
            }
            let answer = forward.body(body).send().await.unwrap();
            let status = answer.status();
            let headers = answer.headers().clone();
            let bytes = answer.bytes().await.unwrap();
            let keyed = parts
                .headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                == Some(&format!("Bearer {KEY}"));
            let location = headers
                .get("location")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            seen.lock().unwrap().push(Passed {
                method: parts.method.to_string(),
                path: parts.uri.path().to_owned(),
                keyed,
                status: status.as_u16(),
                location,
                body: bytes.clone(),
            });
            let mut response = axum::response::Response::new(axum::body::Body::from(bytes));
            *response.status_mut() = status;
            *response.headers_mut() = headers;
            response
        }
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, axum::Router::new().fallback(handler))
            .await
            .unwrap();
    });
    format!("http://{address}")
}

/// `specgate run --openapi document` against the sandbox serving that document, through a
/// recording proxy: the exit code, the console, and every request the proxy passed on.
fn run_through_proxy(document: &str, token: &str) -> (Option<i32>, String, Vec<Passed>) {
    let folder = tempfile::tempdir().unwrap();
    let out = folder.path().display().to_string();
    let imported = specgate(&["import", document, "--out", &out], &[]);
    assert!(imported.status.success(), "{}", text(&imported.stderr));
    run_against(&folder.path().join("cases"), document, token)
}

/// `specgate run --openapi document` against the sandbox serving `cases`, through a
/// recording proxy.
fn run_against(cases: &Path, document: &str, token: &str) -> (Option<i32>, String, Vec<Passed>) {
    run_recorded(cases, &[], &["--openapi", document], token)
}

/// `specgate run` of `contract` (`--openapi DOCUMENT` or `--cases DIR`) against the sandbox
/// serving `cases` with `faults`, through a recording proxy: the exit code, the console, and
/// every request the proxy passed on.
fn run_recorded(
    cases: &Path,
    faults: &[&str],
    contract: &[&str],
    token: &str,
) -> (Option<i32>, String, Vec<Passed>) {
    let sandbox = TestSandbox::serving(cases, faults, KEY);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let seen: Seen = Arc::default();
    let upstream = sandbox.base_url.trim_end_matches("/v1").to_owned();
    let proxy = runtime.block_on(recording_proxy(upstream, seen.clone()));
    let base_url = format!("{proxy}/v1");
    let mut arguments = vec!["run"];
    arguments.extend_from_slice(contract);
    arguments.extend_from_slice(&[
        "--base-url",
        &base_url,
        "--examples",
        "10",
        "--drift",
        "off",
    ]);
    let output = specgate(&arguments, &[(token, KEY)]);
    let console = format!("{}{}", text(&output.stdout), text(&output.stderr));
    let passed = seen.lock().unwrap().clone();
    drop(runtime);
    (output.status.code(), console, passed)
}

/// The statuses of the valid keyed `methods` requests to `{collection}/{id}` for an id in
/// `ids`. Valid: not answered 400. Asked only of a run with 0 findings, where a 400 to a
/// request planned valid would have been a `rejects-valid` finding, so every 400 answered
/// a request planned invalid (a malformed header, say), and every other answer a valid one.
fn uses_of(
    passed: &[Passed],
    methods: &[&str],
    collection: &str,
    ids: &BTreeSet<String>,
) -> Vec<u16> {
    passed
        .iter()
        .filter(|p| p.keyed && p.status != 400 && methods.contains(&p.method.as_str()))
        .filter(|p| {
            p.path
                .strip_prefix(collection)
                .and_then(|rest| rest.strip_prefix('/'))
                .is_some_and(|id| ids.contains(id))
        })
        .map(|p| p.status)
        .collect()
}

/// The share of 2xx among `statuses`, in percent.
fn succeeded_percent(statuses: &[u16]) -> usize {
    let succeeded = statuses.iter().filter(|s| (200..300).contains(*s)).count();
    succeeded * 100 / statuses.len().max(1)
}

#[test]
fn without_links_ids_come_from_the_servers_answers_and_most_valid_uses_of_them_succeed() {
    // The sandbox of the document itself: tests/data/orders' cases differ from the document
    // in more than links (a request-id header, error bodies), so they are not its server.
    let (code, console, passed) = run_through_proxy(UNLINKED, "ORDERS_TOKEN");
    assert_eq!(code, Some(0), "0 findings: {console}");
    assert_ids_come_from_the_server("imported", &passed);
}

/// Most valid requests naming an order the server made get a 2xx, and each valid DELETE
/// deletes an order of its own.
fn assert_ids_come_from_the_server(served: &str, passed: &[Passed]) {
    let made: BTreeSet<String> = passed
        .iter()
        .filter(|p| p.method == "POST" && p.path == "/v1/orders" && p.status == 201)
        .filter_map(|p| serde_json::from_slice::<Value>(&p.body).ok())
        .filter_map(|order| order["id"].as_str().map(str::to_owned))
        .collect();
    let uses = uses_of(passed, &["GET", "DELETE"], "/v1/orders", &made);
    assert!(uses.len() >= 20, "requests naming made orders: {uses:?}");
    assert!(
        succeeded_percent(&uses) >= 80,
        "valid requests naming an order the server made get a 2xx: {}% of {}: {uses:?}",
        succeeded_percent(&uses),
        uses.len()
    );
    eprintln!(
        "orders-unlinked against the {served} sandbox: {} valid requests naming made orders, {}% 2xx",
        uses.len(),
        succeeded_percent(&uses)
    );
    let deletes: Vec<&str> = passed
        .iter()
        .filter(|p| p.method == "DELETE" && p.keyed && p.status == 204)
        .map(|p| p.path.as_str())
        .collect();
    let distinct: BTreeSet<&str> = deletes.iter().copied().collect();
    assert_eq!(
        distinct.len(),
        deletes.len(),
        "each valid DELETE deleted an order of its own"
    );
}

#[test]
fn a_create_that_names_its_resource_only_by_location_gives_its_consumers_their_ids() {
    let (code, console, passed) =
        run_through_proxy("tests/data/tickets-location.openapi.yaml", "TICKETS_TOKEN");
    assert_eq!(code, Some(0), "0 findings: {console}");
    let created: Vec<&Passed> = passed
        .iter()
        .filter(|p| p.method == "POST" && p.path == "/v1/tickets" && p.status == 201)
        .collect();
    assert!(!created.is_empty(), "tickets were opened");
    assert!(
        created
            .iter()
            .all(|p| p.body.is_empty() || &p.body[..] == b"{}"),
        "no id in the body: only Location names the ticket"
    );
    let made: BTreeSet<String> = created
        .iter()
        .filter_map(|p| p.location.as_deref()?.strip_prefix("/v1/tickets/"))
        .map(str::to_owned)
        .collect();
    assert!(
        made.len() >= 2,
        "each create names a ticket of its own: {made:?}"
    );
    let uses = uses_of(&passed, &["GET", "DELETE"], "/v1/tickets", &made);
    assert!(uses.len() >= 20, "requests naming made tickets: {uses:?}");
    eprintln!(
        "tickets-location: {} valid requests naming made tickets, {}% 2xx",
        uses.len(),
        succeeded_percent(&uses)
    );
    assert!(
        succeeded_percent(&uses) >= 80,
        "valid requests naming a ticket the server made get a 2xx: {}% of {}: {uses:?}",
        succeeded_percent(&uses),
        uses.len()
    );
}

#[test]
fn a_read_only_api_is_tested_on_the_resources_its_list_names() {
    let (code, console, passed) =
        run_through_proxy("tests/data/catalog-readonly.openapi.yaml", "CATALOG_TOKEN");
    assert_eq!(code, Some(0), "0 findings: {console}");
    let listed: BTreeSet<String> = passed
        .iter()
        .filter(|p| p.method == "GET" && p.path == "/v1/products" && p.status == 200)
        .filter_map(|p| serde_json::from_slice::<Value>(&p.body).ok())
        .flat_map(|list| {
            let products = list["products"].as_array().cloned().unwrap_or_default();
            products
                .into_iter()
                .filter_map(|p| p["id"].as_str().map(str::to_owned))
        })
        .collect();
    assert!(
        !listed.is_empty(),
        "the sandbox lists products from the start"
    );
    let uses = uses_of(&passed, &["GET"], "/v1/products", &listed);
    assert!(uses.len() >= 10, "GETs of listed products: {uses:?}");
    eprintln!(
        "catalog-readonly: {} valid GETs of listed products, {}% 2xx",
        uses.len(),
        succeeded_percent(&uses)
    );
    assert!(
        succeeded_percent(&uses) >= 80,
        "valid GETs of a listed product get a 2xx: {}% of {}: {uses:?}",
        succeeded_percent(&uses),
        uses.len()
    );
}

/// The link the path parameter of `case` takes its ids from, as loaded from `cases`.
fn link_of(cases: &Path, case: &str) -> Option<specgate::contract::wire::IdSource> {
    let operations = specgate::contract::load_cases(cases).unwrap();
    let operation = operations.iter().find(|o| o.name == case).unwrap();
    let shape = operation.shape.as_ref().unwrap();
    let parameter = shape.parameters().find(|p| p.name == "productId").unwrap();
    parameter.ids.clone()
}

#[test]
fn a_case_turns_inference_off_or_declares_its_link_and_a_bad_pointer_names_its_line() {
    use specgate::contract::wire::IdSource;
    let folder = tempfile::tempdir().unwrap();
    let out = folder.path().display().to_string();
    let document = "tests/data/catalog-readonly.openapi.yaml";
    let imported = specgate(&["import", document, "--out", &out], &[]);
    assert!(imported.status.success(), "{}", text(&imported.stderr));
    let cases = folder.path().join("cases");
    let get = cases.join("get-product.toml");
    let written = std::fs::read_to_string(&get).unwrap();
    assert_eq!(
        link_of(&cases, "get-product"),
        Some(IdSource::Inferred {
            operation: "list-products".into(),
            pointer: "/products/*/id".into()
        }),
        "inferred from the list's items"
    );
    std::fs::write(&get, format!("{written}\n[links]\ninfer = false\n")).unwrap();
    assert_eq!(link_of(&cases, "get-product"), None, "inference off");

    let declared = written.replacen(
        "name = \"productId\"",
        "name = \"productId\"\nlink = { operation = \"list-products\", pointer = \"products.id\" }",
        1,
    );
    assert_ne!(declared, written);
    std::fs::write(&get, &declared).unwrap();
    let error = specgate::contract::load_cases(&cases)
        .unwrap_err()
        .to_string();
    let line = declared
        .lines()
        .position(|l| l.contains("products.id"))
        .unwrap()
        + 1;
    assert!(
        error.contains(&format!("get-product.toml:{line}")),
        "{error}"
    );
    assert!(error.contains("$response.header.Location"), "{error}");
}

#[test]
fn a_sequence_finding_reports_every_step_with_its_curl_line_in_every_report_keys_scrubbed() {
    for (fault, check) in [
        ("deleted-still-served", "use-after-free"),
        ("created-not-stored", "resource-unavailable"),
    ] {
        let sandbox = TestSandbox::serving(Path::new("tests/data/orders"), &[fault], KEY);
        let dir = tempfile::tempdir().unwrap();
        let markdown_path = dir.path().join("report.md");
        let markdown_arg = format!("markdown={}", markdown_path.display());
        let (code, report, console) = run_orders_cases(&sandbox, "3", &["--report", &markdown_arg]);
        assert_eq!(code, 1, "{fault}: {console}");
        let markdown = std::fs::read_to_string(&markdown_path).unwrap();
        let json = report.to_string();
        let sequences: Vec<&Value> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .chain(report["flaky"].as_array().into_iter().flatten())
            .filter(|f| f["check"] == check)
            .filter(|f| f["reason"].as_str().unwrap().starts_with("lifecycle: "))
            .collect();
        assert!(
            !sequences.is_empty(),
            "{fault}: a sequence finding: {console}"
        );
        for finding in sequences {
            let walk = finding["reason"].as_str().unwrap();
            let steps = walk.matches(" → ").count() + 1;
            let message = finding["message"].as_str().unwrap();
            let curls: Vec<&str> = message
                .lines()
                .map(str::trim)
                .filter(|l| l.starts_with("curl "))
                .collect();
            assert_eq!(
                curls.len(),
                steps,
                "{walk}: one curl line a step: {message}"
            );
            for (number, method) in walk["lifecycle: ".len()..].split(" → ").enumerate() {
                let step = format!("  {}. {method} ", number + 1);
                assert!(message.contains(&step), "{step:?} in {message}");
            }
            for curl in curls {
                assert!(curl.contains("$ORDERS_TOKEN"), "the key's variable: {curl}");
                assert!(console.contains(curl), "{fault}: {curl} in the console");
                assert!(markdown.contains(curl), "{fault}: {curl} in the Markdown");
            }
        }
        for (name, written) in [
            ("console", &console),
            ("markdown", &markdown),
            ("json", &json),
        ] {
            assert!(
                !written.contains(KEY),
                "{fault}: the key in the {name} report"
            );
        }
    }
}

#[test]
fn an_inferred_link_whose_producer_names_no_id_leaves_the_ids_invented_and_the_run_goes_on() {
    // The run infers `Location` from the document; this server's create sends a `Location`
    // that names no ticket (its cases infer nothing, so it makes no ids to put there).
    let document = "tests/data/tickets-location.openapi.yaml";
    let folder = tempfile::tempdir().unwrap();
    let out = folder.path().display().to_string();
    let imported = specgate(&["import", document, "--out", &out], &[]);
    assert!(imported.status.success(), "{}", text(&imported.stderr));
    let cases = folder.path().join("cases");
    for case in ["get-ticket.toml", "close-ticket.toml"] {
        let path = cases.join(case);
        let written = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, format!("{written}\n[links]\ninfer = false\n")).unwrap();
    }
    let (code, console, passed) = run_against(&cases, document, "TICKETS_TOKEN");
    assert_eq!(code, Some(0), "not stopped (exit 3), 0 findings: {console}");
    for link in ["get-ticket.ticketId", "close-ticket.ticketId"] {
        let noted = format!("inferred link open-ticket → {link} named no id");
        assert!(console.contains(&noted), "noted once: {noted}\n{console}");
    }
    let created: Vec<&Passed> = passed
        .iter()
        .filter(|p| p.method == "POST" && p.status == 201)
        .collect();
    assert!(
        created.iter().all(|p| p
            .location
            .as_deref()
            .is_some_and(|l| !l.starts_with("/v1/tickets/"))),
        "no create named a ticket"
    );
    let gets = passed
        .iter()
        .filter(|p| p.method == "GET" && p.path.starts_with("/v1/tickets/"))
        .count();
    assert!(gets >= 10, "the tickets were still tested: {gets} GETs");
}

#[test]
fn an_api_that_documents_no_404_runs_conformant_and_most_uses_of_its_made_ids_succeed() {
    // Its get and delete list 400 and 403 for an id, no 404: the sandbox answers an id it
    // does not hold (made up, or deleted) with 400, which the run must not blame on it.
    let (code, console, passed) =
        run_through_proxy("tests/data/widgets-no-404.openapi.yaml", "WIDGETS_TOKEN");
    assert_eq!(code, Some(0), "0 findings: {console}");
    assert!(console.contains("CONFORMANT"), "{console}");
    let made: BTreeSet<String> = passed
        .iter()
        .filter(|p| p.method == "POST" && p.path == "/v1/widgets" && p.status == 201)
        .filter_map(|p| serde_json::from_slice::<Value>(&p.body).ok())
        .filter_map(|widget| widget["id"].as_str().map(str::to_owned))
        .collect();
    assert!(made.len() >= 2, "widgets were made: {made:?}");
    let uses = uses_of(&passed, &["GET", "DELETE"], "/v1/widgets", &made);
    assert!(uses.len() >= 10, "requests naming made widgets: {uses:?}");
    eprintln!(
        "widgets-no-404: {} valid requests naming made widgets, {}% 2xx",
        uses.len(),
        succeeded_percent(&uses)
    );
    assert!(
        succeeded_percent(&uses) >= 80,
        "valid requests naming a widget the server made get a 2xx: {}% of {}: {uses:?}",
        succeeded_percent(&uses),
        uses.len()
    );
}

/// Every keyed `methods` request under `collection/` that named a well-formed id (`letter`
/// and lower-case hex digits, as the sandbox makes them) the server never made, with the
/// status it got.
fn made_up_ids(
    passed: &[Passed],
    collection: &str,
    letter: char,
    methods: &[&str],
) -> Vec<(String, u16)> {
    let made: BTreeSet<String> = passed
        .iter()
        .filter(|p| p.method == "POST" && p.status == 201)
        .filter_map(|p| serde_json::from_slice::<Value>(&p.body).ok())
        .filter_map(|resource| resource["id"].as_str().map(str::to_owned))
        .collect();
    let well_formed = |id: &str| {
        id.len() > 1
            && id.len() <= 40
            && id.starts_with(letter)
            && id[1..]
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    };
    let prefix = format!("{collection}/");
    passed
        .iter()
        .filter(|p| p.keyed && methods.contains(&p.method.as_str()))
        .filter_map(|p| {
            let id = p.path.strip_prefix(&prefix)?;
            (well_formed(id) && !made.contains(id)).then(|| (id.to_owned(), p.status))
        })
        .collect()
}

#[test]
fn a_made_up_id_answered_with_a_documented_client_error_is_not_a_finding() {
    let document = "tests/data/widgets-no-404.openapi.yaml";
    let folder = tempfile::tempdir().unwrap();
    let out = folder.path().join("imported");
    let imported = specgate(
        &["import", document, "--out", &out.display().to_string()],
        &[],
    );
    assert!(imported.status.success(), "{}", text(&imported.stderr));
    let cases = out.join("cases");

    // The document lists no 404: the server says "no such widget" with its documented 400.
    let (code, console, passed) = run_against(&cases, document, "WIDGETS_TOKEN");
    assert_eq!(code, Some(0), "0 findings: {console}");
    let made_up = made_up_ids(&passed, "/v1/widgets", 'w', &["GET", "DELETE"]);
    assert!(
        made_up.iter().any(|(_, status)| *status == 400),
        "made-up ids were sent and answered 400: {made_up:?}"
    );
    assert!(
        made_up.iter().all(|(_, status)| *status == 400),
        "every made-up id got the documented 400: {made_up:?}"
    );

    // The same server judged by the document with a 404 for those operations: then 400 is
    // not how the server says an id names nothing, and the valid requests it refused are
    // findings.
    let listed = std::fs::read_to_string(document).unwrap().replace(
        "        \"403\": {$ref: \"#/components/responses/Problem\"}\n",
        "        \"403\": {$ref: \"#/components/responses/Problem\"}\n        \"404\": {$ref: \"#/components/responses/Problem\"}\n",
    );
    assert_eq!(
        listed.matches("\"404\"").count(),
        2,
        "404 listed for get and delete"
    );
    let with_404 = folder.path().join("widgets-404.openapi.yaml");
    std::fs::write(&with_404, listed).unwrap();
    let (code, console, _) = run_against(&cases, &with_404.display().to_string(), "WIDGETS_TOKEN");
    assert_eq!(code, Some(1), "{console}");
    assert!(console.contains("[rejects-valid]"), "{console}");
    assert!(console.contains("unknown-id: /path/widgetId"), "{console}");
}

#[test]
fn each_create_of_an_integer_id_names_a_resource_of_its_own() {
    let (code, console, passed) =
        run_through_proxy("tests/data/hooks-integer-ids.openapi.yaml", "HOOKS_TOKEN");
    assert_eq!(code, Some(0), "0 findings: {console}");
    assert!(
        !console.contains("[resource-unavailable]"),
        "not even a flaky one: {console}"
    );
    let made: Vec<i64> = passed
        .iter()
        .filter(|p| p.method == "POST" && p.path == "/v1/user/hooks" && p.status == 201)
        .filter_map(|p| serde_json::from_slice::<Value>(&p.body).ok())
        .filter_map(|hook| hook["id"].as_i64())
        .collect();
    let distinct: BTreeSet<i64> = made.iter().copied().collect();
    assert!(made.len() >= 2, "hooks were made: {made:?}");
    assert_eq!(
        distinct.len(),
        made.len(),
        "each create its own id: {made:?}"
    );
    let ids: BTreeSet<String> = distinct.iter().map(i64::to_string).collect();
    let uses = uses_of(&passed, &["GET", "DELETE"], "/v1/user/hooks", &ids);
    assert!(uses.len() >= 10, "requests naming made hooks: {uses:?}");
    assert!(
        succeeded_percent(&uses) >= 80,
        "valid requests naming a hook the server made get a 2xx: {}% of {}: {uses:?}",
        succeeded_percent(&uses),
        uses.len()
    );
}

/// The finding lines of a console: `1. [check] operation — cause (×n)`.
fn finding_lines(console: &str) -> Vec<&str> {
    console
        .lines()
        .map(str::trim_start)
        .filter(|line| {
            line.split_once(". [").is_some_and(|(number, _)| {
                !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit())
            })
        })
        .collect()
}

/// A gadgets API whose get documents 403 and 404, and whose replace 404 and 409.
const GADGETS: &str = "tests/data/gadgets-unknown-ids.openapi.yaml";

#[test]
fn a_made_up_id_answered_with_a_documented_409_or_403_conforms_and_an_undocumented_one_is_a_finding(
) {
    let folder = tempfile::tempdir().unwrap();
    let out = folder.path().display().to_string();
    let imported = specgate(&["import", GADGETS, "--out", &out], &[]);
    assert!(imported.status.success(), "{}", text(&imported.stderr));
    let cases = folder.path().join("cases");
    let contract = ["--openapi", GADGETS];

    let (code, console, _) = run_recorded(&cases, &[], &contract, "GADGETS_TOKEN");
    assert_eq!(
        code,
        Some(0),
        "the faithful server's 404s conform: {console}"
    );

    // (status, the method of the operation that documents it, the operation that does not)
    for (status, documents, other) in [(409, "PUT", "get-gadget"), (403, "GET", "replace-gadget")] {
        let fault = format!("unknown-id-status={status}");
        let (code, console, passed) = run_recorded(&cases, &[&fault], &contract, "GADGETS_TOKEN");
        let answered: Vec<u16> = made_up_ids(&passed, "/v1/gadgets", 'g', &[documents])
            .into_iter()
            .map(|(_, status)| status)
            .collect();
        assert!(
            answered.contains(&status),
            "{fault}: a made-up id sent with {documents} got the documented {status}: {answered:?}"
        );
        assert_eq!(code, Some(1), "{fault}: {console}");
        let findings = finding_lines(&console);
        assert_eq!(
            findings.len(),
            1,
            "{fault}: one finding, for the operation that does not document {status}: {console}"
        );
        let expected = format!("[rejects-valid] {other} — {status} for unknown-id");
        assert!(
            findings[0].contains(&expected),
            "{fault}: {expected}\n{console}"
        );
    }
}

#[test]
fn a_page_token_the_server_never_issued_answered_with_a_documented_403_is_not_a_finding() {
    let pages = "tests/data/pages";
    let fault = ["unknown-id-status=403"];
    let (code, console, passed) = run_recorded(
        Path::new(pages),
        &fault,
        &["--cases", pages],
        "GADGETS_TOKEN",
    );
    assert_eq!(code, Some(0), "0 findings: {console}");
    let refused = passed
        .iter()
        .filter(|p| p.keyed && p.path == "/v1/gadgets" && p.status == 403)
        .count();
    assert!(refused >= 1, "a made-up token was answered 403: {console}");

    // The same answer where the list does not document 403: the server deviates.
    let folder = tempfile::tempdir().unwrap();
    let copy = folder.path();
    std::fs::create_dir(copy.join("schemas")).unwrap();
    for schema in ["page.json", "error.json"] {
        let from = Path::new(pages).join("schemas").join(schema);
        std::fs::copy(from, copy.join("schemas").join(schema)).unwrap();
    }
    let case = std::fs::read_to_string(Path::new(pages).join("list.toml")).unwrap();
    let undocumented = case.replace("[responses.403]\nschema = \"schemas/error.json\"\n\n", "");
    assert_ne!(case, undocumented, "403 removed");
    std::fs::write(copy.join("list.toml"), undocumented).unwrap();
    let copied = copy.display().to_string();
    let (code, console, _) = run_recorded(copy, &fault, &["--cases", &copied], "GADGETS_TOKEN");
    assert_eq!(code, Some(1), "{console}");
    let findings = finding_lines(&console);
    assert_eq!(findings.len(), 1, "{console}");
    assert!(
        findings[0].contains("[rejects-valid] gadgets-list — 403 for unknown-id"),
        "{console}"
    );
}

#[test]
fn an_id_a_list_only_echoes_from_its_request_is_not_taken_for_one_it_names() {
    // tests/data/teams-echo: the list's items name their team by `id`, the list's own path
    // id; the get of a member infers its ids from that list.
    let teams = "tests/data/teams-echo";
    let (code, console, passed) =
        run_recorded(Path::new(teams), &[], &["--cases", teams], "TEAMS_TOKEN");
    assert_eq!(code, Some(0), "0 findings: {console}");
    let echoes = passed
        .iter()
        .filter(|p| p.keyed && p.path == "/v1/teams/team_1/members" && p.status == 200)
        .filter_map(|p| serde_json::from_slice::<Value>(&p.body).ok())
        .filter(|records| records[0]["id"] == "team_1")
        .count();
    assert!(echoes >= 1, "the list echoed its path id: {console}");
    let named_echo = passed
        .iter()
        .filter(|p| p.path == "/v1/teams/team_1/members/team_1")
        .count();
    assert_eq!(
        named_echo, 0,
        "no request named the echoed id as a member's (as an obtained id, every valid get \
         would name it)"
    );
    let gets: Vec<u16> = passed
        .iter()
        .filter(|p| p.keyed && p.path.starts_with("/v1/teams/team_1/members/"))
        .map(|p| p.status)
        .collect();
    assert!(
        gets.len() >= 5 && gets.contains(&404),
        "members were still asked for, by made-up ids that the server answers 404: {gets:?}"
    );
}

/// tests/data/gizmos-unique.openapi.yaml: a create documenting 409 for a name taken.
const GIZMOS: &str = "tests/data/gizmos-unique.openapi.yaml";

/// `document` imported into a fresh folder: the folder, and its cases.
fn imported(document: &Path) -> (tempfile::TempDir, std::path::PathBuf) {
    let folder = tempfile::tempdir().unwrap();
    let out = folder.path().join("imported").display().to_string();
    let document = document.display().to_string();
    let output = specgate(&["import", &document, "--out", &out], &[]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let cases = folder.path().join("imported").join("cases");
    (folder, cases)
}

/// The statuses the keyed creates of gizmos got.
fn create_statuses(passed: &[Passed]) -> Vec<u16> {
    passed
        .iter()
        .filter(|p| p.keyed && p.method == "POST" && p.path == "/v1/gizmos")
        .map(|p| p.status)
        .collect()
}

#[test]
fn a_documented_409_to_a_create_repeating_one_the_run_made_conforms() {
    let (_folder, cases) = imported(Path::new(GIZMOS));
    let contract = ["--openapi", GIZMOS];
    let (code, console, passed) =
        run_recorded(&cases, &["unique-create"], &contract, "GIZMOS_TOKEN");
    let creates = create_statuses(&passed);
    assert!(
        creates.contains(&409) && creates.contains(&201),
        "the run repeated creates the server had made, and made others: {creates:?}"
    );
    assert_eq!(
        code,
        Some(0),
        "a faithful server with a unique name: {console}"
    );
    assert_eq!(finding_lines(&console), Vec::<&str>::new(), "{console}");
    // The DELETEs got resources of their own though the first create repeats: every valid
    // DELETE of a made gizmo succeeded, and none was answered 404 (a resource deleted twice).
    let made: BTreeSet<String> = passed
        .iter()
        .filter(|p| p.method == "POST" && p.status == 201)
        .filter_map(|p| serde_json::from_slice::<Value>(&p.body).ok())
        .filter_map(|body| body["id"].as_str().map(str::to_owned))
        .collect();
    let deletes = uses_of(&passed, &["DELETE"], "/v1/gizmos", &made);
    assert!(deletes.len() >= 2, "{deletes:?}");
    assert!(
        deletes.iter().filter(|s| **s == 204).count() * 100 / deletes.len() >= 80,
        "the DELETEs of made gizmos mostly succeeded: {deletes:?}"
    );
}

#[test]
fn a_create_answered_409_every_time_is_a_finding_though_409_is_documented() {
    let (_folder, cases) = imported(Path::new(GIZMOS));
    let contract = ["--openapi", GIZMOS];
    let (code, console, passed) =
        run_recorded(&cases, &["create-conflict"], &contract, "GIZMOS_TOKEN");
    let creates = create_statuses(&passed);
    assert!(
        creates.contains(&409) && !creates.iter().any(|s| (200..300).contains(s)),
        "valid creates got 409, and no create succeeded: {creates:?}"
    );
    assert_eq!(code, Some(1), "a server that makes nothing: {console}");
    let findings = finding_lines(&console);
    assert!(!findings.is_empty(), "{console}");
    for finding in findings {
        assert!(
            finding.contains("[rejects-valid] create-gizmo — 409 for"),
            "only the creates' 409s: {console}"
        );
    }
}

#[test]
fn an_undocumented_409_to_a_repeated_create_is_a_finding() {
    let folder = tempfile::tempdir().unwrap();
    let document = std::fs::read_to_string(GIZMOS).unwrap();
    let undocumented: String = document
        .lines()
        .filter(|line| !line.trim_start().starts_with("\"409\""))
        .map(|line| format!("{line}\n"))
        .collect();
    assert_ne!(document, undocumented, "409 removed");
    let copy = folder.path().join("gizmos.openapi.yaml");
    std::fs::write(&copy, undocumented).unwrap();
    let (_imported, cases) = imported(&copy);
    let copied = copy.display().to_string();
    let contract = ["--openapi", copied.as_str()];
    let (code, console, passed) =
        run_recorded(&cases, &["unique-create"], &contract, "GIZMOS_TOKEN");
    assert!(create_statuses(&passed).contains(&409));
    assert_eq!(code, Some(1), "{console}");
    let findings = finding_lines(&console);
    assert!(!findings.is_empty(), "{console}");
    for finding in findings {
        assert!(
            finding.contains("[rejects-valid] create-gizmo — 409 for"),
            "only the creates' 409s: {console}"
        );
    }
}
