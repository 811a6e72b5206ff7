//! Login initiation (OIDC third-party-initiated login as LTI 1.3 Core §4.1 profiles it; SF 1.1
//! §5.1.1.1–5.1.1.2): check what the platform sent, remember a pending login, and answer the
//! authentication request the browser is redirected to.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use crate::authorization_server::secrets::random_token;

use super::error::LoginError;
use super::launch_store::{BrowserBinding, PendingLogin};
use super::platform_storage::StorageTarget;
use super::registration::PlatformRegistration;
use super::tool::LtiTool;

/// The parameters of a login initiation (GET query or POST form).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoginInitiation {
    /// The platform's issuer (required).
    pub iss: String,
    /// Opaque user hint, echoed to the platform (required).
    pub login_hint: String,
    /// Where the launch should land (required; must be registered, LTI-05).
    pub target_link_uri: String,
    /// Opaque message hint, echoed to the platform when present.
    pub lti_message_hint: Option<String>,
    /// Which registration of the issuer (optional; needed when it has several).
    pub client_id: Option<String>,
    /// The deployment (optional; checked when present).
    pub lti_deployment_id: Option<String>,
}

impl LoginInitiation {
    /// Reads the parameters; empty values count as absent.
    pub fn from_params(params: &HashMap<String, String>) -> Result<Self, LoginError> {
        let get = |k: &str| params.get(k).filter(|v| !v.is_empty()).cloned();
        let required = |k: &'static str| get(k).ok_or(LoginError::MissingParameter(k));
        Ok(Self {
            iss: required("iss")?,
            login_hint: required("login_hint")?,
            target_link_uri: required("target_link_uri")?,
            lti_message_hint: get("lti_message_hint"),
            client_id: get("client_id"),
            lti_deployment_id: get("lti_deployment_id"),
        })
    }
}

/// Where to send the browser, and the cookie binding the login to it.
#[derive(Clone, Debug)]
pub struct LoginRedirect {
    /// The platform's authorization endpoint with the authentication request's parameters.
    pub location: url::Url,
    /// The `state` sent.
    pub state: String,
    /// The cookie's name (the state cookie prefix and the state).
    pub cookie_name: String,
    /// The cookie's value (random; the store keeps its hash).
    pub cookie_value: String,
    /// The cookie's lifetime, seconds.
    pub cookie_max_age: i64,
    /// When the platform offered storage (`lti_storage_target`): what the login page stores
    /// there before it goes on to `location`.
    pub storage: Option<StorageLogin>,
}

/// The LTI Platform Storage half of a login: the value the login page puts into the platform's
/// storage frame (`lti.put_data`) and the launch page reads back (`lti.get_data`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StorageLogin {
    /// The frame named by `lti_storage_target` (`_parent`: the parent window itself).
    pub target: String,
    /// The `targetOrigin` of every message: the origin of the platform's OIDC authorization
    /// endpoint (the platform answers to, and partitions by, the tool's origin).
    pub platform_origin: String,
    /// The key: the state cookie's name (the prefix and the state).
    pub key: String,
    /// The value (random; the store keeps its hash).
    pub value: String,
}

impl LoginRedirect {
    /// The `Set-Cookie` value: `Secure; HttpOnly; SameSite=None`, since the launch is a
    /// cross-site form POST into a frame of the platform's page.
    pub fn set_cookie(&self) -> String {
        format!(
            "{}={}; Path=/; Max-Age={}; Secure; HttpOnly; SameSite=None",
            self.cookie_name, self.cookie_value, self.cookie_max_age
        )
    }
}

pub(crate) fn sha256_hex(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

impl LtiTool {
    fn registration_for(
        &self,
        login: &LoginInitiation,
    ) -> Result<std::sync::Arc<PlatformRegistration>, LoginError> {
        match &login.client_id {
            Some(client_id) => self
                .registry
                .find(&login.iss, client_id)
                .ok_or(LoginError::UnknownPlatform),
            None => {
                let mut all = self.registry.find_by_issuer(&login.iss);
                match all.len() {
                    0 => Err(LoginError::UnknownPlatform),
                    1 => Ok(all.remove(0)),
                    _ => Err(LoginError::AmbiguousPlatform),
                }
            }
        }
    }

    /// Checks a login initiation, records the pending login and returns the authentication
    /// request to redirect to: `scope=openid`, `response_type=id_token`,
    /// `response_mode=form_post`, `prompt=none`, our `client_id` and `redirect_uri`, the
    /// `login_hint` (and `lti_message_hint`) echoed, a fresh `state` and `nonce`.
    pub async fn begin_login(&self, login: &LoginInitiation) -> Result<LoginRedirect, LoginError> {
        self.begin_login_with_storage(login, None).await
    }

    /// [`Self::begin_login`] for a login initiation that carried `lti_storage_target`: the
    /// pending login is bound by the cookie *or* a value to keep in the platform's storage
    /// ([`LoginRedirect::storage`]), so the launch also succeeds in a frame whose cookies the
    /// browser blocks (LTI Platform Storage, <https://www.imsglobal.org/spec/lti-pf-storage/v0p1>).
    pub async fn begin_login_with_storage(
        &self,
        login: &LoginInitiation,
        storage_target: Option<&StorageTarget>,
    ) -> Result<LoginRedirect, LoginError> {
        let registration = self.registration_for(login)?;
        if let Some(deployment) = &login.lti_deployment_id
            && !registration.knows_deployment(deployment)
        {
            return Err(LoginError::UnknownDeployment);
        }
        if !self.config.is_registered_target(&login.target_link_uri) {
            return Err(LoginError::UnregisteredTargetLinkUri);
        }
        let now = self.now();
        let state = random_token();
        let nonce = random_token();
        let cookie_value = random_token();
        let lifetime = self.config.login_lifetime_secs.max(1);
        let cookie_name = format!("{}{state}", super::routes::STATE_COOKIE_PREFIX);
        // Registrations are validated as https URLs when loaded, so this parse cannot fail
        // for a registry built by this crate; a custom registry's bad URL is a refusal.
        let mut location = url::Url::parse(&registration.authorization_endpoint)
            .map_err(|_| LoginError::UnknownPlatform)?;
        let storage = storage_target.map(|target| StorageLogin {
            target: target.as_str().to_owned(),
            platform_origin: location.origin().ascii_serialization(),
            key: cookie_name.clone(),
            value: random_token(),
        });
        let binding = match &storage {
            None => BrowserBinding::Cookie {
                value_sha256: sha256_hex(&cookie_value),
            },
            Some(s) => BrowserBinding::PlatformStorage {
                cookie_sha256: sha256_hex(&cookie_value),
                value_sha256: sha256_hex(&s.value),
                target: s.target.clone(),
                platform_origin: s.platform_origin.clone(),
            },
        };
        self.store
            .put_login(
                PendingLogin {
                    state: state.clone(),
                    nonce: nonce.clone(),
                    issuer: registration.issuer.clone(),
                    client_id: registration.client_id.clone(),
                    target_link_uri: login.target_link_uri.clone(),
                    binding,
                    expires_at: now.saturating_add(lifetime),
                },
                now,
            )
            .await?;
        {
            let mut q = location.query_pairs_mut();
            q.append_pair("scope", "openid")
                .append_pair("response_type", "id_token")
                .append_pair("response_mode", "form_post")
                .append_pair("prompt", "none")
                .append_pair("client_id", &registration.client_id)
                .append_pair("redirect_uri", &self.config.redirect_uri)
                .append_pair("login_hint", &login.login_hint)
                .append_pair("state", &state)
                .append_pair("nonce", &nonce);
            if let Some(hint) = &login.lti_message_hint {
                q.append_pair("lti_message_hint", hint);
            }
        }
        Ok(LoginRedirect {
            location,
            cookie_name,
            state,
            cookie_value,
            cookie_max_age: lifetime,
            storage,
        })
    }
}
