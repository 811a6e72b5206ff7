//! The `oneroster-demo` command line: `serve`, `migrate` and `client`.
//!
//! ```text
//! oneroster-demo serve   --addr 127.0.0.1:8443 --data-dir DIR [--database URL] [--public-url URL]
//! oneroster-demo migrate --database URL
//! oneroster-demo client  --data-dir DIR [--addr 127.0.0.1:8443] [--client full|core]
//! ```
//!
//! Usage errors exit with status 2 (clap's convention), runtime failures with 1.

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Args, Parser, Subcommand};
use futures_util::StreamExt;
use ims_runtime::authorization_server::{StoreOptions, migrate_store};
use ims_runtime::client::{ListQuery, TokenSource};

use super::app::{
    CA_FILE, ClientKind, Clients, Demo, DemoConfig, DemoError, DemoOptions, http_policy,
    redact_database_url, token_source,
};
use super::public_url::PublicUrl;
use crate::oneroster_v1p2_rostering::client::RosteringClient;
use crate::oneroster_v1p2_rostering::models::RoleDTypeRoleType;
use crate::oneroster_v1p2_rostering::scopes;

/// Page size the `client` subcommand asks for.
pub const PAGE_SIZE: u64 = 100;

/// The command line.
#[derive(Debug, Parser)]
#[command(
    name = "oneroster-demo",
    version,
    about = "OneRoster 1.2 Rostering provider (TLS + embedded authorization server) and client"
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the provider until SIGINT or SIGTERM.
    Serve(ServeArgs),
    /// Apply the authorization server's schema migrations to a database, then exit.
    Migrate(MigrateArgs),
    /// Fetch a token and page through all users of a running provider.
    Client(ClientArgs),
}

/// Arguments of `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Listen address.
    #[arg(long, default_value = "127.0.0.1:8443")]
    pub addr: SocketAddr,
    /// Folder for ca.pem, the SQLite store and clients.json (created if missing). Instances
    /// behind one load balancer may share it: the first one writes, the others reuse.
    #[arg(long)]
    pub data_dir: PathBuf,
    /// The authorization server's store: `sqlite://PATH` or `postgres://USER@HOST:PORT/DB`
    /// [default: the SQLite file authz.sqlite in --data-dir]. Instances behind one load
    /// balancer share one PostgreSQL database.
    #[arg(long, value_name = "URL")]
    pub database: Option<String>,
    /// The https origin clients use, e.g. a load balancer's: the issuer and the base of the
    /// metadata and discovery URLs. Instances behind one balancer need the same one
    /// [default: https://ADDR].
    #[arg(long, value_name = "URL")]
    pub public_url: Option<PublicUrl>,
}

/// Arguments of `migrate`.
#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// The store to migrate: `sqlite://PATH` or `postgres://USER@HOST:PORT/DB`.
    #[arg(long, value_name = "URL")]
    pub database: String,
}

/// Arguments of `client`.
#[derive(Debug, Args)]
pub struct ClientArgs {
    /// The data directory of the running provider (for ca.pem and clients.json).
    #[arg(long)]
    pub data_dir: PathBuf,
    /// The provider's address.
    #[arg(long, default_value = "127.0.0.1:8443")]
    pub addr: SocketAddr,
    /// Which demo client to authenticate as.
    #[arg(long, value_enum, default_value_t = ClientKind::Full)]
    pub client: ClientKind,
}

/// What the `client` subcommand saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientSummary {
    /// The client used.
    pub client: ClientKind,
    /// The service URL.
    pub service_url: String,
    /// Users received.
    pub users: usize,
    /// Distinct `sourcedId`s among them (equal to `users` when paging is exact).
    pub distinct: usize,
    /// Pages of [`PAGE_SIZE`] the users arrived in.
    pub pages: usize,
    /// Users per primary role (`student`, `teacher`, …).
    pub by_role: BTreeMap<String, usize>,
    /// Time to obtain the access token.
    pub token_time: Duration,
    /// Total time, token included.
    pub elapsed: Duration,
}

impl std::fmt::Display for ClientSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "client `{}` against {}",
            self.client.as_str(),
            self.service_url
        )?;
        writeln!(
            f,
            "users: {} ({} distinct) in {} pages of up to {PAGE_SIZE}",
            self.users, self.distinct, self.pages
        )?;
        let roles: Vec<String> = self
            .by_role
            .iter()
            .map(|(role, n)| format!("{role} {n}"))
            .collect();
        writeln!(f, "by role: {}", roles.join(", "))?;
        write!(
            f,
            "elapsed: {:.3} s (token {:.3} s)",
            self.elapsed.as_secs_f64(),
            self.token_time.as_secs_f64()
        )
    }
}

/// The `client` subcommand: a token from the provider's token endpoint, then every user through
/// the generated client's stream (`limit=100`), counted.
pub async fn run_client(args: &ClientArgs) -> Result<ClientSummary, DemoError> {
    let started = Instant::now();
    let ca_path = args.data_dir.join(CA_FILE);
    let ca_pem = std::fs::read(&ca_path).map_err(|source| DemoError::Io {
        what: "cannot read CA certificate",
        path: ca_path,
        source,
    })?;
    let clients = Clients::load(&args.data_dir)?;
    let origin = format!("https://{}", args.addr);
    let source = token_source(
        &format!("{origin}/token"),
        clients.get(args.client),
        &ca_pem,
    )?;
    // GET /users asks for its first scope alternative, roster-core.readonly, which both demo
    // clients hold: fetching it here times the token request and primes the cache.
    source.token(&[scopes::ROSTER_CORE_READONLY]).await?;
    let token_time = started.elapsed();

    let api = RosteringClient::with_policy(&origin, source, http_policy(&ca_pem))?;
    let mut stream = std::pin::pin!(api.get_all_users_stream(ListQuery::new().limit(PAGE_SIZE)));
    let mut users = 0usize;
    let mut seen = HashSet::new();
    let mut by_role = BTreeMap::<String, usize>::new();
    while let Some(user) = stream.next().await {
        let user = user.map_err(|e| DemoError::Api(e.to_string()))?;
        users += 1;
        let role = user
            .roles
            .iter()
            .find(|r| r.role_type == RoleDTypeRoleType::Primary)
            .or(user.roles.first())
            .map_or("none", |r| r.role.as_str());
        *by_role.entry(role.to_owned()).or_default() += 1;
        seen.insert(user.sourced_id);
    }
    Ok(ClientSummary {
        client: args.client,
        service_url: api_service_url(&origin),
        users,
        distinct: seen.len(),
        pages: usize::try_from((users as u64).div_ceil(PAGE_SIZE).max(1)).unwrap_or(usize::MAX),
        by_role,
        token_time,
        elapsed: started.elapsed(),
    })
}

fn api_service_url(origin: &str) -> String {
    format!("{origin}{}", crate::oneroster_v1p2_rostering::BASE_PATH)
}

/// The `serve` subcommand: starts the demo and serves until SIGINT or SIGTERM.
pub async fn run_serve(args: &ServeArgs) -> Result<(), DemoError> {
    // Handlers first: a signal that arrives while starting must stop us cleanly, not kill us.
    let signal = shutdown_signal().map_err(DemoError::Signals)?;
    let running = Demo::start_with(
        DemoConfig {
            addr: args.addr,
            data_dir: args.data_dir.clone(),
        },
        DemoOptions {
            database: args.database.clone(),
            public_url: args.public_url.clone(),
        },
    )
    .await?;
    running.run_until(signal).await
}

/// The `migrate` subcommand: brings the store to this binary's schema version (what `serve` also
/// does at start) and says from which version it came.
pub async fn run_migrate(args: &MigrateArgs) -> Result<String, DemoError> {
    let done = migrate_store(&args.database, &StoreOptions::default()).await?;
    let label = redact_database_url(&args.database);
    Ok(if done.from == done.to {
        format!("{label}: schema version {} is current", done.to)
    } else {
        format!(
            "{label}: schema migrated from version {} to {}",
            done.from, done.to
        )
    })
}

/// A future resolving on the first SIGINT or SIGTERM (Ctrl-C elsewhere); the handlers are
/// installed when this is called.
#[cfg(unix)]
pub fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()> + Send + 'static>
{
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        let name = tokio::select! {
            _ = interrupt.recv() => "SIGINT",
            _ = terminate.recv() => "SIGTERM",
        };
        tracing::info!(signal = name, "shutting down");
    })
}

#[cfg(not(unix))]
pub fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()> + Send + 'static>
{
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("Ctrl-C: shutting down");
    })
}

/// Parses the command line, runs it and maps the outcome to an exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse(); // exits with status 2 on usage errors
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        // Colour codes only for a terminal, not for log files and pipes.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("oneroster-demo: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(async {
        match &cli.command {
            Command::Serve(args) => run_serve(args).await,
            Command::Migrate(args) => run_migrate(args).await.map(|done| println!("{done}")),
            Command::Client(args) => run_client(args).await.map(|summary| {
                println!("{summary}");
            }),
        }
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("oneroster-demo: {e}");
            ExitCode::FAILURE
        }
    }
}
