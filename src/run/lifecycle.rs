//! Resources over a run: which linked parameters name a resource that a request consumes
//! (a DELETE's), and a resource of its own for each valid consuming request. A DELETE of
//! the one id bound when the run started would delete it once and find it gone every
//! time after, so each valid DELETE naming it is sent for a resource its producer makes
//! just before: nothing labelled valid goes to an id the run has already deleted. The
//! plan is unchanged (it names the bound id); only the request on the wire differs.

use crate::contract::Operation;
use crate::generate::Body;
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

    /// The linked parameters the valid requests of operation `index` consume (a DELETE's).
    pub(super) fn consumed(&self, index: usize) -> Vec<&LinkedParameter> {
        self.links
            .iter()
            .filter(|l| l.consumes && l.operation == index)
            .collect()
    }
}

/// The envelope of a planned request, as JSON.
pub(super) fn envelope(body: &Body) -> Option<Value> {
    match body {
        Body::Json(value) => Some(value.clone()),
        Body::Serialized(bytes) => serde_json::from_slice(bytes).ok(),
        Body::Raw(_) | Body::RawWith { .. } => None,
    }
}
