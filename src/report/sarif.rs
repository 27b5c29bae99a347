//! SARIF 2.1.0, the format GitHub code scanning and other code-review tools read: one result
//! per grouped finding, rules named after the checks (with their descriptions), locations at
//! the case file and the line of its operation, and the known-failures fingerprint as the
//! result's partial fingerprint, so a scanner tracks a finding across runs as the gate does.
//! Known findings are results with an accepted suppression; flaky ones are warnings.

use super::RunReport;
use crate::check::{Check, Finding};
use crate::drift::Severity;
use serde_json::{json, Value};

/// The key of the fingerprint in `partialFingerprints`.
pub const FINGERPRINT_KEY: &str = "specgateFingerprint/v1";

/// The SARIF 2.1.0 log of `report`, as pretty JSON.
pub fn render(report: &RunReport) -> String {
    let mut results: Vec<Value> = Vec::new();
    for finding in &report.findings {
        results.push(result(report, finding, level(finding)));
    }
    for finding in &report.flaky {
        let level = if report.strict { "error" } else { "warning" };
        let mut flaky = result(report, finding, level);
        flaky["message"]["text"] = Value::String(format!(
            "flaky (not reproduced when sent again): {}",
            message_text(finding)
        ));
        results.push(flaky);
    }
    if let Some(known) = &report.known {
        for k in &known.known {
            let mut accepted = result(report, &k.finding, level(&k.finding));
            let e = &k.entry;
            accepted["suppressions"] = json!([{
                "kind": "external",
                "status": "accepted",
                "justification": format!("{} (owner {}, {}, until {})", e.reason, e.owner, e.link, e.expires),
                "location": {
                    "physicalLocation": {
                        "artifactLocation": { "uri": known.file.replace('\\', "/") },
                        "region": { "startLine": e.line }
                    }
                }
            }]);
            results.push(accepted);
        }
    }
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": driver() },
            "automationDetails": { "id": format!("specgate/{}", report.summary.base_url) },
            "results": results,
        }]
    });
    serde_json::to_string_pretty(&log).unwrap_or_default() + "\n"
}

/// The tool and one rule per check, in [`Check::ALL`] order (rule index = position).
fn driver() -> Value {
    let rules: Vec<Value> = Check::ALL
        .iter()
        .map(|check| {
            json!({
                "id": check.name(),
                "name": rule_name(*check),
                "shortDescription": { "text": check.description() },
                "fullDescription": { "text": format!("specgate check `{}`: {}.", check.name(), check.description()) },
                "defaultConfiguration": { "level": if *check == Check::Drift { "warning" } else { "error" } },
            })
        })
        .collect();
    json!({
        "name": "specgate",
        "version": env!("CARGO_PKG_VERSION"),
        "rules": rules,
    })
}

/// `server-error` -> `ServerError`, as SARIF rule names are written.
fn rule_name(check: Check) -> String {
    check
        .name()
        .split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

/// Drift below `breaking` is a warning (`fixed` and `info` a note); every other check an error.
fn level(finding: &Finding) -> &'static str {
    match finding.severity {
        Some(Severity::Breaking) | None => "error",
        Some(Severity::Warning) => "warning",
        Some(Severity::Info) | Some(Severity::Fixed) => "note",
    }
}

fn message_text(finding: &Finding) -> String {
    let mut text = format!(
        "{} — {} ({}), ×{}.",
        finding.check, finding.message, finding.cause, finding.count
    );
    if !finding.plan_id.is_empty() {
        text.push_str(&format!(" Plan id {}.", finding.plan_id));
    }
    match &finding.diff {
        Some(diff) => text.push_str(&format!("\n{diff}")),
        None if !finding.curl.is_empty() => {
            text.push_str(&format!("\nReproduce: {}", finding.curl))
        }
        None => {}
    }
    text
}

fn result(report: &RunReport, finding: &Finding, level: &str) -> Value {
    let rule_index = Check::ALL
        .iter()
        .position(|c| *c == finding.check)
        .unwrap_or_default();
    let mut result = json!({
        "ruleId": finding.check.name(),
        "ruleIndex": rule_index,
        "level": level,
        "message": { "text": message_text(finding) },
        "partialFingerprints": { FINGERPRINT_KEY: crate::known::fingerprint(finding) },
        "properties": {
            "case": finding.case,
            "cause": finding.cause,
            "count": finding.count,
            "planId": finding.plan_id,
        },
    });
    let mut logical = Vec::new();
    // A cause several operations share points at each of them.
    let sources: Vec<&super::CaseSource> = super::cases_of(finding)
        .into_iter()
        .filter_map(|case| report.source_of(case))
        .collect();
    if let Some(source) = sources.first() {
        let locations: Vec<Value> = sources
            .iter()
            .map(|source| {
                json!({
                    "physicalLocation": {
                        "artifactLocation": { "uri": source.file },
                        "region": { "startLine": source.line }
                    },
                    "message": { "text": format!("operation of case {}", source.case) }
                })
            })
            .collect();
        result["locations"] = Value::Array(locations);
        if let Some(pointer) = &source.pointer {
            // A document on one line has no line to point at: the pointer still says where.
            logical.push(json!({
                "name": source.case,
                "kind": "object",
                "fullyQualifiedName": pointer,
            }));
        }
    }
    if let Some(pointer) = schema_pointer(finding) {
        // Where in the response body the schema broke, for tools that group by member.
        logical.push(json!({
            "name": pointer,
            "kind": "member",
            "fullyQualifiedName": format!("{} response {pointer}", finding.case),
        }));
    }
    if !logical.is_empty() && result.get("locations").is_some() {
        result["locations"][0]["logicalLocations"] = Value::Array(logical);
    }
    result
}

/// The JSON pointer a `response-schema` finding's cause starts with (`/status enum`).
fn schema_pointer(finding: &Finding) -> Option<&str> {
    (finding.check == Check::ResponseSchema)
        .then(|| finding.cause.split(' ').next())
        .flatten()
        .filter(|p| p.starts_with('/'))
}
