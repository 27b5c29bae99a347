//! Links inferred where none are declared: a path parameter `{P}` at the end of
//! `/things/{P}` takes its ids from `POST /things` when that create's success body has a
//! field that fits `P` by name and schema (`P` itself, or `id` for a `P` ending in `id`, as
//! `id` of `POST /orders` fits `{orderId}` of `/orders/{orderId}`). A parameter with
//! declared `known` ids or a declared `link` is left as written, so a case corrects an
//! inferred link by declaring the right one.

use super::{wire, ContractError, Operation, ResponseStatus, StatusPattern};
use serde_json::Value;

/// `operations` with a link inferred for each path parameter that has none and fits a
/// create's success body.
pub(super) fn infer_links(operations: &mut [Operation]) -> Result<(), ContractError> {
    let mut inferred = Vec::new();
    for (index, consumer) in operations.iter().enumerate() {
        for parameter in consumer.shape.iter().flat_map(|s| s.parameters()) {
            if parameter.location != wire::Location::Path || parameter.ids.is_some() {
                continue;
            }
            if let Some(link) = producer_for(operations, consumer, parameter) {
                inferred.push((index, parameter.name.clone(), link));
            }
        }
    }
    for (index, name, link) in inferred {
        operations[index] = operations[index].with_ids(wire::Location::Path, &name, link)?;
    }
    Ok(())
}

/// The create whose success body names the resource `parameter` of `consumer` names.
fn producer_for(
    operations: &[Operation],
    consumer: &Operation,
    parameter: &wire::Parameter,
) -> Option<wire::IdSource> {
    let collection = consumer
        .path
        .strip_suffix(&format!("/{{{}}}", parameter.name))?;
    operations
        .iter()
        .filter(|o| o.method == http::Method::POST && o.path == collection)
        .filter(|o| o.links().is_empty())
        .find_map(|producer| {
            let field = field_for(producer, parameter)?;
            Some(wire::IdSource::Link {
                operation: producer.name.clone(),
                pointer: format!("/{}", crate::schema::escape(&field)),
            })
        })
}

/// The top-level field of `producer`'s first documented 2xx body that fits `parameter`.
fn field_for(producer: &Operation, parameter: &wire::Parameter) -> Option<String> {
    let schema = producer.responses.iter().find_map(|r| match r.status {
        ResponseStatus::Pattern(StatusPattern::Exact(code)) if (200..300).contains(&code) => {
            r.schema.as_ref()
        }
        _ => None,
    })?;
    let properties = schema.document.get("properties")?.as_object()?;
    let name = parameter.name.as_str();
    let ends_in_id = name.len() > 2 && name[name.len() - 2..].eq_ignore_ascii_case("id");
    let candidates = [Some(name), ends_in_id.then_some("id")];
    candidates
        .into_iter()
        .flatten()
        .find(|field| {
            properties
                .get(*field)
                .is_some_and(|property| fits(property, &parameter.schema))
        })
        .map(str::to_owned)
}

/// Whether a body field's schema can hold the parameter's ids: the same type, or an
/// integer id for a string parameter (sent as its digits). A field whose type is not
/// written here (a `$ref`) is taken on its name.
fn fits(property: &Value, parameter: &Value) -> bool {
    let kind = |schema: &Value| {
        schema
            .get("type")
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
