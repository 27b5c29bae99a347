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

/// Every request the proxy passed on: method, path, whether it carried the test key, the
/// status, and the body that came back.
type Seen = Arc<Mutex<Vec<(String, String, bool, u16, bytes::Bytes)>>>;

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
            seen.lock().unwrap().push((
                parts.method.to_string(),
                parts.uri.path().to_owned(),
                keyed,
                status.as_u16(),
                bytes.clone(),
            ));
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

#[test]
fn without_links_ids_come_from_the_servers_answers_and_most_valid_uses_of_them_succeed() {
    let folder = tempfile::tempdir().unwrap();
    let out = folder.path().display().to_string();
    let imported = specgate(&["import", UNLINKED, "--out", &out], &[]);
    assert!(imported.status.success(), "{}", text(&imported.stderr));
    let sandbox = TestSandbox::serving(&folder.path().join("cases"), &[], KEY);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let seen: Seen = Arc::default();
    let upstream = sandbox.base_url.trim_end_matches("/v1").to_owned();
    let proxy = runtime.block_on(recording_proxy(upstream, seen.clone()));
    let output = specgate(
        &[
            "run",
            "--openapi",
            UNLINKED,
            "--base-url",
            &format!("{proxy}/v1"),
            "--examples",
            "10",
            "--drift",
            "off",
        ],
        &[("ORDERS_TOKEN", KEY)],
    );
    let console = format!("{}{}", text(&output.stdout), text(&output.stderr));
    assert_eq!(output.status.code(), Some(0), "0 findings: {console}");
    let seen = seen.lock().unwrap();
    let made: BTreeSet<String> = seen
        .iter()
        .filter(|(method, path, _, status, _)| {
            method == "POST" && path == "/v1/orders" && *status == 201
        })
        .filter_map(|(.., body)| serde_json::from_slice::<Value>(body).ok())
        .filter_map(|order| order["id"].as_str().map(str::to_owned))
        .collect();
    let uses: Vec<u16> = seen
        .iter()
        .filter(|(method, path, keyed, ..)| {
            *keyed
                && (method == "GET" || method == "DELETE")
                && path
                    .strip_prefix("/v1/orders/")
                    .is_some_and(|id| made.contains(id))
        })
        .map(|(.., status, _)| *status)
        .collect();
    let succeeded = uses.iter().filter(|s| (200..300).contains(*s)).count();
    assert!(uses.len() >= 20, "requests naming made orders: {uses:?}");
    assert!(
        succeeded * 2 > uses.len(),
        "most requests naming an order the server made get a 2xx: {succeeded} of {}: {uses:?}",
        uses.len()
    );
    let deletes: BTreeSet<&str> = seen
        .iter()
        .filter(|(method, _, keyed, status, _)| method == "DELETE" && *keyed && *status == 204)
        .map(|(_, path, ..)| path.as_str())
        .collect();
    let deleted = seen
        .iter()
        .filter(|(method, _, keyed, status, _)| method == "DELETE" && *keyed && *status == 204)
        .count();
    assert_eq!(
        deletes.len(),
        deleted,
        "each valid DELETE deleted an order of its own"
    );
    drop(runtime);
}
