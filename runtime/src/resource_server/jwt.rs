//! Local JWT access-token verification (RFC 9068 profile, RFC 8725 best practices).
//!
//! Parsing is done here, strictly, before any signature work: exactly three non-empty base64url
//! segments in canonical form (JW-15), header and payload JSON objects without duplicate members
//! (JW-14), `typ` `at+jwt` (RS-09), no `crit` (JW-13), no JWE (JW-16). `jku`/`x5u`/`x5c`/`jwk`
//! headers are ignored: keys come only from configuration (JW-05). Time claims must be integers
//! (JW-09). The signature is checked with the key's pinned algorithm (JW-01..04).

use std::str::FromStr;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures_util::future::BoxFuture;
use jsonwebtoken::Algorithm;
use serde_json::{Map, Value};

use super::keys::{KeyLookup, KeySet};
use super::principal::{Clock, Principal, SystemClock, split_scope};
use super::strict_json::parse_object;

/// What [`LocalJwtVerifier`] answers for a token signed by a key it does not hold (a verifier
/// that follows key rotations rebuilds on it).
pub(crate) const UNKNOWN_KID: &str = "unknown kid";
use super::verifier::{TokenVerifier, VerifyError};

/// Largest token accepted (RS-12). Checked before any parsing.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// What a valid access token must say: issuer, audience, algorithms, clock.
#[derive(Clone)]
pub struct JwtRules {
    /// Exact `iss` (no normalisation: a trailing slash, case or port difference is a mismatch).
    pub issuer: String,
    /// Our resource-server identifier: `aud` must contain it.
    pub audience: String,
    /// Algorithms accepted at all (each key is further pinned to one). Default: RS256/384/512,
    /// PS256/384/512, ES256/384, EdDSA. HS* must be added explicitly.
    pub algorithms: Vec<Algorithm>,
    /// Clock-skew leeway in seconds for `exp`, `nbf`, `iat` (default 60).
    pub leeway_secs: i64,
    /// Accepted `typ` values, compared case-insensitively (default `at+jwt`,
    /// `application/at+jwt`).
    pub token_types: Vec<String>,
    /// The clock.
    pub clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for JwtRules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtRules")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("algorithms", &self.algorithms)
            .field("leeway_secs", &self.leeway_secs)
            .field("token_types", &self.token_types)
            .finish_non_exhaustive()
    }
}

impl JwtRules {
    /// Rules for access tokens from `issuer` meant for `audience`, with the defaults above.
    pub fn new(issuer: impl Into<String>, audience: impl Into<String>) -> Self {
        Self {
            issuer: issuer.into(),
            audience: audience.into(),
            algorithms: vec![
                Algorithm::RS256,
                Algorithm::RS384,
                Algorithm::RS512,
                Algorithm::PS256,
                Algorithm::PS384,
                Algorithm::PS512,
                Algorithm::ES256,
                Algorithm::ES384,
                Algorithm::EdDSA,
            ],
            leeway_secs: 60,
            token_types: vec!["at+jwt".into(), "application/at+jwt".into()],
            clock: Arc::new(SystemClock),
        }
    }

    /// Replaces the algorithm allow-list.
    pub fn with_algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.algorithms = algorithms.into_iter().collect();
        self
    }

    /// Replaces the leeway.
    pub fn with_leeway_secs(mut self, leeway: i64) -> Self {
        self.leeway_secs = leeway.max(0);
        self
    }

    /// Replaces the clock.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }
}

/// A token split and decoded, signature not yet checked.
pub(crate) struct ParsedJwt<'t> {
    pub(crate) alg: Algorithm,
    pub(crate) kid: Option<String>,
    pub(crate) signing_input: &'t str,
    pub(crate) signature: &'t str,
    pub(crate) payload: &'t str,
}

fn is_b64url(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn decode_segment(s: &str) -> Result<Vec<u8>, VerifyError> {
    // URL_SAFE_NO_PAD rejects padding and non-zero trailing bits: only the canonical form passes.
    URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|_| VerifyError::InvalidToken("non-canonical base64url"))
}

/// Splits and checks the header (JW-01/02/13/14/15/16, RS-09).
pub(crate) fn parse_jwt<'t>(
    token: &'t str,
    rules: &JwtRules,
) -> Result<ParsedJwt<'t>, VerifyError> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(VerifyError::InvalidToken("token too large"));
    }
    let mut parts = token.splitn(4, '.');
    let (Some(h), Some(p), Some(sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(VerifyError::InvalidToken("not a three-part JWS"));
    };
    if !is_b64url(h) || !is_b64url(p) || !is_b64url(sig) {
        return Err(VerifyError::InvalidToken(
            "empty segment or non-base64url characters",
        ));
    }
    decode_segment(sig)?;
    let header = parse_object(&decode_segment(h)?).map_err(VerifyError::InvalidToken)?;
    let alg = match header.get("alg") {
        Some(Value::String(a)) => {
            // `none` in any case, and anything outside the allow-list, is refused (JW-01/04).
            let alg =
                Algorithm::from_str(a).map_err(|_| VerifyError::InvalidToken("unsupported alg"))?;
            if !rules.algorithms.contains(&alg) {
                return Err(VerifyError::InvalidToken("alg not allowed"));
            }
            alg
        }
        _ => return Err(VerifyError::InvalidToken("missing alg")),
    };
    if header.contains_key("crit") {
        return Err(VerifyError::InvalidToken("crit header not supported"));
    }
    if header.contains_key("enc") || header.contains_key("zip") {
        return Err(VerifyError::InvalidToken("JWE not accepted"));
    }
    match header.get("typ") {
        Some(Value::String(t)) if rules.token_types.iter().any(|x| x.eq_ignore_ascii_case(t)) => {}
        _ => return Err(VerifyError::InvalidToken("typ is not at+jwt")),
    }
    let kid = match header.get("kid") {
        None => None,
        Some(Value::String(k)) => Some(k.clone()),
        Some(_) => return Err(VerifyError::InvalidToken("kid is not a string")),
    };
    Ok(ParsedJwt {
        alg,
        kid,
        signing_input: &token[..h.len() + 1 + p.len()],
        signature: sig,
        payload: p,
    })
}

/// Verifies the signature with `keys` and the claims with `rules`.
pub(crate) fn verify_parsed(
    parsed: &ParsedJwt<'_>,
    keys: &KeySet,
    rules: &JwtRules,
) -> Result<Principal, VerifyError> {
    let key = match keys.select(parsed.kid.as_deref(), parsed.alg) {
        KeyLookup::Found(k) => k,
        KeyLookup::UnknownKid => return Err(VerifyError::InvalidToken(UNKNOWN_KID)),
        KeyLookup::Ambiguous => return Err(VerifyError::InvalidToken("no kid and several keys")),
    };
    // The key's pinned algorithm decides, never the header alone (JW-03).
    if key.algorithm() != parsed.alg {
        return Err(VerifyError::InvalidToken("alg does not match the key"));
    }
    let ok = jsonwebtoken::crypto::verify(
        parsed.signature,
        parsed.signing_input.as_bytes(),
        key.decoding_key(),
        key.algorithm(),
    )
    .map_err(|_| VerifyError::InvalidToken("bad signature"))?;
    if !ok {
        return Err(VerifyError::InvalidToken("bad signature"));
    }
    let claims =
        parse_object(&decode_segment(parsed.payload)?).map_err(VerifyError::InvalidToken)?;
    principal_from_jwt_claims(claims, rules)
}

fn int_claim(claims: &Map<String, Value>, name: &'static str) -> Result<Option<i64>, VerifyError> {
    match claims.get(name) {
        None => Ok(None),
        // Integers only: strings, floats, null, 1e300 are type confusion (JW-09).
        Some(Value::Number(n)) => {
            n.as_i64()
                .filter(|v| *v >= 0)
                .map(Some)
                .ok_or(VerifyError::InvalidToken(
                    "time claim is not a non-negative integer",
                ))
        }
        Some(_) => Err(VerifyError::InvalidToken("time claim is not a number")),
    }
}

fn str_claim<'a>(
    claims: &'a Map<String, Value>,
    name: &'static str,
) -> Result<Option<&'a str>, VerifyError> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(VerifyError::InvalidToken("claim has the wrong type")),
    }
}

/// Checks RFC 9068 claims: `iss` (exact), `aud` (contains ours), `exp` (required), `nbf`, `iat`,
/// `sub`, `client_id`, `jti`; builds the principal.
pub(crate) fn principal_from_jwt_claims(
    claims: Map<String, Value>,
    rules: &JwtRules,
) -> Result<Principal, VerifyError> {
    let now = rules.clock.now_unix();
    let leeway = rules.leeway_secs;
    if str_claim(&claims, "iss")? != Some(rules.issuer.as_str()) {
        return Err(VerifyError::InvalidToken("issuer mismatch"));
    }
    check_audience(&claims, &rules.audience)?;
    let exp = int_claim(&claims, "exp")?.ok_or(VerifyError::InvalidToken("missing exp"))?;
    if exp.saturating_add(leeway) <= now {
        return Err(VerifyError::Expired);
    }
    if let Some(nbf) = int_claim(&claims, "nbf")?
        && nbf.saturating_sub(leeway) > now
    {
        return Err(VerifyError::InvalidToken("not yet valid"));
    }
    let iat = int_claim(&claims, "iat")?.ok_or(VerifyError::InvalidToken("missing iat"))?;
    if iat.saturating_sub(leeway) > now {
        return Err(VerifyError::InvalidToken("issued in the future"));
    }
    let sub = str_claim(&claims, "sub")?
        .ok_or(VerifyError::InvalidToken("missing sub"))?
        .to_owned();
    let client_id = str_claim(&claims, "client_id")?
        .ok_or(VerifyError::InvalidToken("missing client_id"))?
        .to_owned();
    let jti = str_claim(&claims, "jti")?
        .ok_or(VerifyError::InvalidToken("missing jti"))?
        .to_owned();
    let scopes = str_claim(&claims, "scope")?
        .map(split_scope)
        .unwrap_or_default();
    Ok(Principal {
        sub,
        client_id,
        scopes,
        jti: Some(jti),
        exp,
        claims: Arc::new(claims),
    })
}

/// `aud` is a string or a non-empty array of strings containing `ours`. With several audiences
/// `azp` must be present and equal `client_id` (JW-11).
pub(crate) fn check_audience(claims: &Map<String, Value>, ours: &str) -> Result<(), VerifyError> {
    match claims.get("aud") {
        Some(Value::String(a)) if a == ours => Ok(()),
        Some(Value::Array(list)) if !list.is_empty() => {
            if !list.iter().all(Value::is_string) {
                return Err(VerifyError::InvalidToken("aud has a non-string member"));
            }
            if !list.iter().any(|a| a.as_str() == Some(ours)) {
                return Err(VerifyError::InvalidToken("audience mismatch"));
            }
            if list.len() > 1 {
                // Several audiences: the authorized party must be named and be the client.
                match (claims.get("azp"), claims.get("client_id")) {
                    (Some(Value::String(azp)), Some(Value::String(client))) if azp == client => {}
                    _ => {
                        return Err(VerifyError::InvalidToken(
                            "several audiences without matching azp",
                        ));
                    }
                }
            }
            Ok(())
        }
        _ => Err(VerifyError::InvalidToken("audience mismatch")),
    }
}

/// Verifies JWT access tokens with keys you hold (a JWKS document or explicit keys).
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use ims_runtime::resource_server::{JwtRules, KeySet, LocalJwtVerifier};
/// let keys = KeySet::from_jwks_json(&std::fs::read("jwks.json")?)?;
/// let verifier = LocalJwtVerifier::new(keys, JwtRules::new("https://as.example.edu", "https://api.example.edu"));
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct LocalJwtVerifier {
    keys: Arc<KeySet>,
    rules: JwtRules,
}

impl LocalJwtVerifier {
    /// A verifier over a fixed key set.
    pub fn new(keys: KeySet, rules: JwtRules) -> Self {
        Self {
            keys: Arc::new(keys),
            rules,
        }
    }

    /// Verifies synchronously (the work is pure CPU).
    pub fn verify_now(&self, token: &str) -> Result<Principal, VerifyError> {
        let parsed = parse_jwt(token, &self.rules)?;
        verify_parsed(&parsed, &self.keys, &self.rules)
    }
}

impl TokenVerifier for LocalJwtVerifier {
    fn verify<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<Principal, VerifyError>> {
        Box::pin(async move { self.verify_now(token) })
    }
}
