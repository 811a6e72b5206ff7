//! How a platform is set up: its issuer, where its endpoints are mounted, what it says about
//! itself (`tool_platform`, the LTI platform configuration), and its clock.

use std::sync::Arc;

use crate::resource_server::{Clock, SystemClock};

/// Where the platform's routes are mounted (paths under the issuer's origin).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlatformPaths {
    /// The OIDC authorization endpoint (GET and POST; LTI 1.3 Core §5.1.1.2).
    pub authorize: String,
    /// Where deep-linking responses are posted (Deep Linking 2.0 §4.5).
    pub deep_link_return: String,
    /// The OpenID configuration (LTI-DR 1.0 §3.4; OpenID Connect Discovery §4).
    pub openid_configuration: String,
    /// The platform's JWKS (the authorization server's keys).
    pub jwks: String,
}

impl Default for PlatformPaths {
    fn default() -> Self {
        Self {
            authorize: "/lti/authorize".into(),
            deep_link_return: "/lti/deep-link-return".into(),
            openid_configuration: "/.well-known/openid-configuration".into(),
            jwks: "/lti/jwks".into(),
        }
    }
}

/// The platform's configuration.
#[derive(Clone)]
pub struct PlatformConfig {
    /// The issuer: the authorization server's (`authz.issuer()`), https, no trailing slash.
    pub issuer: String,
    /// Where the routes are mounted.
    pub paths: PlatformPaths,
    /// The LTI Dynamic Registration endpoint (full URL), listed in the OpenID configuration
    /// when registration is served.
    pub registration_endpoint: Option<String>,
    /// The `lti_storage_target` sent at login initiation (LTI Client Side postMessages): the
    /// name of the frame answering platform-storage messages. `None` turns storage off.
    pub storage_target: Option<String>,
    /// `tool_platform.guid` (LTI 1.3 Core §5.4.2): a stable id of this platform instance.
    pub platform_guid: String,
    /// `tool_platform.name`.
    pub platform_name: String,
    /// `tool_platform.product_family_code` and the LTI platform configuration's.
    pub product_family_code: String,
    /// The platform's version (LTI platform configuration `version`).
    pub version: String,
    /// Clock-skew allowance on deep-linking responses' `exp`/`iat`, seconds (default 30).
    pub leeway_secs: i64,
    /// The clock (tests move it to expire launches).
    pub clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for PlatformConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlatformConfig")
            .field("issuer", &self.issuer)
            .field("paths", &self.paths)
            .field("registration_endpoint", &self.registration_endpoint)
            .field("storage_target", &self.storage_target)
            .field("platform_guid", &self.platform_guid)
            .finish_non_exhaustive()
    }
}

impl PlatformConfig {
    /// A configuration for `issuer` with the default paths, no registration endpoint, storage
    /// off, the issuer as platform guid and the system clock.
    pub fn new(issuer: impl Into<String>) -> Self {
        let issuer = issuer.into();
        Self {
            platform_guid: issuer.clone(),
            issuer,
            paths: PlatformPaths::default(),
            registration_endpoint: None,
            storage_target: None,
            platform_name: "ims-runtime LTI platform".into(),
            product_family_code: "ims-codegen".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            leeway_secs: 30,
            clock: Arc::new(SystemClock),
        }
    }

    /// The absolute URL of a route at `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.issuer, path)
    }
}

/// A platform that cannot be set up.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PlatformSetupError {
    /// The configuration's issuer is not the authorization server's.
    #[error(
        "platform issuer '{config}' is not the authorization server's issuer '{authz}': the \
         platform signs id_tokens with the server's keys, so they must be one issuer"
    )]
    IssuerMismatch {
        /// The configured issuer.
        config: String,
        /// The authorization server's.
        authz: String,
    },
    /// The authorization server does not sign with RS256.
    #[error(
        "the authorization server signs with {0}; LTI platforms sign id_tokens with RS256 \
         (1EdTech Security Framework 1.1 §6.1): build it with SigningAlgorithm::RS256"
    )]
    SigningAlgorithm(&'static str),
    /// A path is not absolute, or two routes share one.
    #[error("platform path '{0}' must start with '/' and differ from the other paths")]
    Path(String),
    /// The storage target is empty.
    #[error("storage_target is empty: give the frame name, or None to turn storage off")]
    StorageTarget,
}
