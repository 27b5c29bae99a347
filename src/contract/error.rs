//! Typed errors for broken case files and schemas.
//!
//! Every error names the file, the place in it (a line and column for TOML and JSON syntax,
//! a JSON pointer for schema problems) and what to do about it, so the CLI can print it as is
//! and exit with code 2 before any request is sent.

use std::fmt;
use std::path::{Path, PathBuf};

/// Where in a file a problem sits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// The whole file (missing, unreadable, or a problem with no finer place).
    File,
    /// A line and column, both 1-based.
    Line {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// A JSON pointer into a JSON document (a schema, or the TOML table tree of a case file).
    Pointer(String),
}

/// A case file or schema that cannot be used.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub struct ContractError {
    /// The case or schema file.
    pub file: PathBuf,
    /// Where in the file.
    pub place: Place,
    /// What is wrong.
    pub problem: String,
    /// How to fix it.
    pub fix: String,
}

impl ContractError {
    /// An error in `file` at `place`.
    pub fn new(
        file: &Path,
        place: Place,
        problem: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Self {
            file: file.to_path_buf(),
            place,
            problem: problem.into(),
            fix: fix.into(),
        }
    }

    /// The 1-based line and column of a byte offset in `text`.
    pub fn line_of(text: &str, offset: usize) -> Place {
        let before = &text[..offset.min(text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Place::Line { line, column }
    }
}

impl fmt::Display for ContractError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = self.file.display();
        match &self.place {
            Place::File => write!(f, "{file}: {}", self.problem)?,
            Place::Line { line, column } => write!(f, "{file}:{line}:{column}: {}", self.problem)?,
            Place::Pointer(p) if p.is_empty() => {
                write!(f, "{file} (at the document root): {}", self.problem)?
            }
            Place::Pointer(p) => write!(f, "{file} at {p}: {}", self.problem)?,
        }
        write!(f, "\n  fix: {}", self.fix)
    }
}
