//! GitHub Actions: under `GITHUB_ACTIONS=true` (and only then), workflow commands that show
//! each finding where people look: `::error`/`::warning`/`::notice` annotations at the case
//! file and the line of its operation (one per operation for a cause several share), and the Markdown report appended to the job summary
//! (`$GITHUB_STEP_SUMMARY`). Appending, not replacing, is the protocol of that file: other
//! steps write to it too.

use super::{markdown, ReportError, RunReport};
use crate::check::Finding;
use crate::drift::Severity;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;

/// Whether this process runs as a GitHub Actions step (`GITHUB_ACTIONS` is exactly `true`).
pub fn enabled() -> bool {
    std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true")
}

/// The annotations of `report`, one workflow command per line.
pub fn annotations(report: &RunReport) -> String {
    let mut out = String::new();
    for finding in &report.findings {
        annotate_each(&mut out, report, finding, level(finding), "");
    }
    let flaky_level = if report.strict { "error" } else { "warning" };
    for finding in &report.flaky {
        annotate_each(&mut out, report, finding, flaky_level, "flaky: ");
    }
    if let Some(known) = &report.known {
        for k in &known.known {
            annotate_each(&mut out, report, &k.finding, "notice", "known failure: ");
        }
        for e in &known.unmatched {
            let _ = writeln!(
                out,
                "::warning file={},line={},title={}::{}",
                property(&known.file),
                e.line,
                property("specgate: fixed? remove this entry"),
                data(&format!("{} matched nothing in this run", e.fingerprint))
            );
        }
    }
    out
}

/// Append the Markdown report to `$GITHUB_STEP_SUMMARY`, if it is set.
pub fn append_step_summary(report: &RunReport) -> Result<(), ReportError> {
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) else {
        return Ok(());
    };
    let path = PathBuf::from(path);
    let write_error = |source| {
        ReportError::Write(crate::atomic_file::WriteError {
            path: path.clone(),
            source,
        })
    };
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(write_error)?;
    // One write call, so the summary lands whole or not at all.
    file.write_all(format!("{}\n", markdown::render(report)).as_bytes())
        .map_err(write_error)
}

fn level(finding: &Finding) -> &'static str {
    match finding.severity {
        Some(Severity::Breaking) | None => "error",
        Some(Severity::Warning) => "warning",
        Some(Severity::Info) | Some(Severity::Fixed) => "notice",
    }
}

/// One annotation for a finding of one operation; for a cause several operations share, one
/// at each operation's case file, naming it, its own request and every operation that shares
/// the cause (a reader of one file's annotations sees the whole cause).
fn annotate_each(
    out: &mut String,
    report: &RunReport,
    finding: &Finding,
    level: &str,
    prefix: &str,
) {
    if finding.operations.is_empty() {
        annotate(out, report, finding, None, level, prefix);
        return;
    }
    for member in &finding.operations {
        annotate(out, report, member, Some(finding), level, prefix);
    }
}

/// The annotation of `finding`, a member of `shared` when its cause is shared.
fn annotate(
    out: &mut String,
    report: &RunReport,
    finding: &Finding,
    shared: Option<&Finding>,
    level: &str,
    prefix: &str,
) {
    let title = format!(
        "specgate {}: {} ({})",
        finding.check, finding.case, finding.cause
    );
    let location = super::cases_of(finding)
        .first()
        .and_then(|case| report.source_of(case))
        .map(|s| format!("file={},line={},", property(&s.file), s.line))
        .unwrap_or_default();
    let mut message = format!(
        "{prefix}{} (×{})\nreproduce: {}",
        finding.message, finding.count, finding.curl
    );
    match shared {
        Some(shared) => {
            let cases = super::cases_of(shared);
            let _ = write!(
                message,
                "\nshared by {} operations: {}\nfingerprint: {} (this operation: {})",
                cases.len(),
                cases.join(", "),
                crate::known::fingerprint(shared),
                crate::known::fingerprint(finding)
            );
        }
        None => {
            let _ = write!(
                message,
                "\nfingerprint: {}",
                crate::known::fingerprint(finding)
            );
        }
    }
    let _ = writeln!(
        out,
        "::{level} {location}title={}::{}",
        property(&title),
        data(&message)
    );
}

/// A command's message, escaped as the runner expects.
fn data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A command's property value: as [`data`], plus `:` and `,`.
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_and_properties_are_escaped_as_the_runner_expects() {
        assert_eq!(data("50% done\r\nnext"), "50%25 done%0D%0Anext");
        assert_eq!(property("a: b, c"), "a%3A b%2C c");
    }
}
