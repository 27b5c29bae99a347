//! A body where HTTP allows none, read off the wire after the plan: each operation that
//! documents a 204, 205 or 304 answer, or is a HEAD, is sent its first valid request once
//! more (a DELETE on a resource made for it) on a raw TCP connection with
//! `Connection: close`, and every byte the server sends is read, so the bytes after the
//! headers that an HTTP client drops are counted. `check::unwanted_body` judges them.
//!
//! Plain HTTP only (a TLS base URL is not probed); bounded by the request timeout, the
//! body limit and the run's halt, never by the server.

use super::probe::{self, Probe, Probed};
use super::shared::Shared;
use crate::check::unwanted_body::{body_after_headers, no_body_allowed};
use crate::check::{ObservedResponse, Outcome, TransportFailure};
use crate::contract::Operation;
use crate::generate::{Family, Reason};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The reason family of these probes (`--families body-on-no-content` runs only these).
pub(super) const FAMILY: Family = Family::BodyOnNoContent;

/// Where these findings sort: after the other probes.
const PROBE_POSITION: u64 = u64::MAX / 16 * 15;

/// Room for the status line and headers on top of the body limit.
const HEAD_ROOM: u64 = 64 * 1024;

/// The findings of the raw probe of every operation whose answers may have no body.
pub(super) async fn unwanted_body_findings(shared: &Shared) -> Probed {
    let mut probed = Probed::default();
    if shared.config.base_url.scheme() != "http" {
        return probed;
    }
    let mut position = PROBE_POSITION;
    for (index, operation) in shared.operations.iter().enumerate() {
        if !answers_without_body(operation) {
            continue;
        }
        let Some(planned) = probe::first_valid(shared, index) else {
            continue;
        };
        // A consuming request (a DELETE) gets a resource of its own, as in the plan.
        let own = shared.own_resource(&shared.client, index, &planned).await;
        let mut planned = planned;
        planned.id = format!("{}:{FAMILY}:{}", planned.case, operation.method);
        planned.reason = Reason {
            family: FAMILY,
            detail: operation.method.to_string(),
        };
        let mut probe = probe::prepare(shared, operation, planned);
        if let Some(outgoing) = own {
            probe.outgoing = outgoing;
        }
        if !shared.permit() {
            break;
        }
        let Some(outcome) = shared.guard.bounded(exchange(shared, &probe)).await else {
            break;
        };
        probed.sent.push(probe.planned.case.to_string());
        position += 1;
        let Outcome::Response(response) = &outcome else {
            continue;
        };
        if let Some(violation) =
            body_after_headers(&operation.method, response.status, response.body.len())
        {
            let finding = probe::finding(shared, &probe, &outcome, violation, position);
            probed.findings.push(finding);
        }
    }
    probed.findings = probe::grouped(probed.findings);
    probed
}

/// Whether `operation` is a HEAD or documents an answer that has no body.
fn answers_without_body(operation: &Operation) -> bool {
    operation
        .documented_statuses()
        .any(|status| no_body_allowed(&operation.method, status))
        || no_body_allowed(&operation.method, 200)
}

/// Send `probe` on a connection of its own and read everything the server sends, within
/// the request timeout.
async fn exchange(shared: &Shared, probe: &Probe) -> Outcome {
    let options = &shared.config.settings.client;
    let request = probe
        .endpoint
        .built(&shared.client.pooled, &probe.planned, &probe.outgoing);
    let Some((address, bytes)) = request.as_ref().and_then(raw_request) else {
        return Outcome::Transport(TransportFailure::Connect(
            "the request could not be written as HTTP/1.1".to_owned(),
        ));
    };
    let limit = options.max_body_bytes.saturating_add(HEAD_ROOM);
    let started = Instant::now();
    let mut received = Vec::new();
    let read = tokio::time::timeout(
        options.timeout,
        send_and_read(&address, &bytes, limit, &mut received),
    )
    .await;
    let elapsed = started.elapsed();
    match (read, answer(&received, elapsed)) {
        // Cut off by the timeout or the limit: what came in time is judged, if whole.
        (_, Some(response)) => Outcome::Response(response),
        (Err(_), None) => Outcome::Transport(TransportFailure::Timeout),
        (Ok(Err(e)), None) => Outcome::Transport(TransportFailure::Broken(e.to_string())),
        (Ok(Ok(())), None) => Outcome::Transport(TransportFailure::Broken(
            "the connection closed before a whole status line and headers".to_owned(),
        )),
    }
}

async fn send_and_read(
    address: &str,
    request: &[u8],
    limit: u64,
    received: &mut Vec<u8>,
) -> std::io::Result<()> {
    let mut stream = tokio::net::TcpStream::connect(address).await?;
    stream.write_all(request).await?;
    let mut chunk = [0u8; 8192];
    while (received.len() as u64) < limit {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        received.extend_from_slice(&chunk[..n]);
    }
    Ok(())
}

/// `request` as HTTP/1.1 bytes asking the server to close after answering, with the
/// address to connect to.
fn raw_request(request: &reqwest::Request) -> Option<(String, Vec<u8>)> {
    let url = request.url();
    let address = format!("{}:{}", url.host_str()?, url.port_or_known_default()?);
    let target = &url[url::Position::BeforePath..url::Position::AfterQuery];
    let body = request
        .body()
        .and_then(reqwest::Body::as_bytes)
        .unwrap_or_default();
    let mut out = format!(
        "{} {target} HTTP/1.1\r\nhost: {address}\r\nconnection: close\r\ncontent-length: {}\r\n",
        request.method(),
        body.len()
    )
    .into_bytes();
    for (name, value) in request.headers() {
        use http::header::{CONNECTION, CONTENT_LENGTH, HOST};
        if [HOST, CONNECTION, CONTENT_LENGTH].contains(name) {
            continue;
        }
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    Some((address, out))
}

/// The final answer in `received` (interim 1xx answers skipped), its body every byte after
/// its headers; `None` without a whole status line and headers.
fn answer(received: &[u8], elapsed: Duration) -> Option<ObservedResponse> {
    let mut rest = received;
    loop {
        let end = rest.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
        let (head, after) = rest.split_at(end);
        let head = String::from_utf8_lossy(head);
        let mut lines = head.split("\r\n");
        let status: u16 = lines.next()?.split(' ').nth(1)?.parse().ok()?;
        if (100..200).contains(&status) && status != 101 {
            rest = after;
            continue;
        }
        let mut headers = http::HeaderMap::new();
        for line in lines {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            if let (Ok(name), Ok(value)) = (
                http::HeaderName::from_bytes(name.trim().as_bytes()),
                http::HeaderValue::from_str(value.trim()),
            ) {
                headers.append(name, value);
            }
        }
        return Some(ObservedResponse {
            status,
            headers,
            body: bytes::Bytes::copy_from_slice(after),
            elapsed_ms: elapsed.as_millis() as u64,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bytes_after_the_final_head_are_the_body() {
        let received = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nx-a: 1\r\n\r\n{\"deleted\":true}";
        let response = answer(received, Duration::ZERO).expect("a whole answer");
        assert_eq!(response.status, 204);
        assert_eq!(response.header("x-a"), Some("1"));
        assert_eq!(&response.body[..], b"{\"deleted\":true}");
        assert!(answer(b"HTTP/1.1 204 No Content\r\nx-a: 1\r\n", Duration::ZERO).is_none());
    }
}
