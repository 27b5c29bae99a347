//! `specgate report`: work with JSON reports written by `specgate run --report json=PATH`.

use crate::exit;
use crate::report::console::render_summary;
use crate::report::{merge::merge, ReportTarget, RunReport};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: ReportCommand,
}

#[derive(Debug, clap::Subcommand)]
enum ReportCommand {
    /// Join the JSON reports of sharded runs (`specgate run --shard K/N`) into one report, as
    /// one unsharded run would have written it. Exits 1 if the merged report has violations.
    Merge {
        /// JSON reports, one per shard.
        #[arg(required = true, value_name = "REPORT.json")]
        inputs: Vec<PathBuf>,
        /// Write the merged report: json=PATH, junit=PATH or markdown=PATH. Repeatable.
        #[arg(long = "report", value_name = "FORMAT=PATH")]
        reports: Vec<ReportTarget>,
    },
}

pub fn execute(args: Args) -> u8 {
    match args.command {
        ReportCommand::Merge { inputs, reports } => merge_reports(&inputs, &reports),
    }
}

fn merge_reports(inputs: &[PathBuf], targets: &[ReportTarget]) -> u8 {
    let mut loaded = Vec::with_capacity(inputs.len());
    for input in inputs {
        match RunReport::read_json(input) {
            Ok(report) => loaded.push(report),
            Err(e) => return crate::cli::usage_error(e),
        }
    }
    let merged = match merge(loaded) {
        Ok(report) => report,
        Err(e) => return crate::cli::usage_error(e),
    };
    for target in targets {
        if let Err(e) = merged.write(target) {
            return crate::cli::usage_error(e);
        }
    }
    print!("{}", render_summary(&merged));
    if merged.fails() {
        exit::VIOLATIONS
    } else {
        exit::CONFORMANT
    }
}
