//! The sandbox routes like a server (the most specific template that has the method wins; a
//! path without its method is a 405 naming every method served there), and headers HTTP
//! itself owns are never parameters with free values.

use crate::common::*;
use std::path::{Path, PathBuf};

/// Two templates one path fits: `{name}` (GET, PUT) declared before `{idOrName}` (DELETE),
/// as a real API's document has them.
const SIBLINGS: &str = r#"openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /secrets/{name}:
    parameters:
      - {name: name, in: path, required: true, schema: {type: string, pattern: '^[a-z]{1,8}$'}}
    get:
      operationId: getSecret
      responses:
        '200': {description: ok, content: {application/json: {schema: {type: object}}}}
        '400': {description: bad}
    put:
      operationId: putSecret
      requestBody:
        content:
          application/json:
            schema: {type: object, required: [value], properties: {value: {type: string}}}
      responses:
        '200': {description: ok, content: {application/json: {schema: {type: object}}}}
        '400': {description: bad}
  /secrets/{idOrName}:
    delete:
      operationId: deleteSecret
      parameters:
        - {name: idOrName, in: path, required: true, schema: {type: string, pattern: '^[a-z]{1,8}$'}}
      responses:
        '204': {description: gone}
        '400': {description: bad}
"#;

fn import(folder: &Path, document: &str) -> PathBuf {
    let path = folder.join("api.yaml");
    std::fs::write(&path, document).unwrap();
    let read = specgate::openapi::read(&path).unwrap();
    assert!(read.problems.is_empty(), "{:?}", read.problems);
    let imported = specgate::openapi::write_cases(&read, &folder.join("out"), None).unwrap();
    imported.cases_dir
}

#[test]
fn the_template_that_has_the_method_wins_and_a_missing_method_is_405_with_every_allowed_one() {
    let folder = tempfile::tempdir().unwrap();
    let cases = import(folder.path(), SIBLINGS);
    let sandbox = TestSandbox::serving(&cases, &[], KEY);
    let url = format!("{}/secrets/abc", sandbox.base_url);
    let send = |method: &str, url: &str| {
        let request = reqwest::Client::new().request(method.parse().unwrap(), url);
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async {
            let response = request.send().await.unwrap();
            let allow = response
                .headers()
                .get("allow")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            (response.status().as_u16(), allow)
        })
    };

    assert_eq!(
        send("DELETE", &url).0,
        204,
        "DELETE is served by the sibling template"
    );
    assert_eq!(send("GET", &url).0, 200);
    let (status, allow) = send("POST", &url);
    assert_eq!(status, 405);
    let mut allowed: Vec<&str> = allow.as_deref().unwrap_or_default().split(", ").collect();
    allowed.sort_unstable();
    assert_eq!(allowed, ["DELETE", "GET", "PUT"], "{allow:?}");

    let nowhere = send("DELETE", &format!("{}/other/abc", sandbox.base_url));
    assert_eq!(nowhere.0, 404, "no template fits");
}

#[test]
fn a_run_of_sibling_templates_against_the_sandbox_is_conformant() {
    let folder = tempfile::tempdir().unwrap();
    let cases = import(folder.path(), SIBLINGS);
    let sandbox = TestSandbox::serving(&cases, &[], KEY);
    let (code, written) = run_writing_all(&cases, &sandbox.base_url, &[], &[]);
    assert_eq!(code, 0, "{written}");
    assert!(written.contains("CONFORMANT"), "{written}");
}

const TRANSPORT_HEADER: &str = r#"openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /uploads:
    post:
      operationId: upload
      parameters:
        - {name: Content-Length, in: header, required: true, schema: {type: integer}}
        - {name: X-Trace, in: header, schema: {type: string, maxLength: 8}}
      requestBody:
        content:
          application/json:
            schema: {type: object, required: [name], properties: {name: {type: string}}}
      responses:
        '201': {description: ok, content: {application/json: {schema: {type: object}}}}
        '400': {description: bad}
"#;

#[test]
fn a_header_http_owns_is_left_out_at_import_with_a_note_and_never_sent_as_a_free_value() {
    let folder = tempfile::tempdir().unwrap();
    let cases = import(folder.path(), TRANSPORT_HEADER);
    let case = std::fs::read_to_string(cases.join("upload.toml")).unwrap();
    assert!(
        case.contains("# note: the header parameter `Content-Length` (")
            && case.contains(
                "api.yaml#/paths/~1uploads/post/parameters/0) is left out: HTTP itself sets it from the request"
            ),
        "{case}"
    );
    assert!(!case.contains("name = \"Content-Length\""), "{case}");
    assert!(case.contains("name = \"X-Trace\""), "{case}");

    let dir = cases.display().to_string();
    let plan = specgate(&["plan", "--cases", &dir, "--examples", "20"], &[]);
    let plan = text(&plan.stdout);
    assert!(plan.contains("x-trace"), "{plan}");
    assert!(
        !plan.to_ascii_lowercase().contains("content-length"),
        "{plan}"
    );

    let sandbox = TestSandbox::serving(&cases, &[], KEY);
    let (code, written) = run_writing_all(&cases, &sandbox.base_url, &[], &[]);
    assert_eq!(code, 0, "{written}");
}

#[test]
fn a_case_file_with_a_header_http_owns_is_refused_naming_it_and_the_fix() {
    let folder = tempfile::tempdir().unwrap();
    let cases = import(folder.path(), TRANSPORT_HEADER);
    let file = cases.join("upload.toml");
    let case = std::fs::read_to_string(&file)
        .unwrap()
        .replace("name = \"X-Trace\"", "name = \"Transfer-Encoding\"");
    std::fs::write(&file, case).unwrap();
    let dir = cases.display().to_string();
    let output = specgate(&["plan", "--cases", &dir], &[]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("upload.toml"), "{stderr}");
    assert!(
        stderr.contains(
            "the header parameter `Transfer-Encoding` is one HTTP itself sets from the request"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("remove this parameter: specgate cannot send a free value in it"),
        "{stderr}"
    );
}
