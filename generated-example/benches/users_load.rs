//! Throughput of the generated, protected OneRoster 1.2 `GET /users` against the same handler
//! without auth, under the same in-process loopback load over TLS (issue 4's acceptance point,
//! target ratio ≥ 0.85). Prints requests/s per variant and page size, and the ratios.
//!
//! Both variants serve the generated `oneroster_v1p2_rostering::server::router` over one shared
//! `DemoStore` (one `Seed`), merged with the embedded authorization server's router as the demo
//! does:
//! - protected: `.with_auth(AuthLayer::new(Arc::new(authz.local_verifier()?), "oneroster"))`,
//!   exactly as `src/demo/app.rs` mounts it; requests carry a real `roster-core.readonly` access
//!   token issued by the embedded `AuthorizationServer` (SQLite store in a tempdir) through
//!   `POST /token`, fetched once and reused. Per request: bearer extraction, the verified-token
//!   cache (a hit) and the revocation lookup in SQLite.
//! - unprotected: no `with_auth`; instead `axum::Extension` inserts a fixed `Principal` holding
//!   the same scope, so the generated handler, its `#[ims_scope]` check, query parsing, the store
//!   call and response building run identically; only bearer extraction, token verification, the
//!   cache and the revocation check are skipped.
//!
//! Two pages: `GET {BASE_PATH}/users?limit=100` (a realistic page, ~70 KB) and `?limit=1` (small,
//! where the auth overhead is most visible). The reqwest client is built directly (no
//! `HttpPolicy` response cap).
//!
//! Run: `cargo bench -p ims-generated-example --bench users_load` (env `LOAD_SECS`, default 5;
//! `LOAD_CONC`, default 32 concurrent requests over HTTP/1.1 keep-alive connections;
//! `LOAD_ROUNDS`, default 3 interleaved rounds, medians reported).
//!
//! `USERS_LOAD_REVOCATION=off` uses the same verifier and cache without the revocation check.
//!
//! Measured 2026-11-24 on the quiet 2-core machine (load average 1.7–1.9), `LOAD_SECS=3
//! LOAD_ROUNDS=5`, 32 connections, the load generator in the same process; seed of 1,196 users,
//! pages of 66,437 bytes (`limit=100`) and 799 bytes (`limit=1`), medians:
//! - `limit=100`: 2,375 req/s without auth, 2,372 with auth: ratio 0.999.
//! - `limit=1`: 26,966 req/s without auth, 25,380 with auth: ratio 0.941.
//!
//! History: before `select` stopped serializing every record when there is no filter or sort,
//! the handler cost milliseconds and hid the auth path (≈ 80 req/s either way); with a SQLite
//! revocation lookup on every request (before the embedded server reused "not revoked" answers
//! for 1 s) the ratios were 0.919 and 0.584, and 0.957 / 0.951 with the check off.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use axum::{Extension, Router};
use ims_generated_example::demo::{DemoStore, Seed};
use ims_generated_example::oneroster_v1p2_rostering::{BASE_PATH, scopes, server};
use ims_runtime::authorization_server::{AuthorizationServer, NewClient, SqliteStore};
use ims_runtime::resource_server::{
    AuthLayer, CachingVerifier, JwtRules, KeySet, LocalJwtVerifier, Principal, TokenVerifier,
};
use ims_runtime::tls::testing::{get_throughput, shared_dev_pem};
use ims_runtime::tls::{ServeOptions, TlsError, serve_tls_with};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

const SCOPE: &str = scopes::ROSTER_CORE_READONLY;

/// One TLS server on loopback, stopped by [`Server::shutdown`].
struct Server {
    origin: String,
    stop: oneshot::Sender<()>,
    task: JoinHandle<Result<(), TlsError>>,
}

impl Server {
    async fn start(listener: TcpListener, app: Router) -> Self {
        let origin = format!("https://{}", listener.local_addr().unwrap());
        let tls = shared_dev_pem().unwrap().tls_config().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve_tls_with(
            listener,
            app,
            tls,
            async move {
                let _ = stopped.await;
            },
            ServeOptions::default(),
        ));
        Self { origin, stop, task }
    }

    async fn shutdown(self) {
        let _ = self.stop.send(());
        self.task.await.unwrap().unwrap();
    }
}

fn http_client(conc: usize) -> reqwest::Client {
    let ca = shared_dev_pem().unwrap().ca_cert.as_bytes();
    reqwest::Client::builder()
        .tls_backend_preconfigured(ims_runtime::tls::client_config(Some(ca)).unwrap())
        .http1_only()
        .pool_max_idle_per_host(conc)
        .build()
        .unwrap()
}

async fn load(url: &str, token: &str, secs: u64, conc: usize) -> f64 {
    // The unprotected server ignores the header; both variants send the same bytes.
    let auth = format!("Bearer {token}");
    get_throughput(
        &http_client(conc),
        url,
        Some(&auth),
        Duration::from_secs(secs),
        conc,
    )
    .await
    .unwrap()
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

fn main() {
    // `cargo bench` passes `--bench`; a plain `cargo test --benches` run passes nothing useful.
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let secs: u64 = env_or("LOAD_SECS", 5);
    let conc: usize = env_or("LOAD_CONC", 32);
    let rounds: usize = env_or("LOAD_ROUNDS", 3);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let protected_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let plain_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let origin = format!("https://{}", protected_listener.local_addr().unwrap());

        // The embedded authorization server, as the demo builds it.
        let sqlite = Arc::new(SqliteStore::open(&dir.path().join("authz.sqlite")).unwrap());
        let authz = AuthorizationServer::builder(origin.clone(), sqlite)
            .scopes([SCOPE])
            .build()
            .await
            .unwrap();
        let issued = authz
            .create_client(NewClient::client_credentials([SCOPE]))
            .await
            .unwrap();

        // One seed and one store behind both routers.
        let service_url = format!("{origin}{BASE_PATH}");
        let seed = Arc::new(Seed::generate(&service_url).unwrap());
        println!("seed: {} users", seed.users.len());
        let store = DemoStore::new(seed);

        // `USERS_LOAD_REVOCATION=off`: the same verifier and cache without the per-request
        // revocation lookup, to see what that lookup costs.
        let verifier: Arc<dyn TokenVerifier> =
            if std::env::var("USERS_LOAD_REVOCATION").as_deref() == Ok("off") {
                println!("revocation check: off");
                let keys = KeySet::from_jwks_json(authz.jwks().to_string().as_bytes()).unwrap();
                Arc::new(CachingVerifier::new(LocalJwtVerifier::new(
                    keys,
                    JwtRules::new(origin.clone(), origin.clone()),
                )))
            } else {
                Arc::new(authz.local_verifier().unwrap())
            };
        let protected = server::router(store.clone())
            .with_auth(AuthLayer::new(verifier, "oneroster"))
            .into_router();
        let principal = Principal {
            sub: issued.client_id.clone(),
            client_id: issued.client_id.clone(),
            scopes: vec![SCOPE.to_owned()],
            jti: None,
            exp: i64::MAX,
            claims: Arc::new(serde_json::Map::new()),
        };
        let plain = server::router(store)
            .into_router()
            .layer(Extension(principal));

        let protected = Server::start(protected_listener, authz.router().merge(protected)).await;
        let plain = Server::start(plain_listener, authz.router().merge(plain)).await;

        // A real token, fetched once (client_secret_basic) and reused.
        let response = http_client(1)
            .post(format!("{}/token", protected.origin))
            .basic_auth(&issued.client_id, issued.client_secret.as_deref())
            .form(&[("grant_type", "client_credentials"), ("scope", SCOPE)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let body: serde_json::Value = response.json().await.unwrap();
        let token = body["access_token"].as_str().unwrap().to_owned();

        // Sanity: both variants answer the same page, and the protected one needs the token.
        for limit in [100, 1] {
            let path = format!("{BASE_PATH}/users?limit={limit}");
            let mut bodies = Vec::new();
            for server in [&protected, &plain] {
                let r = http_client(1)
                    .get(format!("{}{path}", server.origin))
                    .bearer_auth(&token)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 200);
                bodies.push(r.bytes().await.unwrap());
            }
            // The `href`s name the seed's origin, identical for both.
            assert_eq!(bodies[0], bodies[1]);
            println!("GET {path}: {} bytes", bodies[0].len());
        }
        let anonymous = http_client(1)
            .get(format!("{}{BASE_PATH}/users?limit=1", protected.origin))
            .send()
            .await
            .unwrap();
        assert_eq!(anonymous.status(), 401);

        // Every configuration runs against the same servers; rounds interleave them so drifting
        // machine load (other processes) hits all alike, alternating which variant of a pair goes
        // first. Medians are reported.
        let mut configs = Vec::new();
        for limit in [100, 1] {
            for (name, server) in [("no auth", &plain), ("auth", &protected)] {
                let url = format!("{}{BASE_PATH}/users?limit={limit}", server.origin);
                configs.push((limit, name, url, Vec::new()));
            }
        }
        for round in 0..rounds {
            // Within each page size, odd rounds run the auth variant first.
            let order: Vec<usize> = (0..configs.len()).map(|i| i ^ (round % 2)).collect();
            for i in order {
                let (limit, name, url, samples) = &mut configs[i];
                let rps = load(url, &token, secs, conc).await;
                println!("round {round} limit={limit:<3} {name:>8}: {rps:>9.0} req/s");
                samples.push(rps);
            }
        }
        let median = |v: &mut Vec<f64>| {
            v.sort_by(|a, b| a.total_cmp(b));
            v[v.len() / 2]
        };
        // Two ratios per page size: of the medians, and the median of the per-round ratios
        // (each round's pair ran back to back, so it is less exposed to drifting load).
        for pair in configs.chunks_mut(2) {
            let [(limit, _, _, plain), (_, _, _, auth)] = pair else {
                unreachable!("configurations come in (no auth, auth) pairs")
            };
            let mut per_round: Vec<f64> = auth.iter().zip(plain.iter()).map(|(a, p)| a / p).collect();
            let (m_plain, m_auth) = (median(plain), median(auth));
            println!("median limit={limit:<3}  no auth: {m_plain:>9.0} req/s");
            println!("median limit={limit:<3}     auth: {m_auth:>9.0} req/s");
            println!(
                "ratio auth / no auth, limit={limit}: {:.3} (medians), {:.3} (median per-round ratio)",
                m_auth / m_plain,
                median(&mut per_round)
            );
        }
        protected.shutdown().await;
        plain.shutdown().await;
    });
}
