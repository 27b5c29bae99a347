//! Loading, checking and compiling one JSON Schema file.
//!
//! A schema's validator (format validation on) is shared by every operation that has the
//! same schema, and kept while it is among the few used last ([`super::compiled`]); everything
//! that validates a payload or a response goes through [`Schema::validator`]. Problems are
//! reported with the schema file and a JSON pointer into it.

use super::error::{ContractError, Place};
use crate::schema::Keyword;
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;

/// A loaded and checked JSON Schema, and its validator.
#[derive(Clone)]
pub struct Schema {
    /// The schema file.
    pub path: std::path::PathBuf,
    /// The schema as JSON, `$ref`s resolved where the loader resolves them.
    pub document: Arc<Value>,
    /// Where its compiled validator (formats checked) is kept while it is in use (see
    /// [`Schema::validator`]); made on first use when the schema takes definitions from a
    /// file beside it (see [`Schema::load`]).
    slot: Arc<super::compiled::Slot>,
}

impl std::fmt::Debug for Schema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Schema").field("path", &self.path).finish()
    }
}

impl Schema {
    /// Read, parse, check and compile the schema at `path`, with the definitions it takes
    /// from files beside it ([`super::external`]). Such a schema (an import's, reaching a
    /// large document's shared definitions) is compiled on first use, so a plan or an
    /// import never compiles the response schemas it does not judge: what compiling would
    /// refuse is found now by compiling its own part and each shared definition on their
    /// own, with their references checked by the copying.
    pub fn load(path: &Path) -> Result<Schema, ContractError> {
        let text = read_text(path)?;
        let folder = path.parent().unwrap_or(Path::new("."));
        let again = |files: &[String]| super::external::taken_again(folder, files, read_shared);
        if let Some(kept) = super::compiled::loaded(&text, again) {
            // The same text taking from the same documents loads to the same schema: it was
            // checked.
            return Ok(Schema::of(path, kept));
        }
        let own = parse_checked(path, &text)?;
        let takes_definitions = super::external::takes_definitions(&own);
        if takes_definitions {
            compile(path, &super::external::without_references(&own, false))?;
        }
        let inlined = super::external::inline(path, own, read_shared)?;
        // Its own part and every file it took from are checked: what is left is compiling.
        let schema = Self::compiled(path, inlined.document, Checked::Already, !takes_definitions)?;
        super::compiled::remember_loaded(text, inlined.taken, &schema.kept());
        Ok(schema)
    }

    /// Whether the schema at `path` loads, as [`Schema::load`] says, without keeping it: a
    /// file holding a text that loaded before, taking from the same shared files, is not
    /// loaded again.
    pub fn check_loads(path: &Path) -> Result<(), ContractError> {
        let text = read_text(path)?;
        let folder = path.parent().unwrap_or(Path::new("."));
        let again = |files: &[String]| super::external::taken_again(folder, files, read_shared);
        if super::compiled::loaded_before(&text, again) {
            return Ok(());
        }
        Self::load(path).map(drop)
    }

    /// The schema `kept`, as the file at `path` gives it.
    fn of(path: &Path, kept: super::compiled::Compiled) -> Schema {
        Schema {
            path: path.to_path_buf(),
            document: kept.document,
            slot: kept.slot,
        }
    }

    /// This schema as [`super::compiled`] keeps it.
    fn kept(&self) -> super::compiled::Compiled {
        super::compiled::Compiled {
            document: self.document.clone(),
            slot: self.slot.clone(),
        }
    }

    /// Check and compile an already parsed schema document that came from `path`.
    pub fn from_document(path: &Path, document: Value) -> Result<Schema, ContractError> {
        Self::compiled(path, document, Checked::Not, true)
    }

    /// This schema as `view` reads it (`readOnly`/`writeOnly` properties changed); itself
    /// when it marks none. The view is compiled when this schema is: now, or on first use.
    pub fn viewed(&self, view: crate::schema::View) -> Result<Schema, ContractError> {
        let of = self.kept();
        let now = self.slot.ever_compiled();
        let viewed = super::compiled::viewed(
            &of,
            view,
            now,
            |document| {
                crate::schema::view(document, view)
                    .map(|viewed| {
                        Self::compiled(&self.path, viewed, Checked::Already, now).map(|s| s.kept())
                    })
                    .transpose()
            },
            |document| compile(&self.path, document),
        )?;
        Ok(viewed.map_or_else(|| self.clone(), |kept| Schema::of(&self.path, kept)))
    }

    /// What [`Schema::from_document`] would refuse of `document`, found part by part as
    /// [`Schema::load`] checks a schema that takes shared definitions: its own part, then
    /// each of its `$defs` once per process, however many documents carry the same one (an
    /// import bundles a large document's shared definitions into each schema it checks).
    pub fn check(path: &Path, document: &Value) -> Result<(), ContractError> {
        let defs_name = crate::schema::Keyword::Defs.name();
        let mut own = document.clone();
        let defs = match &mut own {
            Value::Object(map) => map.remove(defs_name),
            _ => None,
        };
        Self::check_own(path, &own)?;
        let Some(defs) = defs else {
            return Ok(());
        };
        let Value::Object(defs) = defs else {
            // The meta-schema says what is wrong with it.
            return check_meta(path, document);
        };
        for (name, definition) in &defs {
            super::compiled::once(definition, || {
                Self::check_definition(path, name, definition)
            })?;
        }
        Ok(())
    }

    /// What [`Schema::check`] refuses of a document's own part (`document` without its
    /// `$defs`), its references left out.
    pub fn check_own(path: &Path, own: &Value) -> Result<(), ContractError> {
        check_meta(path, own)?;
        check_enums(path, own)?;
        compile(path, &super::external::without_references(own, true)).map(drop)
    }

    /// What [`Schema::check`] refuses of the definition `$defs/NAME` of a document, compiled
    /// on its own with its references left out, placed in the whole document: an import
    /// checks each of a document's shared definitions once by name this way.
    pub fn check_definition(
        path: &Path,
        name: &str,
        definition: &Value,
    ) -> Result<(), ContractError> {
        let defs_name = crate::schema::Keyword::Defs.name();
        let at = format!("/{defs_name}/{}", crate::schema::escape(name));
        check_meta(path, definition)
            .and_then(|()| check_enums(path, definition))
            .and_then(|()| {
                compile(path, &super::external::without_references(definition, true)).map(drop)
            })
            .map_err(|e| within(e, &at))
    }

    /// A 64-bit hash of the document as JSON, the same for equal documents whatever the
    /// order of their keys: a name for what was found of a schema that outlives the
    /// document, which a caller may let go of and load again (two of a large document's few
    /// hundred schemas sharing one is a chance of about 1 in 10^14).
    pub fn fingerprint(&self) -> u64 {
        self.slot.fingerprint()
    }

    /// The compiled validator (formats checked): compiled on first use, and again when it
    /// was dropped since for others used more lately ([`super::compiled`]); a caller keeps
    /// it only as long as it judges with it.
    pub fn validator(&self) -> Arc<jsonschema::Validator> {
        super::compiled::validator(&self.kept(), |document| {
            // Its parts compiled at load, so the whole compiles: were it ever refused, no
            // payload is judged valid against it, and the refusal is said once.
            compile(&self.path, document).map_err(|e| {
                eprintln!("specgate: warning: {e}");
                jsonschema::validator_for(&Value::Bool(false)).expect("`false` compiles")
            })
        })
    }

    fn compiled(
        path: &Path,
        document: Value,
        checked: Checked,
        now: bool,
    ) -> Result<Schema, ContractError> {
        let kept = super::compiled::compiled(document, now, |document| {
            if checked == Checked::Not {
                check_meta(path, document)?;
                check_enums(path, document)?;
            }
            compile(path, document)
        })?;
        Ok(Schema::of(path, kept))
    }
}

/// Whether a document was checked against the meta-schema before it was compiled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Checked {
    Already,
    Not,
}

/// The text of the schema file at `path`.
fn read_text(path: &Path) -> Result<String, ContractError> {
    std::fs::read_to_string(path).map_err(|e| {
        ContractError::new(
            path,
            Place::File,
            format!("cannot read the schema: {e}"),
            "check the `schema` path in the case file; it is relative to the case file",
        )
    })
}

/// `text`, read from `path`, parsed and checked against the meta-schema.
fn parse_checked(path: &Path, text: &str) -> Result<Value, ContractError> {
    let document: Value = serde_json::from_str(text).map_err(|e| {
        ContractError::new(
            path,
            Place::Line {
                line: e.line(),
                column: e.column(),
            },
            format!("not valid JSON: {e}"),
            "fix the JSON syntax at that place",
        )
    })?;
    check_meta(path, &document)?;
    check_enums(path, &document)?;
    Ok(document)
}

/// The text of a file of shared definitions (read from `path`), parsed and checked as
/// [`parse_checked`] does, and each of its definitions compiled on its own, its references
/// left out (the copying checks those): compiling a definition with all it reaches, for each
/// of thousands, was most of loading a large document.
fn read_shared(path: &Path, text: &str) -> Result<Value, ContractError> {
    let document = parse_checked(path, text)?;
    let defs = document
        .get(crate::schema::Keyword::Defs.name())
        .and_then(Value::as_object);
    for (name, definition) in defs.into_iter().flatten() {
        let stripped = super::external::without_references(definition, true);
        let at = format!(
            "/{}/{}",
            crate::schema::Keyword::Defs.name(),
            crate::schema::escape(name)
        );
        compile(path, &stripped).map_err(|e| within(e, &at))?;
    }
    Ok(document)
}

/// `error`, found in the part of a document at `at`, placed in the whole document.
fn within(mut error: ContractError, at: &str) -> ContractError {
    error.place = match error.place {
        Place::Pointer(inner) => Place::Pointer(format!("{at}{inner}")),
        _ => Place::Pointer(at.to_owned()),
    };
    error
}

fn check_meta(path: &Path, document: &Value) -> Result<(), ContractError> {
    jsonschema::meta::validate(document).map_err(|e| {
        ContractError::new(
            path,
            Place::Pointer(e.instance_path().to_string()),
            format!("not a valid JSON Schema: {e}"),
            "correct the keyword at that pointer (see https://json-schema.org/draft/2020-12)",
        )
    })
}

/// An empty `enum` admits nothing: no payload could ever be valid. The 2020-12 meta-schema
/// allows it, so it is checked here.
fn check_enums(path: &Path, document: &Value) -> Result<(), ContractError> {
    let empty_enum = |map: &serde_json::Map<String, Value>| matches!(map.get(Keyword::Enum.name()), Some(Value::Array(values)) if values.is_empty());
    match first_object_where(document, &empty_enum) {
        Some(pointer) => Err(ContractError::new(
            path,
            Place::Pointer(format!("{pointer}/{}", Keyword::Enum.name())),
            "`enum` lists no values, so no value can ever match",
            "list the allowed values, or remove `enum`",
        )),
        None => Ok(()),
    }
}

/// The JSON pointer of the first schema object (depth first) that `wanted` picks; the data
/// of `enum`, `const` and `examples` is not schema and is never looked into.
pub(crate) fn first_object_where(
    document: &Value,
    wanted: &dyn Fn(&serde_json::Map<String, Value>) -> bool,
) -> Option<String> {
    let mut found = None;
    crate::schema::visit(document, "", &mut |pointer, map| {
        if found.is_none() && wanted(map) {
            found = Some(pointer.to_owned());
        }
    });
    found
}

fn compile(path: &Path, document: &Value) -> Result<jsonschema::Validator, ContractError> {
    crate::schema::validator_options()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(document)
        .map_err(|e| {
            let message = e.to_string();
            let place = dangling_ref_place(document, &message)
                .unwrap_or_else(|| Place::Pointer(e.schema_path().to_string()));
            ContractError::new(
                path,
                place,
                format!("the schema does not compile: {message}"),
                "a `$ref` must point inside this schema (e.g. \"#/$defs/Name\"); check its spelling",
            )
        })
}

/// Find the pointer of the `$ref` a compile error names, so the user sees where it is.
fn dangling_ref_place(document: &Value, message: &str) -> Option<Place> {
    let named = |map: &serde_json::Map<String, Value>| matches!(map.get(Keyword::Ref.name()), Some(Value::String(target)) if message.contains(target.trim_start_matches('#')));
    first_object_where(document, &named)
        .map(|pointer| Place::Pointer(format!("{pointer}/{}", Keyword::Ref.name())))
}
