//! Swagger 2.0 documents converted to OpenAPI 3.0 up front, so everything after reads one
//! model. The mapping follows swagger2openapi's: `host`/`basePath`/`schemes` become
//! `servers`; `definitions`, top-level `responses` and `securityDefinitions` move under
//! `components` (`#/definitions/...` references rewritten); `body` and `formData` parameters
//! become a `requestBody` in each media type of `consumes` (a form as one object schema,
//! `type: file` as a binary string); responses get `content` in each type of `produces`;
//! `collectionFormat` becomes `style`/`explode`; `x-nullable` becomes `nullable`; OAuth2's
//! `application` flow is client credentials.
//!
//! It owns the conversion and the way back: every place of the converted document is mapped
//! to the 2.0 place it came from ([`Origins`]), so a problem found later points at the file
//! the person has. What cannot be converted (a `tsv` collection, a file outside a form) is a
//! [`Problem`] at its 2.0 place, and its operation is left untested, never silently dropped.

use super::field::{REQUIRED, SCHEME_TYPE};
use super::{Location, Problem};
use crate::schema::{Keyword, OpenApiKeyword};
use serde_json::{json, Map, Value};

/// Swagger 2.0's spelling of 3.0's `nullable`, an extension.
const X_NULLABLE: &str = "x-nullable";

/// The HTTP methods a 2.0 path item may hold.
const METHODS: [&str; 7] = ["get", "put", "post", "delete", "options", "head", "patch"];

/// The keywords of a 2.0 non-body parameter, header or items object that make its schema.
const SCHEMA_KEYWORDS: [Keyword; 16] = [
    Keyword::Type,
    Keyword::Format,
    Keyword::Items,
    Keyword::Enum,
    Keyword::Default,
    Keyword::Maximum,
    Keyword::ExclusiveMaximum,
    Keyword::Minimum,
    Keyword::ExclusiveMinimum,
    Keyword::MaxLength,
    Keyword::MinLength,
    Keyword::Pattern,
    Keyword::MaxItems,
    Keyword::MinItems,
    Keyword::UniqueItems,
    Keyword::MultipleOf,
];

/// A converted document: the 3.0 value, where each of its places came from, and what could
/// not be converted.
#[derive(Debug)]
pub(super) struct Converted {
    /// The OpenAPI 3.0 document.
    pub(super) document: Value,
    /// Where each converted place came from.
    pub(super) origins: Origins,
    /// What could not be converted, each naming its operation.
    pub(super) problems: Vec<Problem>,
}

/// Places of the converted document (JSON pointers) mapped back to the 2.0 document's.
#[derive(Debug, Clone, Default)]
pub struct Origins {
    /// (converted prefix, 2.0 prefix); the longest matching prefix wins.
    pairs: Vec<(String, String)>,
}

impl Origins {
    fn add(&mut self, converted: String, original: String) {
        self.pairs.push((converted, original));
    }

    /// The 2.0 place `pointer` (of the converted document) was made from.
    pub fn original(&self, pointer: &str) -> String {
        self.pairs
            .iter()
            .filter(|(prefix, _)| {
                pointer == prefix
                    || pointer
                        .strip_prefix(prefix.as_str())
                        .is_some_and(|rest| rest.starts_with('/'))
            })
            .max_by_key(|(prefix, _)| prefix.len())
            .map_or_else(
                || pointer.to_owned(),
                |(prefix, original)| format!("{original}{}", &pointer[prefix.len()..]),
            )
    }

    /// `at` as a place of the 2.0 document, when it is in `root` (the converted file).
    pub fn locate(&self, root: &std::path::Path, at: &mut Location) {
        if at.file == root {
            at.pointer = self.original(&at.pointer);
        }
    }
}

/// Whether `document` declares Swagger 2.0.
pub(super) fn is_swagger2(document: &Value) -> bool {
    document.get("swagger").and_then(Value::as_str) == Some("2.0")
}

/// Convert the Swagger 2.0 `document` (the file `root`) to OpenAPI 3.0.
pub(super) fn convert(document: &Value, root: &Location) -> Converted {
    let mut converter = Converter {
        source: document,
        root: root.clone(),
        origins: Origins::default(),
        problems: Vec::new(),
    };
    let document = converter.document();
    Converted {
        document,
        origins: converter.origins,
        problems: converter.problems,
    }
}

struct Converter<'a> {
    source: &'a Value,
    root: Location,
    origins: Origins,
    problems: Vec<Problem>,
}

/// One operation being converted.
struct Operation<'a> {
    /// Its `operationId`, else method and path, as the operation reader names it.
    name: String,
    /// Its converted place.
    at: String,
    /// `consumes` in force.
    consumes: Vec<String>,
    /// `produces` in force.
    produces: Vec<String>,
    /// Its parameters with the path item's, references resolved: (value, 2.0 pointer).
    parameters: Vec<(&'a Value, String)>,
}

impl<'a> Converter<'a> {
    fn document(&mut self) -> Value {
        let mut out = Map::new();
        out.insert("openapi".to_owned(), json!("3.0.3"));
        for (key, value) in self.source.as_object().into_iter().flatten() {
            let keep = matches!(key.as_str(), "info" | "tags" | "externalDocs" | "security")
                || key.starts_with("x-");
            if keep {
                out.insert(key.clone(), value.clone());
            }
        }
        if let Some(servers) = self.servers() {
            out.insert("servers".to_owned(), servers);
        }
        out.insert("components".to_owned(), self.components());
        out.insert("paths".to_owned(), self.paths());
        Value::Object(out)
    }

    /// `host`, `basePath` and `schemes` as servers: one per scheme; a relative URL when there
    /// is no host.
    fn servers(&self) -> Option<Value> {
        let host = self.source.get("host").and_then(Value::as_str);
        let base_path = self
            .source
            .get("basePath")
            .and_then(Value::as_str)
            .unwrap_or("");
        let Some(host) = host else {
            return (!base_path.is_empty()).then(|| json!([{ "url": base_path }]));
        };
        let schemes: Vec<&str> = strings(self.source.get("schemes"))
            .into_iter()
            .filter(|s| matches!(*s, "http" | "https"))
            .collect();
        let schemes = if schemes.is_empty() {
            vec!["https"]
        } else {
            schemes
        };
        let servers: Vec<Value> = schemes
            .iter()
            .map(|scheme| json!({ "url": format!("{scheme}://{host}{base_path}") }))
            .collect();
        Some(Value::Array(servers))
    }

    fn components(&mut self) -> Value {
        let mut schemas = Map::new();
        for (name, schema) in object(self.source.get("definitions")) {
            let pointer = format!("/components/schemas/{}", escape(name));
            self.origins
                .add(pointer, format!("/definitions/{}", escape(name)));
            schemas.insert(name.clone(), convert_schema(schema));
        }
        let mut schemes = Map::new();
        for (name, scheme) in object(self.source.get("securityDefinitions")) {
            self.origins.add(
                format!("/components/securitySchemes/{}", escape(name)),
                format!("/securityDefinitions/{}", escape(name)),
            );
            schemes.insert(name.clone(), security_scheme(scheme));
        }
        json!({ "schemas": schemas, "securitySchemes": schemes })
    }

    fn paths(&mut self) -> Value {
        let mut paths = Map::new();
        for (path, item) in object(self.source.get("paths")) {
            let item_at = format!("/paths/{}", escape(path));
            let mut converted = Map::new();
            for (key, value) in object(Some(item)) {
                if key.starts_with("x-") || key == Keyword::Ref.name() || key == "summary" {
                    converted.insert(key.clone(), value.clone());
                }
            }
            for method in METHODS {
                if let Some(operation) = item.get(method) {
                    let value = self.operation(path, method, item, operation);
                    converted.insert(method.to_owned(), value);
                }
            }
            self.origins.add(item_at.clone(), item_at);
            paths.insert(path.clone(), Value::Object(converted));
        }
        Value::Object(paths)
    }

    fn operation(&mut self, path: &str, method: &str, item: &'a Value, source: &'a Value) -> Value {
        let at = format!("/paths/{}/{method}", escape(path));
        let name = source
            .get("operationId")
            .and_then(Value::as_str)
            .map_or_else(|| format!("{method}{path}"), str::to_owned);
        let media = |key: &str| {
            let listed = strings(source.get(key).or_else(|| self.source.get(key)));
            if listed.is_empty() {
                vec!["application/json".to_owned()]
            } else {
                listed.into_iter().map(str::to_owned).collect()
            }
        };
        let operation = Operation {
            consumes: media("consumes"),
            produces: media("produces"),
            parameters: self.parameters(path, method, item, source),
            name,
            at,
        };
        let mut out = Map::new();
        for (key, value) in object(Some(source)) {
            let keep = matches!(
                key.as_str(),
                "tags"
                    | "summary"
                    | "description"
                    | "externalDocs"
                    | "operationId"
                    | "deprecated"
                    | "security"
            ) || key.starts_with("x-");
            if keep {
                out.insert(key.clone(), value.clone());
            }
        }
        out.insert("parameters".to_owned(), self.plain_parameters(&operation));
        if let Some(body) = self.request_body(&operation) {
            out.insert("requestBody".to_owned(), body);
        }
        let responses = self.responses(&operation, source);
        out.insert("responses".to_owned(), responses);
        Value::Object(out)
    }

    /// The operation's parameters and its path item's (the operation's win on the same name
    /// and place), local references resolved.
    fn parameters(
        &mut self,
        path: &str,
        method: &str,
        item: &'a Value,
        operation: &'a Value,
    ) -> Vec<(&'a Value, String)> {
        let item_at = format!("/paths/{}", escape(path));
        let own_at = format!("{item_at}/{method}");
        let own: Vec<(&Value, String)> = self.listed(operation.get("parameters"), &own_at);
        let key = |p: &Value| {
            (
                p.get("name").and_then(Value::as_str).map(str::to_owned),
                p.get("in").and_then(Value::as_str).map(str::to_owned),
            )
        };
        let mut all: Vec<(&Value, String)> = self
            .listed(item.get("parameters"), &item_at)
            .into_iter()
            .filter(|(shared, _)| own.iter().all(|(p, _)| key(p) != key(shared)))
            .collect();
        all.extend(own);
        all
    }

    /// The parameters listed at `at/parameters`, each resolved when it is a local `$ref`.
    fn listed(&self, list: Option<&'a Value>, at: &str) -> Vec<(&'a Value, String)> {
        let Some(Value::Array(list)) = list else {
            return Vec::new();
        };
        list.iter()
            .enumerate()
            .map(|(index, parameter)| self.resolve(parameter, format!("{at}/parameters/{index}")))
            .collect()
    }

    /// A local `#/...` reference followed (once: 2.0 parameters and responses do not chain).
    fn resolve(&self, value: &'a Value, at: String) -> (&'a Value, String) {
        let reference = value.get(Keyword::Ref.name()).and_then(Value::as_str);
        match reference.and_then(|r| r.strip_prefix('#')) {
            Some(pointer) => match self.source.pointer(&super::source::percent_decode(pointer)) {
                Some(target) => (target, super::source::percent_decode(pointer)),
                None => (value, at),
            },
            None => (value, at),
        }
    }

    fn problem(&mut self, operation: &Operation, pointer: &str, what: String) {
        self.problems.push(Problem {
            operation: operation.name.clone(),
            at: Location {
                file: self.root.file.clone(),
                pointer: pointer.to_owned(),
            },
            what,
        });
    }

    /// Query, path, header and cookie parameters, each with a schema and a style.
    fn plain_parameters(&mut self, operation: &Operation) -> Value {
        let mut out = Vec::new();
        for (parameter, source_at) in &operation.parameters {
            let place = parameter.get("in").and_then(Value::as_str).unwrap_or("");
            if matches!(place, "body" | "formData") {
                continue;
            }
            let at = format!("{}/parameters/{}", operation.at, out.len());
            self.origins.add(at.clone(), source_at.clone());
            self.origins.add(format!("{at}/schema"), source_at.clone());
            let mut converted = Map::new();
            for key in ["name", "in", "description", REQUIRED, "allowEmptyValue"] {
                if let Some(value) = parameter.get(key) {
                    converted.insert(key.to_owned(), value.clone());
                }
            }
            if let Some(example) = parameter.get("x-example") {
                converted.insert("example".to_owned(), example.clone());
            }
            converted.insert("schema".to_owned(), schema_of(parameter));
            match collection(parameter, place) {
                Ok(style) => converted.extend(style),
                Err(what) => self.problem(operation, source_at, what),
            }
            if parameter.get(Keyword::Type.name()).and_then(Value::as_str) == Some("file") {
                let what = format!("a `type: file` parameter {place} a form cannot be sent");
                self.problem(operation, source_at, what);
            }
            self.nested_collections(operation, parameter, source_at);
            out.push(Value::Object(converted));
        }
        Value::Array(out)
    }

    /// Arrays of arrays with a `collectionFormat` of their own have no OpenAPI 3 style.
    fn nested_collections(&mut self, operation: &Operation, parameter: &Value, at: &str) {
        if let Some(items) = parameter.get(Keyword::Items.name()) {
            if items.get("collectionFormat").is_some() {
                let what = "a `collectionFormat` inside `items` (an array of arrays in one \
                            value) has no OpenAPI 3 style"
                    .to_owned();
                self.problem(operation, &format!("{at}/items"), what);
            }
        }
    }

    /// The `body` parameter, or the `formData` parameters as one form, in each media type
    /// `consumes` allows.
    fn request_body(&mut self, operation: &Operation) -> Option<Value> {
        let in_place = |place: &str| {
            operation
                .parameters
                .iter()
                .filter(|(p, _)| p.get("in").and_then(Value::as_str) == Some(place))
                .cloned()
                .collect::<Vec<_>>()
        };
        let body = in_place("body");
        let form = in_place("formData");
        if let (Some((_, body_at)), Some(_)) = (body.first(), form.first()) {
            let what = "`body` and `formData` parameters together (Swagger 2.0 forbids it)";
            self.problem(operation, body_at, what.to_owned());
        }
        if let Some((parameter, body_at)) = body.first() {
            return Some(self.body(operation, parameter, body_at));
        }
        (!form.is_empty()).then(|| self.form(operation, &form))
    }

    fn body(&mut self, operation: &Operation, parameter: &Value, body_at: &str) -> Value {
        let at = format!("{}/requestBody", operation.at);
        self.origins.add(at.clone(), body_at.to_owned());
        let schema = parameter.get("schema").map_or(json!({}), convert_schema);
        let mut content = Map::new();
        for media_type in &operation.consumes {
            let schema_at = format!("{at}/content/{}/schema", escape(media_type));
            self.origins.add(schema_at, format!("{body_at}/schema"));
            content.insert(media_type.clone(), json!({ "schema": schema }));
        }
        let mut out = json!({ "content": content });
        copy(parameter, &mut out, &["description", REQUIRED]);
        out
    }

    /// `formData` parameters as one object schema, sent as a URL-encoded form or as
    /// multipart (when `consumes` says so, or a file is among them).
    fn form(&mut self, operation: &Operation, form: &[(&Value, String)]) -> Value {
        let has_file = form
            .iter()
            .any(|(p, _)| p.get(Keyword::Type.name()).and_then(Value::as_str) == Some("file"));
        let mut media_types: Vec<String> = operation
            .consumes
            .iter()
            .filter(|m| {
                let essence = m.split(';').next().unwrap_or("").trim();
                essence == "multipart/form-data"
                    || (!has_file && essence == "application/x-www-form-urlencoded")
            })
            .cloned()
            .collect();
        if media_types.is_empty() {
            let fallback = if has_file {
                "multipart/form-data"
            } else {
                "application/x-www-form-urlencoded"
            };
            media_types.push(fallback.to_owned());
        }
        let at = format!("{}/requestBody", operation.at);
        let mut properties = Map::new();
        let mut required = Vec::new();
        let mut encoding = Map::new();
        for (parameter, source_at) in form {
            let name = parameter.get("name").and_then(Value::as_str).unwrap_or("");
            let mut schema = schema_of(parameter);
            copy(parameter, &mut schema, &["description"]);
            properties.insert(name.to_owned(), schema);
            if parameter.get(REQUIRED) == Some(&Value::Bool(true)) {
                required.push(json!(name));
            }
            match collection(parameter, "query") {
                Ok(style) if !style.is_empty() => {
                    encoding.insert(name.to_owned(), Value::Object(style));
                }
                Ok(_) => {}
                Err(what) => self.problem(operation, source_at, what),
            }
            self.nested_collections(operation, parameter, source_at);
            for media_type in &media_types {
                let property_at = format!(
                    "{at}/content/{}/schema/properties/{}",
                    escape(media_type),
                    escape(name)
                );
                self.origins.add(property_at, source_at.clone());
            }
        }
        if let Some((_, first_at)) = form.first() {
            self.origins.add(at.clone(), first_at.clone());
        }
        let mut schema = json!({
            (Keyword::Type.name()): "object",
            (Keyword::Properties.name()): properties,
        });
        if !required.is_empty() {
            schema[Keyword::Required.name()] = Value::Array(required.clone());
        }
        let mut content = Map::new();
        for media_type in media_types {
            let mut entry = json!({ "schema": schema });
            if !encoding.is_empty() {
                entry["encoding"] = Value::Object(encoding.clone());
            }
            content.insert(media_type, entry);
        }
        json!({ "content": content, (REQUIRED): !required.is_empty() })
    }

    fn responses(&mut self, operation: &Operation, source: &'a Value) -> Value {
        let mut out = Map::new();
        let responses_at = format!("{}/responses", operation.at);
        for (status, response) in object(source.get("responses")) {
            if status.starts_with("x-") {
                continue;
            }
            let source_at = format!("{responses_at}/{}", escape(status));
            let (response, source_at) = self.resolve(response, source_at);
            let at = format!("{responses_at}/{}", escape(status));
            self.origins.add(at.clone(), source_at.clone());
            let converted = self.response(operation, response, &at, &source_at);
            out.insert(status.clone(), converted);
        }
        Value::Object(out)
    }

    fn response(
        &mut self,
        operation: &Operation,
        response: &Value,
        at: &str,
        source_at: &str,
    ) -> Value {
        let mut out = json!({
            "description": response.get("description").cloned().unwrap_or(json!("")),
        });
        let examples = response.get("examples");
        if let Some(schema) = response.get("schema") {
            let schema = convert_schema(schema);
            let mut content = Map::new();
            for media_type in &operation.produces {
                let schema_at = format!("{at}/content/{}/schema", escape(media_type));
                self.origins.add(schema_at, format!("{source_at}/schema"));
                let mut entry = json!({ "schema": schema });
                if let Some(example) = examples.and_then(|e| e.get(media_type)) {
                    entry["example"] = example.clone();
                }
                content.insert(media_type.clone(), entry);
            }
            out["content"] = Value::Object(content);
        }
        let mut headers = Map::new();
        for (name, header) in object(response.get("headers")) {
            let header_at = format!("{at}/headers/{}", escape(name));
            let source_header = format!("{source_at}/headers/{}", escape(name));
            self.origins
                .add(format!("{header_at}/schema"), source_header.clone());
            self.origins.add(header_at, source_header.clone());
            let mut converted = json!({ "schema": schema_of(header) });
            copy(header, &mut converted, &["description"]);
            if let Err(what) = collection(header, "header") {
                self.problem(operation, &source_header, what);
            }
            headers.insert(name.clone(), converted);
        }
        if !headers.is_empty() {
            out["headers"] = Value::Object(headers);
        }
        out
    }
}

/// A 2.0 security definition as a 3.0 security scheme.
fn security_scheme(scheme: &Value) -> Value {
    let kind = scheme
        .get(SCHEME_TYPE)
        .and_then(Value::as_str)
        .unwrap_or("");
    let mut out = match kind {
        "basic" => json!({ (SCHEME_TYPE): "http", "scheme": "basic" }),
        "oauth2" => json!({ (SCHEME_TYPE): "oauth2", "flows": oauth2_flows(scheme) }),
        _ => {
            let mut out = json!({ (SCHEME_TYPE): kind });
            copy(scheme, &mut out, &["name", "in"]);
            out
        }
    };
    copy(scheme, &mut out, &["description"]);
    out
}

/// A 2.0 OAuth2 definition's one flow, renamed as 3.0 names it (`application` is client
/// credentials, `accessCode` authorization code).
fn oauth2_flows(scheme: &Value) -> Value {
    let flow = match scheme.get("flow").and_then(Value::as_str) {
        Some("application") => "clientCredentials",
        Some("accessCode") => "authorizationCode",
        Some("implicit") => "implicit",
        Some("password") => "password",
        _ => return json!({}),
    };
    let mut converted = json!({ "scopes": scheme.get("scopes").cloned().unwrap_or(json!({})) });
    copy(scheme, &mut converted, &["authorizationUrl", "tokenUrl"]);
    json!({ flow: converted })
}

/// The `style` and `explode` a `collectionFormat` means for a parameter in `place`; `{}` when
/// the 3.0 default already means it.
fn collection(parameter: &Value, place: &str) -> Result<Map<String, Value>, String> {
    let is_array = parameter.get(Keyword::Type.name()).and_then(Value::as_str) == Some("array");
    let format = parameter
        .get("collectionFormat")
        .and_then(Value::as_str)
        .unwrap_or("csv");
    if !is_array {
        return Ok(Map::new());
    }
    let style = |style: &str, explode: bool| {
        let mut map = Map::new();
        map.insert("style".to_owned(), json!(style));
        map.insert("explode".to_owned(), json!(explode));
        map
    };
    let query_like = matches!(place, "query" | "formData");
    match (format, query_like) {
        ("csv", true) => Ok(style("form", false)),
        ("csv", false) => Ok(Map::new()),
        ("multi", true) => Ok(style("form", true)),
        ("ssv", true) => Ok(style("spaceDelimited", false)),
        ("pipes", true) => Ok(style("pipeDelimited", false)),
        (other, _) => Err(format!(
            "`collectionFormat: {other}` in a {place} parameter has no OpenAPI 3 style"
        )),
    }
}

/// The schema of a 2.0 non-body parameter, header or items object: its schema keywords.
fn schema_of(parameter: &Value) -> Value {
    let mut schema = Map::new();
    for keyword in SCHEMA_KEYWORDS {
        if let Some(value) = parameter.get(keyword.name()) {
            let value = if keyword == Keyword::Items {
                schema_of(value)
            } else {
                value.clone()
            };
            schema.insert(keyword.name().to_owned(), value);
        }
    }
    if parameter.get(X_NULLABLE) == Some(&Value::Bool(true)) {
        schema.insert(
            OpenApiKeyword::Nullable.name().to_owned(),
            Value::Bool(true),
        );
    }
    convert_schema(&Value::Object(schema))
}

/// A 2.0 schema in 3.0 terms: `x-nullable` → `nullable`, `type: file` → a binary string,
/// a discriminator's property name → a discriminator object, `#/definitions/` references →
/// `#/components/schemas/`; applied through every subschema.
fn convert_schema(schema: &Value) -> Value {
    let Value::Object(map) = schema else {
        return schema.clone();
    };
    let mut out = Map::new();
    for (key, value) in map {
        if key == X_NULLABLE {
            out.insert(OpenApiKeyword::Nullable.name().to_owned(), value.clone());
            continue;
        }
        let converted = match (Keyword::parse(key), value) {
            (Some(Keyword::Ref), _) => value
                .as_str()
                .map_or_else(|| value.clone(), |r| json!(rewrite_ref(r))),
            (Some(Keyword::Type), _) if value == "file" => {
                out.insert(Keyword::Format.name().to_owned(), json!("binary"));
                json!("string")
            }
            (Some(Keyword::Items | Keyword::AdditionalProperties | Keyword::Not), _) => {
                convert_schema(value)
            }
            (Some(Keyword::AllOf | Keyword::AnyOf | Keyword::OneOf), Value::Array(list)) => {
                Value::Array(list.iter().map(convert_schema).collect())
            }
            (Some(Keyword::Properties), Value::Object(properties)) => Value::Object(
                properties
                    .iter()
                    .map(|(name, s)| (name.clone(), convert_schema(s)))
                    .collect(),
            ),
            (None, Value::String(_)) if key == OpenApiKeyword::Discriminator.name() => {
                json!({ "propertyName": value })
            }
            _ => value.clone(),
        };
        out.insert(key.clone(), converted);
    }
    Value::Object(out)
}

/// `#/definitions/X` → `#/components/schemas/X`; other references unchanged.
fn rewrite_ref(reference: &str) -> String {
    match reference.strip_prefix("#/definitions/") {
        Some(rest) => format!("#/components/schemas/{rest}"),
        None => reference.to_owned(),
    }
}

fn copy(from: &Value, to: &mut Value, keys: &[&str]) {
    for key in keys {
        if let (Some(value), Value::Object(to)) = (from.get(*key), &mut *to) {
            to.insert((*key).to_owned(), value.clone());
        }
    }
}

fn object(value: Option<&Value>) -> impl Iterator<Item = (&String, &Value)> {
    value.and_then(Value::as_object).into_iter().flatten()
}

fn strings(value: Option<&Value>) -> Vec<&str> {
    value
        .and_then(Value::as_array)
        .map(|list| list.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn escape(key: &str) -> String {
    crate::schema::escape(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> Location {
        Location {
            file: "api.yaml".into(),
            pointer: String::new(),
        }
    }

    #[test]
    fn a_csv_query_array_is_a_form_without_explode_and_tsv_is_a_problem() {
        let document = json!({
            "swagger": "2.0",
            "paths": {"/pets": {"get": {
                "operationId": "listPets",
                "parameters": [
                    {"name": "tags", "in": "query", "type": "array", "items": {"type": "string"}},
                    {"name": "ids", "in": "query", "type": "array", "collectionFormat": "tsv",
                     "items": {"type": "integer"}}
                ],
                "responses": {"200": {"description": "ok"}}
            }}}
        });
        let converted = convert(&document, &root());
        let parameters = &converted.document["paths"]["/pets"]["get"]["parameters"];
        assert_eq!(parameters[0]["style"], "form");
        assert_eq!(parameters[0]["explode"], false);
        assert_eq!(parameters[0]["schema"]["items"]["type"], "string");
        assert_eq!(converted.problems.len(), 1);
        assert_eq!(converted.problems[0].operation, "listPets");
        assert_eq!(
            converted.problems[0].at.pointer,
            "/paths/~1pets/get/parameters/1"
        );
        assert_eq!(
            converted
                .origins
                .original("/paths/~1pets/get/parameters/1/schema/items"),
            "/paths/~1pets/get/parameters/1/items"
        );
    }

    #[test]
    fn references_and_nullable_and_files_become_their_3_0_forms() {
        let schema = json!({
            "type": "object",
            "properties": {
                "owner": {"$ref": "#/definitions/Owner"},
                "photo": {"type": "file"},
                "nickname": {"type": "string", "x-nullable": true}
            }
        });
        let converted = convert_schema(&schema);
        assert_eq!(
            converted["properties"]["owner"]["$ref"],
            "#/components/schemas/Owner"
        );
        assert_eq!(
            converted["properties"]["photo"],
            json!({"type": "string", "format": "binary"})
        );
        assert_eq!(converted["properties"]["nickname"]["nullable"], true);
    }

    #[test]
    fn security_definitions_become_schemes_and_application_is_client_credentials() {
        let basic = security_scheme(&json!({"type": "basic"}));
        assert_eq!(basic, json!({"type": "http", "scheme": "basic"}));
        let key = security_scheme(&json!({"type": "apiKey", "name": "key", "in": "query"}));
        assert_eq!(key, json!({"type": "apiKey", "name": "key", "in": "query"}));
        let oauth = security_scheme(&json!({
            "type": "oauth2", "flow": "application",
            "tokenUrl": "https://auth.example.com/token", "scopes": {"read": "read"}
        }));
        assert_eq!(
            oauth["flows"]["clientCredentials"]["tokenUrl"],
            "https://auth.example.com/token"
        );
        let code = security_scheme(&json!({"type": "oauth2", "flow": "accessCode"}));
        assert!(code["flows"]["authorizationCode"].is_object());
    }
}
