//! Random values, secret hashing and PKCE.
//!
//! Client secrets, codes, refresh tokens and registration access tokens are 256-bit random
//! values generated here. For such high-entropy values a single SHA-256 is an appropriate
//! at-rest hash: there is nothing to brute-force, so a slow password hash would only cost
//! throughput on the token hot path. Comparisons are constant-time. Human passwords (the
//! built-in login) use PBKDF2 instead, see [`super::owner`].

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// 32 random bytes (from the OS-seeded CSPRNG), base64url without padding (43 characters).
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// 16 random bytes, base64url (identifiers such as `jti`, grant ids and client ids).
pub fn random_id() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Hex SHA-256 of a high-entropy secret, as stored.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Constant-time check of `presented` against a stored [`hash_secret`] value.
pub fn verify_secret(presented: &str, stored_hash: &str) -> bool {
    let h = hash_secret(presented);
    bool::from(h.as_bytes().ct_eq(stored_hash.as_bytes()))
}

/// Constant-time equality of two strings.
pub fn ct_eq(a: &str, b: &str) -> bool {
    bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// Whether `v` matches the RFC 7636 ABNF shared by `code_verifier` and `code_challenge`:
/// 43–128 characters from `[A-Za-z0-9-._~]`.
pub fn is_pkce_value(v: &str) -> bool {
    (43..=128).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// `BASE64URL(SHA256(ASCII(verifier)))` (RFC 7636 §4.2, S256).
pub fn s256_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Current time in epoch seconds.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s256_matches_rfc7636_appendix_b() {
        assert_eq!(
            s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn secrets_verify_only_when_equal() {
        let s = random_token();
        assert_eq!(s.len(), 43);
        assert!(verify_secret(&s, &hash_secret(&s)));
        assert!(!verify_secret("x", &hash_secret(&s)));
    }

    #[test]
    fn pkce_abnf_is_enforced() {
        assert!(is_pkce_value(&"a".repeat(43)));
        assert!(!is_pkce_value(&"a".repeat(42)));
        assert!(!is_pkce_value(&"a".repeat(129)));
        assert!(!is_pkce_value(&format!("{}+", "a".repeat(43))));
    }
}
