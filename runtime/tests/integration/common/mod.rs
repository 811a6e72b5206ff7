//! Shared helpers for the runtime's integration tests: signing keys, hand-built JWTs (so tests can
//! produce hostile headers), standard claims. TLS servers come from `ims_runtime::tls::testing`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{Value, json};

/// Issuer used by the tests.
pub const ISS: &str = "https://as.example.edu";
/// Audience (our resource server) used by the tests.
pub const AUD: &str = "https://api.example.edu/ims/oneroster/rostering/v1p2";
/// A fixed "now" for injectable clocks.
pub const NOW: i64 = 1_800_000_000;
/// A OneRoster scope.
pub const ROSTER_RO: &str = "https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly";
/// Another OneRoster scope.
pub const ROSTER_CREATEPUT: &str = "https://purl.imsglobal.org/spec/or/v1p2/scope/roster.createput";

/// A signing key with its public JWK.
pub struct TestKey {
    pub kid: String,
    pub alg: Algorithm,
    pub encoding: EncodingKey,
    pub jwk: Value,
    pub private_pem: String,
    pub public_pem: String,
}

fn finish(kid: &str, alg: Algorithm, key_pair: rcgen::KeyPair) -> TestKey {
    let pem = key_pair.serialize_pem();
    let encoding = match alg {
        Algorithm::ES256 | Algorithm::ES384 => EncodingKey::from_ec_pem(pem.as_bytes()).unwrap(),
        _ => EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap(),
    };
    let mut jwk =
        serde_json::to_value(jsonwebtoken::jwk::Jwk::from_encoding_key(&encoding, alg).unwrap())
            .unwrap();
    let obj = jwk.as_object_mut().unwrap();
    obj.insert("kid".into(), json!(kid));
    obj.insert("use".into(), json!("sig"));
    obj.insert("alg".into(), json!(format!("{alg:?}")));
    TestKey {
        kid: kid.to_owned(),
        alg,
        encoding,
        jwk,
        private_pem: pem,
        public_pem: key_pair.public_key_pem(),
    }
}

/// An ES256 (P-256) key.
pub fn ec_key(kid: &str) -> TestKey {
    finish(kid, Algorithm::ES256, rcgen::KeyPair::generate().unwrap())
}

/// An RS256 key of 2048 bits.
pub fn rsa_key(kid: &str) -> TestKey {
    let kp = rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
        .unwrap();
    finish(kid, Algorithm::RS256, kp)
}

/// A JWKS document holding the public JWKs of `keys`.
pub fn jwks(keys: &[&TestKey]) -> Value {
    json!({ "keys": keys.iter().map(|k| k.jwk.clone()).collect::<Vec<_>>() })
}

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Signs raw header and payload bytes with `key` under `alg`.
pub fn sign_raw(header: &[u8], payload: &[u8], key: &EncodingKey, alg: Algorithm) -> String {
    let input = format!("{}.{}", b64(header), b64(payload));
    let sig = jsonwebtoken::crypto::sign(input.as_bytes(), key, alg).unwrap();
    format!("{input}.{sig}")
}

/// The standard access-token header for `key`.
pub fn header(key: &TestKey) -> Value {
    json!({ "alg": format!("{:?}", key.alg), "typ": "at+jwt", "kid": key.kid })
}

/// Valid RFC 9068 claims at `NOW` with `scope`.
pub fn claims(scope: &str) -> Value {
    json!({
        "iss": ISS,
        "aud": AUD,
        "sub": "client-1",
        "client_id": "client-1",
        "iat": NOW - 10,
        "exp": NOW + 3600,
        "jti": uuid::Uuid::new_v4().to_string(),
        "scope": scope,
    })
}

/// A token signed by `key` with the given header and claims.
pub fn token(key: &TestKey, header: &Value, claims: &Value) -> String {
    sign_raw(
        header.to_string().as_bytes(),
        claims.to_string().as_bytes(),
        &key.encoding,
        key.alg,
    )
}

/// A valid token for `scope`.
pub fn good_token(key: &TestKey, scope: &str) -> String {
    token(key, &header(key), &claims(scope))
}
