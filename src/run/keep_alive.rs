//! The direct client's connections to its one origin: HTTP/1 connections (hyper's
//! `client::conn::http1`) made with the run's connector, and a stack of the idle ones kept
//! alive. It does what hyper-util's legacy client did for the direct path, request for
//! request: the same connector, handshake and origin-form target, a request the connection
//! never started retried on another when the connection was reused, and failures that read
//! as that client's (`client error (Connect)`, `client error (SendRequest)`, `client error
//! (Canceled)`). Which connection answered is its local port, handed back with the answer
//! rather than put in the answer's extensions (a map allocated per answer).
//!
//! Why not that client: its pool hashes a `(scheme, authority)` key with SipHash, byte by
//! byte, three times per request, locks a pool shared by every host, and spawns a task per
//! request to hand the connection back (about 6,000 instructions a request, callgrind); and
//! when no idle connection is at hand it starts a second one in a race, so a run at 256
//! connections held 320. Here a request takes the last idle connection or makes one, and
//! gives it back once its answer's body is read: never more connections than requests in
//! flight.

use super::connection::{local_port, MarkMadeForRequest, MarkingConnector};
use bytes::Bytes;
use http::{Request, Response, Uri};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::client::conn::http1;
use hyper_util::client::legacy::connect::{Connection, HttpConnector};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tower_layer::Layer;
use tower_service::Service;

/// An idle connection kept longer than this is closed, not reused: hyper-util's pool idle
/// timeout as the reqwest clients set it.
const IDLE_TIMEOUT: Duration = Duration::from_secs(90);

/// The connections of one direct client.
pub(super) struct Connections {
    connector: MarkingConnector<HttpConnector>,
    /// Where connections go: the base URL's scheme and authority.
    destination: Uri,
    /// Idle connections, the most recently used last.
    idle: Mutex<Vec<Idle>>,
    /// Idle connections kept at most; 0: a connection per request.
    max_idle: usize,
}

/// A connection waiting for its next request.
struct Idle {
    connection: InUse,
    since: Instant,
}

/// A connection a request holds until its answer's body is read.
pub(super) struct InUse {
    sender: http1::SendRequest<Full<Bytes>>,
    /// Its local port, when known: answers and failures name it.
    port: Option<u16>,
    /// Taken from the idle ones, not made for this request.
    reused: bool,
}

/// Why a request failed, as hyper-util's legacy client words it.
#[derive(Debug, thiserror::Error)]
#[error("client error ({kind:?})")]
pub(super) struct ClientError {
    kind: Kind,
    #[source]
    source: Box<dyn std::error::Error + Send + Sync>,
    /// The local port of the connection it failed on, once it had one.
    port: Option<u16>,
}

/// The legacy client's error kinds this client can meet (their names are in the message).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Connect,
    SendRequest,
    Canceled,
}

impl ClientError {
    fn new(
        kind: Kind,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
        port: Option<u16>,
    ) -> ClientError {
        ClientError {
            kind,
            source: source.into(),
            port,
        }
    }

    /// Whether no connection could be made.
    pub(super) fn is_connect(&self) -> bool {
        self.kind == Kind::Connect
    }

    /// The local port of the connection it failed on, when known.
    pub(super) fn local_port(&self) -> Option<u16> {
        self.port
    }
}

impl InUse {
    /// The connection's local port, when known: which connection answered.
    pub(super) fn local_port(&self) -> Option<u16> {
        self.port
    }
}

impl Connections {
    /// Connections to `destination` (a scheme and authority) made by `http`, keeping up to
    /// `max_idle` idle ones.
    pub(super) fn new(http: HttpConnector, destination: Uri, max_idle: usize) -> Connections {
        Connections {
            connector: MarkMadeForRequest.layer(http),
            destination,
            idle: Mutex::new(Vec::new()),
            max_idle,
        }
    }

    /// Send `request` (its target in absolute form) on an idle connection or a new one; the
    /// connection comes back with the answer, to [`Connections::give_back`] once its body is
    /// read or dropped.
    pub(super) async fn send(
        &self,
        mut request: Request<Full<Bytes>>,
    ) -> Result<(Response<Incoming>, InUse), ClientError> {
        origin_form(request.uri_mut());
        loop {
            let mut connection = self.take().await?;
            match connection.sender.try_send_request(request).await {
                Ok(response) => return Ok((response, connection)),
                Err(mut error) => match error.take_message() {
                    // Never started on a kept-alive connection that closed: another one.
                    Some(unsent) if connection.reused => request = unsent,
                    Some(_) => {
                        let error = error.into_error();
                        return Err(ClientError::new(Kind::Canceled, error, connection.port));
                    }
                    None => {
                        let error = error.into_error();
                        return Err(ClientError::new(Kind::SendRequest, error, connection.port));
                    }
                },
            }
        }
    }

    /// `connection` is free again: its answer's body was read or dropped. Kept unless
    /// enough are; one whose body was cut off closes, and the next request skips it.
    pub(super) fn give_back(&self, mut connection: InUse) {
        if self.max_idle == 0 || connection.sender.is_closed() {
            return;
        }
        connection.reused = true;
        if let Ok(mut idle) = self.idle.lock() {
            if idle.len() < self.max_idle {
                idle.push(Idle {
                    connection,
                    since: Instant::now(),
                });
            }
        }
    }

    /// The most recently used idle connection that is still open and not too old, else a
    /// new one.
    async fn take(&self) -> Result<InUse, ClientError> {
        loop {
            let last = self.idle.lock().ok().and_then(|mut idle| idle.pop());
            let Some(Idle {
                mut connection,
                since,
            }) = last
            else {
                return self.connect().await;
            };
            if since.elapsed() < IDLE_TIMEOUT
                && !connection.sender.is_closed()
                && connection.sender.ready().await.is_ok()
            {
                return Ok(connection);
            }
        }
    }

    /// A new connection, ready for a request: made, its handshake done and its task spawned,
    /// with the legacy client's errors.
    async fn connect(&self) -> Result<InUse, ClientError> {
        let io = self
            .connector
            .clone()
            .call(self.destination.clone())
            .await
            .map_err(|e| ClientError::new(Kind::Connect, e, None))?;
        let port = local_port(&io.connected());
        let (mut sender, connection) = http1::Builder::new()
            .handshake(io)
            .await
            .map_err(|e| ClientError::new(Kind::SendRequest, e, None))?;
        // The connection's own error says more than the closed channel the sender sees.
        let (failed, failure) = tokio::sync::oneshot::channel();
        tokio::spawn(async move {
            if let Err(error) = connection.with_upgrades().await {
                let _ = failed.send(error);
            }
        });
        match sender.ready().await {
            Ok(()) => Ok(InUse {
                sender,
                port,
                reused: false,
            }),
            Err(error) if error.is_closed() => Err(ClientError::new(
                Kind::SendRequest,
                failure.await.unwrap_or(error),
                None,
            )),
            Err(error) => Err(ClientError::new(Kind::SendRequest, error, None)),
        }
    }
}

/// `uri` as an HTTP/1 request line names it: path and query only, `/` when empty.
fn origin_form(uri: &mut Uri) {
    *uri = match uri.path_and_query() {
        Some(path) if path.as_str() != "/" => {
            let mut parts = http::uri::Parts::default();
            parts.path_and_query = Some(path.clone());
            Uri::from_parts(parts).unwrap_or_default()
        }
        _ => Uri::default(),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_line_names_the_path_and_query_only() {
        let form = |text: &str| {
            let mut uri: Uri = text.parse().unwrap();
            origin_form(&mut uri);
            uri.to_string()
        };
        assert_eq!(form("http://127.0.0.1:8080/v1/x?q=1"), "/v1/x?q=1");
        assert_eq!(form("http://127.0.0.1:8080"), "/");
        assert_eq!(form("http://127.0.0.1:8080/"), "/");
    }

    #[test]
    fn the_error_reads_as_the_legacy_clients() {
        let error = ClientError::new(Kind::Connect, "tcp connect error", None);
        assert_eq!(error.to_string(), "client error (Connect)");
        assert!(error.is_connect());
        let error = ClientError::new(Kind::SendRequest, "x", None);
        assert_eq!(error.to_string(), "client error (SendRequest)");
    }
}
