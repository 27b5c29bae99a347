//! Undocumented methods, probed after the plan: for each path of the run, each of GET, PUT,
//! POST, DELETE and PATCH that no route of the document serves there is sent once, as the
//! path's first valid request (its ids, the right key) with that method and no body.
//! `check::methods` judges the answer (405 with the documented methods in `Allow`, or
//! 404/501). HEAD and OPTIONS are never sent: frameworks serve them on their own.

use super::probe::{self, Probe, Probed};
use super::shared::Shared;
use crate::check::methods::{undocumented_method, Documented, PROBED};
use crate::check::{Cause, Check, Outcome, Violation};
use crate::generate::Family;
use http::Method;

/// The reason family of these probes (`--families method-not-allowed` runs only these).
pub(super) const FAMILY: Family = Family::MethodNotAllowed;

/// Where these findings sort: after the plan and the lifecycle sequences.
const PROBE_POSITION: u64 = u64::MAX / 4 * 3;

/// The findings of every probe of an undocumented method.
pub(super) async fn method_findings(shared: &Shared) -> Probed {
    let mut findings = Vec::new();
    let mut sent = Vec::new();
    let mut position = PROBE_POSITION;
    for (path, index) in paths(shared) {
        let own: Vec<Method> = shared
            .operations
            .iter()
            .filter(|o| o.path == path)
            .map(|o| o.method.clone())
            .collect();
        let Some(planned) = probe::first_valid(shared, index) else {
            continue;
        };
        let operation = &shared.operations[index];
        for method in PROBED.iter().filter(|m| !own.contains(m)) {
            let mut changed = (**operation).clone();
            changed.method = method.clone();
            let planned = probe::without_body(operation, planned.clone());
            let planned = probe::labelled(planned, FAMILY, method.to_string());
            let probe = probe::prepare(shared, &changed, planned);
            let Some(fitting) = fitting_methods(shared, &probe) else {
                continue;
            };
            if fitting.contains(method) {
                continue;
            }
            let documented = Documented {
                own: own.clone(),
                fitting,
            };
            let Some(outcome) = probe::send(shared, &probe).await else {
                return Probed {
                    findings: probe::grouped(findings),
                    sent,
                };
            };
            sent.push(probe.planned.case.to_string());
            position += 1;
            if let Some(violation) = judge(method, &documented, &outcome) {
                findings.push(probe::finding(
                    shared, &probe, &outcome, violation, position,
                ));
            }
        }
    }
    Probed {
        findings: probe::grouped(findings),
        sent,
    }
}

/// The run's paths in operation order, each with the operation whose valid request
/// probes it: its GET when it has one (no body to leave out), else its first.
fn paths(shared: &Shared) -> Vec<(String, usize)> {
    let mut paths: Vec<(String, usize)> = Vec::new();
    for (index, operation) in shared.operations.iter().enumerate() {
        match paths.iter_mut().find(|(path, _)| *path == operation.path) {
            Some(entry) if operation.method == Method::GET => entry.1 = index,
            Some(_) => {}
            None => paths.push((operation.path.clone(), index)),
        }
    }
    paths
}

/// The methods served where `probe` goes: every route of the run and of the rest of the
/// document whose template the requested path fits. `None` when the URL is not under the
/// base URL (a request the wire could not encode).
fn fitting_methods(shared: &Shared, probe: &Probe) -> Option<Vec<Method>> {
    let sent = probe.endpoint.record(&probe.planned, &probe.outgoing);
    let url = url::Url::parse(&sent.url).ok()?;
    let base = shared.config.base_url.path().trim_end_matches('/');
    let relative = url.path().strip_prefix(base)?.to_owned();
    let run = shared
        .operations
        .iter()
        .map(|o| (&o.method, o.path.as_str()));
    let others = shared
        .config
        .settings
        .other_routes
        .iter()
        .map(|(m, p)| (m, p.as_str()));
    let mut methods: Vec<Method> = Vec::new();
    for (method, template) in run.chain(others) {
        if fits(template, &relative) && !methods.contains(method) {
            methods.push(method.clone());
        }
    }
    Some(methods)
}

/// Whether `path` (as sent) fits `template`, segment by segment; a segment with a
/// `{parameter}` fits any non-empty segment with the same literal text around it.
fn fits(template: &str, path: &str) -> bool {
    let template: Vec<&str> = template.trim_end_matches('/').split('/').collect();
    let path: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    template.len() == path.len()
        && template.iter().zip(&path).all(|(t, p)| match t.find('{') {
            None => t == p,
            Some(open) => {
                let close = t.rfind('}').map_or(t.len(), |c| c + 1);
                let (prefix, suffix) = (&t[..open], &t[close..]);
                p.len() > prefix.len() + suffix.len()
                    && p.starts_with(prefix)
                    && p.ends_with(suffix)
            }
        })
}

fn judge(method: &Method, documented: &Documented, outcome: &Outcome) -> Option<Violation> {
    match outcome {
        Outcome::Response(response) => undocumented_method(method, documented, response),
        Outcome::Transport(failure) => Some(Violation {
            check: Check::MethodNotAllowed,
            cause: Cause::TransportOnUndocumentedMethod(failure.kind()),
            message: format!("{method} is not documented for this path, and {failure}"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::fits;

    #[test]
    fn a_path_fits_the_templates_a_router_would_try() {
        assert!(fits("/orders/{id}", "/orders/7"));
        assert!(fits("/orders/{id}/", "/orders/7"));
        assert!(fits("/orders/export", "/orders/export"));
        assert!(fits("/orders/{id}", "/orders/export"));
        assert!(fits("/files/{name}.json", "/files/a.json"));
        assert!(!fits("/files/{name}.json", "/files/.json"));
        assert!(!fits("/orders/{id}", "/orders"));
        assert!(!fits("/orders/{id}", "/orders/7/items"));
        assert!(!fits("/orders", "/order"));
    }
}
