//! One whole run, the way both `specgate run` and the cargo-test suite carry it out: start
//! the target (a base URL, or the built-in sandbox on a loopback port), run the plan
//! ([`crate::run`]), judge drift against the stored baseline ([`crate::drift`]), write the
//! reports ([`crate::report`]), and hand back the [`RunReport`] with its [`Verdict`].
//!
//! It prints nothing: what a person should hear about along the way comes to the caller as
//! [`Notice`]s, and the caller renders the report and maps the verdict to an exit code.

use crate::contract::Operation;
use crate::drift::{
    snapshot::SnapshotError, DriftRecord, Nonconformant, Severity, SnapshotPolicy, WritePolicy,
};
use crate::known::{Date, KnownFile};
use crate::report::{CaseSource, ReportError, ReportTarget, RunReport};
use crate::results::fold::fold;
use crate::results::{Check, Finding, HaltReason, Progress};
use crate::run::{self, ApiKey, RunConfig, RunError, RunResult, RunSettings};
use crate::sandbox::{Sandbox, DEFAULT_API_KEY};
use std::path::PathBuf;
use std::sync::Arc;
use url::Url;

/// What a job tests.
#[derive(Debug, Clone)]
pub enum Target {
    /// An API at this base URL; `key` is `None` only when no operation needs one.
    BaseUrl {
        /// The base URL the cases' paths are joined to.
        url: Url,
        /// The API key, read from its environment variable by the caller.
        key: Option<ApiKey>,
    },
    /// The built-in sandbox, serving the job's operations on 127.0.0.1. It accepts the key in
    /// `key_env` when that is set, else the sandbox's default key.
    BuiltInSandbox {
        /// The environment variable the key is read from.
        key_env: String,
    },
}

/// What drift from the stored baseline does to the verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DriftMode {
    /// Drift at or above this severity fails the run.
    Fail(Severity),
    /// Drift is reported but never fails the run.
    Warn,
    /// No baseline is read or written.
    Off,
}

/// Which findings a job is judged on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Judged {
    /// Every finding of the run and of drift.
    AllFindings,
    /// Drift findings only: the cargo-test suite's drift trial, whose run's other findings
    /// belong to the trials of their own request classes.
    DriftOnly,
}

/// Where drift baselines live and what happens to them.
#[derive(Debug, Clone)]
pub struct DriftSettings {
    /// Fail, warn or off.
    pub mode: DriftMode,
    /// Compare with the baseline, or record this run's observed contract as the baseline.
    pub policy: SnapshotPolicy,
    /// The folder of the case files, under which the default baseline folder lies.
    pub cases_dir: PathBuf,
    /// The baselines' folder; `None`: the target's default under `cases_dir`.
    pub snapshots: Option<PathBuf>,
    /// Whether a run with contract findings may write a baseline (`--record-nonconformant`).
    pub nonconformant: Nonconformant,
}

/// Everything one run needs.
#[derive(Debug, Clone)]
pub struct Job {
    /// The loaded cases.
    pub operations: Vec<Arc<Operation>>,
    /// What to test.
    pub target: Target,
    /// How to treat the target.
    pub settings: RunSettings,
    /// Drift baselines.
    pub drift: DriftSettings,
    /// Which findings decide the verdict.
    pub judged: Judged,
    /// Report files to write.
    pub reports: Vec<ReportTarget>,
    /// A known-failures file: its unexpired entries' findings do not fail the run.
    pub known: Option<KnownFile>,
    /// `--strict`: flaky findings fail the run too.
    pub strict: bool,
    /// Where reports say each case is written; `None`: each operation's case file and the
    /// line of its `path` key (see [`case_source`]).
    pub case_sources: Option<Vec<CaseSource>>,
    /// Operations of the document that could not be expressed (`untested` findings): they
    /// fail the run like any finding unless the known-failures file accepts them.
    pub untested: Vec<Finding>,
}

/// Something a person running the job should hear about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// No base URL was given; the built-in sandbox was started here.
    SandboxStarted(Url),
    /// Drift was not judged: the run covered only part of the plan.
    DriftSkippedPartialRun,
    /// A baseline was written for the first time.
    BaselineRecorded {
        /// The case.
        case: String,
        /// The snapshot file.
        snapshot: String,
    },
    /// A baseline was replaced (`--update-snapshots`).
    BaselineUpdated {
        /// The case.
        case: String,
        /// The snapshot file.
        snapshot: String,
    },
    /// No baseline was written for these cases: the run had contract findings and
    /// [`Nonconformant::Refuse`] was in force. Said once per run, for every case at once.
    BaselineRefused {
        /// The cases, in run order.
        cases: Vec<String>,
        /// The snapshots' folder.
        snapshots: String,
    },
}

/// Whether the target honours its contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// No finding fails the run.
    Conformant,
    /// Contract violations, or drift at or above the failing severity.
    Violations,
    /// The circuit breaker stopped the run: the target stopped answering.
    Unanswered,
    /// `--deadline` stopped the run, and what it did found no violations.
    Incomplete,
}

/// A finished job: the report (already written to every report file) and its verdict.
#[derive(Debug)]
pub struct Finished {
    /// Summary and findings.
    pub report: RunReport,
    /// Whether the run passes.
    pub verdict: Verdict,
}

/// Why a job could not be carried out.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The built-in sandbox did not start.
    #[error("cannot start the built-in sandbox: {0}")]
    Sandbox(String),
    /// The run could not be carried out (unreachable target, no runtime, …).
    #[error(transparent)]
    Run(#[from] RunError),
    /// A drift baseline could not be read or written.
    #[error(transparent)]
    Drift(#[from] SnapshotError),
    /// A report could not be written.
    #[error(transparent)]
    Report(#[from] ReportError),
}

impl PipelineError {
    /// The target could not be reached at all, or would not make the resources the plan
    /// needs (as opposed to a usage or file problem).
    pub fn is_unreachable(&self) -> bool {
        matches!(
            self,
            PipelineError::Run(
                RunError::Unreachable { .. } | RunError::Link { .. } | RunError::Token(_)
            )
        )
    }
}

/// The key for the built-in sandbox: from `env` if set, else the sandbox's default key.
pub fn builtin_sandbox_key(env: &str) -> ApiKey {
    ApiKey::from_env(env).unwrap_or_else(|| ApiKey::new(env, DEFAULT_API_KEY))
}

/// Carry out `job`: start the target, run, judge drift, write the reports.
pub async fn execute(
    job: Job,
    progress: Arc<Progress>,
    notify: &mut dyn FnMut(Notice),
) -> Result<Finished, PipelineError> {
    let (base_url, key, sandbox) = start_target(&job).await?;
    let builtin = sandbox.is_some();
    if builtin {
        notify(Notice::SandboxStarted(base_url.clone()));
    }
    let config = RunConfig {
        base_url: base_url.clone(),
        key: key.clone(),
        settings: job.settings.clone(),
    };
    let operations = match builtin {
        true => with_local_token_urls(&job.operations),
        false => job.operations.clone(),
    };
    let result = run::run(operations, config, progress).await?;
    drop(sandbox);
    let scrub = |text: &str| {
        key.as_ref()
            .map_or_else(|| text.to_owned(), |k| k.scrub(text))
    };
    let snapshots = job.drift.snapshots.clone().unwrap_or_else(|| {
        crate::drift::snapshot::default_dir(&job.drift.cases_dir, &base_url, builtin)
    });
    let mut report = judge_drift(&job, &snapshots, result, &scrub, notify)?;
    if job.judged == Judged::AllFindings {
        add_findings(&mut report, job.untested.clone());
    }
    fold_shared_causes(&mut report);
    judge_known(&job, &mut report);
    for target in &job.reports {
        report.write(target)?;
    }
    let verdict = match &report.summary.incomplete {
        // A target that stopped answering is unreachable, whatever was found before.
        Some(halt) if halt.reason == HaltReason::CircuitBreaker => Verdict::Unanswered,
        _ if report.fails() => Verdict::Violations,
        Some(_) => Verdict::Incomplete,
        None => Verdict::Conformant,
    };
    Ok(Finished { report, verdict })
}

/// `operations` with their OAuth2 token URLs at the built-in sandbox, which serves them.
fn with_local_token_urls(operations: &[Arc<Operation>]) -> Vec<Arc<Operation>> {
    operations
        .iter()
        .map(|operation| {
            let oauth = operation.auth.alternatives().iter().flatten();
            if oauth
                .filter_map(|a| a.client_credentials())
                .next()
                .is_none()
            {
                return Arc::clone(operation);
            }
            let mut operation = (**operation).clone();
            operation.auth.token_urls_at_base();
            Arc::new(operation)
        })
        .collect()
}

/// The base URL and key to test, and the built-in sandbox when it is the target (it serves
/// until dropped).
async fn start_target(job: &Job) -> Result<(Url, Option<ApiKey>, Option<Sandbox>), PipelineError> {
    match &job.target {
        Target::BaseUrl { url, key } => Ok((url.clone(), key.clone(), None)),
        Target::BuiltInSandbox { key_env } => {
            let key = builtin_sandbox_key(key_env);
            let sandbox = Sandbox::start_on_loopback(job.operations.clone(), key.expose())
                .await
                .map_err(|e| PipelineError::Sandbox(e.to_string()))?;
            Ok((sandbox.base_url().clone(), Some(key), Some(sandbox)))
        }
    }
}

/// Compare the observed contract with the stored baseline and fold the result into the
/// report. Drift is judged on whole runs only: a shard, a capped or a stopped run saw part
/// of the plan.
fn judge_drift(
    job: &Job,
    snapshots: &std::path::Path,
    result: RunResult,
    scrub: &dyn Fn(&str) -> String,
    notify: &mut dyn FnMut(Notice),
) -> Result<RunReport, PipelineError> {
    let mut report = RunReport::new(result.summary, result.findings);
    report.flaky = result.flaky;
    report.strict = job.strict;
    report.cases = job
        .case_sources
        .clone()
        .unwrap_or_else(|| job.operations.iter().map(|o| case_source(o)).collect());
    let partial = job.settings.shard.is_some()
        || report.summary.capped
        || report.summary.stopped_early
        || report.summary.incomplete.is_some();
    if job.drift.mode == DriftMode::Off || partial {
        if partial && job.drift.mode != DriftMode::Off {
            notify(Notice::DriftSkippedPartialRun);
        }
        return Ok(report);
    }
    let policy = WritePolicy {
        snapshots: job.drift.policy,
        nonconformant: job.drift.nonconformant,
    };
    let (findings, records) = crate::drift::check_drift(
        &result.observed,
        &job.operations,
        snapshots,
        policy,
        scrub,
        &report.findings,
    )?;
    for record in &records {
        if let Some(notice) = baseline_notice(record) {
            notify(notice);
        }
    }
    let refused: Vec<String> = records
        .iter()
        .filter(|r| r.status == "refused")
        .map(|r| r.case.clone())
        .collect();
    if !refused.is_empty() {
        notify(Notice::BaselineRefused {
            cases: refused,
            snapshots: snapshots.display().to_string(),
        });
    }
    if job.judged == Judged::DriftOnly {
        report.findings.clear();
        report.flaky.clear();
        report.summary.findings_by_check.clear();
        report.summary.finding_groups = 0;
    }
    add_findings(&mut report, findings);
    report.summary.drift = records;
    report.summary.drift_fail_on = match job.drift.mode {
        DriftMode::Fail(severity) => Some(severity),
        DriftMode::Warn | DriftMode::Off => None,
    };
    Ok(report)
}

fn baseline_notice(record: &DriftRecord) -> Option<Notice> {
    let (case, snapshot) = (record.case.clone(), record.snapshot.clone());
    match record.status.as_str() {
        "recorded" => Some(Notice::BaselineRecorded { case, snapshot }),
        "updated" => Some(Notice::BaselineUpdated { case, snapshot }),
        _ => None,
    }
}

/// Append `findings` (drift's, or the untested operations') to the report and its
/// per-check counts.
fn add_findings(report: &mut RunReport, findings: Vec<Finding>) {
    for finding in &findings {
        debug_assert!(matches!(finding.check, Check::Drift | Check::Untested));
        *report
            .summary
            .findings_by_check
            .entry(finding.check.name().to_owned())
            .or_default() += finding.count;
    }
    report.summary.finding_groups += findings.len() as u64;
    report.findings.extend(findings);
}

/// One finding per cause several operations share (see [`crate::results::fold`]); drift
/// has been judged per case already.
fn fold_shared_causes(report: &mut RunReport) {
    report.findings = fold(std::mem::take(&mut report.findings));
    report.flaky = fold(std::mem::take(&mut report.flaky));
    report.summary.finding_groups = report.findings.len() as u64;
}

/// Move the findings the known-failures file knows out of the failing ones. A run that saw
/// part of the plan (a trial's request classes) says nothing of the entries it did not match.
fn judge_known(job: &Job, report: &mut RunReport) {
    let Some(known) = &job.known else {
        return;
    };
    let mut applied = crate::known::apply(&mut report.findings, known, Date::today());
    if job.settings.families.is_some() || job.judged == Judged::DriftOnly {
        applied.unmatched.clear();
    }
    report.known = Some(applied);
}

/// Where `operation` is written: its case file and the line of its `path` key (1 when the
/// file cannot be read again), for SARIF and CI annotations.
pub fn case_source(operation: &Operation) -> CaseSource {
    let text = std::fs::read_to_string(&operation.source).unwrap_or_default();
    let line = first_line(&text, |l| {
        l.strip_prefix("path")
            .is_some_and(|rest| rest.trim_start().starts_with('='))
    });
    CaseSource {
        case: operation.name.clone(),
        file: operation.source.display().to_string().replace('\\', "/"),
        line,
        pointer: None,
    }
}

/// Where an operation imported from an OpenAPI document is written: the document, at the
/// line of the operation's method key under its path (else as [`document_case_source`]
/// finds it), and its JSON pointer, `/paths/~1orders~1{id}/get`, which says where it is even
/// in a document written on one line.
pub fn imported_case_source(operation: &Operation, document: &std::path::Path) -> CaseSource {
    let text = std::fs::read_to_string(document).unwrap_or_default();
    let line = operation_offset(&text, operation).map_or_else(
        || operation_id_line(&text, &operation.name),
        |offset| text[..offset].matches('\n').count() + 1,
    );
    let method = operation.method.as_str().to_ascii_lowercase();
    CaseSource {
        case: operation.name.clone(),
        file: document.display().to_string().replace('\\', "/"),
        line,
        pointer: Some(format!(
            "/paths/{}/{method}",
            crate::schema::escape(&operation.path)
        )),
    }
}

/// Where the operation `operation_id`, run or reported as the case `case`, is in `document`:
/// the first line that names it as an `operationId`, else the document's first line.
pub fn document_case_source(
    case: &str,
    operation_id: &str,
    document: &std::path::Path,
) -> CaseSource {
    let text = std::fs::read_to_string(document).unwrap_or_default();
    CaseSource {
        case: case.to_owned(),
        file: document.display().to_string().replace('\\', "/"),
        line: operation_id_line(&text, operation_id),
        pointer: None,
    }
}

/// The first line of `text` that names `operation_id` as an `operationId`, else 1.
fn operation_id_line(text: &str, operation_id: &str) -> usize {
    first_line(text, |l| {
        l.trim_start_matches('"').starts_with("operationId") && l.contains(operation_id)
    })
}

/// The byte offset of `operation`'s method key under its path key, in a JSON document (quoted
/// keys) or a YAML one (bare keys); `None` when neither form is found.
fn operation_offset(text: &str, operation: &Operation) -> Option<usize> {
    let method = operation.method.as_str().to_ascii_lowercase();
    let quoted = serde_json::to_string(&operation.path).ok()?;
    let forms = [
        (format!("{quoted}:"), format!("\"{method}\"")),
        (format!("{quoted} :"), format!("\"{method}\"")),
        (format!("{}:", operation.path), format!("{method}:")),
    ];
    forms.iter().find_map(|(path_key, method_key)| {
        let at = text.find(path_key.as_str())?;
        Some(at + text[at..].find(method_key.as_str())?)
    })
}

/// The 1-based number of the first line of `text` whose trimmed start `matches`, else 1.
fn first_line(text: &str, matches: impl Fn(&str) -> bool) -> usize {
    text.lines()
        .position(|l| matches(l.trim_start()))
        .map_or(1, |index| index + 1)
}
