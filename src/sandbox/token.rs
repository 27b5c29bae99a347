//! The sandbox's OAuth2 token endpoint (client credentials grant, RFC 6749 §4.4) and the
//! tokens it has issued.
//!
//! It serves the path of every `token_url` the operations name. A client authenticates with
//! HTTP Basic (§2.3.1) or in the form body, any client id and the sandbox's key as the
//! secret, and gets a bearer token. Like a real server that revokes tokens, each token lets
//! in [`TOKEN_USES`] requests and is refused after: a client that never renews its token is
//! caught by every long run, not only by a test that waits an hour.

use axum::body::Bytes;
use axum::response::Response;
use base64::Engine as _;
use http::header::{CACHE_CONTROL, CONTENT_TYPE, WWW_AUTHENTICATE};
use http::{HeaderMap, HeaderValue, StatusCode};
use serde_json::json;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// How many requests one token lets in before the sandbox refuses it: far above any run's
/// concurrency, so the other workers cannot spend a renewed token before the renewed request
/// reaches the sandbox (at 100, 32 workers spent one within a few milliseconds).
pub const TOKEN_USES: u32 = 1_000;

/// The lifetime the sandbox announces (`expires_in`, seconds).
const EXPIRES_IN: u64 = 3600;

/// The token endpoint and its issued tokens.
pub(super) struct Tokens {
    /// The paths the endpoint is served at.
    paths: Vec<String>,
    /// The client secret it accepts.
    secret: String,
    issued: Mutex<HashMap<String, u32>>,
    counter: AtomicU64,
}

impl Tokens {
    /// The endpoint at `paths` (none: the operations name no OAuth2 client), accepting
    /// `secret`.
    pub(super) fn new(paths: Vec<String>, secret: &str) -> Tokens {
        Tokens {
            paths,
            secret: secret.to_owned(),
            issued: Mutex::default(),
            counter: AtomicU64::new(0),
        }
    }

    /// Whether `path` is the token endpoint's.
    pub(super) fn serves(&self, path: &str) -> bool {
        self.paths.iter().any(|p| p == path)
    }

    /// Whether `value` (`Bearer <token>`) names a token issued here that may still be used;
    /// counts the use.
    pub(super) fn admits(&self, value: &str) -> bool {
        let Some(token) = value.strip_prefix("Bearer ") else {
            return false;
        };
        let Ok(mut issued) = self.issued.lock() else {
            return false;
        };
        match issued.get_mut(token) {
            Some(uses) if *uses < TOKEN_USES => {
                *uses += 1;
                true
            }
            _ => false,
        }
    }

    /// Answer a token request: a new token for a client with the right secret.
    pub(super) fn answer(&self, headers: &HeaderMap, body: &Bytes) -> Response {
        let form: HashMap<String, String> =
            url::form_urlencoded::parse(body).into_owned().collect();
        if form.get("grant_type").map(String::as_str) != Some("client_credentials") {
            return error(StatusCode::BAD_REQUEST, "unsupported_grant_type");
        }
        let (id, secret) = basic_credentials(headers).unwrap_or_else(|| {
            let field = |name: &str| form.get(name).cloned().unwrap_or_default();
            (field("client_id"), field("client_secret"))
        });
        if id.is_empty() || secret != self.secret {
            let mut response = error(StatusCode::UNAUTHORIZED, "invalid_client");
            response
                .headers_mut()
                .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Basic"));
            return response;
        }
        let token = self.issue();
        let body = json!({"access_token": token, "token_type": "Bearer", "expires_in": EXPIRES_IN});
        let mut response = Response::new(body.to_string().into());
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }

    fn issue(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let token = format!(
            "sbx-token-{n}-{:016x}",
            super::respond::body_hash(self.secret.as_bytes()) ^ n
        );
        if let Ok(mut issued) = self.issued.lock() {
            issued.insert(token.clone(), 0);
        }
        token
    }
}

/// The client id and secret of an `Authorization: Basic` header, form-decoded (§2.3.1).
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    let decode = |part: &str| {
        url::form_urlencoded::parse(format!("x={part}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Some((decode(id), decode(secret)))
}

/// An RFC 6749 §5.2 error answer.
fn error(status: StatusCode, code: &str) -> Response {
    let mut response = Response::new(json!({"error": code}).to_string().into());
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}
