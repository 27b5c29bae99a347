//! Imported operations no plan can be made for (a request schema no value satisfies, such as
//! an `allOf` of two types): `import` leaves them out and says why, and `--openapi` reports
//! them as `untested`, so a document's operations are judged the same way on both paths.

use crate::contract::ContractError;
use crate::openapi::{Document, Imported};

/// An operation the generator refuses, and why.
pub(super) struct Refused {
    /// Its case name.
    pub(super) case: String,
    /// Its `operationId` (or method and path), as `write_cases` picks operations.
    pub(super) operation_id: String,
    /// The generator's refusal, naming the written schema file and the keyword's pointer.
    pub(super) error: ContractError,
}

/// The operations of `imported` (written from `document`) the generator refuses.
pub(super) fn refused(document: &Document, imported: &Imported) -> Vec<Refused> {
    imported
        .operations
        .iter()
        .filter_map(|operation| {
            let error =
                crate::generate::Generator::new(std::sync::Arc::new(operation.clone())).err()?;
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
