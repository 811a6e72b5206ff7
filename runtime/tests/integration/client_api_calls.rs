//! `ApiClient` calls over loopback TLS: retries, imsx errors, scope alternatives, https only,
//! no redirects, path encoding, typed decode errors, the response cap.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::client_api_support as support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use ims_runtime::catalogue::ParamStyle;
use ims_runtime::client::{
    ApiClient, ApiError, ApiRequest, ClientAuth, ClientCredentialsSource, ClientError,
    ClientSecret, HttpPolicy, TokenSourceOptions,
};
use ims_runtime::imsx::{CodeMajor, Severity};
use serde_json::Value;
use support::*;

fn get(path: &str) -> ApiRequest {
    ApiRequest::new(http::Method::GET, "/api")
        .path(path)
        .scopes(GOOD)
}

#[tokio::test]
async fn get_is_retried_after_429_honouring_retry_after() {
    let f = start().await;
    let api = f.client();
    let started = Instant::now();
    let body: Recs = api.call_json(get("/busy-once")).await.unwrap();
    assert_eq!(body.users, Some(vec![]));
    assert_eq!(f.seen.hits("busy-once"), 2, "retried exactly once");
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "waited for Retry-After: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn post_is_not_retried_on_503_but_get_is_until_the_bound() {
    let f = start().await;
    let api = f.client();
    let err = api
        .call_empty(
            ApiRequest::new(http::Method::POST, "/api")
                .path("/unavailable")
                .scopes(GOOD)
                .json_body("application/json", &serde_json::json!({})),
        )
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(
        f.seen.hits("unavailable"),
        1,
        "POST is not idempotent: never retried"
    );

    let err = api.call_empty(get("/unavailable")).await.unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(
        f.seen.hits("unavailable"),
        1 + 3,
        "GET: max_attempts (3) in total"
    );
}

#[tokio::test]
async fn imsx_error_bodies_are_decoded() {
    let f = start().await;
    let err = f
        .client()
        .call_json::<Value>(get("/missing"))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(404));
    assert_eq!(err.code_minor(), Some("unknownobject"));
    let info = err.status_info().unwrap();
    assert_eq!(info.code_major, CodeMajor::Failure);
    assert_eq!(info.severity, Severity::Error);
    assert_eq!(
        info.description.as_deref(),
        Some("no user with that sourcedId")
    );
    assert!(err.to_string().contains("404 unknownobject"), "{err}");
}

#[tokio::test]
async fn invalid_scope_from_the_token_endpoint_falls_back_to_the_next_alternative() {
    let f = start().await;
    let api = f.client();
    const ALTS: &[&[&str]] = &[&[BAD_SCOPE], &[GOOD_SCOPE]];
    let req = || {
        ApiRequest::new(http::Method::GET, "/api")
            .path("/link/users")
            .scopes(ALTS)
    };
    api.call_page::<Recs>(req()).await.unwrap();
    assert_eq!(
        *f.seen.token_scopes.lock().unwrap(),
        [BAD_SCOPE, GOOD_SCOPE]
    );
    assert_eq!(
        f.seen
            .authorizations
            .lock()
            .unwrap()
            .last()
            .cloned()
            .flatten()
            .as_deref(),
        Some("Bearer tok_https://example.test/scope/roster.readonly")
    );
    // The alternative that worked is remembered: no second invalid_scope round trip.
    api.call_page::<Recs>(req()).await.unwrap();
    assert_eq!(f.seen.token_scopes.lock().unwrap().len(), 2);

    // Every alternative refused: the token endpoint's error comes back.
    const ONLY_BAD: &[&[&str]] = &[&[BAD_SCOPE]];
    let err = api
        .call_empty(
            ApiRequest::new(http::Method::GET, "/api")
                .path("/link/users")
                .scopes(ONLY_BAD),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, ApiError::Client(ClientError::TokenEndpoint { ref error, .. }) if error == "invalid_scope"),
        "{err:?}"
    );
}

#[tokio::test]
async fn public_operations_send_no_token() {
    let f = start().await;
    let api = f.client();
    api.call_page::<Recs>(ApiRequest::new(http::Method::GET, "/api").path("/link/users"))
        .await
        .unwrap();
    assert!(f.seen.token_scopes.lock().unwrap().is_empty());
    assert_eq!(*f.seen.authorizations.lock().unwrap(), [None]);
}

#[tokio::test]
async fn plain_http_base_urls_are_refused() {
    let f = start().await;
    let source = Arc::new(
        ClientCredentialsSource::new(
            &f.server.url("/token"),
            "client",
            ClientAuth::ClientSecretBasic(ClientSecret::new("secret")),
            TokenSourceOptions::default(),
        )
        .unwrap(),
    );
    let err = ApiClient::new(
        "http://api.example.edu",
        source.clone(),
        HttpPolicy::default(),
    )
    .unwrap_err();
    assert!(matches!(err, ClientError::InsecureUrl(_)), "{err:?}");
    // Loopback http too, unless the policy allows it explicitly.
    let err =
        ApiClient::new("http://127.0.0.1:1", source.clone(), HttpPolicy::default()).unwrap_err();
    assert!(matches!(err, ClientError::InsecureUrl(_)), "{err:?}");
    let err = ApiClient::new(
        "http://api.example.edu",
        source.clone(),
        HttpPolicy::default().allow_loopback_http(true),
    )
    .unwrap_err();
    assert!(matches!(err, ClientError::InsecureUrl(_)), "{err:?}");
    assert!(
        ApiClient::new(
            "http://127.0.0.1:1",
            source,
            HttpPolicy::default().allow_loopback_http(true)
        )
        .is_ok()
    );
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let f = start().await;
    let err = f.client().call_empty(get("/redirect")).await.unwrap_err();
    assert_eq!(err.status(), Some(307));
    assert_eq!(
        f.seen.hits("link"),
        0,
        "the redirect target was not requested"
    );
}

#[tokio::test]
async fn path_parameters_stay_one_segment() {
    let f = start().await;
    let api = f.client();
    let target = |v: Value| v["target"].as_str().unwrap().to_owned();
    let v: Value = api
        .call_json(
            get("/users/")
                .path_param("sourcedId", "a/../b?c#d%e f")
                .path("/classes"),
        )
        .await
        .unwrap();
    assert_eq!(target(v), "/api/users/a%2F..%2Fb%3Fc%23d%25e%20f/classes");
    // Numbers as their JSON text.
    let v: Value = api
        .call_json(get("/n/").path_param("n", &42_i64))
        .await
        .unwrap();
    assert_eq!(target(v), "/api/n/42");
    // `..`, `.` and empty cannot be one segment: refused before anything is sent.
    let before = f.seen.echoed.lock().unwrap().len();
    for bad in ["..", ".", ""] {
        let err = api
            .call_json::<Value>(get("/users/").path_param("sourcedId", bad))
            .await
            .unwrap_err();
        assert!(
            matches!(err, ApiError::InvalidArgument(_)),
            "{bad:?}: {err:?}"
        );
    }
    assert_eq!(f.seen.echoed.lock().unwrap().len(), before);
}

#[tokio::test]
async fn query_values_follow_their_style() {
    let f = start().await;
    let api = f.client();
    let req = get("/q")
        .query(
            "fields",
            &["sourcedId", "givenName"],
            ParamStyle::CommaSeparated,
        )
        .query("tag", &["a b", "c"], ParamStyle::FormExploded)
        .query("n", &Some(5_i32), ParamStyle::Scalar)
        .query("flag", &true, ParamStyle::Scalar)
        .query("absent", &None::<&str>, ParamStyle::Scalar)
        .query("piped", &[1, 2], ParamStyle::PipeDelimited)
        .query("j", &serde_json::json!({"k": "v"}), ParamStyle::Json)
        .query("filter", "familyName='O''Neil' AND x>1", ParamStyle::Scalar);
    let url = api.url_for(&req).unwrap();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let expect = [
        ("fields", "sourcedId,givenName"),
        ("tag", "a b"),
        ("tag", "c"),
        ("n", "5"),
        ("flag", "true"),
        ("piped", "1|2"),
        ("j", "{\"k\":\"v\"}"),
        ("filter", "familyName='O''Neil' AND x>1"),
    ];
    assert_eq!(pairs, expect.map(|(k, v)| (k.to_owned(), v.to_owned())));
    // And the server receives exactly that.
    let v: Value = api.call_json(req).await.unwrap();
    let echoed: url::Url =
        url::Url::parse(&format!("https://x{}", v["target"].as_str().unwrap())).unwrap();
    assert_eq!(echoed.query_pairs().count(), expect.len());
}

#[tokio::test]
async fn bodies_not_matching_the_type_say_where() {
    let f = start().await;
    let err = f
        .client()
        .call_json::<Recs>(get("/wrong-type"))
        .await
        .unwrap_err();
    match err {
        ApiError::Decode {
            path, type_name, ..
        } => {
            assert_eq!(path, "users[1].id");
            assert!(type_name.ends_with("Recs"), "{type_name}");
        }
        other => panic!("expected Decode, got {other:?}"),
    }
}

#[tokio::test]
async fn responses_over_the_cap_are_refused() {
    let f = start().await;
    let policy = HttpPolicy {
        max_response_bytes: 10_000,
        ..ApiClient::default_policy()
    };
    let err = f
        .client_with(policy)
        .call_json::<Value>(get("/large"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ApiError::Client(ClientError::ResponseTooLarge(10_000))),
        "{err:?}"
    );
    // The default policy has room for it.
    let ok: Value = f.client().call_json(get("/large")).await.unwrap();
    assert!(ok["pad"].is_string());
}

#[tokio::test]
async fn connection_failures_are_retried_then_reported() {
    // A port nothing listens on: bind, note the port, drop the listener.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let f = start().await;
    let api = ApiClient::new(
        &format!("https://127.0.0.1:{port}"),
        Arc::new(
            ClientCredentialsSource::new(
                &f.server.url("/token"),
                "client",
                ClientAuth::ClientSecretBasic(ClientSecret::new("secret")),
                TokenSourceOptions {
                    http: HttpPolicy::default().with_ca_pem(f.server.ca_pem().to_vec()),
                    ..TokenSourceOptions::default()
                },
            )
            .unwrap(),
        ),
        HttpPolicy::default().with_ca_pem(f.server.ca_pem().to_vec()),
    )
    .unwrap()
    .with_retry(ims_runtime::client::RetryPolicy {
        base_delay: Duration::from_millis(100),
        ..Default::default()
    });
    let started = Instant::now();
    let err = api.call_empty(get("/x")).await.unwrap_err();
    assert!(
        matches!(err, ApiError::Client(ClientError::Transport(_))),
        "{err:?}"
    );
    // Two backoffs (50..100 ms, then 100..200 ms) happened before giving up.
    assert!(
        started.elapsed() >= Duration::from_millis(150),
        "{:?}",
        started.elapsed()
    );
}
