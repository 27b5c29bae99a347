//! `specgate import`: write the case files and schemas of an OpenAPI 3.0/3.1 or Swagger 2.0
//! document.

use super::Ending;
use crate::openapi::Overwrite;
use std::collections::BTreeSet;
use std::path::PathBuf;

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
}

/// Write every operation the case format can express; name the operations written without
/// one of their examples, and list (and exit 2 for) the operations not written.
pub(super) fn execute(args: Args) -> Ending {
    let mut document = match crate::openapi::read(&args.document) {
        Ok(document) => document,
        Err(e) => return Ending::usage(e),
    };
    let (staging, imported, unplannable) = match stage(&mut document) {
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
    let mut skipped = skipped(&document);
    skipped.extend(unplannable);
    if skipped.is_empty() {
        return Ending::Conformant;
    }
    let first = imported
        .operations
        .first()
        .and_then(|o| o.source.strip_prefix(staging.path()).ok())
        .map(|relative| args.out.join(relative).display().to_string());
    let copy = first.map_or_else(String::new, |f| format!(" (copy {f} as a start)"));
    Ending::usage(format!(
        "{} of the {} operation(s) of {} cannot be expressed in a case file yet and were not written:\n{}\n  fix: write a case for each in {}{copy}, or run the document with `specgate run --openapi {}`, which reports them as `untested`",
        skipped.len(),
        document.listed.len(),
        args.document.display(),
        skipped.join("\n"),
        cases_dir.display(),
        args.document.display(),
    ))
}

/// The document written and loaded back in a folder of its own, so nothing of DIR is
/// touched unless the whole import can be published there; and without the cases no plan
/// can be made from (a schema no value satisfies), each said as a skipped operation with its
/// reason at its place in the document: if the import exits 0, what it wrote plans.
fn stage(
    document: &mut crate::openapi::Document,
) -> Result<(tempfile::TempDir, crate::openapi::Imported, Vec<String>), Ending> {
    let write = |document: &crate::openapi::Document, pick: Option<&BTreeSet<String>>| {
        let staging = tempfile::tempdir()
            .map_err(|e| Ending::usage(format!("cannot make a temporary folder: {e}")))?;
        let imported =
            crate::openapi::write_cases(document, staging.path(), pick).map_err(Ending::usage)?;
        Ok::<_, Ending>((staging, imported))
    };
    let (staging, imported) = write(document, None)?;
    // A response schema no body satisfies is dropped, with a warning, not the operation.
    let dropped = super::plannable::drop_unbuildable_responses(document, &imported);
    let refused = super::plannable::refused(document, &imported);
    let lines: Vec<String> = refused
        .iter()
        .map(|r| {
            let reason = imported.explain(&r.error.to_string());
            format!("  {}\n    {}", r.case, reason.replace('\n', "\n    "))
        })
        .collect();
    if refused.is_empty() && !dropped {
        return Ok((staging, imported, lines));
    }
    let plannable: BTreeSet<String> = document
        .drafts
        .iter()
        .map(|d| d.operation_id.clone())
        .filter(|id| !refused.iter().any(|r| r.operation_id == *id))
        .collect();
    let (staging, imported) = write(document, Some(&plannable))?;
    Ok((staging, imported, lines))
}

/// One line per operation not written: its id, then each reason with its document pointer.
fn skipped(document: &crate::openapi::Document) -> Vec<String> {
    let mut lines = Vec::new();
    for listed in &document.listed {
        let reasons: Vec<String> = document
            .problems
            .iter()
            .filter(|p| p.operation == listed.operation_id)
            .map(|p| format!("    {}: {}", p.at, p.what))
            .collect();
        if !reasons.is_empty() {
            lines.push(format!("  {}\n{}", listed.operation_id, reasons.join("\n")));
        }
    }
    lines
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
