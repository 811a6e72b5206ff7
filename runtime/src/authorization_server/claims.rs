//! The claims of the access tokens this server issues (RFC 9068).

use serde::{Deserialize, Serialize};

/// Claims of the RFC 9068 access tokens this server issues.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessTokenClaims {
    /// Issuer (the server's issuer URL).
    pub iss: String,
    /// Subject: the resource owner, or the client id for client_credentials.
    pub sub: String,
    /// Audience: the resource server identifier.
    pub aud: String,
    /// The client the token was issued to.
    pub client_id: String,
    /// Granted scopes, space-separated.
    pub scope: String,
    /// Unique token id (revocation key).
    pub jti: String,
    /// Issued at (epoch seconds).
    pub iat: u64,
    /// Expiry (epoch seconds).
    pub exp: u64,
}
