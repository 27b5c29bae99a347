//! `specgate sandbox`: serve the cases as a reference API, optionally with injected faults.

use super::Ending;
use crate::sandbox::{
    Fault, PrivateCa, Sandbox, SandboxConfig, SandboxError, SandboxTls, DEFAULT_API_KEY,
};
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// Shown after the options: `--help` on a subcommand only gets the one-line about from the
/// subcommand list, so the explanation goes here.
const EXPLANATION: &str = "\
Serves every case in the cases folder (or every operation of --openapi FILE) as a reference \
API under the real API's base path, \
so the base URL is http://ADDR/v1. It behaves exactly as the contract says: a missing or \
wrong key gets 401, an invalid body gets 400 naming the first violation's JSON pointer (or \
the case's documented status and body for those requests), a \
valid body gets 200 with a body that validates against the response schema, varied \
deterministically by the request body. An unknown path gets 404, a wrong method 405 with \
an Allow header.

The first line of output, once it is ready, is `specgate sandbox listening on URL`. It \
serves until Ctrl-C.

--tls serves HTTPS instead, with a certificate for 127.0.0.1, ::1 and localhost signed by \
a private CA made up at start, whose certificate it writes to --tls-ca-out for \
`specgate run --ca-cert`; --tls-client-ca PEM also demands a client certificate signed by \
that CA (mutual TLS).

--fault NAME (repeatable) switches on one realistic regression each, so you can prove \
that `specgate run` catches it; --list-faults prints them all. Faults that act on one input \
(slow-response, oversized-body) trigger on a valid body holding a whitespace-only string.

Exit codes: 0 after Ctrl-C, 2 for a broken case file, an unknown fault or a taken address.

Examples:
  specgate sandbox
  specgate sandbox --addr 127.0.0.1:0 --fault drift-new-field --fault slow-response=2000
  specgate sandbox --tls --tls-ca-out /tmp/sandbox-ca.pem
  specgate sandbox --list-faults";

#[derive(Debug, clap::Args)]
#[command(after_help = EXPLANATION)]
pub(super) struct Args {
    /// Address to listen on; port 0 picks a free port (the first line of output names it).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    addr: SocketAddr,

    #[command(flatten)]
    source: super::source::CaseSource,

    /// The API key the sandbox accepts [default: specgate-sandbox-key].
    #[arg(
        long,
        value_name = "KEY",
        env = "SPECGATE_API_KEY",
        hide_env_values = true
    )]
    api_key: Option<String>,

    /// Switch on a fault, e.g. `--fault drift-new-field` or `--fault slow-response=2000`
    /// (repeatable; see --list-faults).
    #[arg(long = "fault", value_name = "NAME[=PARAM]")]
    faults: Vec<Fault>,

    /// Print every fault, one a line (name, category, what it does), and exit.
    #[arg(long)]
    list_faults: bool,

    /// Serve HTTPS with a certificate signed by a private CA made up at start.
    #[arg(long)]
    tls: bool,

    /// Where --tls writes its CA certificate (PEM), for `specgate run --ca-cert`.
    #[arg(
        long,
        value_name = "PATH",
        default_value = "specgate-sandbox-ca.pem",
        requires = "tls"
    )]
    tls_ca_out: PathBuf,

    /// With --tls, demand a client certificate signed by this CA (PEM): mutual TLS.
    #[arg(long, value_name = "PEM", requires = "tls")]
    tls_client_ca: Option<PathBuf>,
}

pub(super) fn execute(args: Args) -> Ending {
    if args.list_faults {
        print!("{}", Fault::catalogue_text());
        return Ending::Conformant;
    }
    // Kept until the sandbox stops: an imported document's cases live in a temporary folder.
    let loaded = match args.source.load() {
        Ok(loaded) => loaded,
        Err(ending) => return ending,
    };
    let operations = loaded.operations.clone();
    loaded.announce_untested();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => return Ending::usage(format!("cannot start the runtime: {error}")),
    };
    let tls = match tls(&args) {
        Ok(tls) => tls,
        Err(ending) => return ending,
    };
    match runtime.block_on(serve(operations, config(args), tls)) {
        Ending::Usage(message) => loaded.usage(message),
        ending => ending,
    }
}

fn config(args: Args) -> SandboxConfig {
    SandboxConfig {
        addr: args.addr,
        api_key: args.api_key.unwrap_or_else(|| DEFAULT_API_KEY.to_owned()),
        faults: args.faults,
    }
}

/// With --tls: a private CA, its certificate written to --tls-ca-out, and a loopback server
/// certificate signed by it.
fn tls(args: &Args) -> Result<Option<(SandboxTls, PathBuf)>, Ending> {
    if !args.tls {
        return Ok(None);
    }
    let ca = PrivateCa::new("specgate sandbox CA").map_err(Ending::usage)?;
    let mut server = ca.loopback_server().map_err(Ending::usage)?;
    if let Some(path) = &args.tls_client_ca {
        let pem = std::fs::read_to_string(path).map_err(|e| {
            Ending::usage(format!(
                "--tls-client-ca {}: cannot read it: {e}",
                path.display()
            ))
        })?;
        server.client_ca_pem = Some(pem);
    }
    crate::atomic_file::write(&args.tls_ca_out, ca.pem().as_bytes())
        .map_err(|e| Ending::usage(format!("--tls-ca-out {}: {e}", args.tls_ca_out.display())))?;
    Ok(Some((server, args.tls_ca_out.clone())))
}

async fn serve(
    operations: Vec<Arc<crate::contract::Operation>>,
    config: SandboxConfig,
    tls: Option<(SandboxTls, PathBuf)>,
) -> Ending {
    let summary = summary(&operations, &config, tls.as_ref());
    let started = match &tls {
        Some((server, _)) => Sandbox::start_tls(operations, config, server).await,
        None => Sandbox::start(operations, config).await,
    };
    let sandbox = match started {
        Ok(sandbox) => sandbox,
        Err(error @ SandboxError::Bind { .. }) => {
            return Ending::usage(format!(
            "{error}\n  fix: pass another --addr (port 0 picks a free one), or stop what holds it"
        ))
        }
        Err(error) => return Ending::usage(error),
    };
    // Listen for Ctrl-C before saying we are ready: a script that interrupts us as soon as
    // it reads the first line must find the handler in place.
    let interrupted = interrupt_signal();
    let mut stdout = std::io::stdout().lock();
    // Scripts wait for this first line, so it goes out at once.
    let _ = writeln!(
        stdout,
        "specgate sandbox listening on {}",
        sandbox.base_url()
    );
    let _ = write!(stdout, "{summary}");
    let _ = stdout.flush();
    drop(stdout);
    interrupted.await;
    sandbox.shutdown().await;
    Ending::Conformant
}

/// What is served and which faults are on, for the lines after the first.
fn summary(
    operations: &[Arc<crate::contract::Operation>],
    config: &SandboxConfig,
    tls: Option<&(SandboxTls, PathBuf)>,
) -> String {
    let mut text = String::new();
    for operation in operations {
        text.push_str(&format!(
            "  {} {}{} ({})\n",
            operation.method,
            crate::sandbox::BASE_PATH,
            operation.path,
            operation.name
        ));
    }
    if config.api_key == DEFAULT_API_KEY {
        text.push_str(&format!(
            "  api key: {DEFAULT_API_KEY} (the default; set --api-key or SPECGATE_API_KEY)\n"
        ));
    }
    for fault in &config.faults {
        text.push_str(&format!("  fault: {fault}\n"));
    }
    if let Some((server, ca_path)) = tls {
        let client = match server.client_ca_pem {
            Some(_) => "; a client certificate is required",
            None => "",
        };
        text.push_str(&format!(
            "  TLS: trust the CA in {} (specgate run --ca-cert {0}){client}\n",
            ca_path.display()
        ));
    }
    text.push_str("  Ctrl-C stops it\n");
    text
}

/// A future that completes on SIGINT (Ctrl-C), with the handler registered now.
#[cfg(unix)]
fn interrupt_signal() -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut stream = signal(SignalKind::interrupt()).ok();
    async move {
        match stream.as_mut() {
            Some(stream) => {
                stream.recv().await;
            }
            None => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
}

/// A future that completes on Ctrl-C.
#[cfg(not(unix))]
fn interrupt_signal() -> impl std::future::Future<Output = ()> {
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}
