//! Running the real `specgate` binary against a hostile server: every report format and the
//! drift snapshots go to a temp folder; the run's exit code, output, wall time and peak RSS
//! come back, and every byte it wrote can be searched for the key.
//!
//! Peak RSS is the process's own high-water mark (`VmHWM` in `/proc/PID/status`), sampled
//! every few milliseconds while it runs. `wait4(2)`'s `ru_maxrss` would be simpler but is
//! wrong here: a child spawned with vfork inherits, at exec, the high-water mark of the test
//! process it was spawned from, which other tests in the same binary make large.

use base64::Engine;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The key the hostile runs use: mixed case, and with `+` so that its URL-encoded form
/// differs from it. It is also a valid header name, so a server can echo it as one.
pub(super) const KEY: &str = "Hostile+Key-7f3a9Zq2Wv";

/// The ceiling the issue sets on a run's peak memory, whatever the server does.
pub(super) const MAX_PEAK_RSS_BYTES: u64 = 256 * 1024 * 1024;

/// What one run did.
pub(super) struct Ran {
    /// `None` when a signal ended it (a crash, or the watchdog).
    pub(super) code: Option<i32>,
    pub(super) stdout: String,
    pub(super) stderr: String,
    pub(super) elapsed: Duration,
    pub(super) peak_rss_bytes: u64,
    /// Reports (`report.json`, `report.xml`, `report.md`, `report.sarif`) and `snapshots/`.
    pub(super) dir: tempfile::TempDir,
}

impl Ran {
    /// The JSON report, when the run wrote one.
    pub(super) fn report(&self) -> Option<serde_json::Value> {
        let text = std::fs::read_to_string(self.dir.path().join("report.json")).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// The findings of `check` in the JSON report, as `(cause, message)`.
    pub(super) fn findings(&self, check: &str) -> Vec<(String, String)> {
        let Some(report) = self.report() else {
            return Vec::new();
        };
        report["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|f| f["check"] == check)
            .map(|f| {
                let text = |k: &str| f[k].as_str().unwrap_or_default().to_owned();
                (text("cause"), text("message"))
            })
            .collect()
    }

    pub(super) fn console(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }

    /// Every file the run wrote, with its bytes.
    pub(super) fn written(&self) -> Vec<(PathBuf, Vec<u8>)> {
        let mut files = Vec::new();
        collect(self.dir.path(), &mut files);
        files
    }

    /// The assertions every battery test makes: no panic and no signal, the run ended
    /// within `bound`, peak memory under the ceiling, and the key in no byte written.
    pub(super) fn assert_sound(&self, bound: Duration) {
        eprintln!(
            "specgate ran {:.1} s, peak RSS {:.1} MiB",
            self.elapsed.as_secs_f64(),
            self.peak_rss_bytes as f64 / (1 << 20) as f64
        );
        let console = self.console();
        assert!(!console.contains("panicked"), "a panic:\n{console}");
        let code = self
            .code
            .unwrap_or_else(|| panic!("ended by a signal:\n{console}"));
        assert!(
            [0, 1, 3, 4].contains(&code),
            "exit {code} is not a run's outcome:\n{console}"
        );
        assert!(
            self.elapsed < bound,
            "took {:?}, more than the bound {bound:?} its settings allow:\n{console}",
            self.elapsed
        );
        assert!(
            self.peak_rss_bytes < MAX_PEAK_RSS_BYTES,
            "peak RSS {} MiB:\n{console}",
            self.peak_rss_bytes >> 20
        );
        self.assert_no_key();
    }

    /// The key, in any of the forms a server may echo it in, appears in no output byte.
    pub(super) fn assert_no_key(&self) {
        let mut outputs = vec![
            (PathBuf::from("(stdout)"), self.stdout.clone().into_bytes()),
            (PathBuf::from("(stderr)"), self.stderr.clone().into_bytes()),
        ];
        outputs.extend(self.written());
        for (path, bytes) in outputs {
            let text = String::from_utf8_lossy(&bytes).to_lowercase();
            for form in key_forms() {
                assert!(
                    !text.contains(&form.to_lowercase()),
                    "{} holds the key as {form:?}",
                    path.display()
                );
            }
        }
    }
}

/// The key as a server may echo it: as is (any case), percent-encoded, base64; and its
/// first 8 characters, so that a cut key is caught too.
pub(super) fn key_forms() -> Vec<String> {
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    vec![
        KEY.to_owned(),
        KEY.replace('+', "%2B"),
        KEY.replace('+', "%2b"),
        STANDARD.encode(KEY),
        URL_SAFE_NO_PAD.encode(KEY),
        KEY[..8].to_owned(),
    ]
}

fn collect(dir: &Path, files: &mut Vec<(PathBuf, Vec<u8>)>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, files);
        } else if let Ok(bytes) = std::fs::read(&path) {
            files.push((path, bytes));
        }
    }
}

/// `specgate run --base-url BASE` with every report format, snapshots in the temp folder,
/// and `extra` flags; killed if it outlives `watchdog` (the test then fails on its bound).
pub(super) fn run(base: &str, extra: &[&str], watchdog: Duration) -> Ran {
    let dir = tempfile::tempdir().expect("temp dir");
    let at = |name: &str| dir.path().join(name).display().to_string();
    let mut args: Vec<String> = vec![
        "run".into(),
        "--base-url".into(),
        base.into(),
        "--snapshots".into(),
        at("snapshots"),
    ];
    for (format, file) in [
        ("json", "report.json"),
        ("junit", "report.xml"),
        ("markdown", "report.md"),
        ("sarif", "report.sarif"),
    ] {
        args.push("--report".into());
        args.push(format!("{format}={}", at(file)));
    }
    args.extend(extra.iter().map(|a| (*a).to_owned()));
    let mut command = Command::new(env!("CARGO_BIN_EXE_specgate"));
    command
        .args(&args)
        .env("SPECGATE_API_KEY", KEY)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // Snapshots are written (as on a developer's machine), and nothing goes via a proxy.
    for name in [
        "CI",
        "TF_BUILD",
        "INSTA_UPDATE",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
    ] {
        command.env_remove(name).env_remove(name.to_lowercase());
    }
    spawn_and_measure(command, dir, watchdog)
}

fn spawn_and_measure(mut command: Command, dir: tempfile::TempDir, watchdog: Duration) -> Ran {
    let started = Instant::now();
    let mut child = command.spawn().expect("spawn specgate");
    let pid = child.id();
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            String::from_utf8_lossy(&bytes).into_owned()
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("stdout")));
    let stderr = drain(Box::new(child.stderr.take().expect("stderr")));
    let done = Arc::new(AtomicBool::new(false));
    let peak = Arc::new(AtomicU64::new(0));
    let (finished, highest) = (done.clone(), peak.clone());
    std::thread::spawn(move || {
        let until = Instant::now() + watchdog;
        while Instant::now() < until && !finished.load(Ordering::Relaxed) {
            if let Some(bytes) = high_water_mark(pid) {
                highest.fetch_max(bytes, Ordering::Relaxed);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        if !finished.load(Ordering::Relaxed) {
            // SAFETY: signalling our own child, which has not been reaped yet.
            unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
        }
    });
    let status = child.wait().expect("wait for specgate");
    done.store(true, Ordering::Relaxed);
    let elapsed = started.elapsed();
    Ran {
        code: status.code(),
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
        elapsed,
        peak_rss_bytes: peak.load(Ordering::Relaxed),
        dir,
    }
}

/// `VmHWM` of process `pid`, in bytes; `None` once it has exited.
fn high_water_mark(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}
