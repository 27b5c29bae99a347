//! What an import wrote into a folder, so a re-import never overwrites a person's work: the
//! manifest `.specgate-import.json` lists each file written (relative to the folder) with
//! the SHA-256 of its content. A re-import replaces a file only when the manifest lists it
//! and it is unchanged since; a file the import did not write, or one edited since, stops the
//! import before anything is written, unless the person says `--force`. Files the last
//! import wrote, unchanged, that this one no longer makes are removed.
//!
//! It does not translate anything: it publishes a folder an import already wrote (and loaded
//! back) elsewhere.

use crate::atomic_file;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The manifest's file name, in the import's output folder.
pub const MANIFEST: &str = ".specgate-import.json";

/// Whether files the import did not write, or that were changed since, may be replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overwrite {
    /// Only files the manifest lists, unchanged since.
    OwnFilesOnly,
    /// Any file (`--force`).
    Anything,
}

/// Why an import could not be published.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// Files the import would replace that it did not write, or that were changed since.
    #[error("{} file(s) in {} would be overwritten that `specgate import` did not write or that were changed since (its manifest is {}):\n{}\n  fix: move your changes elsewhere, or run the import again with `--force` to replace them", .files.len(), .out.display(), MANIFEST, .files.iter().map(|f| format!("  {}", .out.join(f).display())).collect::<Vec<_>>().join("\n"))]
    Foreign {
        /// The output folder.
        out: PathBuf,
        /// Each file, as a path under `out`.
        files: Vec<PathBuf>,
    },
    /// The manifest is not one an import wrote.
    #[error("{}: not a manifest `specgate import` wrote: {problem}\n  fix: delete it and run the import again with `--force`", .file.display())]
    Manifest {
        /// The manifest.
        file: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
    /// A file could not be read, written or removed.
    #[error("{}: {problem}\n  fix: check the folder's permissions", .file.display())]
    Io {
        /// The file.
        file: PathBuf,
        /// What the OS said.
        problem: String,
    },
    /// A file could not be written atomically.
    #[error(transparent)]
    Write(#[from] atomic_file::WriteError),
}

/// What publishing did.
#[derive(Debug, Default)]
pub struct Published {
    /// Files written, relative to the output folder.
    pub written: Vec<PathBuf>,
    /// Files the last import wrote that this one no longer makes, left in place because they
    /// were changed since (relative to the output folder).
    pub kept: Vec<PathBuf>,
}

/// The file → SHA-256 (hex) of what was written.
type Hashes = BTreeMap<String, String>;

/// Move every file under `staged` to the same place under `out`, keeping the manifest.
/// `staged` is the import's own folder, left without the files it published.
pub fn publish(staged: &Path, out: &Path, overwrite: Overwrite) -> Result<Published, PublishError> {
    let manifest_file = out.join(MANIFEST);
    let before = read_manifest(&manifest_file)?;
    let mut staged_files = Vec::new();
    list_files(staged, Path::new(""), &mut staged_files)?;
    let foreign: Vec<PathBuf> = staged_files
        .iter()
        .filter(|file| !is_own(out, file, &before))
        .cloned()
        .collect();
    if !foreign.is_empty() && overwrite == Overwrite::OwnFilesOnly {
        return Err(PublishError::Foreign {
            out: out.to_path_buf(),
            files: foreign,
        });
    }
    let mut after = Hashes::new();
    for file in &staged_files {
        let bytes = read(&staged.join(file))?;
        move_file(&staged.join(file), &out.join(file), &bytes)?;
        after.insert(key(file), sha256(&bytes));
    }
    let mut published = Published {
        written: staged_files,
        kept: Vec::new(),
    };
    for stale in before.keys().filter(|f| !after.contains_key(*f)) {
        let file = PathBuf::from(stale);
        if is_own(out, &file, &before) {
            remove(&out.join(&file))?;
        } else if out.join(&file).exists() {
            published.kept.push(file);
        }
    }
    let manifest = serde_json::json!({
        "written_by": "specgate import",
        "files": after,
    });
    let text = serde_json::to_string_pretty(&manifest).unwrap_or_default();
    atomic_file::write(&manifest_file, text.as_bytes())?;
    Ok(published)
}

/// Whether `file` under `out` may be replaced: absent, or listed and unchanged since.
fn is_own(out: &Path, file: &Path, manifest: &Hashes) -> bool {
    let path = out.join(file);
    match std::fs::read(&path) {
        Ok(bytes) => manifest.get(&key(file)) == Some(&sha256(&bytes)),
        Err(_) => !path.exists(),
    }
}

fn read_manifest(file: &Path) -> Result<Hashes, PublishError> {
    if !file.exists() {
        return Ok(Hashes::new());
    }
    let bytes = read(file)?;
    let problem = |problem: String| PublishError::Manifest {
        file: file.to_path_buf(),
        problem,
    };
    let value: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| problem(e.to_string()))?;
    let files = value
        .get("files")
        .cloned()
        .ok_or_else(|| problem("it has no `files`".to_owned()))?;
    serde_json::from_value(files).map_err(|e| problem(format!("`files`: {e}")))
}

/// Every file under `folder/relative`, as paths relative to `folder`, sorted.
fn list_files(folder: &Path, relative: &Path, out: &mut Vec<PathBuf>) -> Result<(), PublishError> {
    let here = folder.join(relative);
    let entries = std::fs::read_dir(&here).map_err(|e| io(&here, &e))?;
    let mut names: Vec<PathBuf> = entries
        .map(|entry| entry.map(|e| relative.join(e.file_name())))
        .collect::<Result<_, _>>()
        .map_err(|e| io(&here, &e))?;
    names.sort();
    for name in names {
        if folder.join(&name).is_dir() {
            list_files(folder, &name, out)?;
        } else {
            out.push(name);
        }
    }
    Ok(())
}

/// A manifest key: the relative path with `/` between its parts on every platform.
fn key(file: &Path) -> String {
    file.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

fn sha256(bytes: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// `from` (holding `bytes`) renamed to `to`, replacing it atomically as
/// [`atomic_file::write_regenerable`] does, but without making a file: on a large import,
/// making each file a second time was a fifth of its time. Written instead when `from` is
/// on another file system.
fn move_file(from: &Path, to: &Path, bytes: &[u8]) -> Result<(), PublishError> {
    if let Some(folder) = to.parent() {
        std::fs::create_dir_all(folder).map_err(|e| io(folder, &e))?;
    }
    if std::fs::rename(from, to).is_err() {
        atomic_file::write_regenerable(to, bytes)?;
    }
    Ok(())
}

fn read(file: &Path) -> Result<Vec<u8>, PublishError> {
    std::fs::read(file).map_err(|e| io(file, &e))
}

fn remove(file: &Path) -> Result<(), PublishError> {
    std::fs::remove_file(file).map_err(|e| io(file, &e))
}

fn io(file: &Path, error: &std::io::Error) -> PublishError {
    PublishError::Io {
        file: file.to_path_buf(),
        problem: error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stage(files: &[(&str, &str)]) -> tempfile::TempDir {
        let folder = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let path = folder.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        folder
    }

    #[test]
    fn own_unchanged_files_are_replaced_and_stale_ones_removed() {
        let out = tempfile::tempdir().unwrap();
        let first = stage(&[("cases/a.toml", "a1"), ("cases/b.toml", "b1")]);
        publish(first.path(), out.path(), Overwrite::OwnFilesOnly).unwrap();
        let second = stage(&[("cases/a.toml", "a2")]);
        let published = publish(second.path(), out.path(), Overwrite::OwnFilesOnly).unwrap();
        assert_eq!(published.written, vec![PathBuf::from("cases/a.toml")]);
        assert_eq!(
            std::fs::read_to_string(out.path().join("cases/a.toml")).unwrap(),
            "a2"
        );
        assert!(!out.path().join("cases/b.toml").exists());
    }

    #[test]
    fn an_edited_or_foreign_file_stops_the_import_unless_forced() {
        let out = tempfile::tempdir().unwrap();
        let first = stage(&[("cases/a.toml", "a1")]);
        publish(first.path(), out.path(), Overwrite::OwnFilesOnly).unwrap();
        std::fs::write(out.path().join("cases/a.toml"), "edited").unwrap();
        std::fs::write(out.path().join("cases/mine.toml"), "mine").unwrap();
        let second = stage(&[("cases/a.toml", "a2"), ("cases/mine.toml", "m")]);
        let error = publish(second.path(), out.path(), Overwrite::OwnFilesOnly).unwrap_err();
        let message = error.to_string();
        assert!(message.contains("cases/a.toml") && message.contains("cases/mine.toml"));
        assert!(message.contains("--force"), "{message}");
        assert_eq!(
            std::fs::read_to_string(out.path().join("cases/a.toml")).unwrap(),
            "edited"
        );
        publish(second.path(), out.path(), Overwrite::Anything).unwrap();
        assert_eq!(
            std::fs::read_to_string(out.path().join("cases/a.toml")).unwrap(),
            "a2"
        );
    }
}
