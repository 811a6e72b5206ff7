//! VC-JWT credentials (OB 3.0 §8.2): a compact JWS whose protected header carries the signer's
//! public key as `jwk`, verified with that key. The generated `upsertCredential` handler hands a
//! `text/plain` body to the service as `UpsertCredentialBody::Text` after the token and scope
//! checks, so a request without a valid token gets 401/403, never a signature verdict.

use std::collections::HashSet;

use jsonwebtoken::jwk::{AlgorithmParameters, Jwk};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::Value;

/// Why a compact JWS was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwsError {
    /// Not three base64url parts, or a header that does not parse.
    #[error("not a compact JWS: {0}")]
    Malformed(String),
    /// The header has no `jwk`.
    #[error("the JWS header carries no `jwk` to verify it with")]
    NoJwk,
    /// `alg` is symmetric or `none`, or the key does not fit it.
    #[error("the JWS algorithm `{0}` is not accepted (asymmetric keys only)")]
    Algorithm(String),
    /// The signature does not verify with the `jwk`.
    #[error("the JWS signature does not verify with the key in its `jwk` header")]
    Signature,
    /// The payload is not a credential.
    #[error("the JWS payload is not a credential: {0}")]
    Payload(String),
}

/// Verifies `jws` with the key in its `jwk` header and returns the credential it carries: the
/// payload's `vc` claim (VC-JWT of VC 1.1) or the payload itself (VC 2.0 JOSE).
pub fn verify_compact_jws(jws: &str) -> Result<Value, JwsError> {
    let header =
        jsonwebtoken::decode_header(jws).map_err(|e| JwsError::Malformed(e.to_string()))?;
    let jwk = header.jwk.as_ref().ok_or(JwsError::NoJwk)?;
    // A symmetric key in the header would let anyone sign: only public-key algorithms count.
    let fits = matches!(
        (&jwk.algorithm, header.alg),
        (
            AlgorithmParameters::RSA(_),
            Algorithm::RS256
                | Algorithm::RS384
                | Algorithm::RS512
                | Algorithm::PS256
                | Algorithm::PS384
                | Algorithm::PS512
        ) | (
            AlgorithmParameters::EllipticCurve(_),
            Algorithm::ES256 | Algorithm::ES384
        ) | (AlgorithmParameters::OctetKeyPair(_), Algorithm::EdDSA)
    );
    if !fits {
        return Err(JwsError::Algorithm(format!("{:?}", header.alg)));
    }
    let key = DecodingKey::from_jwk(jwk).map_err(|e| JwsError::Malformed(e.to_string()))?;
    let mut validation = Validation::new(header.alg);
    // A credential's validity is its own business (validFrom/validUntil); the JWS only proves
    // who signed it.
    validation.required_spec_claims = HashSet::new();
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    let data =
        jsonwebtoken::decode::<Value>(jws, &key, &validation).map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::InvalidSignature => JwsError::Signature,
            _ => JwsError::Malformed(e.to_string()),
        })?;
    let payload = data.claims;
    let credential = match payload.get("vc") {
        Some(vc) if vc.is_object() => vc.clone(),
        _ => payload,
    };
    if !credential.is_object() {
        return Err(JwsError::Payload("not a JSON object".into()));
    }
    Ok(credential)
}

/// A fresh Ed25519 signer for VC-JWT credentials (the demo consumer and tests sign with it).
pub struct VcJwtSigner {
    key: EncodingKey,
    jwk: Jwk,
}

impl std::fmt::Debug for VcJwtSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VcJwtSigner").finish_non_exhaustive()
    }
}

impl VcJwtSigner {
    /// A new random Ed25519 key.
    pub fn generate() -> Result<Self, JwsError> {
        // PKCS#8 v1: `Jwk::from_encoding_key` recognises an Ed25519 key by the v1 length.
        let pkcs8 = aws_lc_rs::signature::Ed25519KeyPair::generate_pkcs8v1(
            &aws_lc_rs::rand::SystemRandom::new(),
        )
        .map_err(|e| JwsError::Malformed(format!("cannot generate a key: {e}")))?;
        let key = EncodingKey::from_ed_der(pkcs8.as_ref());
        let jwk = Jwk::from_encoding_key(&key, Algorithm::EdDSA)
            .map_err(|e| JwsError::Malformed(e.to_string()))?;
        Ok(Self { key, jwk })
    }

    /// `credential` as a VC-JWT: `{"vc": credential, "iss": …, "jti": …}` signed with EdDSA,
    /// the public key in the header's `jwk`.
    pub fn sign(&self, credential: &Value) -> Result<String, JwsError> {
        let mut header = Header::new(Algorithm::EdDSA);
        header.jwk = Some(self.jwk.clone());
        let issuer = match credential.get("issuer") {
            Some(Value::String(s)) => Value::String(s.clone()),
            Some(other) => other.get("id").cloned().unwrap_or(Value::Null),
            None => Value::Null,
        };
        let claims = serde_json::json!({
            "vc": credential,
            "iss": issuer,
            "jti": credential.get("id").cloned().unwrap_or(Value::Null),
        });
        jsonwebtoken::encode(&header, &claims, &self.key)
            .map_err(|e| JwsError::Malformed(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn credential() -> Value {
        serde_json::json!({"id": "https://example.org/c/1", "issuer": "https://example.org/i", "name": "x"})
    }

    #[test]
    fn a_signed_credential_verifies_with_its_header_key() {
        let signer = VcJwtSigner::generate().unwrap();
        let jws = signer.sign(&credential()).unwrap();
        assert_eq!(verify_compact_jws(&jws).unwrap(), credential());
    }

    #[test]
    fn a_changed_payload_fails_the_signature() {
        let signer = VcJwtSigner::generate().unwrap();
        let jws = signer.sign(&credential()).unwrap();
        let other = signer
            .sign(&serde_json::json!({"id": "https://example.org/c/2", "issuer": "https://example.org/i"}))
            .unwrap();
        let parts: Vec<&str> = jws.split('.').collect();
        let other_parts: Vec<&str> = other.split('.').collect();
        let forged = format!("{}.{}.{}", parts[0], other_parts[1], parts[2]);
        assert_eq!(verify_compact_jws(&forged), Err(JwsError::Signature));
    }

    #[test]
    fn a_symmetric_key_in_the_header_is_refused() {
        let mut header = Header::new(Algorithm::HS256);
        header.jwk = Some(
            serde_json::from_value(serde_json::json!({"kty": "oct", "k": "c2VjcmV0"})).unwrap(),
        );
        let jws =
            jsonwebtoken::encode(&header, &credential(), &EncodingKey::from_secret(b"secret"))
                .unwrap();
        assert!(matches!(
            verify_compact_jws(&jws),
            Err(JwsError::Algorithm(_))
        ));
    }

    #[test]
    fn no_jwk_is_refused() {
        let jws = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &credential(),
            &EncodingKey::from_secret(b"secret"),
        )
        .unwrap();
        assert_eq!(verify_compact_jws(&jws), Err(JwsError::NoJwk));
    }
}
