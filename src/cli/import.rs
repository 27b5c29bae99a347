//! `specgate import`: write the case files and schemas of an OpenAPI 3.0/3.1 or Swagger 2.0
//! document.

use super::select::{Candidate, Selection};
use super::Ending;
use crate::contract::ResponseSchemas;
use crate::openapi::Overwrite;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// The OpenAPI document (YAML or JSON); the files it references are read too.
    #[arg(value_name = "OPENAPI")]
    document: PathBuf,
    /// Where to write `cases/` and `schemas/`.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Replace files in DIR that this import did not write, or that were changed since.
    #[arg(long)]
    force: bool,
    /// Only this operation: its operationId or case name; `*` and `?` match any text and
    /// any one character. Repeatable.
    #[arg(long = "operation", value_name = "ID")]
    operations: Vec<String>,
    /// Leave out this operation (a name or glob, as --operation). Repeatable.
    #[arg(long = "exclude-operation", value_name = "ID")]
    excluded: Vec<String>,
    /// Only operations with this tag (a glob). Repeatable.
    #[arg(long = "tag", value_name = "TAG")]
    tags: Vec<String>,
}

impl Args {
    fn selection(&self) -> Selection<'_> {
        Selection {
            operations: &self.operations,
            excluded: &self.excluded,
            tags: &self.tags,
        }
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

/// Write every operation the case format can express; name the operations written without
/// one of their examples, and list (and exit 2 for) the operations not written.
pub(super) fn execute(args: Args) -> Ending {
    let selection = args.selection();
    let taken_only = |l: &crate::openapi::Listed| selection.takes(&candidate(l));
    let mut document = match crate::openapi::read_picked(&args.document, &taken_only) {
        Ok(document) => document,
        Err(e) => return Ending::usage(e),
    };
    let candidates: Vec<Candidate<'_>> = document.listed.iter().map(candidate).collect();
    // A document without operations imports as nothing, unless a flag asked for some.
    let checked = match selection.is_everything() {
        true => Ok(()),
        false => selection.check(&candidates, &args.document.display().to_string()),
    };
    if let Err(ending) = checked {
        return ending;
    }
    let taken: BTreeSet<String> = candidates
        .iter()
        .filter(|c| selection.takes(c))
        .map(|c| c.id.to_owned())
        .collect();
    let (staging, imported, unplannable) = match stage(&mut document, &taken, &args.out) {
        Ok(staged) => staged,
        Err(ending) => return ending,
    };
    let overwrite = if args.force {
        Overwrite::Anything
    } else {
        Overwrite::OwnFilesOnly
    };
    let published = match crate::openapi::publish(staging.path(), &args.out, overwrite) {
        Ok(published) => published,
        Err(e) => return Ending::usage(e),
    };
    let cases_dir = args.out.join("cases");
    println!(
        "specgate: wrote {} case(s) to {}",
        imported.operations.len(),
        cases_dir.display()
    );
    for kept in &published.kept {
        eprintln!(
            "specgate: warning: {} is no longer made by this document but was changed since the last import, so it was kept",
            args.out.join(kept).display()
        );
    }
    if !document.base_path.is_empty() {
        println!(
            "  base URLs include the server path `{}`, e.g. --base-url https://host{}",
            document.base_path, document.base_path
        );
    }
    for warning in document.warnings() {
        eprintln!("specgate: warning: {warning}");
    }
    let without_example = lost_examples(&document, &imported);
    for (case, problem) in &without_example {
        eprintln!("specgate: warning: {case} written without an example: {problem}");
    }
    let (mut skipped, mut ids) = skipped(&document, &taken);
    skipped.extend(unplannable.iter().map(|(_, line)| line.clone()));
    ids.extend(unplannable.into_iter().map(|(id, _)| id));
    if skipped.is_empty() {
        return Ending::Conformant;
    }
    let document_path = args.document.display();
    let exclusions: Vec<String> = ids
        .iter()
        .map(|id| format!("--exclude-operation {}", shell_word(id)))
        .collect();
    Ending::usage(format!(
        "{} of the {} operation(s) of {document_path} cannot be expressed in a case file yet and were not written:\n{}\n  fix: import the rest and exit 0 with `specgate import {document_path} --out {} {}`, or run the document as it is with `specgate run --openapi {document_path}`, which reports them as `untested`",
        skipped.len(),
        taken.len(),
        skipped.join("\n"),
        args.out.display(),
        exclusions.join(" "),
    ))
}

/// `text` as one word of a POSIX shell command line: quoted when it holds anything but
/// letters, digits and `-_./:`, since an operation named by method and path has a space.
fn shell_word(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:{}".contains(c));
    match plain {
        true => text.to_owned(),
        false => format!("'{}'", text.replace('\'', "'\\''")),
    }
}

/// A staged import: its folder, what it wrote, and each operation left out because no plan
/// can be made for it (its id and the lines saying why).
type Staged = (
    tempfile::TempDir,
    crate::openapi::Imported,
    Vec<(String, String)>,
);

/// The document written and loaded back in a folder of its own, so nothing of DIR is
/// touched unless the whole import can be published there; and without the cases no plan
/// can be made from (a schema no value satisfies), each said as a skipped operation with its
/// reason at its place in the document: if the import exits 0, what it wrote plans.
///
/// Each operation loaded back has its response schemas judged as it loads and is kept
/// without them (a plan reads only its request): a large document's schemas, its shared
/// definitions copied into each, held at once were most of the import's memory.
fn stage(
    document: &mut crate::openapi::Document,
    taken: &BTreeSet<String>,
    out: &Path,
) -> Result<Staged, Ending> {
    let staging = staging_folder(out)
        .map_err(|e| Ending::usage(format!("cannot make a temporary folder: {e}")))?;
    let built = super::plannable::Built::default();
    let mut unbuildable = Vec::new();
    // Each operation's response schemas are judged by the thread that loaded them.
    let judged = |dir: &std::path::Path| {
        let judge = |operation: &crate::contract::Operation| built.unbuildable(operation);
        crate::contract::load_cases_judged(dir, ResponseSchemas::Kept, judge, |operation, found| {
            unbuildable.extend(found);
            operation.let_go_of_response_schemas();
        })
    };
    let imported = crate::openapi::write_cases_loading(
        document,
        staging.path(),
        Some(taken),
        Some(out),
        judged,
    )
    .map_err(Ending::usage)?;
    // A response schema no body satisfies is dropped, with a warning, not the operation.
    let dropped = super::plannable::drop_responses(document, &unbuildable);
    let refused = super::plannable::refused(document, &imported);
    // Each named by its operationId, as the document and `--exclude-operation` name it.
    let lines: Vec<(String, String)> = refused
        .iter()
        .map(|r| {
            let line = format!("  {}\n    {}", r.operation_id, refusal(r, &imported));
            (r.operation_id.clone(), line)
        })
        .collect();
    if refused.is_empty() && !dropped {
        return Ok((staging, imported, lines));
    }
    let plannable: BTreeSet<String> = taken
        .iter()
        .filter(|id| !refused.iter().any(|r| r.operation_id == **id))
        .cloned()
        .collect();
    // Written again in the same folder: only what changed is written.
    let loaded = |dir: &std::path::Path| {
        crate::contract::load_cases_each(dir, ResponseSchemas::Checked, |_| {})
    };
    let imported = crate::openapi::write_cases_loading(
        document,
        staging.path(),
        Some(&plannable),
        Some(out),
        loaded,
    )
    .map_err(Ending::usage)?;
    Ok((staging, imported, lines))
}

/// A hidden folder beside `out`, on its file system, so publishing moves each file into place
/// instead of writing it again; removed when dropped, on every way out of the import. The
/// system's temporary folder when `out` has no parent folder yet (nothing of DIR's parent is
/// made before the import can be published) or it cannot be written.
fn staging_folder(out: &Path) -> std::io::Result<tempfile::TempDir> {
    let beside = match (out.parent(), out.file_name()) {
        (Some(parent), Some(_)) if parent.as_os_str().is_empty() => Some(Path::new(".")),
        (Some(parent), Some(_)) if parent.is_dir() => Some(parent),
        _ => None,
    };
    match beside {
        Some(parent) => tempfile::Builder::new()
            .prefix(".specgate-import-")
            .tempdir_in(parent)
            .or_else(|_| tempfile::tempdir()),
        None => tempfile::tempdir(),
    }
}

/// Why no plan can be made for `refused`, at the document's place its schema was imported
/// from: the staged file it was written to is not written to DIR, so no message names it.
fn refusal(refused: &super::plannable::Refused, imported: &crate::openapi::Imported) -> String {
    let error = &refused.error;
    let Some(origin) = imported.origin_of(&error.file) else {
        return imported.explain(&error.to_string()).replace('\n', "\n    ");
    };
    let within = match &error.place {
        crate::contract::Place::Pointer(pointer) => format!(" at {pointer}"),
        _ => String::new(),
    };
    format!(
        "{origin}{within}: {}\n      fix: {}",
        error.problem, error.fix
    )
}

/// One line per taken operation not written: its id, then each reason with its document
/// pointer; and the ids.
fn skipped(
    document: &crate::openapi::Document,
    taken: &BTreeSet<String>,
) -> (Vec<String>, Vec<String>) {
    let (mut lines, mut ids) = (Vec::new(), Vec::new());
    for listed in document
        .listed
        .iter()
        .filter(|l| taken.contains(&l.operation_id))
    {
        let reasons: Vec<String> = document
            .problems
            .iter()
            .filter(|p| p.operation == listed.operation_id)
            .map(|p| format!("    {}: {}", p.at, p.what))
            .collect();
        if !reasons.is_empty() {
            lines.push(format!("  {}\n{}", listed.operation_id, reasons.join("\n")));
            ids.push(listed.operation_id.clone());
        }
    }
    (lines, ids)
}

/// The problems the writing added (examples a case file cannot hold), with the case each
/// belongs to: the case was written, without that example.
fn lost_examples(
    document: &crate::openapi::Document,
    imported: &crate::openapi::Imported,
) -> Vec<(String, String)> {
    imported.problems[document.problems.len()..]
        .iter()
        .map(|p| (p.operation.clone(), format!("{}: {}", p.at, p.what)))
        .collect()
}
