//! Shared harness of the `badges_*` tests: the badges host started in-process over real TLS in
//! a temporary data directory, and the raw protocol steps (registration, the login form,
//! PKCE, the token endpoint, API calls) so each test can break exactly one of them.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ims_generated_example::badges::consumer::login_with_form;
use ims_generated_example::badges::{BadgesHost, HostConfig, RunningHost};
use ims_generated_example::{clr_v2p0, openbadges_v3p0};
use ims_runtime::tls::client_config;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

pub const REDIRECT: &str = "https://wallet.example.com/callback";

/// One of the two APIs.
#[derive(Debug, Clone, Copy)]
pub struct Api {
    pub base: &'static str,
    pub credential_readonly: &'static str,
    pub credential_upsert: &'static str,
    pub profile_readonly: &'static str,
    pub profile_update: &'static str,
}

pub const OB: Api = Api {
    base: openbadges_v3p0::BASE_PATH,
    credential_readonly: openbadges_v3p0::scopes::CREDENTIAL_READONLY,
    credential_upsert: openbadges_v3p0::scopes::CREDENTIAL_UPSERT,
    profile_readonly: openbadges_v3p0::scopes::PROFILE_READONLY,
    profile_update: openbadges_v3p0::scopes::PROFILE_UPDATE,
};

pub const CLR: Api = Api {
    base: clr_v2p0::BASE_PATH,
    credential_readonly: clr_v2p0::scopes::CREDENTIAL_READONLY,
    credential_upsert: clr_v2p0::scopes::CREDENTIAL_UPSERT,
    profile_readonly: clr_v2p0::scopes::PROFILE_READONLY,
    profile_update: clr_v2p0::scopes::PROFILE_UPDATE,
};

impl Api {
    pub fn all_scopes(&self) -> Vec<&'static str> {
        vec![
            self.credential_readonly,
            self.credential_upsert,
            self.profile_readonly,
            self.profile_update,
        ]
    }

    /// A credential of this API's model (`n` makes the id).
    pub fn credential(&self, n: &str) -> Value {
        if self.base == CLR.base {
            ims_generated_example::badges::consumer::sample_clr_credential(n)
        } else {
            ims_generated_example::badges::consumer::sample_achievement_credential(n)
        }
    }
}

pub struct Host {
    pub running: RunningHost,
    pub dir: tempfile::TempDir,
}

pub async fn start_in(dir: &Path, addr: &str) -> RunningHost {
    BadgesHost::start(HostConfig {
        addr: addr.parse().unwrap(),
        data_dir: dir.to_path_buf(),
    })
    .await
    .unwrap()
}

impl Host {
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let running = start_in(dir.path(), "127.0.0.1:0").await;
        Self { running, dir }
    }

    pub fn url(&self, path: &str) -> String {
        self.running.url(path)
    }

    /// A browser-like client: trusts the dev CA, follows no redirects.
    pub fn http(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .tls_backend_preconfigured(client_config(Some(&self.running.ca_pem)).unwrap())
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    pub fn user(&self, name: &str) -> (String, String) {
        let u = &self.running.users[name];
        (name.to_owned(), u.password.clone())
    }

    /// RFC 7591 registration; returns the status and the body.
    pub async fn register_raw(&self, body: &Value) -> (StatusCode, Value) {
        let r = self
            .http()
            .post(self.url("/register"))
            .json(body)
            .send()
            .await
            .unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// A registered client (authorization_code + refresh_token) for `scopes`.
    pub async fn register(&self, scopes: &[&str]) -> Client {
        let (status, body) = self.register_raw(&registration(scopes)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        Client {
            id: body["client_id"].as_str().unwrap().to_owned(),
            secret: body["client_secret"].as_str().unwrap().to_owned(),
        }
    }

    /// The authorization URL for `client`.
    pub fn authorize_url(
        &self,
        client: &Client,
        scope: &str,
        challenge: Option<(&str, &str)>,
    ) -> String {
        let mut params = vec![
            ("response_type", "code".to_owned()),
            ("client_id", client.id.clone()),
            ("redirect_uri", REDIRECT.to_owned()),
            ("scope", scope.to_owned()),
            ("state", "st-1".to_owned()),
        ];
        if let Some((c, m)) = challenge {
            params.push(("code_challenge", c.to_owned()));
            params.push(("code_challenge_method", m.to_owned()));
        }
        format!(
            "{}?{}",
            self.url("/authorize"),
            serde_urlencoded::to_string(params).unwrap()
        )
    }

    /// Logs `user` in on the form and approves; returns the callback URL.
    pub async fn login(&self, url: &str, user: &str) -> String {
        let (name, password) = self.user(user);
        login_with_form(url, &name, &password, &self.running.ca_pem)
            .await
            .unwrap()
    }

    /// A code for `client`, approved by `user`, with a fresh PKCE pair (returned verifier).
    pub async fn code(&self, client: &Client, scope: &str, user: &str) -> (String, String) {
        let (verifier, challenge) = pkce();
        let url = self.authorize_url(client, scope, Some((&challenge, "S256")));
        let callback = self.login(&url, user).await;
        (
            query_param(&callback, "code").expect("a code in the callback"),
            verifier,
        )
    }

    /// POST /token with Basic auth.
    pub async fn token_raw(&self, client: &Client, form: &[(&str, &str)]) -> (StatusCode, Value) {
        let r = self
            .http()
            .post(self.url("/token"))
            .basic_auth(&client.id, Some(&client.secret))
            .form(form)
            .send()
            .await
            .unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn exchange(
        &self,
        client: &Client,
        code: &str,
        verifier: Option<&str>,
    ) -> (StatusCode, Value) {
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
        ];
        if let Some(v) = verifier {
            form.push(("code_verifier", v));
        }
        self.token_raw(client, &form).await
    }

    pub async fn refresh(&self, client: &Client, refresh_token: &str) -> (StatusCode, Value) {
        self.token_raw(
            client,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
            ],
        )
        .await
    }

    /// Registration + login of `user` + code exchange: the token response.
    pub async fn tokens(&self, scopes: &[&str], user: &str) -> (Client, Value) {
        let client = self.register(scopes).await;
        let scope = scopes.join(" ");
        let (code, verifier) = self.code(&client, &scope, user).await;
        let (status, body) = self.exchange(&client, &code, Some(&verifier)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        (client, body)
    }

    /// An access token of `user` for `scopes`.
    pub async fn access_token(&self, scopes: &[&str], user: &str) -> String {
        self.tokens(scopes, user).await.1["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// An API call under `api.base`.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<(&str, String)>,
    ) -> reqwest::Response {
        let mut request = self.http().request(method, self.url(path));
        if let Some(t) = token {
            request = request.bearer_auth(t);
        }
        if let Some((content_type, body)) = body {
            request = request.header("content-type", content_type).body(body);
        }
        request.send().await.unwrap()
    }

    pub async fn upsert_json(&self, api: Api, token: &str, credential: &Value) -> StatusCode {
        self.call(
            Method::POST,
            &format!("{}/credentials", api.base),
            Some(token),
            Some(("application/json", credential.to_string())),
        )
        .await
        .status()
    }

    pub async fn list(
        &self,
        api: Api,
        token: &str,
        query: &str,
    ) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        let r = self
            .call(
                Method::GET,
                &format!("{}/credentials{query}", api.base),
                Some(token),
                None,
            )
            .await;
        let status = r.status();
        let headers = r.headers().clone();
        (status, headers, r.json().await.unwrap_or(Value::Null))
    }
}

pub struct Client {
    pub id: String,
    pub secret: String,
}

/// IMS-complete registration metadata on wallet.example.com.
pub fn registration(scopes: &[&str]) -> Value {
    json!({
        "client_name": "Test Wallet",
        "client_uri": "https://wallet.example.com/",
        "logo_uri": "https://wallet.example.com/logo.png",
        "tos_uri": "https://wallet.example.com/tos",
        "policy_uri": "https://wallet.example.com/privacy",
        "software_id": "badges-tests",
        "software_version": "1",
        "redirect_uris": [REDIRECT],
        "scope": scopes.join(" "),
        "token_endpoint_auth_method": "client_secret_basic",
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"]
    })
}

/// A PKCE S256 pair `(verifier, challenge)`.
pub fn pkce() -> (String, String) {
    let mut bytes = [0u8; 32];
    aws_lc_rs::rand::fill(&mut bytes).unwrap();
    let verifier = URL_SAFE_NO_PAD.encode(bytes);
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes());
    (verifier, URL_SAFE_NO_PAD.encode(digest.as_ref()))
}

pub fn query_param(url: &str, name: &str) -> Option<String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}
