//! Signing keys: generation, persistence format, the JWKS, signing and verifying our own JWTs.
//!
//! Each key is parsed once (an aws-lc-rs key pair kept in memory) and signs every token without
//! re-parsing. Keys rotate without invalidating tokens: the previous key stays published in the
//! JWKS until every token it signed has expired.

use std::sync::Arc;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RSA_PKCS1_SHA256,
    RsaKeyPair,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Serialize;

use super::model::StoredSigningKey;
use super::secrets;

/// JWS algorithms the server can sign access tokens with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SigningAlgorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256 and a 2048-bit key: the IMS baseline, universally
    /// interoperable.
    #[default]
    RS256,
    /// ECDSA P-256 with SHA-256 (much cheaper to sign).
    ES256,
    /// Ed25519.
    EdDSA,
}

impl SigningAlgorithm {
    /// The JWS `alg` name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RS256 => "RS256",
            Self::ES256 => "ES256",
            Self::EdDSA => "EdDSA",
        }
    }

    /// Parses a JWS `alg` name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "RS256" => Some(Self::RS256),
            "ES256" => Some(Self::ES256),
            "EdDSA" => Some(Self::EdDSA),
            _ => None,
        }
    }

    fn jsonwebtoken(self) -> Algorithm {
        match self {
            Self::RS256 => Algorithm::RS256,
            Self::ES256 => Algorithm::ES256,
            Self::EdDSA => Algorithm::EdDSA,
        }
    }
}

/// Errors from key generation, loading or signing.
#[derive(Debug, thiserror::Error)]
pub enum SigningKeyError {
    /// The stored algorithm name is not one we support.
    #[error("signing key `{kid}`: unsupported algorithm `{alg}` (use RS256, ES256 or EdDSA)")]
    UnsupportedAlgorithm {
        /// Key id.
        kid: String,
        /// The algorithm found.
        alg: String,
    },
    /// The PKCS#8 document was rejected.
    #[error("signing key `{kid}`: invalid PKCS#8 private key: {detail}")]
    InvalidKey {
        /// Key id.
        kid: String,
        /// What aws-lc-rs said.
        detail: String,
    },
    /// Key generation or signing failed inside the crypto library.
    #[error("cryptographic operation failed: {0}")]
    Crypto(String),
}

enum Signer {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
    Ed(Ed25519KeyPair),
}

/// A loaded signing key.
pub(crate) struct LoadedKey {
    pub(crate) kid: String,
    pub(crate) alg: SigningAlgorithm,
    signer: Signer,
    /// base64url of `{"alg":…,"typ":"at+jwt","kid":…}`, computed once.
    header_b64: String,
    /// base64url of `{"alg":…,"typ":"JWT","kid":…}`: OpenID Connect `id_token`s (the LTI
    /// platform's launches), computed once.
    jwt_header_b64: String,
    pub(crate) jwk: serde_json::Value,
    pub(crate) decoding: DecodingKey,
    pub(crate) stored: StoredSigningKey,
}

impl LoadedKey {
    pub(crate) fn load(stored: StoredSigningKey) -> Result<Self, SigningKeyError> {
        let kid = stored.kid.clone();
        let alg = SigningAlgorithm::parse(&stored.alg).ok_or_else(|| {
            SigningKeyError::UnsupportedAlgorithm {
                kid: kid.clone(),
                alg: stored.alg.clone(),
            }
        })?;
        let invalid = |e: &dyn std::fmt::Display| SigningKeyError::InvalidKey {
            kid: kid.clone(),
            detail: e.to_string(),
        };
        let b64 = |b: &[u8]| URL_SAFE_NO_PAD.encode(b);
        let (signer, params, decoding) = match alg {
            SigningAlgorithm::RS256 => {
                let kp = RsaKeyPair::from_pkcs8(&stored.pkcs8).map_err(|e| invalid(&e))?;
                let pk = kp.public_key();
                let n = pk.modulus().big_endian_without_leading_zero().to_vec();
                let e = pk.exponent().big_endian_without_leading_zero().to_vec();
                let decoding = DecodingKey::from_rsa_raw_components(&n, &e);
                let params = serde_json::json!({"kty": "RSA", "n": b64(&n), "e": b64(&e)});
                (Signer::Rsa(kp), params, decoding)
            }
            SigningAlgorithm::ES256 => {
                let kp = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &stored.pkcs8)
                    .map_err(|e| invalid(&e))?;
                let point = kp.public_key().as_ref().to_vec();
                if point.len() != 65 || point[0] != 4 {
                    return Err(invalid(&"unexpected P-256 public key encoding"));
                }
                let (x, y) = (b64(&point[1..33]), b64(&point[33..65]));
                let decoding = DecodingKey::from_ec_components(&x, &y)
                    .map_err(|e| SigningKeyError::Crypto(e.to_string()))?;
                let params = serde_json::json!({"kty": "EC", "crv": "P-256", "x": x, "y": y});
                (Signer::Ec(kp), params, decoding)
            }
            SigningAlgorithm::EdDSA => {
                let kp = Ed25519KeyPair::from_pkcs8(&stored.pkcs8).map_err(|e| invalid(&e))?;
                let x = b64(kp.public_key().as_ref());
                let decoding = DecodingKey::from_ed_components(&x)
                    .map_err(|e| SigningKeyError::Crypto(e.to_string()))?;
                let params = serde_json::json!({"kty": "OKP", "crv": "Ed25519", "x": x});
                (Signer::Ed(kp), params, decoding)
            }
        };
        let mut jwk = params;
        if let Some(obj) = jwk.as_object_mut() {
            obj.insert("kid".into(), kid.clone().into());
            obj.insert("use".into(), "sig".into());
            obj.insert("alg".into(), alg.as_str().into());
        }
        let header = serde_json::json!({"alg": alg.as_str(), "typ": "at+jwt", "kid": kid});
        let header_b64 = b64(header.to_string().as_bytes());
        let jwt_header = serde_json::json!({"alg": alg.as_str(), "typ": "JWT", "kid": kid});
        let jwt_header_b64 = b64(jwt_header.to_string().as_bytes());
        Ok(Self {
            kid,
            alg,
            signer,
            header_b64,
            jwt_header_b64,
            jwk,
            decoding,
            stored,
        })
    }

    /// Signs `claims` as a compact JWS with this key's `at+jwt` header.
    pub(crate) fn sign<T: Serialize>(&self, claims: &T) -> Result<String, SigningKeyError> {
        self.sign_with_header(&self.header_b64, claims)
    }

    /// Signs `claims` as a compact JWS with `typ: JWT` (an OpenID Connect `id_token`).
    pub(crate) fn sign_jwt<T: Serialize>(&self, claims: &T) -> Result<String, SigningKeyError> {
        self.sign_with_header(&self.jwt_header_b64, claims)
    }

    fn sign_with_header<T: Serialize>(
        &self,
        header_b64: &str,
        claims: &T,
    ) -> Result<String, SigningKeyError> {
        let payload = serde_json::to_vec(claims)
            .map_err(|e| SigningKeyError::Crypto(format!("claims: {e}")))?;
        let mut out = String::with_capacity(header_b64.len() + payload.len() * 4 / 3 + 400);
        out.push_str(header_b64);
        out.push('.');
        URL_SAFE_NO_PAD.encode_string(&payload, &mut out);
        let sig = match &self.signer {
            Signer::Rsa(kp) => {
                let mut sig = vec![0u8; kp.public_modulus_len()];
                kp.sign(
                    &RSA_PKCS1_SHA256,
                    &SystemRandom::new(),
                    out.as_bytes(),
                    &mut sig,
                )
                .map_err(|e| SigningKeyError::Crypto(e.to_string()))?;
                sig
            }
            Signer::Ec(kp) => kp
                .sign(&SystemRandom::new(), out.as_bytes())
                .map_err(|e| SigningKeyError::Crypto(e.to_string()))?
                .as_ref()
                .to_vec(),
            Signer::Ed(kp) => kp.sign(out.as_bytes()).as_ref().to_vec(),
        };
        out.push('.');
        URL_SAFE_NO_PAD.encode_string(&sig, &mut out);
        Ok(out)
    }

    pub(crate) fn jsonwebtoken_alg(&self) -> Algorithm {
        self.alg.jsonwebtoken()
    }
}

/// Generates a new key (RSA 2048, P-256 or Ed25519) as a [`StoredSigningKey`].
pub fn generate(alg: SigningAlgorithm, now: u64) -> Result<StoredSigningKey, SigningKeyError> {
    let crypto = |e: &dyn std::fmt::Display| SigningKeyError::Crypto(e.to_string());
    let pkcs8 = match alg {
        SigningAlgorithm::RS256 => {
            let kp =
                RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).map_err(|e| crypto(&e))?;
            let der: aws_lc_rs::encoding::Pkcs8V1Der<'static> =
                kp.as_der().map_err(|e| crypto(&e))?;
            der.as_ref().to_vec()
        }
        SigningAlgorithm::ES256 => {
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
                .map_err(|e| crypto(&e))?
                .as_ref()
                .to_vec()
        }
        SigningAlgorithm::EdDSA => Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
            .map_err(|e| crypto(&e))?
            .as_ref()
            .to_vec(),
    };
    Ok(StoredSigningKey {
        kid: secrets::random_id(),
        alg: alg.as_str().to_owned(),
        pkcs8,
        created_at: now,
        activated_at: None,
        retire_at: None,
    })
}

/// The set of keys in use: one active signer plus every key still published.
pub(crate) struct KeyRing {
    pub(crate) active: Arc<LoadedKey>,
    pub(crate) published: Vec<Arc<LoadedKey>>,
}

impl KeyRing {
    /// Builds the ring from stored keys: the most recently activated, unretired key signs; every
    /// key not yet past `retire_at` is published.
    pub(crate) fn from_stored(
        keys: Vec<StoredSigningKey>,
        now: u64,
    ) -> Result<Option<Self>, SigningKeyError> {
        let mut published = Vec::new();
        for k in keys {
            if k.retire_at.is_some_and(|t| t <= now) {
                continue;
            }
            published.push(Arc::new(LoadedKey::load(k)?));
        }
        let active = published
            .iter()
            .filter(|k| k.stored.activated_at.is_some() && k.stored.retire_at.is_none())
            .max_by_key(|k| k.stored.activated_at)
            .cloned();
        Ok(active.map(|active| Self { active, published }))
    }

    pub(crate) fn find(&self, kid: &str) -> Option<&Arc<LoadedKey>> {
        self.published.iter().find(|k| k.kid == kid)
    }

    pub(crate) fn jwks(&self) -> serde_json::Value {
        serde_json::json!({ "keys": self.published.iter().map(|k| k.jwk.clone()).collect::<Vec<_>>() })
    }
}
