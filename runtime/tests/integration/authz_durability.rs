//! Durability: the SQLite store survives a restart. Register a client and obtain a refresh token,
//! stop the server, start it again on the same file: both still work; tokens revoked before the
//! stop stay revoked; access tokens issued before verify (same signing key).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::authz_support;

use authz_support::*;
use ims_runtime::authorization_server::IssuedClient;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn clients_refresh_tokens_keys_and_revocations_survive_restart() {
    let h = Harness::start().await;
    // A dynamically registered client with a refresh token.
    let reg: Value = h
        .http
        .post(h.url("/register"))
        .json(&json!({
            "client_name": "Durable", "client_uri": "https://tool.example.edu/",
            "logo_uri": "https://tool.example.edu/l.png", "tos_uri": "https://tool.example.edu/tos",
            "policy_uri": "https://tool.example.edu/p", "software_id": "durable", "software_version": "1",
            "redirect_uris": [REDIRECT], "scope": ROSTER_RO,
            "grant_types": ["authorization_code", "refresh_token"]
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let client = IssuedClient {
        client_id: reg["client_id"].as_str().unwrap().into(),
        client_secret: Some(reg["client_secret"].as_str().unwrap().into()),
    };
    let tokens = h.code_tokens(&client, ROSTER_RO).await;
    let rt = tokens["refresh_token"].as_str().unwrap().to_owned();
    let live_at = tokens["access_token"].as_str().unwrap().to_owned();
    // A client_credentials client with one revoked token and one live token.
    let cc = h.cc_client(&[ROSTER_RO]).await;
    let revoked = h.cc_token(&cc, ROSTER_RO).await;
    let r = h
        .post_form(
            "/revoke",
            &[("token", &revoked)],
            Some((&cc.client_id, cc.client_secret.as_deref().unwrap())),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let kids_before = h.server.jwks();

    let h = h.restart().await;

    assert_eq!(
        h.server.jwks(),
        kids_before,
        "same signing keys after restart"
    );
    assert_eq!(
        h.introspect(&cc, &revoked).await,
        json!({"active": false}),
        "revocation survived"
    );
    assert_eq!(h.introspect(&client, &live_at).await["active"], true);
    let r = h
        .token(
            &client,
            &[("grant_type", "refresh_token"), ("refresh_token", &rt)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK, "refresh token survived");
    // The registration access token still manages the client.
    let r = h
        .http
        .get(reg["registration_client_uri"].as_str().unwrap())
        .bearer_auth(reg["registration_access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // And client_credentials still authenticates.
    let _ = h.cc_token(&cc, ROSTER_RO).await;
}
