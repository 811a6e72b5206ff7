//! `lti-demo`: the LTI 1.3 / LTI Advantage demo of issue 10, a platform (an LMS stand-in) and a
//! tool, each over TLS with its own development CA.
//!
//! ```text
//! lti-demo platform --addr 127.0.0.1:P --data-dir D [--ca FILE]...
//! lti-demo tool     --addr 127.0.0.1:Q --data-dir E [--ca FILE]
//! ```
//!
//! `generated-example/docs/lti-demo.md` is the guide. Usage errors exit with status 2 (clap's
//! convention), runtime failures with 1, SIGINT/SIGTERM with 0.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use ims_generated_example::demo::cli::shutdown_signal;
use ims_generated_example::lti_platform::{self, PlatformDemoConfig};
use ims_generated_example::lti_tool;

/// The command line.
#[derive(Debug, Parser)]
#[command(
    name = "lti-demo",
    version,
    about = "LTI 1.3 / LTI Advantage demo: a platform (LMS stand-in) and a tool, over TLS"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the platform (course, launches, AGS, NRPS, Dynamic Registration) until SIGINT or SIGTERM.
    Platform(PlatformArgs),
    /// Serve the tool (launch pages, scores through AGS, members through NRPS, deep linking,
    /// Dynamic Registration) until SIGINT or SIGTERM.
    Tool(ToolArgs),
}

#[derive(Debug, Args)]
struct ToolArgs {
    /// Listen address; the tool's URLs are under `https://ADDR/lti/`.
    #[arg(long)]
    addr: SocketAddr,
    /// Folder for ca.pem, tool.json, platforms.json and the tool's keys and stores (created if
    /// missing).
    #[arg(long)]
    data_dir: PathBuf,
    /// A CA certificate (PEM) to trust for outgoing calls (the platform's `ca.pem`), besides
    /// the system roots.
    #[arg(long)]
    ca: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct PlatformArgs {
    /// Listen address; the issuer is `https://ADDR`.
    #[arg(long)]
    addr: SocketAddr,
    /// Folder for ca.pem, users.json, tools.json, registrations.json and the SQLite stores
    /// (created if missing).
    #[arg(long)]
    data_dir: PathBuf,
    /// A CA certificate (PEM) to trust when fetching tools' `jwks_uri`, besides the platform's
    /// own (e.g. a tool's `ca.pem`); repeatable.
    #[arg(long = "ca")]
    ca: Vec<PathBuf>,
}

async fn run(cli: Cli) -> Result<(), String> {
    // Handlers first: a signal that arrives while starting must stop us cleanly.
    let signal = shutdown_signal().map_err(|e| format!("cannot install signal handlers: {e}"))?;
    match cli.command {
        Command::Platform(args) => lti_platform::run_with(
            PlatformDemoConfig {
                addr: args.addr,
                data_dir: args.data_dir,
                extra_ca: args.ca,
            },
            signal,
        )
        .await
        .map_err(|e| e.to_string()),
        Command::Tool(args) => lti_tool::run(args.addr, args.data_dir, args.ca, signal)
            .await
            .map_err(|e| e.to_string()),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("lti-demo: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lti-demo: {e}");
            ExitCode::FAILURE
        }
    }
}
