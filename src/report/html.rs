//! The HTML report: one self-contained page (inline style, no script, nothing fetched) a QA
//! engineer opens to see an API at a glance: the verdict and what decides it, every operation
//! with its requests by kind, coverage and findings by check, the run's warnings, the
//! operations left untested, then each finding (failing, flaky, known) as a collapsible
//! `<details>` with its minimal request, a response excerpt and the curl line.
//!
//! Every piece of text goes through [`escape`]: a server's bytes (bodies, header names,
//! causes) reach this page, and none of them may become markup. Keys are already scrubbed in
//! the findings it reads, as in every other report.

use super::RunReport;
use crate::known::fingerprint;
use crate::results::{Check, Finding};
use std::collections::BTreeMap;
use std::fmt::Write;

/// The page's style, inline so the file needs nothing else.
const STYLE: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1200px;padding:0 1em;color:#1b1f24}\
h1{font-size:1.5em}h2{margin-top:2em;border-bottom:1px solid #d0d7de}\
.verdict{font-size:1.2em;font-weight:600;padding:.6em .8em;border-radius:6px}\
.pass{background:#dafbe1}.fail{background:#ffebe9}\
table{border-collapse:collapse;width:100%}th,td{border:1px solid #d0d7de;padding:.3em .5em;text-align:left;vertical-align:top}\
th{background:#f6f8fa}td.n{text-align:right;font-variant-numeric:tabular-nums}\
tr.failing td:first-child{border-left:4px solid #cf222e}tr.untested td:first-child{border-left:4px solid #9a6700}\
details{border:1px solid #d0d7de;border-radius:6px;margin:.5em 0;padding:.3em .8em}\
details.known{background:#f6f8fa}summary{cursor:pointer;font-weight:600}\
pre{background:#f6f8fa;padding:.6em;overflow-x:auto;white-space:pre-wrap;word-break:break-all}\
code,pre{font:12px/1.4 ui-monospace,monospace}.muted{color:#57606a}";

/// The HTML report of `report`.
pub fn render(report: &RunReport) -> String {
    let mut out = String::with_capacity(16 * 1024);
    let verdict = super::console::verdict_line(report);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>specgate: {}</title><style>{STYLE}</style></head><body>\n",
        escape(&verdict)
    );
    header(&mut out, report, &verdict);
    operations(&mut out, report);
    by_check(&mut out, report);
    untested(&mut out, report);
    findings(&mut out, report);
    out.push_str("</body></html>\n");
    out
}

fn header(out: &mut String, report: &RunReport, verdict: &str) {
    let s = &report.summary;
    let class = if report.fails() { "fail" } else { "pass" };
    let _ = writeln!(
        out,
        "<h1>specgate contract report</h1>\n<p id=\"verdict\" class=\"verdict {class}\">{}</p>",
        escape(verdict)
    );
    let _ = writeln!(
        out,
        "<p>Target <code>{}</code> · {} requests ({} plan entries) in {:.2} s · seed {} ({} random examples per class)</p>",
        escape(&s.base_url),
        s.requests,
        s.planned,
        s.elapsed_s,
        s.seed,
        s.examples
    );
    if let Some(halt) = &s.incomplete {
        let _ = writeln!(
            out,
            "<p class=\"verdict fail\">INCOMPLETE: {}</p>",
            escape(&halt.message)
        );
    }
    if s.capped {
        out.push_str("<p>Stopped by --max-requests before the plan was done.</p>\n");
    }
    warnings(out, report);
}

/// The run's warnings (e.g. connections closed without notice): noted, failing nothing.
fn warnings(out: &mut String, report: &RunReport) {
    let warnings = &report.summary.warnings;
    if warnings.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "<h2 id=\"warnings\">Warnings ({})</h2>\n<p class=\"muted\">Noted about the target; they fail nothing.</p>\n<ul>",
        warnings.len()
    );
    for warning in warnings {
        let _ = writeln!(
            out,
            "<li class=\"warning\" data-check=\"{}\"><code>{}</code> ×{}: {}</li>",
            escape(warning.check.name()),
            escape(warning.check.name()),
            warning.count,
            escape(&warning.message)
        );
    }
    out.push_str("</ul>\n");
}

/// Every operation the run knows of, in report order: its cases, its coverage, its findings.
fn operation_names(report: &RunReport) -> Vec<&str> {
    let mut names: Vec<&str> = Vec::new();
    let cases = report.cases.iter().map(|c| c.case.as_str());
    let covered = report.summary.coverage.iter().map(|c| c.case.as_str());
    let found = findings_per_operation(report).map(|(_, f)| f.case.as_str());
    for name in cases.chain(covered).chain(found) {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// Every finding of the report with its section: failing, flaky, known.
fn all_findings(report: &RunReport) -> impl Iterator<Item = (&'static str, &Finding)> {
    let known = report.known.iter().flat_map(|k| k.known.iter());
    report
        .findings
        .iter()
        .map(|f| ("failing", f))
        .chain(report.flaky.iter().map(|f| ("flaky", f)))
        .chain(known.map(|k| ("known", &k.finding)))
}

/// [`all_findings`], a cause several operations share standing for each of its members.
fn findings_per_operation(report: &RunReport) -> impl Iterator<Item = (&'static str, &Finding)> {
    all_findings(report).flat_map(|(section, f)| {
        let members = if f.operations.is_empty() {
            std::slice::from_ref(f)
        } else {
            f.operations.as_slice()
        };
        members.iter().map(move |m| (section, m))
    })
}

fn operations(out: &mut String, report: &RunReport) {
    out.push_str(
        "<h2>Operations</h2>\n<table id=\"operations\"><thead><tr><th>operation</th><th>where</th>\
         <th>requests by kind</th><th>enum values</th><th>required-field subsets</th>\
         <th>failing findings by check</th><th>known</th></tr></thead><tbody>\n",
    );
    for name in operation_names(report) {
        let coverage = report.summary.coverage.iter().find(|c| c.case == name);
        let mut failing: BTreeMap<Check, u64> = BTreeMap::new();
        let mut known = 0;
        for (section, finding) in findings_per_operation(report).filter(|(_, f)| f.case == name) {
            match section {
                "known" => known += finding.count,
                _ => *failing.entry(finding.check).or_default() += finding.count,
            }
        }
        let class = if !failing.is_empty() {
            "failing"
        } else if is_untested(report, name) {
            "untested"
        } else {
            "ok"
        };
        let place = report.source_of(name).map_or_else(String::new, |s| {
            let pointer = s
                .pointer
                .as_deref()
                .map_or_else(String::new, |p| format!(" {p}"));
            format!("{}:{}{pointer}", s.file, s.line)
        });
        let kinds = coverage.map_or_else(String::new, |c| {
            // Probes are requests too, though they cover nothing.
            let parts: Vec<String> = c
                .by_family
                .iter()
                .chain(&c.probes)
                .map(|(k, n)| format!("{k} {n}"))
                .collect();
            parts.join(" · ")
        });
        let ratio = |covered: u64, total: u64| format!("{covered}/{total}");
        let (enums, subsets) = coverage.map_or_else(Default::default, |c| {
            (
                ratio(c.enum_values_covered, c.enum_values_total),
                ratio(c.required_subsets_covered, c.required_subsets_total),
            )
        });
        let found: Vec<String> = failing.iter().map(|(c, n)| format!("{c} {n}")).collect();
        let _ = writeln!(
            out,
            "<tr class=\"{class}\" data-case=\"{}\"><td>{}</td><td class=\"muted\">{}</td><td>{}</td>\
             <td class=\"n\">{enums}</td><td class=\"n\">{subsets}</td><td>{}</td><td class=\"n\">{known}</td></tr>",
            escape(name),
            escape(name),
            escape(&place),
            escape(&kinds),
            escape(&found.join(", "))
        );
    }
    out.push_str("</tbody></table>\n");
}

/// An operation no request reached: an `untested` finding, or no coverage at all.
fn is_untested(report: &RunReport, name: &str) -> bool {
    let reached = report
        .summary
        .coverage
        .iter()
        .any(|c| c.case == name && c.by_family.values().any(|n| *n > 0));
    !reached || all_findings(report).any(|(_, f)| f.case == name && f.check == Check::Untested)
}

fn by_check(out: &mut String, report: &RunReport) {
    out.push_str(
        "<h2>Findings by check</h2>\n<table id=\"by-check\"><thead><tr><th>check</th>\
         <th>failing requests</th><th>known requests</th><th>what it means</th></tr></thead><tbody>\n",
    );
    for check in Check::ALL {
        let sum = |section: &str| -> u64 {
            all_findings(report)
                .filter(|(s, f)| *s == section && f.check == check)
                .map(|(_, f)| f.count)
                .sum()
        };
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code></td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            check.name(),
            sum("failing") + sum("flaky"),
            sum("known"),
            escape(check.description())
        );
    }
    out.push_str("</tbody></table>\n");
}

fn untested(out: &mut String, report: &RunReport) {
    let names: Vec<&str> = operation_names(report)
        .into_iter()
        .filter(|n| is_untested(report, n))
        .collect();
    let _ = writeln!(
        out,
        "<h2 id=\"untested\">Untested operations ({})</h2>",
        names.len()
    );
    if names.is_empty() {
        out.push_str("<p>Every operation was sent requests.</p>\n");
        return;
    }
    out.push_str("<ul>\n");
    for name in names {
        let why: Vec<&str> = all_findings(report)
            .filter(|(_, f)| f.case == name && f.check == Check::Untested)
            .map(|(_, f)| f.message.as_str())
            .collect();
        let _ = writeln!(
            out,
            "<li><code>{}</code> {}</li>",
            escape(name),
            escape(&why.join("; "))
        );
    }
    out.push_str("</ul>\n");
}

fn findings(out: &mut String, report: &RunReport) {
    let total = all_findings(report).count();
    let _ = writeln!(out, "<h2 id=\"findings\">Findings ({total})</h2>");
    if total == 0 {
        out.push_str("<p>None.</p>\n");
    }
    for (number, (section, finding)) in all_findings(report).enumerate() {
        finding_details(out, number + 1, section, finding);
    }
}

fn finding_details(out: &mut String, number: usize, section: &str, f: &Finding) {
    let print = fingerprint(f);
    let label = match section {
        "known" => "known, not failing: ",
        "flaky" => "flaky: ",
        _ => "",
    };
    let _ = writeln!(
        out,
        "<details class=\"finding {section}\" id=\"finding-{number}\" data-check=\"{}\" data-fingerprint=\"{}\">\
         <summary>{number}. {label}[{}] {} — {} (×{})</summary>",
        f.check,
        escape(&print),
        f.check,
        escape(&f.case),
        escape(&f.cause),
        f.count
    );
    let _ = writeln!(
        out,
        "<p>{}</p><p class=\"muted\">plan id <code>{}</code> · reason <code>{}</code> · fingerprint <code>{}</code></p>",
        escape(&f.message),
        escape(&f.plan_id),
        escape(&f.reason),
        escape(&print)
    );
    if let Some(diff) = &f.diff {
        let _ = writeln!(
            out,
            "<h4>Diff</h4><pre class=\"diff\">{}</pre>",
            escape(diff)
        );
    }
    if !f.request.method.is_empty() {
        let mut request = format!("{} {}\n", f.request.method, f.request.url);
        for (name, value) in &f.request.headers {
            let _ = writeln!(request, "{name}: {value}");
        }
        if !f.request.body.is_empty() {
            let _ = write!(request, "\n{}", f.request.body);
        }
        let _ = writeln!(
            out,
            "<h4>Request</h4><pre class=\"request\">{}</pre>",
            escape(&request)
        );
    }
    if let Some(response) = &f.response {
        let mut text = format!("{} ({} ms)\n", response.status, response.elapsed_ms);
        for (name, value) in &response.headers {
            let _ = writeln!(text, "{name}: {value}");
        }
        if !response.body.is_empty() {
            let cut = if response.body_truncated {
                "\n… (cut)"
            } else {
                ""
            };
            let _ = write!(text, "\n{}{cut}", response.body);
        }
        let _ = writeln!(
            out,
            "<h4>Response</h4><pre class=\"response\">{}</pre>",
            escape(&text)
        );
    }
    if !f.curl.is_empty() {
        let _ = writeln!(
            out,
            "<h4>Reproduce</h4><pre class=\"curl\">{}</pre>",
            escape(&f.curl)
        );
    }
    out.push_str("</details>\n");
}

/// `text` as HTML text or an attribute value: the five characters that could end either.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{ResponseRecord, SentRequest, Summary};

    fn hostile_finding() -> Finding {
        Finding {
            check: Check::ResponseSchema,
            case: "orders-get".to_owned(),
            plan_id: "orders-get:valid:1".to_owned(),
            plan_position: 1,
            reason: "valid".to_owned(),
            expect: crate::contract::Expect::Accept,
            cause: "/name <img src=x onerror=alert(1)>".to_owned(),
            message: "the body said </pre><script>alert(1)</script>".to_owned(),
            request: SentRequest {
                method: "GET".to_owned(),
                url: "http://127.0.0.1:1/v1/orders/1?q=\"'&".to_owned(),
                headers: vec![(
                    "authorization".to_owned(),
                    "Bearer ${ORDERS_TOKEN}".to_owned(),
                )],
                body: String::new(),
            },
            response: Some(ResponseRecord {
                status: 200,
                headers: vec![("x-evil".to_owned(), "<b>bold</b>".to_owned())],
                body: "<html><script>steal()</script></html>".to_owned(),
                body_truncated: false,
                elapsed_ms: 3,
            }),
            curl: "curl 'http://127.0.0.1:1/v1/orders/1'".to_owned(),
            count: 2,
            examples: Vec::new(),
            example_positions: Vec::new(),
            shrunk: None,
            severity: None,
            diff: None,
            operations: Vec::new(),
        }
    }

    #[test]
    fn a_hostile_servers_bytes_are_text_on_the_page_never_markup() {
        let summary = Summary {
            base_url: "http://127.0.0.1:1/v1".to_owned(),
            seed: 0,
            examples: 0,
            shard: None,
            planned: 1,
            requests: 1,
            elapsed_s: 0.1,
            requests_per_s: 10.0,
            findings_by_check: BTreeMap::new(),
            finding_groups: 1,
            statuses: BTreeMap::new(),
            coverage: Vec::new(),
            capped: false,
            stopped_early: false,
            incomplete: None,
            drift: Vec::new(),
            drift_fail_on: None,
            warnings: Default::default(),
        };
        let report = RunReport::new(summary, vec![hostile_finding()]);
        let html = render(&report);
        let dom = tl::parse(&html, tl::ParserOptions::default()).expect("it parses");
        let parser = dom.parser();
        for tag in ["script", "img", "b"] {
            assert_eq!(
                dom.query_selector(tag).expect("a selector").count(),
                0,
                "a <{tag}> element came from a server's bytes"
            );
        }
        let response = dom
            .query_selector("pre.response")
            .and_then(|mut q| q.next())
            .and_then(|h| h.get(parser))
            .expect("the response excerpt");
        let text = response.inner_text(parser);
        assert!(text.contains("&lt;script&gt;steal()"), "{text}");
        assert!(!html.contains("<script"), "no script anywhere");
    }
}
