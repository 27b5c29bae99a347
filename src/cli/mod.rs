//! The command line: clap definitions and dispatch. Each subcommand lives in its own file,
//! parses its flags, calls the library and maps the outcome to an exit code (see [`crate::exit`]).

mod plan;
mod report;
mod run;
mod sandbox;

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
    Run(run::Args),
    /// Print the generated plan as JSON Lines (or its coverage with --summary).
    Plan(plan::Args),
    /// Serve the cases as a reference API, optionally with injected faults.
    Sandbox(sandbox::Args),
    /// Work with JSON reports (e.g. merge the reports of sharded runs).
    Report(report::Args),
}

/// Parse the command line, run the subcommand, return its exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                crate::exit::USAGE
            } else {
                crate::exit::CONFORMANT
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let code = match cli.command {
        Command::Run(args) => run::execute(args),
        Command::Plan(args) => plan::execute(args),
        Command::Sandbox(args) => sandbox::execute(args),
        Command::Report(args) => report::execute(args),
    };
    ExitCode::from(code)
}

/// Print a configuration error for a person and return the usage exit code.
pub(crate) fn usage_error(error: impl std::fmt::Display) -> u8 {
    eprintln!("error: {error}");
    crate::exit::USAGE
}
