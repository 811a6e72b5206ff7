//! [`Demo::start`]: the whole provider on one TLS listener.
//!
//! | path | what |
//! |---|---|
//! | `/token`, `/jwks.json`, `/revoke`, `/introspect`, `/.well-known/oauth-authorization-server` | the embedded authorization server (issuer: the public URL, `https://<addr>` by default) |
//! | `/ims/oneroster/rostering/v1p2/...` | the generated router over [`DemoStore`], bearer tokens required |
//! | `/ims/oneroster/rostering/v1p2/discovery/...` | the SDD, rewritten for this deployment, unauthenticated |
//!
//! The data directory holds everything that must survive a restart: the development CA and
//! server certificate (`ca.pem`, `ca-key.pem`, `cert.pem`, `key.pem`), the authorization
//! server's SQLite database (`authz.sqlite`: signing keys, clients, revocations; unless
//! [`DemoOptions::database`] names another store) and the two demo clients (`clients.json`).
//!
//! Several instances may share one data directory and one database (see [`DemoOptions`]): the
//! first one to start writes the files, the later ones reuse them (see [`super::data_dir`]).

use std::collections::BTreeSet;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ims_runtime::authorization_server::model::GrantType;
use ims_runtime::authorization_server::secrets::verify_secret;
use ims_runtime::authorization_server::{
    AuthorizationServer, AuthorizationServerSetupError, NewClient, SqliteStore, Store, StoreError,
    StoreOpenError, StoreOptions, open_store,
};
use ims_runtime::client::{
    ClientAuth, ClientCredentialsSource, ClientError, ClientSecret, HttpPolicy, TokenSourceOptions,
};
use ims_runtime::discovery::{Deployment, DiscoveryError};
use ims_runtime::resource_server::AuthLayer;
use ims_runtime::tls::TlsError;
use serde::{Deserialize, Serialize};

use super::data_dir::{SetupLock, ensure_certificates, write_atomically};
use super::public_url::PublicUrl;
use super::seed::{Seed, SeedError};
use super::serving::ServedApp;
use super::store::DemoStore;
use crate::oneroster_v1p2_rostering::client::RosteringClient;
use crate::oneroster_v1p2_rostering::{BASE_PATH, scopes, server};

/// Every scope of OneRoster 1.2 Rostering: what the `full` client holds.
pub const ALL_SCOPES: [&str; 3] = [
    scopes::ROSTER_CORE_READONLY,
    scopes::ROSTER_READONLY,
    scopes::ROSTER_DEMOGRAPHICS_READONLY,
];
/// What the `core` client holds.
pub const CORE_SCOPES: [&str; 1] = [scopes::ROSTER_CORE_READONLY];
/// The SQLite database of the authorization server, inside the data directory.
pub const AUTHZ_DB: &str = "authz.sqlite";
/// The demo clients' credentials, inside the data directory.
pub const CLIENTS_FILE: &str = "clients.json";
/// The development CA certificate, inside the data directory.
pub const CA_FILE: &str = "ca.pem";
/// Largest response body the demo's HTTP policy reads: a page of 100 users is ~70 KB, above the
/// runtime's 64 KiB default meant for token and JWKS responses.
pub const MAX_RESPONSE_BYTES: usize = 8 * 1024 * 1024;
/// The store health endpoint the authorization server router mounts (200 when the store answers,
/// 503 otherwise): what a load balancer polls.
pub const HEALTH_PATH: &str = "/health";

/// Errors starting, running or stopping the demo.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
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
    /// The SIGINT/SIGTERM handlers could not be installed.
    #[error("cannot install signal handlers: {0}")]
    Signals(#[source] std::io::Error),
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
    /// The authorization server could not be built or administered.
    #[error(transparent)]
    Authz(#[from] AuthorizationServerSetupError),
    /// The authorization server's store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The authorization server's store could not be opened or migrated.
    #[error(transparent)]
    StoreOpen(#[from] StoreOpenError),
    /// The sample data could not be built.
    #[error(transparent)]
    Seed(#[from] SeedError),
    /// The discovery document could not be prepared.
    #[error(transparent)]
    Discovery(#[from] DiscoveryError),
    /// A URL built from the listen address did not parse.
    #[error("URL `{url}`: {source}")]
    Url {
        /// The URL text.
        url: String,
        /// The parse error.
        #[source]
        source: url::ParseError,
    },
    /// `clients.json` is missing, unreadable or not in the expected shape.
    #[error("clients file `{path}`: {detail}")]
    ClientsFile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// Building an outgoing client (token source, API client) failed.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// An API call made by the `client` subcommand failed.
    #[error("API call failed: {0}")]
    Api(String),
    /// The server task panicked or was cancelled.
    #[error("server task: {0}")]
    Task(#[from] tokio::task::JoinError),
    /// Another instance held the data directory's setup lock for too long.
    #[error(
        "another oneroster-demo has been setting up the data directory for {}s (lock `{path}`); \
         stop it or use another --data-dir",
        waited.as_secs()
    )]
    SetupLockTimeout {
        /// The lock file.
        path: PathBuf,
        /// How long this instance waited.
        waited: Duration,
    },
}

/// Where to listen and where to keep state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoConfig {
    /// Listen address (`127.0.0.1:0` picks a free port).
    pub addr: SocketAddr,
    /// Folder for certificates, the SQLite store and `clients.json` (created if missing).
    pub data_dir: PathBuf,
}

/// How an instance takes part in a deployment of several: where the authorization server keeps
/// its state and which origin clients use. The defaults are one instance on its own: the SQLite
/// file in the data directory, issuer `https://<addr>`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemoOptions {
    /// The authorization server's store: `sqlite://PATH` or `postgres://…` (see
    /// `ims_runtime::authorization_server::open_store`); `None` is `DATA_DIR/authz.sqlite`.
    /// Instances behind one load balancer share one PostgreSQL database.
    pub database: Option<String>,
    /// The origin clients use (e.g. the load balancer's): the issuer, and the base of every URL
    /// in the metadata and discovery documents. `None` is `https://<addr>`. Instances behind
    /// one balancer need the same one, so that they accept each other's tokens.
    pub public_url: Option<PublicUrl>,
}

/// Which of the two demo clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum ClientKind {
    /// Every rostering scope.
    Full,
    /// `roster-core.readonly` only.
    Core,
}

impl ClientKind {
    /// The scopes this client is registered with.
    pub fn scopes(self) -> &'static [&'static str] {
        match self {
            Self::Full => &ALL_SCOPES,
            Self::Core => &CORE_SCOPES,
        }
    }

    /// `"full"` or `"core"`, as in `clients.json`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::Core => "core",
        }
    }
}

/// One confidential client (client_secret_basic, client_credentials grant).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientCredentials {
    /// The client id.
    pub client_id: String,
    /// The client secret.
    pub client_secret: String,
    /// The scopes it may request (full URIs).
    pub scopes: Vec<String>,
}

impl std::fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("scopes", &self.scopes)
            .finish()
    }
}

/// The contents of `clients.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Clients {
    /// Holds every rostering scope.
    pub full: ClientCredentials,
    /// Holds `roster-core.readonly` only.
    pub core: ClientCredentials,
}

impl Clients {
    /// The credentials of one client.
    pub fn get(&self, kind: ClientKind) -> &ClientCredentials {
        match kind {
            ClientKind::Full => &self.full,
            ClientKind::Core => &self.core,
        }
    }

    /// Reads `clients.json` from a data directory.
    pub fn load(data_dir: &Path) -> Result<Self, DemoError> {
        let path = data_dir.join(CLIENTS_FILE);
        let text = std::fs::read(&path).map_err(|source| DemoError::Io {
            what: "cannot read clients file",
            path: path.clone(),
            source,
        })?;
        serde_json::from_slice(&text).map_err(|e| DemoError::ClientsFile {
            path,
            detail: e.to_string(),
        })
    }

    fn save(&self, data_dir: &Path) -> Result<(), DemoError> {
        let path = data_dir.join(CLIENTS_FILE);
        let text = serde_json::to_vec_pretty(self).map_err(|e| DemoError::ClientsFile {
            path: path.clone(),
            detail: e.to_string(),
        })?;
        // Other instances and the `client` subcommand read it while we write.
        write_atomically(&path, &text, true)
    }
}

/// The demo itself; see [`Demo::start`].
#[derive(Debug)]
pub struct Demo;

impl Demo {
    /// [`Self::start_with`] with the default [`DemoOptions`]: one instance, the SQLite store in
    /// the data directory, issuer `https://<addr>`.
    pub async fn start(config: DemoConfig) -> Result<RunningDemo, DemoError> {
        Self::start_with(config, DemoOptions::default()).await
    }

    /// Starts the provider: binds `config.addr`; under the data directory's setup lock, makes
    /// sure it holds a development CA and a server certificate for the address and the public
    /// URL's host, opens (and migrates) the authorization server's store, and reuses or creates
    /// the `full` and `core` clients; then seeds the data and serves everything over TLS until
    /// [`RunningDemo::shutdown`].
    pub async fn start_with(
        config: DemoConfig,
        options: DemoOptions,
    ) -> Result<RunningDemo, DemoError> {
        let started = Instant::now();
        let dir = config.data_dir.clone();
        std::fs::create_dir_all(&dir).map_err(|source| DemoError::Io {
            what: "cannot create data directory",
            path: dir.clone(),
            source,
        })?;
        let listener = tokio::net::TcpListener::bind(config.addr)
            .await
            .map_err(|source| DemoError::Bind {
                addr: config.addr,
                source,
            })?;
        let bound = listener.local_addr().map_err(|source| DemoError::Bind {
            addr: config.addr,
            source,
        })?;
        let addr = public_addr(bound);
        let origin = format!("https://{addr}");
        let public_url = options
            .public_url
            .clone()
            .unwrap_or_else(|| PublicUrl::from_addr(addr));
        let issuer = public_url.as_str().to_owned();

        // Everything another instance may be writing at the same moment is set up under one
        // lock: the first instance writes, the later ones find valid files and reuse them.
        let setup = SetupLock::acquire(&dir).await?;
        // Certificates: reused when they still cover these hosts, regenerated (CA included)
        // otherwise, so `ca.pem` always matches the certificate served. Instances sharing the
        // data directory share one host list (listen address, `localhost`, the public host).
        let ip = addr.ip().to_string();
        let mut hosts = vec![ip.as_str(), "localhost"];
        if !hosts.contains(&public_url.host()) {
            hosts.push(public_url.host());
        }
        let certs = ensure_certificates(&dir, &hosts)?;
        let tls = certs.tls_config()?;
        let ca_pem = certs.ca_pem_bytes()?;

        let store = open_authz_store(options.database.as_deref(), &dir).await?;
        let authz = AuthorizationServer::builder(issuer.clone(), store.clone())
            .scopes(ALL_SCOPES)
            // Clients come from clients.json; nobody needs to register at a demo.
            .dynamic_registration(false)
            .build()
            .await?;
        let clients = ensure_clients(&authz, store.as_ref(), &dir).await?;
        drop(setup);

        // The resource server trusts exactly this issuer's keys (following rotations made by
        // any instance) and asks its store about revocations on every request.
        let verifier = authz.local_verifier()?;

        let service_url = public_url.join(BASE_PATH);
        let token_url = public_url.join("/token");
        let seed = Arc::new(Seed::generate(&service_url)?);
        let deployment =
            Deployment::new(parse_url(&service_url)?).with_token_url(parse_url(&token_url)?);
        let api = server::router(DemoStore::new(Arc::clone(&seed)))
            .with_auth(AuthLayer::new(Arc::new(verifier), "oneroster"))
            .with_discovery(&deployment)?
            .into_router();
        let app = authz.router().merge(api);

        let served = ServedApp::start(listener, app, tls, Some(authz.clone()));

        tracing::info!(
            issuer = %issuer,
            service = %service_url,
            token = %token_url,
            metadata = %public_url.join("/.well-known/oauth-authorization-server"),
            health = %format!("{origin}{HEALTH_PATH}"),
            store = %options.database.as_deref().map_or_else(
                || format!("sqlite://{}", dir.join(AUTHZ_DB).display()),
                redact_database_url,
            ),
            data_dir = %dir.display(),
            users = seed.users.len(),
            startup_ms = started.elapsed().as_millis(),
            "OneRoster 1.2 demo provider listening on {addr}"
        );
        Ok(RunningDemo {
            addr,
            base_url: origin,
            public_url,
            ca_pem,
            clients,
            data_dir: dir,
            authz,
            seed,
            served,
        })
    }
}

/// A started demo. Dropping it without [`Self::shutdown`] leaves the server running until the
/// runtime ends.
#[derive(Debug)]
pub struct RunningDemo {
    /// The address served (an unspecified listen address is reported as loopback).
    pub addr: SocketAddr,
    /// `https://<addr>`: where this instance is reached directly (what [`Self::url`] and the
    /// token source use).
    pub base_url: String,
    /// The origin clients are told about: the issuer, and the base of the metadata and
    /// discovery URLs (`https://<addr>` unless [`DemoOptions::public_url`] was given).
    pub public_url: PublicUrl,
    /// The development CA certificate (PEM), the only root clients should trust.
    pub ca_pem: Vec<u8>,
    /// The two demo clients.
    pub clients: Clients,
    /// The data directory.
    pub data_dir: PathBuf,
    authz: AuthorizationServer,
    seed: Arc<Seed>,
    served: ServedApp,
}

impl RunningDemo {
    /// The data served (with [`Seed::ids`] for path parameters).
    pub fn seed(&self) -> &Seed {
        &self.seed
    }

    /// The embedded authorization server (for administration in-process: clients, keys).
    pub fn authorization_server(&self) -> &AuthorizationServer {
        &self.authz
    }

    /// `https://<addr>/ims/oneroster/rostering/v1p2`.
    pub fn service_url(&self) -> String {
        format!("{}{BASE_PATH}", self.base_url)
    }

    /// `https://<addr>/token`.
    pub fn token_url(&self) -> String {
        format!("{}/token", self.base_url)
    }

    /// `base_url` + `path` (e.g. `/.well-known/oauth-authorization-server`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// The HTTP policy clients of this demo use: trust only its CA, large enough responses.
    pub fn http_policy(&self) -> HttpPolicy {
        http_policy(&self.ca_pem)
    }

    /// A client-credentials token source for one of the demo clients.
    pub fn token_source(
        &self,
        kind: ClientKind,
    ) -> Result<Arc<ClientCredentialsSource>, DemoError> {
        token_source(&self.token_url(), self.clients.get(kind), &self.ca_pem)
    }

    /// The generated OneRoster client, authenticated as one of the demo clients.
    pub fn client(&self, kind: ClientKind) -> Result<RosteringClient, DemoError> {
        Ok(RosteringClient::with_policy(
            &self.base_url,
            self.token_source(kind)?,
            self.http_policy(),
        )?)
    }

    /// Serves until `signal` resolves (or the server fails), then shuts down gracefully.
    pub async fn run_until(mut self, signal: impl Future<Output = ()>) -> Result<(), DemoError> {
        self.served.run_until(signal).await??;
        tracing::info!(addr = %self.addr, "OneRoster demo provider stopped");
        Ok(())
    }

    /// Stops accepting connections, lets in-flight requests finish (up to 5 s) and waits for
    /// the server to stop.
    pub async fn shutdown(mut self) -> Result<(), DemoError> {
        self.served.shutdown().await??;
        tracing::info!(addr = %self.addr, "OneRoster demo provider stopped");
        Ok(())
    }
}

/// The HTTP policy for clients of a demo whose CA is `ca_pem`.
pub fn http_policy(ca_pem: &[u8]) -> HttpPolicy {
    let mut policy = HttpPolicy::default().with_ca_pem(ca_pem.to_vec());
    policy.max_response_bytes = MAX_RESPONSE_BYTES;
    policy
}

/// A client-credentials token source for `credentials` at `token_url`, trusting only `ca_pem`.
pub fn token_source(
    token_url: &str,
    credentials: &ClientCredentials,
    ca_pem: &[u8],
) -> Result<Arc<ClientCredentialsSource>, DemoError> {
    let options = TokenSourceOptions {
        http: HttpPolicy::default().with_ca_pem(ca_pem.to_vec()),
        ..TokenSourceOptions::default()
    };
    Ok(Arc::new(ClientCredentialsSource::new(
        token_url,
        credentials.client_id.clone(),
        ClientAuth::ClientSecretBasic(ClientSecret::new(credentials.client_secret.clone())),
        options,
    )?))
}

/// An unspecified listen address (`0.0.0.0`, `::`) is served on every interface; URLs and the
/// certificate name loopback, the address a local client uses.
fn public_addr(bound: SocketAddr) -> SocketAddr {
    let ip = match bound.ip() {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, bound.port())
}

/// Opens the authorization server's store: `database` when given, else the SQLite file in the
/// data directory (what the demo always used).
async fn open_authz_store(database: Option<&str>, dir: &Path) -> Result<Arc<dyn Store>, DemoError> {
    match database {
        None => Ok(Arc::new(SqliteStore::open(&dir.join(AUTHZ_DB))?)),
        Some(url) => Ok(open_store(url, &StoreOptions::default()).await?),
    }
}

/// A store URL as logs and output show it: a password is replaced by `***`.
pub fn redact_database_url(text: &str) -> String {
    match url::Url::parse(text) {
        Ok(mut url) if url.password().is_some() => {
            // Cannot fail: the URL has a host, or it would have no password.
            let _ = url.set_password(Some("***"));
            url.to_string()
        }
        _ => text.to_owned(),
    }
}

fn parse_url(text: &str) -> Result<url::Url, DemoError> {
    url::Url::parse(text).map_err(|source| DemoError::Url {
        url: text.to_owned(),
        source,
    })
}

/// Reuses the clients in `clients.json` that still authenticate with the store's records and
/// hold exactly the expected scopes; creates the others and rewrites the file if anything
/// changed.
async fn ensure_clients(
    authz: &AuthorizationServer,
    store: &dyn Store,
    dir: &Path,
) -> Result<Clients, DemoError> {
    let existing = if dir.join(CLIENTS_FILE).exists() {
        match Clients::load(dir) {
            Ok(c) => Some(c),
            Err(e) => {
                tracing::warn!(error = %e, "ignoring unusable clients file; creating new clients");
                None
            }
        }
    } else {
        None
    };
    let (full, new_full) =
        reuse_or_create(authz, store, dir, existing.as_ref(), ClientKind::Full).await?;
    let (core, new_core) =
        reuse_or_create(authz, store, dir, existing.as_ref(), ClientKind::Core).await?;
    let changed = new_full || new_core;
    let clients = Clients { full, core };
    if changed {
        clients.save(dir)?;
    }
    Ok(clients)
}

/// The client of `kind` from `existing` when it is still valid (`false`), else a new one (`true`).
async fn reuse_or_create(
    authz: &AuthorizationServer,
    store: &dyn Store,
    dir: &Path,
    existing: Option<&Clients>,
    kind: ClientKind,
) -> Result<(ClientCredentials, bool), DemoError> {
    if let Some(c) = existing.map(|e| e.get(kind))
        && still_valid(store, c, kind.scopes()).await?
    {
        return Ok((c.clone(), false));
    }
    let mut new = NewClient::client_credentials(kind.scopes().iter().copied());
    new.metadata.insert(
        "client_name".into(),
        format!("OneRoster demo ({})", kind.as_str()).into(),
    );
    let issued = authz.create_client(new).await?;
    let client_secret = issued.client_secret.ok_or_else(|| DemoError::ClientsFile {
        path: dir.join(CLIENTS_FILE),
        detail: "the authorization server issued no secret".into(),
    })?;
    tracing::info!(client = kind.as_str(), client_id = %issued.client_id, "created demo client");
    let credentials = ClientCredentials {
        client_id: issued.client_id,
        client_secret,
        scopes: kind.scopes().iter().map(|s| (*s).to_owned()).collect(),
    };
    Ok((credentials, true))
}

/// Whether `c` would authenticate at the token endpoint today and get exactly `scopes`.
async fn still_valid(
    store: &dyn Store,
    c: &ClientCredentials,
    scopes: &[&str],
) -> Result<bool, StoreError> {
    let Some(record) = store.get_client(&c.client_id).await? else {
        return Ok(false);
    };
    let expected: BTreeSet<&str> = scopes.iter().copied().collect();
    let file: BTreeSet<&str> = c.scopes.iter().map(String::as_str).collect();
    let stored: BTreeSet<&str> = record.scopes.iter().map(String::as_str).collect();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    Ok(!record.disabled
        && record.allows_grant(GrantType::ClientCredentials)
        && (record.client_secret_expires_at == 0 || record.client_secret_expires_at > now)
        && record
            .secret_hash
            .as_deref()
            .is_some_and(|hash| verify_secret(&c.client_secret, hash))
        && file == expected
        && stored == expected)
}
