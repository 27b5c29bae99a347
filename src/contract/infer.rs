//! Links inferred where none are declared: a path parameter `{P}` at the end of
//! `/things/{P}` takes its ids from `POST /things` when that create's success answer names
//! them: a field of its body that fits `P` by name and schema (`P` itself, or `id` for a `P`
//! ending in `id`, as `id` of `POST /orders` fits `{orderId}` of `/orders/{orderId}`), else
//! a `Location` header its 2xx response declares. Where there is no such create, a `GET` or
//! `HEAD` of `/things/{P}` takes them from `GET /things` when its answer is an array (the
//! body, or one of its top-level properties) whose items have such a field: a read-only API
//! is tested on the resources it lists. A parameter with declared `known` ids or a declared
//! `link` is left as written, so a case corrects an inferred link by declaring the right
//! one, and a case with `[links] infer = false` gets none.

use super::produced::LOCATION;
use super::{wire, ContractError, Operation, ResponseSpec, ResponseStatus, StatusPattern};
use crate::schema::{Index, Keyword};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::{Arc, Weak};

/// What an operation's first documented 2xx body offers the path parameters of others, read
/// from its schema when the operation loads: an import lets go of each operation's response
/// schemas once it has checked them, before links are inferred.
#[derive(Debug, Default)]
pub(super) struct Offer {
    /// The body's fields, when it is an object.
    body: Option<Fields>,
    /// Where the items of an array in the body are (`/*/` for the body itself, then
    /// `/orders/*/` for each top-level property, in order) and the fields of those items.
    listed: Vec<(String, Fields)>,
}

/// An object schema's properties, each with its `type` when that is one name.
type Fields = Vec<(String, Option<String>)>;

/// The [`Offer`] of each success schema read, by its document's address (remembered, so no
/// other document takes it): a resource's read, update and create share their answer, and
/// indexing a large document's schema, its shared definitions copied in, each time was a
/// tenth of Stripe's import.
pub(super) struct Offers {
    /// The paths of the cases' collections (`/things` of `/things/{P}`): only an operation
    /// at one may feed another, and indexing every answer was a third of Stripe's import.
    collections: HashSet<String>,
    read: HashMap<usize, (Weak<Value>, Rc<Offer>)>,
}

impl Offers {
    /// The offers of the case `files`: their collections are read from them first.
    pub(super) fn of_cases(files: &[PathBuf]) -> Offers {
        /// All a case file says that decides which operations may feed others.
        #[derive(serde::Deserialize)]
        struct PathOnly {
            path: String,
        }
        // A file that cannot be read or parsed feeds no collection; loading it says why.
        let paths = files.iter().filter_map(|file| {
            let text = std::fs::read_to_string(file).ok()?;
            Some(toml::from_str::<PathOnly>(&text).ok()?.path)
        });
        let collections = paths
            .filter_map(|path| {
                let (collection, last) = path.rsplit_once('/')?;
                (last.starts_with('{') && last.ends_with('}')).then(|| collection.to_owned())
            })
            .collect();
        Offers {
            collections,
            read: HashMap::new(),
        }
    }

    /// What `operation` offers: only a create or a list (`POST`, `GET`) at a collection
    /// feeds others.
    pub(super) fn of(&mut self, operation: &Operation) -> Rc<Offer> {
        let producer = matches!(operation.method, http::Method::POST | http::Method::GET)
            && self.collections.contains(&operation.path);
        let schema = success(operation).and_then(|r| r.schema.as_ref());
        let Some(schema) = schema.filter(|_| producer) else {
            return Rc::default();
        };
        let document = &schema.document;
        let address = Arc::as_ptr(document) as usize;
        let (_, offer) = self
            .read
            .entry(address)
            .or_insert_with(|| (Arc::downgrade(document), Rc::new(Offer::of(document))));
        Rc::clone(offer)
    }
}

impl Offer {
    fn of(document: &Value) -> Offer {
        let index = Index::new(document);
        let root = resolved(document, &index, document);
        let items_of = |array: &Value| {
            let items = resolved(document, &index, Keyword::Items.value_in(array)?);
            fields(document, &index, items)
        };
        let mut listed: Vec<(String, Fields)> = items_of(root)
            .map(|fields| ("/*/".to_owned(), fields))
            .into_iter()
            .collect();
        let properties = Keyword::Properties
            .value_in(root)
            .and_then(Value::as_object);
        for (name, property) in properties.into_iter().flatten() {
            if let Some(fields) = items_of(resolved(document, &index, property)) {
                listed.push((format!("/{}/*/", crate::schema::escape(name)), fields));
            }
        }
        Offer {
            body: fields(document, &index, document),
            listed,
        }
    }
}

/// `operations` with a link inferred for each path parameter that has none and whose
/// resource a create or a list names (as `offers`, one per operation, say), except in the
/// operations `infer` says not to.
pub(super) fn infer_links(
    operations: &mut [Operation],
    offers: &[Rc<Offer>],
    infer: &[bool],
) -> Result<(), ContractError> {
    let mut inferred = Vec::new();
    for (index, consumer) in operations.iter().enumerate() {
        if !infer.get(index).copied().unwrap_or(true) {
            continue;
        }
        for parameter in consumer.shape.iter().flat_map(|s| s.parameters()) {
            if parameter.location != wire::Location::Path || parameter.ids.is_some() {
                continue;
            }
            if let Some(link) = producer_for(operations, offers, consumer, parameter) {
                inferred.push((index, parameter.name.clone(), link));
            }
        }
    }
    for (index, name, link) in inferred {
        operations[index] = operations[index].with_ids(wire::Location::Path, &name, link)?;
    }
    Ok(())
}

/// The create, else the list, whose success answer names the resource `parameter` of
/// `consumer` names.
fn producer_for(
    operations: &[Operation],
    offers: &[Rc<Offer>],
    consumer: &Operation,
    parameter: &wire::Parameter,
) -> Option<wire::IdSource> {
    let collection = consumer
        .path
        .strip_suffix(&format!("/{{{}}}", parameter.name))?;
    let at_collection = |method: http::Method| {
        operations
            .iter()
            .zip(offers)
            .filter(move |(o, _)| o.method == method && o.path == collection)
            .filter(|(o, _)| o.links().is_empty())
    };
    let link = |producer: &Operation, pointer: String| wire::IdSource::Inferred {
        operation: producer.name.clone(),
        pointer,
    };
    let made = at_collection(http::Method::POST).find_map(|(create, offer)| {
        let pointer = offer
            .body
            .as_ref()
            .and_then(|body| field_in(body, parameter))
            .map(|field| format!("/{}", crate::schema::escape(&field)))
            .or_else(|| declares_location(create).then(|| LOCATION.to_owned()))?;
        Some(link(create, pointer))
    });
    // A list names resources it did not make for the request: only reads may take them, a
    // DELETE needs a resource of its own.
    let reads = matches!(consumer.method, http::Method::GET | http::Method::HEAD);
    made.or_else(|| {
        reads.then(|| {
            at_collection(http::Method::GET)
                .find_map(|(list, offer)| Some(link(list, listed_field(offer, parameter)?)))
        })?
    })
}

/// The first documented exact 2xx response of `operation`.
fn success(operation: &Operation) -> Option<&ResponseSpec> {
    operation.responses.iter().find(|r| {
        matches!(r.status, ResponseStatus::Pattern(StatusPattern::Exact(code)) if (200..300).contains(&code))
    })
}

/// Whether `producer`'s first documented 2xx response declares a `Location` header.
fn declares_location(producer: &Operation) -> bool {
    success(producer).is_some_and(|r| r.headers.iter().any(|h| h.name == http::header::LOCATION))
}

/// The pointer (`/orders/*/id`, `/*/id`) to the field that fits `parameter` in each item of
/// the array a list's first documented 2xx body is, or has as a top-level property.
fn listed_field(offer: &Offer, parameter: &wire::Parameter) -> Option<String> {
    offer.listed.iter().find_map(|(items_at, fields)| {
        let field = field_in(fields, parameter)?;
        Some(format!("{items_at}{}", crate::schema::escape(&field)))
    })
}

/// `node` with its `$ref`s followed (a few steps) within `document`.
fn resolved<'a>(document: &'a Value, index: &Index, node: &'a Value) -> &'a Value {
    let mut node = node;
    for _ in 0..8 {
        let target = Keyword::Ref
            .value_in(node)
            .and_then(Value::as_str)
            .and_then(|r| index.resolve("", r))
            .and_then(|pointer| document.pointer(&pointer));
        match target {
            Some(next) => node = next,
            None => break,
        }
    }
    node
}

/// The properties of the object schema `node`, each with the type of its schema.
fn fields(document: &Value, index: &Index, node: &Value) -> Option<Fields> {
    let properties = Keyword::Properties
        .value_in(resolved(document, index, node))?
        .as_object()?;
    let fields = properties
        .iter()
        .map(|(name, property)| (name.clone(), kind(resolved(document, index, property))))
        .collect();
    Some(fields)
}

/// The field of `fields` that fits `parameter` by name and schema.
fn field_in(fields: &Fields, parameter: &wire::Parameter) -> Option<String> {
    let name = parameter.name.as_str();
    let ends_in_id = name.len() > 2 && name[name.len() - 2..].eq_ignore_ascii_case("id");
    let candidates = [Some(name), ends_in_id.then_some("id")];
    candidates
        .into_iter()
        .flatten()
        .find(|wanted| {
            fields.iter().any(|(field, property)| {
                field == wanted && fits(property.as_deref(), &parameter.schema)
            })
        })
        .map(str::to_owned)
}

/// The `type` of `schema`, when it is one name.
fn kind(schema: &Value) -> Option<String> {
    Keyword::Type
        .value_in(schema)
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// Whether a body field's schema (of type `property`) can hold the parameter's ids: the
/// same type, or an integer id for a string parameter (sent as its digits). A field whose
/// type is not written here is taken on its name.
fn fits(property: Option<&str>, parameter: &Value) -> bool {
    match (property, kind(parameter)) {
        (Some(field), Some(wanted)) => {
            field == wanted || (field == "integer" && wanted == "string")
        }
        _ => true,
    }
}
