//! `specgate report`: work with JSON reports written by `specgate run --report json=PATH`.

use super::Ending;
use crate::report::console::render_summary;
use crate::report::{merge::merge, ReportTarget, RunReport};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub(super) struct Args {
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
        /// Write the merged report: json=PATH, junit=PATH, markdown=PATH, sarif=PATH or html=PATH. Repeatable.
        #[arg(long = "report", value_name = "FORMAT=PATH")]
        reports: Vec<ReportTarget>,
    },
}

pub(super) fn execute(args: Args) -> Ending {
    match args.command {
        ReportCommand::Merge { inputs, reports } => merge_reports(&inputs, &reports),
    }
}

fn merge_reports(inputs: &[PathBuf], targets: &[ReportTarget]) -> Ending {
    let mut loaded = Vec::with_capacity(inputs.len());
    for input in inputs {
        match RunReport::read_json(input) {
            Ok(report) => loaded.push(report),
            Err(e) => return Ending::usage(e),
        }
    }
    let merged = match merge(loaded) {
        Ok(report) => report,
        Err(e) => return Ending::usage(e),
    };
    for target in targets {
        if let Err(e) = merged.write(target) {
            return Ending::usage(e);
        }
    }
    print!("{}", render_summary(&merged));
    crate::cli::github_actions(&merged);
    if merged.fails() {
        Ending::Violations
    } else {
        Ending::Conformant
    }
}
