//! `specgate import`: write the case files and schemas of an OpenAPI 3.0/3.1 or Swagger 2.0
//! document.

use super::Ending;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// The OpenAPI document (YAML or JSON); the files it references are read too.
    #[arg(value_name = "OPENAPI")]
    document: PathBuf,
    /// Where to write `cases/` and `schemas/`.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

/// Write every operation the case format can express; name the operations written without
/// one of their examples, and list (and exit 2 for) the operations not written.
pub(super) fn execute(args: Args) -> Ending {
    let document = match crate::openapi::read(&args.document) {
        Ok(document) => document,
        Err(e) => return Ending::usage(e),
    };
    let imported = match crate::openapi::write_cases(&document, &args.out, None) {
        Ok(imported) => imported,
        Err(e) => return Ending::usage(e),
    };
    println!(
        "specgate: wrote {} case(s) to {}",
        imported.operations.len(),
        imported.cases_dir.display()
    );
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
    let skipped = skipped(&document);
    if skipped.is_empty() {
        return Ending::Conformant;
    }
    let first = imported
        .operations
        .first()
        .map(|o| o.source.display().to_string());
    let copy = first.map_or_else(String::new, |f| format!(" (copy {f} as a start)"));
    Ending::usage(format!(
        "{} of the {} operation(s) of {} cannot be expressed in a case file yet and were not written:\n{}\n  fix: write a case for each in {}{copy}, or run the document with `specgate run --openapi {}`, which reports them as `untested`",
        skipped.len(),
        document.listed.len(),
        args.document.display(),
        skipped.join("\n"),
        imported.cases_dir.display(),
        args.document.display(),
    ))
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
