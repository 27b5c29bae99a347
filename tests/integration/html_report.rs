//! The HTML report over real HTTP: one self-contained page that parses, shows every
//! operation, and holds every finding of a run with faults (failing and known), with its
//! request, response excerpt and curl line, the key scrubbed.

use crate::common::*;
use std::path::Path;

const ORDERS: &str = "tests/data/orders";

/// Run the orders API with `faults`, writing the HTML and JSON reports: (code, html, json).
fn run_with_reports(faults: &[&str], extra: &[&str]) -> (i32, String, serde_json::Value) {
    let sandbox = TestSandbox::serving(Path::new(ORDERS), faults, KEY);
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("report.html");
    let json = dir.path().join("report.json");
    let html_arg = format!("html={}", html.display());
    let json_arg = format!("json={}", json.display());
    let mut args = vec![
        "run",
        "--cases",
        ORDERS,
        "--base-url",
        &sandbox.base_url,
        "--examples",
        "5",
        "--drift",
        "off",
        "--report",
        &html_arg,
        "--report",
        &json_arg,
    ];
    args.extend_from_slice(extra);
    let output = specgate(&args, &[("ORDERS_TOKEN", KEY)]);
    let console = format!("{}{}", text(&output.stdout), text(&output.stderr));
    let html = std::fs::read_to_string(&html).unwrap_or_else(|_| panic!("{console}"));
    let json = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    (output.status.code().unwrap_or(-1), html, json)
}

/// The values of `attribute` on every element matching `selector`.
fn attributes(html: &str, selector: &str, attribute: &str) -> Vec<String> {
    let dom = tl::parse(html, tl::ParserOptions::default()).expect("the report parses");
    let parser = dom.parser();
    dom.query_selector(selector)
        .expect("a selector")
        .filter_map(|handle| handle.get(parser)?.as_tag().cloned())
        .filter_map(|tag| {
            let value = tag.attributes().get(attribute)??;
            Some(value.as_utf8_str().into_owned())
        })
        .collect()
}

fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[test]
fn the_html_report_holds_every_operation_and_every_finding_of_a_faulty_run() {
    let faults = [
        "error-body-off-schema",
        "accept-query-off-by-one",
        "auth-skipped-on=orders-get",
    ];
    let (code, html, json) = run_with_reports(&faults, &[]);
    assert_eq!(code, 1, "{json:#}");
    let findings = json["findings"].as_array().unwrap();
    assert!(findings.len() >= 3, "{json:#}");
    let shown: Vec<String> = attributes(&html, "details.finding", "data-fingerprint")
        .iter()
        .map(|f| unescape(f))
        .collect();
    let expected: Vec<String> = findings
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(shown, expected, "every finding, in report order");
    let mut operations = attributes(&html, "tr", "data-case");
    operations.sort();
    assert_eq!(
        operations,
        [
            "orders-create",
            "orders-delete",
            "orders-get",
            "orders-list"
        ]
    );
    for section in ["pre.request", "pre.response", "pre.curl"] {
        assert_eq!(
            attributes(&html, section, "class").len(),
            findings.len(),
            "{section} in every finding"
        );
    }
    assert!(!html.contains(KEY), "the key is scrubbed");
    assert!(
        html.contains("${ORDERS_TOKEN}"),
        "the curl lines name the variable"
    );
    let dom = tl::parse(&html, tl::ParserOptions::default()).unwrap();
    for external in ["script", "link", "img", "iframe"] {
        assert_eq!(
            dom.query_selector(external).unwrap().count(),
            0,
            "<{external}> in a self-contained page"
        );
    }
}

#[test]
fn known_findings_are_in_the_html_report_apart_from_failing_ones() {
    let dir = tempfile::tempdir().unwrap();
    let (_, _, json) = run_with_reports(&["auth-skipped-on=orders-get"], &[]);
    let known = dir.path().join("known.toml");
    let report = dir.path().join("report.json");
    std::fs::write(&report, json.to_string()).unwrap();
    let (from, out) = (report.display().to_string(), known.display().to_string());
    let added = specgate(&["known", "add", "--from", &from, "--out", &out], &[]);
    assert_eq!(added.status.code(), Some(0), "{}", text(&added.stderr));
    let (code, html, json) = run_with_reports(&["auth-skipped-on=orders-get"], &["--known", &out]);
    assert_eq!(code, 0, "{json:#}");
    let known_count = json["known"]["known"].as_array().unwrap().len();
    assert!(known_count > 0);
    assert_eq!(
        attributes(&html, "details.known", "data-fingerprint").len(),
        known_count
    );
    assert_eq!(
        attributes(&html, "details.failing", "data-fingerprint").len(),
        0
    );
    let verdict = attributes(&html, "#verdict", "class");
    assert_eq!(verdict, ["verdict pass"]);
    assert!(html.contains(&format!(
        "CONFORMANT — 0 new findings; {known_count} known, 0 expired"
    )));
}

#[test]
fn the_faithful_sandbox_gives_an_html_report_with_no_findings_and_nothing_untested() {
    let (code, html, _) = run_with_reports(&[], &[]);
    assert_eq!(code, 0);
    assert_eq!(attributes(&html, "details.finding", "class").len(), 0);
    assert!(html.contains("Untested operations (0)"), "{html}");
    assert_eq!(attributes(&html, "tr.ok", "data-case").len(), 4);
}

/// A run's warnings (here: connections closed after a 500 without notice) are on the page,
/// apart from the findings, as in the JSON report.
#[test]
fn the_html_report_shows_the_runs_warnings() {
    let (code, html, json) = run_with_reports(&["close-after-5xx", "server-error-path-param"], &[]);
    assert_eq!(code, 1);
    let warnings = json["summary"]["warnings"].as_array().expect("warnings");
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(attributes(&html, "li.warning", "data-check"), ["transport"]);
    assert!(html.contains("Warnings (1)"), "{html}");
    let message = warnings[0]["message"].as_str().unwrap();
    assert!(unescape(&html).contains(message), "{message}\n{html}");
    // A run without warnings has no such section.
    let (_, faithful, _) = run_with_reports(&[], &[]);
    assert!(!faithful.contains("id=\"warnings\""));
}

/// The cells of the operations table's "requests by kind" column, by case.
fn requests_by_kind(html: &str) -> Vec<(String, String)> {
    let dom = tl::parse(html, tl::ParserOptions::default()).expect("the report parses");
    let parser = dom.parser();
    dom.query_selector("tr")
        .expect("a selector")
        .filter_map(|handle| handle.get(parser)?.as_tag().cloned())
        .filter_map(|row| {
            let case = row
                .attributes()
                .get("data-case")??
                .as_utf8_str()
                .into_owned();
            let cells: Vec<String> = row
                .children()
                .top()
                .iter()
                .filter_map(|cell| cell.get(parser))
                .map(|cell| unescape(&cell.inner_text(parser)))
                .collect();
            Some((case, cells.get(2)?.clone()))
        })
        .collect()
}

/// Probes sent after the plan (undocumented methods, an undeclared request media type) are
/// requests by kind like the plan's, counted per operation as the JSON report counts them.
#[test]
fn the_html_report_counts_probes_among_the_requests_by_kind() {
    let (code, html, json) = run_with_reports(&[], &[]);
    assert_eq!(code, 0, "{json:#}");
    let kinds = requests_by_kind(&html);
    let cell = |case: &str| {
        kinds
            .iter()
            .find(|(c, _)| c == case)
            .map(|(_, k)| k.clone())
            .unwrap_or_else(|| panic!("no row for {case}: {kinds:?}"))
    };
    // GET and POST /orders: three methods probed through the list; GET and DELETE
    // /orders/{id}: three through the get; only the create has a JSON body.
    assert!(
        cell("orders-list").contains("method-not-allowed 3"),
        "{kinds:?}"
    );
    assert!(
        cell("orders-get").contains("method-not-allowed 3"),
        "{kinds:?}"
    );
    assert!(
        cell("orders-create").contains("undeclared-content-type 1"),
        "{kinds:?}"
    );
    assert!(
        !cell("orders-delete").contains("undeclared-content-type"),
        "{kinds:?}"
    );
    for coverage in json["summary"]["coverage"].as_array().unwrap() {
        let case = coverage["case"].as_str().unwrap();
        for (family, n) in coverage["probes"].as_object().into_iter().flatten() {
            assert!(
                cell(case).contains(&format!("{family} {n}")),
                "{case}: {kinds:?}"
            );
        }
    }
}
