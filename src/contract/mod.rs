//! The contract: what one operation of the API under test promises.
//!
//! Owns the [`Operation`] model and its loading from `cases/*.toml` plus the JSON Schemas those
//! files name. Loading checks everything up front (syntax, unknown keys, schema validity,
//! dangling `$ref`s, empty enums, statuses, examples against their schema), so a broken contract
//! stops a run before any request. It knows nothing of HTTP clients, generation or reports.
//! The model carries no TOML: an importer from another format (OpenAPI 3.x) builds the same
//! [`Operation`].

mod case_file;
mod compiled;
mod constant;
mod error;
mod external;
mod infer;
pub(crate) mod parallel;
pub mod produced;
mod schema;
mod status;
pub mod wire;

pub use constant::{all_carried, Constant};
pub use error::{ContractError, Place};
pub use produced::Produced;
pub use schema::Schema;
pub use status::{any_matches, StatusPattern};

use crate::schema::View;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use toml::Spanned;

/// The outcome the contract promises for a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Expect {
    /// A valid payload with the right key: a documented 2xx.
    Accept,
    /// An invalid payload with the right key: a 4xx.
    Reject,
    /// A missing or wrong key: 401 or 403.
    Unauthorized,
}

impl Expect {
    /// The name used in plan lines and reports: `accept`, `reject`, `unauthorized`.
    pub fn as_str(self) -> &'static str {
        match self {
            Expect::Accept => "accept",
            Expect::Reject => "reject",
            Expect::Unauthorized => "unauthorized",
        }
    }
}

/// Where the API key travels and which environment variable holds it.
#[derive(Debug, Clone)]
pub struct AuthSpec {
    /// The header the key is sent in (`authorization` for bearer and basic, `cookie` for a
    /// cookie; unused for a key in the query string).
    pub header: http::HeaderName,
    /// The environment variable that holds the key (for basic, `user:password`).
    pub env: String,
    /// How the secret is written into the header's value.
    pub scheme: AuthScheme,
}

impl AuthSpec {
    /// Every variable the scheme reads: its secret's, and an OAuth2 client's id.
    pub fn envs(&self) -> Vec<&str> {
        match &self.scheme {
            AuthScheme::OAuth2(client) => vec![&self.env, &client.client_id_env],
            _ => vec![&self.env],
        }
    }

    /// The OAuth2 client, for a scheme whose token the run obtains.
    pub fn client_credentials(&self) -> Option<&Arc<ClientCredentials>> {
        match &self.scheme {
            AuthScheme::OAuth2(client) => Some(client),
            _ => None,
        }
    }

    /// Where the secret travels, for a person: ``"`api_key` header"``, ``"`sid` cookie"``.
    pub fn place(&self) -> String {
        match &self.scheme {
            AuthScheme::Query(name) => format!("`{name}` query parameter"),
            AuthScheme::Cookie(name) => format!("`{name}` cookie"),
            _ => format!("`{}` header", self.header),
        }
    }
}

/// What an operation's requests must carry to be let in, as OpenAPI's `security` says:
/// alternatives (any one opens the operation), each a set of schemes sent together (every
/// one of them, each its own secret). One alternative is in force for a run: the first whose
/// secrets are all set (see [`Security::choose`]). Empty: the operation is public.
#[derive(Debug, Clone, Default)]
pub struct Security {
    alternatives: Vec<Vec<AuthSpec>>,
    chosen: usize,
}

impl Security {
    /// The alternatives in order; each is non-empty.
    pub fn new(alternatives: Vec<Vec<AuthSpec>>) -> Security {
        let alternatives = alternatives.into_iter().filter(|a| !a.is_empty()).collect();
        Security {
            alternatives,
            chosen: 0,
        }
    }

    /// Whether the operation needs no secret at all.
    pub fn is_public(&self) -> bool {
        self.alternatives.is_empty()
    }

    /// The schemes the run sends, all of them with every request that carries "the key".
    pub fn sent(&self) -> &[AuthSpec] {
        self.alternatives
            .get(self.chosen)
            .map_or(&[], Vec::as_slice)
    }

    /// Every alternative, in the contract's order (a server accepts any of them).
    pub fn alternatives(&self) -> &[Vec<AuthSpec>] {
        &self.alternatives
    }

    /// Which alternative is in force (0-based).
    pub fn chosen(&self) -> usize {
        self.chosen
    }

    /// Put the first alternative whose every variable `is_set` says is set in force, and
    /// return its index; `None` (and the first in force) when no alternative is complete.
    pub fn choose(&mut self, is_set: impl Fn(&str) -> bool) -> Option<usize> {
        let complete = self
            .alternatives
            .iter()
            .position(|schemes| schemes.iter().flat_map(AuthSpec::envs).all(&is_set));
        self.chosen = complete.unwrap_or(0);
        complete
    }

    /// Every OAuth2 token URL cut to its path, so a client resolves it against the base URL:
    /// for a run against the built-in sandbox, which serves each token endpoint's path
    /// itself (the document's real endpoint is never asked).
    pub fn token_urls_at_base(&mut self) {
        for spec in self.alternatives.iter_mut().flatten() {
            if let AuthScheme::OAuth2(client) = &mut spec.scheme {
                if let Ok(absolute) = url::Url::parse(&client.token_url) {
                    Arc::make_mut(client).token_url = absolute.path().to_owned();
                }
            }
        }
    }

    /// Every variable any alternative reads, each once, in order.
    pub fn envs(&self) -> Vec<&str> {
        let mut envs: Vec<&str> = Vec::new();
        for env in self.alternatives.iter().flatten().flat_map(AuthSpec::envs) {
            if !envs.contains(&env) {
                envs.push(env);
            }
        }
        envs
    }
}

/// How a secret travels in its header, as OpenAPI's security schemes put it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthScheme {
    /// The header's value is the key itself (an API key in a header).
    ApiKey,
    /// `Authorization: Bearer <token>`.
    Bearer,
    /// `Authorization: Basic <base64 of user:password>`.
    Basic,
    /// `Cookie: <name>=<key>`.
    Cookie(String),
    /// `?<name>=<key>` in the query string.
    Query(String),
    /// `Authorization: Bearer <token>`, the token obtained by the run with OAuth2's client
    /// credentials grant (RFC 6749 §4.4); the scheme's `env` holds the client secret.
    OAuth2(Arc<ClientCredentials>),
}

/// Where and how an OAuth2 client obtains its tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCredentials {
    /// The token endpoint: absolute, or relative to the base URL.
    pub token_url: String,
    /// The variable that holds the client id.
    pub client_id_env: String,
    /// The scopes asked for (none: the server's default).
    pub scopes: Vec<String>,
}

impl AuthScheme {
    /// The header value that carries `secret`.
    pub fn wire_value(&self, secret: &str) -> String {
        use base64::Engine as _;
        match self {
            AuthScheme::ApiKey => secret.to_owned(),
            AuthScheme::Bearer | AuthScheme::OAuth2(_) => format!("Bearer {secret}"),
            AuthScheme::Basic => format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(secret)
            ),
            AuthScheme::Cookie(name) => format!("{name}={secret}"),
            AuthScheme::Query(_) => secret.to_owned(),
        }
    }

    /// The query parameter the key travels in, for a key in the query string.
    pub fn query_name(&self) -> Option<&str> {
        match self {
            AuthScheme::Query(name) => Some(name),
            _ => None,
        }
    }

    /// The header value as reports show it, with `placeholder` (`${SPECGATE_API_KEY}`) for
    /// the secret; basic shows the placeholder unencoded, since the shell encodes it.
    pub fn shown_value(&self, placeholder: &str) -> String {
        match self {
            AuthScheme::Basic => format!("Basic {placeholder}"),
            other => other.wire_value(placeholder),
        }
    }

    /// Whether the header `value` of a request carries `secret`.
    pub fn carries(&self, value: &str, secret: &str) -> bool {
        match self {
            AuthScheme::Cookie(name) => value
                .split(';')
                .filter_map(|pair| pair.trim().split_once('='))
                .any(|(n, v)| n == name && v == secret),
            other => value == other.wire_value(secret),
        }
    }
}

/// Whether `name` can name an environment variable: letters, digits and `_`.
fn is_env_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Which statuses a documented response describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseStatus {
    /// A status (`200`) or a class (`4xx`).
    Pattern(StatusPattern),
    /// Every status no other response of the operation names (OpenAPI's `default`).
    Default,
}

impl std::fmt::Display for ResponseStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ResponseStatus::Pattern(pattern) => pattern.fmt(f),
            ResponseStatus::Default => f.write_str("default"),
        }
    }
}

/// A documented response: its status and, when the contract gives them, its body schema
/// and headers.
#[derive(Debug, Clone)]
pub struct ResponseSpec {
    /// The statuses this response is for.
    pub status: ResponseStatus,
    /// The body's schema; `None`: the body is not checked.
    pub schema: Option<Schema>,
    /// Declared response headers, in the order written.
    pub headers: Vec<HeaderSpec>,
    /// The media types the body may be served as, when they are not JSON (`text/plain`,
    /// `application/xml`, `image/*`, `*/*`); empty: JSON.
    pub media: Vec<String>,
}

impl ResponseSpec {
    /// Whether a body served as `received` (a media type's essence, lower case) is one the
    /// response documents: JSON when it names none, else one of its media types, `*`
    /// standing for any type or subtype.
    pub fn serves(&self, received: &str) -> bool {
        self.media.iter().any(|declared| {
            let declared = declared.split(';').next().unwrap_or_default().trim();
            let (want_type, want_sub) = declared.split_once('/').unwrap_or((declared, "*"));
            let (got_type, got_sub) = received.split_once('/').unwrap_or((received, ""));
            (want_type == "*" || want_type.eq_ignore_ascii_case(got_type))
                && (want_sub == "*" || want_sub.eq_ignore_ascii_case(got_sub))
        })
    }

    /// Whether its body is XML (`application/xml`, `text/xml`, `+xml`): served as such, it
    /// must be well-formed.
    pub fn is_xml(media: &str) -> bool {
        let essence = media
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        essence == "application/xml" || essence == "text/xml" || essence.ends_with("+xml")
    }
}

/// A declared response header.
#[derive(Debug, Clone)]
pub struct HeaderSpec {
    /// The header's name.
    pub name: http::HeaderName,
    /// Whether every such response must carry it.
    pub required: bool,
    /// The schema its value must match (numbers and booleans are read from the text);
    /// `None`: any value.
    pub schema: Option<Schema>,
}

impl HeaderSpec {
    /// A header's text as the JSON value its schema's `type` describes (`integer`, `number`,
    /// `boolean`, as OpenAPI's `simple` style sends them); text when it does not parse as that
    /// type, so the schema reports the mismatch.
    pub fn read_value(&self, text: &str) -> Value {
        match &self.schema {
            Some(schema) => wire::read_typed(&schema.document, text.trim()),
            None => Value::String(text.to_owned()),
        }
    }
}

/// The statuses the contract allows for each class of request.
#[derive(Debug, Clone)]
pub struct Expectations {
    /// Statuses allowed for a valid payload.
    pub valid: Vec<StatusPattern>,
    /// Statuses allowed for an invalid payload.
    pub invalid: Vec<StatusPattern>,
    /// Statuses allowed for a missing or wrong key.
    pub unauthorized: Vec<StatusPattern>,
}

impl Expectations {
    /// The statuses allowed for requests of class `expect`.
    pub fn for_expect(&self, expect: Expect) -> &[StatusPattern] {
        match expect {
            Expect::Accept => &self.valid,
            Expect::Reject => &self.invalid,
            Expect::Unauthorized => &self.unauthorized,
        }
    }
}

/// A hand-written example payload with the outcome its author expects.
#[derive(Debug, Clone)]
pub struct Example {
    /// Its name in plan ids.
    pub name: String,
    /// What the contract says the server must do with it.
    pub expect: Expect,
    /// The payload: the body itself, or for an operation generated as an envelope (see
    /// [`Operation::shape`]), the parts the example gives (`body`, `path`, `query`, …); the
    /// generator fills in the rest and checks the whole against `expect`.
    pub body: Value,
}

/// One operation of the API under test, fully loaded and checked.
#[derive(Debug, Clone)]
pub struct Operation {
    /// A short identifier (`[a-z0-9_-]`), used in plan ids, test names and snapshot files.
    pub name: String,
    /// What the operation does, for reports.
    pub description: String,
    /// The case file it was loaded from.
    pub source: PathBuf,
    /// The HTTP method.
    pub method: http::Method,
    /// Relative to the base URL, starting with `/`.
    pub path: String,
    /// The secrets sent and the alternatives a server accepts; public when it has none.
    pub auth: Security,
    /// The request body's media type (empty when the operation takes no body).
    pub content_type: String,
    /// What the generator reads: the body's schema, or when the operation has parameters or
    /// no body, the schema of the whole request as one envelope document (see [`wire`]).
    pub request_schema: Schema,
    /// What the generator draws valid requests from, when it differs from `request_schema`:
    /// the envelope with each parameter with known ids narrowed to those ids
    /// ([`wire::Ids::Narrowed`]), so valid requests name resources the server has while the
    /// contract (`request_schema`) still calls any well-formed id valid.
    pub plan_document: Option<Arc<Value>>,
    /// The body's own schema, when the operation takes a body.
    pub body_schema: Option<Schema>,
    /// The path template, parameters and body as they go on the wire; `Some` exactly when
    /// `request_schema` is an envelope.
    pub shape: Option<Arc<wire::RequestShape>>,
    /// The documented responses.
    pub responses: Vec<ResponseSpec>,
    /// The allowed statuses per request class.
    pub expect: Expectations,
    /// JSON pointers into response bodies whose values change on every call.
    pub redactions: Vec<String>,
    /// Hand-written payloads with their expected outcome.
    pub examples: Vec<Example>,
    /// Success-body values the built-in sandbox uses: (JSON pointer, template with `{hash}`).
    pub sandbox_fields: Vec<(String, String)>,
    /// Headers and query parameters every request carries unchanged (`[[constants]]`), which
    /// tell this operation apart from others of the same method and path.
    pub constants: Vec<Constant>,
}

impl Operation {
    /// The documented response spec for `status`: an exact code wins over a class, and a
    /// class over `default`.
    pub fn response_for(&self, status: u16) -> Option<&ResponseSpec> {
        let pattern = |wanted: fn(&StatusPattern) -> bool| {
            self.responses.iter().find(|r| match &r.status {
                ResponseStatus::Pattern(p) => wanted(p) && p.matches(status),
                ResponseStatus::Default => false,
            })
        };
        pattern(|p| matches!(p, StatusPattern::Exact(_)))
            .or_else(|| pattern(|_| true))
            .or_else(|| {
                self.responses
                    .iter()
                    .find(|r| r.status == ResponseStatus::Default)
            })
    }

    /// The parameters whose valid values come from another operation's responses: (the
    /// parameter, the producing operation's name, the pointer into its success body).
    pub fn links(&self) -> Vec<(&wire::Parameter, &str, &str)> {
        self.shape
            .iter()
            .flat_map(|shape| shape.parameters())
            .filter_map(|p| {
                let (operation, pointer) = p.ids.as_ref()?.link()?;
                Some((p, operation, pointer))
            })
            .collect()
    }

    /// This operation with the linked parameter `name` (in `location`) bound to `ids`, the
    /// values its producer `from` returned: from then on they are its known ids.
    pub fn with_linked_ids(
        &self,
        location: wire::Location,
        name: &str,
        ids: Vec<Value>,
        from: &str,
    ) -> Result<Operation, ContractError> {
        let obtained = wire::IdSource::Obtained {
            ids,
            from: from.to_owned(),
        };
        self.with_ids(location, name, obtained)
    }

    /// This operation with the parameter `name` (in `location`) taking its ids from `ids`.
    pub fn with_ids(
        &self,
        location: wire::Location,
        name: &str,
        ids: wire::IdSource,
    ) -> Result<Operation, ContractError> {
        let Some(shape) = &self.shape else {
            return Ok(self.clone());
        };
        let parameters = shape
            .parameters()
            .cloned()
            .map(|mut p| {
                if p.location == location && p.name == name {
                    p.ids = Some(ids.clone());
                }
                p
            })
            .collect();
        let rebuilt = wire::RequestShape::new(&self.path, parameters, shape.body().cloned())
            .map_err(|problem| {
                ContractError::new(&self.source, Place::File, problem, "fix the path template")
            })?;
        let body = self.body_schema.as_ref().map(|s| &*s.document);
        let document = rebuilt.envelope_schema(body, wire::Ids::AsDocumented);
        let mut bound = self.clone();
        bound.request_schema = Schema::from_document(&self.source, document)?;
        bound.plan_document = plan_document(&rebuilt, body);
        bound.shape = Some(Arc::new(rebuilt));
        Ok(bound)
    }

    /// Leave out the schemas of its responses, once a caller has judged them: their bodies
    /// are then not checked. An import keeps the operations it loads back for their requests
    /// only.
    pub fn let_go_of_response_schemas(&mut self) {
        for response in &mut self.responses {
            response.schema = None;
        }
    }

    /// The schema document the generator plans from (see [`Operation::plan_document`]).
    pub fn plan_schema(&self) -> &Arc<Value> {
        self.plan_document
            .as_ref()
            .unwrap_or(&self.request_schema.document)
    }

    /// The exact statuses the operation documents, in the order written.
    pub fn documented_statuses(&self) -> impl Iterator<Item = u16> + '_ {
        self.responses.iter().filter_map(|r| match r.status {
            ResponseStatus::Pattern(StatusPattern::Exact(code)) => Some(code),
            _ => None,
        })
    }
}

/// The request schema, the planner's narrower document when there is one, and the wire
/// shape when the request is an envelope.
type PlannedSchemas = (Schema, Option<Arc<Value>>, Option<Arc<wire::RequestShape>>);

/// The planner's envelope, when some parameter has known ids or the body marks `readOnly`
/// properties, which valid requests leave out (else the contract's is used).
fn plan_document(shape: &wire::RequestShape, body: Option<&Value>) -> Option<Arc<Value>> {
    let narrowed = shape
        .parameters()
        .any(|p| p.ids.as_ref().is_some_and(|ids| ids.ids().is_some()));
    let planned_body = body.and_then(|b| crate::schema::view(b, View::Plan));
    if !narrowed && planned_body.is_none() {
        return None;
    }
    let ids = if narrowed {
        wire::Ids::Narrowed
    } else {
        wire::Ids::AsDocumented
    };
    Some(Arc::new(
        shape.envelope_schema(planned_body.as_ref().or(body), ids),
    ))
}

/// Load every `*.toml` case in `dir`, sorted by file name.
pub fn load_cases(dir: &Path) -> Result<Vec<Operation>, ContractError> {
    load_cases_each(dir, ResponseSchemas::Kept, |_| {})
}

/// What loading a case keeps of its response schemas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseSchemas {
    /// Loaded and kept: their bodies are checked.
    Kept,
    /// Each checked to load, and not kept: a schema file that loaded before in this process
    /// (the same text, taking from the same shared files) is not loaded again. No link is
    /// inferred from a success answer so loaded. An import loads what it writes a second
    /// time this way, when it has judged the first.
    Checked,
}

/// Load every case as [`load_cases`] does, handing each operation to `each` as soon as it
/// loads, before links are inferred (from what its success answer offers, read first):
/// what `each` leaves of it is kept. An import checks each operation's response schemas
/// this way and lets go of them ([`Operation::let_go_of_response_schemas`]), so a large
/// document's schemas, its shared definitions copied into each, are not all held at once.
pub fn load_cases_each(
    dir: &Path,
    responses: ResponseSchemas,
    mut each: impl FnMut(&mut Operation),
) -> Result<Vec<Operation>, ContractError> {
    load_cases_judged(dir, responses, |_| (), |operation, ()| each(operation))
}

/// [`load_cases_each`], with `judge` run on each operation by the thread that loaded it (two
/// load at once) and what it found handed to `each` with the operation, in file order: an
/// import judging each response schema on the thread handing over left the other idle.
pub fn load_cases_judged<J: Send>(
    dir: &Path,
    responses: ResponseSchemas,
    judge: impl Fn(&Operation) -> J + Sync,
    mut each: impl FnMut(&mut Operation, J),
) -> Result<Vec<Operation>, ContractError> {
    let files = case_files(dir)?;
    let mut operations: Vec<Operation> = Vec::with_capacity(files.len());
    let mut infer = Vec::with_capacity(files.len());
    let (mut offers, mut offered) = (infer::Offers::of_cases(&files), Vec::new());
    let load = |file: &Path| {
        let loaded = load_case_and_inference(file, responses).map(|(operation, inferred)| {
            let judged = judge(&operation);
            (operation, inferred, judged)
        });
        (file.to_path_buf(), loaded)
    };
    parallel::load_in_order(&files, load, |(file, loaded)| {
        let (mut operation, inferred, judged) = loaded?;
        infer.push(inferred);
        if let Some(first) = operations.iter().find(|o| o.name == operation.name) {
            return Err(ContractError::new(
                &file,
                Place::File,
                format!(
                    "the case name `{}` is also used by {}",
                    operation.name,
                    first.source.display()
                ),
                "give every case file its own `name`",
            ));
        }
        offered.push(offers.of(&operation));
        each(&mut operation, judged);
        operations.push(operation);
        Ok(())
    })?;
    check_links(&operations)?;
    infer::infer_links(&mut operations, &offered, &infer)?;
    Ok(operations)
}

/// The `*.toml` case files in `dir`, sorted by name; an error when there are none.
fn case_files(dir: &Path) -> Result<Vec<PathBuf>, ContractError> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        ContractError::new(
            dir,
            Place::File,
            format!("cannot read the cases folder: {e}"),
            "pass the folder that holds your case files with --cases DIR",
        )
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(ContractError::new(
            dir,
            Place::File,
            "no case files (*.toml) in this folder",
            "add a case file (see cases/sessionlink-v2.toml) or pass another folder with --cases DIR",
        ));
    }
    Ok(files)
}

/// Every link names an operation of the same set, one that is not itself linked.
pub fn check_links(operations: &[Operation]) -> Result<(), ContractError> {
    for operation in operations {
        for (parameter, producer, pointer) in operation.links() {
            let found = operations.iter().find(|o| o.name == producer);
            let problem = match found {
                None => format!(
                    "the parameter `{}` links to the operation `{producer}`, which is not among the cases",
                    parameter.name
                ),
                Some(p) if !p.links().is_empty() => format!(
                    "the parameter `{}` links to `{producer}`, whose own parameters are linked: links are one step",
                    parameter.name
                ),
                Some(_) if operation.method == http::Method::DELETE
                    && Produced::parse(pointer).is_some_and(Produced::lists) =>
                {
                    format!(
                        "the parameter `{}` of a DELETE takes its ids from the list `{producer}`: \
                         each valid DELETE needs a resource made for it, which a list cannot make",
                        parameter.name
                    )
                }
                Some(_) => continue,
            };
            return Err(ContractError::new(
                &operation.source,
                Place::File,
                problem,
                "name the case that creates the resource (its `name`), or give `known` ids instead",
            ));
        }
    }
    Ok(())
}

/// Load and check one case file and the schemas it names.
pub fn load_case(path: &Path) -> Result<Operation, ContractError> {
    load_case_and_inference(path, ResponseSchemas::Kept).map(|(operation, _)| operation)
}

/// One case file's operation, and whether links may be inferred for it (`[links] infer`).
fn load_case_and_inference(
    path: &Path,
    responses: ResponseSchemas,
) -> Result<(Operation, bool), ContractError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        ContractError::new(
            path,
            Place::File,
            format!("cannot read the case file: {e}"),
            "check the path",
        )
    })?;
    let file: case_file::CaseFile = toml::from_str(&text).map_err(|e| {
        let place = e.span().map_or(Place::File, |span| {
            ContractError::line_of(&text, span.start)
        });
        ContractError::new(
            path,
            place,
            e.message().trim().to_owned(),
            "see cases/sessionlink-v2.toml for a complete, commented case file",
        )
    })?;
    let infer = file.links.infer;
    let builder = CaseBuilder {
        path,
        text: &text,
        responses,
    };
    let operation = builder.build(file)?;
    Ok((operation, infer))
}

/// Turns a parsed case file into an [`Operation`], reporting problems at their line.
struct CaseBuilder<'a> {
    path: &'a Path,
    text: &'a str,
    responses: ResponseSchemas,
}

impl CaseBuilder<'_> {
    /// An error at the line holding `span` (as the TOML parser read it); the whole file
    /// when there is none (an empty `[auth]`).
    fn error_at(
        &self,
        span: impl Into<Option<Range<usize>>>,
        problem: impl Into<String>,
        fix: impl Into<String>,
    ) -> ContractError {
        let place = span.into().map_or(Place::File, |span| {
            ContractError::line_of(self.text, span.start)
        });
        ContractError::new(self.path, place, problem, fix)
    }

    fn build(&self, file: case_file::CaseFile) -> Result<Operation, ContractError> {
        self.check_name(&file.name)?;
        let method = self.method(&file.method)?;
        if !file.path.get_ref().starts_with('/') {
            return Err(self.error_at(
                file.path.span(),
                format!("`path = \"{}\"` must start with `/`", file.path),
                "write the path relative to the base URL, e.g. \"/auth/sessionlink-v2\"",
            ));
        }
        let auth = self.security(file.auth.map(case_file::AuthSections::into_vec))?;
        let body_schema = file
            .request
            .as_ref()
            .map(|r| self.schema(&r.schema)?.viewed(View::Request))
            .transpose()?;
        let parameters = file
            .parameters
            .into_iter()
            .map(|p| self.parameter(p))
            .collect::<Result<Vec<_>, _>>()?;
        let (request_schema, plan_document, shape) =
            self.request_schema(&file.path, parameters, file.request.as_ref(), &body_schema)?;
        let responses = self.responses(file.responses)?;
        let expect = self.expectations(file.expect)?;
        let redactions = self.redactions(file.redactions.response)?;
        let examples = self.examples(file.examples, body_schema.as_ref(), shape.is_some())?;
        let sandbox_fields = self.redactions(file.sandbox.fields.keys().cloned().collect())?;
        let sandbox_fields = sandbox_fields
            .into_iter()
            .zip(file.sandbox.fields.into_values())
            .collect();
        let constants = file
            .constants
            .into_iter()
            .map(|c| self.constant(c))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Operation {
            name: file.name.into_inner(),
            description: file.description,
            source: self.path.to_path_buf(),
            method,
            path: file.path.into_inner(),
            auth,
            content_type: file.request.map(|r| r.content_type).unwrap_or_default(),
            request_schema,
            plan_document,
            body_schema,
            shape,
            responses,
            expect,
            redactions,
            examples,
            sandbox_fields,
            constants,
        })
    }

    /// One `[[constants]]` entry.
    fn constant(&self, section: case_file::ConstantSection) -> Result<Constant, ContractError> {
        let Some(location) = wire::Location::parse(section.location.get_ref()) else {
            return Err(self.error_at(
                section.location.span(),
                format!(
                    "`in = \"{}\"` is not a place a constant travels",
                    section.location.get_ref()
                ),
                "write `in = \"header\"` or `in = \"query\"`",
            ));
        };
        let name_span = section.name.span();
        let constant = Constant {
            location,
            name: section.name.into_inner(),
            value: section.value,
        };
        match constant.unsendable() {
            None => Ok(constant),
            Some(why) => Err(self.error_at(
                name_span,
                format!("the constant `{}` cannot be sent: {why}", constant.name),
                "write `in = \"header\"` or `in = \"query\"`, a header name of letters, digits and `-`, and a visible ASCII value",
            )),
        }
    }

    fn check_name(&self, spanned: &Spanned<String>) -> Result<(), ContractError> {
        let name = spanned.get_ref();
        let ok = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if ok {
            return Ok(());
        }
        Err(self.error_at(
            spanned.span(),
            format!("the case name `{name}` is not a plain identifier"),
            "use lower-case letters, digits, `-` and `_` only, e.g. \"sessionlink-v2\"",
        ))
    }

    fn method(&self, spanned: &Spanned<String>) -> Result<http::Method, ContractError> {
        let method = spanned.get_ref().as_str();
        const KNOWN: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
        if KNOWN.contains(&method) {
            if let Ok(parsed) = method.parse() {
                return Ok(parsed);
            }
        }
        Err(self.error_at(
            spanned.span(),
            format!("`method = \"{method}\"` is not an HTTP method"),
            format!("use one of {}", KNOWN.join(", ")),
        ))
    }

    /// The `[auth]` entries grouped by `alternative` (ascending), each group checked for two
    /// secrets in one place.
    fn security(
        &self,
        sections: Option<Vec<case_file::AuthSection>>,
    ) -> Result<Security, ContractError> {
        type Written = (AuthSpec, Option<Range<usize>>);
        let mut grouped: std::collections::BTreeMap<u32, Vec<Written>> = Default::default();
        for section in sections.unwrap_or_default() {
            let alternative = section.alternative.unwrap_or(1);
            let span = section.span();
            grouped
                .entry(alternative)
                .or_default()
                .push((self.auth(section)?, span));
        }
        for (alternative, schemes) in &grouped {
            self.check_places(*alternative, schemes)?;
        }
        let alternatives = grouped.into_values();
        Ok(Security::new(
            alternatives
                .map(|schemes| schemes.into_iter().map(|(spec, _)| spec).collect())
                .collect(),
        ))
    }

    /// Schemes sent together must travel in different places: two in one header (bearer and
    /// basic both in `Authorization`) would be one value, not two secrets.
    fn check_places(
        &self,
        alternative: u32,
        schemes: &[(AuthSpec, Option<Range<usize>>)],
    ) -> Result<(), ContractError> {
        for (index, (spec, span)) in schemes.iter().enumerate() {
            let clash = schemes[..index]
                .iter()
                .map(|(earlier, _)| earlier)
                .find(|earlier| earlier.place() == spec.place());
            if let Some(earlier) = clash {
                return Err(self.error_at(
                    span.clone(),
                    format!(
                        "the secrets of ${} and ${} (alternative {alternative}) both travel in the {}",
                        earlier.env,
                        spec.env,
                        spec.place()
                    ),
                    "give each scheme of one alternative its own header, cookie or query parameter, or make them alternatives with `alternative = 2`",
                ));
            }
        }
        Ok(())
    }

    fn auth(&self, auth: case_file::AuthSection) -> Result<AuthSpec, ContractError> {
        let (scheme, header) = self.auth_scheme(&auth)?;
        let header = header.parse::<http::HeaderName>().map_err(|_| {
            self.error_at(
                auth.header.as_ref().map(Spanned::span),
                format!("`header = \"{header}\"` is not a valid HTTP header name"),
                "use a header name such as \"api_key\" or \"authorization\"",
            )
        })?;
        if !is_env_name(auth.env()) {
            return Err(self.error_at(
                auth.env.as_ref().map(Spanned::span),
                format!(
                    "`env = \"{}\"` is not an environment variable name",
                    auth.env()
                ),
                "use letters, digits and `_`, e.g. \"SPECGATE_API_KEY\"",
            ));
        }
        Ok(AuthSpec {
            header,
            env: auth.env().to_owned(),
            scheme,
        })
    }

    /// The scheme of `[auth]` and the header it travels in.
    fn auth_scheme(
        &self,
        auth: &case_file::AuthSection,
    ) -> Result<(AuthScheme, String), ContractError> {
        let missing = |key: &str, scheme: &str| {
            self.error_at(
                auth.span(),
                format!("`scheme = \"{scheme}\"` needs `{key}`"),
                format!("add `{key} = \"...\"` under [auth]"),
            )
        };
        let text = |value: &Option<Spanned<String>>| value.as_ref().map(|v| v.get_ref().clone());
        let scheme = auth.scheme.as_ref().map(Spanned::get_ref);
        match scheme.map_or("api-key", String::as_str) {
            "api-key" => {
                let header = text(&auth.header).ok_or_else(|| missing("header", "api-key"))?;
                Ok((AuthScheme::ApiKey, header))
            }
            "bearer" => Ok((AuthScheme::Bearer, self.auth_header(auth, "authorization"))),
            "basic" => Ok((AuthScheme::Basic, self.auth_header(auth, "authorization"))),
            "cookie" => {
                let name = text(&auth.cookie).ok_or_else(|| missing("cookie", "cookie"))?;
                Ok((AuthScheme::Cookie(name), "cookie".to_owned()))
            }
            "oauth2-client-credentials" => {
                let token_url = text(&auth.token_url)
                    .filter(|u| !u.is_empty())
                    .ok_or_else(|| missing("token_url", "oauth2-client-credentials"))?;
                let client_id_env = text(&auth.client_id_env)
                    .ok_or_else(|| missing("client_id_env", "oauth2-client-credentials"))?;
                if !is_env_name(&client_id_env) {
                    return Err(self.error_at(
                        auth.client_id_env.as_ref().map(Spanned::span),
                        format!("`client_id_env = \"{client_id_env}\"` is not an environment variable name"),
                        "use letters, digits and `_`, e.g. \"ORDERS_CLIENT_ID\"",
                    ));
                }
                let client = ClientCredentials {
                    token_url,
                    client_id_env,
                    scopes: auth.scopes.clone(),
                };
                let header = self.auth_header(auth, "authorization");
                Ok((AuthScheme::OAuth2(Arc::new(client)), header))
            }
            "query" => {
                let name = text(&auth.query)
                    .filter(|n| !n.is_empty())
                    .ok_or_else(|| missing("query", "query"))?;
                Ok((AuthScheme::Query(name), "x-specgate-unused".to_owned()))
            }
            other => Err(self.error_at(
                auth.scheme.as_ref().map(Spanned::span),
                format!("`scheme = \"{other}\"` is not an auth scheme"),
                "use \"api-key\" (with header), \"bearer\", \"basic\", \"cookie\" (with cookie), \"query\" (with query) or \"oauth2-client-credentials\" (with token_url and client_id_env)",
            )),
        }
    }

    fn auth_header(&self, auth: &case_file::AuthSection, default: &str) -> String {
        auth.header
            .as_ref()
            .map_or_else(|| default.to_owned(), |header| header.get_ref().clone())
    }

    fn schema(&self, relative: &Spanned<String>) -> Result<Schema, ContractError> {
        Schema::load(&self.schema_file(relative)?)
    }

    /// A response's schema, as [`ResponseSchemas`] says to keep it.
    fn response_schema(&self, relative: &Spanned<String>) -> Result<Option<Schema>, ContractError> {
        match self.responses {
            ResponseSchemas::Kept => Ok(Some(self.schema(relative)?.viewed(View::Response)?)),
            ResponseSchemas::Checked => {
                Schema::check_loads(&self.schema_file(relative)?)?;
                Ok(None)
            }
        }
    }

    /// The schema file `relative` names, which exists.
    fn schema_file(&self, relative: &Spanned<String>) -> Result<PathBuf, ContractError> {
        let base = self.path.parent().unwrap_or(Path::new("."));
        let full = base.join(relative.get_ref());
        if !full.is_file() {
            let relative_span = relative.span();
            let relative = relative.get_ref();
            return Err(self.error_at(
                relative_span,
                format!(
                    "the schema file `{relative}` does not exist (looked for {})",
                    full.display()
                ),
                "schema paths are relative to the case file; fix the path or add the schema",
            ));
        }
        Ok(full)
    }

    /// A schema given as a file or inline; a missing file is blamed on the line naming it.
    fn schema_source(
        &self,
        source: Spanned<case_file::SchemaSource>,
    ) -> Result<Schema, ContractError> {
        let span = source.span();
        match source.into_inner() {
            case_file::SchemaSource::File(relative) => self.schema(&Spanned::new(span, relative)),
            case_file::SchemaSource::Inline(inline) => {
                Schema::from_document(self.path, Value::Object(inline))
            }
        }
    }

    fn responses(
        &self,
        responses: std::collections::BTreeMap<Spanned<String>, case_file::ResponseSection>,
    ) -> Result<Vec<ResponseSpec>, ContractError> {
        responses
            .into_iter()
            .map(|(key, section)| {
                let status = self.response_status(&key)?;
                let schema = section
                    .schema
                    .as_ref()
                    .map(|s| self.response_schema(s))
                    .transpose()?
                    .flatten();
                let headers = section
                    .headers
                    .into_iter()
                    .map(|(name, header)| self.header(key.get_ref(), &name, header))
                    .collect::<Result<_, _>>()?;
                if section.schema.is_some() && !section.media.is_empty() {
                    return Err(self.error_at(
                        key.span(),
                        "a schema is checked against a JSON body, and `media` says the body is not JSON".to_owned(),
                        "leave out `schema` or `media`",
                    ));
                }
                Ok(ResponseSpec {
                    status,
                    schema,
                    headers,
                    media: section.media,
                })
            })
            .collect()
    }

    fn response_status(&self, spanned: &Spanned<String>) -> Result<ResponseStatus, ContractError> {
        let key = spanned.get_ref();
        if key == "default" {
            return Ok(ResponseStatus::Default);
        }
        key.parse::<StatusPattern>()
            .map(ResponseStatus::Pattern)
            .map_err(|problem| {
                self.error_at(
                    spanned.span(),
                    problem,
                    "name the section [responses.200], [responses.2xx] or [responses.default]",
                )
            })
    }

    fn header(
        &self,
        status: &str,
        spanned: &Spanned<String>,
        header: case_file::HeaderSection,
    ) -> Result<HeaderSpec, ContractError> {
        let name = spanned.get_ref();
        let parsed = name.parse::<http::HeaderName>().map_err(|_| {
            self.error_at(
                spanned.span(),
                format!("`{name}` under [responses.{status}.headers] is not an HTTP header name"),
                "use a header name such as \"X-Rate-Limit\"",
            )
        })?;
        let schema = match header.schema {
            None => None,
            Some(source) => Some(self.schema_source(source)?),
        };
        Ok(HeaderSpec {
            name: parsed,
            required: header.required,
            schema,
        })
    }

    fn expectations(
        &self,
        expect: case_file::ExpectSection,
    ) -> Result<Expectations, ContractError> {
        for (key, patterns) in [("valid", &expect.valid), ("invalid", &expect.invalid)] {
            if patterns.get_ref().is_empty() {
                return Err(self.error_at(
                    patterns.span(),
                    format!("`expect.{key}` lists no status"),
                    "list at least one status, e.g. [\"2xx\"]",
                ));
            }
        }
        let all = expect
            .valid
            .get_ref()
            .iter()
            .chain(expect.invalid.get_ref())
            .chain(&expect.unauthorized);
        if let Some(spanned) = all.into_iter().find(|p| p.get_ref().is_server_error()) {
            let bad = spanned.get_ref();
            return Err(self.error_at(
                spanned.span(),
                format!("`{bad}` is a server error; a 5xx is never an acceptable outcome"),
                "expect 2xx for valid requests, 4xx for invalid ones and 401/403 for bad keys",
            ));
        }
        let unauthorized = if expect.unauthorized.is_empty() {
            vec![StatusPattern::Exact(401), StatusPattern::Exact(403)]
        } else {
            unspanned(expect.unauthorized)
        };
        Ok(Expectations {
            valid: unspanned(expect.valid.into_inner()),
            invalid: unspanned(expect.invalid.into_inner()),
            unauthorized,
        })
    }

    fn redactions(&self, pointers: Vec<Spanned<String>>) -> Result<Vec<String>, ContractError> {
        if let Some(spanned) = pointers.iter().find(|p| !p.get_ref().starts_with('/')) {
            let bad = spanned.get_ref();
            return Err(self.error_at(
                spanned.span(),
                format!("the redaction `{bad}` is not a JSON pointer"),
                "write it as a pointer into the response body, e.g. \"/userId\"",
            ));
        }
        Ok(unspanned(pointers))
    }

    fn examples(
        &self,
        examples: Vec<case_file::ExampleSection>,
        body_schema: Option<&Schema>,
        enveloped: bool,
    ) -> Result<Vec<Example>, ContractError> {
        examples
            .into_iter()
            .map(|example| {
                let at = example.name.span();
                let name = example.name.into_inner();
                if !enveloped {
                    if !example.parameters.is_empty() {
                        return Err(self.error_at(
                            at.clone(),
                            format!("the example `{}` gives parameters, but the operation declares none", name),
                            "declare them under [[parameters]] or remove `parameters` from the example",
                        ));
                    }
                    let body = example.body.ok_or_else(|| {
                        self.error_at(
                            at.clone(),
                            format!("the example `{}` has no body", name),
                            "add `body = { ... }` to the example",
                        )
                    })?;
                    let schema = body_schema.expect("a bare operation has a body");
                    self.check_example_label(at.clone(), &name, example.expect, schema.validator().is_valid(&body))?;
                    return Ok(Example { name, expect: example.expect, body });
                }
                let mut parts = serde_json::Map::new();
                for (location, values) in example.parameters {
                    if wire::Location::parse(&location).is_none() || !values.is_object() {
                        return Err(self.error_at(
                            at.clone(),
                            format!("the example `{}` gives parameters under `{location}`", name),
                            "write them as tables under path, query, header or cookie, e.g. parameters = { path = { id = \"a1\" } }",
                        ));
                    }
                    parts.insert(location, values);
                }
                if let Some(body) = example.body {
                    parts.insert("body".to_owned(), body);
                }
                Ok(Example { name, expect: example.expect, body: Value::Object(parts) })
            })
            .collect()
    }

    fn check_example_label(
        &self,
        at: Range<usize>,
        name: &str,
        expect: Expect,
        valid: bool,
    ) -> Result<(), ContractError> {
        let contradiction = match expect {
            Expect::Accept if !valid => Some("fails the request schema but expects `accept`"),
            Expect::Reject if valid => Some("passes the request schema but expects `reject`"),
            _ => None,
        };
        match contradiction {
            Some(problem) => Err(self.error_at(
                at,
                format!("the example `{name}` {problem}"),
                "fix the example's body or its `expect`",
            )),
            None => Ok(()),
        }
    }

    fn parameter(
        &self,
        section: case_file::ParameterSection,
    ) -> Result<wire::Parameter, ContractError> {
        let at = section.name.span();
        let name = section.name.into_inner();
        let location = wire::Location::parse(section.location.get_ref()).ok_or_else(|| {
            self.error_at(
                section.location.span(),
                format!(
                    "`in = \"{}\"` is not a parameter location",
                    section.location
                ),
                "use \"path\", \"query\", \"header\" or \"cookie\"",
            )
        })?;
        if location == wire::Location::Header && wire::is_transport_header(&name) {
            return Err(self.error_at(
                at.clone(),
                format!(
                    "the header parameter `{}` is one HTTP itself sets from the request",
                    name
                ),
                "remove this parameter: specgate cannot send a free value in it",
            ));
        }
        let required = match (location, section.required) {
            (wire::Location::Path, Some(false)) => {
                return Err(self.error_at(
                    at.clone(),
                    format!("the path parameter `{}` is marked `required = false`", name),
                    "a path parameter is always required: remove `required = false`",
                ))
            }
            (wire::Location::Path, _) => true,
            (_, given) => given.unwrap_or(false),
        };
        let style = match &section.style {
            None => wire::Style::default_for(location),
            Some(style) => wire::Style::parse(style.get_ref())
                .filter(|s| s.allowed_in(location))
                .ok_or_else(|| {
                    self.error_at(
                        style.span(),
                        format!("`style = \"{style}\"` is not a style for a {} parameter", location.as_str()),
                        "path: simple, label, matrix; query: form, spaceDelimited, pipeDelimited, deepObject; header: simple; cookie: form",
                    )
                })?,
        };
        let content_type = match section.content_type {
            None => None,
            Some(given) => {
                let media = wire::Media::of(given.get_ref());
                let text = given.get_ref().split(';').next().unwrap_or_default().trim();
                if media != wire::Media::Json && !text.eq_ignore_ascii_case("text/plain") {
                    return Err(self.error_at(
                        given.span(),
                        format!(
                            "`content_type = \"{given}\"` of the parameter `{name}` is not a media type a parameter can be sent as"
                        ),
                        "write \"application/json\" (or a `+json` type) or \"text/plain\", or remove `content_type` and say `style`/`explode`",
                    ));
                }
                if section.style.is_some() || section.explode.is_some() {
                    return Err(self.error_at(
                        given.span(),
                        format!("the parameter `{name}` has both `content_type` and `style`/`explode`"),
                        "keep one: a value sent as a media type (`content_type`) or in a style (`style`, `explode`)",
                    ));
                }
                Some(given.into_inner())
            }
        };
        let allow_empty = match &section.allow_empty_value {
            Some(given) if *given.get_ref() && location != wire::Location::Query => {
                return Err(self.error_at(
                    given.span(),
                    format!(
                        "`allow_empty_value = true` on the {} parameter `{name}`",
                        location.as_str()
                    ),
                    "OpenAPI allows an empty value in the query only: remove `allow_empty_value`",
                ))
            }
            Some(given) => *given.get_ref(),
            None => false,
        };
        let schema = self.schema_source(section.schema)?;
        let ids = match (section.known, section.link) {
            (Some(_), Some(_)) => {
                return Err(self.error_at(
                    at.clone(),
                    format!("the parameter `{}` has both `known` and `link`", name),
                    "keep one: fixed values (`known`) or values from an earlier operation (`link`)",
                ))
            }
            (Some(known), None) => {
                if let Some(bad) = known.iter().find(|v| !schema.validator().is_valid(v)) {
                    return Err(self.error_at(
                        at.clone(),
                        format!("the known value {bad} of `{}` fails its schema", name),
                        "list only values the parameter's schema allows",
                    ));
                }
                if known.is_empty() {
                    return Err(self.error_at(
                        at.clone(),
                        format!("`known` of `{}` is empty", name),
                        "list at least one value",
                    ));
                }
                Some(wire::IdSource::Known(known))
            }
            (None, Some(link)) => {
                if Produced::parse(link.pointer.get_ref()).is_none() {
                    return Err(self.error_at(
                        link.pointer.span(),
                        format!("the link pointer `{}` is not a JSON pointer", link.pointer),
                        format!(
                            "write a pointer into the producing operation's success body (\"/id\"), \
                             into each item of a list's array (\"/orders/*/id\"), or \"{}\"",
                            produced::LOCATION
                        ),
                    ));
                }
                Some(wire::IdSource::Link {
                    operation: link.operation,
                    pointer: link.pointer.into_inner(),
                })
            }
            (None, None) => None,
        };
        Ok(wire::Parameter {
            explode: section.explode.unwrap_or(style == wire::Style::Form),
            name,
            location,
            required,
            schema: (*schema.document).clone(),
            style,
            ids,
            content_type,
            allow_empty,
        })
    }

    /// `[request.encoding]`: each form field's style, one of the styles a query allows.
    fn encoding(
        &self,
        request: &case_file::RequestSection,
    ) -> Result<BTreeMap<String, wire::FieldEncoding>, ContractError> {
        let mut out = BTreeMap::new();
        for (field, section) in &request.encoding {
            let style = match &section.style {
                None => wire::Style::Form,
                Some(style) => wire::Style::parse(style.get_ref())
                    .filter(|s| wire::FieldEncoding::allowed(*s))
                    .ok_or_else(|| {
                        self.error_at(
                            style.span(),
                            format!(
                                "`style = \"{style}\"` is not a style for the form field `{field}`"
                            ),
                            "form, spaceDelimited, pipeDelimited or deepObject",
                        )
                    })?,
            };
            let explode = section.explode.unwrap_or(style == wire::Style::Form);
            out.insert(field.clone(), wire::FieldEncoding { style, explode });
        }
        Ok(out)
    }

    /// The schema the generator reads, and the wire shape when that is an envelope.
    fn request_schema(
        &self,
        path: &Spanned<String>,
        parameters: Vec<wire::Parameter>,
        request: Option<&case_file::RequestSection>,
        body_schema: &Option<Schema>,
    ) -> Result<PlannedSchemas, ContractError> {
        let path_span = path.span();
        let path = path.get_ref();
        if let (true, Some(schema)) = (parameters.is_empty() && !path.contains('{'), body_schema) {
            // A required JSON body and nothing else is the bare layout: the body is the whole
            // payload. Any other media type goes through the wire's encoder.
            let json =
                request.is_some_and(|r| wire::Media::of(&r.content_type) == wire::Media::Json);
            if request.is_some_and(|r| r.required) && json {
                let planned = crate::schema::view(&schema.document, View::Plan).map(Arc::new);
                return Ok((schema.clone(), planned, None));
            }
        }
        let encoding = request.map(|r| self.encoding(r)).transpose()?;
        let body = request.zip(body_schema.as_ref()).map(|(r, schema)| {
            let encoding = encoding.clone().unwrap_or_default();
            wire::BodyShape::encoded(&r.content_type, r.required, &schema.document, encoding)
        });
        let shape = wire::RequestShape::new(path, parameters, body).map_err(|problem| {
            self.error_at(
                path_span,
                problem,
                "declare each `{name}` of the path under [[parameters]] with `in = \"path\"`",
            )
        })?;
        let body = body_schema.as_ref().map(|s| &*s.document);
        let document = shape.envelope_schema(body, wire::Ids::AsDocumented);
        let envelope = Schema::from_document(self.path, document)?;
        let planned = plan_document(&shape, body);
        Ok((envelope, planned, Some(Arc::new(shape))))
    }
}

/// The values without their places, once they are checked.
fn unspanned<T>(values: Vec<Spanned<T>>) -> Vec<T> {
    values.into_iter().map(Spanned::into_inner).collect()
}

#[cfg(test)]
mod tests {
    use super::{load_case, Place};

    /// The line of the first problem in `text`, written as a case file.
    fn blamed_line(text: &str) -> Place {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("case.toml");
        std::fs::write(&path, text).unwrap();
        load_case(&path).unwrap_err().place
    }

    const CASE: &str = "# name, method and path come first; the name is checked first\n\
        name = \"case\"\n\
        method = \"GET\"\n\
        path = \"/things\"\n\
        [expect]\n\
        # valid = [\"2xx\"] is what most cases say\n\
        valid = [\"2xx\"]\n\
        invalid = [\"4xx\"]\n";

    #[test]
    fn a_problem_is_blamed_on_the_line_the_parser_read_it_from() {
        let bad_name = CASE.replace("name = \"case\"", "name = \"Bad Name\"");
        assert_eq!(blamed_line(&bad_name), Place::Line { line: 2, column: 8 });
        let server_error = CASE.replace("invalid = [\"4xx\"]", "invalid = [\"4xx\", \"5xx\"]");
        assert_eq!(
            blamed_line(&server_error),
            Place::Line {
                line: 8,
                column: 19
            }
        );
        let empty = CASE.replace("valid = [\"2xx\"]\n", "valid = []\n");
        assert_eq!(blamed_line(&empty), Place::Line { line: 7, column: 9 });
    }
}
