//! `POST /token` (RFC 6749 §3.2): authenticate the client, then hand the request to the handler
//! of its grant type, one module each (RFC 6749 §4.1.3 with RFC 7636, §4.4, §6).

mod authorization_code;
mod client_credentials;
mod refresh_token;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::authorization_server::access_tokens::AccessTokenIssuer;
use crate::authorization_server::client_auth::ClientAuthenticator;
use crate::authorization_server::error::{OAuthError, OAuthErrorCode, json_no_store};
use crate::authorization_server::form::Form;
use crate::authorization_server::model::GrantType;
use crate::authorization_server::revocation::Revocations;
use crate::authorization_server::scope;
use crate::authorization_server::state::ServerState;
use crate::authorization_server::store::views::{AuthorizationCodes, RefreshTokens};

/// What the token endpoint and its grant handlers work with.
pub(crate) struct TokenEndpoint<'a> {
    client_auth: ClientAuthenticator<'a>,
    access_tokens: AccessTokenIssuer<'a>,
    codes: AuthorizationCodes<'a>,
    refresh_tokens: RefreshTokens<'a>,
    revocations: &'a Revocations,
    /// Every scope the server knows.
    known_scopes: &'a [String],
    /// Seconds.
    refresh_token_lifetime: u64,
}

impl<'a> TokenEndpoint<'a> {
    fn from_state(state: &'a ServerState) -> Self {
        Self {
            client_auth: ClientAuthenticator::from_state(state),
            access_tokens: AccessTokenIssuer::from_state(state),
            codes: AuthorizationCodes(state.store.as_ref()),
            refresh_tokens: RefreshTokens(state.store.as_ref()),
            revocations: &state.revocations,
            known_scopes: &state.settings.scopes,
            refresh_token_lifetime: state.settings.refresh_token_lifetime,
        }
    }
}

pub(crate) async fn token(
    State(state): State<Arc<ServerState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match handle(&TokenEndpoint::from_state(&state), &headers, &body).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn handle(
    endpoint: &TokenEndpoint<'_>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, OAuthError> {
    let form = Form::parse(headers, body)?;
    let grant_type = form.require("grant_type", "grant_type is missing")?;
    let grant = GrantType::parse(grant_type).ok_or(OAuthError::bad_request(
        OAuthErrorCode::UnsupportedGrantType,
        "the grant type is not supported",
    ))?;
    let client = endpoint.client_auth.authenticate(headers, &form).await?;
    if !client.allows_grant(grant) {
        return Err(OAuthError::bad_request(
            OAuthErrorCode::UnauthorizedClient,
            "the client is not allowed to use this grant type",
        ));
    }
    match grant {
        GrantType::ClientCredentials => client_credentials::grant(endpoint, &client, &form).await,
        GrantType::AuthorizationCode => authorization_code::grant(endpoint, &client, &form).await,
        GrantType::RefreshToken => refresh_token::grant(endpoint, &client, &form).await,
    }
}

/// The successful token response (RFC 6749 §5.1).
fn success(
    access_token: &str,
    expires_in: u64,
    scope: &str,
    refresh_token: Option<&str>,
) -> Response {
    let mut body = serde_json::json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": expires_in,
        "scope": scope,
    });
    if let (Some(rt), Some(obj)) = (refresh_token, body.as_object_mut()) {
        obj.insert("refresh_token".into(), rt.into());
    }
    json_no_store(StatusCode::OK, &body)
}

/// The scope of a token derived from an earlier grant: the requested subset of `granted`, or
/// all of it when none is asked (RFC 6749 §6: never wider than the original grant).
fn narrowed_scope(form: &Form, granted: &str) -> Result<String, OAuthError> {
    match form.get("scope") {
        None => Ok(granted.to_owned()),
        Some(raw) => {
            let requested = scope::parse(raw)?;
            scope::require_subset(&requested, &scope::split(granted))?;
            Ok(scope::join(&requested))
        }
    }
}
