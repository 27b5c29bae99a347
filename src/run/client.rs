//! Sending one planned request: the run's clients ([`HttpClient`]), the exact bytes and
//! headers (prepared once, [`Prepared`]), the body size limit, the bounded wait-and-retry on
//! 429/503 with `Retry-After`, and one re-send on a fresh connection of a request the server
//! never read (see `connection`). Redirects are followed only within the base URL's origin,
//! so the key never leaves it.
//!
//! Two paths to the wire. HTTPS and proxied runs go through reqwest: TLS trusts the built-in
//! web roots, the OS trust store and any `--ca-cert`, and can present a client certificate
//! (mutual TLS); proxies come from the environment. Plain-HTTP runs with no proxy go straight
//! through hyper-util's client (`direct`), which spends a third fewer instructions per
//! request; it follows redirects, adds default headers and reports failures as reqwest does,
//! so a run's findings do not depend on the path.

use super::connection::{self, error_chain, ConnectionLog, Landing};
use super::direct::{self, DirectClient, DirectClients, Prepared};
use super::oauth::TokenSource;
use super::secret::ApiKey;
use crate::check::{ObservedResponse, Outcome, SentRequest, TransportFailure};
use crate::contract::wire::{Location, RequestShape, WireRequest};
use crate::contract::{AuthSpec, Constant, Operation};
use crate::generate::{KeyUse, PlannedRequest, WRONG_KEY};
use bytes::Bytes;
use http::{HeaderName, HeaderValue};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use url::Url;

/// Longest `Retry-After` a run waits out; longer ones are reported instead.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);

/// Client settings that do not change during a run.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Time allowed for each request, headers and body together.
    pub timeout: Duration,
    /// Longer bodies are cut off and reported as `transport`.
    pub max_body_bytes: u64,
    /// Retries of a 429/503 with `Retry-After`.
    pub retries: u32,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Extra trust roots and a client certificate.
    pub tls: TlsOptions,
}

/// Extra trust roots and a client certificate, loaded from PEM files.
#[derive(Debug, Clone, Default)]
pub struct TlsOptions {
    /// Trusted on top of the built-in and OS roots (`--ca-cert`, repeatable).
    pub roots: Vec<reqwest::Certificate>,
    /// Presented when the server asks for one (`--client-cert` with `--client-key`).
    pub identity: Option<reqwest::Identity>,
}

/// Why a certificate or key file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The file cannot be read.
    #[error("{flag} {path}: cannot read it: {source}")]
    Read {
        /// The flag that named it.
        flag: &'static str,
        /// The file.
        path: std::path::PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    #[error("{flag} {path}: {problem}\n  fix: give a PEM file (-----BEGIN CERTIFICATE----- blocks{key})")]
    /// The file is not the PEM the flag needs.
    Pem {
        /// The flag that named it.
        flag: &'static str,
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong with it.
        problem: String,
        /// What a key file should hold, for `--client-key` (else empty).
        key: &'static str,
    },
    /// Only one of `--client-cert` and `--client-key` was given.
    #[error("--client-cert and --client-key go together: give both, or neither")]
    HalfIdentity,
}

impl TlsOptions {
    /// Read `--ca-cert` files (each may hold several certificates) and the client
    /// certificate and key.
    pub fn load(
        ca_certs: &[std::path::PathBuf],
        client_cert: Option<&std::path::Path>,
        client_key: Option<&std::path::Path>,
    ) -> Result<TlsOptions, TlsError> {
        let mut roots = Vec::new();
        for path in ca_certs {
            let pem = read("--ca-cert", path)?;
            let bad = |problem: String| TlsError::Pem {
                flag: "--ca-cert",
                path: path.clone(),
                problem,
                key: "",
            };
            let certs =
                reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| bad(error_chain(&e)))?;
            if certs.is_empty() {
                return Err(bad("it holds no certificate".to_owned()));
            }
            roots.extend(certs);
        }
        let identity = match (client_cert, client_key) {
            (None, None) => None,
            (Some(cert), Some(key)) => Some(load_identity(cert, key)?),
            _ => return Err(TlsError::HalfIdentity),
        };
        Ok(TlsOptions { roots, identity })
    }
}

fn read(flag: &'static str, path: &std::path::Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        flag,
        path: path.to_path_buf(),
        source,
    })
}

/// The certificate chain and its private key, as one PEM identity.
fn load_identity(
    cert: &std::path::Path,
    key: &std::path::Path,
) -> Result<reqwest::Identity, TlsError> {
    let mut pem = read("--client-cert", cert)?;
    pem.push(b'\n');
    pem.extend(read("--client-key", key)?);
    let has = |what: &[u8]| pem.windows(what.len()).any(|w| w == what);
    if !has(b"-----BEGIN CERTIFICATE-----") {
        return Err(TlsError::Pem {
            flag: "--client-cert",
            path: cert.to_path_buf(),
            problem: "it holds no certificate".to_owned(),
            key: "",
        });
    }
    reqwest::Identity::from_pem(&pem).map_err(|e| TlsError::Pem {
        flag: "--client-key",
        path: key.to_path_buf(),
        problem: error_chain(&e),
        key: ", and a -----BEGIN PRIVATE KEY----- block for the key",
    })
}

/// A planned request ready to send, encoded once: its body's bytes and, for an operation
/// with parameters, its URL and headers. Cheap to clone (for retries and re-sends).
#[derive(Debug, Clone, Default)]
pub(super) struct Outgoing {
    pub(super) body: Bytes,
    /// For an envelope: the URL (without a query key) and the request on the wire.
    wire: Option<Arc<(Url, WireRequest)>>,
}

impl Outgoing {
    /// A bare body, sent to the endpoint's own URL.
    #[cfg(test)]
    pub(super) fn bare(body: Bytes) -> Outgoing {
        Outgoing { body, wire: None }
    }

    /// The same request with an envelope's body declared as `content_type` (a bare body
    /// takes its endpoint's, [`Endpoint::declaring`]).
    pub(super) fn declared_as(&self, content_type: &str) -> Outgoing {
        let wire = self.wire.as_deref().map(|(url, wire)| {
            let mut wire = wire.clone();
            if let Some((_, declared)) = &mut wire.body {
                content_type.clone_into(declared);
            }
            Arc::new((url.clone(), wire))
        });
        Outgoing {
            body: self.body.clone(),
            wire,
        }
    }
}

/// Sends planned requests for one operation at one endpoint.
pub(super) struct Endpoint {
    pub url: Url,
    /// For an operation with parameters: its wire shape, and the base URL the targets it
    /// makes are appended to.
    shape: Option<(Arc<RequestShape>, TargetBase)>,
    method: http::Method,
    content_type: HeaderValue,
    /// The secrets of the requirement in force, each where it travels.
    credentials: Vec<Credential>,
    /// The operation's constant headers and query parameters, sent with every request.
    constants: Vec<Constant>,
}

/// One secret of the requirement in force, ready to send.
struct Credential {
    /// The header it travels in; `None` for a key in the query string.
    header: Option<HeaderName>,
    /// The query parameter it travels in, for a key in the query string.
    query: Option<String>,
    /// The real header value; `None` when the run has no key for its variable.
    value: Option<HeaderValue>,
    /// The value as records show it (`Bearer ${VAR}`).
    placeholder: String,
    wrong: HeaderValue,
    /// For an OAuth2 client: where its tokens come from (sent instead of `value`).
    token: Option<Arc<TokenSource>>,
}

impl Credential {
    fn new(auth: &AuthSpec, key: Option<&ApiKey>) -> Credential {
        // Each scheme sends the key of its own variable when the run has it (else the run's
        // one key, e.g. from --api-key-env).
        let key = key.map(|k| k.for_env(&auth.env).unwrap_or(k));
        let value = key
            .and_then(|k| HeaderValue::from_str(&auth.scheme.wire_value(k.expose())).ok())
            .map(|mut v| {
                v.set_sensitive(true);
                v
            });
        let placeholder = key.map_or_else(
            || crate::generate::key_placeholder(&auth.env),
            ApiKey::placeholder,
        );
        Credential {
            header: auth
                .scheme
                .query_name()
                .is_none()
                .then(|| auth.header.clone()),
            query: auth.scheme.query_name().map(str::to_owned),
            value,
            placeholder: auth.scheme.shown_value(&placeholder),
            wrong: HeaderValue::from_str(&auth.scheme.wire_value(WRONG_KEY))
                .unwrap_or(HeaderValue::from_static(WRONG_KEY)),
            token: None,
        }
    }

    /// The value sent for `planned`'s key: real, placeholder (`redacted`) or wrong.
    fn value_for(&self, planned: &PlannedRequest, redacted: bool) -> Option<HeaderValue> {
        match planned.key {
            KeyUse::Missing => None,
            KeyUse::Wrong => Some(self.wrong.clone()),
            KeyUse::Valid if redacted => HeaderValue::from_str(&self.placeholder).ok(),
            // A token is obtained when the request is sent.
            KeyUse::Valid if self.token.is_some() => None,
            KeyUse::Valid => self.value.clone(),
        }
    }
}

impl Endpoint {
    pub(super) fn new(operation: &Operation, url: Url, key: Option<&ApiKey>) -> Endpoint {
        let content_type = HeaderValue::from_str(&operation.content_type)
            .unwrap_or(HeaderValue::from_static("application/json"));
        // The URL without the operation's path: the targets an envelope makes are appended.
        let mut root = url.clone();
        let prefix_len = url
            .path()
            .len()
            .saturating_sub(encoded_path_len(&operation.path));
        root.set_path(&url.path()[..prefix_len]);
        root.set_query(None);
        let base = root.as_str().to_owned();
        let shape = operation
            .shape
            .clone()
            .map(|shape| (shape, TargetBase::new(root, base.trim_end_matches('/'))));
        Endpoint {
            shape,
            url,
            method: operation.method.clone(),
            content_type,
            credentials: operation
                .auth
                .sent()
                .iter()
                .map(|auth| Credential::new(auth, key))
                .collect(),
            constants: operation.constants.clone(),
        }
    }

    /// The operation's constant headers, as every request carries them.
    fn constant_headers(&self) -> impl Iterator<Item = (String, String)> + '_ {
        self.constants
            .iter()
            .filter(|c| c.location == Location::Header)
            .map(|c| (c.name.to_ascii_lowercase(), c.value.clone()))
    }

    /// This endpoint with its OAuth2 clients' tokens taken from `sources`.
    pub(super) fn with_tokens(
        mut self,
        sources: &[Arc<TokenSource>],
        operation: &Operation,
    ) -> Endpoint {
        for (credential, auth) in self.credentials.iter_mut().zip(operation.auth.sent()) {
            credential.token = sources.iter().find(|s| s.serves(auth)).cloned();
        }
        self
    }

    /// The key headers of `planned`, as they go on the wire or redacted for records; two
    /// cookies share one `Cookie` header.
    fn keys_for(&self, planned: &PlannedRequest, redacted: bool) -> Vec<(HeaderName, HeaderValue)> {
        let mut headers: Vec<(HeaderName, HeaderValue)> = Vec::new();
        for credential in &self.credentials {
            let (Some(name), Some(value)) =
                (&credential.header, credential.value_for(planned, redacted))
            else {
                continue;
            };
            match headers.iter_mut().find(|(earlier, _)| earlier == name) {
                Some((_, earlier)) => {
                    let mut joined = earlier.as_bytes().to_vec();
                    joined.extend_from_slice(b"; ");
                    joined.extend_from_slice(value.as_bytes());
                    if let Ok(mut joined) = HeaderValue::from_bytes(&joined) {
                        joined.set_sensitive(true);
                        *earlier = joined;
                    }
                }
                None => headers.push((name.clone(), value)),
            }
        }
        headers
    }

    /// `url` with the keys that travel in its query string: the real keys, or their
    /// placeholders for records.
    fn with_query_key(&self, mut url: Url, planned: &PlannedRequest, redacted: bool) -> Url {
        for constant in self
            .constants
            .iter()
            .filter(|c| c.location == Location::Query)
        {
            url.query_pairs_mut()
                .append_pair(&constant.name, &constant.value);
        }
        let mut shown = Vec::new();
        for credential in &self.credentials {
            let Some(name) = &credential.query else {
                continue;
            };
            let Some(value) = credential.value_for(planned, redacted) else {
                continue;
            };
            let value = value.to_str().unwrap_or_default().to_owned();
            url.query_pairs_mut().append_pair(name, &value);
            shown.push(value);
        }
        if redacted && !shown.is_empty() {
            // The placeholder stays readable: `${NAME}`, not `%24%7BNAME%7D`.
            let mut text = url.as_str().to_owned();
            for value in &shown {
                text = text.replace(&encode_query_value(value), value);
            }
            return Url::parse(&text).unwrap_or(url);
        }
        url
    }

    /// `planned` encoded for the wire: its body's bytes, and for an operation with
    /// parameters its URL and headers (a request the wire cannot carry, which the generator
    /// never plans, goes to the template's URL with no parameters).
    pub(super) fn outgoing(&self, planned: &PlannedRequest) -> Outgoing {
        let Some((shape, base)) = &self.shape else {
            return Outgoing {
                body: planned.body.wire(),
                wire: None,
            };
        };
        let encoded = planned.to_wire(shape).ok().and_then(|mut wire| {
            let url = base.join(&wire.target)?;
            let body = wire.body.as_mut().map(|(bytes, _)| std::mem::take(bytes));
            Some((url, wire, body))
        });
        match encoded {
            Some((url, wire, body)) => Outgoing {
                body: body.map_or_else(Bytes::new, Bytes::from),
                wire: Some(Arc::new((url, wire))),
            },
            None => Outgoing::default(),
        }
    }

    /// `planned` as the request `client` would send (static keys; an OAuth2 token is
    /// fetched only when sending); `None` when it cannot be built.
    pub(super) fn built(
        &self,
        client: &reqwest::Client,
        planned: &PlannedRequest,
        outgoing: &Outgoing,
    ) -> Option<reqwest::Request> {
        let prepared = self.prepare(planned, outgoing).ok()?;
        into_reqwest(prepared, client).build().ok()
    }

    /// The endpoint with a bare body declared as `content_type`.
    pub(super) fn declaring(mut self, content_type: HeaderValue) -> Endpoint {
        self.content_type = content_type;
        self
    }

    /// The `Content-Type` `outgoing`'s body goes with; `None` when it has no body.
    pub(super) fn body_content_type(&self, outgoing: &Outgoing) -> Option<String> {
        if outgoing.body.is_empty() {
            return None;
        }
        match outgoing.wire.as_deref() {
            None => self.content_type.to_str().ok().map(str::to_owned),
            Some((_, wire)) => wire.body.as_ref().map(|(_, declared)| declared.clone()),
        }
    }

    /// The request as a record: exact body, key replaced by its placeholder.
    pub(super) fn record(&self, planned: &PlannedRequest, outgoing: &Outgoing) -> SentRequest {
        let mut headers = match outgoing.wire.as_deref() {
            None if self.shape.is_some() => Vec::new(),
            None => vec![(
                "content-type".to_owned(),
                self.content_type.to_str().unwrap_or_default().to_owned(),
            )],
            Some((_, wire)) => {
                let mut headers: Vec<(String, String)> = wire
                    .body
                    .iter()
                    .map(|(_, content_type)| ("content-type".to_owned(), content_type.clone()))
                    .collect();
                headers.extend(wire.headers.iter().cloned());
                headers
            }
        };
        headers.extend(self.constant_headers());
        for (name, value) in self.keys_for(planned, true) {
            headers.push((
                name.to_string(),
                value.to_str().unwrap_or_default().to_owned(),
            ));
        }
        let url = outgoing
            .wire
            .as_deref()
            .map_or_else(|| self.url.clone(), |(url, _)| url.clone());
        SentRequest {
            method: self.method.to_string(),
            url: self.with_query_key(url, planned, true).to_string(),
            headers,
            body: String::from_utf8_lossy(&outgoing.body).into_owned(),
        }
    }

    /// Send `body` for `planned`, waiting out throttling up to `options.retries` times.
    /// `permit` is asked before every attempt (the run's rate and request cap); `false` stops.
    /// A request the server provably never read (a kept-alive connection it had closed) is
    /// sent once more on a fresh connection, and the closed connection noted, not reported.
    pub(super) async fn send(
        &self,
        client: &HttpClient,
        options: &ClientOptions,
        planned: &PlannedRequest,
        outgoing: &Outgoing,
        permit: &(dyn Fn() -> bool + Sync),
    ) -> Option<Outcome> {
        let mut retries = 0;
        let mut via = client.first();
        // Sent again on a fresh connection already: never a third time.
        let mut resent = false;
        // When a token was refused: the attempt after it goes with a token asked for later.
        let mut refused_at = None;
        loop {
            if !permit() {
                return None;
            }
            let (outcome, landing, refused_token) = self
                .attempt(via, options, planned, outgoing, refused_at)
                .await;
            // A token the API refused is renewed once: it may have been revoked or expired
            // early; a refusal of a token asked for after the first is the API's answer.
            if refused_token && refused_at.is_none() {
                refused_at = Some(Instant::now());
                continue;
            }
            match (&outcome, landing) {
                (Outcome::Response(response), Landing::Answered(port)) => {
                    client.log.answered(port, response.status);
                }
                (_, Landing::NeverRead(port)) if !resent => {
                    client.log.closed_unannounced(port);
                    via = client.again();
                    resent = true;
                    continue;
                }
                _ => {}
            }
            let wait = match &outcome {
                Outcome::Response(response) => throttled_wait(response),
                Outcome::Transport(_) => None,
            };
            let Some(wait) = wait else {
                return Some(outcome);
            };
            if retries == options.retries {
                let Outcome::Response(response) = &outcome else {
                    return Some(outcome);
                };
                return Some(Outcome::Transport(TransportFailure::StillThrottled {
                    status: response.status,
                    retries,
                }));
            }
            retries += 1;
            tokio::time::sleep(wait).await;
        }
    }

    async fn attempt(
        &self,
        via: Via<'_>,
        options: &ClientOptions,
        planned: &PlannedRequest,
        outgoing: &Outgoing,
        tokens_since: Option<Instant>,
    ) -> (Outcome, Landing, bool) {
        let tokens = self.tokens(planned, tokens_since).await;
        let prepare = || self.prepare_with(planned, outgoing, &tokens);
        let started = Instant::now();
        let work = async {
            let prepared = prepare()
                .map_err(|e| (TransportFailure::Broken(error_chain(&e)), Landing::Failed))?;
            match via {
                Via::Reqwest(client) => {
                    send_reqwest(into_reqwest(prepared, client), options, started).await
                }
                Via::Direct(client) => {
                    let again = || prepare().ok();
                    send_direct(client, prepared, &again, options, started).await
                }
            }
        };
        // One deadline for headers and body together: a server that trickles its body
        // forever is a timeout, not a hang.
        let (outcome, landing) = match tokio::time::timeout(options.timeout, work).await {
            Ok(Ok((response, landing))) => (Outcome::Response(response), landing),
            Ok(Err((failure, landing))) => (Outcome::Transport(failure), landing),
            Err(_) => (
                Outcome::Transport(TransportFailure::Timeout),
                Landing::Failed,
            ),
        };
        let refused = matches!(&outcome, Outcome::Response(r) if r.status == 401);
        if refused {
            for (source, _, value) in &tokens {
                source.refused(value);
            }
        }
        (outcome, landing, refused && !tokens.is_empty())
    }

    /// The OAuth2 tokens of a valid-key request, each with its header; asked for after
    /// `since` when given.
    async fn tokens<'a>(
        &'a self,
        planned: &PlannedRequest,
        since: Option<Instant>,
    ) -> Vec<(&'a TokenSource, &'a HeaderName, HeaderValue)> {
        let mut tokens = Vec::new();
        if planned.key != KeyUse::Valid {
            return tokens;
        }
        for credential in &self.credentials {
            let (Some(name), Some(source)) = (&credential.header, &credential.token) else {
                continue;
            };
            // Without a token the request goes without it: the API's 401 is the finding.
            if let Ok(value) = source.header_since(since).await {
                tokens.push((source.as_ref(), name, value));
            }
        }
        tokens
    }

    /// [`Endpoint::prepare`] with `tokens` added.
    fn prepare_with(
        &self,
        planned: &PlannedRequest,
        outgoing: &Outgoing,
        tokens: &[(&TokenSource, &HeaderName, HeaderValue)],
    ) -> Result<Prepared, Unsendable> {
        let mut prepared = self.prepare(planned, outgoing)?;
        for (_, name, value) in tokens {
            prepared.headers.append(*name, value.clone());
        }
        Ok(prepared)
    }

    /// `planned` as it goes on the wire: method, URL, headers (static keys), body.
    fn prepare(
        &self,
        planned: &PlannedRequest,
        outgoing: &Outgoing,
    ) -> Result<Prepared, Unsendable> {
        let mut headers = http::HeaderMap::new();
        let url = match outgoing.wire.as_deref() {
            None => {
                headers.append(http::header::CONTENT_TYPE, self.content_type.clone());
                self.with_query_key(self.url.clone(), planned, false)
            }
            Some((url, wire)) => {
                if let Some((_, content_type)) = &wire.body {
                    headers.append(
                        http::header::CONTENT_TYPE,
                        HeaderValue::from_str(content_type).map_err(http::Error::from)?,
                    );
                }
                for (name, value) in &wire.headers {
                    append(&mut headers, name, value)?;
                }
                self.with_query_key(url.clone(), planned, false)
            }
        };
        for (name, value) in self.constant_headers() {
            append(&mut headers, &name, &value)?;
        }
        for (name, value) in self.keys_for(planned, false) {
            headers.append(name, value);
        }
        Ok(Prepared {
            method: self.method.clone(),
            url,
            headers,
            // Empty when the request has no body: reqwest and hyper send the two alike.
            body: outgoing.body.clone(),
        })
    }
}

/// `request` as one of `client`'s.
fn into_reqwest(request: Prepared, client: &reqwest::Client) -> reqwest::RequestBuilder {
    client
        .request(request.method, request.url)
        .headers(request.headers)
        .body(request.body)
}

/// A header of the planned request that HTTP cannot carry, reported as reqwest did.
#[derive(Debug, thiserror::Error)]
#[error("builder error")]
pub(super) struct Unsendable(#[from] http::Error);

/// `name: value` appended to `headers`, both checked.
fn append(headers: &mut http::HeaderMap, name: &str, value: &str) -> Result<(), Unsendable> {
    let name = HeaderName::from_bytes(name.as_bytes()).map_err(http::Error::from)?;
    let value = HeaderValue::from_str(value).map_err(http::Error::from)?;
    headers.append(name, value);
    Ok(())
}

/// The clients a run sends with, and what they learn about the server's connections:
/// reqwest's pooled and fresh clients, and for plain HTTP with no proxy `direct`'s.
#[derive(Clone)]
pub(super) struct HttpClient {
    /// Where requests go first: a pool of kept-alive connections.
    pub(super) pooled: reqwest::Client,
    /// A connection per request, closed after it: for requests the server never read and
    /// for confirmations, so no re-send meets a connection the server has dropped.
    pub(super) fresh: reqwest::Client,
    /// For plain HTTP with no proxy: the same two on hyper-util directly, which then send
    /// every request (see `direct`).
    pub(super) direct: Option<DirectClients>,
    pub(super) log: Arc<ConnectionLog>,
}

impl HttpClient {
    /// The same clients, sending every request on a fresh connection.
    pub(super) fn fresh_only(&self) -> HttpClient {
        HttpClient {
            pooled: self.fresh.clone(),
            direct: self.direct.as_ref().map(|direct| DirectClients {
                pooled: direct.fresh.clone(),
                fresh: direct.fresh.clone(),
            }),
            ..self.clone()
        }
    }
}

/// Which client an attempt goes through.
#[derive(Clone, Copy)]
pub(super) enum Via<'a> {
    /// HTTPS or through a proxy: reqwest.
    Reqwest(&'a reqwest::Client),
    /// Plain HTTP with no proxy (see `direct`).
    Direct(&'a DirectClient),
}

impl HttpClient {
    /// Where a request goes first: the pooled client.
    fn first(&self) -> Via<'_> {
        match &self.direct {
            Some(direct) => Via::Direct(&direct.pooled),
            None => Via::Reqwest(&self.pooled),
        }
    }

    /// Where a request the server never read goes again: a fresh connection.
    fn again(&self) -> Via<'_> {
        match &self.direct {
            Some(direct) => Via::Direct(&direct.fresh),
            None => Via::Reqwest(&self.fresh),
        }
    }
}

/// The answer through reqwest, and where it landed.
async fn send_reqwest(
    request: reqwest::RequestBuilder,
    options: &ClientOptions,
    started: Instant,
) -> Result<(ObservedResponse, Landing), (TransportFailure, Landing)> {
    // Boxed so that the layers around it (the task-local scope, this block, the timeout)
    // move a pointer rather than reqwest's kilobytes-large future.
    let response = match connection::sending(Box::pin(request.send())).await {
        (Ok(response), _) => response,
        (Err(error), made) => {
            let landing = connection::failed(&error, &made, None);
            return Err((classify(error), landing));
        }
    };
    let landing = connection::answered(response.extensions());
    match read_response(response, options.max_body_bytes, started).await {
        Ok(response) => Ok((response, landing)),
        Err(failure) => Err((failure, Landing::Failed)),
    }
}

/// The answer through the direct client, and where it landed.
async fn send_direct(
    client: &DirectClient,
    request: Prepared,
    again: &(dyn Fn() -> Option<Prepared> + Sync),
    options: &ClientOptions,
    started: Instant,
) -> Result<(ObservedResponse, Landing), (TransportFailure, Landing)> {
    // Boxed for the same reason as reqwest's.
    let (response, used) = match connection::sending(Box::pin(client.send(request, again))).await {
        (Ok(answer), _) => answer,
        (Err(error), made) => {
            let landing = connection::failed(&error, &made, error.local_port());
            return Err((error.failure(), landing));
        }
    };
    let landing = Landing::Answered(used.local_port());
    let read = direct::read_response(response, options.max_body_bytes, started).await;
    client.give_back(used);
    match read {
        Ok(response) => Ok((response, landing)),
        Err(failure) => Err((failure, Landing::Failed)),
    }
}

/// `value` as `application/x-www-form-urlencoded` writes it (the url crate's query pairs).
/// The base URL an operation's targets (path and query) are appended to.
#[derive(Debug)]
struct TargetBase {
    /// The base URL: scheme, authority and the path before the operation's own.
    root: Url,
    /// The same as text, without a trailing `/`: a target is appended to it.
    text: String,
    /// Its path, without a trailing `/`.
    prefix: String,
}

impl TargetBase {
    fn new(root: Url, text: &str) -> TargetBase {
        TargetBase {
            prefix: root.path().trim_end_matches('/').to_owned(),
            text: text.to_owned(),
            root,
        }
    }

    /// The URL `text` + `target` names. A target that starts with its path is read relative
    /// to the root: the same URL, without parsing the scheme and host again (six in seven
    /// of a parse's instructions: the host is read, checked and written back).
    fn join(&self, target: &str) -> Option<Url> {
        let path = format!("{}{target}", self.prefix);
        // `//x` would name a host, not a path, and after a fragment the target is part of
        // it: read the whole URL instead.
        if path.starts_with('/') && !path.starts_with("//") && self.root.fragment().is_none() {
            return Url::options().base_url(Some(&self.root)).parse(&path).ok();
        }
        Url::parse(&format!("{}{target}", self.text)).ok()
    }
}

fn encode_query_value(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// The length of `path` once the url crate has percent-encoded it (`{` is `%7B`).
fn encoded_path_len(path: &str) -> usize {
    let mut probe = Url::parse("http://probe.invalid/").expect("a fixed URL parses");
    probe.set_path(path);
    probe.path().len()
}

async fn read_response(
    mut response: reqwest::Response,
    limit: u64,
    started: Instant,
) -> Result<ObservedResponse, TransportFailure> {
    let status = response.status().as_u16();
    let headers = std::mem::take(response.headers_mut());
    let body = match response.content_length() {
        Some(length) if length > limit => return Err(TransportFailure::Oversized { limit }),
        // The length is known and allowed: read it in one go, without copying.
        Some(_) => response.bytes().await.map_err(classify)?,
        None => read_limited(response, limit).await?,
    };
    Ok(ObservedResponse {
        status,
        headers,
        body,
        elapsed_ms: started.elapsed().as_millis() as u64,
    })
}

/// A body of unknown length, chunk by chunk, refused once it passes `limit`.
async fn read_limited(
    mut response: reqwest::Response,
    limit: u64,
) -> Result<bytes::Bytes, TransportFailure> {
    let mut body = bytes::BytesMut::new();
    while let Some(chunk) = response.chunk().await.map_err(classify)? {
        if (body.len() + chunk.len()) as u64 > limit {
            return Err(TransportFailure::Oversized { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

fn classify(error: reqwest::Error) -> TransportFailure {
    // The URL can carry the key (`?api_key=`): no message repeats it.
    let error = error.without_url();
    if error.is_timeout() {
        return TransportFailure::Timeout;
    }
    let text = error_chain(&error);
    if error.is_connect() {
        TransportFailure::Connect(text)
    } else {
        TransportFailure::Broken(text)
    }
}

/// How long to wait before retrying a throttled response, if it is one we retry.
fn throttled_wait(response: &ObservedResponse) -> Option<Duration> {
    if response.status != 429 && response.status != 503 {
        return None;
    }
    let wait = retry_after_wait(response.header("retry-after")?, SystemTime::now())?;
    (wait <= MAX_RETRY_AFTER).then_some(wait)
}

/// A `Retry-After` value (RFC 9110 §10.2.3) as a wait from `now`: delay-seconds or an
/// HTTP-date (a date already past means retry at once).
fn retry_after_wait(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// The clients of a run: one pooled client (each worker thread builds its own with
/// [`build_client`]) and one that opens a connection per request, sharing one log.
pub(super) fn build_clients(
    base: &Url,
    options: &ClientOptions,
) -> Result<HttpClient, reqwest::Error> {
    Ok(HttpClient {
        pooled: build_client(base, options)?,
        fresh: builder(base, options).pool_max_idle_per_host(0).build()?,
        direct: direct_serves(base)
            .then(|| DirectClients::new(base, options.timeout, options.concurrency)),
        log: Arc::default(),
    })
}

/// Whether `base`'s requests go the direct way: plain HTTP that the environment routes
/// through no proxy (see `direct`).
fn direct_serves(base: &Url) -> bool {
    base.scheme() == "http" && super::shared::proxy_for(base).is_none()
}

/// A pooled client: HTTP/1.1 and HTTP/2 over rustls, redirects only within `base`'s origin,
/// and no retries of its own.
pub(super) fn build_client(
    base: &Url,
    options: &ClientOptions,
) -> Result<reqwest::Client, reqwest::Error> {
    builder(base, options)
        .pool_max_idle_per_host(options.concurrency)
        .build()
}

/// reqwest's default policy silently re-sends requests refused at the protocol level. Here
/// every request sent must be one the run counts (`--max-requests` is a hard cap) and a
/// refusal is a `transport` finding; the default policy also copied every request in case
/// it had to be re-sent. What is sent again, a request the server never read, is sent by
/// [`Endpoint::send`], counted.
fn builder(base: &Url, options: &ClientOptions) -> reqwest::ClientBuilder {
    let origin = base.origin();
    // The direct client follows the same rule (`direct::DirectClient::redirected`): change both.
    let policy = reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() >= 5 || attempt.url().origin() != origin {
            attempt.stop()
        } else {
            attempt.follow()
        }
    });
    let mut builder = reqwest::Client::builder()
        .tls_built_in_webpki_certs(true)
        .tls_built_in_native_certs(true);
    for root in &options.tls.roots {
        builder = builder.add_root_certificate(root.clone());
    }
    if let Some(identity) = &options.tls.identity {
        builder = builder.identity(identity.clone());
    }
    // reqwest's system proxy matches every request's URL against HTTPS_PROXY/HTTP_PROXY/
    // NO_PROXY, twice (for a proxy's credentials and its headers): 1,400 instructions a
    // request (callgrind) for nothing when the environment routes the base URL through no
    // proxy. Every request of these clients goes to the base URL's origin (redirects stay
    // within it), so the environment's answer for the base, read with the very matcher
    // reqwest uses, holds for all of them.
    if super::shared::proxy_for(base).is_none() {
        builder = builder.no_proxy();
    }
    builder
        .redirect(policy)
        .retry(reqwest::retry::never().max_retries_per_request(0))
        .connector_layer(connection::MarkMadeForRequest)
        .connect_timeout(options.timeout)
        .tcp_nodelay(true)
        .user_agent(concat!("specgate/", env!("CARGO_PKG_VERSION")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_target_joined_to_its_base_is_the_url_the_whole_text_parses_to() {
        let bases = [
            "http://127.0.0.1:8080/v1",
            "http://127.0.0.1:8080/",
            "http://127.0.0.1:8080",
            "http://user:pass@[::1]:9000/api/v2/",
            "http://example.com/a%20b/",
            "http://example.com/v1#part",
        ];
        let targets = [
            "/orders",
            "/orders/ord_1?limit=5&status=open",
            "/orders/a b/é?q=x y&r=ü#frag",
            "/orders/../x/./y?%zz",
            "//elsewhere/x",
            "/a\\b?c\\d",
            "?only=query",
            "",
        ];
        for base in bases {
            let root = Url::parse(base).unwrap();
            let text = root.as_str().trim_end_matches('/').to_owned();
            let joined = TargetBase::new(root, &text);
            for target in targets {
                let whole = Url::parse(&format!("{text}{target}")).ok();
                assert_eq!(joined.join(target), whole, "{base} {target}");
            }
        }
    }

    fn at(text: &str) -> SystemTime {
        httpdate::parse_http_date(text).unwrap()
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = at("Sat, 05 Dec 2026 07:00:00 GMT");
        assert_eq!(retry_after_wait(" 7 ", now), Some(Duration::from_secs(7)));
        assert_eq!(
            retry_after_wait("Sat, 05 Dec 2026 07:00:12 GMT", now),
            Some(Duration::from_secs(12))
        );
        assert_eq!(
            retry_after_wait("Sun, 06 Nov 1994 08:49:37 GMT", now),
            Some(Duration::ZERO),
            "a date already past means retry at once"
        );
        assert_eq!(retry_after_wait("soon", now), None);
        assert_eq!(retry_after_wait("-1", now), None);
    }
}
