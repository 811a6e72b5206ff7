//! `POST /revoke` (RFC 7009).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::authorization_server::access_tokens::AccessTokenIssuer;
use crate::authorization_server::client_auth::ClientAuthenticator;
use crate::authorization_server::error::{OAuthError, no_store};
use crate::authorization_server::form::Form;
use crate::authorization_server::revocation::Revocations;
use crate::authorization_server::secrets;
use crate::authorization_server::state::ServerState;
use crate::authorization_server::store::views::RefreshTokens;

/// Refresh tokens longer than this are not ours (and are not hashed and looked up).
const MAX_REFRESH_TOKEN_LEN: usize = 512;

/// What the revocation endpoint works with.
struct RevocationEndpoint<'a> {
    client_auth: ClientAuthenticator<'a>,
    /// Recognises this server's access tokens.
    access_tokens: AccessTokenIssuer<'a>,
    refresh_tokens: RefreshTokens<'a>,
    revocations: &'a Revocations,
}

impl<'a> RevocationEndpoint<'a> {
    fn from_state(state: &'a ServerState) -> Self {
        Self {
            client_auth: ClientAuthenticator::from_state(state),
            access_tokens: AccessTokenIssuer::from_state(state),
            refresh_tokens: RefreshTokens(state.store.as_ref()),
            revocations: &state.revocations,
        }
    }
}

pub(crate) async fn revoke(
    State(state): State<Arc<ServerState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match handle(&RevocationEndpoint::from_state(&state), &headers, &body).await {
        Ok(()) => {
            let mut r = StatusCode::OK.into_response();
            no_store(r.headers_mut());
            r
        }
        Err(e) => e.into_response(),
    }
}

async fn handle(
    endpoint: &RevocationEndpoint<'_>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), OAuthError> {
    let form = Form::parse(headers, body)?;
    let client = endpoint.client_auth.authenticate(headers, &form).await?;
    let token = form.require("token", "token is missing")?;
    // token_type_hint is only an optimisation; unknown hints are ignored (RFC 7009 §2.1).
    let now = secrets::now();
    if let Some(claims) = endpoint.access_tokens.verify(token) {
        // Tokens of other clients are left alone; the answer is the same 200 (no oracle).
        if claims.client_id == client.client_id {
            endpoint
                .revocations
                .revoke_access_token(&claims.jti, claims.exp)
                .await?;
        }
        return Ok(());
    }
    if token.len() <= MAX_REFRESH_TOKEN_LEN
        && let Some(rt) = endpoint
            .refresh_tokens
            .get(&secrets::hash_secret(token))
            .await?
        && rt.client_id == client.client_id
    {
        // Revoking a refresh token revokes its grant: sibling tokens and derived access
        // tokens (RFC 7009 §2.1).
        endpoint.revocations.revoke_grant(&rt.grant_id, now).await?;
    }
    // Unknown, invalid or foreign tokens: 200 as well (RFC 7009 §2.2).
    Ok(())
}
