//! Where the cases come from, for every subcommand that reads them: a folder of case files
//! (`--cases DIR`), or an OpenAPI document (`--openapi FILE`, optionally `--operation ID`),
//! imported into a temporary folder first.

use super::Ending;
use crate::contract::Operation;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Clone, clap::Args)]
pub(super) struct CaseSource {
    /// Folder of case files (*.toml).
    #[arg(long, value_name = "DIR", default_value = "cases")]
    pub(super) cases: PathBuf,
    /// Read the operations from an OpenAPI 3.0/3.1 document (YAML or JSON) instead of --cases.
    #[arg(long, value_name = "FILE", conflicts_with = "cases")]
    pub(super) openapi: Option<PathBuf>,
    /// With --openapi: only this operation (its operationId). Repeatable.
    #[arg(long = "operation", value_name = "ID", requires = "openapi")]
    pub(super) operations: Vec<String>,
}

/// Loaded cases, and the folder drift baselines default to.
pub(super) struct Loaded {
    pub(super) operations: Vec<Arc<Operation>>,
    /// `--cases`, or the OpenAPI document's folder.
    pub(super) home: PathBuf,
    /// The imported cases live here while the command runs.
    imported: Option<(tempfile::TempDir, crate::openapi::Imported)>,
}

impl Loaded {
    /// A usage error whose message points into the OpenAPI document rather than at the
    /// temporary files imported from it.
    pub(super) fn usage(&self, error: impl std::fmt::Display) -> Ending {
        let message = error.to_string();
        match &self.imported {
            Some((_, imported)) => Ending::Usage(imported.explain(&message)),
            None => Ending::Usage(message),
        }
    }
}

impl CaseSource {
    /// Load the cases, or import the document; any part that cannot be expressed is a usage
    /// error naming its place.
    pub(super) fn load(&self) -> Result<Loaded, Ending> {
        let Some(document) = &self.openapi else {
            let operations = crate::contract::load_cases(&self.cases).map_err(Ending::usage)?;
            return Ok(Loaded {
                operations: operations.into_iter().map(Arc::new).collect(),
                home: self.cases.clone(),
                imported: None,
            });
        };
        let read = crate::openapi::read(document).map_err(Ending::usage)?;
        let pick = self.pick(&read)?;
        let problems: Vec<String> = read
            .problems
            .iter()
            .filter(|p| pick.as_ref().is_none_or(|pick| pick.contains(&p.operation)))
            .map(|p| format!("  {p}"))
            .collect();
        if !problems.is_empty() {
            return Err(Ending::usage(format!(
                "{}: {} part(s) of the document cannot be expressed yet:\n{}\n  fix: pick the operations that can with --operation ID, or import the document with `specgate import` and edit the cases",
                document.display(),
                problems.len(),
                problems.join("\n")
            )));
        }
        let folder = tempfile::tempdir().map_err(Ending::usage)?;
        let imported = crate::openapi::write_cases(&read, folder.path(), pick.as_ref())
            .map_err(Ending::usage)?;
        let home = document.parent().map_or_else(PathBuf::new, PathBuf::from);
        Ok(Loaded {
            operations: imported.operations.iter().cloned().map(Arc::new).collect(),
            home,
            imported: Some((folder, imported)),
        })
    }

    /// `--operation` ids, each checked to be in the document.
    fn pick(&self, read: &crate::openapi::Document) -> Result<Option<BTreeSet<String>>, Ending> {
        if self.operations.is_empty() {
            return Ok(None);
        }
        let known: BTreeSet<&str> = read
            .drafts
            .iter()
            .map(|d| d.operation_id.as_str())
            .chain(read.problems.iter().map(|p| p.operation.as_str()))
            .collect();
        if let Some(unknown) = self.operations.iter().find(|o| !known.contains(o.as_str())) {
            return Err(Ending::usage(format!(
                "--operation {unknown}: the document has no such operation\n  fix: use one of {}",
                known.into_iter().collect::<Vec<_>>().join(", ")
            )));
        }
        Ok(Some(self.operations.iter().cloned().collect()))
    }
}
