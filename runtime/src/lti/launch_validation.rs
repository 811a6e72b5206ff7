//! Every check on a form-posted `id_token`, in the order they run. `runtime/docs/lti.md` maps
//! each to its source; the security cases (LTI-01..06, CL-12, CL-13) name tests for each.
//!
//! Why not `jsonwebtoken::decode` or `openidconnect`: the platform's key is chosen by `kid` from
//! a cache that may refetch, the algorithm is pinned by the key rather than trusted from the
//! header, `aud`/`azp` follow OIDC Core §3.1.3.7 strictly (openidconnect's `azp` check is
//! commented out; FACTS §3.7), duplicate JSON members are refused, and the LTI claims need
//! their own typed checks. The signature itself is `jsonwebtoken::crypto::verify`.

use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::Algorithm;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::authorization_server::secrets::ct_eq;
use crate::resource_server::strict_json::parse_object;

use super::claims::{
    AgsEndpoint, Context, DeepLinkingSettings, LaunchPresentation, NrpsService, ResourceLink,
    ToolPlatform, claim, message_type,
};
use super::error::LaunchError;
use super::launch::{DeepLinkingLaunch, Launch, LaunchClaims, LaunchUser, ResourceLinkLaunch};
use super::launch_store::{BrowserProof, PendingLogin};
use super::registration::PlatformRegistration;
use super::tool::LtiTool;

/// Largest `id_token` accepted (checked before any parsing). LTI launches carry custom
/// parameters and LIS data, so this is larger than an access token's cap.
pub const MAX_ID_TOKEN_BYTES: usize = 64 * 1024;

/// A compact JWS split and its header checked; the signature not yet verified.
struct SplitToken<'t> {
    alg: Algorithm,
    kid: Option<String>,
    signing_input: &'t str,
    signature: &'t str,
    payload: &'t str,
}

fn b64url_segment(s: &str) -> Result<Vec<u8>, LaunchError> {
    if s.is_empty()
        || !s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(LaunchError::MalformedToken("a segment is not base64url"));
    }
    URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|_| LaunchError::MalformedToken("a segment is not canonical base64url"))
}

fn split<'t>(token: &'t str, allowed: &[Algorithm]) -> Result<SplitToken<'t>, LaunchError> {
    if token.len() > MAX_ID_TOKEN_BYTES {
        return Err(LaunchError::MalformedToken("the token is too large"));
    }
    let mut parts = token.splitn(4, '.');
    let (Some(h), Some(p), Some(sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(LaunchError::MalformedToken("not three dot-separated parts"));
    };
    let header = parse_object(&b64url_segment(h)?).map_err(LaunchError::MalformedToken)?;
    b64url_segment(p)?;
    b64url_segment(sig)?;
    let alg = match header.get("alg") {
        // `none`, HS*, and anything outside the list are refused before any key is looked at,
        // so a platform's public RSA key can never be used as an HMAC secret.
        Some(Value::String(a)) => Algorithm::from_str(a)
            .ok()
            .filter(|alg| allowed.contains(alg))
            .ok_or(LaunchError::AlgorithmNotAllowed)?,
        _ => return Err(LaunchError::MalformedToken("the header has no alg")),
    };
    if header.contains_key("crit") {
        return Err(LaunchError::MalformedToken(
            "crit headers are not supported",
        ));
    }
    let kid = match header.get("kid") {
        None => None,
        Some(Value::String(k)) => Some(k.clone()),
        Some(_) => return Err(LaunchError::MalformedToken("kid is not a string")),
    };
    Ok(SplitToken {
        alg,
        kid,
        signing_input: &token[..h.len() + 1 + p.len()],
        signature: sig,
        payload: p,
    })
}

fn string_claim<'c>(
    claims: &'c Map<String, Value>,
    name: &'static str,
) -> Result<&'c str, LaunchError> {
    match claims.get(name) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        _ => Err(LaunchError::MissingClaim(name)),
    }
}

fn optional_string(claims: &Map<String, Value>, name: &str) -> Option<String> {
    claims.get(name).and_then(Value::as_str).map(str::to_owned)
}

fn time_claim(claims: &Map<String, Value>, name: &'static str) -> Result<i64, LaunchError> {
    // Integers only: strings, floats and negative numbers are type confusion (JW-09).
    claims
        .get(name)
        .and_then(Value::as_i64)
        .filter(|t| *t >= 0)
        .ok_or(LaunchError::MissingClaim(name))
}

fn typed<T: DeserializeOwned>(
    claims: &Map<String, Value>,
    name: &'static str,
) -> Result<Option<T>, LaunchError> {
    match claims.get(name) {
        None => Ok(None),
        Some(v) => serde_json::from_value(v.clone())
            .map(Some)
            .map_err(|_| LaunchError::MissingClaim(name)),
    }
}

/// `aud` contains our client_id; `azp`, when present, is our client_id, and must be present
/// when `aud` names several parties (OIDC Core §3.1.3.7 items 3–5; LTI-04: membership, not
/// `aud[0]` as the 1EdTech PHP library and pylti1.3 do).
fn check_audience(claims: &Map<String, Value>, client_id: &str) -> Result<(), LaunchError> {
    let several = match claims.get("aud") {
        Some(Value::String(a)) if a == client_id => false,
        Some(Value::Array(list)) if !list.is_empty() && list.iter().all(Value::is_string) => {
            if !list.iter().any(|a| a.as_str() == Some(client_id)) {
                return Err(LaunchError::AudienceMismatch);
            }
            list.len() > 1
        }
        _ => return Err(LaunchError::AudienceMismatch),
    };
    match claims.get("azp") {
        Some(Value::String(azp)) if azp == client_id => Ok(()),
        Some(_) => Err(LaunchError::AuthorizedPartyMismatch),
        None if several => Err(LaunchError::AuthorizedPartyMismatch),
        None => Ok(()),
    }
}

impl LtiTool {
    /// Completes a launch: takes the pending login for `state` (single use), checks the browser
    /// `proof` against it, then validates `id_token` ([`Self::validate_id_token`]).
    pub async fn launch(
        &self,
        state: &str,
        id_token: &str,
        proof: BrowserProof<'_>,
    ) -> Result<Launch, LaunchError> {
        if state.is_empty() {
            return Err(LaunchError::MissingParameter("state"));
        }
        if id_token.is_empty() {
            return Err(LaunchError::MissingParameter("id_token"));
        }
        let now = self.now();
        let pending = self
            .store
            .take_login(state, now)
            .await?
            .ok_or(LaunchError::UnknownState)?;
        if !pending.binding.is_proven_by(&proof) {
            return Err(match (&proof, pending.binding.platform_storage()) {
                (BrowserProof::Cookie(None), None) => LaunchError::NoBrowserProof,
                _ => LaunchError::StateNotBoundToBrowser,
            });
        }
        self.validate_id_token(id_token, &pending).await
    }

    /// Validates `id_token` for the pending login it answers, spending its nonce.
    ///
    /// In order: header (size, form, `alg` allowed, no `crit`), key by `kid` from the platform's
    /// keys (one rate-limited refetch on an unknown `kid`), the key's pinned algorithm, the
    /// signature, `iss`, `aud`/`azp`, `exp`, `iat`, `nonce` equal to the login's, `sub`,
    /// `version`, `message_type`, `deployment_id`, `target_link_uri`, `roles`, the message
    /// type's required claims, the typed optional claims, and last the nonce spent (atomic),
    /// so a token that fails a check does not burn anything but its `state`.
    pub async fn validate_id_token(
        &self,
        id_token: &str,
        pending: &PendingLogin,
    ) -> Result<Launch, LaunchError> {
        let registration = self
            .registry
            .find(&pending.issuer, &pending.client_id)
            .ok_or(LaunchError::UnknownPlatform)?;
        let token = split(id_token, &self.rules.algorithms)?;
        let key = self
            .platform_keys
            .key_for(&registration, token.kid.as_deref(), token.alg)
            .await?;
        if key.algorithm() != token.alg {
            return Err(LaunchError::AlgorithmNotAllowed);
        }
        let verified = jsonwebtoken::crypto::verify(
            token.signature,
            token.signing_input.as_bytes(),
            key.decoding_key(),
            key.algorithm(),
        )
        .unwrap_or(false);
        if !verified {
            return Err(LaunchError::BadSignature);
        }
        let claims =
            parse_object(&b64url_segment(token.payload)?).map_err(LaunchError::MalformedToken)?;
        let launch = self.check_claims(claims, pending, &registration)?;
        let until = launch
            .claims()
            .expires_at
            .saturating_add(self.rules.leeway_secs);
        if !self
            .store
            .spend_nonce(&pending.nonce, until, self.now())
            .await?
        {
            return Err(LaunchError::NonceReplayed);
        }
        Ok(launch)
    }

    fn check_claims(
        &self,
        claims: Map<String, Value>,
        pending: &PendingLogin,
        registration: &PlatformRegistration,
    ) -> Result<Launch, LaunchError> {
        let now = self.now();
        let leeway = self.rules.leeway_secs;
        // OIDC Core §3.1.3.7 (2): the issuer is exactly the registered one (LTI-06).
        if string_claim(&claims, "iss").ok() != Some(registration.issuer.as_str()) {
            return Err(LaunchError::IssuerMismatch);
        }
        // (3)–(5): audience and authorized party (LTI-04).
        check_audience(&claims, &registration.client_id)?;
        // (9): not expired, allowing for clock skew (LTI-06).
        let exp = time_claim(&claims, "exp")?;
        if exp.saturating_add(leeway) <= now {
            return Err(LaunchError::Expired);
        }
        // (10): issued neither in the future nor too long ago (LTI-06).
        let iat = time_claim(&claims, "iat")?;
        if iat.saturating_sub(leeway) > now
            || iat
                .saturating_add(self.rules.max_age_secs)
                .saturating_add(leeway)
                < now
        {
            return Err(LaunchError::IssuedAtOutOfRange);
        }
        // (11): the nonce this login sent; spending it comes last (LTI-01).
        match claims.get("nonce") {
            Some(Value::String(n)) if ct_eq(n, &pending.nonce) => {}
            _ => return Err(LaunchError::NonceMismatch),
        }
        let sub = string_claim(&claims, "sub")?.to_owned();
        // LTI 1.3 Core §5.3.2.
        if string_claim(&claims, claim::VERSION)? != message_type::LTI_VERSION {
            return Err(LaunchError::UnsupportedVersion);
        }
        let kind = string_claim(&claims, claim::MESSAGE_TYPE)?;
        if kind != message_type::RESOURCE_LINK_REQUEST && kind != message_type::DEEP_LINKING_REQUEST
        {
            return Err(LaunchError::UnsupportedMessageType);
        }
        let kind = kind.to_owned();
        // §5.3.3: the deployment must be known for (iss, client_id) (LTI-03).
        let deployment_id = string_claim(&claims, claim::DEPLOYMENT_ID)?.to_owned();
        if !registration.knows_deployment(&deployment_id) {
            return Err(LaunchError::UnknownDeployment);
        }
        // §5.3.4: a registered URL, and the one the login initiation named (LTI-05).
        let target_link_uri = string_claim(&claims, claim::TARGET_LINK_URI)?.to_owned();
        if !self.config.is_registered_target(&target_link_uri)
            || target_link_uri != pending.target_link_uri
        {
            return Err(LaunchError::TargetLinkUriMismatch);
        }
        // §5.3.7: roles is required, possibly empty, strings only.
        let roles: Vec<String> =
            typed(&claims, claim::ROLES)?.ok_or(LaunchError::MissingClaim(claim::ROLES))?;
        let common = LaunchClaims {
            issuer: registration.issuer.clone(),
            client_id: registration.client_id.clone(),
            deployment_id,
            target_link_uri,
            user: LaunchUser {
                sub,
                name: optional_string(&claims, "name"),
                given_name: optional_string(&claims, "given_name"),
                family_name: optional_string(&claims, "family_name"),
                email: optional_string(&claims, "email"),
            },
            roles,
            context: typed::<Context>(&claims, claim::CONTEXT)?,
            tool_platform: typed::<ToolPlatform>(&claims, claim::TOOL_PLATFORM)?,
            launch_presentation: typed::<LaunchPresentation>(&claims, claim::LAUNCH_PRESENTATION)?,
            ags: typed::<AgsEndpoint>(&claims, claim::AGS_ENDPOINT)?,
            nrps: typed::<NrpsService>(&claims, claim::NRPS)?,
            custom: typed::<Map<String, Value>>(&claims, claim::CUSTOM)?.unwrap_or_default(),
            expires_at: exp,
            claims: Map::new(),
        };
        let launch = if kind == message_type::RESOURCE_LINK_REQUEST {
            // §5.3.5: a resource-link launch names its link.
            let resource_link: ResourceLink = typed(&claims, claim::RESOURCE_LINK)?
                .ok_or(LaunchError::MissingClaim(claim::RESOURCE_LINK))?;
            if resource_link.id.is_empty() {
                return Err(LaunchError::MissingClaim(claim::RESOURCE_LINK));
            }
            Launch::ResourceLink(ResourceLinkLaunch {
                claims: LaunchClaims { claims, ..common },
                resource_link,
            })
        } else {
            // Deep Linking 2.0 §4.4.1: the return URL, accepted types and targets are required.
            let settings: DeepLinkingSettings = typed(&claims, claim::DEEP_LINKING_SETTINGS)?
                .ok_or(LaunchError::MissingClaim(claim::DEEP_LINKING_SETTINGS))?;
            let https_return = url::Url::parse(&settings.deep_link_return_url)
                .is_ok_and(|u| u.scheme() == "https");
            if !https_return
                || settings.accept_types.is_empty()
                || settings.accept_presentation_document_targets.is_empty()
            {
                return Err(LaunchError::MissingClaim(claim::DEEP_LINKING_SETTINGS));
            }
            Launch::DeepLinking(DeepLinkingLaunch {
                claims: LaunchClaims { claims, ..common },
                settings,
            })
        };
        Ok(launch)
    }
}
