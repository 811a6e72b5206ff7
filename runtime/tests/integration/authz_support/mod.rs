//! Shared harness for the `authz_*` tests: an [`AuthorizationServer`] on a SQLite file, served over
//! real TLS on `127.0.0.1`, and a reqwest client that trusts only the development CA.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ims_runtime::authorization_server::{
    AuthorizationServer, AuthorizationServerBuilder, IssuedClient, NewClient, SqliteStore,
    StaticUsers,
};
use ims_runtime::tls::testing::shared_dev_pem;
use ims_runtime::tls::{client_config, serve_tls};
use reqwest::StatusCode;
use serde_json::Value;
use sha2::Digest;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const ROSTER_RO: &str = "https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly";
pub const ROSTER_CREATEPUT: &str = "https://purl.imsglobal.org/spec/or/v1p2/scope/roster.createput";
pub const RESULTS_RO: &str = "https://purl.imsglobal.org/spec/or/v1p2/scope/gradebook.readonly";
pub const REDIRECT: &str = "https://tool.example.edu/cb";
pub const USER: &str = "alice";
pub const PASSWORD: &str = "correct horse battery staple";

/// A running authorization server.
pub struct Harness {
    pub server: AuthorizationServer,
    pub issuer: String,
    pub http: reqwest::Client,
    pub ca_pem: Vec<u8>,
    pub db: PathBuf,
    port: u16,
    dir: Option<tempfile::TempDir>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

fn listener(port: u16) -> tokio::net::TcpListener {
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.set_reuseaddr(true).unwrap();
    sock.bind(format!("127.0.0.1:{port}").parse().unwrap())
        .unwrap();
    sock.listen(1024).unwrap()
}

/// The default test configuration.
pub fn defaults(b: AuthorizationServerBuilder) -> AuthorizationServerBuilder {
    b.scopes([ROSTER_RO, ROSTER_CREATEPUT, RESULTS_RO])
        .resource_owner_authenticator(Arc::new(
            StaticUsers::new().with_user(USER, PASSWORD, 1_000),
        ))
}

impl Harness {
    /// Default configuration on a fresh database.
    pub async fn start() -> Self {
        Self::start_with(defaults).await
    }

    /// Custom configuration on a fresh database.
    pub async fn start_with(
        configure: impl FnOnce(AuthorizationServerBuilder) -> AuthorizationServerBuilder,
    ) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("authz.sqlite");
        let mut h = Self::launch(&db, 0, configure).await;
        h.dir = Some(dir);
        h
    }

    async fn launch(
        db: &Path,
        port: u16,
        configure: impl FnOnce(AuthorizationServerBuilder) -> AuthorizationServerBuilder,
    ) -> Self {
        let l = listener(port);
        let port = l.local_addr().unwrap().port();
        let issuer = format!("https://127.0.0.1:{port}");
        let store = Arc::new(SqliteStore::open(db).unwrap());
        let server = configure(AuthorizationServer::builder(issuer.clone(), store))
            .build()
            .await
            .unwrap();
        let pem = shared_dev_pem().unwrap();
        let tls = pem.tls_config().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let router = server.router();
        let task = tokio::spawn(async move {
            serve_tls(l, router, tls, async move {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        });
        let ca_pem = pem.ca_cert.as_bytes().to_vec();
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(client_config(Some(&ca_pem)).unwrap())
            .redirect(reqwest::redirect::Policy::none())
            .https_only(true)
            .build()
            .unwrap();
        Self {
            server,
            issuer,
            http,
            ca_pem,
            db: db.to_owned(),
            port,
            dir: None,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Stops the server and starts a new process-equivalent on the same file and port.
    pub async fn restart(mut self) -> Self {
        self.stop_server().await;
        let dir = self.dir.take();
        let mut next = Self::launch(&self.db, self.port, defaults).await;
        next.dir = dir;
        next
    }

    async fn stop_server(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.issuer, path)
    }

    /// A client_credentials client with these scopes.
    pub async fn cc_client(&self, scopes: &[&str]) -> IssuedClient {
        self.server
            .create_client(NewClient::client_credentials(scopes.iter().copied()))
            .await
            .unwrap()
    }

    /// An authorization-code + refresh client for [`REDIRECT`].
    pub async fn code_client(&self, scopes: &[&str]) -> IssuedClient {
        self.server
            .create_client(NewClient::authorization_code(
                [REDIRECT],
                scopes.iter().copied(),
            ))
            .await
            .unwrap()
    }

    /// POSTs a form to `path`, optionally with HTTP Basic.
    pub async fn post_form(
        &self,
        path: &str,
        form: &[(&str, &str)],
        basic_auth: Option<(&str, &str)>,
    ) -> reqwest::Response {
        let body = serde_urlencoded::to_string(form).unwrap();
        let mut req = self
            .http
            .post(self.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        if let Some((id, secret)) = basic_auth {
            req = req.header("authorization", basic(id, secret));
        }
        req.send().await.unwrap()
    }

    /// POSTs to /token with Basic auth of `client`.
    pub async fn token(&self, client: &IssuedClient, form: &[(&str, &str)]) -> reqwest::Response {
        self.post_form(
            "/token",
            form,
            Some((&client.client_id, client.client_secret.as_deref().unwrap())),
        )
        .await
    }

    /// A client_credentials access token.
    pub async fn cc_token(&self, client: &IssuedClient, scope: &str) -> String {
        let r = self
            .token(
                client,
                &[("grant_type", "client_credentials"), ("scope", scope)],
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        r.json::<Value>().await.unwrap()["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub async fn introspect(&self, caller: &IssuedClient, token: &str) -> Value {
        let r = self
            .post_form(
                "/introspect",
                &[("token", token)],
                Some((&caller.client_id, caller.client_secret.as_deref().unwrap())),
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        r.json().await.unwrap()
    }

    /// GET /authorize with these query parameters.
    pub async fn authorize(&self, query: &[(&str, &str)]) -> reqwest::Response {
        let q = serde_urlencoded::to_string(query).unwrap();
        self.http
            .get(format!("{}?{q}", self.url("/authorize")))
            .send()
            .await
            .unwrap()
    }

    /// Submits the login page returned by a successful GET /authorize.
    pub async fn submit_login(
        &self,
        page: reqwest::Response,
        username: &str,
        password: &str,
        decision: &str,
    ) -> reqwest::Response {
        assert_eq!(page.status(), StatusCode::OK, "expected the login page");
        let cookie = page
            .headers()
            .get("set-cookie")
            .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned());
        let html = page.text().await.unwrap();
        let request_id = hidden(&html, "request_id");
        let csrf = hidden(&html, "csrf_token");
        let body = serde_urlencoded::to_string([
            ("request_id", request_id.as_str()),
            ("csrf_token", csrf.as_str()),
            ("username", username),
            ("password", password),
            ("decision", decision),
        ])
        .unwrap();
        let mut req = self
            .http
            .post(self.url("/authorize"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        req.send().await.unwrap()
    }

    /// Runs /authorize + login and returns the code (asserting the redirect's state and iss).
    pub async fn obtain_code(&self, client_id: &str, challenge: &str, scope: &str) -> String {
        let page = self
            .authorize(&[
                ("response_type", "code"),
                ("client_id", client_id),
                ("redirect_uri", REDIRECT),
                ("scope", scope),
                ("state", "st-1"),
                ("code_challenge", challenge),
                ("code_challenge_method", "S256"),
            ])
            .await;
        let r = self.submit_login(page, USER, PASSWORD, "approve").await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let loc = location(&r);
        assert!(loc.starts_with(REDIRECT), "{loc}");
        assert_eq!(query_param(&loc, "state").as_deref(), Some("st-1"));
        assert_eq!(
            query_param(&loc, "iss").as_deref(),
            Some(self.issuer.as_str())
        );
        query_param(&loc, "code").unwrap()
    }

    /// Full code flow: returns the token response JSON.
    pub async fn code_tokens(&self, client: &IssuedClient, scope: &str) -> Value {
        let (verifier, challenge) = pkce();
        let code = self.obtain_code(&client.client_id, &challenge, scope).await;
        let r = self
            .token(
                client,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", REDIRECT),
                    ("code_verifier", &verifier),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        r.json().await.unwrap()
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

/// `Basic base64(urlencode(id):urlencode(secret))` (RFC 6749 §2.3.1).
pub fn basic(id: &str, secret: &str) -> String {
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!(
        "Basic {}",
        STANDARD.encode(format!("{}:{}", enc(id), enc(secret)))
    )
}

/// A PKCE pair (verifier, S256 challenge).
pub fn pkce() -> (String, String) {
    let verifier = format!(
        "v{}",
        ims_runtime::authorization_server::secrets::random_token()
    );
    let challenge = URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap() + marker.len();
    let end = html[start..].find('"').unwrap();
    html[start..start + end].to_owned()
}

pub fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .expect("a Location header")
        .to_str()
        .unwrap()
        .to_owned()
}

pub fn query_param(uri: &str, name: &str) -> Option<String> {
    let q = uri.split_once('?')?.1;
    url::form_urlencoded::parse(q.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Asserts an OAuth error response: status, `error`, `Cache-Control: no-store`, and an
/// `error_description` inside the RFC 6749 charset. Returns the body.
pub async fn assert_oauth_error(r: reqwest::Response, status: StatusCode, error: &str) -> Value {
    assert_eq!(r.status(), status);
    assert_eq!(
        r.headers()
            .get("cache-control")
            .map(|v| v.to_str().unwrap()),
        Some("no-store")
    );
    assert_eq!(
        r.headers().get("pragma").map(|v| v.to_str().unwrap()),
        Some("no-cache")
    );
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], error, "{body}");
    if let Some(d) = body["error_description"].as_str() {
        assert!(
            d.bytes().all(|b| (0x20..=0x21).contains(&b)
                || (0x23..=0x5B).contains(&b)
                || (0x5D..=0x7E).contains(&b)),
            "error_description outside the RFC 6749 charset: {d:?}"
        );
    }
    body
}

/// Decodes a JWT's header and payload without verifying (for assertions on claims).
pub fn jwt_parts(token: &str) -> (Value, Value) {
    let mut it = token.split('.');
    let h = URL_SAFE_NO_PAD.decode(it.next().unwrap()).unwrap();
    let p = URL_SAFE_NO_PAD.decode(it.next().unwrap()).unwrap();
    (
        serde_json::from_slice(&h).unwrap(),
        serde_json::from_slice(&p).unwrap(),
    )
}
