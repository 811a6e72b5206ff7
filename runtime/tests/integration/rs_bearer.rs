//! Resource-server rules (SECURITY-CASES (b) RS-01..17) over real TLS on loopback: an axum router
//! protected by `AuthLayer`, handlers guarded by `Scoped<R>`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::routing::{get, post, put};
use common::*;
use futures_util::future::BoxFuture;
use ims_runtime::resource_server::{
    AuthLayer, CachingVerifier, JwtRules, KeySet, LocalJwtVerifier, ManualClock, Principal,
    RevocationCheck, ScopeRequirementProvider, Scoped, TokenVerifier, VerifyError,
};
use ims_runtime::tls::testing::TestServer;
use serde_json::{Value, json};

struct ReadRoster;
impl ScopeRequirementProvider for ReadRoster {
    const ANY_OF: &'static [&'static [&'static str]] = &[&[ROSTER_RO]];
}
struct WriteRoster;
impl ScopeRequirementProvider for WriteRoster {
    const ANY_OF: &'static [&'static [&'static str]] = &[&[ROSTER_CREATEPUT]];
}

/// Counts calls to the wrapped verifier (to see cache hits).
struct Counting<V> {
    inner: V,
    calls: Arc<AtomicUsize>,
}
impl<V: TokenVerifier> TokenVerifier for Counting<V> {
    fn verify<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<Principal, VerifyError>> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.inner.verify(token)
    }
}

#[derive(Default)]
struct Revoked(Mutex<HashSet<String>>);
impl RevocationCheck for Revoked {
    fn is_revoked<'a>(&'a self, jti: &'a str) -> BoxFuture<'a, bool> {
        let r = self.0.lock().unwrap().contains(jti);
        Box::pin(async move { r })
    }
}

struct Fixture {
    server: TestServer,
    key: TestKey,
    clock: Arc<ManualClock>,
    calls: Arc<AtomicUsize>,
    revoked: Arc<Revoked>,
}

fn app(verifier: Arc<dyn TokenVerifier>) -> Router {
    Router::new()
        .route(
            "/ims/oneroster/rostering/v1p2/users",
            get(|s: Scoped<ReadRoster>| async move { s.principal.sub }),
        )
        .route(
            "/ims/oneroster/rostering/v1p2/users/{id}",
            put(|_s: Scoped<WriteRoster>| async { "updated" }),
        )
        .route("/whoami", get(|p: Principal| async move { p.client_id }))
        .route(
            FORM,
            post(
                |_s: Scoped<ReadRoster>, headers: http::HeaderMap, body: String| async move {
                    let ct = headers
                        .get("content-type")
                        .map(|v| v.to_str().unwrap().to_owned())
                        .unwrap_or_default();
                    format!("{ct}|{body}")
                },
            ),
        )
        .layer(AuthLayer::new(verifier, "oneroster"))
}

async fn fixture() -> Fixture {
    let key = ec_key("k1");
    let clock = Arc::new(ManualClock::new(NOW));
    let set = KeySet::from_jwks_json(jwks(&[&key]).to_string().as_bytes()).unwrap();
    let calls = Arc::new(AtomicUsize::new(0));
    let revoked = Arc::new(Revoked::default());
    let verifier = CachingVerifier::new(Counting {
        inner: LocalJwtVerifier::new(set, JwtRules::new(ISS, AUD).with_clock(clock.clone())),
        calls: calls.clone(),
    })
    .with_clock(clock.clone())
    .with_revocation_check(revoked.clone());
    let server = TestServer::start(app(Arc::new(verifier))).await.unwrap();
    Fixture {
        server,
        key,
        clock,
        calls,
        revoked,
    }
}

const USERS: &str = "/ims/oneroster/rostering/v1p2/users";
/// A POST route that echoes `content-type|body`, to see what reached the handler.
const FORM: &str = "/form";
const FORM_CT: &str = "application/x-www-form-urlencoded";

/// POSTs `body` with `content_type` to [`FORM`]: status, `WWW-Authenticate`, JSON body, text.
async fn post_form(
    f: &Fixture,
    auth: Option<&str>,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> (u16, Option<String>, Value, String) {
    let mut req = f
        .server
        .client()
        .post(f.server.url(FORM))
        .header("content-type", content_type)
        .body(body);
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let www = res
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned());
    let text = res.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    (status, www, body, text)
}

async fn get_with(
    f: &Fixture,
    path: &str,
    auth: Option<&str>,
) -> (u16, Option<String>, Value, String) {
    let mut req = f.server.client().get(f.server.url(path));
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let www = res
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned());
    let text = res.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    (status, www, body, text)
}

fn assert_imsx(body: &Value, code_minor: &str) {
    assert_eq!(body["imsx_codeMajor"], "failure");
    assert_eq!(body["imsx_severity"], "error");
    assert_eq!(
        body["imsx_codeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"],
        code_minor
    );
}

#[tokio::test]
async fn missing_authorization_gets_401_with_realm_and_no_error_code() {
    let f = fixture().await;
    let (status, www, body, _) = get_with(&f, USERS, None).await;
    assert_eq!(status, 401);
    assert_eq!(www.as_deref(), Some("Bearer realm=\"oneroster\""));
    assert_imsx(&body, "unauthorisedrequest");
}

#[tokio::test]
async fn foreign_scheme_gets_401_without_error_code() {
    let f = fixture().await;
    let (status, www, _, _) = get_with(&f, USERS, Some("Basic YTpi")).await;
    assert_eq!(status, 401);
    assert!(!www.unwrap().contains("error="));
}

#[tokio::test]
async fn malformed_bearer_credentials_get_400_invalid_request() {
    let f = fixture().await;
    let good = good_token(&f.key, ROSTER_RO);
    for auth in [
        "Bearer".to_owned(),
        "Bearer ".to_owned(),
        format!("Bearer  {good}"),
        "Bearer abc$def".to_owned(),
        "Bearer a b".to_owned(),
        format!("Bearer {good}\t"),
    ] {
        let (status, www, body, _) = get_with(&f, USERS, Some(&auth)).await;
        assert_eq!(status, 400, "{auth:?}");
        assert!(
            www.unwrap().contains("error=\"invalid_request\""),
            "{auth:?}"
        );
        assert_imsx(&body, "unauthorisedrequest");
    }
    // Two Authorization headers.
    let res = f
        .server
        .client()
        .get(f.server.url(USERS))
        .header("authorization", format!("Bearer {good}"))
        .header("authorization", format!("Bearer {good}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
}

#[tokio::test]
async fn bearer_scheme_is_case_insensitive() {
    let f = fixture().await;
    let t = good_token(&f.key, ROSTER_RO);
    for scheme in ["bearer", "BEARER", "Bearer", "bEaReR"] {
        let (status, _, _, text) = get_with(&f, USERS, Some(&format!("{scheme} {t}"))).await;
        assert_eq!(status, 200, "{scheme}");
        assert_eq!(text, "client-1");
    }
}

#[tokio::test]
async fn query_access_token_rejected_with_or_without_header() {
    let f = fixture().await;
    let t = good_token(&f.key, ROSTER_RO);
    let (status, www, _, _) = get_with(&f, &format!("{USERS}?access_token={t}"), None).await;
    assert_eq!(status, 400);
    assert!(www.unwrap().contains("invalid_request"));
    let (status, _, _, _) = get_with(
        &f,
        &format!("{USERS}?access_token={t}"),
        Some(&format!("Bearer {t}")),
    )
    .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn form_body_access_token_with_header_is_400_invalid_request() {
    let f = fixture().await;
    let t = good_token(&f.key, ROSTER_RO);
    let header = format!("Bearer {t}");
    for body in [
        format!("access_token={t}"),
        format!("a=1&access_token={t}&b=2"),
        format!("a=1&access%5Ftoken={t}"),
    ] {
        let (status, www, json, text) = post_form(&f, Some(&header), FORM_CT, body.clone()).await;
        assert_eq!(status, 400, "{body}: {text}");
        assert_eq!(
            www.as_deref(),
            Some("Bearer realm=\"oneroster\", error=\"invalid_request\""),
            "{body}"
        );
        assert_imsx(&json, "unauthorisedrequest");
        assert!(!text.contains(&t), "the token must not be echoed");
    }
    // Refused before the header token is even verified.
    assert_eq!(f.calls.load(Ordering::SeqCst), 0);
    // Content-Type parameters and case do not hide the form.
    let (status, _, _, _) = post_form(
        &f,
        Some(&header),
        "Application/X-WWW-Form-URLEncoded; charset=UTF-8",
        format!("access_token={t}"),
    )
    .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn form_body_access_token_alone_is_400_invalid_request() {
    let f = fixture().await;
    let t = good_token(&f.key, ROSTER_RO);
    let (status, www, json, _) = post_form(&f, None, FORM_CT, format!("access_token={t}")).await;
    // Not 401 "no token": a body token is a malformed request, never a credential (RFC 9700).
    assert_eq!(status, 400);
    assert_eq!(
        www.as_deref(),
        Some("Bearer realm=\"oneroster\", error=\"invalid_request\"")
    );
    assert_imsx(&json, "unauthorisedrequest");
    // The same form without any token is simply unauthenticated.
    let (status, www, _, _) = post_form(&f, None, FORM_CT, "a=1").await;
    assert_eq!(status, 401);
    assert_eq!(www.as_deref(), Some("Bearer realm=\"oneroster\""));
}

#[tokio::test]
async fn form_body_without_token_reaches_handler_unchanged() {
    let f = fixture().await;
    let header = format!("Bearer {}", good_token(&f.key, ROSTER_RO));
    let body = "givenName=Ren%C3%A9e+Smith&note=access_token+is+just+text&x=access_token";
    let (status, _, _, text) = post_form(&f, Some(&header), FORM_CT, body).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(text, format!("{FORM_CT}|{body}"));
    // Exactly at the bound is still read and passed on.
    let big = format!("a={}", "x".repeat(64 * 1024 - 2));
    let (status, _, _, text) = post_form(&f, Some(&header), FORM_CT, big.clone()).await;
    assert_eq!(status, 200);
    assert_eq!(text, format!("{FORM_CT}|{big}"));
}

#[tokio::test]
async fn oversized_form_body_gets_413_before_parsing() {
    let f = fixture().await;
    let header = format!("Bearer {}", good_token(&f.key, ROSTER_RO));
    let big = format!("a={}&access_token=x", "x".repeat(64 * 1024));
    let (status, _, json, text) = post_form(&f, Some(&header), FORM_CT, big).await;
    assert_eq!(status, 413, "{text}");
    assert_eq!(json["imsx_codeMajor"], "failure");
    assert_eq!(f.calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn non_form_bodies_are_not_inspected() {
    let f = fixture().await;
    let header = format!("Bearer {}", good_token(&f.key, ROSTER_RO));
    // Only urlencoded forms can carry a token (RFC 6750 §2.2); JSON is the handler's business.
    let body = r#"{"access_token":"x"}"#;
    let (status, _, _, text) = post_form(&f, Some(&header), "application/json", body).await;
    assert_eq!(status, 200);
    assert_eq!(text, format!("application/json|{body}"));
}

#[tokio::test]
async fn expired_token_gets_401_invalid_token_token_expired() {
    let f = fixture().await;
    let mut c = claims(ROSTER_RO);
    c["exp"] = json!(NOW - 120);
    let t = token(&f.key, &header(&f.key), &c);
    let (status, www, body, _) = get_with(&f, USERS, Some(&format!("Bearer {t}"))).await;
    assert_eq!(status, 401);
    let www = www.unwrap();
    assert!(
        www.contains("error=\"invalid_token\"")
            && www.contains("error_description=\"token expired\""),
        "{www}"
    );
    assert_imsx(&body, "unauthorisedrequest");
}

#[tokio::test]
async fn missing_scope_gets_403_insufficient_scope_naming_the_scope() {
    let f = fixture().await;
    let t = good_token(&f.key, ROSTER_RO);
    let res = f
        .server
        .client()
        .put(f.server.url(&format!("{USERS}/u1")))
        .header("authorization", format!("Bearer {t}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let www = res.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        www,
        format!(
            "Bearer realm=\"oneroster\", error=\"insufficient_scope\", scope=\"{ROSTER_CREATEPUT}\""
        )
    );
    let body: Value = res.json().await.unwrap();
    assert_imsx(&body, "forbidden");
}

#[tokio::test]
async fn scope_matching_is_exact_per_space_separated_token() {
    let f = fixture().await;
    let tricks = [
        format!("{ROSTER_RO}-x"),
        format!("x{ROSTER_RO}"),
        ROSTER_RO.to_uppercase(),
        format!("{ROSTER_CREATEPUT}\t{ROSTER_RO}"),
        format!("{ROSTER_CREATEPUT},{ROSTER_RO}"),
        "https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core".to_owned(),
    ];
    for scope in &tricks {
        let t = good_token(&f.key, scope);
        let (status, _, _, _) = get_with(&f, USERS, Some(&format!("Bearer {t}"))).await;
        assert_eq!(status, 403, "{scope:?}");
    }
    // The scope only in `scp`.
    let mut c = claims("");
    c["scp"] = json!([ROSTER_RO]);
    let t = token(&f.key, &header(&f.key), &c);
    assert_eq!(
        get_with(&f, USERS, Some(&format!("Bearer {t}"))).await.0,
        403
    );
    // Several scopes separated by single spaces work.
    let t = good_token(&f.key, &format!("{ROSTER_CREATEPUT} {ROSTER_RO}"));
    assert_eq!(
        get_with(&f, USERS, Some(&format!("Bearer {t}"))).await.0,
        200
    );
}

#[tokio::test]
async fn token_for_another_resource_server_gets_401() {
    let f = fixture().await;
    let mut c = claims(ROSTER_RO);
    c["aud"] = json!("https://api.example.edu/ims/clr/v1p0");
    let t = token(&f.key, &header(&f.key), &c);
    let (status, www, _, _) = get_with(&f, USERS, Some(&format!("Bearer {t}"))).await;
    assert_eq!(status, 401);
    assert!(www.unwrap().contains("invalid_token"));
}

#[tokio::test]
async fn id_token_and_client_assertion_rejected_as_access_tokens() {
    let f = fixture().await;
    let mut h = header(&f.key);
    h["typ"] = json!("JWT");
    let t = token(&f.key, &h, &claims(ROSTER_RO));
    assert_eq!(
        get_with(&f, USERS, Some(&format!("Bearer {t}"))).await.0,
        401
    );
}

#[tokio::test]
async fn revoked_token_refused_even_when_cached() {
    let f = fixture().await;
    let c = claims(ROSTER_RO);
    let jti = c["jti"].as_str().unwrap().to_owned();
    let t = token(&f.key, &header(&f.key), &c);
    let auth = format!("Bearer {t}");
    assert_eq!(get_with(&f, USERS, Some(&auth)).await.0, 200);
    assert_eq!(get_with(&f, USERS, Some(&auth)).await.0, 200);
    assert_eq!(
        f.calls.load(Ordering::SeqCst),
        1,
        "second request is a cache hit"
    );
    f.revoked.0.lock().unwrap().insert(jti);
    let (status, www, _, _) = get_with(&f, USERS, Some(&auth)).await;
    assert_eq!(status, 401);
    assert!(www.unwrap().contains("invalid_token"));
}

#[tokio::test]
async fn cached_token_not_accepted_after_exp() {
    let f = fixture().await;
    let mut c = claims(ROSTER_RO);
    c["exp"] = json!(NOW + 20);
    let auth = format!("Bearer {}", token(&f.key, &header(&f.key), &c));
    assert_eq!(get_with(&f, USERS, Some(&auth)).await.0, 200);
    f.clock.set(NOW + 200); // past exp + leeway
    assert_eq!(get_with(&f, USERS, Some(&auth)).await.0, 401);
}

#[tokio::test]
async fn oversized_and_pathological_tokens_rejected_before_parsing() {
    let f = fixture().await;
    // 64 KiB: the HTTP/2 header-list cap (16 KiB) refuses it before the handler stack runs
    // (GOAWAY), or a 400/431 answers it; either way nothing is parsed.
    let huge = format!("Bearer {}", "a".repeat(64 * 1024));
    let res = f
        .server
        .client()
        .get(f.server.url(USERS))
        .header("authorization", huge)
        .send()
        .await;
    if let Ok(res) = res {
        assert!(
            res.status() == 400 || res.status() == 431,
            "got {}",
            res.status()
        );
    }
    let dots = format!("Bearer {}", ".".repeat(9000));
    let (status, _, _, _) = get_with(&f, USERS, Some(&dots)).await;
    assert!(status == 400 || status == 431, "got {status}");
    assert_eq!(f.calls.load(Ordering::SeqCst), 0, "verifier never ran");
}

#[tokio::test]
async fn token_from_unexpected_issuer_rejected() {
    let f = fixture().await;
    let mut c = claims(ROSTER_RO);
    c["iss"] = json!("https://tenant-b.example.edu");
    let t = token(&f.key, &header(&f.key), &c);
    assert_eq!(
        get_with(&f, USERS, Some(&format!("Bearer {t}"))).await.0,
        401
    );
}

#[tokio::test]
async fn error_bodies_never_echo_the_token() {
    let f = fixture().await;
    let mut c = claims(ROSTER_RO);
    c["aud"] = json!("secret-audience-marker");
    let t = token(&f.key, &header(&f.key), &c);
    let (_, www, _, text) = get_with(&f, USERS, Some(&format!("Bearer {t}"))).await;
    for piece in t.split('.') {
        assert!(!text.contains(piece) && !www.as_deref().unwrap_or("").contains(piece));
    }
    assert!(
        !text.contains("secret-audience-marker") && !text.contains("audience"),
        "{text}"
    );
}

#[tokio::test]
async fn principal_extractor_sees_verified_caller() {
    let f = fixture().await;
    let t = good_token(&f.key, ROSTER_RO);
    let (status, _, _, text) = get_with(&f, "/whoami", Some(&format!("Bearer {t}"))).await;
    assert_eq!(status, 200);
    assert_eq!(text, "client-1");
}

#[tokio::test]
async fn repeated_token_verified_once_then_served_from_cache() {
    let f = fixture().await;
    let auth = format!("Bearer {}", good_token(&f.key, ROSTER_RO));
    for _ in 0..20 {
        assert_eq!(get_with(&f, USERS, Some(&auth)).await.0, 200);
    }
    assert_eq!(f.calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn scoped_without_auth_layer_answers_401() {
    let app = Router::new().route("/x", get(|_s: Scoped<ReadRoster>| async { "never" }));
    let server = TestServer::start(app).await.unwrap();
    let res = server.client().get(server.url("/x")).send().await.unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn repeated_invalid_tokens_from_one_address_get_429_before_verification() {
    let key = ec_key("k1");
    let set = KeySet::from_jwks_json(jwks(&[&key]).to_string().as_bytes()).unwrap();
    let calls = Arc::new(AtomicUsize::new(0));
    let verifier = Counting {
        inner: LocalJwtVerifier::new(
            set,
            JwtRules::new(ISS, AUD).with_clock(Arc::new(ManualClock::new(NOW))),
        ),
        calls: calls.clone(),
    };
    let app = Router::new()
        .route(USERS, get(|_s: Scoped<ReadRoster>| async { "ok" }))
        .layer(
            AuthLayer::new(Arc::new(verifier), "oneroster")
                .with_failure_limit(3, std::time::Duration::from_secs(600)),
        );
    let server = TestServer::start(app).await.unwrap();
    let attacker = ec_key("k1");
    let bad = format!("Bearer {}", good_token(&attacker, ROSTER_RO));
    for _ in 0..3 {
        let res = server
            .client()
            .get(server.url(USERS))
            .header("authorization", &bad)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401);
    }
    let res = server
        .client()
        .get(server.url(USERS))
        .header("authorization", &bad)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key("retry-after"));
    let body: Value = res.json().await.unwrap();
    assert_imsx(&body, "server_busy");
    assert_eq!(
        calls.load(Ordering::SeqCst),
        3,
        "no verification once limited"
    );
}

#[ims_runtime::ims_scope("https://purl.imsglobal.org/spec/or/v1p2/scope/roster.createput")]
async fn macro_guarded() -> &'static str {
    "macro ok"
}

#[tokio::test]
async fn ims_scope_macro_handler_enforces_its_requirement() {
    let key = ec_key("k1");
    let set = KeySet::from_jwks_json(jwks(&[&key]).to_string().as_bytes()).unwrap();
    let verifier = LocalJwtVerifier::new(
        set,
        JwtRules::new(ISS, AUD).with_clock(Arc::new(ManualClock::new(NOW))),
    );
    let app = Router::new()
        .route("/m", get(macro_guarded))
        .layer(AuthLayer::new(Arc::new(verifier), "oneroster"));
    let server = TestServer::start(app).await.unwrap();
    let send = |scope: &str| {
        let t = good_token(&key, scope);
        server.client().get(server.url("/m")).bearer_auth(t).send()
    };
    assert_eq!(send(ROSTER_RO).await.unwrap().status(), 403);
    let ok = send(ROSTER_CREATEPUT).await.unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.text().await.unwrap(), "macro ok");
}
