//! Shrinking: a finding whose first member came from random exploration is walked down to a
//! minimal payload that still fails the same way (same check, same cause), re-sent once more
//! to confirm, and reported in that minimal form.
//! Findings shrink concurrently, each in a task of its own.
//!
//! Transport findings (timeouts, resets) are not shrunk: the payload rarely matters to
//! them, and each attempt could wait a whole timeout. Shrinking stops when the run is halted
//! (circuit breaker, `--deadline`); a finding keeps its original payload then.

use super::client::Outgoing;
use super::groups::{self, Context};
use super::shared::Shared;
use crate::check::{check_exchange, Check, Exchange, Finding, Outcome, Shrunk};
use crate::generate::{Origin, PlannedRequest};
use std::sync::Arc;

/// Requests one shrink may spend; the run's `--max-requests` cap applies on top.
const MAX_ATTEMPTS: u32 = 500;

/// Shrink every finding whose representative is a random request, in parallel.
pub(super) async fn shrink_findings(shared: &Arc<Shared>, findings: &mut [(Finding, Origin)]) {
    let mut jobs = Vec::new();
    for (slot, (finding, origin)) in findings.iter().enumerate() {
        let Origin::Random { class, index } = *origin else {
            continue;
        };
        if finding.check == Check::Transport {
            continue;
        }
        let job = shrink_one(shared.clone(), finding.clone(), class, index);
        let shared = shared.clone();
        let bounded = async move { shared.guard.bounded(job).await.flatten() };
        jobs.push((slot, tokio::spawn(bounded)));
    }
    for (slot, job) in jobs {
        if let Ok(Some(shrunk)) = job.await {
            findings[slot].0 = shrunk;
        }
    }
}

/// A failing candidate: what was sent and what came back.
struct Failing {
    planned: PlannedRequest,
    outgoing: Outgoing,
    outcome: Outcome,
}

async fn shrink_one(
    shared: Arc<Shared>,
    original: Finding,
    class: crate::generate::RandomClass,
    index: u64,
) -> Option<Finding> {
    let operation_index = shared
        .operations
        .iter()
        .position(|o| o.name == original.case)?;
    let generator = &shared.generators[operation_index];
    let mut shrinker = generator.shrinker(shared.config.settings.plan.seed, class, index);
    let still_fails = |planned| still_fails(&shared, operation_index, &original, planned);
    let mut best: Option<Failing> = None;
    let mut attempts = 0;
    let mut more = shrinker.simplify();
    while more && attempts < MAX_ATTEMPTS {
        attempts += 1;
        match still_fails(shrinker.current()).await {
            Some(failing) => {
                best = Some(failing);
                more = shrinker.simplify();
            }
            None => more = shrinker.complicate(),
        }
    }
    let best = best?;
    attempts += 1;
    let confirmed = still_fails(best.planned.clone()).await.is_some();
    Some(minimal_finding(
        &shared,
        operation_index,
        original,
        best,
        attempts,
        confirmed,
    ))
}

/// Send `planned`; `Some` when it fails the same way as `original` (same check, same cause).
async fn still_fails(
    shared: &Shared,
    operation_index: usize,
    original: &Finding,
    planned: PlannedRequest,
) -> Option<Failing> {
    let permit = || shared.permit();
    let endpoint = &shared.endpoints[operation_index];
    let outgoing = endpoint.outgoing(&planned);
    let send = endpoint.send(
        &shared.client,
        &shared.config.settings.client,
        &planned,
        &outgoing,
        &permit,
    );
    let outcome = send.await?;
    let exchange = Exchange {
        operation: &shared.operations[operation_index],
        planned: &planned,
        outcome: &outcome,
    };
    let same = check_exchange(&exchange).into_iter().any(|v| {
        let cause = groups::GroupCause::of(&v, &planned, shared.config.key.as_ref());
        v.check == original.check && cause.is_shown_as(&original.cause)
    });
    same.then_some(Failing {
        planned,
        outgoing,
        outcome,
    })
}

fn minimal_finding(
    shared: &Shared,
    operation_index: usize,
    original: Finding,
    best: Failing,
    attempts: u32,
    confirmed: bool,
) -> Finding {
    let operation = &shared.operations[operation_index];
    let exchange = Exchange {
        operation,
        planned: &best.planned,
        outcome: &best.outcome,
    };
    // The minimal request's own message; the original's if it no longer shows the check.
    let message = check_exchange(&exchange)
        .into_iter()
        .find(|v| v.check == original.check)
        .map_or_else(|| original.message.clone(), |v| v.message);
    let context = Context {
        endpoint: &shared.endpoints[operation_index],
        key: shared.config.key.as_ref(),
        position: 0,
        planned: &best.planned,
        outgoing: &best.outgoing,
        outcome: &best.outcome,
    };
    let mut finding = groups::render(&context, original.check, &message, original.cause.clone());
    finding.plan_id = original.plan_id.clone();
    finding.count = original.count;
    finding.plan_position = original.plan_position;
    finding.examples = original.examples.clone();
    finding.example_positions = original.example_positions.clone();
    finding.shrunk = Some(Shrunk {
        from_plan_id: original.plan_id,
        attempts,
        confirmed,
        original_body: original.request.body,
    });
    finding
}
