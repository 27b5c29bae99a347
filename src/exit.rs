//! Exit codes, in one place, so the CLI, the docs and the tests agree.

/// The target honours its contract.
pub const CONFORMANT: u8 = 0;
/// Contract violations (or drift at or above `--drift-fail-on`) were found.
pub const VIOLATIONS: u8 = 1;
/// Bad usage, configuration, case file or schema: nothing was sent.
pub const USAGE: u8 = 2;
/// The target could not be reached at all.
pub const UNREACHABLE: u8 = 3;
/// `--deadline` stopped the run before its plan was done, and it found no violations in
/// what it did.
pub const INCOMPLETE: u8 = 4;
