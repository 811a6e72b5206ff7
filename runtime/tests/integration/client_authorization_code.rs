//! The authorization code grant from the client's side (`AuthorizationCodeSource`) against the
//! embedded authorization server over real TLS: PKCE + state (CL-01), error callbacks (CL-02),
//! RFC 9207 `iss` (CL-03), refresh rotation and single-flight, `invalid_grant` (CL-09), RFC 7009
//! logout, the durable token store (restart) and redaction (CL-16).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use futures_util::future::join_all;
use ims_runtime::client::{
    AuthorizationCodeError, ClientError, LogoutOutcome, MemoryUserTokenStore, Registration,
    SqliteUserTokenStore, TokenSource, UserTokenStore, basic_authorization,
};
use serde_json::Value;

use crate::client_authorization_code_support::{
    ALICE, BOB, CRED_RO, CRED_UPSERT, PROFILE_PATH, PROFILE_RO, Provider, REDIRECT, SCOPES,
    sqlite_store,
};

fn query(url: &str) -> Vec<(String, String)> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn param(url: &str, name: &str) -> Option<String> {
    query(url)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// Rebuilds `callback` with `name` set to `value` (or removed when `None`).
fn with_param(callback: &str, name: &str, value: Option<&str>) -> String {
    let mut url = url::Url::parse(callback).unwrap();
    let pairs: Vec<(String, String)> = query(callback)
        .into_iter()
        .filter(|(k, _)| k != name)
        .collect();
    {
        let mut q = url.query_pairs_mut();
        q.clear();
        for (k, v) in &pairs {
            q.append_pair(k, v);
        }
        if let Some(v) = value {
            q.append_pair(name, v);
        }
    }
    url.to_string()
}

async fn introspect(p: &Provider, r: &Registration, token: &str) -> Value {
    p.browser()
        .post(p.url("/introspect"))
        .header(
            "authorization",
            basic_authorization(&r.client_id, &r.client_secret),
        )
        .form(&[("token", token)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn authorization_request_has_pkce_s256_and_the_code_flow_yields_a_user_token() {
    let p = Provider::start().await;
    let (found, reg) = p.register().await;
    let source = p.source(&found, &reg, Arc::new(MemoryUserTokenStore::new()), "alice");
    let request = source
        .authorization_request(&[CRED_RO, PROFILE_RO])
        .unwrap();
    let q = query(request.url.as_str());
    let get = |n: &str| q.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
    assert!(request.url.as_str().starts_with(&p.url("/authorize?")));
    assert_eq!(get("response_type"), Some("code"));
    assert_eq!(get("client_id"), Some(reg.client_id.as_str()));
    assert_eq!(get("redirect_uri"), Some(REDIRECT));
    assert_eq!(
        get("scope"),
        Some(format!("{CRED_RO} {PROFILE_RO}").as_str())
    );
    assert_eq!(get("code_challenge_method"), Some("S256"));
    assert_eq!(get("code_challenge").map(str::len), Some(43));
    assert_eq!(get("state"), Some(request.state.as_str()));
    assert!(request.state.len() >= 22, "state must be unguessable");

    let callback = p.login(request.url.as_str(), ALICE, "approve").await;
    let granted = source.complete(&callback).await.unwrap();
    assert_eq!(granted, vec![CRED_RO.to_owned(), PROFILE_RO.to_owned()]);
    let token = source.token(&[CRED_RO]).await.unwrap();
    let info = introspect(&p, &reg, token.secret()).await;
    assert_eq!(info["active"], true, "{info}");
    assert_eq!(info["client_id"], reg.client_id.as_str());
    // A second call reuses the token: no request to /token.
    let before = p.counters.token();
    let again = source.token(&[PROFILE_RO]).await.unwrap();
    assert_eq!(again.secret(), token.secret());
    assert_eq!(p.counters.token(), before);
}

#[tokio::test]
async fn state_is_fresh_per_request_and_a_missing_unknown_or_replayed_state_aborts_without_token_request()
 {
    let p = Provider::start().await;
    let (found, reg) = p.register().await;
    let source = p.source(&found, &reg, Arc::new(MemoryUserTokenStore::new()), "alice");
    let a = source.authorization_request(&[CRED_RO]).unwrap();
    let b = source.authorization_request(&[CRED_RO]).unwrap();
    assert_ne!(a.state, b.state);
    assert_ne!(
        param(a.url.as_str(), "code_challenge"),
        param(b.url.as_str(), "code_challenge")
    );

    let callback = p.login(a.url.as_str(), ALICE, "approve").await;
    let before = p.counters.token();
    let missing = with_param(&callback, "state", None);
    assert!(matches!(
        source.complete(&missing).await,
        Err(AuthorizationCodeError::MissingState)
    ));
    let forged = with_param(&callback, "state", Some("attacker-state"));
    assert!(matches!(
        source.complete(&forged).await,
        Err(AuthorizationCodeError::UnknownState)
    ));
    // A second `state` (or any duplicated parameter) is refused before anything else.
    let twice = format!("{callback}&state=x");
    assert!(matches!(
        source.complete(&twice).await,
        Err(AuthorizationCodeError::InvalidCallback(_))
    ));
    assert_eq!(
        p.counters.token(),
        before,
        "no token request on a bad state"
    );
    source.complete(&callback).await.unwrap();
    assert!(matches!(
        source.complete(&callback).await,
        Err(AuthorizationCodeError::UnknownState)
    ));
    let elsewhere = callback.replace(REDIRECT, "https://evil.example.net/callback");
    assert!(matches!(
        source.complete(&elsewhere).await,
        Err(AuthorizationCodeError::InvalidCallback(_))
    ));
}

#[tokio::test]
async fn error_callbacks_are_surfaced_as_bounded_text_without_token_request() {
    let p = Provider::start().await;
    let (found, reg) = p.register().await;
    let source = p.source(&found, &reg, Arc::new(MemoryUserTokenStore::new()), "alice");
    let before = p.counters.token();

    // The person denies on the real consent page.
    let r = source.authorization_request(&[CRED_RO]).unwrap();
    let callback = p.login(r.url.as_str(), ALICE, "deny").await;
    match source.complete(&callback).await {
        Err(AuthorizationCodeError::Denied { error, .. }) => assert_eq!(error, "access_denied"),
        other => panic!("expected access_denied, got {other:?}"),
    }

    // A hostile error response: markup, quotes, control characters and 10 KB of text.
    let r = source.authorization_request(&[CRED_RO]).unwrap();
    let hostile = format!("<script>alert(\"x\")</script>\r\n{}", "A".repeat(10_000));
    let mut url = url::Url::parse(REDIRECT).unwrap();
    url.query_pairs_mut()
        .append_pair("error", "server_error\"<b>")
        .append_pair("error_description", &hostile)
        .append_pair("state", &r.state)
        .append_pair("iss", &p.issuer);
    match source.complete(url.as_str()).await {
        Err(e @ AuthorizationCodeError::Denied { .. }) => {
            let AuthorizationCodeError::Denied { error, description } = &e else {
                unreachable!()
            };
            assert_eq!(error, "server_error<b>");
            let d = description.as_deref().unwrap();
            assert!(d.len() <= 200, "bounded: {}", d.len());
            assert!(!d.contains(['"', '\r', '\n']), "{d}");
            // Display quotes the text as a string literal: it never reads as markup around it.
            assert!(
                e.to_string().contains("(\"<script>alert(x)</script>AAA"),
                "{e}"
            );
        }
        other => panic!("expected Denied, got {other:?}"),
    }
    assert_eq!(
        p.counters.token(),
        before,
        "no token request after an error response"
    );
}

#[tokio::test]
async fn iss_must_match_and_must_be_present_when_the_server_advertises_it() {
    let p = Provider::start().await;
    let (found, reg) = p.register().await;
    assert!(found.metadata.as_ref().unwrap().iss_parameter_supported);
    let source = p.source(&found, &reg, Arc::new(MemoryUserTokenStore::new()), "alice");
    let before = p.counters.token();
    for iss in [
        Some("https://attacker.example.net"),
        Some(&format!("{}/", p.issuer)[..]),
        None,
    ] {
        let r = source.authorization_request(&[CRED_RO]).unwrap();
        let callback = p.login(r.url.as_str(), ALICE, "approve").await;
        assert_eq!(param(&callback, "iss").as_deref(), Some(p.issuer.as_str()));
        let tampered = with_param(&callback, "iss", iss);
        match source.complete(&tampered).await {
            Err(AuthorizationCodeError::IssuerMismatch { expected, found }) => {
                assert_eq!(expected, p.issuer);
                assert_eq!(found.as_deref(), iss);
            }
            other => panic!("expected IssuerMismatch for {iss:?}, got {other:?}"),
        }
    }
    assert_eq!(
        p.counters.token(),
        before,
        "no token request on an issuer mix-up"
    );
}

/// Makes the stored access token expired, as if its hour had passed.
fn expire(store: &dyn UserTokenStore, account: &str) {
    let mut t = store.tokens(account).unwrap().unwrap();
    t.expires_at = time::OffsetDateTime::now_utc().unix_timestamp() - 1;
    store.save_tokens(account, &t).unwrap();
}

#[tokio::test]
async fn tokens_survive_a_consumer_restart_and_32_concurrent_callers_make_one_rotating_refresh() {
    let p = Provider::start().await;
    let (found, reg) = p.register().await;
    let (_dir, path) = sqlite_store();
    let old = {
        let store = Arc::new(SqliteUserTokenStore::open(&path).unwrap());
        store.save_registration("host", &reg).unwrap();
        let source = p.source(&found, &reg, store.clone(), "alice");
        p.authorize(&source, ALICE, &SCOPES).await;
        store.tokens("alice").unwrap().unwrap()
    };
    // "Restart": a new store handle and a new source on the same file, no login.
    let store = Arc::new(SqliteUserTokenStore::open(&path).unwrap());
    let reg_again = store.registration("host").unwrap().unwrap();
    assert_eq!(reg_again, reg);
    let source = Arc::new(p.source(&found, &reg_again, store.clone(), "alice"));
    let before = p.counters.token();
    let t = source.token(&[CRED_RO]).await.unwrap();
    assert_eq!(t.secret(), old.access_token.expose());
    assert_eq!(
        p.counters.token(),
        before,
        "a fresh stored token is used as is"
    );

    expire(store.as_ref(), "alice");
    let source = Arc::new(p.source(&found, &reg_again, store.clone(), "alice"));
    let before = p.counters.token();
    let results = join_all((0..32).map(|_| {
        let s = Arc::clone(&source);
        tokio::spawn(async move { s.token(&[CRED_UPSERT]).await.map(|t| t.secret().to_owned()) })
    }))
    .await;
    let tokens: Vec<String> = results.into_iter().map(|r| r.unwrap().unwrap()).collect();
    assert_eq!(p.counters.token() - before, 1, "32 callers, one refresh");
    assert!(tokens.iter().all(|t| *t == tokens[0]));
    assert_ne!(tokens[0], old.access_token.expose());
    let new = store.tokens("alice").unwrap().unwrap();
    assert_eq!(new.access_token.expose(), tokens[0]);
    assert_ne!(
        new.refresh_token, old.refresh_token,
        "the refresh token rotated"
    );
    assert!(new.expires_at > time::OffsetDateTime::now_utc().unix_timestamp() + 60);
    assert_eq!(introspect(&p, &reg, &tokens[0]).await["active"], true);

    // A forced refresh by many callers that saw the same token is one refresh as well.
    let seen = source.token(&[CRED_RO]).await.unwrap();
    let before = p.counters.token();
    let forced = join_all((0..8).map(|_| {
        let s = Arc::clone(&source);
        let seen = seen.clone();
        tokio::spawn(async move { s.refresh(Some(&seen)).await.map(|t| t.secret().to_owned()) })
    }))
    .await;
    assert_eq!(p.counters.token() - before, 1);
    assert!(
        forced
            .iter()
            .all(|r| r.as_ref().unwrap().as_ref().unwrap() != seen.secret())
    );
}

#[tokio::test]
async fn invalid_grant_on_refresh_drops_the_tokens_and_asks_to_reauthorize() {
    let p = Provider::start().await;
    let (found, reg) = p.register().await;
    let store = Arc::new(MemoryUserTokenStore::new());
    let source = p.source(&found, &reg, store.clone(), "alice");
    p.authorize(&source, ALICE, &[CRED_RO]).await;
    // The refresh token is revoked behind the consumer's back (e.g. consent withdrawn).
    let stored = store.tokens("alice").unwrap().unwrap();
    let r = p
        .browser()
        .post(p.url("/revoke"))
        .header(
            "authorization",
            basic_authorization(&reg.client_id, &reg.client_secret),
        )
        .form(&[
            ("token", stored.refresh_token.as_ref().unwrap().expose()),
            ("token_type_hint", "refresh_token"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    expire(store.as_ref(), "alice");
    let source = p.source(&found, &reg, store.clone(), "alice");
    let before = p.counters.token();
    match source.token(&[CRED_RO]).await {
        Err(ClientError::AuthorizationRequired(m)) => assert!(m.contains("invalid_grant"), "{m}"),
        other => panic!("expected AuthorizationRequired, got {other:?}"),
    }
    assert!(store.tokens("alice").unwrap().is_none(), "tokens dropped");
    assert!(!source.is_authorized().await.unwrap());
    // No retry loop: the next call does not go to the server again.
    assert!(matches!(
        source.token(&[CRED_RO]).await,
        Err(ClientError::AuthorizationRequired(_))
    ));
    assert_eq!(p.counters.token() - before, 1);
    // Authorizing again recovers.
    p.authorize(&source, ALICE, &[CRED_RO]).await;
    assert!(source.token(&[CRED_RO]).await.is_ok());
}

#[tokio::test]
async fn scopes_the_user_did_not_grant_are_invalid_scope_without_a_request() {
    let p = Provider::start().await;
    let (found, reg) = p.register().await;
    let source = p.source(&found, &reg, Arc::new(MemoryUserTokenStore::new()), "alice");
    assert!(matches!(
        source.token(&[CRED_RO]).await,
        Err(ClientError::AuthorizationRequired(_))
    ));
    p.authorize(&source, ALICE, &[CRED_RO]).await;
    let before = p.counters.token();
    match source.token(&[CRED_RO, PROFILE_RO]).await {
        Err(ClientError::TokenEndpoint { status: 400, error }) => {
            assert_eq!(error, "invalid_scope")
        }
        other => panic!("expected invalid_scope, got {other:?}"),
    }
    assert_eq!(p.counters.token(), before);
}

#[tokio::test]
async fn logout_revokes_both_tokens_with_hints_and_forgets_them() {
    let p = Provider::start().await;
    let (found, reg) = p.register().await;
    let store = Arc::new(MemoryUserTokenStore::new());
    let source = p.source(&found, &reg, store.clone(), "alice");
    p.authorize(&source, ALICE, &[CRED_RO]).await;
    let stored = store.tokens("alice").unwrap().unwrap();
    let refresh = stored.refresh_token.clone().unwrap();
    assert_eq!(
        introspect(&p, &reg, stored.access_token.expose()).await["active"],
        true
    );
    let before = p.counters.revoke();
    assert_eq!(source.logout().await.unwrap(), LogoutOutcome::Revoked);
    assert_eq!(
        p.counters.revoke() - before,
        2,
        "one RFC 7009 call per token"
    );
    assert_eq!(
        introspect(&p, &reg, stored.access_token.expose()).await["active"],
        false
    );
    assert_eq!(
        introspect(&p, &reg, refresh.expose()).await["active"],
        false
    );
    assert!(store.tokens("alice").unwrap().is_none());
    assert_eq!(
        source.logout().await.unwrap(),
        LogoutOutcome::NothingToRevoke
    );
    assert!(matches!(
        source.token(&[CRED_RO]).await,
        Err(ClientError::AuthorizationRequired(_))
    ));
}

#[tokio::test]
async fn secrets_and_tokens_are_redacted_in_debug() {
    let p = Provider::start().await;
    let (found, reg) = p.register().await;
    let (_dir, path) = sqlite_store();
    let store = Arc::new(SqliteUserTokenStore::open(&path).unwrap());
    let source = p.source(&found, &reg, store.clone(), "alice");
    p.authorize(&source, ALICE, &[CRED_RO]).await;
    let tokens = store.tokens("alice").unwrap().unwrap();
    let token = source.token(&[CRED_RO]).await.unwrap();
    let secrets = [
        reg.client_secret.expose().to_owned(),
        reg.registration_access_token
            .as_ref()
            .unwrap()
            .expose()
            .to_owned(),
        tokens.access_token.expose().to_owned(),
        tokens.refresh_token.as_ref().unwrap().expose().to_owned(),
    ];
    let debug = format!("{reg:?} {tokens:?} {source:?} {store:?} {token:?} {found:?}");
    for s in &secrets {
        assert!(
            !debug.contains(s.as_str()),
            "a secret leaked into Debug: {debug}"
        );
    }
    assert!(debug.contains("redacted"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "the store file is private to its owner");
    }
}

const PROFILE_SCOPES: &[&[&str]] = &[&[PROFILE_RO]];

#[tokio::test]
async fn the_api_client_takes_the_user_token_source_like_the_client_credentials_one() {
    use ims_runtime::client::{ApiClient, ApiRequest};
    let p = Provider::start().await;
    let (found, reg) = p.register().await;
    let store = Arc::new(MemoryUserTokenStore::new());
    let alice = Arc::new(p.source(&found, &reg, store.clone(), "alice"));
    let bob = Arc::new(p.source(&found, &reg, store.clone(), "bob"));
    p.authorize(&alice, ALICE, &[PROFILE_RO, CRED_RO]).await;
    p.authorize(&bob, BOB, &[PROFILE_RO]).await;
    let call = |source: Arc<ims_runtime::client::AuthorizationCodeSource>| {
        let base = p.issuer.clone();
        let policy = p.policy();
        async move {
            let api = ApiClient::new(&base, source, policy).unwrap();
            api.call_value(ApiRequest::new(http::Method::GET, PROFILE_PATH).scopes(PROFILE_SCOPES))
                .await
        }
    };
    let a = call(Arc::clone(&alice)).await.unwrap();
    let b = call(Arc::clone(&bob)).await.unwrap();
    assert_ne!(
        a["sub"], b["sub"],
        "each account calls with its own user's token"
    );
    assert_eq!(a["client_id"], reg.client_id.as_str());

    // CL-08: the resource server refuses the (revoked) access token → one refresh, one retry.
    let stored = store.tokens("alice").unwrap().unwrap();
    let r = p
        .browser()
        .post(p.url("/revoke"))
        .header(
            "authorization",
            basic_authorization(&reg.client_id, &reg.client_secret),
        )
        .form(&[
            ("token", stored.access_token.expose()),
            ("token_type_hint", "access_token"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (tokens_before, api_before) = (
        p.counters.token(),
        p.counters.api.load(std::sync::atomic::Ordering::SeqCst),
    );
    let again = call(Arc::clone(&alice)).await.unwrap();
    assert_eq!(again["sub"], a["sub"]);
    assert_eq!(
        p.counters.token() - tokens_before,
        1,
        "one refresh after the 401"
    );
    assert_eq!(
        p.counters.api.load(std::sync::atomic::Ordering::SeqCst) - api_before,
        2,
        "one retry"
    );
    assert_ne!(
        store.tokens("alice").unwrap().unwrap().access_token,
        stored.access_token
    );
}

/// A token endpoint answering with a status and body the test sets (for the code exchange).
async fn fake_token(
    axum::extract::State(answer): axum::extract::State<Arc<std::sync::Mutex<(u16, String)>>>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let (status, body) = answer.lock().unwrap().clone();
    (
        axum::http::StatusCode::from_u16(status).unwrap(),
        [("content-type", "application/json")],
        body,
    )
        .into_response()
}

#[tokio::test]
async fn code_exchange_responses_are_validated_like_client_credentials_ones() {
    use ims_runtime::client::{
        AuthorizationCodeEndpoints, AuthorizationCodeSource, HttpPolicy, TokenSourceOptions,
    };
    let answer = Arc::new(std::sync::Mutex::new((200, String::new())));
    let router = axum::Router::new()
        .route("/token", axum::routing::post(fake_token))
        .with_state(Arc::clone(&answer));
    let server = ims_runtime::tls::testing::TestServer::start(router)
        .await
        .unwrap();
    let registration = Registration::from_stored(
        &server.url("/register"),
        serde_json::from_value(serde_json::json!({
            "client_id": "c1", "client_secret": "s1", "client_id_issued_at": 1,
            "client_secret_expires_at": 0, "redirect_uris": [REDIRECT], "scope": CRED_RO,
        }))
        .unwrap(),
    )
    .unwrap();
    let url = |p: &str| url::Url::parse(&server.url(p)).unwrap();
    let endpoints = AuthorizationCodeEndpoints {
        authorization_url: url("/authorize"),
        token_url: url("/token"),
        refresh_url: url("/token"),
        revocation_url: None,
        issuer: server.url(""),
        iss_parameter_supported: true,
    };
    let source = AuthorizationCodeSource::new(
        endpoints,
        &registration,
        REDIRECT,
        Arc::new(MemoryUserTokenStore::new()),
        "alice",
        TokenSourceOptions {
            http: HttpPolicy::default().with_ca_pem(server.ca_pem().to_vec()),
            ..TokenSourceOptions::default()
        },
    )
    .unwrap();
    let exchange = |body: String| {
        *answer.lock().unwrap() = (200, body);
        let r = source.authorization_request(&[CRED_RO]).unwrap();
        let mut cb = url::Url::parse(REDIRECT).unwrap();
        cb.query_pairs_mut()
            .append_pair("code", "c")
            .append_pair("state", &r.state)
            .append_pair("iss", &server.url(""));
        let source = &source;
        async move { source.complete(cb.as_str()).await }
    };
    // CL-05: no access_token, wrong token_type, an error member in a 200, not JSON.
    for body in [
        r#"{"token_type":"Bearer"}"#.to_owned(),
        r#"{"access_token":"a","token_type":"mac"}"#.to_owned(),
        r#"{"error":"invalid_grant"}"#.to_owned(),
        "<html>".to_owned(),
    ] {
        assert!(
            matches!(
                exchange(body.clone()).await,
                Err(AuthorizationCodeError::Client(
                    ClientError::InvalidResponse(_) | ClientError::TokenEndpoint { .. }
                ))
            ),
            "{body}"
        );
    }
    // CL-10: a response over the cap is refused.
    let huge = format!(
        r#"{{"access_token":"{}","token_type":"Bearer"}}"#,
        "a".repeat(70_000)
    );
    assert!(matches!(
        exchange(huge).await,
        Err(AuthorizationCodeError::Client(
            ClientError::ResponseTooLarge(_)
        ))
    ));
    // CL-06: an empty scope grants nothing, so no operation gets this token.
    let granted = exchange(r#"{"access_token":"a","token_type":"bearer","scope":"","expires_in":3600,"refresh_token":"r"}"#.into())
        .await
        .unwrap();
    assert!(granted.is_empty());
    assert!(matches!(
        source.token(&[CRED_RO]).await,
        Err(ClientError::TokenEndpoint { error, .. }) if error == "invalid_scope"
    ));
    // CL-07: a huge expires_in is capped (24 h), a missing one defaults (5 min).
    exchange(
        r#"{"access_token":"b","token_type":"Bearer","scope":"x","expires_in":1000000000000}"#
            .into(),
    )
    .await
    .unwrap();
    let t = source.token(&["x"]).await.unwrap();
    assert!(t.expires_at() <= std::time::Instant::now() + std::time::Duration::from_secs(86_400));
    exchange(r#"{"access_token":"c","token_type":"Bearer","scope":"x"}"#.into())
        .await
        .unwrap();
    let t = source.token(&["x"]).await.unwrap();
    assert!(t.expires_at() <= std::time::Instant::now() + std::time::Duration::from_secs(300));
}
