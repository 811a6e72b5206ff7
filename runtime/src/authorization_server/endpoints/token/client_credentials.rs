//! The client credentials grant (RFC 6749 §4.4): the client acts on its own behalf.

use axum::response::Response;

use super::{TokenEndpoint, success};
use crate::authorization_server::error::OAuthError;
use crate::authorization_server::form::Form;
use crate::authorization_server::model::RegisteredClient;
use crate::authorization_server::scope;

pub(super) async fn grant(
    endpoint: &TokenEndpoint<'_>,
    client: &RegisteredClient,
    form: &Form,
) -> Result<Response, OAuthError> {
    let scope = granted_scope(form, &client.scopes, endpoint.known_scopes)?;
    let (token, claims) = endpoint
        .access_tokens
        .issue(&client.client_id, &client.client_id, &scope, None)
        .await?;
    // No refresh token for client_credentials (RFC 6749 §4.4.3).
    Ok(success(&token, claims.exp - claims.iat, &scope, None))
}

/// The granted scope: the requested subset of `allowed`, or all of `allowed` when none is asked
/// (RFC 6749 §3.3).
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
