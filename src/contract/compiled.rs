//! Compiled validators, one per distinct schema in the process: operations of a large
//! document share schemas (every error response, a resource read, updated and listed), an
//! import checks a schema before writing it and loads it again after, and the sandbox and the
//! run load the same cases. Each distinct schema is checked against the meta-schema and
//! compiled once, and its document is kept once, whichever file or operation asks.

use serde_json::Value;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::{Arc, LazyLock, Mutex};

/// A checked schema document and its validator.
pub(super) type Compiled = (Arc<Value>, Arc<jsonschema::Validator>);

/// Schemas compiled so far, by [`fingerprint`]; several when two fingerprints collide.
static COMPILED: LazyLock<Mutex<HashMap<u64, Vec<Compiled>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// The compiled form of `document`, made by `compile` the first time this document (equal
/// as JSON, whatever the order of its keys) is asked for. Failures are not kept: their error
/// names the file that asked.
pub(super) fn compiled<E>(
    document: Value,
    compile: impl FnOnce(&Value) -> Result<jsonschema::Validator, E>,
) -> Result<Compiled, E> {
    let key = fingerprint(&document);
    if let Some(found) = lookup(key, &document) {
        return Ok(found);
    }
    // Compiling takes long: other threads keep their access meanwhile; a schema compiled
    // twice at once is kept once.
    let validator = compile(&document)?;
    let mut compiled = COMPILED.lock().unwrap_or_else(|e| e.into_inner());
    let entries = compiled.entry(key).or_default();
    if let Some(found) = entries.iter().find(|(kept, _)| **kept == document) {
        return Ok(found.clone());
    }
    let entry = (Arc::new(document), Arc::new(validator));
    entries.push(entry.clone());
    Ok(entry)
}

fn lookup(key: u64, document: &Value) -> Option<Compiled> {
    let compiled = COMPILED.lock().unwrap_or_else(|e| e.into_inner());
    let entries = compiled.get(&key)?;
    entries
        .iter()
        .find(|(kept, _)| **kept == *document)
        .cloned()
}

/// A hash of `value` as JSON: objects hash their members whatever their order, as JSON
/// equality compares them.
fn fingerprint(value: &Value) -> u64 {
    let mut hasher = SEED.build_hasher();
    feed(value, &mut hasher);
    hasher.finish()
}

const SEED: foldhash::fast::FixedState = foldhash::fast::FixedState::with_seed(0x5eed);

fn feed(value: &Value, hasher: &mut impl Hasher) {
    match value {
        Value::Null => 0u8.hash(hasher),
        Value::Bool(b) => (1u8, b).hash(hasher),
        Value::Number(n) => (2u8, n).hash(hasher),
        Value::String(s) => (3u8, s).hash(hasher),
        Value::Array(items) => {
            (4u8, items.len()).hash(hasher);
            for item in items {
                feed(item, hasher);
            }
        }
        Value::Object(members) => {
            let sum = members.iter().fold(0u64, |sum, (key, member)| {
                let mut one = SEED.build_hasher();
                key.hash(&mut one);
                feed(member, &mut one);
                sum.wrapping_add(one.finish())
            });
            (5u8, members.len(), sum).hash(hasher);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn equal_schemas_share_one_validator_and_others_do_not() {
        let compile = |v: &Value| jsonschema::validator_for(v);
        let a = compiled(json!({"type": "string", "minLength": 3, "x": 1}), compile).unwrap();
        let reordered = json!({"x": 1, "minLength": 3, "type": "string"});
        let b = compiled(reordered, compile).unwrap();
        assert!(Arc::ptr_eq(&a.1, &b.1), "the same schema is compiled once");
        let other = compiled(json!({"type": "string", "minLength": 4, "x": 1}), compile).unwrap();
        assert!(!Arc::ptr_eq(&a.1, &other.1));
        assert!(other.1.is_valid(&json!("four")) && !other.1.is_valid(&json!("abc")));
    }
}
