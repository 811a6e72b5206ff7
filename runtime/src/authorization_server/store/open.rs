//! Opening a [`Store`] from a URL: `sqlite://PATH` (or a bare path) is the embedded default,
//! `postgres://…` / `postgresql://…` the database several instances share.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use super::Store;
use super::sqlite::SqliteStore;

/// Connection settings of a store opened by [`open_store`]. They apply to PostgreSQL; SQLite
/// (one connection, in process) has nothing to tune.
///
/// | setting | default | meaning |
/// |---|---|---|
/// | `max_connections` | 16 | pool size per instance (the change-feed listener holds one more) |
/// | `connect_timeout` | 5 s | a TCP connect + startup that takes longer fails |
/// | `statement_timeout` | 5 s | PostgreSQL cancels a statement that runs longer (`statement_timeout`); the request then fails with a store error |
/// | `pool_wait_timeout` | 5 s | a request waiting this long for a free pooled connection fails |
///
/// Reconnects: a pooled connection that broke is dropped and replaced on the next request (the
/// request that found it broken fails); the change-feed listener reconnects with a back-off from
/// 100 ms to 5 s and then tells the server to drop its caches ([`super::StoreChange::Resync`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreOptions {
    /// Pool size per instance.
    pub max_connections: usize,
    /// Connect (and authentication) timeout.
    pub connect_timeout: Duration,
    /// Server-side limit on one statement.
    pub statement_timeout: Duration,
    /// How long a request waits for a pooled connection.
    pub pool_wait_timeout: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            max_connections: 16,
            connect_timeout: Duration::from_secs(5),
            statement_timeout: Duration::from_secs(5),
            pool_wait_timeout: Duration::from_secs(5),
        }
    }
}

/// Why a store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum StoreOpenError {
    /// The URL names no store this binary has.
    #[error(
        "unsupported store URL `{0}`: use `sqlite://PATH` (or a file path) for SQLite or \
         `postgres://USER@HOST:PORT/DATABASE` (also `postgresql://`) for PostgreSQL"
    )]
    UnsupportedUrl(String),
    /// A `postgres://` URL, but the binary was built without the `postgres` feature.
    #[error(
        "this binary was built without PostgreSQL support: enable the `postgres` feature of \
         ims-runtime"
    )]
    PostgresNotBuilt,
    /// The URL is malformed or asks for something unsupported (e.g. TLS).
    #[error("invalid PostgreSQL URL: {0}")]
    InvalidUrl(String),
    /// The database could not be reached or opened.
    #[error("cannot connect to the store: {0}")]
    Connect(String),
    /// The database was migrated by a newer binary.
    #[error(
        "database schema version {found} is newer than this binary's {supported}: upgrade \
         ims-runtime or use another database"
    )]
    SchemaTooNew {
        /// The database's version.
        found: i64,
        /// The newest version this binary knows.
        supported: i64,
    },
    /// Applying a schema migration failed.
    #[error("schema migration failed: {0}")]
    Migration(String),
}

/// What [`migrate_store`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchemaMigration {
    /// The schema version before.
    pub from: i64,
    /// The schema version now (this binary's).
    pub to: i64,
}

enum StoreUrl<'a> {
    Sqlite(&'a Path),
    Postgres(&'a str),
}

fn classify(url: &str) -> Result<StoreUrl<'_>, StoreOpenError> {
    if let Some(path) = url.strip_prefix("sqlite://") {
        if path.is_empty() {
            return Err(StoreOpenError::UnsupportedUrl(url.to_owned()));
        }
        return Ok(StoreUrl::Sqlite(Path::new(path)));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(StoreUrl::Postgres(url));
    }
    // Any other scheme (`mysql://`, `redis://`, …) is a mistake, not a file name.
    if url.is_empty() || url.contains("://") {
        return Err(StoreUrl::unsupported(url));
    }
    Ok(StoreUrl::Sqlite(Path::new(url)))
}

impl StoreUrl<'_> {
    fn unsupported(url: &str) -> StoreOpenError {
        // Only the scheme: the rest may hold a password.
        let shown = url.split_once("://").map_or(url, |(scheme, _)| scheme);
        StoreOpenError::UnsupportedUrl(format!("{shown}://…"))
    }
}

/// Opens the store `url` names, applying schema migrations: `sqlite://PATH` or a bare path
/// (the file is created if missing), or `postgres://…` / `postgresql://…` (a libpq-style URL:
/// `postgres://USER:PASSWORD@HOST:PORT/DATABASE?application_name=…`; plain TCP or a Unix socket,
/// `sslmode=disable` or `prefer`).
///
/// ```no_run
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// use ims_runtime::authorization_server::{open_store, StoreOptions};
/// let store = open_store("postgres://ims@127.0.0.1:5432/ims", &StoreOptions::default()).await?;
/// # let _ = store; Ok(()) }
/// ```
pub async fn open_store(
    url: &str,
    options: &StoreOptions,
) -> Result<Arc<dyn Store>, StoreOpenError> {
    match classify(url)? {
        StoreUrl::Sqlite(path) => Ok(Arc::new(SqliteStore::open_versioned(path)?)),
        StoreUrl::Postgres(url) => open_postgres(url, options).await,
    }
}

#[cfg(feature = "postgres")]
async fn open_postgres(
    url: &str,
    options: &StoreOptions,
) -> Result<Arc<dyn Store>, StoreOpenError> {
    Ok(Arc::new(
        super::postgres::PostgresStore::connect(url, options).await?,
    ))
}

#[cfg(not(feature = "postgres"))]
async fn open_postgres(
    _url: &str,
    _options: &StoreOptions,
) -> Result<Arc<dyn Store>, StoreOpenError> {
    Err(StoreOpenError::PostgresNotBuilt)
}

/// Brings the store `url` names to this binary's schema version and returns before and after,
/// without starting anything else (the `migrate` step of a deployment: run it once before
/// starting new instances). Opening a store migrates too; this makes the step explicit.
pub async fn migrate_store(
    url: &str,
    options: &StoreOptions,
) -> Result<SchemaMigration, StoreOpenError> {
    match classify(url)? {
        StoreUrl::Sqlite(path) => {
            let before = sqlite_version_before(path)?;
            let store = SqliteStore::open_versioned(path)?;
            let to = store
                .schema_version()
                .map_err(|e| StoreOpenError::Migration(e.to_string()))?;
            Ok(SchemaMigration {
                from: before,
                to: i64::from(to),
            })
        }
        StoreUrl::Postgres(url) => migrate_postgres(url, options).await,
    }
}

/// The version of an existing SQLite file, 0 when there is none yet.
fn sqlite_version_before(path: &Path) -> Result<i64, StoreOpenError> {
    if !path.exists() {
        return Ok(0);
    }
    let conn = rusqlite::Connection::open(path)
        .map_err(|e| StoreOpenError::Connect(format!("cannot open `{}`: {e}", path.display())))?;
    conn.pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(|e| StoreOpenError::Migration(e.to_string()))
}

#[cfg(feature = "postgres")]
async fn migrate_postgres(
    url: &str,
    options: &StoreOptions,
) -> Result<SchemaMigration, StoreOpenError> {
    super::postgres::PostgresStore::migrate(url, options).await
}

#[cfg(not(feature = "postgres"))]
async fn migrate_postgres(
    _url: &str,
    _options: &StoreOptions,
) -> Result<SchemaMigration, StoreOpenError> {
    Err(StoreOpenError::PostgresNotBuilt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_classified() {
        assert!(matches!(
            classify("sqlite:///tmp/a.db"),
            Ok(StoreUrl::Sqlite(p)) if p == Path::new("/tmp/a.db")
        ));
        assert!(matches!(classify("authz.sqlite"), Ok(StoreUrl::Sqlite(_))));
        assert!(matches!(
            classify("postgres://u@h/db"),
            Ok(StoreUrl::Postgres(_))
        ));
        assert!(matches!(
            classify("postgresql://u@h/db"),
            Ok(StoreUrl::Postgres(_))
        ));
        let e = classify("mysql://root:hunter2@h/db")
            .err()
            .map(|e| e.to_string());
        let e = e.unwrap_or_default();
        assert!(
            e.contains("sqlite://PATH") && e.contains("postgres://"),
            "{e}"
        );
        assert!(!e.contains("hunter2"), "{e}");
        assert!(classify("").is_err());
        assert!(classify("sqlite://").is_err());
    }
}
