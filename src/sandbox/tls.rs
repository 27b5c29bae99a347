//! TLS for the sandbox, so that private-CA and mutual-TLS targets can be tested on
//! loopback: a private CA generated with rcgen ([`PrivateCa`]), a server certificate for
//! `127.0.0.1`, `::1` and `localhost` signed by it, and optionally a demand for client
//! certificates signed by a given CA. Served with rustls (ring); no OpenSSL.

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

/// A client that has not finished its handshake by then is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    /// A certificate or key could not be generated.
    #[error("cannot generate a certificate: {0}")]
    Generate(#[from] rcgen::Error),
    /// A PEM certificate or key could not be read.
    #[error("{what}: {problem}")]
    Pem {
        /// Which PEM.
        what: &'static str,
        /// What is wrong with it.
        problem: String,
    },
    /// rustls refused the configuration.
    #[error("cannot configure TLS: {0}")]
    Config(String),
}

/// How the sandbox serves TLS.
#[derive(Debug, Clone)]
pub struct SandboxTls {
    /// The server's certificate chain, PEM, leaf first.
    pub cert_chain_pem: String,
    /// The server's private key, PEM.
    pub key_pem: String,
    /// When set, every client must present a certificate signed by one of these CAs (PEM).
    pub client_ca_pem: Option<String>,
}

/// A certificate authority made up on the spot: it signs server and client certificates.
pub struct PrivateCa {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl PrivateCa {
    /// A new CA with this common name.
    pub fn new(name: &str) -> Result<PrivateCa, TlsSetupError> {
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate()?)?;
        Ok(PrivateCa { issuer })
    }

    /// The CA certificate, PEM: what a client adds to its trust roots (`--ca-cert`).
    pub fn pem(&self) -> String {
        self.issuer.pem()
    }

    /// A certificate for `names` (DNS names or IP addresses) signed by this CA:
    /// `(certificate PEM, private key PEM)`. Good for serving and for client authentication.
    pub fn issue(&self, names: &[&str]) -> Result<(String, String), TlsSetupError> {
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let mut params = CertificateParams::new(names.clone())?;
        if let Some(first) = names.first() {
            params.distinguished_name.push(DnType::CommonName, first);
        }
        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, &self.issuer)?;
        Ok((cert.pem(), key.serialize_pem()))
    }

    /// A server certificate for the loopback names, signed by this CA.
    pub fn loopback_server(&self) -> Result<SandboxTls, TlsSetupError> {
        let (cert_chain_pem, key_pem) = self.issue(&["localhost", "127.0.0.1", "::1"])?;
        Ok(SandboxTls {
            cert_chain_pem,
            key_pem,
            client_ca_pem: None,
        })
    }
}

/// The rustls server configuration for `tls`, HTTP/1.1 only (as the sandbox serves).
pub(super) fn server_config(tls: &SandboxTls) -> Result<Arc<ServerConfig>, TlsSetupError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config_error = |e: rustls::Error| TlsSetupError::Config(e.to_string());
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(config_error)?;
    let builder = match &tls.client_ca_pem {
        None => builder.with_no_client_auth(),
        Some(pem) => {
            let mut roots = RootCertStore::empty();
            for cert in certificates(pem, "the client CA")? {
                roots.add(cert).map_err(config_error)?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| TlsSetupError::Config(e.to_string()))?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let chain = certificates(&tls.cert_chain_pem, "the server certificate")?;
    let key =
        PrivateKeyDer::from_pem_slice(tls.key_pem.as_bytes()).map_err(|e| TlsSetupError::Pem {
            what: "the server key",
            problem: e.to_string(),
        })?;
    let mut config = builder.with_single_cert(chain, key).map_err(config_error)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

fn certificates(
    pem: &str,
    what: &'static str,
) -> Result<Vec<CertificateDer<'static>>, TlsSetupError> {
    let certs = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsSetupError::Pem {
            what,
            problem: e.to_string(),
        })?;
    if certs.is_empty() {
        return Err(TlsSetupError::Pem {
            what,
            problem: "no certificate in it".to_owned(),
        });
    }
    Ok(certs)
}

/// A listener that hands axum finished TLS connections. Handshakes run in tasks of their
/// own, so a client that stalls mid-handshake holds up nobody else.
pub(super) struct TlsListener {
    incoming: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    addr: SocketAddr,
    accepting: tokio::task::JoinHandle<()>,
}

impl TlsListener {
    pub(super) fn new(tcp: TcpListener, config: Arc<ServerConfig>) -> std::io::Result<Self> {
        let addr = tcp.local_addr()?;
        let (ready, incoming) = mpsc::channel(64);
        let acceptor = TlsAcceptor::from(config);
        let accepting = tokio::spawn(async move {
            while !ready.is_closed() {
                let Ok((stream, peer)) = tcp.accept().await else {
                    // Out of descriptors, most likely: let some close.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let (acceptor, ready) = (acceptor.clone(), ready.clone());
                tokio::spawn(async move {
                    let handshake =
                        tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream));
                    if let Ok(Ok(tls)) = handshake.await {
                        let _ = ready.send((tls, peer)).await;
                    }
                });
            }
        });
        Ok(TlsListener {
            incoming,
            addr,
            accepting,
        })
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.accepting.abort();
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.incoming.recv().await {
            Some(connection) => connection,
            // The accepting task is gone: accept nothing more.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        Ok(self.addr)
    }
}
