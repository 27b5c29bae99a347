//! Answering requests: one fallback handler finds the operation by path and method, then
//! checks the key, parses and validates the body and renders the success body, committing
//! whichever faults are switched on along the way.
//!
//! Everything per operation ([`Endpoint`]) and per fault set ([`Behaviour`]) is built once in
//! [`Routes::build`]; the hot path for a valid request is: find, compare the key, parse JSON,
//! `is_valid`, hash, render.

use super::documented::{self, ErrorAnswer};
use super::faults::{
    EnumValueTarget, Fault, LONG_STRING_CHARS, OVERSIZED_BODY_BYTES, RATE_LIMIT_EVERY,
};
use super::media_type::{self, UndeclaredMedia};
use super::respond::{body_hash, BodyTemplate, TemplateError};
use super::route::{Route, Table};
use super::state::{IdParameter, Made, Producing, Resources};
use super::token::Tokens;
use super::{SandboxConfig, SandboxError, BASE_PATH};
use crate::contract::wire::RequestShape;
use crate::contract::{AuthScheme, Expect, Operation, ResponseStatus};
use crate::schema::Keyword;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::response::Response;
use http::header::{ALLOW, CONTENT_TYPE, LOCATION, RETRY_AFTER};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use jsonschema::error::ValidationErrorKind;
use jsonschema::ValidationError;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Spreads a producer's serial over the hash's bits (an odd 64-bit constant, as in
/// SplitMix64), so consecutive creates differ in every hex digit of their ids.
const SERIAL_MIX: u64 = 0x9E37_79B9_7F4A_7C15;

/// Request bodies larger than this are refused with 413 before parsing.
const MAX_REQUEST_BYTES: usize = 8 * 1024 * 1024;

const JSON: HeaderValue = HeaderValue::from_static("application/json");
const TEXT: HeaderValue = HeaderValue::from_static("text/plain; charset=utf-8");
const HTML: HeaderValue = HeaderValue::from_static("text/html; charset=utf-8");

/// Why a request body is refused: where and what.
struct Violation {
    pointer: String,
    message: String,
}

/// One operation, ready to answer.
struct Endpoint {
    /// The case name, for faults aimed at one operation.
    name: String,
    method: Method,
    /// The headers and query parameters that tell it from others of its path and method.
    constants: Vec<crate::contract::Constant>,
    /// For an operation with parameters (or without a body): how its requests read.
    shape: Option<Arc<RequestShape>>,
    /// The parameters that name a resource (known ids, or a producer's): a well-formed id
    /// of no resource the server has is a 404, a malformed one a 400.
    ids: Vec<IdParameter>,
    /// How an unknown id is answered: as documented (404), or with the status
    /// `unknown-id-status` names.
    not_found: ErrorAnswer,
    /// The success response has no body (204, 205, 304, or a HEAD).
    empty_success: bool,
    /// `error-body-off-schema`: error answers break their documented schemas.
    error_body_off: bool,
    /// `error-as-html`: error answers are a framework's HTML page, not the documented JSON.
    error_as_html: bool,
    /// For a producer of linked ids: what its success answers make (ids kept, a
    /// `Location`, a list's items).
    producing: Option<Producing>,
    /// A successful request forgets the resource it names (a DELETE).
    consumes: bool,
    /// For a producer: how many resources it has made, so each gets an id of its own
    /// (a real server's create makes a new resource even for the same request).
    serial: Option<AtomicU64>,
    validator: Arc<jsonschema::Validator>,
    /// The largest body object parsed so far: the next one's map starts that large
    /// (see `json`).
    payload_size: AtomicUsize,
    /// What lets a request in: any one alternative, each a list of (header, scheme) that
    /// must all carry `key`; empty when the case has no auth.
    alternatives: Vec<Vec<(HeaderName, AuthScheme)>>,
    /// The key every scheme of the sandbox accepts.
    key: String,
    /// The OAuth2 tokens the sandbox has issued.
    tokens: Arc<Tokens>,
    unauthorized_body: Bytes,
    /// How a missing or wrong key is answered, as documented.
    unauthorized: ErrorAnswer,
    /// How an invalid payload is answered, as documented.
    invalid: ErrorAnswer,
    /// 200, or the case's first documented exact 2xx status when it documents no 200.
    success_status: StatusCode,
    success: BodyTemplate,
    /// The success response's media type and body when it documents a body that is not JSON.
    success_media: Option<(HeaderValue, Bytes)>,
    /// The success response's declared headers.
    success_headers: Vec<(HeaderName, HeaderValue)>,
    /// `reject-enum-value`: the pointer and the refused value.
    refused_value: Option<(String, Value)>,
    /// The request body's declared media type; `None` when it takes no body.
    body_media: Option<String>,
    /// `unique-create`, `create-conflict`: how a POST answers a request that conflicts.
    conflicts: Option<Conflicts>,
}

/// A POST's conflicts under `unique-create` (a repeated request) or `create-conflict`
/// (every request).
struct Conflicts {
    /// The status the fault names, with the operation's documented body for it.
    answer: ErrorAnswer,
    /// The hashes of the requests (target and body) answered with success; `None` under
    /// `create-conflict`, where every valid request conflicts.
    taken: Option<std::sync::Mutex<std::collections::HashSet<u64>>>,
}

impl Conflicts {
    /// `operation`'s conflicts under `faults`; `None` for anything but a POST, or without
    /// either fault.
    fn build(operation: &Operation, faults: &[Fault]) -> Result<Option<Conflicts>, SandboxError> {
        if operation.method != Method::POST {
            return Ok(None);
        }
        let Some((status, unique)) = faults.iter().find_map(|fault| match fault {
            Fault::UniqueCreate(status) => Some((*status, true)),
            Fault::CreateConflict(status) => Some((*status, false)),
            _ => None,
        }) else {
            return Ok(None);
        };
        let answer = ErrorAnswer::for_status(operation, status)
            .map_err(documented_error(operation, status))?;
        Ok(Some(Conflicts {
            answer,
            taken: unique.then(Default::default),
        }))
    }

    /// Whether the request hashing to `hash` conflicts; one that does not is taken now.
    fn conflicts(&self, hash: u64) -> bool {
        match &self.taken {
            None => true,
            Some(taken) => taken.lock().is_ok_and(|mut taken| !taken.insert(hash)),
        }
    }
}

/// How a missing or wrong key is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AuthHandling {
    Enforced,
    NotEnforced,
    WrongStatus,
}

/// The request-side and transport-side faults, resolved once.
struct Behaviour {
    auth: AuthHandling,
    /// `auth-skipped-on=OPERATION`: the one operation that does not check the key.
    auth_skipped_on: Option<String>,
    /// `server-error-path-param`: a path parameter that fails its schema is a 500.
    path_param_error: bool,
    /// `accept-query-off-by-one`: a query value one past `maximum` or `minimum` passes.
    lax_query_range: bool,
    /// `undocumented-status-on=METHOD`: valid requests of METHOD get this status.
    undocumented_status: Option<(Method, StatusCode)>,
    ignore_missing_required: bool,
    ignore_wrong_type: bool,
    ignore_bad_format: bool,
    /// `accept-length-off-by-one`, `accept-out-of-range`, `accept-pattern-miss`,
    /// `accept-unknown-field`: which keyword checks are lax or dropped.
    lax_length: bool,
    ignore_range: bool,
    ignore_pattern: bool,
    ignore_unknown_fields: bool,
    /// `accept-too-many-items`, `accept-duplicate-items`, `accept-one-of-two`.
    lax_max_items: bool,
    ignore_unique_items: bool,
    one_of_as_any_of: bool,
    /// `reject-date-time-form`: a legal lower-case `t` date-time is refused.
    refuse_lower_t: bool,
    long_string_error: bool,
    slow: Option<Duration>,
    oversized: Option<Bytes>,
    rate_limit: Option<AtomicU64>,
    redirect: Option<HeaderValue>,
    success_content_type: HeaderValue,
    truncate_success: bool,
    /// `undocumented-method-500`, `allow-one-route`: how a method a path does not serve is
    /// answered.
    wrong_method: WrongMethod,
    /// How a body of a media type the operation does not declare is answered.
    undeclared_media: UndeclaredMedia,
}

/// How a path answers a method it does not serve.
enum WrongMethod {
    /// 405 with every method the fitting templates serve in `Allow`.
    Faithful,
    /// `undocumented-method-500`: 500, as a handler that reaches a `match` it never expected.
    ServerError,
    /// `allow-one-route`: 405 whose `Allow` lists the methods of the first operation's path,
    /// whatever the path.
    OneRoute(Vec<Method>),
}

/// Every served operation, routed by path and method, plus the faults in force.
pub(super) struct Routes {
    table: Table<Endpoint>,
    tokens: Arc<Tokens>,
    behaviour: Behaviour,
}

impl Routes {
    pub(super) fn build(
        operations: &[Arc<Operation>],
        config: &SandboxConfig,
    ) -> Result<Routes, SandboxError> {
        let mut table = Table::default();
        let resources = Resources::build(operations);
        let tokens = Arc::new(Tokens::new(token_paths(operations), &config.api_key));
        for operation in operations {
            let made = resources.made_by(&operation.name);
            let mut endpoint = Self::endpoint(operation, config, &made)?;
            let stores = !config.faults.contains(&Fault::CreatedNotStored);
            let item = made.first().and_then(|m| item_template(operations, m));
            let schema = operation
                .response_for(endpoint.success_status.as_u16())
                .and_then(|r| r.schema.as_ref());
            let validator = schema.map(|s| s.validator());
            let rendered = endpoint.success.render(0);
            endpoint.producing =
                Producing::new(operation, made, stores, item, validator, &rendered);
            endpoint.ids = resources.ids_of(operation);
            endpoint.tokens = Arc::clone(&tokens);
            let path = format!("{BASE_PATH}{}", operation.path);
            let template = operation
                .shape
                .as_ref()
                .filter(|_| operation.path.contains('{'));
            table.insert(path, template, endpoint);
        }
        table.finish();
        let mut behaviour = Behaviour::build(&config.faults)?;
        if behaviour.auth_skipped_on.as_deref() == Some("") {
            let mut secured: Vec<&str> = operations
                .iter()
                .filter(|o| !o.auth.is_public())
                .map(|o| o.name.as_str())
                .collect();
            secured.sort_unstable();
            behaviour.auth_skipped_on = secured.first().map(|name| (*name).to_owned());
        }
        if let (WrongMethod::OneRoute(methods), Some(first)) =
            (&mut behaviour.wrong_method, operations.first())
        {
            let same_path = operations.iter().filter(|o| o.path == first.path);
            *methods = same_path.map(|o| o.method.clone()).collect();
        }
        Ok(Routes {
            table,
            tokens,
            behaviour,
        })
    }

    /// The endpoint of `operation`. A producer of linked ids makes each success body's id
    /// unique-looking (`id-{hash}`) where its schema allows, as a server's ids are: a
    /// constant (or empty) id would make every consumer's request name the same resource.
    fn endpoint(
        operation: &Arc<Operation>,
        config: &SandboxConfig,
        made: &[Arc<Made>],
    ) -> Result<Endpoint, SandboxError> {
        let mut pointers: Vec<String> = made
            .iter()
            .filter_map(|m| match m.produced()? {
                crate::contract::Produced::Body(pointer) => Some(pointer.to_owned()),
                _ => None,
            })
            .filter(|pointer| !operation.sandbox_fields.iter().any(|(p, _)| p == pointer))
            .collect();
        pointers.sort();
        pointers.dedup();
        let mut chosen = Endpoint::build(operation, config)?;
        let mut unique = (**operation).clone();
        let status = chosen.success_status.as_u16();
        // One field at a time, each kept only where the body still validates and now holds
        // the hash: `id-{hash}`, or the schema's own value followed by it (`ord_0{hash}` for
        // a pattern such as `^ord_[a-z0-9]+$`); an integer id keeps the schema's own number.
        for pointer in pointers {
            let base = rendered_at(&chosen.success, &pointer).unwrap_or_default();
            for template in ["id-{hash}".to_owned(), format!("{base}{{hash}}")] {
                let mut trial = unique.clone();
                trial.sandbox_fields.push((pointer.clone(), template));
                let Ok(mut success) = BodyTemplate::build(&trial, status) else {
                    continue;
                };
                if rendered_at(&success, &pointer).is_some_and(|id| id.contains(HASH_OF_ONE)) {
                    success.apply_faults(&config.faults);
                    chosen.success = success;
                    unique = trial;
                    break;
                }
            }
        }
        chosen.serial = Some(AtomicU64::new(0)).filter(|_| !made.is_empty());
        Ok(chosen)
    }

    /// The endpoint for `request`'s path and method, among those of one path and method the
    /// one whose constants it carries (see [`Table::find`]).
    fn route(&self, request: &Request) -> Route<'_, Endpoint> {
        let path = request.uri().path();
        let relative = path.strip_prefix(BASE_PATH);
        let query = request.uri().query();
        let header = |name: &str| {
            request
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let carried = |e: &Endpoint| {
            crate::contract::all_carried(&e.constants, query, &header).then_some(e.constants.len())
        };
        self.table
            .find(path, relative, request.method(), |e| &e.method, carried)
    }

    /// The answer to a method the path does not serve, the faults in force.
    fn wrong_method(&self, allowed: &[&Method]) -> Response {
        match &self.behaviour.wrong_method {
            WrongMethod::Faithful => method_not_allowed(allowed),
            WrongMethod::ServerError => json_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                &json!({"error": "unexpected method"}),
            ),
            WrongMethod::OneRoute(methods) => {
                method_not_allowed(&methods.iter().collect::<Vec<_>>())
            }
        }
    }

    fn rate_limited(&self) -> bool {
        self.behaviour.rate_limit.as_ref().is_some_and(|count| {
            count.fetch_add(1, Ordering::Relaxed) % RATE_LIMIT_EVERY == RATE_LIMIT_EVERY - 1
        })
    }
}

impl Endpoint {
    fn build(operation: &Operation, config: &SandboxConfig) -> Result<Endpoint, SandboxError> {
        let template_error = |source: TemplateError| SandboxError::SuccessBody {
            operation: operation.name.clone(),
            source,
        };
        let success_status = success_status(operation);
        let mut success =
            BodyTemplate::build(operation, success_status.as_u16()).map_err(template_error)?;
        success.apply_faults(&config.faults);
        let mut alternatives = Vec::new();
        for schemes in operation.auth.alternatives() {
            let mut carried = Vec::new();
            for auth in schemes {
                // A key that cannot travel in its header is refused here, as the client does.
                HeaderValue::from_str(&auth.scheme.wire_value(&config.api_key))
                    .map_err(|_| SandboxError::UnusableApiKey)?;
                carried.push((auth.header.clone(), auth.scheme.clone()));
            }
            alternatives.push(carried);
        }
        let places: Vec<String> = operation
            .auth
            .alternatives()
            .first()
            .map(|schemes| schemes.iter().map(|a| a.place()).collect())
            .unwrap_or_default();
        let unauthorized_body = Bytes::from(
            json!({"error": "unauthorized", "message": format!("missing or wrong {}", places.join(" and "))})
                .to_string(),
        );
        let empty_success =
            operation.method == Method::HEAD || matches!(success_status.as_u16(), 204 | 205 | 304);
        Ok(Endpoint {
            name: operation.name.clone(),
            constants: operation.constants.clone(),
            shape: operation.shape.clone(),
            ids: Vec::new(),
            not_found: unknown_id_answer(operation, &config.faults)?,
            empty_success,
            error_body_off: config.faults.contains(&Fault::ErrorBodyOffSchema),
            error_as_html: config.faults.contains(&Fault::ErrorAsHtml),
            producing: None,
            serial: None,
            consumes: operation.method == Method::DELETE
                && !config.faults.contains(&Fault::DeletedStillServed),
            method: operation.method.clone(),
            validator: operation.request_schema.validator().clone(),
            payload_size: AtomicUsize::new(0),
            alternatives,
            key: config.api_key.clone(),
            tokens: Arc::new(Tokens::new(Vec::new(), &config.api_key)),
            unauthorized_body,
            unauthorized: ErrorAnswer::build(operation, Expect::Unauthorized, 401)
                .map_err(documented_error(operation, 401))?,
            invalid: ErrorAnswer::build(operation, Expect::Reject, 400)
                .map_err(documented_error(operation, 400))?,
            success_headers: documented::success_headers(operation, success_status.as_u16())
                .map_err(documented_error(operation, success_status.as_u16()))?,
            success_media: success_media(operation, success_status.as_u16()),
            success_status,
            success,
            refused_value: refused_value(operation, &config.faults),
            body_media: media_type::body_media(operation),
            conflicts: Conflicts::build(operation, &config.faults)?,
        })
    }

    /// Whether the request carries every secret of at least one alternative.
    fn authorised(&self, headers: &HeaderMap, query: Option<&str>) -> bool {
        self.alternatives.is_empty()
            || self.alternatives.iter().any(|schemes| {
                schemes
                    .iter()
                    .all(|(name, scheme)| self.carries(headers, query, name, scheme))
            })
    }

    /// Whether the request carries the key (or a token issued here) where `scheme` puts it.
    fn carries(
        &self,
        headers: &HeaderMap,
        query: Option<&str>,
        name: &HeaderName,
        scheme: &AuthScheme,
    ) -> bool {
        let values = || {
            headers
                .get_all(name)
                .into_iter()
                .filter_map(|v| v.to_str().ok())
        };
        match scheme {
            AuthScheme::Query(parameter) => query.is_some_and(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .any(|(n, v)| n == *parameter && v == self.key)
            }),
            AuthScheme::OAuth2(_) => values().any(|v| self.tokens.admits(v)),
            scheme => values().any(|v| scheme.carries(v, &self.key)),
        }
    }

    /// Parse and validate; a violation the faults do not ignore becomes a 400.
    fn payload(&self, body: &[u8], behaviour: &Behaviour) -> Result<Value, Violation> {
        let payload: Value = parse_json(body, &self.payload_size).map_err(|e| Violation {
            pointer: String::new(),
            message: format!("the body is not JSON: {e}"),
        })?;
        self.validate(&payload, behaviour)?;
        Ok(payload)
    }

    /// Validate a parsed payload (a body, or a whole request read as an envelope).
    fn validate(&self, payload: &Value, behaviour: &Behaviour) -> Result<(), Violation> {
        if behaviour.refuses_form(payload) {
            return Err(Violation {
                pointer: String::new(),
                message: "date-time must look like 2023-11-07T05:31:56Z".to_owned(),
            });
        }
        if self.validator.is_valid(payload) {
            return Ok(());
        }
        let first = self
            .validator
            .iter_errors(payload)
            .find(|error| !behaviour.ignores(error));
        match first {
            None => Ok(()),
            Some(error) => Err(Violation {
                pointer: violation_pointer(&error),
                message: error.to_string(),
            }),
        }
    }

    /// The pointer of the value `reject-enum-value` refuses, when the payload holds it.
    fn refused_at(&self, payload: &Value) -> Option<&str> {
        let (pointer, value) = self.refused_value.as_ref()?;
        (payload.pointer(pointer) == Some(value)).then_some(pointer.as_str())
    }

    /// Read a request with parameters as its envelope and answer it: an unknown id is the
    /// documented 404, any other violation the documented 400.
    async fn answer_envelope(
        &self,
        shape: &RequestShape,
        parts: &http::request::Parts,
        body: &[u8],
        behaviour: &Behaviour,
    ) -> Response {
        let relative = parts.uri.path().strip_prefix(BASE_PATH).unwrap_or_default();
        let header = |name: &str| {
            let values: Vec<&str> = parts
                .headers
                .get_all(name)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect();
            (!values.is_empty()).then(|| values.join(if name == "cookie" { "; " } else { ", " }))
        };
        let read = shape.decode(relative, parts.uri.query(), &header, body);
        let target = parts.uri.path_and_query().map_or("", |p| p.as_str());
        let hash = body_hash(target.as_bytes()) ^ body_hash(body);
        let envelope = match read {
            None => return not_found(parts.uri.path()),
            Some(Err(unreadable)) => {
                return self.invalid_request(hash, &unreadable.pointer, &unreadable.message)
            }
            Some(Ok(envelope)) => envelope,
        };
        if let Some(response) = self.id_answer(&envelope, hash, behaviour) {
            return response;
        }
        if let Err(violation) = self.validate(&envelope, behaviour) {
            if behaviour.path_param_error && violation.pointer.starts_with("/path/") {
                return server_error();
            }
            return self.invalid_request(hash, &violation.pointer, &violation.message);
        }
        if let Some(response) = self.faulty_answer(&envelope, hash, behaviour).await {
            return response;
        }
        if self.consumes {
            self.forget_ids(&envelope);
        }
        self.success(hash, parts.uri.path(), behaviour)
    }

    /// The resources a successful consuming request (a DELETE) names are gone.
    fn forget_ids(&self, envelope: &Value) {
        for id in &self.ids {
            if let Some(value) = envelope.pointer(&id.pointer) {
                id.forget(value);
            }
        }
    }

    /// The answer about one id, before the whole request is validated: a malformed one is
    /// the documented 400 (a 500 under `server-error-path-param`), and a well-formed one a
    /// linked operation never made the documented 404.
    fn id_answer(&self, envelope: &Value, hash: u64, behaviour: &Behaviour) -> Option<Response> {
        for id in &self.ids {
            let Some(value) = envelope.pointer(&id.pointer) else {
                continue;
            };
            if let Some(error) = id
                .validator
                .iter_errors(value)
                .find(|e| !behaviour.ignores(e))
            {
                if behaviour.path_param_error && id.pointer.starts_with("/path/") {
                    return Some(server_error());
                }
                return Some(self.invalid_request(hash, &id.pointer, &error.to_string()));
            }
            if !id.exists(value) {
                return Some(self.not_found_answer(hash));
            }
        }
        None
    }

    /// The documented answer to an id the server does not have.
    fn not_found_answer(&self, hash: u64) -> Response {
        let body = self.not_found.body(
            hash,
            || json!({"error": "not found", "message": "no resource has this id"}),
        );
        self.error_answer(self.not_found.status, body)
    }

    async fn answer(&self, path: &str, body: &[u8], behaviour: &Behaviour) -> Response {
        let payload = match self.payload(body, behaviour) {
            Ok(payload) => payload,
            Err(violation) => {
                return self.invalid_request(
                    body_hash(body),
                    &violation.pointer,
                    &violation.message,
                )
            }
        };
        let hash = body_hash(body);
        if let Some(response) = self.faulty_answer(&payload, hash, behaviour).await {
            return response;
        }
        self.success(hash, path, behaviour)
    }

    /// What a fault answers instead of success for this valid payload, if one fires.
    async fn faulty_answer(
        &self,
        payload: &Value,
        hash: u64,
        behaviour: &Behaviour,
    ) -> Option<Response> {
        if let Some(pointer) = self.refused_at(payload) {
            return Some(self.invalid_request(hash, pointer, "this value is not accepted"));
        }
        let too_long = |text: &str| text.chars().count() > LONG_STRING_CHARS;
        if behaviour.long_string_error && any_string(payload, &too_long) {
            return Some(server_error());
        }
        if behaviour.has_trigger_faults() && any_string(payload, &is_whitespace_only) {
            if let Some(delay) = behaviour.slow {
                tokio::time::sleep(delay).await;
            }
            if let Some(oversized) = &behaviour.oversized {
                return Some(with_body(self.success_status, JSON, oversized.clone()));
            }
        }
        if let Some(conflicts) = self.conflicts.as_ref().filter(|c| c.conflicts(hash)) {
            let body = conflicts.answer.body(
                hash,
                || json!({"error": "conflict", "message": "this resource already exists"}),
            );
            return Some(self.error_answer(conflicts.answer.status, body));
        }
        behaviour.redirect.as_ref().map(redirect)
    }

    /// The success answer to a request to `request_path` whose target and body hash to `hash`.
    fn success(&self, hash: u64, request_path: &str, behaviour: &Behaviour) -> Response {
        let status = behaviour
            .undocumented_status
            .as_ref()
            .filter(|(method, _)| *method == self.method)
            .map_or(self.success_status, |(_, status)| *status);
        if self.empty_success && status == self.success_status {
            let mut response =
                with_body(status, behaviour.success_content_type.clone(), Bytes::new());
            response.headers_mut().remove(CONTENT_TYPE);
            for (name, value) in &self.success_headers {
                response.headers_mut().insert(name.clone(), value.clone());
            }
            return response;
        }
        if let Some((media, body)) = &self.success_media {
            let mut response = with_body(status, media.clone(), body.clone());
            for (name, value) in &self.success_headers {
                response.headers_mut().insert(name.clone(), value.clone());
            }
            return response;
        }
        let serial = self
            .serial
            .as_ref()
            .map_or(0, |serial| serial.fetch_add(1, Ordering::Relaxed));
        let mut rendered = self.success.render(hash ^ serial.wrapping_mul(SERIAL_MIX));
        let location = self
            .producing
            .as_ref()
            .and_then(|p| p.answer(&mut rendered, hash, serial, request_path))
            .and_then(|l| HeaderValue::from_str(&l).ok());
        if behaviour.truncate_success {
            rendered.truncate(rendered.len() / 2);
        }
        let mut response = with_body(
            status,
            behaviour.success_content_type.clone(),
            Bytes::from(rendered),
        );
        for (name, value) in &self.success_headers {
            response.headers_mut().insert(name.clone(), value.clone());
        }
        if let Some(location) = location {
            response.headers_mut().insert(LOCATION, location);
        }
        response
    }

    /// The documented answer to an invalid payload: its status, and its documented body or
    /// the sandbox's own `{"error", "pointer", "message"}`.
    fn invalid_request(&self, hash: u64, pointer: &str, message: &str) -> Response {
        // Written straight from a struct: the same bytes as the `json!` object (its fields in
        // the same order), without building a map of hashed keys only to print it, half
        // of the sandbox's answer to an invalid request (callgrind).
        let body = self.invalid.body_or(hash, || {
            let own = InvalidRequest {
                error: "invalid request",
                pointer,
                message,
            };
            serde_json::to_vec(&own).unwrap_or_default()
        });
        self.error_answer(self.invalid.status, body)
    }

    /// An error answer with its documented JSON `body`, or under `error-as-html` the HTML
    /// page a framework's default handler serves instead.
    fn error_answer(&self, status: StatusCode, body: Vec<u8>) -> Response {
        if self.error_as_html {
            let page = format!("<!DOCTYPE html><html><body><h1>{status}</h1></body></html>");
            return with_body(status, HTML, Bytes::from(page));
        }
        with_body(status, JSON, self.error_body(body))
    }

    /// An error answer's body, broken under `error-body-off-schema` (an array where the
    /// documented error is an object).
    fn error_body(&self, body: Vec<u8>) -> Bytes {
        if self.error_body_off {
            return Bytes::from_static(b"[\"error body off schema\"]");
        }
        Bytes::from(body)
    }

    /// Whether this endpoint checks the key under the run's faults.
    fn auth_handling(&self, behaviour: &Behaviour) -> AuthHandling {
        if behaviour.auth_skipped_on.as_deref() == Some(self.name.as_str()) {
            AuthHandling::NotEnforced
        } else {
            behaviour.auth
        }
    }
}

/// The path of every OAuth2 token endpoint the operations name, as served here (a relative
/// `token_url` is resolved against the base URL, as the client resolves it).
fn token_paths(operations: &[Arc<Operation>]) -> Vec<String> {
    let base = url::Url::parse(&format!("http://sandbox.invalid{BASE_PATH}"))
        .unwrap_or_else(|e| unreachable!("a constant URL: {e}"));
    let mut paths: Vec<String> = operations
        .iter()
        .flat_map(|o| o.auth.alternatives().iter().flatten())
        .filter_map(|auth| auth.client_credentials())
        .filter_map(|client| base.join(&client.token_url).ok())
        .map(|url| url.path().to_owned())
        .collect();
    paths.sort();
    paths.dedup();
    paths
}

/// One resource's body, for the items of a list that names `made`'s resources: the success
/// body of a GET of one of them.
fn item_template(operations: &[Arc<Operation>], made: &Made) -> Option<BodyTemplate> {
    let getter = operations
        .iter()
        .find(|o| o.method == Method::GET && o.path == made.template())?;
    BodyTemplate::build(getter, success_status(getter).as_u16()).ok()
}

/// The hash `1` as a success-body template writes it.
const HASH_OF_ONE: &str = "0000000000000001";

/// The string at `pointer` of a success body for the hash `1`.
fn rendered_at(success: &BodyTemplate, pointer: &str) -> Option<String> {
    let body: Value = serde_json::from_slice(&success.render(1)).ok()?;
    body.pointer(pointer)?.as_str().map(str::to_owned)
}

/// How an unknown id is answered: as documented ([`not_found_answer`]), or under
/// `unknown-id-status` with the status it names (its documented body where it has one).
fn unknown_id_answer(operation: &Operation, faults: &[Fault]) -> Result<ErrorAnswer, SandboxError> {
    let status = faults.iter().find_map(|fault| match fault {
        Fault::UnknownIdStatus(status) => Some(*status),
        _ => None,
    });
    match status {
        Some(code) => {
            ErrorAnswer::for_status(operation, code).map_err(documented_error(operation, code))
        }
        None => not_found_answer(operation),
    }
}

/// How an unknown id is answered: the operation's documented 404, else 410, else 400, else
/// the first client error it documents (one other than 401 when there is one: the key is
/// good), else its documented answer to an invalid request. A document that lists only
/// `400` and `403` gets `400`, never a status it does not mention.
fn not_found_answer(operation: &Operation) -> Result<ErrorAnswer, SandboxError> {
    let documented = |code: u16| {
        crate::contract::any_matches(&operation.expect.invalid, code)
            || operation.documented_statuses().any(|c| c == code)
    };
    let client_errors: Vec<u16> = operation
        .documented_statuses()
        .filter(|code| (400..500).contains(code))
        .collect();
    let code = [404, 410, 400]
        .into_iter()
        .find(|code| documented(*code))
        .or_else(|| client_errors.iter().copied().find(|code| *code != 401))
        .or_else(|| client_errors.first().copied());
    match code {
        Some(code) => {
            ErrorAnswer::for_status(operation, code).map_err(documented_error(operation, code))
        }
        None => ErrorAnswer::build(operation, Expect::Reject, 400)
            .map_err(documented_error(operation, 400)),
    }
}

/// The error of a documented answer of `operation` for `status` that cannot be built.
fn documented_error(operation: &Operation, status: u16) -> impl Fn(TemplateError) -> SandboxError {
    let name = operation.name.clone();
    move |source| SandboxError::DocumentedAnswer {
        operation: name.clone(),
        status,
        source,
    }
}

/// 200 when the operation documents it (exactly or as `2xx`), else its first documented
/// 2xx status; a `default` response documents no success status.
fn success_status(operation: &Operation) -> StatusCode {
    let documented_2xx = operation
        .documented_statuses()
        .find(|code| (200..300).contains(code))
        .and_then(|code| StatusCode::from_u16(code).ok());
    let ok_documented = operation
        .response_for(200)
        .is_some_and(|r| r.status != ResponseStatus::Default);
    match (ok_documented, documented_2xx) {
        (true, _) | (false, None) => StatusCode::OK,
        (false, Some(code)) => code,
    }
}

/// `reject-enum-value`'s target for this operation: the one given, or the last value of the
/// first optional enum property of the request schema.
fn refused_value(operation: &Operation, faults: &[Fault]) -> Option<(String, Value)> {
    let target = faults.iter().find_map(|fault| match fault {
        Fault::RejectEnumValue(target) => Some(target),
        _ => None,
    })?;
    match target {
        Some(EnumValueTarget { pointer, value }) => {
            let schema = property_schema(&operation.request_schema.document, pointer);
            Some((pointer.clone(), refused_literal(value, schema)))
        }
        None => default_refused_value(&operation.request_schema.document),
    }
}

/// The value as the schema would hold it: a string, unless the property's enum holds a
/// non-string with this JSON text (e.g. `3`).
fn refused_literal(value: &str, schema: Option<&Value>) -> Value {
    let enum_values = schema
        .and_then(|s| Keyword::Enum.value_in(s))
        .and_then(Value::as_array);
    let literal = serde_json::from_str::<Value>(value)
        .ok()
        .filter(|literal| !literal.is_string());
    match (literal, enum_values) {
        (Some(literal), Some(values)) if values.contains(&literal) => literal,
        _ => Value::String(value.to_owned()),
    }
}

/// The schema of the top-level property a one-segment pointer names.
fn property_schema<'a>(document: &'a Value, pointer: &str) -> Option<&'a Value> {
    let name = crate::schema::unescape(pointer.strip_prefix('/')?);
    Keyword::Properties.value_in(document)?.get(name)
}

fn default_refused_value(document: &Value) -> Option<(String, Value)> {
    let required: Vec<&str> = Keyword::Required
        .value_in(document)
        .and_then(Value::as_array)
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let properties = Keyword::Properties.value_in(document)?.as_object()?;
    properties
        .iter()
        .filter(|(name, _)| !required.contains(&name.as_str()))
        .find_map(|(name, schema)| {
            let last = Keyword::Enum.value_in(schema)?.as_array()?.last()?;
            let pointer = format!("/{}", crate::schema::escape(name));
            Some((pointer, last.clone()))
        })
}

impl Behaviour {
    fn build(faults: &[Fault]) -> Result<Behaviour, SandboxError> {
        let has = |wanted: &Fault| faults.contains(wanted);
        let auth = if has(&Fault::AuthNotEnforced) {
            AuthHandling::NotEnforced
        } else if has(&Fault::AuthWrongStatus) {
            AuthHandling::WrongStatus
        } else {
            AuthHandling::Enforced
        };
        let slow = faults.iter().find_map(|f| match f {
            Fault::SlowResponse(delay) => Some(*delay),
            _ => None,
        });
        let redirect = faults
            .iter()
            .find_map(|f| match f {
                Fault::RedirectCrossOrigin(location) => Some(location),
                _ => None,
            })
            .map(|location| {
                HeaderValue::from_str(location)
                    .map_err(|_| SandboxError::UnusableRedirect(location.clone()))
            })
            .transpose()?;
        let auth_skipped_on = faults.iter().find_map(|f| match f {
            Fault::AuthSkippedOn(name) => Some(name.clone()),
            _ => None,
        });
        let undocumented_status = faults.iter().find_map(|f| match f {
            Fault::UndocumentedStatusOn(method) => method
                .parse::<Method>()
                .ok()
                .map(|m| (m, StatusCode::ACCEPTED)),
            _ => None,
        });
        Ok(Behaviour {
            auth,
            auth_skipped_on,
            path_param_error: has(&Fault::ServerErrorPathParam),
            lax_query_range: has(&Fault::AcceptQueryOffByOne),
            undocumented_status,
            ignore_missing_required: has(&Fault::AcceptMissingRequired),
            ignore_wrong_type: has(&Fault::AcceptWrongType),
            ignore_bad_format: has(&Fault::AcceptBadFormat),
            lax_length: has(&Fault::AcceptLengthOffByOne),
            ignore_range: has(&Fault::AcceptOutOfRange),
            ignore_pattern: has(&Fault::AcceptPatternMiss),
            ignore_unknown_fields: has(&Fault::AcceptUnknownField),
            lax_max_items: has(&Fault::AcceptTooManyItems),
            ignore_unique_items: has(&Fault::AcceptDuplicateItems),
            one_of_as_any_of: has(&Fault::AcceptOneOfTwo),
            refuse_lower_t: has(&Fault::RejectDateTimeForm),
            long_string_error: has(&Fault::ServerErrorLongString),
            slow,
            oversized: has(&Fault::OversizedBody).then(oversized_body),
            rate_limit: has(&Fault::RateLimit).then(|| AtomicU64::new(0)),
            redirect,
            success_content_type: if has(&Fault::WrongContentType) {
                TEXT
            } else {
                JSON
            },
            truncate_success: has(&Fault::InvalidJsonBody),
            wrong_method: if has(&Fault::UndocumentedMethod500) {
                WrongMethod::ServerError
            } else if has(&Fault::AllowOneRoute) {
                WrongMethod::OneRoute(Vec::new())
            } else {
                WrongMethod::Faithful
            },
            undeclared_media: UndeclaredMedia::from_faults(faults),
        })
    }

    fn ignores(&self, error: &ValidationError<'_>) -> bool {
        let length = || error.instance().as_str().map(|s| s.chars().count() as u64);
        match error.kind() {
            ValidationErrorKind::Required { .. } => self.ignore_missing_required,
            ValidationErrorKind::Type { .. } => self.ignore_wrong_type,
            ValidationErrorKind::Format { .. } => self.ignore_bad_format,
            // A numeric format (`int32` out of range) is `schema`'s own `format` check.
            ValidationErrorKind::Custom { keyword, .. } if keyword == Keyword::Format.name() => {
                self.ignore_bad_format
            }
            // The classic `>` for `>=`: one past the limit slips through.
            ValidationErrorKind::MaxLength { limit } => {
                self.lax_length && length() == Some(limit + 1)
            }
            ValidationErrorKind::MinLength { limit } => {
                self.lax_length && length().is_some_and(|n| n + 1 == *limit)
            }
            ValidationErrorKind::Maximum { limit } if self.lax_query_range => {
                in_query(error) && off_by_one(error.instance(), limit, 1.0)
            }
            ValidationErrorKind::Minimum { limit } if self.lax_query_range => {
                in_query(error) && off_by_one(error.instance(), limit, -1.0)
            }
            ValidationErrorKind::Minimum { .. }
            | ValidationErrorKind::Maximum { .. }
            | ValidationErrorKind::ExclusiveMinimum { .. }
            | ValidationErrorKind::ExclusiveMaximum { .. } => self.ignore_range,
            ValidationErrorKind::Pattern { .. } => self.ignore_pattern,
            ValidationErrorKind::AdditionalProperties { .. }
            | ValidationErrorKind::UnevaluatedProperties { .. } => self.ignore_unknown_fields,
            ValidationErrorKind::MaxItems { limit } => {
                let items = error.instance().as_array().map(|a| a.len() as u64);
                self.lax_max_items && items == Some(limit + 1)
            }
            ValidationErrorKind::UniqueItems => self.ignore_unique_items,
            ValidationErrorKind::OneOfMultipleValid { .. } => self.one_of_as_any_of,
            _ => false,
        }
    }

    /// Whether `payload` holds a date-time with a lower-case `t` that
    /// `reject-date-time-form` refuses (a parser that only knows the upper-case form).
    fn refuses_form(&self, payload: &Value) -> bool {
        self.refuse_lower_t && any_string(payload, &lower_t_date_time)
    }

    fn has_trigger_faults(&self) -> bool {
        self.slow.is_some() || self.oversized.is_some()
    }
}

/// Whether a violation is in a query parameter of an envelope.
fn in_query(error: &ValidationError<'_>) -> bool {
    error.instance_path().to_string().starts_with("/query/")
}

/// Whether `value` is `limit + step` (the classic `>` for `>=`).
fn off_by_one(value: &Value, limit: &Value, step: f64) -> bool {
    match (value.as_f64(), limit.as_f64()) {
        (Some(value), Some(limit)) => value == limit + step,
        _ => false,
    }
}

/// A valid JSON document of [`OVERSIZED_BODY_BYTES`]: `{"padding":"xxx…"}`.
fn oversized_body() -> Bytes {
    const OPEN: &[u8] = b"{\"padding\":\"";
    const CLOSE: &[u8] = b"\"}";
    let mut body = Vec::with_capacity(OVERSIZED_BODY_BYTES);
    body.extend_from_slice(OPEN);
    body.resize(OVERSIZED_BODY_BYTES - CLOSE.len(), b'x');
    body.extend_from_slice(CLOSE);
    Bytes::from(body)
}

/// The pointer of a violation; a missing required property is pointed at where it belongs.
fn violation_pointer(error: &ValidationError<'_>) -> String {
    let at = error.instance_path().to_string();
    match error.kind() {
        ValidationErrorKind::Required {
            property: Value::String(name),
        } => format!("{at}/{}", crate::schema::escape(name)),
        _ => at,
    }
}

/// `YYYY-MM-DDt…`: an RFC 3339 date-time with the lower-case separator it allows.
fn lower_t_date_time(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() > 11
        && bytes[10] == b't'
        && bytes[..10].iter().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                *b == b'-'
            } else {
                b.is_ascii_digit()
            }
        })
}

/// The one-input faults trigger on a body holding a non-empty string of only whitespace.
fn is_whitespace_only(text: &str) -> bool {
    !text.is_empty() && text.chars().all(char::is_whitespace)
}

/// Whether any string anywhere in `value` (not counting object keys) satisfies `wanted`.
fn any_string(value: &Value, wanted: &dyn Fn(&str) -> bool) -> bool {
    match value {
        Value::String(text) => wanted(text),
        Value::Array(items) => items.iter().any(|item| any_string(item, wanted)),
        Value::Object(map) => map.values().any(|item| any_string(item, wanted)),
        _ => false,
    }
}

/// The media type and body of a success documented as something else than JSON: the first
/// documented type (a wildcard subtype made `octet-stream`) and a body of that type.
fn success_media(operation: &Operation, status: u16) -> Option<(HeaderValue, Bytes)> {
    let declared = operation.response_for(status)?.media.first()?;
    let essence = declared.split(';').next().unwrap_or_default().trim();
    let media = match essence.split_once('/') {
        Some((kind, "*")) if kind != "*" => format!("{kind}/octet-stream"),
        Some((kind, _)) if kind != "*" => essence.to_owned(),
        _ => "application/octet-stream".to_owned(),
    };
    let body: &'static [u8] = if crate::contract::ResponseSpec::is_xml(&media) {
        b"<ok/>"
    } else {
        b"ok"
    };
    Some((
        HeaderValue::from_str(&media).ok()?,
        Bytes::from_static(body),
    ))
}

fn with_body(status: StatusCode, content_type: HeaderValue, body: Bytes) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, content_type);
    response
}

/// The sandbox's own answer to an invalid request, when the case documents none: written
/// as `{"error":"invalid request","pointer":…,"message":…}`.
#[derive(serde::Serialize)]
struct InvalidRequest<'a> {
    error: &'static str,
    pointer: &'a str,
    message: &'a str,
}

fn json_error(status: StatusCode, body: &Value) -> Response {
    with_body(status, JSON, Bytes::from(body.to_string()))
}

fn server_error() -> Response {
    json_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        &json!({"error": "internal server error"}),
    )
}

fn not_found(path: &str) -> Response {
    json_error(
        StatusCode::NOT_FOUND,
        &json!({"error": "not found", "message": format!("no operation is served at `{path}`")}),
    )
}

fn method_not_allowed(allowed: &[&Method]) -> Response {
    let allow: Vec<&str> = allowed.iter().map(|m| m.as_str()).collect();
    let allow = allow.join(", ");
    let mut response = json_error(
        StatusCode::METHOD_NOT_ALLOWED,
        &json!({"error": "method not allowed", "allow": allow}),
    );
    if let Ok(value) = HeaderValue::from_str(&allow) {
        response.headers_mut().insert(ALLOW, value);
    }
    response
}

/// 415, naming the media type the operation reads.
fn unsupported_media(endpoint: &Endpoint) -> Response {
    json_error(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        &json!({
            "error": "unsupported media type",
            "message": format!("send the body as {}", endpoint.body_media.as_deref().unwrap_or_default()),
        }),
    )
}

fn redirect(location: &HeaderValue) -> Response {
    let mut response = with_body(StatusCode::TEMPORARY_REDIRECT, TEXT, Bytes::new());
    response.headers_mut().insert(LOCATION, location.clone());
    response
}

fn rate_limited() -> Response {
    let mut response = json_error(
        StatusCode::TOO_MANY_REQUESTS,
        &json!({"error": "too many requests"}),
    );
    response
        .headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

fn unauthorized(endpoint: &Endpoint, handling: AuthHandling) -> Option<Response> {
    let status = match handling {
        AuthHandling::NotEnforced => return None,
        AuthHandling::Enforced => endpoint.unauthorized.status,
        AuthHandling::WrongStatus => StatusCode::BAD_REQUEST,
    };
    let body = match &endpoint.unauthorized.template {
        Some(template) => return Some(endpoint.error_answer(status, template.render(0))),
        None if endpoint.error_body_off || endpoint.error_as_html => {
            return Some(endpoint.error_answer(status, Vec::new()))
        }
        None => endpoint.unauthorized_body.clone(),
    };
    Some(with_body(status, JSON, body))
}

/// The body as JSON. Its UTF-8 is checked once, with SIMD, and the text parsed as a `str`:
/// parsing bytes, serde_json validates every string on its own, and that was a tenth of the
/// sandbox's CPU on payloads rich in non-ASCII text. Invalid UTF-8 goes to the byte parser,
/// whose error says where.
fn parse_json(body: &[u8], size: &AtomicUsize) -> Result<Value, serde_json::Error> {
    match simdutf8::basic::from_utf8(body) {
        Ok(text) => crate::json::from_str(text, size),
        Err(_) => crate::json::from_slice(body, size),
    }
}

/// The one handler: every request, on every path, comes here.
pub(super) async fn answer(State(routes): State<Arc<Routes>>, request: Request) -> Response {
    if request.method() == Method::POST && routes.tokens.serves(request.uri().path()) {
        let (parts, body) = request.into_parts();
        let body = axum::body::to_bytes(body, MAX_REQUEST_BYTES)
            .await
            .unwrap_or_default();
        return routes.tokens.answer(&parts.headers, &body);
    }
    let endpoint = match routes.route(&request) {
        Route::Found(endpoint) => endpoint,
        Route::WrongMethod(allowed) => return routes.wrong_method(&allowed),
        Route::NotFound => return not_found(request.uri().path()),
    };
    if routes.rate_limited() {
        return rate_limited();
    }
    if !endpoint.authorised(request.headers(), request.uri().query()) {
        if let Some(response) = unauthorized(endpoint, endpoint.auth_handling(&routes.behaviour)) {
            return response;
        }
    }
    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, MAX_REQUEST_BYTES).await {
        Ok(body) => body,
        Err(_) => {
            return json_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                &json!({"error": "request body too large or cut short"}),
            )
        }
    };
    let undeclared =
        || media_type::undeclared(endpoint.body_media.as_deref(), &parts.headers, body.len());
    match routes.behaviour.undeclared_media {
        UndeclaredMedia::Refused if undeclared() => return unsupported_media(endpoint),
        UndeclaredMedia::ServerError if undeclared() => return server_error(),
        _ => {}
    }
    match &endpoint.shape {
        Some(shape) => {
            endpoint
                .answer_envelope(shape, &parts, &body, &routes.behaviour)
                .await
        }
        None => {
            endpoint
                .answer(parts.uri.path(), &body, &routes.behaviour)
                .await
        }
    }
}
