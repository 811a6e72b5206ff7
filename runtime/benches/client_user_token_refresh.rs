//! Refresh throughput of the user token source (`AuthorizationCodeSource`) with 32 concurrent
//! callers on one token family, against the embedded authorization server over HTTPS on loopback.
//!
//! Each round marks the current access token rejected (as a 401 from an API would) and then
//! starts `LOAD_CONC` callers of `token()` at once: single-flight means exactly one refresh
//! (with rotation) per round, which the bench counts at the server and checks.
//!
//! Run: `cargo bench -p ims-runtime --bench client_user_token_refresh`
//! Env: `ROUNDS` (default 200), `LOAD_CONC` (default 32).
//!
//! Measured 2026-12-03 on the shared 2-core machine (load average ≈ 13 from other builds):
//! 200 rounds × 32 callers → 200 refreshes at the server (1.000 per round), 467.7 rounds/s,
//! 2.14 ms per round (RS256 signing, rotation in SQLite, HTTPS on loopback).

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::middleware::{self, Next};
use ims_runtime::authorization_server::{AuthorizationServer, SqliteStore, StaticUsers};
use ims_runtime::client::{
    AuthorizationCodeEndpoints, AuthorizationCodeSource, ClientMetadata, HttpPolicy,
    MemoryUserTokenStore, RegistrationClient, TokenSource, TokenSourceOptions,
};
use ims_runtime::tls::testing::shared_dev_pem;
use ims_runtime::tls::{client_config, serve_tls};

const SCOPE: &str = "https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.readonly";
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

#[tokio::main]
async fn main() {
    let rounds = env_u64("ROUNDS", 200);
    let conc = env_u64("LOAD_CONC", 32) as usize;

    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(&dir.path().join("bench.sqlite")).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("https://{}", listener.local_addr().unwrap());
    let server = AuthorizationServer::builder(issuer.clone(), store)
        .scopes([SCOPE])
        .without_token_rate_limit()
        .resource_owner_authenticator(Arc::new(StaticUsers::new().with_user("alice", "pw", 1_000)))
        .build()
        .await
        .unwrap();
    let token_posts = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&token_posts);
    let router = server.router().layer(middleware::from_fn(
        move |req: axum::extract::Request, next: Next| {
            if req.uri().path() == "/token" {
                counter.fetch_add(1, Ordering::SeqCst);
            }
            next.run(req)
        },
    ));
    let pem = shared_dev_pem().unwrap();
    let tls = pem.tls_config().unwrap();
    tokio::spawn(async move { serve_tls(listener, router, tls, std::future::pending()).await });
    let ca = pem.ca_cert.as_bytes().to_vec();
    let policy = HttpPolicy::default().with_ca_pem(ca.clone());

    let url = |p: &str| url::Url::parse(&format!("{issuer}{p}")).unwrap();
    let metadata = ClientMetadata::new(
        "Bench Wallet",
        &url::Url::parse("https://wallet.example.com/").unwrap(),
        REDIRECT,
        vec![SCOPE.to_owned()],
    );
    let registration = RegistrationClient::new(policy.clone())
        .unwrap()
        .register(&url("/register"), &metadata)
        .await
        .unwrap();
    let endpoints = AuthorizationCodeEndpoints {
        authorization_url: url("/authorize"),
        token_url: url("/token"),
        refresh_url: url("/token"),
        revocation_url: Some(url("/revoke")),
        issuer: issuer.clone(),
        iss_parameter_supported: true,
    };
    let source = Arc::new(
        AuthorizationCodeSource::new(
            endpoints,
            &registration,
            REDIRECT,
            Arc::new(MemoryUserTokenStore::new()),
            "alice",
            TokenSourceOptions {
                http: policy,
                ..TokenSourceOptions::default()
            },
        )
        .unwrap(),
    );

    // Log in once, as a browser would.
    let browser = reqwest::Client::builder()
        .tls_backend_preconfigured(client_config(Some(&ca)).unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let request = source.authorization_request(&[SCOPE]).unwrap();
    let page = browser.get(request.url.as_str()).send().await.unwrap();
    let cookie = page
        .headers()
        .get("set-cookie")
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned());
    let html = page.text().await.unwrap();
    let mut post = browser.post(url("/authorize")).form(&[
        ("request_id", hidden(&html, "request_id")),
        ("csrf_token", hidden(&html, "csrf_token")),
        ("username", "alice".into()),
        ("password", "pw".into()),
        ("decision", "approve".into()),
    ]);
    if let Some(c) = cookie {
        post = post.header("cookie", c);
    }
    let r = post.send().await.unwrap();
    let callback = r.headers()["location"].to_str().unwrap().to_owned();
    source.complete(&callback).await.unwrap();

    let before = token_posts.load(Ordering::SeqCst);
    let start = Instant::now();
    for _ in 0..rounds {
        let current = source.token(&[SCOPE]).await.unwrap();
        source.invalidate(&[SCOPE], &current);
        let calls: Vec<_> = (0..conc)
            .map(|_| {
                let s = Arc::clone(&source);
                tokio::spawn(async move { s.token(&[SCOPE]).await.map(|t| t.secret().to_owned()) })
            })
            .collect();
        let mut first: Option<String> = None;
        for c in calls {
            let t = c.await.unwrap().unwrap();
            assert_ne!(t, current.secret());
            assert_eq!(
                first.get_or_insert_with(|| t.clone()),
                &t,
                "one token per round"
            );
        }
    }
    let elapsed = start.elapsed();
    let refreshes = token_posts.load(Ordering::SeqCst) - before;
    println!(
        "{rounds} rounds × {conc} concurrent callers: {refreshes} refreshes at the server \
         ({:.3} per round), {:.1} rounds/s, {:.2} ms per round",
        refreshes as f64 / rounds as f64,
        rounds as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1000.0 / rounds as f64,
    );
    assert_eq!(refreshes, rounds, "exactly one network refresh per expiry");
}
