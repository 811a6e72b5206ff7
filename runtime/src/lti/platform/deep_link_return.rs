//! Validating a deep-linking response (Deep Linking 2.0 §4.5; 1EdTech Security Framework 1.1
//! §5.2.3, a JWT the tool signs as its own issuer), in the order the checks run.
//!
//! The tool is found by the (not yet verified) `iss`, which must be a registered client_id;
//! the signature then binds it. Keys come from the tool's registration through the
//! authorization server ([`AuthorizationServer::client_jwks`]): an inline JWKS, or its
//! `jwks_uri` through the same guarded cache that checks its client assertions, refetched
//! once (rate limited) for an unknown `kid`. Keys are parsed by the resource server's
//! [`KeySet`] (RSA ≥ 2048 bits, no symmetric keys, `alg` pinned per key), so `none`, HMAC and
//! algorithm swaps fail before any signature check. The nonce and the `data` are spent last,
//! so a response that fails a check burns nothing.
//!
//! [`AuthorizationServer::client_jwks`]: crate::authorization_server::AuthorizationServer

use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::Algorithm;
use serde_json::{Map, Value};

use crate::lti::{claim, message_type};
use crate::resource_server::strict_json::parse_object;
use crate::resource_server::{KeyLookup, KeySet, VerificationKey};

use super::error::PlatformError;
use super::lti_platform::{DeepLinkingReturn, LtiPlatform};
use super::tool_registration::ToolRegistration;

/// Largest response accepted (checked before parsing).
pub(crate) const MAX_RESPONSE_BYTES: usize = 128 * 1024;
/// Oldest `iat` accepted, seconds: the browser posts the response as soon as it is signed.
const MAX_AGE_SECS: i64 = 600;
/// Asymmetric algorithms a tool may sign with (SF 1.1 §6.1); the key pins one of them.
const ALLOWED: [Algorithm; 7] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

fn segment(s: &str) -> Result<Vec<u8>, PlatformError> {
    URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|_| PlatformError::MalformedResponse("a segment is not base64url"))
}

fn string<'c>(c: &'c Map<String, Value>, name: &'static str) -> Result<&'c str, PlatformError> {
    c.get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or(PlatformError::MissingClaim(name))
}

fn optional(c: &Map<String, Value>, name: &str) -> Option<String> {
    c.get(name).and_then(Value::as_str).map(str::to_owned)
}

fn time(c: &Map<String, Value>, name: &'static str) -> Result<i64, PlatformError> {
    c.get(name)
        .and_then(Value::as_i64)
        .filter(|t| *t >= 0)
        .ok_or(PlatformError::MissingClaim(name))
}

/// The pieces of a compact JWS, its header read but nothing verified.
struct Parts<'t> {
    alg: Algorithm,
    kid: Option<String>,
    signing_input: &'t str,
    signature: &'t str,
    claims: Map<String, Value>,
}

fn split(jwt: &str) -> Result<Parts<'_>, PlatformError> {
    if jwt.len() > MAX_RESPONSE_BYTES {
        return Err(PlatformError::MalformedResponse("the JWT is too large"));
    }
    let mut it = jwt.splitn(4, '.');
    let (Some(h), Some(p), Some(signature), None) = (it.next(), it.next(), it.next(), it.next())
    else {
        return Err(PlatformError::MalformedResponse(
            "not three dot-separated parts",
        ));
    };
    let header = parse_object(&segment(h)?).map_err(PlatformError::MalformedResponse)?;
    let alg = header
        .get("alg")
        .and_then(Value::as_str)
        .and_then(|a| Algorithm::from_str(a).ok())
        .filter(|a| ALLOWED.contains(a))
        .ok_or(PlatformError::AlgorithmNotAllowed)?;
    if header.contains_key("crit") {
        return Err(PlatformError::MalformedResponse(
            "crit headers are not supported",
        ));
    }
    let kid = match header.get("kid") {
        None => None,
        Some(Value::String(k)) => Some(k.clone()),
        Some(_) => return Err(PlatformError::MalformedResponse("kid is not a string")),
    };
    let claims = parse_object(&segment(p)?).map_err(PlatformError::MalformedResponse)?;
    Ok(Parts {
        alg,
        kid,
        signing_input: &jwt[..h.len() + 1 + p.len()],
        signature,
        claims,
    })
}

impl LtiPlatform {
    /// The key of `tool` for a response with header `kid`/`alg`: the registered keys, and for
    /// a `jwks_uri` one refetch when the `kid` is unknown.
    async fn tool_key(
        &self,
        client: &crate::authorization_server::RegisteredClient,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<VerificationKey, PlatformError> {
        for refresh in [false, true] {
            if refresh && client.jwks_uri.is_none() {
                break;
            }
            let Some(set) = self.authz.client_jwks(client, refresh).await else {
                continue;
            };
            let Ok(bytes) = serde_json::to_vec(&set) else {
                continue;
            };
            let Ok(keys) = KeySet::from_jwks_json(&bytes) else {
                continue;
            };
            match keys.select(kid, alg) {
                KeyLookup::Found(k) => return Ok(k.clone()),
                KeyLookup::Ambiguous => return Err(PlatformError::UnknownKey),
                KeyLookup::UnknownKid => {}
            }
        }
        Err(PlatformError::UnknownKey)
    }

    /// Validates a deep-linking response JWT and spends its nonce and `data`.
    ///
    /// In order: size and form, `alg` allowed, the tool by `iss`, its key by `kid` (pinned
    /// algorithm), the signature, `aud` contains our issuer, `exp`/`iat` with leeway, `nonce`
    /// present, message type and version, `deployment_id` the tool's, `data` one we sent this
    /// tool, the items (types accepted, one unless several were), then the nonce (single use
    /// until `exp`) and the `data` (single use).
    pub async fn accept_deep_linking_response(
        &self,
        jwt: &str,
    ) -> Result<DeepLinkingReturn, PlatformError> {
        let parts = split(jwt)?;
        let issuer = string(&parts.claims, "iss")?.to_owned();
        let client = self
            .authz
            .client(&issuer)
            .await?
            .filter(|c| !c.disabled)
            .ok_or(PlatformError::UnknownTool)?;
        let tool = ToolRegistration::from_client(&client).ok_or(PlatformError::UnknownTool)?;
        let key = self
            .tool_key(&client, parts.kid.as_deref(), parts.alg)
            .await?;
        if key.algorithm() != parts.alg {
            return Err(PlatformError::AlgorithmNotAllowed);
        }
        let verified = jsonwebtoken::crypto::verify(
            parts.signature,
            parts.signing_input.as_bytes(),
            key.decoding_key(),
            key.algorithm(),
        )
        .unwrap_or(false);
        if !verified {
            return Err(PlatformError::BadSignature);
        }
        let c = &parts.claims;
        let ours = self.config.issuer.as_str();
        let audience_ok = match c.get("aud") {
            Some(Value::String(a)) => a == ours,
            Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(ours)),
            _ => false,
        };
        if !audience_ok {
            return Err(PlatformError::AudienceMismatch);
        }
        let now = self.now();
        let leeway = self.config.leeway_secs;
        let exp = time(c, "exp")?;
        if exp.saturating_add(leeway) <= now {
            return Err(PlatformError::Expired);
        }
        let iat = time(c, "iat")?;
        if iat.saturating_sub(leeway) > now || iat.saturating_add(MAX_AGE_SECS + leeway) < now {
            return Err(PlatformError::IssuedAtOutOfRange);
        }
        let nonce = string(c, "nonce")?;
        if string(c, claim::MESSAGE_TYPE)? != message_type::DEEP_LINKING_RESPONSE
            || string(c, claim::VERSION)? != message_type::LTI_VERSION
        {
            return Err(PlatformError::WrongMessage);
        }
        if string(c, claim::DEPLOYMENT_ID)? != tool.deployment_id {
            return Err(PlatformError::DeploymentMismatch);
        }
        let data = optional(c, claim::DEEP_LINKING_DATA).ok_or(PlatformError::DataMismatch)?;
        let pending = self
            .deep_links
            .get(&data, now)
            .filter(|p| p.client_id == tool.client_id)
            .ok_or(PlatformError::DataMismatch)?;
        let items = match c.get(claim::CONTENT_ITEMS) {
            None => Vec::new(),
            Some(Value::Array(items)) => items.clone(),
            Some(_) => return Err(PlatformError::MissingClaim(claim::CONTENT_ITEMS)),
        };
        let item_type = |i: &Value| i.get("type").and_then(Value::as_str).map(str::to_owned);
        if items
            .iter()
            .any(|i| item_type(i).is_none_or(|t| !pending.accept_types.contains(&t)))
        {
            return Err(PlatformError::ItemTypeNotAccepted);
        }
        if items.len() > 1 && !pending.accept_multiple {
            return Err(PlatformError::SeveralNotAccepted);
        }
        let nonce_key = format!("{}\u{0}{nonce}", tool.client_id);
        if !self
            .spent_nonces
            .insert(nonce_key, (), exp.saturating_add(leeway), now)
        {
            return Err(PlatformError::NonceReplayed);
        }
        // Single use: a second response to the same request is refused.
        let pending = self
            .deep_links
            .take(&data, now)
            .ok_or(PlatformError::DataMismatch)?;
        Ok(DeepLinkingReturn {
            deployment_id: tool.deployment_id.clone(),
            tool,
            context_id: pending.context_id,
            user_id: pending.user_id,
            items,
            msg: optional(c, claim::DEEP_LINKING_MSG),
            log: optional(c, claim::DEEP_LINKING_LOG),
            error_msg: optional(c, "https://purl.imsglobal.org/spec/lti-dl/claim/errormsg"),
            error_log: optional(c, "https://purl.imsglobal.org/spec/lti-dl/claim/errorlog"),
            data,
        })
    }
}
