//! Schemas that refer to definitions in a JSON Schema file beside them
//! (`"$ref": "shop.components.json#/$defs/Pet"`), as `specgate import` writes a document's
//! shared schemas once. The definitions a schema reaches are copied into its own `$defs` and
//! its references point there, so every reader of the schema (the generator, the checks,
//! drift, the sandbox) sees one self-contained document. Each such file is read and checked
//! once per process, however many schemas refer to it, and once per text in whichever folder
//! it is written.

use super::error::{ContractError, Place};
use crate::schema::Keyword;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex};

/// Parses the text of a schema file (read from the path given) and checks it against the
/// meta-schema.
pub(super) type ParseChecked = fn(&Path, &str) -> Result<Value, ContractError>;

/// A schema with the definitions it takes from files beside it copied in, and those files.
pub(super) struct Inlined {
    /// The self-contained schema.
    pub(super) document: Value,
    /// Each file its references name, as written, and that file's document as read: the
    /// same text taking from the same documents inlines to the same schema.
    pub(super) taken: Vec<(String, Arc<Value>)>,
}

/// A reference to a definition in another file, where it is written.
struct External {
    /// The pointer of the schema object holding the `$ref`.
    at: String,
    /// The file as written (relative to the referring schema).
    file: String,
    /// The definition's name under the file's `$defs`.
    name: String,
}

/// `document` (read from `path`) with the definitions its references to other files reach
/// copied into its `$defs`, those references pointing there. A document without such
/// references is returned as it is.
pub(super) fn inline(
    path: &Path,
    document: Value,
    parse_checked: ParseChecked,
) -> Result<Inlined, ContractError> {
    let externals = externals(&document);
    let base = path.parent().unwrap_or(Path::new("."));
    let mut copied: BTreeMap<String, (Value, String)> = BTreeMap::new();
    let mut taken: Vec<(String, Arc<Value>)> = Vec::new();
    for external in &externals {
        let shared = read(&base.join(&external.file), path, external, parse_checked)?;
        copy_reached(&shared, external, path, &mut copied)?;
        if !taken.iter().any(|(file, _)| *file == external.file) {
            taken.push((external.file.clone(), shared));
        }
    }
    let document = copy_in(path, document, &externals, copied)?;
    Ok(Inlined { document, taken })
}

/// `document` with `copied` in its `$defs` and each of `externals` pointing there.
fn copy_in(
    path: &Path,
    mut document: Value,
    externals: &[External],
    copied: BTreeMap<String, (Value, String)>,
) -> Result<Value, ContractError> {
    if externals.is_empty() {
        return Ok(document);
    }
    for external in externals {
        let pointer = format!("{}/$ref", external.at);
        if let Some(reference) = document.pointer_mut(&pointer) {
            *reference =
                Value::String(format!("#/$defs/{}", crate::schema::escape(&external.name)));
        }
    }
    let Value::Object(root) = &mut document else {
        return Ok(document);
    };
    let defs = root
        .entry(Keyword::Defs.name())
        .or_insert_with(|| Value::Object(Map::new()));
    let Value::Object(defs) = defs else {
        return Err(ContractError::new(
            path,
            Place::Pointer("/$defs".to_owned()),
            "`$defs` is not an object",
            "make `$defs` an object of named schemas",
        ));
    };
    for (name, (value, file)) in copied {
        match defs.get(&name) {
            Some(own) if *own != value => {
                return Err(ContractError::new(
                    path,
                    Place::Pointer(format!("/$defs/{}", crate::schema::escape(&name))),
                    format!("`$defs/{name}` is defined here and, differently, in {file}"),
                    "rename one of the two definitions",
                ))
            }
            Some(_) => {}
            None => {
                defs.insert(name, value);
            }
        }
    }
    Ok(document)
}

/// Whether `document` refers to definitions in a file beside it.
pub(super) fn takes_definitions(document: &Value) -> bool {
    !externals(document).is_empty()
}

/// `document` without its references to other files, and also its local ones when
/// `local_too` (a shared file's definition compiled on its own): what is left is what it says
/// itself, to compile; the copying checks what the references reach.
pub(super) fn without_references(document: &Value, local_too: bool) -> Value {
    let mut copy = document.clone();
    strip(&mut copy, local_too);
    copy
}

fn strip(value: &mut Value, local_too: bool) {
    match value {
        Value::Object(map) => {
            let stripped = map
                .get(Keyword::Ref.name())
                .and_then(Value::as_str)
                .is_some_and(|r| local_too || !r.starts_with('#'));
            if stripped {
                map.remove(Keyword::Ref.name());
            }
            map.values_mut().for_each(|v| strip(v, local_too));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| strip(v, local_too)),
        _ => {}
    }
}

/// Every `$ref` of `document` to `FILE#/$defs/NAME`, a file on disk beside it.
fn externals(document: &Value) -> Vec<External> {
    let mut found = Vec::new();
    crate::schema::visit(document, "", &mut |pointer, map| {
        let Some(reference) = map.get(Keyword::Ref.name()).and_then(Value::as_str) else {
            return;
        };
        let Some((file, fragment)) = reference.split_once('#') else {
            return;
        };
        let name = fragment
            .strip_prefix("/$defs/")
            .filter(|n| !n.contains('/'));
        if let Some(name) = name.filter(|_| !file.is_empty() && !file.contains("://")) {
            found.push(External {
                at: pointer.to_owned(),
                file: file.to_owned(),
                name: crate::schema::unescape(name),
            });
        }
    });
    found
}

/// Copy into `copied` the definition `external` names and every definition of the same file
/// it reaches through `#/$defs/NAME`.
fn copy_reached(
    shared: &Value,
    external: &External,
    path: &Path,
    copied: &mut BTreeMap<String, (Value, String)>,
) -> Result<(), ContractError> {
    let mut queue = vec![external.name.clone()];
    while let Some(name) = queue.pop() {
        let Some(def) = shared.get(Keyword::Defs.name()).and_then(|d| d.get(&name)) else {
            return Err(ContractError::new(
                path,
                Place::Pointer(format!("{}/$ref", external.at)),
                format!("`{}` has no `$defs/{name}`", external.file),
                "correct the reference, or add the definition to that file",
            ));
        };
        match copied.get(&name) {
            // From the same file, read once: the same definition, already copied with what
            // it reaches (comparing it again was most of a large schema's copying).
            Some((_, file)) if *file == external.file => continue,
            Some((value, _)) if value == def => continue,
            Some((_, file)) => {
                return Err(ContractError::new(
                    path,
                    Place::Pointer(format!("{}/$ref", external.at)),
                    format!(
                        "`$defs/{name}` differs between {file} and {}",
                        external.file
                    ),
                    "refer to one definition of that name",
                ))
            }
            None => {}
        }
        crate::schema::visit(def, "", &mut |_, map| {
            let reference = map.get(Keyword::Ref.name()).and_then(Value::as_str);
            if let Some(next) = reference.and_then(|r| r.strip_prefix("#/$defs/")) {
                queue.push(crate::schema::unescape(next));
            }
        });
        copied.insert(name, (def.clone(), external.file.clone()));
    }
    Ok(())
}

/// A version of a file: its canonical path, size, modification time and inode (a file
/// written again in the same folder is a new inode, whatever its time's granularity).
type Version = (PathBuf, u64, Option<std::time::SystemTime>, u64);

/// Shared files read so far: by the version read, and by their text, so the same
/// definitions written to another folder (an import writes its staging folder twice) are
/// parsed and checked once, and are the same document to [`super::compiled::loaded`].
#[derive(Default)]
struct Read {
    by_version: HashMap<Version, Arc<Value>>,
    /// By a hash of the text: the texts with that hash and their documents.
    by_text: HashMap<u64, Vec<(String, Arc<Value>)>>,
}

/// The documents of `files` (as a schema of `folder` names them) as read now, each read and
/// checked once per process; `None` when one cannot be read or is refused (loading the schema
/// again says why).
pub(super) fn taken_again(
    folder: &Path,
    files: &[String],
    parse_checked: ParseChecked,
) -> Option<Vec<Arc<Value>>> {
    files
        .iter()
        .map(|file| {
            let path = folder.join(file);
            let unread = |e: std::io::Error| {
                ContractError::new(&path, Place::File, e.to_string(), "fix the file")
            };
            shared(&path, parse_checked, unread).ok()
        })
        .collect()
}

/// The version of `file` on disk now.
fn version(file: &Path) -> std::io::Result<Version> {
    let canonical = file.canonicalize()?;
    let metadata = std::fs::metadata(&canonical)?;
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(&metadata);
    #[cfg(not(unix))]
    let inode = 0;
    Ok((canonical, metadata.len(), metadata.modified().ok(), inode))
}

/// Every shared file this process has read and checked: an import's schemas all refer to
/// the same one, and reading it once per schema was most of loading a large document.
static READ: LazyLock<Mutex<Read>> = LazyLock::new(|| Mutex::new(Read::default()));

/// The shared file `file` a reference in `from` names, read and checked once.
fn read(
    file: &Path,
    from: &Path,
    external: &External,
    parse_checked: ParseChecked,
) -> Result<Arc<Value>, ContractError> {
    let missing = |e: std::io::Error| {
        ContractError::new(
            from,
            Place::Pointer(format!("{}/$ref", external.at)),
            format!("cannot read `{}`: {e}", external.file),
            "a file a `$ref` names is relative to the schema that names it; fix the path",
        )
    };
    shared(file, parse_checked, missing)
}

/// The document of the shared file `file`, read and checked once per version and text;
/// `missing` says why it cannot be read.
fn shared(
    file: &Path,
    parse_checked: ParseChecked,
    missing: impl Fn(std::io::Error) -> ContractError,
) -> Result<Arc<Value>, ContractError> {
    let key = version(file).map_err(&missing)?;
    if let Some(found) = READ
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .by_version
        .get(&key)
    {
        return Ok(found.clone());
    }
    let text = std::fs::read_to_string(&key.0).map_err(&missing)?;
    let hash = SEED.hash_one(&text);
    let same_text = |read: &Read| {
        let texts = read.by_text.get(&hash)?;
        texts
            .iter()
            .find(|(t, _)| *t == text)
            .map(|(_, v)| v.clone())
    };
    let known = same_text(&READ.lock().unwrap_or_else(|e| e.into_inner()));
    let value = match known {
        Some(value) => value,
        None => Arc::new(parse_checked(&key.0, &text)?),
    };
    let mut read = READ.lock().unwrap_or_else(|e| e.into_inner());
    let value = match same_text(&read) {
        Some(first) => first,
        None => {
            read.by_text
                .entry(hash)
                .or_default()
                .push((text, value.clone()));
            value
        }
    };
    Ok(read.by_version.entry(key).or_insert(value).clone())
}

/// Hashes shared files' texts.
const SEED: foldhash::fast::FixedState = foldhash::fast::FixedState::with_seed(0x5eed);

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read_json(_: &Path, text: &str) -> Result<Value, ContractError> {
        Ok(serde_json::from_str(text).unwrap())
    }

    #[test]
    fn definitions_of_a_file_beside_are_copied_with_what_they_reach() {
        let folder = tempfile::tempdir().unwrap();
        let shared = json!({"$defs": {
            "Pet": {"type": "object", "properties": {"tag": {"$ref": "#/$defs/Tag"}}},
            "Tag": {"type": "string", "minLength": 1},
            "Unused": {"type": "integer"}
        }});
        std::fs::write(folder.path().join("s.json"), shared.to_string()).unwrap();
        let path = folder.path().join("op.json");
        let document = json!({"items": {"$ref": "s.json#/$defs/Pet"}});
        let inlined = inline(&path, document, read_json).unwrap();
        assert_eq!(inlined.taken.len(), 1);
        assert_eq!(
            inlined.document,
            json!({"items": {"$ref": "#/$defs/Pet"}, "$defs": {
                "Pet": shared["$defs"]["Pet"], "Tag": shared["$defs"]["Tag"]
            }})
        );
        let dangling = inline(&path, json!({"$ref": "s.json#/$defs/Nope"}), read_json)
            .err()
            .unwrap();
        assert_eq!(dangling.place, Place::Pointer("/$ref".to_owned()));
        assert!(
            dangling.problem.contains("$defs/Nope"),
            "{}",
            dangling.problem
        );
    }
}
