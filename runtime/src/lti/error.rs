//! Why a login initiation or a launch was refused, and the HTTP status each refusal deserves.
//!
//! Messages are fixed text naming the failed check (shown on the refusal page and logged), never
//! request input, so a hostile `id_token` cannot write into the page or the log.

use axum::http::StatusCode;

use super::launch_store::LaunchStoreError;

/// A refused login initiation (LTI 1.3 Core §4.1; SF 1.1 §5.1.1.1).
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// A required parameter (`iss`, `login_hint`, `target_link_uri`) is missing or empty.
    #[error("login initiation is missing the required parameter `{0}`")]
    MissingParameter(&'static str),
    /// No registration for the issuer (and client_id, when given).
    #[error("no platform registration matches this issuer and client_id")]
    UnknownPlatform,
    /// The issuer has several registrations and the request did not say which (`client_id`).
    #[error(
        "this issuer has several registrations of the tool; the platform must send `client_id`"
    )]
    AmbiguousPlatform,
    /// `lti_deployment_id` is not a deployment of the registration.
    #[error("`lti_deployment_id` is not a deployment registered for this platform and client")]
    UnknownDeployment,
    /// `target_link_uri` is not one of the tool's registered launch URLs (LTI-05: no open redirect).
    #[error("`target_link_uri` is not one of this tool's registered launch URLs")]
    UnregisteredTargetLinkUri,
    /// The pending login could not be stored.
    #[error("the login could not be recorded: {0}")]
    Store(#[from] LaunchStoreError),
    /// `lti_storage_target` is not a frame name (LTI Platform Storage: a window name or
    /// `_parent`; here at most 128 characters of `A-Za-z0-9_.-`).
    #[error(
        "`lti_storage_target` is not a usable frame name (letters, digits, `_`, `-`, `.`; at \
         most 128 characters)"
    )]
    BadStorageTarget,
}

impl LoginError {
    /// 400 for a malformed request, 403 for a platform or URL the tool does not accept, 503 when
    /// the store failed.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::MissingParameter(_) | Self::AmbiguousPlatform | Self::BadStorageTarget => {
                StatusCode::BAD_REQUEST
            }
            Self::UnknownPlatform | Self::UnknownDeployment | Self::UnregisteredTargetLinkUri => {
                StatusCode::FORBIDDEN
            }
            Self::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

/// A refused launch: the form-posted `id_token` failed a check.
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    /// The launch form lacks `id_token` or `state`.
    #[error("the launch is missing `{0}`")]
    MissingParameter(&'static str),
    /// The platform answered the authentication request with an error (OIDC Core §3.1.2.6),
    /// e.g. `login_required` when nobody is signed in there.
    #[error("the platform refused to sign the user in: {0}")]
    PlatformError(String),
    /// `state` is unknown, already used or expired (LTI-01, LTI-02).
    #[error("unknown, expired or already used `state`: start the launch again from the platform")]
    UnknownState,
    /// The browser does not hold the state cookie set at login (LTI-02), e.g. because it
    /// blocks third-party cookies in this frame.
    #[error(
        "this browser did not present the state cookie set at login (blocked third-party \
         cookies?): the launch cannot be bound to this browser"
    )]
    StateNotBoundToBrowser,
    /// No proof came with the launch at all: the state cookie did not come back and the login
    /// offered no platform storage (the platform sent no `lti_storage_target`) (LTI-02).
    #[error(
        "this browser did not present the state cookie set at login (third-party cookies \
         blocked?) and the platform offered no storage at login (no `lti_storage_target`), so \
         the launch cannot be bound to the browser that started it: allow this tool's cookies \
         or open it in a new window"
    )]
    NoBrowserProof,
    /// The launch page could not read the login's value back from the platform's storage
    /// (`lti.get_data` answered an error or nothing); the code is the platform's or `timeout`.
    #[error(
        "this browser did not present the state cookie set at login, and the platform's \
         storage did not give back the value stored at login ({0}): the launch cannot be bound \
         to the browser that started it"
    )]
    PlatformStorageFailed(String),
    /// The token is not a well-formed compact JWS (three base64url parts, JSON objects).
    #[error("the id_token is not a well-formed signed JWT: {0}")]
    MalformedToken(&'static str),
    /// The header's `alg` is not allowed (`none`, HS*, or outside the configured list).
    #[error("the id_token's signing algorithm is not allowed (only asymmetric algorithms are)")]
    AlgorithmNotAllowed,
    /// No platform key matches the header's `kid`, even after one refetch of the JWKS (CL-13).
    #[error("no platform key has the id_token's `kid`")]
    UnknownKey,
    /// No `kid` and several platform keys could apply (CL-13).
    #[error("the id_token has no `kid` and the platform publishes several keys")]
    AmbiguousKey,
    /// The platform's keys could not be fetched.
    #[error("the platform's keys could not be fetched")]
    KeysUnavailable,
    /// The signature does not verify.
    #[error("the id_token's signature does not verify")]
    BadSignature,
    /// The platform registration of the pending login no longer exists.
    #[error("the platform is not registered with this tool")]
    UnknownPlatform,
    /// `iss` is not the registered issuer (LTI-06).
    #[error("the id_token's issuer is not the registered platform")]
    IssuerMismatch,
    /// `aud` is missing or does not contain our client_id (LTI-04; CL-12).
    #[error("the id_token's audience does not include this tool's client_id")]
    AudienceMismatch,
    /// `azp` is present and not our client_id, or missing while `aud` has several values (LTI-04).
    #[error("the id_token's authorized party (azp) is not this tool's client_id")]
    AuthorizedPartyMismatch,
    /// `exp` has passed (beyond the leeway) (LTI-06).
    #[error("the id_token has expired")]
    Expired,
    /// `iat` is in the future beyond the leeway, or older than the maximum age (LTI-06).
    #[error("the id_token's issue time is in the future or too long ago")]
    IssuedAtOutOfRange,
    /// `nonce` is not the one sent at login (CL-12).
    #[error("the id_token's nonce is not the one this login sent")]
    NonceMismatch,
    /// The nonce was already spent by an earlier launch (LTI-01).
    #[error("the id_token's nonce was already used: replayed launch")]
    NonceReplayed,
    /// A required claim is missing or has the wrong type (LTI-03; CL-12).
    #[error("the id_token lacks the required claim `{0}` or it has the wrong type")]
    MissingClaim(&'static str),
    /// `version` is not "1.3.0" (LTI-03).
    #[error("the id_token's LTI version is not 1.3.0")]
    UnsupportedVersion,
    /// `message_type` is not one this tool handles.
    #[error("the id_token's message type is not LtiResourceLinkRequest or LtiDeepLinkingRequest")]
    UnsupportedMessageType,
    /// `deployment_id` is not known for (iss, client_id) (LTI-03).
    #[error("the id_token's deployment_id is not registered for this platform and client")]
    UnknownDeployment,
    /// `target_link_uri` is not one the tool registered, or not the one of the login (LTI-05).
    #[error(
        "the id_token's target_link_uri is not a registered launch URL of this tool or not the \
         one the login named"
    )]
    TargetLinkUriMismatch,
    /// The store failed.
    #[error("the launch could not be checked against the store: {0}")]
    Store(#[from] LaunchStoreError),
}

impl LaunchError {
    /// 400 for a malformed launch, 401 for a token or state that does not authenticate, 403
    /// for an authenticated launch the tool does not accept, 503 when a dependency failed.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::MissingParameter(_) | Self::MalformedToken(_) => StatusCode::BAD_REQUEST,
            Self::PlatformError(_)
            | Self::UnknownState
            | Self::StateNotBoundToBrowser
            | Self::NoBrowserProof
            | Self::PlatformStorageFailed(_)
            | Self::AlgorithmNotAllowed
            | Self::UnknownKey
            | Self::AmbiguousKey
            | Self::BadSignature
            | Self::IssuerMismatch
            | Self::AudienceMismatch
            | Self::AuthorizedPartyMismatch
            | Self::Expired
            | Self::IssuedAtOutOfRange
            | Self::NonceMismatch
            | Self::NonceReplayed => StatusCode::UNAUTHORIZED,
            Self::UnknownPlatform
            | Self::MissingClaim(_)
            | Self::UnsupportedVersion
            | Self::UnsupportedMessageType
            | Self::UnknownDeployment
            | Self::TargetLinkUriMismatch => StatusCode::FORBIDDEN,
            Self::KeysUnavailable | Self::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}
