//! Schemas and their validators, one per distinct schema in the process: operations of a large
//! document share schemas (every error response, a resource read, updated and listed), an
//! import checks a schema before writing it and loads it again after, and the sandbox and the
//! run load the same cases. Each distinct schema is checked against the meta-schema once,
//! and its document is kept once, whichever file or operation asks. Its validator is
//! compiled when first asked for and kept while it is among the [`KEPT_VALIDATORS`] used
//! last: a large document's response validators each compile most of its shared
//! definitions, and keeping them all made a run's memory grow with its operations.
//!
//! A document is kept here only while something holds it (an operation's schema), and the
//! [`KEPT_LOADED`] loaded last besides: an import checks its operations one at a time, and
//! each of Stripe's 404 schema texts, its shared definitions copied in, held at once took
//! 400 MB.

use crate::schema::View;
use serde_json::Value;
use std::collections::HashMap;
use std::collections::VecDeque;
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::{Arc, LazyLock, Mutex, Weak};

/// A checked schema document, kept once, and its validator, compiled the first time a
/// payload is judged against it: a plan judges only request schemas, so the response
/// schemas of a large document (each reaching most of its shared definitions) are never
/// compiled by it.
#[derive(Clone)]
pub(super) struct Compiled {
    /// The schema document, shared by every schema equal to it.
    pub(super) document: Arc<Value>,
    /// Its validator, shared as the document is.
    pub(super) slot: Arc<Slot>,
}

impl Compiled {
    fn downgrade(&self) -> Remembered {
        Remembered {
            document: Arc::downgrade(&self.document),
            slot: Arc::downgrade(&self.slot),
        }
    }
}

/// A [`Compiled`] a cache remembers without keeping it alive: its allocation stays, so no
/// other document takes its address while this is remembered.
#[derive(Clone)]
struct Remembered {
    document: Weak<Value>,
    slot: Weak<Slot>,
}

impl Remembered {
    /// The [`Compiled`], if something still holds it.
    fn alive(&self) -> Option<Compiled> {
        Some(Compiled {
            document: self.document.upgrade()?,
            slot: self.slot.upgrade()?,
        })
    }
}

/// Where the validator of a kept document is, when it has one, and the document's
/// [`fingerprint`], taken once when it is kept: a caller naming what it found of a schema by
/// its fingerprint (an import judging each response schema) hashed the whole document,
/// shared definitions copied in, each time.
pub(super) struct Slot {
    held: Mutex<Held>,
    fingerprint: u64,
}

/// What a [`Slot`] holds.
#[derive(Default, Clone)]
enum Held {
    /// Never compiled.
    #[default]
    Unused,
    /// Compiled, and among the [`KEPT_VALIDATORS`] used last.
    Kept(Arc<jsonschema::Validator>),
    /// Compiled once and dropped since: it compiles again when next asked for.
    Dropped,
    /// Refused when compiled on first use: what stands for it is kept, so the refusal is
    /// said once.
    Refused(Arc<jsonschema::Validator>),
}

impl Slot {
    fn new(fingerprint: u64) -> Slot {
        Slot {
            held: Mutex::new(Held::Unused),
            fingerprint,
        }
    }

    fn held(&self) -> Held {
        self.held.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn hold(&self, held: Held) {
        *self.held.lock().unwrap_or_else(|e| e.into_inner()) = held;
    }

    /// The [`fingerprint`] of the document it belongs to.
    pub(super) fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// Whether a validator was ever compiled for it.
    pub(super) fn ever_compiled(&self) -> bool {
        !matches!(self.held(), Held::Unused)
    }
}

/// How many compiled validators are kept at most, the ones used last; a validator still in
/// use elsewhere (a generator's request validator) lives on there until that use ends.
/// Stripe's run against its sandbox (`--examples 2`, 227 distinct response schemas, each
/// compiling most of the shared definitions) cycles through its operations several times:
/// keeping all took 1.47 GB peak and 256 compilings; 16 takes 0.83 GB and ~1,200 compilings
/// (+12 s CPU), 32 took 0.90 GB and 4 took 0.77 GB for about as many compilings.
const KEPT_VALIDATORS: usize = 16;

/// The slots holding a validator, the one used last at the back.
static RECENT: LazyLock<Mutex<VecDeque<Arc<Slot>>>> =
    LazyLock::new(|| Mutex::new(VecDeque::with_capacity(KEPT_VALIDATORS + 1)));

/// Mark `slot` as used last, keeping it (and dropping the validator of the slot used
/// longest ago when more than [`KEPT_VALIDATORS`] are kept). No slot's lock is held while
/// this one is taken, so dropping may lock the slots it drops.
fn used(slot: &Arc<Slot>) {
    let mut recent = RECENT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(at) = recent.iter().position(|s| Arc::ptr_eq(s, slot)) {
        if at + 1 == recent.len() {
            return;
        }
        recent.remove(at);
    }
    recent.push_back(Arc::clone(slot));
    while recent.len() > KEPT_VALIDATORS {
        if let Some(oldest) = recent.pop_front() {
            oldest.hold(Held::Dropped);
        }
    }
}

/// The validator of `kept`, compiled by `compile` when it holds none: a refusal (`Err`
/// carrying what stands for the validator) is kept for good, a validator while it is among
/// the ones used last.
pub(super) fn validator(
    kept: &Compiled,
    compile: impl FnOnce(&Value) -> Result<jsonschema::Validator, jsonschema::Validator>,
) -> Arc<jsonschema::Validator> {
    let validator = match kept.slot.held() {
        Held::Refused(stands_in) => return stands_in,
        Held::Kept(validator) => validator,
        Held::Unused | Held::Dropped => match compile(&kept.document) {
            Ok(validator) => keep(kept, validator),
            Err(stands_in) => {
                let stands_in = Arc::new(stands_in);
                kept.slot.hold(Held::Refused(Arc::clone(&stands_in)));
                return stands_in;
            }
        },
    };
    used(&kept.slot);
    validator
}

/// Hold `validator` in the slot of `kept`.
fn keep(kept: &Compiled, validator: jsonschema::Validator) -> Arc<jsonschema::Validator> {
    let validator = Arc::new(validator);
    kept.slot.hold(Held::Kept(Arc::clone(&validator)));
    validator
}

/// Schemas held somewhere, by [`fingerprint`]; several when two fingerprints collide.
static COMPILED: LazyLock<Mutex<HashMap<u64, Vec<Remembered>>>> =
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
    if now && !kept.slot.ever_compiled() {
        // Compiling takes long: other threads keep their access meanwhile; a schema
        // compiled twice at once is kept once.
        keep(kept, compile(&kept.document)?);
        used(&kept.slot);
    }
    Ok(())
}

/// What one schema file's text loaded to: the files beside it that its references name (as
/// written, so the same for every folder), and for each set of their documents it took
/// definitions from, its kept form.
#[derive(Default)]
struct Loads {
    files: Vec<String>,
    kept: Vec<(Vec<Arc<Value>>, Remembered)>,
}

/// Schema files loaded so far, by text: an import writes one file per operation and response,
/// most of them equal (Stripe's 1,431 hold 404 distinct texts), and copying in the shared
/// definitions each reaches, then hashing the result to keep it once, was most of loading
/// them. Not by folder: an import writes its staging folder again after dropping what no
/// plan can be made from, and loading that again was a third of Stripe's import.
static LOADED: LazyLock<Mutex<HashMap<String, Loads>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// How many loaded schemas are kept alive after their last holder lets go, the ones loaded
/// last: case files load in name order, so the operations of one resource, which share its
/// schemas, load one after the other.
const KEPT_LOADED: usize = 16;

/// The schemas loaded last (see [`KEPT_LOADED`]).
static RECENTLY_LOADED: LazyLock<Mutex<VecDeque<Compiled>>> =
    LazyLock::new(|| Mutex::new(VecDeque::with_capacity(KEPT_LOADED + 1)));

/// Keep `kept` alive as loaded last.
fn loaded_last(kept: &Compiled) {
    let mut recent = RECENTLY_LOADED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(at) = recent
        .iter()
        .position(|k| Arc::ptr_eq(&k.document, &kept.document))
    {
        recent.remove(at);
    }
    recent.push_back(kept.clone());
    while recent.len() > KEPT_LOADED {
        recent.pop_front();
    }
}

/// The kept form of a schema file whose text is `text`, when one was loaded before taking
/// definitions from the same documents as `taken` reads its files to now.
pub(super) fn loaded(
    text: &str,
    taken: impl FnOnce(&[String]) -> Option<Vec<Arc<Value>>>,
) -> Option<Compiled> {
    let (files, candidates) = {
        let loaded = LOADED.lock().unwrap_or_else(|e| e.into_inner());
        let loads = loaded.get(text)?;
        (loads.files.clone(), loads.kept.clone())
    };
    let now = taken(&files)?;
    let same = |before: &Vec<Arc<Value>>| before.iter().zip(&now).all(|(b, n)| Arc::ptr_eq(b, n));
    let kept = candidates
        .into_iter()
        .find(|(before, _)| same(before))
        .and_then(|(_, kept)| kept.alive())?;
    loaded_last(&kept);
    Some(kept)
}

/// Whether a schema file whose text is `text` loaded before, taking definitions from the
/// same documents as `taken` reads its files to now, whether or not it is still held.
pub(super) fn loaded_before(
    text: &str,
    taken: impl FnOnce(&[String]) -> Option<Vec<Arc<Value>>>,
) -> bool {
    let (files, before) = {
        let loaded = LOADED.lock().unwrap_or_else(|e| e.into_inner());
        let Some(loads) = loaded.get(text) else {
            return false;
        };
        let before: Vec<Vec<Arc<Value>>> = loads.kept.iter().map(|(d, _)| d.clone()).collect();
        (loads.files.clone(), before)
    };
    let Some(now) = taken(&files) else {
        return false;
    };
    let same = |before: &Vec<Arc<Value>>| before.iter().zip(&now).all(|(b, n)| Arc::ptr_eq(b, n));
    before.iter().any(same)
}

/// Remember `kept`, loaded from a file holding `text`, which took definitions from the
/// files `taken` names, as read.
pub(super) fn remember_loaded(text: String, taken: Vec<(String, Arc<Value>)>, kept: &Compiled) {
    let (files, documents): (Vec<String>, Vec<Arc<Value>>) = taken.into_iter().unzip();
    let mut loaded = LOADED.lock().unwrap_or_else(|e| e.into_inner());
    let loads = loaded.entry(text).or_default();
    loads.files = files;
    loads.kept.retain(|(before, _)| {
        !before
            .iter()
            .zip(&documents)
            .all(|(b, n)| Arc::ptr_eq(b, n))
    });
    loads.kept.push((documents, kept.downgrade()));
    drop(loaded);
    loaded_last(kept);
}

/// Views made so far, by the address of the kept document viewed (remembered, so no other
/// document takes it) and the view: `None` when the document marks nothing.
type Views = HashMap<(usize, u8), (Weak<Value>, Option<Remembered>)>;

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
        .and_then(|(_, viewed)| match viewed {
            None => Some(None),
            // A view no schema holds any more is made again.
            Some(viewed) => viewed.alive().map(Some),
        });
    let viewed = match found {
        Some(viewed) => viewed,
        None => {
            let made = make(&of.document)?;
            let remembered = (
                Arc::downgrade(&of.document),
                made.as_ref().map(Compiled::downgrade),
            );
            VIEWED
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(key, remembered);
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
    entries.retain(|kept| kept.document.strong_count() > 0);
    let alive = entries.iter().filter_map(Remembered::alive);
    if let Some(found) = alive.into_iter().find(|kept| *kept.document == document) {
        return found;
    }
    let entry = Compiled {
        document: Arc::new(document),
        slot: Arc::new(Slot::new(key)),
    };
    entries.push(entry.downgrade());
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
pub(super) fn fingerprint(value: &Value) -> u64 {
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
        assert!(!a.slot.ever_compiled(), "not compiled until asked");
        let reordered = json!({"x": 1, "minLength": 3, "type": "string"});
        let b = compiled(reordered, true, compile).unwrap();
        assert!(
            Arc::ptr_eq(&a.document, &b.document),
            "the same schema is kept once"
        );
        assert!(a.slot.ever_compiled(), "and compiled once for both");
        let other = compiled(
            json!({"type": "string", "minLength": 4, "x": 1}),
            true,
            compile,
        )
        .unwrap();
        assert!(!Arc::ptr_eq(&a.document, &other.document));
        let validator = validator(&other, |v| {
            jsonschema::validator_for(v).map_err(|_| unreachable!())
        });
        assert!(validator.is_valid(&json!("four")) && !validator.is_valid(&json!("abc")));
    }

    #[test]
    fn a_validator_unused_while_others_are_used_is_dropped_and_compiled_again() {
        let compiles = std::cell::Cell::new(0);
        let compile = |v: &Value| {
            compiles.set(compiles.get() + 1);
            jsonschema::validator_for(v).map_err(|_| unreachable!())
        };
        // A field no other test's schema has: these documents are this test's alone.
        let schema = |n: usize| json!({"maximum": n, "x-dropped-test": true});
        let first = compiled(schema(0), false, compile).unwrap();
        assert!(!validator(&first, compile).is_valid(&json!(1)));
        assert!(!validator(&first, compile).is_valid(&json!(1)), "kept");
        assert_eq!(compiles.get(), 1);
        for n in 1..=KEPT_VALIDATORS {
            let other = compiled(schema(n), false, compile).unwrap();
            validator(&other, compile);
        }
        assert_eq!(compiles.get(), 1 + KEPT_VALIDATORS);
        assert!(matches!(first.slot.held(), Held::Dropped));
        assert!(
            validator(&first, compile).is_valid(&json!(0)),
            "compiled again"
        );
        assert_eq!(compiles.get(), 2 + KEPT_VALIDATORS);
    }
}
