//! The reference sandbox: an axum server that honours the contracts in cases/ exactly, or
//! breaks them in known ways when faults are switched on. It is the default target of
//! `specgate run` and the target of specgate's own tests.
//!
//! It is generic: every fact about an operation (method, path, auth header, request schema,
//! success schema, `sandbox_fields`) comes from the loaded [`Operation`]. [`faults`] names the
//! regressions, [`respond`] builds success bodies, `server` answers requests (`in_flight`
//! counts them, so tests wait for events instead of sleeping), `connection` closes
//! connections after a 5xx for `close-after-5xx`, `media_type` refuses a body of a type the
//! operation does not declare (415), and [`tls`] serves it over HTTPS with a
//! private CA, optionally demanding client certificates.

mod connection;
mod documented;
pub mod faults;
mod in_flight;
mod media_type;
pub mod respond;
mod route;
mod server;
mod state;
pub mod tls;
pub mod token;

pub use faults::{EnumValueTarget, Fault, FaultInfo};
pub use tls::{PrivateCa, SandboxTls, TlsSetupError};

use crate::contract::Operation;
use axum::serve::ListenerExt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The base path every case is served under, as on the real API (`https://host/v1`).
pub const BASE_PATH: &str = "/v1";

/// The key the sandbox accepts when none is configured.
pub const DEFAULT_API_KEY: &str = "specgate-sandbox-key";

/// How long [`Sandbox::shutdown`] lets in-flight requests finish before cutting them off.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

#[derive(Debug, Clone)]
/// How the sandbox serves.
pub struct SandboxConfig {
    /// Where to listen (port 0: any free port).
    pub addr: SocketAddr,
    /// The key it accepts.
    pub api_key: String,
    /// The contract breaks it commits.
    pub faults: Vec<Fault>,
}

#[derive(Debug, thiserror::Error)]
/// Why the sandbox could not start.
pub enum SandboxError {
    #[error("cannot listen on {addr}: {source}")]
    /// The address could not be bound.
    Bind {
        /// The address.
        addr: SocketAddr,
        /// What the OS said.
        source: std::io::Error,
    },
    #[error("cannot build the success body of `{operation}`: {source}")]
    /// A case's success body cannot be built from its templates.
    SuccessBody {
        /// The case.
        operation: String,
        /// What is wrong with the template.
        source: respond::TemplateError,
    },
    /// A documented error body (or a declared header) cannot be built from its schema.
    #[error("cannot build the documented {status} answer of `{operation}`: {source}\n  fix: the schema for {status} (or `default`) admits no value; correct it in the contract")]
    DocumentedAnswer {
        /// The case.
        operation: String,
        /// The status whose answer it is.
        status: u16,
        /// What is wrong.
        source: respond::TemplateError,
    },
    #[error("the API key cannot be sent in an HTTP header (it holds a control character)")]
    /// The key cannot be sent in a header.
    UnusableApiKey,
    #[error("the redirect location `{0}` cannot be sent in an HTTP header")]
    /// A redirect fault's URL is not usable.
    UnusableRedirect(String),
    #[error(transparent)]
    /// TLS could not be set up.
    Tls(#[from] TlsSetupError),
}

/// A running sandbox. Dropping it shuts the server down.
pub struct Sandbox {
    base_url: url::Url,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
    in_flight: in_flight::InFlight,
}

impl Sandbox {
    /// Bind and serve in the background on the current tokio runtime.
    pub async fn start(
        operations: Vec<Arc<Operation>>,
        config: SandboxConfig,
    ) -> Result<Sandbox, SandboxError> {
        Sandbox::serve(operations, config, None).await
    }

    /// [`Sandbox::start`], over HTTPS (`https://ADDR/v1`) with the certificate in `tls`.
    pub async fn start_tls(
        operations: Vec<Arc<Operation>>,
        config: SandboxConfig,
        tls: &SandboxTls,
    ) -> Result<Sandbox, SandboxError> {
        let tls = tls::server_config(tls)?;
        Sandbox::serve(operations, config, Some(tls)).await
    }

    async fn serve(
        operations: Vec<Arc<Operation>>,
        config: SandboxConfig,
        tls: Option<Arc<rustls::ServerConfig>>,
    ) -> Result<Sandbox, SandboxError> {
        let routes = Arc::new(server::Routes::build(&operations, &config)?);
        let bind_error = |source| SandboxError::Bind {
            addr: config.addr,
            source,
        };
        let listener = tokio::net::TcpListener::bind(config.addr)
            .await
            .map_err(bind_error)?;
        let addr = listener.local_addr().map_err(bind_error)?;
        let in_flight = in_flight::InFlight::default();
        let gauge = in_flight.clone();
        let app = axum::Router::new()
            .fallback(move |routes, request| {
                let entered = gauge.enter();
                async move {
                    let response = server::answer(routes, request).await;
                    drop(entered);
                    response
                }
            })
            .with_state(routes);
        let (stop, stopped) = oneshot::channel::<()>();
        let stopped = async {
            let _ = stopped.await;
        };
        let scheme = if tls.is_some() { "https" } else { "http" };
        let closing = Wrapping {
            close_after_5xx: config.faults.contains(&Fault::CloseAfter5xx),
            body_after_204: config.faults.contains(&Fault::BodyOnNoContent),
        };
        let server = match tls {
            Some(tls) => {
                let listener = tls::TlsListener::new(listener, tls).map_err(bind_error)?;
                spawn_server(listener, app, closing, stopped)
            }
            // Small JSON answers must not wait for Nagle's algorithm.
            None => spawn_server(
                listener.tap_io(|tcp| {
                    let _ = tcp.set_nodelay(true);
                }),
                app,
                closing,
                stopped,
            ),
        };
        Ok(Sandbox {
            base_url: base_url(scheme, addr),
            addr,
            stop: Some(stop),
            server: Some(server),
            in_flight,
        })
    }

    /// Serve `operations` faithfully (no faults) on an ephemeral loopback port: the target of
    /// `specgate run` and of the cargo-test suite when no base URL is given.
    pub async fn start_on_loopback(
        operations: Vec<Arc<Operation>>,
        api_key: &str,
    ) -> Result<Sandbox, SandboxError> {
        let config = SandboxConfig {
            addr: ([127, 0, 0, 1], 0).into(),
            api_key: api_key.to_owned(),
            faults: Vec::new(),
        };
        Sandbox::start(operations, config).await
    }

    /// `http://ADDR/v1`, or `https://ADDR/v1` when serving TLS.
    pub fn base_url(&self) -> &url::Url {
        &self.base_url
    }

    /// The address actually bound (the real port when port 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Wait until exactly `n` requests are being answered: a request counts from the moment
    /// its head is read until its answer is ready or its client goes away.
    pub async fn wait_until_in_flight(&self, n: usize) {
        self.in_flight.wait_until(n).await;
    }

    /// Stop serving and wait until the listener is closed; in-flight requests get a short
    /// grace period to finish.
    pub async fn shutdown(mut self) {
        self.signal_stop();
        if let Some(mut server) = self.server.take() {
            if tokio::time::timeout(SHUTDOWN_GRACE, &mut server)
                .await
                .is_err()
            {
                server.abort();
            }
        }
    }

    fn signal_stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl Drop for Sandbox {
    /// The listener closes as soon as the server task sees the signal; in-flight requests
    /// finish on their own.
    fn drop(&mut self) {
        self.signal_stop();
    }
}

/// Serve `app` on `listener` until `stopped`; under `close-after-5xx`, each connection is
/// closed after it answers a 5xx (see [`connection`]).
/// What the connections of a sandbox do besides carrying HTTP (see [`connection`]).
#[derive(Debug, Clone, Copy)]
struct Wrapping {
    /// `close-after-5xx`.
    close_after_5xx: bool,
    /// `body-on-no-content`.
    body_after_204: bool,
}

fn spawn_server<L>(
    listener: L,
    app: axum::Router,
    closing: Wrapping,
    stopped: impl std::future::Future<Output = ()> + Send + 'static,
) -> JoinHandle<()>
where
    L: axum::serve::Listener,
    L::Addr: std::fmt::Debug,
{
    if !closing.close_after_5xx && !closing.body_after_204 {
        return tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(stopped)
                .await;
        });
    }
    let listener = connection::ClosingListener::new(listener, closing.body_after_204);
    if !closing.close_after_5xx {
        return tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(stopped)
                .await;
        });
    }
    let app = app
        .layer(axum::middleware::from_fn(connection::mark_server_errors))
        .into_make_service_with_connect_info::<connection::Doomed>();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(stopped)
            .await;
    })
}

fn base_url(scheme: &str, addr: SocketAddr) -> url::Url {
    let text = format!("{scheme}://{addr}{BASE_PATH}");
    // An address printed by std and a constant path always form a URL.
    url::Url::parse(&text).unwrap_or_else(|e| unreachable!("{text}: {e}"))
}
