//! Reading an OpenAPI document and the files it references: YAML or JSON, each file parsed
//! once, and `$ref`s (`#/components/...`, `other.yaml#/...`, `other.json`) resolved to the
//! file and JSON pointer they name.

use super::OpenApiError;
use crate::contract::ContractError;
use crate::schema::Keyword;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// A place in one of the document's files.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location {
    /// The file (as opened, relative to where specgate runs or absolute).
    pub file: PathBuf,
    /// A JSON pointer into it (`""` for the whole file).
    pub pointer: String,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}#{}", self.file.display(), self.pointer)
    }
}

/// The schemas a document's operations share: every schema a `$ref` names, translated once
/// under a name unique in the document, so each operation's schema refers to the same
/// translation (`#/$defs/NAME`, holding no copy) and an import writes it once
/// (`openapi/write.rs`).
#[derive(Debug, Default)]
pub(super) struct Shared {
    pub(super) names: BTreeMap<Location, String>,
    pub(super) taken: BTreeSet<String>,
    pub(super) definitions: Definitions,
    /// What checking each definition found, by name: each is checked once per document.
    checked: HashMap<String, Result<(), ContractError>>,
}

impl Shared {
    /// The translated schemas, by name.
    pub(super) fn into_definitions(self) -> Definitions {
        self.definitions
    }

    /// Forget the schemas named in `given` (by a bundle that failed half way).
    pub(super) fn forget(&mut self, given: &[Location]) {
        for location in given {
            if let Some(name) = self.names.remove(location) {
                self.taken.remove(&name);
                self.definitions.defs.remove(&name);
                self.definitions.references.remove(&name);
                self.checked.remove(&name);
            }
        }
    }

    /// What would stop the case loader from compiling `schema` (bundled, from `file`) with
    /// the shared definitions it reaches: its own part checked now, each shared definition
    /// once per document, in the order its self-contained form lists them.
    pub(super) fn check(&mut self, file: &Path, schema: &Value) -> Result<(), ContractError> {
        crate::contract::Schema::check(file, schema)?;
        let own = Keyword::Defs.value_in(schema).and_then(Value::as_object);
        for name in self.definitions.reached(schema) {
            if own.is_some_and(|own| own.contains_key(&name)) {
                continue;
            }
            let definitions = &self.definitions;
            self.checked
                .entry(name.clone())
                .or_insert_with(|| {
                    let definition = &definitions.defs[&name];
                    crate::contract::Schema::check_definition(file, &name, definition)
                })
                .clone()?;
        }
        Ok(())
    }
}

/// The schemas a document's operations share, by name, and the names each refers to: an
/// operation's bundled schema refers to them by `#/$defs/NAME` and holds no copy, so a large
/// document's definitions are held once however many operations reach them.
#[derive(Debug, Default)]
pub struct Definitions {
    defs: BTreeMap<String, Value>,
    /// The `#/$defs/NAME` names each definition refers to itself.
    references: BTreeMap<String, Vec<String>>,
}

impl Definitions {
    /// Keep the translated definition `name`.
    pub(super) fn insert(&mut self, name: String, definition: Value) {
        let references = def_references(&definition);
        self.references.insert(name.clone(), references);
        self.defs.insert(name, definition);
    }

    /// The definition `name`.
    pub(super) fn get(&self, name: &str) -> Option<&Value> {
        self.defs.get(name)
    }

    /// Whether `name` is a shared definition.
    pub(super) fn contains(&self, name: &str) -> bool {
        self.defs.contains_key(name)
    }

    /// The names of the definitions `schema` reaches through `#/$defs/NAME`, directly or
    /// through each other.
    pub(super) fn reached(&self, schema: &Value) -> BTreeSet<String> {
        let mut reached = BTreeSet::new();
        let mut queue = def_references(schema);
        while let Some(name) = queue.pop() {
            if reached.contains(&name) {
                continue;
            }
            if let Some(references) = self.references.get(&name) {
                queue.extend(references.iter().cloned());
                reached.insert(name);
            }
        }
        reached
    }

    /// `schema` (bundled) as one self-contained document: the definitions it reaches copied
    /// into its `$defs` (which bundling left in place for them when it reaches any).
    pub(super) fn self_contained(&self, schema: &Value) -> Value {
        let mut whole = schema.clone();
        let reached = self.reached(schema);
        if reached.is_empty() {
            return whole;
        }
        let defs = whole
            .as_object_mut()
            .and_then(|o| o.get_mut(Keyword::Defs.name()))
            .and_then(Value::as_object_mut);
        if let Some(defs) = defs {
            defs.extend(reached.into_iter().map(|name| {
                let definition = self.defs[&name].clone();
                (name, definition)
            }));
        }
        whole
    }
}

/// The document's files, parsed once each.
#[derive(Debug, Default)]
pub(super) struct Sources {
    files: BTreeMap<PathBuf, Value>,
    /// The schemas that `$ref`s name, translated once for every operation.
    pub(super) shared: Shared,
}

impl Sources {
    /// Open the root document.
    pub(super) fn open(root: &Path) -> Result<(Sources, PathBuf), OpenApiError> {
        let mut sources = Sources::default();
        let root = root.to_path_buf();
        sources.load(&root)?;
        Ok((sources, root))
    }

    fn load(&mut self, file: &Path) -> Result<&Value, OpenApiError> {
        if !self.files.contains_key(file) {
            let value = parse_file(file)?;
            self.files.insert(file.to_path_buf(), value);
        }
        Ok(&self.files[file])
    }

    /// Put `value` in place of `file`'s parsed content (a document converted on reading).
    pub(super) fn replace(&mut self, file: &Path, value: Value) {
        self.files.insert(file.to_path_buf(), value);
    }

    /// The value at `location`.
    pub(super) fn get(&mut self, location: &Location) -> Result<&Value, OpenApiError> {
        let pointer = location.pointer.clone();
        let file = location.file.clone();
        self.load(&file)?
            .pointer(&pointer)
            .ok_or_else(|| OpenApiError::Dangling {
                reference: location.to_string(),
            })
    }

    /// Where the `$ref` string `reference`, written in `from`'s file, points.
    pub(super) fn target(from: &Location, reference: &str) -> Result<Location, OpenApiError> {
        let (file_part, fragment) = reference.split_once('#').unwrap_or((reference, ""));
        let file = if file_part.is_empty() {
            from.file.clone()
        } else if file_part.contains("://") {
            return Err(OpenApiError::Remote {
                reference: reference.to_owned(),
                at: from.clone(),
            });
        } else {
            let base = from.file.parent().unwrap_or(Path::new(""));
            normalise(&base.join(percent_decode(file_part)))
        };
        let pointer = percent_decode(fragment);
        if !(pointer.is_empty() || pointer.starts_with('/')) {
            return Err(OpenApiError::Unsupported {
                at: from.clone(),
                what: format!("`$ref: {reference}` names an anchor, not a JSON pointer"),
            });
        }
        Ok(Location { file, pointer })
    }

    /// Follow `$ref`s from `location` until a value that is not a reference; the value and
    /// where it is. Loops are an error.
    pub(super) fn resolve(
        &mut self,
        location: &Location,
    ) -> Result<(Value, Location), OpenApiError> {
        let mut at = location.clone();
        for _ in 0..64 {
            let value = self.get(&at)?.clone();
            match Keyword::Ref.value_in(&value).and_then(Value::as_str) {
                Some(reference) => at = Self::target(&at, reference)?,
                None => return Ok((value, at)),
            }
        }
        Err(OpenApiError::Unsupported {
            at: location.clone(),
            what: "`$ref`s that point at each other in a loop".to_owned(),
        })
    }
}

/// The names of the `#/$defs/NAME` references anywhere in `schema`.
fn def_references(schema: &Value) -> Vec<String> {
    let mut names = Vec::new();
    crate::schema::visit(schema, "", &mut |_, map| {
        let reference = map.get(Keyword::Ref.name()).and_then(Value::as_str);
        if let Some(name) = reference.and_then(|r| r.strip_prefix("#/$defs/")) {
            names.push(name.to_owned());
        }
    });
    names
}

/// `a/./b/../c` → `a/c`, without touching the file system.
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir if out.file_name().is_some() => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// A URI fragment or path, percent-decoded (`+` kept).
pub(super) fn percent_decode(text: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", text.replace('+', "%2B")).as_bytes())
        .next()
        .map_or_else(|| text.to_owned(), |(_, v)| v.into_owned())
}

/// Parse a file as JSON, or as YAML when it is not JSON.
fn parse_file(file: &Path) -> Result<Value, OpenApiError> {
    let text = std::fs::read_to_string(file).map_err(|e| OpenApiError::Read {
        file: file.to_path_buf(),
        problem: e.to_string(),
    })?;
    let looks_json = text.trim_start().starts_with('{');
    if looks_json {
        return serde_json::from_str(&text).map_err(|e| OpenApiError::Syntax {
            file: file.to_path_buf(),
            line: e.line(),
            column: e.column(),
            problem: e.to_string(),
        });
    }
    serde_yaml_ng::from_str(&text).map_err(|e| {
        let (line, column) = e.location().map_or((0, 0), |l| (l.line(), l.column()));
        OpenApiError::Syntax {
            file: file.to_path_buf(),
            line,
            column,
            problem: e.to_string(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_resolve_across_files_and_escapes() {
        let from = Location {
            file: PathBuf::from("specs/api.yaml"),
            pointer: "/paths".to_owned(),
        };
        let local = Sources::target(&from, "#/components/schemas/a~1b").unwrap();
        assert_eq!(local.file, PathBuf::from("specs/api.yaml"));
        assert_eq!(local.pointer, "/components/schemas/a~1b");
        let other = Sources::target(&from, "../common/pet.yaml#/Pet%20Name").unwrap();
        assert_eq!(other.file, PathBuf::from("common/pet.yaml"));
        assert_eq!(other.pointer, "/Pet Name");
        assert!(Sources::target(&from, "https://example.com/x.json").is_err());
        assert!(Sources::target(&from, "#anchor").is_err());
    }
}
