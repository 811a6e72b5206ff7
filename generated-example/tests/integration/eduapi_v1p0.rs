//! Edu-API 1.0 served and called through its generated server and client over loopback TLS,
//! behind the embedded authorization server: an in-memory provider implements the generated
//! trait for organizations (core scope) and persons (privacy scope); each scope reaches its own
//! operations (200) and not the other's (403), collections page with `X-Total-Count` and `Link`,
//! and the `http://` scope URIs of the standard travel unchanged through the catalogue, the token
//! endpoint and the resource server.

// In a test a failed expectation is a failed test, not a crash reachable from input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use futures_util::TryStreamExt;
use ims_generated_example::eduapi_v1p0::client::EduApiClient;
use ims_generated_example::eduapi_v1p0::models::{Organization, Person};
use ims_generated_example::eduapi_v1p0::server::{self, EduApiService};
use ims_generated_example::eduapi_v1p0::{BASE_PATH, operations, scopes};
use ims_runtime::authorization_server::{AuthorizationServer, NewClient, SqliteStore};
use ims_runtime::client::{
    ApiError, ClientAuth, ClientCredentialsSource, ClientError, ClientSecret, HttpPolicy,
    ListQuery, TokenSource, TokenSourceOptions,
};
use ims_runtime::codegen::{ImsError, RequestContext};
use ims_runtime::query::CollectionQuery;
use ims_runtime::resource_server::AuthLayer;
use ims_runtime::server::{Listed, select};
use ims_runtime::tls::testing::TestServer;
use serde_json::{Value, json};

const ISSUER: &str = "https://127.0.0.1";

/// The scope URIs exactly as Edu-API 1.0 publishes them (`http://`, not `https://`).
const CORE: &str = "http://purl.1edtech.org/spec/eduapi/v1p0/scope/core.readonly";
const PRIVACY: &str = "http://purl.1edtech.org/spec/eduapi/v1p0/scope/core.readonly.privacy";

fn organization(i: usize) -> Organization {
    serde_json::from_value(json!({
        "sourcedId": format!("org-{i}"),
        "recordLanguage": "en",
        "recordStatus": "active",
        "name": [{"recordLanguage": "en", "value": format!("Faculty {i}")}],
        "organizationType": "department",
        "primaryCode": {"identifier": format!("F{i}"), "identifierType": "ext:facultyCode"}
    }))
    .unwrap()
}

fn person(i: usize) -> Person {
    serde_json::from_value(json!({
        "sourcedId": format!("person-{i}"),
        "recordLanguage": "en-GB",
        "recordStatus": "active",
        "formattedName": format!("Learner {i}"),
        "legalName": {"givenName": "Learner", "familyName": format!("{i}")},
        "dateOfBirth": "2004-02-29",
        "primaryEmail": {"email": format!("learner{i}@example.edu"), "emailType": "workEmail"}
    }))
    .unwrap()
}

/// An in-memory provider: three organizations and five persons.
struct Provider {
    organizations: Vec<Organization>,
    persons: Vec<Person>,
}

impl Provider {
    fn new() -> Self {
        Provider {
            organizations: (1..=3).map(organization).collect(),
            persons: (1..=5).map(person).collect(),
        }
    }
}

impl EduApiService for Provider {
    async fn get_all_organizations(
        &self,
        _ctx: RequestContext,
        query: CollectionQuery,
    ) -> Result<Listed<Vec<Organization>>, ImsError> {
        let page = select(&self.organizations, &query);
        Ok(Listed::new(page.items, page.total))
    }

    async fn get_organization_by_id(
        &self,
        _ctx: RequestContext,
        id: String,
    ) -> Result<Organization, ImsError> {
        self.organizations
            .iter()
            .find(|o| o.sourced_id == id)
            .cloned()
            .ok_or_else(|| ImsError::unknown_object("no such organization"))
    }

    async fn get_all_persons(
        &self,
        _ctx: RequestContext,
        query: CollectionQuery,
    ) -> Result<Listed<Vec<Person>>, ImsError> {
        let page = select(&self.persons, &query);
        Ok(Listed::new(page.items, page.total))
    }

    async fn get_person_by_id(&self, _ctx: RequestContext, id: String) -> Result<Person, ImsError> {
        self.persons
            .iter()
            .find(|p| p.sourced_id == id)
            .cloned()
            .ok_or_else(|| ImsError::unknown_object("no such person"))
    }
}

fn policy(server: &TestServer) -> HttpPolicy {
    HttpPolicy::default().with_ca_pem(server.ca_pem().to_vec())
}

struct Setup {
    srv: TestServer,
    authz: AuthorizationServer,
    _dir: tempfile::TempDir,
}

impl Setup {
    async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(SqliteStore::open(&dir.path().join("authz.sqlite")).unwrap());
        let authz = AuthorizationServer::builder(ISSUER.to_owned(), store)
            .scopes([CORE, PRIVACY])
            .dynamic_registration(false)
            .build()
            .await
            .unwrap();
        let verifier = authz.local_verifier().unwrap();
        let api = server::router(Provider::new())
            .with_auth(AuthLayer::new(Arc::new(verifier), "eduapi"))
            .into_router();
        let srv = TestServer::start(authz.router().merge(api)).await.unwrap();
        Setup {
            srv,
            authz,
            _dir: dir,
        }
    }

    /// A token source for a new client that holds `granted`.
    async fn source(&self, granted: &[&str]) -> Arc<ClientCredentialsSource> {
        let issued = self
            .authz
            .create_client(NewClient::client_credentials(granted.iter().copied()))
            .await
            .unwrap();
        Arc::new(
            ClientCredentialsSource::new(
                &self.srv.url("/token"),
                issued.client_id,
                ClientAuth::ClientSecretBasic(ClientSecret::new(issued.client_secret.unwrap())),
                TokenSourceOptions {
                    http: policy(&self.srv),
                    ..TokenSourceOptions::default()
                },
            )
            .unwrap(),
        )
    }

    async fn client(&self, granted: &[&str]) -> EduApiClient {
        EduApiClient::with_policy(
            &self.srv.url(""),
            self.source(granted).await,
            policy(&self.srv),
        )
        .unwrap()
    }

    /// Status of a plain GET of `path` (under the base path) with a token for `scope`.
    async fn status_with(&self, scope: &str, path: &str) -> u16 {
        let source = self.source(&[scope]).await;
        let token = source.token(&[scope]).await.unwrap();
        self.srv
            .client()
            .get(self.srv.url(&format!("{BASE_PATH}{path}")))
            .header("authorization", format!("Bearer {}", token.secret()))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }
}

/// Whether the token endpoint refused the scope the client asked for.
fn refused_scope(error: &ApiError) -> bool {
    matches!(
        error,
        ApiError::Client(ClientError::TokenEndpoint { error, .. }) if error == "invalid_scope"
    )
}

#[test]
fn the_http_scope_uris_are_kept_byte_for_byte() {
    assert_eq!(scopes::CORE_READONLY, CORE);
    assert_eq!(scopes::CORE_READONLY_PRIVACY, PRIVACY);
    assert_eq!(
        operations::GET_ALL_ORGANIZATIONS.scopes.any_of,
        &[&[CORE][..]][..]
    );
    assert_eq!(
        operations::GET_ALL_PERSONS.scopes.any_of,
        &[&[PRIVACY][..]][..]
    );
}

#[test]
fn the_privacy_scope_guards_exactly_the_person_operations() {
    let mut privacy: Vec<&str> = operations::ALL
        .iter()
        .filter(|op| op.scopes.any_of == [&[PRIVACY][..]])
        .map(|op| op.path)
        .collect();
    privacy.sort_unstable();
    assert_eq!(
        privacy,
        [
            "/collectionOfferings/{id}/staff",
            "/collectionOfferings/{id}/students",
            "/componentOfferings/{id}/staff",
            "/componentOfferings/{id}/students",
            "/courseOfferings/{id}/staff",
            "/courseOfferings/{id}/students",
            "/organizations/{id}/staff",
            "/organizations/{id}/students",
            "/persons",
            "/persons/{id}",
            "/staff",
            "/students",
        ]
    );
    // Every other of the 49 operations needs the core scope.
    assert_eq!(operations::ALL.len(), 49);
    assert!(
        operations::ALL
            .iter()
            .filter(|op| op.scopes.any_of != [&[PRIVACY][..]])
            .all(|op| op.scopes.any_of == [&[CORE][..]])
    );
}

#[tokio::test]
async fn each_scope_reaches_its_own_operations_and_not_the_others() {
    let setup = Setup::start().await;

    // The token endpoint grants the `http://` scopes as they are.
    let source = setup.source(&[CORE, PRIVACY]).await;
    let token = source.token(&[CORE]).await.unwrap();
    assert_eq!(token.scopes(), [CORE]);

    let core = setup.client(&[CORE]).await;
    let orgs = core.get_all_organizations(ListQuery::new()).await.unwrap();
    assert_eq!(orgs.total, Some(3));
    assert_eq!(orgs.body, Provider::new().organizations);
    assert_eq!(
        core.get_organization_by_id("org-2").await.unwrap(),
        organization(2)
    );
    // The typed client asks for the operation's scope, which this client was not granted: the
    // token endpoint refuses it, and no request is sent.
    let denied = core.get_all_persons(ListQuery::new()).await.unwrap_err();
    assert!(refused_scope(&denied), "{denied:?}");
    assert_eq!(setup.status_with(CORE, "/persons/person-1").await, 403);
    assert_eq!(setup.status_with(CORE, "/organizations").await, 200);

    let privacy = setup.client(&[PRIVACY]).await;
    assert_eq!(
        privacy.get_person_by_id("person-4").await.unwrap(),
        person(4)
    );
    let denied = privacy
        .get_all_organizations(ListQuery::new())
        .await
        .unwrap_err();
    assert!(refused_scope(&denied), "{denied:?}");
    assert_eq!(
        setup.status_with(PRIVACY, "/organizations/org-1").await,
        403
    );
    assert_eq!(setup.status_with(PRIVACY, "/persons").await, 200);

    // No token at all: 401 on either scope's operations.
    for path in ["/organizations", "/persons"] {
        let r = setup
            .srv
            .client()
            .get(setup.srv.url(&format!("{BASE_PATH}{path}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 401, "{path}");
    }
    // An operation the provider does not implement: 501 after the scope check.
    assert_eq!(setup.status_with(CORE, "/enrollments").await, 501);
    assert_eq!(setup.status_with(PRIVACY, "/enrollments").await, 403);
    setup.srv.shutdown().await;
}

#[tokio::test]
async fn collections_page_with_total_count_and_links() {
    let setup = Setup::start().await;
    let client = setup.client(&[PRIVACY]).await;

    let page = client
        .get_all_persons(ListQuery::new().limit(2).offset(2))
        .await
        .unwrap();
    assert_eq!(page.total, Some(5));
    assert_eq!(page.body, vec![person(3), person(4)]);
    for rel in ["first", "last", "prev", "next"] {
        assert!(page.link(rel).is_some(), "Link rel={rel}");
    }
    // Past the end: an empty array, still with the total.
    let past = client
        .get_all_persons(ListQuery::new().limit(2).offset(10))
        .await
        .unwrap();
    assert_eq!(past.total, Some(5));
    assert!(past.body.is_empty());

    // The stream follows the pages to the end.
    let all: Vec<Person> = client
        .get_all_persons_stream(ListQuery::new().limit(2))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all, Provider::new().persons);

    // Filter and sort reach the provider parsed.
    let page = client
        .get_all_persons(
            ListQuery::new()
                .filter("formattedName~'3'")
                .sort("sourcedId"),
        )
        .await
        .unwrap();
    assert_eq!(page.body, vec![person(3)]);

    // The wire shape is a bare JSON array, as Edu-API 1.0 publishes it.
    let source = setup.source(&[PRIVACY]).await;
    let token = source.token(&[PRIVACY]).await.unwrap();
    let r = setup
        .srv
        .client()
        .get(setup.srv.url(&format!("{BASE_PATH}/persons?limit=1")))
        .header("authorization", format!("Bearer {}", token.secret()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-total-count"], "5");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body.as_array().map(Vec::len), Some(1), "{body}");
    setup.srv.shutdown().await;
}
