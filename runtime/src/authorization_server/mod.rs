//! The embedded authorization server (IMS Security Framework 1.1 / OAuth 2.0).
//!
//! One issuer, mountable into an axum [`Router`]:
//!
//! | endpoint | spec |
//! |---|---|
//! | `POST /token` | RFC 6749: `client_credentials` (client_secret_basic, private_key_jwt per RFC 7523), `authorization_code` with PKCE S256 (RFC 7636), `refresh_token` with rotation and family revocation |
//! | `GET/POST /authorize` | RFC 6749 §4.1, exact redirect-URI match, `state` required, `iss` in every response (RFC 9207); built-in login + consent page |
//! | `POST /revoke` | RFC 7009 |
//! | `POST /introspect` | RFC 7662 |
//! | `POST /register`, `GET/PUT/DELETE /register/{client_id}` | RFC 7591 as profiled by IMS (OB 3.0 / CLR 2.0), RFC 7592 |
//! | `GET /jwks.json` | RFC 7517 (public members only) |
//! | `GET /.well-known/oauth-authorization-server`, `/.well-known/openid-configuration` | RFC 8414 / OIDC Discovery |
//!
//! Access tokens are JWTs per RFC 9068 (`typ: at+jwt`; `iss`, `sub`, `aud`, `client_id`,
//! `scope`, `jti`, `iat`, `exp`). Everything correctness depends on lives behind [`Store`]
//! ([`SqliteStore`] by default), so several instances can share one database.
//!
//! `/token` and `/register` (with its RFC 7592 management endpoints) are rate limited per client
//! IP by default (see [`AuthorizationServerBuilder::token_rate_limit`]); requests without a known
//! peer address (no `ConnectInfo<SocketAddr>`) are not limited.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use ims_runtime::authorization_server::{AuthorizationServer, NewClient, SqliteStore};
//! let store = Arc::new(SqliteStore::open(std::path::Path::new("authz.sqlite"))?);
//! let server = AuthorizationServer::builder("https://as.example.edu", store)
//!     .scopes(["https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly"])
//!     .build()
//!     .await?;
//! let sis = server
//!     .create_client(NewClient::client_credentials(["https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly"]))
//!     .await?;
//! println!("client_id={} secret={:?}", sis.client_id, sis.client_secret);
//! let app: axum::Router = server.router();
//! # let _ = app; Ok(()) }
//! ```

mod authorize;
mod client_auth;
pub mod error;
mod form;
mod introspect;
#[cfg(feature = "client")]
mod jwks_fetch;
pub mod keys;
mod live_tokens;
mod metadata;
pub mod model;
pub mod owner;
mod rate_limit;
mod register;
mod revoke;
pub mod scope;
pub mod secrets;
pub mod sqlite;
pub mod store;
mod token;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{MethodRouter, get, post};
use serde::{Deserialize, Serialize};

pub use error::OAuthError;
#[cfg(feature = "client")]
pub use jwks_fetch::JwksUriPolicy;
pub use keys::{SigningAlgorithm, SigningKeyError};
pub use model::{Client, GrantType, TokenEndpointAuthMethod};
pub use owner::{ResourceOwnerAuthenticator, StaticUsers};
pub use rate_limit::{DEFAULT_REGISTRATION_RATE_LIMIT, DEFAULT_TOKEN_RATE_LIMIT, RateLimit};
pub use sqlite::SqliteStore;
pub use store::{Store, StoreError};

use crate::resource_server::failure_limit::IpWindowLimiter;
use keys::KeyRing;

/// Default access-token lifetime (IMS recommendation): 3600 s.
pub const DEFAULT_ACCESS_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);
/// Default authorization-code lifetime: 60 s (RFC 6749 allows up to 600 s).
pub const DEFAULT_CODE_LIFETIME: Duration = Duration::from_secs(60);
/// Default refresh-token lifetime: 30 days.
pub const DEFAULT_REFRESH_TOKEN_LIFETIME: Duration = Duration::from_secs(30 * 24 * 3600);
/// How long a cached client record is trusted before it is re-read from the store (other
/// instances may have changed it; this instance invalidates its own changes immediately).
const CLIENT_CACHE_TTL: Duration = Duration::from_secs(30);
/// Form bodies above this size get 413 before parsing (AS-36).
const FORM_BODY_LIMIT: usize = 16 * 1024;
/// Registration documents above this size get 413 (DR-10).
const REGISTRATION_BODY_LIMIT: usize = 64 * 1024;

/// Errors building or administering the server.
#[derive(Debug, thiserror::Error)]
pub enum AuthzError {
    /// A configuration value is out of range or inconsistent.
    #[error("authorization server configuration: {0}")]
    Config(String),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A signing key could not be generated or loaded.
    #[error(transparent)]
    Key(#[from] SigningKeyError),
}

/// Claims of the RFC 9068 access tokens this server issues.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessTokenClaims {
    /// Issuer (the server's issuer URL).
    pub iss: String,
    /// Subject: the resource owner, or the client id for client_credentials.
    pub sub: String,
    /// Audience: the resource server identifier.
    pub aud: String,
    /// The client the token was issued to.
    pub client_id: String,
    /// Granted scopes, space-separated.
    pub scope: String,
    /// Unique token id (revocation key).
    pub jti: String,
    /// Issued at (epoch seconds).
    pub iat: u64,
    /// Expiry (epoch seconds).
    pub exp: u64,
}

/// A client to create with [`AuthorizationServer::create_client`].
#[derive(Debug, Clone, Default)]
pub struct NewClient {
    /// Fixed client id; a random one when `None`.
    pub client_id: Option<String>,
    /// Authentication method (`None` = client_secret_basic).
    pub auth_method: Option<TokenEndpointAuthMethod>,
    /// For private_key_jwt: the client's JWK Set.
    pub jwks: Option<serde_json::Value>,
    /// For private_key_jwt: the URL of the client's JWK Set (instead of `jwks`).
    pub jwks_uri: Option<String>,
    /// For private_key_jwt: the assertion algorithm (default RS256).
    pub assertion_alg: Option<String>,
    /// Grant types.
    pub grant_types: Vec<GrantType>,
    /// Redirect URIs (exact match).
    pub redirect_uris: Vec<String>,
    /// Allowed scopes.
    pub scopes: Vec<String>,
    /// May introspect any token (resource servers).
    pub introspect_any: bool,
    /// Display metadata (client_name, client_uri, logo_uri, tos_uri, policy_uri).
    pub metadata: serde_json::Map<String, serde_json::Value>,
}

impl NewClient {
    /// A client_credentials client with client_secret_basic and these scopes.
    pub fn client_credentials<I, S>(scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            grant_types: vec![GrantType::ClientCredentials],
            scopes: scopes.into_iter().map(Into::into).collect(),
            ..Self::default()
        }
    }

    /// An authorization-code client (with refresh tokens) for these redirect URIs and scopes.
    pub fn authorization_code<I, S, J, T>(redirect_uris: I, scopes: J) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
        J: IntoIterator<Item = T>,
        T: Into<String>,
    {
        Self {
            grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
            redirect_uris: redirect_uris.into_iter().map(Into::into).collect(),
            scopes: scopes.into_iter().map(Into::into).collect(),
            ..Self::default()
        }
    }
}

/// Credentials of a newly created client.
#[derive(Clone)]
pub struct IssuedClient {
    /// The client id.
    pub client_id: String,
    /// The secret (shown once; only its hash is stored). `None` for private_key_jwt clients.
    pub client_secret: Option<String>,
}

impl std::fmt::Debug for IssuedClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedClient")
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

pub(crate) struct Config {
    pub(crate) issuer: String,
    pub(crate) audience: String,
    pub(crate) realm: String,
    pub(crate) access_token_lifetime: u64,
    pub(crate) code_lifetime: u64,
    pub(crate) refresh_token_lifetime: u64,
    pub(crate) signing_alg: SigningAlgorithm,
    pub(crate) allow_client_secret_post: bool,
    pub(crate) scopes: Vec<String>,
    pub(crate) registration_enabled: bool,
    pub(crate) registration_scopes: Vec<String>,
    pub(crate) registration_grant_types: Vec<GrantType>,
    pub(crate) initial_access_token_hash: Option<String>,
    pub(crate) max_clients: u64,
    pub(crate) require_ims_metadata: bool,
}

impl Config {
    pub(crate) fn endpoint(&self, path: &str) -> String {
        format!("{}{}", self.issuer, path)
    }
}

pub(crate) struct Inner {
    pub(crate) config: Config,
    pub(crate) store: Arc<dyn Store>,
    keys: RwLock<Arc<KeyRing>>,
    clients: RwLock<HashMap<String, (Arc<Client>, Instant)>>,
    pub(crate) authenticator: Arc<dyn ResourceOwnerAuthenticator>,
    /// Per-address limit on `/token` (AS-37); `None` when disabled.
    token_limiter: Option<Arc<IpWindowLimiter>>,
    /// Per-address limit on `/register` and its management endpoints (DR-16).
    registration_limiter: Option<Arc<IpWindowLimiter>>,
    #[cfg(feature = "client")]
    pub(crate) jwks_fetcher: jwks_fetch::JwksFetcher,
    /// Tokens recently confirmed not revoked (see [`live_tokens`]).
    pub(crate) live_tokens: live_tokens::LiveTokens,
}

impl Inner {
    /// Revokes a grant in the store and forgets the tokens known to be live, so the revocation
    /// is visible to this process's resource server on the next request.
    pub(crate) async fn revoke_grant(&self, grant_id: &str, now: u64) -> Result<(), StoreError> {
        let result = self.store.revoke_grant(grant_id, now).await;
        self.live_tokens.forget_all();
        result
    }

    /// Revokes one access token in the store (see [`Inner::revoke_grant`]).
    pub(crate) async fn revoke_access_token(
        &self,
        jti: &str,
        expires_at: u64,
    ) -> Result<(), StoreError> {
        let result = self.store.revoke_access_token(jti, expires_at).await;
        self.live_tokens.forget_all();
        result
    }

    /// Deletes a client and its grants (see [`Inner::revoke_grant`]).
    pub(crate) async fn delete_client(
        &self,
        client_id: &str,
        now: u64,
    ) -> Result<bool, StoreError> {
        let result = self.store.delete_client(client_id, now).await;
        self.live_tokens.forget_all();
        result
    }

    pub(crate) fn keyring(&self) -> Arc<KeyRing> {
        match self.keys.read() {
            Ok(g) => Arc::clone(&g),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// A client by id, from the cache when fresh.
    pub(crate) async fn client(&self, client_id: &str) -> Result<Option<Arc<Client>>, StoreError> {
        if let Ok(cache) = self.clients.read()
            && let Some((c, at)) = cache.get(client_id)
            && at.elapsed() < CLIENT_CACHE_TTL
        {
            return Ok(Some(Arc::clone(c)));
        }
        let fetched = self.store.get_client(client_id).await?.map(Arc::new);
        if let Ok(mut cache) = self.clients.write() {
            match &fetched {
                Some(c) => {
                    // Bound memory: a crude reset is enough for a cache this cheap to refill.
                    if cache.len() > 10_000 {
                        cache.clear();
                    }
                    cache.insert(client_id.to_owned(), (Arc::clone(c), Instant::now()));
                }
                None => {
                    cache.remove(client_id);
                }
            }
        }
        Ok(fetched)
    }

    pub(crate) fn invalidate_client(&self, client_id: &str) {
        if let Ok(mut cache) = self.clients.write() {
            cache.remove(client_id);
        }
    }

    /// Signs an access token; for grant-bound tokens records the `jti` so revoking the grant
    /// revokes the token (returns `invalid_grant` if the grant was revoked meanwhile).
    pub(crate) async fn issue_access_token(
        &self,
        client_id: &str,
        subject: &str,
        scope: &str,
        grant_id: Option<&str>,
    ) -> Result<(String, AccessTokenClaims), OAuthError> {
        let now = secrets::now();
        let claims = AccessTokenClaims {
            iss: self.config.issuer.clone(),
            sub: subject.to_owned(),
            aud: self.config.audience.clone(),
            client_id: client_id.to_owned(),
            scope: scope.to_owned(),
            jti: secrets::random_id(),
            iat: now,
            exp: now + self.config.access_token_lifetime,
        };
        // Recorded before the token leaves, so revoking the grant always reaches it. If a
        // concurrent replay revoked the grant first, the token is born revoked (the request that
        // won the race still gets its answer; the token just never works).
        if let Some(grant) = grant_id
            && !self
                .store
                .record_access_token(grant, &claims.jti, claims.exp)
                .await?
        {
            tracing::warn!(client_id, "token issued under a grant revoked concurrently");
        }
        let token = self.keyring().active.sign(&claims).map_err(|e| {
            tracing::error!(error = %e, "access token signing failed");
            OAuthError::server_error()
        })?;
        Ok((token, claims))
    }

    /// Verifies a JWT access token issued by this server (signature with a published key, `typ`,
    /// `iss`, `exp`); `None` for anything else. Revocation is checked by the caller.
    pub(crate) fn verify_own_access_token(&self, token: &str) -> Option<AccessTokenClaims> {
        if token.len() > 8 * 1024 {
            return None;
        }
        let header = jsonwebtoken::decode_header(token).ok()?;
        if header.typ.as_deref() != Some("at+jwt") {
            return None;
        }
        let ring = self.keyring();
        let key = ring.find(header.kid.as_deref()?)?;
        if header.alg != key.jsonwebtoken_alg() {
            return None;
        }
        let mut validation = jsonwebtoken::Validation::new(key.jsonwebtoken_alg());
        validation.set_issuer(&[&self.config.issuer]);
        validation.validate_aud = false;
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        jsonwebtoken::decode::<AccessTokenClaims>(token, &key.decoding, &validation)
            .ok()
            .map(|d| d.claims)
    }
}

/// Builder for [`AuthorizationServer`].
pub struct AuthorizationServerBuilder {
    issuer: String,
    store: Arc<dyn Store>,
    audience: Option<String>,
    realm: Option<String>,
    access_token_lifetime: Duration,
    code_lifetime: Duration,
    refresh_token_lifetime: Duration,
    signing_alg: SigningAlgorithm,
    allow_client_secret_post: bool,
    scopes: Vec<String>,
    registration_enabled: bool,
    registration_scopes: Option<Vec<String>>,
    registration_grant_types: Vec<GrantType>,
    initial_access_token: Option<String>,
    max_clients: u64,
    require_ims_metadata: bool,
    token_rate_limit: Option<RateLimit>,
    registration_rate_limit: Option<RateLimit>,
    authenticator: Option<Arc<dyn ResourceOwnerAuthenticator>>,
    #[cfg(feature = "client")]
    jwks_uri_policy: JwksUriPolicy,
}

impl std::fmt::Debug for AuthorizationServerBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthorizationServerBuilder")
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

impl AuthorizationServerBuilder {
    /// The `aud` of issued access tokens (the resource server identifier). Default: the issuer.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// The realm in `WWW-Authenticate: Basic realm="…"` (default `"ims"`).
    pub fn realm(mut self, realm: impl Into<String>) -> Self {
        self.realm = Some(realm.into());
        self
    }

    /// Access-token lifetime (default 3600 s; 60 s–24 h).
    pub fn access_token_lifetime(mut self, d: Duration) -> Self {
        self.access_token_lifetime = d;
        self
    }

    /// Authorization-code lifetime (default 60 s; 60–600 s).
    pub fn code_lifetime(mut self, d: Duration) -> Self {
        self.code_lifetime = d;
        self
    }

    /// Refresh-token lifetime (default 30 days).
    pub fn refresh_token_lifetime(mut self, d: Duration) -> Self {
        self.refresh_token_lifetime = d;
        self
    }

    /// Access-token signing algorithm (default RS256). Changing it on an existing store rotates
    /// to a new key; tokens signed by the old key stay valid until they expire.
    pub fn signing_algorithm(mut self, alg: SigningAlgorithm) -> Self {
        self.signing_alg = alg;
        self
    }

    /// Also accept `client_secret_post` for clients registered with it (off by default).
    pub fn allow_client_secret_post(mut self, allow: bool) -> Self {
        self.allow_client_secret_post = allow;
        self
    }

    /// Every scope this server knows. Requests for other scopes get `invalid_scope`.
    pub fn scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// Enables or disables `POST /register` (enabled by default).
    pub fn dynamic_registration(mut self, enabled: bool) -> Self {
        self.registration_enabled = enabled;
        self
    }

    /// Scopes a dynamically registered client may receive (default: all scopes). Others are
    /// narrowed away (DR-06).
    pub fn registration_scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.registration_scopes = Some(scopes.into_iter().map(Into::into).collect());
        self
    }

    /// Grant types dynamic clients may register (default: authorization_code, refresh_token, as
    /// the IMS profile says).
    pub fn registration_grant_types(mut self, grants: Vec<GrantType>) -> Self {
        self.registration_grant_types = grants;
        self
    }

    /// Protect `/register` with an initial access token (IMS says registration MUST NOT need
    /// one, so this is off by default).
    pub fn initial_access_token(mut self, token: impl Into<String>) -> Self {
        self.initial_access_token = Some(token.into());
        self
    }

    /// Cap on the number of stored clients (default 10 000; DR-16).
    pub fn max_clients(mut self, n: u64) -> Self {
        self.max_clients = n;
        self
    }

    /// Require the IMS (OB 3.0 / CLR 2.0) registration fields (default true).
    pub fn require_ims_registration_metadata(mut self, require: bool) -> Self {
        self.require_ims_metadata = require;
        self
    }

    /// Per-client-IP limit on `POST /token` (AS-37; default [`DEFAULT_TOKEN_RATE_LIMIT`], 1 000
    /// per second per address; raise it for a gateway that fronts many clients). Over the limit the answer
    /// is `429` with `Retry-After` and
    /// `{"error":"invalid_request","error_description":"too many requests"}`, before client
    /// authentication. Only requests whose peer address is known (`ConnectInfo<SocketAddr>`,
    /// inserted by [`crate::tls::serve_tls`]) are limited; IPv6 clients count per /64.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::{sync::Arc, time::Duration};
    /// use ims_runtime::authorization_server::{AuthorizationServer, SqliteStore};
    /// let store = Arc::new(SqliteStore::in_memory()?);
    /// let builder = AuthorizationServer::builder("https://as.example.edu", store)
    ///     .token_rate_limit(100, Duration::from_secs(1))
    ///     .registration_rate_limit(5, Duration::from_secs(60));
    /// # let _ = builder; Ok(()) }
    /// ```
    pub fn token_rate_limit(mut self, requests: u32, per: Duration) -> Self {
        self.token_rate_limit = Some(RateLimit { requests, per });
        self
    }

    /// Turns the `/token` rate limit off (e.g. when a reverse proxy limits instead: behind a
    /// proxy every request carries the proxy's address).
    pub fn without_token_rate_limit(mut self) -> Self {
        self.token_rate_limit = None;
        self
    }

    /// Per-client-IP limit on `POST /register` and the RFC 7592 management endpoints together
    /// (DR-16; default [`DEFAULT_REGISTRATION_RATE_LIMIT`], 20 per minute). Answers like
    /// [`Self::token_rate_limit`].
    pub fn registration_rate_limit(mut self, requests: u32, per: Duration) -> Self {
        self.registration_rate_limit = Some(RateLimit { requests, per });
        self
    }

    /// Turns the registration rate limit off.
    pub fn without_registration_rate_limit(mut self) -> Self {
        self.registration_rate_limit = None;
        self
    }

    /// Who logs resource owners in at `/authorize`. Without one, every login fails.
    pub fn resource_owner_authenticator(
        mut self,
        authenticator: Arc<dyn ResourceOwnerAuthenticator>,
    ) -> Self {
        self.authenticator = Some(authenticator);
        self
    }

    /// How clients' `jwks_uri` documents are fetched (default: public addresses only, platform
    /// roots).
    #[cfg(feature = "client")]
    pub fn jwks_uri_policy(mut self, policy: JwksUriPolicy) -> Self {
        self.jwks_uri_policy = policy;
        self
    }

    /// Validates the configuration, loads (or creates) the signing key and returns the server.
    pub async fn build(self) -> Result<AuthorizationServer, AuthzError> {
        let issuer = self.issuer.clone();
        let parsed = url::Url::parse(&issuer)
            .map_err(|e| AuthzError::Config(format!("issuer `{issuer}` is not a URL: {e}")))?;
        if parsed.scheme() != "https"
            || parsed.query().is_some()
            || parsed.fragment().is_some()
            || issuer.ends_with('/')
        {
            return Err(AuthzError::Config(format!(
                "issuer `{issuer}` must be an https URL without query, fragment or trailing slash \
                 (RFC 8414 §2)"
            )));
        }
        let secs = |d: Duration| d.as_secs();
        let code = secs(self.code_lifetime);
        if !(60..=600).contains(&code) {
            return Err(AuthzError::Config(format!(
                "code lifetime {code} s is outside 60..=600 s"
            )));
        }
        let at = secs(self.access_token_lifetime);
        if !(60..=86_400).contains(&at) {
            return Err(AuthzError::Config(format!(
                "access-token lifetime {at} s is outside 60..=86400 s"
            )));
        }
        for s in &self.scopes {
            scope::parse(s).map_err(|_| {
                AuthzError::Config(format!("scope `{s}` is not a valid RFC 6749 scope token"))
            })?;
        }
        for (what, limit) in [
            ("token", &self.token_rate_limit),
            ("registration", &self.registration_rate_limit),
        ] {
            if let Some(limit) = limit {
                limit.validate(what).map_err(AuthzError::Config)?;
            }
        }
        let registration_scopes = self
            .registration_scopes
            .clone()
            .unwrap_or_else(|| self.scopes.clone());
        let config = Config {
            audience: self.audience.unwrap_or_else(|| issuer.clone()),
            realm: self.realm.unwrap_or_else(|| "ims".into()),
            issuer,
            access_token_lifetime: at,
            code_lifetime: code,
            refresh_token_lifetime: secs(self.refresh_token_lifetime).max(60),
            signing_alg: self.signing_alg,
            allow_client_secret_post: self.allow_client_secret_post,
            scopes: self.scopes,
            registration_enabled: self.registration_enabled,
            registration_scopes,
            registration_grant_types: self.registration_grant_types,
            initial_access_token_hash: self
                .initial_access_token
                .as_deref()
                .map(secrets::hash_secret),
            max_clients: self.max_clients,
            require_ims_metadata: self.require_ims_metadata,
        };
        let ring = load_or_create_keys(self.store.as_ref(), &config).await?;
        let authenticator = self
            .authenticator
            .unwrap_or_else(|| Arc::new(StaticUsers::new()));
        Ok(AuthorizationServer {
            inner: Arc::new(Inner {
                config,
                store: self.store,
                keys: RwLock::new(Arc::new(ring)),
                clients: RwLock::new(HashMap::new()),
                authenticator,
                token_limiter: self.token_rate_limit.as_ref().map(RateLimit::limiter),
                registration_limiter: self
                    .registration_rate_limit
                    .as_ref()
                    .map(RateLimit::limiter),
                #[cfg(feature = "client")]
                jwks_fetcher: jwks_fetch::JwksFetcher::new(self.jwks_uri_policy),
                live_tokens: live_tokens::LiveTokens::default(),
            }),
        })
    }
}

async fn load_or_create_keys(store: &dyn Store, config: &Config) -> Result<KeyRing, AuthzError> {
    let now = secrets::now();
    let stored = store.signing_keys().await?;
    if let Some(ring) = KeyRing::from_stored(stored.clone(), now)?
        && ring.active.alg == config.signing_alg
    {
        return Ok(ring);
    }
    rotate_keys(store, config, now).await
}

/// Creates and activates a new key; the previous active key retires once every token it signed
/// has expired.
async fn rotate_keys(store: &dyn Store, config: &Config, now: u64) -> Result<KeyRing, AuthzError> {
    let stored = store.signing_keys().await?;
    for mut old in stored {
        if old.activated_at.is_some() && old.retire_at.is_none() {
            old.retire_at = Some(now + config.access_token_lifetime + 60);
            store.put_signing_key(old).await?;
        }
    }
    let mut fresh = keys::generate(config.signing_alg, now)?;
    fresh.activated_at = Some(now);
    store.put_signing_key(fresh).await?;
    KeyRing::from_stored(store.signing_keys().await?, now)?
        .ok_or_else(|| AuthzError::Config("no active signing key after rotation".into()))
}

/// Wraps `route` in the per-address limit, when one is configured. The limit runs outermost, so
/// a refused request costs no body read, client authentication or storage access.
fn rate_limited(
    route: MethodRouter<Arc<Inner>>,
    limiter: Option<&Arc<IpWindowLimiter>>,
) -> MethodRouter<Arc<Inner>> {
    match limiter {
        Some(l) => route.layer(axum::middleware::from_fn_with_state(
            Arc::clone(l),
            rate_limit::limit,
        )),
        None => route,
    }
}

/// The authorization server. Cheap to clone.
#[derive(Clone)]
pub struct AuthorizationServer {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for AuthorizationServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthorizationServer")
            .field("issuer", &self.inner.config.issuer)
            .finish_non_exhaustive()
    }
}

impl AuthorizationServer {
    /// Starts configuring a server for `issuer` (an https URL, no trailing slash) over `store`.
    pub fn builder(issuer: impl Into<String>, store: Arc<dyn Store>) -> AuthorizationServerBuilder {
        AuthorizationServerBuilder {
            issuer: issuer.into(),
            store,
            audience: None,
            realm: None,
            access_token_lifetime: DEFAULT_ACCESS_TOKEN_LIFETIME,
            code_lifetime: DEFAULT_CODE_LIFETIME,
            refresh_token_lifetime: DEFAULT_REFRESH_TOKEN_LIFETIME,
            signing_alg: SigningAlgorithm::default(),
            allow_client_secret_post: false,
            scopes: Vec::new(),
            registration_enabled: true,
            registration_scopes: None,
            registration_grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
            initial_access_token: None,
            max_clients: 10_000,
            require_ims_metadata: true,
            token_rate_limit: Some(DEFAULT_TOKEN_RATE_LIMIT),
            registration_rate_limit: Some(DEFAULT_REGISTRATION_RATE_LIMIT),
            authenticator: None,
            #[cfg(feature = "client")]
            jwks_uri_policy: JwksUriPolicy::default(),
        }
    }

    /// The issuer URL.
    pub fn issuer(&self) -> &str {
        &self.inner.config.issuer
    }

    /// The axum router with every endpoint (paths relative to the issuer URL).
    pub fn router(&self) -> Router {
        let form_limit = DefaultBodyLimit::max(FORM_BODY_LIMIT);
        let token_limit = self.inner.token_limiter.as_ref();
        let registration_limit = self.inner.registration_limiter.as_ref();
        Router::new()
            .route(
                "/token",
                rate_limited(post(token::token).layer(form_limit), token_limit),
            )
            .route(
                "/authorize",
                get(authorize::authorize_get)
                    .post(authorize::authorize_post)
                    .layer(form_limit),
            )
            .route("/revoke", post(revoke::revoke).layer(form_limit))
            .route(
                "/introspect",
                post(introspect::introspect).layer(form_limit),
            )
            .route(
                "/register",
                rate_limited(
                    post(register::register).layer(DefaultBodyLimit::max(REGISTRATION_BODY_LIMIT)),
                    registration_limit,
                ),
            )
            .route(
                "/register/{client_id}",
                rate_limited(
                    get(register::read)
                        .put(register::update)
                        .delete(register::delete)
                        .layer(DefaultBodyLimit::max(REGISTRATION_BODY_LIMIT)),
                    registration_limit,
                ),
            )
            .route("/jwks.json", get(metadata::jwks))
            .route(
                "/.well-known/oauth-authorization-server",
                get(metadata::oauth_metadata),
            )
            .route(
                "/.well-known/openid-configuration",
                get(metadata::openid_configuration),
            )
            .with_state(Arc::clone(&self.inner))
    }

    /// Creates a client and returns its credentials (the secret is shown only here).
    pub async fn create_client(&self, new: NewClient) -> Result<IssuedClient, AuthzError> {
        let auth_method = new
            .auth_method
            .unwrap_or(TokenEndpointAuthMethod::ClientSecretBasic);
        let client_secret =
            (auth_method != TokenEndpointAuthMethod::PrivateKeyJwt).then(secrets::random_token);
        if auth_method == TokenEndpointAuthMethod::PrivateKeyJwt
            && new.jwks.is_some() == new.jwks_uri.is_some()
        {
            return Err(AuthzError::Config(
                "a private_key_jwt client needs exactly one of `jwks` or `jwks_uri`".into(),
            ));
        }
        for s in &new.scopes {
            if !self.inner.config.scopes.contains(s) {
                return Err(AuthzError::Config(format!(
                    "client scope `{s}` is not among the server's scopes"
                )));
            }
        }
        let client = Client {
            client_id: new.client_id.unwrap_or_else(secrets::random_id),
            secret_hash: client_secret.as_deref().map(secrets::hash_secret),
            client_id_issued_at: secrets::now(),
            client_secret_expires_at: 0,
            auth_method,
            assertion_alg: new.assertion_alg,
            jwks: new.jwks,
            jwks_uri: new.jwks_uri,
            grant_types: new.grant_types,
            redirect_uris: new.redirect_uris,
            scopes: new.scopes,
            introspect_any: new.introspect_any,
            metadata: new.metadata,
            registration_token_hash: None,
            disabled: false,
        };
        let client_id = client.client_id.clone();
        self.put_client(client).await?;
        Ok(IssuedClient {
            client_id,
            client_secret,
        })
    }

    /// Inserts or replaces a client record as given (and drops it from the cache).
    pub async fn put_client(&self, client: Client) -> Result<(), AuthzError> {
        let id = client.client_id.clone();
        self.inner.store.put_client(client).await?;
        self.inner.invalidate_client(&id);
        Ok(())
    }

    /// Rotates the signing key: a new key signs from now on, the previous one stays in the JWKS
    /// until every token it signed has expired. Returns the new `kid`.
    pub async fn rotate_signing_key(&self) -> Result<String, AuthzError> {
        let ring = rotate_keys(
            self.inner.store.as_ref(),
            &self.inner.config,
            secrets::now(),
        )
        .await?;
        let kid = ring.active.kid.clone();
        if let Ok(mut g) = self.inner.keys.write() {
            *g = Arc::new(ring);
        }
        Ok(kid)
    }

    /// Publishes a new signing key in the JWKS without using it yet (first step of a rotation
    /// that gives resource servers time to fetch the key before tokens signed with it appear).
    /// Returns its `kid`; finish with [`Self::activate_signing_key`].
    pub async fn stage_signing_key(&self) -> Result<String, AuthzError> {
        let store = self.inner.store.as_ref();
        let staged = keys::generate(self.inner.config.signing_alg, secrets::now())?;
        let kid = staged.kid.clone();
        store.put_signing_key(staged).await?;
        self.reload_signing_keys().await?;
        Ok(kid)
    }

    /// Makes a published key (see [`Self::stage_signing_key`]) the signing key; the previous one
    /// stays published until every token it signed has expired.
    pub async fn activate_signing_key(&self, kid: &str) -> Result<(), AuthzError> {
        let store = self.inner.store.as_ref();
        let now = secrets::now();
        let stored = store.signing_keys().await?;
        if !stored.iter().any(|k| k.kid == kid && k.retire_at.is_none()) {
            return Err(AuthzError::Config(format!(
                "no published, unretired signing key with kid `{kid}`"
            )));
        }
        for mut k in stored {
            if k.kid == kid {
                k.activated_at = Some(now);
                store.put_signing_key(k).await?;
            } else if k.activated_at.is_some() && k.retire_at.is_none() {
                k.retire_at = Some(now + self.inner.config.access_token_lifetime + 60);
                store.put_signing_key(k).await?;
            }
        }
        self.reload_signing_keys().await
    }

    /// Re-reads the signing keys from the store (after another instance rotated them).
    pub async fn reload_signing_keys(&self) -> Result<(), AuthzError> {
        let ring = load_or_create_keys(self.inner.store.as_ref(), &self.inner.config).await?;
        if let Ok(mut g) = self.inner.keys.write() {
            *g = Arc::new(ring);
        }
        Ok(())
    }

    /// The published JWK Set (public members only).
    pub fn jwks(&self) -> serde_json::Value {
        self.inner.keyring().jwks()
    }

    /// A token verifier for a resource server in the same process as this authorization server:
    /// its current public keys, its issuer and audience, the verified-token cache, and a
    /// revocation check against its store on every request.
    ///
    /// The keys are read once: after [`Self::rotate_signing_key`] build a new verifier (or use
    /// [`crate::resource_server::RemoteJwksVerifier`], which follows rotations).
    ///
    /// ```no_run
    /// # async fn f(authz: ims_runtime::authorization_server::AuthorizationServer) -> Result<(), ims_runtime::authorization_server::AuthzError> {
    /// use std::sync::Arc;
    /// let layer = ims_runtime::resource_server::AuthLayer::new(Arc::new(authz.local_verifier()?), "oneroster");
    /// # Ok(()) }
    /// ```
    pub fn local_verifier(
        &self,
    ) -> Result<
        crate::resource_server::CachingVerifier<crate::resource_server::LocalJwtVerifier>,
        AuthzError,
    > {
        // Our own JWKS always parses; an error here means the key ring itself is broken.
        let keys =
            crate::resource_server::KeySet::from_jwks_json(self.jwks().to_string().as_bytes())
                .map_err(|e| {
                    AuthzError::Config(format!("the server's own JWK Set is unusable: {e}"))
                })?;
        let rules = crate::resource_server::JwtRules::new(
            self.inner.config.issuer.clone(),
            self.inner.config.audience.clone(),
        );
        Ok(crate::resource_server::CachingVerifier::new(
            crate::resource_server::LocalJwtVerifier::new(keys, rules),
        )
        .with_revocation_check(std::sync::Arc::new(self.clone())))
    }

    /// Whether the access token with this `jti` has been revoked (directly or through its grant).
    pub async fn is_access_token_revoked(&self, jti: &str) -> Result<bool, StoreError> {
        self.inner.store.is_access_token_revoked(jti).await
    }

    /// Verifies an access token issued by this server and checks revocation: `Some(claims)` only
    /// for a live token.
    pub async fn verify_access_token(
        &self,
        token: &str,
    ) -> Result<Option<AccessTokenClaims>, StoreError> {
        match self.inner.verify_own_access_token(token) {
            Some(c) if !self.inner.store.is_access_token_revoked(&c.jti).await? => Ok(Some(c)),
            _ => Ok(None),
        }
    }

    /// Deletes expired rows from the store; call it periodically (e.g. hourly).
    pub async fn purge_expired(&self) -> Result<(), StoreError> {
        self.inner.store.purge_expired(secrets::now()).await
    }
}

/// Lets a resource server in the same process see this server's revocations at once (RFC 7009
/// `/revoke`, refresh-token family revocation, code-replay revocation, client deletion), and
/// revocations by other instances sharing the store within
/// [`LIVE_TOKEN_RECHECK`](live_tokens::LIVE_TOKEN_RECHECK) (a "not revoked" answer is reused that
/// long). Fails closed on store errors.
impl crate::resource_server::RevocationCheck for AuthorizationServer {
    fn is_revoked<'a>(&'a self, jti: &'a str) -> futures_util::future::BoxFuture<'a, bool> {
        Box::pin(async move {
            let live = &self.inner.live_tokens;
            if live.is_known_live(jti) {
                return false;
            }
            let epoch = live.epoch();
            match self.inner.store.is_access_token_revoked(jti).await {
                Ok(false) => {
                    live.remember(jti, epoch);
                    false
                }
                Ok(true) | Err(_) => true,
            }
        })
    }
}
