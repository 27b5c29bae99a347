//! Connection discipline over real sockets: a server that closes kept-alive connections
//! after a 5xx without `Connection: close` (the sandbox's `close-after-5xx`, as uvicorn
//! does) costs no finding and demotes no real 5xx to flaky; it is noted once per status.

use crate::common::*;
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

const ORDERS: &str = "tests/data/orders";

/// Run against the orders API served with `faults`: (exit code, JSON report, console).
fn run_orders(faults: &[&str]) -> (i32, Value, String) {
    let sandbox = TestSandbox::serving(Path::new(ORDERS), faults, KEY);
    run_orders_cases(&sandbox, "20", &[])
}

fn fingerprints(report: &Value, section: &str) -> Vec<String> {
    let mut prints: Vec<String> = report[section]
        .as_array()
        .map(|findings| {
            findings
                .iter()
                .map(|f| f["fingerprint"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default();
    prints.sort();
    prints
}

/// Send `request` on `stream` and read one response: its head, and its body by
/// Content-Length; `None` when the connection gives no byte of an answer.
fn exchange(stream: &mut TcpStream, request: &str) -> Option<(String, String)> {
    if stream.write_all(request.as_bytes()).is_err() {
        return None;
    }
    let mut received = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let read = stream.read(&mut chunk).unwrap_or(0);
        if read == 0 {
            return (!received.is_empty()).then(|| split(&received));
        }
        received.extend_from_slice(&chunk[..read]);
        let (head, body) = split(&received);
        let length = head.lines().find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse::<usize>().unwrap())
        });
        if length.is_some_and(|n| body.len() >= n) {
            return Some((head, body));
        }
    }
}

fn split(bytes: &[u8]) -> (String, String) {
    let text = String::from_utf8_lossy(bytes).into_owned();
    match text.split_once("\r\n\r\n") {
        Some((head, body)) => (head.to_owned(), body.to_owned()),
        None => (text, String::new()),
    }
}

fn get(path: &str) -> String {
    format!("GET /v1{path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {KEY}\r\n\r\n")
}

#[test]
fn the_close_after_5xx_fault_answers_in_full_then_closes_without_saying_so() {
    let sandbox = TestSandbox::serving(
        Path::new(ORDERS),
        &["close-after-5xx", "server-error-path-param"],
        KEY,
    );
    let address = sandbox.base_url.trim_start_matches("http://");
    let address = address.split('/').next().unwrap();
    let connect = || {
        let stream = TcpStream::connect(address).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        stream
    };
    // A 404 keeps the connection: the next request on it is answered.
    let mut kept = connect();
    let (head, _) = exchange(&mut kept, &get("/orders/ord_unknown")).expect("an answer");
    assert!(head.starts_with("HTTP/1.1 404"), "{head}");
    let (head, _) = exchange(&mut kept, &get("/orders/ord_1")).expect("a second answer");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    // A 500 comes whole, without `Connection: close`; the next request gets no byte back.
    let mut doomed = connect();
    let (head, body) = exchange(&mut doomed, &get("/orders/NOT-AN-ID")).expect("an answer");
    assert!(head.starts_with("HTTP/1.1 500"), "{head}");
    assert!(
        !head.to_ascii_lowercase().contains("connection: close"),
        "{head}"
    );
    assert!(!body.is_empty(), "the 500's body arrives whole");
    assert_eq!(exchange(&mut doomed, &get("/orders/ord_1")), None);
}

#[test]
fn connections_closed_after_a_5xx_cost_no_finding_and_every_real_5xx_fails() {
    let (code, closing, console) = run_orders(&["close-after-5xx", "server-error-path-param"]);
    assert_eq!(code, 1, "{console}");
    let (_, keeping, _) = run_orders(&["server-error-path-param"]);
    // The same findings as from a server that keeps its connections: the real 5xxs, each
    // failing (none flaky), and nothing from the connections.
    assert_eq!(
        fingerprints(&closing, "findings"),
        fingerprints(&keeping, "findings"),
        "{console}"
    );
    assert!(
        fingerprints(&closing, "findings")
            .iter()
            .any(|f| f.starts_with("server-error:")),
        "{console}"
    );
    assert!(
        !checks(&closing).iter().any(|c| c == "transport"),
        "{console}"
    );
    assert_eq!(
        fingerprints(&closing, "flaky"),
        Vec::<String>::new(),
        "{:#}",
        closing["flaky"]
    );
    // Noted once, naming the status after which it happens, with how often.
    let warnings = closing["summary"]["warnings"].as_array().expect("warnings");
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0]["check"], "transport");
    let cause = warnings[0]["cause"].as_str().unwrap();
    assert!(cause.contains("after a 500"), "{cause}");
    assert!(warnings[0]["count"].as_u64().unwrap() > 0);
    assert!(console.contains(cause), "the console shows it: {console}");
    assert!(keeping["summary"].get("warnings").is_none());
}

#[test]
fn a_faithful_server_that_closes_after_a_5xx_is_conformant() {
    let (code, report, console) = run_orders(&["close-after-5xx"]);
    assert_eq!(code, 0, "{console}");
    assert!(checks(&report).is_empty(), "{console}");
    assert!(report["summary"].get("warnings").is_none(), "{report:#}");
}
