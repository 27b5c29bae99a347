//! Resources over a run: which linked parameters name a resource that a request consumes
//! (a DELETE's), and a resource of its own for each valid consuming request. A DELETE of
//! the one id bound when the run started would delete it once and find it gone every
//! time after, so each valid DELETE naming it is sent for a resource its producer makes
//! just before: nothing labelled valid goes to an id the run has already deleted. The
//! plan is unchanged (it names the bound id); only the request on the wire differs.

use super::client::Outgoing;
use super::links::{produce, Target};
use super::shared::Shared;
use crate::contract::wire::IdSource;
use crate::contract::{Expect, Operation};
use crate::generate::{Body, KeyUse, PlannedRequest};
use serde_json::Value;
use std::sync::Arc;

/// A linked parameter, as the case declares it (before the run binds it).
#[derive(Debug, Clone)]
pub(super) struct LinkedParameter {
    /// The consumer's index among the run's operations.
    pub operation: usize,
    /// The parameter's envelope pointer, e.g. `/path/id`.
    pub pointer: String,
    /// The parameter's name, e.g. `id` (where its id is in a `Location` URL).
    pub name: String,
    /// The producing operation's name.
    pub producer: String,
    /// Where the id is in the producer's success body.
    pub producer_pointer: String,
    /// The consumer deletes what it names (a DELETE).
    pub consumes: bool,
}

/// Every linked parameter of a run's operations.
#[derive(Debug, Default)]
pub(super) struct Lifecycle {
    pub(super) links: Vec<LinkedParameter>,
}

impl Lifecycle {
    /// The links of `operations`, read before the run binds them.
    pub(super) fn new(operations: &[Arc<Operation>]) -> Lifecycle {
        let links = operations
            .iter()
            .enumerate()
            .flat_map(|(index, operation)| {
                let consumes = operation.method == http::Method::DELETE;
                operation
                    .links()
                    .into_iter()
                    .map(move |(parameter, producer, pointer)| LinkedParameter {
                        operation: index,
                        pointer: parameter.pointer(),
                        name: parameter.name.clone(),
                        producer: producer.to_owned(),
                        producer_pointer: pointer.to_owned(),
                        consumes,
                    })
            })
            .collect();
        Lifecycle { links }
    }

    /// For a valid request that consumes the bound resource: the request on the wire for a
    /// resource made for it alone. `None`: send it as planned (it consumes nothing, names an
    /// unknown id on purpose, or no resource could be made).
    pub(super) async fn own_resource(
        &self,
        shared: &Shared,
        client: &super::connection::HttpClient,
        index: usize,
        planned: &PlannedRequest,
    ) -> Option<Outgoing> {
        // Collected: an iterator with closures held across an await is not `Send`.
        let consumed: Vec<&LinkedParameter> = self
            .links
            .iter()
            .filter(|l| l.consumes && l.operation == index)
            .collect();
        if consumed.is_empty() || planned.expect != Expect::Accept || planned.key != KeyUse::Valid {
            return None;
        }
        let shape = shared.operations[index].shape.clone()?;
        let mut envelope = envelope(&planned.body)?;
        let permit = || shared.permit();
        let target = Target {
            client,
            options: &shared.config.settings.client,
            base_url: &shared.config.base_url,
            key: shared.config.key.as_ref(),
            permit: &permit,
            tokens: &shared.tokens,
        };
        let mut changed = false;
        for link in consumed {
            let Some(parameter) = shape.parameters().find(|p| p.pointer() == link.pointer) else {
                continue;
            };
            let bound = parameter.ids.as_ref().and_then(IdSource::ids);
            let named = envelope.pointer(&link.pointer);
            let names_bound = bound
                .zip(named)
                .is_some_and(|(ids, named)| ids.iter().any(|id| parameter.same_id(id, named)));
            if !names_bound {
                continue;
            }
            let consumer = (shared.operations[index].path.as_str(), link.name.as_str());
            let made = produce(
                &shared.operations,
                &shared.generators,
                &target,
                &link.producer,
                &link.producer_pointer,
                consumer,
            )
            .await
            .ok()?;
            *envelope.pointer_mut(&link.pointer)? = parameter.as_sent(made.first()?);
            changed = true;
        }
        if !changed {
            return None;
        }
        let mut fresh = planned.clone();
        fresh.body = Body::Json(envelope);
        Some(shared.endpoints[index].outgoing(&fresh))
    }
}

/// The envelope of a planned request, as JSON.
fn envelope(body: &Body) -> Option<Value> {
    match body {
        Body::Json(value) => Some(value.clone()),
        Body::Serialized(bytes) => serde_json::from_slice(bytes).ok(),
        Body::Raw(_) | Body::RawWith { .. } => None,
    }
}
