//! `POST /introspect` (RFC 7662) over HTTPS on loopback. Rules: SECURITY-CASES (a) AS-30, AS-31.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::authz_support;

use authz_support::*;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ims_runtime::authorization_server::NewClient;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn active_access_token_reports_its_claims() {
    let h = Harness::start().await;
    let c = h.cc_client(&[ROSTER_RO]).await;
    let at = h.cc_token(&c, ROSTER_RO).await;
    let r = h
        .post_form(
            "/introspect",
            &[("token", &at)],
            Some((&c.client_id, c.client_secret.as_deref().unwrap())),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["active"], true);
    assert_eq!(v["scope"], ROSTER_RO);
    assert_eq!(v["client_id"], c.client_id.as_str());
    assert_eq!(v["iss"], h.issuer.as_str());
    assert_eq!(v["token_type"], "Bearer");
}

#[tokio::test]
async fn introspection_without_client_authentication_is_401_invalid_client() {
    let h = Harness::start().await;
    let c = h.cc_client(&[ROSTER_RO]).await;
    let at = h.cc_token(&c, ROSTER_RO).await;
    let r = h.post_form("/introspect", &[("token", &at)], None).await;
    assert_oauth_error(r, StatusCode::UNAUTHORIZED, "invalid_client").await;
}

#[tokio::test]
async fn garbage_alg_none_forged_revoked_or_foreign_tokens_are_only_active_false() {
    let h = Harness::start().await;
    let c = h.cc_client(&[ROSTER_RO]).await;
    let at = h.cc_token(&c, ROSTER_RO).await;
    let (_, claims) = jwt_parts(&at);
    let b64 = |v: &serde_json::Value| URL_SAFE_NO_PAD.encode(v.to_string());
    let none = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "typ": "at+jwt"})),
        b64(&claims)
    );
    let parts: Vec<&str> = at.split('.').collect();
    let mut changed = claims.clone();
    changed["scope"] = json!(ROSTER_CREATEPUT);
    let forged = format!("{}.{}.{}", parts[0], b64(&changed), parts[2]);
    let mut other_iss = claims.clone();
    other_iss["iss"] = json!("https://other-as.example");
    let foreign = format!("{}.{}.{}", parts[0], b64(&other_iss), parts[2]);
    let revoked = h.cc_token(&c, ROSTER_RO).await;
    h.post_form(
        "/revoke",
        &[("token", &revoked)],
        Some((&c.client_id, c.client_secret.as_deref().unwrap())),
    )
    .await;
    for t in [
        "garbage",
        none.as_str(),
        forged.as_str(),
        foreign.as_str(),
        revoked.as_str(),
        &"x".repeat(10_000)[..],
    ] {
        let v = h.introspect(&c, t).await;
        assert_eq!(v, json!({"active": false}), "{}", &t[..t.len().min(40)]);
    }
}

#[tokio::test]
async fn client_cannot_introspect_another_clients_token_but_a_resource_server_can() {
    let h = Harness::start().await;
    let a = h.cc_client(&[ROSTER_RO]).await;
    let b = h.cc_client(&[ROSTER_RO]).await;
    let rs = h
        .server
        .create_client(NewClient {
            introspect_any: true,
            ..NewClient::client_credentials([ROSTER_RO])
        })
        .await
        .unwrap();
    let at = h.cc_token(&a, ROSTER_RO).await;
    assert_eq!(h.introspect(&b, &at).await, json!({"active": false}));
    assert_eq!(h.introspect(&rs, &at).await["active"], true);
}

#[tokio::test]
async fn refresh_tokens_introspect_with_their_scope() {
    let h = Harness::start().await;
    let c = h.code_client(&[ROSTER_RO]).await;
    let t = h.code_tokens(&c, ROSTER_RO).await;
    let v = h.introspect(&c, t["refresh_token"].as_str().unwrap()).await;
    assert_eq!(v["active"], true);
    assert_eq!(v["token_type"], "refresh_token");
    assert_eq!(v["sub"], USER);
}
