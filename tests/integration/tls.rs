//! TLS and proxies, on loopback: the sandbox serving HTTPS with a private CA (trusted with
//! `--ca-cert`, refused without it, exit 3 naming the certificate problem), demanding a
//! client certificate (mutual TLS), and a run going through an HTTP proxy named by
//! `HTTP_PROXY`, preflight included.

use specgate::sandbox::{PrivateCa, Sandbox, SandboxConfig, SandboxTls};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

const KEY: &str = "tls-test-key-5e2c";

fn cases_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("cases")
}

/// `specgate run --base-url BASE EXTRA…`, small and without drift, proxies cleared unless
/// `envs` sets them.
fn run(base: &str, extra: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_specgate"));
    command
        .args([
            "run",
            "--base-url",
            base,
            "--examples",
            "2",
            "--drift",
            "off",
        ])
        .arg("--cases")
        .arg(cases_dir())
        .args(extra)
        .env("SPECGATE_API_KEY", KEY);
    for name in ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"] {
        command.env_remove(name).env_remove(name.to_lowercase());
    }
    for (name, value) in envs {
        command.env(name, value);
    }
    command.output().expect("specgate runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn write(dir: &Path, name: &str, contents: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("write");
    path.display().to_string()
}

/// `specgate sandbox --tls` writes its CA; a run trusting it passes, a run that does not
/// exits 3 saying the certificate is not trusted.
#[test]
fn a_private_ca_is_trusted_with_ca_cert_and_refused_without() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ca = dir.path().join("ca.pem");
    let mut sandbox = Command::new(env!("CARGO_BIN_EXE_specgate"))
        .args(["sandbox", "--addr", "127.0.0.1:0", "--tls", "--tls-ca-out"])
        .arg(&ca)
        .arg("--cases")
        .arg(cases_dir())
        .env("SPECGATE_API_KEY", KEY)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the sandbox starts");
    let mut first = String::new();
    let mut stdout = BufReader::new(sandbox.stdout.take().expect("stdout"));
    stdout.read_line(&mut first).expect("a first line");
    let base = first
        .trim()
        .strip_prefix("specgate sandbox listening on ")
        .unwrap_or_default()
        .to_owned();
    assert!(base.starts_with("https://127.0.0.1:"), "{first}");
    let pem = std::fs::read_to_string(&ca).expect("the CA is written");
    assert!(pem.contains("BEGIN CERTIFICATE"), "{pem}");

    let trusted = run(&base, &["--ca-cert", &ca.display().to_string()], &[]);
    let untrusted = run(&base, &[], &[]);
    let _ = sandbox.kill();
    let _ = sandbox.wait();

    assert_eq!(trusted.status.code(), Some(0), "{}", text(&trusted.stdout));
    let stderr = text(&untrusted.stderr);
    assert_eq!(untrusted.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("certificate"), "{stderr}");
    assert!(stderr.contains("UnknownIssuer"), "{stderr}");
    assert!(stderr.contains("--ca-cert"), "the fix is named: {stderr}");
}

/// A sandbox on this thread's runtime, serving `tls`.
struct TlsSandbox {
    base_url: String,
    _sandbox: Sandbox,
    _runtime: tokio::runtime::Runtime,
}

fn start_tls(tls: &SandboxTls) -> TlsSandbox {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let operations = specgate::contract::load_cases(&cases_dir()).expect("cases");
    let config = SandboxConfig {
        addr: ([127, 0, 0, 1], 0).into(),
        api_key: KEY.to_owned(),
        faults: Vec::new(),
    };
    let sandbox = runtime
        .block_on(Sandbox::start_tls(
            operations.into_iter().map(Arc::new).collect(),
            config,
            tls,
        ))
        .expect("the TLS sandbox starts");
    TlsSandbox {
        base_url: sandbox.base_url().to_string(),
        _sandbox: sandbox,
        _runtime: runtime,
    }
}

#[test]
fn mutual_tls_passes_with_the_client_certificate_and_fails_clearly_without() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server_ca = PrivateCa::new("server CA").expect("CA");
    let client_ca = PrivateCa::new("client CA").expect("CA");
    let mut tls = server_ca.loopback_server().expect("server certificate");
    tls.client_ca_pem = Some(client_ca.pem());
    let sandbox = start_tls(&tls);
    let (cert, key) = client_ca.issue(&["specgate-client"]).expect("client cert");
    let ca = write(dir.path(), "server-ca.pem", &server_ca.pem());
    let cert = write(dir.path(), "client.pem", &cert);
    let key = write(dir.path(), "client.key", &key);

    let with = run(
        &sandbox.base_url,
        &[
            "--ca-cert",
            &ca,
            "--client-cert",
            &cert,
            "--client-key",
            &key,
        ],
        &[],
    );
    assert_eq!(
        with.status.code(),
        Some(0),
        "{}{}",
        text(&with.stdout),
        text(&with.stderr)
    );

    let without = run(&sandbox.base_url, &["--ca-cert", &ca], &[]);
    let stderr = text(&without.stderr);
    assert_eq!(without.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.to_lowercase().contains("certificate"),
        "the failure names the certificate: {stderr}"
    );

    // A certificate from a CA the server does not trust is refused too.
    let stranger = PrivateCa::new("another CA").expect("CA");
    let (cert, key) = stranger.issue(&["specgate-client"]).expect("client cert");
    let cert = write(dir.path(), "stranger.pem", &cert);
    let key = write(dir.path(), "stranger.key", &key);
    let refused = run(
        &sandbox.base_url,
        &[
            "--ca-cert",
            &ca,
            "--client-cert",
            &cert,
            "--client-key",
            &key,
        ],
        &[],
    );
    assert_eq!(refused.status.code(), Some(3), "{}", text(&refused.stderr));
}

#[test]
fn unreadable_certificate_files_are_usage_errors_naming_the_flag() {
    let dir = tempfile::tempdir().expect("temp dir");
    let garbage = write(dir.path(), "garbage.pem", "not a certificate\n");
    let cases: [(&[&str], &str); 3] = [
        (&["--ca-cert", "/nonexistent/ca.pem"], "--ca-cert"),
        (&["--ca-cert", &garbage], "--ca-cert"),
        (
            &["--client-cert", &garbage, "--client-key", &garbage],
            "--client-",
        ),
    ];
    for (args, flag) in cases {
        let output = run("https://127.0.0.1:9/v1", args, &[]);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(flag), "{args:?}: {stderr}");
    }
}

/// A forward proxy that sends every connection to `upstream`, byte for byte (the sandbox
/// reads the absolute-form request target a proxy client sends); counts connections.
fn forward_proxy(upstream: std::net::SocketAddr) -> (String, Arc<AtomicU64>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let connections = Arc::new(AtomicU64::new(0));
    let counted = connections.clone();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            counted.fetch_add(1, Ordering::Relaxed);
            let Ok(server) = TcpStream::connect(upstream) else {
                continue;
            };
            pipe(&client, &server);
            pipe(&server, &client);
        }
    });
    (url, connections)
}

fn pipe(from: &TcpStream, to: &TcpStream) {
    let (Ok(mut from), Ok(mut to)) = (from.try_clone(), to.try_clone()) else {
        return;
    };
    std::thread::spawn(move || {
        let mut buffer = [0u8; 16 * 1024];
        while let Ok(n) = from.read(&mut buffer) {
            if n == 0 || to.write_all(&buffer[..n]).is_err() {
                break;
            }
        }
        let _ = to.shutdown(std::net::Shutdown::Write);
    });
}

/// The base URL's host does not even resolve: only a run whose preflight and requests both
/// go through the proxy can reach the sandbox behind it.
#[test]
fn http_proxy_is_honoured_by_the_preflight_and_the_requests() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let operations = specgate::contract::load_cases(&cases_dir()).expect("cases");
    let config = SandboxConfig {
        addr: ([127, 0, 0, 1], 0).into(),
        api_key: KEY.to_owned(),
        faults: Vec::new(),
    };
    let sandbox = runtime
        .block_on(Sandbox::start(
            operations.into_iter().map(Arc::new).collect(),
            config,
        ))
        .expect("sandbox");
    let (proxy, connections) = forward_proxy(sandbox.local_addr());
    let base = "http://partner-sandbox.invalid/v1";
    let direct = run(base, &["--allow-insecure"], &[]);
    assert_eq!(direct.status.code(), Some(3), "{}", text(&direct.stderr));
    assert_eq!(connections.load(Ordering::Relaxed), 0);

    let proxied = run(base, &["--allow-insecure"], &[("HTTP_PROXY", &proxy)]);
    assert_eq!(
        proxied.status.code(),
        Some(0),
        "{}{}",
        text(&proxied.stdout),
        text(&proxied.stderr)
    );
    assert!(connections.load(Ordering::Relaxed) > 0);

    let bypassed = run(
        base,
        &["--allow-insecure"],
        &[
            ("HTTP_PROXY", &proxy),
            ("NO_PROXY", "partner-sandbox.invalid"),
        ],
    );
    assert_eq!(bypassed.status.code(), Some(3), "NO_PROXY is honoured too");
    drop(sandbox);
}
