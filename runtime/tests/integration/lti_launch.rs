//! LTI launch validation (security cases LTI-01..06, CL-12, CL-13), driven with `id_token`s
//! this test signs itself; over real HTTP where the route matters (state cookie, pages).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use ims_runtime::lti::*;
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{Value, json};

use crate::common::{b64, ec_key, jwks, rsa_key, sign_raw};
use crate::lti_support::*;

/// Which refusal a case expects.
type Expect = fn(&LaunchError) -> bool;

const RL: &str = "https://purl.imsglobal.org/spec/lti/claim/resource_link";

#[tokio::test]
async fn a_resource_link_launch_reaches_the_app_as_typed_values() {
    let h = Harness::start().await;
    let login = h.login(RESOURCE_TARGET).await;
    let token = h.sign(&h.resource_link_claims(&login));
    let response = h.post_launch(&login, &token, true).await;
    assert_eq!(response.status(), 200);
    let cleared = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cleared.starts_with(&format!("{}=;", login.cookie_name)) && cleared.contains("Max-Age=0")
    );
    assert_eq!(
        response.text().await.unwrap(),
        "resource link link-1 for user-17 in course-1 (instructor: true)"
    );

    // The typed launch in-process: every claim the app needs.
    let Launch::ResourceLink(launch) = h.launch_with(|_| {}).await.unwrap() else {
        panic!("not a resource-link launch");
    };
    let c = &launch.claims;
    assert_eq!(
        (c.issuer.as_str(), c.client_id.as_str()),
        (ISSUER, CLIENT_ID)
    );
    assert_eq!(c.deployment_id, DEPLOYMENT);
    assert_eq!(c.user.name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(c.roles, vec![INSTRUCTOR.to_owned()]);
    assert_eq!(
        c.context.as_ref().unwrap().label.as_deref(),
        Some("MATH 101")
    );
    assert_eq!(
        c.ags.as_ref().unwrap().lineitems.as_deref(),
        Some("https://platform.example.edu/courses/course-1/lineitems")
    );
    assert_eq!(
        c.nrps.as_ref().unwrap().service_versions,
        vec!["2.0".to_owned()]
    );
    assert_eq!(c.custom["chapter"], "3");
    assert_eq!(launch.resource_link.title.as_deref(), Some("Quiz"));
    assert!(c.claims.contains_key("nonce"));
}

#[tokio::test]
async fn lti_01_the_same_id_token_posted_twice_is_refused() {
    let h = Harness::start().await;
    let login = h.login(RESOURCE_TARGET).await;
    let token = h.sign(&h.resource_link_claims(&login));
    assert_eq!(h.post_launch(&login, &token, true).await.status(), 200);
    let second = h.post_launch(&login, &token, true).await;
    assert_eq!(second.status(), 401);
    assert!(second.text().await.unwrap().contains("already used"));
}

#[tokio::test]
async fn lti_01_a_replayed_nonce_is_refused_after_the_login_lifetime_until_the_token_expires() {
    let h = Harness::start().await;
    let login = h.login_direct(RESOURCE_TARGET).await;
    let claims = h.resource_link_claims(&login);
    let token = h.sign(&claims);
    h.launch_direct(&login, &token).await.unwrap();
    // The same token answering a pending login re-bound to the same nonce (as a store that
    // forgot the state would allow), after the login lifetime but before the token expires.
    h.clock.set(h.now() + 299);
    let forged = PendingLogin {
        state: "forged".into(),
        nonce: login.nonce.clone(),
        issuer: ISSUER.into(),
        client_id: CLIENT_ID.into(),
        target_link_uri: RESOURCE_TARGET.into(),
        binding: BrowserBinding::Cookie {
            value_sha256: String::new(),
        },
        expires_at: h.now() + 300,
    };
    let err = h.tool.validate_id_token(&token, &forged).await.unwrap_err();
    assert!(matches!(err, LaunchError::NonceReplayed), "{err:?}");
}

#[tokio::test]
async fn lti_02_a_launch_without_the_state_cookie_is_refused_with_a_page_that_says_why() {
    let h = Harness::start().await;
    let login = h.login(RESOURCE_TARGET).await;
    let token = h.sign(&h.resource_link_claims(&login));
    let response = h.post_launch(&login, &token, false).await;
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body = response.text().await.unwrap();
    assert!(body.contains("did not present the state cookie"), "{body}");
    assert!(!body.contains("panicked") && !body.contains("src/"));
}

#[tokio::test]
async fn lti_02_the_state_cookie_of_another_login_or_an_unknown_state_is_refused() {
    let h = Harness::start().await;
    let victim = h.login(RESOURCE_TARGET).await;
    let attacker = h.login(RESOURCE_TARGET).await;
    // The victim's browser holds its own cookie value under the attacker's state name.
    let mut mixed = attacker.clone();
    mixed.cookie_value = victim.cookie_value.clone();
    let token = h.sign(&h.resource_link_claims(&attacker));
    assert_eq!(h.post_launch(&mixed, &token, true).await.status(), 401);
    // Unknown state.
    let mut unknown = victim.clone();
    unknown.state = "not-a-state".into();
    let response = h.post_launch(&unknown, &token, true).await;
    assert_eq!(response.status(), 401);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("unknown, expired or already used")
    );
    // Expired login.
    let late = h.login(RESOURCE_TARGET).await;
    h.clock.set(h.now() + 301);
    let token = h.sign(&h.resource_link_claims(&late));
    assert_eq!(h.post_launch(&late, &token, true).await.status(), 401);
}

#[tokio::test]
async fn lti_03_each_missing_lti_claim_is_refused() {
    let h = Harness::start().await;
    for name in [
        "https://purl.imsglobal.org/spec/lti/claim/message_type",
        "https://purl.imsglobal.org/spec/lti/claim/version",
        "https://purl.imsglobal.org/spec/lti/claim/deployment_id",
        "https://purl.imsglobal.org/spec/lti/claim/target_link_uri",
        "https://purl.imsglobal.org/spec/lti/claim/roles",
        RL,
        "sub",
    ] {
        let err = h
            .launch_with(|c| {
                c.remove(name);
            })
            .await
            .unwrap_err();
        assert!(
            matches!(err, LaunchError::MissingClaim(n) if n == name),
            "{name}: {err:?}"
        );
        assert_eq!(err.status(), 403);
    }
    // Wrong types count as missing.
    let err = h
        .launch_with(|c| {
            c.insert(RL.into(), json!({"title": "no id"}));
        })
        .await
        .unwrap_err();
    assert!(matches!(err, LaunchError::MissingClaim(_)), "{err:?}");
    let err = h
        .launch_with(|c| {
            c.insert(
                "https://purl.imsglobal.org/spec/lti/claim/roles".into(),
                json!("Instructor"),
            );
        })
        .await
        .unwrap_err();
    assert!(matches!(err, LaunchError::MissingClaim(_)), "{err:?}");
}

#[tokio::test]
async fn lti_03_wrong_version_message_type_or_unknown_deployment_is_refused() {
    let h = Harness::start().await;
    let cases: [(&str, Value, Expect); 3] = [
        (
            "https://purl.imsglobal.org/spec/lti/claim/version",
            json!("1.1"),
            |e| matches!(e, LaunchError::UnsupportedVersion),
        ),
        (
            "https://purl.imsglobal.org/spec/lti/claim/message_type",
            json!("LtiSubmissionReviewRequest"),
            |e| matches!(e, LaunchError::UnsupportedMessageType),
        ),
        (
            "https://purl.imsglobal.org/spec/lti/claim/deployment_id",
            json!("deployment-of-someone-else"),
            |e| matches!(e, LaunchError::UnknownDeployment),
        ),
    ];
    for (name, value, expected) in cases {
        let err = h
            .launch_with(|c| {
                c.insert(name.into(), value);
            })
            .await
            .unwrap_err();
        assert!(expected(&err), "{name}: {err:?}");
    }
}

#[tokio::test]
async fn lti_04_aud_must_contain_our_client_id_and_azp_must_be_ours() {
    let h = Harness::start().await;
    // Our client_id not first in the array, azp ours: accepted (not aud[0]).
    h.launch_with(|c| {
        c.insert("aud".into(), json!(["someone-else", CLIENT_ID]));
        c.insert("azp".into(), json!(CLIENT_ID));
    })
    .await
    .unwrap();
    // A single-element array without azp is fine.
    h.launch_with(|c| {
        c.insert("aud".into(), json!([CLIENT_ID]));
    })
    .await
    .unwrap();
    let audience = |e: &LaunchError| matches!(e, LaunchError::AudienceMismatch);
    let azp = |e: &LaunchError| matches!(e, LaunchError::AuthorizedPartyMismatch);
    let cases: Vec<(Value, Option<Value>, Expect)> = vec![
        (json!("someone-else"), None, audience),
        (
            json!(["someone-else", "another"]),
            Some(json!("someone-else")),
            audience,
        ),
        (json!([]), None, audience),
        (json!([CLIENT_ID, 5]), None, audience),
        (json!(null), None, audience),
        (json!([CLIENT_ID, "someone-else"]), None, azp),
        (
            json!([CLIENT_ID, "someone-else"]),
            Some(json!("someone-else")),
            azp,
        ),
        (json!(CLIENT_ID), Some(json!("someone-else")), azp),
    ];
    for (aud, azp_value, expected) in cases {
        let err = h
            .launch_with(|c| {
                c.insert("aud".into(), aud.clone());
                if let Some(v) = azp_value.clone() {
                    c.insert("azp".into(), v);
                }
            })
            .await
            .unwrap_err();
        assert!(expected(&err), "aud {aud} azp {azp_value:?}: {err:?}");
    }
    let err = h
        .launch_with(|c| {
            c.remove("aud");
        })
        .await
        .unwrap_err();
    assert!(matches!(err, LaunchError::AudienceMismatch), "{err:?}");
}

#[tokio::test]
async fn lti_05_a_token_whose_target_link_uri_is_unregistered_or_not_the_logins_is_refused() {
    let h = Harness::start().await;
    for target in ["https://evil.example/", DEEP_LINK_TARGET] {
        let err = h
            .launch_with(|c| {
                c.insert(
                    "https://purl.imsglobal.org/spec/lti/claim/target_link_uri".into(),
                    json!(target),
                );
            })
            .await
            .unwrap_err();
        assert!(
            matches!(err, LaunchError::TargetLinkUriMismatch),
            "{target}: {err:?}"
        );
    }
}

#[tokio::test]
async fn lti_06_expired_future_or_stale_tokens_and_foreign_issuers_are_refused() {
    let h = Harness::start().await;
    let now = h.now();
    let expired = h
        .launch_with(|c| {
            c.insert("iat".into(), json!(now - 400));
            c.insert("exp".into(), json!(now - 31));
        })
        .await
        .unwrap_err();
    assert!(matches!(expired, LaunchError::Expired), "{expired:?}");
    // Within the 30 s leeway: accepted both ways (pylti1.3 #146: LMS clocks run ahead).
    h.launch_with(|c| {
        c.insert("exp".into(), json!(now - 29));
        c.insert("iat".into(), json!(now - 200));
    })
    .await
    .unwrap();
    h.launch_with(|c| {
        c.insert("iat".into(), json!(now + 29));
    })
    .await
    .unwrap();
    for iat in [now + 31, now - 331] {
        let err = h
            .launch_with(|c| {
                c.insert("iat".into(), json!(iat));
                c.insert("exp".into(), json!(now + 600));
            })
            .await
            .unwrap_err();
        assert!(
            matches!(err, LaunchError::IssuedAtOutOfRange),
            "iat {iat}: {err:?}"
        );
    }
    for bad in [json!("1800000000"), json!(1.5e9), json!(-1)] {
        let err = h
            .launch_with(|c| {
                c.insert("exp".into(), bad.clone());
            })
            .await
            .unwrap_err();
        assert!(
            matches!(err, LaunchError::MissingClaim("exp")),
            "{bad}: {err:?}"
        );
    }
    for iss in [
        json!("https://other-platform.example"),
        json!(format!("{ISSUER}/")),
        json!(null),
    ] {
        let err = h
            .launch_with(|c| {
                c.insert("iss".into(), iss.clone());
            })
            .await
            .unwrap_err();
        assert!(matches!(err, LaunchError::IssuerMismatch), "{iss}: {err:?}");
    }
}

/// Signs `claims` with a raw header and an HMAC secret or no signature.
fn hand_made(
    header: Value,
    claims: &Value,
    signature: Option<(&EncodingKey, Algorithm)>,
) -> String {
    match signature {
        Some((key, alg)) => sign_raw(
            header.to_string().as_bytes(),
            claims.to_string().as_bytes(),
            key,
            alg,
        ),
        None => format!(
            "{}.{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes()),
            b64(b"x")
        ),
    }
}

#[tokio::test]
async fn cl_12_alg_none_hs256_with_the_public_key_and_bad_signatures_are_refused() {
    let h = Harness::start().await;
    let kid = h.platform_key.kid.clone();
    let attempt = |make: Box<dyn Fn(&Value) -> String + Send>| {
        let h = &h;
        async move {
            let login = h.login_direct(RESOURCE_TARGET).await;
            let token = make(&h.resource_link_claims(&login));
            h.launch_direct(&login, &token).await.unwrap_err()
        }
    };
    for none in ["none", "None", "NONE"] {
        let kid = kid.clone();
        let err = attempt(Box::new(move |c| {
            let mut t = hand_made(json!({"alg": none, "kid": kid}), c, None);
            t.truncate(t.rfind('.').unwrap() + 1);
            t
        }))
        .await;
        assert!(
            matches!(
                err,
                LaunchError::AlgorithmNotAllowed | LaunchError::MalformedToken(_)
            ),
            "{none}: {err:?}"
        );
        assert!(err.status().is_client_error());
    }
    // HS256 keyed with the platform's public key (PEM and DER forms): key confusion.
    let public_pem = h.platform_key.public_pem.clone();
    let kid2 = kid.clone();
    let err = attempt(Box::new(move |c| {
        hand_made(
            json!({"alg": "HS256", "kid": kid2}),
            c,
            Some((
                &EncodingKey::from_secret(public_pem.as_bytes()),
                Algorithm::HS256,
            )),
        )
    }))
    .await;
    assert!(matches!(err, LaunchError::AlgorithmNotAllowed), "{err:?}");
    // A signature by another key under the platform's kid.
    let impostor = rsa_key(&kid);
    let err = attempt(Box::new(move |c| sign_with(&impostor, c))).await;
    assert!(matches!(err, LaunchError::BadSignature), "{err:?}");
    // ES256 header on the RSA key: the key's pinned algorithm decides.
    let ec = ec_key(&kid);
    let err = attempt(Box::new(move |c| sign_with(&ec, c))).await;
    assert!(matches!(err, LaunchError::AlgorithmNotAllowed), "{err:?}");
    // Missing iat, wrong nonce.
    let err = h
        .launch_with(|c| {
            c.remove("iat");
        })
        .await
        .unwrap_err();
    assert!(matches!(err, LaunchError::MissingClaim("iat")), "{err:?}");
    let err = h
        .launch_with(|c| {
            c.insert("nonce".into(), json!("another"));
        })
        .await
        .unwrap_err();
    assert!(matches!(err, LaunchError::NonceMismatch), "{err:?}");
    let err = h
        .launch_with(|c| {
            c.remove("nonce");
        })
        .await
        .unwrap_err();
    assert!(matches!(err, LaunchError::NonceMismatch), "{err:?}");
    // Malformed tokens: two parts, padding, duplicate header members.
    let login = h.login_direct(RESOURCE_TARGET).await;
    for bad in ["a.b", "a.b.c.d", "eyJhbGciOiJSUzI1NiJ9=.e30.x"] {
        let err = h
            .tool
            .validate_id_token(bad, &pending(&login))
            .await
            .unwrap_err();
        assert!(
            matches!(err, LaunchError::MalformedToken(_)),
            "{bad}: {err:?}"
        );
    }
    let dup = format!(
        "{}.{}.{}",
        b64(br#"{"alg":"RS256","alg":"none"}"#),
        b64(b"{}"),
        b64(b"x")
    );
    let err = h
        .tool
        .validate_id_token(&dup, &pending(&login))
        .await
        .unwrap_err();
    assert!(matches!(err, LaunchError::MalformedToken(_)), "{err:?}");
}

fn pending(login: &Login) -> PendingLogin {
    PendingLogin {
        state: login.state.clone(),
        nonce: login.nonce.clone(),
        issuer: ISSUER.into(),
        client_id: CLIENT_ID.into(),
        target_link_uri: login.target_link_uri.clone(),
        binding: BrowserBinding::Cookie {
            value_sha256: String::new(),
        },
        expires_at: i64::MAX,
    }
}

#[tokio::test]
async fn cl_13_signing_key_rotation_refetches_the_platform_jwks_once() {
    let h = Harness::start_with(Options {
        refresh_interval: Duration::from_secs(3600),
        ..Options::default()
    })
    .await;
    h.launch_with(|_| {}).await.unwrap();
    h.launch_with(|_| {}).await.unwrap();
    assert_eq!(h.jwks.hits(), 1, "the key set is cached");
    // The platform rotates: the first key is still published while a second signs.
    let next = rsa_key("platform-k2");
    h.jwks.set(jwks(&[&h.platform_key, &next]));
    let login = h.login_direct(RESOURCE_TARGET).await;
    let token = sign_with(&next, &h.resource_link_claims(&login));
    // The first fetch was less than an hour ago: the refetch is rate-limited away.
    assert!(matches!(
        h.launch_direct(&login, &token).await,
        Err(LaunchError::UnknownKey)
    ));
    assert_eq!(h.jwks.hits(), 1);

    let h = Harness::start().await; // no minimum interval
    h.launch_with(|_| {}).await.unwrap();
    let next = rsa_key("platform-k2");
    h.jwks.set(jwks(&[&next]));
    let login = h.login_direct(RESOURCE_TARGET).await;
    let token = sign_with(&next, &h.resource_link_claims(&login));
    h.launch_direct(&login, &token).await.unwrap();
    assert_eq!(h.jwks.hits(), 2, "one refetch for the unknown kid");
    // A made-up kid: one refetch, then refused.
    let stranger = rsa_key("made-up");
    let login = h.login_direct(RESOURCE_TARGET).await;
    let token = sign_with(&stranger, &h.resource_link_claims(&login));
    assert!(matches!(
        h.launch_direct(&login, &token).await,
        Err(LaunchError::UnknownKey)
    ));
    assert_eq!(h.jwks.hits(), 3);
}

#[tokio::test]
async fn cl_13_a_token_without_kid_needs_a_single_platform_key() {
    let h = Harness::start().await;
    let no_kid = |key: &crate::common::TestKey, claims: &Value| {
        sign_raw(
            json!({"alg": "RS256", "typ": "JWT"}).to_string().as_bytes(),
            claims.to_string().as_bytes(),
            &key.encoding,
            Algorithm::RS256,
        )
    };
    let login = h.login_direct(RESOURCE_TARGET).await;
    let token = no_kid(&h.platform_key, &h.resource_link_claims(&login));
    h.launch_direct(&login, &token).await.unwrap();
    // Two published keys and no kid: ambiguous, refused rather than tried in turn.
    let other = rsa_key("platform-k2");
    let h2 = Harness::start().await;
    h2.jwks.set(jwks(&[&h2.platform_key, &other]));
    let login = h2.login_direct(RESOURCE_TARGET).await;
    let token = no_kid(&h2.platform_key, &h2.resource_link_claims(&login));
    let err = h2.launch_direct(&login, &token).await.unwrap_err();
    assert!(matches!(err, LaunchError::AmbiguousKey), "{err:?}");
}

#[tokio::test]
async fn inline_platform_keys_verify_launches_without_fetching() {
    let h = Harness::start_with(Options {
        inline_jwks: true,
        ..Options::default()
    })
    .await;
    h.launch_with(|_| {}).await.unwrap();
    assert_eq!(h.jwks.hits(), 0);
}

#[tokio::test]
async fn a_platform_error_answer_is_a_page_naming_the_error() {
    let h = Harness::start().await;
    let response = h
        .server
        .client()
        .post(h.server.url("/lti/launch"))
        .form(&[("error", "login_required<script>"), ("state", "s")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let body = response.text().await.unwrap();
    assert!(body.contains("login_required"), "{body}");
    assert!(!body.contains("<script>"));
    let response = h
        .server
        .client()
        .post(h.server.url("/lti/launch"))
        .form(&[("state", "s")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("missing `id_token`")
    );
}

#[tokio::test]
async fn cl_12_es256_platform_keys_verify_and_a_bad_es256_signature_is_refused() {
    let h = Harness::start().await;
    let ec = ec_key("platform-ec");
    h.jwks.set(jwks(&[&h.platform_key, &ec]));
    let login = h.login_direct(RESOURCE_TARGET).await;
    let token = sign_with(&ec, &h.resource_link_claims(&login));
    h.launch_direct(&login, &token).await.unwrap();
    let impostor = ec_key("platform-ec");
    let login = h.login_direct(RESOURCE_TARGET).await;
    let token = sign_with(&impostor, &h.resource_link_claims(&login));
    let err = h.launch_direct(&login, &token).await.unwrap_err();
    assert!(matches!(err, LaunchError::BadSignature), "{err:?}");
}
