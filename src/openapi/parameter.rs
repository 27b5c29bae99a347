//! An operation's parameters read into what `[[parameters]]` says (path-level ones first,
//! overridden by operation-level ones of the same name and location, as OpenAPI says), and
//! OpenAPI `links`, which say where the valid values of a path parameter come from: the body
//! of an earlier operation's success answer. A parameter serialised as a media type
//! (`content`) is kept when that type is JSON or `text/plain`, with the media type's schema.
//! What a case cannot say about a parameter (`content` of another media type,
//! `allowReserved`, `allowEmptyValue`) is a [`Problem`] with its place.

use super::schema::Bundler;
use super::source::{Location, Sources};
use super::{child, unloadable, OpenApiError, Problem, Version};
use crate::contract::wire;
use serde_json::Value;

/// One parameter, as `[[parameters]]` writes it.
#[derive(Debug, Clone, PartialEq)]
pub struct DraftParameter {
    /// Its name as the document writes it.
    pub name: String,
    /// `path`, `query`, `header` or `cookie`.
    pub location: wire::Location,
    /// Whether a request must carry it (always for a path parameter).
    pub required: bool,
    /// Its bundled 2020-12 schema.
    pub schema: Value,
    /// OpenAPI's `style`, when the document gives one.
    pub style: Option<String>,
    /// OpenAPI's `explode`, when the document gives one.
    pub explode: Option<bool>,
    /// The media type the value is serialised as (the one key of `content`), in place of a
    /// style: JSON or `text/plain`.
    pub content_type: Option<String>,
    /// OpenAPI's `allowEmptyValue` (a query parameter's): an empty value is valid.
    pub allow_empty: bool,
    /// The document's example value (`example`, else the first of `examples`).
    pub example: Option<Value>,
    /// Where valid values come from, when a link of another operation says so.
    pub link: Option<DraftLink>,
    /// Where the parameter is in the document.
    pub at: Location,
}

/// A path parameter's values taken from an earlier operation's success body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftLink {
    /// The producing operation's `operationId`.
    pub operation_id: String,
    /// A JSON pointer into its success body.
    pub pointer: String,
    /// The link's name in the document.
    pub name: String,
}

/// A link declared on a 2xx response: it feeds `parameter` of the operation `target`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingLink {
    /// The link's name.
    pub name: String,
    /// The target's `operationId`.
    pub target: String,
    /// The target's parameter.
    pub parameter: String,
    /// A JSON pointer into this operation's success body.
    pub pointer: String,
}

/// Header parameters OpenAPI says are ignored: the media types and the auth scheme say them.
const IGNORED_HEADERS: [&str; 3] = ["accept", "content-type", "authorization"];

/// The parameters of an operation from its two `parameters` lists (`lists`: the path item's,
/// then the operation's; either may be absent), in declaration order, path-level first, an
/// operation-level one replacing the path-level one of the same name and location.
pub(super) fn parameters(
    sources: &mut Sources,
    version: Version,
    lists: [Location; 2],
    problems: &mut Vec<Problem>,
) -> Result<Vec<DraftParameter>, OpenApiError> {
    let mut out: Vec<DraftParameter> = Vec::new();
    for list_at in lists {
        let count = sources
            .get(&list_at)
            .ok()
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        for index in 0..count {
            let at = child(&list_at, &[&index.to_string()]);
            let Some(parameter) = one(sources, version, &at, problems)? else {
                continue;
            };
            let same = |p: &DraftParameter| {
                p.location == parameter.location
                    && match parameter.location {
                        wire::Location::Header => p.name.eq_ignore_ascii_case(&parameter.name),
                        _ => p.name == parameter.name,
                    }
            };
            match out.iter_mut().find(|p| same(p)) {
                Some(earlier) => *earlier = parameter,
                None => out.push(parameter),
            }
        }
    }
    Ok(out)
}

/// The parameter at `at`; `None` when OpenAPI says to ignore it or it is a problem.
fn one(
    sources: &mut Sources,
    version: Version,
    at: &Location,
    problems: &mut Vec<Problem>,
) -> Result<Option<DraftParameter>, OpenApiError> {
    let (object, at) = sources.resolve(at)?;
    let text = |key: &str| object.get(key).and_then(Value::as_str);
    let problem = |keys: &[&str], what: String| Problem {
        operation: String::new(),
        at: child(&at, keys),
        what,
    };
    let name = text("name").unwrap_or_default().to_owned();
    let declared_in = text("in").unwrap_or_default();
    let Some(location) = wire::Location::parse(declared_in) else {
        problems.push(problem(
            &["in"],
            format!("parameter `{name}` is `in: {declared_in}`, which is not path, query, header or cookie"),
        ));
        return Ok(None);
    };
    if location == wire::Location::Header
        && IGNORED_HEADERS.contains(&name.to_ascii_lowercase().as_str())
    {
        // OpenAPI: "If `in` is "header" and the name field is "Accept", "Content-Type" or
        // "Authorization", the parameter definition SHALL be ignored."
        return Ok(None);
    }
    let refused = refusals(&object, &name, location);
    if !refused.is_empty() {
        problems.extend(refused.into_iter().map(|(key, what)| problem(&[key], what)));
        return Ok(None);
    }
    // `content` holds one media type (`refusals` made sure), whose object has the schema.
    let content_type = object
        .get("content")
        .and_then(Value::as_object)
        .and_then(|content| content.keys().next().cloned());
    let (holder, holder_at) = match &content_type {
        Some(media) => sources.resolve(&child(&at, &["content", media]))?,
        None => (object.clone(), at.clone()),
    };
    let schema = match holder.get("schema") {
        Some(schema) => {
            let schema_at = child(&holder_at, &["schema"]);
            let bundled = Bundler::new(sources, version).bundle(schema, &schema_at)?;
            if let Some(problem) = unloadable(&mut sources.shared, &bundled, &schema_at) {
                problems.push(problem);
                return Ok(None);
            }
            bundled
        }
        // OpenAPI requires `schema` or `content`; without either, any value is the parameter's.
        None => Value::Object(serde_json::Map::new()),
    };
    Ok(Some(DraftParameter {
        name,
        location,
        // A path parameter is always required, whatever the document says.
        required: location == wire::Location::Path
            || object.get(super::field::REQUIRED).and_then(Value::as_bool) == Some(true),
        schema,
        // A value sent as a media type has no style.
        style: text("style")
            .filter(|_| content_type.is_none())
            .map(str::to_owned),
        explode: object
            .get("explode")
            .and_then(Value::as_bool)
            .filter(|_| content_type.is_none()),
        example: match example(sources, &object, &at)? {
            Some(example) => Some(example),
            None if content_type.is_some() => example(sources, &holder, &holder_at)?,
            None => None,
        },
        content_type,
        allow_empty: flag(&object, "allowEmptyValue"),
        link: None,
        at,
    }))
}

/// Whether the parameter object says `key: true`.
fn flag(object: &Value, key: &str) -> bool {
    object.get(key).and_then(Value::as_bool) == Some(true)
}

/// What a case file cannot say about the parameter `name` in `location`: (the key of the
/// parameter object it is at, why).
fn refusals(object: &Value, name: &str, location: wire::Location) -> Vec<(&'static str, String)> {
    let flag = |key: &str| flag(object, key);
    let mut out = Vec::new();
    if location == wire::Location::Header && http::HeaderName::from_bytes(name.as_bytes()).is_err()
    {
        out.push((
            "name",
            format!("header parameter `{name}`: not a name HTTP allows for a header"),
        ));
    }
    if let Some(content) = object.get("content") {
        let types: Vec<&str> = content
            .as_object()
            .map(|c| c.keys().map(String::as_str).collect())
            .unwrap_or_default();
        match types[..] {
            [media] if sendable_media(media) => {}
            [media] => out.push(("content", format!("parameter `{name}` in {} is serialised as `{media}` (`content`): a case file can send a parameter as JSON or `text/plain` only", location.as_str()))),
            _ => out.push(("content", format!("parameter `{name}` in {} has {} media types under `content`, where OpenAPI allows exactly one", location.as_str(), types.len()))),
        }
    }
    if flag("allowReserved") {
        out.push(("allowReserved", format!("parameter `{name}` has `allowReserved: true`: a case file cannot let reserved characters through unencoded yet")));
    }
    if flag("allowEmptyValue") && location != wire::Location::Query {
        out.push(("allowEmptyValue", format!("parameter `{name}` in {} has `allowEmptyValue: true`, which OpenAPI allows in the query only", location.as_str())));
    }
    if let Some(style) = object.get("style").and_then(Value::as_str) {
        if !wire::Style::parse(style).is_some_and(|s| s.allowed_in(location)) {
            out.push((
                "style",
                format!(
                    "parameter `{name}` has `style: {style}`, which OpenAPI does not allow in {}",
                    location.as_str()
                ),
            ));
        }
    }
    out
}

/// Whether a parameter can be sent as `media`: JSON (`application/json`, `+json`) or
/// `text/plain`, as the case loader takes them.
fn sendable_media(media: &str) -> bool {
    let essence = media.split(';').next().unwrap_or_default().trim();
    wire::Media::of(media) == wire::Media::Json || essence.eq_ignore_ascii_case("text/plain")
}

/// `example`, else the value of the first of `examples`.
fn example(
    sources: &mut Sources,
    object: &Value,
    at: &Location,
) -> Result<Option<Value>, OpenApiError> {
    if let Some(example) = object.get("example") {
        return Ok(Some(example.clone()));
    }
    let Some(Value::Object(named)) = object.get("examples") else {
        return Ok(None);
    };
    let Some(first) = named.keys().next() else {
        return Ok(None);
    };
    let (example, _) = sources.resolve(&child(at, &["examples", first]))?;
    Ok(example.get("value").cloned())
}

/// Why `path` and the path parameters disagree (a `{name}` nobody declares, a declared
/// parameter the template lacks), exactly as the case loader would say it; `None` if they fit.
pub(super) fn template_mismatch(path: &str, parameters: &[DraftParameter]) -> Option<String> {
    let wire_parameters = parameters
        .iter()
        .map(|p| wire::Parameter {
            name: p.name.clone(),
            location: p.location,
            required: p.required,
            schema: Value::Bool(true),
            style: wire::Style::default_for(p.location),
            explode: false,
            ids: None,
            content_type: None,
            allow_empty: false,
        })
        .collect();
    wire::RequestShape::new(path, wire_parameters, None).err()
}

/// The links of the response at `at` (a 2xx one) that a case can hold: an `operationId` and
/// parameters given as `$response.body#/pointer`. Other forms (`operationRef`, `$request.*`,
/// `$response.header.*`, constants) are left out: a link is a hint of where values come
/// from, not a constraint on the API, so no check is lost with it.
pub(super) fn links(
    sources: &mut Sources,
    response: &Value,
    at: &Location,
) -> Result<Vec<OutgoingLink>, OpenApiError> {
    let mut out = Vec::new();
    let Some(Value::Object(links)) = response.get("links") else {
        return Ok(out);
    };
    for name in links.keys() {
        let (link, _) = sources.resolve(&child(at, &["links", name]))?;
        let (Some(target), Some(Value::Object(given))) = (
            link.get("operationId").and_then(Value::as_str),
            link.get("parameters"),
        ) else {
            continue;
        };
        for (parameter, expression) in given {
            let pointer = expression
                .as_str()
                .and_then(|e| e.strip_prefix("$response.body#"))
                .filter(|p| p.starts_with('/'));
            // `path.id` names the location; only path parameters take linked values.
            let parameter = match parameter.split_once('.') {
                Some(("path", bare)) => bare,
                Some(_) => continue,
                None => parameter.as_str(),
            };
            if let Some(pointer) = pointer {
                out.push(OutgoingLink {
                    name: name.clone(),
                    target: target.to_owned(),
                    parameter: parameter.to_owned(),
                    pointer: pointer.to_owned(),
                });
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The document `text` (YAML), opened, with its root location.
    fn open(text: &str) -> (tempfile::TempDir, Sources, Location) {
        let folder = tempfile::tempdir().unwrap();
        let file = folder.path().join("api.yaml");
        std::fs::write(&file, text).unwrap();
        let (sources, file) = Sources::open(&file).unwrap();
        let root = Location {
            file,
            pointer: String::new(),
        };
        (folder, sources, root)
    }

    const ITEM: &str = r#"
paths:
  /orders/{id}:
    parameters:
      - {name: id, in: path, required: true, schema: {type: string}}
      - {name: X-Trace, in: header, schema: {type: string}}
      - {name: verbose, in: query, required: true, schema: {type: boolean}}
    get:
      parameters:
        - {name: id, in: path, schema: {type: string, maxLength: 9}}
        - {name: x-trace, in: header, required: true, schema: {type: string}}
        - {name: verbose, in: cookie, schema: {type: boolean}}
        - {name: Accept, in: header, schema: {type: string}}
        - {name: authorization, in: header, schema: {type: string}}
"#;

    #[test]
    fn operation_parameters_override_path_ones_by_name_and_location() {
        let (_folder, mut sources, root) = open(ITEM);
        let item = child(&root, &["paths", "/orders/{id}"]);
        let lists = [
            child(&item, &["parameters"]),
            child(&item, &["get", "parameters"]),
        ];
        let mut problems = Vec::new();
        let found = parameters(&mut sources, Version::V3_0, lists, &mut problems).unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        let described: Vec<(&str, &str, bool)> = found
            .iter()
            .map(|p| (p.name.as_str(), p.location.as_str(), p.required))
            .collect();
        // `Accept` and `authorization` are ignored; a header matches whatever its case; the
        // query `verbose` and the cookie `verbose` are two parameters; the path `id` is
        // required although the operation's override does not say so.
        assert_eq!(
            described,
            [
                ("id", "path", true),
                ("x-trace", "header", true),
                ("verbose", "query", true),
                ("verbose", "cookie", false),
            ]
        );
        assert_eq!(found[0].schema["maxLength"], 9);
        assert!(found[0].at.pointer.ends_with("/get/parameters/0"));
        assert_eq!(template_mismatch("/orders/{id}", &found), None);
        let mismatch = template_mismatch("/orders/{orderId}", &found).unwrap();
        assert!(mismatch.contains("`{orderId}`"), "{mismatch}");
    }

    #[test]
    fn media_type_parameters_reserved_characters_and_foreign_styles_are_problems() {
        let (_folder, mut sources, root) = open(
            r##"
parameters:
  - {name: filter, in: query, content: {application/xml: {schema: {type: object}}}}
  - {name: next, in: query, allowReserved: true, allowEmptyValue: true, schema: {type: string}}
  - {name: id, in: header, style: matrix, schema: {type: string}}
  - {name: size, in: body, schema: {type: string}}
  - {name: "a b", in: header, schema: {type: string}}
  - {name: ok, in: query, style: pipeDelimited, explode: false, schema: {type: array}}
  - {name: where, in: query, explode: true, content: {application/json: {schema: {$ref: "#/components/schemas/Where"}, example: {a: 1}}}}
  - {name: X-Note, in: header, content: {text/plain: {schema: {type: string}}}}
  - {name: two, in: cookie, content: {application/json: {}, text/plain: {}}}
  - {name: year, in: query, allowEmptyValue: true, schema: {type: integer}}
  - {name: X-Year, in: header, allowEmptyValue: true, schema: {type: integer}}
components:
  schemas:
    Where: {type: object, required: [a], properties: {a: {type: integer}}}
"##,
        );
        let lists = [child(&root, &["none"]), child(&root, &["parameters"])];
        let mut problems = Vec::new();
        let found = parameters(&mut sources, Version::V3_1, lists, &mut problems).unwrap();
        let places: Vec<&str> = problems.iter().map(|p| p.at.pointer.as_str()).collect();
        assert_eq!(
            places,
            [
                "/parameters/0/content",
                "/parameters/1/allowReserved",
                "/parameters/2/style",
                "/parameters/3/in",
                "/parameters/4/name",
                "/parameters/8/content",
                "/parameters/10/allowEmptyValue",
            ]
        );
        // A media type other than JSON or text is refused, naming it and the place.
        assert!(
            problems[0].what.contains("`filter` in query")
                && problems[0].what.contains("`application/xml`"),
            "{}",
            problems[0].what
        );
        assert!(
            problems[5].what.contains("2 media types"),
            "{}",
            problems[5].what
        );
        let [ok, json, text, year] = &found[..] else {
            panic!("{found:?}")
        };
        assert_eq!(
            (ok.style.as_deref(), ok.explode, ok.content_type.as_deref()),
            (Some("pipeDelimited"), Some(false), None)
        );
        // A JSON parameter has its media type's schema and example, and no style.
        assert_eq!(json.content_type.as_deref(), Some("application/json"));
        assert_eq!(json.explode, None);
        assert_eq!(json.example, Some(serde_json::json!({"a": 1})));
        assert!(
            json.schema.to_string().contains(r#""required":["a"]"#),
            "{}",
            json.schema
        );
        assert_eq!(text.content_type.as_deref(), Some("text/plain"));
        // An empty value is let through in the query only.
        assert!(year.allow_empty && !ok.allow_empty);
    }

    #[test]
    fn only_response_body_links_to_path_parameters_are_kept() {
        let (_folder, mut sources, root) = open(
            r##"
response:
  links:
    a: {operationId: getOrder, parameters: {id: "$response.body#/id", path.shop: "$response.body#/shop/id"}}
    b: {operationId: getOrder, parameters: {query.limit: "$response.body#/n", id: "$request.path.id"}}
    c: {operationRef: "#/paths/~1orders/get", parameters: {id: "$response.body#/id"}}
    d: {$ref: "#/components/links/D"}
components:
  links:
    D: {operationId: listItems, parameters: {order: "$response.body#/id", whole: "$response.body"}}
"##,
        );
        let (response, at) = sources.resolve(&child(&root, &["response"])).unwrap();
        let found = links(&mut sources, &response, &at).unwrap();
        let described: Vec<(&str, &str, &str, &str)> = found
            .iter()
            .map(|l| {
                (
                    l.name.as_str(),
                    l.target.as_str(),
                    l.parameter.as_str(),
                    l.pointer.as_str(),
                )
            })
            .collect();
        assert_eq!(
            described,
            [
                ("a", "getOrder", "id", "/id"),
                ("a", "getOrder", "shop", "/shop/id"),
                ("d", "listItems", "order", "/id"),
            ]
        );
    }
}
