//! The tower layer that authenticates requests, the [`Scoped`] extractor behind `#[ims_scope]`,
//! and RFC 6750 §3 error responses with `imsx_StatusInfo` bodies.

use std::convert::Infallible;
use std::marker::PhantomData;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::FromRequestParts;
use axum::response::{IntoResponse, Response};
use futures_util::future::BoxFuture;
use http::request::Parts;
use http::{HeaderValue, Request, StatusCode, header};
use http_body_util::{BodyExt, LengthLimitError, Limited};

use std::net::SocketAddr;

use axum::extract::ConnectInfo;

use super::bearer::{
    BearerError, MAX_FORM_BODY_BYTES, extract_bearer, is_form_urlencoded,
    urlencoded_has_access_token,
};
use super::failure_limit::FailureLimiter;
use super::principal::Principal;
use super::verifier::{TokenVerifier, VerifyError};
use crate::catalogue::ScopeRequirement;
use crate::imsx::{ImsError, code_minor};

/// Names the scope requirement of a handler; `#[ims_scope(...)]` generates one zero-sized type
/// implementing this per handler.
///
/// ```
/// use ims_runtime::resource_server::ScopeRequirementProvider;
/// struct ReadRoster;
/// impl ScopeRequirementProvider for ReadRoster {
///     const ANY_OF: &'static [&'static [&'static str]] =
///         &[&["https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly"]];
/// }
/// ```
pub trait ScopeRequirementProvider: Send + Sync + 'static {
    /// Alternatives (any one suffices), each a set of scopes held together.
    const ANY_OF: &'static [&'static [&'static str]];

    /// The requirement as a [`ScopeRequirement`].
    fn requirement() -> ScopeRequirement {
        ScopeRequirement {
            any_of: Self::ANY_OF,
        }
    }
}

/// The realm announced in `WWW-Authenticate`, stored in request extensions by [`AuthLayer`].
#[derive(Clone, Debug)]
pub struct AuthRealm(pub Arc<str>);

/// Why a request was refused; renders as RFC 6750 §3 + `imsx_StatusInfo`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthRejection {
    /// No credentials: 401 with `WWW-Authenticate: Bearer realm="…"` and no error code (RS-01).
    MissingToken {
        /// Realm.
        realm: Arc<str>,
    },
    /// Malformed request: 400 `error="invalid_request"` (RS-02, RS-04, RS-12).
    InvalidRequest {
        /// Realm.
        realm: Arc<str>,
    },
    /// Bad, expired or revoked token: 401 `error="invalid_token"` (RS-05, RS-08..10, RS-13).
    InvalidToken {
        /// Realm.
        realm: Arc<str>,
        /// Whether it merely expired (adds `error_description="token expired"`).
        expired: bool,
    },
    /// Valid token without the scopes: 403 `error="insufficient_scope", scope="…"` (RS-06).
    ///
    /// When every alternative is a single scope, `scope=` lists all of them space-separated
    /// (RFC 6750 §3: any one of them would do); otherwise it names the first alternative's
    /// scopes. The imsx description always lists every alternative.
    InsufficientScope {
        /// Realm.
        realm: Arc<str>,
        /// The alternatives that would suffice, each a set of scopes held together.
        any_of: Vec<Vec<String>>,
    },
    /// The verifier could not decide (introspection/JWKS down): 503, fail closed (RS-11).
    Unavailable,
    /// The client address sent too many invalid tokens recently: 429 `server_busy` (RS-17).
    TooManyFailures,
    /// An `application/x-www-form-urlencoded` body larger than the layer inspects for a
    /// smuggled `access_token` (64 KiB): 413, refused before parsing (RS-04).
    FormBodyTooLarge,
}

fn quoted(s: &str) -> String {
    // Quoted-string content: drop quotes, backslashes and controls rather than escape them.
    s.chars()
        .filter(|c| *c != '"' && *c != '\\' && !c.is_control())
        .collect()
}

/// The `scope=` value of an `insufficient_scope` challenge: every alternative when each is a single
/// scope (a client may request any of them), else the first alternative's scopes.
fn challenge_scope(any_of: &[Vec<String>]) -> String {
    if any_of.iter().all(|g| g.len() == 1) {
        any_of
            .iter()
            .flatten()
            .cloned()
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        any_of.first().map(|g| g.join(" ")).unwrap_or_default()
    }
}

/// The imsx description of an `insufficient_scope` rejection, naming every acceptable scope set.
fn insufficient_scope_description(any_of: &[Vec<String>]) -> String {
    let alternatives: Vec<String> = any_of
        .iter()
        .map(|g| {
            if g.len() == 1 {
                g.join("")
            } else {
                format!("({})", g.join(" and "))
            }
        })
        .collect();
    match alternatives.as_slice() {
        [] => "insufficient scope".to_owned(),
        [one] => format!("insufficient scope: requires {one}"),
        many => format!("insufficient scope: requires one of: {}", many.join(", ")),
    }
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        let (error, challenge) = match &self {
            AuthRejection::MissingToken { realm } => (
                ImsError::unauthorised_request("authentication required"),
                Some(format!("Bearer realm=\"{}\"", quoted(realm))),
            ),
            AuthRejection::InvalidRequest { realm } => (
                ImsError::new(
                    StatusCode::BAD_REQUEST,
                    code_minor::UNAUTHORISED_REQUEST,
                    "malformed authorization",
                ),
                Some(format!(
                    "Bearer realm=\"{}\", error=\"invalid_request\"",
                    quoted(realm)
                )),
            ),
            AuthRejection::InvalidToken { realm, expired } => {
                let description = if *expired {
                    "token expired"
                } else {
                    "invalid access token"
                };
                (
                    ImsError::unauthorised_request(description),
                    Some(format!(
                        "Bearer realm=\"{}\", error=\"invalid_token\", error_description=\"{description}\"",
                        quoted(realm)
                    )),
                )
            }
            AuthRejection::InsufficientScope { realm, any_of } => (
                ImsError::forbidden(insufficient_scope_description(any_of)),
                Some(format!(
                    "Bearer realm=\"{}\", error=\"insufficient_scope\", scope=\"{}\"",
                    quoted(realm),
                    quoted(&challenge_scope(any_of))
                )),
            ),
            AuthRejection::Unavailable => (
                ImsError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    code_minor::SERVER_BUSY,
                    "authorization temporarily unavailable",
                ),
                None,
            ),
            AuthRejection::TooManyFailures => (
                ImsError::server_busy("too many invalid tokens; retry later"),
                None,
            ),
            AuthRejection::FormBodyTooLarge => (
                ImsError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    code_minor::INVALID_DATA,
                    "form body larger than 64 KiB; send large payloads as JSON",
                ),
                None,
            ),
        };
        let mut response = error.into_response();
        let headers = response.headers_mut();
        if let Some(c) = challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
            headers.insert(header::WWW_AUTHENTICATE, c);
        }
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if matches!(
            self,
            AuthRejection::Unavailable | AuthRejection::TooManyFailures
        ) {
            headers.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        response
    }
}

/// Authenticates every request: takes the bearer token (header only), verifies it and inserts the
/// [`Principal`] into request extensions; otherwise answers 400/401/503 without calling the
/// service. Scope checks happen per handler ([`Scoped`]).
///
/// Tokens are never accepted from the query or a form body (RFC 9700): a request carrying an
/// `access_token` there gets 400 `invalid_request`, with or without a header (RS-04). To see a
/// form-body token, `application/x-www-form-urlencoded` bodies are buffered (at most 64 KiB,
/// larger → 413) and handed on unchanged; other bodies are never buffered.
///
/// ```no_run
/// use std::sync::Arc;
/// use axum::{Router, routing::get};
/// use ims_runtime::resource_server::{AuthLayer, CachingVerifier, JwtRules, KeySet, LocalJwtVerifier};
/// let verifier = CachingVerifier::new(LocalJwtVerifier::new(
///     KeySet::default(),
///     JwtRules::new("https://as.example.edu", "https://api.example.edu"),
/// ));
/// let app: Router = Router::new()
///     .route("/users", get(|| async { "…" }))
///     .layer(AuthLayer::new(Arc::new(verifier), "oneroster"));
/// ```
#[derive(Clone)]
pub struct AuthLayer {
    verifier: Arc<dyn TokenVerifier>,
    realm: Arc<str>,
    limiter: Option<Arc<FailureLimiter>>,
}

impl std::fmt::Debug for AuthLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthLayer")
            .field("realm", &self.realm)
            .finish_non_exhaustive()
    }
}

impl AuthLayer {
    /// A layer verifying with `verifier` and announcing `realm`.
    pub fn new(verifier: Arc<dyn TokenVerifier>, realm: impl Into<Arc<str>>) -> Self {
        Self {
            verifier,
            realm: realm.into(),
            limiter: None,
        }
    }

    /// Answers 429 (`server_busy`, `Retry-After`) to a client address once it has sent
    /// `max_failures` invalid tokens within `window`, without verifying anything more from it
    /// until the window ends (RS-17). The address comes from `ConnectInfo<SocketAddr>`, which
    /// `serve_tls` provides; requests without it are not limited.
    pub fn with_failure_limit(mut self, max_failures: u32, window: std::time::Duration) -> Self {
        self.limiter = Some(Arc::new(FailureLimiter::new(max_failures, window)));
        self
    }
}

impl<S> tower::Layer<S> for AuthLayer {
    type Service = AuthService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        AuthService {
            inner,
            verifier: Arc::clone(&self.verifier),
            realm: Arc::clone(&self.realm),
            limiter: self.limiter.clone(),
        }
    }
}

/// The service produced by [`AuthLayer`].
#[derive(Clone)]
pub struct AuthService<S> {
    inner: S,
    verifier: Arc<dyn TokenVerifier>,
    realm: Arc<str>,
    limiter: Option<Arc<FailureLimiter>>,
}

impl<S> std::fmt::Debug for AuthService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthService")
            .field("realm", &self.realm)
            .finish_non_exhaustive()
    }
}

/// Authenticates one request's headers (used by [`AuthLayer`]; public for custom middleware).
pub async fn authenticate(
    verifier: &dyn TokenVerifier,
    realm: &Arc<str>,
    headers: &http::HeaderMap,
    query: Option<&str>,
) -> Result<Principal, AuthRejection> {
    let token = match extract_bearer(headers, query) {
        Ok(t) => t,
        Err(BearerError::Missing) => {
            return Err(AuthRejection::MissingToken {
                realm: Arc::clone(realm),
            });
        }
        Err(BearerError::Malformed(why)) => {
            tracing::debug!(reason = why, "malformed bearer credentials");
            return Err(AuthRejection::InvalidRequest {
                realm: Arc::clone(realm),
            });
        }
    };
    match verifier.verify(token).await {
        Ok(p) => Ok(p),
        Err(e) => {
            tracing::debug!(reason = %e, "access token refused");
            Err(match e {
                VerifyError::Expired => AuthRejection::InvalidToken {
                    realm: Arc::clone(realm),
                    expired: true,
                },
                VerifyError::InvalidToken(_) => AuthRejection::InvalidToken {
                    realm: Arc::clone(realm),
                    expired: false,
                },
                VerifyError::Unavailable(_) => AuthRejection::Unavailable,
            })
        }
    }
}

/// Refuses a form body that smuggles an `access_token` (RS-04) and returns the request with its
/// body buffered and intact otherwise. Requests that are not `application/x-www-form-urlencoded`
/// are returned as they are, unread.
async fn refuse_form_body_token(
    req: Request<Body>,
    realm: &Arc<str>,
) -> Result<Request<Body>, AuthRejection> {
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(is_form_urlencoded);
    if !is_form {
        return Ok(req);
    }
    let declared_too_large = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|n| n > MAX_FORM_BODY_BYTES as u64);
    if declared_too_large {
        return Err(AuthRejection::FormBodyTooLarge);
    }
    let (parts, body) = req.into_parts();
    let bytes = match Limited::new(body, MAX_FORM_BODY_BYTES).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => {
            return Err(AuthRejection::FormBodyTooLarge);
        }
        Err(e) => {
            // The client broke off or sent a malformed body: nothing to hand on.
            tracing::debug!(reason = %e, "form body could not be read");
            return Err(AuthRejection::InvalidRequest {
                realm: Arc::clone(realm),
            });
        }
    };
    if urlencoded_has_access_token(&bytes) {
        tracing::debug!("access_token in a form body is not accepted");
        return Err(AuthRejection::InvalidRequest {
            realm: Arc::clone(realm),
        });
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

impl<S> tower::Service<Request<Body>> for AuthService<S>
where
    S: tower::Service<Request<Body>, Response = Response, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<Body>) -> Self::Future {
        // The clone that was driven to readiness serves this request (tower's usual dance).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let verifier = Arc::clone(&self.verifier);
        let realm = Arc::clone(&self.realm);
        let limiter = self.limiter.clone();
        Box::pin(async move {
            let peer = req
                .extensions()
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip());
            if let (Some(limiter), Some(ip)) = (&limiter, peer)
                && limiter.is_limited(ip)
            {
                return Ok(AuthRejection::TooManyFailures.into_response());
            }
            let mut req = match refuse_form_body_token(req, &realm).await {
                Ok(req) => req,
                Err(rejection) => return Ok(rejection.into_response()),
            };
            let result = authenticate(&*verifier, &realm, req.headers(), req.uri().query()).await;
            if let (Some(limiter), Some(ip), Err(AuthRejection::InvalidToken { .. })) =
                (&limiter, peer, &result)
            {
                limiter.record_failure(ip);
            }
            match result {
                Ok(principal) => {
                    req.extensions_mut().insert(principal);
                    req.extensions_mut().insert(AuthRealm(realm));
                    inner.call(req).await
                }
                Err(rejection) => Ok(rejection.into_response()),
            }
        })
    }
}

fn realm_of(parts: &Parts) -> Arc<str> {
    parts
        .extensions
        .get::<AuthRealm>()
        .map(|r| Arc::clone(&r.0))
        .unwrap_or_else(|| Arc::from("ims"))
}

impl<S: Send + Sync> FromRequestParts<S> for Principal {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Principal>()
            .cloned()
            .ok_or_else(|| AuthRejection::MissingToken {
                realm: realm_of(parts),
            })
    }
}

/// Extractor that requires the authenticated [`Principal`] to satisfy `R`'s scope requirement:
/// 401 without an authenticated principal, 403 `insufficient_scope` without the scopes.
///
/// `#[ims_scope(...)]` inserts it as a handler's first argument; you may also write it by hand.
pub struct Scoped<R> {
    /// The authenticated caller.
    pub principal: Principal,
    _requirement: PhantomData<fn() -> R>,
}

impl<R> std::fmt::Debug for Scoped<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scoped")
            .field("principal", &self.principal)
            .finish()
    }
}

impl<R> Scoped<R> {
    /// The authenticated caller.
    pub fn into_principal(self) -> Principal {
        self.principal
    }
}

impl<S: Send + Sync, R: ScopeRequirementProvider> FromRequestParts<S> for Scoped<R> {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let realm = realm_of(parts);
        let Some(principal) = parts.extensions.get::<Principal>() else {
            return Err(AuthRejection::MissingToken { realm });
        };
        let requirement = R::requirement();
        if !principal.satisfies(&requirement) {
            let any_of = requirement
                .any_of
                .iter()
                .map(|g| g.iter().map(|s| (*s).to_owned()).collect())
                .collect();
            return Err(AuthRejection::InsufficientScope { realm, any_of });
        }
        Ok(Self {
            principal: principal.clone(),
            _requirement: PhantomData,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn groups(g: &[&[&str]]) -> Vec<Vec<String>> {
        g.iter()
            .map(|g| g.iter().map(|s| (*s).to_owned()).collect())
            .collect()
    }

    #[test]
    fn single_scope_alternatives_are_all_named() {
        let any_of = groups(&[&["a"], &["b"]]);
        assert_eq!(challenge_scope(&any_of), "a b");
        assert_eq!(
            insufficient_scope_description(&any_of),
            "insufficient scope: requires one of: a, b"
        );
        assert_eq!(
            insufficient_scope_description(&groups(&[&["a"]])),
            "insufficient scope: requires a"
        );
    }

    #[test]
    fn multi_scope_alternatives_keep_the_first_in_the_challenge() {
        let any_of = groups(&[&["a", "b"], &["c"]]);
        assert_eq!(challenge_scope(&any_of), "a b");
        assert_eq!(
            insufficient_scope_description(&any_of),
            "insufficient scope: requires one of: (a and b), c"
        );
    }

    #[tokio::test]
    async fn the_response_carries_both() {
        let rejection = AuthRejection::InsufficientScope {
            realm: Arc::from("r"),
            any_of: groups(&[&["x"], &["y"]]),
        };
        let response = rejection.into_response();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            response.headers()[header::WWW_AUTHENTICATE],
            "Bearer realm=\"r\", error=\"insufficient_scope\", scope=\"x y\""
        );
        let body = axum::body::to_bytes(response.into_body(), 4096)
            .await
            .unwrap();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            json["imsx_description"],
            "insufficient scope: requires one of: x, y"
        );
    }
}
