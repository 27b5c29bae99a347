//! The sandbox's resources, kept as a real server keeps them. A resource is named by a
//! parameter of a path template (`/orders/{id}`): every operation at that template that
//! names it by that parameter (GET, DELETE, …) sees one store of ids, holding the ids the
//! case declares as `known` and the ids each producer a link names has made since. A
//! successful DELETE forgets the id it named, so the resource is gone (404) afterwards.
//! Faults can keep a deleted resource served or leave a created one unstored; the server
//! decides when, this module only holds the ids.

use crate::contract::wire::{IdSource, Parameter};
use crate::contract::Operation;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

/// Every store of ids, by the path template and the envelope pointer that name it, and
/// which producer fills which.
#[derive(Default)]
pub(super) struct Resources {
    stores: HashMap<(String, String), Arc<Store>>,
    /// (producer, pointer into its success body, the store its ids go to).
    producers: Vec<(String, String, Arc<Store>)>,
}

impl Resources {
    /// The stores of `operations`, the `known` ids in them, and the producers filling them.
    pub(super) fn build(operations: &[Arc<Operation>]) -> Resources {
        let mut resources = Resources::default();
        for operation in operations {
            for parameter in operation.shape.iter().flat_map(|s| s.parameters()) {
                let Some(source) = &parameter.ids else {
                    continue;
                };
                let store = Arc::clone(
                    resources
                        .stores
                        .entry((operation.path.clone(), parameter.pointer()))
                        .or_default(),
                );
                for id in source.ids().unwrap_or_default() {
                    remember(&store, id);
                }
                if let IdSource::Link { operation, pointer } = source {
                    let fills = (operation.clone(), pointer.clone(), store);
                    let known = resources.producers.iter().any(|(o, p, s)| {
                        (o, p) == (&fills.0, &fills.1) && Arc::ptr_eq(s, &fills.2)
                    });
                    if !known {
                        resources.producers.push(fills);
                    }
                }
            }
        }
        resources
    }

    /// The parameters of `operation` that name a resource, each with its store.
    pub(super) fn ids_of(&self, operation: &Operation) -> Vec<IdParameter> {
        operation
            .shape
            .iter()
            .flat_map(|s| s.parameters())
            .filter_map(|parameter| {
                let key = (operation.path.clone(), parameter.pointer());
                IdParameter::new(parameter, Arc::clone(self.stores.get(&key)?))
            })
            .collect()
    }

    /// Where the ids `producer` makes are in its success bodies, and the stores they go to.
    pub(super) fn made_by(&self, producer: &str) -> Vec<(String, Arc<Store>)> {
        self.producers
            .iter()
            .filter(|(name, _, _)| name == producer)
            .map(|(_, pointer, store)| (pointer.clone(), Arc::clone(store)))
            .collect()
    }
}

/// The ids of the resources one producer (or one `known` list) stands for.
pub(super) type Store = Mutex<HashSet<String>>;

/// A parameter that names a resource: where it is in an envelope, its own schema, and the
/// ids that exist.
pub(super) struct IdParameter {
    /// Its envelope pointer, e.g. `/path/orderId`.
    pub(super) pointer: String,
    /// Its own schema, compiled (formats checked): a malformed id is a 400, not a 404.
    pub(super) validator: Arc<jsonschema::Validator>,
    parameter: Parameter,
    existing: Arc<Store>,
}

impl IdParameter {
    /// A parameter whose ids are those in `existing`.
    fn new(parameter: &Parameter, existing: Arc<Store>) -> Option<IdParameter> {
        let validator = crate::schema::validator_options()
            .build(&parameter.schema)
            .ok()?;
        Some(IdParameter {
            pointer: parameter.pointer(),
            validator: Arc::new(validator),
            parameter: parameter.clone(),
            existing,
        })
    }

    /// Whether a resource with this id exists (ids that differ only in case are one where
    /// the parameter's format says so).
    pub(super) fn exists(&self, id: &Value) -> bool {
        let Ok(set) = self.existing.lock() else {
            return false;
        };
        set.contains(&raw_key(id)) || set.contains(&self.parameter.id_key(id))
    }

    /// The resource with this id is deleted.
    pub(super) fn forget(&self, id: &Value) {
        if let Ok(mut set) = self.existing.lock() {
            set.remove(&raw_key(id));
            if self.parameter.case_insensitive() {
                // Stored as made: the id may have been made in the other case.
                let key = self.parameter.id_key(id);
                set.retain(|stored| stored.to_ascii_lowercase() != key);
            }
        }
    }
}

/// Keep `id` in `store`: the resource exists from now on.
pub(super) fn remember(store: &Store, id: &Value) {
    if let Ok(mut set) = store.lock() {
        set.insert(raw_key(id));
    }
}

/// An id as a URL carries it: a string's text, any other value's JSON (so the integer `7`
/// a producer made and the path segment `"7"` a consumer sends are the same id).
fn raw_key(id: &Value) -> String {
    match id {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}
