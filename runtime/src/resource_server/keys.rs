//! Verification keys with their algorithm pinned, and JWKS parsing (RFC 7517) with caps.

use std::collections::HashMap;
use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::Value;

/// Largest JWKS document accepted (JW-18).
pub const MAX_JWKS_BYTES: usize = 64 * 1024;
/// Most keys accepted in one JWKS document (JW-18).
pub const MAX_JWKS_KEYS: usize = 50;
/// Smallest RSA modulus accepted (RFC 7518 §3.3).
pub const MIN_RSA_BITS: usize = 2048;
/// Smallest HMAC secret accepted for HS256 (RFC 7518 §3.2; JW-20).
pub const MIN_HMAC_SECRET_BYTES: usize = 32;

/// Errors building keys or parsing a JWKS document.
#[derive(Debug, thiserror::Error)]
pub enum JwksKeyError {
    /// The JWKS document is larger than [`MAX_JWKS_BYTES`].
    #[error("JWKS document exceeds {MAX_JWKS_BYTES} bytes")]
    TooLarge,
    /// The JWKS document is not `{"keys": [...]}`.
    #[error("JWKS document is not a JSON object with a `keys` array")]
    Malformed,
    /// More than [`MAX_JWKS_KEYS`] keys.
    #[error("JWKS document has more than {MAX_JWKS_KEYS} keys")]
    TooManyKeys,
    /// An HMAC secret shorter than [`MIN_HMAC_SECRET_BYTES`].
    #[error("HMAC secret has {0} bytes; at least {MIN_HMAC_SECRET_BYTES} are required")]
    WeakHmacSecret(usize),
    /// An algorithm that cannot be used with this kind of key.
    #[error("algorithm {alg:?} cannot be used with {what}")]
    AlgorithmMismatch {
        /// The algorithm.
        alg: Algorithm,
        /// What key was given.
        what: &'static str,
    },
    /// A PEM key could not be read.
    #[error("key could not be read: {0}")]
    Invalid(String),
}

/// One public key (or HMAC secret) with the single algorithm it may verify.
///
/// The algorithm is fixed when the key is created and never taken from a token, which closes
/// RS256→HS256 key confusion (JW-03).
#[derive(Clone)]
pub struct VerificationKey {
    kid: Option<String>,
    alg: Algorithm,
    key: DecodingKey,
}

impl std::fmt::Debug for VerificationKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerificationKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

fn is_hmac(alg: Algorithm) -> bool {
    matches!(alg, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512)
}

impl VerificationKey {
    /// An asymmetric public key from PEM (RSA `PUBLIC KEY`/SPKI, EC SPKI or Ed25519 SPKI), usable
    /// only with `alg`.
    pub fn from_public_pem(
        kid: Option<&str>,
        alg: Algorithm,
        pem: &[u8],
    ) -> Result<Self, JwksKeyError> {
        let key = match alg {
            Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512 => DecodingKey::from_rsa_pem(pem),
            Algorithm::ES256 | Algorithm::ES384 => DecodingKey::from_ec_pem(pem),
            Algorithm::EdDSA => DecodingKey::from_ed_pem(pem),
            other => {
                return Err(JwksKeyError::AlgorithmMismatch {
                    alg: other,
                    what: "a public key (use `hmac` for HS* secrets)",
                });
            }
        }
        .map_err(|e| JwksKeyError::Invalid(e.to_string()))?;
        Ok(Self {
            kid: kid.map(str::to_owned),
            alg,
            key,
        })
    }

    /// An HMAC secret (HS256/384/512 only; at least 32 bytes, JW-20). Prefer asymmetric keys.
    pub fn hmac(kid: Option<&str>, alg: Algorithm, secret: &[u8]) -> Result<Self, JwksKeyError> {
        if !is_hmac(alg) {
            return Err(JwksKeyError::AlgorithmMismatch {
                alg,
                what: "an HMAC secret",
            });
        }
        if secret.len() < MIN_HMAC_SECRET_BYTES {
            return Err(JwksKeyError::WeakHmacSecret(secret.len()));
        }
        Ok(Self {
            kid: kid.map(str::to_owned),
            alg,
            key: DecodingKey::from_secret(secret),
        })
    }

    /// The key id.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The pinned algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    pub(crate) fn decoding_key(&self) -> &DecodingKey {
        &self.key
    }

    /// Parses one JWK; `None` when it is unusable for signature verification (wrong `use`, private
    /// or symmetric, `kty`/`alg` mismatch, weak RSA, unknown curve or algorithm).
    fn from_jwk(jwk: &Value) -> Option<Self> {
        let obj = jwk.as_object()?;
        let s = |k: &str| obj.get(k).and_then(Value::as_str);
        if let Some(u) = obj.get("use")
            && u.as_str() != Some("sig")
        {
            return None;
        }
        if let Some(ops) = obj.get("key_ops") {
            let ops = ops.as_array()?;
            if !ops.iter().any(|o| o.as_str() == Some("verify")) {
                return None;
            }
        }
        let kid = match obj.get("kid") {
            None => None,
            Some(Value::String(k)) => Some(k.clone()),
            Some(_) => return None,
        };
        let alg = match obj.get("alg") {
            None => None,
            Some(Value::String(a)) => Some(Algorithm::from_str(a).ok()?),
            Some(_) => return None,
        };
        let (alg, key) = match s("kty")? {
            "RSA" => {
                let alg = alg.unwrap_or(Algorithm::RS256);
                if !matches!(
                    alg,
                    Algorithm::RS256
                        | Algorithm::RS384
                        | Algorithm::RS512
                        | Algorithm::PS256
                        | Algorithm::PS384
                        | Algorithm::PS512
                ) {
                    return None;
                }
                let n = s("n")?;
                let modulus = URL_SAFE_NO_PAD.decode(n).ok()?;
                let first = modulus.iter().position(|b| *b != 0)?;
                let bits = (modulus.len() - first) * 8
                    - usize::try_from(modulus[first].leading_zeros()).ok()?;
                if bits < MIN_RSA_BITS {
                    return None;
                }
                (alg, DecodingKey::from_rsa_components(n, s("e")?).ok()?)
            }
            "EC" => {
                let expected = match s("crv")? {
                    "P-256" => Algorithm::ES256,
                    "P-384" => Algorithm::ES384,
                    _ => return None,
                };
                if alg.is_some_and(|a| a != expected) {
                    return None;
                }
                (
                    expected,
                    DecodingKey::from_ec_components(s("x")?, s("y")?).ok()?,
                )
            }
            "OKP" => {
                if s("crv")? != "Ed25519" || alg.is_some_and(|a| a != Algorithm::EdDSA) {
                    return None;
                }
                (
                    Algorithm::EdDSA,
                    DecodingKey::from_ed_components(s("x")?).ok()?,
                )
            }
            // Symmetric keys are never taken from a key set; anything else is unknown.
            _ => return None,
        };
        if obj.contains_key("d") {
            // A private key published by mistake: refuse to use that set's entry.
            return None;
        }
        Some(Self { kid, alg, key })
    }
}

/// A set of verification keys, looked up by `kid`.
#[derive(Clone, Debug, Default)]
pub struct KeySet {
    by_kid: HashMap<String, VerificationKey>,
    without_kid: Vec<VerificationKey>,
}

impl KeySet {
    /// A key set from explicit keys.
    pub fn new(keys: impl IntoIterator<Item = VerificationKey>) -> Self {
        let mut set = Self::default();
        for k in keys {
            set.insert(k);
        }
        set
    }

    fn insert(&mut self, key: VerificationKey) {
        match &key.kid {
            Some(kid) => {
                self.by_kid.insert(kid.clone(), key);
            }
            None => self.without_kid.push(key),
        }
    }

    /// Parses a JWKS document (`{"keys":[...]}`), skipping unusable keys (JW-18): `use` other
    /// than `sig`, symmetric or private keys, `kty` not matching `alg`, RSA under 2048 bits.
    pub fn from_jwks_json(bytes: &[u8]) -> Result<Self, JwksKeyError> {
        if bytes.len() > MAX_JWKS_BYTES {
            return Err(JwksKeyError::TooLarge);
        }
        let doc: Value = serde_json::from_slice(bytes).map_err(|_| JwksKeyError::Malformed)?;
        let keys = doc
            .get("keys")
            .and_then(Value::as_array)
            .ok_or(JwksKeyError::Malformed)?;
        if keys.len() > MAX_JWKS_KEYS {
            return Err(JwksKeyError::TooManyKeys);
        }
        let usable: Vec<VerificationKey> =
            keys.iter().filter_map(VerificationKey::from_jwk).collect();
        if usable.len() < keys.len() {
            tracing::debug!(
                skipped = keys.len() - usable.len(),
                "JWKS: skipped keys unusable for signature verification"
            );
        }
        Ok(Self::new(usable))
    }

    /// Number of usable keys.
    pub fn len(&self) -> usize {
        self.by_kid.len() + self.without_kid.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Selects the key for a token header: by exact `kid` when present (an opaque map key, JW-06);
    /// without `kid`, the only key whose algorithm is `alg` (ambiguity is a rejection).
    pub fn select(&self, kid: Option<&str>, alg: Algorithm) -> KeyLookup<'_> {
        match kid {
            Some(kid) => match self.by_kid.get(kid) {
                Some(k) => KeyLookup::Found(k),
                None => KeyLookup::UnknownKid,
            },
            None => {
                let mut candidates = self
                    .without_kid
                    .iter()
                    .chain(self.by_kid.values())
                    .filter(|k| k.alg == alg);
                match (candidates.next(), candidates.next()) {
                    (Some(k), None) => KeyLookup::Found(k),
                    (None, _) => KeyLookup::UnknownKid,
                    (Some(_), Some(_)) => KeyLookup::Ambiguous,
                }
            }
        }
    }
}

/// The result of [`KeySet::select`].
#[derive(Debug)]
pub enum KeyLookup<'a> {
    /// The key to verify with.
    Found(&'a VerificationKey),
    /// No key has that `kid` (a remote key set may refresh once).
    UnknownKid,
    /// No `kid` and several keys could apply.
    Ambiguous,
}
