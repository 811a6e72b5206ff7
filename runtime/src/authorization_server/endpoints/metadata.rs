//! `GET /jwks.json` and the discovery documents (RFC 8414, OpenID Connect Discovery).

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::authorization_server::state::{AuthorizationServerSettings, ServerState};

fn json_cacheable(body: &serde_json::Value, max_age: u32) -> Response {
    let mut r = (StatusCode::OK, axum::Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("public, max-age={max_age}")) {
        r.headers_mut().insert(header::CACHE_CONTROL, v);
    }
    r
}

pub(crate) async fn jwks(State(state): State<Arc<ServerState>>) -> Response {
    // Short max-age so resource servers see rotations promptly.
    json_cacheable(&state.signing_keys.current().jwks(), 300)
}

/// The RFC 8414 metadata document, from the settings alone.
fn document(c: &AuthorizationServerSettings) -> serde_json::Value {
    let mut auth_methods = vec!["client_secret_basic", "private_key_jwt"];
    if c.allow_client_secret_post {
        auth_methods.push("client_secret_post");
    }
    let mut doc = serde_json::json!({
        "issuer": c.issuer,
        "authorization_endpoint": c.endpoint("/authorize"),
        "token_endpoint": c.endpoint("/token"),
        "jwks_uri": c.endpoint("/jwks.json"),
        "revocation_endpoint": c.endpoint("/revoke"),
        "introspection_endpoint": c.endpoint("/introspect"),
        "scopes_supported": c.scopes,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "client_credentials", "refresh_token"],
        "token_endpoint_auth_methods_supported": auth_methods,
        "token_endpoint_auth_signing_alg_values_supported": ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA"],
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "introspection_endpoint_auth_methods_supported": auth_methods,
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": true,
        "access_token_signing_alg_values_supported": [c.signing_alg.as_str()],
    });
    if c.registration.enabled
        && let Some(obj) = doc.as_object_mut()
    {
        obj.insert(
            "registration_endpoint".into(),
            c.endpoint("/register").into(),
        );
    }
    doc
}

pub(crate) async fn oauth_metadata(State(state): State<Arc<ServerState>>) -> Response {
    json_cacheable(&document(&state.settings), 3600)
}

pub(crate) async fn openid_configuration(State(state): State<Arc<ServerState>>) -> Response {
    let mut doc = document(&state.settings);
    if let Some(obj) = doc.as_object_mut() {
        // Members OpenID Connect Discovery requires; this server issues no ID tokens for
        // browser sign-in, but the access-token subject type is public.
        obj.insert(
            "subject_types_supported".into(),
            serde_json::json!(["public"]),
        );
        obj.insert(
            "id_token_signing_alg_values_supported".into(),
            serde_json::json!([state.settings.signing_alg.as_str()]),
        );
    }
    json_cacheable(&doc, 3600)
}
