//! The reference sandbox, specified over real HTTP: each test starts it in-process on an
//! ephemeral loopback port from the real case files, sends requests with reqwest and checks
//! what comes back. The last tests drive the `specgate sandbox` binary itself.

use serde_json::{json, Value};
use specgate::contract::{load_cases, Expect, Operation};
use specgate::sandbox::{Fault, Sandbox, SandboxConfig, DEFAULT_API_KEY};
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CASE: &str = "sessionlink-v2";

fn cases_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("cases")
}

fn operation() -> Arc<Operation> {
    let operations = load_cases(&cases_dir()).expect("the shipped cases load");
    let operation = operations
        .into_iter()
        .find(|o| o.name == CASE)
        .expect("the sessionlink-v2 case is shipped");
    Arc::new(operation)
}

/// A running sandbox, the operation it serves and a client for it.
struct Fixture {
    sandbox: Sandbox,
    operation: Arc<Operation>,
    client: reqwest::Client,
}

async fn start_with(faults: &[&str], api_key: &str) -> Fixture {
    let operation = operation();
    let faults: Vec<Fault> = faults
        .iter()
        .map(|f| f.parse().expect("a catalogued fault"))
        .collect();
    let config = SandboxConfig {
        addr: "127.0.0.1:0".parse().expect("a socket address"),
        api_key: api_key.to_owned(),
        faults,
    };
    let sandbox = Sandbox::start(vec![operation.clone()], config)
        .await
        .expect("the sandbox starts");
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client");
    Fixture {
        sandbox,
        operation,
        client,
    }
}

async fn start(faults: &[&str]) -> Fixture {
    start_with(faults, DEFAULT_API_KEY).await
}

impl Fixture {
    fn url(&self) -> String {
        format!("{}{}", self.sandbox.base_url(), self.operation.path)
    }

    /// The reference page's example: every field, all valid.
    fn valid_body(&self) -> Value {
        self.operation
            .examples
            .iter()
            .find(|e| e.expect == Expect::Accept)
            .expect("the case has a valid example")
            .body
            .clone()
    }

    fn valid_body_with(&self, pointer_field: &str, value: Value) -> Value {
        let mut body = self.valid_body();
        body[pointer_field] = value;
        body
    }

    fn valid_body_without(&self, field: &str) -> Value {
        let mut body = self.valid_body();
        body.as_object_mut().expect("an object").remove(field);
        body
    }

    async fn post_raw(
        &self,
        body: impl Into<reqwest::Body>,
        key: Option<&str>,
    ) -> reqwest::Response {
        let mut request = self
            .client
            .post(self.url())
            .header("content-type", "application/json")
            .body(body);
        if let Some(key) = key {
            request = request.header("api_key", key);
        }
        request.send().await.expect("the sandbox answers")
    }

    async fn post(&self, body: &Value) -> reqwest::Response {
        self.post_raw(body.to_string(), Some(DEFAULT_API_KEY)).await
    }

    async fn post_json(&self, body: &Value) -> (u16, Value) {
        let response = self.post(body).await;
        let status = response.status().as_u16();
        let json = response.json().await.expect("a JSON body");
        (status, json)
    }

    fn response_is_valid(&self, body: &Value) -> bool {
        let schema = self
            .operation
            .response_for(200)
            .and_then(|r| r.schema.as_ref())
            .expect("the case documents its 200 body");
        schema.validator().is_valid(body)
    }
}

fn content_type(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

fn body_enum(fixture: &Fixture, property: &str) -> Vec<Value> {
    let schema = fixture
        .operation
        .response_for(200)
        .and_then(|r| r.schema.as_ref());
    let document = &schema.expect("a 200 schema").document;
    document["properties"][property]["enum"]
        .as_array()
        .expect("an enum")
        .clone()
}

/// A valid body whose strings hold whitespace only: the trigger input of one-input faults.
fn trigger_body(fixture: &Fixture) -> Value {
    fixture.valid_body_with("firstName", json!("   "))
}

// ---- Behaviour as the contract says ----

#[tokio::test]
async fn valid_payload_gets_200_json_that_validates_against_the_response_schema() {
    let fixture = start(&[]).await;
    let response = fixture.post(&fixture.valid_body()).await;
    assert_eq!(response.status(), 200);
    assert_eq!(content_type(&response), "application/json");
    let body: Value = response.json().await.expect("JSON");
    assert!(fixture.response_is_valid(&body), "{body}");
    let documented = body_properties(&fixture);
    let answered: BTreeSet<String> = body.as_object().expect("object").keys().cloned().collect();
    assert_eq!(
        answered, documented,
        "every documented property gets a value"
    );
}

fn body_properties(fixture: &Fixture) -> BTreeSet<String> {
    let schema = fixture
        .operation
        .response_for(200)
        .and_then(|r| r.schema.as_ref());
    schema.expect("a 200 schema").document["properties"]
        .as_object()
        .expect("properties")
        .keys()
        .cloned()
        .collect()
}

#[tokio::test]
async fn fixed_templates_and_hashed_templates_fill_their_fields() {
    let fixture = start(&[]).await;
    let (_, body) = fixture.post_json(&fixture.valid_body()).await;
    assert_eq!(body["status"], "Created");
    let link = body["link"].as_str().expect("a link");
    let user = body["userId"].as_str().expect("a user id");
    let hash = link.rsplit('/').next().expect("a hash");
    assert_eq!(hash.len(), 16);
    assert_eq!(user, format!("usr_{hash}"));
}

#[tokio::test]
async fn missing_key_is_answered_401_with_a_json_error() {
    let fixture = start(&[]).await;
    let response = fixture
        .post_raw(fixture.valid_body().to_string(), None)
        .await;
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["error"], "unauthorized");
}

#[tokio::test]
async fn wrong_key_is_answered_401_with_a_json_error() {
    let fixture = start(&[]).await;
    let response = fixture
        .post_raw(fixture.valid_body().to_string(), Some("nope"))
        .await;
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["error"], "unauthorized");
}

#[tokio::test]
async fn the_configured_key_replaces_the_default() {
    let fixture = start_with(&[], "my-own-key").await;
    let body = fixture.valid_body().to_string();
    let own = fixture.post_raw(body.clone(), Some("my-own-key")).await;
    let default = fixture.post_raw(body, Some(DEFAULT_API_KEY)).await;
    assert_eq!(
        (own.status().as_u16(), default.status().as_u16()),
        (200, 401)
    );
}

#[tokio::test]
async fn body_that_is_not_json_is_rejected_at_the_root_pointer() {
    let fixture = start(&[]).await;
    let response = fixture
        .post_raw("lastName=Doe", Some(DEFAULT_API_KEY))
        .await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["error"], "invalid request");
    assert_eq!(body["pointer"], "");
}

#[tokio::test]
async fn body_with_invalid_utf8_is_rejected_with_where_it_breaks() {
    let fixture = start(&[]).await;
    let mut bytes = br#"{"lastName": "Do"#.to_vec();
    bytes.extend_from_slice(&[0xC3, 0x28]); // a two-byte lead followed by ASCII
    bytes.extend_from_slice(br#""}"#);
    let response = fixture.post_raw(bytes, Some(DEFAULT_API_KEY)).await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["pointer"], "");
    let message = body["message"].as_str().expect("a message");
    assert!(message.contains("line 1 column"), "{message}");
}

#[tokio::test]
async fn text_in_many_scripts_passes_through_validation() {
    let fixture = start(&[]).await;
    let name = "Zoë 東京 한글 😀\u{a0}ñ\tж";
    let (status, body) = fixture
        .post_json(&fixture.valid_body_with("firstName", json!(name)))
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = fixture
        .post_json(&fixture.valid_body_with("countryCode", json!("東京")))
        .await;
    assert_eq!((status, &body["pointer"]), (400, &json!("/countryCode")));
}

#[tokio::test]
async fn body_that_is_not_an_object_is_rejected_at_the_root_pointer() {
    let fixture = start(&[]).await;
    let (status, body) = fixture.post_json(&json!(["Doe"])).await;
    assert_eq!((status, &body["pointer"]), (400, &json!("")));
}

#[tokio::test]
async fn missing_required_state_is_rejected_with_its_pointer() {
    let fixture = start(&[]).await;
    let (status, body) = fixture
        .post_json(&fixture.valid_body_without("state"))
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["pointer"], "/state");
    assert!(body["message"]
        .as_str()
        .is_some_and(|m| m.contains("state")));
}

#[tokio::test]
async fn date_of_birth_without_time_is_rejected_because_format_is_checked() {
    let fixture = start(&[]).await;
    let (status, body) = fixture
        .post_json(&fixture.valid_body_with("dob", json!("2023-11-07")))
        .await;
    assert_eq!((status, &body["pointer"]), (400, &json!("/dob")));
}

#[tokio::test]
async fn wrong_type_is_rejected_with_its_pointer() {
    let fixture = start(&[]).await;
    let (status, body) = fixture
        .post_json(&fixture.valid_body_with("latitude", json!("north")))
        .await;
    assert_eq!((status, &body["pointer"]), (400, &json!("/latitude")));
}

#[tokio::test]
async fn value_outside_an_enum_is_rejected_with_its_pointer() {
    let fixture = start(&[]).await;
    let (status, body) = fixture
        .post_json(&fixture.valid_body_with("countryCode", json!("XX")))
        .await;
    assert_eq!((status, &body["pointer"]), (400, &json!("/countryCode")));
}

#[tokio::test]
async fn unknown_extra_fields_are_accepted() {
    let fixture = start(&[]).await;
    let (status, body) = fixture
        .post_json(&fixture.valid_body_with("undocumentedExtra", json!({"any": [1, 2]})))
        .await;
    assert_eq!(status, 200);
    assert!(fixture.response_is_valid(&body));
}

#[tokio::test]
async fn the_same_body_always_gets_the_same_answer() {
    let fixture = start(&[]).await;
    let body = fixture.valid_body();
    let (_, first) = fixture.post_json(&body).await;
    let (_, second) = fixture.post_json(&body).await;
    assert_eq!(first, second);
}

#[tokio::test]
async fn different_bodies_get_different_links_and_user_ids() {
    let fixture = start(&[]).await;
    let (_, jane) = fixture.post_json(&fixture.valid_body()).await;
    let (_, john) = fixture
        .post_json(&fixture.valid_body_with("firstName", json!("John")))
        .await;
    assert_ne!(jane["link"], john["link"]);
    assert_ne!(jane["userId"], john["userId"]);
}

#[tokio::test]
async fn every_enum_value_of_the_response_occurs_across_200_bodies() {
    let fixture = start(&[]).await;
    let mut seen: [BTreeSet<String>; 2] = Default::default();
    for i in 0..200 {
        let (status, body) = fixture
            .post_json(&fixture.valid_body_with("firstName", json!(format!("Jane {i}"))))
            .await;
        assert_eq!(status, 200);
        assert!(fixture.response_is_valid(&body), "{body}");
        for (set, property) in seen.iter_mut().zip(["statusDetail", "cipStatusDetail"]) {
            set.insert(body[property].to_string());
        }
    }
    for (set, property) in seen.iter().zip(["statusDetail", "cipStatusDetail"]) {
        let all: BTreeSet<String> = body_enum(&fixture, property)
            .iter()
            .map(Value::to_string)
            .collect();
        assert_eq!(set, &all, "{property}");
    }
}

#[tokio::test]
async fn unknown_path_is_404_with_a_json_error() {
    let fixture = start(&[]).await;
    let url = format!("{}/auth/no-such-operation", fixture.sandbox.base_url());
    let response = fixture.client.post(url).send().await.expect("an answer");
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["error"], "not found");
}

#[tokio::test]
async fn the_operation_is_served_only_under_the_base_path() {
    let fixture = start(&[]).await;
    let base = fixture.sandbox.base_url();
    assert_eq!(base.path(), "/v1");
    let url = format!(
        "http://{}{}",
        fixture.sandbox.local_addr(),
        fixture.operation.path
    );
    let response = fixture.client.post(url).send().await.expect("an answer");
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn wrong_method_is_405_with_an_allow_header_naming_the_case_method() {
    let fixture = start(&[]).await;
    let response = fixture
        .client
        .get(fixture.url())
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status(), 405);
    let allow = response
        .headers()
        .get("allow")
        .and_then(|v| v.to_str().ok());
    assert_eq!(allow, Some("POST"));
}

/// `event`, or a failed test after five seconds rather than a hung one.
async fn within_seconds(event: impl std::future::Future<Output = ()>) {
    tokio::time::timeout(Duration::from_secs(5), event)
        .await
        .expect("the awaited event within five seconds");
}

async fn port_is_closed(addr: std::net::SocketAddr) -> bool {
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

#[tokio::test]
async fn dropping_the_sandbox_closes_its_port() {
    let fixture = start(&[]).await;
    let addr = fixture.sandbox.local_addr();
    assert_eq!(fixture.post(&fixture.valid_body()).await.status(), 200);
    drop(fixture);
    assert!(port_is_closed(addr).await);
}

#[tokio::test]
async fn shutdown_closes_the_port() {
    let fixture = start(&[]).await;
    let addr = fixture.sandbox.local_addr();
    fixture.sandbox.shutdown().await;
    assert!(port_is_closed(addr).await);
}

#[tokio::test]
async fn a_taken_address_is_a_bind_error() {
    let first = start(&[]).await;
    let config = SandboxConfig {
        addr: first.sandbox.local_addr(),
        api_key: DEFAULT_API_KEY.to_owned(),
        faults: Vec::new(),
    };
    let second = Sandbox::start(vec![first.operation.clone()], config).await;
    assert!(matches!(
        second,
        Err(specgate::sandbox::SandboxError::Bind { .. })
    ));
}

// ---- Faults: each one, with a request aimed at it ----

#[tokio::test]
async fn fault_accept_missing_required_accepts_a_body_without_a_required_field() {
    let fixture = start(&["accept-missing-required"]).await;
    let (status, _) = fixture
        .post_json(&fixture.valid_body_without("state"))
        .await;
    assert_eq!(status, 200);
    let (status, _) = fixture
        .post_json(&fixture.valid_body_with("latitude", json!("north")))
        .await;
    assert_eq!(status, 400, "other violations are still refused");
}

#[tokio::test]
async fn fault_accept_wrong_type_accepts_a_string_where_a_number_belongs() {
    let fixture = start(&["accept-wrong-type"]).await;
    let (status, _) = fixture
        .post_json(&fixture.valid_body_with("latitude", json!("north")))
        .await;
    assert_eq!(status, 200);
    let (status, _) = fixture
        .post_json(&fixture.valid_body_without("state"))
        .await;
    assert_eq!(status, 400, "other violations are still refused");
}

#[tokio::test]
async fn fault_accept_bad_format_accepts_a_date_of_birth_without_time() {
    let fixture = start(&["accept-bad-format"]).await;
    let (status, _) = fixture
        .post_json(&fixture.valid_body_with("dob", json!("2023-11-07")))
        .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn fault_reject_enum_value_refuses_the_last_value_of_the_first_optional_enum() {
    let fixture = start(&["reject-enum-value"]).await;
    let (status, body) = fixture
        .post_json(&fixture.valid_body_with("gender", json!("None")))
        .await;
    assert_eq!((status, &body["pointer"]), (400, &json!("/gender")));
    let (status, _) = fixture
        .post_json(&fixture.valid_body_with("gender", json!("Male")))
        .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn fault_reject_enum_value_refuses_the_value_it_is_given() {
    let fixture = start(&["reject-enum-value=/gender:Other"]).await;
    let (status, _) = fixture
        .post_json(&fixture.valid_body_with("gender", json!("Other")))
        .await;
    assert_eq!(status, 400);
    let (status, _) = fixture
        .post_json(&fixture.valid_body_with("gender", json!("None")))
        .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn fault_server_error_long_string_fails_past_255_characters() {
    let fixture = start(&["server-error-long-string"]).await;
    let (status, _) = fixture
        .post_json(&fixture.valid_body_with("city", json!("k".repeat(256))))
        .await;
    assert_eq!(status, 500);
    let (status, _) = fixture
        .post_json(&fixture.valid_body_with("city", json!("k".repeat(255))))
        .await;
    assert_eq!(status, 200);
}

async fn faulty_success_body(fault: &str) -> (Fixture, Value) {
    let fixture = start(&[fault]).await;
    let (status, body) = fixture.post_json(&fixture.valid_body()).await;
    assert_eq!(status, 200);
    (fixture, body)
}

#[tokio::test]
async fn fault_response_wrong_type_makes_a_string_a_number() {
    let (fixture, body) = faulty_success_body("response-wrong-type").await;
    assert!(body["status"].is_number(), "{body}");
    assert!(!fixture.response_is_valid(&body));
}

#[tokio::test]
async fn fault_response_enum_outside_answers_a_value_outside_the_enum() {
    let (fixture, body) = faulty_success_body("response-enum-outside").await;
    let allowed = body_enum(&fixture, "statusDetail");
    assert!(!allowed.contains(&body["statusDetail"]), "{body}");
    assert!(!fixture.response_is_valid(&body));
}

#[tokio::test]
async fn fault_response_null_answers_null_for_a_property() {
    let (fixture, body) = faulty_success_body("response-null").await;
    let nulls = body
        .as_object()
        .expect("object")
        .values()
        .filter(|v| v.is_null())
        .count();
    assert_eq!(nulls, 1, "{body}");
    assert!(!fixture.response_is_valid(&body));
}

#[tokio::test]
async fn fault_response_renamed_field_renames_a_property_to_snake_case() {
    let (fixture, body) = faulty_success_body("response-renamed-field").await;
    assert!(
        body.get("cip_status").is_some() && body.get("cipStatus").is_none(),
        "{body}"
    );
    // The schema allows extra and requires no properties: only drift can see this one.
    assert!(fixture.response_is_valid(&body));
}

#[tokio::test]
async fn fault_wrong_content_type_serves_success_as_text_plain() {
    let fixture = start(&["wrong-content-type"]).await;
    let response = fixture.post(&fixture.valid_body()).await;
    assert_eq!(response.status(), 200);
    assert!(content_type(&response).starts_with("text/plain"));
}

#[tokio::test]
async fn fault_invalid_json_body_declares_json_but_does_not_parse() {
    let fixture = start(&["invalid-json-body"]).await;
    let response = fixture.post(&fixture.valid_body()).await;
    assert_eq!(response.status(), 200);
    assert_eq!(content_type(&response), "application/json");
    let text = response.text().await.expect("a body");
    assert!(
        !text.is_empty() && serde_json::from_str::<Value>(&text).is_err(),
        "{text}"
    );
}

#[tokio::test]
async fn fault_auth_not_enforced_accepts_a_missing_key() {
    let fixture = start(&["auth-not-enforced"]).await;
    let missing = fixture
        .post_raw(fixture.valid_body().to_string(), None)
        .await;
    let wrong = fixture
        .post_raw(fixture.valid_body().to_string(), Some("nope"))
        .await;
    assert_eq!(
        (missing.status().as_u16(), wrong.status().as_u16()),
        (200, 200)
    );
}

#[tokio::test]
async fn fault_auth_wrong_status_answers_a_missing_key_with_400() {
    let fixture = start(&["auth-wrong-status"]).await;
    let response = fixture
        .post_raw(fixture.valid_body().to_string(), None)
        .await;
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn fault_drift_new_field_adds_an_undocumented_field() {
    let (fixture, body) = faulty_success_body("drift-new-field").await;
    assert_eq!(body["riskScore"], 0);
    assert!(!body_properties(&fixture).contains("riskScore"));
    assert!(fixture.response_is_valid(&body));
}

#[tokio::test]
async fn fault_drift_status_value_upper_cases_fixed_values() {
    let (fixture, body) = faulty_success_body("drift-status-value").await;
    assert_eq!(body["status"], "CREATED");
    assert_eq!(body["cipStatus"], "VERIFIED");
    assert!(
        body["link"]
            .as_str()
            .is_some_and(|l| l.starts_with("https://")),
        "hashed templates stay"
    );
    assert!(fixture.response_is_valid(&body));
}

#[tokio::test]
async fn fault_drift_dropped_field_drops_the_last_unredacted_property() {
    let (fixture, body) = faulty_success_body("drift-dropped-field").await;
    let answered: BTreeSet<String> = body.as_object().expect("object").keys().cloned().collect();
    let missing: Vec<String> = body_properties(&fixture)
        .difference(&answered)
        .cloned()
        .collect();
    assert_eq!(missing, ["paymentMethodStatus"]);
}

#[tokio::test]
async fn fault_slow_response_delays_the_trigger_input_without_blocking_others() {
    let fixture = start(&["slow-response=400"]).await;
    let slow_client = reqwest::Client::builder()
        .timeout(Duration::from_millis(150))
        .build()
        .expect("a client");
    let slow = slow_client
        .post(fixture.url())
        .header("api_key", DEFAULT_API_KEY)
        .body(trigger_body(&fixture).to_string())
        .send();
    let normal = async {
        let started = Instant::now();
        let status = fixture.post(&fixture.valid_body()).await.status();
        (status, started.elapsed())
    };
    let (slow, (status, elapsed)) = tokio::join!(slow, normal);
    assert!(
        slow.is_err_and(|e| e.is_timeout()),
        "the trigger input is slow"
    );
    assert_eq!(status, 200);
    assert!(
        elapsed < Duration::from_millis(150),
        "others are not blocked: {elapsed:?}"
    );

    let started = Instant::now();
    let status = fixture.post(&trigger_body(&fixture)).await.status();
    assert_eq!(status, 200);
    assert!(started.elapsed() >= Duration::from_millis(400));
}

#[tokio::test]
async fn fault_oversized_body_answers_the_trigger_input_with_16_mib() {
    let fixture = start(&["oversized-body"]).await;
    let response = fixture.post(&trigger_body(&fixture)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.content_length(), Some(16 * 1024 * 1024));
    let normal = fixture.post(&fixture.valid_body()).await;
    assert!(normal.content_length().is_some_and(|n| n < 4096));
}

#[tokio::test]
async fn fault_rate_limit_answers_every_50th_request_with_429_and_retry_after() {
    let fixture = start(&["rate-limit"]).await;
    let mut limited = Vec::new();
    for i in 1..=100 {
        let response = fixture.post(&fixture.valid_body()).await;
        if response.status() == 429 {
            let retry = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok());
            assert_eq!(retry, Some("1"));
            limited.push(i);
        }
    }
    assert_eq!(limited, [50, 100]);
}

#[tokio::test]
async fn fault_redirect_cross_origin_sends_valid_requests_elsewhere() {
    let fixture = start(&["redirect-cross-origin=http://127.0.0.1:9/elsewhere"]).await;
    let response = fixture.post(&fixture.valid_body()).await;
    assert_eq!(response.status(), 307);
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok());
    assert_eq!(location, Some("http://127.0.0.1:9/elsewhere"));
}

// ---- The `specgate sandbox` command ----

fn specgate() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_specgate"));
    command.env_remove("SPECGATE_API_KEY");
    command
}

#[test]
fn the_command_prints_its_base_url_first_and_exits_0_on_ctrl_c() {
    let mut child = specgate()
        .args(["sandbox", "--addr", "127.0.0.1:0", "--cases"])
        .arg(cases_dir())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut first = String::new();
    BufReader::new(stdout)
        .read_line(&mut first)
        .expect("a first line");
    let url = first
        .trim()
        .strip_prefix("specgate sandbox listening on http://127.0.0.1:")
        .and_then(|rest| rest.strip_suffix("/v1"));
    let port: Option<u16> = url.and_then(|port| port.parse().ok());
    assert!(port.is_some_and(|p| p != 0), "{first}");
    let interrupt = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(interrupt.success());
    let status = child.wait().expect("the sandbox exits");
    assert_eq!(status.code(), Some(0));
}

#[test]
fn list_faults_prints_one_line_per_fault() {
    let output = specgate()
        .args(["sandbox", "--list-faults"])
        .output()
        .expect("the binary runs");
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).expect("UTF-8");
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() >= 12, "{text}");
    assert_eq!(lines.len(), Fault::catalogue().len());
    for (line, fault) in lines.iter().zip(Fault::catalogue()) {
        let mut columns = line.split_whitespace();
        assert_eq!(columns.next(), Some(fault.name), "{line}");
        assert_eq!(columns.next(), Some(fault.category), "{line}");
        assert!(line.ends_with(&fault.summary()), "{line}");
    }
}

#[test]
fn unknown_fault_exits_2_naming_the_valid_ones() {
    let output = specgate()
        .args(["sandbox", "--fault", "teapot"])
        .output()
        .expect("the binary runs");
    assert_eq!(output.status.code(), Some(2));
    let text = String::from_utf8_lossy(&output.stderr);
    assert!(
        text.contains("teapot") && text.contains("drift-new-field"),
        "{text}"
    );
}

#[test]
fn broken_case_file_exits_2_with_its_error() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    std::fs::write(dir.path().join("broken.toml"), "name = [").expect("written");
    let output = specgate()
        .args(["sandbox", "--addr", "127.0.0.1:0", "--cases"])
        .arg(dir.path())
        .output()
        .expect("the binary runs");
    assert_eq!(output.status.code(), Some(2));
    let text = String::from_utf8_lossy(&output.stderr);
    assert!(
        text.starts_with("error: ") && text.contains("broken.toml"),
        "{text}"
    );
}

#[test]
fn taken_address_exits_2_with_a_clear_message() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let addr = taken.local_addr().expect("an address").to_string();
    let output = specgate()
        .args(["sandbox", "--addr", &addr, "--cases"])
        .arg(cases_dir())
        .output()
        .expect("the binary runs");
    assert_eq!(output.status.code(), Some(2));
    let text = String::from_utf8_lossy(&output.stderr);
    assert!(
        text.contains("cannot listen on") && text.contains("--addr"),
        "{text}"
    );
}

#[tokio::test]
async fn fault_slow_response_stops_working_when_the_client_gives_up() {
    let fixture = start(&["slow-response=10000"]).await;
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(100))
        .build()
        .expect("a client");
    let outcome = impatient
        .post(fixture.url())
        .header("api_key", DEFAULT_API_KEY)
        .body(trigger_body(&fixture).to_string())
        .send()
        .await;
    assert!(outcome.is_err_and(|e| e.is_timeout()));
    // The server notices the client left and drops the request it was working on.
    within_seconds(fixture.sandbox.wait_until_in_flight(0)).await;
    // Graceful shutdown waits for in-flight requests; a quick one proves the abandoned
    // request is no longer being worked on.
    let started = Instant::now();
    fixture.sandbox.shutdown().await;
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn shutdown_gives_a_request_in_flight_a_grace_period_then_cuts_it_off() {
    let fixture = start(&["slow-response=10000"]).await;
    let request = fixture
        .client
        .post(fixture.url())
        .header("api_key", DEFAULT_API_KEY)
        .body(trigger_body(&fixture).to_string())
        .send();
    let in_flight = tokio::spawn(request);
    within_seconds(fixture.sandbox.wait_until_in_flight(1)).await;
    let started = Instant::now();
    fixture.sandbox.shutdown().await;
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(1500) && waited < Duration::from_secs(5),
        "{waited:?}"
    );
    in_flight.abort();
}

#[test]
fn help_explains_the_base_url_the_faults_and_the_exit_codes() {
    let output = specgate()
        .args(["sandbox", "--help"])
        .output()
        .expect("the binary runs");
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    for needle in [
        "--addr",
        "--cases",
        "--api-key",
        "--fault",
        "--list-faults",
        "http://ADDR/v1",
        "Exit codes",
    ] {
        assert!(text.contains(needle), "{needle} missing from:\n{text}");
    }
}

// ---- Nothing is particular to sessionlink-v2 ----

const WIDGET_CASE: &str = r#"
name = "widget"
method = "PUT"
path = "/widgets/current"

[auth]
header = "x-widget-key"

[request]
schema = "widget.request.json"

[responses.201]
schema = "widget.response-201.json"

[expect]
valid = ["2xx"]
invalid = ["4xx"]
unauthorized = ["401"]

[sandbox.fields]
"/widget/id" = "w-{hash}"
"#;

const WIDGET_REQUEST: &str = r#"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "required": ["size"],
  "properties": {"size": {"type": "integer", "minimum": 1}, "colour": {"enum": ["red", "blue"]}}
}"#;

const WIDGET_RESPONSE: &str = r#"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "required": ["widget", "state"],
  "properties": {
    "widget": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}, "made": {"type": "string", "format": "date-time"}}},
    "state": {"enum": ["new", "used"]},
    "count": {"type": "integer", "minimum": 2}
  },
  "additionalProperties": false
}"#;

async fn widget_sandbox(faults: Vec<Fault>) -> (Sandbox, Arc<Operation>, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    for (file, text) in [
        ("widget.toml", WIDGET_CASE),
        ("widget.request.json", WIDGET_REQUEST),
        ("widget.response-201.json", WIDGET_RESPONSE),
    ] {
        std::fs::write(dir.path().join(file), text).expect("written");
    }
    let operations = load_cases(dir.path()).expect("the widget case loads");
    let operation = Arc::new(operations.into_iter().next().expect("one case"));
    let config = SandboxConfig {
        addr: "127.0.0.1:0".parse().expect("a socket address"),
        api_key: "widget-key".to_owned(),
        faults,
    };
    let sandbox = Sandbox::start(vec![operation.clone()], config)
        .await
        .expect("the sandbox starts");
    (sandbox, operation, dir)
}

#[tokio::test]
async fn any_case_is_served_from_its_own_method_path_header_and_schemas() {
    let (sandbox, operation, _dir) = widget_sandbox(Vec::new()).await;
    let url = format!("{}{}", sandbox.base_url(), operation.path);
    let client = reqwest::Client::new();
    let put = |body: &'static str, key: &'static str| {
        client
            .put(&url)
            .header("x-widget-key", key)
            .body(body)
            .send()
    };

    let created = put(r#"{"size": 3}"#, "widget-key")
        .await
        .expect("an answer");
    assert_eq!(created.status(), 201, "the documented 2xx status");
    let body: Value = created.json().await.expect("JSON");
    let schema = operation.response_for(201).and_then(|r| r.schema.as_ref());
    assert!(
        schema.expect("a schema").validator().is_valid(&body),
        "{body}"
    );
    assert!(body["widget"]["id"]
        .as_str()
        .is_some_and(|id| id.starts_with("w-")));

    let invalid = put(r#"{"size": 0}"#, "widget-key")
        .await
        .expect("an answer");
    assert_eq!(invalid.status(), 400);
    let invalid: Value = invalid.json().await.expect("JSON");
    assert_eq!(invalid["pointer"], "/size");

    let unauthorized = put(r#"{"size": 3}"#, "wrong").await.expect("an answer");
    assert_eq!(unauthorized.status(), 401);

    let post = client.post(&url).send().await.expect("an answer");
    let allow = post.headers().get("allow").and_then(|v| v.to_str().ok());
    assert_eq!((post.status().as_u16(), allow), (405, Some("PUT")));
}

#[tokio::test]
async fn reject_enum_value_defaults_to_the_first_optional_enum_of_any_schema() {
    let fault = "reject-enum-value".parse().expect("a fault");
    let (sandbox, operation, _dir) = widget_sandbox(vec![fault]).await;
    let url = format!("{}{}", sandbox.base_url(), operation.path);
    let client = reqwest::Client::new();
    let put = |body: &'static str| {
        client
            .put(&url)
            .header("x-widget-key", "widget-key")
            .body(body)
            .send()
    };
    let blue = put(r#"{"size": 3, "colour": "blue"}"#)
        .await
        .expect("an answer");
    let red = put(r#"{"size": 3, "colour": "red"}"#)
        .await
        .expect("an answer");
    assert_eq!((blue.status().as_u16(), red.status().as_u16()), (400, 201));
}
