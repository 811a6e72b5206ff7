//! Remote JWKS rules (SECURITY-CASES JW-18, JW-19, JW-05 and CL-13 rotation) against a JWKS
//! server on loopback TLS.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use common::*;
use ims_runtime::client::{ClientError, HttpPolicy};
use ims_runtime::resource_server::{
    JwtRules, ManualClock, RemoteJwksVerifier, TokenVerifier, VerifyError,
};
use ims_runtime::tls::testing::TestServer;
use serde_json::{Value, json};

struct JwksServer {
    server: TestServer,
    doc: Arc<Mutex<Value>>,
    hits: Arc<AtomicUsize>,
}

async fn jwks_server(initial: Value) -> JwksServer {
    let doc = Arc::new(Mutex::new(initial));
    let hits = Arc::new(AtomicUsize::new(0));
    let (d, h) = (doc.clone(), hits.clone());
    let ec = ec_key("x");
    let app = Router::new()
        .route(
            "/jwks",
            get(move || {
                h.fetch_add(1, Ordering::SeqCst);
                let body = d.lock().unwrap().to_string();
                async move { ([("content-type", "application/json")], body) }
            }),
        )
        .route("/redirect", get(|| async { Redirect::temporary("/jwks") }))
        .route(
            "/big",
            get(|| async { format!("{{\"keys\":[],\"pad\":\"{}\"}}", "x".repeat(100 * 1024)) }),
        )
        .route(
            "/many",
            get(move || {
                let doc = json!({"keys": vec![ec.jwk.clone(); 51]}).to_string();
                async move { doc }
            }),
        )
        .route(
            "/stall",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(60)).await;
                "{}".into_response()
            }),
        );
    let server = TestServer::start(app).await.unwrap();
    JwksServer { server, doc, hits }
}

fn policy(s: &JwksServer) -> HttpPolicy {
    HttpPolicy::default().with_ca_pem(s.server.ca_pem().to_vec())
}

fn rules() -> JwtRules {
    JwtRules::new(ISS, AUD).with_clock(Arc::new(ManualClock::new(NOW)))
}

#[tokio::test]
async fn remote_jwks_verifies_tokens_from_its_keys() {
    let key = ec_key("k1");
    let s = jwks_server(jwks(&[&key])).await;
    let v = RemoteJwksVerifier::new(&s.server.url("/jwks"), rules(), policy(&s)).unwrap();
    v.verify(&good_token(&key, ROSTER_RO)).await.unwrap();
    v.verify(&good_token(&key, ROSTER_RO)).await.unwrap();
    assert_eq!(
        s.hits.load(Ordering::SeqCst),
        1,
        "the key set is fetched once and reused"
    );
}

#[test]
fn remote_jwks_http_url_refused() {
    let err = RemoteJwksVerifier::new("http://as.example.edu/jwks", rules(), HttpPolicy::default())
        .unwrap_err();
    assert!(matches!(err, ClientError::InsecureUrl(_)), "{err}");
    // Loopback http is refused too unless explicitly allowed.
    assert!(
        RemoteJwksVerifier::new("http://127.0.0.1:1/jwks", rules(), HttpPolicy::default()).is_err()
    );
    let allowed = HttpPolicy::default().allow_loopback_http(true);
    assert!(RemoteJwksVerifier::new("http://127.0.0.1:1/jwks", rules(), allowed.clone()).is_ok());
    assert!(RemoteJwksVerifier::new("http://as.example.edu/jwks", rules(), allowed).is_err());
    assert!(RemoteJwksVerifier::new("file:///etc/passwd", rules(), HttpPolicy::default()).is_err());
}

async fn assert_unavailable(path: &str, policy_fn: impl Fn(&JwksServer) -> HttpPolicy) {
    let key = ec_key("k1");
    let s = jwks_server(jwks(&[&key])).await;
    let v = RemoteJwksVerifier::new(&s.server.url(path), rules(), policy_fn(&s)).unwrap();
    let err = v.verify(&good_token(&key, ROSTER_RO)).await.unwrap_err();
    assert!(
        matches!(err, VerifyError::Unavailable(_)),
        "{path}: {err:?}"
    );
}

#[tokio::test]
async fn remote_jwks_redirect_not_followed() {
    assert_unavailable("/redirect", policy).await;
}

#[tokio::test]
async fn remote_jwks_oversized_document_refused() {
    assert_unavailable("/big", policy).await;
}

#[tokio::test]
async fn remote_jwks_with_too_many_keys_refused() {
    assert_unavailable("/many", policy).await;
}

#[tokio::test]
async fn remote_jwks_stall_times_out_and_fails_closed() {
    assert_unavailable("/stall", |s| {
        let mut p = policy(s);
        p.timeout = Duration::from_millis(300);
        p
    })
    .await;
}

#[tokio::test]
async fn remote_jwks_untrusted_certificate_fails_closed() {
    let key = ec_key("k1");
    let s = jwks_server(jwks(&[&key])).await;
    let other = ims_runtime::tls::dev::DevPem::generate(&["127.0.0.1"]).unwrap();
    let p = HttpPolicy::default().with_ca_pem(other.ca_cert.into_bytes());
    let v = RemoteJwksVerifier::new(&s.server.url("/jwks"), rules(), p).unwrap();
    assert!(matches!(
        v.verify(&good_token(&key, ROSTER_RO)).await,
        Err(VerifyError::Unavailable(_))
    ));
}

#[tokio::test]
async fn unknown_kid_flood_refreshes_at_most_once_per_interval() {
    let key = ec_key("k1");
    let s = jwks_server(jwks(&[&key])).await;
    let v = Arc::new(
        RemoteJwksVerifier::new(&s.server.url("/jwks"), rules(), policy(&s))
            .unwrap()
            .with_min_refresh_interval(Duration::from_secs(3600)),
    );
    v.verify(&good_token(&key, ROSTER_RO)).await.unwrap();
    let attacker = ec_key("x");
    let mut tasks = Vec::new();
    for i in 0..200 {
        let v = v.clone();
        let mut h = header(&attacker);
        h["kid"] = json!(format!("flood-{i}"));
        let t = token(&attacker, &h, &claims(ROSTER_RO));
        tasks.push(tokio::spawn(async move { v.verify(&t).await }));
    }
    for t in tasks {
        assert!(matches!(
            t.await.unwrap(),
            Err(VerifyError::InvalidToken(_))
        ));
    }
    assert!(
        s.hits.load(Ordering::SeqCst) <= 2,
        "hits: {}",
        s.hits.load(Ordering::SeqCst)
    );
}

#[tokio::test]
async fn signing_key_rotation_refetches_jwks_once() {
    let old = ec_key("old");
    let new = ec_key("new");
    let s = jwks_server(jwks(&[&old])).await;
    let v = RemoteJwksVerifier::new(&s.server.url("/jwks"), rules(), policy(&s))
        .unwrap()
        .with_min_refresh_interval(Duration::ZERO);
    v.verify(&good_token(&old, ROSTER_RO)).await.unwrap();
    *s.doc.lock().unwrap() = jwks(&[&old, &new]);
    v.verify(&good_token(&new, ROSTER_RO)).await.unwrap();
    v.verify(&good_token(&new, ROSTER_RO)).await.unwrap();
    v.verify(&good_token(&old, ROSTER_RO)).await.unwrap();
    assert_eq!(s.hits.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn jwks_endpoint_down_after_start_keeps_known_keys() {
    let key = ec_key("k1");
    let s = jwks_server(jwks(&[&key])).await;
    let url = s.server.url("/jwks");
    let v = RemoteJwksVerifier::new(&url, rules(), policy(&s))
        .unwrap()
        .with_min_refresh_interval(Duration::ZERO);
    v.verify(&good_token(&key, ROSTER_RO)).await.unwrap();
    s.server.shutdown().await;
    // Known key still verifies; an unknown kid is refused (refresh fails) without accepting.
    v.verify(&good_token(&key, ROSTER_RO)).await.unwrap();
    let other = ec_key("k2");
    assert!(v.verify(&good_token(&other, ROSTER_RO)).await.is_err());
}
