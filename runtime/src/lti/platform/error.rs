//! Typed refusals of the platform side and the HTTP status each deserves. Every one becomes a
//! page saying why (`pages`); none is a redirect, since a request the platform cannot tie to a
//! registered tool and redirect URI has nowhere safe to go (OIDC Core §3.1.2.6, RFC 6749
//! §4.1.2.1). Refusals that can be returned to the tool are `OidcError`s instead.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::authorization_server::StoreError;

/// A platform-side refusal.
#[derive(Debug, thiserror::Error)]
pub enum PlatformError {
    /// A parameter needed before the tool is known is missing (`client_id`, `redirect_uri`).
    #[error("the authentication request has no `{0}`")]
    MissingParameter(&'static str),
    /// The request's parameters cannot be read, or one is repeated.
    #[error("the request's parameters are malformed or repeated")]
    MalformedRequest,
    /// `client_id` names no tool registered with this platform.
    #[error("client_id is not a tool registered with this platform")]
    UnknownClient,
    /// `redirect_uri` is not exactly one the tool registered.
    #[error("redirect_uri is not one this tool registered (the match is exact)")]
    UnregisteredRedirectUri,
    /// A launch the application asked for is incomplete.
    #[error("this launch cannot be started: {0}")]
    InvalidLaunch(&'static str),
    /// Too many launches are waiting for their authentication request.
    #[error("too many launches are in progress; try again in a minute")]
    Busy,
    /// The deep-linking response has no `JWT`, or it is not a well-formed signed JWT.
    #[error("the deep-linking response is not a well-formed signed JWT: {0}")]
    MalformedResponse(&'static str),
    /// The response's `iss` names no registered tool.
    #[error("the deep-linking response's issuer is not a tool registered with this platform")]
    UnknownTool,
    /// The response's algorithm is not an asymmetric one the tool's key allows.
    #[error("the deep-linking response's signing algorithm is not allowed")]
    AlgorithmNotAllowed,
    /// No key of the tool's matches the response's `kid`.
    #[error("no key of the tool has the deep-linking response's `kid`")]
    UnknownKey,
    /// The signature does not verify with the tool's key.
    #[error("the deep-linking response's signature does not verify with the tool's keys")]
    BadSignature,
    /// `aud` does not contain this platform's issuer.
    #[error("the deep-linking response's audience does not include this platform")]
    AudienceMismatch,
    /// `exp` has passed (beyond the leeway).
    #[error("the deep-linking response has expired")]
    Expired,
    /// `iat` is in the future beyond the leeway, or too old.
    #[error("the deep-linking response's issue time is in the future or too long ago")]
    IssuedAtOutOfRange,
    /// A required claim is missing or has the wrong type.
    #[error("the deep-linking response lacks a valid `{0}` claim")]
    MissingClaim(&'static str),
    /// The nonce was seen before: a replayed response.
    #[error("the deep-linking response's nonce was already used: replayed response")]
    NonceReplayed,
    /// The message type is not `LtiDeepLinkingResponse` or the version not 1.3.0.
    #[error("the message is not an LTI 1.3.0 LtiDeepLinkingResponse")]
    WrongMessage,
    /// The deployment is not the tool's.
    #[error("the deep-linking response's deployment_id is not this tool's deployment")]
    DeploymentMismatch,
    /// `data` is not what this platform sent to this tool, or was already used.
    #[error(
        "the deep-linking response's data is not the value this platform sent to this tool, \
         or that deep-linking request was already answered or has expired"
    )]
    DataMismatch,
    /// A content item's type was not among those the request accepted.
    #[error("a returned content item's type was not among the accepted types")]
    ItemTypeNotAccepted,
    /// Several content items came back to a request that accepted one.
    #[error("several content items came back to a request that accepted one")]
    SeveralNotAccepted,
    /// The store failed.
    #[error("the platform's storage failed; try again")]
    Store(#[from] StoreError),
    /// Signing the `id_token` failed.
    #[error("the platform could not sign the launch")]
    Signing,
}

impl PlatformError {
    /// The HTTP status of the refusal page.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Busy => StatusCode::SERVICE_UNAVAILABLE,
            Self::Store(_) | Self::Signing => StatusCode::INTERNAL_SERVER_ERROR,
            Self::UnknownKey | Self::BadSignature | Self::AlgorithmNotAllowed => {
                StatusCode::UNAUTHORIZED
            }
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

impl IntoResponse for PlatformError {
    fn into_response(self) -> Response {
        if matches!(self, Self::Store(_)) {
            tracing::error!(error = ?self, "LTI platform storage failed");
        } else {
            tracing::info!(reason = %self, "LTI platform refused a request");
        }
        super::pages::refusal_page(self.status(), &self.to_string())
    }
}

/// An OIDC error returned to the tool's registered `redirect_uri` by form post (OIDC Core
/// §3.1.2.6, OAuth 2.0 Form Post Response Mode §2). Descriptions are fixed text: no request
/// input is echoed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct OidcError {
    pub(crate) code: &'static str,
    pub(crate) description: &'static str,
}

impl OidcError {
    pub(crate) const fn invalid_request(description: &'static str) -> Self {
        Self {
            code: "invalid_request",
            description,
        }
    }

    pub(crate) const fn login_required(description: &'static str) -> Self {
        Self {
            code: "login_required",
            description,
        }
    }
}
