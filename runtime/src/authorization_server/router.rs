//! The routes of [`AuthorizationServer::router`]: which endpoint answers which path, with its
//! body-size limit and, for `/token` and `/register`, its per-address rate limit.

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{MethodRouter, get, post};

use super::AuthorizationServer;
use super::endpoints::{account, authorize, health, introspect, metadata, register, revoke, token};
use super::rate_limit;
use super::state::ServerState;
use crate::resource_server::failure_limit::IpWindowLimiter;

/// Form bodies above this size get 413 before parsing (AS-36).
const FORM_BODY_LIMIT: usize = 16 * 1024;
/// Registration documents above this size get 413 (DR-10).
const REGISTRATION_BODY_LIMIT: usize = 64 * 1024;

impl AuthorizationServer {
    /// The axum router with every endpoint (paths relative to the issuer URL), and `GET /health`
    /// (200 `{"status":"ok"}` when the store answers, else 503; no authentication, `no-store`),
    /// and `/account/consents`, where a resource owner sees and withdraws remembered consents.
    pub fn router(&self) -> Router {
        self.routes(true)
    }

    /// [`Self::router`] without `GET /.well-known/openid-configuration`, for when an OpenID
    /// provider sharing this issuer serves that document itself (the LTI platform,
    /// `lti::platform::LtiPlatform`, whose authorization endpoint and response types differ
    /// from this server's); two handlers on one path would make axum's merge panic.
    pub fn router_without_openid_configuration(&self) -> Router {
        self.routes(false)
    }

    fn routes(&self, openid_configuration: bool) -> Router {
        let form_limit = DefaultBodyLimit::max(FORM_BODY_LIMIT);
        let registration_body_limit = DefaultBodyLimit::max(REGISTRATION_BODY_LIMIT);
        let token_limit = self.state.token_limiter.as_ref();
        let registration_limit = self.state.registration_limiter.as_ref();
        let router = Router::new()
            .route(
                "/token",
                rate_limited(post(token::token).layer(form_limit), token_limit),
            )
            .route(
                "/authorize",
                get(authorize::authorize_get)
                    .post(authorize::authorize_post)
                    .layer(form_limit),
            )
            .route(
                "/account/consents",
                get(account::consents_page)
                    .post(account::consents_action)
                    .layer(form_limit),
            )
            .route("/revoke", post(revoke::revoke).layer(form_limit))
            .route(
                "/introspect",
                post(introspect::introspect).layer(form_limit),
            )
            .route(
                "/register",
                rate_limited(
                    post(register::register).layer(registration_body_limit),
                    registration_limit,
                ),
            )
            .route(
                "/register/{client_id}",
                rate_limited(
                    get(register::management::read)
                        .put(register::management::update)
                        .delete(register::management::delete)
                        .layer(registration_body_limit),
                    registration_limit,
                ),
            )
            .route("/jwks.json", get(metadata::jwks))
            .route("/health", get(health::health))
            .route(
                "/.well-known/oauth-authorization-server",
                get(metadata::oauth_metadata),
            );
        let router = if openid_configuration {
            router.route(
                "/.well-known/openid-configuration",
                get(metadata::openid_configuration),
            )
        } else {
            router
        };
        router.with_state(Arc::clone(&self.state))
    }
}

/// Wraps `route` in the per-address limit, when one is configured. The limit runs outermost, so
/// a refused request costs no body read, client authentication or storage access.
fn rate_limited(
    route: MethodRouter<Arc<ServerState>>,
    limiter: Option<&Arc<IpWindowLimiter>>,
) -> MethodRouter<Arc<ServerState>> {
    match limiter {
        Some(l) => route.layer(axum::middleware::from_fn_with_state(
            Arc::clone(l),
            rate_limit::limit,
        )),
        None => route,
    }
}
