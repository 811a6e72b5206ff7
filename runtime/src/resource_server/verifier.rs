//! The [`TokenVerifier`] trait and its error.

use futures_util::future::BoxFuture;

use super::Principal;

/// Why a token was not accepted. The reason is for logs only; responses stay generic (RS-15).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The token is invalid, expired, revoked, for another audience or issuer… → 401
    /// `invalid_token`.
    #[error("invalid token: {0}")]
    InvalidToken(&'static str),
    /// The token expired (also 401 `invalid_token`, with `error_description="token expired"`).
    #[error("token expired")]
    Expired,
    /// The verifier could not decide (introspection or JWKS endpoint down) → fail closed, 503.
    #[error("token verification unavailable: {0}")]
    Unavailable(String),
}

/// Verifies a bearer access token and says who presented it.
///
/// Implementations: [`super::LocalJwtVerifier`] (keys you hold), `RemoteJwksVerifier` (keys from
/// an issuer's `jwks_uri`), `IntrospectionVerifier` (RFC 7662) and [`super::CachingVerifier`]
/// (a bounded cache in front of any of them).
pub trait TokenVerifier: Send + Sync + 'static {
    /// Verifies `token` (already size-capped and syntax-checked by the bearer extraction).
    fn verify<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<Principal, VerifyError>>;
}

impl<T: TokenVerifier + ?Sized> TokenVerifier for std::sync::Arc<T> {
    fn verify<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<Principal, VerifyError>> {
        (**self).verify(token)
    }
}

/// Tells verifiers whether a token id (`jti`) has been revoked.
///
/// **For the `authorization_server` room:** implement this on your store so resource servers embedded next to the
/// authorization server see revocations (RFC 7009 `/revoke`, refresh-token family revocation,
/// code-replay revocation) at once. Return `true` for a revoked `jti`. Answer quickly (it runs on
/// every request that reaches [`super::CachingVerifier`]); on a store error, return `true`
/// (fail closed).
///
/// Revocation visibility bound: with a `RevocationCheck`, a revoked token is refused on the next
/// request (bound 0, cached or not). Without one, a JWT stays valid until `exp`, and a cached
/// introspection result for at most the cache TTL (default 30 s).
pub trait RevocationCheck: Send + Sync + 'static {
    /// Whether the token with this `jti` is revoked.
    fn is_revoked<'a>(&'a self, jti: &'a str) -> BoxFuture<'a, bool>;
}
