//! The sandbox's resources, kept as a real server keeps them. A resource is named by a
//! parameter of a path template (`/orders/{id}`): every operation at that template that
//! names it by that parameter (GET, DELETE, …) sees one store of ids, holding the ids the
//! case declares as `known` and the ids each producer a link names has made since: a
//! create's body field, or a new id it names in its `Location` header. A list a link takes
//! ids from lists the resources held, a few of which exist from the start (a read-only
//! API has resources no run made). A successful DELETE forgets the id it named, so the
//! resource is gone (404) afterwards.
//! Faults can keep a deleted resource served or leave a created one unstored; the server
//! decides when, this module only holds the ids.

use super::respond::{body_hash, BodyTemplate};
use super::BASE_PATH;
use crate::contract::wire::Parameter;
use crate::contract::{Operation, Produced};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

/// Every store of ids, by the path template and the envelope pointer that name it, and
/// which producer fills which.
#[derive(Default)]
pub(super) struct Resources {
    stores: HashMap<(String, String), Arc<Store>>,
    /// (producer, what it makes).
    producers: Vec<(String, Arc<Made>)>,
}

/// What one producer's answers make: where its ids are (a link's pointer, see
/// [`Produced`]), the store they go to, and the consumer's parameter they name.
pub(super) struct Made {
    /// The link's pointer: a body field, `Location`, or each listed item's field.
    pub(super) pointer: String,
    pub(super) store: Arc<Store>,
    /// The consumer's path template, e.g. `/orders/{id}`.
    template: String,
    parameter: Parameter,
    validator: Arc<jsonschema::Validator>,
}

/// How many resources the sandbox holds from the start for a list that names them, and
/// how many a list answer shows.
const SEEDED: u64 = 3;

/// What a path segment escapes: all but the unreserved characters.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

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
                if let Some((by, pointer)) = source.link() {
                    let known = resources.producers.iter().any(|(o, made)| {
                        (o.as_str(), made.pointer.as_str()) == (by, pointer)
                            && Arc::ptr_eq(&made.store, &store)
                    });
                    let made = Made::new(pointer, store, &operation.path, parameter);
                    if let Some(made) = made.filter(|_| !known) {
                        made.seed();
                        resources.producers.push((by.to_owned(), Arc::new(made)));
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

    /// What `producer`'s answers make.
    pub(super) fn made_by(&self, producer: &str) -> Vec<Arc<Made>> {
        self.producers
            .iter()
            .filter(|(name, _)| name == producer)
            .map(|(_, made)| Arc::clone(made))
            .collect()
    }
}

impl Made {
    fn new(
        pointer: &str,
        store: Arc<Store>,
        template: &str,
        parameter: &Parameter,
    ) -> Option<Made> {
        let validator = crate::schema::validator_options()
            .build(&parameter.schema)
            .ok()?;
        Some(Made {
            pointer: pointer.to_owned(),
            store,
            template: template.to_owned(),
            parameter: parameter.clone(),
            validator: Arc::new(validator),
        })
    }

    /// The consumer's path template.
    pub(super) fn template(&self) -> &str {
        &self.template
    }

    /// Where this producer's answer names its ids.
    pub(super) fn produced(&self) -> Option<Produced<'_>> {
        Produced::parse(&self.pointer)
    }

    /// A list names resources that exist before anyone makes one: a few, held from the start.
    fn seed(&self) {
        if self.produced().is_some_and(Produced::lists) {
            for serial in 0..SEEDED {
                if let Some(id) = self.mint(u64::MAX - serial, serial) {
                    remember(&self.store, &id);
                }
            }
        }
    }

    /// A new id the consumer's parameter allows, made from a request's `hash` and the
    /// producer's `serial`: `id-{hex}`, `{hex}`, a UUID or the serial's number, the first
    /// that its schema (formats included) takes.
    pub(super) fn mint(&self, hash: u64, serial: u64) -> Option<Value> {
        let mixed = hash ^ serial.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let uuid = format!(
            "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
            mixed >> 32,
            (mixed >> 16) & 0xffff,
            mixed & 0xfff,
            (mixed >> 12) & 0xfff,
            mixed & 0xffff_ffff_ffff
        );
        [
            format!("id-{mixed:016x}"),
            format!("{mixed:016x}"),
            uuid,
            (1001 + serial).to_string(),
        ]
        .into_iter()
        .map(|text| self.parameter.as_sent(&Value::String(text)))
        .find(|id| self.validator.is_valid(id))
    }

    /// Where the resource `id` is, for a create sent to `request_path` (the producer's
    /// path, as received): the request's path and the id where the consumer's template is
    /// the producer's and `/{parameter}`, else the consumer's template with the id in it.
    pub(super) fn location(
        &self,
        producer_template: &str,
        request_path: &str,
        id: &Value,
    ) -> String {
        let text = raw_key(id);
        let segment = percent_encoding::utf8_percent_encode(&text, SEGMENT).to_string();
        let slot = format!("{{{}}}", self.parameter.name);
        if self.template == format!("{producer_template}/{slot}") {
            return format!("{}/{segment}", request_path.trim_end_matches('/'));
        }
        format!("{BASE_PATH}{}", self.template.replace(&slot, &segment))
    }

    /// Whether the store holds `id` now.
    fn holds(&self, id: &Value) -> bool {
        self.store
            .lock()
            .is_ok_and(|set| set.contains(&raw_key(id)))
    }

    /// The ids held now, at most `limit`, in a stable order, as the parameter reads them.
    pub(super) fn held(&self, limit: usize) -> Vec<Value> {
        let Ok(set) = self.store.lock() else {
            return Vec::new();
        };
        let mut ids: Vec<&String> = set.iter().collect();
        ids.sort();
        ids.into_iter()
            .take(limit)
            .map(|text| self.parameter.as_sent(&Value::String(text.clone())))
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

/// A producer's part in its success answers: the ids its body names are kept, a create
/// that names its resource by `Location` gets a new id there, and a list's items are the
/// resources held now.
pub(super) struct Producing {
    made: Vec<Arc<Made>>,
    /// The producer's own path template.
    template: String,
    /// `false` under `created-not-stored`: the ids are named but never kept.
    stores: bool,
    listing: Option<Listing>,
    /// The success schema's validator: a fresh id replaces a rendered one only in a body
    /// it still takes.
    validator: Option<Arc<jsonschema::Validator>>,
}

impl Producing {
    /// `operation`'s part, given what it makes; `None` when it makes nothing. `item` is a
    /// body of one resource (a GET of it), for a list's items; `valid` says whether a
    /// success body is one its schema allows, so a list whose items would not be is left as
    /// it is.
    pub(super) fn new(
        operation: &Operation,
        made: Vec<Arc<Made>>,
        stores: bool,
        item: Option<BodyTemplate>,
        validator: Option<Arc<jsonschema::Validator>>,
        rendered: &[u8],
    ) -> Option<Producing> {
        if made.is_empty() {
            return None;
        }
        let valid = |body: &[u8]| {
            serde_json::from_slice::<Value>(body)
                .is_ok_and(|b| validator.as_ref().is_none_or(|v| v.is_valid(&b)))
        };
        let listing = made
            .iter()
            .find(|m| m.produced().is_some_and(Produced::lists))
            .zip(item)
            .map(|(made, item)| Listing {
                made: Arc::clone(made),
                item,
            })
            .filter(|listing| valid(&listing.fill(rendered)));
        Some(Producing {
            made,
            template: operation.path.clone(),
            stores,
            listing,
            validator,
        })
    }

    /// Make `rendered` (a success body for a request hashing to `hash`, the producer's
    /// `serial`-th answer) the answer of
    /// a request to `request_path`: its ids kept, its list filled; the `Location` to send.
    pub(super) fn answer(
        &self,
        rendered: &mut Vec<u8>,
        hash: u64,
        serial: u64,
        request_path: &str,
    ) -> Option<String> {
        if let Some(listing) = &self.listing {
            *rendered = listing.fill(rendered);
        }
        let mut body = serde_json::from_slice::<Value>(rendered).ok();
        let mut location = None;
        let mut renamed = false;
        for made in &self.made {
            let id = match made.produced() {
                Some(Produced::Body(pointer)) => body.as_mut().and_then(|body| {
                    let (id, fresh) = self.unheld(made, body, pointer, hash, serial)?;
                    renamed |= fresh;
                    Some(id)
                }),
                Some(Produced::Location) => {
                    let id = made.mint(hash, serial);
                    location = id
                        .as_ref()
                        .map(|id| made.location(&self.template, request_path, id));
                    id
                }
                Some(Produced::EachItem { .. }) | None => None,
            };
            if let Some(id) = id.filter(|_| self.stores) {
                remember(&made.store, &id);
            }
        }
        if let Some(body) = body.filter(|_| renamed) {
            if let Ok(bytes) = serde_json::to_vec(&body) {
                *rendered = bytes;
            }
        }
        location
    }

    /// The id at `pointer` of `body`, and whether it was made fresh: a rendered id the
    /// store already holds (a template renders an integer id the same every time) is
    /// replaced by a new one, where the body still validates, so two creates never name
    /// one resource and deleting one leaves the other.
    fn unheld(
        &self,
        made: &Made,
        body: &mut Value,
        pointer: &str,
        hash: u64,
        serial: u64,
    ) -> Option<(Value, bool)> {
        let rendered = body.pointer(pointer)?.clone();
        if !made.holds(&rendered) {
            return Some((rendered, false));
        }
        let Some(minted) = made.mint(hash, serial) else {
            return Some((rendered, false));
        };
        // The body may carry as a number what the parameter reads as text, or the reverse.
        let as_body = match (&rendered, &minted) {
            (Value::Number(_), Value::String(text)) => text.parse().unwrap_or(minted.clone()),
            (Value::String(_), Value::Number(number)) => Value::String(number.to_string()),
            _ => minted.clone(),
        };
        *body.pointer_mut(pointer)? = as_body.clone();
        if self.validator.as_ref().is_none_or(|v| v.is_valid(body)) {
            return Some((as_body, true));
        }
        *body.pointer_mut(pointer)? = rendered.clone();
        Some((rendered, false))
    }
}

/// A list producer's answers: its items are the resources held now.
struct Listing {
    made: Arc<Made>,
    /// One resource's body, whose field at the link's item pointer is set to each id.
    item: BodyTemplate,
}

impl Listing {
    /// `rendered` with the array the link names holding one item per resource held.
    fn fill(&self, rendered: &[u8]) -> Vec<u8> {
        let Some(Produced::EachItem { array, field }) = self.made.produced() else {
            return rendered.to_vec();
        };
        let Ok(mut body) = serde_json::from_slice::<Value>(rendered) else {
            return rendered.to_vec();
        };
        let items: Vec<Value> = self
            .made
            .held(SEEDED as usize)
            .into_iter()
            .filter_map(|id| {
                let text = raw_key(&id);
                let rendered = self.item.render(body_hash(text.as_bytes()));
                let mut item: Value = serde_json::from_slice(&rendered).ok()?;
                *item.pointer_mut(field)? = id;
                Some(item)
            })
            .collect();
        match body.pointer_mut(array) {
            Some(slot) => *slot = Value::Array(items),
            None => return rendered.to_vec(),
        }
        serde_json::to_vec(&body).unwrap_or_else(|_| rendered.to_vec())
    }
}
