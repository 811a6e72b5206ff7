//! LTI Dynamic Registration 1.0 end to end over real TLS on loopback: a fresh tool (its
//! `ToolRegistrar` page, `FilePlatformRegistry` and `LtiTool`) registers with a fresh platform
//! (an embedded `AuthorizationServer`, a `PlatformRegistrar` and an OpenID configuration route),
//! then obtains an AGS token by client assertion with keys nobody copied; and every part of
//! DR-17 (issuer on another origin, token reused or expired, tool configuration missing, plain
//! http endpoints) as a named test; and a tool registered with the runtime's own platform
//! (`LtiPlatform`'s OpenID configuration) launched with what registration found.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::future::BoxFuture;
use ims_runtime::authorization_server::{
    AuthorizationServer, JwksUriPolicy, SigningAlgorithm, SqliteStore,
};
use ims_runtime::client::{HttpPolicy, TokenSource, TokenSourceOptions};
use ims_runtime::lti::dynamic_registration::*;
use ims_runtime::lti::platform::{
    DeepLinkingReturn, LTI_TOOL_CONFIGURATION, LaunchKind, LaunchSpec, LtiPlatform, PlatformApp,
    PlatformConfig, PlatformSessions, ToolKeySource, ToolRegistration,
};
use ims_runtime::lti::*;
use ims_runtime::resource_server::{Clock, ManualClock};
use ims_runtime::tls::testing::shared_dev_pem;
use ims_runtime::tls::{client_config, serve_tls};
use jsonwebtoken::Algorithm;
use serde_json::{Value, json};
use tokio::sync::oneshot;

use crate::lti_support::{EchoApp, real_now};

const SCORE: &str = "https://purl.imsglobal.org/spec/lti-ags/scope/score";
const MEMBERSHIPS: &str =
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly";
const CONFIG_PATH: &str = "/lti/openid-configuration";
const REGISTER_PATH: &str = "/lti/register";
const TEN_MINUTES: Duration = Duration::from_secs(600);

/// A router served over TLS on `127.0.0.1:0`, built once its origin is known.
struct Served {
    origin: String,
    _stop: oneshot::Sender<()>,
}

async fn serve(build: impl FnOnce(&str) -> Router) -> Served {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("https://{}", listener.local_addr().unwrap());
    let router = build(&origin);
    let tls = shared_dev_pem().unwrap().tls_config().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(serve_tls(listener, router, tls, async move {
        let _ = stopped.await;
    }));
    Served {
        origin,
        _stop: stop,
    }
}

fn ca_pem() -> Vec<u8> {
    shared_dev_pem().unwrap().ca_cert.as_bytes().to_vec()
}

/// A browser (or the test itself) trusting the development CA.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .tls_backend_preconfigured(client_config(Some(&ca_pem())).unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .https_only(true)
        .build()
        .unwrap()
}

/// The platform: an authorization server, its registration endpoint and an OpenID
/// configuration the tests may tamper with.
struct Platform {
    served: Served,
    authz: AuthorizationServer,
    registrar: Arc<PlatformRegistrar>,
    tokens: Arc<RegistrationTokens>,
    clock: Arc<ManualClock>,
    registered: Arc<Mutex<Vec<ToolRegistration>>>,
    configuration: Arc<Mutex<Value>>,
    _dir: tempfile::TempDir,
}

impl Platform {
    async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let origin = format!("https://{}", listener.local_addr().unwrap());
        let store = Arc::new(SqliteStore::open(&dir.path().join("authz.sqlite")).unwrap());
        let authz = AuthorizationServer::builder(origin.clone(), store)
            .scopes(LTI_SERVICE_SCOPES)
            // The tool's JWKS is on loopback and signed by the development CA.
            .jwks_uri_policy(JwksUriPolicy {
                allow_private_addresses: true,
                ca_pem: Some(ca_pem()),
                trust_loopback_certificates: false,
            })
            .build()
            .await
            .unwrap();
        let clock = Arc::new(ManualClock::new(real_now()));
        let tokens = Arc::new(RegistrationTokens::new().with_clock(clock.clone()));
        let registered: Arc<Mutex<Vec<ToolRegistration>>> = Arc::default();
        let seen = registered.clone();
        let registrar = Arc::new(PlatformRegistrar::new(
            authz.clone(),
            origin.clone(),
            tokens.clone(),
            Arc::new(move |tool: &ToolRegistration| seen.lock().unwrap().push(tool.clone())),
        ));
        let configuration = Arc::new(Mutex::new(openid_configuration(&origin)));
        let doc = configuration.clone();
        let router = authz.router().merge(registrar.router(REGISTER_PATH)).route(
            CONFIG_PATH,
            get(move || {
                let body = doc.lock().unwrap().to_string();
                async move { ([("content-type", "application/json")], body) }
            }),
        );
        let tls = shared_dev_pem().unwrap().tls_config().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(serve_tls(listener, router, tls, async move {
            let _ = stopped.await;
        }));
        Self {
            served: Served {
                origin,
                _stop: stop,
            },
            authz,
            registrar,
            tokens,
            clock,
            registered,
            configuration,
            _dir: dir,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.served.origin)
    }

    fn issuer(&self) -> &str {
        &self.served.origin
    }

    fn set_member(&self, member: &str, value: Value) {
        self.configuration.lock().unwrap()[member] = value;
    }

    /// POSTs `body` to the registration endpoint with `token` as the bearer token.
    async fn post_registration(&self, token: Option<&str>, body: &Value) -> reqwest::Response {
        let mut request = browser().post(self.url(REGISTER_PATH)).json(body);
        if let Some(t) = token {
            request = request.bearer_auth(t);
        }
        request.send().await.unwrap()
    }
}

/// What the platform publishes (OIDC Discovery plus the LTI platform configuration).
fn openid_configuration(origin: &str) -> Value {
    json!({
        "issuer": origin,
        "authorization_endpoint": format!("{origin}/authorize"),
        "token_endpoint": format!("{origin}/token"),
        "jwks_uri": format!("{origin}/jwks.json"),
        "registration_endpoint": format!("{origin}{REGISTER_PATH}"),
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["id_token"],
        "scopes_supported": ["openid", SCORE, MEMBERSHIPS],
        LTI_PLATFORM_CONFIGURATION: {
            "product_family_code": "ims-runtime-test",
            "version": "1",
            "messages_supported": [{"type": "LtiResourceLinkRequest"}, {"type": "LtiDeepLinkingRequest"}]
        }
    })
}

/// The tool: its registration page, durable registry, LTI routes and keys.
struct Tool {
    served: Served,
    registry: Arc<FilePlatformRegistry>,
    lti: Arc<LtiTool>,
    config: ToolRegistrarConfig,
    registry_file: PathBuf,
    _dir: tempfile::TempDir,
}

impl Tool {
    async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let registry_file = dir.path().join("platforms.json");
        let registry = Arc::new(FilePlatformRegistry::open(&registry_file).unwrap());
        let tool_keys = Arc::new(ToolKeys::new(ToolKey::generate(Algorithm::RS256).unwrap()));
        let policy = HttpPolicy::default().with_ca_pem(ca_pem());
        let mut parts = None;
        let served = serve(|origin| {
            let config = ToolRegistrarConfig::new(
                "Quiz tool",
                format!("{origin}/lti/login"),
                vec![format!("{origin}/lti/launch")],
                format!("{origin}/lti/resource"),
                format!("{origin}/lti/jwks"),
            )
            .with_deep_linking_uri(format!("{origin}/lti/deep-link"));
            let lti = Arc::new(
                LtiTool::new(
                    LtiToolConfig::new(
                        format!("{origin}/lti/launch"),
                        vec![
                            format!("{origin}/lti/resource"),
                            format!("{origin}/lti/deep-link"),
                        ],
                    ),
                    registry.clone(),
                    Arc::new(MemoryLaunchStore::new()),
                    tool_keys.clone(),
                    policy.clone(),
                )
                .unwrap(),
            );
            let registrar = Arc::new(
                ToolRegistrar::new(config.clone(), registry.clone(), policy.clone()).unwrap(),
            );
            let app = Arc::new(EchoApp {
                tool_keys: tool_keys.clone(),
                clock: Arc::new(ManualClock::new(real_now())),
            });
            let router = lti
                .router(app, &LtiPaths::default())
                .merge(registrar.router(REGISTER_PATH));
            parts = Some((lti, config));
            router
        })
        .await;
        let (lti, config) = parts.unwrap();
        Self {
            served,
            registry,
            lti,
            config,
            registry_file,
            _dir: dir,
        }
    }

    /// Opens the registration page as the platform's administrator would.
    async fn open_registration(
        &self,
        openid_configuration: &str,
        token: Option<&str>,
    ) -> (u16, String) {
        let mut query = vec![("openid_configuration", openid_configuration)];
        if let Some(t) = token {
            query.push(("registration_token", t));
        }
        let response = browser()
            .get(format!("{}{REGISTER_PATH}", self.served.origin))
            .query(&query)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    }

    /// The registration request this tool sends (for tests that talk to the platform directly).
    fn request_body(&self) -> Value {
        self.config
            .registration_request(&[SCORE.to_owned(), MEMBERSHIPS.to_owned()])
    }
}

#[tokio::test]
async fn a_fresh_tool_registers_with_a_fresh_platform_and_gets_an_ags_token_without_copied_keys() {
    let platform = Platform::start().await;
    let tool = Tool::start().await;
    // The platform's administrator starts the registration: the browser goes to the tool's
    // registration URL with the two parameters of LTI-DR §3.3.
    let start = platform
        .registrar
        .initiation_url(
            &format!("{}{REGISTER_PATH}", tool.served.origin),
            &platform.url(CONFIG_PATH),
            TEN_MINUTES,
        )
        .unwrap();
    let response = browser().get(&start).send().await.unwrap();
    let status = response.status().as_u16();
    let page = response.text().await.unwrap();
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("org.imsglobal.lti.close"), "{page}");
    assert!(page.contains("window.opener || window.parent"), "{page}");

    // The platform stored one tool, told the application, and keeps it as an AS client.
    let registered = platform.registered.lock().unwrap().clone();
    assert_eq!(registered.len(), 1);
    let on_platform = &registered[0];
    assert!(page.contains(&on_platform.client_id), "{page}");
    assert_eq!(on_platform.name, "Quiz tool");
    assert_eq!(
        on_platform.keys,
        ToolKeySource::JwksUri(format!("{}/lti/jwks", tool.served.origin))
    );
    assert_eq!(
        on_platform.deep_linking_uri.as_deref(),
        Some(format!("{}/lti/deep-link", tool.served.origin).as_str())
    );
    assert_eq!(on_platform.scopes, [SCORE, MEMBERSHIPS]);
    let client = platform
        .authz
        .client(&on_platform.client_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        ToolRegistration::from_client(&client).as_ref(),
        Some(on_platform)
    );

    // The tool trusts the platform at once, and durably.
    let on_tool = tool
        .lti
        .registry()
        .find(platform.issuer(), &on_platform.client_id)
        .expect("the LtiTool sees the new platform");
    assert_eq!(
        on_tool.deployment_ids,
        vec![on_platform.deployment_id.clone()]
    );
    assert_eq!(on_tool.token_endpoint, platform.url("/token"));
    assert_eq!(
        on_tool.keys,
        PlatformKeySource::JwksUri(platform.url("/jwks.json"))
    );
    let reopened = FilePlatformRegistry::open(&tool.registry_file).unwrap();
    assert_eq!(reopened.registrations(), tool.registry.registrations());

    // An AGS token by client assertion: the platform fetches the tool's JWKS itself.
    let source = tool
        .lti
        .service_token_source(
            &on_tool,
            TokenSourceOptions {
                http: HttpPolicy::default().with_ca_pem(ca_pem()),
                ..TokenSourceOptions::default()
            },
        )
        .unwrap();
    let access = source.token(&[SCORE]).await.unwrap();
    assert_eq!(access.scopes(), [SCORE.to_owned()]);
    let claims = platform
        .authz
        .verify_access_token(access.secret())
        .await
        .unwrap()
        .expect("a token the platform issued");
    assert_eq!(claims.client_id, on_platform.client_id);
}

#[tokio::test]
async fn dr_17_an_issuer_on_another_origin_aborts_the_registration() {
    let platform = Platform::start().await;
    let tool = Tool::start().await;
    let token = platform.tokens.issue(TEN_MINUTES);
    let other_port = format!("https://127.0.0.1:{}", free_port());
    for issuer in ["https://platform.example.edu", other_port.as_str()] {
        platform.set_member("issuer", json!(issuer));
        let (status, page) = tool
            .open_registration(&platform.url(CONFIG_PATH), Some(&token))
            .await;
        assert_eq!(status, 400, "{page}");
        assert!(page.contains("not on the origin"), "{page}");
    }
    assert!(tool.registry.registrations().is_empty());
    assert!(platform.registered.lock().unwrap().is_empty());
    assert_eq!(
        platform.tokens.check(&token),
        Ok(()),
        "nothing was posted to the platform"
    );
}

#[tokio::test]
async fn dr_17_a_reused_registration_token_is_refused_with_401() {
    let platform = Platform::start().await;
    let tool = Tool::start().await;
    let token = platform.tokens.issue(TEN_MINUTES);
    let body = tool.request_body();
    assert_eq!(
        platform
            .post_registration(Some(&token), &body)
            .await
            .status(),
        201
    );
    let again = platform.post_registration(Some(&token), &body).await;
    assert_eq!(again.status(), 401);
    assert_eq!(
        again.headers()["www-authenticate"],
        "Bearer error=\"invalid_token\""
    );
    let error: Value = again.json().await.unwrap();
    assert_eq!(error["error"], "invalid_token");
    assert!(
        error["error_description"]
            .as_str()
            .unwrap()
            .contains("already used"),
        "{error}"
    );
    assert_eq!(platform.registered.lock().unwrap().len(), 1);

    // Through the tool's page the reuse is a page saying the platform refused.
    let (status, page) = tool
        .open_registration(&platform.url(CONFIG_PATH), Some(&token))
        .await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("HTTP 401"), "{page}");
    assert!(tool.registry.registrations().is_empty());
}

#[tokio::test]
async fn dr_17_concurrent_registrations_with_one_token_register_exactly_one_tool() {
    let platform = Arc::new(Platform::start().await);
    let tool = Tool::start().await;
    let token = platform.tokens.issue(TEN_MINUTES);
    let body = tool.request_body();
    let attempts: Vec<_> = (0..8)
        .map(|_| {
            let (platform, token, body) = (platform.clone(), token.clone(), body.clone());
            tokio::spawn(async move {
                platform
                    .post_registration(Some(&token), &body)
                    .await
                    .status()
                    .as_u16()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for a in attempts {
        statuses.push(a.await.unwrap());
    }
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 401, 401, 401, 401, 401, 401, 401]);
    assert_eq!(platform.registered.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn dr_17_an_expired_registration_token_is_refused_with_401() {
    let platform = Platform::start().await;
    let tool = Tool::start().await;
    let token = platform.tokens.issue(TEN_MINUTES);
    platform.clock.set(platform.clock.now_unix() + 601);
    let refused = platform
        .post_registration(Some(&token), &tool.request_body())
        .await;
    assert_eq!(refused.status(), 401);
    let error: Value = refused.json().await.unwrap();
    assert!(
        error["error_description"]
            .as_str()
            .unwrap()
            .contains("expired"),
        "{error}"
    );
    assert!(platform.registered.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_missing_or_unknown_registration_token_is_refused_with_401() {
    let platform = Platform::start().await;
    let tool = Tool::start().await;
    for token in [None, Some("never-issued")] {
        let refused = platform
            .post_registration(token, &tool.request_body())
            .await;
        assert_eq!(refused.status(), 401, "{token:?}");
    }
    assert!(platform.registered.lock().unwrap().is_empty());
}

#[tokio::test]
async fn dr_17_a_registration_without_the_lti_tool_configuration_or_a_required_member_is_refused_with_400()
 {
    let platform = Platform::start().await;
    let tool = Tool::start().await;
    let token = platform.tokens.issue(TEN_MINUTES);
    let top_level = [
        "application_type",
        "response_types",
        "grant_types",
        "initiate_login_uri",
        "redirect_uris",
        "jwks_uri",
        "token_endpoint_auth_method",
        LTI_TOOL_CONFIGURATION,
    ];
    for member in top_level {
        let mut body = tool.request_body();
        body.as_object_mut().unwrap().remove(member);
        assert_invalid_metadata(&platform, &token, &body, &format!("{member} is missing")).await;
    }
    for member in ["domain", "target_link_uri", "messages", "claims"] {
        let mut body = tool.request_body();
        body[LTI_TOOL_CONFIGURATION]
            .as_object_mut()
            .unwrap()
            .remove(member);
        let named = format!("{LTI_TOOL_CONFIGURATION}.{member} is missing");
        assert_invalid_metadata(&platform, &token, &body, &named).await;
    }
    let wrong: [(&str, Value, &str); 5] = [
        (
            "application_type",
            json!("native"),
            "application_type must be \"web\"",
        ),
        (
            "response_types",
            json!(["code"]),
            "response_types must contain \"id_token\"",
        ),
        (
            "grant_types",
            json!(["implicit"]),
            "grant_types must contain \"client_credentials\"",
        ),
        (
            "token_endpoint_auth_method",
            json!("client_secret_basic"),
            "token_endpoint_auth_method must be \"private_key_jwt\"",
        ),
        (
            "redirect_uris",
            json!(["http://tool.example/launch"]),
            "redirect_uris must hold absolute https URLs only",
        ),
    ];
    for (member, value, named) in wrong {
        let mut body = tool.request_body();
        body[member] = value;
        assert_invalid_metadata(&platform, &token, &body, named).await;
    }
    assert!(platform.registered.lock().unwrap().is_empty());
    // None of those burned the administrator's token.
    assert_eq!(
        platform
            .post_registration(Some(&token), &tool.request_body())
            .await
            .status(),
        201
    );
}

async fn assert_invalid_metadata(platform: &Platform, token: &str, body: &Value, named: &str) {
    let refused = platform.post_registration(Some(token), body).await;
    assert_eq!(refused.status(), 400, "{named}");
    let error: Value = refused.json().await.unwrap();
    assert_eq!(error["error"], "invalid_client_metadata", "{named}");
    let description = error["error_description"].as_str().unwrap();
    assert!(description.contains(named), "{named}: {description}");
}

#[tokio::test]
async fn dr_17_plain_http_platform_endpoints_abort_the_registration() {
    let platform = Platform::start().await;
    let tool = Tool::start().await;
    let token = platform.tokens.issue(TEN_MINUTES);
    let good = openid_configuration(platform.issuer());
    for member in [
        "authorization_endpoint",
        "token_endpoint",
        "jwks_uri",
        "registration_endpoint",
    ] {
        *platform.configuration.lock().unwrap() = good.clone();
        let plain = good[member]
            .as_str()
            .unwrap()
            .replace("https://", "http://");
        platform.set_member(member, json!(plain));
        let (status, page) = tool
            .open_registration(&platform.url(CONFIG_PATH), Some(&token))
            .await;
        assert_eq!(status, 400, "{member}: {page}");
        assert!(
            page.contains(&format!("{member} is not an absolute https URL")),
            "{member}: {page}"
        );
    }
    *platform.configuration.lock().unwrap() = good.clone();
    platform.set_member(
        "issuer",
        json!(platform.issuer().replace("https://", "http://")),
    );
    let (status, page) = tool
        .open_registration(&platform.url(CONFIG_PATH), Some(&token))
        .await;
    assert_eq!(status, 400, "{page}");
    assert!(
        page.contains("issuer is not an absolute https URL"),
        "{page}"
    );

    let plain_configuration = platform.url(CONFIG_PATH).replace("https://", "http://");
    let (status, page) = tool
        .open_registration(&plain_configuration, Some(&token))
        .await;
    assert_eq!(status, 400, "{page}");
    assert!(
        page.contains("openid_configuration must be an absolute https URL"),
        "{page}"
    );

    assert!(tool.registry.registrations().is_empty());
    assert!(platform.registered.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_configuration_that_is_not_an_lti_platform_aborts_the_registration() {
    let platform = Platform::start().await;
    let tool = Tool::start().await;
    let token = platform.tokens.issue(TEN_MINUTES);
    platform
        .configuration
        .lock()
        .unwrap()
        .as_object_mut()
        .unwrap()
        .remove(LTI_PLATFORM_CONFIGURATION);
    let (status, page) = tool
        .open_registration(&platform.url(CONFIG_PATH), Some(&token))
        .await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("not an LTI platform"), "{page}");
    let (status, page) = tool.open_registration("", None).await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("openid_configuration"), "{page}");
    assert!(tool.registry.registrations().is_empty());
}

#[tokio::test]
async fn scopes_the_platform_does_not_offer_are_dropped_and_the_grant_is_echoed() {
    let platform = Platform::start().await;
    let tool = Tool::start().await;
    let token = platform.tokens.issue(TEN_MINUTES);
    let mut body = tool.request_body();
    body["scope"] = json!(format!("{SCORE} https://example.com/scope/everything"));
    let created = platform.post_registration(Some(&token), &body).await;
    assert_eq!(created.status(), 201);
    let answer: Value = created.json().await.unwrap();
    assert_eq!(answer["scope"], SCORE);
    let client_id = answer["client_id"].as_str().unwrap();
    let deployment_id = answer[LTI_TOOL_CONFIGURATION]["deployment_id"]
        .as_str()
        .unwrap();
    let stored = platform.registered.lock().unwrap()[0].clone();
    assert_eq!(stored.client_id, client_id);
    assert_eq!(stored.deployment_id, deployment_id);
    assert_eq!(stored.scopes, [SCORE]);
    assert_eq!(
        answer[LTI_TOOL_CONFIGURATION]["domain"],
        tool.config.domain.as_str()
    );
}

/// A port nothing listens on (bound, then released).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn the_initiation_url_keeps_the_tools_query_and_refuses_a_plain_http_tool() {
    let platform = Platform::start().await;
    let url = platform
        .registrar
        .initiation_url(
            "https://tool.example/register?tenant=7",
            &platform.url(CONFIG_PATH),
            TEN_MINUTES,
        )
        .unwrap();
    let parsed = url::Url::parse(&url).unwrap();
    let query: std::collections::HashMap<String, String> =
        parsed.query_pairs().into_owned().collect();
    assert_eq!(query["tenant"], "7");
    assert_eq!(query["openid_configuration"], platform.url(CONFIG_PATH));
    assert_eq!(platform.tokens.check(&query["registration_token"]), Ok(()));
    for bad in [
        "http://tool.example/register",
        "https://tool.example/r#x",
        "not a url",
    ] {
        assert!(
            platform
                .registrar
                .initiation_url(bad, &platform.url(CONFIG_PATH), TEN_MINUTES)
                .is_err(),
            "{bad}"
        );
    }
}

/// The runtime's platform (`lti::platform::LtiPlatform`) signs its users in by this cookie here.
const PLATFORM_USER_COOKIE: &str = "platform_user";

struct CookieSessions;

impl PlatformSessions for CookieSessions {
    fn signed_in_user<'a>(
        &'a self,
        headers: &'a axum::http::HeaderMap,
    ) -> BoxFuture<'a, Option<String>> {
        let user = headers
            .get_all("cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|p| p.trim().split_once('='))
            .find(|(k, _)| *k == PLATFORM_USER_COOKIE)
            .map(|(_, v)| v.to_owned());
        Box::pin(async move { user })
    }
}

struct NoDeepLinking;

impl PlatformApp for NoDeepLinking {
    fn deep_linking_returned(&self, _: DeepLinkingReturn) -> BoxFuture<'static, Response> {
        Box::pin(async { StatusCode::NOT_FOUND.into_response() })
    }
}

/// The action and fields of an auto-submitting form page.
fn read_form(html: &str) -> (String, Vec<(String, String)>) {
    fn attribute(tag: &str, name: &str) -> Option<String> {
        let marker = format!("{name}=\"");
        let start = tag.find(&marker)? + marker.len();
        let end = tag[start..].find('"')?;
        Some(
            tag[start..start + end]
                .replace("&#x2f;", "/")
                .replace("&#47;", "/")
                .replace("&#x27;", "'")
                .replace("&#39;", "'")
                .replace("&quot;", "\"")
                .replace("&#34;", "\"")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&#43;", "+")
                .replace("&#x3d;", "=")
                .replace("&amp;", "&"),
        )
    }
    let form = html
        .split("<form")
        .nth(1)
        .unwrap()
        .split('>')
        .next()
        .unwrap();
    let fields = html
        .split("<input")
        .skip(1)
        .filter_map(|t| {
            let tag = t.split('>').next()?;
            Some((attribute(tag, "name")?, attribute(tag, "value")?))
        })
        .collect();
    (attribute(form, "action").unwrap(), fields)
}

#[tokio::test]
async fn a_tool_registered_with_the_runtime_platform_is_launched_with_the_keys_registration_found()
{
    // The platform: LtiPlatform with its own OpenID configuration (listing our registration
    // endpoint), the authorization server, and the PlatformRegistrar.
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("https://{}", listener.local_addr().unwrap());
    let store = Arc::new(SqliteStore::open(&dir.path().join("authz.sqlite")).unwrap());
    let authz = AuthorizationServer::builder(origin.clone(), store)
        .scopes(LTI_SERVICE_SCOPES)
        .signing_algorithm(SigningAlgorithm::RS256)
        .jwks_uri_policy(JwksUriPolicy {
            allow_private_addresses: true,
            ca_pem: Some(ca_pem()),
            trust_loopback_certificates: false,
        })
        .build()
        .await
        .unwrap();
    let registrar = Arc::new(PlatformRegistrar::new(
        authz.clone(),
        origin.clone(),
        Arc::new(RegistrationTokens::new()),
        Arc::new(|_: &ToolRegistration| {}),
    ));
    let mut config = PlatformConfig::new(origin.clone());
    config.registration_endpoint = Some(format!("{origin}{REGISTER_PATH}"));
    let openid_configuration = config.url(&config.paths.openid_configuration);
    let platform = LtiPlatform::new(
        authz,
        config,
        Arc::new(CookieSessions),
        Arc::new(NoDeepLinking),
    )
    .unwrap();
    let router = platform
        .router_with_authorization_server()
        .merge(registrar.router(REGISTER_PATH));
    let tls = shared_dev_pem().unwrap().tls_config().unwrap();
    let (_stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(serve_tls(listener, router, tls, async move {
        let _ = stopped.await;
    }));

    // Registration, from the platform's initiation URL to the tool's page.
    let tool = Tool::start().await;
    let start = registrar
        .initiation_url(
            &format!("{}{REGISTER_PATH}", tool.served.origin),
            &openid_configuration,
            TEN_MINUTES,
        )
        .unwrap();
    let page = browser().get(&start).send().await.unwrap();
    assert_eq!(page.status(), 200, "{}", page.text().await.unwrap());
    let on_tool = tool.registry.registrations()[0].clone();
    assert_eq!(on_tool.issuer, origin);
    let registered = platform.tool(&on_tool.client_id).await.unwrap().unwrap();
    assert_eq!(
        on_tool.deployment_ids,
        vec![registered.deployment_id.clone()]
    );

    // A resource-link launch: the platform's form to the tool's login, the tool's redirect to
    // the platform's authorization endpoint, the id_token form-posted back to the tool.
    let spec = LaunchSpec {
        user_id: "learner-7".into(),
        roles: vec!["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner".into()],
        name: Some("Ada Lovelace".into()),
        given_name: None,
        family_name: None,
        email: None,
        context: Context {
            id: "c-1".into(),
            label: Some("MATH 101".into()),
            title: None,
            types: vec![],
        },
        resource_link: Some(ResourceLink {
            id: "link-1".into(),
            title: Some("Quiz".into()),
            description: None,
        }),
        kind: LaunchKind::ResourceLink,
        ags: None,
        nrps: None,
        custom: Default::default(),
        target_link_uri: None,
    };
    let started = platform.start_launch(&registered, spec).unwrap();
    let html = axum::body::to_bytes(started.into_body(), 1 << 20)
        .await
        .unwrap();
    let (action, fields) = read_form(std::str::from_utf8(&html).unwrap());
    assert_eq!(action, registered.initiate_login_uri);
    let login = browser().post(&action).form(&fields).send().await.unwrap();
    assert_eq!(login.status(), 302, "{}", login.text().await.unwrap());
    let location = login.headers()["location"].to_str().unwrap().to_owned();
    let state_cookie = login.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    assert!(
        location.starts_with(&on_tool.authorization_endpoint),
        "{location}"
    );
    let answer = browser()
        .get(&location)
        .header("cookie", format!("{PLATFORM_USER_COOKIE}=learner-7"))
        .send()
        .await
        .unwrap();
    let (launch_url, launch_fields) = read_form(&answer.text().await.unwrap());
    assert!(launch_fields.iter().any(|(k, _)| k == "id_token"));
    let launched = browser()
        .post(&launch_url)
        .header("cookie", state_cookie)
        .form(&launch_fields)
        .send()
        .await
        .unwrap();
    assert_eq!(launched.status(), 200);
    assert_eq!(
        launched.text().await.unwrap(),
        "resource link link-1 for learner-7 in c-1 (instructor: false)"
    );
}
