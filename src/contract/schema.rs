//! Loading, checking and compiling one JSON Schema file.
//!
//! A schema is compiled once per process (format validation on) and shared by every
//! operation that has the same schema ([`super::compiled`]); everything that validates a
//! payload or a response goes through [`Schema::validator`]. Problems are reported
//! with the schema file and a JSON pointer into it.

use super::error::{ContractError, Place};
use crate::schema::Keyword;
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;

/// A loaded, checked and compiled JSON Schema.
#[derive(Clone)]
pub struct Schema {
    /// The schema file.
    pub path: std::path::PathBuf,
    /// The schema as JSON, `$ref`s resolved where the loader resolves them.
    pub document: Arc<Value>,
    /// The compiled validator (formats checked).
    pub validator: Arc<jsonschema::Validator>,
}

impl std::fmt::Debug for Schema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Schema").field("path", &self.path).finish()
    }
}

impl Schema {
    /// Read, parse, check and compile the schema at `path`, with the definitions it takes
    /// from files beside it ([`super::external`]).
    pub fn load(path: &Path) -> Result<Schema, ContractError> {
        let document = read_checked(path)?;
        let document = super::external::inline(path, document, read_checked)?;
        // Its own part and every file it took from are checked: what is left is compiling.
        Self::compiled(path, document, Checked::Already)
    }

    /// Check and compile an already parsed schema document that came from `path`.
    pub fn from_document(path: &Path, document: Value) -> Result<Schema, ContractError> {
        Self::compiled(path, document, Checked::Not)
    }

    /// This schema as `view` reads it (`readOnly`/`writeOnly` properties changed); itself
    /// when it marks none.
    pub fn viewed(&self, view: crate::schema::View) -> Result<Schema, ContractError> {
        match crate::schema::view(&self.document, view) {
            None => Ok(self.clone()),
            Some(document) => Self::compiled(&self.path, document, Checked::Already),
        }
    }

    fn compiled(path: &Path, document: Value, checked: Checked) -> Result<Schema, ContractError> {
        let (document, validator) = super::compiled::compiled(document, |document| {
            if checked == Checked::Not {
                check_meta(path, document)?;
                check_enums(path, document)?;
            }
            compile(path, document)
        })?;
        Ok(Schema {
            path: path.to_path_buf(),
            document,
            validator,
        })
    }
}

/// Whether a document was checked against the meta-schema before it was compiled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Checked {
    Already,
    Not,
}

/// The schema file at `path`, read, parsed and checked against the meta-schema.
fn read_checked(path: &Path) -> Result<Value, ContractError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        ContractError::new(
            path,
            Place::File,
            format!("cannot read the schema: {e}"),
            "check the `schema` path in the case file; it is relative to the case file",
        )
    })?;
    let document: Value = serde_json::from_str(&text).map_err(|e| {
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
