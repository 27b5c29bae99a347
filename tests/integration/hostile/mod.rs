//! The hostile-server battery: for each way a server can misbehave, the real `specgate run`
//! against a raw-TCP server on loopback. Each test asserts no panic, an end within a bound
//! derived from the run's settings, the finding's check, peak RSS under 256 MiB (the
//! defaults for concurrency and body size are kept), and the key in no byte written.

mod runner;
mod server;

use runner::{run, Ran, KEY};
use server::{respond, wait_for_hangup, write_for_ever, Hostile, Request, Then};
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Process start-up, the preflight, plan building and report writing, on a busy 2-core CI
/// machine running a debug build; not a speed claim, only the margin of the hang bound.
const SLACK: Duration = Duration::from_secs(20);

/// The settings that keep a battery run short; concurrency and --max-body-bytes keep their
/// defaults (32 and 1 MiB), so the memory bound is the one for default settings.
struct Settings {
    timeout_ms: u64,
    max_requests: u64,
    concurrency: u64,
}

/// For servers that hang: a short timeout, so that the breaker trips quickly.
const QUICK: Settings = Settings {
    timeout_ms: 500,
    max_requests: 64,
    concurrency: 32,
};

/// For servers that do answer, if badly: a timeout long enough that a debug build on a
/// loaded CI machine reads a 1 MiB body in time, so that the test is about the answer.
const ANSWERED: Settings = Settings {
    timeout_ms: 5_000,
    ..QUICK
};

impl Settings {
    fn args(&self) -> Vec<String> {
        vec![
            "--examples".into(),
            "1".into(),
            "--max-requests".into(),
            self.max_requests.to_string(),
            "--timeout-ms".into(),
            self.timeout_ms.to_string(),
        ]
    }

    /// The longest such a run may take: every wave of requests waiting its full timeout
    /// (retries of throttled answers are not in play here), plus the slack.
    fn bound(&self) -> Duration {
        let waves = self.max_requests.div_ceil(self.concurrency) + 2;
        Duration::from_millis(self.timeout_ms * waves) + SLACK
    }
}

/// Run with the quick settings and make the checks every test makes.
fn quick(server: &Hostile) -> Ran {
    run_with(server, &QUICK)
}

fn run_with(server: &Hostile, settings: &Settings) -> Ran {
    let args = settings.args();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let ran = run(&server.base_url(), &args, settings.bound() + SLACK);
    ran.assert_sound(settings.bound());
    ran
}

fn assert_exit(ran: &Ran, code: i32) {
    assert_eq!(ran.code, Some(code), "{}", ran.console());
}

/// The run has a finding of `check` whose cause contains `cause`.
fn assert_finding(ran: &Ran, check: &str, cause: &str) {
    let findings = ran.findings(check);
    assert!(
        findings.iter().any(|(c, _)| c.contains(cause)),
        "no `{check}` finding with cause `{cause}` among {findings:?}:\n{}",
        ran.console()
    );
}

/// A circuit-breaker stop: exit 3, said on stderr, and the report marked incomplete.
fn assert_breaker(ran: &Ran) {
    assert_exit(ran, 3);
    assert!(ran.stderr.contains("circuit breaker"), "{}", ran.console());
    let report = ran.report().expect("a report is written");
    assert_eq!(
        report["summary"]["incomplete"]["reason"], "circuit-breaker",
        "{report}"
    );
}

const JSON: (&str, &str) = ("content-type", "application/json");

#[test]
fn a_server_that_never_answers_trips_the_breaker() {
    let server = Hostile::start(|stream, _| {
        wait_for_hangup(stream);
        Then::Close
    });
    let ran = quick(&server);
    assert_breaker(&ran);
    assert_finding(&ran, "transport", "timeout");
}

/// The "done when": the defaults (10 s timeout, 32 at once, 100 examples, no cap)
/// against a server that never answers exit 3 in under a minute.
#[test]
fn at_the_defaults_a_silent_server_is_given_up_on_within_a_minute() {
    let server = Hostile::start(|stream, _| {
        wait_for_hangup(stream);
        Then::Close
    });
    let minute = Duration::from_secs(60);
    let ran = run(&server.base_url(), &[], minute + SLACK);
    ran.assert_sound(minute);
    assert_breaker(&ran);
}

#[test]
fn trickled_headers_are_cut_by_the_whole_response_timeout() {
    let server = Hostile::start(|stream, _| {
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\n");
        write_for_ever(stream, b"x", Duration::from_millis(50));
        Then::Close
    });
    let ran = quick(&server);
    assert_breaker(&ran);
    assert_finding(&ran, "transport", "timeout");
}

#[test]
fn endless_interim_answers_do_not_restart_the_timeout() {
    let server = Hostile::start(|stream, _| {
        write_for_ever(
            stream,
            b"HTTP/1.1 102 Processing\r\n\r\n",
            Duration::from_millis(20),
        );
        Then::Close
    });
    let ran = quick(&server);
    assert_breaker(&ran);
    assert_finding(&ran, "transport", "timeout");
}

#[test]
fn a_reset_mid_body_is_a_broken_connection() {
    let server = Hostile::start(|stream, _| {
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"status\":");
        std::thread::sleep(Duration::from_millis(20));
        Then::Reset
    });
    let ran = quick(&server);
    assert_breaker(&ran);
    assert_finding(&ran, "transport", "broken-connection");
}

#[test]
fn an_endless_body_is_cut_at_the_body_limit() {
    let server = Hostile::start(|stream, _| {
        let _ = stream.write_all(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n[",
        );
        write_for_ever(stream, &[b'1'; 64 * 1024], Duration::ZERO);
        Then::Close
    });
    let ran = run_with(&server, &ANSWERED);
    assert_exit(&ran, 1);
    assert_finding(&ran, "transport", "oversized-body");
}

#[test]
fn a_gzip_bomb_is_never_inflated() {
    // 512 MiB of zeros in about 500 KiB: inflating it would blow the memory bound.
    let bomb = Arc::new(gzip_of_zeros(512 << 20));
    assert!(bomb.len() < 1 << 20, "the bomb fits under --max-body-bytes");
    let server = Hostile::start(move |stream, _| {
        respond(
            stream,
            "200 OK",
            &[JSON, ("content-encoding", "gzip")],
            &bomb,
        );
        Then::KeepAlive
    });
    let ran = run_with(&server, &ANSWERED);
    assert_exit(&ran, 1);
    assert_finding(&ran, "content-type", "does not parse");
}

fn gzip_of_zeros(length: usize) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..length >> 20 {
        encoder.write_all(&zeros).expect("gzip");
    }
    encoder.finish().expect("gzip")
}

#[test]
fn invalid_utf8_is_a_content_type_finding() {
    let server = Hostile::start(|stream, _| {
        respond(stream, "200 OK", &[JSON], b"{\"status\":\"\xff\xfe\xc3\"}");
        Then::KeepAlive
    });
    let ran = run_with(&server, &ANSWERED);
    assert_exit(&ran, 1);
    assert_finding(&ran, "content-type", "does not parse");
}

#[test]
fn a_content_length_longer_than_the_body_is_a_broken_connection() {
    let server = Hostile::start(|stream, _| {
        let _ = stream.write_all(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 5000\r\n\r\n{}",
        );
        Then::Close
    });
    let ran = quick(&server);
    assert_breaker(&ran);
    assert_finding(&ran, "transport", "broken-connection");
}

#[test]
fn a_content_length_shorter_than_the_body_cuts_the_body() {
    let server = Hostile::start(|stream, _| {
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 5\r\n\r\n{\"status\":\"ok\"}");
        Then::KeepAlive
    });
    let ran = run_with(&server, &ANSWERED);
    assert_exit(&ran, 1);
    assert_finding(&ran, "content-type", "does not parse");
}

#[test]
fn garbage_chunk_sizes_are_a_broken_connection() {
    let server = Hostile::start(|stream, _| {
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n");
        Then::Close
    });
    let ran = quick(&server);
    assert_breaker(&ran);
    assert_finding(&ran, "transport", "broken-connection");
}

#[test]
fn json_nested_100000_deep_is_refused_without_recursing() {
    let mut body = "[".repeat(100_000);
    body.push_str(&"]".repeat(100_000));
    let body = Arc::new(body);
    let server = Hostile::start(move |stream, _| {
        respond(stream, "200 OK", &[JSON], body.as_bytes());
        Then::KeepAlive
    });
    let ran = run_with(&server, &ANSWERED);
    assert_exit(&ran, 1);
    assert_finding(&ran, "content-type", "does not parse");
}

#[test]
fn ever_new_field_names_do_not_grow_memory() {
    let fresh = Arc::new(AtomicU64::new(0));
    let server = Hostile::start(move |stream, _| {
        let base = fresh.fetch_add(25_000, Ordering::Relaxed);
        let mut body = String::with_capacity(25_000 * 16);
        body.push('{');
        for n in base..base + 25_000 {
            body.push_str(if n == base { "\"f" } else { ",\"f" });
            body.push_str(&n.to_string());
            body.push_str("\":1");
        }
        body.push('}');
        respond(stream, "200 OK", &[JSON], body.as_bytes());
        Then::KeepAlive
    });
    // Parsing, validating and observing 25,000 fields per body, 32 bodies at once, takes a
    // debug build seconds each on a loaded 2-core machine (10 s timed out under six parallel
    // builds): a minute, so that this tests memory, not speed.
    let ran = run_with(
        &server,
        &Settings {
            timeout_ms: 60_000,
            ..ANSWERED
        },
    );
    // The first 64 plan entries are valid payloads, and the success schema allows extra
    // fields: what is at stake here is the memory bound `run_with` asserts.
    assert_exit(&ran, 0);
    let report = ran.report().expect("report");
    assert_eq!(report["summary"]["statuses"]["200"], 64, "{report}");
}

/// The same 480 KB body every time, 120 objects deep with 4 KB keys: each pointer is longer
/// than the last, so keeping every pointer would hold tens of megabytes per worker.
#[test]
fn deep_long_keys_do_not_grow_memory() {
    let mut body = String::new();
    for level in 0..120 {
        body.push_str(&format!("{{\"{}{level}\":", "k".repeat(4000)));
    }
    body.push('1');
    body.push_str(&"}".repeat(120));
    let body = Arc::new(body);
    let server = Hostile::start(move |stream, _| {
        respond(stream, "200 OK", &[JSON], body.as_bytes());
        Then::KeepAlive
    });
    let ran = run_with(&server, &ANSWERED);
    assert_exit(&ran, 0);
}

/// A new cause in every answer (a fresh media type): distinct findings stop being kept past
/// a bound, and the rest are counted together.
#[test]
fn ever_new_causes_do_not_grow_the_findings_without_bound() {
    let fresh = AtomicU64::new(0);
    let server = Hostile::start(move |stream, _| {
        let media = format!("text/x-{}", fresh.fetch_add(1, Ordering::Relaxed));
        respond(stream, "200 OK", &[("content-type", media.as_str())], b"x");
        Then::KeepAlive
    });
    let settings = Settings {
        max_requests: 9_000,
        ..ANSWERED
    };
    let mut args = settings.args();
    args[1] = "1700".to_owned();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let ran = run(&server.base_url(), &args, settings.bound() + SLACK);
    ran.assert_sound(settings.bound());
    assert_exit(&ran, 1);
    let report = ran.report().expect("report");
    let groups = report["summary"]["finding_groups"].as_u64().unwrap_or(0);
    assert!(groups <= 2_100, "{groups} distinct findings kept");
    assert_finding(&ran, "content-type", "(other causes");
}

#[test]
fn ten_thousand_headers_are_refused() {
    let mut head =
        String::from("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n");
    for n in 0..10_000 {
        head.push_str(&format!("x-h-{n}: {n}\r\n"));
    }
    head.push_str("\r\n{}");
    let head = Arc::new(head);
    let server = Hostile::start(move |stream, _| {
        let _ = stream.write_all(head.as_bytes());
        Then::Close
    });
    let ran = quick(&server);
    assert_breaker(&ran);
    assert_finding(&ran, "transport", "broken-connection");
}

#[test]
fn a_one_megabyte_header_is_refused() {
    let head = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-huge: {}\r\ncontent-length: 2\r\n\r\n{{}}",
        "a".repeat(1 << 20)
    );
    let head = Arc::new(head);
    let server = Hostile::start(move |stream, _| {
        let _ = stream.write_all(head.as_bytes());
        Then::Close
    });
    let ran = quick(&server);
    assert_breaker(&ran);
    assert_finding(&ran, "transport", "broken-connection");
}

#[test]
fn no_status_line_is_a_broken_connection() {
    let server = Hostile::start(|stream, _| {
        let _ = stream.write_all(b"{\"status\":\"ok\"}\r\n\r\n");
        Then::Close
    });
    let ran = quick(&server);
    assert_breaker(&ran);
    assert_finding(&ran, "transport", "broken-connection");
}

#[test]
fn status_999_is_a_protocol_violation_not_a_server_error() {
    let server = Hostile::start(|stream, _| {
        respond(stream, "999 Weird", &[JSON], b"{}");
        Then::KeepAlive
    });
    let ran = run_with(&server, &ANSWERED);
    assert_exit(&ran, 1);
    assert_finding(&ran, "transport", "status 999");
    let (_, message) = &ran.findings("transport")[0];
    assert!(message.contains("999"), "{message}");
    assert!(ran.findings("server-error").is_empty());
    let report = ran.report().expect("report");
    assert!(
        report["summary"]["statuses"].get("999").is_none(),
        "{report}"
    );
}

#[test]
fn a_cross_origin_redirect_is_not_followed_with_the_key() {
    let elsewhere = Hostile::start(|stream, _| {
        respond(stream, "200 OK", &[JSON], b"{}");
        Then::KeepAlive
    });
    let location = format!("http://{}/v1/auth/sessionlink-v2", elsewhere.addr);
    let count = AtomicU64::new(0);
    let server = Hostile::start(move |stream, _| {
        let status = if count.fetch_add(1, Ordering::Relaxed).is_multiple_of(2) {
            "307 Temporary Redirect"
        } else {
            "308 Permanent Redirect"
        };
        respond(stream, status, &[("location", location.as_str())], b"");
        Then::KeepAlive
    });
    let ran = run_with(&server, &ANSWERED);
    assert_exit(&ran, 1);
    assert_finding(&ran, "rejects-valid", "307");
    assert_finding(&ran, "rejects-valid", "308");
    assert_eq!(
        elsewhere.requests.load(Ordering::Relaxed),
        0,
        "nothing may follow a redirect to another origin"
    );
    assert!(server.with_key.load(Ordering::Relaxed) > 0);
}

#[test]
fn a_redirect_loop_ends_as_a_finding() {
    let server = Hostile::start(|stream, request: &Request| {
        let location = request.path.clone();
        respond(
            stream,
            "307 Temporary Redirect",
            &[("location", location.as_str())],
            b"",
        );
        Then::KeepAlive
    });
    let ran = run_with(&server, &ANSWERED);
    assert_exit(&ran, 1);
    assert_finding(&ran, "rejects-valid", "307");
    let sent = ran.report().expect("report")["summary"]["requests"]
        .as_u64()
        .unwrap_or(0);
    let served = server.requests.load(Ordering::Relaxed);
    assert!(
        served <= sent * 6,
        "{served} requests served for {sent} sent: redirects are followed at most 5 times"
    );
}

/// The body a key-echoing server sends: the key straddling byte 2,048 (where excerpts are
/// cut), as a field name at depth, lower- and upper-cased, percent-encoded and in base64.
fn echo_body(key: &str) -> String {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;
    let start = "{\"pad\":\"";
    let pad = "p".repeat(2048 - start.len() - 9);
    let encoded = key.replace('+', "%2B");
    let b64 = STANDARD.encode(key);
    let basic = STANDARD.encode(format!("user:{key}"));
    format!(
        "{start}{pad}{key}\",\"{key}\":{{\"deep\":{{\"{lower}\":\"{upper}\"}}}},\"url\":\"https://x.example/?k={encoded}\",\
         \"b64\":\"{b64}\",\"auth\":\"Basic {basic}\",\"echo\":\"{key}\"}}",
        lower = key.to_lowercase(),
        upper = key.to_uppercase(),
    )
}

#[test]
fn a_key_echoed_everywhere_is_in_no_byte_written() {
    let server = Hostile::start(|stream, request: &Request| {
        let key = request.key.clone().unwrap_or_else(|| "no-key".to_owned());
        let body = echo_body(&key);
        // Some answers are not declared JSON: the content-type finding's cause names the
        // media type, key and all. The same request always gets the same answer, so that
        // findings confirm.
        let media = if request.body.len().is_multiple_of(2) {
            format!("application/vnd.{key}+json")
        } else {
            format!("text/x-{key}")
        };
        let lower = key.to_lowercase();
        let headers = [
            ("content-type", media.as_str()),
            (key.as_str(), "echoed as a header name"),
            ("x-echo", key.as_str()),
            ("x-echo-lower", lower.as_str()),
        ];
        respond(stream, "200 OK", &headers, body.as_bytes());
        Then::KeepAlive
    });
    // The whole plan, so that the drift snapshot is recorded.
    let args = [
        "--examples",
        "1",
        "--timeout-ms",
        "2000",
        "--record-nonconformant",
    ];
    let bound = Duration::from_secs(60) + SLACK;
    let ran = run(&server.base_url(), &args, bound + SLACK);
    ran.assert_sound(bound);
    assert_exit(&ran, 1);
    assert_finding(&ran, "accepts-invalid", "200");
    assert_finding(&ran, "content-type", "${SPECGATE_API_KEY}");
    let snapshots: Vec<_> = ran
        .written()
        .into_iter()
        .filter(|(path, _)| path.extension().is_some_and(|e| e == "snap"))
        .collect();
    assert_eq!(
        snapshots.len(),
        1,
        "the drift baseline was recorded:\n{}",
        ran.console()
    );
    let snapshot = String::from_utf8_lossy(&snapshots[0].1).into_owned();
    assert!(
        snapshot.contains("/${SPECGATE_API_KEY}/deep/${SPECGATE_API_KEY}"),
        "field names are scrubbed, not dropped:\n{snapshot}"
    );
    let report = std::fs::read_to_string(ran.dir.path().join("report.md")).expect("markdown");
    assert!(report.contains("${SPECGATE_API_KEY}"), "{report}");
}

#[test]
fn the_deadline_stops_a_run_and_reports_what_it_has() {
    let server = Hostile::start(|stream, _| {
        wait_for_hangup(stream);
        Then::Close
    });
    // A long timeout, so that the deadline, not the breaker, stops the run.
    let args = ["--timeout-ms", "120000", "--deadline", "2s"];
    let bound = Duration::from_secs(2) + SLACK;
    let ran = run(&server.base_url(), &args, bound + SLACK);
    ran.assert_sound(bound);
    assert_exit(&ran, 4);
    let report = ran.report().expect("a report is written");
    assert_eq!(
        report["summary"]["incomplete"]["reason"], "deadline",
        "{report}"
    );
    assert!(ran.stderr.contains("--deadline 2s"), "{}", ran.console());
}

#[test]
fn hostile_flag_values_are_usage_errors_before_any_request() {
    let server = Hostile::start(|stream, _| {
        respond(stream, "200 OK", &[JSON], b"{}");
        Then::KeepAlive
    });
    let cases: [(&[&str], &str); 3] = [
        (&["--rate", "1e-300"], "--rate"),
        (&["--examples", "18446744073709551615"], "--examples"),
        (&["--deadline", "soon"], "--deadline"),
    ];
    for (args, flag) in cases {
        let ran = run(&server.base_url(), args, SLACK * 2);
        assert_eq!(ran.code, Some(2), "{args:?}: {}", ran.console());
        assert!(ran.stderr.contains(flag), "{args:?}: {}", ran.stderr);
        assert!(!ran.console().contains("panicked"));
    }
    assert_eq!(server.requests.load(Ordering::Relaxed), 0);
}

#[test]
fn a_key_that_cannot_be_a_header_value_is_a_usage_error() {
    let server = Hostile::start(|stream, _| {
        respond(stream, "200 OK", &[JSON], b"{}");
        Then::KeepAlive
    });
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_specgate"))
        .args(["run", "--base-url", &server.base_url()])
        .env("SPECGATE_API_KEY", format!("{KEY}\n"))
        .output()
        .expect("spawn");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("SPECGATE_API_KEY"), "{stderr}");
    assert!(!stderr.contains(KEY), "{stderr}");
    assert_eq!(server.requests.load(Ordering::Relaxed), 0);
}
