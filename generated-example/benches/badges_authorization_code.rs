//! Authorization-code round trips per second through the badges host's embedded authorization
//! server, over loopback TLS: each round trip is what a browser and a consumer do for one
//! login: `GET /authorize` (the login page with its request id and CSRF token), `POST
//! /authorize` (user name, password, approve → 303 with a code), `POST /token` (code + PKCE
//! verifier, client_secret_basic → access and refresh token). One registered client, user
//! `alice` of `users.json`, the host's SQLite store in a temporary directory.
//!
//! Run: `cargo bench -p ims-generated-example --bench badges_authorization_code` (env `AC_SECS`,
//! default 5; `AC_CONC`, default 8 concurrent logins). Prints round trips/s.
//!
//! Measured 2026-12-03 on the shared 2-core machine while other builds ran (not a quiet
//! machine), `AC_SECS=5`, 8 concurrent logins, client and host in one process: 2,359 round trips
//! in 5.02 s = 470 round trips/s.
//!
//! Refresh throughput with 32 concurrent callers on one token family (exactly one network
//! refresh per expiry) is measured by the runtime's `client_user_token_refresh` bench.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ims_generated_example::badges::{BadgesHost, HostConfig};
use ims_generated_example::openbadges_v3p0::scopes;
use serde_json::{Value, json};

const REDIRECT: &str = "https://wallet.example.com/callback";

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap() + marker.len();
    let end = html[start..].find('"').unwrap();
    html[start..start + end].to_owned()
}

struct Login {
    http: reqwest::Client,
    origin: String,
    client_id: String,
    client_secret: String,
    user: String,
    password: String,
}

impl Login {
    async fn round_trip(&self) {
        let mut bytes = [0u8; 32];
        aws_lc_rs::rand::fill(&mut bytes).unwrap();
        let verifier = URL_SAFE_NO_PAD.encode(bytes);
        let challenge = URL_SAFE_NO_PAD.encode(
            aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes()).as_ref(),
        );
        let query = serde_urlencoded::to_string([
            ("response_type", "code"),
            ("client_id", self.client_id.as_str()),
            ("redirect_uri", REDIRECT),
            ("scope", scopes::CREDENTIAL_READONLY),
            ("state", "bench"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ])
        .unwrap();
        let page = self
            .http
            .get(format!("{}/authorize?{query}", self.origin))
            .send()
            .await
            .unwrap();
        let cookie: Vec<String> = page
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_owned))
            .collect();
        let html = page.text().await.unwrap();
        let form = serde_urlencoded::to_string([
            ("request_id", hidden(&html, "request_id")),
            ("csrf_token", hidden(&html, "csrf_token")),
            ("username", self.user.clone()),
            ("password", self.password.clone()),
            ("decision", "approve".to_owned()),
        ])
        .unwrap();
        let answer = self
            .http
            .post(format!("{}/authorize", self.origin))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", cookie.join("; "))
            .body(form)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 303);
        let location = answer.headers()["location"].to_str().unwrap();
        let code = url::Url::parse(location)
            .unwrap()
            .query_pairs()
            .find(|(k, _)| k == "code")
            .unwrap()
            .1
            .into_owned();
        let token: Value = self
            .http
            .post(format!("{}/token", self.origin))
            .basic_auth(&self.client_id, Some(&self.client_secret))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", REDIRECT),
                ("code_verifier", verifier.as_str()),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(token["access_token"].is_string(), "{token}");
    }
}

fn main() {
    let secs = env_u64("AC_SECS", 5);
    let conc = env_u64("AC_CONC", 8);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let host = BadgesHost::start(HostConfig {
            addr: "127.0.0.1:0".parse().unwrap(),
            data_dir: dir.path().to_path_buf(),
        })
        .await
        .unwrap();
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(
                ims_runtime::tls::client_config(Some(&host.ca_pem)).unwrap(),
            )
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let registration: Value = http
            .post(host.url("/register"))
            .json(&json!({
                "client_name": "bench", "client_uri": "https://wallet.example.com/",
                "logo_uri": "https://wallet.example.com/logo.png",
                "tos_uri": "https://wallet.example.com/tos",
                "policy_uri": "https://wallet.example.com/privacy",
                "software_id": "bench", "software_version": "1",
                "redirect_uris": [REDIRECT], "scope": scopes::CREDENTIAL_READONLY,
                "grant_types": ["authorization_code", "refresh_token"],
                "response_types": ["code"], "token_endpoint_auth_method": "client_secret_basic"
            }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let alice = &host.users["alice"];
        let login = Arc::new(Login {
            http,
            origin: host.base_url.clone(),
            client_id: registration["client_id"].as_str().unwrap().to_owned(),
            client_secret: registration["client_secret"].as_str().unwrap().to_owned(),
            user: "alice".into(),
            password: alice.password.clone(),
        });
        login.round_trip().await; // warm-up: connections, caches
        let done = Arc::new(AtomicU64::new(0));
        let started = Instant::now();
        let deadline = started + Duration::from_secs(secs);
        let mut tasks = Vec::new();
        for _ in 0..conc {
            let login = Arc::clone(&login);
            let done = Arc::clone(&done);
            tasks.push(tokio::spawn(async move {
                while Instant::now() < deadline {
                    login.round_trip().await;
                    done.fetch_add(1, Ordering::Relaxed);
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let n = done.load(Ordering::Relaxed);
        let elapsed = started.elapsed().as_secs_f64();
        println!(
            "authorization code round trips (GET+POST /authorize, POST /token): {n} in {elapsed:.2} s with {conc} concurrent = {:.1}/s",
            n as f64 / elapsed
        );
        host.shutdown().await.unwrap();
    });
}
