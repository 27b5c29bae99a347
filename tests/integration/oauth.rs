//! OAuth2 client credentials renewed on expiry: a token endpoint that issues short-lived
//! tokens (a proxy in front of the sandbox's, announcing `expires_in: 6`, so a token is fresh
//! for about a second once the client's five-second margin is taken off) gets a token asked
//! for again as each runs out, not for every request; the tokens are never written. The
//! document is Swagger 2.0, so its `application` flow is read as client credentials.

use crate::common::*;
use axum::extract::State;
use axum::http::HeaderMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// The short-lived token endpoint: what it forwards to, and what it saw.
#[derive(Default)]
struct Proxy {
    upstream: Mutex<String>,
    fetched: AtomicUsize,
    not_token_requests: AtomicUsize,
}

async fn token(
    State(proxy): State<Arc<Proxy>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> (axum::http::StatusCode, axum::Json<serde_json::Value>) {
    proxy.fetched.fetch_add(1, Ordering::SeqCst);
    let upstream = proxy.upstream.lock().unwrap().clone();
    let mut request = reqwest::Client::new().post(upstream).body(body);
    for name in ["authorization", "content-type"] {
        if let Some(value) = headers.get(name) {
            request = request.header(name, value.as_bytes());
        }
    }
    let answer = request.send().await.unwrap();
    let status = axum::http::StatusCode::from_u16(answer.status().as_u16()).unwrap();
    let mut json: serde_json::Value = answer.json().await.unwrap();
    if json.get("expires_in").is_some() {
        json["expires_in"] = serde_json::json!(6);
    }
    (status, axum::Json(json))
}

async fn elsewhere(State(proxy): State<Arc<Proxy>>) -> axum::http::StatusCode {
    proxy.not_token_requests.fetch_add(1, Ordering::SeqCst);
    axum::http::StatusCode::NOT_FOUND
}

/// The proxy on an ephemeral loopback port: its URL and what it counts.
fn start_proxy(runtime: &tokio::runtime::Runtime) -> (String, Arc<Proxy>) {
    let proxy = Arc::new(Proxy::default());
    let app = axum::Router::new()
        .route("/oauth/token", axum::routing::post(token))
        .fallback(elsewhere)
        .with_state(Arc::clone(&proxy));
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("http://{}/oauth/token", listener.local_addr().unwrap());
    runtime.spawn(async move { axum::serve(listener, app).await });
    (url, proxy)
}

fn swagger2_document(folder: &std::path::Path, token_url: &str) -> std::path::PathBuf {
    let path = folder.join("api.yaml");
    let text = format!(
        r#"swagger: "2.0"
info: {{title: t, version: "1"}}
basePath: /v1
securityDefinitions:
  partner:
    type: oauth2
    flow: application
    tokenUrl: {token_url}
    scopes: {{orders.write: write}}
security: [{{partner: [orders.write]}}]
paths:
  /orders:
    post:
      operationId: createOrder
      parameters:
        - {{name: order, in: body, required: true, schema: {{type: object, required: [sku], properties: {{sku: {{type: string, maxLength: 6}}}}}}}}
      responses:
        "201": {{description: created, schema: {{type: object, required: [id], properties: {{id: {{type: integer}}}}}}}}
        "401": {{description: no key}}
"#
    );
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn an_oauth2_token_is_renewed_as_it_expires_and_never_written() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (token_url, proxy) = start_proxy(&runtime);
    let folder = tempfile::tempdir().unwrap();
    let document = swagger2_document(folder.path(), &token_url);
    let read = specgate::openapi::read(&document).unwrap();
    assert!(read.problems.is_empty(), "{:?}", read.problems);
    let imported = specgate::openapi::write_cases(&read, &folder.path().join("out"), None).unwrap();
    let sandbox = TestSandbox::serving(&imported.cases_dir, &[], KEY);
    *proxy.upstream.lock().unwrap() = sandbox.base_url.replace("/v1", "/oauth/token");

    // 60 requests at 20 a second: three seconds, so a token of about one runs out twice.
    let slow = [
        "--examples",
        "60",
        "--rate",
        "20",
        "--concurrency",
        "1",
        "--strict",
    ];
    let client_id = [("SPECGATE_API_KEY_CLIENT_ID", "client-7")];
    let (code, written) =
        run_writing_all(&imported.cases_dir, &sandbox.base_url, &slow, &client_id);
    assert_eq!(code, 0, "{written}");
    assert!(written.contains("CONFORMANT"), "{written}");
    let fetched = proxy.fetched.load(Ordering::SeqCst);
    let requests = written
        .split("requests: ")
        .nth(1)
        .and_then(|after| after.split(' ').next())
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap();
    eprintln!("{fetched} tokens fetched for {requests} requests");
    assert!(
        fetched >= 3 && fetched < requests / 2,
        "{fetched} tokens for {requests} requests: renewed as they expire, cached between"
    );
    assert_eq!(proxy.not_token_requests.load(Ordering::SeqCst), 0);
    assert!(!written.contains("sbx-token-"), "a token was written");
    assert!(!written.contains(KEY), "the client secret was written");
}
