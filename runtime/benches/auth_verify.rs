//! Cost of verifying one access token, with and without the verified-token cache.
//!
//! Run: `cargo bench -p ims-runtime --bench auth_verify`

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::{Criterion, criterion_group, criterion_main};
use ims_runtime::resource_server::{
    Algorithm, CachingVerifier, JwtRules, KeySet, LocalJwtVerifier, TokenVerifier,
};
use jsonwebtoken::EncodingKey;
use serde_json::json;

const ISS: &str = "https://as.example.edu";
const AUD: &str = "https://api.example.edu";

fn key_and_token(alg: Algorithm) -> (KeySet, String) {
    let kp = match alg {
        Algorithm::RS256 => {
            rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
                .unwrap()
        }
        _ => rcgen::KeyPair::generate().unwrap(),
    };
    let pem = kp.serialize_pem();
    let enc = match alg {
        Algorithm::RS256 => EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap(),
        _ => EncodingKey::from_ec_pem(pem.as_bytes()).unwrap(),
    };
    let mut jwk =
        serde_json::to_value(jsonwebtoken::jwk::Jwk::from_encoding_key(&enc, alg).unwrap())
            .unwrap();
    jwk["kid"] = json!("k");
    jwk["alg"] = json!(format!("{alg:?}"));
    let set = KeySet::from_jwks_json(json!({"keys": [jwk]}).to_string().as_bytes()).unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let header = json!({"alg": format!("{alg:?}"), "typ": "at+jwt", "kid": "k"});
    let claims = json!({"iss": ISS, "aud": AUD, "sub": "c", "client_id": "c", "iat": now,
        "exp": now + 3600, "jti": "j", "scope": "https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly"});
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let sig = jsonwebtoken::crypto::sign(input.as_bytes(), &enc, alg).unwrap();
    (set, format!("{input}.{sig}"))
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    for alg in [Algorithm::ES256, Algorithm::RS256] {
        let (set, token) = key_and_token(alg);
        let local = LocalJwtVerifier::new(set, JwtRules::new(ISS, AUD));
        c.bench_function(&format!("verify_{alg:?}_uncached"), |b| {
            b.iter(|| local.verify_now(std::hint::black_box(&token)).unwrap())
        });
        let cached = Arc::new(CachingVerifier::new(local.clone()));
        rt.block_on(cached.verify(&token)).unwrap();
        c.bench_function(&format!("verify_{alg:?}_cached"), |b| {
            b.iter(|| {
                rt.block_on(cached.verify(std::hint::black_box(&token)))
                    .unwrap()
            })
        });
    }
}

struct Read;
impl ims_runtime::resource_server::ScopeRequirementProvider for Read {
    const ANY_OF: &'static [&'static [&'static str]] =
        &[&["https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly"]];
}

/// The whole server-side stack for one request, in process (no network): a plain route against
/// the same route behind `AuthLayer` + `CachingVerifier` + `Scoped`.
fn bench_router(c: &mut Criterion) {
    use axum::Router;
    use axum::routing::get;
    use ims_runtime::resource_server::{AuthLayer, Scoped};
    use tower::ServiceExt;

    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let (set, token) = key_and_token(Algorithm::ES256);
    let plain: Router = Router::new().route("/users", get(|| async { "[]" }));
    let verifier = CachingVerifier::new(LocalJwtVerifier::new(set, JwtRules::new(ISS, AUD)));
    let protected: Router = Router::new()
        .route("/users", get(|_s: Scoped<Read>| async { "[]" }))
        .layer(AuthLayer::new(Arc::new(verifier), "bench"));
    let auth = format!("Bearer {token}");
    let request = || {
        http::Request::get("/users")
            .header("authorization", &auth)
            .body(axum::body::Body::empty())
            .unwrap()
    };
    for (name, app) in [("router_plain", plain), ("router_auth_cached", protected)] {
        let first = rt.block_on(app.clone().oneshot(request())).unwrap();
        assert_eq!(first.status(), 200);
        c.bench_function(name, |b| {
            b.iter(|| rt.block_on(app.clone().oneshot(request())).unwrap())
        });
    }
}

criterion_group!(benches, bench, bench_router);
criterion_main!(benches);
