//! Deep linking (Deep Linking 2.0 §4.4–4.5): a deep-linking launch reaches the app with its
//! settings, and the response JWT it returns is signed by the tool's key, published at the
//! tool's JWKS, aimed at the platform and posted by an auto-submitting form.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ims_runtime::lti::*;
use ims_runtime::resource_server::Algorithm;
use serde_json::{Value, json};

use crate::lti_support::*;

/// The value of the hidden input `name` in `page`.
fn hidden_input(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.find(&marker).unwrap() + marker.len();
    page[start..][..page[start..].find('"').unwrap()].to_owned()
}

/// Verifies a JWT signed by the tool with the key its JWKS publishes under the token's `kid`
/// (the algorithm pinned by that JWK) and returns its claims.
fn verify_with_jwks(token: &str, jwks: &Value) -> Value {
    let header = jsonwebtoken::decode_header(token).unwrap();
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"].as_str() == header.kid.as_deref())
        .expect("the token's kid is published")
        .clone();
    let alg: Algorithm = jwk["alg"].as_str().unwrap().parse().unwrap();
    let key = jsonwebtoken::DecodingKey::from_jwk(&serde_json::from_value(jwk).unwrap()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(alg);
    validation.set_audience(&[ISSUER]);
    validation.set_issuer(&[CLIENT_ID]);
    jsonwebtoken::decode::<Value>(token, &key, &validation)
        .unwrap()
        .claims
}

#[tokio::test]
async fn a_deep_linking_launch_answers_with_a_signed_response_in_an_auto_submitting_form() {
    let h = Harness::start().await;
    let login = h.login(DEEP_LINK_TARGET).await;
    let token = h.sign(&h.deep_linking_claims(&login));
    let response = h.post_launch(&login, &token, true).await;
    assert_eq!(response.status(), 200);
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let page = response.text().await.unwrap();
    assert!(page.contains(&format!("action=\"{RETURN_URL}\"")), "{page}");
    assert!(page.contains("<noscript>") && page.contains("<button type=\"submit\">"));
    // The one inline script runs under this response's CSP nonce only.
    let nonce_marker = "<script nonce=\"";
    let at = page.find(nonce_marker).unwrap() + nonce_marker.len();
    let script_nonce = &page[at..][..page[at..].find('"').unwrap()];
    assert!(
        csp.contains(&format!("script-src 'nonce-{script_nonce}'")),
        "{csp}"
    );

    let jwt = hidden_input(&page, "JWT");
    let tool_jwks: Value = h
        .server
        .client()
        .get(h.server.url("/lti/jwks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let claims = verify_with_jwks(&jwt, &tool_jwks);
    assert_eq!(claims["iss"], CLIENT_ID);
    assert_eq!(claims["aud"], ISSUER);
    assert_eq!(claims["nonce"].as_str().unwrap().len(), 43);
    assert_ne!(claims["nonce"].as_str().unwrap(), login.nonce);
    assert_eq!(
        claims["https://purl.imsglobal.org/spec/lti/claim/message_type"],
        "LtiDeepLinkingResponse"
    );
    assert_eq!(
        claims["https://purl.imsglobal.org/spec/lti/claim/version"],
        "1.3.0"
    );
    assert_eq!(
        claims["https://purl.imsglobal.org/spec/lti/claim/deployment_id"],
        DEPLOYMENT
    );
    assert_eq!(
        claims["https://purl.imsglobal.org/spec/lti-dl/claim/data"],
        "opaque-platform-data"
    );
    assert_eq!(
        claims["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"],
        json!([{"type": "ltiResourceLink", "title": "Quiz 1", "url": RESOURCE_TARGET}])
    );
    let lifetime = claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap();
    assert!((1..=300).contains(&lifetime));
}

#[tokio::test]
async fn deep_linking_settings_are_required_and_responses_respect_them() {
    let h = Harness::start().await;
    let settings = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings";
    for bad in [
        json!(null),
        json!({"accept_types": ["link"], "accept_presentation_document_targets": ["iframe"]}),
        json!({"deep_link_return_url": RETURN_URL, "accept_types": [], "accept_presentation_document_targets": ["iframe"]}),
        json!({"deep_link_return_url": RETURN_URL, "accept_types": ["link"], "accept_presentation_document_targets": []}),
        json!({"deep_link_return_url": "http://platform.example.edu/r", "accept_types": ["link"], "accept_presentation_document_targets": ["iframe"]}),
    ] {
        let login = h.login_direct(DEEP_LINK_TARGET).await;
        let mut claims = h.deep_linking_claims(&login);
        if bad.is_null() {
            claims.as_object_mut().unwrap().remove(settings);
        } else {
            claims[settings] = bad.clone();
        }
        let err = h.launch_direct(&login, &h.sign(&claims)).await.unwrap_err();
        assert!(
            matches!(err, LaunchError::MissingClaim(n) if n == settings),
            "{bad}: {err:?}"
        );
    }

    let login = h.login_direct(DEEP_LINK_TARGET).await;
    let mut claims = h.deep_linking_claims(&login);
    claims[settings]["accept_multiple"] = json!(false);
    claims[settings]["accept_types"] = json!(["ltiResourceLink"]);
    let Launch::DeepLinking(launch) = h.launch_direct(&login, &h.sign(&claims)).await.unwrap()
    else {
        panic!("not a deep-linking launch");
    };
    assert_eq!(
        launch.settings.data.as_deref(),
        Some("opaque-platform-data")
    );
    let key = h.tool_keys.active();
    let link = ContentItem::link("Home", "https://tool.example.edu/");
    assert!(matches!(
        DeepLinkingResponse::new(&launch, vec![link]).sign(&key, h.now()),
        Err(DeepLinkingResponseError::TypeNotAccepted(t)) if t == "link"
    ));
    let two = vec![
        ContentItem::lti_resource_link("A", RESOURCE_TARGET),
        ContentItem::lti_resource_link("B", RESOURCE_TARGET),
    ];
    assert!(matches!(
        DeepLinkingResponse::new(&launch, two).sign(&key, h.now()),
        Err(DeepLinkingResponseError::SeveralNotAccepted)
    ));
    // Nothing picked is a valid answer; a message and log ride along.
    let jwt = DeepLinkingResponse::new(&launch, vec![])
        .with_message("Nothing selected")
        .with_log("user cancelled")
        .sign(&key, h.now())
        .unwrap();
    let claims = verify_with_jwks(&jwt, &h.tool_keys.jwks());
    assert_eq!(
        claims["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"],
        json!([])
    );
    assert_eq!(
        claims["https://purl.imsglobal.org/spec/lti-dl/claim/msg"],
        "Nothing selected"
    );
}

#[tokio::test]
async fn the_tool_jwks_publishes_old_and_new_keys_across_a_rotation() {
    let h = Harness::start().await;
    let first = h.tool_keys.active();
    let fetch = || async {
        h.server
            .client()
            .get(h.server.url("/lti/jwks"))
            .send()
            .await
            .unwrap()
    };
    let response = fetch().await;
    assert_eq!(response.headers()["content-type"], "application/json");
    let doc: Value = response.json().await.unwrap();
    let kids = |doc: &Value| -> Vec<String> {
        doc["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(kids(&doc), vec![first.kid().to_owned()]);
    for k in doc["keys"].as_array().unwrap() {
        assert!(k.get("d").is_none(), "private material published: {k}");
        assert_eq!(k["use"], "sig");
    }
    let next = ToolKey::generate(Algorithm::RS256).unwrap();
    let next_kid = next.kid().to_owned();
    h.tool_keys.rotate(next).unwrap();
    assert_eq!(h.tool_keys.active().kid(), next_kid);
    let doc: Value = fetch().await.json().await.unwrap();
    assert_eq!(kids(&doc), vec![first.kid().to_owned(), next_kid.clone()]);
    assert!(
        h.tool_keys.retire(&next_kid).is_err(),
        "the signer cannot be retired"
    );
    h.tool_keys.retire(first.kid()).unwrap();
    let doc: Value = fetch().await.json().await.unwrap();
    assert_eq!(kids(&doc), vec![next_kid]);
    // A key survives a round trip through its PEM.
    let active = h.tool_keys.active();
    let reloaded =
        ToolKey::from_pkcs8_pem(active.kid(), active.algorithm(), active.private_pem()).unwrap();
    assert_eq!(reloaded.public_jwk(), active.public_jwk());
}
