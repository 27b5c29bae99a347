//! The direct path: plain-HTTP requests of a run with no proxy go straight through
//! hyper-util's client, not reqwest. This module owns that client, following redirects the
//! way the reqwest clients do (the same status rules, limit and origin policy), and reading
//! its answers within the body limit.
//!
//! Why: per request, reqwest's redirect layer parses the URL again (about 13,400
//! instructions, callgrind) and each request clones the client; a run's CPU per request is
//! what bounds its throughput against a fast server. HTTPS and proxied runs stay on reqwest,
//! which owns TLS and proxies. Connection discipline is the same on both paths: the same
//! connector layer notes the connections made for a request (see `connection`).

use super::connection::{error_chain, MarkMadeForRequest, MarkingConnector};
use crate::check::{ObservedResponse, TransportFailure};
use bytes::Bytes;
use http::header::{
    ACCEPT, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, LOCATION, REFERER, TRANSFER_ENCODING,
    USER_AGENT,
};
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Incoming};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tower_layer::Layer;
use url::{Origin, Url};

/// A planned request as it goes on the wire, whichever client sends it.
#[derive(Debug)]
pub(super) struct Prepared {
    pub(super) method: http::Method,
    pub(super) url: Url,
    pub(super) headers: http::HeaderMap,
    pub(super) body: Bytes,
}

/// Redirects followed before the last one is returned as the answer, as the reqwest
/// clients' policy counts them (the fifth stops).
const MAX_REDIRECTS: usize = 5;

/// The direct clients of a run, beside reqwest's in its `HttpClient`.
#[derive(Clone)]
pub(super) struct DirectClients {
    /// Where requests go first: a pool of kept-alive connections.
    pub(super) pooled: DirectClient,
    /// A connection per request, closed after it.
    pub(super) fresh: DirectClient,
}

impl DirectClients {
    /// A pooled client and one that opens a connection per request, for `base`:
    /// `timeout` bounds making a connection; `concurrency` connections are kept.
    pub(super) fn new(base: &Url, timeout: Duration, concurrency: usize) -> DirectClients {
        DirectClients {
            pooled: DirectClient::new(base, timeout, concurrency),
            fresh: DirectClient::new(base, timeout, 0),
        }
    }
}

/// One hyper-util client with its redirect policy. Cheap to clone (shared pool).
#[derive(Clone)]
pub(super) struct DirectClient {
    hyper: hyper_util::client::legacy::Client<MarkingConnector<HttpConnector>, Full<Bytes>>,
    /// Redirects are followed only within it, so the key never leaves it.
    origin: Arc<Origin>,
}

/// Why a direct send failed.
#[derive(Debug, thiserror::Error)]
pub(super) enum DirectError {
    /// The client failed to send it or read the answer's head.
    #[error("error sending request")]
    Send(#[source] hyper_util::client::legacy::Error),
    /// Its URL is not one HTTP can carry.
    #[error("builder error")]
    Uri(#[source] http::uri::InvalidUri),
}

impl DirectError {
    /// As a `transport` failure: a timeout, a connection not made, or a broken one.
    pub(super) fn failure(&self) -> TransportFailure {
        if timed_out(self) {
            return TransportFailure::Timeout;
        }
        let text = error_chain(self);
        match self {
            DirectError::Send(error) if error.is_connect() => TransportFailure::Connect(text),
            _ => TransportFailure::Broken(text),
        }
    }
}

/// Whether a cause of `error` is a timeout, as reqwest tells one.
fn timed_out(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut source = Some(error);
    while let Some(cause) = source {
        if cause
            .downcast_ref::<hyper::Error>()
            .is_some_and(hyper::Error::is_timeout)
            || cause
                .downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
        {
            return true;
        }
        source = cause.source();
    }
    false
}

impl DirectClient {
    /// Settings as the reqwest clients' (`client::builder`): the connect timeout, no Nagle,
    /// reqwest's TCP keepalive and idle-pool timeout, and `max_idle` connections kept.
    pub(super) fn new(base: &Url, timeout: Duration, max_idle: usize) -> DirectClient {
        let mut http = HttpConnector::new();
        http.set_connect_timeout(Some(timeout));
        http.set_nodelay(true);
        http.set_keepalive(Some(Duration::from_secs(15)));
        http.set_keepalive_interval(Some(Duration::from_secs(15)));
        http.set_keepalive_retries(Some(3));
        let hyper = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
            .timer(TokioTimer::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .pool_max_idle_per_host(max_idle)
            .build(MarkMadeForRequest.layer(http));
        DirectClient {
            hyper,
            origin: Arc::new(base.origin()),
        }
    }

    /// Send `request`, following redirects within the base URL's origin.
    pub(super) async fn send(
        &self,
        mut request: Prepared,
    ) -> Result<http::Response<Incoming>, DirectError> {
        let mut redirects = 0;
        loop {
            let response = self
                .hyper
                .request(on_wire(&request)?)
                .await
                .map_err(DirectError::Send)?;
            redirects += 1;
            match self.redirected(&response, &request, redirects) {
                Some(next) => request = next,
                None => return Ok(response),
            }
        }
    }

    /// The request `response` redirects `sent` to, when it is followed: the status rules
    /// of reqwest's redirect layer (tower-http's), under the run's policy.
    fn redirected(
        &self,
        response: &http::Response<Incoming>,
        sent: &Prepared,
        redirects: usize,
    ) -> Option<Prepared> {
        let (method, keeps_body) = match response.status() {
            StatusCode::MOVED_PERMANENTLY | StatusCode::FOUND if sent.method == Method::POST => {
                (Method::GET, false)
            }
            StatusCode::MOVED_PERMANENTLY | StatusCode::FOUND => (sent.method.clone(), true),
            StatusCode::SEE_OTHER if sent.method == Method::HEAD => (Method::HEAD, false),
            StatusCode::SEE_OTHER => (Method::GET, false),
            StatusCode::TEMPORARY_REDIRECT | StatusCode::PERMANENT_REDIRECT => {
                (sent.method.clone(), true)
            }
            _ => return None,
        };
        let location = response.headers().get(LOCATION)?.to_str().ok()?;
        let next = sent.url.join(location).ok()?;
        if redirects >= MAX_REDIRECTS || next.origin() != *self.origin {
            return None;
        }
        let mut headers = sent.headers.clone();
        if !keeps_body {
            for name in [
                CONTENT_TYPE,
                CONTENT_LENGTH,
                CONTENT_ENCODING,
                TRANSFER_ENCODING,
            ] {
                headers.remove(name);
            }
        }
        if let Some(referer) = referer(&sent.url) {
            headers.insert(REFERER, referer);
        }
        Some(Prepared {
            method,
            url: next,
            headers,
            body: if keeps_body {
                sent.body.clone()
            } else {
                Bytes::new()
            },
        })
    }
}

/// The `Referer` reqwest sends on a redirect: the previous URL without credentials or
/// fragment.
fn referer(previous: &Url) -> Option<HeaderValue> {
    let mut referer = previous.clone();
    let _ = referer.set_username("");
    let _ = referer.set_password(None);
    referer.set_fragment(None);
    HeaderValue::from_str(referer.as_str()).ok()
}

/// `request` for hyper, with the headers reqwest adds to every request unless it has its
/// own. Its headers are copied: a redirect sends them again.
fn on_wire(request: &Prepared) -> Result<http::Request<Full<Bytes>>, DirectError> {
    let uri: http::Uri = request.url.as_str().parse().map_err(DirectError::Uri)?;
    let mut headers = request.headers.clone();
    add_defaults(&mut headers);
    let mut wire = http::Request::new(Full::new(request.body.clone()));
    *wire.method_mut() = request.method.clone();
    *wire.uri_mut() = uri;
    *wire.headers_mut() = headers;
    Ok(wire)
}

/// reqwest's default headers (`client::builder`'s user agent, and `Accept: */*`), where
/// the request has none of its own.
fn add_defaults(headers: &mut HeaderMap) {
    headers
        .entry(USER_AGENT)
        .or_insert(HeaderValue::from_static(concat!(
            "specgate/",
            env!("CARGO_PKG_VERSION")
        )));
    headers
        .entry(ACCEPT)
        .or_insert(HeaderValue::from_static("*/*"));
}

/// The answer, its body read within `limit` bytes.
pub(super) async fn read_response(
    response: http::Response<Incoming>,
    limit: u64,
    started: Instant,
) -> Result<ObservedResponse, TransportFailure> {
    let (parts, mut body) = response.into_parts();
    let body = match body.size_hint().exact() {
        Some(length) if length > limit => return Err(TransportFailure::Oversized { limit }),
        // The length is known and allowed: read it in one go.
        Some(_) => body.collect().await.map_err(body_failure)?.to_bytes(),
        None => read_limited(&mut body, limit).await?,
    };
    Ok(ObservedResponse {
        status: parts.status.as_u16(),
        headers: parts.headers,
        body,
        elapsed_ms: started.elapsed().as_millis() as u64,
    })
}

/// A body of unknown length, frame by frame, refused once it passes `limit`.
async fn read_limited(body: &mut Incoming, limit: u64) -> Result<Bytes, TransportFailure> {
    let mut read = bytes::BytesMut::new();
    while let Some(frame) = body.frame().await {
        let Ok(chunk) = frame.map_err(body_failure)?.into_data() else {
            continue;
        };
        if (read.len() + chunk.len()) as u64 > limit {
            return Err(TransportFailure::Oversized { limit });
        }
        read.extend_from_slice(&chunk);
    }
    Ok(read.freeze())
}

/// A body that broke off, as reqwest reports one.
fn body_failure(error: hyper::Error) -> TransportFailure {
    if timed_out(&error) {
        return TransportFailure::Timeout;
    }
    TransportFailure::Broken(format!(
        "error decoding response body: {}",
        error_chain(&error)
    ))
}
