//! Discovery endpoint rules (FACTS §2, §1.5) checked over real loopback TLS.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failures
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use ims_runtime::discovery::{Deployment, DiscoveryDocument, DiscoveryError};
use ims_runtime::tls::testing::TestServer;
use serde_json::Value;

const PATH: &str = "/ims/ob/v3p0/discovery";

/// A small SDD of our own: one client-credentials scheme and one authorization-code scheme with a
/// registration URL, all pointing at a host the deployment must replace.
const SDD: &str = r#"{
  "openapi": "3.0.1",
  "info": {"title": "Example Provider", "version": "1.0", "termsOfService": "https://example.org/tos"},
  "servers": [{"url": "https://internal.example.org/ims/ob/v3p0", "description": "staging"}],
  "paths": {},
  "components": {
    "securitySchemes": {
      "OAuth2CCG": {
        "type": "oauth2",
        "flows": {"clientCredentials": {"tokenUrl": "https://internal.example.org/token", "scopes": {"s": "d"}}}
      },
      "OAuth2ACG": {
        "type": "oauth2",
        "x-imssf-registrationUrl": "https://internal.example.org/register",
        "flows": {"authorizationCode": {
          "authorizationUrl": "https://internal.example.org/authorize",
          "tokenUrl": "https://internal.example.org/token",
          "refreshUrl": "https://internal.example.org/refresh",
          "scopes": {"s": "d"}
        }}
      },
      "bearer": {"type": "http", "scheme": "bearer"}
    }
  }
}"#;

fn deployment(base: &str) -> Deployment {
    Deployment::new(base.parse().unwrap())
        .with_token_url("https://auth.example.edu/oauth/token".parse().unwrap())
        .with_registration_url("https://auth.example.edu/oauth/register".parse().unwrap())
}

fn document() -> DiscoveryDocument {
    DiscoveryDocument::new(
        SDD,
        &deployment("https://api.example.edu/tenant-a/ims/ob/v3p0"),
    )
    .unwrap()
}

/// Rejects every request without an `Authorization` header, like a bearer layer would.
async fn require_token(request: Request, next: Next) -> Response {
    if request.headers().contains_key("authorization") {
        next.run(request).await
    } else {
        StatusCode::UNAUTHORIZED.into_response()
    }
}

/// The API behind an auth layer, with the discovery router merged outside it.
async fn start(doc: &DiscoveryDocument) -> TestServer {
    let api = Router::new()
        .route("/ims/ob/v3p0/credentials", get(|| async { "secret" }))
        .layer(middleware::from_fn(require_token));
    TestServer::start(api.merge(doc.router(PATH).unwrap()))
        .await
        .unwrap()
}

#[tokio::test]
async fn discovery_is_served_without_a_token_beside_protected_routes() {
    let server = start(&document()).await;
    let client = server.client();

    let protected = client
        .get(server.url("/ims/ob/v3p0/credentials"))
        .send()
        .await
        .unwrap();
    assert_eq!(protected.status(), 401, "the auth layer is in force");

    let res = client.get(server.url(PATH)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/json");
    assert_eq!(res.headers()["cache-control"], "public, max-age=300");
    assert!(res.headers().contains_key("etag"));
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["info"]["title"], "Example Provider");
    server.shutdown().await;
}

#[tokio::test]
async fn servers_and_oauth_endpoints_are_rewritten_to_the_deployment() {
    let server = start(&document()).await;
    let body: Value = server
        .client()
        .get(server.url(PATH))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    assert_eq!(
        body["servers"],
        serde_json::json!([{"url": "https://api.example.edu/tenant-a/ims/ob/v3p0"}])
    );
    let schemes = &body["components"]["securitySchemes"];
    assert_eq!(
        schemes["OAuth2CCG"]["flows"]["clientCredentials"]["tokenUrl"],
        "https://auth.example.edu/oauth/token"
    );
    let acg = &schemes["OAuth2ACG"];
    assert_eq!(
        acg["flows"]["authorizationCode"]["tokenUrl"],
        "https://auth.example.edu/oauth/token"
    );
    assert_eq!(
        acg["x-imssf-registrationUrl"],
        "https://auth.example.edu/oauth/register"
    );
    // Not set in the deployment: kept from the SDD.
    assert_eq!(
        acg["flows"]["authorizationCode"]["authorizationUrl"],
        "https://internal.example.org/authorize"
    );
    assert_eq!(
        acg["flows"]["authorizationCode"]["refreshUrl"],
        "https://internal.example.org/refresh"
    );
    assert_eq!(
        schemes["bearer"],
        serde_json::json!({"type": "http", "scheme": "bearer"})
    );
    let text = body.to_string();
    assert!(!text.contains("internal.example.org/token"), "{text}");
    server.shutdown().await;
}

#[tokio::test]
async fn etag_is_stable_across_requests_and_changes_with_the_deployment() {
    let doc = document();
    let server = start(&doc).await;
    let client = server.client();
    let first = client.get(server.url(PATH)).send().await.unwrap();
    let second = client.get(server.url(PATH)).send().await.unwrap();
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(etag, second.headers()["etag"].to_str().unwrap());
    assert_eq!(etag, doc.etag());
    assert!(etag.starts_with('"') && etag.ends_with('"') && !etag.starts_with("W/"));
    server.shutdown().await;

    let rebuilt = document();
    assert_eq!(rebuilt.etag(), etag, "same inputs, same tag");
    let other =
        DiscoveryDocument::new(SDD, &deployment("https://api.example.edu/tenant-b")).unwrap();
    assert_ne!(
        other.etag(),
        etag,
        "another base URL is another representation"
    );
    let other_auth = DiscoveryDocument::new(
        SDD,
        &deployment("https://api.example.edu/tenant-a/ims/ob/v3p0")
            .with_authorization_url("https://auth.example.edu/oauth/authorize".parse().unwrap()),
    )
    .unwrap();
    assert_ne!(other_auth.etag(), etag);
}

#[tokio::test]
async fn if_none_match_with_current_etag_gives_304_without_body() {
    let doc = document();
    let server = start(&doc).await;
    let client = server.client();
    let weak = format!("W/{}", doc.etag());
    let list = format!("\"stale\", {}", doc.etag());
    for value in [doc.etag(), weak.as_str(), list.as_str(), "*"] {
        let res = client
            .get(server.url(PATH))
            .header("if-none-match", value)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 304, "If-None-Match: {value}");
        assert_eq!(res.headers()["etag"], doc.etag());
        assert!(res.headers().contains_key("cache-control"));
        assert!(res.bytes().await.unwrap().is_empty());
    }
    server.shutdown().await;
}

#[tokio::test]
async fn if_none_match_with_other_etag_gives_200_with_body() {
    let doc = document();
    let server = start(&doc).await;
    for value in ["\"something-else\"", "W/\"x\", \"y\"", "not-a-tag"] {
        let res = server
            .client()
            .get(server.url(PATH))
            .header("if-none-match", value)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "If-None-Match: {value}");
        assert_eq!(res.bytes().await.unwrap(), doc.body());
    }
    server.shutdown().await;
}

#[tokio::test]
async fn head_gives_headers_without_body() {
    let doc = document();
    let server = start(&doc).await;
    let res = server.client().head(server.url(PATH)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["etag"], doc.etag());
    assert_eq!(
        res.headers()["content-length"],
        doc.body().len().to_string().as_str()
    );
    assert!(res.bytes().await.unwrap().is_empty());
    server.shutdown().await;
}

#[tokio::test]
async fn methods_other_than_get_and_head_give_405_with_allow() {
    let server = start(&document()).await;
    let client = server.client();
    for res in [
        client
            .post(server.url(PATH))
            .body("{}")
            .send()
            .await
            .unwrap(),
        client.put(server.url(PATH)).send().await.unwrap(),
        client.delete(server.url(PATH)).send().await.unwrap(),
    ] {
        assert_eq!(res.status(), 405);
        assert_eq!(res.headers()["allow"], "GET, HEAD");
    }
    server.shutdown().await;
}

#[tokio::test]
async fn max_age_is_configurable() {
    let doc = document().with_max_age(Duration::from_secs(60));
    let server = start(&doc).await;
    let res = server.client().get(server.url(PATH)).send().await.unwrap();
    assert_eq!(res.headers()["cache-control"], "public, max-age=60");
    server.shutdown().await;
}

#[test]
fn invalid_sdd_json_is_rejected_at_construction() {
    let d = deployment("https://api.example.edu");
    let err = DiscoveryDocument::new("{\"openapi\": ", &d).unwrap_err();
    assert!(matches!(err, DiscoveryError::InvalidJson(_)), "{err}");
    assert!(err.to_string().contains("not valid JSON"), "{err}");

    let err = DiscoveryDocument::new("[1, 2]", &d).unwrap_err();
    assert!(matches!(err, DiscoveryError::NotOpenApi(_)), "{err}");
    let err = DiscoveryDocument::new(r#"{"swagger": "2.0"}"#, &d).unwrap_err();
    assert!(err.to_string().contains("`openapi`"), "{err}");
}

#[test]
fn non_https_deployment_urls_are_rejected_at_construction() {
    let err = DiscoveryDocument::new(SDD, &deployment("http://api.example.edu")).unwrap_err();
    assert!(
        matches!(
            err,
            DiscoveryError::NotHttps {
                field: "base_url",
                ..
            }
        ),
        "{err}"
    );
    let d = deployment("https://api.example.edu")
        .with_refresh_url("http://auth.example.edu/refresh".parse().unwrap());
    let err = DiscoveryDocument::new(SDD, &d).unwrap_err();
    assert!(
        matches!(
            err,
            DiscoveryError::NotHttps {
                field: "refresh_url",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn route_syntax_in_the_discovery_path_is_rejected() {
    let doc = document();
    for path in ["discovery", "/ims/{tenant}/discovery", "/*rest"] {
        assert!(
            matches!(doc.router(path), Err(DiscoveryError::InvalidPath(_))),
            "{path}"
        );
    }
}
