//! Parameters serialised as a media type (OpenAPI's `content`, `tests/data/
//! content-parameters.openapi.yaml`): a path, query, header and cookie parameter each sent as
//! JSON text and a query parameter as `text/plain`, imported, planned with their encoded
//! values, served by the sandbox (which parses them back and refuses what is not JSON or
//! fails the schema), and run conformant; a server that takes what it should refuse is found.
//! And `allow_empty_value`, the other parameter flag OpenAPI has beside `style`.

use crate::common::*;
use serde_json::Value;
use std::io::{Read, Write};

const DOCUMENT: &str = "tests/data/content-parameters.openapi.yaml";

/// The one operation of the document a case file can say (the other's parameter is XML).
const EXCLUDE: [&str; 2] = ["--exclude-operation", "exportReports"];

/// The document imported into a temporary folder: (the folder, its cases folder).
fn imported() -> (tempfile::TempDir, std::path::PathBuf) {
    let folder = tempfile::tempdir().unwrap();
    let out = folder.path().display().to_string();
    let mut args = vec!["import", DOCUMENT, "--out", &out];
    args.extend(EXCLUDE);
    let output = specgate(&args, &[]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let cases = folder.path().join("cases");
    (folder, cases)
}

/// The status and body of a GET of `target` with `headers` to the sandbox.
fn get(base_url: &str, target: &str, headers: &[(&str, &str)]) -> (u16, Value) {
    let mut request = reqwest::Client::new().get(format!("{base_url}{target}"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    })
}

#[test]
fn a_media_type_the_case_file_cannot_say_is_refused_naming_it_and_its_place() {
    let folder = tempfile::tempdir().unwrap();
    let out = folder.path().display().to_string();
    let output = specgate(&["import", DOCUMENT, "--out", &out], &[]);
    assert_ne!(output.status.code(), Some(0));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("exportReports")
            && stderr.contains("/paths/~1exports/get/parameters/0/content")
            && stderr.contains("`application/xml`"),
        "{stderr}"
    );
    // The JSON operation was written, its parameters sent as JSON.
    let case = std::fs::read_to_string(folder.path().join("cases/list-reports.toml")).unwrap();
    assert_eq!(
        case.matches("content_type = \"application/json\"").count(),
        4,
        "{case}"
    );
    assert!(case.contains("content_type = \"text/plain\""), "{case}");
}

#[test]
fn the_plan_sends_each_content_parameter_as_encoded_json_text_in_its_place() {
    let (_folder, cases) = imported();
    let cases = cases.display().to_string();
    let output = specgate(&["plan", "--cases", &cases, "--examples", "2"], &[]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let lines: Vec<Value> = text(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let line = |reason: &str| {
        lines
            .iter()
            .find(|l| l["reason"] == reason)
            .unwrap_or_else(|| panic!("no `{reason}` in the plan"))
    };
    let all = line("all-fields");
    assert_eq!(all["expect"], "accept");
    assert_eq!(
        all["target"],
        "/reports/%7B%22year%22%3A2000%7D?filter=%7B%22status%22%3A%22open%22%2C%22limit%22%3A1%7D&note=specgate"
    );
    assert_eq!(all["headers"]["x-context"], r#"{"tenant":"specgate"}"#);
    assert_eq!(all["headers"]["cookie"], "prefs=%5B%22dark%22%5D");
    // Values that break the schema go as JSON text too.
    let wrong = line("wrong-type: /query/filter=string");
    assert_eq!(wrong["expect"], "reject");
    assert!(
        wrong["target"]
            .as_str()
            .unwrap()
            .ends_with("?filter=%22specgate%22"),
        "{wrong}"
    );
    assert_eq!(
        line("enum-outside: /query/filter/status=OPEN")["expect"],
        "reject"
    );
    // And text that is not JSON at all, in every place.
    let not_json = line("not-json: /query/filter");
    assert_eq!(not_json["expect"], "reject");
    assert!(
        not_json["target"]
            .as_str()
            .unwrap()
            .ends_with("?filter=%7B"),
        "{not_json}"
    );
    assert!(line("not-json: /path/selector")["target"]
        .as_str()
        .unwrap()
        .starts_with("/reports/%7B?"));
    assert_eq!(
        line("not-json: /header/X-Context")["headers"]["x-context"],
        "{"
    );
    assert_eq!(
        line("not-json: /cookie/prefs")["headers"]["cookie"],
        "prefs=%7B"
    );
}

#[test]
fn the_sandbox_reads_content_parameters_back_and_a_run_against_it_is_conformant() {
    let (_folder, cases) = imported();
    let sandbox = TestSandbox::serving(&cases, &[], KEY);
    let url = &sandbox.base_url;
    let selector = "/reports/%7B%22year%22%3A2020%7D";
    let ok = format!("{selector}?filter=%7B%22status%22%3A%22open%22%2C%22limit%22%3A5%7D");
    assert_eq!(get(url, &ok, &[]).0, 200);
    assert_eq!(
        get(url, &ok, &[("x-context", r#"{"tenant":"acme"}"#)]).0,
        200
    );
    // Not JSON: the documented 400 (its documented body says no more than `error`).
    assert_eq!(get(url, &format!("{selector}?filter=%7B"), &[]).0, 400);
    // JSON that fails the schema: outside the enum, a field missing, a header's pattern.
    let outside = format!("{selector}?filter=%7B%22status%22%3A%22OPEN%22%2C%22limit%22%3A5%7D");
    assert_eq!(get(url, &outside, &[]).0, 400);
    let missing = format!("{selector}?filter=%7B%22status%22%3A%22open%22%7D");
    assert_eq!(get(url, &missing, &[]).0, 400);
    assert_eq!(get(url, &ok, &[("x-context", r#"{"tenant":"A"}"#)]).0, 400);
    assert_eq!(get(url, &ok, &[("x-context", "{")]).0, 400);
    assert_eq!(get(url, "/reports/%7B?filter=%7B%7D", &[]).0, 400);

    let (code, report, console) = run_against(
        &sandbox,
        &["--cases", &cases.display().to_string(), "--drift", "off"],
    );
    assert_eq!(code, 0, "{console}");
    assert!(finding_members(&report).is_empty(), "{console}");
    assert!(console.contains("CONFORMANT"), "{console}");
}

#[test]
fn a_run_of_the_document_itself_is_conformant_with_its_untestable_operation_excluded() {
    let mut args = vec![
        "run",
        "--openapi",
        DOCUMENT,
        "--examples",
        "5",
        "--drift",
        "off",
    ];
    args.extend(EXCLUDE);
    exits_0_saying(&args, "CONFORMANT");
}

#[test]
fn a_sandbox_that_takes_a_wrong_type_in_a_json_parameter_is_found() {
    let (_folder, cases) = imported();
    let sandbox = TestSandbox::serving(&cases, &["accept-wrong-type"], KEY);
    let (code, report, console) = run_against(
        &sandbox,
        &["--cases", &cases.display().to_string(), "--drift", "off"],
    );
    assert_eq!(code, 1, "{console}");
    let findings = finding_members(&report);
    assert!(!findings.is_empty(), "{console}");
    assert!(
        findings
            .iter()
            .all(|f| f["check"] == "accepts-invalid" && f["case"] == "list-reports"),
        "{findings:?}"
    );
}

/// A server that answers every request `200 {"count": 1}`, whatever it holds.
fn accepting_everything() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut read = Vec::new();
                let mut buffer = [0u8; 4096];
                while !read.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buffer) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => read.extend_from_slice(&buffer[..n]),
                    }
                }
                let body = r#"{"count":1}"#;
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(answer.as_bytes());
            });
        }
    });
    format!("http://{addr}/v1")
}

#[test]
fn a_server_that_takes_text_that_is_not_json_in_a_json_parameter_is_found() {
    let (_folder, cases) = imported();
    let base_url = accepting_everything();
    let folder = tempfile::tempdir().unwrap();
    let report = folder.path().join("report.json");
    let report_arg = format!("json={}", report.display());
    let cases_arg = cases.display().to_string();
    let output = specgate(
        &[
            "run",
            "--cases",
            &cases_arg,
            "--base-url",
            &base_url,
            "--examples",
            "0",
            "--drift",
            "off",
            "--report",
            &report_arg,
        ],
        &[],
    );
    let console = format!("{}{}", text(&output.stdout), text(&output.stderr));
    assert_eq!(output.status.code(), Some(1), "{console}");
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    // One finding, whose examples are the not-JSON request at each place.
    let not_json = finding_members(&report)
        .into_iter()
        .find(|f| {
            f["reason"]
                .as_str()
                .is_some_and(|r| r.starts_with("not-json:"))
        })
        .unwrap_or_else(|| panic!("no not-json finding: {console}"));
    assert_eq!(not_json["check"], "accepts-invalid");
    assert_eq!(not_json["expect"], "reject");
    let examples: Vec<&str> = not_json["examples"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        examples,
        [
            "list-reports:not-json:/path/selector",
            "list-reports:not-json:/query/filter",
            "list-reports:not-json:/header/X-Context",
            "list-reports:not-json:/cookie/prefs",
        ]
    );
}

#[test]
fn a_case_file_content_type_a_parameter_cannot_be_sent_as_is_refused_at_its_line() {
    let folder = tempfile::tempdir().unwrap();
    let case = |extra: &str| {
        format!(
            "name = \"f\"\nmethod = \"GET\"\npath = \"/f\"\n\n[[parameters]]\nname = \"filter\"\nin = \"query\"\nschema = {{ type = \"object\" }}\n{extra}\n\n[responses.200]\n\n[expect]\nvalid = [\"200\"]\ninvalid = [\"400\"]\n"
        )
    };
    let file = folder.path().join("f.toml");
    let cases = folder.path().display().to_string();
    for (extra, problem, fix) in [
        (
            "content_type = \"application/xml\"",
            "`content_type = \"application/xml\"` of the parameter `filter` is not a media type a parameter can be sent as",
            "fix: write \"application/json\" (or a `+json` type) or \"text/plain\"",
        ),
        (
            "content_type = \"application/json\"\nstyle = \"form\"",
            "the parameter `filter` has both `content_type` and `style`/`explode`",
            "fix: keep one",
        ),
    ] {
        std::fs::write(&file, case(extra)).unwrap();
        let output = specgate(&["plan", "--cases", &cases], &[]);
        assert_eq!(output.status.code(), Some(2));
        let stderr = text(&output.stderr);
        assert!(
            stderr.contains(&format!("{}:9:16: {problem}", file.display()))
                && stderr.contains(fix),
            "{stderr}"
        );
    }
    // Written right, the same case plans.
    std::fs::write(&file, case("content_type = \"application/json\"")).unwrap();
    let output = specgate(&["plan", "--cases", &cases], &[]);
    assert!(output.status.success(), "{}", text(&output.stderr));
}

#[test]
fn allow_empty_value_lets_an_empty_query_value_through_and_is_refused_elsewhere() {
    let folder = tempfile::tempdir().unwrap();
    let case = |location: &str| {
        format!(
            "name = \"h\"\nmethod = \"GET\"\npath = \"/h\"\n\n[[parameters]]\nname = \"year\"\nin = \"{location}\"\nschema = {{ type = \"integer\", minimum = 2016 }}\nallow_empty_value = true\n\n[responses.200]\n\n[expect]\nvalid = [\"200\"]\ninvalid = [\"400\"]\n"
        )
    };
    let file = folder.path().join("h.toml");
    let cases = folder.path().display().to_string();
    std::fs::write(&file, case("header")).unwrap();
    let output = specgate(&["plan", "--cases", &cases], &[]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "{}:9:21: `allow_empty_value = true` on the header parameter `year`",
            file.display()
        )) && stderr.contains("fix: OpenAPI allows an empty value in the query only"),
        "{stderr}"
    );
    std::fs::write(&file, case("query")).unwrap();
    let output = specgate(&["plan", "--cases", &cases], &[]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let plan = text(&output.stdout);
    let empty = plan
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|l| l["reason"] == "url-edge: /query/year=empty")
        .unwrap_or_else(|| panic!("{plan}"));
    assert_eq!(empty["expect"], "accept");
    assert_eq!(empty["target"], "/h?year=");
    let sandbox = TestSandbox::serving(folder.path(), &[], KEY);
    assert_eq!(get(&sandbox.base_url, "/h?year=", &[]).0, 200);
    assert_eq!(get(&sandbox.base_url, "/h?year=2015", &[]).0, 400);
}
