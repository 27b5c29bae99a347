//! Probes: requests sent once each after the plan, outside it, each an operation's first
//! valid request changed in one way (another method, another content type). They are not
//! observed for drift and count for no coverage; what they find joins the run's findings.

use super::client::{Endpoint, Outgoing};
use super::groups::{render, Context};
use super::shared::Shared;
use crate::check::{Finding, Outcome, Violation};
use crate::contract::{Expect, Operation};
use crate::generate::{Body, Family, KeyUse, PlannedRequest, Reason};

/// A probe ready to send: the changed operation's endpoint, the request and its bytes.
pub(super) struct Probe {
    pub endpoint: Endpoint,
    pub planned: PlannedRequest,
    pub outgoing: Outgoing,
}

impl Probe {
    /// The same probe with its body declared as `content_type`.
    pub(super) fn declared_as(self, content_type: &'static str) -> Probe {
        Probe {
            endpoint: self
                .endpoint
                .declaring(http::HeaderValue::from_static(content_type)),
            outgoing: self.outgoing.declared_as(content_type),
            planned: self.planned,
        }
    }
}

/// What the probes of one family did: their findings, grouped, and the case each probe sent
/// belongs to (for the requests-by-kind counts of reports).
#[derive(Debug, Default)]
pub(super) struct Probed {
    pub findings: Vec<Finding>,
    pub sent: Vec<String>,
}

/// The first valid request (right key) of the run's operation `index`, if it has one.
pub(super) fn first_valid(shared: &Shared, index: usize) -> Option<PlannedRequest> {
    shared.generators[index]
        .coverage()
        .into_iter()
        .find(|r| r.expect == Expect::Accept && r.key == KeyUse::Valid)
}

/// `planned` without its body: an envelope loses `body`, a bare body becomes empty.
pub(super) fn without_body(operation: &Operation, mut planned: PlannedRequest) -> PlannedRequest {
    planned.body = match (operation.shape.is_some(), planned.body) {
        (false, _) => Body::Raw(String::new()),
        (true, Body::RawWith { envelope, .. }) => Body::Json(envelope),
        (true, Body::Serialized(bytes)) => {
            Body::Json(serde_json::from_slice(&bytes).unwrap_or_default())
        }
        (true, body) => body,
    };
    if let Body::Json(serde_json::Value::Object(envelope)) = &mut planned.body {
        envelope.remove("body");
    }
    planned
}

/// `planned` as a probe of `family`: its plan id and reason say what was changed.
pub(super) fn labelled(
    mut planned: PlannedRequest,
    family: Family,
    detail: String,
) -> PlannedRequest {
    planned.id = format!("{}:{family}:{detail}", planned.case);
    planned.reason = Reason { family, detail };
    // The server must refuse every probe.
    planned.expect = Expect::Reject;
    planned
}

/// A probe of `operation` (already changed) with `planned`.
pub(super) fn prepare(shared: &Shared, operation: &Operation, planned: PlannedRequest) -> Probe {
    let url = super::endpoint(&shared.config.base_url, &operation.path);
    let endpoint = Endpoint::new(operation, url, shared.config.key.as_ref())
        .with_tokens(&shared.tokens, operation);
    let outgoing = endpoint.outgoing(&planned);
    Probe {
        endpoint,
        planned,
        outgoing,
    }
}

/// Send `probe` once (within the run's request cap); `None` when the cap stopped it.
pub(super) async fn send(shared: &Shared, probe: &Probe) -> Option<Outcome> {
    let permit = || shared.permit();
    probe
        .endpoint
        .send(
            &shared.client,
            &shared.config.settings.client,
            &probe.planned,
            &probe.outgoing,
            &permit,
        )
        .await
}

/// The finding `violation` makes of `probe`'s answer, every text scrubbed of the key.
pub(super) fn finding(
    shared: &Shared,
    probe: &Probe,
    outcome: &Outcome,
    violation: Violation,
    position: u64,
) -> Finding {
    let key = shared.config.key.as_ref();
    let cause = violation.cause.to_string();
    let cause = key.map_or_else(|| cause.clone(), |k| k.scrub(&cause));
    let context = Context {
        endpoint: &probe.endpoint,
        key,
        position,
        planned: &probe.planned,
        outgoing: &probe.outgoing,
        outcome,
    };
    let mut finding = render(&context, violation.check, &violation.message, cause);
    finding.examples = vec![finding.plan_id.clone()];
    finding.example_positions = vec![position];
    finding
}

/// Probe findings grouped as the plan's are: one per check, case and cause, counting its
/// members and keeping their plan ids (at most [`super::groups::EXAMPLES_PER_GROUP`]).
pub(super) fn grouped(findings: Vec<Finding>) -> Vec<Finding> {
    let mut groups: Vec<Finding> = Vec::new();
    for finding in findings {
        match groups
            .iter_mut()
            .find(|g| g.group_key() == finding.group_key())
        {
            Some(group) => {
                group.count += 1;
                if group.examples.len() < super::groups::EXAMPLES_PER_GROUP {
                    group.examples.extend(finding.examples);
                    group.example_positions.extend(finding.example_positions);
                }
            }
            None => groups.push(finding),
        }
    }
    groups
}
