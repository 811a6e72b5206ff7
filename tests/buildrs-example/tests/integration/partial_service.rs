//! A service implemented in part: only `get_all_users` and `get_user` of OneRoster 1.2
//! Rostering, written as `async fn`s (the other trait methods keep their default 501 body),
//! served behind the embedded authorization server over TLS and called with the generated
//! client. The implemented operations answer normally, the others with the typed
//! `ApiError::Unsupported`; the discovery document leaves out only what the implementer declares
//! not implemented.
// Tests fail loudly on broken fixtures.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::sync::Arc;

use ims_buildrs_example::oneroster::client::RosteringClient;
use ims_buildrs_example::oneroster::models::{SingleUserDType, UserDType, UserSetDType};
use ims_buildrs_example::oneroster::server::{RosteringService, router};
use ims_buildrs_example::oneroster::{BASE_PATH, DISCOVERY_PATH, operations, scopes};
use ims_runtime::authorization_server::{AuthorizationServer, NewClient, SqliteStore};
use ims_runtime::client::{
    ApiClient, ApiError, ClientAuth, ClientCredentialsSource, ClientSecret, ListQuery,
    TokenSourceOptions,
};
use ims_runtime::discovery::Deployment;
use ims_runtime::imsx::ImsError;
use ims_runtime::query::CollectionQuery;
use ims_runtime::resource_server::AuthLayer;
use ims_runtime::server::{Listed, RequestContext, ServiceRouter, select};
use ims_runtime::tls::serve_tls;
use ims_runtime::tls::testing::shared_dev_pem;

/// Two users; nothing else of the Rostering service.
struct UsersOnly {
    users: Vec<UserDType>,
}

fn user(id: &str, given: &str) -> UserDType {
    serde_json::from_value(serde_json::json!({
        "sourcedId": id,
        "status": "active",
        "dateLastModified": "2027-08-14T09:30:00Z",
        "enabledUser": "true",
        "givenName": given,
        "familyName": "Okafor",
        "roles": [{
            "roleType": "primary",
            "role": "student",
            "org": {"href": "https://example.edu/orgs/school-1", "sourcedId": "school-1", "type": "org"}
        }]
    }))
    .unwrap()
}

impl RosteringService for UsersOnly {
    async fn get_all_users(
        &self,
        _ctx: RequestContext,
        query: CollectionQuery,
    ) -> Result<Listed<UserSetDType>, ImsError> {
        let selection = select(&self.users, &query);
        Ok(Listed::new(
            UserSetDType {
                users: Some(selection.items),
            },
            selection.total,
        ))
    }

    async fn get_user(
        &self,
        _ctx: RequestContext,
        sourced_id: String,
    ) -> Result<SingleUserDType, ImsError> {
        self.users
            .iter()
            .find(|u| u.sourced_id == sourced_id)
            .map(|u| SingleUserDType { user: u.clone() })
            .ok_or_else(|| ImsError::unknown_object(format!("no user has sourcedId {sourced_id}")))
    }
}

struct Running {
    origin: String,
    ca_pem: Vec<u8>,
    authz: AuthorizationServer,
    _dir: tempfile::TempDir,
}

/// When the router learns what is not implemented.
#[derive(Clone, Copy)]
enum Declared {
    BeforeDiscovery,
    AfterDiscovery,
}

/// Serves `UsersOnly` with `declare` applied to its router (e.g. `implemented_only`) before or
/// after `with_discovery`.
async fn start(declare: impl FnOnce(ServiceRouter) -> ServiceRouter, when: Declared) -> Running {
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("https://{}", listener.local_addr().unwrap());
    let store = Arc::new(SqliteStore::open(&dir.path().join("authz.sqlite")).unwrap());
    let authz = AuthorizationServer::builder(origin.clone(), store)
        .scopes([scopes::ROSTER_CORE_READONLY, scopes::ROSTER_READONLY])
        .build()
        .await
        .unwrap();
    let service = UsersOnly {
        users: vec![user("u-1", "Ada"), user("u-2", "Chidi")],
    };
    let deployment = Deployment::new(origin.parse().unwrap());
    let auth = AuthLayer::new(Arc::new(authz.local_verifier().unwrap()), "oneroster");
    let api = match when {
        Declared::BeforeDiscovery => declare(router(service))
            .with_auth(auth)
            .with_discovery(&deployment)
            .unwrap(),
        Declared::AfterDiscovery => declare(
            router(service)
                .with_auth(auth)
                .with_discovery(&deployment)
                .unwrap(),
        ),
    }
    .into_router();
    let app = authz.router().merge(api);
    let pem = shared_dev_pem().unwrap();
    let tls = pem.tls_config().unwrap();
    tokio::spawn(async move {
        serve_tls(listener, app, tls, std::future::pending::<()>())
            .await
            .unwrap();
    });
    Running {
        origin,
        ca_pem: pem.ca_cert.as_bytes().to_vec(),
        authz,
        _dir: dir,
    }
}

async fn client(running: &Running) -> RosteringClient {
    let issued = running
        .authz
        .create_client(NewClient::client_credentials([
            scopes::ROSTER_CORE_READONLY,
            scopes::ROSTER_READONLY,
        ]))
        .await
        .unwrap();
    let options = TokenSourceOptions {
        http: ApiClient::default_policy().with_ca_pem(running.ca_pem.clone()),
        ..TokenSourceOptions::default()
    };
    let source = ClientCredentialsSource::new(
        &format!("{}/token", running.origin),
        issued.client_id.clone(),
        ClientAuth::ClientSecretBasic(ClientSecret::new(issued.client_secret.clone().unwrap())),
        options,
    )
    .unwrap();
    RosteringClient::with_policy(
        &running.origin,
        Arc::new(source),
        ApiClient::default_policy().with_ca_pem(running.ca_pem.clone()),
    )
    .unwrap()
}

fn http(running: &Running) -> reqwest::Client {
    reqwest::Client::builder()
        .tls_backend_preconfigured(ims_runtime::tls::client_config(Some(&running.ca_pem)).unwrap())
        .build()
        .unwrap()
}

/// The `paths` keys of the served discovery document.
async fn discovered_paths(running: &Running) -> BTreeSet<String> {
    let url = format!(
        "{}{BASE_PATH}{}",
        running.origin,
        DISCOVERY_PATH.expect("OneRoster 1.2 has a discovery endpoint")
    );
    let response = http(running).get(url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let sdd: serde_json::Value = response.json().await.unwrap();
    sdd["paths"].as_object().unwrap().keys().cloned().collect()
}

fn assert_unsupported(result: Result<impl std::fmt::Debug, ApiError>, id: &str) {
    match result {
        Err(ApiError::Unsupported {
            operation,
            status,
            info,
        }) => {
            assert_eq!(operation, id);
            assert_eq!(status, 501);
            let info = info.expect("an imsx_StatusInfo body");
            assert_eq!(
                info.description.as_deref(),
                Some(format!("{id} is not implemented by this provider").as_str())
            );
        }
        other => panic!("{id}: expected ApiError::Unsupported, got {other:?}"),
    }
}

#[tokio::test]
async fn two_implemented_operations_answer_and_the_others_are_typed_unsupported() {
    let running = start(|r| r, Declared::BeforeDiscovery).await;
    let client = client(&running).await;

    let page = client.get_all_users(ListQuery::new()).await.unwrap();
    assert_eq!(page.total, Some(2));
    assert_eq!(page.body.users.unwrap().len(), 2);
    let one = client.get_user("u-2", None).await.unwrap();
    assert_eq!(one.user.given_name, "Chidi");
    let missing = client.get_user("u-9", None).await.unwrap_err();
    assert!(!missing.is_unsupported(), "{missing}");
    assert_eq!(missing.code_minor(), Some("unknownobject"));

    assert_unsupported(
        client.get_all_classes(ListQuery::new()).await,
        "getAllClasses",
    );
    assert_unsupported(client.get_class("c-1", None).await, "getClass");
    assert_unsupported(
        client.get_classes_for_user("u-1", ListQuery::new()).await,
        "getClassesForUser",
    );

    // The implementer declared nothing: the discovery document lists every operation.
    let paths = discovered_paths(&running).await;
    assert!(paths.contains("/users"), "{paths:?}");
    assert!(paths.contains("/classes"), "{paths:?}");
    assert!(
        paths.contains("/users/{userSourcedId}/classes"),
        "{paths:?}"
    );
}

#[tokio::test]
async fn implemented_only_leaves_the_others_out_of_discovery_and_answers_them_501() {
    let running = start(
        |r| r.implemented_only(&[&operations::GET_ALL_USERS, &operations::GET_USER]),
        Declared::BeforeDiscovery,
    )
    .await;
    let client = client(&running).await;

    let paths = discovered_paths(&running).await;
    let discovery = DISCOVERY_PATH.unwrap().to_owned();
    assert_eq!(
        paths,
        BTreeSet::from([
            "/users".to_owned(),
            "/users/{sourcedId}".to_owned(),
            discovery
        ])
    );
    assert_eq!(
        client.get_all_users(ListQuery::new()).await.unwrap().total,
        Some(2)
    );
    assert_unsupported(
        client.get_all_classes(ListQuery::new()).await,
        "getAllClasses",
    );

    // Left-out operations stay behind the authentication of the service.
    let r = http(&running)
        .get(format!("{}{BASE_PATH}/classes", running.origin))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn not_implemented_after_with_discovery_still_leaves_the_operations_out() {
    let running = start(
        |r| r.not_implemented(&[&operations::GET_ALL_CLASSES, &operations::GET_USER]),
        Declared::AfterDiscovery,
    )
    .await;
    let paths = discovered_paths(&running).await;
    assert!(!paths.contains("/classes"), "{paths:?}");
    assert!(!paths.contains("/users/{sourcedId}"), "{paths:?}");
    assert!(paths.contains("/classes/{sourcedId}"), "{paths:?}");
    assert!(paths.contains("/users"), "{paths:?}");
    // A declared operation answers 501 even when the service implements it, so the document
    // and the behaviour agree.
    let client = client(&running).await;
    assert_unsupported(client.get_user("u-1", None).await, "getUser");
    assert_eq!(
        client.get_all_users(ListQuery::new()).await.unwrap().total,
        Some(2)
    );
}
