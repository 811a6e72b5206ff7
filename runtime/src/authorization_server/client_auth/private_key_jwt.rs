//! `private_key_jwt` (RFC 7523 §2.2, §3): the client proves itself with a JWT signed by a key
//! it registered (`jwks`) or publishes (`jwks_uri`); each assertion is accepted once.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;

use super::{ClientAuthenticator, unauthorized};
use crate::authorization_server::error::OAuthError;
use crate::authorization_server::form::Form;
use crate::authorization_server::model::{RegisteredClient, TokenEndpointAuthMethod};
use crate::authorization_server::secrets;

/// The only assertion type accepted (RFC 7523 §2.2).
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// Assertions may not be valid for longer than this (seconds).
const MAX_ASSERTION_LIFETIME: u64 = 300;
/// Clock leeway for assertions (seconds).
const LEEWAY: u64 = 30;
/// Assertions longer than this are refused before parsing.
const MAX_ASSERTION_LEN: usize = 8 * 1024;

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

pub(super) async fn authenticate(
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
