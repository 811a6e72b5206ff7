//! A fresh PostgreSQL database per test, for the `store_conformance*` tests: created on the
//! server named by `IMS_TEST_POSTGRES_URL` and dropped when the guard is dropped, so tests run
//! in parallel.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use ims_runtime::authorization_server::{Store, StoreOptions, open_store};
use tokio_postgres::NoTls;

/// The variable naming the test server.
pub const ENV: &str = ims_test_prerequisites::POSTGRES_URL_VAR;

/// The server's URL (a database the test user may connect to, e.g. `postgres`), or a failure
/// that says how to get one (the user must be allowed to `CREATE DATABASE`).
#[track_caller]
pub fn server_url() -> String {
    ims_test_prerequisites::postgres_url()
}

/// A database of its own, dropped (`WITH (FORCE)`) with the guard.
pub struct TestDb {
    /// Its URL.
    pub url: String,
    name: String,
    server: String,
}

async fn admin(server: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(server, NoTls)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {ENV}: {e}"));
    tokio::spawn(connection);
    client
}

impl TestDb {
    /// Creates `ims_test_<random>` on the test server.
    pub async fn create() -> Self {
        let server = server_url();
        let name = format!("ims_test_{}", uuid::Uuid::new_v4().simple());
        admin(&server)
            .await
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        let mut url = url::Url::parse(&server).unwrap();
        url.set_path(&format!("/{name}"));
        Self {
            url: url.to_string(),
            name,
            server,
        }
    }

    /// A store on it with small pools (many tests share one server's connection limit).
    pub async fn store(&self) -> Arc<dyn Store> {
        open_store(&self.url, &small_pool()).await.unwrap()
    }
}

/// Options for tests: a small pool.
pub fn small_pool() -> StoreOptions {
    StoreOptions {
        max_connections: 4,
        ..StoreOptions::default()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let (server, name) = (self.server.clone(), self.name.clone());
        // Drop runs inside the test's runtime: use a thread with a runtime of its own.
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                admin(&server)
                    .await
                    .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop test database {}", self.name);
        }
    }
}
