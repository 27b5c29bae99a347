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

use super::connection::error_chain;
use super::keep_alive::{ClientError, Connections, InUse};
use crate::check::{ObservedResponse, TransportFailure};
use bytes::Bytes;
use http::header::{
    ACCEPT, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, HOST, LOCATION, REFERER,
    TRANSFER_ENCODING, USER_AGENT,
};
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Incoming};
use hyper_util::client::legacy::connect::HttpConnector;
use std::sync::Arc;
use std::time::{Duration, Instant};
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

/// One client's connections with its redirect policy. Cheap to clone (shared connections).
#[derive(Clone)]
pub(super) struct DirectClient {
    connections: Arc<Connections>,
    /// Redirects are followed only within it, so the key never leaves it.
    origin: Arc<Origin>,
    /// The `Host` of every request (redirects stay within the origin), as hyper-util's
    /// client wrote it: shared bytes, not formatted afresh per request.
    host: Option<HeaderValue>,
}

/// Why a direct send failed.
#[derive(Debug, thiserror::Error)]
pub(super) enum DirectError {
    /// The client failed to send it or read the answer's head.
    #[error("error sending request")]
    Send(#[source] ClientError),
    /// Its URL is not one HTTP can carry.
    #[error("builder error")]
    Uri(#[source] http::uri::InvalidUri),
}

impl DirectError {
    /// The local port of the connection it failed on, when it had one.
    pub(super) fn local_port(&self) -> Option<u16> {
        match self {
            DirectError::Send(error) => error.local_port(),
            DirectError::Uri(_) => None,
        }
    }

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
    /// reqwest's TCP keepalive and idle-pool timeout, and `max_idle` connections kept (0: a
    /// connection per request).
    pub(super) fn new(base: &Url, timeout: Duration, max_idle: usize) -> DirectClient {
        let mut http = HttpConnector::new();
        http.set_connect_timeout(Some(timeout));
        http.set_nodelay(true);
        http.set_keepalive(Some(Duration::from_secs(15)));
        http.set_keepalive_interval(Some(Duration::from_secs(15)));
        http.set_keepalive_retries(Some(3));
        // Redirects stay within the origin, so every connection goes there.
        let destination = format!("{}/", base.origin().ascii_serialization())
            .parse()
            .unwrap_or_default();
        DirectClient {
            connections: Arc::new(Connections::new(http, destination, max_idle)),
            origin: Arc::new(base.origin()),
            host: host_header(base),
        }
    }

    /// Send `request`, following redirects within the base URL's origin. Its headers go
    /// with it uncopied, since most answers are no redirect; one that is takes them from
    /// `again`, the same request prepared again. The answer comes with its connection, for
    /// [`DirectClient::give_back`] once its body is read.
    pub(super) async fn send(
        &self,
        mut request: Prepared,
        again: &(dyn Fn() -> Option<Prepared> + Sync),
    ) -> Result<(http::Response<Incoming>, InUse), DirectError> {
        let headers = std::mem::take(&mut request.headers);
        let mut wire = self.on_wire(&request, headers)?;
        let mut redirects = 0;
        loop {
            let (response, connection) = self
                .connections
                .send(wire)
                .await
                .map_err(DirectError::Send)?;
            redirects += 1;
            if redirects == 1 && is_redirect(response.status()) {
                match again() {
                    Some(copy) => request.headers = copy.headers,
                    None => return Ok((response, connection)),
                }
            }
            let status = response.status();
            let Some(next) = self.redirected(status, response.headers(), &request, redirects)
            else {
                return Ok((response, connection));
            };
            // The redirect's body is left unread: a connection that cannot carry on closes.
            drop(response);
            self.give_back(connection);
            wire = self.on_wire(&next, next.headers.clone())?;
            request = next;
        }
    }

    /// The connection of an answer whose body was read or dropped, free for the next request.
    pub(super) fn give_back(&self, connection: InUse) {
        self.connections.give_back(connection);
    }

    /// The request an answer (`status`, `headers`) redirects `sent` to, when it is
    /// followed: the status rules of reqwest's redirect layer (tower-http's), under the
    /// run's policy; `redirects` counts the answers so far.
    fn redirected(
        &self,
        status: StatusCode,
        headers: &HeaderMap,
        sent: &Prepared,
        redirects: usize,
    ) -> Option<Prepared> {
        let (method, keeps_body) = match status {
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
        let location = headers.get(LOCATION)?.to_str().ok()?;
        let next = sent.url.join(location).ok()?;
        if redirects >= MAX_REDIRECTS || next.origin() != *self.origin {
            return None;
        }
        // In reqwest's order: its default headers are in the copy that redirect layer
        // keeps, and removing the body's headers moves the last ones into their places.
        let mut headers = sent.headers.clone();
        add_reqwest_defaults(&mut headers);
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

    /// `request` with `headers` for hyper, adding those reqwest and hyper-util add to every
    /// request unless it has its own.
    fn on_wire(
        &self,
        request: &Prepared,
        mut headers: HeaderMap,
    ) -> Result<http::Request<Full<Bytes>>, DirectError> {
        let uri: http::Uri = request.url.as_str().parse().map_err(DirectError::Uri)?;
        self.add_defaults(&mut headers);
        let mut wire = http::Request::new(Full::new(request.body.clone()));
        *wire.method_mut() = request.method.clone();
        *wire.uri_mut() = uri;
        *wire.headers_mut() = headers;
        Ok(wire)
    }

    /// reqwest's default headers and hyper-util's `Host`, in that order, where the request
    /// has none of its own.
    fn add_defaults(&self, headers: &mut HeaderMap) {
        add_reqwest_defaults(headers);
        if let Some(host) = &self.host {
            headers.entry(HOST).or_insert_with(|| host.clone());
        }
    }
}

/// reqwest's default headers, `Accept: */*` and `client::builder`'s user agent, where the
/// request has none of its own.
fn add_reqwest_defaults(headers: &mut HeaderMap) {
    headers
        .entry(ACCEPT)
        .or_insert(HeaderValue::from_static("*/*"));
    headers
        .entry(USER_AGENT)
        .or_insert(HeaderValue::from_static(concat!(
            "specgate/",
            env!("CARGO_PKG_VERSION")
        )));
}

/// Whether `status` is one a redirect may follow.
fn is_redirect(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::MOVED_PERMANENTLY
            | StatusCode::FOUND
            | StatusCode::SEE_OTHER
            | StatusCode::TEMPORARY_REDIRECT
            | StatusCode::PERMANENT_REDIRECT
    )
}

/// `base`'s host and, when not the scheme's default, port: the `Host` hyper-util would
/// write. Shared bytes, so each request's copy is a reference count.
fn host_header(base: &Url) -> Option<HeaderValue> {
    let host = base.host_str()?;
    let text = match base.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    };
    HeaderValue::from_maybe_shared(Bytes::from(text)).ok()
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

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> DirectClient {
        DirectClient::new(
            &Url::parse("http://127.0.0.1:8080/v1").unwrap(),
            Duration::from_secs(1),
            1,
        )
    }

    fn post(path: &str) -> Prepared {
        let mut headers = HeaderMap::new();
        headers.append(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.append("x-api-key", HeaderValue::from_static("k"));
        Prepared {
            method: Method::POST,
            url: Url::parse(&format!("http://127.0.0.1:8080{path}")).unwrap(),
            headers,
            body: Bytes::from_static(b"{}"),
        }
    }

    fn to(location: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(LOCATION, HeaderValue::from_static(location));
        headers
    }

    #[test]
    fn a_see_other_is_a_get_without_the_body_and_its_headers() {
        let next = client()
            .redirected(
                StatusCode::SEE_OTHER,
                &to("/v1/done"),
                &post("/v1/x?q=1"),
                1,
            )
            .unwrap();
        assert_eq!(next.method, Method::GET);
        assert_eq!(next.url.as_str(), "http://127.0.0.1:8080/v1/done");
        assert!(next.body.is_empty());
        assert!(next.headers.get(CONTENT_TYPE).is_none());
        assert_eq!(
            next.headers["x-api-key"], "k",
            "the key stays within the origin"
        );
        assert_eq!(next.headers[REFERER], "http://127.0.0.1:8080/v1/x?q=1");
    }

    #[test]
    fn a_temporary_redirect_keeps_method_and_body() {
        let next = client()
            .redirected(StatusCode::TEMPORARY_REDIRECT, &to("y"), &post("/v1/x"), 1)
            .unwrap();
        assert_eq!(next.method, Method::POST);
        assert_eq!(next.url.as_str(), "http://127.0.0.1:8080/v1/y");
        assert_eq!(&next.body[..], b"{}");
        assert_eq!(next.headers[CONTENT_TYPE], "application/json");
    }

    #[test]
    fn no_redirect_leaves_the_origin_or_passes_the_limit() {
        let client = client();
        let elsewhere = [
            "http://localhost:8080/v1/y",
            "http://127.0.0.1:8081/v1/y",
            "https://127.0.0.1:8080/v1/y",
        ];
        for location in elsewhere {
            let moved = client.redirected(StatusCode::FOUND, &to(location), &post("/v1/x"), 1);
            assert!(moved.is_none(), "{location}");
        }
        let status = StatusCode::PERMANENT_REDIRECT;
        assert!(client
            .redirected(status, &to("/a"), &post("/v1/x"), 4)
            .is_some());
        assert!(client
            .redirected(status, &to("/a"), &post("/v1/x"), 5)
            .is_none());
        assert!(client
            .redirected(StatusCode::OK, &to("/a"), &post("/v1/x"), 1)
            .is_none());
        assert!(client
            .redirected(status, &HeaderMap::new(), &post("/v1/x"), 1)
            .is_none());
    }

    #[test]
    fn the_host_header_names_a_port_only_when_not_the_default() {
        let host = |url: &str| host_header(&Url::parse(url).unwrap()).unwrap();
        assert_eq!(host("http://127.0.0.1:8080/v1"), "127.0.0.1:8080");
        assert_eq!(host("http://example.com:80/"), "example.com");
        assert_eq!(host("http://[::1]:9000/"), "[::1]:9000");
    }
}
