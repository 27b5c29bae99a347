//! The worker loop: a thread per core, each with its own runtime, client and [`Tally`], and
//! on each thread a few workers that send one request at a time and do their CPU work while
//! it is on the wire.

use super::client::{self, HttpClient};
use super::direct::{DirectClient, DirectClients};
use super::shared::{Built, Shared, Tally};
use super::RunError;
use crate::check::Outcome;
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Thread per core: each OS thread runs its share of the workers on its own single-threaded
/// runtime with its own client, so requests never hop between threads. On a 2-core machine
/// shared with the target this spends less CPU per request than one multi-threaded runtime,
/// whose cross-thread wake-ups cost more than they bring.
///
/// A thread that cannot start its runtime leaves its share of the plan to the others; when
/// none can, the run fails rather than report zero requests as conformance.
pub(super) async fn run_workers(shared: &Arc<Shared>) -> Result<Tally, RunError> {
    let concurrency = shared.config.settings.client.concurrency.max(1);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = cores.min(concurrency);
    let mut joins = Vec::with_capacity(threads);
    for thread in 0..threads {
        let workers = concurrency / threads + usize::from(thread < concurrency % threads);
        let shared = shared.clone();
        // Joining on the blocking pool keeps the caller's runtime free: an in-process sandbox
        // is served there.
        joins.push(tokio::task::spawn_blocking(move || {
            worker_thread(shared, workers)
        }));
    }
    let mut total = None::<Tally>;
    let mut failure = String::new();
    for join in joins {
        match join
            .await
            .map_err(|e| e.to_string())
            .and_then(|tally| tally)
        {
            Ok(tally) => match total.as_mut() {
                Some(total) => total.merge(tally),
                None => total = Some(tally),
            },
            Err(e) => failure = e,
        }
    }
    total.ok_or(RunError::Workers(failure))
}

/// One thread's share of the workers, on its own runtime and client; `Err` when the thread
/// cannot start a runtime.
fn worker_thread(shared: Arc<Shared>, workers: usize) -> Result<Tally, String> {
    // `Err`: no file descriptors left for the runtime's driver.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let client = thread_client(&shared);
    let local = tokio::task::LocalSet::new();
    Ok(local.block_on(&runtime, workers_on(shared, client, workers)))
}

/// The run's clients with a pool of this thread's own.
fn thread_client(shared: &Shared) -> HttpClient {
    let (base, options) = (&shared.config.base_url, &shared.config.settings.client);
    if let Some(direct) = &shared.client.direct {
        return HttpClient {
            direct: Some(DirectClients {
                pooled: DirectClient::new(base, options.timeout, options.concurrency),
                fresh: direct.fresh.clone(),
            }),
            ..shared.client.clone()
        };
    }
    match client::build_client(base, options) {
        Ok(pooled) => HttpClient {
            pooled,
            ..shared.client.clone()
        },
        // Could not build a client of our own: share the run's.
        Err(_) => shared.client.clone(),
    }
}

/// A thread's workers, on one `LocalSet`: they share one tally without locks, so there is
/// one set of accumulators per thread to merge, not one per worker.
async fn workers_on(shared: Arc<Shared>, client: HttpClient, workers: usize) -> Tally {
    let tally = Rc::new(RefCell::new(shared.blank.clone()));
    let tasks: Vec<_> = (0..workers)
        .map(|_| tokio::task::spawn_local(worker(shared.clone(), client.clone(), tally.clone())))
        .collect();
    for task in tasks {
        let _ = task.await;
    }
    Rc::try_unwrap(tally).map_or_else(|_| shared.blank.clone(), RefCell::into_inner)
}

/// One worker: sends its requests one at a time, and does its CPU work (checking the last
/// exchange, building the next request) while a request is on the wire.
///
/// A thread's workers share one runtime, and a request is written only when its connection
/// task runs, after every worker already woken. Checking and building before sending made
/// each write wait for all the other workers' checks and builds, a few hundred microseconds
/// in which the target had nothing to do; now a woken worker sends at once and yields.
async fn worker(shared: Arc<Shared>, client: HttpClient, tally: Rc<RefCell<Tally>>) {
    let mut unchecked: Option<(Built, Outcome)> = None;
    let mut next = shared.build_next();
    while let Some(mut current) = next.take() {
        if shared.stop.load(Ordering::Relaxed) || shared.guard.is_halted() {
            break;
        }
        if let Some(wait) = shared.pace_delay() {
            if shared
                .guard
                .bounded(tokio::time::sleep(wait))
                .await
                .is_none()
            {
                break;
            }
        }
        let own = shared.own_resource(&client, current.operation, &current.planned);
        if let Some(outgoing) = own.await {
            current.outgoing = outgoing;
        }
        let permit = || shared.permit();
        // Boxed: the send future is kilobytes, and `join!`, `bounded` and the loop would
        // otherwise copy it whole several times per request (perf: a tenth of the run's CPU
        // in memcpy); a pointer moves instead.
        let send = Box::pin(shared.endpoints[current.operation].send(
            &client,
            &shared.config.settings.client,
            &current.planned,
            &current.outgoing,
            &permit,
        ));
        let meanwhile = async {
            // Let the connection write the request before this thread does anything else.
            tokio::task::yield_now().await;
            if let Some((built, outcome)) = unchecked.take() {
                shared.record(&mut tally.borrow_mut(), &built, &outcome);
            }
            if shared.stop.load(Ordering::Relaxed) {
                None
            } else {
                shared.build_next()
            }
        };
        // `None`: the breaker or the deadline halted the run while this was in flight.
        let both = async { tokio::join!(send, meanwhile) };
        let Some((outcome, following)) = shared.guard.bounded(both).await else {
            break;
        };
        // `None`: the request cap was reached and nothing was sent.
        let Some(outcome) = outcome else { break };
        unchecked = Some((current, outcome));
        next = following;
    }
    if let Some((built, outcome)) = unchecked {
        shared.record(&mut tally.borrow_mut(), &built, &outcome);
    }
}
