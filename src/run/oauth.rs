//! OAuth2 access tokens obtained with the client credentials grant (RFC 6749 §4.4): fetched
//! from the scheme's token endpoint with the client id and secret, cached until they expire
//! or the API answers 401, and scrubbed from everything the run writes from the moment they
//! are known.
//!
//! A renewed token is one fetched after the refusal: a token other workers fetched while a
//! refused request was still on its way back may already be spent, and its refusal is the
//! run's timing, not the API's answer. One fetch runs at a time, so a burst of refusals
//! renews the token once, not once per worker.
//!
//! The client secret goes only to the token endpoint (HTTP Basic, §2.3.1) and the token only
//! to the base URL's origin; the token endpoint's redirects are not followed.

use super::secret::ApiKey;
use crate::contract::{AuthSpec, ClientCredentials};
use http::HeaderValue;
use serde::Deserialize;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use url::Url;

/// How many other workers' fetches a worker waits for before it fetches a token itself.
const WAITS: usize = 3;

/// A token is renewed this long before the server says it expires.
const EXPIRY_MARGIN: Duration = Duration::from_secs(5);

/// The token endpoint's answer (RFC 6749 §5.1); other fields are ignored.
#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    token_type: String,
    expires_in: Option<u64>,
}

/// Why no token could be obtained. Never holds a secret.
#[derive(Debug, thiserror::Error)]
#[error("cannot obtain an OAuth2 token from {url}: {problem}\n  fix: check ${client_id_env}, ${secret_env} and the scheme's token_url")]
pub struct TokenError {
    url: String,
    problem: String,
    client_id_env: String,
    secret_env: String,
}

struct Token {
    header: HeaderValue,
    expires: Option<Instant>,
    /// When it was asked for: it was issued after this.
    asked: Instant,
}

/// One client's tokens: shared by every worker of the run.
pub(super) struct TokenSource {
    client: Arc<ClientCredentials>,
    secret_env: String,
    token_url: Url,
    client_id: ApiKey,
    client_secret: ApiKey,
    /// The run's keys, which scrub every token obtained.
    scrubber: ApiKey,
    timeout: Duration,
    current: RwLock<Option<Token>>,
    /// Written while a token is fetched; workers that need one meanwhile wait to read it,
    /// and are all let go together when the fetch ends.
    fetching: tokio::sync::RwLock<()>,
    /// The token endpoint's client, or why none could be built.
    http: std::sync::OnceLock<Result<reqwest::Client, String>>,
}

impl TokenSource {
    /// The source for `auth`'s client at `base_url`; the id and secret come from the run's
    /// keys (the run's one key when it has no key of that variable).
    pub(super) fn new(
        auth: &AuthSpec,
        base_url: &Url,
        key: &ApiKey,
        timeout: Duration,
    ) -> Option<TokenSource> {
        let client = auth.client_credentials()?.clone();
        let token_url = base_url.join(&client.token_url).ok()?;
        let client_id = key.for_env(&client.client_id_env).unwrap_or(key).clone();
        let client_secret = key.for_env(&auth.env).unwrap_or(key).clone();
        Some(TokenSource {
            secret_env: auth.env.clone(),
            client,
            token_url,
            client_id,
            client_secret,
            scrubber: key.clone(),
            timeout,
            current: RwLock::new(None),
            fetching: tokio::sync::RwLock::new(()),
            http: std::sync::OnceLock::new(),
        })
    }

    /// Whether this source serves `auth`'s client.
    pub(super) fn serves(&self, auth: &AuthSpec) -> bool {
        auth.client_credentials() == Some(&self.client) && auth.env == self.secret_env
    }

    /// `Bearer <token>`: the cached token while it lasts, else a new one.
    pub(super) async fn header(&self) -> Result<HeaderValue, TokenError> {
        self.header_since(None).await
    }

    /// [`Self::header`], of a token asked for after `since` when given (the instant a request
    /// was refused), so that a renewed request never goes with a token older than its refusal.
    pub(super) async fn header_since(
        &self,
        since: Option<Instant>,
    ) -> Result<HeaderValue, TokenError> {
        for _ in 0..WAITS {
            if let Some(header) = self.cached(since) {
                return Ok(header);
            }
            if let Ok(_fetching) = self.fetching.try_write() {
                return self.fetch_and_keep().await;
            }
            // Another worker is fetching: its token may do.
            drop(self.fetching.read().await);
        }
        self.fetch_and_keep().await
    }

    async fn fetch_and_keep(&self) -> Result<HeaderValue, TokenError> {
        let token = self.fetch().await?;
        let header = token.header.clone();
        if let Ok(mut current) = self.current.write() {
            *current = Some(token);
        }
        Ok(header)
    }

    /// Forget `used` after the API refused it (a 401): the next request fetches a new one.
    pub(super) fn refused(&self, used: &HeaderValue) {
        if let Ok(mut current) = self.current.write() {
            if current.as_ref().is_some_and(|t| t.header == used) {
                *current = None;
            }
        }
    }

    fn cached(&self, since: Option<Instant>) -> Option<HeaderValue> {
        let current = self.current.read().ok()?;
        let token = current.as_ref()?;
        let fresh = token.expires.is_none_or(|at| Instant::now() < at);
        let late_enough = since.is_none_or(|since| token.asked >= since);
        (fresh && late_enough).then(|| token.header.clone())
    }

    async fn fetch(&self) -> Result<Token, TokenError> {
        let fail = |problem: String| TokenError {
            url: self.token_url.to_string(),
            problem: self.scrubber.scrub(&problem),
            client_id_env: self.client.client_id_env.clone(),
            secret_env: self.secret_env.clone(),
        };
        let http = self.http.get_or_init(|| {
            // A client of its own, built once (its roots are loaded once), that keeps no
            // connection: the workers calling it live on their own runtimes. No redirects: the
            // secret goes to this endpoint alone.
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(self.timeout)
                .pool_max_idle_per_host(0)
                .build()
                .map_err(|e| e.to_string())
        });
        let http = http.as_ref().map_err(|e| fail(e.clone()))?;
        let asked = Instant::now();
        let mut form = vec![("grant_type", "client_credentials".to_owned())];
        if !self.client.scopes.is_empty() {
            form.push(("scope", self.client.scopes.join(" ")));
        }
        let response = http
            .post(self.token_url.clone())
            .basic_auth(
                form_encoded(self.client_id.expose()),
                Some(form_encoded(self.client_secret.expose())),
            )
            .form(&form)
            .send()
            .await
            .map_err(|e| fail(e.without_url().to_string()))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| fail(e.without_url().to_string()))?;
        if !status.is_success() {
            let excerpt = crate::results::excerpt(&String::from_utf8_lossy(&body), 200).0;
            return Err(fail(format!("it answered {status}: {excerpt}")));
        }
        let answer: TokenResponse = serde_json::from_slice(&body)
            .map_err(|e| fail(format!("its answer is not an RFC 6749 token response: {e}")))?;
        if !answer.token_type.eq_ignore_ascii_case("bearer") {
            return Err(fail(format!(
                "the token type is `{}`, not `Bearer`",
                answer.token_type
            )));
        }
        self.scrubber
            .remember(&format!("{}_TOKEN", self.secret_env), &answer.access_token);
        let mut header = HeaderValue::from_str(&format!("Bearer {}", answer.access_token))
            .map_err(|_| fail("the token cannot travel in an HTTP header".to_owned()))?;
        header.set_sensitive(true);
        let expires = answer.expires_in.map(|seconds| {
            Instant::now() + Duration::from_secs(seconds).saturating_sub(EXPIRY_MARGIN)
        });
        Ok(Token {
            header,
            expires,
            asked,
        })
    }
}

/// The id or secret as RFC 6749 §2.3.1 sends it in HTTP Basic: form-encoded first.
fn form_encoded(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// One source per OAuth2 client the operations name.
pub(super) fn sources(
    operations: &[Arc<crate::contract::Operation>],
    base_url: &Url,
    key: Option<&ApiKey>,
    timeout: Duration,
) -> Vec<Arc<TokenSource>> {
    let Some(key) = key else {
        return Vec::new();
    };
    let mut sources: Vec<Arc<TokenSource>> = Vec::new();
    for auth in operations.iter().flat_map(|o| o.auth.sent()) {
        if sources.iter().any(|s| s.serves(auth)) {
            continue;
        }
        if let Some(source) = TokenSource::new(auth, base_url, key, timeout) {
            sources.push(Arc::new(source));
        }
    }
    sources
}
