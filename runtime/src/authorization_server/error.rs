//! The authorization server's errors: [`AuthorizationServerSetupError`] for its operator, and
//! [`OAuthError`], the OAuth 2.0 error responses (RFC 6749 §4.1.2.1 and §5.2, RFC 6750 §3.1,
//! RFC 7009 §2.2.1, RFC 7591 §3.2.2; RFC 7592 and RFC 7662 reuse these).
//!
//! The `error` member is an [`OAuthErrorCode`], so a misspelt code cannot reach the wire (as
//! fosite's `errors.go` does). Descriptions are `&'static str` on purpose: an error never reflects
//! request input (AS-26), and every description stays inside the RFC 6749 charset
//! (%x20-21 / %x23-5B / %x5D-7E).

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::keys::SigningKeyError;
use super::store::StoreError;

/// Errors building or administering the server (configuration, storage, signing keys): the
/// operator's errors, never sent to a client.
#[derive(Debug, thiserror::Error)]
pub enum AuthorizationServerSetupError {
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

/// The registered OAuth error codes this server sends or the RFCs it implements define.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OAuthErrorCode {
    /// `invalid_request` (RFC 6749 §4.1.2.1, §5.2): a parameter is missing, repeated or malformed.
    InvalidRequest,
    /// `invalid_client` (RFC 6749 §5.2): client authentication failed.
    InvalidClient,
    /// `invalid_grant` (RFC 6749 §5.2): the code or refresh token is invalid, expired or revoked.
    InvalidGrant,
    /// `unauthorized_client` (RFC 6749 §4.1.2.1, §5.2): the client may not use this grant.
    UnauthorizedClient,
    /// `unsupported_grant_type` (RFC 6749 §5.2).
    UnsupportedGrantType,
    /// `invalid_scope` (RFC 6749 §4.1.2.1, §5.2): a scope is unknown, malformed or not allowed.
    InvalidScope,
    /// `access_denied` (RFC 6749 §4.1.2.1): the resource owner denied the request.
    AccessDenied,
    /// `unsupported_response_type` (RFC 6749 §4.1.2.1).
    UnsupportedResponseType,
    /// `server_error` (RFC 6749 §4.1.2.1); details are logged, never sent.
    ServerError,
    /// `temporarily_unavailable` (RFC 6749 §4.1.2.1).
    TemporarilyUnavailable,
    /// `invalid_token` (RFC 6750 §3.1), used by the RFC 7592 management endpoints.
    InvalidToken,
    /// `unsupported_token_type` (RFC 7009 §2.2.1).
    UnsupportedTokenType,
    /// `invalid_redirect_uri` (RFC 7591 §3.2.2).
    InvalidRedirectUri,
    /// `invalid_client_metadata` (RFC 7591 §3.2.2).
    InvalidClientMetadata,
    /// `invalid_software_statement` (RFC 7591 §3.2.2).
    InvalidSoftwareStatement,
    /// `unapproved_software_statement` (RFC 7591 §3.2.2).
    UnapprovedSoftwareStatement,
}

impl OAuthErrorCode {
    /// The code as sent in the `error` member or parameter.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidScope => "invalid_scope",
            Self::AccessDenied => "access_denied",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::InvalidToken => "invalid_token",
            Self::UnsupportedTokenType => "unsupported_token_type",
            Self::InvalidRedirectUri => "invalid_redirect_uri",
            Self::InvalidClientMetadata => "invalid_client_metadata",
            Self::InvalidSoftwareStatement => "invalid_software_statement",
            Self::UnapprovedSoftwareStatement => "unapproved_software_statement",
        }
    }
}

impl std::fmt::Display for OAuthErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An OAuth error as sent by the token, revocation, introspection and registration endpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    /// HTTP status.
    pub status: StatusCode,
    /// The `error` code.
    pub error: OAuthErrorCode,
    /// A fixed, input-free `error_description`.
    pub description: &'static str,
    /// `WWW-Authenticate` challenge to add (`Basic realm="…"` or `Bearer …`), if any.
    pub challenge: Option<String>,
}

impl OAuthError {
    /// A 400 error.
    pub fn bad_request(error: OAuthErrorCode, description: &'static str) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            error,
            description,
            challenge: None,
        }
    }

    /// The same error with another HTTP status (e.g. 415, 429, 503).
    pub fn with_status(self, status: StatusCode) -> Self {
        Self { status, ..self }
    }

    /// `400 invalid_request`.
    pub fn invalid_request(description: &'static str) -> Self {
        Self::bad_request(OAuthErrorCode::InvalidRequest, description)
    }

    /// `400 invalid_grant`.
    pub fn invalid_grant(description: &'static str) -> Self {
        Self::bad_request(OAuthErrorCode::InvalidGrant, description)
    }

    /// `400 invalid_scope`.
    pub fn invalid_scope(description: &'static str) -> Self {
        Self::bad_request(OAuthErrorCode::InvalidScope, description)
    }

    /// `400 invalid_client_metadata` (RFC 7591).
    pub fn invalid_metadata(description: &'static str) -> Self {
        Self::bad_request(OAuthErrorCode::InvalidClientMetadata, description)
    }

    /// `400 invalid_redirect_uri` (RFC 7591).
    pub fn invalid_redirect_uri(description: &'static str) -> Self {
        Self::bad_request(OAuthErrorCode::InvalidRedirectUri, description)
    }

    /// `401 invalid_client`, with `WWW-Authenticate: Basic realm="…"` when `basic_realm` is set.
    pub fn invalid_client(basic_realm: Option<&str>) -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            error: OAuthErrorCode::InvalidClient,
            description: "client authentication failed",
            challenge: basic_realm.map(|realm| format!("Basic realm=\"{realm}\"")),
        }
    }

    /// `401 invalid_token` for the registration management endpoints (RFC 7592 / RFC 6750).
    pub fn invalid_token() -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            error: OAuthErrorCode::InvalidToken,
            description: "the access token is missing, invalid or revoked",
            challenge: Some("Bearer error=\"invalid_token\"".to_owned()),
        }
    }

    /// `500 server_error` (details are logged, never sent).
    pub fn server_error() -> Self {
        Self::bad_request(
            OAuthErrorCode::ServerError,
            "the server could not complete the request",
        )
        .with_status(StatusCode::INTERNAL_SERVER_ERROR)
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
            "error": self.error.as_str(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_codes_are_the_registered_names() {
        let all = [
            (OAuthErrorCode::InvalidRequest, "invalid_request"),
            (OAuthErrorCode::InvalidClient, "invalid_client"),
            (OAuthErrorCode::InvalidGrant, "invalid_grant"),
            (OAuthErrorCode::UnauthorizedClient, "unauthorized_client"),
            (
                OAuthErrorCode::UnsupportedGrantType,
                "unsupported_grant_type",
            ),
            (OAuthErrorCode::InvalidScope, "invalid_scope"),
            (OAuthErrorCode::AccessDenied, "access_denied"),
            (
                OAuthErrorCode::UnsupportedResponseType,
                "unsupported_response_type",
            ),
            (OAuthErrorCode::ServerError, "server_error"),
            (
                OAuthErrorCode::TemporarilyUnavailable,
                "temporarily_unavailable",
            ),
            (OAuthErrorCode::InvalidToken, "invalid_token"),
            (
                OAuthErrorCode::UnsupportedTokenType,
                "unsupported_token_type",
            ),
            (OAuthErrorCode::InvalidRedirectUri, "invalid_redirect_uri"),
            (
                OAuthErrorCode::InvalidClientMetadata,
                "invalid_client_metadata",
            ),
            (
                OAuthErrorCode::InvalidSoftwareStatement,
                "invalid_software_statement",
            ),
            (
                OAuthErrorCode::UnapprovedSoftwareStatement,
                "unapproved_software_statement",
            ),
        ];
        for (code, wire) in all {
            assert_eq!(code.as_str(), wire);
            assert_eq!(code.to_string(), wire);
        }
    }

    #[test]
    fn server_error_is_500_without_challenge() {
        let e = OAuthError::server_error();
        assert_eq!(e.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(e.error, OAuthErrorCode::ServerError);
        assert_eq!(e.challenge, None);
    }
}
