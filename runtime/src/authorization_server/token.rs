//! `POST /token` (RFC 6749 §4.1.3, §4.4, §6; RFC 7636; RFC 7523 client authentication).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::error::{OAuthError, OAuthErrorCode, json_no_store};
use super::form::Form;
use super::model::{Client, CodeConsumption, GrantType, RefreshRecord, Rotation};
use super::{Inner, client_auth, scope, secrets};

pub(crate) async fn token(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match handle(&inner, &headers, &body).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn handle(inner: &Inner, headers: &HeaderMap, body: &[u8]) -> Result<Response, OAuthError> {
    let form = Form::parse(headers, body)?;
    let grant_type = form.require("grant_type", "grant_type is missing")?;
    let grant = GrantType::parse(grant_type).ok_or(OAuthError::bad_request(
        OAuthErrorCode::UnsupportedGrantType,
        "the grant type is not supported",
    ))?;
    let client = client_auth::authenticate(inner, headers, &form).await?;
    if !client.allows_grant(grant) {
        return Err(OAuthError::bad_request(
            OAuthErrorCode::UnauthorizedClient,
            "the client is not allowed to use this grant type",
        ));
    }
    match grant {
        GrantType::ClientCredentials => client_credentials(inner, &client, &form).await,
        GrantType::AuthorizationCode => authorization_code(inner, &client, &form).await,
        GrantType::RefreshToken => refresh(inner, &client, &form).await,
    }
}

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

/// The granted scope: the requested subset of `allowed`, or all of `allowed` when none is asked.
fn granted_scope(form: &Form, allowed: &[String], known: &[String]) -> Result<String, OAuthError> {
    match form.get("scope") {
        None => Ok(scope::join(allowed)),
        Some(raw) => {
            let requested = scope::parse(raw)?;
            scope::require_subset(&requested, known)?;
            scope::require_subset(&requested, allowed)?;
            Ok(scope::join(&requested))
        }
    }
}

async fn client_credentials(
    inner: &Inner,
    client: &Client,
    form: &Form,
) -> Result<Response, OAuthError> {
    let scope = granted_scope(form, &client.scopes, &inner.config.scopes)?;
    let (token, claims) = inner
        .issue_access_token(&client.client_id, &client.client_id, &scope, None)
        .await?;
    // No refresh token for client_credentials (RFC 6749 §4.4.3).
    Ok(success(&token, claims.exp - claims.iat, &scope, None))
}

async fn authorization_code(
    inner: &Inner,
    client: &Client,
    form: &Form,
) -> Result<Response, OAuthError> {
    let code = form.require("code", "code is missing")?;
    let now = secrets::now();
    let record = match inner
        .store
        .consume_code(&secrets::hash_secret(code))
        .await?
    {
        CodeConsumption::Consumed(r) => r,
        CodeConsumption::AlreadyUsed(r) => {
            // Replay: deny and revoke what the first redemption issued (RFC 6749 §4.1.2).
            inner.revoke_grant(&r.grant_id, now).await?;
            tracing::warn!(client_id = %r.client_id, "authorization code reuse; grant revoked");
            return Err(OAuthError::invalid_grant(
                "the authorization code is invalid",
            ));
        }
        CodeConsumption::NotFound => {
            return Err(OAuthError::invalid_grant(
                "the authorization code is invalid",
            ));
        }
    };
    let invalid = || OAuthError::invalid_grant("the authorization code is invalid");
    if record.client_id != client.client_id || record.expires_at <= now {
        return Err(invalid());
    }
    match form.get("redirect_uri") {
        Some(uri) if uri == record.redirect_uri => {}
        None if !record.redirect_uri_sent => {}
        _ => {
            return Err(OAuthError::invalid_grant(
                "redirect_uri does not match the authorization request",
            ));
        }
    }
    let verifier = form.get("code_verifier").ok_or(OAuthError::invalid_grant(
        "code_verifier is missing or does not match the code challenge",
    ))?;
    if !secrets::is_pkce_value(verifier)
        || !secrets::ct_eq(&secrets::s256_challenge(verifier), &record.code_challenge)
    {
        return Err(OAuthError::invalid_grant(
            "code_verifier is missing or does not match the code challenge",
        ));
    }
    let granted = scope::split(&record.scope);
    let scope = match form.get("scope") {
        None => record.scope.clone(),
        Some(raw) => {
            let requested = scope::parse(raw)?;
            scope::require_subset(&requested, &granted)?;
            scope::join(&requested)
        }
    };
    let (token, claims) = inner
        .issue_access_token(
            &client.client_id,
            &record.subject,
            &scope,
            Some(&record.grant_id),
        )
        .await?;
    let refresh = if client.allows_grant(GrantType::RefreshToken) {
        let rt = secrets::random_token();
        inner
            .store
            .insert_refresh(RefreshRecord {
                token_hash: secrets::hash_secret(&rt),
                grant_id: record.grant_id.clone(),
                client_id: client.client_id.clone(),
                subject: record.subject.clone(),
                scope: record.scope.clone(),
                expires_at: now + inner.config.refresh_token_lifetime,
                used: false,
                revoked: false,
            })
            .await?;
        Some(rt)
    } else {
        None
    };
    Ok(success(
        &token,
        claims.exp - claims.iat,
        &scope,
        refresh.as_deref(),
    ))
}

async fn refresh(inner: &Inner, client: &Client, form: &Form) -> Result<Response, OAuthError> {
    let presented = form.require("refresh_token", "refresh_token is missing")?;
    let hash = secrets::hash_secret(presented);
    let now = secrets::now();
    let invalid = || OAuthError::invalid_grant("the refresh token is invalid");
    let record = inner.store.get_refresh(&hash).await?.ok_or_else(invalid)?;
    if record.client_id != client.client_id {
        return Err(invalid());
    }
    if record.used {
        // Replay after rotation: revoke the whole family (RFC 9700 §4.14.2).
        inner.revoke_grant(&record.grant_id, now).await?;
        tracing::warn!(client_id = %record.client_id, "refresh token replay; family revoked");
        return Err(invalid());
    }
    if record.revoked || record.expires_at <= now {
        return Err(invalid());
    }
    let original = scope::split(&record.scope);
    let scope = match form.get("scope") {
        None => record.scope.clone(),
        Some(raw) => {
            let requested = scope::parse(raw)?;
            scope::require_subset(&requested, &original)?;
            scope::join(&requested)
        }
    };
    let new_rt = secrets::random_token();
    let new_record = RefreshRecord {
        token_hash: secrets::hash_secret(&new_rt),
        grant_id: record.grant_id.clone(),
        client_id: record.client_id.clone(),
        subject: record.subject.clone(),
        // The family keeps the original scope; only the access token is narrowed.
        scope: record.scope.clone(),
        expires_at: record.expires_at,
        used: false,
        revoked: false,
    };
    match inner.store.rotate_refresh(&hash, new_record).await? {
        Rotation::Rotated => {}
        Rotation::Replayed => {
            inner.revoke_grant(&record.grant_id, now).await?;
            return Err(invalid());
        }
        Rotation::NotFound => return Err(invalid()),
    }
    let (token, claims) = inner
        .issue_access_token(
            &client.client_id,
            &record.subject,
            &scope,
            Some(&record.grant_id),
        )
        .await?;
    Ok(success(
        &token,
        claims.exp - claims.iat,
        &scope,
        Some(&new_rt),
    ))
}
