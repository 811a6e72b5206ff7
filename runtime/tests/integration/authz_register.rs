//! Dynamic client registration over HTTPS on loopback: `POST /register` (RFC 7591 as profiled by
//! IMS, FACTS §1.5) and `GET/PUT/DELETE /register/{client_id}` (RFC 7592).
//! Rules: SECURITY-CASES (e) DR-01..13, DR-15, DR-16.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::authz_support;

use authz_support::*;
use ims_runtime::authorization_server::IssuedClient;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn ims_request() -> Value {
    json!({
        "client_name": "Badge Wallet",
        "client_uri": "https://tool.example.edu/",
        "logo_uri": "https://tool.example.edu/logo.png",
        "tos_uri": "https://tool.example.edu/tos",
        "policy_uri": "https://tool.example.edu/privacy",
        "software_id": "c88b6ed8-269e-448e-99be-7e2ff47167d1",
        "software_version": "1.0.0",
        "redirect_uris": [REDIRECT],
        "scope": ROSTER_RO,
        "token_endpoint_auth_method": "client_secret_basic",
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "contacts": ["admin@tool.example.edu"],
    })
}

async fn register(h: &Harness, body: &Value) -> reqwest::Response {
    h.http
        .post(h.url("/register"))
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn registered(h: &Harness) -> Value {
    let r = register(h, &ims_request()).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json().await.unwrap()
}

fn with(mut v: Value, key: &str, value: Value) -> Value {
    v[key] = value;
    v
}

fn without(mut v: Value, key: &str) -> Value {
    v.as_object_mut().unwrap().remove(key);
    v
}

#[tokio::test]
async fn ims_registration_returns_201_with_credentials_and_management_uri() {
    let h = Harness::start().await;
    let r = register(&h, &ims_request()).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let v: Value = r.json().await.unwrap();
    for f in ["client_id", "client_secret", "registration_access_token"] {
        assert!(v[f].as_str().is_some_and(|s| s.len() >= 16), "{f}");
    }
    assert!(v["client_id_issued_at"].as_u64().unwrap() > 1_700_000_000);
    assert_eq!(v["client_secret_expires_at"], 0);
    assert_eq!(
        v["registration_client_uri"],
        h.url(&format!("/register/{}", v["client_id"].as_str().unwrap()))
            .as_str()
    );
    for f in [
        "client_name",
        "client_uri",
        "logo_uri",
        "tos_uri",
        "policy_uri",
        "software_id",
        "software_version",
        "redirect_uris",
        "contacts",
    ] {
        assert_eq!(v[f], ims_request()[f], "{f} echoed");
    }
    assert_eq!(v["scope"], ROSTER_RO);
    assert_eq!(
        v["grant_types"],
        json!(["authorization_code", "refresh_token"])
    );
    // The new client works end to end.
    let client = IssuedClient {
        client_id: v["client_id"].as_str().unwrap().into(),
        client_secret: Some(v["client_secret"].as_str().unwrap().into()),
    };
    let t = h.code_tokens(&client, ROSTER_RO).await;
    assert!(t["refresh_token"].is_string());
}

#[tokio::test]
async fn registration_with_initial_access_token_rejects_missing_or_bad_token() {
    let h = Harness::start_with(|b| {
        defaults(b).initial_access_token("iat-0123456789abcdef0123456789abcdef")
    })
    .await;
    for auth in [None, Some("Bearer wrong")] {
        let mut req = h.http.post(h.url("/register")).json(&ims_request());
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            r.headers()["www-authenticate"],
            "Bearer error=\"invalid_token\""
        );
    }
    let r = h
        .http
        .post(h.url("/register"))
        .header(
            "authorization",
            "Bearer iat-0123456789abcdef0123456789abcdef",
        )
        .json(&ims_request())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn redirect_uri_with_fragment_is_invalid_redirect_uri() {
    let h = Harness::start().await;
    let r = register(
        &h,
        &with(
            ims_request(),
            "redirect_uris",
            json!(["https://tool.example.edu/cb#x"]),
        ),
    )
    .await;
    assert_oauth_error(r, StatusCode::BAD_REQUEST, "invalid_redirect_uri").await;
}

#[tokio::test]
async fn dangerous_or_non_https_redirect_uris_are_invalid_redirect_uri() {
    let h = Harness::start().await;
    for uri in [
        "javascript:alert(1)",
        "data:text/html,hi",
        "vbscript:msgbox",
        "http://tool.example.edu/cb",
        "https://*.tool.example.edu/cb",
        "https://user:pw@tool.example.edu/cb",
        "/relative/cb",
    ] {
        let r = register(&h, &with(ims_request(), "redirect_uris", json!([uri]))).await;
        assert_oauth_error(r, StatusCode::BAD_REQUEST, "invalid_redirect_uri").await;
    }
}

#[tokio::test]
async fn internal_or_non_https_jwks_uri_is_invalid_client_metadata() {
    let h = Harness::start().await;
    let pkjwt = with(
        ims_request(),
        "token_endpoint_auth_method",
        json!("private_key_jwt"),
    );
    for uri in [
        "https://169.254.169.254/jwks",
        "https://127.0.0.1/jwks",
        "https://localhost/jwks",
        "file:///etc/passwd",
        "gopher://tool.example.edu/jwks",
        "http://tool.example.edu/jwks",
        "https://other-host.example/jwks",
    ] {
        let r = register(&h, &with(pkjwt.clone(), "jwks_uri", json!(uri))).await;
        assert_oauth_error(r, StatusCode::BAD_REQUEST, "invalid_client_metadata").await;
    }
    // Every URI on an internal address: refused even though the hosts agree.
    let mut internal = pkjwt.clone();
    for f in ["client_uri", "logo_uri", "tos_uri", "policy_uri"] {
        internal[f] = json!(format!("https://10.0.0.5/{f}"));
    }
    internal["redirect_uris"] = json!(["https://10.0.0.5/cb"]);
    internal["jwks_uri"] = json!("https://10.0.0.5/jwks");
    let r = register(&h, &internal).await;
    assert_oauth_error(r, StatusCode::BAD_REQUEST, "invalid_client_metadata").await;
    // A public https jwks_uri on the client's host is accepted (fetched only when used).
    let ok = with(pkjwt, "jwks_uri", json!("https://tool.example.edu/jwks"));
    let r = register(&h, &ok).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["jwks_uri"], "https://tool.example.edu/jwks");
    assert!(
        v.get("client_secret").is_none(),
        "private_key_jwt clients get no secret"
    );
}

#[tokio::test]
async fn jwks_and_jwks_uri_together_are_invalid_client_metadata() {
    let h = Harness::start().await;
    let body = with(
        with(ims_request(), "jwks", json!({"keys": []})),
        "jwks_uri",
        json!("https://tool.example.edu/jwks"),
    );
    let r = register(&h, &body).await;
    assert_oauth_error(r, StatusCode::BAD_REQUEST, "invalid_client_metadata").await;
}

#[tokio::test]
async fn privileged_scopes_are_narrowed_never_granted() {
    let h = Harness::start_with(|b| defaults(b).registration_scopes([ROSTER_RO])).await;
    let r = register(
        &h,
        &with(
            ims_request(),
            "scope",
            json!(format!("{ROSTER_RO} {ROSTER_CREATEPUT}")),
        ),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["scope"], ROSTER_RO);
    let r = register(&h, &with(ims_request(), "scope", json!(ROSTER_CREATEPUT))).await;
    assert_oauth_error(r, StatusCode::BAD_REQUEST, "invalid_client_metadata").await;
}

#[tokio::test]
async fn inconsistent_or_forbidden_grant_and_response_types_are_invalid_client_metadata() {
    let h = Harness::start().await;
    for (g, rt) in [
        (json!(["refresh_token"]), json!(["code"])),
        (json!(["implicit"]), json!(["token"])),
        (json!(["password"]), json!([])),
        (json!(["authorization_code"]), json!(["code", "token"])),
        (json!("authorization_code"), json!(["code"])),
    ] {
        let body = with(
            with(ims_request(), "grant_types", g.clone()),
            "response_types",
            rt,
        );
        let r = register(&h, &body).await;
        assert_oauth_error(r, StatusCode::BAD_REQUEST, "invalid_client_metadata").await;
    }
}

#[tokio::test]
async fn unknown_or_none_token_endpoint_auth_method_is_invalid_client_metadata() {
    let h = Harness::start().await;
    for m in ["none", "client_secret_jwt", "tls_client_auth", "bogus"] {
        let r = register(
            &h,
            &with(ims_request(), "token_endpoint_auth_method", json!(m)),
        )
        .await;
        assert_oauth_error(r, StatusCode::BAD_REQUEST, "invalid_client_metadata").await;
    }
}

#[tokio::test]
async fn client_supplied_credentials_are_ignored() {
    let h = Harness::start().await;
    let mut body = ims_request();
    body["client_id"] = json!("chosen-by-attacker");
    body["client_secret"] = json!("chosen-secret");
    body["registration_access_token"] = json!("chosen-rat");
    body["client_id_issued_at"] = json!(1);
    let v: Value = register(&h, &body).await.json().await.unwrap();
    assert_ne!(v["client_id"], "chosen-by-attacker");
    assert_ne!(v["client_secret"], "chosen-secret");
    assert_ne!(v["registration_access_token"], "chosen-rat");
    assert_ne!(v["client_id_issued_at"], 1);
}

#[tokio::test]
async fn non_object_json_wrong_content_type_and_oversized_documents_are_rejected() {
    let h = Harness::start().await;
    for raw in ["null", "[]", "\"x\"", "{not json"] {
        let r = h
            .http
            .post(h.url("/register"))
            .header("content-type", "application/json")
            .body(raw)
            .send()
            .await
            .unwrap();
        assert_oauth_error(r, StatusCode::BAD_REQUEST, "invalid_client_metadata").await;
    }
    let r = h
        .http
        .post(h.url("/register"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("client_name=x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let big = with(ims_request(), "client_name", json!("x".repeat(1024 * 1024)));
    assert_eq!(
        register(&h, &big).await.status(),
        StatusCode::PAYLOAD_TOO_LARGE
    );
    let uris: Vec<String> = (0..1000)
        .map(|i| format!("https://tool.example.edu/cb{i}"))
        .collect();
    let r = register(&h, &with(ims_request(), "redirect_uris", json!(uris))).await;
    assert_oauth_error(r, StatusCode::BAD_REQUEST, "invalid_redirect_uri").await;
}

#[tokio::test]
async fn display_uris_must_be_https_and_names_are_escaped_on_output() {
    let h = Harness::start().await;
    for f in ["logo_uri", "tos_uri", "policy_uri", "client_uri"] {
        let r = register(&h, &with(ims_request(), f, json!("javascript:alert(1)"))).await;
        assert_oauth_error(r, StatusCode::BAD_REQUEST, "invalid_client_metadata").await;
    }
    let v: Value = register(
        &h,
        &with(
            ims_request(),
            "client_name",
            json!("<img src=x onerror=alert(1)>"),
        ),
    )
    .await
    .json()
    .await
    .unwrap();
    let (_, ch) = pkce();
    let page = h
        .authorize(&[
            ("response_type", "code"),
            ("client_id", v["client_id"].as_str().unwrap()),
            ("redirect_uri", REDIRECT),
            ("state", "s"),
            ("code_challenge", &ch),
            ("code_challenge_method", "S256"),
        ])
        .await
        .text()
        .await
        .unwrap();
    assert!(!page.contains("<img src=x"));
    assert!(page.contains("&lt;img src=x onerror=alert(1)&gt;"));
}

#[tokio::test]
async fn ims_profile_requires_fields_arrays_and_one_host() {
    let h = Harness::start().await;
    for f in [
        "client_name",
        "logo_uri",
        "software_id",
        "software_version",
        "scope",
        "tos_uri",
    ] {
        let r = register(&h, &without(ims_request(), f)).await;
        assert_oauth_error(r, StatusCode::BAD_REQUEST, "invalid_client_metadata").await;
    }
    let r = register(&h, &without(ims_request(), "redirect_uris")).await;
    assert_oauth_error(r, StatusCode::BAD_REQUEST, "invalid_redirect_uri").await;
    let r = register(&h, &with(ims_request(), "redirect_uris", json!(REDIRECT))).await;
    assert_oauth_error(r, StatusCode::BAD_REQUEST, "invalid_redirect_uri").await;
    let r = register(
        &h,
        &with(ims_request(), "contacts", json!("admin@tool.example.edu")),
    )
    .await;
    assert_oauth_error(r, StatusCode::BAD_REQUEST, "invalid_client_metadata").await;
    let r = register(
        &h,
        &with(
            ims_request(),
            "logo_uri",
            json!("https://cdn.other.example/logo.png"),
        ),
    )
    .await;
    assert_oauth_error(r, StatusCode::BAD_REQUEST, "invalid_client_metadata").await;
}

#[tokio::test]
async fn software_statements_are_not_accepted() {
    let h = Harness::start().await;
    let r = register(
        &h,
        &with(
            ims_request(),
            "software_statement",
            json!("eyJhbGciOiJSUzI1NiJ9.e30.sig"),
        ),
    )
    .await;
    assert_oauth_error(r, StatusCode::BAD_REQUEST, "invalid_software_statement").await;
}

#[tokio::test]
async fn registration_flood_is_capped() {
    let h = Harness::start_with(|b| defaults(b).max_clients(2)).await;
    assert_eq!(
        register(&h, &ims_request()).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        register(&h, &ims_request()).await.status(),
        StatusCode::CREATED
    );
    let r = register(&h, &ims_request()).await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
}

// ---- RFC 7592 ----

async fn manage(
    h: &Harness,
    method: reqwest::Method,
    uri: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> reqwest::Response {
    let mut req = h.http.request(method, uri);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(b);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn management_read_update_delete_with_registration_access_token() {
    let h = Harness::start().await;
    let v = registered(&h).await;
    let uri = v["registration_client_uri"].as_str().unwrap();
    let rat = v["registration_access_token"].as_str().unwrap();
    let r = manage(&h, reqwest::Method::GET, uri, Some(rat), None).await;
    assert_eq!(r.status(), StatusCode::OK);
    let read: Value = r.json().await.unwrap();
    assert_eq!(read["client_id"], v["client_id"]);
    assert_eq!(read["client_name"], "Badge Wallet");
    let mut upd = ims_request();
    upd["client_id"] = v["client_id"].clone();
    upd["client_name"] = json!("Badge Wallet 2");
    let r = manage(&h, reqwest::Method::PUT, uri, Some(rat), Some(&upd)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.json::<Value>().await.unwrap()["client_name"],
        "Badge Wallet 2"
    );
    let r = manage(&h, reqwest::Method::DELETE, uri, Some(rat), None).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = manage(&h, reqwest::Method::GET, uri, Some(rat), None).await;
    assert_oauth_error(r, StatusCode::UNAUTHORIZED, "invalid_token").await;
    // The deleted client can no longer get tokens.
    let r = h
        .post_form(
            "/token",
            &[("grant_type", "client_credentials")],
            Some((
                v["client_id"].as_str().unwrap(),
                v["client_secret"].as_str().unwrap(),
            )),
        )
        .await;
    assert_oauth_error(r, StatusCode::UNAUTHORIZED, "invalid_client").await;
}

#[tokio::test]
async fn management_without_or_with_wrong_token_is_401_invalid_token() {
    let h = Harness::start().await;
    let v = registered(&h).await;
    let uri = v["registration_client_uri"].as_str().unwrap();
    for method in [reqwest::Method::GET, reqwest::Method::DELETE] {
        for t in [None, Some("wrong")] {
            let r = manage(&h, method.clone(), uri, t, None).await;
            assert_eq!(
                r.headers()["www-authenticate"],
                "Bearer error=\"invalid_token\""
            );
            assert_oauth_error(r, StatusCode::UNAUTHORIZED, "invalid_token").await;
        }
    }
    let r = manage(&h, reqwest::Method::PUT, uri, None, Some(&ims_request())).await;
    assert_oauth_error(r, StatusCode::UNAUTHORIZED, "invalid_token").await;
}

#[tokio::test]
async fn registration_token_used_on_another_client_is_401_and_revoked() {
    let h = Harness::start().await;
    let a = registered(&h).await;
    let b = registered(&h).await;
    let a_rat = a["registration_access_token"].as_str().unwrap();
    let r = manage(
        &h,
        reqwest::Method::GET,
        b["registration_client_uri"].as_str().unwrap(),
        Some(a_rat),
        None,
    )
    .await;
    assert_oauth_error(r, StatusCode::UNAUTHORIZED, "invalid_token").await;
    let r = manage(
        &h,
        reqwest::Method::GET,
        a["registration_client_uri"].as_str().unwrap(),
        Some(a_rat),
        None,
    )
    .await;
    assert_oauth_error(r, StatusCode::UNAUTHORIZED, "invalid_token").await;
}

#[tokio::test]
async fn statically_configured_clients_cannot_be_managed() {
    let h = Harness::start().await;
    let c = h.cc_client(&[ROSTER_RO]).await;
    let r = manage(
        &h,
        reqwest::Method::GET,
        &h.url(&format!("/register/{}", c.client_id)),
        Some("anything"),
        None,
    )
    .await;
    assert_oauth_error(r, StatusCode::UNAUTHORIZED, "invalid_token").await;
}

#[tokio::test]
async fn update_changing_client_id_or_with_wrong_secret_is_invalid_client_metadata() {
    let h = Harness::start().await;
    let v = registered(&h).await;
    let uri = v["registration_client_uri"].as_str().unwrap();
    let rat = v["registration_access_token"].as_str().unwrap();
    let mut changed_id = ims_request();
    changed_id["client_id"] = json!("another-id");
    let r = manage(&h, reqwest::Method::PUT, uri, Some(rat), Some(&changed_id)).await;
    assert_oauth_error(r, StatusCode::BAD_REQUEST, "invalid_client_metadata").await;
    let r = manage(
        &h,
        reqwest::Method::PUT,
        uri,
        Some(rat),
        Some(&ims_request()),
    )
    .await;
    assert_oauth_error(r, StatusCode::BAD_REQUEST, "invalid_client_metadata").await;
    let mut wrong_secret = ims_request();
    wrong_secret["client_id"] = v["client_id"].clone();
    wrong_secret["client_secret"] = json!("not-the-secret");
    let r = manage(
        &h,
        reqwest::Method::PUT,
        uri,
        Some(rat),
        Some(&wrong_secret),
    )
    .await;
    assert_oauth_error(r, StatusCode::BAD_REQUEST, "invalid_client_metadata").await;
    let mut right_secret = ims_request();
    right_secret["client_id"] = v["client_id"].clone();
    right_secret["client_secret"] = v["client_secret"].clone();
    let r = manage(
        &h,
        reqwest::Method::PUT,
        uri,
        Some(rat),
        Some(&right_secret),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn update_is_validated_like_registration_and_invalidates_the_client_cache() {
    let h = Harness::start().await;
    let v = registered(&h).await;
    let uri = v["registration_client_uri"].as_str().unwrap();
    let rat = v["registration_access_token"].as_str().unwrap();
    let client = IssuedClient {
        client_id: v["client_id"].as_str().unwrap().into(),
        client_secret: Some(v["client_secret"].as_str().unwrap().into()),
    };
    // Warm the cache via /authorize with the old redirect URI.
    let (_, ch) = pkce();
    let q = [
        ("response_type", "code"),
        ("client_id", client.client_id.as_str()),
        ("redirect_uri", REDIRECT),
        ("state", "s"),
        ("code_challenge", ch.as_str()),
        ("code_challenge_method", "S256"),
    ];
    assert_eq!(h.authorize(&q).await.status(), StatusCode::OK);
    let mut bad = ims_request();
    bad["client_id"] = v["client_id"].clone();
    bad["redirect_uris"] = json!(["javascript:alert(1)"]);
    let r = manage(&h, reqwest::Method::PUT, uri, Some(rat), Some(&bad)).await;
    assert_oauth_error(r, StatusCode::BAD_REQUEST, "invalid_redirect_uri").await;
    let mut moved = ims_request();
    moved["client_id"] = v["client_id"].clone();
    moved["redirect_uris"] = json!(["https://tool.example.edu/new-cb"]);
    assert_eq!(
        manage(&h, reqwest::Method::PUT, uri, Some(rat), Some(&moved))
            .await
            .status(),
        StatusCode::OK
    );
    let r = h.authorize(&q).await;
    assert_eq!(
        r.status(),
        StatusCode::BAD_REQUEST,
        "old redirect URI no longer accepted"
    );
}

#[tokio::test]
async fn sector_identifier_uri_and_request_uris_are_not_supported() {
    let h = Harness::start().await;
    for (k, v) in [
        (
            "sector_identifier_uri",
            json!("https://tool.example.edu/sector.json"),
        ),
        ("request_uris", json!(["https://tool.example.edu/req"])),
    ] {
        let r = register(&h, &with(ims_request(), k, v)).await;
        assert_oauth_error(r, StatusCode::BAD_REQUEST, "invalid_client_metadata").await;
    }
}

// ---- DR-16: per-address rate limit on registration ----

#[tokio::test]
async fn registration_flood_from_one_ip_is_rate_limited() {
    let h = Harness::start_with(|b| {
        defaults(b).registration_rate_limit(2, std::time::Duration::from_secs(600))
    })
    .await;
    let v = registered(&h).await;
    assert_eq!(
        register(&h, &ims_request()).await.status(),
        StatusCode::CREATED
    );
    let r = register(&h, &ims_request()).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=600).contains(&retry_after), "{retry_after}");
    let body = assert_oauth_error(r, StatusCode::TOO_MANY_REQUESTS, "invalid_request").await;
    assert_eq!(
        body,
        json!({"error": "invalid_request", "error_description": "too many requests"})
    );
    // The RFC 7592 management endpoints share the budget and refuse before checking the token.
    let uri = v["registration_client_uri"].as_str().unwrap();
    let rat = v["registration_access_token"].as_str().unwrap();
    let r = manage(&h, reqwest::Method::GET, uri, Some(rat), None).await;
    assert_oauth_error(r, StatusCode::TOO_MANY_REQUESTS, "invalid_request").await;
}
