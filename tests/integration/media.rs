//! Request bodies in media types other than JSON or a form (`tests/data/openapi/
//! media-requests.yaml`): text and bytes from a string schema are sent as they are; a value
//! schema given to a text or binary body (as netatmo.net and apache.org/qakka do) is sent as
//! the value's JSON text. The sandbox reads each back as its document says, over real HTTP.

use crate::common::*;

const MEDIA_REQUESTS: &str = "tests/data/openapi/media-requests.yaml";

/// The status of a request with a body of `content_type` to the sandbox.
fn send(base_url: &str, method: &str, path: &str, content_type: &str, body: &[u8]) -> u16 {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let request = reqwest::Client::new()
        .request(method, format!("{base_url}{path}"))
        .header("content-type", content_type)
        .body(body.to_vec());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async { request.send().await.unwrap().status().as_u16() })
}

#[test]
fn text_and_binary_request_bodies_are_imported_served_and_run_conformant() {
    let folder = tempfile::tempdir().unwrap();
    let document = specgate::openapi::read(std::path::Path::new(MEDIA_REQUESTS)).unwrap();
    assert!(document.problems.is_empty(), "{:?}", document.problems);
    let imported = specgate::openapi::write_cases(&document, folder.path(), None).unwrap();
    assert_eq!(imported.operations.len(), 4);
    let sandbox = TestSandbox::serving(&imported.cases_dir, &[], KEY);
    let url = &sandbox.base_url;

    // Text from a string schema: the text itself, held to the schema.
    assert_eq!(send(url, "POST", "/notes", "text/plain", b"buy milk"), 201);
    assert_eq!(send(url, "POST", "/notes", "text/plain", b""), 400);
    assert_eq!(send(url, "POST", "/notes", "text/plain", &[b'a'; 21]), 400);
    // Bytes from a binary schema.
    let bytes = "\u{1}\u{2}binary".as_bytes();
    assert_eq!(
        send(url, "PUT", "/blobs", "application/octet-stream", bytes),
        204
    );
    // A value schema for a text or binary body: the value's JSON text.
    let schedules = |body: &str| send(url, "POST", "/schedules", "text/plain", body.as_bytes());
    assert_eq!(schedules(r#"{"zone": 3}"#), 200);
    assert_eq!(schedules(r#"{"zone": 12}"#), 400);
    assert_eq!(schedules("zone 3"), 400);
    let message = |body: &str| {
        let content_type = "application/octet-stream";
        send(
            url,
            "POST",
            "/queues/q1/messages",
            content_type,
            body.as_bytes(),
        )
    };
    assert_eq!(message(r#"["aGVsbG8="]"#), 200);
    assert_eq!(message(r#"{"not": "a list"}"#), 400);

    // A plan sends a text body as its text, not as a JSON string.
    let plan = specgate(
        &["plan", "--openapi", MEDIA_REQUESTS, "--examples", "3"],
        &[],
    );
    let plan_text = text(&plan.stdout);
    assert!(plan.status.success(), "{}", text(&plan.stderr));
    let notes: Vec<serde_json::Value> = plan_text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|l: &serde_json::Value| l["case"] == "add-note")
        .collect();
    assert!(!notes.is_empty(), "{plan_text}");

    // And a run against the document's own sandbox is conformant.
    openapi_runs_conformant(MEDIA_REQUESTS, "5");
}
