//! `specgate import`: write the case files and schemas of an OpenAPI 3.0/3.1 document.

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

/// Write every operation the case format can express; list (and exit 2 for) the rest.
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
    if imported.problems.is_empty() {
        return Ending::Conformant;
    }
    let lines: Vec<String> = imported.problems.iter().map(|p| format!("  {p}")).collect();
    Ending::usage(format!(
        "{} part(s) of {} cannot be expressed in a case file yet:\n{}\n  fix: the operations above were not written (or lost the part named); write them by hand from cases/sessionlink-v2.toml",
        lines.len(),
        args.document.display(),
        lines.join("\n")
    ))
}
