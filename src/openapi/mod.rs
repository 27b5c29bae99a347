//! OpenAPI 3.0 and 3.1 documents (YAML or JSON; Swagger 2.0 converted to 3.0 first,
//! [`swagger2`]) turned into case files and schemas, the
//! format a person writes by hand: `specgate import`, and `--openapi FILE` on `run` and
//! `plan`, which import into a temporary folder first.
//!
//! Schemas are translated to self-contained JSON Schema 2020-12 ([`schema`]), `$ref`s to
//! components and to other files resolved ([`source`]). Each operation becomes one case
//! ([`operation`], [`write`]) with its parameters and the `links` that feed its path
//! parameters ([`parameter`]); whatever the case format cannot express yet (media-type
//! parameters, an API key in a query parameter, OAuth2, non-JSON response bodies) is a
//! [`Problem`] with its file and JSON pointer, so nothing is dropped in silence. An import
//! is published into its folder with a manifest ([`manifest`]) so a re-import never
//! overwrites a person's edits. Depends on [`crate::contract`] only, to check that what it
//! writes loads.

mod field;
mod links;
mod manifest;
mod operation;
mod parameter;
mod schema;
mod source;
mod swagger2;
mod write;

pub use manifest::{publish, Overwrite, PublishError, Published, MANIFEST};
pub use operation::{CaseDraft, DraftEncoding, DraftExample, DraftRequest, Listed};
pub use parameter::{DraftLink, DraftParameter};
pub use source::{Definitions, Location};
pub use swagger2::Origins;
pub use write::{write_cases, write_cases_loading, Imported};

use std::path::{Path, PathBuf};

/// The OpenAPI version of a document, which decides its schema dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// 3.0.x: schemas are OpenAPI's extended subset of JSON Schema draft 4/5.
    V3_0,
    /// 3.1.x: schemas are JSON Schema 2020-12.
    V3_1,
}

/// A part of a document that the case format cannot express yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The operation it belongs to (its `operationId`, or method and path).
    pub operation: String,
    /// Where it is.
    pub at: Location,
    /// What it is and why it cannot be expressed.
    pub what: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.at, self.operation, self.what)
    }
}

/// Why a document could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum OpenApiError {
    /// A file could not be read.
    #[error("{file}: cannot read it: {problem}\n  fix: check the path")]
    Read {
        /// The file.
        file: PathBuf,
        /// What the OS said.
        problem: String,
    },
    /// A file is neither JSON nor YAML.
    #[error("{file}:{line}:{column}: not valid JSON or YAML: {problem}\n  fix: correct the syntax at that place")]
    Syntax {
        /// The file.
        file: PathBuf,
        /// 1-based line (0 when unknown).
        line: usize,
        /// 1-based column (0 when unknown).
        column: usize,
        /// The parser's message.
        problem: String,
    },
    /// Not an OpenAPI 3.0 or 3.1 (or Swagger 2.0) document.
    #[error("{file}: `openapi: {found}` is not OpenAPI 3.0 or 3.1, nor `swagger: \"2.0\"`\n  fix: give an OpenAPI 3.x or Swagger 2.0 document")]
    NotOpenApi3 {
        /// The file.
        file: PathBuf,
        /// The version it declares.
        found: String,
    },
    /// A `$ref` points at nothing.
    #[error("`$ref` to {reference} points at nothing\n  fix: correct the reference or add what it names")]
    Dangling {
        /// Where it points.
        reference: String,
    },
    /// A `$ref` to another host: specgate reads local files only.
    #[error("{at}: `$ref: {reference}` is remote; specgate reads local files only\n  fix: download the referenced document next to this one and reference it by a relative path")]
    Remote {
        /// The reference.
        reference: String,
        /// Where it is written.
        at: Location,
    },
    /// A construct no case could ever hold.
    #[error("{at}: {what}")]
    Unsupported {
        /// Where it is.
        at: Location,
        /// What it is.
        what: String,
    },
}

/// A document read into drafts: one per operation that can be expressed, and the problems
/// of the others.
#[derive(Debug)]
pub struct Document {
    /// The root file.
    pub file: PathBuf,
    /// The document's version.
    pub version: Version,
    /// The path of the first server URL (e.g. `/v1`), which base URLs include.
    pub base_path: String,
    /// Operations the case format can express.
    pub drafts: Vec<CaseDraft>,
    /// What the case format cannot express, with its place.
    pub problems: Vec<Problem>,
    /// Every operation, in document order, expressed or not, read or not.
    pub listed: Vec<Listed>,
    /// For a Swagger 2.0 document, read converted to 3.0: where each converted place came
    /// from in the 2.0 file.
    pub converted_from_2_0: Option<Origins>,
    /// The schemas the operations' schemas share, by name: each operation's schema refers to
    /// those it reaches and holds no copy, and an import writes them once.
    pub shared: Definitions,
}

impl Document {
    /// What the import changed to express its operations, each said as a warning.
    pub fn warnings(&self) -> impl Iterator<Item = &Problem> {
        self.drafts.iter().flat_map(|d| &d.warnings)
    }
}

/// Read the document at `file` and every file it references.
pub fn read(file: &Path) -> Result<Document, OpenApiError> {
    read_picked(file, &|_| true)
}

/// Read the document at `file`, translating only the operations `wanted` picks (and what
/// they reference); every operation is still listed. Links are resolved among the
/// operations read.
pub fn read_picked(
    file: &Path,
    wanted: &dyn Fn(&Listed) -> bool,
) -> Result<Document, OpenApiError> {
    let (mut sources, root_file) = source::Sources::open(file)?;
    let root = Location {
        file: root_file.clone(),
        pointer: String::new(),
    };
    let mut document = sources.get(&root)?.clone();
    let converted = swagger2::is_swagger2(&document).then(|| swagger2::convert(&document, &root));
    if let Some(converted) = &converted {
        document = converted.document.clone();
        sources.replace(&root_file, document.clone());
    }
    let declared = document
        .get("openapi")
        .and_then(serde_json::Value::as_str)
        .unwrap_or("(none)")
        .to_owned();
    let version = match declared.get(..4) {
        Some("3.0.") => Version::V3_0,
        Some("3.1.") => Version::V3_1,
        _ => {
            return Err(OpenApiError::NotOpenApi3 {
                file: root_file,
                found: declared,
            })
        }
    };
    let mut drafts = Vec::new();
    let mut problems = Vec::new();
    let mut listed = Vec::new();
    for (entry, result) in operation::operations(&mut sources, &root, version, wanted)? {
        listed.push(entry);
        match result {
            Some(Ok(draft)) => drafts.push(draft),
            Some(Err(found)) => problems.extend(found),
            None => {}
        }
    }
    let origins = converted.map(|c| {
        let warnings = drafts.iter_mut().flat_map(|d| &mut d.warnings);
        for problem in problems.iter_mut().chain(warnings) {
            c.origins.locate(&root_file, &mut problem.at);
        }
        for parameter in drafts.iter_mut().flat_map(|d| &mut d.parameters) {
            c.origins.locate(&root_file, &mut parameter.at);
        }
        untested_when_unconverted(&mut drafts, &mut problems, c.problems);
        c.origins
    });
    links::apply_links(&mut drafts);
    Ok(Document {
        converted_from_2_0: origins,
        base_path: base_path(&document),
        file: root_file,
        version,
        drafts,
        problems,
        listed,
        shared: sources.shared.into_definitions(),
    })
}

/// An operation with a part a 2.0 → 3.0 conversion could not make is not written: its
/// problems say where that part is.
fn untested_when_unconverted(
    drafts: &mut Vec<CaseDraft>,
    problems: &mut Vec<Problem>,
    unconverted: Vec<Problem>,
) {
    drafts.retain(|d| unconverted.iter().all(|p| p.operation != d.operation_id));
    problems.extend(unconverted);
}

/// The problem that would stop the case loader from compiling the bundled `schema`
/// translated from `at` with the shared definitions it reaches, if any: a written case must
/// always load. Checked part by part, each shared definition once per document, and nothing
/// kept compiled.
fn unloadable(
    shared: &mut source::Shared,
    schema: &serde_json::Value,
    at: &Location,
) -> Option<Problem> {
    let error = shared.check(&at.file, schema).err()?;
    let place = match &error.place {
        crate::contract::Place::Pointer(pointer) if !pointer.is_empty() => {
            format!(" (at {pointer} once translated)")
        }
        _ => String::new(),
    };
    Some(Problem {
        operation: String::new(),
        at: at.clone(),
        what: format!("the schema cannot be used{place}: {}", error.problem),
    })
}

/// The place `keys` (unescaped) below `at`.
fn child(at: &Location, keys: &[&str]) -> Location {
    let mut pointer = at.pointer.clone();
    for key in keys {
        pointer.push('/');
        pointer.push_str(&crate::schema::escape(key));
    }
    Location {
        file: at.file.clone(),
        pointer,
    }
}

/// The path of the first server URL, without a trailing `/`; `""` when there is none.
fn base_path(document: &serde_json::Value) -> String {
    let url = document
        .pointer("/servers/0/url")
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default();
    let path = match url.find("://") {
        Some(scheme_end) => {
            let rest = &url[scheme_end + 3..];
            rest.find('/').map_or("", |slash| &rest[slash..])
        }
        None => url,
    };
    path.trim_end_matches('/').to_owned()
}
