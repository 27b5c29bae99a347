//! Whether a payload is what its label says, as the server will see it.
//!
//! For a body sent as it is, that is the schema's verdict. For an operation generated as an
//! envelope (parameters, no body), it is the verdict on the envelope *after* a round trip
//! over the wire: a number sent where a string is documented reads back as a valid string,
//! so a "wrong type" that the wire erases is not planned as a reject, and a value that cannot
//! be sent at all (a path segment `..`, a header with a line break) is not planned.

use super::{Body, RandomClass};
use crate::contract::wire::RequestShape;
use serde_json::Value;
use std::sync::Arc;

/// The schema's validator plus, for an envelope, the wire it travels over.
#[derive(Clone)]
pub(crate) struct Judge {
    pub validator: Arc<jsonschema::Validator>,
    pub shape: Option<Arc<RequestShape>>,
}

impl std::fmt::Debug for Judge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Judge")
            .field("enveloped", &self.shape.is_some())
            .finish()
    }
}

impl Judge {
    /// `Some(valid)` as the server sees `value`; `None` when it cannot be sent.
    pub(crate) fn verdict(&self, value: &Value) -> Option<bool> {
        match &self.shape {
            None => Some(self.validator.is_valid(value)),
            Some(shape) => {
                // What is planned is exactly what the server reads, or it is not planned:
                // a "wrong type" the wire erases, or a part it cannot carry, is neither
                // the accept nor the reject its label says.
                let seen = shape.round_trip(value)?;
                (seen == *value).then(|| self.validator.is_valid(&seen))
            }
        }
    }

    /// Whether `body` is what `class` promises.
    pub(crate) fn keeps(&self, class: RandomClass, body: &Body) -> bool {
        let parsed;
        let value = match body {
            Body::Json(value) => value,
            Body::Serialized(bytes) => match serde_json::from_slice::<Value>(bytes) {
                Ok(value) => {
                    parsed = value;
                    &parsed
                }
                Err(_) => return class == RandomClass::Invalid && self.shape.is_none(),
            },
            Body::Raw(_) => return class == RandomClass::Invalid && self.shape.is_none(),
            Body::RawWith { .. } => return class == RandomClass::Invalid,
        };
        self.verdict(value) == Some(class == RandomClass::Valid)
    }
}
