//! Schemas and their validators, one per distinct schema in the process: operations of a large
//! document share schemas (every error response, a resource read, updated and listed), an
//! import checks a schema before writing it and loads it again after, and the sandbox and the
//! run load the same cases. Each distinct schema is checked against the meta-schema and
//! compiled once, and its document is kept once, whichever file or operation asks.

use super::external::Version;
use crate::schema::View;
use serde_json::Value;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
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
    compile_now(&kept, now, compile)?;
    Ok(kept)
}

/// Compile the validator of `kept` by `compile` when `now` is true and it has none yet.
fn compile_now<E>(
    kept: &Compiled,
    now: bool,
    compile: impl FnOnce(&Value) -> Result<jsonschema::Validator, E>,
) -> Result<(), E> {
    if now && kept.validator.get().is_none() {
        // Compiling takes long: other threads keep their access meanwhile; a schema
        // compiled twice at once is kept once.
        let validator = Arc::new(compile(&kept.document)?);
        let _ = kept.validator.set(validator);
    }
    Ok(())
}

/// A loaded schema file's kept form, and the version of each file beside it that it took
/// definitions from.
type Loaded = (Compiled, Vec<Version>);

/// Schema files loaded so far, by folder and text: an import writes one file per operation
/// and response, most of them equal (Stripe's 1,431 hold 404 distinct texts), and copying
/// in the shared definitions each reaches, then hashing the result to keep it once, was
/// most of loading them.
static LOADED: LazyLock<Mutex<HashMap<PathBuf, HashMap<String, Loaded>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// The kept form of a schema file of `folder` whose text is `text`, when one was loaded
/// before and the files it took definitions from are unchanged since.
pub(super) fn loaded(folder: &Path, text: &str) -> Option<Compiled> {
    let found = LOADED
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(folder)
        .and_then(|texts| texts.get(text))
        .cloned()?;
    let (kept, versions) = found;
    super::external::unchanged(&versions).then_some(kept)
}

/// Remember `kept`, loaded from a file of `folder` holding `text`, which took definitions
/// from the files at `versions`.
pub(super) fn remember_loaded(
    folder: &Path,
    text: String,
    kept: &Compiled,
    versions: Vec<Version>,
) {
    LOADED
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(folder.to_path_buf())
        .or_default()
        .insert(text, (kept.clone(), versions));
}

/// Views made so far, by the address of the kept document viewed (kept documents live as
/// long as the process) and the view: `None` when the document marks nothing.
type Views = HashMap<(usize, u8), Option<Compiled>>;

/// Every view made so far (see [`viewed`]).
static VIEWED: LazyLock<Mutex<Views>> = LazyLock::new(|| Mutex::new(HashMap::new()));

/// `of` as `view` reads it, made by `make` the first time it is asked for (`None`: `of`
/// itself), and compiled by `compile` when `now` is true: a response schema shared by
/// many operations is walked for its marks once.
pub(super) fn viewed<E>(
    of: &Compiled,
    view: View,
    now: bool,
    make: impl FnOnce(&Value) -> Result<Option<Compiled>, E>,
    compile: impl FnOnce(&Value) -> Result<jsonschema::Validator, E>,
) -> Result<Option<Compiled>, E> {
    let key = (Arc::as_ptr(&of.document) as usize, view as u8);
    let found = VIEWED
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&key)
        .cloned();
    let viewed = match found {
        Some(viewed) => viewed,
        None => {
            let made = make(&of.document)?;
            VIEWED
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(key, made.clone());
            made
        }
    };
    if let Some(viewed) = &viewed {
        compile_now(viewed, now, compile)?;
    }
    Ok(viewed)
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
