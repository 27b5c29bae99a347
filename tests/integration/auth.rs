//! Auth schemes beyond an API-key header: bearer, basic and a key in a cookie, imported from
//! an OpenAPI document, sent by a run, checked by the sandbox, probed for enforcement, and
//! never written out (a basic credential not even in base64).

use crate::common::*;
use std::path::Path;

/// An OpenAPI document of one JSON-body operation secured by `scheme` (a Security Scheme
/// Object in YAML flow style).
fn document(folder: &Path, scheme: &str) -> std::path::PathBuf {
    let path = folder.join("api.yaml");
    let text = format!(
        r#"openapi: 3.0.3
info: {{title: t, version: '1'}}
components:
  securitySchemes:
    partner: {scheme}
security: [{{partner: []}}]
paths:
  /orders:
    post:
      operationId: createOrder
      requestBody:
        content:
          application/json:
            schema: {{type: object, required: [sku], properties: {{sku: {{type: string, maxLength: 6}}}}}}
      responses:
        '201':
          description: created
          content:
            application/json:
              schema: {{type: object, required: [id], properties: {{id: {{type: integer}}}}}}
        '401': {{description: no key}}
"#
    );
    std::fs::write(&path, text).unwrap();
    path
}

/// Import the document, serve it with `faults`, run against it: (exit code, everything the
/// run wrote: console and JSON report).
fn run(scheme: &str, faults: &[&str]) -> (i32, String) {
    let folder = tempfile::tempdir().unwrap();
    let document = document(folder.path(), scheme);
    let out = folder.path().join("out");
    let read = specgate::openapi::read(&document).unwrap();
    assert!(read.problems.is_empty(), "{:?}", read.problems);
    let imported = specgate::openapi::write_cases(&read, &out, None).unwrap();
    let sandbox = TestSandbox::serving(&imported.cases_dir, faults, KEY);
    run_writing_all(&imported.cases_dir, &sandbox.base_url, &[], &[])
}

const SCHEMES: [(&str, &str); 4] = [
    ("bearer", "{type: http, scheme: bearer}"),
    ("basic", "{type: http, scheme: basic}"),
    ("cookie", "{type: apiKey, in: cookie, name: session}"),
    ("header", "{type: apiKey, in: header, name: X-Partner-Key}"),
];

#[test]
fn every_scheme_is_sent_as_the_sandbox_expects_and_never_written() {
    use base64::Engine as _;
    let encoded = base64::engine::general_purpose::STANDARD.encode(KEY);
    for (name, scheme) in SCHEMES {
        let (code, written) = run(scheme, &[]);
        assert_eq!(code, 0, "{name}: {written}");
        assert!(written.contains("CONFORMANT"), "{name}: {written}");
        assert!(
            !written.contains(KEY) && !written.contains(&encoded),
            "{name} leaked"
        );
    }
}

#[test]
fn an_unchecked_key_is_found_for_every_scheme() {
    for (name, scheme) in SCHEMES {
        let (code, written) = run(scheme, &["auth-not-enforced"]);
        assert_eq!(code, 1, "{name}: {written}");
        assert!(written.contains("[auth-not-enforced]"), "{name}: {written}");
    }
}

#[test]
fn the_plan_and_curl_lines_show_each_scheme_with_the_key_from_the_environment() {
    let folder = tempfile::tempdir().unwrap();
    let document = document(folder.path(), "{type: http, scheme: bearer}");
    let doc = document.display().to_string();
    let output = specgate(&["plan", "--openapi", &doc, "--examples", "0"], &[]);
    let plan = text(&output.stdout);
    assert!(
        plan.contains(r#""authorization":"Bearer ${SPECGATE_API_KEY}""#),
        "{plan}"
    );
    assert!(
        plan.contains(r#""authorization":"Bearer specgate-wrong-key""#),
        "{plan}"
    );
}

#[test]
fn a_scheme_without_what_it_needs_names_the_line_and_the_fix() {
    let folder = tempfile::tempdir().unwrap();
    std::fs::copy("cases/sessionlink-v2.toml", folder.path().join("c.toml")).unwrap();
    let case = std::fs::read_to_string(folder.path().join("c.toml"))
        .unwrap()
        .replace("header = \"api_key\"", "scheme = \"cookie\"")
        .replace("../schemas/", &format!("{}/schemas/", workdir().display()));
    std::fs::write(folder.path().join("c.toml"), case).unwrap();
    let dir = folder.path().display().to_string();
    let output = specgate(&["plan", "--cases", &dir], &[]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("`scheme = \"cookie\"` needs `cookie`"),
        "{stderr}"
    );
}
