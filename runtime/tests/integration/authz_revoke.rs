//! `POST /revoke` (RFC 7009) over HTTPS on loopback. Rules: SECURITY-CASES (a) AS-27..29.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::authz_support;

use authz_support::*;
use ims_runtime::authorization_server::IssuedClient;
use reqwest::StatusCode;
use serde_json::json;

async fn revoke(h: &Harness, c: &IssuedClient, form: &[(&str, &str)]) -> reqwest::Response {
    h.post_form(
        "/revoke",
        form,
        Some((&c.client_id, c.client_secret.as_deref().unwrap())),
    )
    .await
}

#[tokio::test]
async fn revoked_access_token_becomes_inactive_and_rs_sees_it() {
    let h = Harness::start().await;
    let c = h.cc_client(&[ROSTER_RO]).await;
    let at = h.cc_token(&c, ROSTER_RO).await;
    let r = revoke(
        &h,
        &c,
        &[("token", &at), ("token_type_hint", "access_token")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert_eq!(h.introspect(&c, &at).await, json!({"active": false}));
    assert!(h.server.verify_access_token(&at).await.unwrap().is_none());
}

#[tokio::test]
async fn unknown_or_garbage_token_gets_200() {
    let h = Harness::start().await;
    let c = h.cc_client(&[ROSTER_RO]).await;
    for t in ["garbage", "a.b.c", "eyJhbGciOiJub25lIn0.e30."] {
        assert_eq!(
            revoke(&h, &c, &[("token", t)]).await.status(),
            StatusCode::OK
        );
    }
}

#[tokio::test]
async fn missing_token_is_400_invalid_request() {
    let h = Harness::start().await;
    let c = h.cc_client(&[ROSTER_RO]).await;
    let r = revoke(&h, &c, &[("token_type_hint", "access_token")]).await;
    assert_oauth_error(r, StatusCode::BAD_REQUEST, "invalid_request").await;
}

#[tokio::test]
async fn unauthenticated_revocation_is_401_invalid_client() {
    let h = Harness::start().await;
    let c = h.cc_client(&[ROSTER_RO]).await;
    let at = h.cc_token(&c, ROSTER_RO).await;
    let r = h.post_form("/revoke", &[("token", &at)], None).await;
    assert_oauth_error(r, StatusCode::UNAUTHORIZED, "invalid_client").await;
    let r = h
        .post_form("/revoke", &[("token", &at)], Some((&c.client_id, "wrong")))
        .await;
    assert_oauth_error(r, StatusCode::UNAUTHORIZED, "invalid_client").await;
    assert_eq!(h.introspect(&c, &at).await["active"], true);
}

#[tokio::test]
async fn unrecognised_or_wrong_token_type_hint_is_ignored() {
    let h = Harness::start().await;
    let c = h.cc_client(&[ROSTER_RO]).await;
    let at = h.cc_token(&c, ROSTER_RO).await;
    let r = revoke(
        &h,
        &c,
        &[("token", &at), ("token_type_hint", "refresh_token")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(h.introspect(&c, &at).await["active"], false);
    let at2 = h.cc_token(&c, ROSTER_RO).await;
    let r = revoke(
        &h,
        &c,
        &[("token", &at2), ("token_type_hint", "something_else")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(h.introspect(&c, &at2).await["active"], false);
}

#[tokio::test]
async fn other_clients_tokens_are_not_revoked() {
    let h = Harness::start().await;
    let owner = h.code_client(&[ROSTER_RO]).await;
    let attacker = h.cc_client(&[ROSTER_RO]).await;
    let at = h
        .cc_token(&h.cc_client(&[ROSTER_RO]).await, ROSTER_RO)
        .await;
    let tokens = h.code_tokens(&owner, ROSTER_RO).await;
    let rt = tokens["refresh_token"].as_str().unwrap();
    for t in [at.as_str(), rt] {
        assert_eq!(
            revoke(&h, &attacker, &[("token", t)]).await.status(),
            StatusCode::OK
        );
    }
    assert_eq!(h.introspect(&owner, rt).await["active"], true);
    assert!(h.server.verify_access_token(&at).await.unwrap().is_some());
}

#[tokio::test]
async fn revoking_a_refresh_token_revokes_its_access_tokens() {
    let h = Harness::start().await;
    let c = h.code_client(&[ROSTER_RO]).await;
    let t = h.code_tokens(&c, ROSTER_RO).await;
    let (at, rt) = (
        t["access_token"].as_str().unwrap(),
        t["refresh_token"].as_str().unwrap(),
    );
    assert_eq!(
        revoke(
            &h,
            &c,
            &[("token", rt), ("token_type_hint", "refresh_token")]
        )
        .await
        .status(),
        StatusCode::OK
    );
    assert_eq!(h.introspect(&c, rt).await, json!({"active": false}));
    assert_eq!(h.introspect(&c, at).await, json!({"active": false}));
    let jti = jwt_parts(at).1["jti"].as_str().unwrap().to_owned();
    assert!(h.server.is_access_token_revoked(&jti).await.unwrap());
}

#[tokio::test]
async fn revoke_requires_form_post() {
    let h = Harness::start().await;
    assert_eq!(
        h.http.get(h.url("/revoke")).send().await.unwrap().status(),
        StatusCode::METHOD_NOT_ALLOWED
    );
}
