//! Issue 11's figures, PostgreSQL against SQLite in ONE run (the machine is shared and noisy, so
//! only figures from the same run are compared):
//!
//! 1. `client_credentials` issuance per second: concurrent `POST /token` (client_secret_basic) at
//!    one instance whose authorization server keeps its state in SQLite, then in PostgreSQL
//!    (target: PostgreSQL ≥ 0.8 × SQLite).
//! 2. Protected `GET /users?limit=1` per second with one reused token: the verified-token cache
//!    hit plus the revocation check against the store (the same router, verifier and store
//!    wiring as `src/demo/app.rs`).
//! 3. Revocation propagation between two instances on one PostgreSQL database (two
//!    `Demo::start_with` in this process, each with its own pool and change-feed listener, one
//!    `--public-url` issuer): a token is issued by A and used at B (so B holds a cached "not
//!    revoked" answer), revoked at A (`POST /revoke`), and B is polled back to back until it
//!    answers 401. The delay is from A's `/revoke` response to B's first 401; median, 90th
//!    percentile and max over `REVOCATIONS` rounds.
//!
//! Rounds alternate SQLite and PostgreSQL (medians reported). The token rate limit is off in
//! 1 and 2 (the load comes from one address); everything runs over loopback TLS with the load
//! generator in the same process.
//!
//! Run: `IMS_BENCH_POSTGRES_URL=postgres://USER@HOST:PORT/DB cargo bench -p
//! ims-generated-example --bench scale_out` (`IMS_TEST_POSTGRES_URL` is read too; the bench
//! creates and drops a database of its own). `scripts/test.sh` shows how a throwaway cluster is
//! started; or install Debian's `postgresql`. Env: `LOAD_SECS` (default 3) per measurement,
//! `LOAD_CONC` (16) concurrent requests, `LOAD_ROUNDS` (3), `REVOCATIONS` (100).
//!
//! Measured 2026-12-03 on the shared 2-core machine (load average 6–8 from other builds),
//! PostgreSQL 15 on loopback, defaults (16 connections, 3 s, 3 rounds), medians; two runs:
//! - issuance: SQLite 2,140/s, PostgreSQL 2,091/s, ratio 0.977 (first run: 1,851 / 1,603, 0.866);
//! - protected GET `limit=1`: SQLite 16,135/s, PostgreSQL 17,928/s, ratio 1.111 (first run:
//!   14,488 / 13,513, 0.933);
//! - revocation A → B: median 0.4 ms, p90 3.9 ms, max 12.7 ms over 100; 83 of 100 refused at
//!   B's first request after `/revoke` answered (first run: median 0.3, p90 0.5, max 4.3 ms).

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ims_generated_example::demo::app::ALL_SCOPES;
use ims_generated_example::demo::{
    ClientKind, Demo, DemoConfig, DemoOptions, DemoStore, PublicUrl, Seed,
};
use ims_generated_example::oneroster_v1p2_rostering::{BASE_PATH, scopes, server};
use ims_runtime::authorization_server::{AuthorizationServer, NewClient, StoreOptions, open_store};
use ims_runtime::resource_server::AuthLayer;
use ims_runtime::tls::testing::{get_throughput, shared_dev_pem};
use ims_runtime::tls::{ServeOptions, TlsError, serve_tls_with};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

const SCOPE: &str = scopes::ROSTER_CORE_READONLY;
const USERS: &str = "/ims/oneroster/rostering/v1p2/users?limit=1";

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

fn postgres_url() -> String {
    std::env::var("IMS_BENCH_POSTGRES_URL")
        .or_else(|_| std::env::var("IMS_TEST_POSTGRES_URL"))
        .unwrap_or_else(|_| {
            panic!(
                "set IMS_BENCH_POSTGRES_URL (or IMS_TEST_POSTGRES_URL) to a PostgreSQL server \
                 where this bench may create a database, e.g. \
                 postgres://postgres@127.0.0.1:5432/postgres; `scripts/test.sh` starts a \
                 throwaway cluster, or install Debian's `postgresql` package"
            )
        })
}

/// A database of the bench's own, on the server `postgres_url()` names.
struct BenchDatabase {
    admin: tokio_postgres::Client,
    name: String,
    url: String,
}

impl BenchDatabase {
    async fn create(purpose: &str) -> Self {
        let admin_url = postgres_url();
        let (admin, connection) = tokio_postgres::connect(&admin_url, tokio_postgres::NoTls)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to {admin_url}: {e}"));
        tokio::spawn(connection);
        let name = format!("ims_bench_{purpose}_{}", std::process::id());
        // Two statements: one batch would be one transaction, which DROP DATABASE refuses.
        for sql in [
            format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            format!("CREATE DATABASE {name}"),
        ] {
            admin.batch_execute(&sql).await.unwrap();
        }
        let mut url = url::Url::parse(&admin_url).unwrap();
        url.set_path(&format!("/{name}"));
        Self {
            admin,
            name,
            url: url.to_string(),
        }
    }

    async fn drop_database(self) {
        self.admin
            .batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .await
            .unwrap();
    }
}

/// One instance: the authorization server over one store plus the protected OneRoster router,
/// on a loopback TLS listener.
struct Instance {
    name: &'static str,
    origin: String,
    client_id: String,
    client_secret: String,
    stop: oneshot::Sender<()>,
    task: JoinHandle<Result<(), TlsError>>,
}

impl Instance {
    async fn start(name: &'static str, database: &str, seed: Arc<Seed>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let origin = format!("https://{}", listener.local_addr().unwrap());
        let store = open_store(database, &StoreOptions::default())
            .await
            .unwrap();
        let authz = AuthorizationServer::builder(origin.clone(), store)
            .scopes(ALL_SCOPES)
            .dynamic_registration(false)
            .without_token_rate_limit()
            .build()
            .await
            .unwrap();
        let client = authz
            .create_client(NewClient::client_credentials([SCOPE]))
            .await
            .unwrap();
        let verifier = authz.local_verifier().unwrap();
        let api = server::router(DemoStore::new(seed))
            .with_auth(AuthLayer::new(Arc::new(verifier), "oneroster"))
            .into_router();
        let tls = shared_dev_pem().unwrap().tls_config().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve_tls_with(
            listener,
            authz.router().merge(api),
            tls,
            async move {
                let _ = stopped.await;
            },
            ServeOptions::default(),
        ));
        Self {
            name,
            origin,
            client_id: client.client_id,
            client_secret: client.client_secret.unwrap(),
            stop,
            task,
        }
    }

    async fn shutdown(self) {
        let _ = self.stop.send(());
        self.task.await.unwrap().unwrap();
    }
}

fn http_client(conc: usize, ca_pem: &[u8]) -> reqwest::Client {
    reqwest::Client::builder()
        .tls_backend_preconfigured(ims_runtime::tls::client_config(Some(ca_pem)).unwrap())
        .http1_only()
        .pool_max_idle_per_host(conc)
        .build()
        .unwrap()
}

async fn issue(http: &reqwest::Client, origin: &str, id: &str, secret: &str) -> String {
    let response = http
        .post(format!("{origin}/token"))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials"), ("scope", SCOPE)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "POST {origin}/token");
    let body: serde_json::Value = response.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

/// Tokens issued per second by `instance` under `conc` concurrent requests for `duration`
/// (after a 1 s warm-up). Any refusal fails the bench: a benchmark of failures measures nothing.
async fn issuance_throughput(
    http: &reqwest::Client,
    instance: &Instance,
    duration: Duration,
    conc: usize,
) -> f64 {
    let stop = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = (0..conc)
        .map(|_| {
            let (http, stop, count) = (http.clone(), stop.clone(), count.clone());
            let (origin, id, secret) = (
                instance.origin.clone(),
                instance.client_id.clone(),
                instance.client_secret.clone(),
            );
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    issue(&http, &origin, &id, &secret).await;
                    count.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let start_count = count.load(Ordering::Relaxed);
    let start = Instant::now();
    tokio::time::sleep(duration).await;
    let done = count.load(Ordering::Relaxed) - start_count;
    let elapsed = start.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await.unwrap();
    }
    done as f64 / elapsed
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` lists and expects nothing.
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let secs = Duration::from_secs(env_or("LOAD_SECS", 3));
    let conc: usize = env_or("LOAD_CONC", 16);
    let rounds: usize = env_or("LOAD_ROUNDS", 3);
    let revocations: usize = env_or("REVOCATIONS", 100);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let pg = BenchDatabase::create("store").await;
        let sqlite_url = format!("sqlite://{}", dir.path().join("authz.sqlite").display());
        let seed = Arc::new(Seed::generate(&format!("https://127.0.0.1{BASE_PATH}")).unwrap());
        let instances = [
            Instance::start("sqlite", &sqlite_url, seed.clone()).await,
            Instance::start("postgres", &pg.url, seed.clone()).await,
        ];
        let ca = shared_dev_pem().unwrap().ca_cert.as_bytes().to_vec();
        let http = http_client(conc, &ca);
        println!(
            "{conc} concurrent requests, {} s per measurement, {rounds} rounds",
            secs.as_secs()
        );

        let mut issuance = [vec![], vec![]];
        let mut gets = [vec![], vec![]];
        for round in 1..=rounds {
            for (i, instance) in instances.iter().enumerate() {
                let token = issue(
                    &http,
                    &instance.origin,
                    &instance.client_id,
                    &instance.client_secret,
                )
                .await;
                let issued = issuance_throughput(&http, instance, secs, conc).await;
                let auth = format!("Bearer {token}");
                let url = format!("{}{USERS}", instance.origin);
                let got = get_throughput(&http, &url, Some(&auth), secs, conc)
                    .await
                    .unwrap();
                println!(
                    "round {round} {:>8}: issuance {issued:>7.0} tokens/s, protected GET {got:>7.0} req/s",
                    instance.name
                );
                issuance[i].push(issued);
                gets[i].push(got);
            }
        }
        let [sqlite_issue, pg_issue] = issuance.map(|mut v| median(&mut v));
        let [sqlite_get, pg_get] = gets.map(|mut v| median(&mut v));
        println!(
            "issuance (median): SQLite {sqlite_issue:.0}/s, PostgreSQL {pg_issue:.0}/s, ratio {:.3} (target ≥ 0.8)",
            pg_issue / sqlite_issue
        );
        println!(
            "protected GET (median): SQLite {sqlite_get:.0}/s, PostgreSQL {pg_get:.0}/s, ratio {:.3}",
            pg_get / sqlite_get
        );
        for instance in instances {
            instance.shutdown().await;
        }
        pg.drop_database().await;

        let (delays, at_first_poll) = revocation_propagation(revocations).await;
        let mut ms: Vec<f64> = delays.iter().map(|d| d.as_secs_f64() * 1e3).collect();
        ms.sort_by(f64::total_cmp);
        println!(
            "revocation propagation A → B over {} revocations: median {:.1} ms, p90 {:.1} ms, \
             max {:.1} ms; refused at B's first request after /revoke answered: {at_first_poll}",
            ms.len(),
            ms[ms.len() / 2],
            ms[ms.len() * 9 / 10],
            ms[ms.len() - 1]
        );
    });
}

/// Two demo instances on one fresh PostgreSQL database; returns one delay per revocation, and
/// how many revocations B already refused at the first request after A's `/revoke` answered.
async fn revocation_propagation(rounds: usize) -> (Vec<Duration>, usize) {
    let db = BenchDatabase::create("revocation").await;
    let dir = tempfile::tempdir().unwrap();
    let options = DemoOptions {
        database: Some(db.url.clone()),
        public_url: Some(PublicUrl::parse("https://oneroster.lb.test").unwrap()),
    };
    let config = DemoConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.path().to_path_buf(),
    };
    let a = Demo::start_with(config.clone(), options.clone())
        .await
        .unwrap();
    let b = Demo::start_with(config, options).await.unwrap();
    let http = http_client(4, &a.ca_pem);
    let client = a.clients.get(ClientKind::Full).clone();
    let b_users = b.url(USERS);
    let mut delays = Vec::with_capacity(rounds);
    let mut at_first_poll = 0;
    for _ in 0..rounds {
        let token = issue(&http, &a.base_url, &client.client_id, &client.client_secret).await;
        let status = http
            .get(&b_users)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 200);
        let revoked = http
            .post(a.url("/revoke"))
            .basic_auth(&client.client_id, Some(&client.client_secret))
            .form(&[
                ("token", token.as_str()),
                ("token_type_hint", "access_token"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(revoked.status(), 200);
        let since = Instant::now();
        for poll in 1.. {
            let status = http
                .get(&b_users)
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .status();
            if status == 401 {
                delays.push(since.elapsed());
                at_first_poll += usize::from(poll == 1);
                break;
            }
            assert_eq!(status, 200);
            assert!(
                since.elapsed() < Duration::from_secs(10),
                "B still accepts a token revoked at A 10 s ago"
            );
        }
    }
    a.shutdown().await.unwrap();
    b.shutdown().await.unwrap();
    db.drop_database().await;
    (delays, at_first_poll)
}
