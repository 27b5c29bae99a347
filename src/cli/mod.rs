//! The command line: clap definitions and dispatch, the only place that knows clap and exit
//! codes. Each subcommand lives in its own file, checks its flags, calls the library and says
//! how it [`Ending`]ed; [`exit_code`] alone turns that into a code (see [`crate::exit`]).

mod diff;
mod import;
mod known;
mod plan;
mod plannable;
mod report;
mod run;
mod sandbox;
mod select;
mod snapshots;
mod source;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(name = "specgate", version, about = "Contract-conformance testing for HTTP/JSON APIs", long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Fire the generated plan at a base URL, check every response and report.
    Run(Box<run::Args>),
    /// Print the generated plan as JSON Lines (or its coverage with --summary).
    Plan(plan::Args),
    /// Serve the cases as a reference API, optionally with injected faults.
    Sandbox(sandbox::Args),
    /// Work with JSON reports (e.g. merge the reports of sharded runs).
    Report(report::Args),
    /// Write the case files and schemas of an OpenAPI 3.0/3.1 document.
    Import(import::Args),
    /// Send the same plan to two targets and report every request class that answers
    /// differently, graded like drift.
    Diff(diff::Args),
    /// Work with known-failures files (findings that do not fail the run until they expire).
    Known(known::Args),
    /// Review, accept or reject the drift baselines a run proposed (`.snap.new` files).
    Snapshots(snapshots::Args),
}

/// Parse the command line, run the subcommand, return its exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let ending = if e.use_stderr() {
                Ending::UsagePrinted
            } else {
                Ending::Conformant
            };
            let _ = e.print();
            return ExitCode::from(exit_code(&ending));
        }
    };
    let ending = match cli.command {
        Command::Run(args) => run::execute(*args),
        Command::Plan(args) => plan::execute(args),
        Command::Sandbox(args) => sandbox::execute(args),
        Command::Report(args) => report::execute(args),
        Command::Import(args) => import::execute(args),
        Command::Known(args) => known::execute(args),
        Command::Diff(args) => diff::execute(args),
        Command::Snapshots(args) => snapshots::execute(args),
    };
    match &ending {
        Ending::Usage(message) | Ending::Unreachable(message) | Ending::Incomplete(message) => {
            eprintln!("error: {message}")
        }
        Ending::Conformant | Ending::Violations | Ending::UsagePrinted => {}
    }
    ExitCode::from(exit_code(&ending))
}

/// How a subcommand ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ending {
    /// Done, and nothing fails: the target is conformant, the plan was printed, …
    Conformant,
    /// Contract violations (or failing drift) were found.
    Violations,
    /// Bad usage, configuration or contract files: nothing was sent. The message says what
    /// and how to fix it.
    Usage(String),
    /// Bad usage whose message is already printed (clap's own).
    UsagePrinted,
    /// The target could not be reached at all, or stopped answering (the circuit breaker).
    Unreachable(String),
    /// `--deadline` stopped the run before its plan was done, with no violations found.
    Incomplete(String),
}

impl Ending {
    /// A usage error with its message.
    pub(crate) fn usage(error: impl std::fmt::Display) -> Ending {
        Ending::Usage(error.to_string())
    }
}

/// The one mapping from how a command ended to its exit code.
fn exit_code(ending: &Ending) -> u8 {
    match ending {
        Ending::Conformant => crate::exit::CONFORMANT,
        Ending::Violations => crate::exit::VIOLATIONS,
        Ending::Usage(_) | Ending::UsagePrinted => crate::exit::USAGE,
        Ending::Unreachable(_) => crate::exit::UNREACHABLE,
        Ending::Incomplete(_) => crate::exit::INCOMPLETE,
    }
}

/// Under GitHub Actions only: annotations on stdout and the report in the job summary. A
/// summary that cannot be written is a warning: it must not change the gate's verdict.
pub(crate) fn github_actions(report: &crate::report::RunReport) {
    use crate::report::github;
    if !github::enabled() {
        return;
    }
    print!("{}", github::annotations(report));
    if let Err(e) = github::append_step_summary(report) {
        eprintln!("warning: GitHub job summary: {e}");
    }
}
