//! The contract suite as cargo tests: libtest-mimic trials built from cases/, one per case
//! and request class (`sessionlink_v2::valid::enum_values`, `sessionlink_v2::auth`,
//! `sessionlink_v2::drift`, …), so `cargo test --test contract`, its filters, `--list`,
//! `--exact`, `--ignored` and nextest partitions all work on a contract.
//!
//! Configuration comes from the environment, as a test binary has no flags of its own (see
//! [`SuiteEnv`]): `SPECGATE_BASE_URL` (the built-in sandbox when unset), `SPECGATE_API_KEY`,
//! `SPECGATE_CASES` (default `cases`), `SPECGATE_SEED`, `SPECGATE_EXAMPLES` (default 50),
//! `SPECGATE_SNAPSHOTS`, `SPECGATE_UPDATE_SNAPSHOTS=1` and `SPECGATE_KNOWN` (a known-failures
//! file: its unexpired entries' findings do not fail a trial). Each trial is one
//! [`pipeline::execute`], as `specgate run` is, and sends what `run` sends: each operation's
//! first security alternative whose secrets are all set, each scheme's secret from the
//! variable its case names ([`run::choose_security`]).

use crate::contract::{Expect, Operation};
use crate::drift::Nonconformant;
use crate::drift::{Severity, SnapshotPolicy};
use crate::environment::SuiteEnv;
use crate::generate::{Family, Generator, PlanOptions};
use crate::known::KnownFile;
use crate::pipeline::{self, DriftMode, DriftSettings, Job, Judged, Target, Verdict};
use crate::run::{self, ApiKey, ClientOptions, Progress, RunSettings};
use libtest_mimic::{Arguments, Failed, Trial};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

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
    let config = match SuiteEnv::read() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::from(crate::exit::USAGE);
        }
    };
    let known = match config.known.as_deref().map(KnownFile::load).transpose() {
        Ok(known) => known,
        Err(e) => {
            eprintln!("error: {}: {e}", crate::known::ENV_VAR);
            return std::process::ExitCode::from(crate::exit::USAGE);
        }
    };
    match trials_with_known(&config, known) {
        Ok(trials) => libtest_mimic::run(&args, trials).exit_code(),
        Err(message) => {
            eprintln!("error: {message}");
            std::process::ExitCode::from(crate::exit::USAGE)
        }
    }
}

/// One trial per case and request class, in a stable order.
pub fn trials(config: &SuiteEnv) -> Result<Vec<Trial>, String> {
    trials_with_known(config, None)
}

/// [`trials`], judged with a known-failures file (`SPECGATE_KNOWN`).
pub fn trials_with_known(
    config: &SuiteEnv,
    known: Option<KnownFile>,
) -> Result<Vec<Trial>, String> {
    let operations = crate::contract::load_cases(&config.cases).map_err(|e| e.to_string())?;
    // Each operation sends what `specgate run` sends: its first security alternative whose
    // secrets are all set, every scheme of it with its own secret.
    let (operations, _) = run::choose_security(
        false,
        config.base_url.is_some(),
        operations.into_iter().map(Arc::new).collect(),
    )
    .map_err(|e| e.to_string())?;
    let mut trials = Vec::new();
    for operation in operations {
        let generator = Generator::new(operation.clone()).map_err(|e| e.to_string())?;
        let ident = operation.name.replace('-', "_");
        for (name, kind) in trial_kinds(&generator, config.examples) {
            let trial_name = format!("{ident}::{name}");
            let (config, operation) = (config.clone(), operation.clone());
            let known = known.clone();
            trials.push(Trial::test(trial_name, move || {
                run_trial(&config, operation, &kind, known)
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
        (Family::RandomValid, Expect::Accept),
        (Family::RandomInvalid, Expect::Reject),
    ];
    let planned = coverage.iter().map(|r| (r.reason.family, r.expect));
    let random = random
        .into_iter()
        .filter(|(_, expect)| examples > 0 && (*expect == Expect::Accept || generator.refutable()));
    for (family, expect) in planned.chain(random) {
        groups
            .entry(trial_name(family, expect))
            .or_default()
            .insert(family.as_str().to_owned());
    }
    let mut kinds: Vec<(String, TrialKind)> = groups
        .into_iter()
        .map(|(name, families)| (name, TrialKind::Families(families)))
        .collect();
    kinds.push(("drift".to_owned(), TrialKind::Drift));
    kinds
}

/// `valid::enum_values`, `invalid::missing_required`, `auth`, `examples::valid`, …
fn trial_name(family: Family, expect: Expect) -> String {
    let group = match family {
        Family::EnumValue => "enum_values".to_owned(),
        Family::OptionalField => "optional_fields".to_owned(),
        Family::Boundary => "boundaries".to_owned(),
        Family::RandomValid | Family::RandomInvalid => "random".to_owned(),
        other => other.as_str().replace('-', "_"),
    };
    match expect {
        Expect::Unauthorized => "auth".to_owned(),
        _ if family == Family::Example => format!("examples::{}", class_name(expect)),
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
    config: &SuiteEnv,
    operation: Arc<Operation>,
    kind: &TrialKind,
    known: Option<KnownFile>,
) -> Result<(), Failed> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failed::from(format!("cannot start a runtime: {e}")))?;
    runtime.block_on(run_trial_async(config, operation, kind, known))
}

async fn run_trial_async(
    config: &SuiteEnv,
    operation: Arc<Operation>,
    kind: &TrialKind,
    known: Option<KnownFile>,
) -> Result<(), Failed> {
    let mut job = job(config, operation, kind)?;
    job.known = known;
    let finished = pipeline::execute(job, Arc::new(Progress::default()), &mut |_| {})
        .await
        .map_err(|e| Failed::from(e.to_string()))?;
    match finished.verdict {
        Verdict::Conformant => Ok(()),
        Verdict::Violations | Verdict::Unanswered | Verdict::Incomplete => Err(Failed::from(
            crate::report::console::render_summary(&finished.report),
        )),
    }
}

/// One trial as a job: its request classes (or the coverage plan, for drift) against the
/// configured target.
fn job(config: &SuiteEnv, operation: Arc<Operation>, kind: &TrialKind) -> Result<Job, Failed> {
    let env = operation
        .auth
        .sent()
        .first()
        .map_or("SPECGATE_API_KEY", |a| a.env.as_str())
        .to_owned();
    let (families, examples, mode, judged) = match kind {
        TrialKind::Families(families) => (
            Some(families.clone()),
            config.examples,
            DriftMode::Off,
            Judged::AllFindings,
        ),
        TrialKind::Drift => (
            None,
            0,
            DriftMode::Fail(Severity::Warning),
            Judged::DriftOnly,
        ),
    };
    Ok(Job {
        target: target(config, &operation, &env)?,
        settings: RunSettings {
            plan: PlanOptions {
                seed: config.seed,
                examples,
            },
            client: ClientOptions {
                timeout: Duration::from_secs(10),
                max_body_bytes: 1 << 20,
                retries: 3,
                concurrency: 16,
                tls: Default::default(),
            },
            rate: None,
            max_requests: None,
            fail_fast: false,
            shard: None,
            families,
            deadline: None,
            observe: mode != DriftMode::Off,
            other_routes: Vec::new(),
        },
        drift: DriftSettings {
            mode,
            policy: if config.update_snapshots {
                SnapshotPolicy::Update
            } else {
                SnapshotPolicy::Compare(config.snapshot_writes)
            },
            cases_dir: config.cases.clone(),
            snapshots: config.snapshots.clone(),
            // A baseline is never recorded from a failing trial: the suite has no flag to
            // ask for it (`specgate run --record-nonconformant` does).
            nonconformant: Nonconformant::Refuse,
        },
        judged,
        reports: Vec::new(),
        known: None,
        strict: false,
        case_sources: None,
        untested: Vec::new(),
        operations: vec![operation],
    })
}

/// `SPECGATE_BASE_URL` with the operation's keys (the one from `env` first, each other
/// scheme's from its own variable), or the built-in sandbox.
fn target(config: &SuiteEnv, operation: &Arc<Operation>, env: &str) -> Result<Target, Failed> {
    let Some(given) = &config.base_url else {
        return Ok(Target::BuiltInSandbox {
            key_env: env.to_owned(),
        });
    };
    let url = run::parse_base_url(given, false).map_err(|e| Failed::from(e.to_string()))?;
    let key = ApiKey::from_env(env);
    if key.is_none() && !operation.auth.is_public() {
        return Err(Failed::from(format!(
            "SPECGATE_BASE_URL is set but {env} is not: export the API key"
        )));
    }
    let others = run::other_keys(std::slice::from_ref(operation), env)
        .map_err(|e| Failed::from(e.to_string()))?;
    let key = key.map(|k| k.with_others(others));
    if let Some(problem) = key.as_ref().and_then(ApiKey::header_problem) {
        return Err(Failed::from(problem));
    }
    Ok(Target::BaseUrl { url, key })
}
