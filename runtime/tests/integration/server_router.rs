//! `ims_runtime::server` end to end over loopback TLS: a small hand-written service shaped like a
//! generated one (handlers built from `RequestInput`, `#[ims_scope]`, `respond`, `select`),
//! mounted by `ServiceRouter` behind a real `AuthLayer`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use common::*;
use ims_runtime::catalogue::{ParamLocation, ParamStyle};
use ims_runtime::discovery::Deployment;
use ims_runtime::imsx::ImsError;
use ims_runtime::resource_server::{AuthLayer, JwtRules, KeySet, LocalJwtVerifier, ManualClock};
use ims_runtime::server::{
    JsonBody, Listed, RequestContext, RequestInput, ServiceRouter, respond, select,
};
use ims_runtime::tls::testing::TestServer;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

const BASE: &str = "/ims/test/v1p0";
const DISCOVERY: &str = "/discovery/openapi.json";
const SDD: &str = r#"{"openapi":"3.0.1","info":{"title":"t","version":"1"},"servers":[{"url":"https://placeholder"}],"paths":{}}"#;
const FIELDS: &[&str] = &["sourcedId", "givenName", "familyName", "role"];

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct User {
    sourced_id: String,
    given_name: String,
    family_name: String,
    role: String,
}

#[derive(Serialize)]
struct UserSet {
    users: Vec<User>,
}

#[derive(Serialize)]
struct SingleUser {
    user: User,
}

struct Store {
    users: Vec<User>,
}

fn user(id: &str, given: &str, family: &str, role: &str) -> User {
    User {
        sourced_id: id.into(),
        given_name: given.into(),
        family_name: family.into(),
        role: role.into(),
    }
}

impl Store {
    fn list(&self, query: &ims_runtime::query::CollectionQuery) -> Listed<UserSet> {
        let page = select(&self.users, query);
        Listed::new(UserSet { users: page.items }, page.total)
    }
}

#[ims_runtime::ims_scope(ROSTER_RO, ROSTER_CREATEPUT)]
async fn get_all_users(
    State(store): State<Arc<Store>>,
    _ctx: RequestContext,
    input: RequestInput,
) -> Result<Response, ImsError> {
    let query = input.collection_query(FIELDS)?;
    let out = store.list(&query);
    Ok(respond::collection(
        &out,
        &query,
        &input,
        Some("users"),
        FIELDS,
    ))
}

#[ims_runtime::ims_scope(ROSTER_RO)]
async fn get_user(
    State(store): State<Arc<Store>>,
    _ctx: RequestContext,
    input: RequestInput,
) -> Result<Response, ImsError> {
    let id: String =
        input.required_param(ParamLocation::Path, "p0", "sourcedId", ParamStyle::Scalar)?;
    let fields = input.fields()?;
    let found = store
        .users
        .iter()
        .find(|u| u.sourced_id == id)
        .cloned()
        .ok_or_else(|| ImsError::unknown_object(format!("no user '{id}'")))?;
    Ok(respond::json(
        respond::status(200),
        &SingleUser { user: found },
        fields.as_ref(),
        Some("user"),
        FIELDS,
    ))
}

#[ims_runtime::ims_scope(ROSTER_CREATEPUT)]
async fn put_user(
    State(_store): State<Arc<Store>>,
    _ctx: RequestContext,
    input: RequestInput,
    body: JsonBody<User>,
) -> Result<Response, ImsError> {
    let id: String =
        input.required_param(ParamLocation::Path, "p0", "sourcedId", ParamStyle::Scalar)?;
    let limit: Option<u32> =
        input.param(ParamLocation::Query, "limit", "limit", ParamStyle::Scalar)?;
    Ok(respond::json(
        respond::status(201),
        &json!({"path": id, "body": body.0, "limit": limit}),
        None,
        None,
        &[],
    ))
}

async fn whoami(ctx: RequestContext) -> Result<Response, ImsError> {
    Ok(respond::json(
        respond::status(200),
        &json!({"authenticated": ctx.principal.is_some()}),
        None,
        None,
        &[],
    ))
}

fn service_router() -> ServiceRouter {
    let store = Arc::new(Store {
        users: vec![
            user("u1", "Ada", "Lovelace", "student"),
            user("u2", "Alan", "Turing", "teacher"),
            user("u3", "Grace", "Hopper", "student"),
        ],
    });
    ServiceRouter::new(BASE, SDD, Some(DISCOVERY))
        .route(
            http::Method::GET,
            "/users",
            true,
            axum::routing::get(get_all_users).with_state(store.clone()),
        )
        .route(
            http::Method::GET,
            "/users/{sourcedId}",
            true,
            axum::routing::get(get_user).with_state(store.clone()),
        )
        .route(
            http::Method::PUT,
            "/users/{id}",
            true,
            axum::routing::put(put_user).with_state(store.clone()),
        )
        .route(
            http::Method::GET,
            "/users/{userSourcedId}/whoami",
            false,
            axum::routing::get(whoami),
        )
}

fn auth(key: &TestKey) -> AuthLayer {
    let set = KeySet::from_jwks_json(jwks(&[key]).to_string().as_bytes()).unwrap();
    let clock = Arc::new(ManualClock::new(NOW));
    AuthLayer::new(
        Arc::new(LocalJwtVerifier::new(
            set,
            JwtRules::new(ISS, AUD).with_clock(clock),
        )),
        "test",
    )
}

struct Fixture {
    server: TestServer,
    key: TestKey,
}

async fn fixture() -> Fixture {
    let key = ec_key("k1");
    let deployment = Deployment::new("https://api.example.edu".parse().unwrap());
    let router = service_router()
        .with_auth(auth(&key))
        .with_discovery(&deployment)
        .unwrap()
        .into_router();
    Fixture {
        server: TestServer::start(router).await.unwrap(),
        key,
    }
}

struct Answer {
    status: u16,
    headers: http::HeaderMap,
    json: Value,
}

async fn call(
    f: &Fixture,
    method: http::Method,
    path: &str,
    scope: Option<&str>,
    body: Option<(&str, &str)>,
) -> Answer {
    let mut req = f
        .server
        .client()
        .request(method, f.server.url(&format!("{BASE}{path}")));
    if let Some(scope) = scope {
        req = req.bearer_auth(good_token(&f.key, scope));
    }
    if let Some((content_type, text)) = body {
        req = req
            .header("content-type", content_type)
            .body(text.to_owned());
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let text = res.text().await.unwrap();
    Answer {
        status,
        headers,
        json: serde_json::from_str(&text).unwrap_or(Value::Null),
    }
}

async fn get(f: &Fixture, path: &str) -> Answer {
    call(f, http::Method::GET, path, Some(ROSTER_RO), None).await
}

fn assert_imsx(a: &Answer, status: u16, code_minor: &str) {
    assert_eq!(a.status, status, "{}", a.json);
    assert_eq!(a.json["imsx_codeMajor"], "failure", "{}", a.json);
    assert_eq!(
        a.json["imsx_codeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"], code_minor,
        "{}",
        a.json
    );
}

#[tokio::test]
async fn protected_operations_need_a_token() {
    let f = fixture().await;
    let a = call(&f, http::Method::GET, "/users", None, None).await;
    assert_imsx(&a, 401, "unauthorisedrequest");
    assert_eq!(a.headers["www-authenticate"], "Bearer realm=\"test\"");
}

#[tokio::test]
async fn missing_scope_is_403_naming_every_alternative() {
    let f = fixture().await;
    let a = call(&f, http::Method::GET, "/users", Some("other"), None).await;
    assert_imsx(&a, 403, "forbidden");
    assert_eq!(
        a.headers["www-authenticate"],
        format!(
            "Bearer realm=\"test\", error=\"insufficient_scope\", scope=\"{ROSTER_RO} {ROSTER_CREATEPUT}\""
        )
    );
    assert_eq!(
        a.json["imsx_description"],
        format!("insufficient scope: requires one of: {ROSTER_RO}, {ROSTER_CREATEPUT}")
    );
}

#[tokio::test]
async fn collection_has_total_count_and_links_on_the_request_path() {
    let f = fixture().await;
    let a = get(&f, "/users?sort=familyName&limit=2&offset=0&x=1").await;
    assert_eq!(a.status, 200, "{}", a.json);
    assert_eq!(a.headers["x-total-count"], "3");
    assert_eq!(a.headers["content-type"], "application/json");
    let names: Vec<&str> = a.json["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["familyName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Hopper", "Lovelace"]);
    let link = a.headers["link"].to_str().unwrap();
    assert!(
        link.contains(&format!(
            "<{BASE}/users?sort=familyName&orderBy=asc&x=1&limit=2&offset=2>; rel=\"next\""
        )),
        "{link}"
    );
    assert!(
        link.contains("rel=\"first\"") && link.contains("rel=\"last\""),
        "{link}"
    );
    assert!(!link.contains("rel=\"prev\""), "{link}");

    let a = get(&f, "/users?filter=role%3D%27student%27&limit=1&offset=1").await;
    assert_eq!(a.headers["x-total-count"], "2");
    assert_eq!(a.json["users"][0]["sourcedId"], "u3");
    assert!(a.headers["link"].to_str().unwrap().contains("rel=\"prev\""));
}

#[tokio::test]
async fn bad_collection_parameters_are_400_with_their_code_minor() {
    let f = fixture().await;
    assert_imsx(
        &get(&f, "/users?filter=role%3D").await,
        400,
        "invalid_filter_field",
    );
    let a = get(&f, "/users?filter=password%3D%27x%27").await;
    assert_imsx(&a, 400, "invalid_filter_field");
    assert!(
        a.json["imsx_description"]
            .as_str()
            .unwrap()
            .contains("password")
    );
    assert_imsx(
        &get(&f, "/users?fields=").await,
        400,
        "invalid_selection_field",
    );
    assert_imsx(&get(&f, "/users?limit=x").await, 400, "invaliddata");
    assert_imsx(&get(&f, "/users?offset=-1").await, 400, "invaliddata");
    // An unknown sort field is not an error: the default order is kept.
    let a = get(&f, "/users?sort=shoeSize").await;
    assert_eq!(a.status, 200);
    assert_eq!(a.json["users"][0]["sourcedId"], "u1");
}

#[tokio::test]
async fn fields_project_inside_the_wrapper() {
    let f = fixture().await;
    let a = get(&f, "/users?fields=givenName,shoeSize&limit=1").await;
    assert_eq!(a.json, json!({"users": [{"givenName": "Ada"}]}));
    // Only unknown names: every member comes back.
    let a = get(&f, "/users?fields=shoeSize&limit=1").await;
    assert_eq!(a.json["users"][0]["familyName"], "Lovelace");
    let a = get(&f, "/users/u2?fields=familyName").await;
    assert_eq!(a.status, 200);
    assert_eq!(a.json, json!({"user": {"familyName": "Turing"}}));
    assert_imsx(
        &get(&f, "/users/u2?fields=%20").await,
        400,
        "invalid_selection_field",
    );
    assert_imsx(&get(&f, "/users/nobody").await, 404, "unknownobject");
}

#[tokio::test]
async fn unknown_paths_are_imsx_404_and_wrong_methods_405_with_allow() {
    let f = fixture().await;
    let a = get(&f, "/nothing/here").await;
    assert_imsx(&a, 404, "unknownobject");
    let res = f
        .server
        .client()
        .get(f.server.url("/elsewhere"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let a = call(&f, http::Method::DELETE, "/users", Some(ROSTER_RO), None).await;
    assert_imsx(&a, 405, "invaliddata");
    let allow = a.headers["allow"].to_str().unwrap();
    assert!(allow.contains("GET"), "{allow}");
    // No token needed to learn that the method is wrong.
    let a = call(&f, http::Method::POST, "/users/u1", None, None).await;
    assert_eq!(a.status, 405);
    let allow = a.headers["allow"].to_str().unwrap();
    assert!(allow.contains("GET") && allow.contains("PUT"), "{allow}");
}

#[tokio::test]
async fn request_bodies_answer_415_400_422() {
    let f = fixture().await;
    let put = |ct: &'static str, body: &'static str| {
        let f = &f;
        async move {
            call(
                f,
                http::Method::PUT,
                "/users/a%20b?limit=7",
                Some(ROSTER_CREATEPUT),
                Some((ct, body)),
            )
            .await
        }
    };
    let good = r#"{"sourcedId":"a b","givenName":"A","familyName":"B","role":"student"}"#;
    let a = put("application/json", good).await;
    assert_eq!(a.status, 201, "{}", a.json);
    assert_eq!(a.json["path"], "a b");
    assert_eq!(a.json["limit"], 7);
    assert_eq!(a.json["body"]["givenName"], "A");
    assert_imsx(&put("text/plain", good).await, 415, "invaliddata");
    assert_imsx(&put("application/json", "{").await, 400, "invaliddata");
    let a = put("application/json", r#"{"sourcedId":1}"#).await;
    assert_imsx(&a, 422, "invaliddata");
    let a = call(
        &f,
        http::Method::PUT,
        "/users/x?limit=lots",
        Some(ROSTER_CREATEPUT),
        Some(("application/json", good)),
    )
    .await;
    assert_imsx(&a, 400, "invaliddata");
    assert!(
        a.json["imsx_description"]
            .as_str()
            .unwrap()
            .contains("'limit'")
    );
}

#[tokio::test]
async fn oversized_bodies_are_413() {
    let key = ec_key("k1");
    let router = service_router()
        .with_auth(auth(&key))
        .with_body_limit(64)
        .into_router();
    let f = Fixture {
        server: TestServer::start(router).await.unwrap(),
        key,
    };
    let big = format!(r#"{{"sourcedId":"{}"}}"#, "x".repeat(100));
    let a = call(
        &f,
        http::Method::PUT,
        "/users/x",
        Some(ROSTER_CREATEPUT),
        Some(("application/json", &big)),
    )
    .await;
    assert_imsx(&a, 413, "invaliddata");
}

#[tokio::test]
async fn public_operations_and_discovery_need_no_token() {
    let f = fixture().await;
    let a = call(&f, http::Method::GET, "/users/u1/whoami", None, None).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.json["authenticated"], false);

    let url = f.server.url(&format!("{BASE}{DISCOVERY}"));
    let res = f.server.client().get(&url).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    let sdd: Value = res.json().await.unwrap();
    assert_eq!(sdd["servers"][0]["url"], "https://api.example.edu");
    let res = f
        .server
        .client()
        .get(&url)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 304);
}

#[tokio::test]
async fn without_auth_protected_operations_fail_closed() {
    let router = service_router().into_router();
    let server = TestServer::start(router).await.unwrap();
    let key = ec_key("k1");
    let res = server
        .client()
        .get(server.url(&format!("{BASE}/users")))
        .bearer_auth(good_token(&key, ROSTER_RO))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let res = server
        .client()
        .get(server.url(&format!("{BASE}/users/u1/whoami")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[test]
fn duplicate_and_unroutable_operations_are_left_out() {
    let router = service_router()
        .route(
            http::Method::GET,
            "/users/{other}",
            true,
            axum::routing::get(whoami),
        )
        .route(
            http::Method::GET,
            "/files/{name}.json",
            false,
            axum::routing::get(whoami),
        );
    let ops = router.operations();
    assert_eq!(ops.len(), 4, "{ops:?}");
    // Still builds: no conflicting or invalid routes reach axum.
    let _ = router.into_router();
}
