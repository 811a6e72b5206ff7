//! `POST /introspect` (RFC 7662).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::error::{OAuthError, json_no_store};
use super::form::Form;
use super::{Inner, client_auth, secrets};

pub(crate) async fn introspect(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match handle(&inner, &headers, &body).await {
        Ok(v) => json_no_store(StatusCode::OK, &v),
        Err(e) => e.into_response(),
    }
}

fn inactive() -> serde_json::Value {
    // Nothing else: no hint why (RFC 7662 §2.2).
    serde_json::json!({ "active": false })
}

async fn handle(
    inner: &Inner,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<serde_json::Value, OAuthError> {
    let form = Form::parse(headers, body)?;
    let caller = client_auth::authenticate(inner, headers, &form).await?;
    let token = form.require("token", "token is missing")?;
    let may_see = |client_id: &str| caller.introspect_any || caller.client_id == client_id;
    if let Some(c) = inner.verify_own_access_token(token) {
        let live = !inner.store.is_access_token_revoked(&c.jti).await?
            && inner
                .client(&c.client_id)
                .await?
                .is_some_and(|cl| !cl.disabled);
        if !live || !may_see(&c.client_id) {
            return Ok(inactive());
        }
        return Ok(serde_json::json!({
            "active": true,
            "scope": c.scope,
            "client_id": c.client_id,
            "sub": c.sub,
            "aud": c.aud,
            "iss": c.iss,
            "exp": c.exp,
            "iat": c.iat,
            "jti": c.jti,
            "token_type": "Bearer",
        }));
    }
    if token.len() <= 512
        && let Some(rt) = inner
            .store
            .get_refresh(&secrets::hash_secret(token))
            .await?
        && !rt.used
        && !rt.revoked
        && rt.expires_at > secrets::now()
        && may_see(&rt.client_id)
    {
        return Ok(serde_json::json!({
            "active": true,
            "scope": rt.scope,
            "client_id": rt.client_id,
            "sub": rt.subject,
            "iss": inner.config.issuer,
            "exp": rt.expires_at,
            "token_type": "refresh_token",
        }));
    }
    Ok(inactive())
}
