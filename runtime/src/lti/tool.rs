//! [`LtiTool`]: the tool side put together: its URLs, the platforms it trusts, the launch store,
//! the platforms' key cache, its own keys, and the rules a launch must meet.

use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::Algorithm;

use crate::client::{ClientAssertionSource, HttpPolicy, TokenSourceOptions};
use crate::resource_server::{Clock, SystemClock};

use super::launch_store::LaunchStore;
use super::platform_keys::PlatformKeyCache;
use super::registration::{PlatformRegistration, PlatformRegistry};
use super::tool_keys::ToolKeys;

/// The tool's own URLs, as registered with every platform.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LtiToolConfig {
    /// Where platforms form-post the `id_token` (the OIDC `redirect_uri`).
    pub redirect_uri: String,
    /// The URLs a launch may target (`target_link_uri`): the resource-link launch URL(s) and the
    /// deep-linking URL. Anything else is refused at login (LTI-05) and at launch.
    pub target_link_uris: Vec<String>,
    /// How long a login may take to come back as a launch (seconds; default 300).
    pub login_lifetime_secs: i64,
}

impl LtiToolConfig {
    /// A configuration with the default login lifetime.
    pub fn new(redirect_uri: impl Into<String>, target_link_uris: Vec<String>) -> Self {
        Self {
            redirect_uri: redirect_uri.into(),
            target_link_uris,
            login_lifetime_secs: 300,
        }
    }

    pub(crate) fn is_registered_target(&self, uri: &str) -> bool {
        self.target_link_uris.iter().any(|t| t == uri)
    }
}

/// What an `id_token` must meet beyond its claims: algorithms, clock skew, age.
#[derive(Clone)]
pub struct LaunchRules {
    /// Signing algorithms accepted. Default: RS256, RS384, RS512, ES256, ES384 (the Security
    /// Framework's approved asymmetric algorithms that `jsonwebtoken` implements). HMAC and
    /// `none` can never be added: a platform's public key must not become a shared secret.
    pub algorithms: Vec<Algorithm>,
    /// Clock-skew allowance for `exp` and `iat`, seconds (default 30; pylti1.3 #146 saw an LMS
    /// clock 0.15 s ahead refuse every launch with none).
    pub leeway_secs: i64,
    /// Oldest `iat` accepted, seconds before now (default 300): a launch is a browser round trip
    /// of seconds, so an old token is a replayed one.
    pub max_age_secs: i64,
    /// The clock.
    pub clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for LaunchRules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LaunchRules")
            .field("algorithms", &self.algorithms)
            .field("leeway_secs", &self.leeway_secs)
            .field("max_age_secs", &self.max_age_secs)
            .finish_non_exhaustive()
    }
}

impl Default for LaunchRules {
    fn default() -> Self {
        Self {
            algorithms: vec![
                Algorithm::RS256,
                Algorithm::RS384,
                Algorithm::RS512,
                Algorithm::ES256,
                Algorithm::ES384,
            ],
            leeway_secs: 30,
            max_age_secs: 300,
            clock: Arc::new(SystemClock),
        }
    }
}

impl LaunchRules {
    /// Replaces the algorithm list; HMAC algorithms are dropped (see [`Self::algorithms`]).
    pub fn with_algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.algorithms = algorithms
            .into_iter()
            .filter(|a| !matches!(a, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512))
            .collect();
        self
    }

    /// Replaces the leeway (negative values count as 0).
    pub fn with_leeway_secs(mut self, leeway: i64) -> Self {
        self.leeway_secs = leeway.max(0);
        self
    }

    /// Replaces the maximum token age.
    pub fn with_max_age_secs(mut self, age: i64) -> Self {
        self.max_age_secs = age.max(0);
        self
    }

    /// Replaces the clock.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }
}

/// A configuration the tool cannot run with.
#[derive(Debug, thiserror::Error)]
pub enum LtiToolError {
    /// A URL of the tool's configuration is not https.
    #[error("LTI tool configuration: {0} must be an https URL")]
    NotHttps(&'static str),
    /// No target link URI is registered.
    #[error("LTI tool configuration: target_link_uris is empty; list the launch URL(s)")]
    NoTargetLinkUri,
    /// The HTTP client for the platforms' JWKS could not be built.
    #[error("LTI tool configuration: {0}")]
    Http(#[from] crate::client::ClientError),
}

fn is_https(s: &str) -> bool {
    url::Url::parse(s).is_ok_and(|u| u.scheme() == "https" && u.host().is_some())
}

/// The tool side of LTI 1.3: begin a login ([`LtiTool::begin_login`]), validate a launch
/// ([`LtiTool::launch`]), sign deep-linking responses, publish the JWKS. Mount it with
/// `LtiTool::router`.
pub struct LtiTool {
    pub(crate) config: LtiToolConfig,
    pub(crate) rules: LaunchRules,
    pub(crate) registry: Arc<dyn PlatformRegistry>,
    pub(crate) store: Arc<dyn LaunchStore>,
    pub(crate) platform_keys: PlatformKeyCache,
    pub(crate) tool_keys: Arc<ToolKeys>,
}

impl std::fmt::Debug for LtiTool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LtiTool")
            .field("config", &self.config)
            .field("rules", &self.rules)
            .finish_non_exhaustive()
    }
}

impl LtiTool {
    /// A tool with default [`LaunchRules`]; platform JWKS are fetched with `http` and refetched
    /// on an unknown `kid` at most once a minute per platform.
    pub fn new(
        config: LtiToolConfig,
        registry: Arc<dyn PlatformRegistry>,
        store: Arc<dyn LaunchStore>,
        tool_keys: Arc<ToolKeys>,
        http: HttpPolicy,
    ) -> Result<Self, LtiToolError> {
        if !is_https(&config.redirect_uri) {
            return Err(LtiToolError::NotHttps("redirect_uri"));
        }
        if config.target_link_uris.is_empty() {
            return Err(LtiToolError::NoTargetLinkUri);
        }
        if !config.target_link_uris.iter().all(|u| is_https(u)) {
            return Err(LtiToolError::NotHttps("every target_link_uri"));
        }
        Ok(Self {
            config,
            rules: LaunchRules::default(),
            registry,
            store,
            platform_keys: PlatformKeyCache::new(http, Duration::from_secs(60))?,
            tool_keys,
        })
    }

    /// Replaces the launch rules.
    pub fn with_rules(mut self, rules: LaunchRules) -> Self {
        self.rules = rules;
        self
    }

    /// Changes how often an unknown `kid` may refetch a platform's JWKS (default 60 s).
    pub fn with_jwks_min_refresh_interval(mut self, interval: Duration) -> Self {
        self.platform_keys.set_min_refresh_interval(interval);
        self
    }

    /// The tool's configuration.
    pub fn config(&self) -> &LtiToolConfig {
        &self.config
    }

    /// The tool's signing keys (deep-linking responses, client assertions, the JWKS).
    pub fn tool_keys(&self) -> &Arc<ToolKeys> {
        &self.tool_keys
    }

    /// The platforms this tool trusts.
    pub fn registry(&self) -> &Arc<dyn PlatformRegistry> {
        &self.registry
    }

    /// The token source for a platform's LTI Advantage services (AGS, NRPS): client
    /// credentials at the registration's token endpoint, authenticated by a client assertion
    /// signed with the tool's current key (CL-15). Hand it to the generated AGS/NRPS clients.
    pub fn service_token_source(
        &self,
        registration: &PlatformRegistration,
        options: TokenSourceOptions,
    ) -> Result<ClientAssertionSource, crate::client::ClientError> {
        ClientAssertionSource::new(
            &registration.token_endpoint,
            registration.client_id.clone(),
            Arc::clone(&self.tool_keys) as Arc<dyn crate::client::AssertionSigningKeys>,
            options,
        )
    }

    pub(crate) fn now(&self) -> i64 {
        self.rules.clock.now_unix()
    }
}
