//! Three `oneroster-demo serve` processes behind one (notional) load balancer: one PostgreSQL
//! database, one data directory, one `--public-url` issuer. The test talks to each instance
//! directly, as the balancer would:
//!
//! - a token issued by A works on B and C;
//! - revoked on B, it is refused by A and C (their "not revoked" answers were cached just before);
//! - a client deleted while A has it cached cannot get a token from A, B or C;
//! - a signing key rotated while all three run signs A's next tokens, which B and C accept, and
//!   the tokens of the previous key stay valid;
//! - killing C (SIGKILL) in the middle of a load run loses no issued token (every token any
//!   instance issued before the kill verifies on the survivors) and A and B keep serving.
//!
//! The demo has no administration path over HTTP (no registration, no admin API), so the client
//! deletion and the key rotation go through the shared database, as an operator's tool would:
//! an `AuthorizationServer` handle in this process over its own `open_store` of the same
//! database (the change is announced by the store itself, whichever process makes it). The
//! delays until each instance sees a change are printed (`--nocapture`); their bound is measured
//! by the `scale_out` benchmark, not asserted here.
//!
//! Needs PostgreSQL: `IMS_TEST_POSTGRES_URL` names a server where the test may create (and drop)
//! a database, e.g. `postgres://postgres@127.0.0.1:5432/postgres`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use base64::Engine as _;
use ims_generated_example::demo::Clients;
use ims_generated_example::demo::app::{ALL_SCOPES, HEALTH_PATH};
use ims_generated_example::oneroster_v1p2_rostering::scopes;
use ims_runtime::authorization_server::{
    AuthorizationServer, NewClient, Store, StoreOptions, open_store,
};
use tokio::sync::Mutex;

const BIN: &str = env!("CARGO_BIN_EXE_oneroster-demo");
const CORE: &str = scopes::ROSTER_CORE_READONLY;
const USERS: &str = "/ims/oneroster/rostering/v1p2/users?limit=1";
/// The issuer every instance shares: the origin of a load balancer in front of them.
const PUBLIC_URL: &str = "https://oneroster.lb.test";
/// How long a change may take to reach an instance before the test fails (generous: the
/// machine is shared; the real figure is printed and benchmarked).
const POLL_DEADLINE: Duration = Duration::from_secs(5);

/// The PostgreSQL server from `IMS_TEST_POSTGRES_URL`, or a failure saying how to get one.
#[track_caller]
fn postgres_url() -> String {
    ims_test_prerequisites::postgres_url()
}

/// A database of its own for one test, dropped by [`Self::drop_database`].
struct TestDatabase {
    admin: tokio_postgres::Client,
    name: String,
    url: String,
}

impl TestDatabase {
    async fn create() -> Self {
        let admin_url = postgres_url();
        let (admin, connection) = tokio_postgres::connect(&admin_url, tokio_postgres::NoTls)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to IMS_TEST_POSTGRES_URL: {e}"));
        tokio::spawn(connection);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let name = format!("ims_multi_instance_{}_{nanos}", std::process::id());
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
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

/// One `oneroster-demo serve` process, killed when dropped (a failed test leaves none behind).
struct Instance {
    name: &'static str,
    child: Child,
    origin: String,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Instance {
    fn spawn(name: &'static str, dir: &Path, database: &str) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(BIN)
            .args([
                "serve",
                "--addr",
                &format!("127.0.0.1:{port}"),
                "--data-dir",
            ])
            .arg(dir)
            .args(["--database", database, "--public-url", PUBLIC_URL])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        Self {
            name,
            child,
            origin: format!("https://127.0.0.1:{port}"),
        }
    }

    /// Waits until the store health endpoint answers 200.
    async fn wait_healthy(&mut self) {
        let http = reqwest::Client::builder()
            .danger_accept_invalid_certs(true)
            .build()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("instance {} exited early: {status}", self.name);
            }
            let health = http
                .get(format!("{}{HEALTH_PATH}", self.origin))
                .send()
                .await;
            if health.is_ok_and(|r| r.status() == 200) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{} never became healthy",
                self.name
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGTERM, then a clean exit.
    fn stop(mut self) {
        let pid = self.child.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "{}: exit status {status}", self.name);
                return;
            }
            assert!(Instant::now() < deadline, "{} did not stop", self.name);
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// The balancer's view of the instances: a client trusting the demo CA.
#[derive(Clone)]
struct Api {
    http: reqwest::Client,
}

#[derive(Clone)]
struct Credentials {
    id: String,
    secret: String,
}

impl Api {
    fn new(ca_pem: &[u8]) -> Self {
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(ims_runtime::tls::client_config(Some(ca_pem)).unwrap())
            .https_only(true)
            .build()
            .unwrap();
        Self { http }
    }

    /// `POST /token` (client_credentials): the access token, or the status refusing it.
    async fn issue(&self, origin: &str, client: &Credentials) -> Result<String, String> {
        let response = self
            .http
            .post(format!("{origin}/token"))
            .basic_auth(&client.id, Some(&client.secret))
            .form(&[("grant_type", "client_credentials"), ("scope", CORE)])
            .send()
            .await
            .map_err(|e| format!("POST {origin}/token: {e}"))?;
        let status = response.status();
        if status != 200 {
            return Err(format!("POST {origin}/token: {status}"));
        }
        let body: serde_json::Value = response.json().await.map_err(|e| e.to_string())?;
        Ok(body["access_token"].as_str().unwrap().to_owned())
    }

    /// `GET /users?limit=1` with `token`: the status.
    async fn users(&self, origin: &str, token: &str) -> Result<u16, String> {
        let response = self
            .http
            .get(format!("{origin}{USERS}"))
            .bearer_auth(token)
            .send()
            .await
            .map_err(|e| format!("GET {origin}{USERS}: {e}"))?;
        Ok(response.status().as_u16())
    }

    /// `POST /revoke` (RFC 7009) for an access token.
    async fn revoke(&self, origin: &str, client: &Credentials, token: &str) {
        let response = self
            .http
            .post(format!("{origin}/revoke"))
            .basic_auth(&client.id, Some(&client.secret))
            .form(&[("token", token), ("token_type_hint", "access_token")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
}

/// Polls `check` until it holds; returns how long after `since` (when the change was made)
/// that was, or fails [`POLL_DEADLINE`] after `since`.
async fn until<F, Fut>(what: &str, since: Instant, mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    loop {
        if check().await {
            return since.elapsed();
        }
        assert!(
            since.elapsed() < POLL_DEADLINE,
            "{what}: not seen within {POLL_DEADLINE:?}"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// `oneroster-demo migrate --database URL`: its one line of output.
fn migrate(database: &str) -> String {
    let out = Command::new(BIN)
        .args(["migrate", "--database", database])
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The URL is shown, the password (if any) is not.
    assert!(stdout.starts_with("postgres"), "{stdout}");
    stdout.trim_end().to_owned()
}

/// The `kid` in a JWT's header.
fn kid(token: &str) -> String {
    let header = token.split('.').next().unwrap();
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .unwrap();
    let header: serde_json::Value = serde_json::from_slice(&json).unwrap();
    header["kid"].as_str().unwrap().to_owned()
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_share_one_database() {
    let db = TestDatabase::create().await;
    let dir = tempfile::tempdir().unwrap();

    // The deployment's migrate step, then A; B and C together once A has set the data
    // directory up.
    assert!(migrate(&db.url).contains("schema migrated from version 0 to "));
    assert!(migrate(&db.url).ends_with(" is current"));
    let mut a = Instance::spawn("A", dir.path(), &db.url);
    a.wait_healthy().await;
    let clients = std::fs::read(dir.path().join("clients.json")).unwrap();
    let ca = std::fs::read(dir.path().join("ca.pem")).unwrap();
    let mut b = Instance::spawn("B", dir.path(), &db.url);
    let mut c = Instance::spawn("C", dir.path(), &db.url);
    b.wait_healthy().await;
    c.wait_healthy().await;
    // B and C reused A's files rather than writing their own.
    assert_eq!(
        std::fs::read(dir.path().join("clients.json")).unwrap(),
        clients
    );
    assert_eq!(std::fs::read(dir.path().join("ca.pem")).unwrap(), ca);
    let demo = Clients::load(dir.path()).unwrap();
    let full = Credentials {
        id: demo.full.client_id.clone(),
        secret: demo.full.client_secret.clone(),
    };
    let api = Api::new(&ca);
    let all = [&a, &b, &c];

    // A token issued by A works everywhere.
    let token = api.issue(&a.origin, &full).await.unwrap();
    for i in all {
        assert_eq!(
            api.users(&i.origin, &token).await.unwrap(),
            200,
            "{}",
            i.name
        );
    }

    // Revoked on B (A and C answered "not revoked" for it a moment ago): refused by A and C.
    api.revoke(&b.origin, &full, &token).await;
    let revoked_at = Instant::now();
    for i in [&a, &c] {
        let (api, token) = (&api, &token);
        let delay = until(
            &format!("revocation on B seen by {}", i.name),
            revoked_at,
            || async move { api.users(&i.origin, token).await.unwrap() == 401 },
        )
        .await;
        eprintln!("revocation on B refused by {} after {delay:?}", i.name);
    }
    assert_eq!(api.users(&b.origin, &token).await.unwrap(), 401);

    // The operator's handle on the shared database (see the module doc).
    let store: Arc<dyn Store> = open_store(&db.url, &StoreOptions::default()).await.unwrap();
    let operator = AuthorizationServer::builder(PUBLIC_URL, store.clone())
        .scopes(ALL_SCOPES)
        .dynamic_registration(false)
        .build()
        .await
        .unwrap();

    // A client deleted while every instance has it cached gets no token anywhere.
    let issued = operator
        .create_client(NewClient::client_credentials([CORE]))
        .await
        .unwrap();
    let doomed = Credentials {
        id: issued.client_id.clone(),
        secret: issued.client_secret.clone().unwrap(),
    };
    for i in all {
        api.issue(&i.origin, &doomed).await.unwrap();
    }
    assert!(store.delete_client(&doomed.id, now()).await.unwrap());
    let deleted_at = Instant::now();
    for i in all {
        let (api, doomed) = (&api, &doomed);
        let delay = until(
            &format!("client deletion seen by {}", i.name),
            deleted_at,
            || async move { api.issue(&i.origin, doomed).await.is_err() },
        )
        .await;
        eprintln!("deleted client refused by {} after {delay:?}", i.name);
    }
    let refused = api.issue(&a.origin, &doomed).await.unwrap_err();
    assert!(refused.ends_with("401 Unauthorized"), "{refused}");

    // A signing key rotated while all three run: A signs with it, B and C accept its tokens,
    // and a token of the previous key stays good.
    let before = api.issue(&a.origin, &full).await.unwrap();
    let new_kid = operator.rotate_signing_key().await.unwrap();
    let rotated_at = Instant::now();
    assert_ne!(kid(&before), new_kid);
    let after = loop {
        let t = api.issue(&a.origin, &full).await.unwrap();
        if kid(&t) == new_kid {
            break t;
        }
        assert!(
            rotated_at.elapsed() < POLL_DEADLINE,
            "A still signs with the old key {POLL_DEADLINE:?} after the rotation"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    eprintln!(
        "A signs with the rotated key after {:?}",
        rotated_at.elapsed()
    );
    for i in [&b, &c] {
        let (api, after) = (&api, &after);
        let delay = until(
            &format!("rotated key accepted by {}", i.name),
            rotated_at,
            || async move { api.users(&i.origin, after).await.unwrap() == 200 },
        )
        .await;
        eprintln!(
            "{} accepts the rotated key's tokens after {delay:?}",
            i.name
        );
        assert_eq!(
            api.users(&i.origin, &before).await.unwrap(),
            200,
            "{}",
            i.name
        );
    }

    // Load on all three; C is killed half-way. Every token issued (by anyone) before or after
    // verifies on A and B afterwards, and A and B never fail a request.
    let load = LoadRun::new(api.clone(), full.clone(), [&a, &b, &c]);
    let workers = load.start(6);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    load.c_dead.store(true, Ordering::SeqCst);
    let killed_at = Instant::now();
    c.child.kill().unwrap();
    c.child.wait().unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    load.stop.store(true, Ordering::SeqCst);
    for w in workers {
        w.await.unwrap();
    }
    let issued = std::mem::take(&mut *load.issued.lock().await);
    let failures = std::mem::take(&mut *load.failures.lock().await);
    assert!(failures.is_empty(), "{failures:#?}");
    let by = |name: &str| issued.iter().filter(|t| t.by == name).count();
    assert!(by("C") > 0, "C issued nothing before it was killed");
    let after_kill = issued.iter().filter(|t| t.at > killed_at).count();
    assert!(after_kill > 0, "A and B issued nothing after the kill");
    eprintln!(
        "load: {} tokens issued (A {}, B {}, C {} before its kill), {after_kill} after the kill",
        issued.len(),
        by("A"),
        by("B"),
        by("C")
    );
    for t in &issued {
        for i in [&a, &b] {
            assert_eq!(
                api.users(&i.origin, &t.token).await.unwrap(),
                200,
                "a token issued by {} refused by {}",
                t.by,
                i.name
            );
        }
    }

    drop(c);
    a.stop();
    b.stop();
    drop(operator);
    drop(store);
    db.drop_database().await;
}

/// A token the load run received.
struct IssuedToken {
    token: String,
    by: &'static str,
    at: Instant,
}

/// Workers that issue a token at one instance and use it at the next, round robin, until
/// `stop`; requests to C fail silently once `c_dead` is set (a balancer would take C out).
#[derive(Clone)]
struct LoadRun {
    api: Api,
    client: Credentials,
    instances: Arc<Vec<(&'static str, String)>>,
    stop: Arc<AtomicBool>,
    c_dead: Arc<AtomicBool>,
    issued: Arc<Mutex<Vec<IssuedToken>>>,
    failures: Arc<Mutex<Vec<String>>>,
}

impl LoadRun {
    fn new(api: Api, client: Credentials, instances: [&Instance; 3]) -> Self {
        Self {
            api,
            client,
            instances: Arc::new(instances.map(|i| (i.name, i.origin.clone())).to_vec()),
            stop: Arc::default(),
            c_dead: Arc::default(),
            issued: Arc::default(),
            failures: Arc::default(),
        }
    }

    fn start(&self, workers: usize) -> Vec<tokio::task::JoinHandle<()>> {
        (0..workers)
            .map(|w| {
                let run = self.clone();
                tokio::spawn(async move { run.work(w).await })
            })
            .collect()
    }

    async fn work(self, first: usize) {
        let mut turn = first;
        while !self.stop.load(Ordering::SeqCst) {
            let alive: Vec<&(&'static str, String)> = self
                .instances
                .iter()
                .filter(|(name, _)| *name != "C" || !self.c_dead.load(Ordering::SeqCst))
                .collect();
            let (issuer, issuer_origin) = alive[turn % alive.len()];
            let (user, user_origin) = alive[(turn + 1) % alive.len()];
            turn += 1;
            match self.api.issue(issuer_origin, &self.client).await {
                Ok(token) => {
                    let at = Instant::now();
                    match self.api.users(user_origin, &token).await {
                        Ok(200) => {}
                        outcome => {
                            self.fail(user, format!("GET with a fresh token: {outcome:?}"))
                                .await
                        }
                    }
                    self.issued.lock().await.push(IssuedToken {
                        token,
                        by: issuer,
                        at,
                    });
                }
                Err(e) => self.fail(issuer, e).await,
            }
            // Paced well below the per-address token rate limit (1,000/s per instance).
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    async fn fail(&self, instance: &str, what: String) {
        // C's failures after its kill are the point of the exercise, not a fault.
        if instance == "C" && self.c_dead.load(Ordering::SeqCst) {
            return;
        }
        self.failures
            .lock()
            .await
            .push(format!("{instance}: {what}"));
    }
}
