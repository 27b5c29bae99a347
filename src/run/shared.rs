//! The state a run's workers share ([`Shared`]: compiled generators, endpoints, the lazy
//! plan, the request cap, pacing, run-wide coverage; a resource of its own for a valid
//! consuming request, made along [`Lifecycle`]'s links) and each worker thread's
//! accumulators ([`Tally`]); how one exchange is counted and checked; and the summary built
//! at the end.

use super::client::HttpClient;
use super::client::Outgoing;
use super::client::{self, Endpoint};
use super::groups::{self, Groups};
use super::halt::Guard;
use super::lifecycle::{envelope, Lifecycle, LinkedParameter};
use super::links::{produce, Target};
use super::{endpoint, ApiKey, Progress, RunConfig, RunError, Summary};
use crate::check::{check_exchange, Check, Exchange, Finding, Outcome, TransportFailure};
use crate::contract::wire::IdSource;
use crate::contract::Expect;
use crate::contract::Operation;
use crate::drift::Observer;
use crate::generate::{self, CoverageTracker, Generator, PlanEntry, PlannedRequest};
use crate::generate::{Body, KeyUse};
use crate::results::Warning;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use url::Url;

/// A plan entry built and serialised, ready to send.
pub(super) struct Built {
    pub(super) position: u64,
    pub(super) operation: usize,
    pub(super) planned: PlannedRequest,
    pub(super) outgoing: Outgoing,
}

/// State shared by the workers.
pub(super) struct Shared {
    pub(super) operations: Vec<Arc<Operation>>,
    pub(super) generators: Vec<Arc<Generator>>,
    pub(super) endpoints: Vec<Endpoint>,
    /// The run's clients (workers pool connections of their own, and share the rest).
    pub(super) client: HttpClient,
    pub(super) config: RunConfig,
    pub(super) plan: Mutex<Box<dyn Iterator<Item = (u64, PlanEntry)> + Send>>,
    pub(super) sent: AtomicU64,
    pub(super) capped: AtomicBool,
    pub(super) stop: AtomicBool,
    pub(super) pace: Option<Mutex<Instant>>,
    /// The circuit breaker and the deadline.
    pub(super) guard: Guard,
    pub(super) progress: Arc<Progress>,
    /// An empty tally, cloned for each worker thread: building one walks the schemas.
    pub(super) blank: Tally,
    /// What all threads' trackers have seen together: each thread adds the requests that
    /// showed it something new, a few hundred in a run.
    pub(super) coverage_seen: Mutex<Vec<CoverageTracker>>,
    /// Every operation's coverage is complete: no payload needs reading any more, so
    /// trackers only count, and random valid payloads are drawn straight into bytes.
    pub(super) coverage_complete: AtomicBool,
    /// The operations' links, for requests that consume a resource and lifecycle sequences.
    pub(super) lifecycle: Lifecycle,
    /// The run's OAuth2 clients, whose tokens valid requests carry.
    pub(super) tokens: Vec<Arc<super::oauth::TokenSource>>,
    /// Inferred links whose producer named no id (see `links::bind`).
    pub(super) unbound_links: Vec<Warning>,
    /// Fresh valid requests drawn for producers answered 409 (see `links::send_valid`).
    pub(super) fresh: AtomicU64,
    /// Per operation: whether a valid request of it was answered 2xx, which says a 409 to
    /// another is a conflict with the state the run made (see [`Shared::settle_conflicts`]).
    pub(super) accepted: Vec<AtomicBool>,
}

/// One worker thread's accumulators, shared by its workers and merged at the end.
#[derive(Clone)]
pub(super) struct Tally {
    pub(super) groups: Groups,
    /// `rejects-valid` for a documented 409, judged once the run is over (see
    /// [`Shared::settle_conflicts`]).
    pub(super) conflicts: Groups,
    pub(super) coverage: Vec<CoverageTracker>,
    pub(super) statuses: BTreeMap<u16, u64>,
    pub(super) transport_connect: u64,
    /// The first refused connection's reason (e.g. a certificate the client does not trust).
    pub(super) connect_error: Option<String>,
    pub(super) responses: u64,
    pub(super) observer: Observer,
}

impl Tally {
    pub(super) fn new(operations: &[Arc<Operation>]) -> Tally {
        Tally {
            groups: Groups::default(),
            conflicts: Groups::default(),
            coverage: operations.iter().map(|o| CoverageTracker::new(o)).collect(),
            statuses: BTreeMap::new(),
            transport_connect: 0,
            connect_error: None,
            responses: 0,
            observer: Observer::new(operations),
        }
    }

    pub(super) fn merge(&mut self, other: Tally) {
        self.groups.merge(other.groups);
        self.conflicts.merge(other.conflicts);
        for (mine, theirs) in self.coverage.iter_mut().zip(other.coverage) {
            mine.merge(theirs);
        }
        for (status, count) in other.statuses {
            *self.statuses.entry(status).or_default() += count;
        }
        self.transport_connect += other.transport_connect;
        self.connect_error = self.connect_error.take().or(other.connect_error);
        self.responses += other.responses;
        self.observer.merge(other.observer);
    }
}

/// Everything compiled once, before the first request: generators, client, endpoints and
/// the lazy plan (sharded and filtered, keeping global plan positions).
pub(super) async fn prepare(
    operations: Vec<Arc<Operation>>,
    config: RunConfig,
    progress: Arc<Progress>,
    guard: Guard,
) -> Result<Shared, RunError> {
    let generators = operations
        .iter()
        .map(|o| Generator::new(o.clone()).map(Arc::new))
        .collect::<Result<Vec<_>, _>>()?;
    // A key that cannot be a header value would otherwise be left out of every request.
    if let Some(problem) = config.key.as_ref().and_then(ApiKey::header_problem) {
        return Err(RunError::UnusableKey(problem));
    }
    preflight(&config.base_url, config.settings.client.timeout).await?;
    let client = client::build_clients(&config.base_url, &config.settings.client)
        .map_err(|e| RunError::Client(e.to_string()))?;
    let lifecycle = Lifecycle::new(&operations);
    let tokens = super::oauth::sources(
        &operations,
        &config.base_url,
        config.key.as_ref(),
        config.settings.client.timeout,
    );
    // A client the token endpoint refuses stops the run before the API sees a request.
    for source in &tokens {
        source.header().await?;
    }
    let fresh = AtomicU64::new(0);
    let (operations, generators, unbound_links) =
        bind_links(operations, generators, &client, &config, &tokens, &fresh).await?;
    let endpoints = operations
        .iter()
        .map(|o| {
            Endpoint::new(o, endpoint(&config.base_url, &o.path), config.key.as_ref())
                .with_tokens(&tokens, o)
        })
        .collect();
    progress
        .total
        .store(planned_total(&generators, &config), Ordering::Relaxed);
    let (shard, families) = (config.settings.shard, config.settings.families.clone());
    let entries = generate::plan_entries(generators.clone(), config.settings.plan)
        .enumerate()
        .map(|(i, entry)| (i as u64, entry))
        .filter(move |(i, _)| shard.is_none_or(|s| s.includes(*i)))
        .filter(move |(_, entry)| {
            families
                .as_ref()
                .is_none_or(|f| f.contains(entry.family().as_str()))
        });
    let blank = Tally::new(&operations);
    Ok(Shared {
        coverage_complete: AtomicBool::new(blank.coverage.iter().all(CoverageTracker::is_complete)),
        coverage_seen: Mutex::new(blank.coverage.clone()),
        blank,
        accepted: operations.iter().map(|_| AtomicBool::new(false)).collect(),
        pace: config.settings.rate.map(|_| Mutex::new(Instant::now())),
        guard,
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
        lifecycle,
        tokens,
        unbound_links,
        fresh,
    })
}

/// Linked parameters bound to what their producers return (see `links`), with the
/// generators of the operations that changed built again.
async fn bind_links(
    operations: Vec<Arc<Operation>>,
    generators: Vec<Arc<Generator>>,
    client: &HttpClient,
    config: &RunConfig,
    tokens: &[Arc<super::oauth::TokenSource>],
    fresh: &AtomicU64,
) -> Result<(Vec<Arc<Operation>>, Vec<Arc<Generator>>, Vec<Warning>), RunError> {
    if operations.iter().all(|o| o.links().is_empty()) {
        return Ok((operations, generators, Vec::new()));
    }
    let target = super::links::Target {
        client,
        options: &config.settings.client,
        base_url: &config.base_url,
        key: config.key.as_ref(),
        permit: &|| true,
        tokens,
        fresh,
    };
    let (bound, unbound) = super::links::bind(operations, &generators, &target).await?;
    let generators = bound
        .iter()
        .zip(generators)
        .map(|(operation, generator)| {
            if Arc::ptr_eq(operation, generator.operation()) {
                Ok(generator)
            } else {
                Generator::new(Arc::clone(operation)).map(Arc::new)
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((bound, generators, unbound))
}

/// Fail early, with exit code 3, when nothing listens at the target, or at the proxy the
/// environment (HTTPS_PROXY, HTTP_PROXY, NO_PROXY) routes it through, as reqwest will.
async fn preflight(base: &Url, timeout: Duration) -> Result<(), RunError> {
    let unreachable = |reason: String| RunError::Unreachable {
        url: base.to_string(),
        reason,
    };
    let proxy = proxy_for(base);
    let via = proxy.as_ref().unwrap_or(base);
    let host = via
        .host_str()
        .ok_or_else(|| unreachable("the URL has no host".to_owned()))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let port = via.port_or_known_default().unwrap_or(443);
    let through = match &proxy {
        Some(proxy) => format!(" (through the proxy {})", redact_userinfo(proxy)),
        None => String::new(),
    };
    let connect = tokio::net::TcpStream::connect((host, port));
    match tokio::time::timeout(timeout, connect).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(unreachable(format!("{e}{through}"))),
        Err(_) => Err(unreachable(format!(
            "no TCP connection within {} ms{through}",
            timeout.as_millis()
        ))),
    }
}

/// The proxy the environment routes `url` through, as reqwest resolves it.
pub(super) fn proxy_for(url: &Url) -> Option<Url> {
    let uri: http::Uri = url.as_str().parse().ok()?;
    let intercept = hyper_util::client::proxy::matcher::Matcher::from_system().intercept(&uri)?;
    Url::parse(&intercept.uri().to_string()).ok()
}

/// A proxy URL without its user and password, for messages.
fn redact_userinfo(url: &Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.to_string()
}

fn planned_total(generators: &[Arc<Generator>], config: &RunConfig) -> u64 {
    let coverage: u64 = generators.iter().map(|g| g.coverage_len() as u64).sum();
    let random = generators
        .iter()
        .map(|g| g.random_classes())
        .sum::<u64>()
        .saturating_mul(config.settings.plan.examples);
    let all = coverage.saturating_add(random);
    let sharded = match config.settings.shard {
        Some(s) => all / s.count + u64::from(all % s.count >= s.index),
        None => all,
    };
    config
        .settings
        .max_requests
        .map_or(sharded, |cap| cap.min(sharded))
}

impl Shared {
    /// The next plan entry, built and serialised; `None` when the plan is done. Only taking
    /// the entry holds the lock: a random payload is built outside it.
    pub(super) fn build_next(&self) -> Option<Built> {
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
            let outgoing = self.endpoints[operation].outgoing(&planned);
            return Some(Built {
                position,
                operation,
                planned,
                outgoing,
            });
        }
    }

    pub(super) fn operation_index(&self, planned: &PlannedRequest) -> Option<usize> {
        self.operations
            .iter()
            .position(|o| *o.name == *planned.case)
    }

    /// Whether one more HTTP request may be sent under `--max-requests`.
    pub(super) fn permit(&self) -> bool {
        let sent = self.sent.fetch_add(1, Ordering::Relaxed);
        let allowed = self
            .config
            .settings
            .max_requests
            .is_none_or(|cap| sent < cap);
        if !allowed {
            self.capped.store(true, Ordering::Relaxed);
            self.sent.fetch_sub(1, Ordering::Relaxed);
        }
        allowed
    }

    /// How long to wait for this request's slot under `--rate`.
    pub(super) fn pace_delay(&self) -> Option<Duration> {
        let rate = self.config.settings.rate?;
        let mut next = self.pace.as_ref()?.lock().ok()?;
        let now = Instant::now();
        let slot = (*next).max(now);
        // The CLI refuses rates this slow; a library caller gets a day between requests.
        let gap = Duration::try_from_secs_f64(1.0 / rate).unwrap_or(Duration::from_secs(86_400));
        *next = slot + gap;
        Some(slot - now)
    }

    /// Count `planned` in this thread's tracker; what is new to it is shared with the run's
    /// union, which says when coverage is complete for everyone.
    pub(super) fn observe_coverage(
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
    pub(super) fn record(&self, tally: &mut Tally, built: &Built, outcome: &Outcome) {
        let (index, position, planned, outgoing) = (
            built.operation,
            built.position,
            &built.planned,
            &built.outgoing,
        );
        self.observe_coverage(&mut tally.coverage[index], index, planned);
        self.progress.done.fetch_add(1, Ordering::Relaxed);
        self.guard.observe(outcome);
        match outcome {
            Outcome::Response(response) => {
                tally.responses += 1;
                if (200..300).contains(&response.status)
                    && planned.expect == Expect::Accept
                    && !self.accepted[index].load(Ordering::Relaxed)
                {
                    self.accepted[index].store(true, Ordering::Relaxed);
                }
                // A status outside 100-599 is a protocol violation (a `transport` finding),
                // not a status of the API.
                if (100..=599).contains(&response.status) {
                    *tally.statuses.entry(response.status).or_default() += 1;
                }
            }
            Outcome::Transport(TransportFailure::Connect(error)) => {
                tally.transport_connect += 1;
                if tally.connect_error.is_none() {
                    tally.connect_error = Some(error.clone());
                }
            }
            Outcome::Transport(_) => {}
        }
        let operation = &self.operations[index];
        if self.config.settings.observe {
            tally.observer.observe(index, planned, outcome);
        }
        let exchange = Exchange {
            operation,
            planned,
            outcome,
        };
        let mut violations = check_exchange(&exchange);
        if violations.is_empty() {
            return;
        }
        let conflict = match outcome {
            Outcome::Response(response) => {
                crate::check::is_conflict(operation, planned, response.status)
            }
            Outcome::Transport(_) => false,
        };
        if conflict {
            let context = self.context(index, position, planned, outgoing, outcome);
            violations.retain(|violation| {
                let pending = violation.check == Check::RejectsValid;
                if pending {
                    tally.conflicts.add(&context, violation.clone());
                }
                !pending
            });
            if violations.is_empty() {
                return;
            }
        }
        self.progress
            .findings
            .fetch_add(violations.len() as u64, Ordering::Relaxed);
        if self.config.settings.fail_fast {
            self.stop.store(true, Ordering::Relaxed);
        }
        let context = self.context(index, position, planned, outgoing, outcome);
        for violation in violations {
            tally.groups.add(&context, violation);
        }
    }

    /// What a violation of one exchange is grouped and rendered with.
    fn context<'a>(
        &'a self,
        index: usize,
        position: u64,
        planned: &'a PlannedRequest,
        outgoing: &'a Outgoing,
        outcome: &'a Outcome,
    ) -> groups::Context<'a> {
        groups::Context {
            endpoint: &self.endpoints[index],
            key: self.config.key.as_ref(),
            position,
            planned,
            outgoing,
            outcome,
        }
    }

    /// The run's groups with its pending conflicts settled. A 409 Conflict says a request
    /// conflicts with the current state of the resource, which a client cannot see: a valid
    /// create whose unique name the run already used is refused by a faithful server. So a
    /// documented 409 to a valid request conforms where the run changed that state, which it
    /// knows by the same operation having answered a valid request with 2xx (in any order:
    /// concurrent requests reach the server in an order the client does not see). An
    /// operation that answered every valid request 409 (never a 2xx) accepts nothing, and
    /// its 409s stay `rejects-valid`: a server refusing every create is not hidden.
    pub(super) fn settle_conflicts(&self, mut groups: Groups, conflicts: Groups) -> Groups {
        let changed = |case: &str| {
            self.operations
                .iter()
                .zip(&self.accepted)
                .any(|(o, accepted)| o.name == case && accepted.load(Ordering::Relaxed))
        };
        groups.merge(conflicts.without_cases(changed));
        groups
    }
}

pub(super) fn summarise(
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
        seed: shared.config.settings.plan.seed,
        examples: shared.config.settings.plan.examples,
        shard: shared.config.settings.shard.map(|s| s.to_string()),
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
        coverage: coverage
            .iter()
            .zip(&shared.generators)
            .map(|(tracker, generator)| generate::Coverage {
                redraws: generator.redraws(),
                ..tracker.coverage()
            })
            .collect(),
        capped: shared.capped.load(Ordering::Relaxed),
        stopped_early: shared.config.settings.fail_fast && shared.stop.load(Ordering::Relaxed),
        incomplete: shared.guard.reason(),
        drift: Vec::new(),
        drift_fail_on: None,
        warnings: [shared.client.log.warnings(), shared.unbound_links.clone()].concat(),
    }
}

impl Shared {
    /// For a valid request that consumes the bound resource: the request on the wire for a
    /// resource made for it alone. `None`: send it as planned (it consumes nothing, names an
    /// unknown id on purpose, or no resource could be made).
    pub(super) async fn own_resource(
        &self,
        client: &HttpClient,
        index: usize,
        planned: &PlannedRequest,
    ) -> Option<Outgoing> {
        // Collected: an iterator with closures held across an await is not `Send`.
        let consumed: Vec<&LinkedParameter> = self.lifecycle.consumed(index);
        if consumed.is_empty() || planned.expect != Expect::Accept || planned.key != KeyUse::Valid {
            return None;
        }
        let shape = self.operations[index].shape.clone()?;
        let mut envelope = envelope(&planned.body)?;
        let permit = || self.permit();
        let target = Target {
            client,
            options: &self.config.settings.client,
            base_url: &self.config.base_url,
            key: self.config.key.as_ref(),
            permit: &permit,
            tokens: &self.tokens,
            fresh: &self.fresh,
        };
        let mut changed = false;
        for link in consumed {
            let Some(parameter) = shape.parameters().find(|p| p.pointer() == link.pointer) else {
                continue;
            };
            let bound = parameter.ids.as_ref().and_then(IdSource::ids);
            let named = envelope.pointer(&link.pointer);
            let names_bound = bound
                .zip(named)
                .is_some_and(|(ids, named)| ids.iter().any(|id| parameter.same_id(id, named)));
            if !names_bound {
                continue;
            }
            let consumer = (self.operations[index].path.as_str(), link.name.as_str());
            let made = produce(
                &self.operations,
                &self.generators,
                &target,
                &link.producer,
                &link.producer_pointer,
                consumer,
            )
            .await
            .ok()?;
            *envelope.pointer_mut(&link.pointer)? = parameter.as_sent(made.first()?);
            changed = true;
        }
        if !changed {
            return None;
        }
        let mut fresh = planned.clone();
        fresh.body = Body::Json(envelope);
        Some(self.endpoints[index].outgoing(&fresh))
    }
}
