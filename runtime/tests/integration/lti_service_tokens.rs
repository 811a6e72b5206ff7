//! AGS/NRPS access tokens by client assertion (CL-15), against a platform-like token endpoint
//! that verifies each assertion with the tool's published JWKS and refuses a reused `jti`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::Form;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::post;
use ims_runtime::client::{HttpPolicy, TokenSource, TokenSourceOptions};
use ims_runtime::lti::*;
use ims_runtime::tls::testing::TestServer;
use jsonwebtoken::Algorithm;
use serde_json::{Value, json};

use crate::lti_support::*;

const SCORE: &str = "https://purl.imsglobal.org/spec/lti-ags/scope/score";

/// What the token endpoint saw: each verified assertion's header `kid` and claims.
type Seen = Arc<Mutex<Vec<(String, Value)>>>;

/// A token endpoint that checks assertions like an LTI platform (RFC 7523 §3; CL-15).
async fn token_endpoint(tool_keys: Arc<ToolKeys>, seen: Seen) -> TestServer {
    let jtis = Arc::new(Mutex::new(HashSet::<String>::new()));
    let audience = Arc::new(Mutex::new(String::new()));
    let aud = audience.clone();
    let app = Router::new().route(
        "/token",
        post(move |Form(form): Form<Vec<(String, String)>>| {
            let (keys, seen, jtis, aud) =
                (tool_keys.clone(), seen.clone(), jtis.clone(), aud.clone());
            async move {
                let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
                let refuse =
                    || (StatusCode::UNAUTHORIZED, r#"{"error":"invalid_client"}"#).into_response();
                if get("grant_type").as_deref() != Some("client_credentials")
                    || get("client_assertion_type").as_deref()
                        != Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
                {
                    return refuse();
                }
                let assertion = get("client_assertion").unwrap();
                let header = jsonwebtoken::decode_header(&assertion).unwrap();
                let jwks = keys.jwks();
                let Some(jwk) = jwks["keys"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|k| k["kid"].as_str() == header.kid.as_deref())
                else {
                    return refuse();
                };
                let alg: Algorithm = jwk["alg"].as_str().unwrap().parse().unwrap();
                let key = jsonwebtoken::DecodingKey::from_jwk(
                    &serde_json::from_value(jwk.clone()).unwrap(),
                )
                .unwrap();
                let mut validation = jsonwebtoken::Validation::new(alg);
                validation.set_audience(&[aud.lock().unwrap().clone()]);
                validation.set_issuer(&[CLIENT_ID]);
                validation.sub = Some(CLIENT_ID.into());
                validation.set_required_spec_claims(&["exp", "iat", "aud", "iss", "sub", "jti"]);
                let Ok(data) = jsonwebtoken::decode::<Value>(&assertion, &key, &validation) else {
                    return refuse();
                };
                let claims = data.claims;
                if !jtis
                    .lock()
                    .unwrap()
                    .insert(claims["jti"].as_str().unwrap().to_owned())
                {
                    return refuse(); // a replayed assertion
                }
                seen.lock().unwrap().push((header.kid.unwrap(), claims));
                let n = seen.lock().unwrap().len();
                let body = json!({"access_token": format!("tok-{n}"), "token_type": "Bearer",
                    "expires_in": 3600, "scope": get("scope").unwrap_or_default()});
                ([("content-type", "application/json")], body.to_string()).into_response()
            }
        }),
    );
    let server = TestServer::start(app).await.unwrap();
    *audience.lock().unwrap() = server.url("/token");
    server
}

#[tokio::test]
async fn cl_15_service_tokens_use_fresh_short_single_audience_assertions_and_follow_key_rotation() {
    let h = Harness::start().await;
    let seen: Seen = Arc::default();
    let endpoint = token_endpoint(h.tool_keys.clone(), seen.clone()).await;
    let mut reg = registration(PlatformKeySource::JwksUri(h.jwks.server.url("/jwks")));
    reg.token_endpoint = endpoint.url("/token");
    let options = TokenSourceOptions {
        http: HttpPolicy::default().with_ca_pem(endpoint.ca_pem().to_vec()),
        ..TokenSourceOptions::default()
    };
    let source = h.tool.service_token_source(&reg, options).unwrap();

    let first = source.token(&[SCORE]).await.unwrap();
    assert_eq!(first.secret(), "tok-1");
    assert_eq!(first.scopes(), [SCORE.to_owned()]);
    assert_eq!(
        source.token(&[SCORE]).await.unwrap().secret(),
        "tok-1",
        "cached"
    );
    source.invalidate(&[SCORE], &first);
    assert_eq!(source.token(&[SCORE]).await.unwrap().secret(), "tok-2");

    // The tool rotates its key: the next request signs with the new one.
    let old_kid = h.tool_keys.active().kid().to_owned();
    h.tool_keys
        .rotate(ToolKey::generate(Algorithm::RS256).unwrap())
        .unwrap();
    let new_kid = h.tool_keys.active().kid().to_owned();
    assert_eq!(source.token(&[SCORE]).await.unwrap().secret(), "tok-3");

    let seen = seen.lock().unwrap().clone();
    let kids: Vec<&str> = seen.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(kids, [old_kid.as_str(), old_kid.as_str(), new_kid.as_str()]);
    let jtis: HashSet<&str> = seen
        .iter()
        .map(|(_, c)| c["jti"].as_str().unwrap())
        .collect();
    assert_eq!(jtis.len(), 3, "a fresh jti every time");
    for (_, claims) in &seen {
        assert_eq!(
            claims["aud"],
            json!(endpoint.url("/token")),
            "aud is one string"
        );
        let lifetime = claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap();
        assert!((1..=300).contains(&lifetime), "exp ≤ 5 min: {lifetime}");
        assert_eq!(claims["iss"], CLIENT_ID);
        assert_eq!(claims["sub"], CLIENT_ID);
    }
    // Inspection: two assertions never share a jti.
    let a = jsonwebtoken::dangerous::insecure_decode::<Value>(&source.client_assertion().unwrap())
        .unwrap()
        .claims;
    let b = jsonwebtoken::dangerous::insecure_decode::<Value>(&source.client_assertion().unwrap())
        .unwrap()
        .claims;
    assert_ne!(a["jti"], b["jti"]);
}

#[tokio::test]
async fn a_service_token_source_refuses_a_plain_http_token_endpoint() {
    let h = Harness::start().await;
    let mut reg = registration(PlatformKeySource::JwksUri(h.jwks.server.url("/jwks")));
    reg.token_endpoint = "http://platform.example.edu/token".into();
    assert!(
        h.tool
            .service_token_source(&reg, TokenSourceOptions::default())
            .is_err()
    );
}
