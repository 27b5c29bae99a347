//! The operations of a document (`paths` × methods), read into what a case file says: method,
//! path, parameters ([`super::parameter`]), auth, the optional request body, response
//! schemas, expected statuses and examples. What the case format cannot say yet is collected
//! as a [`Problem`] with its place, never dropped.

use super::parameter::{self, DraftParameter, OutgoingLink};
use super::schema::Bundler;
use super::source::{Location, Sources};
use super::{child, unloadable, OpenApiError, Problem, Version};
use crate::contract::wire::Media;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// One operation, ready to be written as a case.
#[derive(Debug, Clone)]
pub struct CaseDraft {
    /// The case name, from `operationId` (or method and path).
    pub name: String,
    /// The `operationId`, or the derived name.
    pub operation_id: String,
    /// `summary` or `description`.
    pub description: String,
    /// Upper-case method.
    pub method: String,
    /// The path, relative to the server URL.
    pub path: String,
    /// The security alternatives (any one opens the operation), each the schemes sent
    /// together; empty for a public operation.
    pub auth: Vec<Vec<DraftAuth>>,
    /// Path, query, header and cookie parameters, path-level ones first.
    pub parameters: Vec<DraftParameter>,
    /// The request body, when the operation takes one.
    pub request: Option<DraftRequest>,
    /// Documented responses (`200`, `4XX`, `default`).
    pub responses: Vec<DraftResponse>,
    /// Links on its 2xx responses to other operations' path parameters.
    pub links: Vec<OutgoingLink>,
    /// Statuses for valid, invalid and unauthorized requests.
    pub expect: [Vec<String>; 3],
    /// Request examples.
    pub examples: Vec<DraftExample>,
    /// The headers and query values its path key fixes, sent unchanged with every request
    /// (`[[constants]]`).
    pub constants: Vec<crate::contract::Constant>,
    /// What the import changed to express it (e.g. a path's fragment dropped), said as a
    /// warning.
    pub warnings: Vec<Problem>,
    /// Where the operation is in the document.
    pub at: Location,
    /// What was left out of the operation and why, written at the top of its case file.
    pub notes: Vec<String>,
}

/// The request body.
#[derive(Debug, Clone)]
pub struct DraftRequest {
    /// The media type sent.
    pub media: String,
    /// Its bundled schema.
    pub schema: Value,
    /// OpenAPI's `requestBody.required` (false when absent, as OpenAPI says).
    pub required: bool,
    /// A form's field encodings (OpenAPI's `encoding`): each field's style and `explode`,
    /// as written in the document (absent when it says nothing).
    pub encoding: BTreeMap<String, DraftEncoding>,
}

/// One field's `encoding` entry of a form body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftEncoding {
    /// Its `style`, when given.
    pub style: Option<String>,
    /// Its `explode`, when given.
    pub explode: Option<bool>,
}

/// One request example of the document.
#[derive(Debug, Clone)]
pub struct DraftExample {
    /// Its name (`example` for a lone `example`).
    pub name: String,
    /// The body, when the example gives one.
    pub body: Option<Value>,
    /// Parameter values by location (`path`, `query`, …), then by name.
    pub parameters: Map<String, Value>,
}

/// How the operation's secret travels, as `[auth]` writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftAuth {
    /// `api-key`, `bearer`, `basic`, `cookie` or `query`.
    pub scheme: &'static str,
    /// Where an API key goes: (`header`, `cookie` or `query`, the name there).
    pub name: Option<(&'static str, String)>,
    /// What a person must know about it, written above `[auth]`.
    pub note: Option<String>,
    /// The environment variable of the secret (for an OAuth2 client, its secret).
    pub env: String,
    /// For OAuth2's client credentials flow: the token URL, the client id's variable and
    /// the scopes.
    pub client: Option<(String, String, Vec<String>)>,
}

impl DraftAuth {
    /// Whether `parameter` is where this auth's secret travels.
    fn carries(&self, parameter: &DraftParameter) -> bool {
        let Some((place, name)) = &self.name else {
            return false;
        };
        *place == parameter.location.as_str()
            && match parameter.location {
                crate::contract::wire::Location::Header => {
                    name.eq_ignore_ascii_case(&parameter.name)
                }
                _ => *name == parameter.name,
            }
    }
}

/// One documented response.
#[derive(Debug, Clone)]
pub struct DraftResponse {
    /// `200`, `4XX` or `default`.
    pub status: String,
    /// The bundled schema of its JSON body, if any.
    pub schema: Option<Value>,
    /// Its declared headers.
    pub headers: Vec<DraftHeader>,
    /// Its media types when none is JSON (`text/plain`, `application/xml`, `*/*`): the body
    /// is checked for its media type, and for well-formedness when it is XML.
    pub media: Vec<String>,
}

/// One declared response header.
#[derive(Debug, Clone)]
pub struct DraftHeader {
    /// Its name.
    pub name: String,
    /// Whether every such response carries it.
    pub required: bool,
    /// Its bundled schema, if any.
    pub schema: Option<Value>,
}

/// An operation's draft, or the problems that stop the case format from expressing it.
pub(super) type Expressed = Result<CaseDraft, Vec<Problem>>;

/// One operation of the document as a selection sees it, whether it can be expressed or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// Its `operationId`, or method and path.
    pub operation_id: String,
    /// The case name it is written under (before names that collide are told apart).
    pub case: String,
    /// Its `tags`.
    pub tags: Vec<String>,
    /// Its method, upper-case, and its path (without a fixed query or fragment): what a
    /// run's probes of undocumented methods must not send, selected or not.
    pub route: (String, String),
}

/// Every operation of the document, listed; those `wanted` picks are read too, with a draft
/// when the case format can express it, else the problems that stop it. An operation not
/// wanted is listed from its `operationId` and `tags` alone, untranslated, so picking a few
/// operations of a large document costs their work, not the document's.
pub(super) fn operations(
    sources: &mut Sources,
    root: &Location,
    version: Version,
    wanted: &dyn Fn(&Listed) -> bool,
) -> Result<Vec<(Listed, Option<Expressed>)>, OpenApiError> {
    let document = sources.get(root)?.clone();
    let Some(Value::Object(paths)) = document.get("paths") else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    let routes = routes(sources, root, paths)?;
    for (path, _) in paths {
        let item_at = child(root, &["paths", path]);
        let (item, item_at) = sources.resolve(&item_at)?;
        for method in METHODS {
            let Some(operation) = item.get(method) else {
                continue;
            };
            let listed = listed(method, path, operation);
            let key = PathKey::split(path);
            let route = (method, key.path.clone(), key.constants());
            if !wanted(&listed) {
                out.push((listed, None));
                continue;
            }
            let reader = Reader {
                document: &document,
                version,
                path,
                sharing: routes[&route],
                key,
                method,
                at: child(&item_at, &[method]),
                item_at: item_at.clone(),
            };
            let read = reader.read(sources, operation, &listed.operation_id)?;
            out.push((listed, Some(read)));
        }
    }
    Ok(out)
}

/// What a selection sees of an operation: its `operationId` (else its method and path), its
/// case name and its tags.
fn listed(method: &str, path: &str, operation: &Value) -> Listed {
    let operation_id = operation
        .get("operationId")
        .and_then(Value::as_str)
        .map_or_else(|| format!("{method}{path}"), str::to_owned);
    let tags = operation
        .get("tags")
        .and_then(Value::as_array)
        .map(|tags| tags.iter().filter_map(Value::as_str).map(str::to_owned))
        .into_iter()
        .flatten()
        .collect();
    Listed {
        case: case_name(&operation_id),
        operation_id,
        tags,
        route: (method.to_ascii_uppercase(), PathKey::split(path).path),
    }
}

/// A method, a path and the constants of a path key: what tells an operation apart.
type RouteKey = (&'static str, String, Vec<(String, String, String)>);

/// How many operations each (method, path, constants) has once fixed queries and fragments
/// are taken out of the path keys: a run and the sandbox tell operations apart by method,
/// path and the constants a request carries.
fn routes(
    sources: &mut Sources,
    root: &Location,
    paths: &Map<String, Value>,
) -> Result<std::collections::BTreeMap<RouteKey, usize>, OpenApiError> {
    let mut routes = std::collections::BTreeMap::new();
    for path in paths.keys() {
        let (item, _) = sources.resolve(&child(root, &["paths", path]))?;
        for method in METHODS.iter().filter(|m| item.get(**m).is_some()) {
            let key = PathKey::split(path);
            let constants = key.constants();
            *routes.entry((*method, key.path, constants)).or_default() += 1;
        }
    }
    Ok(routes)
}

/// A path key taken apart: the path a server sees, the query values it fixes
/// (`/pets?kind=cat`) and the fragment a server never sees (`/#X-Amz-Target=…`), whose
/// `name=value` pairs are sent as headers (AWS's convention: the header tells operations on
/// one path apart).
#[derive(Debug, Clone, PartialEq, Eq)]
struct PathKey {
    path: String,
    fixed_query: Vec<(String, String)>,
    fragment: Option<String>,
}

impl PathKey {
    /// The `name=value` pairs of the fragment; a bare name (`#x-amz-chime-bearer`) says
    /// nothing a request can carry.
    fn fragment_pairs(&self) -> Vec<(String, String)> {
        let Some(fragment) = &self.fragment else {
            return Vec::new();
        };
        fragment
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .filter(|(name, value)| !name.is_empty() && !value.is_empty())
            .map(|(name, value)| {
                (
                    super::source::percent_decode(name),
                    super::source::percent_decode(value),
                )
            })
            .collect()
    }

    /// The constants the key fixes, as (place, name, value), sorted: the fixed query's
    /// values, then the fragment's pairs as headers.
    fn constants(&self) -> Vec<(String, String, String)> {
        let query = self
            .fixed_query
            .iter()
            .map(|(n, v)| ("query".to_owned(), n.clone(), v.clone()));
        let header = self
            .fragment_pairs()
            .into_iter()
            .map(|(n, v)| ("header".to_owned(), n.to_ascii_lowercase(), v));
        let mut constants: Vec<_> = query.chain(header).collect();
        constants.sort();
        constants.dedup();
        constants
    }
}

impl PathKey {
    fn split(key: &str) -> PathKey {
        let (rest, fragment) = match key.split_once('#') {
            Some((rest, fragment)) => (rest, Some(fragment.to_owned())),
            None => (key, None),
        };
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let fixed_query = url::form_urlencoded::parse(query.as_bytes())
            .map(|(name, value)| (name.into_owned(), value.into_owned()))
            .filter(|(name, _)| !name.is_empty())
            .collect();
        PathKey {
            path: path.to_owned(),
            fixed_query,
            fragment,
        }
    }
}

struct Reader<'a> {
    document: &'a Value,
    version: Version,
    /// The path key as the document writes it.
    path: &'a str,
    /// The path key taken apart.
    key: PathKey,
    /// How many operations of the document have this method and path.
    sharing: usize,
    method: &'a str,
    at: Location,
    item_at: Location,
}

impl Reader<'_> {
    fn read(
        &self,
        sources: &mut Sources,
        operation: &Value,
        operation_id: &str,
    ) -> Result<Result<CaseDraft, Vec<Problem>>, OpenApiError> {
        let mut problems = Vec::new();
        let mut parameters = self.parameters(sources, &mut problems)?;
        let auth = self.auth(sources, operation, &mut problems)?;
        // A secret is the auth's to send (and to leave out in the auth probes): a parameter
        // of the same name and place would send a key of its own.
        parameters.retain(|p| !auth.iter().flatten().any(|a| a.carries(p)));
        let mut notes = leave_out_transport_headers(&mut parameters);
        notes.extend(self.warnings(operation_id).into_iter().map(|w| w.what));
        let request = self.request(sources, operation, &mut problems)?;
        let (responses, links) = self.responses(sources, operation, &mut problems)?;
        let examples = self.examples(sources, request.as_ref(), &parameters)?;
        for problem in &mut problems {
            operation_id.clone_into(&mut problem.operation);
        }
        if !problems.is_empty() {
            return Ok(Err(problems));
        }
        let description = ["summary", "description"]
            .iter()
            .find_map(|k| operation.get(*k).and_then(Value::as_str))
            .unwrap_or_default()
            .to_owned();
        Ok(Ok(CaseDraft {
            name: case_name(operation_id),
            warnings: self.warnings(operation_id),
            operation_id: operation_id.to_owned(),
            description,
            method: self.method.to_ascii_uppercase(),
            path: self.key.path.clone(),
            auth,
            parameters,
            request,
            expect: expectations(&responses),
            responses,
            links,
            examples,
            constants: self.constants(),
            at: self.at.clone(),
            notes,
        }))
    }

    fn problem(&self, keys: &[&str], what: impl Into<String>) -> Problem {
        Problem {
            operation: String::new(),
            at: child(&self.at, keys),
            what: what.into(),
        }
    }

    /// Path-level and operation-level parameters; the path template must name exactly the
    /// path parameters, as a case file's must.
    fn parameters(
        &self,
        sources: &mut Sources,
        problems: &mut Vec<Problem>,
    ) -> Result<Vec<DraftParameter>, OpenApiError> {
        let lists = [
            child(&self.item_at, &["parameters"]),
            child(&self.at, &["parameters"]),
        ];
        let plain = self.key.fragment.is_none() && self.key.fixed_query.is_empty();
        if self.sharing > 1 && !plain {
            // Operations on one method and path are told apart by the constants their path
            // keys fix; these fix the same ones (or none a request can carry). The operation
            // whose key is the plain path keeps it.
            problems.push(self.problem(
                &[],
                format!(
                    "{} operations are `{} {}` with the same constants once the fixed query or fragment of the path `{}` is taken out: a run and the sandbox tell operations apart by method, path and constant headers and query values",
                    self.sharing,
                    self.method.to_ascii_uppercase(),
                    self.key.path,
                    self.path
                ),
            ));
        }
        let before = problems.len();
        let mut parameters = parameter::parameters(sources, self.version, lists, problems)?;
        if problems.len() == before {
            if let Some(mismatch) = parameter::template_mismatch(&self.key.path, &parameters) {
                problems.push(self.problem(&["parameters"], mismatch));
            }
        }
        // What the key fixes is sent as a constant, never generated or broken: a declared
        // parameter of the same place and name gives way to it.
        let constants = self.constants();
        parameters.retain(|p| {
            !constants
                .iter()
                .any(|c| c.location == p.location && c.name.eq_ignore_ascii_case(&p.name))
        });
        Ok(parameters)
    }

    /// The constants the path key fixes: its fixed query (`/pets?kind=cat`) and its
    /// fragment's pairs, as headers (`/#X-Amz-Target=Service.Operation`).
    fn constants(&self) -> Vec<crate::contract::Constant> {
        use crate::contract::wire::Location as Place;
        let query = self
            .key
            .fixed_query
            .iter()
            .map(|(n, v)| (Place::Query, n, v));
        let pairs = self.key.fragment_pairs();
        let header = pairs.iter().map(|(n, v)| (Place::Header, n, v));
        query
            .chain(header)
            .map(|(location, name, value)| crate::contract::Constant {
                location,
                name: name.clone(),
                value: value.clone(),
            })
            .filter(|c| c.unsendable().is_none())
            .collect()
    }

    /// What the import changed to express the operation: a fragment dropped, or sent as
    /// constant headers.
    fn warnings(&self, operation_id: &str) -> Vec<Problem> {
        let Some(fragment) = &self.key.fragment else {
            return Vec::new();
        };
        let headers: Vec<String> = self
            .key
            .fragment_pairs()
            .iter()
            .map(|(name, value)| format!("`{name}: {value}`"))
            .collect();
        let what = if headers.is_empty() {
            format!(
                "the fragment `#{fragment}` of the path `{}` is dropped: a server never sees it",
                self.path
            )
        } else {
            format!(
                "the fragment `#{fragment}` of the path `{}` is sent as the constant header(s) {}: a server never sees a fragment",
                self.path,
                headers.join(", ")
            )
        };
        vec![Problem {
            operation: operation_id.to_owned(),
            at: self.at.clone(),
            what,
        }]
    }

    /// The operation's security alternatives, each the schemes sent together; empty for a
    /// public operation. An alternative with a scheme a case cannot express is left out
    /// (named when none is left); alternatives that send a token obtained beforehand come
    /// after those whose secrets a person has at hand.
    fn auth(
        &self,
        sources: &mut Sources,
        operation: &Value,
        problems: &mut Vec<Problem>,
    ) -> Result<Vec<Vec<DraftAuth>>, OpenApiError> {
        let requirements = operation
            .get("security")
            .or_else(|| self.document.get("security"));
        let Some(Value::Array(alternatives)) = requirements else {
            return Ok(Vec::new());
        };
        let optional = alternatives
            .iter()
            .any(|a| a.as_object().is_some_and(|o| o.is_empty()));
        if alternatives.is_empty() || optional {
            return Ok(Vec::new());
        }
        let (mut own, mut delegated, mut refused) = (Vec::new(), Vec::new(), Vec::new());
        for alternative in alternatives.iter().filter_map(Value::as_object) {
            match self.alternative(sources, alternative)? {
                Ok(schemes) if schemes.iter().any(|s| s.note.is_some()) => delegated.push(schemes),
                Ok(schemes) => own.push(schemes),
                Err(why) => refused.push(why),
            }
        }
        own.extend(delegated);
        if own.is_empty() {
            problems.push(self.problem(
                &["security"],
                format!(
                    "security: no alternative can be sent by a case file yet: {}",
                    refused.join("; ")
                ),
            ));
        }
        Ok(own)
    }

    /// The schemes of one security requirement, all sent together; why not, when one of
    /// them cannot be expressed.
    fn alternative(
        &self,
        sources: &mut Sources,
        requirement: &Map<String, Value>,
    ) -> Result<Result<Vec<DraftAuth>, String>, OpenApiError> {
        let mut schemes = Vec::new();
        let mut tokens = Vec::new();
        for (name, scopes) in requirement {
            let scheme_at = Location {
                file: self.at.file.clone(),
                pointer: format!(
                    "/components/securitySchemes/{}",
                    crate::schema::escape(name)
                ),
            };
            if sources.get(&scheme_at).is_err() {
                return Ok(Err(format!(
                    "`{name}` (not declared under `components/securitySchemes`)"
                )));
            }
            let (scheme, _) = sources.resolve(&scheme_at)?;
            let Some(env) = key_env(&scheme, name, self.document) else {
                return Ok(Err(format!(
                    "`{name}` (its `x-specgate-env` is not an environment variable name: use letters, digits and `_`)"
                )));
            };
            let drafted = draft_auth(&scheme, &env)
                .or_else(|| client_credentials_auth(&scheme, scopes, &env));
            match (drafted, Token::of(&scheme, name, scopes, &env)) {
                (Some(auth), _) => schemes.push(auth),
                (None, Some(token)) => tokens.push(token),
                (None, None) => return Ok(Err(format!("`{name}` ({})", why_not(&scheme)))),
            }
        }
        schemes.extend(token_auth(tokens));
        if let Some(clash) = shared_place(&schemes) {
            let names: Vec<String> = requirement.keys().map(|n| format!("`{n}`")).collect();
            return Ok(Err(format!(
                "{} together (both travel in {clash})",
                names.join(" + ")
            )));
        }
        Ok(Ok(schemes))
    }

    /// The request body, `None` when the operation takes none. Of its media types, JSON is
    /// preferred, then a form, then multipart, else the first listed.
    fn request(
        &self,
        sources: &mut Sources,
        operation: &Value,
        problems: &mut Vec<Problem>,
    ) -> Result<Option<DraftRequest>, OpenApiError> {
        if operation.get("requestBody").is_none() {
            return Ok(None);
        }
        let (body, body_at) = sources.resolve(&child(&self.at, &["requestBody"]))?;
        let Some(media) = body
            .get("content")
            .and_then(Value::as_object)
            .and_then(preferred_media)
        else {
            problems.push(self.problem(
                &["requestBody"],
                "a request body without any media type (`content`) cannot be expressed in a case file",
            ));
            return Ok(None);
        };
        let schema_at = child(&body_at, &["content", &media, "schema"]);
        let schema = match sources.get(&schema_at) {
            Ok(schema) => schema.clone(),
            Err(_) => Value::Object(Map::new()),
        };
        let schema = Bundler::new(sources, self.version).bundle(&schema, &schema_at)?;
        problems.extend(unloadable(&mut sources.shared, &schema, &schema_at));
        let entry_at = ["requestBody", "content", media.as_str()];
        let encoding = match Media::of(&media) {
            Media::Form => form_encoding(body.pointer(&format!(
                "/content/{}/encoding",
                crate::schema::escape(&media)
            )))
            .map_err(|(field, style)| {
                let mut at = entry_at.to_vec();
                at.extend(["encoding", field.as_str(), "style"]);
                problems.push(self.problem(
                    &at,
                    format!("the style `{style}` of the form field `{field}` is not one a form can send (form, spaceDelimited, pipeDelimited, deepObject)"),
                ));
            })
            .unwrap_or_default(),
            _ => BTreeMap::new(),
        };
        Ok(Some(DraftRequest {
            media,
            schema,
            required: body.get(super::field::REQUIRED).and_then(Value::as_bool) == Some(true),
            encoding,
        }))
    }

    fn responses(
        &self,
        sources: &mut Sources,
        operation: &Value,
        problems: &mut Vec<Problem>,
    ) -> Result<(Vec<DraftResponse>, Vec<OutgoingLink>), OpenApiError> {
        let (mut out, mut links) = (Vec::new(), Vec::new());
        let Some(Value::Object(responses)) = operation.get("responses") else {
            return Ok((out, links));
        };
        for status in responses.keys() {
            let at = child(&self.at, &["responses", status]);
            let (response, at) = sources.resolve(&at)?;
            // Only a success says what exists: an error's body names nothing to fetch later.
            if status.starts_with('2') {
                links.extend(parameter::links(sources, &response, &at)?);
            }
            out.push(DraftResponse {
                status: status.clone(),
                schema: self.response_schema(sources, &response, &at, problems)?,
                headers: self.headers(sources, &response, &at, problems)?,
                media: other_media(&response),
            });
        }
        Ok((out, links))
    }

    /// A response's declared headers (`Content-Type` aside, as OpenAPI says), each with its
    /// bundled schema.
    fn headers(
        &self,
        sources: &mut Sources,
        response: &Value,
        at: &Location,
        problems: &mut Vec<Problem>,
    ) -> Result<Vec<DraftHeader>, OpenApiError> {
        let mut out = Vec::new();
        let Some(Value::Object(headers)) = response.get("headers") else {
            return Ok(out);
        };
        for name in headers.keys() {
            if name.eq_ignore_ascii_case("content-type") {
                continue;
            }
            let (header, header_at) = sources.resolve(&child(at, &["headers", name]))?;
            let schema = match header.get("schema") {
                Some(schema) => {
                    let schema_at = child(&header_at, &["schema"]);
                    let schema = Bundler::new(sources, self.version).bundle(schema, &schema_at)?;
                    problems.extend(unloadable(&mut sources.shared, &schema, &schema_at));
                    Some(schema)
                }
                None => None,
            };
            out.push(DraftHeader {
                name: name.clone(),
                required: header.get(super::field::REQUIRED).and_then(Value::as_bool) == Some(true),
                schema,
            });
        }
        Ok(out)
    }

    fn response_schema(
        &self,
        sources: &mut Sources,
        response: &Value,
        at: &Location,
        problems: &mut Vec<Problem>,
    ) -> Result<Option<Value>, OpenApiError> {
        let Some(Value::Object(content)) = response.get("content") else {
            return Ok(None);
        };
        let Some(media) = content.keys().find(|m| is_json(m)) else {
            // Not JSON: its media types are checked instead ([`other_media`]).
            return Ok(None);
        };
        let schema_at = child(at, &["content", media, "schema"]);
        let Ok(schema) = sources.get(&schema_at).cloned() else {
            return Ok(None);
        };
        let schema = Bundler::new(sources, self.version).bundle(&schema, &schema_at)?;
        problems.extend(unloadable(&mut sources.shared, &schema, &schema_at));
        Ok(Some(schema))
    }

    /// The examples of the sent media type (`example`, each of `examples`), and one of the
    /// parameters' own examples when any parameter has one.
    fn examples(
        &self,
        sources: &mut Sources,
        request: Option<&DraftRequest>,
        parameters: &[DraftParameter],
    ) -> Result<Vec<DraftExample>, OpenApiError> {
        let mut out = Vec::new();
        // An example of an XML or plain-text body is its serialised text, not a value of the
        // schema: sent as is, it would be labelled by the wrong yardstick.
        let structured = request.filter(|r| Media::of(&r.media) != Media::Other);
        if let Some(request) = structured {
            let (body, body_at) = sources.resolve(&child(&self.at, &["requestBody"]))?;
            let media_at = child(&body_at, &["content", &request.media]);
            let entry = body.pointer(&format!(
                "/content/{}",
                crate::schema::escape(&request.media)
            ));
            let entry = entry.cloned().unwrap_or_default();
            if let Some(example) = entry.get("example") {
                out.push(body_example("example", example.clone()));
            }
            if let Some(Value::Object(named)) = entry.get("examples") {
                for name in named.keys() {
                    let (example, _) = sources.resolve(&child(&media_at, &["examples", name]))?;
                    if let Some(value) = example.get("value") {
                        out.push(body_example(name, value.clone()));
                    }
                }
            }
        }
        let mut given = Map::new();
        for parameter in parameters {
            let Some(example) = &parameter.example else {
                continue;
            };
            let part = given
                .entry(parameter.location.as_str())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(part) = part {
                part.insert(parameter.name.clone(), example.clone());
            }
        }
        if !given.is_empty() {
            out.push(DraftExample {
                name: "parameter-examples".to_owned(),
                body: None,
                parameters: given,
            });
        }
        Ok(out)
    }
}

fn body_example(name: &str, body: Value) -> DraftExample {
    DraftExample {
        name: name.to_owned(),
        body: Some(body),
        parameters: Map::new(),
    }
}

/// A form's `encoding` object: each field's style and `explode`; `Err` with the field and
/// its style when a style is not one a form field can have.
fn form_encoding(
    encoding: Option<&Value>,
) -> Result<BTreeMap<String, DraftEncoding>, (String, String)> {
    let mut out = BTreeMap::new();
    let Some(Value::Object(fields)) = encoding else {
        return Ok(out);
    };
    for (field, entry) in fields {
        let style = entry.get("style").and_then(Value::as_str);
        let explode = entry.get("explode").and_then(Value::as_bool);
        if let Some(style) = style {
            let known = crate::contract::wire::Style::parse(style);
            if !known.is_some_and(crate::contract::wire::FieldEncoding::allowed) {
                return Err((field.clone(), style.to_owned()));
            }
        }
        if style.is_some() || explode.is_some() {
            let style = style.map(str::to_owned);
            out.insert(field.clone(), DraftEncoding { style, explode });
        }
    }
    Ok(out)
}

/// JSON (`application/json`, `+json`) first, then a URL-encoded form, then multipart, else
/// the first media type listed.
fn preferred_media(content: &Map<String, Value>) -> Option<String> {
    let essence = |m: &str| {
        m.split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
    };
    let find = |wanted: &dyn Fn(&str) -> bool| content.keys().find(|m| wanted(m)).cloned();
    find(&is_json)
        .or_else(|| find(&|m| essence(m) == "application/x-www-form-urlencoded"))
        .or_else(|| find(&|m| essence(m) == "multipart/form-data"))
        .or_else(|| content.keys().next().cloned())
}

/// The variable a scheme's secret is read from: `x-specgate-env` when the document names one
/// (so operations guarded by different schemes can send different secrets), else the default;
/// `None` when what it names is not a variable name.
/// Drop the header parameters HTTP itself sets (`Content-Length`, `Host`, …): a generated
/// value would contradict the request it travels with. One note per header left out.
fn leave_out_transport_headers(parameters: &mut Vec<DraftParameter>) -> Vec<String> {
    let mut notes = Vec::new();
    parameters.retain(|p| {
        let owned = p.location == crate::contract::wire::Location::Header
            && crate::contract::wire::is_transport_header(&p.name);
        if owned {
            notes.push(format!(
                "the header parameter `{}` ({}) is left out: HTTP itself sets it from the request",
                p.name, p.at
            ));
        }
        !owned
    });
    notes
}

/// Two schemes of one requirement that travel in the same header, cookie or query
/// parameter (bearer and basic both in `Authorization`): the place, when there is one.
fn shared_place(schemes: &[DraftAuth]) -> Option<String> {
    let place = |a: &DraftAuth| match &a.name {
        Some((where_, name)) => format!("the {where_} `{}`", name.to_ascii_lowercase()),
        None => "the header `authorization`".to_owned(),
    };
    schemes.iter().enumerate().find_map(|(i, scheme)| {
        let here = place(scheme);
        schemes[..i]
            .iter()
            .any(|s| place(s) == here)
            .then_some(here)
    })
}

/// The variable a scheme's secret is read from: its `x-specgate-env`; else, in a document
/// that declares one scheme, `SPECGATE_API_KEY`; else `SPECGATE_` and the scheme's name
/// (`appToken` → `SPECGATE_APPTOKEN`), so each secret has a variable of its own.
fn key_env(scheme: &Value, name: &str, document: &Value) -> Option<String> {
    let Some(named) = scheme.get("x-specgate-env") else {
        let declared = document
            .pointer("/components/securitySchemes")
            .and_then(Value::as_object)
            .map_or(0, Map::len);
        if declared <= 1 {
            return Some("SPECGATE_API_KEY".to_owned());
        }
        let suffix: String = name
            .chars()
            .map(|c| match c.is_ascii_alphanumeric() {
                true => c.to_ascii_uppercase(),
                false => '_',
            })
            .collect();
        return Some(format!("SPECGATE_{suffix}"));
    };
    named
        .as_str()
        .filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .map(str::to_owned)
}

/// `[auth]` for one security scheme object, when a case can express it: an API key in a
/// header, a cookie or the query string, HTTP bearer or HTTP basic.
fn draft_auth(scheme: &Value, env: &str) -> Option<DraftAuth> {
    let text = |key: &str| scheme.get(key).and_then(Value::as_str);
    let auth = |scheme: &'static str, name: Option<(&'static str, String)>| DraftAuth {
        scheme,
        name,
        note: None,
        env: env.to_owned(),
        client: None,
    };
    let name = |place: &'static str| Some((place, text("name")?.to_owned()));
    match (
        text(super::field::SCHEME_TYPE)?,
        text("in"),
        text("scheme").map(str::to_ascii_lowercase),
    ) {
        ("apiKey", Some("header"), _) => {
            let header = text("name")?;
            // The case loader refuses a header name HTTP does not allow.
            http::HeaderName::from_bytes(header.as_bytes()).ok()?;
            Some(auth("api-key", name("header")))
        }
        ("apiKey", Some("cookie"), _) => Some(auth("cookie", name("cookie"))),
        ("apiKey", Some("query"), _) => Some(auth("query", name("query"))),
        ("http", _, Some(s)) if s == "bearer" => Some(auth("bearer", None)),
        ("http", _, Some(s)) if s == "basic" => Some(auth("basic", None)),
        _ => None,
    }
}

/// An OAuth2 or OpenID Connect scheme of a requirement whose flow specgate does not run.
struct Token {
    name: String,
    kind: &'static str,
    scopes: Vec<String>,
    env: String,
}

impl Token {
    fn of(scheme: &Value, name: &str, scopes: &Value, env: &str) -> Option<Token> {
        let kind = match scheme
            .get(super::field::SCHEME_TYPE)
            .and_then(Value::as_str)?
        {
            "oauth2" => "OAuth2",
            "openIdConnect" => "OpenID Connect",
            _ => return None,
        };
        let scopes = scopes
            .as_array()
            .map(|list| {
                list.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        Some(Token {
            name: name.to_owned(),
            kind,
            scopes,
            env: env.to_owned(),
        })
    }
}

/// `[auth]` for the OAuth2 and OpenID Connect schemes of one requirement: specgate does not
/// run their flows, but the access token they give is sent as a bearer token (RFC 6750), so
/// a person who has one can test with it. Several such schemes required together (Google's
/// `Oauth2` + `Oauth2c`) all travel in the one `Authorization` header, so one token must
/// satisfy them all: it is read from the first one's variable and must hold every scope.
/// Which operations a scope opens is not checked.
fn token_auth(tokens: Vec<Token>) -> Option<DraftAuth> {
    let first = tokens.first()?;
    let schemes: Vec<String> = tokens
        .iter()
        .map(|t| format!("`{}` is {}", t.name, t.kind))
        .collect();
    let mut scopes: Vec<&str> = Vec::new();
    for scope in tokens.iter().flat_map(|t| &t.scopes) {
        if !scopes.contains(&scope.as_str()) {
            scopes.push(scope);
        }
    }
    let scopes = match scopes.is_empty() {
        true => String::new(),
        false => format!(" with the scopes {}", scopes.join(", ")),
    };
    let (flow, one) = match tokens.len() {
        1 => ("its flow", ""),
        _ => (
            "their flows",
            " (one token for them all: they share the `Authorization` header)",
        ),
    };
    Some(DraftAuth {
        scheme: "bearer",
        name: None,
        note: Some(format!(
            "{}: specgate does not run {flow}. Put an access token{scopes}{one}\n# in the variable below; it is sent as `Authorization: Bearer` (RFC 6750).",
            schemes.join(", ")
        )),
        env: first.env.clone(),
        client: None,
    })
}

/// `[auth]` for OAuth2's client credentials flow, which the run carries out itself: the
/// secret's variable is `env`, the client id's `env` + `_CLIENT_ID`.
fn client_credentials_auth(scheme: &Value, scopes: &Value, env: &str) -> Option<DraftAuth> {
    if scheme
        .get(super::field::SCHEME_TYPE)
        .and_then(Value::as_str)
        != Some("oauth2")
    {
        return None;
    }
    let token_url = scheme
        .pointer("/flows/clientCredentials/tokenUrl")
        .and_then(Value::as_str)?;
    let scopes = scopes
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    Some(DraftAuth {
        scheme: "oauth2-client-credentials",
        name: None,
        note: None,
        env: env.to_owned(),
        client: Some((token_url.to_owned(), format!("{env}_CLIENT_ID"), scopes)),
    })
}

/// Why a security scheme that [`draft_auth`] refuses cannot be expressed.
fn why_not(scheme: &Value) -> String {
    let text = |key: &str| scheme.get(key).and_then(Value::as_str).unwrap_or_default();
    match text(super::field::SCHEME_TYPE) {
        "apiKey" => format!(
            "an API key `in: {}` named `{}`: [auth] sends a key in a header, a cookie or the query string, under a name HTTP allows",
            text("in"),
            text("name")
        ),
        "http" => format!("HTTP `{}`: [auth] knows bearer and basic only", text("scheme")),
        "oauth2" | "openIdConnect" | "mutualTLS" => {
            format!("`{}`: [auth] cannot obtain tokens or client certificates", text(super::field::SCHEME_TYPE))
        }
        other => format!("type `{other}`: not a scheme [auth] knows"),
    }
}

/// A response's media types when it documents a body and none of them is JSON; empty
/// otherwise (a JSON body is checked against its schema).
fn other_media(response: &Value) -> Vec<String> {
    let Some(Value::Object(content)) = response.get("content") else {
        return Vec::new();
    };
    if content.keys().any(|m| is_json(m)) {
        return Vec::new();
    }
    content.keys().cloned().collect()
}

fn is_json(media: &str) -> bool {
    let media = media
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    media == "application/json" || media.ends_with("+json")
}

/// `listPets` → `list-pets`, `GET /pets/{id}` → `get-pets-id`: lower-case, digits, `-`.
fn case_name(operation_id: &str) -> String {
    let mut name = String::new();
    let mut previous_lower = false;
    for c in operation_id.chars() {
        if c.is_ascii_uppercase() && previous_lower {
            name.push('-');
        }
        if c.is_ascii_alphanumeric() {
            name.push(c.to_ascii_lowercase());
        } else if !name.ends_with('-') && !name.is_empty() {
            name.push('-');
        }
        previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
    }
    let trimmed = name.trim_matches('-').to_owned();
    if trimmed.is_empty() {
        "operation".to_owned()
    } else {
        trimmed
    }
}

/// `[expect]` from the documented statuses: valid = the 2xx ones, invalid = the 4xx ones
/// but 401/403, unauthorized = 401/403; each class falls back to its range when none is
/// documented.
fn expectations(responses: &[DraftResponse]) -> [Vec<String>; 3] {
    let codes: Vec<String> = responses
        .iter()
        .map(|r| r.status.to_ascii_lowercase())
        .collect();
    let pick = |keep: &dyn Fn(&str) -> bool, fallback: &[&str]| {
        let picked: Vec<String> = codes.iter().filter(|c| keep(c)).cloned().collect();
        if picked.is_empty() {
            fallback.iter().map(|s| (*s).to_owned()).collect()
        } else {
            picked
        }
    };
    let auth = |c: &str| c == "401" || c == "403";
    [
        pick(&|c| c.starts_with('2'), &["2xx"]),
        pick(&|c| c.starts_with('4') && !auth(c), &["4xx"]),
        pick(&auth, &["401", "403"]),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_names_are_plain_identifiers() {
        assert_eq!(case_name("listPets"), "list-pets");
        assert_eq!(case_name("post/pets/{petId}"), "post-pets-pet-id");
        assert_eq!(
            case_name("createUsersWithArrayInput"),
            "create-users-with-array-input"
        );
        assert_eq!(case_name("__"), "operation");
    }

    #[test]
    fn api_keys_in_a_header_a_cookie_or_the_query_bearer_and_basic_are_sent() {
        let auth = |scheme: Value| draft_auth(&scheme, "K").map(|a| (a.scheme, a.name));
        let named = |place: &'static str, name: &str| Some((place, name.to_owned()));
        assert_eq!(
            auth(serde_json::json!({"type": "apiKey", "in": "query", "name": "key"})),
            Some(("query", named("query", "key")))
        );
        assert_eq!(
            auth(serde_json::json!({"type": "apiKey", "in": "header", "name": "X-Key"})),
            Some(("api-key", named("header", "X-Key")))
        );
        assert_eq!(
            auth(serde_json::json!({"type": "apiKey", "in": "cookie", "name": "sid"})),
            Some(("cookie", named("cookie", "sid")))
        );
        assert_eq!(
            auth(serde_json::json!({"type": "http", "scheme": "Bearer"})),
            Some(("bearer", None))
        );
        let bad_header = serde_json::json!({"type": "apiKey", "in": "header", "name": "a b"});
        assert_eq!(auth(bad_header), None);
        let named = serde_json::json!({"type": "http", "scheme": "basic", "x-specgate-env": "ORDERS_TOKEN"});
        let one = serde_json::json!({"components": {"securitySchemes": {"a": {}}}});
        let two = serde_json::json!({"components": {"securitySchemes": {"a": {}, "b": {}}}});
        assert_eq!(key_env(&named, "a", &two).as_deref(), Some("ORDERS_TOKEN"));
        let bad = serde_json::json!({"x-specgate-env": "A-B"});
        assert_eq!(key_env(&bad, "a", &one), None);
        let plain = serde_json::json!({});
        assert_eq!(
            key_env(&plain, "a", &one).as_deref(),
            Some("SPECGATE_API_KEY")
        );
        assert_eq!(
            key_env(&plain, "app-Token", &two).as_deref(),
            Some("SPECGATE_APP_TOKEN")
        );
        let digest = serde_json::json!({"type": "http", "scheme": "digest"});
        assert_eq!(auth(digest.clone()), None);
        assert!(why_not(&digest).contains("`digest`"));
        let oauth = serde_json::json!({"type": "oauth2", "flows": {}});
        assert_eq!(auth(oauth.clone()), None);
        assert!(why_not(&oauth).contains("cannot obtain tokens"));
    }

    #[test]
    fn a_parameter_where_the_key_travels_is_the_auths() {
        let auth = draft_auth(
            &serde_json::json!({"type": "apiKey", "in": "header", "name": "X-Key"}),
            "K",
        )
        .unwrap();
        let parameter = |name: &str, location| DraftParameter {
            name: name.to_owned(),
            location,
            required: false,
            schema: Value::Bool(true),
            style: None,
            explode: None,
            content_type: None,
            allow_empty: false,
            example: None,
            link: None,
            at: Location {
                file: "api.yaml".into(),
                pointer: String::new(),
            },
        };
        use crate::contract::wire::Location as In;
        assert!(auth.carries(&parameter("x-key", In::Header)));
        assert!(!auth.carries(&parameter("X-Key", In::Query)));
        assert!(!auth.carries(&parameter("X-Other", In::Header)));
    }

    #[test]
    fn expectations_come_from_documented_statuses() {
        let response = |status: &str| DraftResponse {
            status: status.to_owned(),
            schema: None,
            headers: Vec::new(),
            media: Vec::new(),
        };
        let responses = vec![
            response("201"),
            response("400"),
            response("401"),
            response("default"),
        ];
        let [valid, invalid, unauthorized] = expectations(&responses);
        assert_eq!(valid, ["201"]);
        assert_eq!(invalid, ["400"]);
        assert_eq!(unauthorized, ["401"]);
        let [valid, invalid, unauthorized] = expectations(&[response("2XX")]);
        assert_eq!(
            (valid, invalid),
            (vec!["2xx".to_owned()], vec!["4xx".to_owned()])
        );
        assert_eq!(unauthorized, ["401", "403"]);
    }
}
