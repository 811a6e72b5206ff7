//! Client authentication at the token, revocation and introspection endpoints.
//!
//! Exactly one method per request (RFC 6749 §2.3): HTTP Basic (`client_secret_basic`), body
//! credentials (`client_secret_post`, only when enabled) or a JWT assertion (`private_key_jwt`,
//! RFC 7523). Unknown clients and wrong secrets get the same `401 invalid_client`.
//!
//! The shared secret methods (RFC 6749 §2.3.1) are in `client_secret`, the JWT assertion
//! (RFC 7523) in `private_key_jwt`.

mod client_secret;
mod private_key_jwt;

use std::sync::Arc;

use axum::http::{HeaderMap, header};

use super::error::OAuthError;
use super::form::Form;
#[cfg(feature = "client")]
use super::jwks_fetch::JwksFetcher;
use super::model::RegisteredClient;
use super::state::{ClientDirectory, ServerState};
use super::store::views::AssertionIds;

/// What client authentication needs: the client directory, the server's accepted methods and
/// assertion audience, and (for `private_key_jwt`) replay protection and `jwks_uri` fetching.
pub(crate) struct ClientAuthenticator<'a> {
    clients: &'a ClientDirectory,
    realm: &'a str,
    issuer: &'a str,
    allow_client_secret_post: bool,
    assertion_ids: AssertionIds<'a>,
    #[cfg(feature = "client")]
    jwks_fetcher: &'a JwksFetcher,
}

impl<'a> ClientAuthenticator<'a> {
    pub(crate) fn from_state(state: &'a ServerState) -> Self {
        Self {
            clients: &state.clients,
            realm: &state.settings.realm,
            issuer: &state.settings.issuer,
            allow_client_secret_post: state.settings.allow_client_secret_post,
            assertion_ids: AssertionIds(state.store.as_ref()),
            #[cfg(feature = "client")]
            jwks_fetcher: &state.jwks_fetcher,
        }
    }

    /// Authenticates the calling client.
    pub(crate) async fn authenticate(
        &self,
        headers: &HeaderMap,
        form: &Form,
    ) -> Result<Arc<RegisteredClient>, OAuthError> {
        authenticate(self, headers, form).await
    }
}

fn unauthorized(auth: &ClientAuthenticator<'_>) -> OAuthError {
    OAuthError::invalid_client(Some(auth.realm))
}

async fn authenticate(
    auth: &ClientAuthenticator<'_>,
    headers: &HeaderMap,
    form: &Form,
) -> Result<Arc<RegisteredClient>, OAuthError> {
    let mut auth_headers = headers.get_all(header::AUTHORIZATION).iter();
    let auth_header = auth_headers.next();
    if auth_headers.next().is_some() {
        return Err(OAuthError::invalid_request(
            "more than one Authorization header was sent",
        ));
    }
    let basic = match auth_header {
        Some(v) => {
            let v = v.to_str().map_err(|_| {
                OAuthError::invalid_request("the Authorization header is malformed")
            })?;
            match v.split_once(' ') {
                Some((scheme, rest)) if scheme.eq_ignore_ascii_case("basic") => Some(rest),
                _ if v.eq_ignore_ascii_case("basic") => Some(""),
                _ => None,
            }
        }
        None => None,
    };
    let uses_post = form.get("client_secret").is_some();
    let uses_assertion =
        form.get("client_assertion").is_some() || form.get("client_assertion_type").is_some();
    let methods =
        usize::from(basic.is_some()) + usize::from(uses_post) + usize::from(uses_assertion);
    if methods > 1 {
        return Err(OAuthError::invalid_request(
            "only one client authentication method may be used per request",
        ));
    }
    if let Some(credentials) = basic {
        return client_secret::basic(auth, credentials, form).await;
    }
    if uses_post {
        return client_secret::post(auth, form).await;
    }
    if uses_assertion {
        return private_key_jwt::authenticate(auth, form).await;
    }
    Err(unauthorized(auth))
}
