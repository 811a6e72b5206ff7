//! One embedded authorization server per fuzz process (in-memory SQLite, no TLS, no rate
//! limit since requests carry no peer address), driven through its real axum router.
//!
//! Corpus files name the credentials the harness creates at start-up with `$NAME` placeholders
//! ([`Authz::substitutions`]), so a checked-in input can authenticate and reach the grant and
//! token logic behind client authentication.
//!
//! Properties checked besides "no panic":
//! - no answer is a 5xx: the store is in memory and cannot fail, so a 500 is a bug;
//! - every 400/401 answer is an RFC 6749 §5.2 JSON error (`error` is a string); the router's own
//!   404/405/413 answers are left alone;
//! - no answer echoes a client secret the request did not itself return (`/register` returns
//!   the new client's own secret, which no input knows beforehand).

use std::sync::{Arc, OnceLock};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http_body_util::BodyExt;
use ims_runtime::authorization_server::{
    AuthorizationServer, GrantType, NewClient, SqliteStore, TokenEndpointAuthMethod,
};
use ims_runtime::axum::Router;
use ims_runtime::axum::body::Body;
use ims_runtime::axum::http::{Method, Request, StatusCode};
use tower::ServiceExt;

use crate::http_text::{self, TextRequest};

const ISSUER: &str = "https://as.fuzz.example";
/// The scopes the server knows.
pub const SCOPES: [&str; 3] = [
    "https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly",
    "https://purl.imsglobal.org/spec/or/v1p2/scope/roster.createput",
    "https://purl.imsglobal.org/spec/or/v1p2/scope/gradebook.readonly",
];

/// The running server and what inputs may name.
pub struct Authz {
    runtime: tokio::runtime::Runtime,
    router: Router,
    substitutions: Vec<(String, String)>,
    secrets: Vec<String>,
}

/// The process's server, started on first use.
pub fn authz() -> &'static Authz {
    static AUTHZ: OnceLock<Authz> = OnceLock::new();
    AUTHZ.get_or_init(|| match Authz::start() {
        Ok(a) => a,
        Err(e) => panic!("the fuzz harness could not start the authorization server: {e}"),
    })
}

impl Authz {
    fn start() -> Result<Self, Box<dyn std::error::Error>> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (router, substitutions, secrets) = runtime.block_on(setup())?;
        Ok(Self {
            runtime,
            router,
            substitutions,
            secrets,
        })
    }

    /// `$NAME` → value pairs, longest name first: `$CLIENT_ID`, `$CLIENT_SECRET`, `$BASIC`
    /// (a client_credentials client with client_secret_basic and every scope), `$RS_BASIC`,
    /// `$RS_CLIENT_ID` (a resource server that may introspect any token), `$PKJ_CLIENT_ID` (a
    /// private_key_jwt client), `$ACCESS_TOKEN` (a live token of the first client),
    /// `$REG_CLIENT_ID` and `$REG_TOKEN` (a dynamically registered client and its registration
    /// access token).
    pub fn substitutions(&self) -> &[(String, String)] {
        &self.substitutions
    }

    /// Sends a fuzzed request (placeholders substituted) to `method path`, or to the input's own
    /// request line when `method` is `None`, and checks the answer.
    pub fn exercise(&self, input: &[u8], fixed: Option<(Method, &str)>) {
        let input = http_text::substitute(input, &self.substitutions);
        let TextRequest {
            request_line,
            headers,
            body,
        } = http_text::parse(&input, fixed.is_none());
        let (method, path) = match (fixed, request_line) {
            (Some((m, p)), _) => (m, p.to_owned()),
            (None, Some((m, p))) if p.starts_with("/register") => (m, p),
            (None, _) => return,
        };
        let mut builder = Request::builder().method(method).uri(path.as_str());
        if let Some(h) = builder.headers_mut() {
            h.extend(headers);
        }
        let Ok(request) = builder.body(Body::from(body)) else {
            return; // not a valid URI: hyper would never hand it to the router
        };
        let router = self.router.clone();
        let (status, bytes) = self.runtime.block_on(async move {
            let Ok(response) = router.oneshot(request).await;
            let status = response.status();
            let bytes = match response.into_body().collect().await {
                Ok(b) => b.to_bytes(),
                Err(e) => panic!("the response body failed: {e}"),
            };
            (status, bytes)
        });
        self.check_answer(&path, status, &bytes);
    }

    fn check_answer(&self, path: &str, status: StatusCode, body: &[u8]) {
        let text = String::from_utf8_lossy(body);
        assert!(
            !status.is_server_error(),
            "{path} answered {status}: {text}"
        );
        for secret in &self.secrets {
            assert!(
                !text.contains(secret.as_str()),
                "{path} answered with a client secret in the body ({status})"
            );
        }
        if matches!(status.as_u16(), 400 | 401) {
            let parsed: Result<serde_json::Value, _> = serde_json::from_slice(body);
            assert!(
                parsed.as_ref().is_ok_and(|v| v["error"].is_string()),
                "{path} answered {status} without an OAuth error object: {text}"
            );
        }
    }
}

type Setup = (Router, Vec<(String, String)>, Vec<String>);

async fn setup() -> Result<Setup, Box<dyn std::error::Error>> {
    let store = Arc::new(SqliteStore::in_memory()?);
    let server = AuthorizationServer::builder(ISSUER, store)
        .scopes(SCOPES)
        .build()
        .await?;
    let client = server
        .create_client(NewClient::client_credentials(SCOPES))
        .await?;
    let client_secret = client.client_secret.clone().unwrap_or_default();
    let resource_server = server
        .create_client(NewClient {
            introspect_any: true,
            ..NewClient::client_credentials(SCOPES)
        })
        .await?;
    let rs_secret = resource_server.client_secret.clone().unwrap_or_default();
    // The server's own public keys stand in for the client's: valid keys, and no input can sign.
    let jwks = server.jwks();
    let assertion_alg = jwks["keys"][0]["alg"].as_str().map(str::to_owned);
    let pkj = server
        .create_client(NewClient {
            auth_method: Some(TokenEndpointAuthMethod::PrivateKeyJwt),
            jwks: Some(jwks),
            assertion_alg,
            grant_types: vec![GrantType::ClientCredentials],
            scopes: SCOPES.iter().map(|s| s.to_string()).collect(),
            ..NewClient::default()
        })
        .await?;
    let router = server.router();
    let basic = |id: &str, secret: &str| STANDARD.encode(format!("{id}:{secret}"));
    let access_token = token(&router, &basic(&client.client_id, &client_secret)).await?;
    let (reg_client_id, reg_token) = register(&router).await?;
    let mut substitutions = vec![
        ("CLIENT_ID".to_owned(), client.client_id.clone()),
        ("CLIENT_SECRET".to_owned(), client_secret.clone()),
        ("BASIC".to_owned(), basic(&client.client_id, &client_secret)),
        ("RS_CLIENT_ID".to_owned(), resource_server.client_id.clone()),
        (
            "RS_BASIC".to_owned(),
            basic(&resource_server.client_id, &rs_secret),
        ),
        ("PKJ_CLIENT_ID".to_owned(), pkj.client_id),
        ("ACCESS_TOKEN".to_owned(), access_token),
        ("REG_CLIENT_ID".to_owned(), reg_client_id),
        ("REG_TOKEN".to_owned(), reg_token),
    ];
    substitutions.sort_by_key(|(name, _)| std::cmp::Reverse(name.len()));
    // The registered client's own secret is not listed: RFC 7592 reads return it to its holder.
    Ok((router, substitutions, vec![client_secret, rs_secret]))
}

async fn call(
    router: &Router,
    request: Request<Body>,
) -> Result<(StatusCode, serde_json::Value), Box<dyn std::error::Error>> {
    let Ok(response) = router.clone().oneshot(request).await;
    let status = response.status();
    let bytes = response.into_body().collect().await?.to_bytes();
    Ok((status, serde_json::from_slice(&bytes)?))
}

async fn token(router: &Router, basic: &str) -> Result<String, Box<dyn std::error::Error>> {
    let request = Request::post("/token")
        .header("authorization", format!("Basic {basic}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from("grant_type=client_credentials"))?;
    let (status, v) = call(router, request).await?;
    match v["access_token"].as_str() {
        Some(t) if status == StatusCode::OK => Ok(t.to_owned()),
        _ => Err(format!("the harness's token request failed: {status} {v}").into()),
    }
}

async fn register(router: &Router) -> Result<(String, String), Box<dyn std::error::Error>> {
    let body = serde_json::json!({
        "client_name": "Fuzz Wallet",
        "client_uri": "https://tool.fuzz.example/",
        "logo_uri": "https://tool.fuzz.example/logo.png",
        "tos_uri": "https://tool.fuzz.example/tos",
        "policy_uri": "https://tool.fuzz.example/privacy",
        "software_id": "c88b6ed8-269e-448e-99be-7e2ff47167d1",
        "software_version": "1.0.0",
        "redirect_uris": ["https://tool.fuzz.example/cb"],
        "scope": SCOPES[0],
        "token_endpoint_auth_method": "client_secret_basic",
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "contacts": ["admin@tool.fuzz.example"],
    });
    let request = Request::post("/register")
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))?;
    let (status, v) = call(router, request).await?;
    let field = |name: &str| v[name].as_str().map(str::to_owned);
    match (field("client_id"), field("registration_access_token")) {
        (Some(id), Some(token)) if status == StatusCode::CREATED => Ok((id, token)),
        _ => Err(format!("the harness's registration failed: {status} {v}").into()),
    }
}
