//! A local JWT verifier with a known HS256 key, so a target can both send arbitrary bytes as a
//! token and sign arbitrary header/payload JSON to reach the claim checks behind the signature.

use std::sync::{Arc, OnceLock};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ims_runtime::resource_server::{
    Algorithm, JwtRules, KeySet, LocalJwtVerifier, ManualClock, Principal, VerificationKey,
};

/// `iss` a valid token carries.
pub const ISSUER: &str = "https://as.fuzz.example";
/// The resource server's audience.
pub const AUDIENCE: &str = "https://api.fuzz.example";
/// The verifier's clock (fixed, so a run is reproducible): 2026-01-01T00:00:00Z.
pub const NOW: i64 = 1_767_225_600;
const KID: &str = "fuzz-hs256";
const SECRET: &[u8] = b"fuzzing-only-hmac-secret-0123456789abcdef";

/// The process's verifier (HS256 allowed, key `fuzz-hs256`, fixed clock).
pub fn verifier() -> &'static LocalJwtVerifier {
    static VERIFIER: OnceLock<LocalJwtVerifier> = OnceLock::new();
    VERIFIER.get_or_init(|| {
        let key = match VerificationKey::hmac(Some(KID), Algorithm::HS256, SECRET) {
            Ok(k) => k,
            Err(e) => panic!("the fuzz harness's HMAC key is refused: {e}"),
        };
        let rules = JwtRules::new(ISSUER, AUDIENCE)
            .with_algorithms([Algorithm::HS256])
            .with_clock(Arc::new(ManualClock::new(NOW)));
        LocalJwtVerifier::new(KeySet::new([key]), rules)
    })
}

/// `header` and `payload` (any bytes) as a compact JWS signed with the harness key.
pub fn sign(header: &[u8], payload: &[u8]) -> String {
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let key = jsonwebtoken::EncodingKey::from_secret(SECRET);
    match jsonwebtoken::crypto::sign(signing_input.as_bytes(), &key, Algorithm::HS256) {
        Ok(signature) => format!("{signing_input}.{signature}"),
        Err(e) => panic!("HS256 signing failed: {e}"),
    }
}

/// What an accepted token must satisfy whatever its bytes: the rules the verifier promises.
pub fn check_accepted(principal: &Principal) {
    let claims = &principal.claims;
    assert_eq!(claims.get("iss").and_then(|v| v.as_str()), Some(ISSUER));
    let aud_ok = match claims.get("aud") {
        Some(serde_json::Value::String(a)) => a == AUDIENCE,
        Some(serde_json::Value::Array(list)) => list.iter().any(|a| a == AUDIENCE),
        _ => false,
    };
    assert!(aud_ok, "accepted a token for another audience: {claims:?}");
    assert!(
        principal.exp + 60 > NOW,
        "accepted an expired token: {claims:?}"
    );
    assert!(principal.jti.is_some(), "accepted a token without jti");
    assert!(
        principal
            .scopes
            .iter()
            .all(|s| !s.is_empty() && !s.contains(' '))
    );
}
