//! Client token-source rules (SECURITY-CASES (c) CL-04..11, 15, 16) against a counting token
//! endpoint on loopback TLS.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::Form;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use common::*;
use ims_runtime::client::{
    AuthorizedClient, ClientAuth, ClientCredentialsSource, ClientError, ClientSecret, HttpPolicy,
    JwtAssertionKey, TokenSource, TokenSourceOptions, basic_authorization,
};
use ims_runtime::tls::testing::TestServer;
use serde_json::{Value, json};

type Responder = Arc<dyn Fn(usize) -> (u16, String) + Send + Sync>;

struct TokenServer {
    server: TestServer,
    hits: Arc<AtomicUsize>,
    last_auth: Arc<Mutex<Option<String>>>,
    last_form: Arc<Mutex<Vec<(String, String)>>>,
}

/// A token endpoint answering `respond(request_number)` (0-based) after `delay`.
async fn token_server(respond: Responder, delay: Duration) -> TokenServer {
    let hits = Arc::new(AtomicUsize::new(0));
    let last_auth = Arc::new(Mutex::new(None));
    let last_form = Arc::new(Mutex::new(Vec::new()));
    let (h, a, f) = (hits.clone(), last_auth.clone(), last_form.clone());
    let app = Router::new()
        .route(
            "/token",
            post(
                move |headers: HeaderMap, Form(form): Form<Vec<(String, String)>>| {
                    let n = h.fetch_add(1, Ordering::SeqCst);
                    *a.lock().unwrap() = headers
                        .get("authorization")
                        .map(|v| v.to_str().unwrap().to_owned());
                    *f.lock().unwrap() = form;
                    let (status, body) = respond(n);
                    async move {
                        tokio::time::sleep(delay).await;
                        Response::builder()
                            .status(status)
                            .header("content-type", "application/json")
                            .body(axum::body::Body::from(body))
                            .unwrap()
                    }
                },
            ),
        )
        .route(
            "/redirect",
            post(|| async { Redirect::temporary("/token") }),
        );
    let server = TestServer::start(app).await.unwrap();
    TokenServer {
        server,
        hits,
        last_auth,
        last_form,
    }
}

fn ok_body(token: &str, expires_in: Value, scope: Option<&str>) -> String {
    let mut v = json!({"access_token": token, "token_type": "Bearer", "expires_in": expires_in});
    if let Some(s) = scope {
        v["scope"] = json!(s);
    }
    v.to_string()
}

fn fixed(status: u16, body: String) -> Responder {
    Arc::new(move |_| (status, body.clone()))
}

fn options(s: &TokenServer) -> TokenSourceOptions {
    TokenSourceOptions {
        http: HttpPolicy::default().with_ca_pem(s.server.ca_pem().to_vec()),
        ..TokenSourceOptions::default()
    }
}

fn basic_source(s: &TokenServer, client_id: &str, secret: &str) -> ClientCredentialsSource {
    ClientCredentialsSource::new(
        &s.server.url("/token"),
        client_id,
        ClientAuth::ClientSecretBasic(ClientSecret::new(secret)),
        options(s),
    )
    .unwrap()
}

#[tokio::test]
async fn client_secret_basic_form_urlencodes_id_and_secret() {
    let s = token_server(fixed(200, ok_body("t1", json!(3600), None)), Duration::ZERO).await;
    let source = basic_source(&s, "id:with%colon", "s p+c:é");
    source.token(&["b", "a"]).await.unwrap();
    let expected = basic_authorization("id:with%colon", &ClientSecret::new("s p+c:é"));
    assert_eq!(
        s.last_auth.lock().unwrap().as_deref(),
        Some(expected.as_str())
    );
    // id "id%3Awith%25colon", secret "s+p%2Bc%3A%C3%A9"
    use base64::Engine;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(&expected[6..])
        .unwrap();
    assert_eq!(
        String::from_utf8(decoded).unwrap(),
        "id%3Awith%25colon:s+p%2Bc%3A%C3%A9"
    );
    let form = s.last_form.lock().unwrap().clone();
    assert!(form.contains(&("grant_type".into(), "client_credentials".into())));
    assert!(
        form.contains(&("scope".into(), "a b".into())),
        "scopes sorted: {form:?}"
    );
    assert!(
        !form.iter().any(|(k, _)| k == "client_secret"),
        "secret never in the body"
    );
}

#[tokio::test]
async fn tokens_cached_per_sorted_scope_set() {
    let s = token_server(
        Arc::new(|n| (200, ok_body(&format!("t{n}"), json!(3600), None))),
        Duration::ZERO,
    )
    .await;
    let source = basic_source(&s, "c", "s");
    let a = source.token(&["b", "a"]).await.unwrap();
    let b = source.token(&["a", "b", "a"]).await.unwrap();
    assert_eq!(a.secret(), b.secret());
    assert_eq!(s.hits.load(Ordering::SeqCst), 1);
    source.token(&["c"]).await.unwrap();
    assert_eq!(s.hits.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn thousand_concurrent_callers_on_expired_token_make_one_request() {
    // First token expires at once (1 s < 30 s skew); later ones live an hour.
    let respond: Responder = Arc::new(|n| {
        let exp = if n == 0 { 1 } else { 3600 };
        (200, ok_body(&format!("t{n}"), json!(exp), None))
    });
    let s = token_server(respond, Duration::from_millis(50)).await;
    let source = Arc::new(basic_source(&s, "c", "s"));
    assert_eq!(source.token(&[ROSTER_RO]).await.unwrap().secret(), "t0");
    let mut tasks = Vec::new();
    for _ in 0..1000 {
        let source = source.clone();
        tasks.push(tokio::spawn(async move {
            source
                .token(&[ROSTER_RO])
                .await
                .map(|t| t.secret().to_owned())
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap(), "t1");
    }
    assert_eq!(
        s.hits.load(Ordering::SeqCst),
        2,
        "one initial request plus ONE renewal"
    );
}

#[tokio::test]
async fn token_renewed_before_expiry() {
    let s = token_server(
        Arc::new(|n| (200, ok_body(&format!("t{n}"), json!(20), None))),
        Duration::ZERO,
    )
    .await;
    let source = basic_source(&s, "c", "s");
    source.token(&["a"]).await.unwrap();
    source.token(&["a"]).await.unwrap();
    assert_eq!(
        s.hits.load(Ordering::SeqCst),
        2,
        "20 s lifetime is inside the 30 s skew: renewed"
    );
}

#[tokio::test]
async fn token_response_without_access_token_or_bearer_type_rejected() {
    for body in [
        json!({"token_type": "Bearer", "expires_in": 3600}).to_string(),
        json!({"access_token": "t", "expires_in": 3600}).to_string(),
        json!({"access_token": "t", "token_type": "mac"}).to_string(),
        json!({"access_token": "", "token_type": "Bearer"}).to_string(),
        json!({"access_token": "t\r\nX: y", "token_type": "Bearer"}).to_string(),
        json!({"access_token": 5, "token_type": "Bearer"}).to_string(),
        "<html>not json</html>".to_owned(),
        "[]".to_owned(),
    ] {
        let s = token_server(fixed(200, body.clone()), Duration::ZERO).await;
        let err = basic_source(&s, "c", "s").token(&["a"]).await.unwrap_err();
        assert!(
            matches!(err, ClientError::InvalidResponse(_)),
            "{body}: {err:?}"
        );
    }
    let s = token_server(
        fixed(200, json!({"error": "invalid_client"}).to_string()),
        Duration::ZERO,
    )
    .await;
    let err = basic_source(&s, "c", "s").token(&["a"]).await.unwrap_err();
    assert!(
        matches!(err, ClientError::TokenEndpoint { status: 200, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn token_type_compared_case_insensitively() {
    for tt in ["bearer", "BEARER", "Bearer"] {
        let body = json!({"access_token": "t", "token_type": tt, "expires_in": 60}).to_string();
        let s = token_server(fixed(200, body), Duration::ZERO).await;
        basic_source(&s, "c", "s").token(&["a"]).await.unwrap();
    }
}

#[tokio::test]
async fn empty_scope_means_no_scope_and_absent_scope_means_requested() {
    let s = token_server(
        fixed(200, ok_body("t", json!(3600), Some(""))),
        Duration::ZERO,
    )
    .await;
    let t = basic_source(&s, "c", "s")
        .token(&[ROSTER_RO])
        .await
        .unwrap();
    assert!(t.scopes().is_empty(), "empty scope string grants nothing");
    let s = token_server(fixed(200, ok_body("t", json!(3600), None)), Duration::ZERO).await;
    let t = basic_source(&s, "c", "s")
        .token(&[ROSTER_RO])
        .await
        .unwrap();
    assert_eq!(t.scopes(), [ROSTER_RO.to_owned()]);
    let s = token_server(
        fixed(200, ok_body("t", json!(3600), Some("narrow"))),
        Duration::ZERO,
    )
    .await;
    let t = basic_source(&s, "c", "s")
        .token(&[ROSTER_RO, "narrow"])
        .await
        .unwrap();
    assert_eq!(t.scopes(), ["narrow".to_owned()]);
}

#[tokio::test]
async fn expires_in_missing_zero_negative_string_or_huge_handled_sanely() {
    let now = std::time::Instant::now();
    let s = token_server(
        fixed(
            200,
            json!({"access_token": "t", "token_type": "Bearer"}).to_string(),
        ),
        Duration::ZERO,
    )
    .await;
    let t = basic_source(&s, "c", "s").token(&["a"]).await.unwrap();
    let life = t.expires_at().duration_since(now);
    assert!(
        life <= Duration::from_secs(301) && life >= Duration::from_secs(250),
        "default 5 min: {life:?}"
    );

    for exp in [json!(0), json!(-5)] {
        let s = token_server(fixed(200, ok_body("t", exp.clone(), None)), Duration::ZERO).await;
        let source = basic_source(&s, "c", "s");
        source.token(&["a"]).await.unwrap();
        source.token(&["a"]).await.unwrap();
        assert_eq!(s.hits.load(Ordering::SeqCst), 2, "{exp}: never cached");
    }
    let s = token_server(
        fixed(200, ok_body("t", json!("3600"), None)),
        Duration::ZERO,
    )
    .await;
    basic_source(&s, "c", "s").token(&["a"]).await.unwrap();
    let s = token_server(
        fixed(200, ok_body("t", json!(1_000_000_000_000i64), None)),
        Duration::ZERO,
    )
    .await;
    let t = basic_source(&s, "c", "s").token(&["a"]).await.unwrap();
    assert!(
        t.expires_at().duration_since(now) <= Duration::from_secs(86_401),
        "capped at 24 h"
    );
    let s = token_server(
        fixed(200, ok_body("t", json!("soon"), None)),
        Duration::ZERO,
    )
    .await;
    assert!(matches!(
        basic_source(&s, "c", "s").token(&["a"]).await,
        Err(ClientError::InvalidResponse(_))
    ));
}

#[tokio::test]
async fn token_endpoint_error_surfaced_with_sanitised_code() {
    let s = token_server(
        fixed(
            400,
            json!({"error": "invalid_scope\r\n<script>", "error_description": "x"}).to_string(),
        ),
        Duration::ZERO,
    )
    .await;
    match basic_source(&s, "c", "s").token(&["a"]).await.unwrap_err() {
        ClientError::TokenEndpoint { status, error } => {
            assert_eq!(status, 400);
            assert!(!error.contains('\r') && !error.contains('\n'), "{error:?}");
            assert!(error.starts_with("invalid_scope"));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn redirects_from_token_endpoint_not_followed() {
    let s = token_server(fixed(200, ok_body("t", json!(3600), None)), Duration::ZERO).await;
    let source = ClientCredentialsSource::new(
        &s.server.url("/redirect"),
        "c",
        ClientAuth::ClientSecretBasic(ClientSecret::new("s")),
        options(&s),
    )
    .unwrap();
    let err = source.token(&["a"]).await.unwrap_err();
    assert!(matches!(err, ClientError::UnexpectedStatus(307)), "{err:?}");
    assert_eq!(
        s.hits.load(Ordering::SeqCst),
        0,
        "redirect target never called"
    );
}

#[tokio::test]
async fn oversized_token_response_refused() {
    let big = json!({"access_token": "t", "token_type": "Bearer", "pad": "x".repeat(100 * 1024)})
        .to_string();
    let s = token_server(fixed(200, big), Duration::ZERO).await;
    let err = basic_source(&s, "c", "s").token(&["a"]).await.unwrap_err();
    assert!(matches!(err, ClientError::ResponseTooLarge(_)), "{err:?}");
}

#[tokio::test]
async fn slow_token_endpoint_times_out() {
    let s = token_server(
        fixed(200, ok_body("t", json!(3600), None)),
        Duration::from_secs(60),
    )
    .await;
    let mut opts = options(&s);
    opts.http.timeout = Duration::from_millis(300);
    let source = ClientCredentialsSource::new(
        &s.server.url("/token"),
        "c",
        ClientAuth::ClientSecretBasic("s".into()),
        opts,
    )
    .unwrap();
    assert!(matches!(
        source.token(&["a"]).await,
        Err(ClientError::Transport(_))
    ));
}

#[tokio::test]
async fn untrusted_token_endpoint_certificate_fails() {
    let s = token_server(fixed(200, ok_body("t", json!(3600), None)), Duration::ZERO).await;
    let other = ims_runtime::tls::dev::DevPem::generate(&["127.0.0.1"]).unwrap();
    let opts = TokenSourceOptions {
        http: HttpPolicy::default().with_ca_pem(other.ca_cert.into_bytes()),
        ..TokenSourceOptions::default()
    };
    let source = ClientCredentialsSource::new(
        &s.server.url("/token"),
        "c",
        ClientAuth::ClientSecretBasic("s".into()),
        opts,
    )
    .unwrap();
    assert!(matches!(
        source.token(&["a"]).await,
        Err(ClientError::Transport(_))
    ));
    assert_eq!(s.hits.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn plain_http_refused_unless_loopback_explicitly_allowed() {
    let err = ClientCredentialsSource::new(
        "http://as.example.edu/token",
        "c",
        ClientAuth::ClientSecretBasic("s".into()),
        TokenSourceOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(err, ClientError::InsecureUrl(_)));
    assert!(
        ClientCredentialsSource::new(
            "http://127.0.0.1:9/token",
            "c",
            ClientAuth::ClientSecretBasic("s".into()),
            TokenSourceOptions::default()
        )
        .is_err()
    );

    // With the switch on, a plain-http loopback AS works.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new().route(
        "/token",
        post(|| async {
            axum::Json(json!({"access_token": "plain", "token_type": "Bearer", "expires_in": 60}))
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let opts = TokenSourceOptions {
        http: HttpPolicy::default().allow_loopback_http(true),
        ..TokenSourceOptions::default()
    };
    let source = ClientCredentialsSource::new(
        &format!("http://{addr}/token"),
        "c",
        ClientAuth::ClientSecretBasic("s".into()),
        opts.clone(),
    )
    .unwrap();
    assert_eq!(source.token(&["a"]).await.unwrap().secret(), "plain");
    assert!(
        ClientCredentialsSource::new(
            "http://as.example.edu/token",
            "c",
            ClientAuth::ClientSecretBasic("s".into()),
            opts
        )
        .is_err()
    );
}

#[tokio::test]
async fn private_key_jwt_assertion_is_fresh_short_lived_with_single_audience() {
    let s = token_server(
        Arc::new(|n| (200, ok_body(&format!("t{n}"), json!(0), None))),
        Duration::ZERO,
    )
    .await;
    let key = rsa_key("client-key-1");
    let source = ClientCredentialsSource::new(
        &s.server.url("/token"),
        "tool-123",
        ClientAuth::PrivateKeyJwt(JwtAssertionKey {
            key: key.encoding.clone(),
            alg: key.alg,
            kid: key.kid.clone(),
        }),
        options(&s),
    )
    .unwrap();
    let mut jtis = Vec::new();
    for _ in 0..2 {
        source.token(&["a"]).await.unwrap();
        let form = s.last_form.lock().unwrap().clone();
        let get = |k: &str| {
            form.iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
                .unwrap()
        };
        assert_eq!(
            get("client_assertion_type"),
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
        );
        assert!(
            s.last_auth.lock().unwrap().is_none(),
            "no Basic header together with an assertion"
        );
        let assertion = get("client_assertion");
        let header = jsonwebtoken::decode_header(&assertion).unwrap();
        assert_eq!(header.kid.as_deref(), Some("client-key-1"));
        let dk = jsonwebtoken::DecodingKey::from_rsa_pem(key.public_pem.as_bytes()).unwrap();
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        validation.set_audience(&[s.server.url("/token")]);
        let claims: Value = jsonwebtoken::decode(&assertion, &dk, &validation)
            .unwrap()
            .claims;
        assert_eq!(claims["iss"], "tool-123");
        assert_eq!(claims["sub"], "tool-123");
        assert!(claims["aud"].is_string(), "aud is one string");
        assert_eq!(claims["aud"], s.server.url("/token"));
        let life = claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap();
        assert!(life > 0 && life <= 300, "exp within 5 min: {life}");
        jtis.push(claims["jti"].as_str().unwrap().to_owned());
    }
    assert_ne!(jtis[0], jtis[1], "fresh jti per assertion");
}

#[test]
fn secrets_and_tokens_redacted_in_debug() {
    let secret = ClientSecret::new("super-secret-value");
    assert!(!format!("{secret:?}").contains("super-secret-value"));
    let auth = ClientAuth::ClientSecretBasic(secret);
    assert!(!format!("{auth:?}").contains("super-secret-value"));
    let source = ClientCredentialsSource::new(
        "https://as.example.edu/token",
        "c",
        auth,
        TokenSourceOptions::default(),
    )
    .unwrap();
    assert!(!format!("{source:?}").contains("super-secret-value"));
}

#[tokio::test]
async fn access_token_redacted_in_debug() {
    let s = token_server(
        fixed(200, ok_body("tok-sentinel-123", json!(3600), None)),
        Duration::ZERO,
    )
    .await;
    let t = basic_source(&s, "c", "s").token(&["a"]).await.unwrap();
    assert!(!format!("{t:?}").contains("tok-sentinel-123"));
}

/// An API that answers 401 to the first token it sees and 200 afterwards, or always 403.
async fn api_server(mode_403: bool) -> (TestServer, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    let app = Router::new().route(
        "/api",
        get(move |headers: HeaderMap| {
            h.fetch_add(1, Ordering::SeqCst);
            let auth = headers
                .get("authorization")
                .map(|v| v.to_str().unwrap().to_owned());
            async move {
                if mode_403 {
                    return (
                        StatusCode::FORBIDDEN,
                        [("www-authenticate", "Bearer error=\"insufficient_scope\"")],
                    )
                        .into_response();
                }
                if auth.as_deref() == Some("Bearer t0") {
                    (
                        StatusCode::UNAUTHORIZED,
                        [("www-authenticate", "Bearer error=\"invalid_token\"")],
                    )
                        .into_response()
                } else {
                    "ok".into_response()
                }
            }
        }),
    );
    (TestServer::start(app).await.unwrap(), hits)
}

#[tokio::test]
async fn resource_401_refreshes_and_retries_once() {
    let s = token_server(
        Arc::new(|n| (200, ok_body(&format!("t{n}"), json!(3600), None))),
        Duration::ZERO,
    )
    .await;
    let (api, api_hits) = api_server(false).await;
    let source: Arc<dyn TokenSource> = Arc::new(basic_source(&s, "c", "s"));
    let client = AuthorizedClient::new(
        source,
        HttpPolicy::default().with_ca_pem(api.ca_pem().to_vec()),
    )
    .unwrap();
    let req = client.http().get(api.url("/api")).build().unwrap();
    let res = client.execute(req, &["a"]).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(api_hits.load(Ordering::SeqCst), 2);
    assert_eq!(s.hits.load(Ordering::SeqCst), 2, "one renewal");
}

#[tokio::test]
async fn resource_403_insufficient_scope_not_retried() {
    let s = token_server(
        Arc::new(|n| (200, ok_body(&format!("t{n}"), json!(3600), None))),
        Duration::ZERO,
    )
    .await;
    let (api, api_hits) = api_server(true).await;
    let source: Arc<dyn TokenSource> = Arc::new(basic_source(&s, "c", "s"));
    let client = AuthorizedClient::new(
        source,
        HttpPolicy::default().with_ca_pem(api.ca_pem().to_vec()),
    )
    .unwrap();
    let req = client.http().get(api.url("/api")).build().unwrap();
    assert_eq!(client.execute(req, &["a"]).await.unwrap().status(), 403);
    assert_eq!(api_hits.load(Ordering::SeqCst), 1);
    assert_eq!(s.hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn persistent_401_retried_at_most_once() {
    let s = token_server(fixed(200, ok_body("t0", json!(3600), None)), Duration::ZERO).await;
    let (api, api_hits) = api_server(false).await;
    let source: Arc<dyn TokenSource> = Arc::new(basic_source(&s, "c", "s"));
    let client = AuthorizedClient::new(
        source,
        HttpPolicy::default().with_ca_pem(api.ca_pem().to_vec()),
    )
    .unwrap();
    let req = client.http().get(api.url("/api")).build().unwrap();
    assert_eq!(client.execute(req, &["a"]).await.unwrap().status(), 401);
    assert_eq!(
        api_hits.load(Ordering::SeqCst),
        2,
        "original + one retry, no loop"
    );
}
