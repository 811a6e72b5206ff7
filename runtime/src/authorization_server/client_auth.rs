//! Client authentication at the token, revocation and introspection endpoints.
//!
//! Exactly one method per request (RFC 6749 §2.3): HTTP Basic (`client_secret_basic`), body
//! credentials (`client_secret_post`, only when enabled) or a JWT assertion (`private_key_jwt`,
//! RFC 7523). Unknown clients and wrong secrets get the same `401 invalid_client`.

use std::sync::Arc;

use axum::http::{HeaderMap, header};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde::Deserialize;

use super::error::OAuthError;
use super::form::Form;
#[cfg(feature = "client")]
use super::jwks_fetch::JwksFetcher;
use super::model::{RegisteredClient, TokenEndpointAuthMethod};
use super::secrets;
use super::state::{ClientDirectory, ServerState};
use super::store_views::AssertionIds;

/// The only assertion type accepted (RFC 7523 §2.2).
pub(crate) const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// Assertions may not be valid for longer than this (seconds).
const MAX_ASSERTION_LIFETIME: u64 = 300;
/// Clock leeway for assertions (seconds).
const LEEWAY: u64 = 30;
/// Assertions longer than this are refused before parsing.
const MAX_ASSERTION_LEN: usize = 8 * 1024;

/// A hash nobody's secret has: unknown clients still pay one hash comparison.
const DUMMY_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

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
        return basic_auth(auth, credentials, form).await;
    }
    if uses_post {
        return post_auth(auth, form).await;
    }
    if uses_assertion {
        return assertion_auth(auth, form).await;
    }
    Err(unauthorized(auth))
}

/// Decodes a form-urlencoded credential component (RFC 6749 §2.3.1 / Appendix B).
fn form_decode(s: &str) -> Option<String> {
    let plus = s.replace('+', " ");
    percent_encoding::percent_decode_str(&plus)
        .decode_utf8()
        .ok()
        .map(|c| c.into_owned())
}

async fn basic_auth(
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

async fn post_auth(
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

#[derive(Deserialize)]
struct UnverifiedSubject {
    sub: Option<String>,
}

#[derive(Deserialize)]
struct AssertionClaims {
    aud: serde_json::Value,
    exp: u64,
    #[serde(default)]
    iat: Option<u64>,
    #[serde(default)]
    jti: Option<String>,
}

async fn assertion_auth(
    auth: &ClientAuthenticator<'_>,
    form: &Form,
) -> Result<Arc<RegisteredClient>, OAuthError> {
    if form.get("client_assertion_type") != Some(JWT_BEARER) {
        return Err(OAuthError::invalid_request(
            "client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        ));
    }
    let assertion = form
        .get("client_assertion")
        .ok_or(OAuthError::invalid_request("client_assertion is missing"))?;
    let fail = || unauthorized(auth);
    if assertion.len() > MAX_ASSERTION_LEN {
        return Err(fail());
    }
    // Which client? The body client_id if sent, else the (unverified) `sub`; the signature
    // check below binds it.
    let claimed = {
        let payload = assertion.split('.').nth(1).ok_or_else(fail)?;
        let bytes = URL_SAFE_NO_PAD.decode(payload).map_err(|_| fail())?;
        serde_json::from_slice::<UnverifiedSubject>(&bytes)
            .map_err(|_| fail())?
            .sub
            .ok_or_else(fail)?
    };
    if form.get("client_id").is_some_and(|b| b != claimed) {
        return Err(fail());
    }
    let client = auth.clients.get(&claimed).await?.ok_or_else(fail)?;
    if client.disabled || client.auth_method != TokenEndpointAuthMethod::PrivateKeyJwt {
        return Err(fail());
    }
    let header = jsonwebtoken::decode_header(assertion).map_err(|_| fail())?;
    let expected_alg = client.assertion_alg.as_deref().unwrap_or("RS256");
    let alg = match expected_alg {
        "RS256" => jsonwebtoken::Algorithm::RS256,
        "RS384" => jsonwebtoken::Algorithm::RS384,
        "RS512" => jsonwebtoken::Algorithm::RS512,
        "PS256" => jsonwebtoken::Algorithm::PS256,
        "ES256" => jsonwebtoken::Algorithm::ES256,
        "ES384" => jsonwebtoken::Algorithm::ES384,
        "EdDSA" => jsonwebtoken::Algorithm::EdDSA,
        // Symmetric or unknown algorithms are never acceptable for private_key_jwt.
        _ => return Err(fail()),
    };
    if header.alg != alg {
        return Err(fail());
    }
    let pick = |set: &jsonwebtoken::jwk::JwkSet| -> Option<jsonwebtoken::jwk::Jwk> {
        match header.kid.as_deref() {
            Some(kid) => set.find(kid).cloned(),
            None if set.keys.len() == 1 => set.keys.first().cloned(),
            None => None,
        }
    };
    let jwk = match (&client.jwks, &client.jwks_uri) {
        (Some(v), _) => {
            let set: jsonwebtoken::jwk::JwkSet =
                serde_json::from_value(v.clone()).map_err(|_| fail())?;
            pick(&set)
        }
        #[cfg(feature = "client")]
        (None, Some(uri)) => {
            // Cached set first; an unknown kid refetches (rate-limited) for key rotation.
            match auth
                .jwks_fetcher
                .get(uri, false)
                .await
                .as_ref()
                .and_then(pick)
            {
                Some(k) => Some(k),
                None => auth
                    .jwks_fetcher
                    .get(uri, true)
                    .await
                    .as_ref()
                    .and_then(pick),
            }
        }
        _ => None,
    }
    .ok_or_else(fail)?;
    let jwk = &jwk;
    if matches!(
        jwk.algorithm,
        jsonwebtoken::jwk::AlgorithmParameters::OctetKey(_)
    ) {
        return Err(fail());
    }
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk).map_err(|_| fail())?;
    let mut validation = jsonwebtoken::Validation::new(alg);
    validation.leeway = LEEWAY;
    validation.validate_aud = false;
    validation.validate_nbf = true;
    validation.set_required_spec_claims(&["exp", "iss", "sub", "aud"]);
    validation.set_issuer(&[&client.client_id]);
    validation.sub = Some(client.client_id.clone());
    let claims = jsonwebtoken::decode::<AssertionClaims>(assertion, &key, &validation)
        .map_err(|_| fail())?
        .claims;
    // `aud`: a single string, exactly the token endpoint or the issuer (rfc7523bis).
    let token_endpoint = format!("{}/token", auth.issuer);
    match claims.aud.as_str() {
        Some(a) if a == token_endpoint || a == auth.issuer => {}
        _ => return Err(fail()),
    }
    let now = secrets::now();
    if claims.exp > now + MAX_ASSERTION_LIFETIME + LEEWAY {
        return Err(fail());
    }
    if claims.iat.is_some_and(|iat| iat > now + LEEWAY) {
        return Err(fail());
    }
    let jti = claims
        .jti
        .filter(|j| !j.is_empty() && j.len() <= 256)
        .ok_or_else(fail)?;
    if !auth
        .assertion_ids
        .first_use(&client.client_id, &jti, claims.exp + LEEWAY)
        .await?
    {
        return Err(fail());
    }
    Ok(client)
}
