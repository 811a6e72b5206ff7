//! Shared by the `client_api_*` tests: one loopback-TLS axum app with a token endpoint and the
//! API routes the tests call, request counters, and an `ApiClient` wired to it.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Form, Query};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use ims_runtime::client::{
    ApiClient, ClientAuth, ClientCredentialsSource, ClientSecret, HttpPolicy, RetryPolicy,
    TokenSourceOptions,
};
use ims_runtime::tls::testing::TestServer;
use serde::Deserialize;
use serde_json::json;

/// Records in the collection.
pub const TOTAL: u64 = 1_050;
/// The scope the token endpoint refuses with `invalid_scope`.
pub const BAD_SCOPE: &str = "https://example.test/scope/unknown";
/// A scope it grants.
pub const GOOD_SCOPE: &str = "https://example.test/scope/roster.readonly";

/// One record as served.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Rec {
    /// Its index.
    pub id: u64,
}

/// The page wrapper (like `UserSetDType`).
#[derive(Debug, Clone, Deserialize)]
pub struct Recs {
    /// The records.
    pub users: Option<Vec<Rec>>,
}

/// Counters by route name, and what the token endpoint was asked.
#[derive(Default)]
pub struct Seen {
    hits: Mutex<HashMap<String, usize>>,
    /// `scope` of each token request, in order.
    pub token_scopes: Mutex<Vec<String>>,
    /// `Authorization` of each API request, in order.
    pub authorizations: Mutex<Vec<Option<String>>>,
    /// Raw request targets seen by the echo route.
    pub echoed: Mutex<Vec<String>>,
}

impl Seen {
    fn hit(&self, name: &str) -> usize {
        let mut m = self.hits.lock().unwrap();
        let n = m.entry(name.to_owned()).or_default();
        *n += 1;
        *n
    }
    /// How often `name` was requested.
    pub fn hits(&self, name: &str) -> usize {
        self.hits.lock().unwrap().get(name).copied().unwrap_or(0)
    }
}

#[derive(Deserialize)]
struct Paging {
    limit: Option<u64>,
    offset: Option<u64>,
}

fn page(p: &Paging) -> (u64, u64, serde_json::Value) {
    let limit = p.limit.unwrap_or(100);
    let offset = p.offset.unwrap_or(0);
    let end = (offset + limit).min(TOTAL);
    let users: Vec<_> = (offset.min(TOTAL)..end).map(|i| json!({"id": i})).collect();
    (limit, offset, json!({ "users": users }))
}

fn json_response(status: StatusCode, headers: &[(&str, String)], body: String) -> Response {
    let mut b = Response::builder()
        .status(status)
        .header("content-type", "application/json");
    for (k, v) in headers {
        b = b.header(*k, v.as_str());
    }
    b.body(axum::body::Body::from(body)).unwrap()
}

/// The test server and what it has seen.
pub struct Fixture {
    /// The server.
    pub server: TestServer,
    /// What it saw.
    pub seen: Arc<Seen>,
}

impl Fixture {
    /// An `ApiClient` for `https://127.0.0.1:port` with a client-credentials source on `/token`.
    pub fn client(&self) -> ApiClient {
        self.client_with(ApiClient::default_policy())
    }

    /// As [`Self::client`] with a policy (the test CA is added).
    pub fn client_with(&self, policy: HttpPolicy) -> ApiClient {
        let policy = policy.with_ca_pem(self.server.ca_pem().to_vec());
        let source = ClientCredentialsSource::new(
            &self.server.url("/token"),
            "client",
            ClientAuth::ClientSecretBasic(ClientSecret::new("secret")),
            TokenSourceOptions {
                http: policy.clone(),
                ..TokenSourceOptions::default()
            },
        )
        .unwrap();
        ApiClient::new(&self.server.url(""), Arc::new(source), policy)
            .unwrap()
            .with_retry(RetryPolicy {
                base_delay: Duration::from_millis(10),
                ..RetryPolicy::default()
            })
    }
}

/// Starts the app.
pub async fn start() -> Fixture {
    let seen = Arc::new(Seen::default());
    let s = seen.clone();
    let app = Router::new()
        .route(
            "/token",
            post({
                let s = s.clone();
                move |Form(form): Form<Vec<(String, String)>>| {
                    let scope = form
                        .iter()
                        .find(|(k, _)| k == "scope")
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default();
                    s.token_scopes.lock().unwrap().push(scope.clone());
                    async move {
                        if scope.split(' ').any(|x| x == BAD_SCOPE) {
                            return json_response(
                                StatusCode::BAD_REQUEST,
                                &[],
                                json!({"error": "invalid_scope"}).to_string(),
                            );
                        }
                        json_response(
                            StatusCode::OK,
                            &[],
                            json!({"access_token": format!("tok {scope}").replace(' ', "_"), "token_type": "Bearer", "expires_in": 3600, "scope": scope}).to_string(),
                        )
                    }
                }
            }),
        )
        // Link rel=next (origin-relative, as the IMS servers send it) plus X-Total-Count.
        .route(
            "/api/link/users",
            get({
                let s = s.clone();
                move |headers: HeaderMap, Query(p): Query<Paging>| {
                    s.hit("link");
                    s.authorizations.lock().unwrap().push(
                        headers
                            .get("authorization")
                            .map(|v| v.to_str().unwrap().to_owned()),
                    );
                    async move {
                        let (limit, offset, body) = page(&p);
                        let mut links =
                            vec![format!("</api/link/users?limit={limit}&offset=0>; rel=\"first\"")];
                        if offset + limit < TOTAL {
                            links.push(format!(
                                "</api/link/users?limit={limit}&offset={}>; rel=\"next\"",
                                offset + limit
                            ));
                        }
                        json_response(
                            StatusCode::OK,
                            &[("x-total-count", TOTAL.to_string()), ("link", links.join(", "))],
                            body.to_string(),
                        )
                    }
                }
            }),
        )
        // No Link, X-Total-Count only.
        .route(
            "/api/total/users",
            get({
                let s = s.clone();
                move |Query(p): Query<Paging>| {
                    s.hit("total");
                    async move {
                        let (_, _, body) = page(&p);
                        json_response(StatusCode::OK, &[("x-total-count", TOTAL.to_string())], body.to_string())
                    }
                }
            }),
        )
        // Neither Link nor X-Total-Count: a short page ends paging.
        .route(
            "/api/bare/users",
            get({
                let s = s.clone();
                move |Query(p): Query<Paging>| {
                    s.hit("bare");
                    async move { json_response(StatusCode::OK, &[], page(&p).2.to_string()) }
                }
            }),
        )
        // next points to the page itself.
        .route(
            "/api/loop/users",
            get({
                let s = s.clone();
                move |uri: Uri| {
                    s.hit("loop");
                    async move {
                        json_response(
                            StatusCode::OK,
                            &[("link", format!("<{uri}>; rel=\"next\""))],
                            json!({"users": [{"id": 1}, {"id": 2}]}).to_string(),
                        )
                    }
                }
            }),
        )
        // Always a next page: only the page bound stops it.
        .route(
            "/api/endless/users",
            get({
                let s = s.clone();
                move |Query(p): Query<Paging>| {
                    let n = s.hit("endless");
                    async move {
                        let offset = p.offset.unwrap_or(0);
                        json_response(
                            StatusCode::OK,
                            &[("link", format!("<?offset={}>; rel=\"next\"", offset + 1))],
                            json!({"users": [{"id": n}]}).to_string(),
                        )
                    }
                }
            }),
        )
        // next to another origin.
        .route(
            "/api/foreign/users",
            get(|| async {
                json_response(
                    StatusCode::OK,
                    &[("link", "<https://attacker.example/steal>; rel=\"next\"".to_owned())],
                    json!({"users": [{"id": 1}]}).to_string(),
                )
            }),
        )
        // 429 with Retry-After: 1, then 200.
        .route(
            "/api/busy-once",
            get({
                let s = s.clone();
                move || {
                    let n = s.hit("busy-once");
                    async move {
                        if n == 1 {
                            return json_response(
                                StatusCode::TOO_MANY_REQUESTS,
                                &[("retry-after", "1".to_owned())],
                                String::new(),
                            );
                        }
                        json_response(StatusCode::OK, &[], json!({"users": []}).to_string())
                    }
                }
            }),
        )
        // 503 every time, for any method.
        .route(
            "/api/unavailable",
            get({
                let s = s.clone();
                move || {
                    s.hit("unavailable");
                    async { StatusCode::SERVICE_UNAVAILABLE }
                }
            })
            .post({
                let s = s.clone();
                move || {
                    s.hit("unavailable");
                    async { StatusCode::SERVICE_UNAVAILABLE }
                }
            }),
        )
        // An imsx_StatusInfo error.
        .route(
            "/api/missing",
            get(|| async {
                let info = ims_runtime::imsx::ImsError::unknown_object("no user with that sourcedId")
                    .to_status_info();
                json_response(
                    StatusCode::NOT_FOUND,
                    &[],
                    serde_json::to_string(&info).unwrap(),
                )
            }),
        )
        // A body that does not match `Recs`.
        .route(
            "/api/wrong-type",
            get(|| async {
                json_response(StatusCode::OK, &[], json!({"users": [{"id": 1}, {"id": "two"}]}).to_string())
            }),
        )
        // A large body.
        .route(
            "/api/large",
            get(|| async {
                json_response(StatusCode::OK, &[], format!("{{\"users\":[],\"pad\":\"{}\"}}", "x".repeat(100_000)))
            }),
        )
        .route(
            "/api/redirect",
            get(|| async { Redirect::temporary("/api/link/users") }),
        )
        // Echoes the raw request target.
        .fallback({
            let s = s.clone();
            move |uri: Uri| {
                // HTTP/2 requests carry an absolute URI: keep the request target.
                let target = uri.path_and_query().map(|p| p.to_string()).unwrap_or_default();
                s.echoed.lock().unwrap().push(target.clone());
                async move { (StatusCode::OK, [("content-type", "application/json")], json!({"target": target}).to_string()).into_response() }
            }
        });
    let server = TestServer::start(app).await.unwrap();
    Fixture { server, seen }
}

/// Scope alternatives granted right away.
pub const GOOD: &[&[&str]] = &[&[GOOD_SCOPE]];
