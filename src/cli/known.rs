//! `specgate known add`: write (or extend) a known-failures file with an entry for each
//! finding of a JSON report, for a person to fill in.

use super::Ending;
use crate::known::{add_entries, Date, KnownEntry, KnownFile};
use crate::report::RunReport;
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    #[command(subcommand)]
    command: KnownCommand,
}

#[derive(Debug, clap::Subcommand)]
enum KnownCommand {
    /// Add an entry for each failing finding of a JSON report that the file does not list yet
    /// (reason, owner and link to fill in; expires in 30 days). Existing entries and comments
    /// are kept.
    Add {
        /// A JSON report written by `specgate run --report json=PATH`.
        #[arg(long = "from", value_name = "REPORT.json")]
        from: PathBuf,
        /// The known-failures file to write or extend.
        #[arg(long = "out", value_name = "FILE")]
        out: PathBuf,
    },
}

pub(super) fn execute(args: Args) -> Ending {
    match args.command {
        KnownCommand::Add { from, out } => add(&from, &out),
    }
}

fn add(from: &Path, out: &Path) -> Ending {
    let report = match RunReport::read_json(from) {
        Ok(report) => report,
        Err(e) => return Ending::usage(e),
    };
    let (existing, entries) = match read_existing(out) {
        Ok(found) => found,
        Err(ending) => return ending,
    };
    let (text, added) = add_entries(&existing, &entries, &report.findings, Date::today());
    if let Err(e) = crate::atomic_file::write(out, text.as_bytes()) {
        return Ending::usage(e);
    }
    println!(
        "specgate: added {added} entr{} to {} ({} already listed); fill in reason, owner and link, and check each expires date",
        if added == 1 { "y" } else { "ies" },
        out.display(),
        entries.len()
    );
    Ending::Conformant
}

/// The file's text and entries; an absent file is empty, a malformed one is an error.
fn read_existing(out: &Path) -> Result<(String, Vec<KnownEntry>), Ending> {
    if !out.exists() {
        return Ok((String::new(), Vec::new()));
    }
    let text = std::fs::read_to_string(out).map_err(|e| {
        Ending::usage(format!(
            "{}: cannot read the known-failures file: {e}",
            out.display()
        ))
    })?;
    let file = KnownFile::parse(out, &text).map_err(Ending::usage)?;
    Ok((text, file.entries))
}
