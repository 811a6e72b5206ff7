//! `POST /token` with `grant_type=client_credentials` over HTTPS on loopback: client
//! authentication (client_secret_basic, private_key_jwt), request syntax, scopes, responses.
//! Rules: SECURITY-CASES (a) AS-15..21, AS-25, AS-26, AS-33..36; RFC 9068 token format.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::authz_support;

use std::sync::Arc;

use authz_support::*;
use ims_runtime::authorization_server::keys::{SigningAlgorithm, generate};
use ims_runtime::authorization_server::{IssuedClient, NewClient, TokenEndpointAuthMethod};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::{Value, json};

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

fn now() -> u64 {
    ims_runtime::authorization_server::secrets::now()
}

#[tokio::test]
async fn client_credentials_issues_rfc9068_jwt_without_refresh_token_and_no_store() {
    let h = Harness::start().await;
    let c = h.cc_client(&[ROSTER_RO]).await;
    let r = h
        .token(
            &c,
            &[("grant_type", "client_credentials"), ("scope", ROSTER_RO)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert_eq!(r.headers()["pragma"], "no-cache");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["scope"], ROSTER_RO);
    assert!(
        body.get("refresh_token").is_none(),
        "AS-25: no refresh token for client_credentials"
    );
    let (header, claims) = jwt_parts(body["access_token"].as_str().unwrap());
    assert_eq!(header["typ"], "at+jwt");
    assert_eq!(header["alg"], "RS256");
    assert!(header["kid"].is_string());
    assert_eq!(claims["iss"], h.issuer.as_str());
    assert_eq!(claims["sub"], c.client_id.as_str());
    assert_eq!(claims["client_id"], c.client_id.as_str());
    assert_eq!(claims["aud"], h.issuer.as_str());
    assert_eq!(claims["scope"], ROSTER_RO);
    assert!(claims["jti"].is_string());
    assert_eq!(
        claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
        3600
    );
}

#[tokio::test]
async fn access_tokens_verify_with_the_resource_server_verifier_and_revocation_is_visible() {
    use ims_runtime::resource_server::{
        CachingVerifier, JwtRules, KeySet, LocalJwtVerifier, TokenVerifier,
    };
    let h = Harness::start().await;
    let c = h.cc_client(&[ROSTER_RO]).await;
    let token = h.cc_token(&c, ROSTER_RO).await;
    let jwks = h
        .http
        .get(h.url("/jwks.json"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let verifier = CachingVerifier::new(LocalJwtVerifier::new(
        KeySet::from_jwks_json(&jwks).unwrap(),
        JwtRules::new(h.issuer.clone(), h.issuer.clone()),
    ))
    .with_revocation_check(Arc::new(h.server.clone()));
    let principal = verifier.verify(&token).await.unwrap();
    assert_eq!(
        principal.jti.as_deref(),
        Some(jwt_parts(&token).1["jti"].as_str().unwrap())
    );
    let r = h
        .post_form(
            "/revoke",
            &[("token", &token)],
            Some((&c.client_id, c.client_secret.as_deref().unwrap())),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        verifier.verify(&token).await.is_err(),
        "revoked token must be refused by the RS"
    );
}

#[tokio::test]
async fn scope_omitted_grants_the_clients_registered_scopes() {
    let h = Harness::start().await;
    let c = h.cc_client(&[ROSTER_RO, RESULTS_RO]).await;
    let r = h.token(&c, &[("grant_type", "client_credentials")]).await;
    let body: Value = r.json().await.unwrap();
    let mut got: Vec<&str> = body["scope"].as_str().unwrap().split(' ').collect();
    got.sort_unstable();
    let mut want = vec![ROSTER_RO, RESULTS_RO];
    want.sort_unstable();
    assert_eq!(got, want);
}

#[tokio::test]
async fn scope_outside_allowance_unknown_or_case_variant_is_invalid_scope() {
    let h = Harness::start().await;
    let c = h.cc_client(&[ROSTER_RO]).await;
    let upper = ROSTER_RO.to_uppercase();
    for scope in [
        ROSTER_CREATEPUT,
        "https://unknown.example/scope",
        upper.as_str(),
        "a  b",
    ] {
        let r = h
            .token(
                &c,
                &[("grant_type", "client_credentials"), ("scope", scope)],
            )
            .await;
        assert_oauth_error(r, StatusCode::BAD_REQUEST, "invalid_scope").await;
    }
}

#[tokio::test]
async fn wrong_secret_and_unknown_client_get_identical_401_invalid_client_with_basic_challenge() {
    let h = Harness::start().await;
    let c = h.cc_client(&[ROSTER_RO]).await;
    let form = [("grant_type", "client_credentials")];
    let wrong = h
        .post_form("/token", &form, Some((&c.client_id, "nope")))
        .await;
    let unknown = h
        .post_form("/token", &form, Some(("no-such-client", "nope")))
        .await;
    let mut bodies = Vec::new();
    for r in [wrong, unknown] {
        assert_eq!(r.headers()["www-authenticate"], "Basic realm=\"ims\"");
        bodies.push(assert_oauth_error(r, StatusCode::UNAUTHORIZED, "invalid_client").await);
    }
    assert_eq!(
        bodies[0], bodies[1],
        "AS-15: same response for unknown client and wrong secret"
    );
}

#[tokio::test]
async fn missing_client_authentication_is_401_invalid_client() {
    let h = Harness::start().await;
    let r = h
        .post_form("/token", &[("grant_type", "client_credentials")], None)
        .await;
    assert_oauth_error(r, StatusCode::UNAUTHORIZED, "invalid_client").await;
}

#[tokio::test]
async fn two_client_authentication_methods_are_400_invalid_request() {
    let h = Harness::start().await;
    let c = h.cc_client(&[ROSTER_RO]).await;
    let secret = c.client_secret.clone().unwrap();
    let r = h
        .token(
            &c,
            &[
                ("grant_type", "client_credentials"),
                ("client_secret", &secret),
            ],
        )
        .await;
    assert_oauth_error(r, StatusCode::BAD_REQUEST, "invalid_request").await;
    let r = h
        .token(
            &c,
            &[
                ("grant_type", "client_credentials"),
                ("client_assertion_type", JWT_BEARER),
                ("client_assertion", "a.b.c"),
            ],
        )
        .await;
    assert_oauth_error(r, StatusCode::BAD_REQUEST, "invalid_request").await;
}

#[tokio::test]
async fn client_secret_post_is_refused_unless_enabled() {
    let h = Harness::start().await;
    let c = h.cc_client(&[ROSTER_RO]).await;
    let secret = c.client_secret.clone().unwrap();
    let r = h
        .post_form(
            "/token",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &c.client_id),
                ("client_secret", &secret),
            ],
            None,
        )
        .await;
    assert_oauth_error(r, StatusCode::UNAUTHORIZED, "invalid_client").await;
}

#[tokio::test]
async fn client_secret_post_works_when_enabled_for_a_post_client() {
    let h = Harness::start_with(|b| defaults(b).allow_client_secret_post(true)).await;
    let c = h
        .server
        .create_client(NewClient {
            auth_method: Some(TokenEndpointAuthMethod::ClientSecretPost),
            ..NewClient::client_credentials([ROSTER_RO])
        })
        .await
        .unwrap();
    let secret = c.client_secret.clone().unwrap();
    let r = h
        .post_form(
            "/token",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &c.client_id),
                ("client_secret", &secret),
            ],
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn duplicate_parameters_are_400_invalid_request() {
    let h = Harness::start().await;
    let c = h.cc_client(&[ROSTER_RO]).await;
    for form in [
        vec![
            ("grant_type", "client_credentials"),
            ("grant_type", "client_credentials"),
        ],
        vec![
            ("grant_type", "client_credentials"),
            ("scope", ROSTER_RO),
            ("scope", ROSTER_RO),
        ],
    ] {
        let r = h.token(&c, &form).await;
        assert_oauth_error(r, StatusCode::BAD_REQUEST, "invalid_request").await;
    }
}

#[tokio::test]
async fn get_is_405_and_json_body_is_400_invalid_request() {
    let h = Harness::start().await;
    let c = h.cc_client(&[ROSTER_RO]).await;
    let r = h.http.get(h.url("/token")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    let r = h
        .http
        .post(h.url("/token"))
        .header(
            "authorization",
            basic(&c.client_id, c.client_secret.as_deref().unwrap()),
        )
        .json(&json!({"grant_type": "client_credentials"}))
        .send()
        .await
        .unwrap();
    assert_oauth_error(r, StatusCode::BAD_REQUEST, "invalid_request").await;
}

#[tokio::test]
async fn grant_type_missing_is_invalid_request_and_password_or_unknown_is_unsupported() {
    let h = Harness::start().await;
    let c = h.cc_client(&[ROSTER_RO]).await;
    let r = h.token(&c, &[("scope", ROSTER_RO)]).await;
    assert_oauth_error(r, StatusCode::BAD_REQUEST, "invalid_request").await;
    for g in ["password", "implicit", "urn:example:nope"] {
        let r = h
            .token(
                &c,
                &[("grant_type", g), ("username", "a"), ("password", "b")],
            )
            .await;
        assert_oauth_error(r, StatusCode::BAD_REQUEST, "unsupported_grant_type").await;
    }
}

#[tokio::test]
async fn client_using_an_unregistered_grant_is_unauthorized_client() {
    let h = Harness::start().await;
    let cc_only = h.cc_client(&[ROSTER_RO]).await;
    let r = h
        .token(
            &cc_only,
            &[
                ("grant_type", "authorization_code"),
                ("code", "x"),
                ("code_verifier", "y"),
            ],
        )
        .await;
    assert_oauth_error(r, StatusCode::BAD_REQUEST, "unauthorized_client").await;
    let code_client = h.code_client(&[ROSTER_RO]).await;
    let r = h
        .token(&code_client, &[("grant_type", "client_credentials")])
        .await;
    assert_oauth_error(r, StatusCode::BAD_REQUEST, "unauthorized_client").await;
}

#[tokio::test]
async fn error_description_never_reflects_input() {
    let h = Harness::start().await;
    let c = h.cc_client(&[ROSTER_RO]).await;
    let evil = "<script>alert(1)</script>\r\nX-Injected: 1";
    let r = h
        .token(&c, &[("grant_type", "client_credentials"), ("scope", evil)])
        .await;
    let body = assert_oauth_error(r, StatusCode::BAD_REQUEST, "invalid_scope").await;
    let text = body["error_description"].as_str().unwrap();
    assert!(
        !text.contains("<script") && !text.contains("Injected"),
        "{text}"
    );
    let r = h.token(&c, &[("grant_type", evil)]).await;
    let body = assert_oauth_error(r, StatusCode::BAD_REQUEST, "unsupported_grant_type").await;
    assert!(
        !body["error_description"]
            .as_str()
            .unwrap()
            .contains("<script")
    );
}

#[tokio::test]
async fn malformed_basic_header_is_400_and_scheme_is_case_insensitive() {
    let h = Harness::start().await;
    let c = h.cc_client(&[ROSTER_RO]).await;
    let secret = c.client_secret.clone().unwrap();
    let send = |auth: String| {
        let h = &h;
        async move {
            h.http
                .post(h.url("/token"))
                .header("content-type", "application/x-www-form-urlencoded")
                .header("authorization", auth)
                .body("grant_type=client_credentials")
                .send()
                .await
                .unwrap()
        }
    };
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    for bad in [
        format!("Basic {}", b64("no-colon")),
        "Basic !!!not-base64!!!".to_owned(),
        format!("Basic  {}", b64(&format!("{}:{secret}", c.client_id))),
    ] {
        assert_oauth_error(send(bad).await, StatusCode::BAD_REQUEST, "invalid_request").await;
    }
    let lower = basic(&c.client_id, &secret).replacen("Basic", "basic", 1);
    assert_eq!(send(lower).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn basic_credentials_are_form_urlencoded_before_base64() {
    let h = Harness::start().await;
    let c = h
        .server
        .create_client(NewClient {
            client_id: Some("id with:colon+plus%".into()),
            ..NewClient::client_credentials([ROSTER_RO])
        })
        .await
        .unwrap();
    let r = h.token(&c, &[("grant_type", "client_credentials")]).await;
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "RFC 6749 Appendix B encoding must be accepted"
    );
}

#[tokio::test]
async fn oversized_form_body_is_413() {
    let h = Harness::start().await;
    let c = h.cc_client(&[ROSTER_RO]).await;
    let big = "a".repeat(1024 * 1024);
    let r = h
        .token(&c, &[("grant_type", "client_credentials"), ("scope", &big)])
        .await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let many = vec!["s"; 10_000].join(" ");
    let r = h
        .token(
            &c,
            &[("grant_type", "client_credentials"), ("scope", &many)],
        )
        .await;
    assert!(r.status() == StatusCode::PAYLOAD_TOO_LARGE || r.status() == StatusCode::BAD_REQUEST);
}

// ---- private_key_jwt (RFC 7523) ----

struct JwtClient {
    client: IssuedClient,
    key: EncodingKey,
    kid: String,
}

async fn jwt_client(h: &Harness) -> JwtClient {
    let stored = generate(SigningAlgorithm::ES256, now()).unwrap();
    let key = EncodingKey::from_ec_der(&stored.pkcs8);
    let mut jwk = serde_json::to_value(
        jsonwebtoken::jwk::Jwk::from_encoding_key(&key, Algorithm::ES256).unwrap(),
    )
    .unwrap();
    jwk["kid"] = json!("tool-key-1");
    jwk["use"] = json!("sig");
    let client = h
        .server
        .create_client(NewClient {
            auth_method: Some(TokenEndpointAuthMethod::PrivateKeyJwt),
            jwks: Some(json!({"keys": [jwk]})),
            assertion_alg: Some("ES256".into()),
            ..NewClient::client_credentials([ROSTER_RO])
        })
        .await
        .unwrap();
    JwtClient {
        client,
        key,
        kid: "tool-key-1".into(),
    }
}

impl JwtClient {
    fn claims(&self, h: &Harness) -> Value {
        let id = &self.client.client_id;
        json!({"iss": id, "sub": id, "aud": h.url("/token"), "iat": now(), "exp": now() + 60,
               "jti": ims_runtime::authorization_server::secrets::random_id()})
    }
    fn sign(&self, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.key).unwrap()
    }
}

async fn assertion_request(h: &Harness, assertion: &str) -> reqwest::Response {
    h.post_form(
        "/token",
        &[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", assertion),
        ],
        None,
    )
    .await
}

#[tokio::test]
async fn private_key_jwt_assertion_for_token_endpoint_or_issuer_is_accepted() {
    let h = Harness::start().await;
    let jc = jwt_client(&h).await;
    let r = assertion_request(&h, &jc.sign(&jc.claims(&h))).await;
    assert_eq!(r.status(), StatusCode::OK);
    let mut c = jc.claims(&h);
    c["aud"] = json!(h.issuer);
    assert_eq!(
        assertion_request(&h, &jc.sign(&c)).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn private_key_jwt_replayed_jti_is_invalid_client() {
    let h = Harness::start().await;
    let jc = jwt_client(&h).await;
    let a = jc.sign(&jc.claims(&h));
    assert_eq!(assertion_request(&h, &a).await.status(), StatusCode::OK);
    assert_oauth_error(
        assertion_request(&h, &a).await,
        StatusCode::UNAUTHORIZED,
        "invalid_client",
    )
    .await;
}

#[tokio::test]
async fn private_key_jwt_bad_claims_are_invalid_client() {
    let h = Harness::start().await;
    let jc = jwt_client(&h).await;
    let other = jwt_client(&h).await;
    type Mutate = Box<dyn Fn(&mut Value)>;
    let other_id = other.client.client_id.clone();
    let token_url = h.url("/token");
    let cases: Vec<(&str, Mutate)> = vec![
        (
            "aud missing",
            Box::new(|c: &mut Value| {
                c.as_object_mut().unwrap().remove("aud");
            }),
        ),
        (
            "aud wrong",
            Box::new(|c: &mut Value| c["aud"] = json!("https://evil.example/token")),
        ),
        ("aud other endpoint", {
            let u = format!("{}/introspect", &token_url[..token_url.len() - 6]);
            Box::new(move |c: &mut Value| c["aud"] = json!(u.clone()))
        }),
        ("aud array", {
            let u = token_url.clone();
            Box::new(move |c: &mut Value| c["aud"] = json!([u.clone()]))
        }),
        (
            "exp missing",
            Box::new(|c: &mut Value| {
                c.as_object_mut().unwrap().remove("exp");
            }),
        ),
        (
            "exp expired",
            Box::new(|c: &mut Value| c["exp"] = json!(now() - 600)),
        ),
        (
            "exp far future",
            Box::new(|c: &mut Value| c["exp"] = json!(now() + 3600)),
        ),
        (
            "exp as string",
            Box::new(|c: &mut Value| c["exp"] = json!((now() + 60).to_string())),
        ),
        (
            "jti missing",
            Box::new(|c: &mut Value| {
                c.as_object_mut().unwrap().remove("jti");
            }),
        ),
        ("iss != sub", {
            let o = other_id.clone();
            Box::new(move |c: &mut Value| c["iss"] = json!(o.clone()))
        }),
        ("sub other client", {
            let o = other_id.clone();
            Box::new(move |c: &mut Value| c["sub"] = json!(o.clone()))
        }),
    ];
    for (name, mutate) in cases {
        let mut c = jc.claims(&h);
        mutate(&mut c);
        let r = assertion_request(&h, &jc.sign(&c)).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{name}");
        assert_oauth_error(r, StatusCode::UNAUTHORIZED, "invalid_client").await;
    }
}

#[tokio::test]
async fn private_key_jwt_bad_signature_wrong_alg_or_hs256_is_invalid_client() {
    let h = Harness::start().await;
    let jc = jwt_client(&h).await;
    let claims = jc.claims(&h);
    // Signed by a key the client did not register.
    let stranger = generate(SigningAlgorithm::ES256, now()).unwrap();
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some(jc.kid.clone());
    let forged =
        jsonwebtoken::encode(&header, &claims, &EncodingKey::from_ec_der(&stranger.pkcs8)).unwrap();
    // HS256 keyed with the public JWK text (key confusion).
    let mut hs = Header::new(Algorithm::HS256);
    hs.kid = Some(jc.kid.clone());
    let confused = jsonwebtoken::encode(
        &hs,
        &claims,
        &EncodingKey::from_secret(b"public-key-bytes-used-as-hmac-secret"),
    )
    .unwrap();
    // Payload bit flip.
    let good = jc.sign(&claims);
    let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
    parts[1] = parts[1].replacen(&parts[1][..2].to_owned(), "ey", 1);
    let mut tampered_claims = claims.clone();
    tampered_claims["exp"] = json!(now() + 120);
    use base64::Engine;
    parts[1] = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(tampered_claims.to_string());
    let tampered = parts.join(".");
    for (name, a) in [
        ("foreign key", forged),
        ("hs256", confused),
        ("tampered", tampered),
        ("garbage", "x.y.z".into()),
    ] {
        let r = assertion_request(&h, &a).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{name}");
    }
}

#[tokio::test]
async fn private_key_jwt_wrong_assertion_type_is_invalid_request_and_body_client_id_mismatch_is_invalid_client()
 {
    let h = Harness::start().await;
    let jc = jwt_client(&h).await;
    let a = jc.sign(&jc.claims(&h));
    let r = h
        .post_form(
            "/token",
            &[
                ("grant_type", "client_credentials"),
                ("client_assertion_type", "urn:wrong"),
                ("client_assertion", &a),
            ],
            None,
        )
        .await;
    assert_oauth_error(r, StatusCode::BAD_REQUEST, "invalid_request").await;
    let r = h
        .post_form(
            "/token",
            &[
                ("grant_type", "client_credentials"),
                ("client_assertion", &a),
            ],
            None,
        )
        .await;
    assert_oauth_error(r, StatusCode::BAD_REQUEST, "invalid_request").await;
    let r = h
        .post_form(
            "/token",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", "someone-else"),
                ("client_assertion_type", JWT_BEARER),
                ("client_assertion", &a),
            ],
            None,
        )
        .await;
    assert_oauth_error(r, StatusCode::UNAUTHORIZED, "invalid_client").await;
}

#[tokio::test]
async fn secret_client_cannot_authenticate_with_an_assertion_and_vice_versa() {
    let h = Harness::start().await;
    let jc = jwt_client(&h).await;
    // A private_key_jwt client has no secret: Basic with anything fails.
    let r = h
        .post_form(
            "/token",
            &[("grant_type", "client_credentials")],
            Some((&jc.client.client_id, "guess")),
        )
        .await;
    assert_oauth_error(r, StatusCode::UNAUTHORIZED, "invalid_client").await;
}

async fn jwks_uri_client(h: &Harness, jwks_url: &str) -> JwtClient {
    let stored = generate(SigningAlgorithm::ES256, now()).unwrap();
    let key = EncodingKey::from_ec_der(&stored.pkcs8);
    let client = h
        .server
        .create_client(NewClient {
            auth_method: Some(TokenEndpointAuthMethod::PrivateKeyJwt),
            jwks_uri: Some(jwks_url.to_owned()),
            assertion_alg: Some("ES256".into()),
            ..NewClient::client_credentials([ROSTER_RO])
        })
        .await
        .unwrap();
    JwtClient {
        client,
        key,
        kid: "uri-key-1".into(),
    }
}

async fn serve_jwks(jc_key: &EncodingKey) -> ims_runtime::tls::testing::TestServer {
    let mut jwk = serde_json::to_value(
        jsonwebtoken::jwk::Jwk::from_encoding_key(jc_key, Algorithm::ES256).unwrap(),
    )
    .unwrap();
    jwk["kid"] = json!("uri-key-1");
    let body = json!({"keys": [jwk]});
    let app = axum::Router::new().route(
        "/jwks.json",
        axum::routing::get(move || async move { axum::Json(body.clone()) }),
    );
    ims_runtime::tls::testing::TestServer::start(app)
        .await
        .unwrap()
}

#[tokio::test]
async fn private_key_jwt_with_jwks_uri_fetches_keys_over_https() {
    let ca = ims_runtime::tls::testing::shared_dev_pem()
        .unwrap()
        .ca_cert
        .clone();
    let h = Harness::start_with(move |b| {
        defaults(b).jwks_uri_policy(ims_runtime::authorization_server::JwksUriPolicy {
            allow_private_addresses: true,
            ca_pem: Some(ca.into_bytes()),
            trust_loopback_certificates: false,
        })
    })
    .await;
    let stored = generate(SigningAlgorithm::ES256, now()).unwrap();
    let key = EncodingKey::from_ec_der(&stored.pkcs8);
    let jwks_server = serve_jwks(&key).await;
    let mut jc = jwks_uri_client(&h, &jwks_server.url("/jwks.json")).await;
    jc.key = key;
    let r = assertion_request(&h, &jc.sign(&jc.claims(&h))).await;
    assert_eq!(r.status(), StatusCode::OK);
    // A second assertion is served from the cached key set.
    let r = assertion_request(&h, &jc.sign(&jc.claims(&h))).await;
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn jwks_uri_on_an_internal_address_is_never_fetched_by_default() {
    // Default policy: loopback/private targets are refused at fetch time (SSRF guard), so the
    // assertion cannot be verified.
    let h = Harness::start().await;
    let stored = generate(SigningAlgorithm::ES256, now()).unwrap();
    let key = EncodingKey::from_ec_der(&stored.pkcs8);
    let jwks_server = serve_jwks(&key).await;
    let mut jc = jwks_uri_client(&h, &jwks_server.url("/jwks.json")).await;
    jc.key = key;
    let r = assertion_request(&h, &jc.sign(&jc.claims(&h))).await;
    assert_oauth_error(r, StatusCode::UNAUTHORIZED, "invalid_client").await;
}

#[tokio::test]
async fn a_loopback_jwks_uri_with_an_unknown_ca_is_fetched_only_when_the_policy_trusts_loopback() {
    // The JWKS server's certificate is from the shared test CA, which neither server below
    // trusts (no `ca_pem`: the platform roots).
    for (trust_loopback, expected) in [(false, StatusCode::UNAUTHORIZED), (true, StatusCode::OK)] {
        let h = Harness::start_with(move |b| {
            defaults(b).jwks_uri_policy(ims_runtime::authorization_server::JwksUriPolicy {
                allow_private_addresses: true,
                ca_pem: None,
                trust_loopback_certificates: trust_loopback,
            })
        })
        .await;
        let stored = generate(SigningAlgorithm::ES256, now()).unwrap();
        let key = EncodingKey::from_ec_der(&stored.pkcs8);
        let jwks_server = serve_jwks(&key).await;
        let mut jc = jwks_uri_client(&h, &jwks_server.url("/jwks.json")).await;
        jc.key = key;
        let r = assertion_request(&h, &jc.sign(&jc.claims(&h))).await;
        assert_eq!(
            r.status(),
            expected,
            "trust_loopback_certificates: {trust_loopback}"
        );
    }
}

// ---- AS-37: per-address rate limit on /token ----

/// Checks a 429 from the rate limit: `Retry-After` within the window, no-store, and the fixed
/// RFC 6749 body that reflects nothing from the request.
async fn assert_rate_limited(r: reqwest::Response, window_secs: u64) {
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=window_secs).contains(&retry_after), "{retry_after}");
    let body = assert_oauth_error(r, StatusCode::TOO_MANY_REQUESTS, "invalid_request").await;
    assert_eq!(
        body,
        json!({"error": "invalid_request", "error_description": "too many requests"})
    );
}

#[tokio::test]
async fn token_endpoint_rate_limit_answers_429_with_retry_after() {
    let h = Harness::start_with(|b| {
        defaults(b).token_rate_limit(3, std::time::Duration::from_secs(600))
    })
    .await;
    let c = h.cc_client(&[ROSTER_RO]).await;
    let form = [("grant_type", "client_credentials"), ("scope", ROSTER_RO)];
    for _ in 0..3 {
        assert_eq!(h.token(&c, &form).await.status(), StatusCode::OK);
    }
    assert_rate_limited(h.token(&c, &form).await, 600).await;
    // Answered before client authentication: no credentials still gets 429, not 401.
    let r = h.post_form("/token", &form, None).await;
    assert_rate_limited(r, 600).await;
    // Other endpoints are not limited by the /token budget.
    let r = h
        .http
        .get(h.url("/.well-known/oauth-authorization-server"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn token_endpoint_rate_limit_can_be_disabled() {
    let h = Harness::start_with(|b| {
        defaults(b)
            .token_rate_limit(1, std::time::Duration::from_secs(600))
            .without_token_rate_limit()
    })
    .await;
    let c = h.cc_client(&[ROSTER_RO]).await;
    for _ in 0..3 {
        let r = h.token(&c, &[("grant_type", "client_credentials")]).await;
        assert_eq!(r.status(), StatusCode::OK);
    }
}

#[tokio::test]
async fn requests_without_a_known_peer_address_are_not_rate_limited() {
    use tower::ServiceExt;
    let h = Harness::start_with(|b| {
        defaults(b).token_rate_limit(1, std::time::Duration::from_secs(600))
    })
    .await;
    let c = h.cc_client(&[ROSTER_RO]).await;
    // The router driven in-process has no `ConnectInfo`: one shared bucket would let any caller
    // lock out every other, so no limit applies.
    for _ in 0..3 {
        let req = axum::http::Request::post("/token")
            .header("content-type", "application/x-www-form-urlencoded")
            .header(
                "authorization",
                basic(&c.client_id, c.client_secret.as_deref().unwrap()),
            )
            .body(axum::body::Body::from("grant_type=client_credentials"))
            .unwrap();
        let resp = h.server.router().oneshot(req).await.unwrap();
        assert_eq!(resp.status().as_u16(), 200);
    }
}

#[test]
fn invalid_rate_limits_are_configuration_errors() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    for (requests, per) in [
        (0, std::time::Duration::from_secs(1)),
        (1, std::time::Duration::ZERO),
    ] {
        let store = Arc::new(ims_runtime::authorization_server::SqliteStore::in_memory().unwrap());
        let err = rt
            .block_on(
                ims_runtime::authorization_server::AuthorizationServer::builder(
                    "https://as.example.edu",
                    store,
                )
                .token_rate_limit(requests, per)
                .build(),
            )
            .unwrap_err();
        assert!(err.to_string().contains("token rate limit"), "{err}");
    }
}
