//! The contract suite as cargo tests: libtest-mimic trials built from cases/, one per case
//! and request class (`sessionlink_v2::valid::enum_values`, `sessionlink_v2::auth`,
//! `sessionlink_v2::drift`, …), so `cargo test --test contract`, its filters, `--list`,
//! `--exact`, `--ignored` and nextest partitions all work on a contract.
//!
//! Configuration comes from the environment, as a test binary has no flags of its own:
//! `SPECGATE_BASE_URL` (the built-in sandbox when unset), `SPECGATE_API_KEY`,
//! `SPECGATE_CASES` (default `cases`), `SPECGATE_SEED`, `SPECGATE_EXAMPLES` (default 50),
//! `SPECGATE_SNAPSHOTS` and `SPECGATE_UPDATE_SNAPSHOTS=1`.

use crate::contract::{Expect, Operation};
use crate::drift::SnapshotPolicy;
use crate::generate::{family, Generator, PlanOptions};
use crate::report::RunReport;
use crate::run::{self, ApiKey, ClientOptions, Progress, RunConfig};
use crate::sandbox::Sandbox;
use libtest_mimic::{Arguments, Failed, Trial};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Where and how the suite runs.
#[derive(Debug, Clone)]
pub struct SuiteConfig {
    pub cases: PathBuf,
    pub base_url: Option<String>,
    pub seed: u64,
    pub examples: u64,
    pub snapshots: Option<PathBuf>,
    pub update_snapshots: bool,
}

impl SuiteConfig {
    pub fn from_env() -> SuiteConfig {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        SuiteConfig {
            cases: var("SPECGATE_CASES").map_or_else(|| PathBuf::from("cases"), PathBuf::from),
            base_url: var("SPECGATE_BASE_URL"),
            seed: var("SPECGATE_SEED")
                .and_then(|s| s.parse().ok())
                .unwrap_or(0),
            examples: var("SPECGATE_EXAMPLES")
                .and_then(|s| s.parse().ok())
                .unwrap_or(50),
            snapshots: var("SPECGATE_SNAPSHOTS").map(PathBuf::from),
            update_snapshots: var("SPECGATE_UPDATE_SNAPSHOTS").is_some_and(|v| v == "1"),
        }
    }
}

/// What one trial runs.
#[derive(Debug, Clone)]
enum TrialKind {
    /// The plan entries of these reason families.
    Families(BTreeSet<String>),
    /// The whole coverage plan, compared with the drift snapshot.
    Drift,
}

/// The entry point of `tests/contract.rs`.
pub fn main() -> std::process::ExitCode {
    let args = Arguments::from_args();
    let config = SuiteConfig::from_env();
    match trials(&config) {
        Ok(trials) => libtest_mimic::run(&args, trials).exit_code(),
        Err(message) => {
            eprintln!("error: {message}");
            std::process::ExitCode::from(crate::exit::USAGE)
        }
    }
}

/// One trial per case and request class, in a stable order.
pub fn trials(config: &SuiteConfig) -> Result<Vec<Trial>, String> {
    let operations = crate::contract::load_cases(&config.cases).map_err(|e| e.to_string())?;
    let mut trials = Vec::new();
    for operation in operations.into_iter().map(Arc::new) {
        let generator = Generator::new(operation.clone()).map_err(|e| e.to_string())?;
        let ident = operation.name.replace('-', "_");
        for (name, kind) in trial_kinds(&generator, config.examples) {
            let trial_name = format!("{ident}::{name}");
            let (config, operation) = (config.clone(), operation.clone());
            trials.push(Trial::test(trial_name, move || {
                run_trial(&config, operation, &kind)
            }));
        }
    }
    Ok(trials)
}

/// The trial names of one case and what each runs.
fn trial_kinds(generator: &Generator, examples: u64) -> Vec<(String, TrialKind)> {
    let mut groups: std::collections::BTreeMap<String, BTreeSet<String>> = Default::default();
    let coverage = generator.coverage();
    let random = [
        (family::RANDOM_VALID, Expect::Accept),
        (family::RANDOM_INVALID, Expect::Reject),
    ];
    let planned = coverage.iter().map(|r| (r.reason.family, r.expect));
    let random = random.into_iter().filter(|_| examples > 0);
    for (family, expect) in planned.chain(random) {
        groups
            .entry(trial_name(family, expect))
            .or_default()
            .insert(family.to_owned());
    }
    let mut kinds: Vec<(String, TrialKind)> = groups
        .into_iter()
        .map(|(name, families)| (name, TrialKind::Families(families)))
        .collect();
    kinds.push(("drift".to_owned(), TrialKind::Drift));
    kinds
}

/// `valid::enum_values`, `invalid::missing_required`, `auth`, `examples::valid`, …
fn trial_name(family: &str, expect: Expect) -> String {
    let group = match family {
        family::ENUM_VALUE => "enum_values".to_owned(),
        family::OPTIONAL_FIELD => "optional_fields".to_owned(),
        family::BOUNDARY => "boundaries".to_owned(),
        family::RANDOM_VALID | family::RANDOM_INVALID => "random".to_owned(),
        other => other.replace('-', "_"),
    };
    match expect {
        Expect::Unauthorized => "auth".to_owned(),
        _ if family == family::EXAMPLE => format!("examples::{}", class_name(expect)),
        _ => format!("{}::{group}", class_name(expect)),
    }
}

fn class_name(expect: Expect) -> &'static str {
    match expect {
        Expect::Accept => "valid",
        Expect::Reject => "invalid",
        Expect::Unauthorized => "auth",
    }
}

fn run_trial(
    config: &SuiteConfig,
    operation: Arc<Operation>,
    kind: &TrialKind,
) -> Result<(), Failed> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failed::from(format!("cannot start a runtime: {e}")))?;
    runtime.block_on(run_trial_async(config, operation, kind))
}

async fn run_trial_async(
    config: &SuiteConfig,
    operation: Arc<Operation>,
    kind: &TrialKind,
) -> Result<(), Failed> {
    let env = operation
        .auth
        .as_ref()
        .map_or("SPECGATE_API_KEY", |a| a.env.as_str())
        .to_owned();
    let (base_url, key, sandbox) = target(config, &operation, &env).await?;
    let (families, examples) = match kind {
        TrialKind::Families(families) => (Some(families.clone()), config.examples),
        TrialKind::Drift => (None, 0),
    };
    let run_config = RunConfig {
        base_url: base_url.clone(),
        key: Some(key.clone()),
        plan: PlanOptions {
            seed: config.seed,
            examples,
        },
        client: ClientOptions {
            timeout: Duration::from_secs(10),
            max_body_bytes: 1 << 20,
            retries: 3,
            concurrency: 16,
        },
        rate: None,
        max_requests: None,
        fail_fast: false,
        shard: None,
        families,
    };
    let operations = vec![operation.clone()];
    let result = run::run(
        operations.clone(),
        run_config,
        Arc::new(Progress::default()),
    )
    .await
    .map_err(|e| Failed::from(e.to_string()))?;
    let mut report = RunReport {
        summary: result.summary,
        findings: result.findings,
    };
    if matches!(kind, TrialKind::Drift) {
        let dir = config
            .snapshots
            .clone()
            .unwrap_or_else(|| snapshot_dir(config, &base_url, sandbox.is_some()));
        let policy = if config.update_snapshots {
            SnapshotPolicy::Update
        } else {
            SnapshotPolicy::Compare
        };
        let scrub = |text: &str| key.scrub(text);
        let (findings, records) =
            crate::drift::check_drift(&result.observed, &operations, &dir, policy, &scrub)
                .map_err(|e| Failed::from(e.to_string()))?;
        report.findings = findings;
        report.summary.drift = records;
        report.summary.drift_fail_on = Some(crate::drift::Severity::Warning);
    }
    drop(sandbox);
    if report.fails() {
        return Err(Failed::from(crate::report::console::render_summary(
            &report,
        )));
    }
    Ok(())
}

async fn target(
    config: &SuiteConfig,
    operation: &Arc<Operation>,
    env: &str,
) -> Result<(url::Url, ApiKey, Option<Sandbox>), Failed> {
    if let Some(given) = &config.base_url {
        let url = run::parse_base_url(given, false).map_err(|e| Failed::from(e.to_string()))?;
        let key = ApiKey::from_env(env).ok_or_else(|| {
            Failed::from(format!(
                "SPECGATE_BASE_URL is set but {env} is not: export the API key"
            ))
        })?;
        return Ok((url, key, None));
    }
    let key = ApiKey::for_builtin_sandbox(env);
    let sandbox = Sandbox::start_on_loopback(vec![operation.clone()], key.expose())
        .await
        .map_err(|e| Failed::from(format!("cannot start the built-in sandbox: {e}")))?;
    Ok((sandbox.base_url().clone(), key, Some(sandbox)))
}

/// The same default folder as `specgate run`: `CASES/snapshots/sandbox` or `.../HOST_PORT`.
fn snapshot_dir(config: &SuiteConfig, base_url: &url::Url, builtin: bool) -> PathBuf {
    crate::drift::snapshot::default_dir(&config.cases, base_url, builtin)
}
