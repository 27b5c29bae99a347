//! Storing the observed contract as insta snapshots, one per case, in `snapshots/` beside
//! the case files, following insta's conventions so `cargo insta review` / `accept` work:
//! the baseline is `<case>.snap`, a proposed change is `<case>.snap.new`, and what may be
//! written follows `INSTA_UPDATE` and CI as insta reads them (parsed once, by
//! [`crate::environment`], into [`SnapshotWrites`]): on CI nothing is ever written, so a
//! missing or changed snapshot just fails.
//! Files are read with insta's own parser and written atomically.

use super::diff::{diff, Change};
use super::observe::ObservedContract;
use crate::atomic_file::write as write_atomic;
use std::path::{Path, PathBuf};

/// What `--update-snapshots` and the environment ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotPolicy {
    /// Compare, and write only what `writes` allows (a first baseline, or a `.snap.new`).
    Compare(SnapshotWrites),
    /// Record the observation as the new baseline (`--update-snapshots`).
    Update,
}

/// Where a compared snapshot may be written, as insta decides it from `INSTA_UPDATE` and CI
/// (see [`crate::environment`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotWrites {
    /// Over the baseline (`INSTA_UPDATE=always`).
    InPlace,
    /// Always to `.snap.new` (`INSTA_UPDATE=new`).
    NewFile,
    /// A missing baseline is recorded in place, a changed one goes to `.snap.new` (the
    /// default outside CI).
    Unseen,
    /// Nowhere (`INSTA_UPDATE=no`, and always on CI).
    Nothing,
}

fn write_mode(policy: SnapshotPolicy) -> SnapshotWrites {
    match policy {
        SnapshotPolicy::Update => SnapshotWrites::InPlace,
        SnapshotPolicy::Compare(writes) => writes,
    }
}

/// What happened to one case's snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotStatus {
    /// Same as the baseline.
    Matched,
    /// There was no baseline; this run recorded it.
    Recorded,
    /// The baseline was replaced by this run's observation.
    Updated,
    /// The observation differs; it was written next to the baseline for review.
    Pending(PathBuf),
    /// There is no baseline and nothing was written (CI, or `INSTA_UPDATE=no`).
    Missing,
    /// The observation differs and nothing was written.
    Changed,
}

/// The result of comparing one case's observation with its baseline.
#[derive(Debug, Clone)]
pub struct SnapshotOutcome {
    /// The case.
    pub case: String,
    /// The baseline file.
    pub path: PathBuf,
    /// What happened to it.
    pub status: SnapshotStatus,
    /// The graded changes from the baseline.
    pub changes: Vec<Change>,
}

/// Why a snapshot could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// The snapshot could not be read or parsed.
    #[error("{path}: cannot read the drift snapshot: {problem}\n  fix: restore it from version control, or delete it and run with --update-snapshots")]
    Read {
        /// The snapshot file.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
    #[error("cannot write the drift snapshot: {0}")]
    /// The snapshot could not be written.
    Write(#[from] crate::atomic_file::WriteError),
}

/// The default folder of a target's baselines: `CASES/snapshots/sandbox` for the built-in
/// sandbox, else `CASES/snapshots/HOST[_PORT]`, so baselines of different targets never mix.
pub fn default_dir(cases_dir: &Path, base_url: &url::Url, builtin: bool) -> PathBuf {
    let label = if builtin {
        "sandbox".to_owned()
    } else {
        let host = base_url
            .host_str()
            .unwrap_or("target")
            .trim_matches(['[', ']'])
            .replace(':', "_");
        match base_url.port() {
            Some(port) => format!("{host}_{port}"),
            None => host,
        }
    };
    cases_dir.join("snapshots").join(label)
}

/// `DIR/<case>.snap`.
pub fn snapshot_path(dir: &Path, case: &str) -> PathBuf {
    dir.join(format!("{case}.snap"))
}

/// The snapshot body: pretty JSON with sorted keys, so diffs read line by line.
pub fn render(contract: &ObservedContract) -> String {
    serde_json::to_string_pretty(contract).unwrap_or_default()
}

/// The whole file, exactly as insta writes one.
fn file_text(contract: &ObservedContract, source: &Path) -> String {
    format!(
        "---\nsource: {}\nexpression: observed contract of {}\n---\n{}\n",
        source.display(),
        contract.case,
        render(contract)
    )
}

/// Read a stored snapshot with insta's parser; `None` when there is none.
pub fn read(path: &Path) -> Result<Option<ObservedContract>, SnapshotError> {
    if !path.exists() {
        return Ok(None);
    }
    let error = |problem: String| SnapshotError::Read {
        path: path.to_path_buf(),
        problem,
    };
    let snapshot = insta::Snapshot::from_file(path).map_err(|e| error(e.to_string()))?;
    let text = snapshot
        .contents()
        .as_text()
        .ok_or_else(|| error("it is a binary snapshot".to_owned()))?
        .to_string();
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| error(format!("not an observed contract: {e}")))
}

/// Compare `observed` with the baseline of its case in `dir`, writing what the
/// policy allows. `source` is the case file, recorded in the snapshot's metadata.
pub fn compare_and_store(
    dir: &Path,
    source: &Path,
    observed: &ObservedContract,
    policy: SnapshotPolicy,
) -> Result<SnapshotOutcome, SnapshotError> {
    let path = snapshot_path(dir, &observed.case);
    let pending = path.with_extension("snap.new");
    let mode = write_mode(policy);
    let stored = read(&path)?;
    let outcome = |status, changes| SnapshotOutcome {
        case: observed.case.clone(),
        path: path.clone(),
        status,
        changes,
    };
    let Some(baseline) = stored else {
        return match mode {
            SnapshotWrites::InPlace | SnapshotWrites::Unseen => {
                write_atomic(&path, file_text(observed, source).as_bytes())?;
                Ok(outcome(SnapshotStatus::Recorded, Vec::new()))
            }
            SnapshotWrites::NewFile => {
                write_atomic(&pending, file_text(observed, source).as_bytes())?;
                Ok(outcome(SnapshotStatus::Pending(pending), Vec::new()))
            }
            SnapshotWrites::Nothing => Ok(outcome(SnapshotStatus::Missing, Vec::new())),
        };
    };
    let changes = diff(&baseline, observed);
    if changes.is_empty() && baseline == *observed {
        remove_stale(&pending);
        return Ok(outcome(SnapshotStatus::Matched, changes));
    }
    match mode {
        SnapshotWrites::InPlace => {
            write_atomic(&path, file_text(observed, source).as_bytes())?;
            remove_stale(&pending);
            Ok(outcome(SnapshotStatus::Updated, changes))
        }
        SnapshotWrites::NewFile | SnapshotWrites::Unseen => {
            write_atomic(&pending, file_text(observed, source).as_bytes())?;
            Ok(outcome(SnapshotStatus::Pending(pending), changes))
        }
        SnapshotWrites::Nothing => Ok(outcome(SnapshotStatus::Changed, changes)),
    }
}

/// A `.snap.new` left by an earlier run is stale once the baseline matches again.
fn remove_stale(pending: &Path) {
    let _ = std::fs::remove_file(pending);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_snapshots_are_read_back_by_insta() {
        let dir = tempfile::tempdir().unwrap();
        let mut observed = ObservedContract {
            case: "demo".into(),
            ..Default::default()
        };
        observed.classes.insert("valid".into(), Default::default());
        let path = snapshot_path(dir.path(), "demo");
        write_atomic(
            &path,
            file_text(&observed, Path::new("cases/demo.toml")).as_bytes(),
        )
        .unwrap();
        let snapshot = insta::Snapshot::from_file(&path).unwrap();
        assert_eq!(snapshot.metadata().source(), Some("cases/demo.toml"));
        assert_eq!(read(&path).unwrap(), Some(observed));
    }
}
