//! Harness of the LTI tool-side tests: a platform stand-in (its keys, a JWKS endpoint on
//! loopback TLS that can rotate, and `id_token`s the test signs itself), and the tool's routes
//! served over TLS with an application that shows what it was handed.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::future::BoxFuture;
use ims_runtime::client::HttpPolicy;
use ims_runtime::lti::*;
use ims_runtime::resource_server::{Clock, ManualClock};
use ims_runtime::tls::testing::TestServer;
use jsonwebtoken::Algorithm;
use serde_json::{Value, json};

use crate::common::{TestKey, jwks, rsa_key, sign_raw};

pub const ISSUER: &str = "https://platform.example.edu";
pub const CLIENT_ID: &str = "tool-client-1";
pub const DEPLOYMENT: &str = "deployment-1";
pub const AUTH_ENDPOINT: &str = "https://platform.example.edu/lti/authorize";
pub const TOKEN_ENDPOINT: &str = "https://platform.example.edu/oauth/token";
pub const REDIRECT_URI: &str = "https://tool.example.edu/lti/launch";
pub const RESOURCE_TARGET: &str = "https://tool.example.edu/lti/resource";
pub const DEEP_LINK_TARGET: &str = "https://tool.example.edu/lti/deep-link";
pub const RETURN_URL: &str = "https://platform.example.edu/deep-link/return";
pub const INSTRUCTOR: &str = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor";

/// The platform's JWKS endpoint: the document it serves can be replaced (rotation), and fetches
/// are counted.
pub struct PlatformJwks {
    pub server: TestServer,
    pub doc: Arc<Mutex<Value>>,
    pub hits: Arc<AtomicUsize>,
}

impl PlatformJwks {
    pub async fn start(initial: Value) -> Self {
        let doc = Arc::new(Mutex::new(initial));
        let hits = Arc::new(AtomicUsize::new(0));
        let (d, h) = (doc.clone(), hits.clone());
        let app = Router::new().route(
            "/jwks",
            get(move || {
                h.fetch_add(1, Ordering::SeqCst);
                let body = d.lock().unwrap().to_string();
                async move { ([("content-type", "application/json")], body) }
            }),
        );
        Self {
            server: TestServer::start(app).await.unwrap(),
            doc,
            hits,
        }
    }

    pub fn set(&self, doc: Value) {
        *self.doc.lock().unwrap() = doc;
    }

    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

/// An application that answers each launch with a page naming what it received, and answers
/// a deep-linking launch with one content item.
pub struct EchoApp {
    pub tool_keys: Arc<ToolKeys>,
    pub clock: Arc<ManualClock>,
}

impl LtiToolApp for EchoApp {
    fn resource_link(&self, launch: ResourceLinkLaunch) -> BoxFuture<'static, Response> {
        let c = &launch.claims;
        let body = format!(
            "resource link {} for {} in {} (instructor: {})",
            launch.resource_link.id,
            c.user.sub,
            c.context.as_ref().map(|x| x.id.as_str()).unwrap_or("-"),
            c.has_role("Instructor"),
        );
        Box::pin(async move { body.into_response() })
    }

    fn deep_linking(&self, launch: DeepLinkingLaunch) -> BoxFuture<'static, Response> {
        let key = self.tool_keys.active();
        let now = self.clock.now_unix();
        let response = DeepLinkingResponse::new(
            &launch,
            vec![ContentItem::lti_resource_link("Quiz 1", RESOURCE_TARGET)],
        )
        .into_form(&key, now)
        .unwrap();
        Box::pin(async move { response })
    }
}

pub struct Options {
    /// Keys inline in the registration instead of at the JWKS URL.
    pub inline_jwks: bool,
    pub refresh_interval: Duration,
    pub store: Arc<dyn LaunchStore>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            inline_jwks: false,
            refresh_interval: Duration::ZERO,
            store: Arc::new(MemoryLaunchStore::new()),
        }
    }
}

pub struct Harness {
    pub platform_key: TestKey,
    pub jwks: PlatformJwks,
    pub tool: Arc<LtiTool>,
    pub tool_keys: Arc<ToolKeys>,
    pub server: TestServer,
    pub clock: Arc<ManualClock>,
}

/// What login initiation gave the browser.
#[derive(Clone, Debug)]
pub struct Login {
    pub state: String,
    pub nonce: String,
    pub cookie_name: String,
    pub cookie_value: String,
    pub target_link_uri: String,
}

pub fn real_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

pub fn registration(key_source: PlatformKeySource) -> PlatformRegistration {
    PlatformRegistration {
        issuer: ISSUER.into(),
        client_id: CLIENT_ID.into(),
        deployment_ids: vec![DEPLOYMENT.into()],
        authorization_endpoint: AUTH_ENDPOINT.into(),
        token_endpoint: TOKEN_ENDPOINT.into(),
        keys: key_source,
    }
}

impl Harness {
    pub async fn start() -> Self {
        Self::start_with(Options::default()).await
    }

    pub async fn start_with(options: Options) -> Self {
        let platform_key = rsa_key("platform-k1");
        let jwks_server = PlatformJwks::start(jwks(&[&platform_key])).await;
        let key_source = if options.inline_jwks {
            PlatformKeySource::Jwks(jwks(&[&platform_key]))
        } else {
            PlatformKeySource::JwksUri(jwks_server.server.url("/jwks"))
        };
        let registry = StaticPlatformRegistry::new([registration(key_source)]).unwrap();
        let clock = Arc::new(ManualClock::new(real_now()));
        let tool_keys = Arc::new(ToolKeys::new(ToolKey::generate(Algorithm::ES256).unwrap()));
        let policy = HttpPolicy::default().with_ca_pem(jwks_server.server.ca_pem().to_vec());
        let tool = LtiTool::new(
            LtiToolConfig::new(
                REDIRECT_URI,
                vec![RESOURCE_TARGET.into(), DEEP_LINK_TARGET.into()],
            ),
            Arc::new(registry),
            options.store,
            tool_keys.clone(),
            policy,
        )
        .unwrap()
        .with_rules(LaunchRules::default().with_clock(clock.clone()))
        .with_jwks_min_refresh_interval(options.refresh_interval);
        let tool = Arc::new(tool);
        let app = Arc::new(EchoApp {
            tool_keys: tool_keys.clone(),
            clock: clock.clone(),
        });
        let server = TestServer::start(tool.router(app, &LtiPaths::default()))
            .await
            .unwrap();
        Self {
            platform_key,
            jwks: jwks_server,
            tool,
            tool_keys,
            server,
            clock,
        }
    }

    pub fn now(&self) -> i64 {
        self.clock.now_unix()
    }

    /// Login initiation over HTTP (GET); panics unless it redirects.
    pub async fn login(&self, target_link_uri: &str) -> Login {
        let response = self
            .server
            .client()
            .get(self.server.url("/lti/login"))
            .query(&[
                ("iss", ISSUER),
                ("login_hint", "user-17"),
                ("target_link_uri", target_link_uri),
                ("lti_message_hint", "msg-5"),
                ("client_id", CLIENT_ID),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 302, "{}", response.text().await.unwrap());
        login_from_redirect(&response, target_link_uri)
    }

    /// Login initiation in-process.
    pub async fn login_direct(&self, target_link_uri: &str) -> Login {
        let redirect = self
            .tool
            .begin_login(&LoginInitiation {
                iss: ISSUER.into(),
                login_hint: "user-17".into(),
                target_link_uri: target_link_uri.into(),
                lti_message_hint: None,
                client_id: Some(CLIENT_ID.into()),
                lti_deployment_id: None,
            })
            .await
            .unwrap();
        let q: HashMap<String, String> = redirect.location.query_pairs().into_owned().collect();
        Login {
            state: redirect.state.clone(),
            nonce: q["nonce"].clone(),
            cookie_name: redirect.cookie_name.clone(),
            cookie_value: redirect.cookie_value.clone(),
            target_link_uri: target_link_uri.into(),
        }
    }

    /// Valid claims of a resource-link launch answering `login`.
    pub fn resource_link_claims(&self, login: &Login) -> Value {
        let now = self.now();
        json!({
            "iss": ISSUER,
            "aud": CLIENT_ID,
            "sub": "user-17",
            "iat": now,
            "exp": now + 300,
            "nonce": login.nonce,
            "name": "Ada Lovelace",
            "https://purl.imsglobal.org/spec/lti/claim/message_type": "LtiResourceLinkRequest",
            "https://purl.imsglobal.org/spec/lti/claim/version": "1.3.0",
            "https://purl.imsglobal.org/spec/lti/claim/deployment_id": DEPLOYMENT,
            "https://purl.imsglobal.org/spec/lti/claim/target_link_uri": login.target_link_uri,
            "https://purl.imsglobal.org/spec/lti/claim/resource_link": {"id": "link-1", "title": "Quiz"},
            "https://purl.imsglobal.org/spec/lti/claim/roles": [INSTRUCTOR],
            "https://purl.imsglobal.org/spec/lti/claim/context": {"id": "course-1", "label": "MATH 101"},
            "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": {
                "scope": ["https://purl.imsglobal.org/spec/lti-ags/scope/score"],
                "lineitems": "https://platform.example.edu/courses/course-1/lineitems"
            },
            "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice": {
                "context_memberships_url": "https://platform.example.edu/courses/course-1/memberships",
                "service_versions": ["2.0"]
            },
            "https://purl.imsglobal.org/spec/lti/claim/custom": {"chapter": "3"}
        })
    }

    /// Valid claims of a deep-linking launch answering `login`.
    pub fn deep_linking_claims(&self, login: &Login) -> Value {
        let mut c = self.resource_link_claims(login);
        let o = c.as_object_mut().unwrap();
        o.remove("https://purl.imsglobal.org/spec/lti/claim/resource_link");
        o.insert(
            "https://purl.imsglobal.org/spec/lti/claim/message_type".into(),
            json!("LtiDeepLinkingRequest"),
        );
        o.insert(
            "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings".into(),
            json!({
                "deep_link_return_url": RETURN_URL,
                "accept_types": ["ltiResourceLink", "link"],
                "accept_presentation_document_targets": ["iframe", "window"],
                "accept_multiple": true,
                "data": "opaque-platform-data"
            }),
        );
        c
    }

    /// `claims` signed by the platform key with its `kid`.
    pub fn sign(&self, claims: &Value) -> String {
        sign_with(&self.platform_key, claims)
    }

    /// The launch form POST, with the state cookie when `with_cookie`.
    pub async fn post_launch(
        &self,
        login: &Login,
        id_token: &str,
        with_cookie: bool,
    ) -> reqwest::Response {
        let mut request = self
            .server
            .client()
            .post(self.server.url("/lti/launch"))
            .form(&[("id_token", id_token), ("state", login.state.as_str())]);
        if with_cookie {
            request = request.header(
                "cookie",
                format!("other=1; {}={}", login.cookie_name, login.cookie_value),
            );
        }
        request.send().await.unwrap()
    }

    /// The launch in-process, with the right cookie.
    pub async fn launch_direct(
        &self,
        login: &Login,
        id_token: &str,
    ) -> Result<Launch, LaunchError> {
        self.tool
            .launch(
                &login.state,
                id_token,
                BrowserProof::Cookie(Some(&login.cookie_value)),
            )
            .await
    }

    /// A fresh in-process login answered by `claims` changed by `change`.
    pub async fn launch_with(
        &self,
        change: impl FnOnce(&mut serde_json::Map<String, Value>),
    ) -> Result<Launch, LaunchError> {
        let login = self.login_direct(RESOURCE_TARGET).await;
        let mut claims = self.resource_link_claims(&login);
        change(claims.as_object_mut().unwrap());
        let token = self.sign(&claims);
        self.launch_direct(&login, &token).await
    }
}

/// `claims` signed by `key` with header `{alg, typ: JWT, kid}`.
pub fn sign_with(key: &TestKey, claims: &Value) -> String {
    let header = json!({"alg": format!("{:?}", key.alg), "typ": "JWT", "kid": key.kid});
    sign_raw(
        header.to_string().as_bytes(),
        claims.to_string().as_bytes(),
        &key.encoding,
        key.alg,
    )
}

/// Reads state, nonce and the state cookie from a login redirect.
pub fn login_from_redirect(response: &reqwest::Response, target_link_uri: &str) -> Login {
    let location = response.headers()["location"].to_str().unwrap();
    let url = url::Url::parse(location).unwrap();
    let q: HashMap<String, String> = url.query_pairs().into_owned().collect();
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    let (pair, _) = cookie.split_once(';').unwrap();
    let (name, value) = pair.split_once('=').unwrap();
    Login {
        state: q["state"].clone(),
        nonce: q["nonce"].clone(),
        cookie_name: name.to_owned(),
        cookie_value: value.to_owned(),
        target_link_uri: target_link_uri.to_owned(),
    }
}
