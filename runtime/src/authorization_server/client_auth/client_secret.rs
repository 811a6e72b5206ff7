//! `client_secret_basic` and `client_secret_post` (RFC 6749 §2.3.1): a shared secret, stored
//! only as its hash and compared in constant time.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::{ClientAuthenticator, unauthorized};
use crate::authorization_server::error::OAuthError;
use crate::authorization_server::form::Form;
use crate::authorization_server::model::{RegisteredClient, TokenEndpointAuthMethod};
use crate::authorization_server::secrets;

/// A hash nobody's secret has: unknown clients still pay one hash comparison.
const DUMMY_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Decodes a form-urlencoded credential component (RFC 6749 §2.3.1 / Appendix B).
fn form_decode(s: &str) -> Option<String> {
    let plus = s.replace('+', " ");
    percent_encoding::percent_decode_str(&plus)
        .decode_utf8()
        .ok()
        .map(|c| c.into_owned())
}

pub(super) async fn basic(
    auth: &ClientAuthenticator<'_>,
    token68: &str,
    form: &Form,
) -> Result<Arc<RegisteredClient>, OAuthError> {
    let malformed = || OAuthError::invalid_request("the Basic credentials are malformed");
    if token68.is_empty() || token68.starts_with(' ') || token68.ends_with(' ') {
        return Err(malformed());
    }
    let raw = STANDARD.decode(token68).map_err(|_| malformed())?;
    let text = String::from_utf8(raw).map_err(|_| malformed())?;
    let (id, secret) = text.split_once(':').ok_or_else(malformed)?;
    let (id, secret) = (
        form_decode(id).ok_or_else(malformed)?,
        form_decode(secret).ok_or_else(malformed)?,
    );
    if id.is_empty() {
        return Err(unauthorized(auth));
    }
    if form.get("client_id").is_some_and(|b| b != id) {
        return Err(OAuthError::invalid_request(
            "client_id in the body does not match the authenticated client",
        ));
    }
    check_secret(
        auth,
        &id,
        &secret,
        TokenEndpointAuthMethod::ClientSecretBasic,
    )
    .await
}

pub(super) async fn post(
    auth: &ClientAuthenticator<'_>,
    form: &Form,
) -> Result<Arc<RegisteredClient>, OAuthError> {
    if !auth.allow_client_secret_post {
        return Err(unauthorized(auth));
    }
    let id = form.get("client_id").ok_or_else(|| unauthorized(auth))?;
    let secret = form.get("client_secret").unwrap_or("");
    check_secret(auth, id, secret, TokenEndpointAuthMethod::ClientSecretPost).await
}

async fn check_secret(
    auth: &ClientAuthenticator<'_>,
    id: &str,
    secret: &str,
    method: TokenEndpointAuthMethod,
) -> Result<Arc<RegisteredClient>, OAuthError> {
    let client = auth.clients.get(id).await?;
    let stored = client
        .as_ref()
        .and_then(|c| c.secret_hash.as_deref())
        .unwrap_or(DUMMY_HASH);
    let secret_ok = secrets::verify_secret(secret, stored);
    match client {
        Some(c)
            if secret_ok
                && !c.disabled
                && c.auth_method == method
                && (c.client_secret_expires_at == 0
                    || c.client_secret_expires_at > secrets::now()) =>
        {
            Ok(c)
        }
        _ => Err(unauthorized(auth)),
    }
}
