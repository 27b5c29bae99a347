//! Writing a file so that a reader never sees half of it: a temp file in the same folder,
//! synced, then renamed over the target. Reports and drift baselines are written this way,
//! so a crash or a full disk never leaves a truncated file for CI or a reviewer to choke on.

use std::io::Write;
use std::path::{Path, PathBuf};

/// A file that could not be written; the target is left as it was.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {path}: {source}")]
pub struct WriteError {
    /// The file that was to be written.
    pub path: PathBuf,
    /// What the file system said.
    pub source: std::io::Error,
}

/// Write `bytes` to `path` through a temp file in the same folder and a rename, creating the
/// folder if needed.
pub fn write(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    let write_error = |source| WriteError {
        path: path.to_path_buf(),
        source,
    };
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&folder).map_err(write_error)?;
    let mut file = tempfile::NamedTempFile::new_in(&folder).map_err(write_error)?;
    file.write_all(bytes).map_err(write_error)?;
    file.as_file().sync_all().map_err(write_error)?;
    file.persist(path).map_err(|e| write_error(e.error))?;
    Ok(())
}
