//! Shared harness for the `client_discovery`, `client_registration` and
//! `client_authorization_code` tests: a provider on one TLS origin, as scenario 2 deploys it:
//! the embedded authorization server (open dynamic registration, two users) and an OB 3.0 SDD at
//! its discovery endpoint pointing at it, with request counters per endpoint. The consumer side
//! is the runtime's client, trusting only the development CA.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::extract::Request;
use axum::http::StatusCode as AxumStatus;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use ims_runtime::authorization_server::{
    AuthorizationServer, AuthorizationServerBuilder, SqliteStore, StaticUsers,
};
use ims_runtime::client::{
    AuthorizationCodeEndpoints, AuthorizationCodeSource, ClientMetadata, Discovered,
    DiscoveryClient, HttpPolicy, Registration, RegistrationClient, TokenSourceOptions,
    UserTokenStore,
};
use ims_runtime::discovery::{Deployment, DiscoveryDocument};
use ims_runtime::resource_server::{AuthLayer, Principal};
use ims_runtime::tls::serve_tls;
use ims_runtime::tls::testing::shared_dev_pem;
use reqwest::StatusCode;
use tokio::sync::oneshot;

pub const OB: &str = "https://purl.imsglobal.org/spec/ob/v3p0/scope/";
pub const CRED_RO: &str = "https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.readonly";
pub const CRED_UPSERT: &str = "https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.upsert";
pub const PROFILE_RO: &str = "https://purl.imsglobal.org/spec/ob/v3p0/scope/profile.readonly";
pub const PROFILE_UPDATE: &str = "https://purl.imsglobal.org/spec/ob/v3p0/scope/profile.update";
pub const SCOPES: [&str; 4] = [CRED_RO, CRED_UPSERT, PROFILE_RO, PROFILE_UPDATE];
pub const DISCOVERY_PATH: &str = "/ims/ob/v3p0/discovery";
pub const PROFILE_PATH: &str = "/ims/ob/v3p0/profile";
pub const REDIRECT: &str = "https://wallet.example.com/callback";
pub const ALICE: (&str, &str) = ("alice", "correct horse battery staple");
pub const BOB: (&str, &str) = ("bob", "tr0ub4dor&3");

/// An OB 3.0-shaped SDD of our own (the official file's placeholders replaced by the deployment).
pub const SDD: &str = r#"{
  "openapi": "3.0.1",
  "info": {"title": "Example Badge Host", "version": "1.0", "termsOfService": "https://example.org/tos",
           "x-imssf-privacyPolicyUrl": "https://example.org/privacy"},
  "servers": [{"url": "https://example.org/ims/ob/v3p0"}],
  "paths": {},
  "components": {"securitySchemes": {"OAuth2ACG": {
    "type": "oauth2",
    "x-imssf-registrationUrl": "https://example.org/register",
    "flows": {"authorizationCode": {
      "authorizationUrl": "https://example.org/authorize",
      "tokenUrl": "https://example.org/token",
      "refreshUrl": "https://example.org/token",
      "scopes": {
        "https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.readonly": "read credentials",
        "https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.upsert": "write credentials",
        "https://purl.imsglobal.org/spec/ob/v3p0/scope/profile.readonly": "read the profile",
        "https://purl.imsglobal.org/spec/ob/v3p0/scope/profile.update": "update the profile"
      }
    }}
  }}}
}"#;

/// Requests seen by the provider, per endpoint.
#[derive(Default)]
pub struct Counters {
    pub discovery: AtomicUsize,
    /// Discovery answers `304 Not Modified`.
    pub discovery_304: AtomicUsize,
    pub token: AtomicUsize,
    pub revoke: AtomicUsize,
    pub register: AtomicUsize,
    pub api: AtomicUsize,
}

impl Counters {
    pub fn token(&self) -> usize {
        self.token.load(Ordering::SeqCst)
    }
    pub fn discovery(&self) -> usize {
        self.discovery.load(Ordering::SeqCst)
    }
    pub fn revoke(&self) -> usize {
        self.revoke.load(Ordering::SeqCst)
    }
}

/// A running provider.
pub struct Provider {
    pub server: AuthorizationServer,
    pub issuer: String,
    pub ca_pem: Vec<u8>,
    pub counters: Arc<Counters>,
    pub dir: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
}

impl Drop for Provider {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

/// `GET /ims/ob/v3p0/profile`: who the token belongs to (needs `profile.readonly`).
async fn profile(axum::Extension(who): axum::Extension<Principal>) -> Response {
    if !who.has_scope(PROFILE_RO) {
        return AxumStatus::FORBIDDEN.into_response();
    }
    axum::Json(serde_json::json!({"sub": who.sub, "client_id": who.client_id})).into_response()
}

async fn count(counters: Arc<Counters>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let c = match path.as_str() {
        DISCOVERY_PATH => Some(&counters.discovery),
        "/token" => Some(&counters.token),
        "/revoke" => Some(&counters.revoke),
        "/register" => Some(&counters.register),
        PROFILE_PATH => Some(&counters.api),
        _ => None,
    };
    if let Some(c) = c {
        c.fetch_add(1, Ordering::SeqCst);
    }
    let response = next.run(req).await;
    if path == DISCOVERY_PATH && response.status() == AxumStatus::NOT_MODIFIED {
        counters.discovery_304.fetch_add(1, Ordering::SeqCst);
    }
    response
}

impl Provider {
    /// The provider with the discovery document's default caching (`max-age=300`).
    pub async fn start() -> Self {
        Self::start_with(|d| d).await
    }

    /// The provider, with the discovery document adjusted (e.g. its max-age).
    pub async fn start_with(adjust: impl FnOnce(DiscoveryDocument) -> DiscoveryDocument) -> Self {
        Self::start_configured(|b| b, adjust).await
    }

    /// The provider with its authorization server and discovery document adjusted.
    pub async fn start_configured(
        configure: impl FnOnce(AuthorizationServerBuilder) -> AuthorizationServerBuilder,
        adjust: impl FnOnce(DiscoveryDocument) -> DiscoveryDocument,
    ) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let issuer = format!("https://127.0.0.1:{port}");
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(SqliteStore::open(&dir.path().join("authz.sqlite")).unwrap());
        let builder = AuthorizationServer::builder(issuer.clone(), store)
            .scopes(SCOPES)
            .without_registration_rate_limit()
            .without_token_rate_limit()
            .resource_owner_authenticator(Arc::new(
                StaticUsers::new()
                    .with_user(ALICE.0, ALICE.1, 1_000)
                    .with_user(BOB.0, BOB.1, 1_000),
            ));
        let server = configure(builder).build().await.unwrap();
        let url = |p: &str| format!("{issuer}{p}").parse().unwrap();
        let deployment = Deployment::new(url("/ims/ob/v3p0"))
            .with_authorization_url(url("/authorize"))
            .with_token_url(url("/token"))
            .with_refresh_url(url("/token"))
            .with_registration_url(url("/register"));
        let discovery = adjust(DiscoveryDocument::new(SDD, &deployment).unwrap());
        let counters = Arc::new(Counters::default());
        let c = Arc::clone(&counters);
        // A protected API: the signed-in user's profile, as the badge host would serve it.
        let api = Router::new()
            .route(PROFILE_PATH, axum::routing::get(profile))
            .layer(AuthLayer::new(
                Arc::new(server.local_verifier().unwrap()),
                "ob",
            ));
        let router: Router = server
            .router()
            .merge(api)
            .merge(discovery.router(DISCOVERY_PATH).unwrap())
            .layer(middleware::from_fn(move |req, next| {
                count(Arc::clone(&c), req, next)
            }));
        let pem = shared_dev_pem().unwrap();
        let tls = pem.tls_config().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            serve_tls(listener, router, tls, async move {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        });
        Self {
            server,
            issuer,
            ca_pem: pem.ca_cert.as_bytes().to_vec(),
            counters,
            dir,
            stop: Some(stop),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.issuer, path)
    }

    pub fn discovery_url(&self) -> String {
        self.url(DISCOVERY_PATH)
    }

    /// The client's HTTP policy: trust only the development CA.
    pub fn policy(&self) -> HttpPolicy {
        HttpPolicy::default().with_ca_pem(self.ca_pem.clone())
    }

    pub fn options(&self) -> TokenSourceOptions {
        TokenSourceOptions {
            http: self.policy(),
            ..TokenSourceOptions::default()
        }
    }

    /// A browser: trusts the CA, follows no redirects, keeps no cookies (the harness carries
    /// the one cookie of the login form by hand).
    pub fn browser(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .tls_backend_preconfigured(ims_runtime::tls::client_config(Some(&self.ca_pem)).unwrap())
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    pub async fn discover(&self) -> Discovered {
        DiscoveryClient::new(self.policy())
            .unwrap()
            .discover(&self.discovery_url())
            .await
            .unwrap()
    }

    /// Discovery + registration with the OB scopes.
    pub async fn register(&self) -> (Discovered, Registration) {
        let found = self.discover().await;
        let metadata = metadata(SCOPES.iter().map(|s| (*s).to_owned()).collect());
        let registration = RegistrationClient::new(self.policy())
            .unwrap()
            .register(found.registration_url().unwrap(), &metadata)
            .await
            .unwrap();
        (found, registration)
    }

    /// A token source for `registration`, storing tokens in `store` under `account`.
    pub fn source(
        &self,
        found: &Discovered,
        registration: &Registration,
        store: Arc<dyn UserTokenStore>,
        account: &str,
    ) -> AuthorizationCodeSource {
        AuthorizationCodeSource::new(
            AuthorizationCodeEndpoints::from_discovered(found),
            registration,
            REDIRECT,
            store,
            account,
            self.options(),
        )
        .unwrap()
    }

    /// Logs `user` in on the consent page at `authorization_url` and approves (or denies), as a
    /// browser would; returns where the server redirected the browser.
    pub async fn login(
        &self,
        authorization_url: &str,
        user: (&str, &str),
        decision: &str,
    ) -> String {
        let browser = self.browser();
        let page = browser.get(authorization_url).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK, "expected the login page");
        let cookie = page
            .headers()
            .get("set-cookie")
            .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned());
        let html = page.text().await.unwrap();
        let form = serde_urlencoded::to_string([
            ("request_id", hidden(&html, "request_id").as_str()),
            ("csrf_token", hidden(&html, "csrf_token").as_str()),
            ("username", user.0),
            ("password", user.1),
            ("decision", decision),
        ])
        .unwrap();
        let mut post = browser
            .post(self.url("/authorize"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form);
        if let Some(c) = cookie {
            post = post.header("cookie", c);
        }
        let r = post.send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        r.headers()
            .get("location")
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned()
    }

    /// Authorization request → login → callback handled: the source holds tokens.
    pub async fn authorize(
        &self,
        source: &AuthorizationCodeSource,
        user: (&str, &str),
        scopes: &[&str],
    ) -> Vec<String> {
        let request = source.authorization_request(scopes).unwrap();
        let callback = self.login(request.url.as_str(), user, "approve").await;
        source.complete(&callback).await.unwrap()
    }
}

/// IMS-complete client metadata on `wallet.example.com`.
pub fn metadata(scopes: Vec<String>) -> ClientMetadata {
    ClientMetadata::new(
        "Example Wallet",
        &"https://wallet.example.com/".parse().unwrap(),
        REDIRECT,
        scopes,
    )
}

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap() + marker.len();
    let end = html[start..].find('"').unwrap();
    html[start..start + end].to_owned()
}

/// The SQLite store in a fresh directory (kept alive by the returned guard).
pub fn sqlite_store() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("consumer.sqlite");
    (dir, path)
}
