//! `specgate report`.

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn execute(_args: Args) -> u8 {
    crate::cli::usage_error("`specgate report` is not built yet")
}
