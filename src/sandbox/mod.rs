//! The reference sandbox: an axum server that honours the contracts in cases/ exactly, or
//! breaks them in known ways when faults are switched on. It is the default target of
//! `specgate run` and the target of specgate's own tests.

use crate::contract::Operation;
use std::net::SocketAddr;
use std::sync::Arc;

/// The base path every case is served under, as on the real API (`https://host/v1`).
pub const BASE_PATH: &str = "/v1";

/// The key the sandbox accepts when none is configured.
pub const DEFAULT_API_KEY: &str = "specgate-sandbox-key";

/// A realistic regression the sandbox can be told to commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {}

impl std::str::FromStr for Fault {
    type Err = String;
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Err(format!("unknown fault `{name}`"))
    }
}

#[derive(Debug, Clone)]
pub struct SandboxConfig {
    pub addr: SocketAddr,
    pub api_key: String,
    pub faults: Vec<Fault>,
}

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// A running sandbox. Dropping it shuts the server down.
pub struct Sandbox {
    base_url: url::Url,
}

impl Sandbox {
    /// Bind and serve in the background on the current tokio runtime.
    pub async fn start(
        _operations: Vec<Arc<Operation>>,
        _config: SandboxConfig,
    ) -> Result<Sandbox, SandboxError> {
        todo!("issue 3")
    }

    /// `http://ADDR/v1`.
    pub fn base_url(&self) -> &url::Url {
        &self.base_url
    }

    /// Stop serving and wait until the listener is closed.
    pub async fn shutdown(self) {}
}
