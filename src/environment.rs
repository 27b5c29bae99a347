//! The environment variables specgate reads, parsed once and strictly (as insta's `env.rs`
//! does): a value that is set but not understood is an [`EnvError`] naming the variable and
//! the values it accepts, never a silent default. An empty value counts as unset.
//!
//! The API key's variable is read by [`crate::run::ApiKey`]; everything else is here.

use crate::drift::SnapshotWrites;
use std::path::PathBuf;

/// A variable that is set to something specgate does not understand.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable}={value:?} is not understood\n  fix: set {variable} to {accepted}, or unset it")]
pub struct EnvError {
    /// The variable's name.
    pub variable: &'static str,
    /// What it was set to.
    pub value: String,
    /// The values it accepts, for a person.
    pub accepted: &'static str,
}

/// A variable's value, `None` when unset or empty.
fn read(variable: &str) -> Option<String> {
    std::env::var(variable).ok().filter(|v| !v.is_empty())
}

/// Where compared drift snapshots may be written: insta's rules for `INSTA_UPDATE`
/// (`auto`, `always`/`1`/`force`, `new`, `unseen`, `no`/`0`) and CI (`CI` set to anything
/// but `false`/`0`, or `TF_BUILD` set), under which nothing is written.
pub fn snapshot_writes() -> Result<SnapshotWrites, EnvError> {
    snapshot_writes_from(read("INSTA_UPDATE").as_deref(), on_ci())
}

fn snapshot_writes_from(update: Option<&str>, on_ci: bool) -> Result<SnapshotWrites, EnvError> {
    let fallback = if on_ci {
        SnapshotWrites::Nothing
    } else {
        SnapshotWrites::Unseen
    };
    match update {
        None | Some("auto") => Ok(fallback),
        Some("always" | "1" | "force") => Ok(SnapshotWrites::InPlace),
        Some("new") => Ok(SnapshotWrites::NewFile),
        Some("unseen") => Ok(SnapshotWrites::Unseen),
        Some("no" | "0") => Ok(SnapshotWrites::Nothing),
        Some(other) => Err(EnvError {
            variable: "INSTA_UPDATE",
            value: other.to_owned(),
            accepted: "auto, always, new, unseen or no",
        }),
    }
}

/// Whether this is a CI run, as insta detects it.
fn on_ci() -> bool {
    match std::env::var("CI").ok().as_deref() {
        Some("false" | "0" | "") => false,
        None => std::env::var_os("TF_BUILD").is_some(),
        Some(_) => true,
    }
}

/// What the cargo-test suite reads, as a test binary has no flags of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuiteEnv {
    /// `SPECGATE_CASES`, default `cases`.
    pub cases: PathBuf,
    /// `SPECGATE_BASE_URL`; `None`: the built-in sandbox.
    pub base_url: Option<String>,
    /// `SPECGATE_SEED`, default 0.
    pub seed: u64,
    /// `SPECGATE_EXAMPLES`, default 50.
    pub examples: u64,
    /// `SPECGATE_SNAPSHOTS`; `None`: the target's default folder.
    pub snapshots: Option<PathBuf>,
    /// `SPECGATE_UPDATE_SNAPSHOTS` (`1`/`true` or `0`/`false`), default false.
    pub update_snapshots: bool,
    /// From `INSTA_UPDATE` and CI.
    pub snapshot_writes: SnapshotWrites,
    /// `SPECGATE_KNOWN`: a known-failures file, read and checked by the suite before any
    /// trial runs.
    pub known: Option<PathBuf>,
}

impl SuiteEnv {
    /// Read the suite's variables, failing on the first that is not understood.
    pub fn read() -> Result<SuiteEnv, EnvError> {
        Ok(SuiteEnv {
            cases: read("SPECGATE_CASES").map_or_else(|| PathBuf::from("cases"), PathBuf::from),
            base_url: read("SPECGATE_BASE_URL"),
            seed: number("SPECGATE_SEED", 0)?,
            examples: number("SPECGATE_EXAMPLES", 50)?,
            snapshots: read("SPECGATE_SNAPSHOTS").map(PathBuf::from),
            update_snapshots: flag("SPECGATE_UPDATE_SNAPSHOTS")?,
            snapshot_writes: snapshot_writes()?,
            known: read(crate::known::ENV_VAR).map(PathBuf::from),
        })
    }
}

/// A whole number, or `default` when unset.
fn number(variable: &'static str, default: u64) -> Result<u64, EnvError> {
    parse_number(variable, read(variable).as_deref(), default)
}

fn parse_number(
    variable: &'static str,
    value: Option<&str>,
    default: u64,
) -> Result<u64, EnvError> {
    match value {
        None => Ok(default),
        Some(text) => text.trim().parse().map_err(|_| EnvError {
            variable,
            value: text.to_owned(),
            accepted: "a whole number from 0 to 18446744073709551615",
        }),
    }
}

/// `1`/`true` or `0`/`false`; false when unset.
fn flag(variable: &'static str) -> Result<bool, EnvError> {
    parse_flag(variable, read(variable).as_deref())
}

fn parse_flag(variable: &'static str, value: Option<&str>) -> Result<bool, EnvError> {
    match value {
        None | Some("0" | "false") => Ok(false),
        Some("1" | "true") => Ok(true),
        Some(other) => Err(EnvError {
            variable,
            value: other.to_owned(),
            accepted: "1 (or true) or 0 (or false)",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_that_is_not_a_number_names_the_variable() {
        let error = parse_number("SPECGATE_SEED", Some("abc"), 0).unwrap_err();
        assert_eq!(error.variable, "SPECGATE_SEED");
        let text = error.to_string();
        assert!(text.contains("SPECGATE_SEED=\"abc\""), "{text}");
        assert!(text.contains("whole number"), "{text}");
        assert_eq!(parse_number("SPECGATE_SEED", Some(" 42 "), 0), Ok(42));
        assert_eq!(parse_number("SPECGATE_SEED", None, 7), Ok(7));
    }

    #[test]
    fn an_unknown_insta_update_is_an_error_and_ci_writes_nothing() {
        let error = snapshot_writes_from(Some("sometimes"), false).unwrap_err();
        assert!(error
            .to_string()
            .contains("auto, always, new, unseen or no"));
        assert_eq!(
            snapshot_writes_from(None, true),
            Ok(SnapshotWrites::Nothing)
        );
        assert_eq!(
            snapshot_writes_from(None, false),
            Ok(SnapshotWrites::Unseen)
        );
        assert_eq!(
            snapshot_writes_from(Some("always"), true),
            Ok(SnapshotWrites::InPlace)
        );
        assert_eq!(
            snapshot_writes_from(Some("no"), false),
            Ok(SnapshotWrites::Nothing)
        );
    }

    #[test]
    fn flags_accept_only_one_and_zero() {
        assert_eq!(parse_flag("X", Some("1")), Ok(true));
        assert_eq!(parse_flag("X", Some("false")), Ok(false));
        assert!(parse_flag("X", Some("yes")).is_err());
    }
}
