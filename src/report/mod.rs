//! Reports: every format reads the same [`RunReport`] (summary plus grouped findings).
//! Console, JSON, JUnit and Markdown are independent renderers; files are written
//! atomically (a temp file in the same folder, then a rename), so a crash never leaves half
//! a report for CI to choke on.

pub mod console;
pub mod github;
pub mod html;
pub mod junit;
pub mod markdown;
pub mod merge;
pub mod sarif;

use crate::results::{Check, Finding, Summary};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The JSON report, and what every other format is rendered from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    /// The run's figures.
    pub summary: Summary,
    /// The findings that fail the run (each serialized with its known-failures fingerprint).
    #[serde(serialize_with = "with_fingerprints")]
    pub findings: Vec<Finding>,
    /// What `--known FILE` matched, left expired, or found nothing for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub known: Option<crate::known::KnownReport>,
    /// Findings that did not come back when their request was sent again: they fail the run
    /// only under `--strict`.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        serialize_with = "with_fingerprints"
    )]
    pub flaky: Vec<Finding>,
    /// `--strict`: flaky findings fail the run too.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub strict: bool,
    /// Where each case is written, for reports that point at code (SARIF, annotations).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cases: Vec<CaseSource>,
}

/// A case file and the line of its operation (the `path` key), as code scanners point at it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseSource {
    /// The case's name.
    pub case: String,
    /// As the run was given it, e.g. `cases/sessionlink-v2.toml`.
    pub file: String,
    /// The line of the operation's `path` key (1 when unknown).
    pub line: usize,
    /// For an operation of an OpenAPI document: its JSON pointer there
    /// (`/paths/~1orders/post`), which SARIF carries as a logical location.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
}

/// Each finding with its `fingerprint` first, so a person can copy it into a known-failures
/// file (reading a report back ignores it: it is derived); the operations of a shared
/// cause carry their own.
fn with_fingerprints<S: serde::Serializer>(
    findings: &[Finding],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(findings.iter().map(WithFingerprint::new))
}

#[derive(Serialize)]
struct WithFingerprint {
    fingerprint: String,
    #[serde(flatten)]
    finding: Finding,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    operations: Vec<WithFingerprint>,
}

impl WithFingerprint {
    fn new(finding: &Finding) -> WithFingerprint {
        WithFingerprint {
            fingerprint: crate::known::fingerprint(finding),
            operations: finding
                .operations
                .iter()
                .map(WithFingerprint::new)
                .collect(),
            finding: Finding {
                operations: Vec::new(),
                ..finding.clone()
            },
        }
    }
}

/// Every finding of one operation: a finding several operations share stands for its
/// members (for formats organised by operation: JUnit suites, code locations).
pub fn per_operation(findings: &[Finding]) -> impl Iterator<Item = &Finding> {
    findings.iter().flat_map(|f| {
        if f.operations.is_empty() {
            std::slice::from_ref(f)
        } else {
            f.operations.as_slice()
        }
    })
}

/// The operations a finding covers: its own case, or each case of a shared cause.
pub fn cases_of(finding: &Finding) -> Vec<&str> {
    if finding.operations.is_empty() {
        return vec![finding.case.as_str()];
    }
    let mut cases: Vec<&str> = finding.operations.iter().map(|f| f.case.as_str()).collect();
    cases.dedup();
    cases
}

/// A report file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `json`: the report as JSON (`schemas/report.schema.json`).
    Json,
    /// `junit`: JUnit XML.
    Junit,
    /// `markdown`: a regression report for an issue or pull request.
    Markdown,
    /// `sarif`: SARIF 2.1.0, for code scanning.
    Sarif,
    /// `html`: one self-contained page to look at an API's run.
    Html,
}

/// `--report FORMAT=PATH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportTarget {
    /// The format.
    pub format: Format,
    /// The file to write.
    pub path: PathBuf,
}

impl std::str::FromStr for ReportTarget {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let (format, path) = text.split_once('=').ok_or_else(|| {
            format!("`{text}` is not FORMAT=PATH; write e.g. --report junit=target/specgate.xml")
        })?;
        let format = match format.trim().to_ascii_lowercase().as_str() {
            "json" => Format::Json,
            "junit" | "xml" => Format::Junit,
            "markdown" | "md" => Format::Markdown,
            "sarif" => Format::Sarif,
            "html" => Format::Html,
            other => {
                return Err(format!(
                    "unknown report format `{other}`; use json, junit, markdown, sarif or html"
                ))
            }
        };
        if path.trim().is_empty() {
            return Err(format!(
                "`{text}` names no file; write e.g. {}=report.out",
                format_name(format)
            ));
        }
        Ok(ReportTarget {
            format,
            path: PathBuf::from(path),
        })
    }
}

fn format_name(format: Format) -> &'static str {
    match format {
        Format::Json => "json",
        Format::Junit => "junit",
        Format::Markdown => "markdown",
        Format::Sarif => "sarif",
        Format::Html => "html",
    }
}

/// Why a report could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot write the report: {0}")]
    /// The report file could not be written.
    Write(#[from] crate::atomic_file::WriteError),
    /// A report could not be read or parsed.
    #[error("cannot read the report {path}: {problem}")]
    Read {
        /// The report file.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
    #[error("the reports do not fit together: {0}")]
    /// Reports to merge come from different runs.
    Mismatch(String),
}

impl RunReport {
    /// A report of `findings`, with no known-failures file applied and nothing flaky.
    pub fn new(summary: Summary, findings: Vec<Finding>) -> RunReport {
        RunReport {
            summary,
            findings,
            known: None,
            flaky: Vec::new(),
            strict: false,
            cases: Vec::new(),
        }
    }

    /// The case file and operation line of `case`, if the report knows it.
    pub fn source_of(&self, case: &str) -> Option<&CaseSource> {
        self.cases.iter().find(|c| c.case == case)
    }

    /// Whether the run found nothing.
    pub fn conformant(&self) -> bool {
        self.findings.is_empty()
    }

    /// Whether the run fails the gate: any finding but drift, or drift at or above the
    /// summary's `drift_fail_on`, or (under `--strict`) a flaky finding. Known findings have
    /// left `findings` already; an expired entry's finding has stayed.
    pub fn fails(&self) -> bool {
        (self.strict && !self.flaky.is_empty())
            || self.findings.iter().any(|f| {
                match (f.check, f.severity, self.summary.drift_fail_on) {
                    (Check::Drift, Some(severity), Some(fail_on)) => severity >= fail_on,
                    (Check::Drift, _, None) => false,
                    _ => true,
                }
            })
    }

    /// Render in `format`.
    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Json => serde_json::to_string_pretty(self).unwrap_or_default() + "\n",
            Format::Junit => junit::render(self),
            Format::Markdown => markdown::render(self),
            Format::Sarif => sarif::render(self),
            Format::Html => html::render(self),
        }
    }

    /// Render and write atomically to `target.path`.
    pub fn write(&self, target: &ReportTarget) -> Result<(), ReportError> {
        Ok(crate::atomic_file::write(
            &target.path,
            self.render(target.format).as_bytes(),
        )?)
    }

    /// Read a JSON report written by `--report json=PATH`.
    pub fn read_json(path: &Path) -> Result<RunReport, ReportError> {
        let read_error = |problem: String| ReportError::Read {
            path: path.to_path_buf(),
            problem,
        };
        let text = std::fs::read_to_string(path).map_err(|e| read_error(e.to_string()))?;
        serde_json::from_str(&text)
            .map_err(|e| read_error(format!("not a specgate JSON report: {e}")))
    }
}
