//! Confirming findings: each group's representative is sent once more (inside the run's
//! request cap). One that does not fail the same way again (same check, same cause) is
//! `flaky`: reported apart, failing the run only under `--strict`. When the cap leaves no
//! request for it, a finding stays confirmed: nothing says it is flaky. The re-sends keep
//! the run's concurrency and rate.

use super::groups::{GroupCause, Representative};
use super::shared::Shared;
use crate::check::{check_exchange, Exchange};
use crate::generate::Origin;
use crate::results::Finding;
use std::sync::Arc;
use tokio::sync::Semaphore;

/// The confirmed findings (with their origins, for shrinking) and the flaky ones.
pub(super) async fn confirm_findings(
    shared: &Arc<Shared>,
    representatives: Vec<Representative>,
) -> (Vec<(Finding, Origin)>, Vec<Finding>) {
    // No more requests in flight than the run itself allowed, at the run's rate.
    let slots = Arc::new(Semaphore::new(
        shared.config.settings.client.concurrency.max(1),
    ));
    let jobs: Vec<_> = representatives
        .into_iter()
        .map(|r| {
            let (shared, slots) = (shared.clone(), slots.clone());
            tokio::spawn(async move {
                let _slot = slots.acquire_owned().await;
                // `--deadline` bounds confirming too; a finding it cuts short stays confirmed.
                let again = shared.guard.bounded(async {
                    if let Some(wait) = shared.pace_delay() {
                        tokio::time::sleep(wait).await;
                    }
                    fails_again(&shared, &r).await
                });
                let again = again.await.unwrap_or(true);
                (r, again)
            })
        })
        .collect();
    let mut confirmed = Vec::new();
    let mut flaky = Vec::new();
    for job in jobs {
        match job.await {
            Ok((r, false)) => flaky.push(r.finding),
            Ok((r, true)) => confirmed.push((r.finding, r.origin)),
            Err(_) => {}
        }
    }
    (confirmed, flaky)
}

/// Whether `r`'s request fails the same way when sent again (`true` when it cannot be sent).
async fn fails_again(shared: &Shared, r: &Representative) -> bool {
    let Some(index) = shared
        .operations
        .iter()
        .position(|o| o.name == r.finding.case)
    else {
        return true;
    };
    // A request that consumed a resource of its own gets another: its first one is gone.
    let own = shared.own_resource(&shared.client, index, &r.planned);
    let outgoing = own.await.unwrap_or_else(|| r.outgoing.clone());
    let permit = || shared.permit();
    // On a fresh connection: a re-send must not meet a connection the server has dropped.
    let client = shared.client.fresh_only();
    let send = shared.endpoints[index].send(
        &client,
        &shared.config.settings.client,
        &r.planned,
        &outgoing,
        &permit,
    );
    let Some(outcome) = send.await else {
        return true;
    };
    let exchange = Exchange {
        operation: &shared.operations[index],
        planned: &r.planned,
        outcome: &outcome,
    };
    check_exchange(&exchange).into_iter().any(|v| {
        let cause = GroupCause::of(&v, &r.planned, shared.config.key.as_ref());
        v.check == r.finding.check && cause.is_shown_as(&r.finding.cause)
    })
}
