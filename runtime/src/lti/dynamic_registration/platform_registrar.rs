//! [`PlatformRegistrar`]: the platform's LTI-DR registration endpoint (LTI-DR 1.0 §3.5 "Step 3: Client
//! Registration" and §3.6 "Client Registration Response").
//!
//! A tool POSTs its client metadata with `Authorization: Bearer <registration_token>`. The
//! endpoint checks the token (401 when missing, unknown, used or expired: DR-17), checks the
//! body (400 `invalid_client_metadata` naming every missing or wrong member: DR-17), keeps only
//! the scopes this platform offers (RFC 7591 §3.2.1 lets a server grant less than asked, and the
//! response says what was granted), uses the token up, and stores the tool as a
//! `private_key_jwt` client of the platform's authorization server, with a fresh `client_id`
//! and `deployment_id`.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

use crate::authorization_server::AuthorizationServer;
use crate::authorization_server::secrets::{now, random_id};

use super::super::platform::{ToolKeySource, ToolRegistration};
use super::registration_request::{check_registration_request, registration_response};
use super::registration_tokens::{RegistrationTokenError, RegistrationTokens};

/// Called once a tool is registered (the demo writes its registrations file from here). It runs
/// on the registration request's task before the answer is sent: keep it short, and hand slow
/// work to a task of its own.
pub type OnRegistered = Arc<dyn Fn(&ToolRegistration) + Send + Sync>;

/// Largest registration request read (a client metadata document is a few KiB).
const MAX_REGISTRATION_BODY: usize = 64 * 1024;

/// The LTI Advantage service scopes offered by default: AGS 2.0 (line items, results, scores)
/// and NRPS 2.0 (context memberships).
pub const LTI_SERVICE_SCOPES: [&str; 5] = [
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
];

/// Why a registration was refused, and the HTTP answer it gets.
#[derive(Debug, thiserror::Error)]
pub enum PlatformRegistrationError {
    /// The registration token is missing, unknown, used or expired (401 `invalid_token`).
    #[error(transparent)]
    Token(#[from] RegistrationTokenError),
    /// The client metadata breaks LTI-DR 1.0 §3.5.2 and the tool configuration (400 `invalid_client_metadata`); each entry
    /// names a member and what is wrong with it.
    #[error("invalid client metadata: {}", .0.join("; "))]
    InvalidMetadata(Vec<String>),
    /// The tool could not be stored (500 `server_error`).
    #[error("storing the tool registration: {0}")]
    Storage(String),
    /// The tool's registration URL cannot start a registration (400).
    #[error("the tool's registration URL must be an absolute https URL without a fragment")]
    ToolUrl,
}

impl PlatformRegistrationError {
    /// The HTTP status this refusal is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Token(_) => StatusCode::UNAUTHORIZED,
            Self::InvalidMetadata(_) | Self::ToolUrl => StatusCode::BAD_REQUEST,
            Self::Storage(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The OAuth error code (RFC 6750 §3.1, RFC 7591 §3.2.2).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Token(_) => "invalid_token",
            Self::InvalidMetadata(_) => "invalid_client_metadata",
            Self::Storage(_) => "server_error",
            Self::ToolUrl => "invalid_request",
        }
    }
}

impl IntoResponse for PlatformRegistrationError {
    fn into_response(self) -> Response {
        let description = match &self {
            // The storage error may name files or the database; it goes to the log only.
            Self::Storage(detail) => {
                tracing::error!(%detail, "LTI dynamic registration could not be stored");
                "the registration could not be stored; try again later".to_owned()
            }
            other => other.to_string(),
        };
        let body = json!({"error": self.code(), "error_description": description});
        let mut response = (self.status(), axum::Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Self::Token(_) = self {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer error=\"invalid_token\""),
            );
        }
        response
    }
}

/// The platform side of LTI Dynamic Registration: serves the registration endpoint.
pub struct PlatformRegistrar {
    authz: AuthorizationServer,
    issuer: String,
    tokens: Arc<RegistrationTokens>,
    on_registered: OnRegistered,
    offered_scopes: Vec<String>,
}

impl std::fmt::Debug for PlatformRegistrar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlatformRegistrar")
            .field("issuer", &self.issuer)
            .field("offered_scopes", &self.offered_scopes)
            .finish_non_exhaustive()
    }
}

impl PlatformRegistrar {
    /// A registrar storing tools in `authz` (whose issuer is `issuer`), accepting tokens from
    /// `tokens` and calling `on_registered` after each registration. It offers
    /// [`LTI_SERVICE_SCOPES`]; `authz` must know those scopes for the tool to obtain tokens.
    pub fn new(
        authz: AuthorizationServer,
        issuer: impl Into<String>,
        tokens: Arc<RegistrationTokens>,
        on_registered: OnRegistered,
    ) -> Self {
        Self {
            authz,
            issuer: issuer.into(),
            tokens,
            on_registered,
            offered_scopes: LTI_SERVICE_SCOPES.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    /// Replaces the scopes a tool may be granted (others it asks for are dropped).
    pub fn with_scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.offered_scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// The platform's issuer.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The registration tokens this registrar accepts.
    pub fn tokens(&self) -> &Arc<RegistrationTokens> {
        &self.tokens
    }

    /// Starts a registration (LTI-DR 1.0 §3.3, step 1): issues a registration token valid for
    /// `ttl` and returns where to send the administrator's browser: `tool_registration_url`
    /// with `openid_configuration` and `registration_token` added to its query.
    pub fn initiation_url(
        &self,
        tool_registration_url: &str,
        openid_configuration: &str,
        ttl: std::time::Duration,
    ) -> Result<String, PlatformRegistrationError> {
        let mut url = url::Url::parse(tool_registration_url)
            .ok()
            .filter(|u| u.scheme() == "https" && u.host().is_some() && u.fragment().is_none())
            .ok_or(PlatformRegistrationError::ToolUrl)?;
        let token = self.tokens.issue(ttl);
        url.query_pairs_mut()
            .append_pair("openid_configuration", openid_configuration)
            .append_pair("registration_token", &token);
        Ok(url.into())
    }

    /// Registers a tool: `bearer` is the presented registration token, `body` the JSON request.
    /// Returns the registered tool and the response body (LTI-DR 1.0 §3.6.1).
    pub async fn register(
        &self,
        bearer: Option<&str>,
        body: &[u8],
    ) -> Result<(ToolRegistration, Value), PlatformRegistrationError> {
        let token = bearer.ok_or(RegistrationTokenError::Missing)?;
        // Checked first so nobody learns about the metadata rules without a token; taken only
        // after the body is valid so a malformed request does not burn it.
        self.tokens.check(token)?;
        let json: Value = serde_json::from_slice(body).map_err(|_| {
            PlatformRegistrationError::InvalidMetadata(vec![
                "the body is not JSON (send the client metadata as application/json)".into(),
            ])
        })?;
        let request = check_registration_request(&json)
            .map_err(PlatformRegistrationError::InvalidMetadata)?;
        let granted: Vec<String> = request
            .scopes
            .iter()
            .filter(|s| self.offered_scopes.contains(s))
            .cloned()
            .collect();
        let tool = ToolRegistration {
            client_id: random_id(),
            name: request
                .client_name
                .clone()
                .unwrap_or_else(|| request.domain.clone()),
            deployment_id: random_id(),
            initiate_login_uri: request.initiate_login_uri.clone(),
            redirect_uris: request.redirect_uris.clone(),
            target_link_uri: request.target_link_uri.clone(),
            deep_linking_uri: request.deep_linking_uri.clone(),
            keys: ToolKeySource::JwksUri(request.jwks_uri.clone()),
            scopes: granted.clone(),
            domain: Some(request.domain.clone()),
            custom_parameters: request.custom_parameters.clone(),
        };
        tool.validate()
            .map_err(|e| PlatformRegistrationError::InvalidMetadata(vec![e.to_string()]))?;
        self.tokens.take(token)?;
        let issued_at = now();
        self.authz
            .put_client(tool.to_client(issued_at))
            .await
            .map_err(|e| PlatformRegistrationError::Storage(e.to_string()))?;
        tracing::info!(
            issuer = %self.issuer,
            client_id = %tool.client_id,
            deployment_id = %tool.deployment_id,
            name = %tool.name,
            "LTI tool registered dynamically"
        );
        (self.on_registered)(&tool);
        let response = registration_response(
            &request,
            &tool.client_id,
            issued_at,
            &granted,
            &tool.deployment_id,
        );
        Ok((tool, response))
    }

    /// The registration endpoint at `path` (POST, JSON), answering 201 with the registration.
    pub fn router(self: &Arc<Self>, path: &str) -> Router {
        Router::new()
            .route(
                path,
                post(registration_endpoint).layer(DefaultBodyLimit::max(MAX_REGISTRATION_BODY)),
            )
            .with_state(Arc::clone(self))
    }
}

/// The bearer token of `Authorization` (RFC 6750 §2.1; the scheme is case-insensitive).
fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

async fn registration_endpoint(
    State(registrar): State<Arc<PlatformRegistrar>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match registrar.register(bearer_token(&headers), &body).await {
        Ok((_, response)) => {
            let mut r = (StatusCode::CREATED, axum::Json(response)).into_response();
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
        Err(e) => {
            tracing::info!(error = %e, "LTI dynamic registration refused");
            e.into_response()
        }
    }
}
