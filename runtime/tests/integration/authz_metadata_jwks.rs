//! `GET /jwks.json`, `/.well-known/oauth-authorization-server` and `/.well-known/openid-configuration`
//! over HTTPS on loopback, and signing-key rotation.
//! Rules: SECURITY-CASES (a) AS-32, AS-39, AS-40; (d) JW-17.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::authz_support;

use authz_support::*;
use ims_runtime::authorization_server::SigningAlgorithm;
use reqwest::StatusCode;
use serde_json::Value;

async fn get_json(h: &Harness, path: &str) -> Value {
    let r = h.http.get(h.url(path)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

#[tokio::test]
async fn discovery_documents_have_exact_issuer_https_endpoints_s256_and_iss_support() {
    let h = Harness::start().await;
    for path in [
        "/.well-known/oauth-authorization-server",
        "/.well-known/openid-configuration",
    ] {
        let d = get_json(&h, path).await;
        assert_eq!(
            d["issuer"],
            h.issuer.as_str(),
            "issuer equals the URL prefix"
        );
        for (k, v) in d.as_object().unwrap() {
            if k.ends_with("_endpoint") || k == "jwks_uri" {
                let url = v.as_str().unwrap();
                assert!(url.starts_with(&format!("{}/", h.issuer)), "{k}={url}");
            }
            if k.ends_with("_alg_values_supported") {
                for alg in v.as_array().unwrap() {
                    assert!(!alg.as_str().unwrap().eq_ignore_ascii_case("none"), "{k}");
                }
            }
        }
        assert_eq!(
            d["code_challenge_methods_supported"],
            serde_json::json!(["S256"])
        );
        assert_eq!(d["authorization_response_iss_parameter_supported"], true);
        assert_eq!(d["registration_endpoint"], h.url("/register").as_str());
        assert_eq!(d["token_endpoint"], h.url("/token").as_str());
    }
}

#[tokio::test]
async fn every_endpoint_listed_in_discovery_is_served() {
    let h = Harness::start().await;
    let d = get_json(&h, "/.well-known/oauth-authorization-server").await;
    let jwks = h
        .http
        .get(d["jwks_uri"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(jwks.status(), StatusCode::OK);
    for k in [
        "token_endpoint",
        "revocation_endpoint",
        "introspection_endpoint",
    ] {
        let r = h
            .http
            .post(d[k].as_str().unwrap())
            .header("content-type", "application/x-www-form-urlencoded")
            .body("token=x&grant_type=client_credentials")
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::UNAUTHORIZED,
            "{k} exists and wants client auth"
        );
    }
}

#[tokio::test]
async fn jwks_has_only_public_members_with_kid_use_and_alg() {
    for alg in [
        SigningAlgorithm::RS256,
        SigningAlgorithm::ES256,
        SigningAlgorithm::EdDSA,
    ] {
        let h = Harness::start_with(move |b| defaults(b).signing_algorithm(alg)).await;
        let jwks = get_json(&h, "/jwks.json").await;
        let keys = jwks["keys"].as_array().unwrap();
        assert_eq!(keys.len(), 1);
        for k in keys {
            for private in ["d", "p", "q", "dp", "dq", "qi", "k", "oth"] {
                assert!(k.get(private).is_none(), "{private} leaked");
            }
            assert!(k["kid"].is_string());
            assert_eq!(k["use"], "sig");
            assert_eq!(k["alg"], alg.as_str());
        }
        // A token signed with that algorithm verifies with the published key.
        let c = h.cc_client(&[ROSTER_RO]).await;
        let at = h.cc_token(&c, ROSTER_RO).await;
        assert_eq!(jwt_parts(&at).0["alg"], alg.as_str());
        assert!(h.server.verify_access_token(&at).await.unwrap().is_some());
    }
}

#[tokio::test]
async fn key_rotation_keeps_the_old_key_published_and_old_tokens_valid() {
    let h = Harness::start().await;
    let c = h.cc_client(&[ROSTER_RO]).await;
    let old_token = h.cc_token(&c, ROSTER_RO).await;
    let old_kid = jwt_parts(&old_token).0["kid"].as_str().unwrap().to_owned();
    let new_kid = h.server.rotate_signing_key().await.unwrap();
    assert_ne!(old_kid, new_kid);
    let jwks = get_json(&h, "/jwks.json").await;
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert!(
        kids.contains(&old_kid.as_str()) && kids.contains(&new_kid.as_str()),
        "{kids:?}"
    );
    let new_token = h.cc_token(&c, ROSTER_RO).await;
    assert_eq!(jwt_parts(&new_token).0["kid"], new_kid.as_str());
    assert_eq!(h.introspect(&c, &old_token).await["active"], true);
    assert_eq!(h.introspect(&c, &new_token).await["active"], true);
    // The resource-server verifier accepts both with the published set.
    use ims_runtime::resource_server::{JwtRules, KeySet, LocalJwtVerifier};
    let bytes = serde_json::to_vec(&jwks).unwrap();
    let v = LocalJwtVerifier::new(
        KeySet::from_jwks_json(&bytes).unwrap(),
        JwtRules::new(h.issuer.clone(), h.issuer.clone()),
    );
    assert!(v.verify_now(&old_token).is_ok());
    assert!(v.verify_now(&new_token).is_ok());
}

/// `local_verifier()` built before a rotation accepts tokens signed with the new key (it
/// rebuilds from the server's current key ring on an unknown `kid`), still accepts the old
/// ones, and still refuses a token whose `kid` no key has.
#[tokio::test]
async fn the_local_verifier_follows_key_rotations() {
    use ims_runtime::resource_server::TokenVerifier;
    let h = Harness::start().await;
    let verifier = h.server.local_verifier().unwrap();
    let c = h.cc_client(&[ROSTER_RO]).await;
    let old_token = h.cc_token(&c, ROSTER_RO).await;
    assert!(verifier.verify(&old_token).await.is_ok());
    let new_kid = h.server.rotate_signing_key().await.unwrap();
    let new_token = h.cc_token(&c, ROSTER_RO).await;
    assert_eq!(jwt_parts(&new_token).0["kid"], new_kid.as_str());
    verifier
        .verify(&new_token)
        .await
        .expect("a token signed with the rotated key verifies without a new verifier");
    assert!(verifier.verify(&old_token).await.is_ok());
    // The same signature under a made-up kid: refused, not a rebuild loop.
    let (header, payload, signature) = {
        let mut parts = new_token.split('.');
        (
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
        )
    };
    let mut h2: Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, header).unwrap(),
    )
    .unwrap();
    h2["kid"] = "no-such-key".into();
    let forged = format!(
        "{}.{payload}.{signature}",
        base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            serde_json::to_vec(&h2).unwrap()
        )
    );
    assert!(verifier.verify(&forged).await.is_err());
}

#[tokio::test]
async fn changing_the_configured_algorithm_rotates_without_invalidating_old_tokens() {
    let h = Harness::start().await;
    let c = h.cc_client(&[ROSTER_RO]).await;
    let rs_token = h.cc_token(&c, ROSTER_RO).await;
    let store =
        std::sync::Arc::new(ims_runtime::authorization_server::SqliteStore::open(&h.db).unwrap());
    let es =
        ims_runtime::authorization_server::AuthorizationServer::builder(h.issuer.clone(), store)
            .scopes([ROSTER_RO])
            .signing_algorithm(SigningAlgorithm::ES256)
            .build()
            .await
            .unwrap();
    let jwks = es.jwks();
    let algs: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["alg"].as_str().unwrap())
        .collect();
    assert!(
        algs.contains(&"RS256") && algs.contains(&"ES256"),
        "{algs:?}"
    );
    assert!(es.verify_access_token(&rs_token).await.unwrap().is_some());
}

#[tokio::test]
async fn issuer_must_be_https_without_trailing_slash() {
    for bad in [
        "http://as.example.edu",
        "https://as.example.edu/",
        "https://as.example.edu?x=1",
        "not a url",
    ] {
        let store = std::sync::Arc::new(
            ims_runtime::authorization_server::SqliteStore::in_memory().unwrap(),
        );
        let r = ims_runtime::authorization_server::AuthorizationServer::builder(bad, store)
            .build()
            .await;
        assert!(r.is_err(), "{bad}");
    }
}

#[tokio::test]
async fn staged_key_is_published_before_it_signs() {
    let h = Harness::start().await;
    let c = h.cc_client(&[ROSTER_RO]).await;
    let old_kid = jwt_parts(&h.cc_token(&c, ROSTER_RO).await).0["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    let staged = h.server.stage_signing_key().await.unwrap();
    let kids = |j: Value| -> Vec<String> {
        j["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap().to_owned())
            .collect()
    };
    let published = kids(get_json(&h, "/jwks.json").await);
    assert!(published.contains(&staged) && published.contains(&old_kid));
    assert_eq!(
        jwt_parts(&h.cc_token(&c, ROSTER_RO).await).0["kid"],
        old_kid.as_str(),
        "staged key does not sign yet"
    );
    h.server.activate_signing_key(&staged).await.unwrap();
    let new_token = h.cc_token(&c, ROSTER_RO).await;
    assert_eq!(jwt_parts(&new_token).0["kid"], staged.as_str());
    assert!(kids(get_json(&h, "/jwks.json").await).contains(&old_kid));
    assert!(h.server.activate_signing_key("no-such-kid").await.is_err());
}
