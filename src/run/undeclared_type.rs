//! Undeclared request media types, probed after the plan: each operation whose valid
//! requests carry a JSON body is sent its first valid request once more, the same bytes
//! declared `Content-Type: text/plain`, a type it does not declare.
//! `check::undeclared_type` judges the answer (415 or the documented invalid status).

use super::probe::{self, Probed};
use super::shared::Shared;
use crate::check::undeclared_type::{undeclared_content_type, UNDECLARED};
use crate::check::{Cause, Check, Outcome, Violation};
use crate::contract::wire::Media;
use crate::contract::Operation;
use crate::generate::Family;

/// The reason family of these probes (`--families undeclared-content-type` runs only these).
pub(super) const FAMILY: Family = Family::UndeclaredContentType;

/// Where these findings sort: after the undocumented methods' probes.
const PROBE_POSITION: u64 = u64::MAX / 8 * 7;

/// The findings of the probe of every JSON operation with an undeclared `Content-Type`.
pub(super) async fn undeclared_type_findings(shared: &Shared) -> Probed {
    let mut probed = Probed::default();
    let mut position = PROBE_POSITION;
    for (index, operation) in shared.operations.iter().enumerate() {
        let Some(planned) = probe::first_valid(shared, index) else {
            continue;
        };
        let planned = probe::labelled(planned, FAMILY, UNDECLARED.to_owned());
        let probe = probe::prepare(shared, operation, planned);
        let declared = probe.endpoint.body_content_type(&probe.outgoing);
        if declared.is_none_or(|d| Media::of(&d) != Media::Json) {
            continue;
        }
        let probe = probe.declared_as(UNDECLARED);
        let Some(outcome) = probe::send(shared, &probe).await else {
            break;
        };
        probed.sent.push(probe.planned.case.to_string());
        position += 1;
        if let Some(violation) = judge(operation, &outcome) {
            let finding = probe::finding(shared, &probe, &outcome, violation, position);
            probed.findings.push(finding);
        }
    }
    probed.findings = probe::grouped(probed.findings);
    probed
}

fn judge(operation: &Operation, outcome: &Outcome) -> Option<Violation> {
    match outcome {
        Outcome::Response(response) => undeclared_content_type(operation, response),
        Outcome::Transport(failure) => Some(Violation {
            check: Check::Transport,
            cause: Cause::TransportOnUndeclaredType(failure.kind()),
            message: format!("the valid body declared `Content-Type: {UNDECLARED}`, and {failure}"),
        }),
    }
}
