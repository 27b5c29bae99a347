//! `specgate plan`.

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn execute(_args: Args) -> u8 {
    crate::cli::usage_error("`specgate plan` is not built yet")
}
