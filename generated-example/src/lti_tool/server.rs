//! [`LtiToolDemo::start`] and [`run`]: the tool on one TLS listener.
//!
//! The data directory keeps what must survive a restart: the development CA and server
//! certificate (`ca.pem`, `ca-key.pem`, `cert.pem`, `key.pem`), the tool's signing keys
//! (`tool-keys.json`), pending logins and spent nonces (`lti-launches.sqlite`), the platforms
//! (`platforms.json`, read at start) and `tool.json`, rewritten at every start.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use ims_runtime::client::ClientError;
use ims_runtime::lti::dynamic_registration::{
    DynamicRegistrationError, ToolRegistrar, ToolRegistrarConfig,
};
use ims_runtime::lti::{
    LaunchStore, LaunchStoreError, LtiPaths, LtiTool, LtiToolConfig, LtiToolError,
    PlatformRegistry, RegistrationError, SqliteLaunchStore,
};
use ims_runtime::tls::TlsError;
use ims_runtime::tls::dev::DevCertificates;

use super::app::{DemoApp, launch_routes};
use super::hosts::ByHost;
use super::keys::load_or_create_tool_keys;
use super::launches::LaunchMemory;
use super::platforms::load_platforms;
use super::services::Services;
use super::tool_json::{JWKS_PATH, LAUNCH_PATH, LOGIN_PATH, REGISTRATION_PATH, ToolUrls};
use super::trust::outgoing_policy;
use crate::demo::app::DemoError;
use crate::demo::serving::ServedApp;

/// Pending logins and spent nonces, inside the data directory.
pub const LAUNCH_STORE_FILE: &str = "lti-launches.sqlite";
/// The tool's name, as LTI Dynamic Registration gives it to platforms (`client_name`).
pub const TOOL_NAME: &str = "LTI demo tool";
/// Pending connections the kernel queues (tokio's `TcpListener::bind` default).
const LISTEN_BACKLOG: u32 = 1024;

/// Why the tool could not start, or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum LtiToolDemoError {
    /// A file or directory operation failed.
    #[error("{what} `{path}`: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A data-directory file could not be written.
    #[error(transparent)]
    DataDir(#[from] DemoError),
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address given.
        addr: SocketAddr,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Certificates or the TLS listener failed.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// `platforms.json` cannot be used.
    #[error("platforms file `{path}` cannot be used: {source}")]
    Platforms {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        #[source]
        source: RegistrationError,
    },
    /// `tool-keys.json` cannot be used.
    #[error("tool keys file `{path}`: {detail}")]
    ToolKeys {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// The `--ca` file cannot be used.
    #[error("--ca `{path}`: {detail} (expected PEM CA certificates, e.g. the platform's ca.pem)")]
    Ca {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// The Dynamic Registration configuration was refused.
    #[error(transparent)]
    Registration(#[from] DynamicRegistrationError),
    /// The launch store could not be opened.
    #[error("launch store: {0}")]
    LaunchStore(#[from] LaunchStoreError),
    /// The tool's configuration was refused.
    #[error(transparent)]
    Tool(#[from] LtiToolError),
    /// An outgoing client could not be built.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The server task panicked or was cancelled.
    #[error("server task: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// The tool; see [`LtiToolDemo::start`].
#[derive(Debug)]
pub struct LtiToolDemo;

/// An unspecified listen address is served on every interface; URLs and the certificate name
/// loopback, the address a local platform uses.
fn public_addr(bound: SocketAddr) -> SocketAddr {
    let ip = match bound.ip() {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, bound.port())
}

/// The origins the tool answers at: the address's, and `https://localhost:PORT` too when the
/// address is loopback (the development certificate covers both).
fn served_origins(addr: SocketAddr) -> Vec<String> {
    let mut origins = vec![format!("https://{addr}")];
    if addr.ip().is_loopback() {
        origins.push(format!("https://localhost:{}", addr.port()));
    }
    origins
}

impl LtiToolDemo {
    /// Starts the tool: reads `platforms.json` and the trust roots (`extra_ca` in addition to
    /// the system's), binds `addr`, makes sure `data_dir` holds a development CA and a server
    /// certificate for the address and `localhost`, and the tool's keys, writes `tool.json`,
    /// then serves over TLS until [`RunningToolDemo::shutdown`].
    pub async fn start(
        addr: SocketAddr,
        data_dir: PathBuf,
        extra_ca: Option<PathBuf>,
    ) -> Result<RunningToolDemo, LtiToolDemoError> {
        let dir = data_dir;
        std::fs::create_dir_all(&dir).map_err(|source| LtiToolDemoError::Io {
            what: "cannot create data directory",
            path: dir.clone(),
            source,
        })?;
        // Bad input stops the tool before it binds anything.
        let policy = outgoing_policy(extra_ca.as_deref())?;
        let registry = Arc::new(load_platforms(&dir)?);
        let tool_keys = load_or_create_tool_keys(&dir)?;
        let store = Arc::new(SqliteLaunchStore::open(&dir.join(LAUNCH_STORE_FILE))?);

        // Bound now (port 0 picks one) but listening only after tool.json is written: until
        // then a connection is refused, so whoever reaches the port finds the file.
        let bind_failed = |source| LtiToolDemoError::Bind { addr, source };
        let socket = if addr.is_ipv4() {
            tokio::net::TcpSocket::new_v4()
        } else {
            tokio::net::TcpSocket::new_v6()
        }
        .map_err(bind_failed)?;
        // As `TcpListener::bind` does on Unix: a restart may reuse the port at once.
        #[cfg(unix)]
        socket.set_reuseaddr(true).map_err(bind_failed)?;
        socket.bind(addr).map_err(bind_failed)?;
        let bound = socket.local_addr().map_err(bind_failed)?;
        let addr = public_addr(bound);
        let origin = format!("https://{addr}");
        let ip = addr.ip().to_string();
        let certs = DevCertificates::ensure(&dir, &[ip.as_str(), "localhost"])?;
        let tls = certs.tls_config()?;
        let ca_pem = certs.ca_pem_bytes()?;

        let urls = ToolUrls::at(&origin);
        let mut tools = Vec::new();
        let mut registrars = Vec::new();
        for served in served_origins(addr) {
            let at = ToolUrls::at(&served);
            registrars.push(Arc::new(ToolRegistrar::new(
                ToolRegistrarConfig::new(
                    TOOL_NAME,
                    at.initiate_login_uri.clone(),
                    vec![at.redirect_uri.clone()],
                    at.target_link_uri.clone(),
                    at.jwks_uri.clone(),
                )
                .with_deep_linking_uri(at.deep_linking_uri.clone()),
                Arc::clone(&registry),
                policy.clone(),
            )?));
            let tool = Arc::new(LtiTool::new(
                LtiToolConfig::new(
                    at.redirect_uri.clone(),
                    vec![at.target_link_uri.clone(), at.deep_linking_uri.clone()],
                ),
                Arc::clone(&registry) as Arc<dyn PlatformRegistry>,
                Arc::clone(&store) as Arc<dyn LaunchStore>,
                Arc::clone(&tool_keys),
                policy.clone(),
            )?);
            tools.push((served, tool));
        }
        // The first origin is the address's own; its tool calls the platforms' services (all
        // the tools share the registry and keys, so any would do).
        let primary = Arc::clone(&tools[0].1);
        let app = Arc::new(DemoApp {
            memory: LaunchMemory::default(),
            services: Services::new(Arc::clone(&primary), policy),
            tool_keys,
        });
        let paths = LtiPaths {
            login: LOGIN_PATH.into(),
            launch: LAUNCH_PATH.into(),
            jwks: JWKS_PATH.into(),
        };
        let by_host = tools
            .iter()
            .zip(&registrars)
            .map(|((served, tool), registrar)| {
                let authority = served.trim_start_matches("https://").to_ascii_lowercase();
                let router = tool
                    .router(app.clone(), &paths)
                    .merge(registrar.router(REGISTRATION_PATH))
                    .merge(launch_routes(Arc::clone(&app)));
                (authority, router)
            })
            .collect();
        let router = ByHost::new(by_host).into_router();

        urls.write(&dir)?;
        let listener = socket.listen(LISTEN_BACKLOG).map_err(bind_failed)?;
        let served = ServedApp::start(listener, router, tls, None);
        tracing::info!(
            initiate_login_uri = %urls.initiate_login_uri,
            redirect_uri = %urls.redirect_uri,
            jwks_uri = %urls.jwks_uri,
            ca = %certs.ca_pem.display(),
            "LTI demo tool listening on {addr}"
        );
        Ok(RunningToolDemo {
            addr,
            base_url: origin,
            urls,
            ca_pem,
            data_dir: dir,
            tool: primary,
            served,
        })
    }
}

/// A started tool.
#[derive(Debug)]
pub struct RunningToolDemo {
    /// The address served.
    pub addr: SocketAddr,
    /// `https://<addr>`.
    pub base_url: String,
    /// What `tool.json` says.
    pub urls: ToolUrls,
    /// The development CA certificate (PEM) of the served certificate.
    pub ca_pem: Vec<u8>,
    /// The data directory.
    pub data_dir: PathBuf,
    /// The runtime's tool.
    pub tool: Arc<LtiTool>,
    served: ServedApp,
}

impl RunningToolDemo {
    /// Serves until `signal` resolves (or the server fails), then shuts down gracefully.
    pub async fn run_until(
        mut self,
        signal: impl Future<Output = ()>,
    ) -> Result<(), LtiToolDemoError> {
        self.served.run_until(signal).await??;
        tracing::info!(addr = %self.addr, "LTI demo tool stopped");
        Ok(())
    }

    /// Stops accepting connections, lets in-flight requests finish (up to 5 s) and waits for
    /// the server to stop.
    pub async fn shutdown(mut self) -> Result<(), LtiToolDemoError> {
        self.served.shutdown().await??;
        tracing::info!(addr = %self.addr, "LTI demo tool stopped");
        Ok(())
    }
}

/// `lti-demo tool`: starts the tool on `addr` with its state in `data_dir`, trusting
/// `extra_ca`'s certificates beside the system's roots for its outgoing calls, and serves
/// until `shutdown` resolves; then it stops cleanly and returns `Ok(())`.
pub async fn run(
    addr: SocketAddr,
    data_dir: PathBuf,
    extra_ca: Option<PathBuf>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), LtiToolDemoError> {
    LtiToolDemo::start(addr, data_dir, extra_ca)
        .await?
        .run_until(shutdown)
        .await
}
