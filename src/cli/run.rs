//! `specgate run`: load the cases, pick the target (a base URL, or the built-in sandbox),
//! run, report, and turn the result into an exit code.

use super::Ending;
use crate::contract::Operation;
use crate::drift::{Nonconformant, Severity, SnapshotPolicy};
use crate::generate::PlanOptions;
use crate::known::KnownFile;
use crate::pipeline::{self, DriftMode, DriftSettings, Job, Judged, Notice, Target, Verdict};
use crate::report::console::{render_summary, ProgressDisplay};
use crate::report::ReportTarget;
use crate::run::{self, ApiKey, ClientOptions, Progress, RunSettings, Shard, TlsOptions};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit codes: 0 conformant, 1 contract violations found, 2 usage/configuration/contract-file error, 3 target unreachable (or stopped by the circuit breaker), 4 stopped by --deadline.\n\
The API key is read from $SPECGATE_API_KEY (or --api-key-env NAME) and is never printed or written."
)]
pub(super) struct Args {
    /// Base URL of the API under test, with its version path (e.g. https://sandbox.partner.com/v1).
    /// Without it, specgate starts its built-in sandbox and tests that.
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    #[command(flatten)]
    pub(super) source: super::source::CaseSource,
    /// Seed of the random exploration; the same seed sends the same payloads.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Random examples per case, of each class (valid and invalid), on top of the coverage plan.
    #[arg(long, value_name = "N", default_value_t = 100, value_parser = clap::value_parser!(u64).range(0..=MAX_EXAMPLES))]
    pub examples: u64,
    /// Requests in flight at once.
    #[arg(long, value_name = "N", default_value_t = 32, value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub concurrency: u64,
    /// At most this many requests per second (across all connections), at least 0.001.
    #[arg(long, value_name = "REQ_PER_S")]
    pub rate: Option<f64>,
    /// Time allowed for each request: connecting, the status line, every header (1xx
    /// interim answers included) and the body, all together.
    #[arg(long, value_name = "N", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=86_400_000))]
    pub timeout_ms: u64,
    /// Stop the whole run after this long (e.g. 90s, 5m), report what it has, marked
    /// incomplete, and exit 4 (1 if it found violations).
    #[arg(long, value_name = "DURATION", value_parser = parse_deadline)]
    pub deadline: Option<Duration>,
    /// Trust this CA certificate (PEM) too, on top of the built-in web roots and the OS trust
    /// store, e.g. a partner sandbox's private CA. Repeatable.
    #[arg(long = "ca-cert", value_name = "PEM")]
    pub ca_certs: Vec<PathBuf>,
    /// Present this client certificate chain (PEM) when the server asks for one (mutual TLS).
    /// Needs --client-key.
    #[arg(long, value_name = "PEM", requires = "client_key")]
    pub client_cert: Option<PathBuf>,
    /// The private key (PEM, PKCS#8, PKCS#1 or SEC1) of --client-cert.
    #[arg(long, value_name = "PEM", requires = "client_cert")]
    pub client_key: Option<PathBuf>,
    /// A hard cap on the HTTP requests this run may send (retries and shrinking included).
    #[arg(long, value_name = "N")]
    pub max_requests: Option<u64>,
    /// Write a report: json=PATH, junit=PATH, markdown=PATH, sarif=PATH or html=PATH. Repeatable.
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
    #[arg(long, value_enum, default_value_t = DriftArg::Fail)]
    pub drift: DriftArg,
    /// The least severe drift that fails the run (with --drift fail).
    #[arg(long, value_enum, value_name = "SEVERITY", default_value_t = SeverityArg::Warning)]
    pub drift_fail_on: SeverityArg,
    /// Record this run's observed contract as the new drift baseline.
    #[arg(long)]
    pub update_snapshots: bool,
    /// Folder of drift snapshots [default: CASES/snapshots/TARGET, where TARGET is `sandbox`
    /// for the built-in sandbox, else the base URL's host and port].
    #[arg(long, value_name = "DIR")]
    pub snapshots: Option<PathBuf>,
    /// Record the drift snapshot even though this run had contract findings, marking the
    /// observations they show to be non-conformant (so their fix is graded `fixed`). Without
    /// it, a run with contract findings writes no snapshot.
    #[arg(long)]
    pub record_nonconformant: bool,
    /// A known-failures file (TOML): its unexpired entries' findings are listed apart and do
    /// not fail the run; an expired entry's finding fails; an entry matching nothing is reported.
    #[arg(long, value_name = "FILE")]
    pub known: Option<PathBuf>,
    /// Flaky findings (not reproduced when their request is sent again) fail the run too.
    #[arg(long)]
    pub strict: bool,
    /// Refuse (exit 2, nothing sent) a --known file whose entries still read TODO for their
    /// reason, owner or link, as `specgate known add` writes them; without it, each such
    /// entry is warned about on every run.
    #[arg(long, requires = "known")]
    pub strict_known: bool,
}

/// More random examples than this is a typo: the plan would never finish.
const MAX_EXAMPLES: u64 = 1_000_000_000;
/// The slowest `--rate`: one request every 1,000 seconds.
const MIN_RATE: f64 = 0.001;

fn parse_deadline(text: &str) -> Result<Duration, String> {
    let deadline = humantime::parse_duration(text)
        .map_err(|e| format!("{e}; write a duration such as 90s, 5m or 1h30m"))?;
    if deadline.is_zero() {
        return Err("a zero deadline leaves no time to send anything; give e.g. 90s".to_owned());
    }
    Ok(deadline)
}

/// `--drift`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(super) enum DriftArg {
    /// Drift at or above --drift-fail-on fails the run.
    Fail,
    /// Drift is reported but never fails the run.
    Warn,
    /// No snapshot is read or written.
    Off,
}

/// `--drift-fail-on`: the CLI's names for [`Severity`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SeverityArg {
    /// A new field, or a request class seen for the first time.
    Info,
    /// A new value of a tracked field (e.g. a new `status`).
    Warning,
    /// A field that was always present disappeared or became optional, a type changed, a
    /// status code or content type changed for a request class, a tracked value disappeared.
    Breaking,
}

impl From<SeverityArg> for Severity {
    fn from(arg: SeverityArg) -> Severity {
        match arg {
            SeverityArg::Info => Severity::Info,
            SeverityArg::Warning => Severity::Warning,
            SeverityArg::Breaking => Severity::Breaking,
        }
    }
}

pub(super) fn execute(args: Args) -> Ending {
    let loaded = match args.source.load() {
        Ok(loaded) => loaded,
        Err(ending) => return ending,
    };
    for warning in loaded
        .operations
        .iter()
        .flat_map(|o| crate::generate::schema_warnings(o))
    {
        eprintln!("warning: {warning}");
    }
    let job = match job(&args, &loaded) {
        Ok(job) => job,
        Err(ending) => return ending,
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => return Ending::usage(format!("cannot start the async runtime: {e}")),
    };
    match runtime.block_on(run_job(job, &args.reports)) {
        Ending::Usage(message) => loaded.usage(message),
        ending => ending,
    }
}

/// The env var the key is read from: the flag, else the first case's first sent `auth.env`.
fn key_env(args: &Args, operations: &[Arc<Operation>]) -> String {
    args.api_key_env.clone().unwrap_or_else(|| {
        operations
            .iter()
            .find_map(|o| o.auth.sent().first().map(|a| a.env.clone()))
            .unwrap_or_else(|| "SPECGATE_API_KEY".to_owned())
    })
}

/// Put each operation's first security alternative whose variables are all set in force
/// (`run::choose_security`), and say which on stderr when it had a choice. `diff` chooses
/// the same way, for both its targets.
pub(super) fn choose_security(
    one_key: bool,
    against_base_url: bool,
    operations: Vec<Arc<Operation>>,
) -> Result<Vec<Arc<Operation>>, Ending> {
    let (operations, choices) = run::choose_security(one_key, against_base_url, operations)
        .map_err(|e| Ending::usage(e.to_string()))?;
    for choice in &choices {
        eprintln!("specgate: {choice}");
    }
    Ok(operations)
}

/// The keys of operations that name another variable than `first`'s: each must be set
/// (`diff` reads them too).
pub(super) fn other_keys(
    operations: &[Arc<Operation>],
    first: &str,
) -> Result<Vec<ApiKey>, Ending> {
    run::other_keys(operations, first).map_err(|e| {
        Ending::usage(format!(
            "{e} (or send one key to every operation with --api-key-env)"
        ))
    })
}

/// Check the flags and the environment, and build the job; nothing is sent yet.
fn job(args: &Args, loaded: &super::source::Loaded) -> Result<Job, Ending> {
    let operations = loaded.operations.clone();
    if let Some(rate) = args.rate.filter(|r| !(r.is_finite() && *r >= MIN_RATE)) {
        return Err(Ending::usage(format!(
            "--rate {rate}: give a number of requests per second of at least {MIN_RATE} \
             (one request every 1,000 s)"
        )));
    }
    let writes = crate::environment::snapshot_writes().map_err(Ending::usage)?;
    let operations = choose_security(
        args.api_key_env.is_some(),
        args.base_url.is_some(),
        operations,
    )?;
    Ok(Job {
        target: target(args, &operations)?,
        settings: RunSettings {
            other_routes: loaded.routes.clone(),
            ..settings(args)?
        },
        drift: DriftSettings {
            mode: match args.drift {
                DriftArg::Fail => DriftMode::Fail(args.drift_fail_on.into()),
                DriftArg::Warn => DriftMode::Warn,
                DriftArg::Off => DriftMode::Off,
            },
            policy: if args.update_snapshots {
                SnapshotPolicy::Update
            } else {
                SnapshotPolicy::Compare(writes)
            },
            cases_dir: loaded.home.clone(),
            snapshots: args.snapshots.clone(),
            nonconformant: if args.record_nonconformant {
                Nonconformant::Record
            } else {
                Nonconformant::Refuse
            },
        },
        judged: Judged::AllFindings,
        reports: args.reports.clone(),
        known: known_file(args)?,
        strict: args.strict,
        // Imported cases live in a temporary folder: reports point into the document.
        case_sources: args.source.openapi.as_deref().map(|document| {
            operations
                .iter()
                .map(|o| pipeline::imported_case_source(o, document))
                .chain(loaded.untested_sources.iter().cloned())
                .collect()
        }),
        untested: loaded.untested.clone(),
        operations,
    })
}

/// `--known FILE`, read strictly; entries left as TODO are warned about, or refused under
/// `--strict-known`.
fn known_file(args: &Args) -> Result<Option<KnownFile>, Ending> {
    let Some(path) = &args.known else {
        return Ok(None);
    };
    let known = KnownFile::load(path).map_err(Ending::usage)?;
    let unfilled = known.unfilled();
    if args.strict_known && !unfilled.is_empty() {
        let all: Vec<String> = unfilled.iter().map(ToString::to_string).collect();
        return Err(Ending::Usage(format!(
            "--strict-known: {} known-failures entr{} not filled in\n{}",
            all.len(),
            if all.len() == 1 { "y is" } else { "ies are" },
            all.join("\n")
        )));
    }
    for entry in &unfilled {
        eprintln!("warning: {entry}");
    }
    Ok(Some(known))
}

/// `--base-url` and its key, or the built-in sandbox.
fn target(args: &Args, operations: &[Arc<Operation>]) -> Result<Target, Ending> {
    let env = key_env(args, operations);
    let Some(given) = &args.base_url else {
        return Ok(Target::BuiltInSandbox { key_env: env });
    };
    let url = run::parse_base_url(given, args.allow_insecure).map_err(Ending::usage)?;
    let mut key = ApiKey::from_env(&env);
    if operations.iter().any(|o| !o.auth.is_public()) && key.is_none() {
        let users = run::users_of(operations, &env);
        let whose = if args.api_key_env.is_some() || users.is_empty() {
            "the API key".to_owned()
        } else {
            format!("the key of {}", users.join(", "))
        };
        return Err(Ending::usage(format!(
            "{whose} is not set: export {env}=... (or name another variable with --api-key-env)"
        )));
    }
    if args.api_key_env.is_none() {
        let others = other_keys(operations, &env)?;
        key = key.map(|k| k.with_others(others));
    }
    if let Some(problem) = key.as_ref().and_then(ApiKey::header_problem) {
        return Err(Ending::Usage(problem));
    }
    Ok(Target::BaseUrl { url, key })
}

fn settings(args: &Args) -> Result<RunSettings, Ending> {
    let tls = TlsOptions::load(
        &args.ca_certs,
        args.client_cert.as_deref(),
        args.client_key.as_deref(),
    )
    .map_err(Ending::usage)?;
    Ok(RunSettings {
        plan: PlanOptions {
            seed: args.seed,
            examples: args.examples,
        },
        client: ClientOptions {
            timeout: Duration::from_millis(args.timeout_ms.max(1)),
            max_body_bytes: args.max_body_bytes,
            retries: args.retries,
            concurrency: args.concurrency as usize,
            tls,
        },
        rate: args.rate,
        max_requests: args.max_requests,
        fail_fast: args.fail_fast,
        shard: args.shard,
        families: None,
        deadline: args.deadline,
        observe: args.drift != DriftArg::Off,
        other_routes: Vec::new(),
    })
}

/// Run the job with a progress display, print its summary and say how it ended.
async fn run_job(job: Job, reports: &[ReportTarget]) -> Ending {
    let progress = Arc::new(Progress::default());
    let mut display = None;
    if !matches!(job.target, Target::BuiltInSandbox { .. }) {
        display = Some(ProgressDisplay::start(progress.clone()));
    }
    let mut notify = |notice: Notice| {
        eprintln!("specgate: {}", notice_text(&notice));
        if matches!(notice, Notice::SandboxStarted(_)) && display.is_none() {
            display = Some(ProgressDisplay::start(progress.clone()));
        }
    };
    let result = pipeline::execute(job, progress.clone(), &mut notify).await;
    if let Some(display) = display {
        display.finish().await;
    }
    match result {
        Ok(finished) => {
            print!("{}", render_summary(&finished.report));
            for target in reports {
                println!("  report: {}", target.path.display());
            }
            super::github_actions(&finished.report);
            match finished.verdict {
                Verdict::Conformant => Ending::Conformant,
                Verdict::Violations => Ending::Violations,
                Verdict::Unanswered => {
                    Ending::Unreachable(with_tls_fix(halt_message(&finished.report)))
                }
                Verdict::Incomplete => Ending::Incomplete(halt_message(&finished.report)),
            }
        }
        Err(e) if e.is_unreachable() => Ending::Unreachable(with_tls_fix(e.to_string())),
        Err(e) => Ending::usage(e),
    }
}

/// A certificate problem, with the flags that fix it.
fn with_tls_fix(message: String) -> String {
    if !message.to_lowercase().contains("certificate") {
        return message;
    }
    format!(
        "{message}\n  fix: trust the server's private CA with --ca-cert PEM; if it demands a \
         client certificate (mutual TLS), give --client-cert PEM and --client-key PEM"
    )
}

/// Why the run was halted, as its summary says.
fn halt_message(report: &crate::report::RunReport) -> String {
    report
        .summary
        .incomplete
        .as_ref()
        .map_or_else(String::new, ToString::to_string)
}

fn notice_text(notice: &Notice) -> String {
    match notice {
        Notice::SandboxStarted(url) => {
            format!("no --base-url given; testing the built-in sandbox at {url}")
        }
        Notice::DriftSkippedPartialRun => {
            "drift not checked: this run covered only part of the plan (shard, cap, fail-fast, circuit breaker or deadline)"
                .to_owned()
        }
        Notice::BaselineRecorded { case, snapshot } => {
            format!("recorded the drift baseline of {case} in {snapshot}")
        }
        Notice::BaselineUpdated { case, snapshot } => {
            format!("updated the drift baseline of {case} in {snapshot}")
        }
        Notice::BaselineRefused { cases, snapshots } => format!(
            "did not record the drift baseline of {} in {snapshots}: this run had contract findings, and a baseline recorded from a non-conformant server would grade its fix as drift\n  fix: fix the findings first, or record anyway with --record-nonconformant (the snapshot then marks those observations non-conformant)",
            name_some(cases)
        ),
    }
}

/// Up to five names, then how many more: a notice about every case is one line.
fn name_some(names: &[String]) -> String {
    const SHOWN: usize = 5;
    let shown = names[..names.len().min(SHOWN)].join(", ");
    match names.len().saturating_sub(SHOWN) {
        0 => shown,
        more => format!("{shown} and {more} more case(s)"),
    }
}
