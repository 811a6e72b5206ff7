//! The refresh token grant (RFC 6749 §6) with rotation: each refresh token works once; a
//! replayed one revokes its whole family (RFC 9700 §4.14.2).
//!
//! The grace rule for concurrent refreshes (ORY Hydra's "graceful refresh" problem): when
//! several requests present the same live token at once, exactly one gets a new token; the
//! others, arriving within [`REFRESH_ROTATION_GRACE`] of that rotation, get `invalid_grant` and
//! the family stays (a client retrying a request, or two tabs, must not lose the user's grant).
//! A presentation later than that is a replay and revokes the family, as before.
//!
//! [`REFRESH_ROTATION_GRACE`]: crate::authorization_server::REFRESH_ROTATION_GRACE

use axum::response::Response;

use super::{TokenEndpoint, narrowed_scope, success};
use crate::authorization_server::error::OAuthError;
use crate::authorization_server::form::Form;
use crate::authorization_server::model::{RefreshRecord, RefreshRotation, RegisteredClient};
use crate::authorization_server::secrets;

const INVALID_REFRESH_TOKEN: &str = "the refresh token is invalid";

pub(super) async fn grant(
    endpoint: &TokenEndpoint<'_>,
    client: &RegisteredClient,
    form: &Form,
) -> Result<Response, OAuthError> {
    let presented = form.require("refresh_token", "refresh_token is missing")?;
    let hash = secrets::hash_secret(presented);
    let now = secrets::now();
    let invalid = || OAuthError::invalid_grant(INVALID_REFRESH_TOKEN);
    let record = endpoint
        .refresh_tokens
        .get(&hash)
        .await?
        .ok_or_else(invalid)?;
    if record.client_id != client.client_id {
        return Err(invalid());
    }
    // A used token goes to the store anyway: only the store can tell a concurrent duplicate of
    // a rotation moments ago (grace) from a replay (revoke the family).
    if !record.used && (record.revoked || record.expires_at <= now) {
        return Err(invalid());
    }
    let scope = if record.used {
        String::new()
    } else {
        narrowed_scope(form, &record.scope)?
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
    match endpoint.refresh_tokens.rotate(&hash, new_record).await? {
        RefreshRotation::Rotated => {}
        RefreshRotation::Replayed => {
            endpoint
                .revocations
                .revoke_grant(&record.grant_id, now)
                .await?;
            tracing::warn!(client_id = %record.client_id, "refresh token replay; family revoked");
            return Err(invalid());
        }
        RefreshRotation::ConcurrentlyRotated => {
            tracing::info!(
                client_id = %record.client_id,
                "refresh token presented again while being rotated; family kept"
            );
            return Err(invalid());
        }
        RefreshRotation::NotFound => return Err(invalid()),
    }
    let (token, claims) = endpoint
        .access_tokens
        .issue(
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
