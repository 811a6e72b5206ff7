//! Remembered consent at `/authorize` over HTTPS on loopback, and its withdrawal.
//!
//! An approval is remembered per (user, client) as the approved scopes and starts a sign-in
//! session (cookie); a later request from that signed-in browser by the same client for the same
//! or fewer scopes gets its code without the page, anything else shows the page again.
//! `AuthorizationServer::withdraw_consent` forgets the consent and revokes that client's tokens
//! for that user only, on this instance at once and on other instances sharing a PostgreSQL
//! store through its change feed. Rules: SECURITY-CASES (a) AS-38 (state), DR-11 (page).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use ims_runtime::authorization_server::model::{ConsentRecord, RefreshRecord};
use ims_runtime::authorization_server::{
    AuthorizationServer, IssuedClient, StaticUsers, Store, StoreChange,
};
use ims_runtime::resource_server::RevocationCheck;
use reqwest::StatusCode;
use serde_json::Value;

use crate::authz_support::*;
use crate::store_conformance_pg::TestDb;

const SESSION_COOKIE: &str = "__Host-ims-authz-session";
const BOB: &str = "bob";
const BOB_PASSWORD: &str = "bob's password";

async fn two_users() -> Harness {
    Harness::start_with(|b| {
        defaults(b).resource_owner_authenticator(Arc::new(
            StaticUsers::new()
                .with_user(USER, PASSWORD, 1_000)
                .with_user(BOB, BOB_PASSWORD, 1_000),
        ))
    })
    .await
}

fn query<'a>(client_id: &'a str, challenge: &'a str, scope: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", REDIRECT),
        ("scope", scope),
        ("state", "st-9"),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
    ]
}

/// GET /authorize sending `cookie` (a `name=value` pair).
async fn authorize_with(h: &Harness, q: &[(&str, &str)], cookie: &str) -> reqwest::Response {
    let q = serde_urlencoded::to_string(q).unwrap();
    h.http
        .get(format!("{}?{q}", h.url("/authorize")))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
}

/// The session cookie (`name=value`) an approval set, with its attributes checked.
fn session_cookie(r: &reqwest::Response) -> String {
    let set = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|v| v.starts_with(&format!("{SESSION_COOKIE}=")))
        .expect("an approval starts a sign-in session");
    for attribute in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(set.contains(attribute), "{set}");
    }
    set.split(';').next().unwrap().to_owned()
}

/// Signs in as `user` on the page and approves; returns the redirect.
async fn approve(
    h: &Harness,
    client_id: &str,
    challenge: &str,
    scope: &str,
    user: &str,
    password: &str,
) -> reqwest::Response {
    let page = h.authorize(&query(client_id, challenge, scope)).await;
    let r = h.submit_login(page, user, password, "approve").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    r
}

/// Redeems a code from a redirect; returns the token response.
async fn redeem(h: &Harness, client: &IssuedClient, redirect: &str, verifier: &str) -> Value {
    let code = query_param(redirect, "code").expect("a code");
    let r = h
        .token(
            client,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", verifier),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

/// The full flow as `user`: tokens, and the session cookie the approval set.
async fn tokens_for(
    h: &Harness,
    client: &IssuedClient,
    user: &str,
    password: &str,
) -> (Value, String) {
    let (verifier, challenge) = pkce();
    let r = approve(h, &client.client_id, &challenge, ROSTER_RO, user, password).await;
    let cookie = session_cookie(&r);
    (redeem(h, client, &location(&r), &verifier).await, cookie)
}

fn field<'a>(v: &'a Value, name: &str) -> &'a str {
    v[name].as_str().unwrap()
}

#[tokio::test]
async fn a_signed_in_browser_gets_a_code_without_the_page_for_the_same_or_fewer_scopes() {
    let h = Harness::start().await;
    let c = h.code_client(&[ROSTER_RO, RESULTS_RO]).await;
    // Sorted, as the server joins scopes.
    let both = format!("{RESULTS_RO} {ROSTER_RO}");
    let (_, challenge) = pkce();
    let r = approve(&h, &c.client_id, &challenge, &both, USER, PASSWORD).await;
    let cookie = session_cookie(&r);
    for scope in [both.as_str(), ROSTER_RO, RESULTS_RO] {
        let (verifier, challenge) = pkce();
        let r = authorize_with(&h, &query(&c.client_id, &challenge, scope), &cookie).await;
        assert_eq!(r.status(), StatusCode::FOUND, "no page for {scope}");
        let loc = location(&r);
        assert!(loc.starts_with(&format!("{REDIRECT}?")), "{loc}");
        assert_eq!(query_param(&loc, "state").as_deref(), Some("st-9"));
        assert_eq!(query_param(&loc, "iss").as_deref(), Some(h.issuer.as_str()));
        let tokens = redeem(&h, &c, &loc, &verifier).await;
        let (_, claims) = jwt_parts(field(&tokens, "access_token"));
        assert_eq!(claims["sub"], USER);
        assert_eq!(claims["scope"], scope);
    }
    let consents = h.server.consents_of(USER).await.unwrap();
    assert_eq!(
        consents
            .iter()
            .map(|c| (c.client_id.as_str(), c.scope.as_str()))
            .collect::<Vec<_>>(),
        [(c.client_id.as_str(), both.as_str())]
    );
}

#[tokio::test]
async fn a_wider_scope_another_client_no_session_or_a_forged_session_shows_the_page() {
    let h = Harness::start().await;
    let c = h.code_client(&[ROSTER_RO, RESULTS_RO]).await;
    let other = h.code_client(&[ROSTER_RO]).await;
    let (_, challenge) = pkce();
    let r = approve(&h, &c.client_id, &challenge, ROSTER_RO, USER, PASSWORD).await;
    let cookie = session_cookie(&r);
    let wider = format!("{ROSTER_RO} {RESULTS_RO}");
    let value = cookie.split_once('=').unwrap().1;
    let (exp, rest) = value.split_once('.').unwrap();
    let forged_subject = format!(
        "{SESSION_COOKIE}={exp}.Ym9i.{}",
        rest.split_once('.').unwrap().1
    );
    let extended = format!(
        "{SESSION_COOKIE}={}.{rest}",
        exp.parse::<u64>().unwrap() + 60
    );
    for (what, client_id, scope, cookie) in [
        (
            "a wider scope",
            c.client_id.as_str(),
            wider.as_str(),
            cookie.as_str(),
        ),
        (
            "another client",
            other.client_id.as_str(),
            ROSTER_RO,
            cookie.as_str(),
        ),
        ("no session", c.client_id.as_str(), ROSTER_RO, "x=y"),
        (
            "another subject",
            c.client_id.as_str(),
            ROSTER_RO,
            forged_subject.as_str(),
        ),
        (
            "a later expiry",
            c.client_id.as_str(),
            ROSTER_RO,
            extended.as_str(),
        ),
    ] {
        let r = authorize_with(&h, &query(client_id, &challenge, scope), cookie).await;
        assert_eq!(r.status(), StatusCode::OK, "{what}: the page again");
        assert!(r.headers().get("location").is_none(), "{what}");
        let html = r.text().await.unwrap();
        assert!(
            html.contains("name=\"decision\" value=\"approve\""),
            "{what}"
        );
    }
    // Approving the wider set on the page widens the remembered consent.
    let r = approve(&h, &c.client_id, &challenge, &wider, USER, PASSWORD).await;
    let cookie = session_cookie(&r);
    let r = authorize_with(&h, &query(&c.client_id, &challenge, &wider), &cookie).await;
    assert_eq!(r.status(), StatusCode::FOUND);
}

#[tokio::test]
async fn denying_or_failing_to_sign_in_remembers_nothing_and_starts_no_session() {
    let h = Harness::start().await;
    let c = h.code_client(&[ROSTER_RO]).await;
    let (_, challenge) = pkce();
    let page = h
        .authorize(&query(&c.client_id, &challenge, ROSTER_RO))
        .await;
    let r = h.submit_login(page, USER, PASSWORD, "deny").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        query_param(&location(&r), "error").as_deref(),
        Some("access_denied")
    );
    assert!(r.headers().get("set-cookie").is_none());
    let page = h
        .authorize(&query(&c.client_id, &challenge, ROSTER_RO))
        .await;
    let r = h.submit_login(page, USER, "wrong", "approve").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()
            .get_all("set-cookie")
            .iter()
            .all(|v| !v.to_str().unwrap().starts_with(SESSION_COOKIE))
    );
    assert_eq!(h.server.consents_of(USER).await.unwrap(), vec![]);
}

#[tokio::test]
async fn withdrawing_consent_revokes_that_clients_tokens_for_that_user_only_and_asks_again() {
    let h = two_users().await;
    let a = h.code_client(&[ROSTER_RO]).await;
    let b = h.code_client(&[ROSTER_RO]).await;
    let (alice_a, alice_cookie) = tokens_for(&h, &a, USER, PASSWORD).await;
    let (alice_b, _) = tokens_for(&h, &b, USER, PASSWORD).await;
    let (bob_a, _) = tokens_for(&h, &a, BOB, BOB_PASSWORD).await;
    // Every access token is live before.
    for t in [&alice_a, &alice_b, &bob_a] {
        let at = field(t, "access_token");
        assert!(h.server.verify_access_token(at).await.unwrap().is_some());
    }

    assert!(h.server.withdraw_consent(USER, &a.client_id).await.unwrap());

    // alice at A: the access token and the refresh family are dead.
    let at = field(&alice_a, "access_token");
    assert!(h.server.verify_access_token(at).await.unwrap().is_none());
    let r = h
        .token(
            &a,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", field(&alice_a, "refresh_token")),
            ],
        )
        .await;
    assert_oauth_error(r, StatusCode::BAD_REQUEST, "invalid_grant").await;
    // alice at B and bob at A keep working, refresh included.
    for (t, client) in [(&alice_b, &b), (&bob_a, &a)] {
        let at = field(t, "access_token");
        assert!(h.server.verify_access_token(at).await.unwrap().is_some());
        let r = h
            .token(
                client,
                &[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", field(t, "refresh_token")),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
    }
    let left: Vec<String> = h
        .server
        .consents_of(USER)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.client_id)
        .collect();
    assert_eq!(left, [b.client_id.as_str()]);
    // Still signed in, but A must ask again.
    let (_, challenge) = pkce();
    let r = authorize_with(
        &h,
        &query(&a.client_id, &challenge, ROSTER_RO),
        &alice_cookie,
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK, "the approve step again");
    // Nothing left: `false`.
    assert!(!h.server.withdraw_consent(USER, &a.client_id).await.unwrap());
}

#[tokio::test]
async fn a_code_issued_before_withdrawal_is_refused_at_the_token_endpoint() {
    let h = Harness::start().await;
    let c = h.code_client(&[ROSTER_RO]).await;
    let (verifier, challenge) = pkce();
    let r = approve(&h, &c.client_id, &challenge, ROSTER_RO, USER, PASSWORD).await;
    let code = query_param(&location(&r), "code").unwrap();
    assert!(h.server.withdraw_consent(USER, &c.client_id).await.unwrap());
    let r = h
        .token(
            &c,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", &verifier),
            ],
        )
        .await;
    // The code may still be exchanged once, but what it yields is born revoked.
    if r.status() == StatusCode::OK {
        let body: Value = r.json().await.unwrap();
        let at = field(&body, "access_token");
        assert!(h.server.verify_access_token(at).await.unwrap().is_none());
    } else {
        assert_oauth_error(r, StatusCode::BAD_REQUEST, "invalid_grant").await;
    }
}

/// Two servers on one PostgreSQL database: a withdrawal on A reaches B's live-token cache
/// through the change feed (B is set to trust a "not revoked" answer for ten minutes).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_withdrawal_on_one_instance_is_seen_by_another() {
    let db = TestDb::create().await;
    let instance = |store: Arc<dyn Store>| async move {
        defaults(AuthorizationServer::builder(
            "https://as.example.edu",
            store,
        ))
        .revocation_recheck(Duration::from_secs(600))
        .build()
        .await
        .unwrap()
    };
    let store_a = db.store().await;
    let store_b = db.store().await;
    let a = instance(Arc::clone(&store_a)).await;
    let b = instance(Arc::clone(&store_b)).await;
    let client = a
        .create_client(
            ims_runtime::authorization_server::NewClient::authorization_code(
                [REDIRECT],
                [ROSTER_RO],
            ),
        )
        .await
        .unwrap();
    // A grant as the token endpoint leaves it: a consent, a refresh family, an access token.
    store_a
        .put_consent(ConsentRecord {
            subject: USER.into(),
            client_id: client.client_id.clone(),
            scope: ROSTER_RO.into(),
            granted_at: 1,
        })
        .await
        .unwrap();
    store_a
        .insert_refresh(RefreshRecord {
            token_hash: "rt".into(),
            grant_id: "g".into(),
            client_id: client.client_id.clone(),
            subject: USER.into(),
            scope: ROSTER_RO.into(),
            expires_at: 4_000_000_000,
            used: false,
            revoked: false,
        })
        .await
        .unwrap();
    assert!(
        store_a
            .record_access_token("g", "jti-1", 4_000_000_000)
            .await
            .unwrap()
    );
    // B remembers the token as live.
    assert!(!RevocationCheck::is_revoked(&b, "jti-1").await);
    let mut feed = store_b.changes().unwrap();

    assert!(a.withdraw_consent(USER, &client.client_id).await.unwrap());

    let wanted = StoreChange::GrantRevoked {
        grant_id: "g".into(),
    };
    let delivered = tokio::time::timeout(Duration::from_secs(10), async {
        while feed.recv().await.unwrap() != wanted {}
    })
    .await;
    assert!(delivered.is_ok(), "{wanted:?} not delivered to B");
    // The feed is applied by B's own subscriber task; give it its turn.
    let mut revoked = false;
    for _ in 0..200 {
        if RevocationCheck::is_revoked(&b, "jti-1").await {
            revoked = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(revoked, "B still accepts a token of a withdrawn consent");
    assert_eq!(b.consents_of(USER).await.unwrap(), vec![]);
}

/// The `name=value` of the `Set-Cookie` named `name`.
fn set_cookie(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap().to_owned())
}

const ACCOUNT_CSRF: &str = "__Host-ims-account-csrf";

/// GET /account/consents with `cookies`; returns (status, html, the page's CSRF cookie).
async fn account_page(h: &Harness, cookies: &[&str]) -> (StatusCode, String, String) {
    let r = h
        .http
        .get(h.url("/account/consents"))
        .header("cookie", cookies.join("; "))
        .send()
        .await
        .unwrap();
    for header in [
        "cache-control",
        "x-frame-options",
        "content-security-policy",
    ] {
        assert!(r.headers().contains_key(header), "{header}");
    }
    let csrf = set_cookie(&r, ACCOUNT_CSRF).expect("the page sets its CSRF cookie");
    (r.status(), r.text().await.unwrap(), csrf)
}

async fn account_post(h: &Harness, cookies: &[&str], form: &[(&str, &str)]) -> reqwest::Response {
    h.http
        .post(h.url("/account/consents"))
        .header("cookie", cookies.join("; "))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(form).unwrap())
        .send()
        .await
        .unwrap()
}

/// The account page, as a person uses it: sign in, see each application allowed and what it
/// may do, withdraw one. Withdrawal revokes that client's tokens for this user only, and a
/// forged or cross-site form (no matching CSRF cookie) changes nothing.
#[tokio::test]
async fn the_account_page_lists_remembered_consents_and_withdraws_one() {
    let h = two_users().await;
    let a = h.code_client(&[ROSTER_RO]).await;
    let (alice_a, session) = tokens_for(&h, &a, USER, PASSWORD).await;
    let (bob_a, _) = tokens_for(&h, &a, BOB, BOB_PASSWORD).await;

    // Signed out: the sign-in form only, nothing about anyone's consents.
    let (status, html, csrf_cookie) = account_page(&h, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(r#"name="action" value="sign_in""#), "{html}");
    assert!(!html.contains(&a.client_id), "{html}");

    // Signed in by the authorization endpoint's session: the consent, its scope in words.
    let (status, html, csrf_cookie2) = account_page(&h, &[&session, &csrf_cookie]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(csrf_cookie2, csrf_cookie, "the CSRF cookie is kept");
    assert!(html.contains(&a.client_id), "{html}");
    assert!(html.contains(ROSTER_RO), "{html}");
    assert!(html.contains(r#"value="withdraw""#), "{html}");
    let csrf = hidden(&html, "csrf_token");

    // A form without the matching cookie (a cross-site POST) is refused and changes nothing.
    let r = account_post(
        &h,
        &[&session],
        &[
            ("csrf_token", &csrf),
            ("action", "withdraw"),
            ("client_id", &a.client_id),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let at = field(&alice_a, "access_token");
    assert!(h.server.verify_access_token(at).await.unwrap().is_some());

    // Withdraw: 303 back to the page, alice's tokens at A dead, bob's alive.
    let r = account_post(
        &h,
        &[&session, &csrf_cookie],
        &[
            ("csrf_token", &csrf),
            ("action", "withdraw"),
            ("client_id", &a.client_id),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "consents?done=withdrawn");
    assert!(h.server.verify_access_token(at).await.unwrap().is_none());
    let r = h
        .token(
            &a,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", field(&alice_a, "refresh_token")),
            ],
        )
        .await;
    assert_oauth_error(r, StatusCode::BAD_REQUEST, "invalid_grant").await;
    let bob_at = field(&bob_a, "access_token");
    assert!(
        h.server
            .verify_access_token(bob_at)
            .await
            .unwrap()
            .is_some()
    );
    let r = h
        .http
        .get(h.url("/account/consents?done=withdrawn"))
        .header("cookie", format!("{session}; {csrf_cookie}"))
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    assert!(html.contains("Access withdrawn"), "{html}");
    assert!(html.contains("No application has access"), "{html}");
    assert!(h.server.consents_of(USER).await.unwrap().is_empty());

    // Bob signs in on the page itself (a wrong password first) and sees his own consent only.
    let (_, _, bob_csrf) = account_page(&h, &[]).await;
    let bob_csrf_value = bob_csrf.split_once('=').unwrap().1.to_owned();
    let r = account_post(
        &h,
        &[&bob_csrf],
        &[
            ("csrf_token", &bob_csrf_value),
            ("action", "sign_in"),
            ("username", BOB),
            ("password", "wrong"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(set_cookie(&r, SESSION_COOKIE).is_none());
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Wrong user name or password")
    );
    let r = account_post(
        &h,
        &[&bob_csrf],
        &[
            ("csrf_token", &bob_csrf_value),
            ("action", "sign_in"),
            ("username", BOB),
            ("password", BOB_PASSWORD),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let bob_session = set_cookie(&r, SESSION_COOKIE).expect("signing in starts a session");
    let (_, html, _) = account_page(&h, &[&bob_session, &bob_csrf]).await;
    assert!(html.contains(&a.client_id), "{html}");
    assert_eq!(html.matches(r#"value="withdraw""#).count(), 1, "{html}");
}
