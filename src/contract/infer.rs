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
use std::collections::HashMap;
use std::rc::Rc;

/// `operations` with a link inferred for each path parameter that has none and whose
/// resource a create or a list names, except in the operations `infer` says not to.
pub(super) fn infer_links(
    operations: &mut [Operation],
    infer: &[bool],
) -> Result<(), ContractError> {
    let mut inferred = Vec::new();
    let mut indexes = Indexes::default();
    for (index, consumer) in operations.iter().enumerate() {
        if !infer.get(index).copied().unwrap_or(true) {
            continue;
        }
        for parameter in consumer.shape.iter().flat_map(|s| s.parameters()) {
            if parameter.location != wire::Location::Path || parameter.ids.is_some() {
                continue;
            }
            if let Some(link) = producer_for(operations, consumer, parameter, &mut indexes) {
                inferred.push((index, parameter.name.clone(), link));
            }
        }
    }
    for (index, name, link) in inferred {
        operations[index] = operations[index].with_ids(wire::Location::Path, &name, link)?;
    }
    Ok(())
}

/// The [`Index`] of each success schema looked into, by its document's address (the
/// operations hold the documents while links are inferred): a create or a list is looked
/// into for every path parameter it may feed, and indexing a large document's schema, its
/// shared definitions copied in, each time was a tenth of Stripe's import.
#[derive(Default)]
struct Indexes(HashMap<usize, Rc<Index>>);

impl Indexes {
    fn of(&mut self, document: &std::sync::Arc<Value>) -> Rc<Index> {
        let address = std::sync::Arc::as_ptr(document) as usize;
        Rc::clone(
            self.0
                .entry(address)
                .or_insert_with(|| Rc::new(Index::new(document))),
        )
    }
}

/// The create, else the list, whose success answer names the resource `parameter` of
/// `consumer` names.
fn producer_for(
    operations: &[Operation],
    consumer: &Operation,
    parameter: &wire::Parameter,
    indexes: &mut Indexes,
) -> Option<wire::IdSource> {
    let collection = consumer
        .path
        .strip_suffix(&format!("/{{{}}}", parameter.name))?;
    let at_collection = |method: http::Method| {
        operations
            .iter()
            .filter(move |o| o.method == method && o.path == collection)
            .filter(|o| o.links().is_empty())
    };
    let link = |producer: &Operation, pointer: String| wire::IdSource::Inferred {
        operation: producer.name.clone(),
        pointer,
    };
    let made = at_collection(http::Method::POST).find_map(|create| {
        let pointer = body_field(create, parameter, indexes)
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
                .find_map(|list| Some(link(list, listed_field(list, parameter, indexes)?)))
        })?
    })
}

/// The first documented exact 2xx response of `operation`.
fn success(operation: &Operation) -> Option<&ResponseSpec> {
    operation.responses.iter().find(|r| {
        matches!(r.status, ResponseStatus::Pattern(StatusPattern::Exact(code)) if (200..300).contains(&code))
    })
}

/// The top-level field of `producer`'s first documented 2xx body that fits `parameter`.
fn body_field(
    producer: &Operation,
    parameter: &wire::Parameter,
    indexes: &mut Indexes,
) -> Option<String> {
    let document = &success(producer)?.schema.as_ref()?.document;
    let index = indexes.of(document);
    field_in(document, &index, document, parameter)
}

/// Whether `producer`'s first documented 2xx response declares a `Location` header.
fn declares_location(producer: &Operation) -> bool {
    success(producer).is_some_and(|r| r.headers.iter().any(|h| h.name == http::header::LOCATION))
}

/// The pointer (`/orders/*/id`, `/*/id`) to the field that fits `parameter` in each item of
/// the array `list`'s first documented 2xx body is, or has as a top-level property.
fn listed_field(
    list: &Operation,
    parameter: &wire::Parameter,
    indexes: &mut Indexes,
) -> Option<String> {
    let document = &success(list)?.schema.as_ref()?.document;
    let index = indexes.of(document);
    let root = resolved(document, &index, document);
    let item_field = |array: &Value| {
        let items = resolved(document, &index, Keyword::Items.value_in(array)?);
        field_in(document, &index, items, parameter)
    };
    if let Some(field) = item_field(root) {
        return Some(format!("/*/{}", crate::schema::escape(&field)));
    }
    let properties = Keyword::Properties.value_in(root)?.as_object()?;
    properties.iter().find_map(|(name, property)| {
        let field = item_field(resolved(document, &index, property))?;
        let escape = crate::schema::escape;
        Some(format!("/{}/*/{}", escape(name), escape(&field)))
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

/// The property of the object schema `node` that fits `parameter` by name and schema.
fn field_in(
    document: &Value,
    index: &Index,
    node: &Value,
    parameter: &wire::Parameter,
) -> Option<String> {
    let properties = Keyword::Properties
        .value_in(resolved(document, index, node))?
        .as_object()?;
    let name = parameter.name.as_str();
    let ends_in_id = name.len() > 2 && name[name.len() - 2..].eq_ignore_ascii_case("id");
    let candidates = [Some(name), ends_in_id.then_some("id")];
    candidates
        .into_iter()
        .flatten()
        .find(|field| {
            properties.get(*field).is_some_and(|property| {
                fits(resolved(document, index, property), &parameter.schema)
            })
        })
        .map(str::to_owned)
}

/// Whether a body field's schema can hold the parameter's ids: the same type, or an
/// integer id for a string parameter (sent as its digits). A field whose type is not
/// written here is taken on its name.
fn fits(property: &Value, parameter: &Value) -> bool {
    let kind = |schema: &Value| {
        Keyword::Type
            .value_in(schema)
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    match (kind(property), kind(parameter)) {
        (Some(field), Some(wanted)) => {
            field == wanted || (field == "integer" && wanted == "string")
        }
        _ => true,
    }
}
