//! [`ClientError`].

/// Errors from token sources and outgoing calls.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Bad configuration (URL, CA, key), with what to fix.
    #[error("client configuration: {0}")]
    Config(String),
    /// A plain `http://` URL where https is required.
    #[error(
        "refusing plain http URL `{0}`: use https (loopback http only with allow_loopback_http)"
    )]
    InsecureUrl(String),
    /// Network failure or timeout.
    #[error("request failed: {0}")]
    Transport(String),
    /// The response exceeded the size cap.
    #[error("response larger than {0} bytes")]
    ResponseTooLarge(usize),
    /// An unexpected HTTP status (including redirects, which are never followed).
    #[error("unexpected HTTP status {0}")]
    UnexpectedStatus(u16),
    /// The token endpoint answered with an OAuth error.
    #[error("token endpoint error `{error}` (HTTP {status})")]
    TokenEndpoint {
        /// HTTP status.
        status: u16,
        /// The RFC 6749 `error` code (sanitised).
        error: String,
    },
    /// The user has to authorize (again): no tokens are stored, or the refresh token was refused
    /// (`invalid_grant`: revoked, expired or reused) and the tokens were dropped (CL-09).
    #[error("the user must authorize again: {0}")]
    AuthorizationRequired(String),
    /// A response that violates the protocol (missing `access_token`, wrong `token_type`, …).
    #[error("invalid response: {0}")]
    InvalidResponse(String),
}

impl ClientError {
    pub(crate) fn from_reqwest(e: reqwest::Error) -> Self {
        // reqwest errors may carry the URL; they never carry our secrets (sent in headers/body).
        ClientError::Transport(e.without_url().to_string())
    }
}
