//! OAuth 2.0 error responses (RFC 6749 §5.2, RFC 7009, RFC 7662, RFC 7591 §3.2.2).
//!
//! Descriptions are `&'static str` on purpose: an error never reflects request input (AS-26), and
//! every description stays inside the RFC 6749 charset (%x20-21 / %x23-5B / %x5D-7E).

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::store::StoreError;

/// An OAuth error as sent by the token, revocation, introspection and registration endpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    /// HTTP status.
    pub status: StatusCode,
    /// The `error` code (`invalid_request`, `invalid_client`, …).
    pub error: &'static str,
    /// A fixed, input-free `error_description`.
    pub description: &'static str,
    /// `WWW-Authenticate` challenge to add (`Basic realm="…"` or `Bearer …`), if any.
    pub challenge: Option<String>,
}

impl OAuthError {
    /// A 400 error.
    pub fn bad_request(error: &'static str, description: &'static str) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            error,
            description,
            challenge: None,
        }
    }

    /// `400 invalid_request`.
    pub fn invalid_request(description: &'static str) -> Self {
        Self::bad_request("invalid_request", description)
    }

    /// `400 invalid_grant`.
    pub fn invalid_grant(description: &'static str) -> Self {
        Self::bad_request("invalid_grant", description)
    }

    /// `400 invalid_scope`.
    pub fn invalid_scope(description: &'static str) -> Self {
        Self::bad_request("invalid_scope", description)
    }

    /// `400 invalid_client_metadata` (RFC 7591).
    pub fn invalid_metadata(description: &'static str) -> Self {
        Self::bad_request("invalid_client_metadata", description)
    }

    /// `400 invalid_redirect_uri` (RFC 7591).
    pub fn invalid_redirect_uri(description: &'static str) -> Self {
        Self::bad_request("invalid_redirect_uri", description)
    }

    /// `401 invalid_client`, with `WWW-Authenticate: Basic realm="…"` when `basic_realm` is set.
    pub fn invalid_client(basic_realm: Option<&str>) -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            error: "invalid_client",
            description: "client authentication failed",
            challenge: basic_realm.map(|realm| format!("Basic realm=\"{realm}\"")),
        }
    }

    /// `401 invalid_token` for the registration management endpoints (RFC 7592 / RFC 6750).
    pub fn invalid_token() -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            error: "invalid_token",
            description: "the access token is missing, invalid or revoked",
            challenge: Some("Bearer error=\"invalid_token\"".to_owned()),
        }
    }

    /// `500 server_error` (details are logged, never sent).
    pub fn server_error() -> Self {
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            error: "server_error",
            description: "the server could not complete the request",
            challenge: None,
        }
    }
}

impl From<StoreError> for OAuthError {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "authorization server store failure");
        Self::server_error()
    }
}

impl std::fmt::Display for OAuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.error, self.description)
    }
}

impl std::error::Error for OAuthError {}

/// Headers every token-bearing or error response carries (RFC 6749 §5.1).
pub(crate) fn no_store(headers: &mut HeaderMap) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

/// A JSON response with `Cache-Control: no-store` and `Pragma: no-cache`.
pub(crate) fn json_no_store(status: StatusCode, body: &serde_json::Value) -> Response {
    let mut resp = (status, axum::Json(body)).into_response();
    no_store(resp.headers_mut());
    resp
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "error": self.error,
            "error_description": self.description,
        });
        let mut resp = json_no_store(self.status, &body);
        if let Some(challenge) = self.challenge
            && let Ok(v) = HeaderValue::from_str(&challenge)
        {
            resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
        resp
    }
}
