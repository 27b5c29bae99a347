//! Storing the observed contract as insta snapshots, one per case, in `snapshots/` beside
//! the case files, following insta's conventions so `cargo insta review` / `accept` work:
//! the baseline is `<case>.snap`, a proposed change is `<case>.snap.new`, and what may be
//! written follows `INSTA_UPDATE` and CI as insta reads them (parsed once, by
//! [`crate::environment`], into [`SnapshotWrites`]): on CI nothing is ever written, so a
//! missing or changed snapshot just fails.
//! Files are read with insta's own parser and written atomically.

use super::diff::{diff, Change, Marks};
use super::observe::ObservedContract;
use crate::atomic_file::write as write_atomic;
use crate::results::{Check, Finding};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Whether a run with contract findings may write a snapshot: a baseline recorded from a
/// broken server would later grade the fix as drift.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nonconformant {
    /// Write nothing from such a run.
    Refuse,
    /// Write it, marking the observations the findings show to be non-conformant
    /// (`--record-nonconformant`).
    Record,
}

/// The snapshot body: the observed contract and the observations marked non-conformant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct StoredContract {
    #[serde(flatten)]
    contract: ObservedContract,
    #[serde(default, skip_serializing_if = "Marks::is_empty")]
    nonconformant: Marks,
}

/// The observations `findings` (of one case) show to break the contract: `CLASS STATUS` for
/// a wrong status, `CLASS STATUS content-type`, `CLASS STATUS POINTER` for a schema break.
pub fn nonconformant_places(findings: &[&Finding]) -> Marks {
    let mut marks = Marks::new();
    for finding in findings {
        let Some(response) = &finding.response else {
            continue;
        };
        let place = format!("{} {}", request_class_of(finding), response.status);
        match finding.check {
            Check::ResponseSchema => {
                let pointer = finding.cause.split(' ').next().unwrap_or_default();
                marks.insert(format!("{place} {}", observed_pointer(pointer)));
            }
            Check::ContentType => {
                marks.insert(format!("{place} content-type"));
            }
            Check::Transport | Check::Drift => {}
            _ => {
                marks.insert(place);
            }
        }
    }
    marks
}

/// A finding's request class, named as [`super::observe::request_class`] names a planned
/// request's: `valid`, `auth` or `invalid/<family>` (the family heads the reason).
fn request_class_of(finding: &Finding) -> String {
    match finding.expect {
        crate::contract::Expect::Accept => "valid".to_owned(),
        crate::contract::Expect::Unauthorized => "auth".to_owned(),
        crate::contract::Expect::Reject => {
            let family = finding.reason.split(':').next().unwrap_or_default().trim();
            format!("invalid/{family}")
        }
    }
}

/// An instance pointer as the observed contract writes it: array indexes become `*`.
fn observed_pointer(pointer: &str) -> String {
    pointer
        .split('/')
        .map(|segment| {
            let index = !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit());
            if index {
                "*"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

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
    /// Nothing was written: the run had contract findings (see [`Nonconformant`]).
    Refused,
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
pub fn render(contract: &ObservedContract, marks: &Marks) -> String {
    let stored = StoredContract {
        contract: contract.clone(),
        nonconformant: marks.clone(),
    };
    serde_json::to_string_pretty(&stored).unwrap_or_default()
}

/// The whole file, exactly as insta writes one.
fn file_text(contract: &ObservedContract, marks: &Marks, source: &Path) -> String {
    format!(
        "---\nsource: {}\nexpression: observed contract of {}\n---\n{}\n",
        source.display(),
        contract.case,
        render(contract, marks)
    )
}

/// Read a stored snapshot with insta's parser, with its non-conformant marks; `None` when
/// there is none.
pub fn read(path: &Path) -> Result<Option<(ObservedContract, Marks)>, SnapshotError> {
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
    serde_json::from_str::<StoredContract>(&text)
        .map(|stored| Some((stored.contract, stored.nonconformant)))
        .map_err(|e| error(format!("not an observed contract: {e}")))
}

/// What one case's run brings to its snapshot besides the observation.
#[derive(Debug, Clone, Copy)]
pub struct Recording<'a> {
    /// Compare, or record (`--update-snapshots`).
    pub policy: SnapshotPolicy,
    /// The observations this run's contract findings show to be non-conformant.
    pub marks: &'a Marks,
    /// This run had contract findings for the case.
    pub findings: bool,
    /// What a run with contract findings may write.
    pub nonconformant: Nonconformant,
}

/// Compare `observed` with the baseline of its case in `dir`, writing what the
/// policy allows. `source` is the case file, recorded in the snapshot's metadata.
pub fn compare_and_store(
    dir: &Path,
    source: &Path,
    observed: &ObservedContract,
    recording: Recording<'_>,
) -> Result<SnapshotOutcome, SnapshotError> {
    let path = snapshot_path(dir, &observed.case);
    let pending = path.with_extension("snap.new");
    let mode = write_mode(recording.policy);
    // Something could be written, but the run had contract findings.
    let refused = recording.findings
        && recording.nonconformant == Nonconformant::Refuse
        && mode != SnapshotWrites::Nothing;
    let text = file_text(observed, recording.marks, source);
    let stored = read(&path)?;
    let outcome = |status, changes| SnapshotOutcome {
        case: observed.case.clone(),
        path: path.clone(),
        status,
        changes,
    };
    let Some((baseline, marks)) = stored else {
        if refused {
            return Ok(outcome(SnapshotStatus::Refused, Vec::new()));
        }
        return match mode {
            SnapshotWrites::InPlace | SnapshotWrites::Unseen => {
                write_atomic(&path, text.as_bytes())?;
                Ok(outcome(SnapshotStatus::Recorded, Vec::new()))
            }
            SnapshotWrites::NewFile => {
                write_atomic(&pending, text.as_bytes())?;
                Ok(outcome(SnapshotStatus::Pending(pending), Vec::new()))
            }
            SnapshotWrites::Nothing => Ok(outcome(SnapshotStatus::Missing, Vec::new())),
        };
    };
    let changes = diff(&baseline, &marks, observed);
    if changes.is_empty() && baseline == *observed && marks == *recording.marks {
        remove_stale(&pending);
        return Ok(outcome(SnapshotStatus::Matched, changes));
    }
    if refused {
        return Ok(outcome(SnapshotStatus::Refused, changes));
    }
    match mode {
        SnapshotWrites::InPlace => {
            write_atomic(&path, text.as_bytes())?;
            remove_stale(&pending);
            Ok(outcome(SnapshotStatus::Updated, changes))
        }
        SnapshotWrites::NewFile | SnapshotWrites::Unseen => {
            write_atomic(&pending, text.as_bytes())?;
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
        let marks = Marks::from(["valid 500".to_owned()]);
        write_atomic(
            &path,
            file_text(&observed, &marks, Path::new("cases/demo.toml")).as_bytes(),
        )
        .unwrap();
        let snapshot = insta::Snapshot::from_file(&path).unwrap();
        assert_eq!(snapshot.metadata().source(), Some("cases/demo.toml"));
        assert_eq!(read(&path).unwrap(), Some((observed, marks)));
    }
}
