//! `specgate run`: load the cases, pick the target (a base URL, or the built-in sandbox),
//! run, report, and turn the result into an exit code.

use crate::contract::Operation;
use crate::drift::{Severity, SnapshotPolicy};
use crate::exit;
use crate::generate::PlanOptions;
use crate::report::console::{render_summary, ProgressDisplay};
use crate::report::{ReportTarget, RunReport};
use crate::run::{self, ApiKey, ClientOptions, Progress, RunConfig, RunError, Shard};
use crate::sandbox::Sandbox;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit codes: 0 conformant, 1 contract violations found, 2 usage/configuration/contract-file error, 3 target unreachable.\n\
The API key is read from $SPECGATE_API_KEY (or --api-key-env NAME) and is never printed or written."
)]
pub struct Args {
    /// Base URL of the API under test, with its version path (e.g. https://sandbox.partner.com/v1).
    /// Without it, specgate starts its built-in sandbox and tests that.
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Folder of case files (*.toml).
    #[arg(long, value_name = "DIR", default_value = "cases")]
    pub cases: PathBuf,
    /// Seed of the random exploration; the same seed sends the same payloads.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Random examples per case, of each class (valid and invalid), on top of the coverage plan.
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub examples: u64,
    /// Requests in flight at once.
    #[arg(long, value_name = "N", default_value_t = 32, value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub concurrency: u64,
    /// At most this many requests per second (across all connections).
    #[arg(long, value_name = "REQ_PER_S")]
    pub rate: Option<f64>,
    /// Time allowed for each request, headers and body together.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub timeout_ms: u64,
    /// A hard cap on the HTTP requests this run may send (retries and shrinking included).
    #[arg(long, value_name = "N")]
    pub max_requests: Option<u64>,
    /// Write a report: json=PATH, junit=PATH or markdown=PATH. Repeatable.
    #[arg(long = "report", value_name = "FORMAT=PATH")]
    pub reports: Vec<ReportTarget>,
    /// Stop at the first finding.
    #[arg(long)]
    pub fail_fast: bool,
    /// The environment variable that holds the API key (default: the case's, SPECGATE_API_KEY).
    #[arg(long, value_name = "NAME")]
    pub api_key_env: Option<String>,
    /// Allow plain http:// to a host that is not loopback.
    #[arg(long)]
    pub allow_insecure: bool,
    /// Run only part K of N of the plan (for spreading one suite over several CI machines).
    #[arg(long, value_name = "K/N")]
    pub shard: Option<Shard>,
    /// Responses larger than this are cut off and reported as `transport`.
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 20)]
    pub max_body_bytes: u64,
    /// Retries of a 429/503 answer that carries Retry-After, before it is reported.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub retries: u32,
    /// What drift from the stored observed-contract snapshot does: fail the run, only warn, or
    /// not be checked.
    #[arg(long, value_enum, default_value_t = DriftMode::Fail)]
    pub drift: DriftMode,
    /// The least severe drift that fails the run (with --drift fail).
    #[arg(long, value_enum, value_name = "SEVERITY", default_value_t = Severity::Warning)]
    pub drift_fail_on: Severity,
    /// Record this run's observed contract as the new drift baseline.
    #[arg(long)]
    pub update_snapshots: bool,
    /// Folder of drift snapshots [default: CASES/snapshots/TARGET, where TARGET is `sandbox`
    /// for the built-in sandbox, else the base URL's host and port].
    #[arg(long, value_name = "DIR")]
    pub snapshots: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DriftMode {
    /// Drift at or above --drift-fail-on fails the run.
    Fail,
    /// Drift is reported but never fails the run.
    Warn,
    /// No snapshot is read or written.
    Off,
}

pub fn execute(args: Args) -> u8 {
    let operations = match crate::contract::load_cases(&args.cases) {
        Ok(ops) => ops.into_iter().map(Arc::new).collect::<Vec<_>>(),
        Err(e) => return crate::cli::usage_error(e),
    };
    if let Some(rate) = args.rate.filter(|r| !(r.is_finite() && *r > 0.0)) {
        return crate::cli::usage_error(format!(
            "--rate {rate}: give a positive number of requests per second"
        ));
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => return crate::cli::usage_error(format!("cannot start the async runtime: {e}")),
    };
    runtime.block_on(execute_async(args, operations))
}

/// The env var the key is read from: the flag, else the first case's `auth.env`.
fn key_env(args: &Args, operations: &[Arc<Operation>]) -> String {
    args.api_key_env.clone().unwrap_or_else(|| {
        operations
            .iter()
            .find_map(|o| o.auth.as_ref().map(|a| a.env.clone()))
            .unwrap_or_else(|| "SPECGATE_API_KEY".to_owned())
    })
}

async fn execute_async(args: Args, operations: Vec<Arc<Operation>>) -> u8 {
    let env = key_env(&args, &operations);
    let needs_key = operations.iter().any(|o| o.auth.is_some());
    let (base_url, key, _sandbox) = match &args.base_url {
        Some(given) => {
            let url = match run::parse_base_url(given, args.allow_insecure) {
                Ok(url) => url,
                Err(e) => return crate::cli::usage_error(e),
            };
            let key = ApiKey::from_env(&env);
            if needs_key && key.is_none() {
                return crate::cli::usage_error(format!(
                    "the API key is not set: export {env}=... (or name another variable with --api-key-env)"
                ));
            }
            (url, key, None)
        }
        None => match start_sandbox(&operations, &env).await {
            Ok((sandbox, key)) => (sandbox.base_url().clone(), Some(key), Some(sandbox)),
            Err(code) => return code,
        },
    };
    let snapshots = snapshot_dir(&args, &base_url, _sandbox.is_some());
    let config = RunConfig {
        base_url,
        key,
        plan: PlanOptions {
            seed: args.seed,
            examples: args.examples,
        },
        client: ClientOptions {
            timeout: Duration::from_millis(args.timeout_ms.max(1)),
            max_body_bytes: args.max_body_bytes,
            retries: args.retries,
            concurrency: args.concurrency as usize,
        },
        rate: args.rate,
        max_requests: args.max_requests,
        fail_fast: args.fail_fast,
        shard: args.shard,
        families: None,
    };
    let progress = Arc::new(Progress::default());
    let display = ProgressDisplay::start(progress.clone());
    let scrub_key = config.key.clone();
    let result = run::run(operations.clone(), config, progress).await;
    display.finish().await;
    match result {
        Ok(result) => {
            let scrub = |text: &str| {
                scrub_key
                    .as_ref()
                    .map_or_else(|| text.to_owned(), |k| k.scrub(text))
            };
            match apply_drift(&args, &operations, &snapshots, result, &scrub) {
                Ok(report) => finish(report, &args.reports),
                Err(code) => code,
            }
        }
        Err(e @ RunError::Unreachable { .. }) => {
            eprintln!("error: {e}");
            exit::UNREACHABLE
        }
        Err(e) => crate::cli::usage_error(e),
    }
}

/// Start the built-in sandbox with the key from `env` (or the sandbox's default key).
async fn start_sandbox(operations: &[Arc<Operation>], env: &str) -> Result<(Sandbox, ApiKey), u8> {
    let key = ApiKey::for_builtin_sandbox(env);
    match Sandbox::start_on_loopback(operations.to_vec(), key.expose()).await {
        Ok(sandbox) => {
            eprintln!(
                "specgate: no --base-url given; testing the built-in sandbox at {}",
                sandbox.base_url()
            );
            Ok((sandbox, key))
        }
        Err(e) => Err(crate::cli::usage_error(format!(
            "cannot start the built-in sandbox: {e}"
        ))),
    }
}

/// Where this target's drift baselines live.
fn snapshot_dir(args: &Args, base_url: &url::Url, builtin: bool) -> PathBuf {
    match &args.snapshots {
        Some(dir) => dir.clone(),
        None => crate::drift::snapshot::default_dir(&args.cases, base_url, builtin),
    }
}

/// Compare the observed contract with the stored baseline and fold the result into the report.
/// Drift is judged on whole runs only: a shard, a capped or a stopped run saw part of the plan.
fn apply_drift(
    args: &Args,
    operations: &[Arc<Operation>],
    snapshots: &std::path::Path,
    result: run::RunResult,
    scrub: &dyn Fn(&str) -> String,
) -> Result<RunReport, u8> {
    let mut report = RunReport {
        summary: result.summary,
        findings: result.findings,
    };
    let partial = args.shard.is_some() || report.summary.capped || report.summary.stopped_early;
    if args.drift == DriftMode::Off || partial {
        if partial && args.drift != DriftMode::Off {
            eprintln!("specgate: drift not checked: this run covered only part of the plan (shard, cap or fail-fast)");
        }
        return Ok(report);
    }
    let policy = if args.update_snapshots {
        SnapshotPolicy::Update
    } else {
        SnapshotPolicy::Compare
    };
    let (findings, records) =
        crate::drift::check_drift(&result.observed, operations, snapshots, policy, scrub)
            .map_err(crate::cli::usage_error)?;
    for record in &records {
        match record.status.as_str() {
            "recorded" => eprintln!(
                "specgate: recorded the drift baseline of {} in {}",
                record.case, record.snapshot
            ),
            "updated" => eprintln!(
                "specgate: updated the drift baseline of {} in {}",
                record.case, record.snapshot
            ),
            _ => {}
        }
    }
    for finding in &findings {
        *report
            .summary
            .findings_by_check
            .entry(finding.check.name().to_owned())
            .or_default() += finding.count;
    }
    report.summary.finding_groups += findings.len() as u64;
    report.findings.extend(findings);
    report.summary.drift = records;
    report.summary.drift_fail_on = (args.drift == DriftMode::Fail).then_some(args.drift_fail_on);
    Ok(report)
}

fn finish(report: RunReport, targets: &[ReportTarget]) -> u8 {
    for target in targets {
        if let Err(e) = report.write(target) {
            eprintln!("error: {e}");
            return exit::USAGE;
        }
    }
    print!("{}", render_summary(&report));
    for target in targets {
        println!("  report: {}", target.path.display());
    }
    if !report.fails() {
        exit::CONFORMANT
    } else {
        exit::VIOLATIONS
    }
}
