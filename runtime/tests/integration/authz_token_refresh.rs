//! `POST /token` with `grant_type=refresh_token` over HTTPS on loopback: rotation, family
//! revocation on replay, scope down-scoping. Rules: SECURITY-CASES (a) AS-22..24, AS-29.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::authz_support;

use authz_support::*;
use ims_runtime::authorization_server::IssuedClient;
use ims_runtime::authorization_server::model::RefreshRecord;
use ims_runtime::authorization_server::secrets::{hash_secret, now};
use ims_runtime::authorization_server::{REFRESH_ROTATION_GRACE, SqliteStore, Store};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn refresh(
    h: &Harness,
    c: &IssuedClient,
    rt: &str,
    scope: Option<&str>,
) -> reqwest::Response {
    let mut form = vec![("grant_type", "refresh_token"), ("refresh_token", rt)];
    if let Some(s) = scope {
        form.push(("scope", s));
    }
    h.token(c, &form).await
}

#[tokio::test]
async fn refresh_rotates_the_refresh_token() {
    let h = Harness::start().await;
    let c = h.code_client(&[ROSTER_RO]).await;
    let t1 = h.code_tokens(&c, ROSTER_RO).await;
    let rt1 = t1["refresh_token"].as_str().unwrap();
    let r = refresh(&h, &c, rt1, None).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let t2: Value = r.json().await.unwrap();
    let rt2 = t2["refresh_token"].as_str().unwrap();
    assert_ne!(rt1, rt2);
    assert_eq!(t2["scope"], ROSTER_RO);
    assert_eq!(h.introspect(&c, rt1).await["active"], false);
    assert_eq!(h.introspect(&c, rt2).await["active"], true);
}

#[tokio::test]
async fn refresh_token_replay_revokes_family() {
    let h = Harness::start().await;
    let c = h.code_client(&[ROSTER_RO]).await;
    let t1 = h.code_tokens(&c, ROSTER_RO).await;
    let rt1 = t1["refresh_token"].as_str().unwrap();
    let t2: Value = refresh(&h, &c, rt1, None).await.json().await.unwrap();
    let (at2, rt2) = (
        t2["access_token"].as_str().unwrap(),
        t2["refresh_token"].as_str().unwrap(),
    );
    // A replay is a presentation after the concurrent-refresh grace window (within it, the
    // answer is invalid_grant without revoking: store_conformance covers that rule).
    tokio::time::sleep(REFRESH_ROTATION_GRACE + std::time::Duration::from_millis(1_100)).await;
    let r = refresh(&h, &c, rt1, None).await;
    assert_oauth_error(r, StatusCode::BAD_REQUEST, "invalid_grant").await;
    assert_eq!(
        h.introspect(&c, rt2).await,
        json!({"active": false}),
        "RT2 revoked"
    );
    assert_eq!(
        h.introspect(&c, at2).await,
        json!({"active": false}),
        "AT2 revoked"
    );
    let at1 = t1["access_token"].as_str().unwrap();
    assert_eq!(
        h.introspect(&c, at1).await,
        json!({"active": false}),
        "AT1 revoked"
    );
    let r = refresh(&h, &c, rt2, None).await;
    assert_oauth_error(r, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn concurrent_refresh_with_one_token_has_one_winner() {
    let h = Harness::start().await;
    let c = h.code_client(&[ROSTER_RO]).await;
    let t1 = h.code_tokens(&c, ROSTER_RO).await;
    let rt1 = t1["refresh_token"].as_str().unwrap();
    let results = futures_util::future::join_all((0..6).map(|_| refresh(&h, &c, rt1, None))).await;
    let ok = results
        .iter()
        .filter(|r| r.status() == StatusCode::OK)
        .count();
    assert!(ok <= 1, "at most one rotation wins");
}

#[tokio::test]
async fn refresh_with_wider_scope_is_invalid_scope_and_narrower_keeps_family_scope() {
    let h = Harness::start().await;
    let c = h
        .code_client(&[ROSTER_RO, RESULTS_RO, ROSTER_CREATEPUT])
        .await;
    let both = format!("{ROSTER_RO} {RESULTS_RO}");
    let t1 = h.code_tokens(&c, &both).await;
    let rt1 = t1["refresh_token"].as_str().unwrap();
    let wider = format!("{both} {ROSTER_CREATEPUT}");
    let r = refresh(&h, &c, rt1, Some(&wider)).await;
    assert_oauth_error(r, StatusCode::BAD_REQUEST, "invalid_scope").await;
    let t2: Value = refresh(&h, &c, rt1, Some(ROSTER_RO))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(t2["scope"], ROSTER_RO);
    // The new refresh token still carries the original grant's scope.
    let rt2 = t2["refresh_token"].as_str().unwrap();
    let intro = h.introspect(&c, rt2).await;
    let mut s: Vec<&str> = intro["scope"].as_str().unwrap().split(' ').collect();
    s.sort_unstable();
    let mut want = vec![ROSTER_RO, RESULTS_RO];
    want.sort_unstable();
    assert_eq!(s, want);
    let t3: Value = refresh(&h, &c, rt2, Some(&both))
        .await
        .json()
        .await
        .unwrap();
    assert!(t3["refresh_token"].is_string());
}

#[tokio::test]
async fn refresh_token_of_another_client_is_invalid_grant() {
    let h = Harness::start().await;
    let a = h.code_client(&[ROSTER_RO]).await;
    let b = h.code_client(&[ROSTER_RO]).await;
    let t = h.code_tokens(&a, ROSTER_RO).await;
    let r = refresh(&h, &b, t["refresh_token"].as_str().unwrap(), None).await;
    assert_oauth_error(r, StatusCode::BAD_REQUEST, "invalid_grant").await;
    // And it still works for its owner (B's attempt did not burn it).
    assert_eq!(
        refresh(&h, &a, t["refresh_token"].as_str().unwrap(), None)
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn garbage_expired_or_revoked_refresh_token_is_invalid_grant() {
    let h = Harness::start().await;
    let c = h.code_client(&[ROSTER_RO]).await;
    let r = refresh(&h, &c, "garbage", None).await;
    assert_oauth_error(r, StatusCode::BAD_REQUEST, "invalid_grant").await;
    let store = SqliteStore::open(&h.db).unwrap();
    let expired = "expired-refresh-token-0123456789012345678901";
    store
        .insert_refresh(RefreshRecord {
            token_hash: hash_secret(expired),
            grant_id: "g-old".into(),
            client_id: c.client_id.clone(),
            subject: USER.into(),
            scope: ROSTER_RO.into(),
            expires_at: now() - 1,
            used: false,
            revoked: false,
        })
        .await
        .unwrap();
    let r = refresh(&h, &c, expired, None).await;
    assert_oauth_error(r, StatusCode::BAD_REQUEST, "invalid_grant").await;
    let t = h.code_tokens(&c, ROSTER_RO).await;
    let rt = t["refresh_token"].as_str().unwrap();
    let rev = h
        .post_form(
            "/revoke",
            &[("token", rt), ("token_type_hint", "refresh_token")],
            Some((&c.client_id, c.client_secret.as_deref().unwrap())),
        )
        .await;
    assert_eq!(rev.status(), StatusCode::OK);
    let r = refresh(&h, &c, rt, None).await;
    assert_oauth_error(r, StatusCode::BAD_REQUEST, "invalid_grant").await;
}
