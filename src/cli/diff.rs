//! `specgate diff`: send the same coverage plan to two targets and report every request class
//! whose observed behaviour differs (status, content type, response shape, tracked values),
//! graded like drift. The `--against` target is the reference; `--base-url` the candidate.

use super::run::SeverityArg;
use super::Ending;
use crate::contract::Operation;
use crate::drift::differential::{compare, TargetRun};
use crate::generate::PlanOptions;
use crate::report::console::ProgressDisplay;
use crate::report::{ReportTarget, RunReport};
use crate::results::Progress;
use crate::run::{self, ApiKey, ClientOptions, RunConfig, RunError, RunResult, RunSettings};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit codes: 0 no difference at or above --fail-on, 1 differences found, 2 usage/configuration/contract-file error, 3 a target unreachable.\n\
The API keys are read from $SPECGATE_API_KEY (or --api-key-env / --against-api-key-env) and are never printed or written."
)]
pub(super) struct Args {
    /// The candidate: base URL of the build under test, with its version path.
    #[arg(long, value_name = "URL")]
    pub base_url: String,
    /// The reference it should answer like (e.g. production's sandbox).
    #[arg(long, value_name = "URL")]
    pub against: String,
    #[command(flatten)]
    pub(super) source: super::source::CaseSource,
    /// The least severe difference that fails the run.
    #[arg(long, value_enum, value_name = "SEVERITY", default_value_t = SeverityArg::Warning)]
    pub fail_on: SeverityArg,
    /// Requests in flight at once, per target.
    #[arg(long, value_name = "N", default_value_t = 32, value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub concurrency: u64,
    /// At most this many requests per second to each target.
    #[arg(long, value_name = "REQ_PER_S")]
    pub rate: Option<f64>,
    /// Time allowed for each request, headers and body together.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub timeout_ms: u64,
    /// Write a report: json=PATH, junit=PATH, markdown=PATH, sarif=PATH or html=PATH. Repeatable.
    #[arg(long = "report", value_name = "FORMAT=PATH")]
    pub reports: Vec<ReportTarget>,
    /// The environment variable holding the candidate's API key (default: the case's).
    #[arg(long, value_name = "NAME")]
    pub api_key_env: Option<String>,
    /// The environment variable holding the reference's API key (default: as the candidate).
    #[arg(long, value_name = "NAME")]
    pub against_api_key_env: Option<String>,
    /// Allow plain http:// to a host that is not loopback.
    #[arg(long)]
    pub allow_insecure: bool,
}

/// One target, ready to run.
struct Target {
    url: url::Url,
    key: Option<ApiKey>,
}

pub(super) fn execute(args: Args) -> Ending {
    let loaded = match args.source.load() {
        Ok(loaded) => loaded,
        Err(ending) => return ending,
    };
    loaded.announce_untested();
    // Both targets are sent what `run` sends: each operation's first complete security
    // alternative, every scheme of it with its own secret.
    let one_key = args.api_key_env.is_some() || args.against_api_key_env.is_some();
    let operations = match super::run::choose_security(one_key, true, loaded.operations.clone()) {
        Ok(operations) => operations,
        Err(ending) => return ending,
    };
    if let Some(rate) = args.rate.filter(|r| !(r.is_finite() && *r > 0.0)) {
        return Ending::usage(format!(
            "--rate {rate}: give a positive number of requests per second"
        ));
    }
    let case_env = operations
        .iter()
        .find_map(|o| o.auth.sent().first().map(|a| a.env.clone()))
        .unwrap_or_else(|| "SPECGATE_API_KEY".to_owned());
    let needs_key = operations.iter().any(|o| !o.auth.is_public());
    let candidate_env = args.api_key_env.clone().unwrap_or(case_env);
    let reference_env = args
        .against_api_key_env
        .clone()
        .unwrap_or_else(|| candidate_env.clone());
    let needs = Needs {
        key: needs_key,
        others: (!one_key).then_some(operations.as_slice()),
    };
    let targets =
        target(&args, "--base-url", &args.base_url, &candidate_env, &needs).and_then(|c| {
            target(&args, "--against", &args.against, &reference_env, &needs).map(|r| (c, r))
        });
    let (candidate, reference) = match targets {
        Ok(pair) => pair,
        Err(ending) => return ending,
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => return Ending::usage(format!("cannot start the async runtime: {e}")),
    };
    match runtime.block_on(differ(&args, operations, reference, candidate)) {
        Ending::Usage(message) => loaded.usage(message),
        ending => ending,
    }
}

/// What a target's key must hold.
struct Needs<'a> {
    /// A key at all (some operation is not public).
    key: bool,
    /// The operations whose other variables must be set too; none when a flag names the one
    /// variable sent everywhere.
    others: Option<&'a [Arc<Operation>]>,
}

fn target(
    args: &Args,
    flag: &str,
    given: &str,
    env: &str,
    needs: &Needs,
) -> Result<Target, Ending> {
    let url = run::parse_base_url(given, args.allow_insecure)
        .map_err(|e| Ending::usage(format!("{flag}: {e}")))?;
    let mut key = ApiKey::from_env(env);
    if let Some(operations) = needs.others {
        let others = super::run::other_keys(operations, env)?;
        key = key.map(|k| k.with_others(others));
    }
    if needs.key && key.is_none() {
        return Err(Ending::usage(format!(
            "the API key for {flag} is not set: export {env}=... (or name another variable with --api-key-env / --against-api-key-env)"
        )));
    }
    Ok(Target { url, key })
}

fn config(args: &Args, target: &Target) -> RunConfig {
    RunConfig {
        base_url: target.url.clone(),
        key: target.key.clone(),
        settings: RunSettings {
            // The observed contract comes from the deterministic coverage plan alone.
            plan: PlanOptions {
                seed: 0,
                examples: 0,
            },
            client: ClientOptions {
                timeout: Duration::from_millis(args.timeout_ms.max(1)),
                max_body_bytes: 1 << 20,
                retries: 3,
                concurrency: args.concurrency as usize,
                tls: Default::default(),
            },
            rate: args.rate,
            max_requests: None,
            fail_fast: false,
            shard: None,
            families: None,
            deadline: None,
            // The observed contract is the point of a diff.
            observe: true,
            other_routes: Vec::new(),
        },
    }
}

async fn run_one(operations: &[Arc<Operation>], config: RunConfig) -> Result<RunResult, Ending> {
    let progress = Arc::new(Progress::default());
    let display = ProgressDisplay::start(progress.clone());
    let result = run::run(operations.to_vec(), config, progress).await;
    display.finish().await;
    result.map_err(|e| match e {
        e @ RunError::Unreachable { .. } => Ending::Unreachable(e.to_string()),
        e => Ending::usage(e),
    })
}

fn scrubber(key: &Option<ApiKey>) -> impl Fn(&str) -> String + '_ {
    move |text: &str| {
        key.as_ref()
            .map_or_else(|| text.to_owned(), |k| k.scrub(text))
    }
}

async fn differ(
    args: &Args,
    operations: Vec<Arc<Operation>>,
    reference: Target,
    candidate: Target,
) -> Ending {
    eprintln!("specgate diff: the reference {}", reference.url);
    let before = match run_one(&operations, config(args, &reference)).await {
        Ok(result) => result,
        Err(ending) => return ending,
    };
    eprintln!("specgate diff: the candidate {}", candidate.url);
    let after = match run_one(&operations, config(args, &candidate)).await {
        Ok(result) => result,
        Err(ending) => return ending,
    };
    let (scrub_reference, scrub_candidate) = (scrubber(&reference.key), scrubber(&candidate.key));
    let reference_url = reference.url.to_string();
    let candidate_url = candidate.url.to_string();
    let differences = compare(
        &operations,
        &TargetRun {
            base_url: &reference_url,
            observed: &before.observed,
            findings: &before.findings,
            scrub: &scrub_reference,
        },
        &TargetRun {
            base_url: &candidate_url,
            observed: &after.observed,
            findings: &after.findings,
            scrub: &scrub_candidate,
        },
    );
    let mut report = RunReport::new(after.summary, differences);
    // The report is about the differences: the candidate's own findings are `specgate run`'s.
    report.summary.findings_by_check = report
        .findings
        .iter()
        .map(|f| (f.check.name().to_owned(), f.count))
        .collect();
    report.summary.finding_groups = report.findings.len() as u64;
    report.summary.drift_fail_on = Some(args.fail_on.into());
    report.cases = operations
        .iter()
        .map(|o| crate::pipeline::case_source(o))
        .collect();
    finish(&report, &args.reports, &reference_url)
}

fn finish(report: &RunReport, targets: &[ReportTarget], reference: &str) -> Ending {
    for target in targets {
        if let Err(e) = report.write(target) {
            return Ending::usage(e);
        }
    }
    let fails = report.fails();
    let verdict = match (fails, report.findings.len()) {
        (_, 0) => "SAME BEHAVIOUR".to_owned(),
        (false, _) => "DIFFERENT, below the failure threshold".to_owned(),
        (true, _) => "DIFFERENT BEHAVIOUR".to_owned(),
    };
    println!(
        "\nspecgate diff: {verdict} — {} against the reference {reference}",
        report.summary.base_url
    );
    for finding in &report.findings {
        println!(
            "\n{} ({}): {}",
            finding.case, finding.cause, finding.message
        );
        for line in finding.diff.iter().flat_map(|d| d.lines()) {
            println!("  {line}");
        }
    }
    for target in targets {
        println!("  report: {}", target.path.display());
    }
    super::github_actions(report);
    if fails {
        Ending::Violations
    } else {
        Ending::Conformant
    }
}
