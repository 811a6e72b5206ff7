//! The platform's axum routes: the authorization endpoint (GET and POST), the deep-link return
//! (POST), the OpenID configuration and the JWKS (GET).

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};

use super::authorize::form_params;
use super::lti_platform::LtiPlatform;

/// Form bodies above this size get 413 before parsing (a deep-linking response carries items).
const FORM_BODY_LIMIT: usize = 256 * 1024;

fn cacheable(body: serde_json::Value, max_age: &'static str) -> Response {
    let mut r = Json(body).into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(max_age));
    r
}

async fn authorize_get(
    State(p): State<Arc<LtiPlatform>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let params = form_params(query.as_deref().unwrap_or_default().as_bytes());
    p.authorize(params, &headers).await
}

async fn authorize_post(
    State(p): State<Arc<LtiPlatform>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    p.authorize(form_params(&body), &headers).await
}

async fn deep_link_return(State(p): State<Arc<LtiPlatform>>, body: Bytes) -> Response {
    let result = form_params(&body).and_then(|params| {
        params.get("JWT").filter(|j| !j.is_empty()).cloned().ok_or(
            super::PlatformError::MalformedResponse("the form has no JWT"),
        )
    });
    let jwt = match result {
        Ok(jwt) => jwt,
        Err(e) => return e.into_response(),
    };
    match p.accept_deep_linking_response(&jwt).await {
        Ok(returned) => p.app.deep_linking_returned(returned).await,
        Err(e) => e.into_response(),
    }
}

async fn openid_configuration(State(p): State<Arc<LtiPlatform>>) -> Response {
    cacheable(p.openid_configuration(), "public, max-age=3600")
}

async fn jwks(State(p): State<Arc<LtiPlatform>>) -> Response {
    // Short max-age so tools see key rotations promptly.
    cacheable(p.authz.jwks(), "public, max-age=300")
}

impl LtiPlatform {
    /// The platform's routes at its configured paths. With the default paths the OpenID
    /// configuration is `/.well-known/openid-configuration`, which the authorization server's
    /// own router also serves: mount this next to
    /// [`AuthorizationServer::router_without_openid_configuration`](crate::authorization_server::AuthorizationServer::router_without_openid_configuration),
    /// or use [`Self::router_with_authorization_server`].
    pub fn router(self: &Arc<Self>) -> Router {
        let paths = &self.config.paths;
        let form_limit = DefaultBodyLimit::max(FORM_BODY_LIMIT);
        Router::new()
            .route(
                &paths.authorize,
                get(authorize_get).post(authorize_post).layer(form_limit),
            )
            .route(
                &paths.deep_link_return,
                post(deep_link_return).layer(form_limit),
            )
            .route(&paths.openid_configuration, get(openid_configuration))
            .route(&paths.jwks, get(jwks))
            .with_state(Arc::clone(self))
    }

    /// The authorization server's routes (token endpoint and the rest) merged with the
    /// platform's, the platform answering the OpenID configuration.
    pub fn router_with_authorization_server(self: &Arc<Self>) -> Router {
        let authz = if self.config.paths.openid_configuration == "/.well-known/openid-configuration"
        {
            self.authz.router_without_openid_configuration()
        } else {
            self.authz.router()
        };
        authz.merge(self.router())
    }
}
