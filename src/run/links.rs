//! Links between operations: a parameter whose valid values come from another operation's
//! answer (`link = { operation = "orders-create", pointer = "/id" }`, OpenAPI's `links`;
//! a `Location` header or a list's items, see [`Produced`]). Before the plan starts, each
//! link's producer is sent its first valid request once; the ids it names become the
//! consumer's known ids. So the consumer's valid
//! requests name a resource the server made, and a well-formed id it never made expects the
//! documented 404. Each link gets a resource of its own: a DELETE does not take a GET's.

use super::client::{ClientOptions, Endpoint, Outgoing};
use super::{endpoint, ApiKey, RunError};
use crate::check::Outcome;
use crate::contract::wire::{IdSource, Parameter};
use crate::contract::Operation;
use crate::contract::Produced;
use crate::generate::{Body, Generator, PlannedRequest, RandomClass};
use crate::results::{Check, Warning};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use url::Url;

/// How many of the ids a list answers a consumer's valid requests spread over.
const MAX_LISTED_IDS: usize = 16;

/// How many other valid requests a producer is sent after a 409 Conflict, each drawn anew.
const FRESH_TRIES: u64 = 8;

/// The seed of those draws: not the plan's, so no draw repeats one of the plan's own
/// random requests (whose creates the server may hold already).
const FRESH_SEED: u64 = 0x0c0f_11c7_5eed;

/// Where the producers are sent.
pub(super) struct Target<'a> {
    pub client: &'a super::client::HttpClient,
    pub options: &'a ClientOptions,
    pub base_url: &'a Url,
    pub key: Option<&'a ApiKey>,
    /// Whether one more request may go (the run's request cap).
    pub permit: &'a (dyn Fn() -> bool + Sync),
    /// The run's OAuth2 clients, whose tokens a valid request carries.
    pub tokens: &'a [Arc<super::oauth::TokenSource>],
    /// Draws of fresh valid requests so far (see [`send_valid`]): each is another.
    pub fresh: &'a AtomicU64,
}

/// `operations` with every linked parameter bound to a value its producer returned, and a
/// warning for each inferred link left unbound because its producer named no id.
pub(super) async fn bind(
    operations: Vec<Arc<Operation>>,
    generators: &[Arc<Generator>],
    target: &Target<'_>,
) -> Result<(Vec<Arc<Operation>>, Vec<Warning>), RunError> {
    let mut bound = Vec::with_capacity(operations.len());
    let mut dropped = Vec::new();
    for operation in &operations {
        let links: Vec<(Parameter, String, String)> = operation
            .links()
            .into_iter()
            .map(|(p, producer, pointer)| (p.clone(), producer.to_owned(), pointer.to_owned()))
            .collect();
        let mut current = Arc::clone(operation);
        for (parameter, producer, pointer) in links {
            let consumer = (operation.path.as_str(), parameter.name.as_str());
            let made = produce(
                &operations,
                generators,
                target,
                &producer,
                &pointer,
                consumer,
            )
            .await;
            let inferred = matches!(parameter.ids, Some(IdSource::Inferred { .. }));
            let made = match made {
                Ok(made) => made,
                // An inferred link is a guess: if its producer names no id, the ids stay
                // invented (their documented not-found answers conform), as with no link.
                Err(problem) if inferred => {
                    let problem = target.key.map_or(problem.clone(), |k| k.scrub(&problem));
                    dropped.push(unbound(operation, &parameter, &producer, &problem));
                    continue;
                }
                Err(problem) => {
                    return Err(RunError::Link {
                        consumer: operation.name.clone(),
                        parameter: parameter.name.clone(),
                        producer: producer.clone(),
                        // A server's answer may echo the key; the message goes to the console.
                        problem: target.key.map_or(problem.clone(), |k| k.scrub(&problem)),
                    });
                }
            };
            // Only ids the parameter's own schema allows: one that does not (an inferred
            // link that guessed wrong, or a document that disagrees with itself) stays
            // invented, and its not-found answers conform. So does a list with no items.
            let ids: Vec<serde_json::Value> = made
                .iter()
                .map(|id| parameter.as_sent(id))
                .filter(|id| fits(&parameter, id))
                .take(MAX_LISTED_IDS)
                .collect();
            if ids.is_empty() {
                continue;
            }
            current = Arc::new(current.with_linked_ids(
                parameter.location,
                &parameter.name,
                ids,
                &producer,
            )?);
        }
        bound.push(current);
    }
    Ok((bound, dropped))
}

/// The note that an inferred link was left unbound: `problem` is why its producer named no id.
fn unbound(consumer: &Operation, parameter: &Parameter, producer: &str, problem: &str) -> Warning {
    Warning {
        check: Check::ResourceUnavailable,
        cause: format!(
            "inferred link {producer} → {}.{} named no id",
            consumer.name, parameter.name
        ),
        message: format!(
            "the link inferred from `{producer}` to `{}` of `{}` gave no id ({problem}); \
             its ids are invented, and their documented not-found answers conform. Declare \
             the link (or `[links] infer = false`) to say where ids come from",
            parameter.name, consumer.name
        ),
        count: 1,
    }
}

/// Whether `value` satisfies `parameter`'s own schema (formats checked).
pub(super) fn fits(parameter: &Parameter, value: &serde_json::Value) -> bool {
    jsonschema::options()
        .should_validate_formats(true)
        .build(&parameter.schema)
        .is_ok_and(|validator| validator.is_valid(value))
}

/// Send `producer`'s first valid request and read the ids at `pointer` of its answer, for
/// `consumer`'s path template and parameter.
pub(super) async fn produce(
    operations: &[Arc<Operation>],
    generators: &[Arc<Generator>],
    target: &Target<'_>,
    producer: &str,
    pointer: &str,
    consumer: (&str, &str),
) -> Result<Vec<serde_json::Value>, String> {
    let index = operations
        .iter()
        .position(|o| o.name == producer)
        .ok_or_else(|| format!("no operation is named `{producer}`"))?;
    let sent = send_valid(&operations[index], &generators[index], target, None).await?;
    made_ids(&sent, pointer, consumer)
}

/// One request of a run's set-up or of a lifecycle sequence, with what came back.
pub(super) struct Sent {
    pub planned: PlannedRequest,
    pub outgoing: Outgoing,
    pub outcome: Outcome,
}

/// Send `operation`'s first valid request, with the value at an envelope pointer replaced
/// when `with` says so (a consumer naming a resource).
///
/// A 409 Conflict says the request conflicts with what the server holds: a server with a
/// unique field refuses a create repeating one it made (the first valid request is sent
/// once per link, per valid DELETE and per sequence). Then other valid requests, drawn with
/// a fixed seed, each a draw no earlier one of the run took, are sent until one is not
/// answered 409, up to [`FRESH_TRIES`]; the last is returned.
pub(super) async fn send_valid(
    operation: &Operation,
    generator: &Generator,
    target: &Target<'_>,
    with: Option<(&str, &serde_json::Value)>,
) -> Result<Sent, String> {
    let first = generator
        .first_valid()
        .ok_or_else(|| format!("`{}` has no valid request to send", operation.name))?;
    let endpoint = Endpoint::new(
        operation,
        endpoint(target.base_url, &operation.path),
        target.key,
    )
    .with_tokens(target.tokens, operation);
    let mut sent = send_one(&endpoint, first, target, with).await?;
    for _ in 0..FRESH_TRIES {
        if !matches!(&sent.outcome, Outcome::Response(r) if r.status == 409) {
            break;
        }
        let index = target.fresh.fetch_add(1, Ordering::Relaxed);
        let planned = generator.random(FRESH_SEED, RandomClass::Valid, index);
        sent = send_one(&endpoint, planned, target, with).await?;
    }
    Ok(sent)
}

/// Send `planned` to `endpoint`, with the value at an envelope pointer replaced when `with`
/// says so.
async fn send_one(
    endpoint: &Endpoint,
    mut planned: PlannedRequest,
    target: &Target<'_>,
    with: Option<(&str, &serde_json::Value)>,
) -> Result<Sent, String> {
    if let (Some((pointer, value)), Body::Json(envelope)) = (with, &mut planned.body) {
        if let Some(slot) = envelope.pointer_mut(pointer) {
            *slot = value.clone();
        }
    }
    let outgoing = endpoint.outgoing(&planned);
    let outcome = endpoint
        .send(
            target.client,
            target.options,
            &planned,
            &outgoing,
            target.permit,
        )
        .await
        .ok_or_else(|| "the request was not sent".to_owned())?;
    Ok(Sent {
        planned,
        outgoing,
        outcome,
    })
}

/// The ids a producer's answer names at `pointer` (see [`Produced`]), for `consumer`'s
/// parameter: a 2xx answer with a value there (none for a list with no items).
pub(super) fn made_ids(
    sent: &Sent,
    pointer: &str,
    consumer: (&str, &str),
) -> Result<Vec<serde_json::Value>, String> {
    let response = match &sent.outcome {
        Outcome::Response(response) => response,
        Outcome::Transport(failure) => return Err(failure.to_string()),
    };
    if !(200..300).contains(&response.status) {
        return Err(format!(
            "its valid request `{}` got {}, not a 2xx",
            sent.planned.id, response.status
        ));
    }
    let produced =
        Produced::parse(pointer).ok_or_else(|| format!("`{pointer}` is not a pointer"))?;
    let ids = produced
        .ids(response.header("location"), &response.body, consumer)
        .map_err(|problem| format!("{}: {problem}", response.status))?;
    let echoed = path_values(&sent.planned.body);
    Ok(ids
        .into_iter()
        .filter(|id| !echoed.contains(&as_segment(id)))
        .collect())
}

/// The path parameters a request sent, as URL segments. An answer's field that equals one
/// of them echoes the request (`GET /users/{name}` answering its `name`): it names no new
/// resource, and an invented id taken for one would be blamed on the server.
fn path_values(body: &Body) -> Vec<String> {
    let Body::Json(envelope) = body else {
        return Vec::new();
    };
    envelope
        .get(crate::contract::wire::Location::Path.as_str())
        .and_then(serde_json::Value::as_object)
        .map(|path| path.values().map(as_segment).collect())
        .unwrap_or_default()
}

/// An id as a URL carries it: a string's text, any other value's JSON.
fn as_segment(id: &serde_json::Value) -> String {
    match id {
        serde_json::Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// The one id a create's answer names at `pointer`.
pub(super) fn made_id(
    sent: &Sent,
    pointer: &str,
    consumer: (&str, &str),
) -> Result<serde_json::Value, String> {
    made_ids(sent, pointer, consumer)?
        .into_iter()
        .next()
        .ok_or_else(|| format!("its answer names no id at `{pointer}`"))
}
