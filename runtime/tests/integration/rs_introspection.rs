//! RFC 7662 introspection verifier rules (RS-10, RS-11 and the introspection side of RS-08/13)
//! against an introspection endpoint on loopback TLS.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::Form;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use common::*;
use ims_runtime::client::{ClientSecret, HttpPolicy, basic_authorization};
use ims_runtime::resource_server::{
    AuthLayer, IntrospectionVerifier, ManualClock, TokenVerifier, VerifyError,
};
use ims_runtime::tls::testing::TestServer;
use serde_json::json;

const CLIENT_ID: &str = "rs:oneroster";
const SECRET: &str = "p@ss word%+";

async fn introspection_server(hits: Arc<AtomicUsize>, status: u16, delay: Duration) -> TestServer {
    let expected = basic_authorization(CLIENT_ID, &ClientSecret::new(SECRET));
    let app = Router::new().route(
        "/introspect",
        post(move |headers: HeaderMap, Form(form): Form<Vec<(String, String)>>| {
            hits.fetch_add(1, Ordering::SeqCst);
            let expected = expected.clone();
            async move {
                tokio::time::sleep(delay).await;
                if headers.get("authorization").map(|v| v.to_str().unwrap()) != Some(expected.as_str()) {
                    return (axum::http::StatusCode::UNAUTHORIZED, axum::Json(json!({"error": "invalid_client"})));
                }
                let token = form.iter().find(|(k, _)| k == "token").map(|(_, v)| v.clone()).unwrap_or_default();
                let exp = NOW + 3600;
                let body = match token.as_str() {
                    "active" => json!({"active": true, "scope": ROSTER_RO, "client_id": "c1", "sub": "c1", "exp": exp, "iss": ISS, "aud": AUD, "jti": "j1"}),
                    "short" => json!({"active": true, "scope": ROSTER_RO, "client_id": "c1", "sub": "c1", "exp": NOW + 10, "iss": ISS}),
                    "other-aud" => json!({"active": true, "scope": ROSTER_RO, "client_id": "c1", "exp": exp, "aud": "https://other"}),
                    "other-iss" => json!({"active": true, "scope": ROSTER_RO, "client_id": "c1", "exp": exp, "iss": "https://evil"}),
                    "refresh" => json!({"active": true, "token_type": "refresh_token", "client_id": "c1", "exp": exp}),
                    _ => json!({"active": false}),
                };
                (axum::http::StatusCode::from_u16(status).unwrap(), axum::Json(body))
            }
        }),
    );
    TestServer::start(app).await.unwrap()
}

fn verifier(server: &TestServer, clock: Arc<ManualClock>) -> IntrospectionVerifier {
    IntrospectionVerifier::new(
        &server.url("/introspect"),
        CLIENT_ID,
        ClientSecret::new(SECRET),
        AUD,
        HttpPolicy::default().with_ca_pem(server.ca_pem().to_vec()),
    )
    .unwrap()
    .with_issuer(ISS)
    .with_clock(clock)
}

#[tokio::test]
async fn active_token_accepted_and_answer_cached() {
    let hits = Arc::new(AtomicUsize::new(0));
    let server = introspection_server(hits.clone(), 200, Duration::ZERO).await;
    let v = verifier(&server, Arc::new(ManualClock::new(NOW)));
    let p = v.verify("active").await.unwrap();
    assert_eq!(p.scopes, vec![ROSTER_RO.to_owned()]);
    assert_eq!(p.jti.as_deref(), Some("j1"));
    v.verify("active").await.unwrap();
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn inactive_wrong_audience_issuer_or_refresh_token_rejected() {
    let hits = Arc::new(AtomicUsize::new(0));
    let server = introspection_server(hits, 200, Duration::ZERO).await;
    let v = verifier(&server, Arc::new(ManualClock::new(NOW)));
    for t in ["garbage", "other-aud", "other-iss", "refresh"] {
        assert!(
            matches!(v.verify(t).await, Err(VerifyError::InvalidToken(_))),
            "{t}"
        );
    }
}

#[tokio::test]
async fn cached_introspection_not_used_after_exp() {
    let hits = Arc::new(AtomicUsize::new(0));
    let server = introspection_server(hits, 200, Duration::ZERO).await;
    let clock = Arc::new(ManualClock::new(NOW));
    let v = verifier(&server, clock.clone());
    v.verify("short").await.unwrap();
    clock.set(NOW + 11);
    assert!(v.verify("short").await.is_err());
}

#[tokio::test]
async fn introspection_endpoint_down_fails_closed_with_503() {
    let hits = Arc::new(AtomicUsize::new(0));
    let server = introspection_server(hits, 200, Duration::ZERO).await;
    let v = verifier(&server, Arc::new(ManualClock::new(NOW)));
    server.shutdown().await;
    assert!(matches!(
        v.verify("active").await,
        Err(VerifyError::Unavailable(_))
    ));

    // Through the layer: 503, never 200.
    let app = Router::new()
        .route("/x", get(|| async { "served" }))
        .layer(AuthLayer::new(Arc::new(v), "oneroster"));
    let rs = TestServer::start(app).await.unwrap();
    let res = rs
        .client()
        .get(rs.url("/x"))
        .bearer_auth("active")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 503);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["imsx_codeMajor"], "failure");
}

#[tokio::test]
async fn introspection_error_status_fails_closed() {
    let hits = Arc::new(AtomicUsize::new(0));
    let server = introspection_server(hits, 500, Duration::ZERO).await;
    let v = verifier(&server, Arc::new(ManualClock::new(NOW)));
    assert!(matches!(
        v.verify("active").await,
        Err(VerifyError::Unavailable(_))
    ));
}

#[tokio::test]
async fn slow_introspection_times_out_and_fails_closed() {
    let hits = Arc::new(AtomicUsize::new(0));
    let server = introspection_server(hits, 200, Duration::from_secs(60)).await;
    let mut policy = HttpPolicy::default().with_ca_pem(server.ca_pem().to_vec());
    policy.timeout = Duration::from_millis(300);
    let v = IntrospectionVerifier::new(
        &server.url("/introspect"),
        CLIENT_ID,
        ClientSecret::new(SECRET),
        AUD,
        policy,
    )
    .unwrap();
    assert!(matches!(
        v.verify("active").await,
        Err(VerifyError::Unavailable(_))
    ));
}

#[tokio::test]
async fn introspection_client_credentials_are_form_urlencoded_in_basic() {
    // The server compares the exact header; special characters in id and secret must survive.
    let hits = Arc::new(AtomicUsize::new(0));
    let server = introspection_server(hits, 200, Duration::ZERO).await;
    let wrong = IntrospectionVerifier::new(
        &server.url("/introspect"),
        CLIENT_ID,
        ClientSecret::new("wrong"),
        AUD,
        HttpPolicy::default().with_ca_pem(server.ca_pem().to_vec()),
    )
    .unwrap();
    // A 401 from the endpoint is an outage of verification, not an acceptance.
    assert!(matches!(
        wrong.verify("active").await,
        Err(VerifyError::Unavailable(_))
    ));
    let right = verifier(&server, Arc::new(ManualClock::new(NOW)));
    right.verify("active").await.unwrap();
}
