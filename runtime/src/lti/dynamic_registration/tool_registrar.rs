//! [`ToolRegistrar`]: the tool side of LTI Dynamic Registration: the registration page a
//! platform's administrator opens (LTI-DR 1.0 §3.3, step 1), the checks on the platform's OpenID
//! configuration (§3.4 and §3.5.1), the registration request (§3.5.2), and storing the platform it answers
//! with (§3.6) in a [`FilePlatformRegistry`], where every `LtiTool` sharing it sees it at once.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use serde_json::{Map, Value, json};
use url::Url;

use crate::client::{HttpPolicy, read_capped};

use super::super::message_type;
use super::super::platform::LTI_TOOL_CONFIGURATION;
use super::super::registration::{
    FilePlatformRegistry, PlatformKeySource, PlatformRegistration, RegistrationError,
};
use super::pages::{failed_page, registered_page};
use super::platform_configuration::{PlatformConfiguration, check_platform_configuration};
use super::platform_registrar::LTI_SERVICE_SCOPES;

/// The claims a tool asks for by default (the LTI tool configuration's `claims`): who the user is.
pub const DEFAULT_REQUESTED_CLAIMS: [&str; 6] =
    ["iss", "sub", "name", "given_name", "family_name", "email"];

/// What the tool tells a platform about itself when it registers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ToolRegistrarConfig {
    /// The tool's name (`client_name`).
    pub client_name: String,
    /// The tool's login initiation URL (`initiate_login_uri`).
    pub initiate_login_uri: String,
    /// Where the platform form-posts `id_token`s (`redirect_uris`).
    pub redirect_uris: Vec<String>,
    /// The resource-link launch URL (the tool configuration's `target_link_uri`).
    pub target_link_uri: String,
    /// The deep-linking launch URL, when the tool offers deep linking.
    pub deep_linking_uri: Option<String>,
    /// The tool's JWKS URL.
    pub jwks_uri: String,
    /// The tool's domain (host, with the port when not 443): the tool configuration's `domain`.
    pub domain: String,
    /// The LTI service scopes asked for (the platform may grant fewer).
    pub scopes: Vec<String>,
    /// The claims asked for (the tool configuration's `claims`).
    pub claims: Vec<String>,
    /// Custom parameters for every launch (the tool configuration's `custom_parameters`).
    pub custom_parameters: BTreeMap<String, String>,
}

/// A configuration, a platform or an answer that stops a registration. Each says why in words
/// for the administrator; none carries a stack trace or the registration token.
#[derive(Debug, thiserror::Error)]
pub enum DynamicRegistrationError {
    /// The tool's own registration configuration is unusable.
    #[error("tool registration configuration: {0}")]
    Config(String),
    /// The registration page was opened without what LTI-DR §3.3 (step 1) requires.
    #[error("{0}")]
    BadRequest(String),
    /// The platform's OpenID configuration could not be fetched.
    #[error("the platform's OpenID configuration could not be fetched: {0}")]
    Fetch(String),
    /// The platform's OpenID configuration fails a check (DR-17, CL-14).
    #[error("{0}")]
    PlatformConfiguration(String),
    /// The platform refused the registration.
    #[error("the platform refused the registration (HTTP {status}): {error}{}",
        .description.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    Refused {
        /// The platform's HTTP status.
        status: u16,
        /// Its OAuth error code, or a summary when it sent none.
        error: String,
        /// Its `error_description`, when given.
        description: Option<String>,
    },
    /// The platform's answer cannot be used (no `client_id`, no `deployment_id`, not JSON).
    #[error("the platform's registration response cannot be used: {0}")]
    Response(String),
    /// The platform could not be stored in the registry.
    #[error("storing the platform: {0}")]
    Store(#[from] RegistrationError),
}

impl DynamicRegistrationError {
    /// The status of the page that reports it: 4xx for everything about the request or the
    /// platform, 409 for a platform already registered, 500 only when the tool's own file
    /// cannot be written.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Config(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Store(RegistrationError::Duplicate { .. }) => StatusCode::CONFLICT,
            Self::Store(RegistrationError::Write { .. } | RegistrationError::Read { .. }) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

fn https(value: &str) -> bool {
    Url::parse(value).is_ok_and(|u| u.scheme() == "https" && u.host().is_some())
}

/// `host[:port]` of an https URL (the port only when not 443).
fn domain_of(url: &str) -> Option<String> {
    let u = Url::parse(url).ok()?;
    let host = u.host_str()?;
    Some(match u.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_owned(),
    })
}

impl ToolRegistrarConfig {
    /// A configuration asking for every LTI service scope ([`LTI_SERVICE_SCOPES`]) and the
    /// [`DEFAULT_REQUESTED_CLAIMS`], with the domain taken from `target_link_uri`.
    pub fn new(
        client_name: impl Into<String>,
        initiate_login_uri: impl Into<String>,
        redirect_uris: Vec<String>,
        target_link_uri: impl Into<String>,
        jwks_uri: impl Into<String>,
    ) -> Self {
        let target_link_uri = target_link_uri.into();
        Self {
            client_name: client_name.into(),
            initiate_login_uri: initiate_login_uri.into(),
            redirect_uris,
            domain: domain_of(&target_link_uri).unwrap_or_default(),
            target_link_uri,
            deep_linking_uri: None,
            jwks_uri: jwks_uri.into(),
            scopes: LTI_SERVICE_SCOPES.iter().map(|s| (*s).to_owned()).collect(),
            claims: DEFAULT_REQUESTED_CLAIMS
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            custom_parameters: BTreeMap::new(),
        }
    }

    /// Offers deep linking at `uri`.
    pub fn with_deep_linking_uri(mut self, uri: impl Into<String>) -> Self {
        self.deep_linking_uri = Some(uri.into());
        self
    }

    /// Replaces the scopes asked for.
    pub fn with_scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// Checks what the platform will check: https URLs, a redirect URI, a domain.
    pub fn validate(&self) -> Result<(), DynamicRegistrationError> {
        let mut urls = vec![
            ("initiate_login_uri", self.initiate_login_uri.as_str()),
            ("target_link_uri", self.target_link_uri.as_str()),
            ("jwks_uri", self.jwks_uri.as_str()),
        ];
        if let Some(dl) = &self.deep_linking_uri {
            urls.push(("deep_linking_uri", dl.as_str()));
        }
        urls.extend(
            self.redirect_uris
                .iter()
                .map(|u| ("redirect_uris[]", u.as_str())),
        );
        if let Some((member, _)) = urls.iter().find(|(_, u)| !https(u)) {
            return Err(DynamicRegistrationError::Config(format!(
                "{member} must be an absolute https URL"
            )));
        }
        if self.redirect_uris.is_empty() {
            return Err(DynamicRegistrationError::Config(
                "redirect_uris is empty: list the URL(s) the tool receives launches at".into(),
            ));
        }
        if self.domain.is_empty() || self.domain.contains('/') {
            return Err(DynamicRegistrationError::Config(
                "domain must be the tool's host name (with the port when not 443)".into(),
            ));
        }
        Ok(())
    }

    /// The registration request body (LTI-DR 1.0 §3.5.2), asking for `scopes`.
    pub fn registration_request(&self, scopes: &[String]) -> Value {
        let mut messages = vec![json!({
            "type": message_type::RESOURCE_LINK_REQUEST,
            "target_link_uri": self.target_link_uri,
        })];
        if let Some(dl) = &self.deep_linking_uri {
            messages.push(json!({
                "type": message_type::DEEP_LINKING_REQUEST,
                "target_link_uri": dl,
            }));
        }
        let mut tool_configuration = Map::new();
        tool_configuration.insert("domain".into(), json!(self.domain));
        tool_configuration.insert("target_link_uri".into(), json!(self.target_link_uri));
        if !self.custom_parameters.is_empty() {
            tool_configuration.insert("custom_parameters".into(), json!(self.custom_parameters));
        }
        tool_configuration.insert("claims".into(), json!(self.claims));
        tool_configuration.insert("messages".into(), Value::Array(messages));
        let mut body = Map::new();
        body.insert("application_type".into(), json!("web"));
        body.insert("response_types".into(), json!(["id_token"]));
        body.insert(
            "grant_types".into(),
            json!(["implicit", "client_credentials"]),
        );
        body.insert("initiate_login_uri".into(), json!(self.initiate_login_uri));
        body.insert("redirect_uris".into(), json!(self.redirect_uris));
        body.insert("client_name".into(), json!(self.client_name));
        body.insert("jwks_uri".into(), json!(self.jwks_uri));
        body.insert(
            "token_endpoint_auth_method".into(),
            json!("private_key_jwt"),
        );
        if !scopes.is_empty() {
            body.insert("scope".into(), json!(scopes.join(" ")));
        }
        body.insert(
            LTI_TOOL_CONFIGURATION.into(),
            Value::Object(tool_configuration),
        );
        Value::Object(body)
    }
}

/// A completed registration, as the tool stored it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegisteredPlatform {
    /// The platform as the tool now trusts it.
    pub registration: PlatformRegistration,
    /// The scopes the platform granted (its answer's `scope`).
    pub granted_scopes: Vec<String>,
    /// The platform's OpenID configuration, as checked.
    pub configuration: PlatformConfiguration,
}

/// The tool side of LTI Dynamic Registration. Mount [`ToolRegistrar::router`] at the URL the
/// tool gives platforms' administrators (the lti-demo's `registration_uri`).
pub struct ToolRegistrar {
    config: ToolRegistrarConfig,
    registry: Arc<FilePlatformRegistry>,
    policy: HttpPolicy,
    http: reqwest::Client,
}

impl std::fmt::Debug for ToolRegistrar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToolRegistrar")
            .field("config", &self.config)
            .field("registry", &self.registry.path())
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl ToolRegistrar {
    /// A registrar storing platforms in `registry`. Outgoing calls (the OpenID configuration,
    /// the registration POST) follow `http`: the runtime's client policy (no redirects,
    /// timeouts, a response cap, and the trust roots it names; pass the development CA there).
    pub fn new(
        config: ToolRegistrarConfig,
        registry: Arc<FilePlatformRegistry>,
        http: HttpPolicy,
    ) -> Result<Self, DynamicRegistrationError> {
        config.validate()?;
        let client = http
            .build_client()
            .map_err(|e| DynamicRegistrationError::Config(e.to_string()))?;
        Ok(Self {
            config,
            registry,
            policy: http,
            http: client,
        })
    }

    /// The registry platforms are added to.
    pub fn registry(&self) -> &Arc<FilePlatformRegistry> {
        &self.registry
    }

    /// Runs a registration: fetch and check the platform's OpenID configuration, register, and
    /// store the platform. `registration_token` is sent as a bearer token when given.
    pub async fn register(
        &self,
        openid_configuration: &str,
        registration_token: Option<&str>,
    ) -> Result<RegisteredPlatform, DynamicRegistrationError> {
        let configuration_url = Url::parse(openid_configuration)
            .ok()
            .filter(|u| u.scheme() == "https" && u.host().is_some())
            .ok_or_else(|| {
                DynamicRegistrationError::BadRequest(
                    "openid_configuration must be an absolute https URL".into(),
                )
            })?;
        let configuration = self.fetch_configuration(&configuration_url).await?;
        // Ask only for what the platform says it has, when it says (fewer refusals to explain).
        let scopes: Vec<String> = match &configuration.scopes_supported {
            Some(supported) => self
                .config
                .scopes
                .iter()
                .filter(|s| supported.contains(s))
                .cloned()
                .collect(),
            None => self.config.scopes.clone(),
        };
        let answer = self
            .post_registration(&configuration, registration_token, &scopes)
            .await?;
        let client_id = answer
            .get("client_id")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| DynamicRegistrationError::Response("it has no client_id".into()))?;
        let deployment_id = answer
            .get(LTI_TOOL_CONFIGURATION)
            .and_then(|c| c.get("deployment_id"))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                DynamicRegistrationError::Response(format!(
                    "its {LTI_TOOL_CONFIGURATION} has no deployment_id, so no launch could be \
                     accepted; add the deployment to the tool by hand"
                ))
            })?;
        let granted_scopes = match answer.get("scope").and_then(Value::as_str) {
            Some(s) => s.split_whitespace().map(str::to_owned).collect(),
            // RFC 7591 §3.2.1: a member left out of the answer was registered as asked.
            None if answer.get("scope").is_none() => scopes.clone(),
            None => Vec::new(),
        };
        let registration = PlatformRegistration {
            issuer: configuration.issuer.clone(),
            client_id: client_id.to_owned(),
            deployment_ids: vec![deployment_id.to_owned()],
            authorization_endpoint: configuration.authorization_endpoint.clone(),
            token_endpoint: configuration.token_endpoint.clone(),
            keys: PlatformKeySource::JwksUri(configuration.jwks_uri.clone()),
        };
        let registry = Arc::clone(&self.registry);
        let to_store = registration.clone();
        // The file write is blocking I/O; keep it off the async workers.
        tokio::task::spawn_blocking(move || registry.add(to_store))
            .await
            .map_err(|e| DynamicRegistrationError::Config(format!("storing task failed: {e}")))??;
        tracing::info!(
            issuer = %registration.issuer,
            client_id = %registration.client_id,
            deployment_id,
            "LTI platform registered dynamically"
        );
        Ok(RegisteredPlatform {
            registration,
            granted_scopes,
            configuration,
        })
    }

    async fn fetch_configuration(
        &self,
        url: &Url,
    ) -> Result<PlatformConfiguration, DynamicRegistrationError> {
        let fetch = |e: crate::client::ClientError| DynamicRegistrationError::Fetch(e.to_string());
        self.policy.check_url(url.as_str()).map_err(fetch)?;
        let response = self
            .http
            .get(url.clone())
            .header(header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| DynamicRegistrationError::Fetch(without_url(&e)))?;
        let status = response.status();
        if !status.is_success() {
            return Err(DynamicRegistrationError::Fetch(format!(
                "the platform answered HTTP {}",
                status.as_u16()
            )));
        }
        let bytes = read_capped(response, self.policy.max_response_bytes)
            .await
            .map_err(fetch)?;
        let doc: Value = serde_json::from_slice(&bytes).map_err(|_| {
            DynamicRegistrationError::PlatformConfiguration(
                "the platform's OpenID configuration is not JSON".into(),
            )
        })?;
        check_platform_configuration(url, &doc)
            .map_err(DynamicRegistrationError::PlatformConfiguration)
    }

    async fn post_registration(
        &self,
        configuration: &PlatformConfiguration,
        registration_token: Option<&str>,
        scopes: &[String],
    ) -> Result<Value, DynamicRegistrationError> {
        let body = self.config.registration_request(scopes);
        let mut request = self
            .http
            .post(&configuration.registration_endpoint)
            .header(header::ACCEPT, "application/json")
            .json(&body);
        if let Some(token) = registration_token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.map_err(|e| {
            DynamicRegistrationError::Fetch(format!(
                "the registration endpoint could not be reached: {}",
                without_url(&e)
            ))
        })?;
        let status = response.status();
        let bytes = read_capped(response, self.policy.max_response_bytes)
            .await
            .map_err(|e| DynamicRegistrationError::Response(e.to_string()))?;
        let answer: Option<Value> = serde_json::from_slice(&bytes).ok();
        if !status.is_success() {
            let text = |m: &str| {
                answer
                    .as_ref()
                    .and_then(|a| a.get(m))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            };
            return Err(DynamicRegistrationError::Refused {
                status: status.as_u16(),
                error: text("error").unwrap_or_else(|| "no error code given".into()),
                description: text("error_description"),
            });
        }
        answer
            .filter(Value::is_object)
            .ok_or_else(|| DynamicRegistrationError::Response("it is not a JSON object".into()))
    }

    /// The registration page at `path`: GET with `openid_configuration` and, optionally,
    /// `registration_token` (LTI-DR 1.0 §3.3, step 1). Answers a page saying what was registered (and
    /// asking the platform to close it), or a 4xx page saying why not.
    pub fn router(self: &Arc<Self>, path: &str) -> Router {
        Router::new()
            .route(path, get(registration_page))
            .with_state(Arc::clone(self))
    }
}

/// A reqwest error's text without the URL (which could carry the registration token in a query).
fn without_url(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_redirect() {
        "redirected (redirects are not followed)"
    } else {
        "request failed"
    };
    let mut detail = kind.to_owned();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        detail = format!("{detail}: {s}");
        source = s.source();
    }
    detail
}

async fn registration_page(
    State(registrar): State<Arc<ToolRegistrar>>,
    RawQuery(query): RawQuery,
) -> Response {
    let params: Vec<(String, String)> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    };
    let Some(openid_configuration) = get("openid_configuration") else {
        return failed_page(
            StatusCode::BAD_REQUEST,
            "This page registers the tool with a learning platform: open it from the platform's \
             tool registration screen, which adds the openid_configuration parameter.",
        );
    };
    let mut page = match registrar
        .register(openid_configuration, get("registration_token"))
        .await
    {
        Ok(done) => registered_page(
            &done.registration.issuer,
            &done.registration.client_id,
            done.registration
                .deployment_ids
                .first()
                .map(String::as_str)
                .unwrap_or_default(),
            &done.granted_scopes,
        ),
        Err(e) => {
            tracing::info!(error = %e, "LTI dynamic registration aborted");
            let status = e.status();
            let reason = match &e {
                // The file path and OS error go to the log, not to the browser.
                DynamicRegistrationError::Store(
                    RegistrationError::Write { .. } | RegistrationError::Read { .. },
                ) => "the tool could not store the platform; its administrator will find the \
                      cause in the tool's log"
                    .to_owned(),
                other => other.to_string(),
            };
            failed_page(status, &reason)
        }
    };
    page.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    page
}
