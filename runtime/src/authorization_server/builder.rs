//! [`AuthorizationServerBuilder`]: the configuration, its validation, and the bootstrap of the
//! signing keys when the server is built.

use std::sync::Arc;
use std::time::Duration;

use super::cache_coherence;
#[cfg(feature = "client")]
use super::jwks_fetch::{JwksFetcher, JwksUriPolicy};
use super::key_rotation::{self, KeyPolicy, SigningKeys};
use super::keys::SigningAlgorithm;
use super::live_tokens::LIVE_TOKEN_RECHECK;
use super::model::GrantType;
use super::owner::{ResourceOwnerAuthenticator, StaticUsers};
use super::rate_limit::{DEFAULT_REGISTRATION_RATE_LIMIT, DEFAULT_TOKEN_RATE_LIMIT, RateLimit};
use super::revocation::Revocations;
use super::state::{AuthorizationServerSettings, ClientDirectory, RegistrationPolicy, ServerState};
use super::store::Store;
use super::{AuthorizationServer, AuthorizationServerSetupError, scope, secrets};

/// Default access-token lifetime (IMS recommendation): 3600 s.
pub const DEFAULT_ACCESS_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);
/// Default authorization-code lifetime: 60 s (RFC 6749 allows up to 600 s).
pub const DEFAULT_CODE_LIFETIME: Duration = Duration::from_secs(60);
/// Default refresh-token lifetime: 30 days.
pub const DEFAULT_REFRESH_TOKEN_LIFETIME: Duration = Duration::from_secs(30 * 24 * 3600);

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
    revocation_recheck: Duration,
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
    /// See [`AuthorizationServer::builder`].
    pub(crate) fn new(issuer: String, store: Arc<dyn Store>) -> Self {
        Self {
            issuer,
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
            revocation_recheck: LIVE_TOKEN_RECHECK,
            #[cfg(feature = "client")]
            jwks_uri_policy: JwksUriPolicy::default(),
        }
    }

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

    /// How long the revocation check of a resource server in this process
    /// ([`RevocationCheck`](crate::resource_server::RevocationCheck)) reuses a store's "not
    /// revoked" answer for one token (default 1 s). Revocations made through this server are
    /// seen at once; those made by other instances as soon as the store's change feed delivers
    /// them (PostgreSQL), and at the latest after this interval (a store without a feed, or a
    /// lost notification). `Duration::ZERO` asks the store on every request.
    pub fn revocation_recheck(mut self, recheck: Duration) -> Self {
        self.revocation_recheck = recheck;
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
    pub async fn build(self) -> Result<AuthorizationServer, AuthorizationServerSetupError> {
        let issuer = self.issuer.clone();
        let parsed = url::Url::parse(&issuer).map_err(|e| {
            AuthorizationServerSetupError::Config(format!("issuer `{issuer}` is not a URL: {e}"))
        })?;
        if parsed.scheme() != "https"
            || parsed.query().is_some()
            || parsed.fragment().is_some()
            || issuer.ends_with('/')
        {
            return Err(AuthorizationServerSetupError::Config(format!(
                "issuer `{issuer}` must be an https URL without query, fragment or trailing slash \
                 (RFC 8414 §2)"
            )));
        }
        let secs = |d: Duration| d.as_secs();
        let code = secs(self.code_lifetime);
        if !(60..=600).contains(&code) {
            return Err(AuthorizationServerSetupError::Config(format!(
                "code lifetime {code} s is outside 60..=600 s"
            )));
        }
        let at = secs(self.access_token_lifetime);
        if !(60..=86_400).contains(&at) {
            return Err(AuthorizationServerSetupError::Config(format!(
                "access-token lifetime {at} s is outside 60..=86400 s"
            )));
        }
        for s in &self.scopes {
            scope::parse(s).map_err(|_| {
                AuthorizationServerSetupError::Config(format!(
                    "scope `{s}` is not a valid RFC 6749 scope token"
                ))
            })?;
        }
        for (what, limit) in [
            ("token", &self.token_rate_limit),
            ("registration", &self.registration_rate_limit),
        ] {
            if let Some(limit) = limit {
                limit
                    .validate(what)
                    .map_err(AuthorizationServerSetupError::Config)?;
            }
        }
        let registration_scopes = self
            .registration_scopes
            .clone()
            .unwrap_or_else(|| self.scopes.clone());
        let settings = AuthorizationServerSettings {
            audience: self.audience.unwrap_or_else(|| issuer.clone()),
            realm: self.realm.unwrap_or_else(|| "ims".into()),
            issuer,
            access_token_lifetime: at,
            code_lifetime: code,
            refresh_token_lifetime: secs(self.refresh_token_lifetime).max(60),
            signing_alg: self.signing_alg,
            allow_client_secret_post: self.allow_client_secret_post,
            scopes: self.scopes,
            registration: RegistrationPolicy {
                enabled: self.registration_enabled,
                scopes: registration_scopes,
                grant_types: self.registration_grant_types,
                initial_access_token_hash: self
                    .initial_access_token
                    .as_deref()
                    .map(secrets::hash_secret),
                max_clients: self.max_clients,
                require_ims_metadata: self.require_ims_metadata,
            },
        };
        let key_policy = KeyPolicy {
            alg: settings.signing_alg,
            access_token_lifetime: settings.access_token_lifetime,
        };
        // Subscribed before the keys are read, so a rotation elsewhere in between is not missed.
        let changes = self.store.changes();
        let ring = key_rotation::load_or_create(self.store.as_ref(), key_policy).await?;
        let resource_owners = self
            .authenticator
            .unwrap_or_else(|| Arc::new(StaticUsers::new()));
        let state = Arc::new(ServerState {
            settings,
            clients: ClientDirectory::new(Arc::clone(&self.store)),
            revocations: Revocations::new(Arc::clone(&self.store), self.revocation_recheck),
            store: self.store,
            signing_keys: SigningKeys::new(ring),
            resource_owners,
            token_limiter: self.token_rate_limit.as_ref().map(RateLimit::limiter),
            registration_limiter: self
                .registration_rate_limit
                .as_ref()
                .map(RateLimit::limiter),
            #[cfg(feature = "client")]
            jwks_fetcher: JwksFetcher::new(self.jwks_uri_policy),
        });
        if let Some(changes) = changes {
            cache_coherence::follow(Arc::downgrade(&state), changes);
        }
        Ok(AuthorizationServer { state })
    }
}
