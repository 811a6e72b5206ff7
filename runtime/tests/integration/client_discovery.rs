//! `DiscoveryClient` over real TLS: reading the SDD's authorization-code scheme (every spelling of
//! the registration URL), HTTP caching (Cache-Control, Expires, ETag → 304), and the refusals:
//! http or foreign-host endpoints and a metadata issuer mismatch (CL-14), redirects (CL-04), size
//! (CL-10) and untrusted certificates (CL-11).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use ims_runtime::client::{ClientError, DiscoveryClient, DiscoveryClientError, HttpPolicy};
use ims_runtime::tls::testing::TestServer;

use crate::client_authorization_code_support::{CRED_RO, PROFILE_UPDATE, Provider, SCOPES};

#[tokio::test]
async fn the_sdd_yields_the_acg_scheme_scopes_registration_url_provider_and_as_metadata() {
    let p = Provider::start().await;
    let found = p.discover().await;
    let acg = &found.service.authorization_code;
    assert_eq!(acg.name, "OAuth2ACG");
    assert_eq!(acg.authorization_url.as_str(), p.url("/authorize"));
    assert_eq!(acg.token_url.as_str(), p.url("/token"));
    assert_eq!(
        acg.refresh_url.as_ref().map(|u| u.to_string()),
        Some(p.url("/token"))
    );
    assert_eq!(
        acg.registration_url.as_ref().map(|u| u.to_string()),
        Some(p.url("/register"))
    );
    assert_eq!(acg.scope_names(), SCOPES.map(str::to_owned).to_vec());
    assert_eq!(
        found.service.provider.name.as_deref(),
        Some("Example Badge Host")
    );
    assert_eq!(
        found.service.provider.privacy_policy_url.as_deref(),
        Some("https://example.org/privacy")
    );
    assert_eq!(
        found.service.base_url.as_ref().map(|u| u.to_string()),
        Some(p.url("/ims/ob/v3p0"))
    );
    let md = found.metadata.as_ref().unwrap();
    assert_eq!(md.issuer, p.issuer);
    assert!(md.iss_parameter_supported);
    assert_eq!(
        md.revocation_endpoint.as_ref().map(|u| u.to_string()),
        Some(p.url("/revoke"))
    );
    assert_eq!(
        found.registration_url().map(|u| u.to_string()),
        Some(p.url("/register"))
    );
}

/// A discovery endpoint whose headers, body and answers the test controls.
#[derive(Default)]
struct Fake {
    origin: OnceLock<String>,
    /// Response headers for the next answers.
    headers: Mutex<Vec<(&'static str, String)>>,
    /// Served SDD (with `{origin}` replaced); the default SDD when empty.
    sdd: Mutex<String>,
    /// `issuer` of the served metadata (the origin when empty).
    issuer: Mutex<String>,
    hits: AtomicUsize,
    not_modified: AtomicUsize,
    if_none_match: Mutex<Vec<Option<String>>>,
}

const ETAG: &str = "\"v1\"";

fn sdd_with(scheme_extra: &str, flow_extra: &str, info_extra: &str, token_url: &str) -> String {
    format!(
        r#"{{"openapi":"3.0.1","info":{{"title":"T","version":"1"{info_extra}}},"paths":{{}},
  "components":{{"securitySchemes":{{"OAuth2ACG":{{"type":"oauth2"{scheme_extra},
    "flows":{{"authorizationCode":{{"authorizationUrl":"{{origin}}/authorize","tokenUrl":"{token_url}"{flow_extra},
      "scopes":{{"{CRED_RO}":"r","{PROFILE_UPDATE}":"u"}}}}}}}}}}}}}}"#
    )
}

fn default_sdd() -> String {
    sdd_with(
        r#","x-imssf-registrationUrl":"{origin}/register""#,
        "",
        "",
        "{origin}/token",
    )
}

async fn serve_sdd(State(f): State<Arc<Fake>>, headers: HeaderMap) -> Response {
    f.hits.fetch_add(1, Ordering::SeqCst);
    let inm = headers
        .get("if-none-match")
        .map(|v| v.to_str().unwrap().to_owned());
    f.if_none_match.lock().unwrap().push(inm.clone());
    let mut extra = HeaderMap::new();
    for (k, v) in f.headers.lock().unwrap().iter() {
        extra.append(*k, v.parse().unwrap());
    }
    if inm.as_deref() == Some(ETAG) {
        f.not_modified.fetch_add(1, Ordering::SeqCst);
        return (StatusCode::NOT_MODIFIED, extra).into_response();
    }
    let sdd = f.sdd.lock().unwrap().clone();
    let sdd = if sdd.is_empty() { default_sdd() } else { sdd };
    let body = sdd.replace("{origin}", f.origin.get().unwrap());
    extra.insert("content-type", "application/json".parse().unwrap());
    (StatusCode::OK, extra, body).into_response()
}

async fn metadata(State(f): State<Arc<Fake>>) -> Response {
    let issuer = f.issuer.lock().unwrap().clone();
    let origin = f.origin.get().unwrap().clone();
    let issuer = if issuer.is_empty() {
        origin.clone()
    } else {
        issuer
    };
    axum::Json(serde_json::json!({
        "issuer": issuer,
        "revocation_endpoint": format!("{origin}/revoke"),
        "authorization_response_iss_parameter_supported": true,
    }))
    .into_response()
}

async fn odd(Path(kind): Path<String>) -> Response {
    match kind.as_str() {
        "redirect" => (
            StatusCode::FOUND,
            [("location", "https://localhost/elsewhere")],
        )
            .into_response(),
        "huge" => (StatusCode::OK, "x".repeat(5 * 1024 * 1024)).into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn fake() -> (TestServer, Arc<Fake>) {
    let f = Arc::new(Fake::default());
    let router = Router::new()
        .route("/discovery", get(serve_sdd))
        .route("/.well-known/oauth-authorization-server", get(metadata))
        .route("/odd/{kind}", get(odd))
        .with_state(Arc::clone(&f));
    let server = TestServer::start(router).await.unwrap();
    f.origin.set(server.url("")).unwrap();
    (server, f)
}

fn client(server: &TestServer) -> DiscoveryClient {
    DiscoveryClient::new(HttpPolicy::default().with_ca_pem(server.ca_pem().to_vec())).unwrap()
}

fn set_headers(f: &Fake, headers: &[(&'static str, &str)]) {
    *f.headers.lock().unwrap() = headers.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
}

fn http_date(offset: time::Duration) -> String {
    let t = time::OffsetDateTime::now_utc() + offset;
    let f = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    t.format(&f).unwrap()
}

/// Fetches twice and returns how many requests reached the server.
async fn two_fetches(server: &TestServer, f: &Fake) -> usize {
    let c = client(server);
    let url = server.url("/discovery");
    let a = c.fetch(&url).await.unwrap();
    let b = c.fetch(&url).await.unwrap();
    assert_eq!(a.document, b.document);
    f.hits.swap(0, Ordering::SeqCst)
}

#[tokio::test]
async fn cache_control_and_expires_decide_reuse_and_etag_revalidation_reuses_on_304() {
    let (server, f) = fake().await;
    set_headers(&f, &[("cache-control", "public, max-age=300")]);
    assert_eq!(two_fetches(&server, &f).await, 1, "max-age: reused");
    for directive in ["no-store", "no-cache", "private, no-cache"] {
        set_headers(&f, &[("cache-control", directive), ("etag", ETAG)]);
        assert_eq!(two_fetches(&server, &f).await, 2, "{directive}: not cached");
        assert_eq!(
            f.not_modified.load(Ordering::SeqCst),
            0,
            "{directive}: not even revalidated"
        );
    }
    let future = http_date(time::Duration::hours(1));
    set_headers(&f, &[("expires", &future)]);
    assert_eq!(
        two_fetches(&server, &f).await,
        1,
        "Expires in the future: reused"
    );
    // max-age wins over Expires.
    set_headers(&f, &[("expires", &future), ("cache-control", "max-age=0")]);
    assert_eq!(two_fetches(&server, &f).await, 2);

    // Stale (Expires in the past, or max-age=0) with an ETag: revalidated, 304 reuses the copy.
    for stale in [
        ("expires", http_date(-time::Duration::hours(1))),
        ("cache-control", "max-age=0".to_owned()),
    ] {
        set_headers(&f, &[(stale.0, &stale.1), ("etag", ETAG)]);
        f.if_none_match.lock().unwrap().clear();
        f.not_modified.store(0, Ordering::SeqCst);
        assert_eq!(two_fetches(&server, &f).await, 2);
        assert_eq!(
            *f.if_none_match.lock().unwrap(),
            vec![None, Some(ETAG.to_owned())]
        );
        assert_eq!(f.not_modified.load(Ordering::SeqCst), 1, "{stale:?}");
    }
}

#[tokio::test]
async fn the_provider_discovery_endpoint_answers_304_to_the_clients_revalidation() {
    let p = Provider::start_with(|d| d.with_max_age(Duration::ZERO)).await;
    let c = DiscoveryClient::new(p.policy()).unwrap();
    let a = c.fetch(&p.discovery_url()).await.unwrap();
    let b = c.fetch(&p.discovery_url()).await.unwrap();
    assert_eq!(a.document, b.document);
    assert_eq!(
        p.counters.discovery(),
        2,
        "max-age=0: revalidated each time"
    );
    assert_eq!(
        p.counters.discovery_304.load(Ordering::SeqCst),
        1,
        "the second was a 304"
    );
}

#[tokio::test]
async fn the_registration_url_is_found_under_every_spelling_real_files_use() {
    let (server, f) = fake().await;
    let reg = r#""x-imssf-registrationUrl":"{origin}/reg""#;
    let variants = [
        sdd_with(&format!(",{reg}"), "", "", "{origin}/token"),
        sdd_with(
            r#","x-imssf-registrationURL":"{origin}/reg""#,
            "",
            "",
            "{origin}/token",
        ),
        sdd_with(
            r#","x-imssf-registrationUri":"{origin}/reg""#,
            "",
            "",
            "{origin}/token",
        ),
        sdd_with("", &format!(",{reg}"), "", "{origin}/token"),
        sdd_with("", "", &format!(",{reg}"), "{origin}/token"),
    ];
    for sdd in variants {
        *f.sdd.lock().unwrap() = sdd.clone();
        let found = client(&server)
            .fetch(&server.url("/discovery"))
            .await
            .unwrap();
        assert_eq!(
            found
                .authorization_code
                .registration_url
                .map(|u| u.to_string()),
            Some(server.url("/reg")),
            "{sdd}"
        );
    }
    *f.sdd.lock().unwrap() = sdd_with("", "", "", "{origin}/token");
    let found = client(&server)
        .fetch(&server.url("/discovery"))
        .await
        .unwrap();
    assert_eq!(found.authorization_code.registration_url, None);
}

#[tokio::test]
async fn http_or_foreign_host_endpoints_are_refused_naming_the_field_and_url() {
    let (server, f) = fake().await;
    let port = server.addr().port();
    let flow = "components.securitySchemes.OAuth2ACG.flows.authorizationCode";
    let cases = [
        (
            sdd_with("", "", "", &format!("http://127.0.0.1:{port}/token")),
            format!("{flow}.tokenUrl"),
            "http",
        ),
        (
            sdd_with("", "", "", &format!("https://localhost:{port}/token")),
            format!("{flow}.tokenUrl"),
            "host",
        ),
        (
            sdd_with(
                "",
                r#","refreshUrl":"https://attacker.example.net/token""#,
                "",
                "{origin}/token",
            ),
            format!("{flow}.refreshUrl"),
            "host",
        ),
        (
            sdd_with(
                r#","x-imssf-registrationUrl":"http://127.0.0.1/reg""#,
                "",
                "",
                "{origin}/token",
            ),
            "components.securitySchemes.OAuth2ACG.x-imssf-registrationUrl".to_owned(),
            "http",
        ),
    ];
    for (sdd, field, kind) in cases {
        *f.sdd.lock().unwrap() = sdd;
        let err = client(&server)
            .fetch(&server.url("/discovery"))
            .await
            .unwrap_err();
        let text = err.to_string();
        match (&err, kind) {
            (DiscoveryClientError::NotHttps { field: f, .. }, "http")
            | (DiscoveryClientError::ForeignHost { field: f, .. }, "host") => assert_eq!(*f, field),
            _ => panic!("expected a {kind} refusal of {field}, got {err:?}"),
        }
        assert!(text.contains(&field), "{text}");
    }
    *f.sdd.lock().unwrap() =
        r#"{"openapi":"3.0.1","info":{"title":"t","version":"1"},"paths":{}}"#.into();
    assert!(matches!(
        client(&server).fetch(&server.url("/discovery")).await,
        Err(DiscoveryClientError::NoAuthorizationCodeScheme(_))
    ));
}

#[tokio::test]
async fn metadata_naming_another_issuer_is_refused() {
    let (server, f) = fake().await;
    let found = client(&server)
        .discover(&server.url("/discovery"))
        .await
        .unwrap();
    assert_eq!(found.metadata.unwrap().issuer, server.url(""));
    *f.issuer.lock().unwrap() = "https://attacker.example.net".into();
    match client(&server).discover(&server.url("/discovery")).await {
        Err(DiscoveryClientError::IssuerMismatch {
            expected, found, ..
        }) => {
            assert_eq!(expected, server.url(""));
            assert_eq!(found, "https://attacker.example.net");
        }
        other => panic!("expected IssuerMismatch, got {other:?}"),
    }
}

#[tokio::test]
async fn redirects_oversized_documents_plain_http_and_untrusted_certificates_fail() {
    let (server, _f) = fake().await;
    let c = client(&server);
    let status = |e: DiscoveryClientError| match e {
        DiscoveryClientError::Fetch { source, .. } => source,
        other => panic!("expected a fetch error, got {other:?}"),
    };
    assert!(matches!(
        status(c.fetch(&server.url("/odd/redirect")).await.unwrap_err()),
        ClientError::UnexpectedStatus(302)
    ));
    assert!(matches!(
        status(c.fetch(&server.url("/odd/huge")).await.unwrap_err()),
        ClientError::ResponseTooLarge(_)
    ));
    let http = server.url("/discovery").replace("https://", "http://");
    assert!(matches!(
        status(c.fetch(&http).await.unwrap_err()),
        ClientError::InsecureUrl(_)
    ));
    // The platform roots do not include the development CA.
    let untrusting = DiscoveryClient::new(HttpPolicy::default()).unwrap();
    assert!(matches!(
        status(
            untrusting
                .fetch(&server.url("/discovery"))
                .await
                .unwrap_err()
        ),
        ClientError::Transport(_)
    ));
}
