//! Cache coherence across instances sharing one PostgreSQL database (issue 11): two
//! [`AuthorizationServer`]s on one database; a revocation, a client change or deletion, or a
//! key rotation made on A reaches B's caches through the store's change feed
//! (`LISTEN/NOTIFY`). Each check polls with a generous deadline; how fast it happens is
//! measured by the benchmarks, not asserted here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use http::{Request, StatusCode, header};
use ims_runtime::authorization_server::{
    AuthorizationServer, IssuedClient, NewClient, Store, StoreChange, secrets,
};
use ims_runtime::resource_server::RevocationCheck;
use serde_json::Value;
use tokio::sync::broadcast;
use tower::ServiceExt;

use crate::authz_support::{ROSTER_RO, basic, defaults};
use crate::store_conformance_pg::TestDb;

const ISSUER: &str = "https://as.example.edu";
/// Far above the 100 ms the issue asks for; only a broken feed takes this long.
const DEADLINE: Duration = Duration::from_secs(2);

struct Instance {
    server: AuthorizationServer,
    store: Arc<dyn Store>,
}

/// Long enough that, without the change feed, B would answer from its caches for the whole
/// poll deadline: "not revoked" answers (set here) and clients (30 s) alike.
const NO_RECHECK: Duration = Duration::from_secs(600);

async fn instance(db: &TestDb) -> Instance {
    let store = db.store().await;
    let server = defaults(AuthorizationServer::builder(ISSUER, Arc::clone(&store)))
        .revocation_recheck(NO_RECHECK)
        .build()
        .await
        .unwrap();
    Instance { server, store }
}

/// POSTs a form to the server's router in process.
async fn post_form(
    server: &AuthorizationServer,
    path: &str,
    form: &[(&str, &str)],
    client: &IssuedClient,
    secret: &str,
) -> (StatusCode, Value) {
    let request = Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::AUTHORIZATION, basic(&client.client_id, secret))
        .body(Body::from(serde_urlencoded::to_string(form).unwrap()))
        .unwrap();
    let response = server.router().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

async fn token(
    server: &AuthorizationServer,
    client: &IssuedClient,
    secret: &str,
) -> (StatusCode, Value) {
    post_form(
        server,
        "/token",
        &[("grant_type", "client_credentials"), ("scope", ROSTER_RO)],
        client,
        secret,
    )
    .await
}

/// Polls `check` until it holds; fails after [`DEADLINE`]. Returns how long it took.
async fn eventually<F, Fut>(what: &str, mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    loop {
        if check().await {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < DEADLINE,
            "{what}: not within {DEADLINE:?}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Waits for `wanted` on a change feed.
async fn delivered(feed: &mut broadcast::Receiver<StoreChange>, wanted: &StoreChange) {
    let found = tokio::time::timeout(DEADLINE, async {
        loop {
            if feed.recv().await.unwrap() == *wanted {
                return;
            }
        }
    })
    .await;
    assert!(
        found.is_ok(),
        "{wanted:?} not delivered within {DEADLINE:?}"
    );
}

fn secret(c: &IssuedClient) -> &str {
    c.client_secret.as_deref().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_revocation_on_one_instance_reaches_the_others_live_token_cache() {
    let db = TestDb::create().await;
    let (a, b) = (instance(&db).await, instance(&db).await);
    let client = a
        .server
        .create_client(NewClient::client_credentials([ROSTER_RO]))
        .await
        .unwrap();
    let (status, body) = token(&a.server, &client, secret(&client)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let at = body["access_token"].as_str().unwrap();
    let jti = b.server.verify_access_token(at).await.unwrap().unwrap().jti;
    // B now remembers the token as live (for NO_RECHECK without the feed).
    assert!(!RevocationCheck::is_revoked(&b.server, &jti).await);
    let mut feed = b.store.changes().unwrap();
    let (status, _) = post_form(
        &a.server,
        "/revoke",
        &[("token", at)],
        &client,
        secret(&client),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    delivered(
        &mut feed,
        &StoreChange::AccessTokenRevoked { jti: jti.clone() },
    )
    .await;
    let took = eventually("B refuses the revoked token", || {
        RevocationCheck::is_revoked(&b.server, &jti)
    })
    .await;
    eprintln!("revocation reached B after {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn client_secret_rotation_and_deletion_on_one_instance_reach_the_others_client_cache() {
    let db = TestDb::create().await;
    let (a, b) = (instance(&db).await, instance(&db).await);
    let client = a
        .server
        .create_client(NewClient::client_credentials([ROSTER_RO]))
        .await
        .unwrap();
    // B caches the client (30 s without the feed).
    assert_eq!(
        token(&b.server, &client, secret(&client)).await.0,
        StatusCode::OK
    );
    let new_secret = secrets::random_token();
    let mut record = a
        .store
        .get_client(&client.client_id)
        .await
        .unwrap()
        .unwrap();
    record.secret_hash = Some(secrets::hash_secret(&new_secret));
    a.server.put_client(record).await.unwrap();
    eventually("B accepts the new secret", || async {
        token(&b.server, &client, &new_secret).await.0 == StatusCode::OK
    })
    .await;
    assert_eq!(
        token(&b.server, &client, secret(&client)).await.0,
        StatusCode::UNAUTHORIZED,
        "the old secret is refused on B"
    );
    assert!(
        a.store
            .delete_client(&client.client_id, secrets::now())
            .await
            .unwrap()
    );
    eventually("B refuses the deleted client", || async {
        token(&b.server, &client, &new_secret).await.0 == StatusCode::UNAUTHORIZED
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_key_rotated_on_one_instance_verifies_on_the_other_without_a_reload() {
    let db = TestDb::create().await;
    let (a, b) = (instance(&db).await, instance(&db).await);
    let client = a
        .server
        .create_client(NewClient::client_credentials([ROSTER_RO]))
        .await
        .unwrap();
    let kid = a.server.rotate_signing_key().await.unwrap();
    let (status, body) = token(&a.server, &client, secret(&client)).await;
    assert_eq!(status, StatusCode::OK);
    let at = body["access_token"].as_str().unwrap().to_owned();
    eventually("B verifies a token signed with A's new key", || async {
        b.server.verify_access_token(&at).await.unwrap().is_some()
    })
    .await;
    assert!(b.server.jwks().to_string().contains(&kid));
    // And B signs with it too.
    let (status, body) = token(&b.server, &client, secret(&client)).await;
    assert_eq!(status, StatusCode::OK);
    let from_b = body["access_token"].as_str().unwrap();
    assert!(
        a.server
            .verify_access_token(from_b)
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_change_kind_is_delivered_to_every_instance() {
    let db = TestDb::create().await;
    let (writer, reader) = (db.store().await, db.store().await);
    let mut feed = reader.changes().unwrap();
    let mut own = writer.changes().unwrap();
    let client = crate::store_conformance::cases_client("c1");
    writer.put_client(client).await.unwrap();
    delivered(
        &mut feed,
        &StoreChange::ClientChanged {
            client_id: "c1".into(),
        },
    )
    .await;
    delivered(
        &mut own,
        &StoreChange::ClientChanged {
            client_id: "c1".into(),
        },
    )
    .await;
    writer.revoke_grant("g1", secrets::now()).await.unwrap();
    delivered(
        &mut feed,
        &StoreChange::GrantRevoked {
            grant_id: "g1".into(),
        },
    )
    .await;
    writer
        .revoke_access_token("j1", u64::MAX / 4)
        .await
        .unwrap();
    delivered(
        &mut feed,
        &StoreChange::AccessTokenRevoked { jti: "j1".into() },
    )
    .await;
    writer.delete_client("c1", secrets::now()).await.unwrap();
    delivered(
        &mut feed,
        &StoreChange::ClientDeleted {
            client_id: "c1".into(),
        },
    )
    .await;
    writer
        .put_signing_key(ims_runtime::authorization_server::model::StoredSigningKey {
            kid: "k".into(),
            alg: "ES256".into(),
            pkcs8: vec![],
            created_at: 0,
            activated_at: None,
            retire_at: Some(1),
        })
        .await
        .unwrap();
    delivered(&mut feed, &StoreChange::SigningKeysChanged).await;
}

async fn backends(admin: &tokio_postgres::Client, db: &TestDb, listening_only: bool) -> i64 {
    let name = db.url.rsplit('/').next().unwrap().to_owned();
    let sql = if listening_only {
        "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND query LIKE 'LISTEN%'"
    } else {
        "SELECT count(*) FROM pg_stat_activity WHERE datname = $1"
    };
    admin.query_one(sql, &[&name]).await.unwrap().get(0)
}

async fn admin(db: &TestDb) -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(
        &crate::store_conformance_pg::server_url(),
        tokio_postgres::NoTls,
    )
    .await
    .unwrap();
    tokio::spawn(conn);
    let _ = db;
    client
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_listener_that_reconnects_tells_subscribers_to_resync() {
    let db = TestDb::create().await;
    let store = db.store().await;
    let mut feed = store.changes().unwrap();
    let admin = admin(&db).await;
    let name = db.url.rsplit('/').next().unwrap().to_owned();
    let killed: i64 = admin
        .query_one(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
             WHERE datname = $1 AND query LIKE 'LISTEN%'",
            &[&name],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(killed, 1, "one listener per store");
    delivered(&mut feed, &StoreChange::Resync).await;
    // Listening again: changes flow.
    store.revoke_access_token("j", u64::MAX / 4).await.unwrap();
    delivered(
        &mut feed,
        &StoreChange::AccessTokenRevoked { jti: "j".into() },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dropping_the_store_ends_its_listener_and_closes_its_connections() {
    let db = TestDb::create().await;
    let admin = admin(&db).await;
    let store = db.store().await;
    store.health().await.unwrap();
    assert_eq!(backends(&admin, &db, true).await, 1);
    drop(store);
    eventually("the store's connections are closed", || async {
        backends(&admin, &db, false).await == 0
    })
    .await;
}
