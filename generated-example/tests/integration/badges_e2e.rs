//! Issue 9 acceptance, end to end over real TLS against the badges host started in-process, for
//! both Open Badges 3.0 and CLR 2.0: discovery, registration, PKCE, scopes, upserts (JSON and
//! VC-JWT), paging over both arrays, profiles, refresh rotation, revocation, restart and user
//! isolation.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ims_generated_example::badges::vc_jwt::VcJwtSigner;
use ims_runtime::authorization_server::REFRESH_ROTATION_GRACE;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::badges_support::{CLR, Host, OB, REDIRECT, pkce, query_param, registration, start_in};

#[tokio::test]
async fn discovery_needs_no_token_names_this_origin_and_revalidates_with_etag() {
    let host = Host::start().await;
    for api in [OB, CLR] {
        let url = host.url(&format!("{}/discovery", api.base));
        let r = host.http().get(&url).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let etag = r.headers()["etag"].to_str().unwrap().to_owned();
        let sdd: Value = r.json().await.unwrap();
        let scheme = &sdd["components"]["securitySchemes"]["OAuth2ACG"];
        let flow = &scheme["flows"]["authorizationCode"];
        let origin = &host.running.base_url;
        assert_eq!(flow["authorizationUrl"], format!("{origin}/authorize"));
        assert_eq!(flow["tokenUrl"], format!("{origin}/token"));
        assert_eq!(flow["refreshUrl"], format!("{origin}/token"));
        assert_eq!(
            scheme["x-imssf-registrationUrl"],
            format!("{origin}/register")
        );
        assert!(flow["scopes"].get("offline_access").is_some());
        assert!(flow["scopes"].get(api.credential_upsert).is_some());
        let again = host
            .http()
            .get(&url)
            .header("if-none-match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    }
    let metadata: Value = host
        .http()
        .get(host.url("/.well-known/oauth-authorization-server"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(metadata["revocation_endpoint"], host.url("/revoke"));
    assert_eq!(metadata["registration_endpoint"], host.url("/register"));
}

#[tokio::test]
async fn registration_is_open_answers_201_with_the_four_fields_and_refuses_bad_uris() {
    let host = Host::start().await;
    let (status, body) = host.register_raw(&registration(&OB.all_scopes())).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    for field in [
        "client_id",
        "client_secret",
        "client_id_issued_at",
        "client_secret_expires_at",
    ] {
        assert!(body.get(field).is_some(), "{field} missing in {body}");
    }
    assert_eq!(body["client_name"], "Test Wallet");
    let cases = [
        (
            "http redirect",
            json!(["http://wallet.example.com/callback"]),
        ),
        ("two hosts", json!(["https://other.example.net/callback"])),
        ("javascript", json!(["javascript:alert(1)"])),
    ];
    for (what, uris) in cases {
        let mut bad = registration(&OB.all_scopes());
        bad["redirect_uris"] = uris;
        let (status, body) = host.register_raw(&bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{what}: {body}");
        assert!(body["error"].as_str().is_some(), "{what}: {body}");
    }
}

#[tokio::test]
async fn pkce_faults_redirect_with_invalid_request_and_an_unknown_redirect_uri_is_a_400_page() {
    let host = Host::start().await;
    let client = host.register(&OB.all_scopes()).await;
    let scope = OB.credential_readonly;
    for (what, challenge) in [
        (
            "plain",
            Some(("abcdefghijklmnopqrstuvwxyzabcdefghijklmnopq", "plain")),
        ),
        ("missing", None),
    ] {
        let url = host.authorize_url(&client, scope, challenge);
        let r = host.http().get(&url).send().await.unwrap();
        assert!(r.status().is_redirection(), "{what}: {}", r.status());
        let location = r.headers()["location"].to_str().unwrap().to_owned();
        assert!(location.starts_with(REDIRECT), "{what}: {location}");
        assert_eq!(
            query_param(&location, "error").as_deref(),
            Some("invalid_request"),
            "{what}"
        );
        assert_eq!(
            query_param(&location, "state").as_deref(),
            Some("st-1"),
            "{what}"
        );
    }
    let (_, challenge) = pkce();
    let url = host
        .authorize_url(&client, scope, Some((&challenge, "S256")))
        .replace(
            "wallet.example.com%2Fcallback",
            "evil.example.com%2Fcallback",
        );
    let r = host.http().get(&url).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.headers().get("location").is_none());
}

#[tokio::test]
async fn wrong_or_missing_verifier_and_code_reuse_are_invalid_grant_and_reuse_revokes() {
    let host = Host::start().await;
    let client = host.register(&OB.all_scopes()).await;
    let scope = OB.credential_readonly;
    for verifier in [
        Some("wrong-verifier-wrong-verifier-wrong-verifier-00"),
        None,
    ] {
        let (code, _) = host.code(&client, scope, "alice").await;
        let (status, body) = host.exchange(&client, &code, verifier).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(body["error"], "invalid_grant", "{body}");
    }
    let (code, verifier) = host.code(&client, scope, "alice").await;
    let (status, first) = host.exchange(&client, &code, Some(&verifier)).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let token = first["access_token"].as_str().unwrap();
    let path = format!("{}/credentials", OB.base);
    assert_eq!(
        host.call(Method::GET, &path, Some(token), None)
            .await
            .status(),
        StatusCode::OK
    );
    let (status, again) = host.exchange(&client, &code, Some(&verifier)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{again}");
    assert_eq!(again["error"], "invalid_grant");
    assert_eq!(
        host.call(Method::GET, &path, Some(token), None)
            .await
            .status(),
        StatusCode::UNAUTHORIZED,
        "the token issued from a reused code is revoked"
    );
    let refresh = first["refresh_token"].as_str().unwrap();
    let (status, body) = host.refresh(&client, refresh).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"], "invalid_grant");
}

/// Every operation: no token → 401, a token without its scope → 403, with it → 2xx.
#[tokio::test]
async fn every_operation_needs_a_token_and_its_scope() {
    let host = Host::start().await;
    for api in [OB, CLR] {
        let credential = api.credential("scoped").to_string();
        let profile =
            json!({"id": "https://example.org/p", "type": ["Profile"], "name": "P"}).to_string();
        let ops: [(Method, &str, &str, Option<String>); 4] = [
            (Method::GET, "/credentials", api.credential_readonly, None),
            (
                Method::POST,
                "/credentials",
                api.credential_upsert,
                Some(credential),
            ),
            (Method::GET, "/profile", api.profile_readonly, None),
            (Method::PUT, "/profile", api.profile_update, Some(profile)),
        ];
        for (method, path, scope, body) in ops {
            let path = format!("{}{path}", api.base);
            let body = body.map(|b| ("application/json", b));
            let none = host.call(method.clone(), &path, None, body.clone()).await;
            assert_eq!(none.status(), StatusCode::UNAUTHORIZED, "{method} {path}");
            let others: Vec<&str> = api
                .all_scopes()
                .into_iter()
                .filter(|s| *s != scope)
                .collect();
            let without = host.access_token(&others, "alice").await;
            let r = host
                .call(method.clone(), &path, Some(&without), body.clone())
                .await;
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{method} {path}");
            let with = host.access_token(&[scope], "alice").await;
            let r = host
                .call(method.clone(), &path, Some(&with), body.clone())
                .await;
            assert!(r.status().is_success(), "{method} {path}: {}", r.status());
        }
    }
}

#[tokio::test]
async fn upsert_json_is_201_then_200_and_a_vc_jwt_is_verified_with_its_jwk() {
    let host = Host::start().await;
    for api in [OB, CLR] {
        let token = host.access_token(&api.all_scopes(), "alice").await;
        let credential = api.credential("same");
        assert_eq!(
            host.upsert_json(api, &token, &credential).await,
            StatusCode::CREATED
        );
        assert_eq!(
            host.upsert_json(api, &token, &credential).await,
            StatusCode::OK
        );

        let signer = VcJwtSigner::generate().unwrap();
        let jws = signer.sign(&api.credential("jwt")).unwrap();
        let path = format!("{}/credentials", api.base);
        let r = host
            .call(
                Method::POST,
                &path,
                Some(&token),
                Some(("text/plain", jws.clone())),
            )
            .await;
        assert_eq!(r.status(), StatusCode::CREATED);
        let other = signer.sign(&api.credential("forged")).unwrap();
        let parts: Vec<&str> = jws.split('.').collect();
        let forged = format!(
            "{}.{}.{}",
            parts[0],
            other.split('.').nth(1).unwrap(),
            parts[2]
        );
        let r = host
            .call(
                Method::POST,
                &path,
                Some(&token),
                Some(("text/plain", forged.clone())),
            )
            .await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        // The token check still comes first.
        let r = host
            .call(Method::POST, &path, None, Some(("text/plain", forged)))
            .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

        let (_, _, page) = host.list(api, &token, "").await;
        assert_eq!(page["credential"].as_array().unwrap().len(), 1, "{page}");
        assert_eq!(page["compactJwsString"], json!([jws]), "{page}");
    }
}

#[tokio::test]
async fn paging_runs_across_both_arrays_with_total_count_and_link() {
    let host = Host::start().await;
    for api in [OB, CLR] {
        let token = host.access_token(&api.all_scopes(), "alice").await;
        let signer = VcJwtSigner::generate().unwrap();
        let path = format!("{}/credentials", api.base);
        for i in 0..3 {
            let n = format!("p{i}");
            assert_eq!(
                host.upsert_json(api, &token, &api.credential(&n)).await,
                StatusCode::CREATED
            );
            let jws = signer.sign(&api.credential(&format!("{n}-jwt"))).unwrap();
            let r = host
                .call(Method::POST, &path, Some(&token), Some(("text/plain", jws)))
                .await;
            assert_eq!(r.status(), StatusCode::CREATED);
        }
        let mut seen = (0, 0);
        let mut offset = 0;
        loop {
            let (status, headers, page) = host
                .list(api, &token, &format!("?limit=4&offset={offset}"))
                .await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(headers["x-total-count"], "6");
            let link = headers["link"].to_str().unwrap();
            let n = page["credential"].as_array().map_or(0, Vec::len);
            let m = page["compactJwsString"].as_array().map_or(0, Vec::len);
            seen = (seen.0 + n, seen.1 + m);
            offset += n + m;
            if !link.contains("rel=\"next\"") {
                break;
            }
            assert_eq!(n + m, 4, "a full first page");
        }
        assert_eq!(seen, (3, 3));
        let (_, headers, page) = host.list(api, &token, "?since=2030-01-01T00:00:00Z").await;
        assert_eq!(headers["x-total-count"], "0", "{page}");
    }
}

#[tokio::test]
async fn profile_get_then_put_then_get() {
    let host = Host::start().await;
    for api in [OB, CLR] {
        let token = host.access_token(&api.all_scopes(), "alice").await;
        let path = format!("{}/profile", api.base);
        let r = host.call(Method::GET, &path, Some(&token), None).await;
        assert_eq!(r.status(), StatusCode::OK);
        let profile =
            json!({"id": "https://example.org/alice", "type": ["Profile"], "name": "Alice A."});
        let r = host
            .call(
                Method::PUT,
                &path,
                Some(&token),
                Some(("application/json", profile.to_string())),
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        let got: Value = host
            .call(Method::GET, &path, Some(&token), None)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(got["name"], "Alice A.");
    }
}

#[tokio::test]
async fn refresh_rotates_and_a_reused_refresh_token_revokes_the_family() {
    let host = Host::start().await;
    let (client, first) = host.tokens(&OB.all_scopes(), "alice").await;
    let old = first["refresh_token"]
        .as_str()
        .expect("a refresh token")
        .to_owned();
    let (status, second) = host.refresh(&client, &old).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    let new = second["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(new, old, "rotated");
    let access = second["access_token"].as_str().unwrap().to_owned();
    let path = format!("{}/credentials", OB.base);
    assert_eq!(
        host.call(Method::GET, &path, Some(&access), None)
            .await
            .status(),
        StatusCode::OK
    );
    // Reuse of the old one: past the server's grace window for concurrent rotation, it is theft.
    tokio::time::sleep(REFRESH_ROTATION_GRACE + std::time::Duration::from_secs(1)).await;
    let (status, body) = host.refresh(&client, &old).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"], "invalid_grant");
    let (status, body) = host.refresh(&client, &new).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "the family is revoked: {body}"
    );
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn revoke_answers_200_and_the_token_is_dead_at_the_api() {
    let host = Host::start().await;
    let (client, tokens) = host.tokens(&OB.all_scopes(), "alice").await;
    let access = tokens["access_token"].as_str().unwrap();
    let path = format!("{}/profile", OB.base);
    assert_eq!(
        host.call(Method::GET, &path, Some(access), None)
            .await
            .status(),
        StatusCode::OK
    );
    let r = host
        .http()
        .post(host.url("/revoke"))
        .basic_auth(&client.id, Some(&client.secret))
        .form(&[("token", access), ("token_type_hint", "access_token")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        host.call(Method::GET, &path, Some(access), None)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_restart_on_the_same_data_directory_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let first = start_in(dir.path(), "127.0.0.1:0").await;
    let addr = first.addr;
    let host = Host {
        running: first,
        dir,
    };
    let (client, tokens) = host.tokens(&OB.all_scopes(), "alice").await;
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(
        host.upsert_json(OB, &access, &OB.credential("kept")).await,
        StatusCode::CREATED
    );
    let users = host.running.users.clone();
    let Host { running, dir } = host;
    running.shutdown().await.unwrap();

    let running = start_in(dir.path(), &addr.to_string()).await;
    let host = Host { running, dir };
    assert_eq!(host.running.users, users, "users.json reused");
    let (_, _, page) = host.list(OB, &access, "").await;
    assert_eq!(
        page["credential"].as_array().unwrap().len(),
        1,
        "credential and token survive: {page}"
    );
    let (status, body) = host.refresh(&client, &refresh).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "client and refresh token survive: {body}"
    );
}

/// Two users, each with their own consumer: per operation, neither sees the other's data.
#[tokio::test]
async fn two_users_never_see_each_others_credentials_or_profile() {
    let host = Host::start().await;
    for api in [OB, CLR] {
        let alice = host.access_token(&api.all_scopes(), "alice").await;
        let bob = host.access_token(&api.all_scopes(), "bob").await;
        assert_eq!(
            host.upsert_json(api, &alice, &api.credential("alice"))
                .await,
            StatusCode::CREATED
        );
        // The same credential upserted by bob is his own copy: created, not replaced.
        assert_eq!(
            host.upsert_json(api, &bob, &api.credential("alice")).await,
            StatusCode::CREATED
        );
        assert_eq!(
            host.upsert_json(api, &bob, &api.credential("bob")).await,
            StatusCode::CREATED
        );
        let (_, headers, page) = host.list(api, &alice, "").await;
        assert_eq!(headers["x-total-count"], "1", "{page}");
        let ids: Vec<&str> = page["credential"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap())
            .collect();
        assert!(ids.iter().all(|id| id.ends_with("demo-alice")), "{ids:?}");
        let (_, headers, _) = host.list(api, &bob, "").await;
        assert_eq!(headers["x-total-count"], "2");

        let path = format!("{}/profile", api.base);
        let bobs = json!({"id": "https://example.org/bob", "type": ["Profile"], "name": "Bob"});
        let r = host
            .call(
                Method::PUT,
                &path,
                Some(&bob),
                Some(("application/json", bobs.to_string())),
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        let alices: Value = host
            .call(Method::GET, &path, Some(&alice), None)
            .await
            .json()
            .await
            .unwrap();
        assert_ne!(alices["name"], "Bob", "{alices}");
        let bobs_read: Value = host
            .call(Method::GET, &path, Some(&bob), None)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(bobs_read["name"], "Bob");
    }
}
