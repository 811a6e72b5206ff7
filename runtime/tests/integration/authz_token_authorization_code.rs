//! `POST /token` with `grant_type=authorization_code` over HTTPS on loopback: PKCE S256,
//! single-use codes bound to client and redirect URI, replay revocation, concurrency.
//! Rules: SECURITY-CASES (a) AS-09..14, AS-11 (concurrent), AS-25.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::authz_support;

use authz_support::*;
use ims_runtime::authorization_server::model::CodeRecord;
use ims_runtime::authorization_server::secrets::hash_secret;
use ims_runtime::authorization_server::{SqliteStore, Store};
use reqwest::StatusCode;
use serde_json::Value;

async fn redeem(
    h: &Harness,
    c: &ims_runtime::authorization_server::IssuedClient,
    code: &str,
    verifier: &str,
) -> reqwest::Response {
    h.token(
        c,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
        ],
    )
    .await
}

#[tokio::test]
async fn code_with_valid_verifier_yields_access_and_refresh_tokens_with_no_store() {
    let h = Harness::start().await;
    let c = h.code_client(&[ROSTER_RO]).await;
    let (verifier, challenge) = pkce();
    let code = h.obtain_code(&c.client_id, &challenge, ROSTER_RO).await;
    let r = redeem(&h, &c, &code, &verifier).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], ROSTER_RO);
    assert!(body["refresh_token"].is_string());
    let (_, claims) = jwt_parts(body["access_token"].as_str().unwrap());
    assert_eq!(claims["sub"], USER);
    assert_eq!(claims["client_id"], c.client_id.as_str());
}

#[tokio::test]
async fn wrong_missing_or_malformed_code_verifier_is_invalid_grant() {
    let h = Harness::start().await;
    let c = h.code_client(&[ROSTER_RO]).await;
    let (other_verifier, _) = pkce();
    let bad_abnf = format!("{}+", "a".repeat(50));
    for verifier in [
        Some(other_verifier.as_str()),
        None,
        Some("short"),
        Some(bad_abnf.as_str()),
    ] {
        let (_, challenge) = pkce();
        let code = h.obtain_code(&c.client_id, &challenge, ROSTER_RO).await;
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
        ];
        if let Some(v) = verifier {
            form.push(("code_verifier", v));
        }
        let r = h.token(&c, &form).await;
        assert_oauth_error(r, StatusCode::BAD_REQUEST, "invalid_grant").await;
    }
}

#[tokio::test]
async fn pkce_downgrade_is_impossible_because_authorize_requires_a_challenge() {
    // AS-09: a code without a challenge is never issued, so a token request with a verifier can
    // only meet a code that had one; a code issued without PKCE would be refused at /authorize.
    let h = Harness::start().await;
    let c = h.code_client(&[ROSTER_RO]).await;
    let r = h
        .authorize(&[
            ("response_type", "code"),
            ("client_id", &c.client_id),
            ("redirect_uri", REDIRECT),
            ("state", "s"),
        ])
        .await;
    assert_eq!(r.status(), StatusCode::FOUND);
    let loc = location(&r);
    assert_eq!(
        query_param(&loc, "error").as_deref(),
        Some("invalid_request")
    );
    assert!(query_param(&loc, "code").is_none());
    let (verifier, _) = pkce();
    let r = redeem(&h, &c, "never-issued-code", &verifier).await;
    assert_oauth_error(r, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn reused_code_is_invalid_grant_and_revokes_tokens_issued_from_it() {
    let h = Harness::start().await;
    let c = h.code_client(&[ROSTER_RO]).await;
    let (verifier, challenge) = pkce();
    let code = h.obtain_code(&c.client_id, &challenge, ROSTER_RO).await;
    let first: Value = redeem(&h, &c, &code, &verifier).await.json().await.unwrap();
    let at = first["access_token"].as_str().unwrap();
    let rt = first["refresh_token"].as_str().unwrap();
    assert_eq!(h.introspect(&c, at).await["active"], true);
    let r = redeem(&h, &c, &code, &verifier).await;
    assert_oauth_error(r, StatusCode::BAD_REQUEST, "invalid_grant").await;
    assert_eq!(
        h.introspect(&c, at).await,
        serde_json::json!({"active": false})
    );
    assert_eq!(
        h.introspect(&c, rt).await,
        serde_json::json!({"active": false})
    );
    let jti = jwt_parts(at).1["jti"].as_str().unwrap().to_owned();
    assert!(
        h.server.is_access_token_revoked(&jti).await.unwrap(),
        "RS sees the revocation"
    );
    let r = h
        .token(
            &c,
            &[("grant_type", "refresh_token"), ("refresh_token", rt)],
        )
        .await;
    assert_oauth_error(r, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn concurrent_code_redemption_has_exactly_one_winner() {
    let h = Harness::start().await;
    let c = h.code_client(&[ROSTER_RO]).await;
    let (verifier, challenge) = pkce();
    let code = h.obtain_code(&c.client_id, &challenge, ROSTER_RO).await;
    let attempts = (0..8).map(|_| redeem(&h, &c, &code, &verifier));
    let results = futures_util::future::join_all(attempts).await;
    let mut ok = 0;
    let mut tokens = Vec::new();
    for r in results {
        if r.status() == StatusCode::OK {
            ok += 1;
            tokens.push(r.json::<Value>().await.unwrap());
        } else {
            assert_oauth_error(r, StatusCode::BAD_REQUEST, "invalid_grant").await;
        }
    }
    assert_eq!(ok, 1, "exactly one redemption succeeds");
    // The losers' replay attempts revoked what the winner got.
    let at = tokens[0]["access_token"].as_str().unwrap();
    assert_eq!(h.introspect(&c, at).await["active"], false);
}

#[tokio::test]
async fn code_issued_to_another_client_is_invalid_grant() {
    let h = Harness::start().await;
    let a = h.code_client(&[ROSTER_RO]).await;
    let b = h.code_client(&[ROSTER_RO]).await;
    let (verifier, challenge) = pkce();
    let code = h.obtain_code(&a.client_id, &challenge, ROSTER_RO).await;
    let r = redeem(&h, &b, &code, &verifier).await;
    assert_oauth_error(r, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn redirect_uri_mismatch_or_missing_at_token_is_invalid_grant() {
    let h = Harness::start().await;
    let c = h.code_client(&[ROSTER_RO]).await;
    for redirect in [Some("https://tool.example.edu/other"), None] {
        let (verifier, challenge) = pkce();
        let code = h.obtain_code(&c.client_id, &challenge, ROSTER_RO).await;
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("code_verifier", verifier.as_str()),
        ];
        if let Some(r) = redirect {
            form.push(("redirect_uri", r));
        }
        let r = h.token(&c, &form).await;
        assert_oauth_error(r, StatusCode::BAD_REQUEST, "invalid_grant").await;
    }
}

#[tokio::test]
async fn expired_code_is_invalid_grant() {
    let h = Harness::start().await;
    let c = h.code_client(&[ROSTER_RO]).await;
    let (verifier, challenge) = pkce();
    // Plant a code that expired a second ago (no sleeping in tests).
    let store = SqliteStore::open(&h.db).unwrap();
    let code = "expired-code-0123456789012345678901234567890";
    store
        .insert_code(CodeRecord {
            code_hash: hash_secret(code),
            grant_id: "g-expired".into(),
            client_id: c.client_id.clone(),
            redirect_uri: REDIRECT.into(),
            redirect_uri_sent: true,
            code_challenge: challenge,
            scope: ROSTER_RO.into(),
            subject: USER.into(),
            expires_at: ims_runtime::authorization_server::secrets::now() - 1,
        })
        .await
        .unwrap();
    let r = redeem(&h, &c, code, &verifier).await;
    assert_oauth_error(r, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn token_scope_may_narrow_but_not_widen_the_code_scope() {
    let h = Harness::start().await;
    let c = h.code_client(&[ROSTER_RO, RESULTS_RO]).await;
    let (verifier, challenge) = pkce();
    let code = h.obtain_code(&c.client_id, &challenge, ROSTER_RO).await;
    let r = h
        .token(
            &c,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", &verifier),
                ("scope", &format!("{ROSTER_RO} {RESULTS_RO}")),
            ],
        )
        .await;
    assert_oauth_error(r, StatusCode::BAD_REQUEST, "invalid_scope").await;
}

#[tokio::test]
async fn code_lifetime_outside_60_to_600_seconds_is_a_configuration_error() {
    use std::time::Duration;
    for secs in [59, 601] {
        let store = std::sync::Arc::new(SqliteStore::in_memory().unwrap());
        let r = ims_runtime::authorization_server::AuthorizationServer::builder(
            "https://as.example.edu",
            store,
        )
        .code_lifetime(Duration::from_secs(secs))
        .build()
        .await;
        assert!(r.is_err(), "{secs}");
    }
}
