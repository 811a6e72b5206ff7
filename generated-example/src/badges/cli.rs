//! The `badges-demo` command line: `host` and `consumer`.
//!
//! ```text
//! badges-demo host     --addr 127.0.0.1:8443 --data-dir DIR
//! badges-demo consumer --discovery URL --ca FILE --data-dir DIR2 [--login USER:PASSWORD | --logout]
//! ```
//!
//! Usage errors exit with status 2 (clap's convention), runtime failures with 1.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use super::consumer::{self, ConsumerArgs};
use super::host::{BadgesHost, HostConfig, HostError};
use crate::demo::cli::shutdown_signal;

/// The command line.
#[derive(Debug, Parser)]
#[command(
    name = "badges-demo",
    version,
    about = "Open Badges 3.0 / CLR 2.0 host (TLS + embedded authorization server) and consumer (discovery, registration, authorization code + PKCE)"
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the OB 3.0 and CLR 2.0 host until SIGINT or SIGTERM.
    Host(HostArgs),
    /// Discover, register, authorize and call a running host.
    Consumer(ConsumerArgs),
}

/// Arguments of `host`.
#[derive(Debug, Args)]
pub struct HostArgs {
    /// Listen address; the discovery documents name `https://ADDR`.
    #[arg(long, default_value = "127.0.0.1:8443")]
    pub addr: SocketAddr,
    /// Folder for ca.pem, users.json and the SQLite stores (created if missing).
    #[arg(long)]
    pub data_dir: PathBuf,
}

/// The `host` subcommand.
pub async fn run_host(args: &HostArgs) -> Result<(), HostError> {
    // Handlers first: a signal that arrives while starting must stop us cleanly.
    let signal = shutdown_signal().map_err(HostError::Signals)?;
    let running = BadgesHost::start(HostConfig {
        addr: args.addr,
        data_dir: args.data_dir.clone(),
    })
    .await?;
    println!("badges host on {}", running.base_url);
    println!("  OB 3.0 discovery:  {}", running.ob_discovery_url());
    println!("  CLR 2.0 discovery: {}", running.clr_discovery_url());
    println!(
        "  CA certificate:    {}",
        running.data_dir.join("ca.pem").display()
    );
    println!(
        "  users:             {}",
        running.data_dir.join("users.json").display()
    );
    running.run_until(signal).await
}

/// Parses the command line, runs it and maps the outcome to an exit code.
pub fn main() -> ExitCode {
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
            eprintln!("badges-demo: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome: Result<(), String> = runtime.block_on(async {
        match &cli.command {
            Command::Host(args) => run_host(args).await.map_err(|e| e.to_string()),
            Command::Consumer(args) => consumer::run(args)
                .await
                .map(|summary| println!("{summary}"))
                .map_err(|e| e.to_string()),
        }
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("badges-demo: {e}");
            ExitCode::FAILURE
        }
    }
}
