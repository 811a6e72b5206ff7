//! [`SqliteLaunchStore`]: the [`LaunchStore`] in one SQLite file, so pending logins and spent
//! nonces survive a restart and are shared by tool processes on one machine.
//!
//! Each operation is one statement, so it is atomic without an explicit transaction: taking a
//! login is `DELETE … RETURNING` (two concurrent launches with one `state` cannot both get a
//! row), spending a nonce is an `INSERT … ON CONFLICT DO UPDATE … WHERE` that changes a row only
//! when the nonce is new or its previous spend has expired. The statements are single-row and
//! short, so they run on the caller's thread, as the client's other SQLite bookkeeping does.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use futures_util::future::BoxFuture;
use rusqlite::{Connection, OptionalExtension, params};

use super::launch_store::{LaunchStore, LaunchStoreError, PendingLogin};

/// Rows written between sweeps of expired rows.
const SWEEP_EVERY: u64 = 256;

fn backend(e: impl std::fmt::Display) -> LaunchStoreError {
    LaunchStoreError::Backend(e.to_string())
}

/// Pending logins and spent nonces in a SQLite file (WAL).
pub struct SqliteLaunchStore {
    path: PathBuf,
    conn: Mutex<(Connection, u64)>,
}

impl std::fmt::Debug for SqliteLaunchStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteLaunchStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl SqliteLaunchStore {
    /// Opens (creating if needed) the store at `path`.
    pub fn open(path: &Path) -> Result<Self, LaunchStoreError> {
        let conn = Connection::open(path)
            .map_err(|e| backend(format!("opening `{}`: {e}", path.display())))?;
        Self::init(conn, path.to_owned())
    }

    /// A store in memory (tests, benchmarks).
    pub fn open_in_memory() -> Result<Self, LaunchStoreError> {
        Self::init(
            Connection::open_in_memory().map_err(backend)?,
            PathBuf::from(":memory:"),
        )
    }

    fn init(conn: Connection, path: PathBuf) -> Result<Self, LaunchStoreError> {
        conn.execute_batch(
            "PRAGMA journal_mode=WAL;
             PRAGMA busy_timeout=5000;
             CREATE TABLE IF NOT EXISTS lti_pending_login (
                 state TEXT PRIMARY KEY, record TEXT NOT NULL, expires_at INTEGER NOT NULL);
             CREATE TABLE IF NOT EXISTS lti_spent_nonce (
                 nonce TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);",
        )
        .map_err(backend)?;
        Ok(Self {
            path,
            conn: Mutex::new((conn, 0)),
        })
    }

    fn with_conn<T>(
        &self,
        now: i64,
        write: bool,
        f: impl FnOnce(&Connection) -> Result<T, LaunchStoreError>,
    ) -> Result<T, LaunchStoreError> {
        let mut guard = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        let (conn, writes) = &mut *guard;
        if write {
            *writes += 1;
            if writes.is_multiple_of(SWEEP_EVERY) {
                conn.execute(
                    "DELETE FROM lti_pending_login WHERE expires_at <= ?1",
                    params![now],
                )
                .map_err(backend)?;
                conn.execute(
                    "DELETE FROM lti_spent_nonce WHERE expires_at <= ?1",
                    params![now],
                )
                .map_err(backend)?;
            }
        }
        f(conn)
    }
}

impl LaunchStore for SqliteLaunchStore {
    fn put_login(
        &self,
        login: PendingLogin,
        now: i64,
    ) -> BoxFuture<'_, Result<(), LaunchStoreError>> {
        let result = serde_json::to_string(&login)
            .map_err(backend)
            .and_then(|record| {
                self.with_conn(now, true, |conn| {
                    // An expired row with the same state may be replaced; a live one may not.
                    let changed = conn
                        .execute(
                            "INSERT INTO lti_pending_login (state, record, expires_at)
                             VALUES (?1, ?2, ?3)
                             ON CONFLICT(state) DO UPDATE
                               SET record = excluded.record, expires_at = excluded.expires_at
                               WHERE lti_pending_login.expires_at <= ?4",
                            params![login.state, record, login.expires_at, now],
                        )
                        .map_err(backend)?;
                    if changed == 1 {
                        Ok(())
                    } else {
                        Err(LaunchStoreError::DuplicateState)
                    }
                })
            });
        Box::pin(async move { result })
    }

    fn take_login<'a>(
        &'a self,
        state: &'a str,
        now: i64,
    ) -> BoxFuture<'a, Result<Option<PendingLogin>, LaunchStoreError>> {
        let result = self.with_conn(now, false, |conn| {
            let record: Option<(String, i64)> = conn
                .query_row(
                    "DELETE FROM lti_pending_login WHERE state = ?1 RETURNING record, expires_at",
                    params![state],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .map_err(backend)?;
            match record {
                Some((record, expires_at)) if expires_at > now => serde_json::from_str(&record)
                    .map(Some)
                    .map_err(|e| backend(format!("stored pending login is corrupt: {e}"))),
                _ => Ok(None),
            }
        });
        Box::pin(async move { result })
    }

    fn peek_login<'a>(
        &'a self,
        state: &'a str,
        now: i64,
    ) -> BoxFuture<'a, Result<Option<PendingLogin>, LaunchStoreError>> {
        let result = self.with_conn(now, false, |conn| {
            let record: Option<String> = conn
                .query_row(
                    "SELECT record FROM lti_pending_login WHERE state = ?1 AND expires_at > ?2",
                    params![state, now],
                    |r| r.get(0),
                )
                .optional()
                .map_err(backend)?;
            record
                .map(|r| {
                    serde_json::from_str(&r)
                        .map_err(|e| backend(format!("stored pending login is corrupt: {e}")))
                })
                .transpose()
        });
        Box::pin(async move { result })
    }

    fn spend_nonce<'a>(
        &'a self,
        nonce: &'a str,
        until: i64,
        now: i64,
    ) -> BoxFuture<'a, Result<bool, LaunchStoreError>> {
        let result = self.with_conn(now, true, |conn| {
            let changed = conn
                .execute(
                    "INSERT INTO lti_spent_nonce (nonce, expires_at) VALUES (?1, ?2)
                     ON CONFLICT(nonce) DO UPDATE SET expires_at = excluded.expires_at
                       WHERE lti_spent_nonce.expires_at <= ?3",
                    params![nonce, until, now],
                )
                .map_err(backend)?;
            Ok(changed == 1)
        });
        Box::pin(async move { result })
    }
}
