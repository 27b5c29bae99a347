//! Running a plan against a target: scheduling (concurrency, rate, request cap, sharding,
//! fail-fast), sending, checking every exchange, grouping findings, and shrinking failures
//! found by random exploration. Emits counts for progress displays; renders nothing.
//!
//! Each worker thread keeps its own accumulators (finding groups, coverage, status counts,
//! drift observations), shared by its workers without locks, and they are merged once at the
//! end, so the hot path shares nothing across threads but the plan iterator and a few
//! atomics (plus, until coverage is complete, a lock taken when a thread sees something
//! new), and memory stays flat however long the run.

mod client;
mod groups;
pub mod secret;
mod shrink;
pub mod target;

pub use client::ClientOptions;
pub use secret::ApiKey;
pub use target::{endpoint, is_loopback, parse_base_url, BaseUrlError};

use crate::check::{check_exchange, Exchange, Finding, Outcome, TransportFailure};
use crate::contract::{ContractError, Operation};
use crate::drift::Observer;
use crate::generate::{
    self, Coverage, CoverageTracker, Generator, PlanEntry, PlanOptions, PlannedRequest,
};
use client::Endpoint;
use groups::Groups;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use url::Url;

/// One of N equal parts of a plan: entry `i` belongs to shard `i % count + 1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// 1-based.
    pub index: u64,
    pub count: u64,
}

impl std::str::FromStr for Shard {
    type Err = String;
    fn from_str(text: &str) -> Result<Shard, String> {
        let bad = || format!("`{text}` is not a shard: write K/N with 1 <= K <= N, e.g. 1/2");
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let index: u64 = k.trim().parse().map_err(|_| bad())?;
        let count: u64 = n.trim().parse().map_err(|_| bad())?;
        if index == 0 || count == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    pub fn includes(self, position: u64) -> bool {
        position % self.count == self.index - 1
    }
}

/// Everything that shapes a run.
#[derive(Debug, Clone)]
pub struct RunConfig {
    pub base_url: Url,
    /// `None` only for operations without auth.
    pub key: Option<ApiKey>,
    pub plan: PlanOptions,
    pub client: ClientOptions,
    /// Requests per second across all workers.
    pub rate: Option<f64>,
    /// A hard cap on HTTP requests, retries and shrinking included.
    pub max_requests: Option<u64>,
    pub fail_fast: bool,
    pub shard: Option<Shard>,
    /// Only plan entries of these reason families (e.g. `enum-value`); `None`: all.
    pub families: Option<std::collections::BTreeSet<String>>,
}

/// Why a run could not be carried out at all.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Contract(#[from] ContractError),
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
    #[error("no worker thread could start its async runtime (out of file descriptors?): {0}")]
    Workers(String),
    #[error("the target {url} could not be reached: {reason}")]
    Unreachable { url: String, reason: String },
}

/// Live counts for progress displays.
#[derive(Debug, Default)]
pub struct Progress {
    pub total: AtomicU64,
    pub done: AtomicU64,
    pub findings: AtomicU64,
}

/// The figures of a finished run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub base_url: String,
    pub seed: u64,
    pub examples: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
    /// Plan entries carried out.
    pub planned: u64,
    /// HTTP requests sent, retries and shrinking included.
    pub requests: u64,
    pub elapsed_s: f64,
    pub requests_per_s: f64,
    /// Findings per check: a group of N identical findings counts N, and one body can break
    /// its schema in several places.
    pub findings_by_check: BTreeMap<String, u64>,
    /// Distinct findings after grouping.
    pub finding_groups: u64,
    pub statuses: BTreeMap<String, u64>,
    pub coverage: Vec<Coverage>,
    /// The request cap stopped the run before the plan was done.
    pub capped: bool,
    /// `--fail-fast` stopped the run at the first finding.
    pub stopped_early: bool,
    /// Per case: the drift snapshot and what happened to it (empty when drift was not checked).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drift: Vec<crate::drift::DriftRecord>,
    /// Drift findings at or above this severity fail the run; `None`: drift only warns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drift_fail_on: Option<crate::drift::Severity>,
}

/// What a run produced.
#[derive(Debug)]
pub struct RunResult {
    pub summary: Summary,
    pub findings: Vec<Finding>,
    /// What came back, per case, for the drift snapshot.
    pub observed: Observer,
}

/// State shared by the workers.
struct Shared {
    operations: Vec<Arc<Operation>>,
    generators: Vec<Arc<Generator>>,
    endpoints: Vec<Endpoint>,
    client: reqwest::Client,
    config: RunConfig,
    plan: Mutex<Box<dyn Iterator<Item = (u64, PlanEntry)> + Send>>,
    sent: AtomicU64,
    capped: AtomicBool,
    stop: AtomicBool,
    pace: Option<Mutex<Instant>>,
    progress: Arc<Progress>,
    /// An empty tally, cloned for each worker thread: building one walks the schemas.
    blank: Tally,
    /// What all threads' trackers have seen together: each thread adds the requests that
    /// showed it something new, a few hundred in a run.
    coverage_seen: Mutex<Vec<CoverageTracker>>,
    /// Every operation's coverage is complete: no payload needs reading any more, so
    /// trackers only count, and random valid payloads are drawn straight into bytes.
    coverage_complete: AtomicBool,
}

/// One worker thread's accumulators, shared by its workers and merged at the end.
#[derive(Clone)]
struct Tally {
    groups: Groups,
    coverage: Vec<CoverageTracker>,
    statuses: BTreeMap<u16, u64>,
    transport_connect: u64,
    responses: u64,
    observer: Observer,
}

impl Tally {
    fn new(operations: &[Arc<Operation>]) -> Tally {
        Tally {
            groups: Groups::default(),
            coverage: operations.iter().map(|o| CoverageTracker::new(o)).collect(),
            statuses: BTreeMap::new(),
            transport_connect: 0,
            responses: 0,
            observer: Observer::new(operations),
        }
    }

    fn merge(&mut self, other: Tally) {
        self.groups.merge(other.groups);
        for (mine, theirs) in self.coverage.iter_mut().zip(other.coverage) {
            mine.merge(theirs);
        }
        for (status, count) in other.statuses {
            *self.statuses.entry(status).or_default() += count;
        }
        self.transport_connect += other.transport_connect;
        self.responses += other.responses;
        self.observer.merge(other.observer);
    }
}

/// Run the plan for `operations` against `config.base_url`.
pub async fn run(
    operations: Vec<Arc<Operation>>,
    config: RunConfig,
    progress: Arc<Progress>,
) -> Result<RunResult, RunError> {
    let shared = Arc::new(prepare(operations, config, progress).await?);
    let started = Instant::now();
    let tally = run_workers(&shared).await?;
    let planned = shared.progress.done.load(Ordering::Relaxed);
    if tally.responses == 0 && tally.transport_connect > 0 {
        return Err(RunError::Unreachable {
            url: shared.config.base_url.to_string(),
            reason: "every request failed to connect".to_owned(),
        });
    }
    let mut findings = tally.groups.into_findings();
    shrink::shrink_findings(&shared, &mut findings).await;
    let findings: Vec<Finding> = findings.into_iter().map(|(finding, _)| finding).collect();
    let elapsed = started.elapsed();
    let summary = summarise(
        &shared,
        &tally.coverage,
        &tally.statuses,
        &findings,
        planned,
        elapsed,
    );
    Ok(RunResult {
        summary,
        findings,
        observed: tally.observer,
    })
}

/// Everything compiled once, before the first request: generators, client, endpoints and
/// the lazy plan (sharded and filtered, keeping global plan positions).
async fn prepare(
    operations: Vec<Arc<Operation>>,
    config: RunConfig,
    progress: Arc<Progress>,
) -> Result<Shared, RunError> {
    let generators = operations
        .iter()
        .map(|o| Generator::new(o.clone()).map(Arc::new))
        .collect::<Result<Vec<_>, _>>()?;
    preflight(&config.base_url, config.client.timeout).await?;
    let client = client::build_client(&config.base_url, &config.client)
        .map_err(|e| RunError::Client(e.to_string()))?;
    let endpoints = operations
        .iter()
        .map(|o| Endpoint::new(o, endpoint(&config.base_url, &o.path), config.key.as_ref()))
        .collect();
    progress
        .total
        .store(planned_total(&generators, &config), Ordering::Relaxed);
    let (shard, families) = (config.shard, config.families.clone());
    let entries = generate::plan_entries(generators.clone(), config.plan)
        .enumerate()
        .map(|(i, entry)| (i as u64, entry))
        .filter(move |(i, _)| shard.is_none_or(|s| s.includes(*i)))
        .filter(move |(_, entry)| families.as_ref().is_none_or(|f| f.contains(entry.family())));
    let blank = Tally::new(&operations);
    Ok(Shared {
        coverage_complete: AtomicBool::new(blank.coverage.iter().all(CoverageTracker::is_complete)),
        coverage_seen: Mutex::new(blank.coverage.clone()),
        blank,
        pace: config.rate.map(|_| Mutex::new(Instant::now())),
        operations,
        generators,
        endpoints,
        client,
        plan: Mutex::new(Box::new(entries)),
        sent: AtomicU64::new(0),
        capped: AtomicBool::new(false),
        stop: AtomicBool::new(false),
        progress,
        config,
    })
}

/// Fail early, with exit code 3, when nothing listens at the target.
async fn preflight(base: &Url, timeout: Duration) -> Result<(), RunError> {
    let unreachable = |reason: String| RunError::Unreachable {
        url: base.to_string(),
        reason,
    };
    let host = base
        .host_str()
        .ok_or_else(|| unreachable("the URL has no host".to_owned()))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let port = base.port_or_known_default().unwrap_or(443);
    let connect = tokio::net::TcpStream::connect((host, port));
    match tokio::time::timeout(timeout, connect).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(unreachable(e.to_string())),
        Err(_) => Err(unreachable(format!(
            "no TCP connection within {} ms",
            timeout.as_millis()
        ))),
    }
}

fn planned_total(generators: &[Arc<Generator>], config: &RunConfig) -> u64 {
    let coverage: u64 = generators.iter().map(|g| g.coverage_len() as u64).sum();
    let all = coverage + 2 * config.plan.examples * generators.len() as u64;
    let sharded = match config.shard {
        Some(s) => all / s.count + u64::from(all % s.count >= s.index),
        None => all,
    };
    config.max_requests.map_or(sharded, |cap| cap.min(sharded))
}

/// Thread per core: each OS thread runs its share of the workers on its own single-threaded
/// runtime with its own client, so requests never hop between threads. On a 2-core machine
/// shared with the target this spends less CPU per request than one multi-threaded runtime,
/// whose cross-thread wake-ups cost more than they bring.
///
/// A thread that cannot start its runtime leaves its share of the plan to the others; when
/// none can, the run fails rather than report zero requests as conformance.
async fn run_workers(shared: &Arc<Shared>) -> Result<Tally, RunError> {
    let concurrency = shared.config.client.concurrency.max(1);
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
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build();
    let client = client::build_client(&shared.config.base_url, &shared.config.client);
    let (runtime, client) = match (runtime, client) {
        (Ok(runtime), Ok(client)) => (runtime, client),
        // Could not build a client of our own: share the run's.
        (Ok(runtime), Err(_)) => (runtime, shared.client.clone()),
        // No runtime (no file descriptors left for its driver).
        (Err(e), _) => return Err(e.to_string()),
    };
    let local = tokio::task::LocalSet::new();
    Ok(local.block_on(&runtime, workers_on(shared, client, workers)))
}

/// A thread's workers, on one `LocalSet`: they share one tally without locks, so there is
/// one set of accumulators per thread to merge, not one per worker.
async fn workers_on(shared: Arc<Shared>, client: reqwest::Client, workers: usize) -> Tally {
    let tally = Rc::new(RefCell::new(shared.blank.clone()));
    let tasks: Vec<_> = (0..workers)
        .map(|_| tokio::task::spawn_local(worker(shared.clone(), client.clone(), tally.clone())))
        .collect();
    for task in tasks {
        let _ = task.await;
    }
    Rc::try_unwrap(tally).map_or_else(|_| shared.blank.clone(), RefCell::into_inner)
}

/// A plan entry built and serialised, ready to send.
struct Built {
    position: u64,
    operation: usize,
    planned: PlannedRequest,
    body: bytes::Bytes,
}

/// One worker: sends its requests one at a time, and does its CPU work (checking the last
/// exchange, building the next request) while a request is on the wire.
///
/// A thread's workers share one runtime, and a request is written only when its connection
/// task runs, after every worker already woken. Checking and building before sending made
/// each write wait for all the other workers' checks and builds, a few hundred microseconds
/// in which the target had nothing to do; now a woken worker sends at once and yields.
async fn worker(shared: Arc<Shared>, client: reqwest::Client, tally: Rc<RefCell<Tally>>) {
    let mut unchecked: Option<(Built, Outcome)> = None;
    let mut next = shared.build_next();
    while let Some(current) = next.take() {
        if shared.stop.load(Ordering::Relaxed) {
            break;
        }
        if let Some(wait) = shared.pace_delay() {
            tokio::time::sleep(wait).await;
        }
        let permit = || shared.permit();
        let send = shared.endpoints[current.operation].send(
            &client,
            &shared.config.client,
            &current.planned,
            current.body.clone(),
            &permit,
        );
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
        let (outcome, following) = tokio::join!(send, meanwhile);
        // `None`: the request cap was reached and nothing was sent.
        let Some(outcome) = outcome else { break };
        unchecked = Some((current, outcome));
        next = following;
    }
    if let Some((built, outcome)) = unchecked {
        shared.record(&mut tally.borrow_mut(), &built, &outcome);
    }
}

impl Shared {
    /// The next plan entry, built and serialised; `None` when the plan is done. Only taking
    /// the entry holds the lock: a random payload is built outside it.
    fn build_next(&self) -> Option<Built> {
        loop {
            let next = self.plan.lock().ok()?.next();
            let (position, entry) = next?;
            let planned = if self.coverage_complete.load(Ordering::Relaxed) {
                entry.build_to_send()
            } else {
                entry.build()
            };
            let Some(operation) = self.operation_index(&planned) else {
                continue;
            };
            let body = planned.body.wire();
            return Some(Built {
                position,
                operation,
                planned,
                body,
            });
        }
    }

    fn operation_index(&self, planned: &PlannedRequest) -> Option<usize> {
        self.operations
            .iter()
            .position(|o| *o.name == *planned.case)
    }

    /// Whether one more HTTP request may be sent under `--max-requests`.
    fn permit(&self) -> bool {
        let sent = self.sent.fetch_add(1, Ordering::Relaxed);
        let allowed = self.config.max_requests.is_none_or(|cap| sent < cap);
        if !allowed {
            self.capped.store(true, Ordering::Relaxed);
            self.sent.fetch_sub(1, Ordering::Relaxed);
        }
        allowed
    }

    /// How long to wait for this request's slot under `--rate`.
    fn pace_delay(&self) -> Option<Duration> {
        let rate = self.config.rate?;
        let mut next = self.pace.as_ref()?.lock().ok()?;
        let now = Instant::now();
        let slot = (*next).max(now);
        *next = slot + Duration::from_secs_f64(1.0 / rate);
        Some(slot - now)
    }

    /// Count `planned` in this thread's tracker; what is new to it is shared with the run's
    /// union, which says when coverage is complete for everyone.
    fn observe_coverage(
        &self,
        tracker: &mut CoverageTracker,
        index: usize,
        planned: &PlannedRequest,
    ) {
        if self.coverage_complete.load(Ordering::Relaxed) {
            tracker.count(planned);
            return;
        }
        if !tracker.observe(planned) {
            return;
        }
        let Ok(mut seen) = self.coverage_seen.lock() else {
            return;
        };
        seen[index].observe_payload(planned);
        if seen.iter().all(CoverageTracker::is_complete) {
            self.coverage_complete.store(true, Ordering::Relaxed);
        }
    }

    /// Count and check one exchange: coverage, statuses, drift observations, findings.
    fn record(&self, tally: &mut Tally, built: &Built, outcome: &Outcome) {
        let (index, position, planned, body) =
            (built.operation, built.position, &built.planned, &built.body);
        self.observe_coverage(&mut tally.coverage[index], index, planned);
        self.progress.done.fetch_add(1, Ordering::Relaxed);
        match outcome {
            Outcome::Response(response) => {
                tally.responses += 1;
                *tally.statuses.entry(response.status).or_default() += 1;
            }
            Outcome::Transport(TransportFailure::Connect(_)) => tally.transport_connect += 1,
            Outcome::Transport(_) => {}
        }
        let operation = &self.operations[index];
        tally.observer.observe(index, planned, outcome);
        let exchange = Exchange {
            operation,
            planned,
            outcome,
        };
        let violations = check_exchange(&exchange);
        if violations.is_empty() {
            return;
        }
        self.progress
            .findings
            .fetch_add(violations.len() as u64, Ordering::Relaxed);
        if self.config.fail_fast {
            self.stop.store(true, Ordering::Relaxed);
        }
        let context = groups::Context {
            endpoint: &self.endpoints[index],
            key: self.config.key.as_ref(),
            position,
            planned,
            body,
            outcome,
        };
        for violation in violations {
            tally.groups.add(&context, violation);
        }
    }
}

fn summarise(
    shared: &Shared,
    coverage: &[CoverageTracker],
    statuses: &BTreeMap<u16, u64>,
    findings: &[Finding],
    planned: u64,
    elapsed: Duration,
) -> Summary {
    let requests = shared.sent.load(Ordering::Relaxed);
    let mut findings_by_check = BTreeMap::new();
    for finding in findings {
        *findings_by_check
            .entry(finding.check.name().to_owned())
            .or_default() += finding.count;
    }
    let elapsed_s = elapsed.as_secs_f64();
    Summary {
        base_url: shared.config.base_url.to_string(),
        seed: shared.config.plan.seed,
        examples: shared.config.plan.examples,
        shard: shared.config.shard.map(|s| s.to_string()),
        planned,
        requests,
        elapsed_s,
        requests_per_s: if elapsed_s > 0.0 {
            requests as f64 / elapsed_s
        } else {
            0.0
        },
        findings_by_check,
        finding_groups: findings.len() as u64,
        statuses: statuses.iter().map(|(s, n)| (s.to_string(), *n)).collect(),
        coverage: coverage.iter().map(CoverageTracker::coverage).collect(),
        capped: shared.capped.load(Ordering::Relaxed),
        stopped_early: shared.config.fail_fast && shared.stop.load(Ordering::Relaxed),
        drift: Vec::new(),
        drift_fail_on: None,
    }
}
