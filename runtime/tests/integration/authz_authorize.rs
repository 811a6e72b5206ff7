//! `GET/POST /authorize` over HTTPS on loopback: client and redirect-URI validation (never an
//! open redirect), PKCE S256, `state`, `iss` (RFC 9207), the login + consent page.
//! Rules: SECURITY-CASES (a) AS-01..08, AS-32, AS-36, AS-38, DR-11 (output escaping).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::authz_support;

use authz_support::*;
use ims_runtime::authorization_server::NewClient;
use reqwest::StatusCode;
use serde_json::json;

fn base<'a>(client_id: &'a str, challenge: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", REDIRECT),
        ("scope", ROSTER_RO),
        ("state", "xyz"),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
    ]
}

fn with<'a>(
    mut q: Vec<(&'a str, &'a str)>,
    key: &'a str,
    value: Option<&'a str>,
) -> Vec<(&'a str, &'a str)> {
    q.retain(|(k, _)| *k != key);
    if let Some(v) = value {
        q.push((key, v));
    }
    q
}

async fn assert_error_page(r: reqwest::Response) {
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.headers().get("location").is_none(), "must never redirect");
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
}

fn assert_error_redirect(r: &reqwest::Response, h: &Harness, error: &str, state: Option<&str>) {
    assert_eq!(r.status(), StatusCode::FOUND);
    let loc = location(r);
    assert!(loc.starts_with(&format!("{REDIRECT}?")), "{loc}");
    assert_eq!(query_param(&loc, "error").as_deref(), Some(error), "{loc}");
    assert_eq!(query_param(&loc, "state").as_deref(), state);
    assert_eq!(query_param(&loc, "iss").as_deref(), Some(h.issuer.as_str()));
    assert!(query_param(&loc, "code").is_none());
}

#[tokio::test]
async fn valid_request_shows_login_page_and_approval_redirects_with_code_state_and_iss() {
    let h = Harness::start().await;
    let c = h.code_client(&[ROSTER_RO]).await;
    let (_, challenge) = pkce();
    let code = h.obtain_code(&c.client_id, &challenge, ROSTER_RO).await;
    assert!(
        code.len() >= 43,
        "codes carry at least 256 bits of randomness"
    );
}

#[tokio::test]
async fn unregistered_redirect_uri_is_400_page_without_redirect() {
    let h = Harness::start().await;
    let c = h.code_client(&[ROSTER_RO]).await;
    let (_, ch) = pkce();
    let r = h
        .authorize(&with(
            base(&c.client_id, &ch),
            "redirect_uri",
            Some("https://evil.example/cb"),
        ))
        .await;
    assert_error_page(r).await;
}

#[tokio::test]
async fn redirect_uri_matching_tricks_are_rejected_by_exact_match() {
    let h = Harness::start().await;
    let c = h.code_client(&[ROSTER_RO]).await;
    let (_, ch) = pkce();
    for trick in [
        "https://tool.example.edu/cb/../x",
        "https://tool.example.edu/cb;/..",
        "https://tool.example.edu/cb/..;/x",
        "https://tool.example.edu.evil.com/cb",
        "https://tool.example.edu@evil.com/cb",
        "https://a@b@tool.example.edu/cb",
        "https://evil.com#@tool.example.edu/cb",
        "HTTPS://TOOL.example.edu/CB",
        "https://tool.example.edu/%63b",
        "https://tool.example.edu/cb/",
        "https://tool.example.edu/cb?x=1",
        "JaVaScRiPt:alert(1)",
        "\tjavascript:alert(1)",
    ] {
        let r = h
            .authorize(&with(base(&c.client_id, &ch), "redirect_uri", Some(trick)))
            .await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{trick}");
        assert!(r.headers().get("location").is_none(), "{trick}");
    }
}

#[tokio::test]
async fn loopback_ip_redirect_may_differ_only_in_port() {
    let h = Harness::start().await;
    let c = h
        .server
        .create_client(NewClient::authorization_code(
            ["http://127.0.0.1/cb"],
            [ROSTER_RO],
        ))
        .await
        .unwrap();
    let (_, ch) = pkce();
    let r = h
        .authorize(&with(
            base(&c.client_id, &ch),
            "redirect_uri",
            Some("http://127.0.0.1:51234/cb"),
        ))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = h
        .authorize(&with(
            base(&c.client_id, &ch),
            "redirect_uri",
            Some("http://127.0.0.1:51234/cb?x=1"),
        ))
        .await;
    assert_error_page(r).await;
}

#[tokio::test]
async fn omitted_redirect_uri_with_several_registered_is_400_page() {
    let h = Harness::start().await;
    let c = h
        .server
        .create_client(NewClient::authorization_code(
            [REDIRECT, "https://tool.example.edu/cb2"],
            [ROSTER_RO],
        ))
        .await
        .unwrap();
    let (_, ch) = pkce();
    assert_error_page(
        h.authorize(&with(base(&c.client_id, &ch), "redirect_uri", None))
            .await,
    )
    .await;
    // With exactly one registered URI it may be omitted.
    let single = h.code_client(&[ROSTER_RO]).await;
    let r = h
        .authorize(&with(base(&single.client_id, &ch), "redirect_uri", None))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn unknown_or_missing_client_id_is_400_page() {
    let h = Harness::start().await;
    let (_, ch) = pkce();
    assert_error_page(h.authorize(&base("no-such-client", &ch)).await).await;
    assert_error_page(h.authorize(&with(base("x", &ch), "client_id", None)).await).await;
}

#[tokio::test]
async fn disabled_client_is_400_page() {
    let h = Harness::start().await;
    let c = h.code_client(&[ROSTER_RO]).await;
    let store = ims_runtime::authorization_server::SqliteStore::open(&h.db).unwrap();
    use ims_runtime::authorization_server::Store;
    let mut rec = store.get_client(&c.client_id).await.unwrap().unwrap();
    rec.disabled = true;
    h.server.put_client(rec).await.unwrap();
    let (_, ch) = pkce();
    assert_error_page(h.authorize(&base(&c.client_id, &ch)).await).await;
}

#[tokio::test]
async fn response_type_missing_or_unsupported_redirects_with_error_state_and_iss() {
    let h = Harness::start().await;
    let c = h.code_client(&[ROSTER_RO]).await;
    let (_, ch) = pkce();
    let r = h
        .authorize(&with(base(&c.client_id, &ch), "response_type", None))
        .await;
    assert_error_redirect(&r, &h, "invalid_request", Some("xyz"));
    let r = h
        .authorize(&with(
            base(&c.client_id, &ch),
            "response_type",
            Some("token"),
        ))
        .await;
    assert_error_redirect(&r, &h, "unsupported_response_type", Some("xyz"));
}

#[tokio::test]
async fn missing_code_challenge_is_invalid_request() {
    let h = Harness::start().await;
    let c = h.code_client(&[ROSTER_RO]).await;
    let (_, ch) = pkce();
    let r = h
        .authorize(&with(base(&c.client_id, &ch), "code_challenge", None))
        .await;
    assert_error_redirect(&r, &h, "invalid_request", Some("xyz"));
}

#[tokio::test]
async fn plain_or_unknown_or_missing_challenge_method_is_invalid_request() {
    let h = Harness::start().await;
    let c = h.code_client(&[ROSTER_RO]).await;
    let (_, ch) = pkce();
    for m in [Some("plain"), Some("s256"), Some("S512"), None] {
        let r = h
            .authorize(&with(base(&c.client_id, &ch), "code_challenge_method", m))
            .await;
        assert_error_redirect(&r, &h, "invalid_request", Some("xyz"));
    }
}

#[tokio::test]
async fn code_challenge_violating_abnf_is_invalid_request() {
    let h = Harness::start().await;
    let c = h.code_client(&[ROSTER_RO]).await;
    let short = "a".repeat(42);
    let long = "a".repeat(129);
    let bad_chars = format!("{}+/=", "a".repeat(43));
    for ch in [short.as_str(), long.as_str(), bad_chars.as_str()] {
        let r = h.authorize(&base(&c.client_id, ch)).await;
        assert_error_redirect(&r, &h, "invalid_request", Some("xyz"));
    }
}

#[tokio::test]
async fn state_is_required() {
    let h = Harness::start().await;
    let c = h.code_client(&[ROSTER_RO]).await;
    let (_, ch) = pkce();
    let r = h
        .authorize(&with(base(&c.client_id, &ch), "state", None))
        .await;
    assert_error_redirect(&r, &h, "invalid_request", None);
}

#[tokio::test]
async fn state_is_echoed_byte_for_byte() {
    let h = Harness::start().await;
    let c = h.code_client(&[ROSTER_RO]).await;
    let (_, ch) = pkce();
    let odd = "a b+c%2F&d=é<>\"'";
    let r = h
        .authorize(&with(
            with(base(&c.client_id, &ch), "state", Some(odd)),
            "response_type",
            Some("token"),
        ))
        .await;
    assert_error_redirect(&r, &h, "unsupported_response_type", Some(odd));
    let page = h
        .authorize(&with(base(&c.client_id, &ch), "state", Some(odd)))
        .await;
    let r = h.submit_login(page, USER, PASSWORD, "approve").await;
    assert_eq!(query_param(&location(&r), "state").as_deref(), Some(odd));
}

#[tokio::test]
async fn oversized_state_or_query_is_400_page_without_redirect() {
    let h = Harness::start().await;
    let c = h.code_client(&[ROSTER_RO]).await;
    let (_, ch) = pkce();
    let big = "s".repeat(64 * 1024);
    let q =
        serde_urlencoded::to_string(with(base(&c.client_id, &ch), "state", Some(&big))).unwrap();
    // A 64 KB URL is refused before any work: by the HTTP layer (431 / reset) or as a 400 page.
    match h
        .http
        .get(format!("{}?{q}", h.url("/authorize")))
        .send()
        .await
    {
        Ok(r) => {
            assert!(r.status().is_client_error(), "{}", r.status());
            assert!(r.headers().get("location").is_none());
        }
        Err(e) => assert!(!e.is_timeout(), "{e}"),
    }
    let medium = "s".repeat(4 * 1024);
    assert_error_page(
        h.authorize(&with(base(&c.client_id, &ch), "state", Some(&medium)))
            .await,
    )
    .await;
}

#[tokio::test]
async fn duplicate_parameters_are_400_page() {
    let h = Harness::start().await;
    let c = h.code_client(&[ROSTER_RO]).await;
    let (_, ch) = pkce();
    let mut q = base(&c.client_id, &ch);
    q.push(("redirect_uri", "https://evil.example/cb"));
    assert_error_page(h.authorize(&q).await).await;
}

#[tokio::test]
async fn scope_outside_allowance_redirects_invalid_scope() {
    let h = Harness::start().await;
    let c = h.code_client(&[ROSTER_RO]).await;
    let (_, ch) = pkce();
    let r = h
        .authorize(&with(
            base(&c.client_id, &ch),
            "scope",
            Some(ROSTER_CREATEPUT),
        ))
        .await;
    assert_error_redirect(&r, &h, "invalid_scope", Some("xyz"));
}

#[tokio::test]
async fn client_without_authorization_code_grant_gets_unauthorized_client() {
    let h = Harness::start().await;
    let c = h
        .server
        .create_client(NewClient {
            redirect_uris: vec![REDIRECT.into()],
            ..NewClient::client_credentials([ROSTER_RO])
        })
        .await
        .unwrap();
    let (_, ch) = pkce();
    let r = h.authorize(&base(&c.client_id, &ch)).await;
    assert_error_redirect(&r, &h, "unauthorized_client", Some("xyz"));
}

#[tokio::test]
async fn denied_consent_redirects_access_denied_with_state_and_iss() {
    let h = Harness::start().await;
    let c = h.code_client(&[ROSTER_RO]).await;
    let (_, ch) = pkce();
    let page = h.authorize(&base(&c.client_id, &ch)).await;
    let r = h.submit_login(page, USER, PASSWORD, "deny").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let loc = location(&r);
    assert_eq!(query_param(&loc, "error").as_deref(), Some("access_denied"));
    assert_eq!(query_param(&loc, "state").as_deref(), Some("xyz"));
    assert_eq!(query_param(&loc, "iss").as_deref(), Some(h.issuer.as_str()));
}

#[tokio::test]
async fn wrong_password_shows_the_page_again_without_a_code() {
    let h = Harness::start().await;
    let c = h.code_client(&[ROSTER_RO]).await;
    let (_, ch) = pkce();
    let page = h.authorize(&base(&c.client_id, &ch)).await;
    let r = h.submit_login(page, USER, "wrong", "approve").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers().get("location").is_none());
    let page = h
        .submit_login(
            h.authorize(&base(&c.client_id, &ch)).await,
            "mallory",
            PASSWORD,
            "approve",
        )
        .await;
    assert_eq!(page.status(), StatusCode::OK);
}

#[tokio::test]
async fn login_post_without_csrf_cookie_is_rejected() {
    let h = Harness::start().await;
    let c = h.code_client(&[ROSTER_RO]).await;
    let (_, ch) = pkce();
    let page = h.authorize(&base(&c.client_id, &ch)).await;
    let html = page.text().await.unwrap();
    let start = html.find("name=\"request_id\" value=\"").unwrap() + 25;
    let rid = &html[start..start + html[start..].find('"').unwrap()];
    let r = h
        .post_form(
            "/authorize",
            &[
                ("request_id", rid),
                ("csrf_token", "forged"),
                ("username", USER),
                ("password", PASSWORD),
                ("decision", "approve"),
            ],
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.headers().get("location").is_none());
}

#[tokio::test]
async fn login_form_cannot_be_replayed() {
    let h = Harness::start().await;
    let c = h.code_client(&[ROSTER_RO]).await;
    let (_, ch) = pkce();
    let page = h.authorize(&base(&c.client_id, &ch)).await;
    let cookie = page.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let html = page.text().await.unwrap();
    let field = |n: &str| {
        let m = format!("name=\"{n}\" value=\"");
        let s = html.find(&m).unwrap() + m.len();
        html[s..s + html[s..].find('"').unwrap()].to_owned()
    };
    let body = serde_urlencoded::to_string([
        ("request_id", field("request_id")),
        ("csrf_token", field("csrf_token")),
        ("username", USER.into()),
        ("password", PASSWORD.into()),
        ("decision", "approve".into()),
    ])
    .unwrap();
    let send = || {
        h.http
            .post(h.url("/authorize"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", cookie.clone())
            .body(body.clone())
            .send()
    };
    assert_eq!(send().await.unwrap().status(), StatusCode::SEE_OTHER);
    assert_eq!(send().await.unwrap().status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn consent_page_escapes_client_metadata_and_shows_links_and_scopes() {
    let h = Harness::start().await;
    let mut nc = NewClient::authorization_code([REDIRECT], [ROSTER_RO]);
    nc.metadata = json!({
        "client_name": "<script>alert(1)</script>\"Tool\"",
        "client_uri": "https://tool.example.edu/\"><script>x</script>",
        "logo_uri": "https://tool.example.edu/logo.png",
        "tos_uri": "https://tool.example.edu/tos",
        "policy_uri": "javascript:alert(1)",
    })
    .as_object()
    .unwrap()
    .clone();
    let c = h.server.create_client(nc).await.unwrap();
    let (_, ch) = pkce();
    let r = h.authorize(&base(&c.client_id, &ch)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["x-frame-options"], "DENY");
    assert!(
        r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("Secure") && cookie.contains("HttpOnly") && cookie.contains("SameSite")
    );
    let html = r.text().await.unwrap();
    assert!(!html.contains("<script"), "{html}");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;Tool&quot;"));
    assert!(html.contains("https://tool.example.edu/logo.png"));
    assert!(html.contains("https://tool.example.edu/tos"));
    assert!(
        !html.contains("javascript:"),
        "non-https links are not rendered"
    );
    assert!(html.contains(ROSTER_RO));
}
