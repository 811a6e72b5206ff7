//! The tool's own signing keys: they sign deep-linking responses and client assertions, and
//! their public halves are the tool's JWKS (1EdTech Security Framework 1.1 §6, key management: keys by `kid`, published as a JWKS).
//!
//! Rotation without breaking anything in flight: [`ToolKeys::rotate`] makes a new key the
//! signer while the previous ones stay published until [`ToolKeys::retire`] removes them
//! (after the platform's JWKS cache and every token they signed have expired).

use std::sync::{Arc, RwLock};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;
use serde_json::{Value, json};

/// A tool key that cannot be made or used.
#[derive(Debug, thiserror::Error)]
pub enum ToolKeyError {
    /// Only RS256 and ES256 keys are made and loaded (RS256 is what every platform accepts).
    #[error("tool key `{kid}`: algorithm {alg:?} is not supported (use RS256 or ES256)")]
    UnsupportedAlgorithm {
        /// The key id.
        kid: String,
        /// The algorithm asked for.
        alg: Algorithm,
    },
    /// The PEM could not be read or its public key derived.
    #[error("tool key `{kid}`: {detail}")]
    Invalid {
        /// The key id.
        kid: String,
        /// What failed.
        detail: String,
    },
    /// Signing failed.
    #[error("signing with tool key `{kid}` failed: {detail}")]
    Signing {
        /// The key id.
        kid: String,
        /// What the crypto library said.
        detail: String,
    },
    /// A key id is already in the set, or retiring would leave no signer.
    #[error("tool keys: {0}")]
    Set(&'static str),
}

/// One signing key with its `kid` and public JWK.
#[derive(Clone)]
pub struct ToolKey {
    kid: String,
    alg: Algorithm,
    encoding: EncodingKey,
    jwk: Value,
    private_pem: String,
}

impl std::fmt::Debug for ToolKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToolKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

impl ToolKey {
    /// A new key (RSA 2048 for RS256, P-256 for ES256) with a random `kid`.
    pub fn generate(alg: Algorithm) -> Result<Self, ToolKeyError> {
        let kid = crate::authorization_server::secrets::random_id();
        let failed = |e: rcgen::Error| ToolKeyError::Invalid {
            kid: kid.clone(),
            detail: e.to_string(),
        };
        let pair = match alg {
            Algorithm::RS256 => {
                rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
                    .map_err(failed)?
            }
            Algorithm::ES256 => {
                rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(failed)?
            }
            other => {
                return Err(ToolKeyError::UnsupportedAlgorithm { kid, alg: other });
            }
        };
        Self::from_pkcs8_pem(&kid, alg, &pair.serialize_pem())
    }

    /// A key from a PKCS#8 PEM private key (`-----BEGIN PRIVATE KEY-----`).
    pub fn from_pkcs8_pem(kid: &str, alg: Algorithm, pem: &str) -> Result<Self, ToolKeyError> {
        let invalid = |detail: String| ToolKeyError::Invalid {
            kid: kid.to_owned(),
            detail,
        };
        let encoding = match alg {
            Algorithm::RS256 => EncodingKey::from_rsa_pem(pem.as_bytes()),
            Algorithm::ES256 => EncodingKey::from_ec_pem(pem.as_bytes()),
            other => {
                return Err(ToolKeyError::UnsupportedAlgorithm {
                    kid: kid.to_owned(),
                    alg: other,
                });
            }
        }
        .map_err(|e| invalid(format!("not a PKCS#8 PEM private key: {e}")))?;
        let jwk = jsonwebtoken::jwk::Jwk::from_encoding_key(&encoding, alg)
            .map_err(|e| invalid(format!("public key: {e}")))?;
        let mut jwk = serde_json::to_value(jwk).map_err(|e| invalid(e.to_string()))?;
        if let Some(obj) = jwk.as_object_mut() {
            obj.insert("kid".into(), json!(kid));
            obj.insert("use".into(), json!("sig"));
            obj.insert("alg".into(), json!(format!("{alg:?}")));
        }
        Ok(Self {
            kid: kid.to_owned(),
            alg,
            encoding,
            jwk,
            private_pem: pem.to_owned(),
        })
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The public JWK (with `kid`, `use: sig`, `alg`).
    pub fn public_jwk(&self) -> &Value {
        &self.jwk
    }

    /// The PKCS#8 PEM, for persisting the key. Keep it secret.
    pub fn private_pem(&self) -> &str {
        &self.private_pem
    }

    /// The key as a client-assertion signer for the runtime's token sources.
    pub fn assertion_key(&self) -> crate::client::JwtAssertionKey {
        crate::client::JwtAssertionKey {
            key: self.encoding.clone(),
            alg: self.alg,
            kid: self.kid.clone(),
        }
    }

    /// Signs `claims` as a compact JWS with `{"alg", "typ": "JWT", "kid"}`.
    pub fn sign<T: Serialize>(&self, claims: &T) -> Result<String, ToolKeyError> {
        let mut header = Header::new(self.alg);
        header.typ = Some("JWT".into());
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding).map_err(|e| ToolKeyError::Signing {
            kid: self.kid.clone(),
            detail: e.to_string(),
        })
    }
}

struct Ring {
    active: Arc<ToolKey>,
    published: Vec<Arc<ToolKey>>,
}

/// The tool's key set: one active signer and every key still published.
pub struct ToolKeys {
    ring: RwLock<Ring>,
}

impl std::fmt::Debug for ToolKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ring = self.ring.read().unwrap_or_else(|p| p.into_inner());
        f.debug_struct("ToolKeys")
            .field("active", &ring.active.kid)
            .field(
                "published",
                &ring
                    .published
                    .iter()
                    .map(|k| k.kid.as_str())
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl ToolKeys {
    /// A set whose only key is `active`.
    pub fn new(active: ToolKey) -> Self {
        let active = Arc::new(active);
        Self {
            ring: RwLock::new(Ring {
                published: vec![Arc::clone(&active)],
                active,
            }),
        }
    }

    /// The key that signs now.
    pub fn active(&self) -> Arc<ToolKey> {
        Arc::clone(&self.ring.read().unwrap_or_else(|p| p.into_inner()).active)
    }

    /// Makes `next` the signer; the previous keys stay published.
    pub fn rotate(&self, next: ToolKey) -> Result<(), ToolKeyError> {
        let mut ring = self.ring.write().unwrap_or_else(|p| p.into_inner());
        if ring.published.iter().any(|k| k.kid == next.kid) {
            return Err(ToolKeyError::Set(
                "a key with this kid is already published",
            ));
        }
        let next = Arc::new(next);
        ring.published.push(Arc::clone(&next));
        ring.active = next;
        Ok(())
    }

    /// Stops publishing `kid` (never the active key).
    pub fn retire(&self, kid: &str) -> Result<(), ToolKeyError> {
        let mut ring = self.ring.write().unwrap_or_else(|p| p.into_inner());
        if ring.active.kid == kid {
            return Err(ToolKeyError::Set("the active key cannot be retired"));
        }
        ring.published.retain(|k| k.kid != kid);
        Ok(())
    }

    /// Every published key (for persisting the set).
    pub fn published(&self) -> Vec<Arc<ToolKey>> {
        self.ring
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .published
            .clone()
    }

    /// The public JWKS document (`{"keys": [...]}`) served at the tool's `jwks_uri`.
    pub fn jwks(&self) -> Value {
        let ring = self.ring.read().unwrap_or_else(|p| p.into_inner());
        json!({ "keys": ring.published.iter().map(|k| k.jwk.clone()).collect::<Vec<_>>() })
    }
}

impl crate::client::AssertionSigningKeys for ToolKeys {
    fn current_assertion_key(&self) -> crate::client::JwtAssertionKey {
        self.active().assertion_key()
    }
}
