//! Imported operations no plan can be made for (a request schema no value satisfies, such as
//! an `allOf` of two types): `import` leaves them out and says why, and `--openapi` reports
//! them as `untested`, so a document's operations are judged the same way on both paths.
//!
//! A response schema no body satisfies (an `oneOf` whose branches admit the same values, a
//! required property down a circular `$ref`) does not stop its operation: the schema is
//! dropped with a warning at its place, so the operation is run and that response's status
//! and content type are still checked, its body not.

use crate::contract::{ContractError, Operation};
use crate::openapi::{Document, Imported, Location, Problem};
use crate::sandbox::respond::TemplateError;
use std::collections::HashMap;
use std::sync::Mutex;

/// An operation the generator refuses, and why.
pub(super) struct Refused {
    /// Its case name.
    pub(super) case: String,
    /// Its `operationId` (or method and path), as `write_cases` picks operations.
    pub(super) operation_id: String,
    /// The generator's refusal, naming the written schema file and the keyword's pointer.
    pub(super) error: ContractError,
}

/// The operations of `imported` (written from `document`) the generator refuses, each judged
/// on its own on as many threads as run at once, up to where the generator would refuse it
/// (not its whole plan): building every operation's plan to see whether one could be made
/// was a seventh of Stripe's import, on one core of two.
pub(super) fn refused(document: &Document, imported: &Imported) -> Vec<Refused> {
    let errors = crate::contract::parallel::map_in_order(&imported.operations, |operation| {
        crate::generate::Generator::check(operation).err()
    });
    imported
        .operations
        .iter()
        .zip(errors)
        .filter_map(|(operation, error)| {
            let error = error?;
            let operation_id = document
                .drafts
                .iter()
                .find(|d| d.name == operation.name.as_str())
                .map_or_else(|| operation.name.to_string(), |d| d.operation_id.clone());
            Some(Refused {
                case: operation.name.to_string(),
                operation_id,
                error,
            })
        })
        .collect()
}

/// Drop from `document` the response schemas of `imported` (written from it) that admit no
/// body the sandbox's walk or the solver can build, each said as a warning of its operation
/// and a note in its case. Whether any was dropped: the document must then be written again.
///
/// Neither proves that no value exists; but a schema the solver finds no value for cannot
/// be served by the sandbox, and such a schema in real documents is one that admits none.
pub(super) fn drop_unbuildable_responses(document: &mut Document, imported: &Imported) -> bool {
    let built = Built::default();
    // Each operation on its own thread, as the import judges them as they load.
    let found = crate::contract::parallel::map_in_order(&imported.operations, |operation| {
        built.unbuildable(operation)
    });
    let unbuildable: Vec<Unbuildable> = found.into_iter().flatten().collect();
    drop_responses(document, &unbuildable)
}

/// A response schema of an operation that admits no body the sandbox can build.
pub(super) struct Unbuildable {
    /// The operation's case name.
    case: String,
    /// The response's status, as written.
    status: String,
    /// Where the closest body fails the schema, and how.
    pointer: String,
    message: String,
}

/// Drop from `document` the response schemas `unbuildable` names (see
/// [`drop_unbuildable_responses`]). Whether any was dropped.
pub(super) fn drop_responses(document: &mut Document, unbuildable: &[Unbuildable]) -> bool {
    let mut dropped = false;
    for found in unbuildable {
        let Some(draft) = document.drafts.iter_mut().find(|d| d.name == found.case) else {
            continue;
        };
        let Some(response) = draft
            .responses
            .iter_mut()
            .find(|r| r.status.eq_ignore_ascii_case(&found.status) && r.schema.is_some())
        else {
            continue;
        };
        response.schema = None;
        let at = Location {
            file: draft.at.file.clone(),
            pointer: format!(
                "{}/responses/{}",
                draft.at.pointer,
                crate::schema::escape(&response.status)
            ),
        };
        let what = format!(
            "specgate builds no body the schema of response {} admits (the closest fails \
             at `{}` with: {}); it is imported without that schema: the \
             status and content type of such an answer are checked, its body is not",
            response.status, found.pointer, found.message
        );
        draft.notes.push(what.clone());
        draft.warnings.push(Problem {
            operation: draft.operation_id.clone(),
            at,
            what,
        });
        dropped = true;
    }
    dropped
}

/// Why the sandbox builds no body for a response schema, found once per distinct schema and
/// operation settings the body depends on: a large document's operations share most of their
/// response schemas (every error response, a resource read, updated and listed), and building
/// a body, the solver's fallback above all, was most of Stripe's import.
///
/// By the schema's [`crate::contract::Schema::fingerprint`], not its document's address: an
/// import lets go of each operation's schemas once judged, and one loaded again is another
/// document. Shared by the threads loading an import's cases, each judging what it loaded.
#[derive(Default)]
pub(super) struct Built {
    /// By the schema's fingerprint, the `[sandbox.fields]` and the redactions: the failing
    /// pointer and message, if any.
    outcomes: Mutex<HashMap<BuiltKey, Option<(String, String)>>>,
}

type BuiltKey = (u64, Vec<(String, String)>, Vec<String>);

impl Built {
    /// The response schemas of `operation` that admit no body the sandbox builds.
    pub(super) fn unbuildable(&self, operation: &Operation) -> Vec<Unbuildable> {
        let with_schema = operation
            .responses
            .iter()
            .filter_map(|spec| Some((spec, spec.schema.as_ref()?)));
        with_schema
            .filter_map(|(spec, schema)| {
                let (pointer, message) = self.invalid_body(schema, operation)?;
                Some(Unbuildable {
                    case: operation.name.to_string(),
                    status: spec.status.to_string(),
                    pointer,
                    message,
                })
            })
            .collect()
    }

    /// The pointer and message of the body the sandbox builds for `schema` of `operation`
    /// failing that schema; `None` when it builds one (or fails for another reason).
    /// Two threads may build the same schema's body at once; both find the same.
    fn invalid_body(
        &self,
        schema: &crate::contract::Schema,
        operation: &crate::contract::Operation,
    ) -> Option<(String, String)> {
        let key = (
            schema.fingerprint(),
            operation.sandbox_fields.clone(),
            operation.redactions.clone(),
        );
        let outcomes = || self.outcomes.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(found) = outcomes().get(&key) {
            return found.clone();
        }
        let found = match crate::sandbox::respond::BodyTemplate::for_schema(Some(schema), operation)
        {
            Err(TemplateError::InvalidBody { pointer, message }) => Some((pointer, message)),
            _ => None,
        };
        outcomes().insert(key, found.clone());
        found
    }
}
