//! LTI login initiation (LTI 1.3 Core §4.1; SF 1.1 §5.1.1): the authentication request it
//! redirects to, the state cookie, and refusals (LTI-05: no open redirect).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;

use crate::lti_support::*;
use ims_runtime::lti::STATE_COOKIE_PREFIX;

#[tokio::test]
async fn login_get_redirects_to_the_authentication_request_with_every_parameter() {
    let h = Harness::start().await;
    let response = h
        .server
        .client()
        .get(h.server.url("/lti/login"))
        .query(&[
            ("iss", ISSUER),
            ("login_hint", "user-17"),
            ("target_link_uri", RESOURCE_TARGET),
            ("lti_message_hint", "msg-5"),
            ("client_id", CLIENT_ID),
            ("lti_deployment_id", DEPLOYMENT),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
    let location = url::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    assert_eq!(
        format!(
            "{}{}",
            location.origin().ascii_serialization(),
            location.path()
        ),
        AUTH_ENDPOINT
    );
    let q: HashMap<String, String> = location.query_pairs().into_owned().collect();
    assert_eq!(q["scope"], "openid");
    assert_eq!(q["response_type"], "id_token");
    assert_eq!(q["response_mode"], "form_post");
    assert_eq!(q["prompt"], "none");
    assert_eq!(q["client_id"], CLIENT_ID);
    assert_eq!(q["redirect_uri"], REDIRECT_URI);
    assert_eq!(q["login_hint"], "user-17");
    assert_eq!(q["lti_message_hint"], "msg-5");
    assert_eq!(q["state"].len(), 43);
    assert_eq!(q["nonce"].len(), 43);
    assert_ne!(q["state"], q["nonce"]);
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with(&format!("{STATE_COOKIE_PREFIX}{}=", q["state"])));
    for attribute in [
        "Secure",
        "HttpOnly",
        "SameSite=None",
        "Path=/",
        "Max-Age=300",
    ] {
        assert!(cookie.contains(attribute), "{cookie} lacks {attribute}");
    }
    assert_eq!(response.headers()["cache-control"], "no-store");
}

#[tokio::test]
async fn login_post_works_like_get_and_omits_absent_hints() {
    let h = Harness::start().await;
    // No client_id: the issuer's only registration is chosen.
    let response = h
        .server
        .client()
        .post(h.server.url("/lti/login"))
        .form(&[
            ("iss", ISSUER),
            ("login_hint", "user-17"),
            ("target_link_uri", DEEP_LINK_TARGET),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
    let location = url::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    let q: HashMap<String, String> = location.query_pairs().into_owned().collect();
    assert_eq!(q["client_id"], CLIENT_ID);
    assert!(!q.contains_key("lti_message_hint"));
}

async fn refused(h: &Harness, params: &[(&str, &str)]) -> (u16, String) {
    let response = h
        .server
        .client()
        .get(h.server.url("/lti/login"))
        .query(params)
        .send()
        .await
        .unwrap();
    assert!(response.headers().get("location").is_none());
    assert!(response.headers().get("set-cookie").is_none());
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn lti_05_login_with_an_unregistered_target_link_uri_is_refused_not_redirected() {
    let h = Harness::start().await;
    for target in [
        "https://evil.example/phish",
        "https://tool.example.edu/lti/resource/../../evil",
        "https://tool.example.edu/lti/resource?x=1",
        "http://tool.example.edu/lti/resource",
    ] {
        let (status, body) = refused(
            &h,
            &[
                ("iss", ISSUER),
                ("login_hint", "u"),
                ("target_link_uri", target),
                ("client_id", CLIENT_ID),
            ],
        )
        .await;
        assert_eq!(status, 403, "{target}");
        assert!(
            body.contains("not one of this tool&#x27;s registered launch URLs"),
            "{body}"
        );
    }
}

#[tokio::test]
async fn lti_06_login_from_an_unregistered_issuer_or_client_is_refused() {
    let h = Harness::start().await;
    let (status, body) = refused(
        &h,
        &[
            ("iss", "https://other-platform.example"),
            ("login_hint", "u"),
            ("target_link_uri", RESOURCE_TARGET),
        ],
    )
    .await;
    assert_eq!(status, 403);
    assert!(body.contains("no platform registration matches"), "{body}");
    let (status, _) = refused(
        &h,
        &[
            ("iss", ISSUER),
            ("login_hint", "u"),
            ("target_link_uri", RESOURCE_TARGET),
            ("client_id", "someone-else"),
        ],
    )
    .await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn login_refuses_missing_parameters_unknown_deployments_and_repeats() {
    let h = Harness::start().await;
    for missing in ["iss", "login_hint", "target_link_uri"] {
        let all = [
            ("iss", ISSUER),
            ("login_hint", "u"),
            ("target_link_uri", RESOURCE_TARGET),
        ];
        let params: Vec<_> = all.into_iter().filter(|(k, _)| *k != missing).collect();
        let (status, body) = refused(&h, &params).await;
        assert_eq!(status, 400);
        assert!(body.contains(&format!("`{missing}`")), "{body}");
    }
    let (status, body) = refused(
        &h,
        &[
            ("iss", ISSUER),
            ("login_hint", "u"),
            ("target_link_uri", RESOURCE_TARGET),
            ("lti_deployment_id", "not-ours"),
        ],
    )
    .await;
    assert_eq!(status, 403);
    assert!(body.contains("lti_deployment_id"), "{body}");
    let (status, _) = refused(
        &h,
        &[
            ("iss", ISSUER),
            ("iss", "https://other.example"),
            ("login_hint", "u"),
            ("target_link_uri", RESOURCE_TARGET),
        ],
    )
    .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn an_issuer_with_several_registrations_needs_client_id() {
    use ims_runtime::lti::*;
    let mut second = registration(PlatformKeySource::JwksUri(
        "https://platform.example.edu/jwks".into(),
    ));
    second.client_id = "tool-client-2".into();
    let first = registration(PlatformKeySource::JwksUri(
        "https://platform.example.edu/jwks".into(),
    ));
    let registry = StaticPlatformRegistry::new([first.clone(), second]).unwrap();
    assert_eq!(registry.find_by_issuer(ISSUER).len(), 2);
    assert!(
        registry
            .find_by_issuer("https://platform.example")
            .is_empty()
    );
    let tool = LtiTool::new(
        LtiToolConfig::new(REDIRECT_URI, vec![RESOURCE_TARGET.into()]),
        std::sync::Arc::new(registry),
        std::sync::Arc::new(MemoryLaunchStore::new()),
        std::sync::Arc::new(ToolKeys::new(
            ToolKey::generate(jsonwebtoken::Algorithm::ES256).unwrap(),
        )),
        ims_runtime::client::HttpPolicy::default(),
    )
    .unwrap();
    let mut login = LoginInitiation {
        iss: ISSUER.into(),
        login_hint: "u".into(),
        target_link_uri: RESOURCE_TARGET.into(),
        lti_message_hint: None,
        client_id: None,
        lti_deployment_id: None,
    };
    assert!(matches!(
        tool.begin_login(&login).await,
        Err(LoginError::AmbiguousPlatform)
    ));
    login.client_id = Some("tool-client-2".into());
    let redirect = tool.begin_login(&login).await.unwrap();
    assert!(
        redirect
            .location
            .as_str()
            .contains("client_id=tool-client-2")
    );
    // Duplicates and bad registrations are refused when the registry is built.
    assert!(matches!(
        StaticPlatformRegistry::new([first.clone(), first.clone()]),
        Err(RegistrationError::Duplicate { .. })
    ));
    let mut insecure = first;
    insecure.authorization_endpoint = "http://platform.example.edu/auth".into();
    let err = StaticPlatformRegistry::new([insecure]).unwrap_err();
    assert!(
        err.to_string()
            .contains("authorization_endpoint must be an https URL")
    );
}

#[tokio::test]
async fn registrations_load_from_a_json_file_with_clear_errors() {
    use ims_runtime::lti::*;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("platforms.json");
    std::fs::write(
        &path,
        serde_json::json!([{
            "issuer": ISSUER, "client_id": CLIENT_ID, "deployment_ids": [DEPLOYMENT],
            "authorization_endpoint": AUTH_ENDPOINT, "token_endpoint": TOKEN_ENDPOINT,
            "jwks_uri": "https://platform.example.edu/jwks"
        }])
        .to_string(),
    )
    .unwrap();
    let registry = StaticPlatformRegistry::from_json_file(&path).unwrap();
    let r = registry.find(ISSUER, CLIENT_ID).unwrap();
    assert_eq!(
        r.keys,
        PlatformKeySource::JwksUri("https://platform.example.edu/jwks".into())
    );
    std::fs::write(&path, r#"[{"issuer": "x", "client_id": 5}]"#).unwrap();
    let err = StaticPlatformRegistry::from_json_file(&path).unwrap_err();
    assert!(err.to_string().contains("[0].client_id"), "{err}");
}

#[test]
fn a_tool_or_registration_that_cannot_work_is_refused_with_what_to_fix() {
    use ims_runtime::lti::*;
    use std::sync::Arc;
    let keys = || {
        Arc::new(ToolKeys::new(
            ToolKey::generate(jsonwebtoken::Algorithm::ES256).unwrap(),
        ))
    };
    let registry = || -> Arc<dyn PlatformRegistry> { Arc::new(StaticPlatformRegistry::default()) };
    let store = || -> Arc<dyn LaunchStore> { Arc::new(MemoryLaunchStore::new()) };
    let http = ims_runtime::client::HttpPolicy::default;
    for (config, expected) in [
        (
            LtiToolConfig::new(
                "http://tool.example.edu/launch",
                vec![RESOURCE_TARGET.into()],
            ),
            "redirect_uri must be an https URL",
        ),
        (
            LtiToolConfig::new(REDIRECT_URI, vec![]),
            "target_link_uris is empty",
        ),
        (
            LtiToolConfig::new(REDIRECT_URI, vec!["http://tool.example.edu/r".into()]),
            "every target_link_uri must be an https URL",
        ),
    ] {
        let err = LtiTool::new(config, registry(), store(), keys(), http()).unwrap_err();
        assert!(err.to_string().contains(expected), "{err}");
    }
    let mut r = registration(PlatformKeySource::Jwks(serde_json::json!({"keys": [
        {"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"}
    ]})));
    let err = StaticPlatformRegistry::new([r.clone()]).unwrap_err();
    assert!(err.to_string().contains("no key usable"), "{err}");
    r.keys = PlatformKeySource::JwksUri("https://platform.example.edu/jwks".into());
    r.deployment_ids.clear();
    let err = StaticPlatformRegistry::new([r]).unwrap_err();
    assert!(
        err.to_string().contains("deployment_ids must list"),
        "{err}"
    );
}
