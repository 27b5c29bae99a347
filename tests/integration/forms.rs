//! Form bodies with nested values (`tests/data/forms/nested-form.yaml`): fields that are
//! objects and arrays of objects, sent with `style: deepObject` as Stripe's API takes them
//! (`address[line1]=…`, `items[0][price]=…`), one through a `$ref`, beside a joined array.
//! The import writes each field's encoding into the case, the plan sends nested values as
//! bracketed keys, the sandbox reads them back by the schema over real HTTP, and a run
//! against the document's own sandbox is conformant. A multipart body's object field is a
//! JSON part, and the sandbox splits a body by the boundary its Content-Type names.

use crate::common::*;
use std::path::Path;

const NESTED_FORM: &str = "tests/data/forms/nested-form.yaml";
const FORM: &str = "application/x-www-form-urlencoded";

/// The status of a form body `body` POSTed to `/customers` of the sandbox.
fn post_form(base_url: &str, body: &str) -> u16 {
    post(base_url, "/customers", FORM, body)
}

/// The status of `body` of `content_type` POSTed to `path` of the sandbox.
fn post(base_url: &str, path: &str, content_type: &str, body: &str) -> u16 {
    let request = reqwest::Client::new()
        .post(format!("{base_url}{path}"))
        .header("content-type", content_type)
        .body(body.to_owned());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async { request.send().await.unwrap().status().as_u16() })
}

#[test]
fn the_import_writes_each_form_fields_encoding_into_the_case() {
    let folder = tempfile::tempdir().unwrap();
    let document = specgate::openapi::read(Path::new(NESTED_FORM)).unwrap();
    assert!(document.problems.is_empty(), "{:?}", document.problems);
    let imported = specgate::openapi::write_cases(&document, folder.path(), None).unwrap();
    let case = std::fs::read_to_string(imported.cases_dir.join("create-customer.toml")).unwrap();
    assert!(case.contains("[request.encoding]"), "{case}");
    assert!(
        case.contains(r#"address = { style = "deepObject", explode = true }"#),
        "{case}"
    );
    assert!(
        case.contains(r#"tags = { style = "pipeDelimited", explode = false }"#),
        "{case}"
    );
}

#[test]
fn the_sandbox_reads_nested_form_fields_by_the_schema() {
    let folder = tempfile::tempdir().unwrap();
    let document = specgate::openapi::read(Path::new(NESTED_FORM)).unwrap();
    let imported = specgate::openapi::write_cases(&document, folder.path(), None).unwrap();
    let sandbox = TestSandbox::serving(&imported.cases_dir, &[], KEY);
    let url = &sandbox.base_url;

    // The `$ref`ed address's fields, nested, each read as its own type.
    let valid = "name=Ann&address%5Bline1%5D=1+Main+St&address%5Bzip%5D=12345";
    assert_eq!(post_form(url, valid), 200);
    assert_eq!(
        post_form(url, "name=Ann&address[line1]=x&address[zip]=notanumber"),
        400,
        "zip is an integer"
    );
    assert_eq!(
        post_form(url, "name=Ann&address[line1]=x&address[zip]=12"),
        400,
        "zip is at least 1000"
    );
    // The address is required, and a flat value is not an object.
    assert_eq!(post_form(url, "name=Ann"), 400);
    assert_eq!(post_form(url, "name=Ann&address=x"), 400);
    // An array of objects by index; a missing required field of an item is refused.
    let items =
        "name=Ann&address[line1]=x&items[0][price]=p1&items[1][price]=p2&items[1][quantity]=3";
    assert_eq!(post_form(url, items), 200);
    assert_eq!(
        post_form(url, "name=Ann&address[line1]=x&items[0][quantity]=3"),
        400
    );
    // `metadata` is anyOf a map of strings and the empty string.
    assert_eq!(
        post_form(url, "name=Ann&address[line1]=x&metadata[order]=7"),
        200
    );
    assert_eq!(post_form(url, "name=Ann&address[line1]=x&metadata="), 200);
    assert_eq!(
        post_form(
            url,
            "name=Ann&address[line1]=x&metadata[order]=waytoolongvalue"
        ),
        400
    );
    // A pipe-delimited array of integers.
    assert_eq!(post_form(url, "name=Ann&address[line1]=x&tags=1|2|3"), 200);
    assert_eq!(post_form(url, "name=Ann&address[line1]=x&tags=1|22"), 400);
}

#[test]
fn the_sandbox_splits_a_multipart_body_by_its_own_boundary_and_reads_json_parts() {
    let folder = tempfile::tempdir().unwrap();
    let document = specgate::openapi::read(Path::new(NESTED_FORM)).unwrap();
    let imported = specgate::openapi::write_cases(&document, folder.path(), None).unwrap();
    let sandbox = TestSandbox::serving(&imported.cases_dir, &[], KEY);
    let multipart = |boundary: &str, address: &str, address_type: &str| {
        let body = format!(
            "--{boundary}\r\ncontent-disposition: form-data; name=\"name\"\r\n\r\nAnn\r\n\
             --{boundary}\r\ncontent-disposition: form-data; name=\"address\"\r\n\
             content-type: {address_type}\r\n\r\n{address}\r\n--{boundary}--\r\n"
        );
        let content_type = format!("multipart/form-data; boundary={boundary}");
        post(&sandbox.base_url, "/profiles", &content_type, &body)
    };
    let json = "application/json";
    // The client's own boundary, not specgate's.
    assert_eq!(
        multipart("client-chosen-42", r#"{"line1": "x"}"#, json),
        201
    );
    // Each part is checked: the JSON part's fields against the `$ref`ed address.
    assert_eq!(
        multipart("client-chosen-42", r#"{"line1": "x", "zip": "z"}"#, json),
        400
    );
    assert_eq!(multipart("client-chosen-42", "{not json", json), 400);
    // A body whose delimiters are not the named boundary's has no parts.
    let body =
        "--other\r\ncontent-disposition: form-data; name=\"name\"\r\n\r\nAnn\r\n--other--\r\n";
    let content_type = "multipart/form-data; boundary=client-chosen-42";
    assert_eq!(
        post(&sandbox.base_url, "/profiles", content_type, body),
        400
    );

    // The plan sends the object as a JSON part.
    let plan = specgate(
        &[
            "plan",
            "--openapi",
            NESTED_FORM,
            "--operation",
            "createProfile",
        ],
        &[],
    );
    let plan_text = text(&plan.stdout);
    assert!(
        plan_text.contains(r#"name=\"address\"\r\ncontent-type: application/json\r\n\r\n{"#),
        "{plan_text}"
    );
}

#[test]
fn nested_values_are_sent_as_bracketed_keys_and_the_run_is_conformant() {
    let plan = specgate(&["plan", "--openapi", NESTED_FORM, "--examples", "20"], &[]);
    let plan_text = text(&plan.stdout);
    assert!(plan.status.success(), "{}", text(&plan.stderr));
    let bodies: Vec<String> = plan_text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|l| l["expect"] == "accept" && l["case"] == "create-customer")
        .filter_map(|l| l["raw_body"].as_str().map(str::to_owned))
        .collect();
    // The required `$ref`ed address travels nested in every valid request with a body.
    assert!(!bodies.is_empty(), "{plan_text}");
    assert!(
        bodies.iter().all(|b| b.contains("address%5Bline1%5D=")),
        "{bodies:#?}"
    );
    assert!(
        bodies
            .iter()
            .any(|b| b.contains("items%5B0%5D%5Bprice%5D=")),
        "{bodies:#?}"
    );

    openapi_runs_conformant(NESTED_FORM, "20");
}
