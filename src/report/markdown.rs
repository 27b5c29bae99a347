//! The Markdown regression report: something a person pastes into an issue or a pull
//! request. Summary table, then each grouped finding with its minimal request, a response
//! excerpt and the curl line that reproduces it.

use super::RunReport;
use crate::results::{excerpt, Check, Finding};
use std::fmt::Write;

/// The Markdown regression report of `report`.
pub fn render(report: &RunReport) -> String {
    let mut out = String::new();
    header(&mut out, report);
    by_check(&mut out, report);
    coverage(&mut out, report);
    if !report.findings.is_empty() {
        out.push_str("\n## Findings\n");
        for (number, finding) in report.findings.iter().enumerate() {
            finding_section(&mut out, number + 1, finding);
        }
    }
    flaky_section(&mut out, report);
    known_section(&mut out, report);
    out
}

fn flaky_section(out: &mut String, report: &RunReport) {
    if report.flaky.is_empty() {
        return;
    }
    let effect = if report.strict {
        "they fail the run (`--strict`)"
    } else {
        "they do not fail the run without `--strict`"
    };
    let _ = writeln!(
        out,
        "\n## Flaky\n\nNot reproduced when the request was sent again; {effect}.\n"
    );
    for f in &report.flaky {
        let _ = writeln!(
            out,
            "- `{}` {} ({}): fingerprint `{}`",
            f.check,
            f.case,
            f.cause,
            crate::known::fingerprint(f)
        );
    }
}

fn known_section(out: &mut String, report: &RunReport) {
    let Some(known) = &report.known else {
        return;
    };
    let _ = writeln!(
        out,
        "\n## Known failures\n\nFrom `{}`, as of {}: {} known (not failing), {} expired (failing), {} matched nothing.\n",
        known.file,
        known.today,
        known.known.len(),
        known.expired.len(),
        known.unmatched.len()
    );
    if known.known.is_empty() && known.expired.is_empty() && known.unmatched.is_empty() {
        return;
    }
    out.push_str("| | fingerprint | findings | reason | owner | link | expires |\n|---|---|---:|---|---|---|---|\n");
    for k in &known.known {
        entry_row(out, "known", &k.entry, &k.finding.count.to_string());
    }
    for e in &known.expired {
        entry_row(out, "❌ expired", e, "");
    }
    for e in &known.unmatched {
        entry_row(out, "fixed? remove this entry", e, "0");
    }
}

fn entry_row(out: &mut String, label: &str, e: &crate::known::KnownEntry, count: &str) {
    let cell = |text: &str| text.replace('|', "\\|").replace('\n', " ");
    let _ = writeln!(
        out,
        "| {label} | `{}` | {count} | {} | {} | {} | {} |",
        cell(&e.fingerprint),
        cell(&e.reason),
        cell(&e.owner),
        cell(&e.link),
        e.expires
    );
}

fn header(out: &mut String, report: &RunReport) {
    let s = &report.summary;
    let violations: u64 = report.findings.iter().map(|f| f.count).sum();
    let verdict = match (report.fails(), report.findings.len()) {
        (false, 0) => "✅ conformant: no contract violations".to_owned(),
        (false, n) => format!("✅ conformant, with {n} drift note(s) below the failure threshold"),
        (true, n) => format!("❌ {n} distinct contract violation(s) in {violations} request(s)"),
    };
    let _ = writeln!(out, "# specgate contract report\n\n**{verdict}**\n");
    out.push_str("| | |\n|---|---|\n");
    let _ = writeln!(out, "| Target | `{}` |", s.base_url);
    let _ = writeln!(
        out,
        "| Requests | {} ({} plan entries) |",
        s.requests, s.planned
    );
    let _ = writeln!(
        out,
        "| Elapsed | {:.2} s ({:.0} requests/s) |",
        s.elapsed_s, s.requests_per_s
    );
    let _ = writeln!(
        out,
        "| Seed | {} ({} random examples per class) |",
        s.seed, s.examples
    );
    if let Some(shard) = &s.shard {
        let _ = writeln!(out, "| Shard | {shard} |");
    }
    if s.capped {
        out.push_str("| Note | stopped by --max-requests before the plan was done |\n");
    }
    if s.stopped_early {
        out.push_str("| Note | stopped at the first finding (--fail-fast) |\n");
    }
    if let Some(halt) = &s.incomplete {
        let _ = writeln!(out, "| Incomplete | {} |", halt.message.replace('|', "\\|"));
    }
    for w in &s.warnings {
        let _ = writeln!(
            out,
            "| Warning (`{}`, ×{}) | {} |",
            w.check,
            w.count,
            w.message.replace('|', "\\|")
        );
    }
}

fn by_check(out: &mut String, report: &RunReport) {
    out.push_str(
        "\n## Checks\n\n| check | findings | distinct | what it means |\n|---|---:|---:|---|\n",
    );
    for check in Check::ALL {
        let failed = report
            .summary
            .findings_by_check
            .get(check.name())
            .copied()
            .unwrap_or(0);
        let distinct = report.findings.iter().filter(|f| f.check == check).count();
        let mark = if failed == 0 { "✅" } else { "❌" };
        let _ = writeln!(
            out,
            "| {mark} `{}` | {failed} | {distinct} | {} |",
            check.name(),
            check.description()
        );
    }
}

fn coverage(out: &mut String, report: &RunReport) {
    out.push_str(
        "\n## Coverage\n\n| case | enum values | required-field subsets |\n|---|---:|---:|\n",
    );
    for c in &report.summary.coverage {
        let _ = writeln!(
            out,
            "| {} | {}/{} | {}/{} |",
            c.case,
            c.enum_values_covered,
            c.enum_values_total,
            c.required_subsets_covered,
            c.required_subsets_total
        );
    }
}

fn finding_section(out: &mut String, number: usize, finding: &Finding) {
    let severity = finding
        .severity
        .map(|s| format!(" [{s:?}]"))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "\n### {number}. `{}`{severity}: {} ({}), ×{}\n",
        finding.check, finding.case, finding.cause, finding.count
    );
    let _ = writeln!(out, "{}\n", finding.message);
    let _ = writeln!(out, "- plan id: `{}`", finding.plan_id);
    let _ = writeln!(
        out,
        "- fingerprint: `{}`",
        crate::known::fingerprint(finding)
    );
    let _ = writeln!(
        out,
        "- reason: `{}` (expected: {})",
        finding.reason,
        finding.expect.as_str()
    );
    let others: Vec<String> = finding
        .examples
        .iter()
        .filter(|id| **id != finding.plan_id)
        .map(|id| format!("`{id}`"))
        .collect();
    if !others.is_empty() {
        let more = if finding.count > 1 + others.len() as u64 {
            ", …"
        } else {
            ""
        };
        let _ = writeln!(out, "- also: {}{more}", others.join(", "));
    }
    if let Some(shrunk) = &finding.shrunk {
        let confirmed = if shrunk.confirmed {
            "confirmed by re-sending"
        } else {
            "NOT confirmed on re-send"
        };
        let _ = writeln!(
            out,
            "- shrunk from `{}` in {} request(s), {confirmed}",
            shrunk.from_plan_id, shrunk.attempts
        );
    }
    if let Some(diff) = &finding.diff {
        let _ = writeln!(out, "\n```diff\n{}\n```", diff.trim_end());
        return;
    }
    if finding.check == Check::Untested {
        // Nothing was sent: there is no request to show or reproduce.
        return;
    }
    request_block(out, finding);
    response_block(out, finding);
    let _ = writeln!(out, "\n**Reproduce**\n\n```sh\n{}\n```", finding.curl);
    operations_block(out, finding);
}

/// For a cause several operations share: each operation, its count and its own request.
fn operations_block(out: &mut String, finding: &Finding) {
    if finding.operations.is_empty() {
        return;
    }
    out.push_str("\n**Operations**\n\n| operation | findings | plan id | fingerprint |\n|---|---:|---|---|\n");
    for f in &finding.operations {
        let _ = writeln!(
            out,
            "| {} | {} | `{}` | `{}` |",
            f.case,
            f.count,
            f.plan_id,
            crate::known::fingerprint(f).replace('|', "\\|")
        );
    }
    for f in &finding.operations {
        let _ = writeln!(
            out,
            "\n{} (`{}`):\n\n```sh\n{}\n```",
            f.case, f.plan_id, f.curl
        );
    }
}

fn request_block(out: &mut String, finding: &Finding) {
    let r = &finding.request;
    let _ = writeln!(out, "\n**Request**\n\n```http\n{} {}", r.method, r.url);
    for (name, value) in &r.headers {
        let _ = writeln!(out, "{name}: {value}");
    }
    let (body, cut) = excerpt(&r.body, 4096);
    let more = if cut { "\n… (cut)" } else { "" };
    let _ = writeln!(out, "\n{body}{more}\n```");
}

fn response_block(out: &mut String, finding: &Finding) {
    let Some(response) = &finding.response else {
        let _ = writeln!(out, "\n**Response**: none ({})", finding.message);
        return;
    };
    let _ = writeln!(
        out,
        "\n**Response** ({} ms)\n\n```http\nHTTP {}",
        response.elapsed_ms, response.status
    );
    for (name, value) in response
        .headers
        .iter()
        .filter(|(n, _)| n == "content-type" || n == "content-length")
    {
        let _ = writeln!(out, "{name}: {value}");
    }
    let more = if response.body_truncated {
        "\n… (cut)"
    } else {
        ""
    };
    let _ = writeln!(out, "\n{}{more}\n```", response.body);
}
