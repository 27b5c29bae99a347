//! The request on the wire: parameters (path, query, header, cookie) with OpenAPI's
//! serialisation styles, and the request body's media types.
//!
//! An operation with parameters, or without a body, is generated as one JSON document, the
//! *envelope*: `{"path": {..}, "query": {..}, "header": {..}, "cookie": {..}, "body": ..}`.
//! Its schema ([`RequestShape::envelope_schema`]) is made of the parameters' and the body's
//! schemas, so every enum value, boundary and broken constraint of a parameter comes from the
//! same machinery as the body's. [`RequestShape::encode`] turns an envelope into the target
//! and headers a client sends; [`RequestShape::decode`] reads a received request back into an
//! envelope (the sandbox's side). A value whose round trip changes it (an integer sent where a
//! string is documented reads back as a valid string) is not what it claims, and the generator
//! drops it; a value that cannot be sent at all (a `/`-free path segment that is `..`, a
//! header value with a line break) is [`Unsendable`].
//!
//! A parameter serialised as a media type (OpenAPI's `content`, [`Parameter::content_type`])
//! holds its value in the envelope; on the wire it is the value's JSON text (or a string's
//! own text for `text/plain`), encoded as its location encodes a string. Text that is not of
//! that media type (`{`) has no value to hold: an envelope gives it under [`RAW`], and a
//! received one is [`Unreadable`].

mod form;
mod multipart;
mod types;

pub use form::FieldEncoding;
pub use types::{Style, Unsendable};

use crate::schema::{Index, Keyword};
use form::Form;
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use types::{primitive_text, Types};

/// Everything but RFC 3986's unreserved characters is percent-encoded in a path segment,
/// a query component and a cookie value.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Where a parameter travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Location {
    /// A `{name}` of the path template.
    Path,
    /// The query string.
    Query,
    /// A request header.
    Header,
    /// A cookie.
    Cookie,
}

impl Location {
    /// The name used in case files, OpenAPI and envelope pointers: `path`, `query`, …
    pub fn as_str(self) -> &'static str {
        match self {
            Location::Path => "path",
            Location::Query => "query",
            Location::Header => "header",
            Location::Cookie => "cookie",
        }
    }

    /// Every location, in envelope order.
    pub const ALL: [Location; 4] = [
        Location::Path,
        Location::Query,
        Location::Header,
        Location::Cookie,
    ];

    /// The location named `name`.
    pub fn parse(name: &str) -> Option<Location> {
        Location::ALL.into_iter().find(|l| l.as_str() == name)
    }
}

/// Headers HTTP itself owns: the client's HTTP stack writes them from the request, so a
/// parameter of that name cannot carry a free value (a generated `Content-Length` would
/// contradict the body, a `Host` the URL).
pub const TRANSPORT_HEADERS: [&str; 4] =
    ["content-length", "host", "transfer-encoding", "connection"];

/// Whether a header parameter named `name` is one HTTP itself owns (any case).
pub fn is_transport_header(name: &str) -> bool {
    TRANSPORT_HEADERS
        .iter()
        .any(|h| h.eq_ignore_ascii_case(name))
}

impl Style {
    /// The styles OpenAPI allows in `location`.
    pub fn allowed_in(self, location: Location) -> bool {
        use Style::*;
        match location {
            Location::Path => matches!(self, Simple | Label | Matrix),
            Location::Query => matches!(self, Form | SpaceDelimited | PipeDelimited | DeepObject),
            Location::Header => self == Simple,
            Location::Cookie => self == Form,
        }
    }

    /// The default style of `location`.
    pub fn default_for(location: Location) -> Style {
        match location {
            Location::Path | Location::Header => Style::Simple,
            Location::Query | Location::Cookie => Style::Form,
        }
    }
}

/// What an envelope schema allows for a parameter with known ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ids {
    /// The parameter's own schema: the contract, which every well-formed id satisfies.
    AsDocumented,
    /// Only the known ids: what the planner draws valid requests from, so they name
    /// resources the server has.
    Narrowed,
}

/// Where the valid values of a parameter come from, when the server only knows some.
#[derive(Debug, Clone, PartialEq)]
pub enum IdSource {
    /// These values, written in the case.
    Known(Vec<Value>),
    /// The value at `pointer` in a success response of the operation named `operation`.
    Link {
        /// The producing operation's name.
        operation: String,
        /// A JSON pointer into its success body.
        pointer: String,
    },
    /// A link no case or document declares, inferred from the operations' shapes
    /// (`contract/infer.rs`): the same as `Link`, but a producer that names no id leaves the
    /// parameter's ids invented instead of stopping the run, since the guess may be wrong.
    Inferred {
        /// The producing operation's name.
        operation: String,
        /// Where the ids are in its answer (see `contract::Produced`).
        pointer: String,
    },
    /// A link bound for a run: the ids its producer returned.
    Obtained {
        /// What the producer returned.
        ids: Vec<Value>,
        /// The producing operation's name.
        from: String,
    },
}

impl IdSource {
    /// The ids that name resources the server has, when they are known: written in the
    /// case, or obtained from the producer.
    pub fn ids(&self) -> Option<&[Value]> {
        match self {
            IdSource::Known(ids) | IdSource::Obtained { ids, .. } => Some(ids),
            IdSource::Link { .. } | IdSource::Inferred { .. } => None,
        }
    }

    /// The producer and the pointer of a link, declared or inferred, not yet bound.
    pub fn link(&self) -> Option<(&str, &str)> {
        match self {
            IdSource::Link { operation, pointer } | IdSource::Inferred { operation, pointer } => {
                Some((operation, pointer))
            }
            IdSource::Known(_) | IdSource::Obtained { .. } => None,
        }
    }
}

impl Parameter {
    /// Its place in an envelope, e.g. `/path/orderId`.
    pub fn pointer(&self) -> String {
        format!(
            "/{}/{}",
            self.location.as_str(),
            crate::schema::escape(&self.name)
        )
    }

    /// An id as this parameter's resource is named: a string's text (lower-cased where the
    /// format is case-insensitive, such as `uuid`), any other value's JSON, so the integer
    /// `7` a producer made and the path segment `"7"` a consumer sends are one id.
    pub fn id_key(&self, id: &Value) -> String {
        match id {
            Value::String(text) if self.case_insensitive() => text.to_ascii_lowercase(),
            Value::String(text) => text.clone(),
            other => other.to_string(),
        }
    }

    /// The encoding of its media type, when it is serialised as one.
    pub fn media(&self) -> Option<Media> {
        self.content_type.as_deref().map(Media::of)
    }

    /// Whether `a` and `b` name the same resource (see [`Parameter::id_key`]).
    pub fn same_id(&self, a: &Value, b: &Value) -> bool {
        a == b || self.id_key(a) == self.id_key(b)
    }

    /// Whether ids of this parameter's format differ only in case when they are one id.
    pub fn case_insensitive(&self) -> bool {
        Keyword::Format
            .value_in(&self.schema)
            .and_then(Value::as_str)
            == Some("uuid")
    }

    /// `value` as this parameter reads it back once sent: a producer's integer id linked to
    /// a string parameter is the string of its digits, as a server would see it.
    pub fn as_sent(&self, value: &Value) -> Value {
        if self.media() == Some(Media::Json) {
            return value.clone();
        }
        match (primitive_text(value), Shape::of(&self.schema)) {
            (Some(text), Shape::Primitive(types)) => types.read(&text),
            _ => value.clone(),
        }
    }
}

/// One declared parameter.
#[derive(Debug, Clone)]
pub struct Parameter {
    /// Its name (a header's name as written; headers match case-insensitively).
    pub name: String,
    /// Where it travels.
    pub location: Location,
    /// Whether a request must carry it (path parameters always must).
    pub required: bool,
    /// Its JSON Schema (inline).
    pub schema: Value,
    /// How it is serialised.
    pub style: Style,
    /// OpenAPI's `explode`.
    pub explode: bool,
    /// Where valid values come from; `None`: any value of the schema.
    pub ids: Option<IdSource>,
    /// The media type the value is serialised as (OpenAPI's `content`), in place of `style`
    /// and `explode`: JSON (`application/json`, `+json`) or `text/plain`.
    pub content_type: Option<String>,
    /// OpenAPI's `allowEmptyValue` (query parameters only): an empty value (`name=`) is
    /// valid whatever the schema says.
    pub allow_empty: bool,
}

/// The envelope member that gives a parameter's text as it goes on the wire, in place of a
/// value: `{"raw": {"query": {"filter": "{"}}}` sends `filter=%7B`, text that is not of the
/// parameter's media type. No value reads back as it, so only an invalid request holds it.
pub const RAW: &str = "raw";

/// Why a received request cannot be read as an envelope: where, and what is wrong there.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Unreadable {
    /// The envelope pointer of what cannot be read (`/body`, `/query/filter`).
    pub pointer: String,
    /// What is wrong with it.
    pub message: String,
}

impl Unreadable {
    fn body(message: String) -> Unreadable {
        Unreadable {
            pointer: "/body".to_owned(),
            message,
        }
    }
}

/// The request body's media type, as far as encoding goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Media {
    /// `application/json` and `+json` types.
    Json,
    /// `application/x-www-form-urlencoded`.
    Form,
    /// `multipart/form-data`.
    Multipart,
    /// Anything else: a string body is sent as its text, any other value as JSON text.
    Other,
}

impl Media {
    /// The encoding of `content_type`.
    pub fn of(content_type: &str) -> Media {
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        if essence == "application/json" || essence.ends_with("+json") {
            Media::Json
        } else if essence == "application/x-www-form-urlencoded" {
            Media::Form
        } else if essence == "multipart/form-data" {
            Media::Multipart
        } else {
            Media::Other
        }
    }
}

/// The boundary of multipart bodies specgate sends: fixed, so plans are reproducible.
pub const MULTIPART_BOUNDARY: &str = "specgate-boundary-7MA4YWxkTrZu0gW";

/// A request ready for the wire, relative to the base URL.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WireRequest {
    /// The path (percent-encoded) and, when there is one, `?` and the query.
    pub target: String,
    /// Header parameters and the `cookie` header, in declaration order.
    pub headers: Vec<(String, String)>,
    /// The body's bytes and its content type; `None`: no body.
    pub body: Option<(Vec<u8>, String)>,
}

#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Literal(String),
    Param(String),
}

/// `text` (a parameter's or a header's, as `simple` style sends it) as the JSON value the
/// `type` (or `enum`) of `schema` describes; text when it does not parse as that type, so
/// the schema reports the mismatch.
pub fn read_typed(schema: &Value, text: &str) -> Value {
    Types::of(schema).read(text)
}

/// How a parameter's value is shaped, for reading it back.
#[derive(Debug, Clone)]
enum Shape {
    Primitive(Types),
    Array(Types),
    Object(Vec<(String, Types)>, Types),
}

impl Shape {
    /// The shape of a schema read alone (a parameter's, a body's document), `$ref`s followed
    /// to wherever they land in it: a `$ref`ed form field reads as its inlined copy would.
    fn of(schema: &Value) -> Shape {
        let index = Index::new(schema);
        let Some(at) = index.follow(schema, "") else {
            return Shape::Primitive(Types::default());
        };
        let types = Types::at(schema, &index, &at);
        let node = schema.pointer(&at).unwrap_or(&Value::Null);
        if types.has("array") {
            let items = Keyword::Items
                .value_in(node)
                .map(|_| Types::at(schema, &index, &Keyword::Items.pointer(&at)))
                .unwrap_or_default();
            Shape::Array(items)
        } else if types.has("object") {
            let properties = Keyword::Properties
                .value_in(node)
                .and_then(Value::as_object)
                .map(|p| {
                    p.keys()
                        .map(|k| {
                            let pointer = Keyword::Properties.member_pointer(&at, k);
                            (k.clone(), Types::at(schema, &index, &pointer))
                        })
                        .collect()
                })
                .unwrap_or_default();
            let rest = match Keyword::AdditionalProperties.value_in(node) {
                Some(Value::Object(_)) => {
                    Types::at(schema, &index, &Keyword::AdditionalProperties.pointer(&at))
                }
                _ => Types::default(),
            };
            Shape::Object(properties, rest)
        } else {
            Shape::Primitive(types)
        }
    }

    /// A body of a media type other than JSON or a form, as [`encode_body`] sends it: its
    /// text when the schema admits a string; otherwise the value the text is JSON of, since
    /// a value that is not a string goes as its JSON text (a document that gives
    /// `text/plain` an object schema, or no type); text when it is not JSON, so the schema
    /// reports the mismatch.
    fn read_other_body(&self, text: &str) -> Value {
        let as_text = matches!(self, Shape::Primitive(types) if types.has("string"));
        if as_text {
            return Value::String(text.to_owned());
        }
        serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()))
    }

    /// The types of field `name` of an object shape; `None` for any other shape.
    fn field_types(&self, name: &str) -> Option<Types> {
        match self {
            Shape::Object(properties, rest) => Some(
                properties
                    .iter()
                    .find(|(n, _)| n == name)
                    .map_or(rest, |(_, t)| t)
                    .clone(),
            ),
            _ => None,
        }
    }

    fn read_object_value(&self, key: &str, text: &str) -> Value {
        match self {
            Shape::Object(properties, rest) => properties
                .iter()
                .find(|(name, _)| name == key)
                .map_or(rest, |(_, types)| types)
                .read(text),
            _ => Value::String(text.to_owned()),
        }
    }
}

/// The request body as the wire shape sees it.
#[derive(Debug, Clone)]
pub struct BodyShape {
    /// Its content type, as sent.
    pub content_type: String,
    /// Whether a request must carry one.
    pub required: bool,
    media: Media,
    shape: Shape,
    /// A form's codec, for a form body.
    form: Option<Form>,
}

impl BodyShape {
    /// A body of `content_type` with `schema`; a form's fields in the default encoding.
    pub fn new(content_type: &str, required: bool, schema: &Value) -> BodyShape {
        BodyShape::encoded(content_type, required, schema, BTreeMap::new())
    }

    /// A body of `content_type` with `schema`, a form's fields serialised as `encoding` says
    /// (OpenAPI's `encoding` object: a field not named is `form`, exploded).
    pub fn encoded(
        content_type: &str,
        required: bool,
        schema: &Value,
        encoding: BTreeMap<String, FieldEncoding>,
    ) -> BodyShape {
        let media = Media::of(content_type);
        BodyShape {
            content_type: content_type.to_owned(),
            required,
            media,
            shape: Shape::of(schema),
            form: (media == Media::Form).then(|| Form::new(schema, encoding)),
        }
    }
}

/// The request side of an operation: its path template, parameters and body.
#[derive(Debug, Clone)]
pub struct RequestShape {
    template: Vec<Piece>,
    parameters: Vec<(Parameter, Shape)>,
    body: Option<BodyShape>,
}

impl RequestShape {
    /// The shape of a request to `path` (a template with `{name}`s) with these parameters and
    /// body. Fails when the template and the path parameters disagree.
    pub fn new(
        path: &str,
        parameters: Vec<Parameter>,
        body: Option<BodyShape>,
    ) -> Result<RequestShape, String> {
        let template = parse_template(path)?;
        for piece in &template {
            if let Piece::Param(name) = piece {
                let declared = parameters
                    .iter()
                    .any(|p| p.location == Location::Path && &p.name == name);
                if !declared {
                    return Err(format!(
                        "the path template names `{{{name}}}` but no path parameter `{name}` is declared"
                    ));
                }
            }
        }
        for parameter in parameters.iter().filter(|p| p.location == Location::Path) {
            if !template.contains(&Piece::Param(parameter.name.clone())) {
                return Err(format!(
                    "the path parameter `{}` does not appear in the path template",
                    parameter.name
                ));
            }
        }
        let parameters = parameters
            .into_iter()
            .map(|p| {
                let shape = Shape::of(&p.schema);
                (p, shape)
            })
            .collect();
        Ok(RequestShape {
            template,
            parameters,
            body,
        })
    }

    /// The declared parameters, in order.
    pub fn parameters(&self) -> impl Iterator<Item = &Parameter> {
        self.parameters.iter().map(|(p, _)| p)
    }

    /// The body, when the operation has one.
    pub fn body(&self) -> Option<&BodyShape> {
        self.body.as_ref()
    }

    /// Whether `path` (percent-encoded, relative to the base URL) fits the template.
    pub fn matches_path(&self, path: &str) -> bool {
        match_template(&self.template, path).is_some()
    }

    /// The literal characters of the template: routers prefer the most specific template.
    pub fn literal_len(&self) -> usize {
        self.template
            .iter()
            .map(|p| match p {
                Piece::Literal(text) => text.len(),
                Piece::Param(_) => 0,
            })
            .sum()
    }

    /// The schema of a whole request as one document (see the module comment). `body` is the
    /// body's schema, embedded with its `$ref`s rewritten to point at their new place.
    /// `ids` says what an id parameter (one with known ids) allows: the contract's view,
    /// [`Ids::AsDocumented`], or the planner's, [`Ids::Narrowed`] to the ids the run has.
    pub fn envelope_schema(&self, body: Option<&Value>, ids: Ids) -> Value {
        let mut properties = Map::new();
        let mut required = Vec::new();
        for location in Location::ALL {
            let declared: Vec<&Parameter> = self
                .parameters()
                .filter(|p| p.location == location)
                .collect();
            if declared.is_empty() {
                continue;
            }
            let mut part = Map::new();
            let mut part_required = Vec::new();
            let at = Keyword::Properties.member_pointer("", location.as_str());
            for parameter in declared {
                let pointer = Keyword::Properties.member_pointer(&at, &parameter.name);
                let mut schema = match (&parameter.ids, ids) {
                    // The planner names only the ids the server has (each checked against the
                    // schema when the case loads); to the contract, any well-formed id is
                    // valid, and one the server does not have is an unknown id, not an
                    // invalid request.
                    (Some(source), Ids::Narrowed) if source.ids().is_some() => {
                        serde_json::json!({ (Keyword::Enum.name()): source.ids() })
                    }
                    // An empty value, read back as the empty string, is valid besides the
                    // schema's values.
                    _ if parameter.allow_empty => {
                        let first = format!("{}/0", Keyword::AnyOf.pointer(&pointer));
                        serde_json::json!({ (Keyword::AnyOf.name()): [
                            crate::schema::embed(&parameter.schema, &first),
                            { (Keyword::Const.name()): "" },
                        ] })
                    }
                    _ => crate::schema::embed(&parameter.schema, &pointer),
                };
                // JSON text is never empty, whatever the value.
                if location == Location::Path && parameter.media() != Some(Media::Json) {
                    non_empty(&mut schema);
                }
                part.insert(parameter.name.clone(), schema);
                if parameter.required {
                    part_required.push(Value::String(parameter.name.clone()));
                }
            }
            let mut object = serde_json::json!({
                (Keyword::Type.name()): "object",
                (Keyword::Properties.name()): part,
                (Keyword::AdditionalProperties.name()): false,
            });
            if !part_required.is_empty() {
                object[Keyword::Required.name()] = Value::Array(part_required);
            }
            properties.insert(location.as_str().to_owned(), object);
            required.push(Value::String(location.as_str().to_owned()));
        }
        if let (Some(shape), Some(schema)) = (&self.body, body) {
            let at = Keyword::Properties.member_pointer("", "body");
            properties.insert("body".to_owned(), crate::schema::embed(schema, &at));
            if shape.required {
                required.push(Value::String("body".to_owned()));
            }
        }
        serde_json::json!({
            (Keyword::Schema.name()): crate::schema::DRAFT_2020_12,
            (Keyword::Type.name()): "object",
            (Keyword::Properties.name()): properties,
            (Keyword::Required.name()): required,
            (Keyword::AdditionalProperties.name()): false,
        })
    }

    /// The request an envelope describes.
    pub fn encode(&self, envelope: &Value) -> Result<WireRequest, Unsendable> {
        let envelope = envelope
            .as_object()
            .ok_or_else(|| Unsendable("the request is not an object".to_owned()))?;
        let part = |location: Location| -> Result<Option<&Map<String, Value>>, Unsendable> {
            match envelope.get(location.as_str()) {
                None => Ok(None),
                Some(Value::Object(map)) => Ok(Some(map)),
                Some(_) => Err(Unsendable(format!(
                    "`{}` is not an object",
                    location.as_str()
                ))),
            }
        };
        let raw = match envelope.get(RAW) {
            None => None,
            Some(Value::Object(map)) => Some(map),
            Some(_) => return Err(Unsendable(format!("`{RAW}` is not an object"))),
        };
        let given = |location: Location| -> Result<Values<'_>, Unsendable> {
            Ok(Values {
                values: part(location)?,
                raw: raw
                    .and_then(|r| r.get(location.as_str()))
                    .and_then(Value::as_object),
            })
        };
        let mut request = WireRequest {
            target: self.encode_path(given(Location::Path)?)?,
            ..WireRequest::default()
        };
        let query = self.encode_query(given(Location::Query)?)?;
        if !query.is_empty() {
            request.target.push('?');
            request.target.push_str(&query);
        }
        request.headers = self.encode_headers(given(Location::Header)?)?;
        let cookies = self.encode_cookies(given(Location::Cookie)?)?;
        if !cookies.is_empty() {
            request.headers.push(("cookie".to_owned(), cookies));
        }
        if let Some(body) = envelope.get("body") {
            let shape = self
                .body
                .as_ref()
                .ok_or_else(|| Unsendable("the operation takes no body".to_owned()))?;
            request.body = Some((encode_body(shape, body)?, content_type_of(shape)));
        }
        Ok(request)
    }

    fn declared(&self, location: Location) -> impl Iterator<Item = &(Parameter, Shape)> {
        self.parameters
            .iter()
            .filter(move |(p, _)| p.location == location)
    }

    fn encode_path(&self, given: Values<'_>) -> Result<String, Unsendable> {
        let mut path = String::new();
        for piece in &self.template {
            match piece {
                Piece::Literal(text) => path.push_str(text),
                Piece::Param(name) => {
                    let (parameter, _) = self
                        .declared(Location::Path)
                        .find(|(p, _)| &p.name == name)
                        .ok_or_else(|| Unsendable(format!("`{name}` is not declared")))?;
                    let text = given.text(parameter, Separator::Path)?.ok_or_else(|| {
                        Unsendable(format!("the path parameter `{name}` has no value"))
                    })?;
                    if text.is_empty() || text == "." || text == ".." {
                        return Err(Unsendable(format!(
                            "the path parameter `{name}` would be the segment `{text}`"
                        )));
                    }
                    path.push_str(&text);
                }
            }
        }
        Ok(path)
    }

    fn encode_query(&self, given: Values<'_>) -> Result<String, Unsendable> {
        let mut pairs: Vec<String> = Vec::new();
        for (parameter, _) in self.declared(Location::Query) {
            if let Some(text) = given.text(parameter, Separator::Query)? {
                pairs.push(text);
            }
        }
        Ok(pairs.join("&"))
    }

    fn encode_headers(&self, given: Values<'_>) -> Result<Vec<(String, String)>, Unsendable> {
        let mut headers = Vec::new();
        for (parameter, _) in self.declared(Location::Header) {
            if let Some(text) = given.text(parameter, Separator::Header)? {
                let clean = text.bytes().all(|b| (0x20..0x7f).contains(&b)) && text.trim() == text;
                if !clean {
                    return Err(Unsendable(format!(
                        "the header `{}` cannot carry {text:?} (visible ASCII only, no surrounding spaces)",
                        parameter.name
                    )));
                }
                headers.push((parameter.name.to_ascii_lowercase(), text));
            }
        }
        Ok(headers)
    }

    fn encode_cookies(&self, given: Values<'_>) -> Result<String, Unsendable> {
        let mut pairs = Vec::new();
        for (parameter, _) in self.declared(Location::Cookie) {
            if let Some(text) = given.text(parameter, Separator::Query)? {
                pairs.push(text);
            }
        }
        Ok(pairs.join("; "))
    }

    /// The envelope of a received request: `path` percent-encoded and relative to the base
    /// URL, `query` without its `?`, `header` looks a header up by its lower-case name, `body`
    /// the body's bytes (empty: no body). Parameters not declared are left out, as a server
    /// ignores them. `None` when the path does not fit the template; [`Unreadable`] when the
    /// body, or a parameter serialised as a media type, is not of its media type.
    pub fn decode(
        &self,
        path: &str,
        query: Option<&str>,
        header: &dyn Fn(&str) -> Option<String>,
        body: &[u8],
    ) -> Option<Result<Value, Unreadable>> {
        let captured = match_template(&self.template, path)?;
        let mut envelope = Map::new();
        let pairs: Vec<(String, String)> = query.map(query_pairs).unwrap_or_default();
        let cookies: Vec<(String, String)> = header("cookie")
            .map(|c| cookie_pairs(&c))
            .unwrap_or_default();
        for location in Location::ALL {
            let mut part = Map::new();
            let mut any = false;
            for (parameter, shape) in self.declared(location) {
                any = true;
                if let Some(media) = parameter.media() {
                    let text = match location {
                        Location::Path => captured
                            .iter()
                            .find(|(name, _)| name == &parameter.name)
                            .map(|(_, raw)| unescape(raw)),
                        Location::Query => own_text(parameter, &pairs),
                        Location::Header => header(&parameter.name.to_ascii_lowercase()),
                        Location::Cookie => own_text(parameter, &cookies),
                    };
                    if let Some(text) = text {
                        match read_media(media, shape, &text) {
                            Ok(value) => {
                                part.insert(parameter.name.clone(), value);
                            }
                            Err(problem) => {
                                return Some(Err(Unreadable {
                                    pointer: parameter.pointer(),
                                    message: format!(
                                        "the {} parameter `{}` {problem}",
                                        location.as_str(),
                                        parameter.name
                                    ),
                                }))
                            }
                        }
                    }
                    continue;
                }
                let value = match location {
                    Location::Path => captured
                        .iter()
                        .find(|(name, _)| name == &parameter.name)
                        .map(|(_, raw)| read_path(parameter, shape, raw)),
                    Location::Query => read_query(parameter, shape, &pairs),
                    Location::Header => header(&parameter.name.to_ascii_lowercase())
                        .map(|text| read_simple(shape, &text, parameter.explode)),
                    Location::Cookie => read_query(parameter, shape, &cookies),
                };
                if let Some(value) = value {
                    part.insert(parameter.name.clone(), value);
                }
            }
            if any {
                envelope.insert(location.as_str().to_owned(), Value::Object(part));
            }
        }
        if !body.is_empty() {
            let decoded = match &self.body {
                Some(shape) => decode_body(shape, body, header("content-type").as_deref()),
                None => Err("the operation takes no body, but the request has one".to_owned()),
            };
            match decoded {
                Ok(value) => {
                    envelope.insert("body".to_owned(), value);
                }
                Err(problem) => return Some(Err(Unreadable::body(problem))),
            }
        }
        Some(Ok(Value::Object(envelope)))
    }

    /// `envelope` sent and read back: what a faithful server sees. `None` when it cannot be
    /// sent.
    pub fn round_trip(&self, envelope: &Value) -> Option<Value> {
        let wire = self.encode(envelope).ok()?;
        let (path, query) = match wire.target.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (wire.target.as_str(), None),
        };
        let header = |name: &str| {
            let sent = wire.headers.iter().find(|(n, _)| n == name);
            let body_type = wire.body.as_ref().filter(|_| name == "content-type");
            sent.map(|(_, v)| v.clone())
                .or_else(|| body_type.map(|(_, t)| t.clone()))
        };
        let body = wire.body.as_ref().map_or(&[][..], |(bytes, _)| bytes);
        // An empty body reads back as none: only an envelope without one round-trips.
        if wire
            .body
            .as_ref()
            .is_some_and(|(bytes, _)| bytes.is_empty())
        {
            return None;
        }
        self.decode(path, query, &header, body)?.ok()
    }
}

fn content_type_of(shape: &BodyShape) -> String {
    match shape.media {
        Media::Multipart => format!("multipart/form-data; boundary={MULTIPART_BOUNDARY}"),
        _ => shape.content_type.clone(),
    }
}

fn parse_template(path: &str) -> Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        let close = rest[open..]
            .find('}')
            .map(|c| open + c)
            .ok_or_else(|| format!("the path template `{path}` has an unclosed `{{`"))?;
        if open > 0 {
            pieces.push(Piece::Literal(rest[..open].to_owned()));
        }
        let name = &rest[open + 1..close];
        if name.is_empty() || name.contains(['{', '/']) {
            return Err(format!(
                "the path template `{path}` has an empty or broken `{{}}`"
            ));
        }
        if matches!(pieces.last(), Some(Piece::Param(_))) {
            return Err(format!(
                "the path template `{path}` has two parameters with nothing between them"
            ));
        }
        pieces.push(Piece::Param(name.to_owned()));
        rest = &rest[close + 1..];
    }
    if rest.contains('}') {
        return Err(format!(
            "the path template `{path}` has a `}}` without `{{`"
        ));
    }
    if !rest.is_empty() {
        pieces.push(Piece::Literal(rest.to_owned()));
    }
    Ok(pieces)
}

/// The raw (still percent-encoded) value of each path parameter, when `path` fits.
fn match_template(template: &[Piece], path: &str) -> Option<Vec<(String, String)>> {
    let mut captured = Vec::new();
    let mut rest = path;
    for (index, piece) in template.iter().enumerate() {
        match piece {
            Piece::Literal(text) => rest = rest.strip_prefix(text.as_str())?,
            Piece::Param(name) => {
                let segment_end = rest.find('/').unwrap_or(rest.len());
                // A parameter ends at its segment's end, or where the next literal's text
                // before its first `/` starts in that segment (`{name}.{ext}`).
                let end = match template.get(index + 1) {
                    Some(Piece::Literal(next)) => {
                        let head = next.split('/').next().unwrap_or_default();
                        if head.is_empty() {
                            segment_end
                        } else {
                            rest[..segment_end].rfind(head).unwrap_or(segment_end)
                        }
                    }
                    _ => segment_end,
                };
                if end == 0 {
                    return None;
                }
                captured.push((name.clone(), rest[..end].to_owned()));
                rest = &rest[end..];
            }
        }
    }
    rest.is_empty().then_some(captured)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Separator {
    Path,
    Query,
    Header,
}

fn escape(text: &str, separator: Separator) -> String {
    match separator {
        Separator::Header => text.to_owned(),
        _ => utf8_percent_encode(text, COMPONENT).to_string(),
    }
}

fn unescape(text: &str) -> String {
    percent_decode_str(text).decode_utf8_lossy().into_owned()
}

/// One location's part of an envelope: its values, and the raw texts given in place of some.
#[derive(Clone, Copy)]
struct Values<'a> {
    values: Option<&'a Map<String, Value>>,
    raw: Option<&'a Map<String, Value>>,
}

impl Values<'_> {
    /// `parameter` as it goes on the wire: the raw text given for it, else its value
    /// serialised (as its media type, or in its style); `None` when it has neither.
    fn text(
        &self,
        parameter: &Parameter,
        separator: Separator,
    ) -> Result<Option<String>, Unsendable> {
        if let Some(raw) = self.raw.and_then(|r| r.get(&parameter.name)) {
            let text = raw.as_str().ok_or_else(|| {
                Unsendable(format!("the raw text of `{}` is not text", parameter.name))
            })?;
            return Ok(Some(placed(parameter, text, separator)));
        }
        let Some(value) = self.values.and_then(|v| v.get(&parameter.name)) else {
            return Ok(None);
        };
        match parameter.media() {
            Some(media) => Ok(Some(placed(
                parameter,
                &media_text(media, value)?,
                separator,
            ))),
            None => serialise(parameter, value, separator).map(Some),
        }
    }
}

/// `value` as text of `media`: its JSON text, or a string's own text for another media
/// type (`text/plain`), any other value's JSON text, as a body of that type is sent.
fn media_text(media: Media, value: &Value) -> Result<String, Unsendable> {
    match (media, value) {
        (Media::Json, value) => serde_json::to_string(value).map_err(|e| Unsendable(e.to_string())),
        (_, Value::String(text)) => Ok(text.clone()),
        (_, other) => Ok(other.to_string()),
    }
}

/// `text` where `parameter`'s location puts a string: a percent-encoded path segment, a
/// percent-encoded `name=text` query or cookie pair, a header value as it is.
fn placed(parameter: &Parameter, text: &str, separator: Separator) -> String {
    match separator {
        Separator::Query => format!(
            "{}={}",
            escape(&parameter.name, separator),
            escape(text, separator)
        ),
        Separator::Path | Separator::Header => escape(text, separator),
    }
}

fn primitives(values: &[Value], name: &str) -> Result<Vec<String>, Unsendable> {
    values
        .iter()
        .map(|v| {
            primitive_text(v)
                .ok_or_else(|| Unsendable(format!("`{name}` holds a nested array or object: {v}")))
        })
        .collect()
}

/// `value` serialised for `parameter`: a path segment, a header value, or whole `name=value`
/// query pairs (joined with `&`).
fn serialise(
    parameter: &Parameter,
    value: &Value,
    separator: Separator,
) -> Result<String, Unsendable> {
    let name = &parameter.name;
    let esc = |text: &str| escape(text, separator);
    let pair = |text: &str| format!("{}={}", esc(name), text);
    let style = parameter.style;
    let explode = parameter.explode;
    Ok(match value {
        Value::Array(items) => {
            let texts: Vec<String> = primitives(items, name)?.iter().map(|t| esc(t)).collect();
            match (style, explode) {
                (Style::Simple, _) => texts.join(","),
                (Style::Label, false) => format!(".{}", texts.join(",")),
                (Style::Label, true) => texts.iter().map(|t| format!(".{t}")).collect(),
                (Style::Matrix, false) => format!(";{}={}", esc(name), texts.join(",")),
                (Style::Matrix, true) => texts
                    .iter()
                    .map(|t| format!(";{}={t}", esc(name)))
                    .collect(),
                (Style::Form, true) => {
                    if texts.is_empty() {
                        return Err(Unsendable(format!(
                            "an empty array cannot be sent as exploded `{name}`"
                        )));
                    }
                    let glue = if separator == Separator::Query {
                        "&"
                    } else {
                        "; "
                    };
                    texts.iter().map(|t| pair(t)).collect::<Vec<_>>().join(glue)
                }
                (Style::Form, false) => pair(&texts.join(",")),
                (Style::SpaceDelimited, _) => pair(&texts.join("%20")),
                (Style::PipeDelimited, _) => pair(&texts.join("|")),
                (Style::DeepObject, _) => {
                    return Err(Unsendable(format!("deepObject `{name}` needs an object")))
                }
            }
        }
        Value::Object(map) => {
            let mut entries = Vec::new();
            for (key, v) in map {
                let text = primitive_text(v)
                    .ok_or_else(|| Unsendable(format!("`{name}.{key}` is nested")))?;
                entries.push((esc(key), esc(&text)));
            }
            let joined = |kv: &str, glue: &str| {
                entries
                    .iter()
                    .map(|(k, v)| format!("{k}{kv}{v}"))
                    .collect::<Vec<_>>()
                    .join(glue)
            };
            match (style, explode) {
                (Style::Simple, false) => joined(",", ","),
                (Style::Simple, true) => joined("=", ","),
                (Style::Label, false) => format!(".{}", joined(",", ",")),
                (Style::Label, true) => format!(".{}", joined("=", ".")),
                (Style::Matrix, false) => format!(";{}={}", esc(name), joined(",", ",")),
                (Style::Matrix, true) => format!(";{}", joined("=", ";")),
                (Style::Form, true) => {
                    if entries.is_empty() {
                        return Err(Unsendable(format!(
                            "an empty object cannot be sent as exploded `{name}`"
                        )));
                    }
                    joined("=", "&")
                }
                (Style::Form, false) => pair(&joined(",", ",")),
                (Style::DeepObject, _) => {
                    if entries.is_empty() {
                        return Err(Unsendable(format!(
                            "an empty object cannot be sent as deepObject `{name}`"
                        )));
                    }
                    entries
                        .iter()
                        .map(|(k, v)| format!("{}%5B{k}%5D={v}", esc(name)))
                        .collect::<Vec<_>>()
                        .join("&")
                }
                _ => {
                    return Err(Unsendable(format!(
                        "an object cannot be sent as `{name}` in this style"
                    )))
                }
            }
        }
        primitive => {
            let text = esc(&primitive_text(primitive).unwrap_or_default());
            match style {
                Style::Label => format!(".{text}"),
                Style::Matrix => format!(";{}={text}", esc(name)),
                Style::Simple => text,
                _ => pair(&text),
            }
        }
    })
}

fn read_list(shape: &Shape, parts: &[String]) -> Value {
    match shape {
        Shape::Array(items) => Value::Array(parts.iter().map(|p| items.read(p)).collect()),
        Shape::Object(..) => {
            let mut map = Map::new();
            for chunk in parts.chunks(2) {
                if let [key, value] = chunk {
                    map.insert(key.clone(), shape.read_object_value(key, value));
                }
            }
            Value::Object(map)
        }
        Shape::Primitive(types) => types.read(&parts.join(",")),
    }
}

fn read_pairs_object(shape: &Shape, parts: &[(String, String)]) -> Value {
    let mut map = Map::new();
    for (key, value) in parts {
        map.insert(key.clone(), shape.read_object_value(key, value));
    }
    Value::Object(map)
}

/// A simple-style text (path segment after unescaping pieces, header value).
fn read_simple(shape: &Shape, text: &str, explode: bool) -> Value {
    match shape {
        Shape::Primitive(types) => types.read(text),
        Shape::Object(..) if explode => {
            let parts: Vec<(String, String)> = text
                .split(',')
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
            read_pairs_object(shape, &parts)
        }
        _ if text.is_empty() => read_list(shape, &[]),
        _ => {
            let parts: Vec<String> = text.split(',').map(str::to_owned).collect();
            read_list(shape, &parts)
        }
    }
}

fn read_path(parameter: &Parameter, shape: &Shape, raw: &str) -> Value {
    let split_unescape =
        |text: &str, by: char| -> Vec<String> { text.split(by).map(unescape).collect() };
    match parameter.style {
        Style::Label => {
            let body = raw.strip_prefix('.').unwrap_or(raw);
            match shape {
                Shape::Primitive(types) => types.read(&unescape(body)),
                Shape::Object(..) if parameter.explode => {
                    let parts: Vec<(String, String)> = body
                        .split('.')
                        .filter_map(|kv| kv.split_once('='))
                        .map(|(k, v)| (unescape(k), unescape(v)))
                        .collect();
                    read_pairs_object(shape, &parts)
                }
                _ => {
                    let by = if parameter.explode { '.' } else { ',' };
                    read_list(shape, &split_unescape(body, by))
                }
            }
        }
        Style::Matrix => {
            let prefix = format!(";{}=", escape(&parameter.name, Separator::Path));
            match shape {
                Shape::Primitive(types) => {
                    types.read(&unescape(raw.strip_prefix(&prefix).unwrap_or(raw)))
                }
                Shape::Array(_) if parameter.explode => {
                    let parts: Vec<String> = raw
                        .split(';')
                        .skip(1)
                        .filter_map(|kv| kv.split_once('=').map(|(_, v)| unescape(v)))
                        .collect();
                    read_list(shape, &parts)
                }
                Shape::Object(..) if parameter.explode => {
                    let parts: Vec<(String, String)> = raw
                        .split(';')
                        .skip(1)
                        .filter_map(|kv| kv.split_once('='))
                        .map(|(k, v)| (unescape(k), unescape(v)))
                        .collect();
                    read_pairs_object(shape, &parts)
                }
                _ => {
                    let body = raw.strip_prefix(&prefix).unwrap_or(raw);
                    read_list(shape, &split_unescape(body, ','))
                }
            }
        }
        _ => match shape {
            Shape::Primitive(types) => types.read(&unescape(raw)),
            Shape::Object(..) if parameter.explode => {
                let parts: Vec<(String, String)> = raw
                    .split(',')
                    .filter_map(|kv| kv.split_once('='))
                    .map(|(k, v)| (unescape(k), unescape(v)))
                    .collect();
                read_pairs_object(shape, &parts)
            }
            _ => read_list(shape, &split_unescape(raw, ',')),
        },
    }
}

fn query_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) => (k.to_owned(), v.to_owned()),
            None => (pair.to_owned(), String::new()),
        })
        .collect()
}

fn cookie_pairs(header: &str) -> Vec<(String, String)> {
    header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// The text of a query (or cookie) parameter sent as a media type: its last pair's value,
/// percent-decoded.
fn own_text(parameter: &Parameter, pairs: &[(String, String)]) -> Option<String> {
    let name = escape(&parameter.name, Separator::Query);
    pairs
        .iter()
        .rev()
        .find(|(k, _)| *k == name)
        .map(|(_, v)| unescape(v))
}

/// A parameter's text read as its media type: JSON parsed, or (`text/plain`) as a body of
/// that type is read; why not, when it is not JSON.
fn read_media(media: Media, shape: &Shape, text: &str) -> Result<Value, String> {
    match media {
        Media::Json => serde_json::from_str(text).map_err(|e| format!("is not JSON: {e}")),
        _ => Ok(shape.read_other_body(text)),
    }
}

/// A query (or cookie) parameter from raw, still-encoded pairs.
fn read_query(parameter: &Parameter, shape: &Shape, pairs: &[(String, String)]) -> Option<Value> {
    let name = escape(&parameter.name, Separator::Query);
    let own: Vec<&str> = pairs
        .iter()
        .filter(|(k, _)| *k == name)
        .map(|(_, v)| v.as_str())
        .collect();
    match (parameter.style, shape) {
        (Style::DeepObject, _) => {
            let prefix = format!("{name}%5B");
            let parts: Vec<(String, String)> = pairs
                .iter()
                .filter_map(|(k, v)| {
                    let key = k.strip_prefix(&prefix)?.strip_suffix("%5D")?;
                    Some((unescape(key), unescape(v)))
                })
                .collect();
            (!parts.is_empty()).then(|| read_pairs_object(shape, &parts))
        }
        (Style::Form, Shape::Object(properties, _)) if parameter.explode => {
            let parts: Vec<(String, String)> = pairs
                .iter()
                .map(|(k, v)| (unescape(k), unescape(v)))
                .filter(|(k, _)| {
                    properties.iter().any(|(name, _)| name == k) || properties.is_empty()
                })
                .collect();
            (!parts.is_empty()).then(|| read_pairs_object(shape, &parts))
        }
        (Style::Form, Shape::Array(_)) if parameter.explode => {
            if own.is_empty() {
                return None;
            }
            let parts: Vec<String> = own.iter().map(|v| unescape(v)).collect();
            Some(read_list(shape, &parts))
        }
        (_, Shape::Primitive(types)) => {
            let last = own.last()?;
            Some(types.read(&unescape(last)))
        }
        (style, _) => {
            let joined = own.last()?;
            let by = match style {
                Style::SpaceDelimited => "%20",
                Style::PipeDelimited => "|",
                _ => ",",
            };
            let raw = joined.replace("%7C", "|");
            if raw.is_empty() {
                return Some(read_list(shape, &[]));
            }
            let parts: Vec<String> = raw.split(by).map(unescape).collect();
            Some(read_list(shape, &parts))
        }
    }
}

fn encode_body(shape: &BodyShape, body: &Value) -> Result<Vec<u8>, Unsendable> {
    match shape.media {
        Media::Json => serde_json::to_vec(body).map_err(|e| Unsendable(e.to_string())),
        Media::Form => match &shape.form {
            Some(form) => form.encode(body),
            None => Err(Unsendable("a form body without its codec".to_owned())),
        },
        Media::Multipart => multipart::encode(body, MULTIPART_BOUNDARY),
        Media::Other => Ok(match body {
            Value::String(text) => text.clone().into_bytes(),
            other => other.to_string().into_bytes(),
        }),
    }
}

/// A received body as the JSON value the body schema describes; `content_type` is the
/// request's, which names a multipart body's boundary.
pub fn decode_body(
    shape: &BodyShape,
    bytes: &[u8],
    content_type: Option<&str>,
) -> Result<Value, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "the body is not UTF-8".to_owned())?;
    match shape.media {
        Media::Json => serde_json::from_str(text).map_err(|e| format!("the body is not JSON: {e}")),
        Media::Form => match &shape.form {
            Some(form) => form.decode(bytes),
            None => Err("a form body without its codec".to_owned()),
        },
        Media::Multipart => {
            let boundary = multipart::boundary(content_type)?;
            multipart::decode(text, &boundary, &|name| shape.shape.field_types(name))
        }
        Media::Other => Ok(shape.shape.read_other_body(text)),
    }
}

/// A path segment cannot be empty: a path parameter's string, array or object has at least
/// one character, item or property (each keyword only constrains its own type).
fn non_empty(schema: &mut Value) {
    let Some(map) = schema.as_object_mut() else {
        return;
    };
    for keyword in [
        Keyword::MinLength,
        Keyword::MinItems,
        Keyword::MinProperties,
    ] {
        let at_least_one = map
            .get(keyword.name())
            .and_then(Value::as_u64)
            .is_some_and(|n| n >= 1);
        if !at_least_one {
            map.insert(keyword.name().to_owned(), Value::from(1));
        }
    }
}

#[cfg(test)]
mod tests;
