//! `specgate snapshots review|accept|reject`: the drift baselines a run proposed
//! (`<case>.snap.new`), shown, taken or dropped, for teams without cargo-insta.

use super::Ending;
use crate::drift::review::{pending, Pending};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    #[command(subcommand)]
    command: SnapshotsCommand,
}

#[derive(Debug, clap::Subcommand)]
enum SnapshotsCommand {
    /// Show each proposed baseline (`.snap.new`) under DIR as a diff against its baseline.
    Review {
        /// The folder to search (e.g. cases/snapshots, or snapshots/ beside an OpenAPI
        /// document).
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Make each proposed baseline under DIR the baseline (commit the result).
    Accept {
        /// The folder to search.
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Delete each proposed baseline under DIR; the baselines stay.
    Reject {
        /// The folder to search.
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
}

pub(super) fn execute(args: Args) -> Ending {
    let (dir, review) = match &args.command {
        SnapshotsCommand::Review { dir } => (dir.clone(), true),
        SnapshotsCommand::Accept { dir } | SnapshotsCommand::Reject { dir } => (dir.clone(), false),
    };
    let found = match pending(&dir) {
        Ok(found) => found,
        Err(e) => {
            return Ending::usage(format!(
                "cannot search for snapshots: {e}\n  fix: give the folder that holds them, e.g. `specgate snapshots review cases/snapshots`"
            ))
        }
    };
    if found.is_empty() {
        println!("no proposed snapshots (*.snap.new) under {}", dir.display());
        return Ending::Conformant;
    }
    for proposal in &found {
        match act(&args.command, proposal) {
            Ok(text) => print!("{text}"),
            Err(e) => return Ending::usage(e),
        }
    }
    if review {
        let dir = dir.display();
        println!(
            "{} proposed snapshot(s) under {dir}; take them with `specgate snapshots accept {dir}`, drop them with `specgate snapshots reject {dir}`",
            found.len()
        );
    }
    Ending::Conformant
}

/// Show, take or drop one proposal; what to print about it.
fn act(command: &SnapshotsCommand, proposal: &Pending) -> Result<String, String> {
    match command {
        SnapshotsCommand::Review { .. } => proposal.diff().map_err(|e| e.to_string()),
        SnapshotsCommand::Accept { .. } => {
            proposal.accept().map_err(|e| e.to_string())?;
            Ok(format!("accepted {}\n", proposal.baseline.display()))
        }
        SnapshotsCommand::Reject { .. } => {
            proposal.reject().map_err(|e| e.to_string())?;
            Ok(format!("rejected {}\n", proposal.new.display()))
        }
    }
}
