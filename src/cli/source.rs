//! Where the cases come from, for every subcommand that reads them: a folder of case files
//! (`--cases DIR`), or an OpenAPI document (`--openapi FILE`), imported into a temporary
//! folder first, its operations the case format cannot express kept as `untested` findings,
//! and so are those no plan can be made for (`super::plannable`), as `import` leaves them out;
//! either narrowed by the selecting flags ([`super::select`]), and a document's operations
//! left out are never translated.

use super::plannable::Refused;
use super::select::{Candidate, Selection};
use super::Ending;
use crate::contract::Operation;
use crate::results::Finding;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Debug, Clone, clap::Args)]
pub(super) struct CaseSource {
    /// Folder of case files (*.toml).
    #[arg(long, value_name = "DIR", default_value = "cases")]
    pub(super) cases: PathBuf,
    /// Read the operations from an OpenAPI 3.0/3.1 document (YAML or JSON) instead of --cases.
    #[arg(long, value_name = "FILE", conflicts_with = "cases")]
    pub(super) openapi: Option<PathBuf>,
    /// Only this operation: its operationId or case name (with --cases, the case's name);
    /// `*` and `?` match any text and any one character. Repeatable.
    #[arg(long = "operation", value_name = "ID")]
    pub(super) operations: Vec<String>,
    /// Leave out this operation (a name or glob, as --operation). Repeatable.
    #[arg(long = "exclude-operation", value_name = "ID")]
    pub(super) excluded: Vec<String>,
    /// With --openapi: only operations with this tag (a glob). Repeatable.
    #[arg(long = "tag", value_name = "TAG", requires = "openapi")]
    pub(super) tags: Vec<String>,
}

/// Loaded cases, and the folder drift baselines default to.
pub(super) struct Loaded {
    pub(super) operations: Vec<Arc<Operation>>,
    /// `--cases`, or the OpenAPI document's folder.
    pub(super) home: PathBuf,
    /// Operations of the document that could not be expressed: reported, never run.
    pub(super) untested: Vec<Finding>,
    /// Where each untested operation is in the document, for reports that point at code.
    pub(super) untested_sources: Vec<crate::report::CaseSource>,
    /// Every route (method, path template) of the document or case folder, selected and
    /// expressible or not: what probes of undocumented methods must leave alone.
    pub(super) routes: Vec<(http::Method, String)>,
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

    /// Say on stderr which operations are left untested, for commands without a report.
    pub(super) fn announce_untested(&self) {
        for finding in &self.untested {
            eprintln!("specgate: untested: {} {}", finding.case, finding.message);
        }
    }
}

impl CaseSource {
    fn selection(&self) -> Selection<'_> {
        Selection {
            operations: &self.operations,
            excluded: &self.excluded,
            tags: &self.tags,
        }
    }

    /// Load the cases, or import the document. An operation the case format cannot express
    /// is `untested`, with its place; the others are imported and run.
    pub(super) fn load(&self) -> Result<Loaded, Ending> {
        let Some(document) = &self.openapi else {
            return self.load_cases();
        };
        let selection = self.selection();
        // Only the operations taken are translated: the work is theirs, not the document's.
        let taken_only = |l: &crate::openapi::Listed| selection.takes(&candidate(l));
        let mut read = crate::openapi::read_picked(document, &taken_only).map_err(Ending::usage)?;
        let candidates: Vec<Candidate<'_>> = read.listed.iter().map(candidate).collect();
        let source = document.display().to_string();
        selection.check(&candidates, &source)?;
        let taken: BTreeSet<String> = candidates
            .iter()
            .filter(|c| selection.takes(c))
            .map(|c| c.id.to_owned())
            .collect();
        let (mut untested, mut untested_sources) = untested(&read, &taken, document);
        let (folder, imported) = write_plannable(&mut read, taken.clone(), |refused, imported| {
            untested.push(refused_finding(refused, imported));
            untested_sources.push(crate::pipeline::document_case_source(
                &refused.case,
                &refused.operation_id,
                document,
            ));
        })?;
        let changed = read.warnings().filter(|w| taken.contains(&w.operation));
        for warning in changed.chain(&imported.problems[read.problems.len()..]) {
            eprintln!("specgate: warning: {warning}");
        }
        let home = document.parent().map_or_else(PathBuf::new, PathBuf::from);
        let routes = read
            .listed
            .iter()
            .filter_map(|l| Some((l.route.0.parse().ok()?, l.route.1.clone())))
            .collect();
        Ok(Loaded {
            routes,
            operations: imported.operations.iter().cloned().map(Arc::new).collect(),
            home,
            untested,
            untested_sources,
            imported: Some((folder, imported)),
        })
    }

    /// [`CaseSource::load`] for a command that reads only the requests (`plan`): cases from
    /// a folder are kept without their response schemas, each let go of as its case loads,
    /// so a large document's schemas are not all held at once.
    pub(super) fn load_requests(&self) -> Result<Loaded, Ending> {
        if self.openapi.is_some() {
            return self.load();
        }
        self.load_cases_each(crate::contract::Operation::let_go_of_response_schemas)
    }

    /// `--cases`: the folder's case files, selected by name.
    fn load_cases(&self) -> Result<Loaded, Ending> {
        self.load_cases_each(|_| {})
    }

    /// `--cases`, each operation handed to `each` as it loads (see
    /// [`crate::contract::load_cases_each`]).
    fn load_cases_each(
        &self,
        each: impl FnMut(&mut crate::contract::Operation),
    ) -> Result<Loaded, Ending> {
        let kept = crate::contract::ResponseSchemas::Kept;
        let operations =
            crate::contract::load_cases_each(&self.cases, kept, each).map_err(Ending::usage)?;
        let selection = self.selection();
        let candidates: Vec<Candidate<'_>> = operations
            .iter()
            .map(|o| Candidate {
                id: &o.name,
                case: &o.name,
                tags: &[],
            })
            .collect();
        if !selection.is_everything() {
            selection.check(&candidates, &self.cases.display().to_string())?;
        }
        let taken: Vec<bool> = candidates.iter().map(|c| selection.takes(c)).collect();
        let routes = operations
            .iter()
            .map(|o| (o.method.clone(), o.path.clone()))
            .collect();
        let operations = operations
            .into_iter()
            .zip(taken)
            .filter_map(|(operation, taken)| taken.then(|| Arc::new(operation)))
            .collect();
        Ok(Loaded {
            routes,
            operations,
            home: self.cases.clone(),
            untested: Vec::new(),
            untested_sources: Vec::new(),
            imported: None,
        })
    }
}

/// The taken operations of `read` written to a temporary folder, without those the generator
/// refuses, each of which is handed to `refused` with the import that named it.
fn write_plannable(
    read: &mut crate::openapi::Document,
    mut taken: BTreeSet<String>,
    mut refused: impl FnMut(&Refused, &crate::openapi::Imported),
) -> Result<(tempfile::TempDir, crate::openapi::Imported), Ending> {
    let write = |read: &crate::openapi::Document, taken: &BTreeSet<String>| {
        let folder = tempfile::tempdir().map_err(Ending::usage)?;
        let imported =
            crate::openapi::write_cases(read, folder.path(), Some(taken)).map_err(Ending::usage)?;
        Ok::<_, Ending>((folder, imported))
    };
    let (folder, imported) = write(read, &taken)?;
    // A response schema no body satisfies is dropped, with a warning, not the operation.
    let dropped = super::plannable::drop_unbuildable_responses(read, &imported);
    let refusals = super::plannable::refused(read, &imported);
    if refusals.is_empty() && !dropped {
        return Ok((folder, imported));
    }
    for refusal in &refusals {
        refused(refusal, &imported);
        taken.remove(&refusal.operation_id);
    }
    // Written again without them, so no link or case of the run names them.
    write(read, &taken)
}

/// The `untested` finding of an operation the generator refuses, placed at the document's
/// schema it was imported from.
fn refused_finding(refused: &Refused, imported: &crate::openapi::Imported) -> Finding {
    let within = match &refused.error.place {
        crate::contract::Place::Pointer(pointer) => format!(" at {pointer}"),
        _ => String::new(),
    };
    match imported.origin_of(&refused.error.file) {
        Some(origin) => Finding::untested(
            &refused.case,
            &format!("{origin}{within}"),
            &origin.pointer,
            &refused.error.problem,
        ),
        None => Finding::untested(
            &refused.case,
            &imported.explain(&refused.error.file.display().to_string()),
            "",
            &refused.error.problem,
        ),
    }
}

/// An operation of the document as the selection sees it.
fn candidate(listed: &crate::openapi::Listed) -> Candidate<'_> {
    Candidate {
        id: &listed.operation_id,
        case: &listed.case,
        tags: &listed.tags,
    }
}

/// The `untested` findings of the taken operations the case format cannot express, and
/// where each operation is in the document.
fn untested(
    read: &crate::openapi::Document,
    taken: &BTreeSet<String>,
    document: &Path,
) -> (Vec<Finding>, Vec<crate::report::CaseSource>) {
    let mut findings: Vec<Finding> = Vec::new();
    let mut sources = Vec::new();
    for listed in read
        .listed
        .iter()
        .filter(|l| taken.contains(&l.operation_id))
    {
        let problems = read
            .problems
            .iter()
            .filter(|p| p.operation == listed.operation_id);
        let before = findings.len();
        for problem in problems {
            let finding = Finding::untested(
                &listed.case,
                &problem.at.to_string(),
                &problem.at.pointer,
                &problem.what,
            );
            // Two problems at one place are one finding, as the run groups its own.
            if !findings
                .iter()
                .any(|f| f.group_key() == finding.group_key())
            {
                findings.push(finding);
            }
        }
        if findings.len() > before {
            sources.push(crate::pipeline::document_case_source(
                &listed.case,
                &listed.operation_id,
                document,
            ));
        }
    }
    (findings, sources)
}
