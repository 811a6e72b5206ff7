//! `POST /introspect` (RFC 7662).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::authorization_server::access_tokens::AccessTokenIssuer;
use crate::authorization_server::client_auth::ClientAuthenticator;
use crate::authorization_server::error::{OAuthError, json_no_store};
use crate::authorization_server::form::Form;
use crate::authorization_server::revocation::Revocations;
use crate::authorization_server::secrets;
use crate::authorization_server::state::{ClientDirectory, ServerState};
use crate::authorization_server::store::views::RefreshTokens;

/// Refresh tokens longer than this are not ours (and are not hashed and looked up).
const MAX_REFRESH_TOKEN_LEN: usize = 512;

/// What the introspection endpoint works with.
struct IntrospectionEndpoint<'a> {
    client_auth: ClientAuthenticator<'a>,
    access_tokens: AccessTokenIssuer<'a>,
    revocations: &'a Revocations,
    /// A token of a disabled or deleted client is inactive.
    clients: &'a ClientDirectory,
    refresh_tokens: RefreshTokens<'a>,
    issuer: &'a str,
}

impl<'a> IntrospectionEndpoint<'a> {
    fn from_state(state: &'a ServerState) -> Self {
        Self {
            client_auth: ClientAuthenticator::from_state(state),
            access_tokens: AccessTokenIssuer::from_state(state),
            revocations: &state.revocations,
            clients: &state.clients,
            refresh_tokens: RefreshTokens(state.store.as_ref()),
            issuer: &state.settings.issuer,
        }
    }
}

pub(crate) async fn introspect(
    State(state): State<Arc<ServerState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match handle(&IntrospectionEndpoint::from_state(&state), &headers, &body).await {
        Ok(v) => json_no_store(StatusCode::OK, &v),
        Err(e) => e.into_response(),
    }
}

fn inactive() -> serde_json::Value {
    // Nothing else: no hint why (RFC 7662 §2.2).
    serde_json::json!({ "active": false })
}

async fn handle(
    endpoint: &IntrospectionEndpoint<'_>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<serde_json::Value, OAuthError> {
    let form = Form::parse(headers, body)?;
    let caller = endpoint.client_auth.authenticate(headers, &form).await?;
    let token = form.require("token", "token is missing")?;
    let may_see = |client_id: &str| caller.introspect_any || caller.client_id == client_id;
    if let Some(c) = endpoint.access_tokens.verify(token) {
        let live = !endpoint.revocations.is_revoked(&c.jti).await?
            && endpoint
                .clients
                .get(&c.client_id)
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
    if token.len() <= MAX_REFRESH_TOKEN_LEN
        && let Some(rt) = endpoint
            .refresh_tokens
            .get(&secrets::hash_secret(token))
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
            "iss": endpoint.issuer,
            "exp": rt.expires_at,
            "token_type": "refresh_token",
        }));
    }
    Ok(inactive())
}
