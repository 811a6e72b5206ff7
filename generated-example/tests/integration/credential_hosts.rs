//! Open Badges 3.0 and CLR 2.0 served and called through their generated server and client over
//! loopback TLS, behind the embedded authorization server: an in-memory credential host
//! implements the generated trait; the generated client upserts (JSON and compact JWS), lists a
//! page holding both arrays, streams across pages, filters with `since`, and reads and replaces
//! the profile. Status codes the typed client does not show (201 vs 200, 415, 403) are checked
//! with plain requests carrying a token from the same source.
//!
//! The token is a client-credentials one: the resource server checks scopes, not the grant, and
//! the authorization code flow has its own end-to-end tests in the badges demo.

// In a test a failed expectation is a failed test, not a crash reachable from input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::cc_auth::Auth;
use std::sync::{Arc, Mutex};

use ims_runtime::client::{ClientCredentialsSource, HttpPolicy, TokenSource};
use ims_runtime::discovery::Deployment;
use ims_runtime::resource_server::AuthLayer;
use ims_runtime::tls::testing::TestServer;
use serde_json::{Value, json};

fn policy(server: &TestServer) -> HttpPolicy {
    HttpPolicy::default().with_ca_pem(server.ca_pem().to_vec())
}

/// A compact JWS whose payload the in-memory host "verifies" by looking it up (decoding and
/// verifying VC-JWTs is the badges demo's job; here only the media type and the variant matter).
const JWS: &str = "eyJhbGciOiJFUzI1NiJ9.eyJqd3MiOnRydWV9.c2lnbmF0dXJl";

/// A bearer token for `scopes` from `source`, for the plain requests.
async fn bearer(source: &ClientCredentialsSource, scopes: &[&str]) -> String {
    let token = source.token(scopes).await.unwrap();
    format!("Bearer {}", token.secret())
}

/// The same test for both services: `$m` is the generated module, `$Service`/`$Client` its
/// trait and client, `$Credential` its credential model, `$credential` builds a credential's
/// JSON with an id and a `validFrom`.
macro_rules! credential_host_test {
    ($test:ident, $m:ident, $Service:ident, $Client:ident, $Credential:ident, $Page:ident, $credential:expr) => {
        mod $test {
            use super::*;
            use ims_generated_example::$m::client::$Client;
            use ims_generated_example::$m::models::{
                $Credential, $Page, GetCredentialsRecord, Profile, UpsertCredentialBody,
            };
            use ims_generated_example::$m::server::{$Service, UpsertCredentialSuccess};
            use ims_generated_example::$m::{BASE_PATH, scopes, server};
            use ims_runtime::codegen::{DateTime, ImsError, RequestContext};
            use ims_runtime::query::CollectionQuery;
            use ims_runtime::server::Listed;

            #[derive(Clone)]
            enum Stored {
                Json(Box<$Credential>),
                Jws(String),
            }

            /// One learner's credentials and profile, in memory.
            #[derive(Default)]
            struct Host {
                credentials: Mutex<Vec<Stored>>,
                profile: Mutex<Option<Profile>>,
            }

            fn credential(id: &str, valid_from: &str) -> $Credential {
                serde_json::from_value($credential(id, valid_from)).unwrap()
            }

            impl $Service for Host {
                async fn get_credentials(
                    &self,
                    _ctx: RequestContext,
                    query: CollectionQuery,
                    since: Option<DateTime>,
                ) -> Result<Listed<$Page>, ImsError> {
                    let all = self.credentials.lock().unwrap().clone();
                    // `since` compares instants: a JWS carries its date inside the signed
                    // payload, which this host does not read, so it only lists JWS without one.
                    let matching: Vec<Stored> = all
                        .into_iter()
                        .filter(|c| match (c, &since) {
                            (_, None) => true,
                            (Stored::Json(c), Some(s)) => {
                                c.valid_from.to_offset_date_time() > s.to_offset_date_time()
                            }
                            (Stored::Jws(_), Some(_)) => false,
                        })
                        .collect();
                    let total = matching.len() as u64;
                    let range = query.page.range(total);
                    let mut page = $Page {
                        credential: Some(Vec::new()),
                        compact_jws_string: Some(Vec::new()),
                    };
                    for c in &matching[range.start as usize..range.end as usize] {
                        match c {
                            Stored::Json(c) => page.credential.get_or_insert_default().push((**c).clone()),
                            Stored::Jws(j) => page
                                .compact_jws_string
                                .get_or_insert_default()
                                .push(serde_json::from_value(json!(j)).unwrap()),
                        }
                    }
                    Ok(Listed::new(page, total))
                }

                async fn upsert_credential(
                    &self,
                    _ctx: RequestContext,
                    body: UpsertCredentialBody,
                ) -> Result<UpsertCredentialSuccess, ImsError> {
                    let mut all = self.credentials.lock().unwrap();
                    match body {
                        UpsertCredentialBody::Json(c) => {
                            let same = all.iter().position(
                                |s| matches!(s, Stored::Json(old) if old.id == c.id),
                            );
                            match same {
                                Some(i) => {
                                    all[i] = Stored::Json(Box::new(c.clone()));
                                    Ok(UpsertCredentialSuccess::Status200(c))
                                }
                                None => {
                                    all.push(Stored::Json(Box::new(c.clone())));
                                    Ok(UpsertCredentialSuccess::Status201(c))
                                }
                            }
                        }
                        UpsertCredentialBody::Text(jws) => {
                            if jws != JWS {
                                return Err(ImsError::invalid_data("the compact JWS does not verify"));
                            }
                            all.push(Stored::Jws(jws));
                            Ok(UpsertCredentialSuccess::Status201(credential(
                                "urn:uuid:from-jws",
                                "2025-01-01T00:00:00Z",
                            )))
                        }
                    }
                }

                async fn get_profile(&self, _ctx: RequestContext) -> Result<Profile, ImsError> {
                    self.profile
                        .lock()
                        .unwrap()
                        .clone()
                        .ok_or_else(|| ImsError::unknown_object("no profile yet"))
                }

                async fn put_profile(
                    &self,
                    _ctx: RequestContext,
                    body: Profile,
                ) -> Result<Profile, ImsError> {
                    *self.profile.lock().unwrap() = Some(body.clone());
                    Ok(body)
                }
            }

            const ALL: [&str; 4] = [
                scopes::CREDENTIAL_READONLY,
                scopes::CREDENTIAL_UPSERT,
                scopes::PROFILE_READONLY,
                scopes::PROFILE_UPDATE,
            ];

            #[tokio::test]
            async fn served_and_called_through_the_generated_server_and_client() {
                let auth = Auth::start(&ALL).await;
                let verifier = auth.authz.local_verifier().unwrap();
                // The deployment's URLs: the served SDD must carry them on `OAuth2ACG`.
                let url = |path: &str| url::Url::parse(&format!("https://127.0.0.1:1{path}")).unwrap();
                let deployment = Deployment::new(url(BASE_PATH))
                    .with_authorization_url(url("/authorize"))
                    .with_token_url(url("/token"))
                    .with_refresh_url(url("/token"))
                    .with_registration_url(url("/register"));
                let api = server::router(Host::default())
                    .with_auth(AuthLayer::new(Arc::new(verifier), "credentials"))
                    .with_discovery(&deployment)
                    .unwrap()
                    .into_router();
                let srv = TestServer::start(auth.authz.router().merge(api)).await.unwrap();
                let source = auth.source(&srv, &ALL).await;
                let client =
                    $Client::with_policy(&srv.url(""), source.clone(), policy(&srv)).unwrap();

                // Discovery needs no token and names the deployment's endpoints.
                let sdd: Value = srv
                    .client()
                    .get(srv.url(&format!("{BASE_PATH}/discovery")))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                let acg = &sdd["components"]["securitySchemes"]["OAuth2ACG"];
                let flow = &acg["flows"]["authorizationCode"];
                assert_eq!(flow["authorizationUrl"], "https://127.0.0.1:1/authorize", "{acg}");
                assert_eq!(flow["tokenUrl"], "https://127.0.0.1:1/token");
                assert_eq!(flow["refreshUrl"], "https://127.0.0.1:1/token");
                assert_eq!(acg["x-imssf-registrationUrl"], "https://127.0.0.1:1/register");
                assert!(flow["scopes"].get(scopes::PROFILE_UPDATE).is_some());

                // Upsert as JSON: 201 created, then the same id again: 200 replaced.
                let first = credential("urn:uuid:one", "2024-01-01T00:00:00Z");
                let http = srv.client();
                let url = srv.url(&format!("{BASE_PATH}/credentials"));
                let token = bearer(&source, &[scopes::CREDENTIAL_UPSERT]).await;
                for expected in [201, 200] {
                    let r = http
                        .post(&url)
                        .header("authorization", &token)
                        .json(&first)
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(r.status().as_u16(), expected);
                    let back: $Credential = r.json().await.unwrap();
                    assert_eq!(back, first);
                }
                // The generated client sends each variant as its media type.
                let second = credential("urn:uuid:two", "2026-06-01T00:00:00Z");
                let stored = client
                    .upsert_credential(&UpsertCredentialBody::Json(second.clone()))
                    .await
                    .unwrap();
                assert_eq!(stored, second);
                let from_jws = client
                    .upsert_credential(&UpsertCredentialBody::Text(JWS.to_owned()))
                    .await
                    .unwrap();
                assert_eq!(from_jws.id.as_str(), "urn:uuid:from-jws");

                // Any other media type: 415 imsx, before the trait method runs.
                let r = http
                    .post(&url)
                    .header("authorization", &token)
                    .header("content-type", "application/xml")
                    .body("<credential/>")
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status().as_u16(), 415);
                let body: Value = r.json().await.unwrap();
                assert_eq!(body["imsx_codeMajor"], "failure");
                assert!(
                    body["imsx_description"].as_str().unwrap().contains("text/plain"),
                    "{body}"
                );

                // The JSON arm of the two-media-type body is checked once decoded: a credential
                // breaking the SDD's `minItems` on `type` is 400 naming it, and is not stored.
                let mut broken = serde_json::to_value(credential("urn:uuid:broken", "2024-01-01T00:00:00Z")).unwrap();
                broken["type"] = serde_json::json!([]);
                let r = http
                    .post(&url)
                    .header("authorization", &token)
                    .json(&broken)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status().as_u16(), 400);
                let body: Value = r.json().await.unwrap();
                let why = body["imsx_description"].as_str().unwrap();
                assert!(why.contains("/type") && why.contains("at least 1"), "{body}");

                // A page of two holds one record of each array; paging counts both.
                let page = client
                    .get_credentials(None, ims_runtime::client::ListQuery::new().limit(2).offset(1))
                    .await
                    .unwrap();
                assert_eq!(page.total, Some(3));
                assert_eq!(page.body.credential.as_ref().map(Vec::len), Some(1));
                assert_eq!(page.body.compact_jws_string.as_ref().map(Vec::len), Some(1));
                assert!(page.link("first").is_some() && page.link("prev").is_some());
                // The stream yields every record of both arrays across pages of one.
                use futures_util::TryStreamExt;
                let records: Vec<GetCredentialsRecord> = client
                    .get_credentials_stream(None, ims_runtime::client::ListQuery::new().limit(1))
                    .try_collect()
                    .await
                    .unwrap();
                assert_eq!(records.len(), 3, "{records:?}");
                assert_eq!(records[0], GetCredentialsRecord::Credential(first.clone()));
                assert_eq!(records[1], GetCredentialsRecord::Credential(second.clone()));
                assert!(matches!(
                    &records[2],
                    GetCredentialsRecord::CompactJwsString(j) if j.0 == JWS
                ));
                // `since` reaches the trait typed: only the credential issued after it.
                let since: DateTime = "2025-06-01T00:00:00Z".parse().unwrap();
                let page = client
                    .get_credentials(Some(&since), ims_runtime::client::ListQuery::new())
                    .await
                    .unwrap();
                assert_eq!(page.total, Some(1));
                assert_eq!(page.body.credential, Some(vec![second]));

                // Profile: 404 before it exists, then replaced and read back.
                assert!(client.get_profile().await.is_err());
                let profile: Profile = serde_json::from_value(json!({
                    "id": "did:example:learner",
                    "type": ["Profile"],
                    "name": "Ada Learner",
                    "ext:pronouns": "she/her"
                }))
                .unwrap();
                assert_eq!(client.put_profile(&profile).await.unwrap(), profile);
                assert_eq!(client.get_profile().await.unwrap(), profile);

                // A token without the upsert scope: 403 at the generated handler.
                let reader = auth.source(&srv, &[scopes::CREDENTIAL_READONLY]).await;
                let r = http
                    .post(&url)
                    .header("authorization", bearer(&reader, &[scopes::CREDENTIAL_READONLY]).await)
                    .json(&first)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status().as_u16(), 403);
                srv.shutdown().await;
            }
        }
    };
}

credential_host_test!(
    open_badges,
    openbadges_v3p0,
    OpenBadgesService,
    OpenBadgesClient,
    AchievementCredential,
    GetOpenBadgeCredentialsResponse,
    |id: &str, valid_from: &str| json!({
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
        ],
        "id": id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": "https://issuer.example/profile", "type": ["Profile"], "name": "Example U"},
        "validFrom": valid_from,
        "name": "Rust 101",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "id": "did:example:learner",
            "achievement": {
                "id": "https://issuer.example/achievements/rust-101",
                "type": ["Achievement"],
                "name": "Rust 101",
                "description": "Wrote a borrow-checked program.",
                "criteria": {"narrative": "Pass the course."},
                "alignment": [{"targetName": "kept in the extension map"}]
            }
        },
        "evidence": [{"id": "https://issuer.example/evidence/1", "type": ["Evidence"]}]
    })
);

credential_host_test!(
    clr,
    clr_v2p0,
    ClrService,
    ClrClient,
    ClrCredential,
    GetClrCredentialsResponse,
    |id: &str, valid_from: &str| json!({
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
        ],
        "id": id,
        "type": ["VerifiableCredential", "ClrCredential"],
        "issuer": "https://issuer.example/profile",
        "validFrom": valid_from,
        "name": "Transcript",
        "partial": false,
        "credentialSubject": {
            "type": ["ClrSubject"],
            "id": "did:example:learner",
            "verifiableCredential": [{"id": "urn:uuid:inner", "type": ["VerifiableCredential", "OpenBadgeCredential"]}],
            "association": [{
                "type": "Association",
                "associationType": "isChildOf",
                "sourceId": "https://issuer.example/a/1",
                "targetId": "https://issuer.example/a/2"
            }]
        }
    })
);
