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
mod confirm;
mod connection;
mod direct;
mod groups;
mod halt;
mod keep_alive;
mod lifecycle;
mod links;
mod methods;
mod oauth;
mod probe;
pub mod secret;
mod security;
mod sequence;
mod shard;
mod shared;
mod shrink;
pub mod target;
mod undeclared_type;
mod unwanted_body;
mod worker;

pub use crate::results::{Halt, HaltReason, Progress, Summary};
pub use client::{ClientOptions, TlsError, TlsOptions};
pub use oauth::TokenError;
pub use secret::ApiKey;
pub use security::{choose_security, other_keys, users_of, Choice, SecurityError};
pub use shard::Shard;
pub use target::{endpoint, is_loopback, parse_base_url, BaseUrlError};

use crate::check::Finding;
use crate::contract::{ContractError, Operation};
use crate::drift::Observer;
use crate::generate::PlanOptions;
use crate::results::Coverage;
use shared::{prepare, summarise};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;
use url::Url;

/// Everything that shapes a run: the target and how to treat it.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// The base URL the cases' paths are joined to.
    pub base_url: Url,
    /// `None` only for operations without auth.
    pub key: Option<ApiKey>,
    /// Everything but the target.
    pub settings: RunSettings,
}

/// How a run treats its target, whatever the target is.
#[derive(Debug, Clone)]
pub struct RunSettings {
    /// Seed and random examples of the plan.
    pub plan: PlanOptions,
    /// Timeouts, body limit, retries, concurrency.
    pub client: ClientOptions,
    /// Requests per second across all workers.
    pub rate: Option<f64>,
    /// A hard cap on HTTP requests, retries and shrinking included.
    pub max_requests: Option<u64>,
    /// Stop at the first finding.
    pub fail_fast: bool,
    /// Run only one part of the plan.
    pub shard: Option<Shard>,
    /// Only plan entries of these reason families (e.g. `enum-value`); `None`: all.
    pub families: Option<std::collections::BTreeSet<String>>,
    /// The whole run, shrinking included, stops this long after it started (`--deadline`)
    /// and reports what it has, marked incomplete.
    pub deadline: Option<std::time::Duration>,
    /// Record what came back for the drift snapshot; `false` (`--drift off`) keeps nothing.
    pub observe: bool,
    /// Routes (method, path template) the document or case folder serves besides the
    /// run's operations (not selected, or not expressible): never probed as undocumented.
    pub other_routes: Vec<(http::Method, String)>,
}

/// Why a run could not be carried out at all.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    /// A case could not be turned into a plan.
    Contract(#[from] ContractError),
    #[error("cannot build the HTTP client: {0}")]
    /// The HTTP client could not be built.
    Client(String),
    /// The key cannot travel in an HTTP header; the message names its variable, not its value.
    #[error("{0}")]
    UnusableKey(String),
    #[error("no worker thread could start its async runtime (out of file descriptors?): {0}")]
    /// No worker thread could start.
    Workers(String),
    /// A linked parameter's producer gave no value to use.
    #[error("`{consumer}` takes its `{parameter}` from `{producer}`, but {producer} gave none: {problem}\n  fix: make `{producer}` answer its valid requests with the linked value, or give `{parameter}` fixed `known` ids")]
    Link {
        /// The operation whose parameter is linked.
        consumer: String,
        /// The linked parameter.
        parameter: String,
        /// The operation it is linked to.
        producer: String,
        /// What went wrong.
        problem: String,
    },
    /// The token endpoint of an OAuth2 client gave no token.
    #[error(transparent)]
    Token(#[from] oauth::TokenError),
    /// Nothing answered at the target.
    #[error("the target {url} could not be reached: {reason}")]
    Unreachable {
        /// The base URL.
        url: String,
        /// Why, as the OS or client said.
        reason: String,
    },
}

/// What a run produced.
#[derive(Debug)]
pub struct RunResult {
    /// The run's figures.
    pub summary: Summary,
    /// Grouped (and shrunk) findings.
    pub findings: Vec<Finding>,
    /// Findings whose request, sent again, did not fail the same way.
    pub flaky: Vec<Finding>,
    /// What came back, per case, for the drift snapshot.
    pub observed: Observer,
}

/// Whether this run includes the requests of `family` sent after the plan (lifecycle
/// sequences, probes): one shard runs them (the one holding the plan's first entry), and a
/// `--families` filter must name them.
fn runs_after_plan(settings: &RunSettings, family: &str) -> bool {
    settings.shard.is_none_or(|s| s.includes(0))
        && settings
            .families
            .as_ref()
            .is_none_or(|f| f.contains(family))
}

/// Sequence and probe findings join the plan's: one with the same check, case and cause
/// counts once more in the finding already there; the others take their place in report
/// order.
fn add_sequence_findings(findings: &mut Vec<Finding>, found: Vec<Finding>) {
    for finding in found {
        match findings
            .iter_mut()
            .find(|f| f.group_key() == finding.group_key())
        {
            Some(existing) => existing.count += 1,
            None => findings.push(finding),
        }
    }
    findings.sort_by(|a, b| {
        (a.check, &a.case, a.plan_position).cmp(&(b.check, &b.case, b.plan_position))
    });
}

/// Each case's probes, by family, in its coverage: requests by kind, apart from the plan's.
fn count_probes(coverage: &mut [Coverage], probes: &[(&str, probe::Probed)]) {
    for (family, probed) in probes {
        for case in &probed.sent {
            if let Some(entry) = coverage.iter_mut().find(|c| &c.case == case) {
                *entry.probes.entry((*family).to_owned()).or_default() += 1;
            }
        }
    }
}

/// Run the plan for `operations` against `config.base_url`.
pub async fn run(
    operations: Vec<Arc<Operation>>,
    config: RunConfig,
    progress: Arc<Progress>,
) -> Result<RunResult, RunError> {
    let guard = halt::Guard::new(
        config.settings.client.concurrency.max(1),
        config.settings.deadline,
    );
    let shared = Arc::new(prepare(operations, config, progress, guard).await?);
    let started = Instant::now();
    let tally = worker::run_workers(&shared).await?;
    let planned = shared.progress.done.load(Ordering::Relaxed);
    if tally.responses == 0 && tally.transport_connect > 0 {
        return Err(RunError::Unreachable {
            url: shared.config.base_url.to_string(),
            reason: format!(
                "every request failed to connect: {}",
                tally.connect_error.unwrap_or_default()
            ),
        });
    }
    let representatives = shared
        .settle_conflicts(tally.groups, tally.conflicts)
        .into_representatives();
    // A halted run sends nothing more: its findings stay as they are (nothing says flaky).
    let (mut findings, flaky) = if shared.guard.is_halted() {
        let kept = representatives.into_iter().map(|r| (r.finding, r.origin));
        (kept.collect(), Vec::new())
    } else {
        confirm::confirm_findings(&shared, representatives).await
    };
    if !shared.guard.is_halted() {
        shrink::shrink_findings(&shared, &mut findings).await;
    }
    let mut findings: Vec<Finding> = findings.into_iter().map(|(finding, _)| finding).collect();
    let settings = &shared.config.settings;
    if !shared.guard.is_halted() && runs_after_plan(settings, sequence::FAMILY.as_str()) {
        let found = sequence::lifecycle_findings(&shared).await;
        add_sequence_findings(&mut findings, found);
    }
    let mut probes: Vec<(&str, probe::Probed)> = Vec::new();
    if !shared.guard.is_halted() && runs_after_plan(settings, methods::FAMILY.as_str()) {
        probes.push((
            methods::FAMILY.as_str(),
            methods::method_findings(&shared).await,
        ));
    }
    if !shared.guard.is_halted() && runs_after_plan(settings, undeclared_type::FAMILY.as_str()) {
        let probed = undeclared_type::undeclared_type_findings(&shared).await;
        probes.push((undeclared_type::FAMILY.as_str(), probed));
    }
    if !shared.guard.is_halted() && runs_after_plan(settings, unwanted_body::FAMILY.as_str()) {
        let probed = unwanted_body::unwanted_body_findings(&shared).await;
        probes.push((unwanted_body::FAMILY.as_str(), probed));
    }
    for (_, probed) in &mut probes {
        add_sequence_findings(&mut findings, std::mem::take(&mut probed.findings));
    }
    let elapsed = started.elapsed();
    let mut summary = summarise(
        &shared,
        &tally.coverage,
        &tally.statuses,
        &findings,
        planned,
        elapsed,
    );
    count_probes(&mut summary.coverage, &probes);
    Ok(RunResult {
        summary,
        findings,
        flaky,
        observed: tally.observer,
    })
}
