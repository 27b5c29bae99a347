//! Writing a file so that a reader never sees half of it: a temp file in the same folder,
//! synced, then renamed over the target. Reports and drift baselines are written this way,
//! so a crash or a full disk never leaves a truncated file for CI or a reviewer to choke on.
//! The file gets the mode a plain `create` would (0666 less the user's umask, so 0644 by
//! default), not the temp file's private 0600: another CI step or user must read reports.
//! Files made again from a source that is kept ([`write_regenerable`]: an import's cases)
//! skip the sync: a reader still never sees half of one, and a crash costs a rerun.

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

/// Write `bytes` to `path` through a temp file in the same folder, synced, and a rename,
/// creating the folder if needed.
pub fn write(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    write_durably(path, bytes, Durability::Synced)
}

/// [`write`] without the sync, for a file made from a source that is kept (a case imported
/// from an OpenAPI document): readers still see the whole file or none of it, but a crash
/// may lose it, and the fix is to make it again. A sync costs about 7 ms on this project's
/// machine: 19 of the 21 seconds GitHub's document took to import as 2,765 files.
pub fn write_regenerable(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    write_durably(path, bytes, Durability::Regenerable)
}

/// Whether a written file must survive a crash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Durability {
    /// Synced to disk before the rename: reports, baselines, known-failures files.
    Synced,
    /// Left to the kernel to write back: files made again from a source that is kept.
    Regenerable,
}

fn write_durably(path: &Path, bytes: &[u8], durability: Durability) -> Result<(), WriteError> {
    let write_error = |source| WriteError {
        path: path.to_path_buf(),
        source,
    };
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&folder).map_err(write_error)?;
    let mut file = readable_temp_file(&folder).map_err(write_error)?;
    file.write_all(bytes).map_err(write_error)?;
    if durability == Durability::Synced {
        file.as_file().sync_all().map_err(write_error)?;
    }
    file.persist(path).map_err(|e| write_error(e.error))?;
    Ok(())
}

/// A temp file in `folder` created with mode 0666, which the kernel narrows by the umask as
/// it does for any new file (tempfile's default, 0600, would make reports private).
fn readable_temp_file(folder: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    let mut builder = tempfile::Builder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    builder.tempfile_in(folder)
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    /// Tests run under the runner's umask (022 here and on CI): the file is as readable as one
    /// `File::create` makes, never the temp file's 0600.
    #[test]
    fn a_written_file_has_the_mode_a_plain_create_gives() {
        let folder = tempfile::tempdir().expect("a temp folder");
        let plain = folder.path().join("plain");
        std::fs::File::create(&plain).expect("create");
        let written = folder.path().join("report.json");
        super::write(&written, b"{}").expect("write");
        let mode =
            |p: &std::path::Path| std::fs::metadata(p).expect("stat").permissions().mode() & 0o777;
        assert_eq!(mode(&written), mode(&plain));
    }

    #[test]
    fn a_regenerable_file_replaces_the_old_one_whole_with_the_plain_mode() {
        let folder = tempfile::tempdir().expect("a temp folder");
        let plain = folder.path().join("plain");
        std::fs::File::create(&plain).expect("create");
        let written = folder.path().join("cases/a.toml");
        super::write_regenerable(&written, b"old = 1\n").expect("write");
        super::write_regenerable(&written, b"new = 2\n").expect("write again");
        assert_eq!(std::fs::read(&written).expect("read"), b"new = 2\n");
        let mode =
            |p: &std::path::Path| std::fs::metadata(p).expect("stat").permissions().mode() & 0o777;
        assert_eq!(mode(&written), mode(&plain));
        let left: Vec<_> = std::fs::read_dir(folder.path().join("cases"))
            .expect("list")
            .collect();
        assert_eq!(left.len(), 1, "no temp file is left behind: {left:?}");
    }
}
