//! The console: live progress while a run is going (an indicatif bar on a terminal, a plain
//! line per 10% otherwise, both on stderr) and the summary with each finding on stdout.

use super::RunReport;
use crate::results::Check;
use crate::results::Progress;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

/// Shows `progress` until the returned handle is finished.
pub struct ProgressDisplay {
    stop: Arc<std::sync::atomic::AtomicBool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl ProgressDisplay {
    /// Start drawing on stderr; call inside a tokio runtime.
    pub fn start(progress: Arc<Progress>) -> ProgressDisplay {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let task = if std::io::stderr().is_terminal() {
            tokio::spawn(draw_bar(progress, flag))
        } else {
            tokio::spawn(draw_lines(progress, flag))
        };
        ProgressDisplay {
            stop,
            task: Some(task),
        }
    }

    /// Stop drawing and clear the bar.
    pub async fn finish(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

async fn draw_bar(progress: Arc<Progress>, stop: Arc<std::sync::atomic::AtomicBool>) {
    let bar = ProgressBar::new(progress.total.load(Ordering::Relaxed));
    let style = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} requests, {msg} ({per_sec}, eta {eta})",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    while !stop.load(Ordering::Relaxed) {
        bar.set_length(progress.total.load(Ordering::Relaxed));
        bar.set_position(progress.done.load(Ordering::Relaxed));
        bar.set_message(format!(
            "{} findings",
            progress.findings.load(Ordering::Relaxed)
        ));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bar.finish_and_clear();
}

async fn draw_lines(progress: Arc<Progress>, stop: Arc<std::sync::atomic::AtomicBool>) {
    let mut printed = 0;
    while !stop.load(Ordering::Relaxed) {
        let total = progress.total.load(Ordering::Relaxed).max(1);
        let done = progress.done.load(Ordering::Relaxed);
        let tenth = (done * 10 / total).min(10);
        // One line per 10% reached; a jump over several tenths prints only the latest.
        if tenth > printed {
            printed = tenth;
            eprintln!(
                "specgate: {:>3}% ({done}/{total} requests, {} findings)",
                tenth * 10,
                progress.findings.load(Ordering::Relaxed)
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The end-of-run text: summary, findings by check, coverage, then each finding briefly.
pub fn render_summary(report: &RunReport) -> String {
    let s = &report.summary;
    let mut out = String::new();
    out.push_str(&format!(
        "\nspecgate: {} — {}\n",
        verdict_line(report),
        s.base_url
    ));
    out.push_str(&format!(
        "  requests: {} ({} plan entries) in {:.2} s, {:.0} requests/s\n",
        s.requests, s.planned, s.elapsed_s, s.requests_per_s
    ));
    for c in &s.coverage {
        out.push_str(&format!(
            "  coverage {}: enum values {}/{}, required-field subsets {}/{}\n",
            c.case,
            c.enum_values_covered,
            c.enum_values_total,
            c.required_subsets_covered,
            c.required_subsets_total
        ));
    }
    if s.capped {
        out.push_str("  note: --max-requests stopped the run before the plan was done\n");
    }
    if let Some(halt) = &s.incomplete {
        out.push_str(&format!("  INCOMPLETE: {halt}\n"));
    }
    for w in &s.warnings {
        out.push_str(&format!(
            "  warning [{}] {} (×{}): {}\n",
            w.check, w.cause, w.count, w.message
        ));
    }
    findings_by_check(&mut out, report);
    for (number, f) in report.findings.iter().enumerate() {
        out.push_str(&format!(
            "\n{}. [{}] {} — {} (×{})\n",
            number + 1,
            f.check,
            f.case,
            f.cause,
            f.count
        ));
        if f.check == Check::Untested {
            // Nothing was sent: no plan id, no request to reproduce.
            out.push_str(&format!(
                "   {}\n   fingerprint: {}\n",
                f.message,
                crate::known::fingerprint(f)
            ));
            continue;
        }
        out.push_str(&format!(
            "   {}\n   plan id: {}  reason: {}\n   fingerprint: {}\n",
            f.message,
            f.plan_id,
            f.reason,
            crate::known::fingerprint(f)
        ));
        if let Some(diff) = &f.diff {
            for line in diff.lines() {
                out.push_str(&format!("   {line}\n"));
            }
        } else {
            out.push_str(&format!("   reproduce: {}\n", f.curl));
        }
        // A cause several operations share: each operation with its own request.
        for member in &f.operations {
            out.push_str(&format!(
                "   - {} (×{}, plan id {}): {}\n",
                member.case, member.count, member.plan_id, member.curl
            ));
        }
    }
    flaky_section(&mut out, report);
    known_section(&mut out, report);
    out
}

/// The verdict and what decides it: the findings that fail (new), and apart from them the
/// known ones and the expired entries, e.g. `CONFORMANT — 0 new findings; 864 known, 2 expired`.
pub fn verdict_line(report: &RunReport) -> String {
    let new = report.findings.len();
    let mut line = match (report.fails(), new) {
        (true, _) => format!("CONTRACT VIOLATIONS — {new} new finding(s)"),
        (false, 0) => "CONFORMANT — 0 new findings".to_owned(),
        (false, n) => {
            format!(
                "CONFORMANT — 0 failing findings; {n} drift note(s) below the failure threshold"
            )
        }
    };
    if let Some(known) = &report.known {
        line.push_str(&format!(
            "; {} known, {} expired",
            known.known.len(),
            known.expired.len()
        ));
    }
    line
}

/// Requests by check that fail this run; with a known-failures file, the known ones in a
/// column of their own, so they are not read as failures.
fn findings_by_check(out: &mut String, report: &RunReport) {
    let count = |findings: &mut dyn Iterator<Item = &crate::results::Finding>, check: Check| {
        findings
            .filter(|f| f.check == check)
            .map(|f| f.count)
            .sum::<u64>()
    };
    let Some(known) = &report.known else {
        out.push_str("  findings by check:\n");
        for check in Check::ALL {
            let failed = report.summary.findings_by_check.get(check.name());
            out.push_str(&format!(
                "    {:<20} {}\n",
                check.name(),
                failed.copied().unwrap_or(0)
            ));
        }
        return;
    };
    out.push_str(&format!(
        "  findings by check:      new   known (not failing, {})\n",
        known.file
    ));
    for check in Check::ALL {
        let new = count(&mut report.findings.iter(), check);
        let accepted = count(&mut known.known.iter().map(|k| &k.finding), check);
        out.push_str(&format!(
            "    {:<20} {new:>5}   {accepted:>5}\n",
            check.name()
        ));
    }
}

/// Findings that did not reproduce on a second send.
fn flaky_section(out: &mut String, report: &RunReport) {
    if report.flaky.is_empty() {
        return;
    }
    let effect = if report.strict {
        "failing: --strict"
    } else {
        "not failing; --strict fails them"
    };
    out.push_str(&format!(
        "\nflaky: {} finding(s) not reproduced on a second send ({effect})\n",
        report.flaky.len()
    ));
    for f in &report.flaky {
        out.push_str(&format!(
            "  - [{}] {} — {}\n    fingerprint: {}\n    reproduce: {}\n",
            f.check,
            f.case,
            f.cause,
            crate::known::fingerprint(f),
            f.curl
        ));
    }
}

/// What the known-failures file matched, left expired, or found nothing for.
fn known_section(out: &mut String, report: &RunReport) {
    let Some(known) = &report.known else {
        return;
    };
    out.push_str(&format!(
        "\nknown failures ({}, as of {}): {} known (not failing), {} expired (failing), {} matched nothing\n",
        known.file,
        known.today,
        known.known.len(),
        known.expired.len(),
        known.unmatched.len()
    ));
    for k in &known.known {
        out.push_str(&format!(
            "  known: {} (×{})\n    {} — owner {}, {}, until {}\n",
            k.entry.fingerprint,
            k.finding.count,
            k.entry.reason,
            k.entry.owner,
            k.entry.link,
            k.entry.expires
        ));
    }
    for e in &known.expired {
        out.push_str(&format!(
            "  EXPIRED on {}: {} ({}:{}; owner {}, {}): the finding fails again; fix it or extend the entry\n",
            e.expires, e.fingerprint, known.file, e.line, e.owner, e.link
        ));
    }
    let partial =
        report.summary.capped || report.summary.stopped_early || report.summary.shard.is_some();
    let caveat = if partial {
        " (this run covered only part of the plan)"
    } else {
        ""
    };
    for e in &known.unmatched {
        out.push_str(&format!(
            "  fixed? remove this entry: {} ({}:{}) matched nothing in this run{caveat}\n",
            e.fingerprint, known.file, e.line
        ));
    }
}
