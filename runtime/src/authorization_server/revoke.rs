//! `POST /revoke` (RFC 7009).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::error::{OAuthError, no_store};
use super::form::Form;
use super::{Inner, client_auth, secrets};

pub(crate) async fn revoke(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match handle(&inner, &headers, &body).await {
        Ok(()) => {
            let mut r = StatusCode::OK.into_response();
            no_store(r.headers_mut());
            r
        }
        Err(e) => e.into_response(),
    }
}

async fn handle(inner: &Inner, headers: &HeaderMap, body: &[u8]) -> Result<(), OAuthError> {
    let form = Form::parse(headers, body)?;
    let client = client_auth::authenticate(inner, headers, &form).await?;
    let token = form.require("token", "token is missing")?;
    // token_type_hint is only an optimisation; unknown hints are ignored (RFC 7009 §2.1).
    let now = secrets::now();
    if let Some(claims) = inner.verify_own_access_token(token) {
        // Tokens of other clients are left alone; the answer is the same 200 (no oracle).
        if claims.client_id == client.client_id {
            inner.revoke_access_token(&claims.jti, claims.exp).await?;
        }
        return Ok(());
    }
    if token.len() <= 512
        && let Some(rt) = inner
            .store
            .get_refresh(&secrets::hash_secret(token))
            .await?
        && rt.client_id == client.client_id
    {
        // Revoking a refresh token revokes its grant: sibling tokens and derived access
        // tokens (RFC 7009 §2.1).
        inner.revoke_grant(&rt.grant_id, now).await?;
    }
    // Unknown, invalid or foreign tokens: 200 as well (RFC 7009 §2.2).
    Ok(())
}
