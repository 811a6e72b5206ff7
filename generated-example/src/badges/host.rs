//! [`BadgesHost::start`]: the Open Badges 3.0 and CLR 2.0 host on one TLS listener.
//!
//! | path | what |
//! |---|---|
//! | `/authorize`, `/token`, `/revoke`, `/register`, `/jwks.json`, `/.well-known/oauth-authorization-server` | the embedded authorization server (issuer `https://<addr>`), open dynamic registration, the login/consent page |
//! | `/ims/ob/v3p0/...` | the generated OB 3.0 router over [`OpenBadgesHost`], bearer tokens required |
//! | `/ims/clr/v2p0/...` | the generated CLR 2.0 router over [`ClrHost`], bearer tokens required |
//! | `/ims/{ob/v3p0,clr/v2p0}/discovery` | the SDDs, rewritten for this origin, unauthenticated, with `ETag` |
//!
//! The data directory holds everything that must survive a restart: the development CA and
//! server certificate (`ca.pem`, `ca-key.pem`, `cert.pem`, `key.pem`), the authorization
//! server's SQLite database (`authz.sqlite`: keys, clients, grants, consents, revocations), the
//! credentials and profiles (`badges.sqlite`) and the users (`users.json`).

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use ims_runtime::authorization_server::{
    AuthorizationServer, AuthorizationServerSetupError, SqliteStore, StoreError,
};
use ims_runtime::discovery::{Deployment, DiscoveryDocument, DiscoveryError};
use ims_runtime::resource_server::AuthLayer;
use ims_runtime::tls::TlsError;
use ims_runtime::tls::dev::DevCertificates;
use serde_json::Value;

use super::services::{ClrHost, OpenBadgesHost};
use super::store::{BadgeStore, StoreError as BadgeStoreError};
use super::users::{DemoUsers, USERS_FILE, UsersAuthenticator, UsersError, ensure_users};
use crate::demo::serving::ServedApp;
use crate::{clr_v2p0, openbadges_v3p0};

/// The scope asked for alongside the API scopes to get a refresh token (listed in both SDDs,
/// accepted, never required: clients registered for `refresh_token` get one either way).
pub const OFFLINE_ACCESS: &str = "offline_access";
/// The SQLite database of the authorization server, inside the data directory.
pub const AUTHZ_DB: &str = "authz.sqlite";
/// The credentials and profiles, inside the data directory.
pub const BADGES_DB: &str = "badges.sqlite";
/// The development CA certificate, inside the data directory.
pub const CA_FILE: &str = "ca.pem";
/// Registrations per minute and client address (a wallet registers once; tests register more).
pub const REGISTRATIONS_PER_MINUTE: u32 = 120;

/// Every scope the authorization server grants.
pub fn all_scopes() -> Vec<&'static str> {
    vec![
        openbadges_v3p0::scopes::CREDENTIAL_READONLY,
        openbadges_v3p0::scopes::CREDENTIAL_UPSERT,
        openbadges_v3p0::scopes::PROFILE_READONLY,
        openbadges_v3p0::scopes::PROFILE_UPDATE,
        clr_v2p0::scopes::CREDENTIAL_READONLY,
        clr_v2p0::scopes::CREDENTIAL_UPSERT,
        clr_v2p0::scopes::PROFILE_READONLY,
        clr_v2p0::scopes::PROFILE_UPDATE,
        OFFLINE_ACCESS,
    ]
}

/// Errors starting, running or stopping the host.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
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
    /// The authorization server could not be built.
    #[error(transparent)]
    Authz(#[from] AuthorizationServerSetupError),
    /// The authorization server's store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The credential store failed.
    #[error(transparent)]
    Badges(#[from] BadgeStoreError),
    /// `users.json` could not be read or written.
    #[error(transparent)]
    Users(#[from] UsersError),
    /// A discovery document could not be prepared.
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
    /// A generated SDD is not the JSON its generator promised.
    #[error("the generated SDD of `{0}` has no OAuth2ACG authorization code scopes")]
    Sdd(&'static str),
    /// The server task panicked or was cancelled.
    #[error("server task: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// Where to listen and where to keep state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostConfig {
    /// Listen address (`127.0.0.1:0` picks a free port).
    pub addr: SocketAddr,
    /// Folder for certificates, the SQLite stores and `users.json` (created if missing).
    pub data_dir: PathBuf,
}

/// The host; see [`BadgesHost::start`].
#[derive(Debug)]
pub struct BadgesHost;

fn parse_url(text: &str) -> Result<url::Url, HostError> {
    url::Url::parse(text).map_err(|source| HostError::Url {
        url: text.to_owned(),
        source,
    })
}

/// An unspecified listen address is served on every interface; URLs and the certificate name
/// loopback, the address a local client uses.
pub(crate) fn public_addr(bound: SocketAddr) -> SocketAddr {
    let ip = match bound.ip() {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, bound.port())
}

/// The generated SDD with `offline_access` among the `OAuth2ACG` scopes (the bundled SDDs
/// list it; a regenerated one without it still gets it here, as issue 9 requires).
fn sdd_with_offline_access(sdd_json: &str, service: &'static str) -> Result<String, HostError> {
    let mut sdd: Value = serde_json::from_str(sdd_json).map_err(|_| HostError::Sdd(service))?;
    let scopes = sdd
        .pointer_mut("/components/securitySchemes/OAuth2ACG/flows/authorizationCode/scopes")
        .and_then(Value::as_object_mut)
        .ok_or(HostError::Sdd(service))?;
    scopes
        .entry(OFFLINE_ACCESS)
        .or_insert_with(|| "Keep access while the learner is away (a refresh token).".into());
    serde_json::to_string(&sdd).map_err(|_| HostError::Sdd(service))
}

/// The deployment of a service under `base_path` at `origin`, with this host's endpoints.
fn deployment(origin: &str, base_path: &str) -> Result<Deployment, HostError> {
    Ok(Deployment::new(parse_url(&format!("{origin}{base_path}"))?)
        .with_authorization_url(parse_url(&format!("{origin}/authorize"))?)
        .with_token_url(parse_url(&format!("{origin}/token"))?)
        .with_refresh_url(parse_url(&format!("{origin}/token"))?)
        .with_registration_url(parse_url(&format!("{origin}/register"))?))
}

impl BadgesHost {
    /// Starts the host: binds `config.addr`, makes sure the data directory holds a development
    /// CA and server certificate for the address and `users.json`, opens both SQLite stores and
    /// serves everything over TLS until [`RunningHost::shutdown`].
    pub async fn start(config: HostConfig) -> Result<RunningHost, HostError> {
        let dir = config.data_dir.clone();
        std::fs::create_dir_all(&dir).map_err(|source| HostError::Io {
            what: "cannot create data directory",
            path: dir.clone(),
            source,
        })?;
        let listener = tokio::net::TcpListener::bind(config.addr)
            .await
            .map_err(|source| HostError::Bind {
                addr: config.addr,
                source,
            })?;
        let bound = listener.local_addr().map_err(|source| HostError::Bind {
            addr: config.addr,
            source,
        })?;
        let addr = public_addr(bound);
        let origin = format!("https://{addr}");

        let ip = addr.ip().to_string();
        let certs = DevCertificates::ensure(&dir, &[ip.as_str(), "localhost"])?;
        let tls = certs.tls_config()?;
        let ca_pem = certs.ca_pem_bytes()?;
        let users = ensure_users(&dir)?;

        let sqlite = Arc::new(SqliteStore::open(&dir.join(AUTHZ_DB))?);
        let authz = AuthorizationServer::builder(origin.clone(), sqlite)
            .scopes(all_scopes())
            .resource_owner_authenticator(Arc::new(UsersAuthenticator::new(&users)))
            .registration_rate_limit(REGISTRATIONS_PER_MINUTE, Duration::from_secs(60))
            .build()
            .await?;
        let verifier = Arc::new(authz.local_verifier()?);
        let badges = Arc::new(BadgeStore::open(&dir.join(BADGES_DB))?);

        let ob_sdd = sdd_with_offline_access(openbadges_v3p0::SDD_JSON, "openbadges_v3p0")?;
        let ob_discovery =
            DiscoveryDocument::new(&ob_sdd, &deployment(&origin, openbadges_v3p0::BASE_PATH)?)?
                .router(&format!("{}/discovery", openbadges_v3p0::BASE_PATH))?;
        let ob = openbadges_v3p0::server::router(OpenBadgesHost::new(Arc::clone(&badges)))
            .with_auth(AuthLayer::new(verifier.clone(), "badges"))
            .into_router()
            .merge(ob_discovery);

        let clr_sdd = sdd_with_offline_access(clr_v2p0::SDD_JSON, "clr_v2p0")?;
        let clr_discovery =
            DiscoveryDocument::new(&clr_sdd, &deployment(&origin, clr_v2p0::BASE_PATH)?)?
                .router(&format!("{}/discovery", clr_v2p0::BASE_PATH))?;
        let clr = clr_v2p0::server::router(ClrHost::new(Arc::clone(&badges)))
            .with_auth(AuthLayer::new(verifier, "badges"))
            .into_router()
            .merge(clr_discovery);

        // Each service router has its own imsx 404/405 fallback, so they cannot be merged;
        // `route_service` hands each its whole subtree with the path unchanged (as a service:
        // axum refuses a bare `Router` there).
        let app: Router = authz
            .router()
            .route_service(
                &format!("{}/{{*rest}}", openbadges_v3p0::BASE_PATH),
                ob.into_service(),
            )
            .route_service(
                &format!("{}/{{*rest}}", clr_v2p0::BASE_PATH),
                clr.into_service(),
            );

        let served = ServedApp::start(listener, app, tls, Some(authz.clone()));
        tracing::info!(
            ob_discovery = %format!("{origin}{}/discovery", openbadges_v3p0::BASE_PATH),
            clr_discovery = %format!("{origin}{}/discovery", clr_v2p0::BASE_PATH),
            metadata = %format!("{origin}/.well-known/oauth-authorization-server"),
            ca = %dir.join(CA_FILE).display(),
            users = %dir.join(USERS_FILE).display(),
            "badges host listening on {addr}"
        );
        Ok(RunningHost {
            addr,
            base_url: origin,
            ca_pem,
            users,
            data_dir: dir,
            authz,
            served,
        })
    }
}

/// A started host. Dropping it without [`Self::shutdown`] leaves the server running until the
/// runtime ends.
#[derive(Debug)]
pub struct RunningHost {
    /// The address served.
    pub addr: SocketAddr,
    /// `https://<addr>`: the issuer and the origin both services are mounted under.
    pub base_url: String,
    /// The development CA certificate (PEM), the only root clients should trust.
    pub ca_pem: Vec<u8>,
    /// The users of `users.json`.
    pub users: DemoUsers,
    /// The data directory.
    pub data_dir: PathBuf,
    /// The embedded authorization server.
    pub authz: AuthorizationServer,
    served: ServedApp,
}

impl RunningHost {
    /// `base_url` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// The OB 3.0 discovery URL.
    pub fn ob_discovery_url(&self) -> String {
        self.url(&format!("{}/discovery", openbadges_v3p0::BASE_PATH))
    }

    /// The CLR 2.0 discovery URL.
    pub fn clr_discovery_url(&self) -> String {
        self.url(&format!("{}/discovery", clr_v2p0::BASE_PATH))
    }

    /// Serves until `signal` resolves (or the server fails), then shuts down gracefully.
    pub async fn run_until(mut self, signal: impl Future<Output = ()>) -> Result<(), HostError> {
        self.served.run_until(signal).await??;
        tracing::info!(addr = %self.addr, "badges host stopped");
        Ok(())
    }

    /// Stops accepting connections, lets in-flight requests finish (up to 5 s) and waits for
    /// the server to stop.
    pub async fn shutdown(mut self) -> Result<(), HostError> {
        self.served.shutdown().await??;
        tracing::info!(addr = %self.addr, "badges host stopped");
        Ok(())
    }
}
