//! Dynamic client registration: `POST /register` (RFC 7591 as profiled by IMS OB 3.0 / CLR 2.0)
//! and `GET/PUT/DELETE /register/{client_id}` (RFC 7592).
//!
//! `POST /register` is here; the metadata rules are in `client_metadata`, the RFC 7592
//! management endpoints in `management`.

mod client_metadata;
pub(crate) mod management;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use crate::authorization_server::error::{OAuthError, OAuthErrorCode, json_no_store};
#[cfg(feature = "client")]
use crate::authorization_server::jwks_fetch::JwksUriPolicy;
use crate::authorization_server::model::{RegisteredClient, TokenEndpointAuthMethod};
use crate::authorization_server::revocation::Revocations;
use crate::authorization_server::secrets;
use crate::authorization_server::state::{ClientDirectory, RegistrationPolicy, ServerState};

/// What the registration endpoints work with.
struct RegistrationEndpoint<'a> {
    policy: &'a RegistrationPolicy,
    clients: &'a ClientDirectory,
    /// Deleting a client revokes its grants.
    revocations: &'a Revocations,
    /// Base of `registration_client_uri`.
    issuer: &'a str,
    #[cfg(feature = "client")]
    jwks_uri_policy: &'a JwksUriPolicy,
}

impl<'a> RegistrationEndpoint<'a> {
    fn from_state(state: &'a ServerState) -> Self {
        Self {
            policy: &state.settings.registration,
            clients: &state.clients,
            revocations: &state.revocations,
            issuer: &state.settings.issuer,
            #[cfg(feature = "client")]
            jwks_uri_policy: state.jwks_fetcher.policy(),
        }
    }
}

fn require_json(headers: &HeaderMap, body: &[u8]) -> Result<Map<String, Value>, OAuthError> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let media = ct.split(';').next().unwrap_or("").trim();
    if !media.eq_ignore_ascii_case("application/json") {
        return Err(OAuthError::invalid_metadata(
            "the registration request must be application/json",
        )
        .with_status(StatusCode::UNSUPPORTED_MEDIA_TYPE));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(OAuthError::invalid_metadata(
            "the registration request must be a JSON object",
        )),
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() && !token.contains(' '))
        .then_some(token)
}

fn client_response(
    endpoint: &RegistrationEndpoint<'_>,
    client: &RegisteredClient,
    secret: Option<&str>,
    rat: Option<&str>,
) -> Value {
    let mut out = client.metadata.clone();
    out.insert("client_id".into(), client.client_id.clone().into());
    out.insert(
        "client_id_issued_at".into(),
        client.client_id_issued_at.into(),
    );
    if let Some(s) = secret {
        out.insert("client_secret".into(), s.into());
    }
    if client.secret_hash.is_some() {
        out.insert(
            "client_secret_expires_at".into(),
            client.client_secret_expires_at.into(),
        );
    }
    if let Some(t) = rat {
        out.insert("registration_access_token".into(), t.into());
    }
    out.insert(
        "registration_client_uri".into(),
        format!("{}/register/{}", endpoint.issuer, client.client_id).into(),
    );
    Value::Object(out)
}

pub(crate) async fn register(
    State(state): State<Arc<ServerState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let endpoint = RegistrationEndpoint::from_state(&state);
    if !endpoint.policy.enabled {
        return StatusCode::NOT_FOUND.into_response();
    }
    if let Some(hash) = &endpoint.policy.initial_access_token_hash
        && !bearer(&headers).is_some_and(|t| secrets::verify_secret(t, hash))
    {
        return OAuthError::invalid_token().into_response();
    }
    let req = match require_json(&headers, &body) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    match create(&endpoint, &req).await {
        Ok(v) => json_no_store(StatusCode::CREATED, &v),
        Err(e) => e.into_response(),
    }
}

async fn create(
    endpoint: &RegistrationEndpoint<'_>,
    req: &Map<String, Value>,
) -> Result<Value, OAuthError> {
    // client_id, client_secret, registration_access_token etc. in the request are ignored:
    // `validate` copies only the metadata it knows (DR-09).
    let v = client_metadata::validate(endpoint, req)?;
    if endpoint.clients.count().await? >= endpoint.policy.max_clients {
        return Err(OAuthError::bad_request(
            OAuthErrorCode::TemporarilyUnavailable,
            "the server cannot register more clients",
        )
        .with_status(StatusCode::SERVICE_UNAVAILABLE));
    }
    let secret =
        (v.auth_method == TokenEndpointAuthMethod::ClientSecretBasic).then(secrets::random_token);
    let rat = secrets::random_token();
    let client = RegisteredClient {
        client_id: secrets::random_id(),
        secret_hash: secret.as_deref().map(secrets::hash_secret),
        client_id_issued_at: secrets::now(),
        client_secret_expires_at: 0,
        auth_method: v.auth_method,
        assertion_alg: v.assertion_alg,
        jwks: v.jwks,
        jwks_uri: v.jwks_uri,
        grant_types: v.grant_types,
        redirect_uris: v.redirect_uris,
        scopes: v.scopes,
        introspect_any: false,
        metadata: v.metadata,
        registration_token_hash: Some(secrets::hash_secret(&rat)),
        disabled: false,
    };
    endpoint.clients.put(client.clone()).await?;
    Ok(client_response(
        endpoint,
        &client,
        secret.as_deref(),
        Some(&rat),
    ))
}
