//! The authorization code grant at the token endpoint (RFC 6749 §4.1.3) with PKCE S256
//! (RFC 7636 §4.6): one redemption per code; a replay revokes what the first one issued.

use axum::response::Response;

use super::{TokenEndpoint, narrowed_scope, success};
use crate::authorization_server::error::OAuthError;
use crate::authorization_server::form::Form;
use crate::authorization_server::model::{
    CodeConsumption, GrantType, RefreshRecord, RegisteredClient,
};
use crate::authorization_server::secrets;

const INVALID_CODE: &str = "the authorization code is invalid";
const BAD_VERIFIER: &str = "code_verifier is missing or does not match the code challenge";

pub(super) async fn grant(
    endpoint: &TokenEndpoint<'_>,
    client: &RegisteredClient,
    form: &Form,
) -> Result<Response, OAuthError> {
    let code = form.require("code", "code is missing")?;
    let now = secrets::now();
    let record = match endpoint.codes.consume(&secrets::hash_secret(code)).await? {
        CodeConsumption::Consumed(r) => r,
        CodeConsumption::AlreadyUsed(r) => {
            // Replay: deny and revoke what the first redemption issued (RFC 6749 §4.1.2).
            endpoint.revocations.revoke_grant(&r.grant_id, now).await?;
            tracing::warn!(client_id = %r.client_id, "authorization code reuse; grant revoked");
            return Err(OAuthError::invalid_grant(INVALID_CODE));
        }
        CodeConsumption::NotFound => return Err(OAuthError::invalid_grant(INVALID_CODE)),
    };
    if record.client_id != client.client_id || record.expires_at <= now {
        return Err(OAuthError::invalid_grant(INVALID_CODE));
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
    let verifier = form
        .get("code_verifier")
        .ok_or(OAuthError::invalid_grant(BAD_VERIFIER))?;
    if !secrets::is_pkce_value(verifier)
        || !secrets::ct_eq(&secrets::s256_challenge(verifier), &record.code_challenge)
    {
        return Err(OAuthError::invalid_grant(BAD_VERIFIER));
    }
    let scope = narrowed_scope(form, &record.scope)?;
    let (token, claims) = endpoint
        .access_tokens
        .issue(
            &client.client_id,
            &record.subject,
            &scope,
            Some(&record.grant_id),
        )
        .await?;
    let refresh = if client.allows_grant(GrantType::RefreshToken) {
        let rt = secrets::random_token();
        endpoint
            .refresh_tokens
            .insert(RefreshRecord {
                token_hash: secrets::hash_secret(&rt),
                grant_id: record.grant_id.clone(),
                client_id: client.client_id.clone(),
                subject: record.subject.clone(),
                scope: record.scope.clone(),
                expires_at: now + endpoint.refresh_token_lifetime,
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
