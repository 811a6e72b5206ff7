//! `RegistrationClient` (RFC 7591 as OB 3.0 / CLR 2.0 profile it, RFC 7592) against the embedded
//! authorization server over TLS, and against a fake endpoint for broken responses.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use ims_runtime::client::{
    ClientError, RegistrationClient, RegistrationError, SqliteUserTokenStore, UserTokenStore,
};
use ims_runtime::tls::testing::TestServer;
use serde_json::{Value, json};

use crate::client_authorization_code_support::{
    CRED_RO, PROFILE_RO, Provider, REDIRECT, SCOPES, metadata, sqlite_store,
};

fn all_scopes() -> Vec<String> {
    SCOPES.map(str::to_owned).to_vec()
}

#[tokio::test]
async fn registration_is_201_with_the_four_fields_and_management_data_and_survives_a_restart() {
    let p = Provider::start().await;
    let (found, reg) = p.register().await;
    assert_eq!(
        found.registration_url().unwrap().as_str(),
        p.url("/register")
    );
    assert!(!reg.client_id.is_empty());
    assert!(reg.client_secret.expose().len() >= 32);
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    assert!((now - 60..=now + 1).contains(&reg.client_id_issued_at));
    assert_eq!(reg.client_secret_expires_at, 0);
    assert!(reg.registration_access_token.is_some());
    assert_eq!(
        reg.registration_client_uri.as_deref(),
        Some(format!("{}/register/{}", p.issuer, reg.client_id).as_str())
    );
    assert_eq!(reg.scopes, all_scopes());
    assert_eq!(reg.redirect_uris, vec![REDIRECT.to_owned()]);
    assert_eq!(reg.response["client_name"], "Example Wallet");

    let (_dir, path) = sqlite_store();
    SqliteUserTokenStore::open(&path)
        .unwrap()
        .save_registration("host", &reg)
        .unwrap();
    let reopened = SqliteUserTokenStore::open(&path).unwrap();
    assert_eq!(reopened.registration("host").unwrap(), Some(reg.clone()));
    reopened.delete_registration("host").unwrap();
    assert_eq!(reopened.registration("host").unwrap(), None);
}

#[tokio::test]
async fn a_narrower_granted_scope_is_kept() {
    let p =
        Provider::start_configured(|b| b.registration_scopes([CRED_RO, PROFILE_RO]), |d| d).await;
    let (_, reg) = p.register().await;
    assert_eq!(reg.scopes, vec![CRED_RO.to_owned(), PROFILE_RO.to_owned()]);
}

#[tokio::test]
async fn metadata_breaking_the_ims_rules_is_refused_before_anything_is_sent() {
    let p = Provider::start().await;
    let found = p.discover().await;
    let client = RegistrationClient::new(p.policy()).unwrap();
    let url = found.registration_url().unwrap();
    let mut cases = Vec::new();
    let mut m = metadata(all_scopes());
    m.redirect_uris = vec!["http://wallet.example.com/callback".into()];
    cases.push((m, "redirect_uris"));
    let mut m = metadata(all_scopes());
    m.redirect_uris = vec!["javascript:alert(1)".into()];
    cases.push((m, "redirect_uris"));
    let mut m = metadata(all_scopes());
    m.tos_uri = "https://other.example.org/tos".into();
    cases.push((m, "one host"));
    let mut m = metadata(all_scopes());
    m.client_name = " ".into();
    cases.push((m, "client_name"));
    cases.push((metadata(Vec::new()), "scope"));
    for (m, expected) in cases {
        match client.register(url, &m).await {
            Err(RegistrationError::InvalidMetadata(msg)) => {
                assert!(msg.contains(expected), "{msg}")
            }
            other => panic!("expected InvalidMetadata({expected}), got {other:?}"),
        }
    }
    assert_eq!(p.counters.register.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn server_refusals_are_typed() {
    let p = Provider::start_configured(|b| b.initial_access_token("not-for-you"), |d| d).await;
    let found = p.discover().await;
    let client = RegistrationClient::new(p.policy()).unwrap();
    match client
        .register(found.registration_url().unwrap(), &metadata(all_scopes()))
        .await
    {
        Err(RegistrationError::Refused { status: 401, error }) => {
            assert_eq!(error, "invalid_token")
        }
        other => panic!("expected a 401 refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn rfc7592_read_update_delete() {
    let p = Provider::start().await;
    let (_, reg) = p.register().await;
    let client = RegistrationClient::new(p.policy()).unwrap();
    let read = client.read(&reg).await.unwrap();
    assert_eq!(read.client_id, reg.client_id);
    assert_eq!(
        read.client_secret, reg.client_secret,
        "an unchanged secret is kept"
    );
    let mut m = metadata(all_scopes());
    m.client_name = "Renamed Wallet".into();
    let updated = client.update(&reg, &m).await.unwrap();
    assert_eq!(updated.response["client_name"], "Renamed Wallet");
    assert_eq!(
        client.read(&updated).await.unwrap().response["client_name"],
        "Renamed Wallet"
    );
    client.delete(&updated).await.unwrap();
    match client.read(&updated).await {
        Err(RegistrationError::Refused { status: 401, error }) => {
            assert_eq!(error, "invalid_token")
        }
        other => panic!("expected 401 after delete, got {other:?}"),
    }
    let mut unmanaged = reg.clone();
    unmanaged.registration_client_uri = None;
    assert!(matches!(
        client.read(&unmanaged).await,
        Err(RegistrationError::ManagementNotOffered)
    ));
}

/// A registration endpoint answering with a status and body the test sets.
async fn fake_endpoint(State(answer): State<Arc<Mutex<(u16, Value)>>>) -> Response {
    let (status, body) = answer.lock().unwrap().clone();
    (StatusCode::from_u16(status).unwrap(), axum::Json(body)).into_response()
}

#[tokio::test]
async fn responses_without_the_required_fields_or_with_other_metadata_are_refused() {
    let answer = Arc::new(Mutex::new((201, json!({}))));
    let router = Router::new()
        .route("/register", post(fake_endpoint))
        .with_state(Arc::clone(&answer));
    let server = TestServer::start(router).await.unwrap();
    let client = RegistrationClient::new(
        ims_runtime::client::HttpPolicy::default().with_ca_pem(server.ca_pem().to_vec()),
    )
    .unwrap();
    let url = server.url("/register").parse().unwrap();
    let good = json!({
        "client_id": "c1", "client_secret": "s1", "client_id_issued_at": 1_700_000_000,
        "client_secret_expires_at": 0, "redirect_uris": [REDIRECT], "scope": CRED_RO,
    });
    *answer.lock().unwrap() = (201, good.clone());
    let reg = client
        .register(&url, &metadata(all_scopes()))
        .await
        .unwrap();
    assert_eq!(reg.scopes, vec![CRED_RO.to_owned()]);
    assert!(reg.registration_access_token.is_none());

    let mutate = |f: &dyn Fn(&mut serde_json::Map<String, Value>)| {
        let mut v = good.clone();
        f(v.as_object_mut().unwrap());
        v
    };
    let cases: Vec<(u16, Value, &str)> = vec![
        (200, good.clone(), "status"),
        (
            201,
            mutate(&|m| {
                m.remove("client_secret");
            }),
            "client_secret",
        ),
        (
            201,
            mutate(&|m| {
                m.remove("client_id_issued_at");
            }),
            "client_id_issued_at",
        ),
        (
            201,
            mutate(&|m| {
                m.remove("client_secret_expires_at");
            }),
            "client_secret_expires_at",
        ),
        (
            201,
            mutate(&|m| {
                m.insert("client_id".into(), json!(7));
            }),
            "client_id",
        ),
        (
            201,
            mutate(&|m| {
                m.insert(
                    "redirect_uris".into(),
                    json!(["https://evil.example.net/cb"]),
                );
            }),
            "redirect_uris",
        ),
        (
            201,
            mutate(&|m| {
                m.insert("scope".into(), json!(""));
            }),
            "no scope",
        ),
        (
            201,
            mutate(&|m| {
                m.insert("token_endpoint_auth_method".into(), json!("none"));
            }),
            "token_endpoint_auth_method",
        ),
        (
            201,
            mutate(&|m| {
                m.insert("client_secret_expires_at".into(), json!(1));
            }),
            "past",
        ),
        (
            201,
            mutate(&|m| {
                m.insert(
                    "registration_client_uri".into(),
                    json!("http://x/register/c1"),
                );
            }),
            "registration_client_uri",
        ),
    ];
    for (status, body, expected) in cases {
        *answer.lock().unwrap() = (status, body);
        match client.register(&url, &metadata(all_scopes())).await {
            Err(RegistrationError::InvalidResponse(m)) => assert!(m.contains(expected), "{m}"),
            Err(RegistrationError::Client(ClientError::UnexpectedStatus(200))) => {
                assert_eq!(expected, "status")
            }
            other => panic!("expected a refusal for {expected}, got {other:?}"),
        }
    }
}
