//! [`LtiPlatform`]: the platform side put together (its authorization server, configuration,
//! sessions and application), and launching a tool: OIDC third-party-initiated login (LTI 1.3
//! Core §4.1; 1EdTech Security Framework 1.1 §5.1.1.1).

use std::collections::HashSet;
use std::sync::Arc;

use axum::http::HeaderMap;
use axum::response::Response;
use futures_util::future::BoxFuture;
use serde_json::Value;

use crate::authorization_server::secrets::random_token;
use crate::authorization_server::{AuthorizationServer, SigningAlgorithm, StoreError};

use super::config::{PlatformConfig, PlatformSetupError};
use super::error::PlatformError;
use super::expiring::ExpiringMap;
use super::launch_spec::{LaunchKind, LaunchSpec};
use super::tool_registration::ToolRegistration;

/// How long a started launch waits for the tool's authentication request (seconds).
pub(crate) const LAUNCH_LIFETIME_SECS: i64 = 600;
/// How long a deep-linking request waits for its response (seconds): the user picks content.
pub(crate) const DEEP_LINK_LIFETIME_SECS: i64 = 3600;
/// Launches (and deep-linking requests) waiting at once; past it, new ones get 503.
const MAX_PENDING: usize = 10_000;
/// Deep-linking response nonces remembered at once.
const MAX_SPENT_NONCES: usize = 100_000;

/// The platform's own sign-in: which user, if any, a browser request comes from.
pub trait PlatformSessions: Send + Sync + 'static {
    /// The signed-in user's id (the `login_hint` and `sub` of launches), from the request's
    /// headers (its session cookie); `None` when nobody is signed in.
    fn signed_in_user<'a>(&'a self, headers: &'a HeaderMap) -> BoxFuture<'a, Option<String>>;
}

/// The platform's application: what it does with content a tool returned.
pub trait PlatformApp: Send + Sync + 'static {
    /// A deep-linking response passed every check; the answer is the page the user sees.
    fn deep_linking_returned(&self, result: DeepLinkingReturn) -> BoxFuture<'static, Response>;
}

/// A validated deep-linking response (Deep Linking 2.0 §4.5) with what the request it answers
/// was about.
#[derive(Clone, Debug, PartialEq)]
pub struct DeepLinkingReturn {
    /// The tool that answered.
    pub tool: ToolRegistration,
    /// The deployment (the tool's).
    pub deployment_id: String,
    /// The context the deep-linking request was launched in.
    pub context_id: String,
    /// The user who launched it.
    pub user_id: String,
    /// The content items, as the tool sent them (§4.5.4; may be empty).
    pub items: Vec<Value>,
    /// A message to show the user (§4.5.6 `msg`).
    pub msg: Option<String>,
    /// A message to log (§4.5.7 `log`).
    pub log: Option<String>,
    /// An error message to show the user (`errormsg`).
    pub error_msg: Option<String>,
    /// An error message to log (`errorlog`).
    pub error_log: Option<String>,
    /// The `data` this platform sent, echoed by the tool.
    pub data: String,
}

/// A launch waiting for its authentication request, behind its `lti_message_hint`.
#[derive(Clone, Debug)]
pub(crate) struct PendingLaunch {
    pub(crate) client_id: String,
    pub(crate) spec: LaunchSpec,
    pub(crate) target_link_uri: String,
    /// The deep-linking request's `data`, for deep-linking launches.
    pub(crate) deep_linking_data: Option<String>,
}

/// A deep-linking request waiting for its response, behind its `data`.
#[derive(Clone, Debug)]
pub(crate) struct PendingDeepLink {
    pub(crate) client_id: String,
    pub(crate) context_id: String,
    pub(crate) user_id: String,
    pub(crate) accept_types: Vec<String>,
    pub(crate) accept_multiple: bool,
}

/// The platform side of LTI 1.3: launches tools registered with its authorization server,
/// answers their authentication requests with signed `id_token`s, takes their deep-linking
/// responses, and describes itself in its OpenID configuration.
pub struct LtiPlatform {
    pub(crate) authz: AuthorizationServer,
    pub(crate) config: PlatformConfig,
    pub(crate) sessions: Arc<dyn PlatformSessions>,
    pub(crate) app: Arc<dyn PlatformApp>,
    pub(crate) launches: ExpiringMap<PendingLaunch>,
    pub(crate) deep_links: ExpiringMap<PendingDeepLink>,
    pub(crate) spent_nonces: ExpiringMap<()>,
}

impl std::fmt::Debug for LtiPlatform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LtiPlatform")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl LtiPlatform {
    /// A platform over `authz` (its tools are `authz`'s LTI clients, its keys sign `id_tokens`),
    /// checking that the configuration fits the server.
    pub fn new(
        authz: AuthorizationServer,
        config: PlatformConfig,
        sessions: Arc<dyn PlatformSessions>,
        app: Arc<dyn PlatformApp>,
    ) -> Result<Arc<Self>, PlatformSetupError> {
        if config.issuer != authz.issuer() {
            return Err(PlatformSetupError::IssuerMismatch {
                config: config.issuer.clone(),
                authz: authz.issuer().to_owned(),
            });
        }
        let alg = authz.signing_algorithm();
        if alg != SigningAlgorithm::RS256 {
            return Err(PlatformSetupError::SigningAlgorithm(alg.as_str()));
        }
        let paths = &config.paths;
        let all = [
            &paths.authorize,
            &paths.deep_link_return,
            &paths.openid_configuration,
            &paths.jwks,
        ];
        let mut seen = HashSet::new();
        if let Some(bad) = all
            .iter()
            .find(|p| !p.starts_with('/') || !seen.insert(p.as_str()))
        {
            return Err(PlatformSetupError::Path((*bad).clone()));
        }
        if config.storage_target.as_deref() == Some("") {
            return Err(PlatformSetupError::StorageTarget);
        }
        Ok(Arc::new(Self {
            authz,
            config,
            sessions,
            app,
            launches: ExpiringMap::new(MAX_PENDING),
            deep_links: ExpiringMap::new(MAX_PENDING),
            spent_nonces: ExpiringMap::new(MAX_SPENT_NONCES),
        }))
    }

    /// The configuration.
    pub fn config(&self) -> &PlatformConfig {
        &self.config
    }

    /// The authorization server.
    pub fn authorization_server(&self) -> &AuthorizationServer {
        &self.authz
    }

    /// The tool registered as `client_id`; `None` when there is no such client or it is not an
    /// LTI tool, or it is disabled.
    pub async fn tool(&self, client_id: &str) -> Result<Option<ToolRegistration>, StoreError> {
        Ok(self
            .authz
            .client(client_id)
            .await?
            .filter(|c| !c.disabled)
            .as_ref()
            .and_then(ToolRegistration::from_client))
    }

    pub(crate) fn now(&self) -> i64 {
        self.config.clock.now_unix()
    }

    /// Starts launching `tool` for `spec.user_id`: keeps the launch behind a random
    /// `lti_message_hint` (10 minutes, bound to the user and the tool) and answers the page
    /// that form-posts the third-party-initiated login to the tool's `initiate_login_uri`
    /// (LTI 1.3 Core §4.1: `iss`, `login_hint`, `target_link_uri`, `lti_message_hint`,
    /// `client_id`, `lti_deployment_id`; and `lti_storage_target` when storage is on).
    pub fn start_launch(
        &self,
        tool: &ToolRegistration,
        spec: LaunchSpec,
    ) -> Result<Response, PlatformError> {
        if spec.user_id.is_empty() {
            return Err(PlatformError::InvalidLaunch("the user id is empty"));
        }
        if spec.context.id.is_empty() {
            return Err(PlatformError::InvalidLaunch("the context id is empty"));
        }
        let now = self.now();
        let (target_link_uri, deep_linking_data) = match &spec.kind {
            LaunchKind::ResourceLink => {
                if spec.resource_link.as_ref().is_none_or(|l| l.id.is_empty()) {
                    return Err(PlatformError::InvalidLaunch(
                        "a resource-link launch needs a resource link with an id",
                    ));
                }
                let target = spec
                    .target_link_uri
                    .clone()
                    .unwrap_or_else(|| tool.target_link_uri.clone());
                (target, None)
            }
            LaunchKind::DeepLinking {
                accept_types,
                accept_presentation_document_targets,
                accept_multiple,
                ..
            } => {
                if accept_types.is_empty() || accept_presentation_document_targets.is_empty() {
                    return Err(PlatformError::InvalidLaunch(
                        "a deep-linking launch needs accept_types and presentation targets",
                    ));
                }
                let target = spec
                    .target_link_uri
                    .clone()
                    .or_else(|| tool.deep_linking_uri.clone())
                    .ok_or(PlatformError::InvalidLaunch(
                        "the tool registered no deep-linking URL",
                    ))?;
                let data = random_token();
                let pending = PendingDeepLink {
                    client_id: tool.client_id.clone(),
                    context_id: spec.context.id.clone(),
                    user_id: spec.user_id.clone(),
                    accept_types: accept_types.clone(),
                    accept_multiple: *accept_multiple,
                };
                if !self.deep_links.insert(
                    data.clone(),
                    pending,
                    now + DEEP_LINK_LIFETIME_SECS,
                    now,
                ) {
                    return Err(PlatformError::Busy);
                }
                (target, Some(data))
            }
        };
        let hint = random_token();
        let login_hint = spec.user_id.clone();
        let pending = PendingLaunch {
            client_id: tool.client_id.clone(),
            spec,
            target_link_uri: target_link_uri.clone(),
            deep_linking_data,
        };
        if !self
            .launches
            .insert(hint.clone(), pending, now + LAUNCH_LIFETIME_SECS, now)
        {
            return Err(PlatformError::Busy);
        }
        let mut fields = vec![
            ("iss", self.config.issuer.as_str()),
            ("login_hint", login_hint.as_str()),
            ("target_link_uri", target_link_uri.as_str()),
            ("lti_message_hint", hint.as_str()),
            ("client_id", tool.client_id.as_str()),
            ("lti_deployment_id", tool.deployment_id.as_str()),
        ];
        if let Some(target) = &self.config.storage_target {
            fields.push(("lti_storage_target", target.as_str()));
        }
        let title = format!("Launching {}", tool.name);
        Ok(crate::lti::auto_submit_form(
            &title,
            &tool.initiate_login_uri,
            &fields,
        ))
    }
}
