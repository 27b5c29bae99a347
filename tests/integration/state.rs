//! Resources and state: ids the run did not obtain from the server are unknown ids, not
//! invalid requests; a known id in another case (for a case-insensitive format) is the
//! same id; lifecycle sequences report every step.

use crate::common::*;
use serde_json::Value;
use std::path::Path;

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
