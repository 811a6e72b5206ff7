//! Client configuration endpoints (RFC 7592): `GET/PUT/DELETE /register/{client_id}`, each
//! authenticated by the client's registration access token.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use super::client_metadata::validate;
use super::{RegistrationEndpoint, bearer, client_response, require_json};
use crate::authorization_server::error::{OAuthError, json_no_store};
use crate::authorization_server::model::RegisteredClient;
use crate::authorization_server::secrets;
use crate::authorization_server::state::ServerState;

/// The `{client_id}` of the path; `None` when it does not percent-decode to UTF-8, which no
/// client id does: such a request is answered like one for an unknown client (RFC 7592 §2: 401),
/// not with axum's plain-text 400 rejection (fuzz target `oauth_register`, crash 6dca4540).
fn path_client_id(path: Result<Path<String>, PathRejection>) -> Option<String> {
    path.ok().map(|Path(client_id)| client_id)
}

/// Authenticates an RFC 7592 request: the bearer token must be this client's registration access
/// token. A token of another client (or of any client, for an undecodable `client_id`) is
/// revoked on the spot (it leaked or is being probed).
async fn management_auth(
    endpoint: &RegistrationEndpoint<'_>,
    headers: &HeaderMap,
    client_id: Option<&str>,
) -> Result<RegisteredClient, OAuthError> {
    let token = bearer(headers).ok_or_else(OAuthError::invalid_token)?;
    let hash = secrets::hash_secret(token);
    let owner = endpoint
        .clients
        .by_registration_token(&hash)
        .await?
        .ok_or_else(OAuthError::invalid_token)?;
    if Some(owner.client_id.as_str()) != client_id {
        let mut revoked = owner.clone();
        revoked.registration_token_hash = None;
        endpoint.clients.put(revoked).await?;
        return Err(OAuthError::invalid_token());
    }
    Ok(owner)
}

pub(crate) async fn read(
    State(state): State<Arc<ServerState>>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    let endpoint = RegistrationEndpoint::from_state(&state);
    let client_id = path_client_id(path);
    match management_auth(&endpoint, &headers, client_id.as_deref()).await {
        Ok(c) => json_no_store(StatusCode::OK, &client_response(&endpoint, &c, None, None)),
        Err(e) => e.into_response(),
    }
}

pub(crate) async fn update(
    State(state): State<Arc<ServerState>>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let endpoint = RegistrationEndpoint::from_state(&state);
    let client_id = path_client_id(path);
    let existing = match management_auth(&endpoint, &headers, client_id.as_deref()).await {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    let req = match require_json(&headers, &body) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    match apply_update(&endpoint, existing, &req).await {
        Ok(v) => json_no_store(StatusCode::OK, &v),
        Err(e) => e.into_response(),
    }
}

async fn apply_update(
    endpoint: &RegistrationEndpoint<'_>,
    existing: RegisteredClient,
    req: &Map<String, Value>,
) -> Result<Value, OAuthError> {
    // RFC 7592 §2.2: client_id must be sent and equal; a client_secret, if sent, must match.
    if req.get("client_id").and_then(Value::as_str) != Some(existing.client_id.as_str()) {
        return Err(OAuthError::invalid_metadata(
            "client_id must be present and match the client being updated",
        ));
    }
    if let Some(s) = req.get("client_secret") {
        let ok = match (s.as_str(), existing.secret_hash.as_deref()) {
            (Some(s), Some(h)) => secrets::verify_secret(s, h),
            _ => false,
        };
        if !ok {
            return Err(OAuthError::invalid_metadata(
                "client_secret does not match the current secret",
            ));
        }
    }
    let v = validate(endpoint, req)?;
    if v.auth_method != existing.auth_method {
        return Err(OAuthError::invalid_metadata(
            "token_endpoint_auth_method cannot be changed",
        ));
    }
    let client = RegisteredClient {
        metadata: v.metadata,
        grant_types: v.grant_types,
        redirect_uris: v.redirect_uris,
        scopes: v.scopes,
        jwks: v.jwks,
        jwks_uri: v.jwks_uri,
        assertion_alg: v.assertion_alg,
        ..existing
    };
    endpoint.clients.put(client.clone()).await?;
    Ok(client_response(endpoint, &client, None, None))
}

pub(crate) async fn delete(
    State(state): State<Arc<ServerState>>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    let endpoint = RegistrationEndpoint::from_state(&state);
    let client_id = path_client_id(path);
    let client_id = match management_auth(&endpoint, &headers, client_id.as_deref()).await {
        Ok(client) => client.client_id,
        Err(e) => return e.into_response(),
    };
    match endpoint
        .revocations
        .delete_client(&client_id, secrets::now())
        .await
    {
        Ok(_) => {
            endpoint.clients.forget(&client_id);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => OAuthError::from(e).into_response(),
    }
}
