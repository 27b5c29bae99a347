//! Reviewing proposed drift baselines without cargo-insta: a run that may not overwrite a
//! baseline leaves the new observation beside it as insta does (`<case>.snap.new`), and
//! `specgate snapshots review` / `accept` / `reject` show, take or drop those files. The
//! files are insta's, so `cargo insta review` works on them too; this is for teams that use
//! the binary and have neither cargo-insta nor a cargo project.

use std::path::{Path, PathBuf};

/// The suffix insta gives a proposed snapshot.
const PENDING_SUFFIX: &str = ".snap.new";

/// Folders never searched for pending snapshots: build output and version control.
const SKIPPED_FOLDERS: &[&str] = &["target", ".git", "node_modules"];

/// A proposed baseline waiting for review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// The proposed snapshot (`<case>.snap.new`).
    pub new: PathBuf,
    /// The baseline it would replace (`<case>.snap`), which may not exist yet.
    pub baseline: PathBuf,
}

/// A pending snapshot that could not be read, taken or dropped.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {source}")]
pub struct ReviewError {
    /// The file or folder.
    pub path: PathBuf,
    /// What the file system said.
    pub source: std::io::Error,
}

/// Every `.snap.new` under `root`, in path order (build output and `.git` are skipped).
pub fn pending(root: &Path) -> Result<Vec<Pending>, ReviewError> {
    let mut found = Vec::new();
    collect(root, &mut found)?;
    found.sort();
    Ok(found
        .into_iter()
        .map(|new| {
            let text = new.to_string_lossy();
            let baseline = PathBuf::from(&text[..text.len() - ".new".len()]);
            Pending { new, baseline }
        })
        .collect())
}

fn collect(folder: &Path, found: &mut Vec<PathBuf>) -> Result<(), ReviewError> {
    let error = |source| ReviewError {
        path: folder.to_path_buf(),
        source,
    };
    for entry in std::fs::read_dir(folder).map_err(error)? {
        let path = entry.map_err(error)?.path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        let name = name.unwrap_or_default();
        if path.is_dir() {
            if !SKIPPED_FOLDERS.contains(&name.as_str()) {
                collect(&path, found)?;
            }
        } else if name.ends_with(PENDING_SUFFIX) {
            found.push(path);
        }
    }
    Ok(())
}

impl Pending {
    /// The change as a unified diff of the two files (all added lines for a first baseline).
    pub fn diff(&self) -> Result<String, ReviewError> {
        let read = |path: &Path| {
            std::fs::read_to_string(path).map_err(|source| ReviewError {
                path: path.to_path_buf(),
                source,
            })
        };
        let old = if self.baseline.exists() {
            read(&self.baseline)?
        } else {
            String::new()
        };
        let new = read(&self.new)?;
        let (old_name, new_name) = (
            self.baseline.display().to_string(),
            self.new.display().to_string(),
        );
        Ok(similar::TextDiff::from_lines(&old, &new)
            .unified_diff()
            .context_radius(3)
            .header(&old_name, &new_name)
            .to_string())
    }

    /// Make the proposed snapshot the baseline (a rename: readers see one or the other).
    pub fn accept(&self) -> Result<(), ReviewError> {
        std::fs::rename(&self.new, &self.baseline).map_err(|source| ReviewError {
            path: self.new.clone(),
            source,
        })
    }

    /// Drop the proposed snapshot; the baseline stays.
    pub fn reject(&self) -> Result<(), ReviewError> {
        std::fs::remove_file(&self.new).map_err(|source| ReviewError {
            path: self.new.clone(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pending_snapshot_is_found_shown_and_taken_in_place_of_its_baseline() {
        let root = tempfile::tempdir().expect("a temp folder");
        let folder = root.path().join("snapshots/sandbox");
        std::fs::create_dir_all(&folder).expect("folders");
        std::fs::create_dir_all(root.path().join("target")).expect("folders");
        std::fs::write(folder.join("orders.snap"), "a\nb\n").expect("baseline");
        std::fs::write(folder.join("orders.snap.new"), "a\nc\n").expect("proposal");
        std::fs::write(root.path().join("target/x.snap.new"), "skipped").expect("build output");
        let found = pending(root.path()).expect("a search");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].baseline, folder.join("orders.snap"));
        let diff = found[0].diff().expect("a diff");
        assert!(diff.contains("-b\n") && diff.contains("+c\n"), "{diff}");
        found[0].accept().expect("accepted");
        assert_eq!(
            std::fs::read_to_string(folder.join("orders.snap")).unwrap(),
            "a\nc\n"
        );
        assert!(pending(root.path()).expect("a search").is_empty());
    }
}
