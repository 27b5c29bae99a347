//! Schemas and their validators, one per distinct schema in the process: operations of a large
//! document share schemas (every error response, a resource read, updated and listed), an
//! import checks a schema before writing it and loads it again after, and the sandbox and the
//! run load the same cases. Each distinct schema is checked against the meta-schema and
//! compiled once, and its document is kept once, whichever file or operation asks.

use serde_json::Value;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::{Arc, LazyLock, Mutex, OnceLock};

/// A checked schema document, kept once, and its validator, compiled the first time a
/// payload is judged against it: a plan judges only request schemas, so the response
/// schemas of a large document (each reaching most of its shared definitions) are never
/// compiled by it.
#[derive(Clone)]
pub(super) struct Compiled {
    /// The schema document, shared by every schema equal to it.
    pub(super) document: Arc<Value>,
    /// Its validator, shared as the document is; empty until first asked for.
    pub(super) validator: Arc<OnceLock<Arc<jsonschema::Validator>>>,
}

/// Schemas kept so far, by [`fingerprint`]; several when two fingerprints collide.
static COMPILED: LazyLock<Mutex<HashMap<u64, Vec<Compiled>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// The kept form of `document` (equal as JSON, whatever the order of its keys), with its
/// validator compiled now by `compile` when `now` is true and this document has none yet.
/// Failures are not kept: their error names the file that asked.
pub(super) fn compiled<E>(
    document: Value,
    now: bool,
    compile: impl FnOnce(&Value) -> Result<jsonschema::Validator, E>,
) -> Result<Compiled, E> {
    let kept = kept(document);
    if now && kept.validator.get().is_none() {
        // Compiling takes long: other threads keep their access meanwhile; a schema
        // compiled twice at once is kept once.
        let validator = Arc::new(compile(&kept.document)?);
        let _ = kept.validator.set(validator);
    }
    Ok(kept)
}

/// The one kept copy of `document`.
fn kept(document: Value) -> Compiled {
    let key = fingerprint(&document);
    let mut compiled = COMPILED.lock().unwrap_or_else(|e| e.into_inner());
    let entries = compiled.entry(key).or_default();
    if let Some(found) = entries.iter().find(|kept| *kept.document == document) {
        return found.clone();
    }
    let entry = Compiled {
        document: Arc::new(document),
        validator: Arc::new(OnceLock::new()),
    };
    entries.push(entry.clone());
    entry
}

/// Parts of documents checked so far (see [`once`]), by [`fingerprint`].
static CHECKED: LazyLock<Mutex<HashMap<u64, Vec<Value>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// `check` of `part`, run only the first time this part (equal as JSON) is asked for, and
/// kept only when it passed: a failure is said again, naming the file that asked.
pub(super) fn once<E>(part: &Value, check: impl FnOnce() -> Result<(), E>) -> Result<(), E> {
    let key = fingerprint(part);
    let seen = |checked: &HashMap<u64, Vec<Value>>| {
        checked.get(&key).is_some_and(|parts| parts.contains(part))
    };
    if seen(&CHECKED.lock().unwrap_or_else(|e| e.into_inner())) {
        return Ok(());
    }
    check()?;
    let mut checked = CHECKED.lock().unwrap_or_else(|e| e.into_inner());
    if !seen(&checked) {
        checked.entry(key).or_default().push(part.clone());
    }
    Ok(())
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
        let a = compiled(
            json!({"type": "string", "minLength": 3, "x": 1}),
            false,
            compile,
        )
        .unwrap();
        assert!(a.validator.get().is_none(), "not compiled until asked");
        let reordered = json!({"x": 1, "minLength": 3, "type": "string"});
        let b = compiled(reordered, true, compile).unwrap();
        assert!(
            Arc::ptr_eq(&a.document, &b.document),
            "the same schema is kept once"
        );
        assert!(a.validator.get().is_some(), "and compiled once for both");
        let other = compiled(
            json!({"type": "string", "minLength": 4, "x": 1}),
            true,
            compile,
        )
        .unwrap();
        assert!(!Arc::ptr_eq(&a.document, &other.document));
        let validator = other.validator.get().unwrap();
        assert!(validator.is_valid(&json!("four")) && !validator.is_valid(&json!("abc")));
    }
}
