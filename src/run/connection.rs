//! Connection discipline: which failed requests the server provably never read, so that
//! they are sent once more on a fresh connection instead of becoming findings (on both
//! clients, reqwest and `direct`: the same connector layer and error reading); and the note
//! of a server that closes kept-alive connections without saying so.
//!
//! A server may close a kept-alive connection without `Connection: close` (uvicorn does after
//! a 500). If the client has already sent its next request on it, that request fails before
//! any byte of an answer: the server never read it, so it is no finding of its own. Proof
//! that it never read it: the request was never written (hyper hands it back, `canceled`),
//! or the connection was reused, not made for this request, and closed (EOF or reset)
//! before any byte of a response head. A connection made for the request that fails so is
//! a server that reads and hangs up: that stays a `transport` finding, and is never sent
//! twice. Reuse is read from the connector: the local ports of the connections made while
//! the request was being sent (in its task); a request that failed on another port was on
//! a pooled connection.

use crate::results::{Check, Warning};
use http::Extensions;
use hyper_util::client::legacy::connect::Connection;
use hyper_util::client::legacy::connect::HttpInfo;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::Mutex;
use std::task::{Context, Poll};

tokio::task_local! {
    /// While one request is being sent: the local ports of the connections made in its task
    /// (`None`: a port not known).
    static MADE_FOR_REQUEST: RefCell<Vec<Option<u16>>>;
}

/// What a request's send says about its connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Landing {
    /// An answer came back, on the connection from this local port (when known).
    Answered(Option<u16>),
    /// The server provably never read the request (see the module's doc).
    NeverRead(Option<u16>),
    /// It failed otherwise: the server may have read it.
    Failed,
}

/// Send `request`, noting the connections made while it was sent.
pub(super) async fn sending<F: Future>(request: F) -> (F::Output, Made) {
    let tracked = async {
        let output = request.await;
        (output, Made(MADE_FOR_REQUEST.with(|made| made.take())))
    };
    MADE_FOR_REQUEST.scope(RefCell::default(), tracked).await
}

/// The local ports of the connections made while one request was sent.
#[derive(Debug, Default)]
pub(super) struct Made(Vec<Option<u16>>);

impl Made {
    /// Whether the connection from `port` may have been made for the request: yes when it
    /// was, or when a port is not known and any connection was made.
    fn may_include(&self, port: Option<u16>) -> bool {
        match port {
            Some(port) => self.0.iter().any(|m| m.is_none_or(|m| m == port)),
            None => !self.0.is_empty(),
        }
    }
}

/// Where an answer came from.
pub(super) fn answered(extensions: &Extensions) -> Landing {
    Landing::Answered(extensions.get::<HttpInfo>().map(|i| i.local_addr().port()))
}

/// What a failed send says, given the connections made while it was sent; `port` is the
/// local port of the connection it failed on when the caller knows it (the direct path's
/// errors carry it), else it is read from the reqwest path's error.
pub(super) fn failed(
    error: &(dyn std::error::Error + 'static),
    made: &Made,
    mut port: Option<u16>,
) -> Landing {
    let mut never_written = false;
    let mut closed_before_answer = false;
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(cause) = source {
        if let Some(client) = cause.downcast_ref::<hyper_util::client::legacy::Error>() {
            port = client.connect_info().and_then(local_port);
        }
        if let Some(hyper) = cause.downcast_ref::<hyper::Error>() {
            never_written |= hyper.is_canceled();
            closed_before_answer |= hyper.is_incomplete_message();
        }
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            closed_before_answer |= matches!(
                io.kind(),
                std::io::ErrorKind::ConnectionReset
                    | std::io::ErrorKind::ConnectionAborted
                    | std::io::ErrorKind::BrokenPipe
                    | std::io::ErrorKind::UnexpectedEof
            );
        }
        source = cause.source();
    }
    if never_written || (closed_before_answer && !made.may_include(port)) {
        Landing::NeverRead(port)
    } else {
        Landing::Failed
    }
}

/// The error and its causes on one line: a client's top-level message alone hides the
/// reason.
pub(super) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The local port of a connection, when its connector knows it.
pub(super) fn local_port(
    connected: &hyper_util::client::legacy::connect::Connected,
) -> Option<u16> {
    let mut extensions = Extensions::new();
    connected.get_extras(&mut extensions);
    extensions
        .get::<HttpInfo>()
        .map(|info| info.local_addr().port())
}

/// What a run learns about the server's connections: the last status each answered (by
/// local port: one connection at a time holds a port), and after which statuses the server
/// closed one without saying so. Shared by every client of a run; a store per answer.
pub(super) struct ConnectionLog {
    last_status: Box<[AtomicU16]>,
    closed_after: Mutex<BTreeMap<u16, u64>>,
}

impl Default for ConnectionLog {
    fn default() -> ConnectionLog {
        ConnectionLog {
            last_status: (0..=u16::MAX).map(|_| AtomicU16::new(0)).collect(),
            closed_after: Mutex::new(BTreeMap::new()),
        }
    }
}

impl ConnectionLog {
    /// The connection from `port` answered `status`.
    pub(super) fn answered(&self, port: Option<u16>, status: u16) {
        if let Some(port) = port {
            self.last_status[usize::from(port)].store(status, Ordering::Relaxed);
        }
    }

    /// The connection from `port` turned out closed without notice before a request on it
    /// was read.
    pub(super) fn closed_unannounced(&self, port: Option<u16>) {
        let status = port.map_or(0, |p| {
            self.last_status[usize::from(p)].load(Ordering::Relaxed)
        });
        if let Ok(mut closed) = self.closed_after.lock() {
            *closed.entry(status).or_default() += 1;
        }
    }

    /// One `transport` warning per status after which the server closed connections
    /// without `Connection: close`.
    pub(super) fn warnings(&self) -> Vec<Warning> {
        let closed = self
            .closed_after
            .lock()
            .map(|c| c.clone())
            .unwrap_or_default();
        closed
            .into_iter()
            .map(|(status, count)| closed_warning(status, count))
            .collect()
    }
}

fn closed_warning(status: u16, count: u64) -> Warning {
    let after = if status == 0 {
        "before answering anything on it".to_owned()
    } else {
        format!("after a {status}")
    };
    Warning {
        check: Check::Transport,
        cause: format!("connection closed {after} without Connection: close"),
        message: format!(
            "the server closed kept-alive connections {after} without sending \
             `Connection: close`; each request that met one was never read, and was sent \
             again on a fresh connection (no finding)"
        ),
        count,
    }
}

/// The connector layer that tells a request which connections were made in its task.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct MarkMadeForRequest;

impl<S> tower_layer::Layer<S> for MarkMadeForRequest {
    type Service = MarkingConnector<S>;
    fn layer(&self, inner: S) -> MarkingConnector<S> {
        MarkingConnector(inner)
    }
}

/// See [`MarkMadeForRequest`].
#[derive(Debug, Clone)]
pub(super) struct MarkingConnector<S>(S);

impl<S, R> tower_service::Service<R> for MarkingConnector<S>
where
    S: tower_service::Service<R>,
    S::Future: Send + 'static,
    S::Response: Connection,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, target: R) -> Self::Future {
        let connecting = self.0.call(target);
        Box::pin(async move {
            let connection = connecting.await?;
            // A connection finished after the request took a pooled one finishes in a task
            // of its own (`try_with` fails there).
            // Noted in the request's own task, by port: the request may still take a pooled
            // connection instead (hyper-util waits for the new one to be ready, and a pooled
            // one can come first), so only the port says which one it used.
            let port = local_port(&connection.connected());
            let _ = MADE_FOR_REQUEST.try_with(|made| made.borrow_mut().push(port));
            Ok(connection)
        })
    }
}
