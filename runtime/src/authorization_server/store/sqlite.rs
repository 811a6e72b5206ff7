//! The default [`Store`]: one SQLite file (WAL mode), surviving restarts.
//!
//! The schema is versioned with SQLite's `user_version`: the numbered migrations
//! (`MIGRATIONS`) are applied in order when the file is opened, and a file written by a newer
//! binary is refused.
//!
//! All access goes through one connection behind a mutex on tokio's blocking pool. That keeps
//! every operation trivially atomic inside the process, and `BEGIN IMMEDIATE` transactions keep
//! the read-modify-write operations atomic against other processes opening the same file. The
//! token hot path (client_credentials) never touches the database: clients are cached by the
//! server and access tokens are not written.

use std::path::Path;
use std::sync::{Arc, Mutex};

use futures_util::future::BoxFuture;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::open::StoreOpenError;
use super::{Store, StoreError, StoreResult, merge_scopes};
use crate::authorization_server::model::{
    CodeConsumption, CodeRecord, ConsentRecord, PendingAuthorization, RefreshRecord,
    RefreshRotation, RegisteredClient, StoredSigningKey,
};

/// Version 1: the schema as first released (created with `IF NOT EXISTS`, so a file from before
/// versioning, `user_version` 0, is brought to version 1 by running it).
const SCHEMA_V1: &str = "
CREATE TABLE IF NOT EXISTS clients (
    client_id TEXT PRIMARY KEY,
    rat_hash TEXT,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS clients_rat ON clients(rat_hash);
CREATE TABLE IF NOT EXISTS codes (
    code_hash TEXT PRIMARY KEY,
    grant_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    body TEXT NOT NULL,
    used INTEGER NOT NULL DEFAULT 0,
    expires_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    grant_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    subject TEXT NOT NULL,
    scope TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    used INTEGER NOT NULL DEFAULT 0,
    revoked INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS refresh_grant ON refresh_tokens(grant_id);
CREATE INDEX IF NOT EXISTS refresh_client ON refresh_tokens(client_id);
CREATE TABLE IF NOT EXISTS revoked_grants (
    grant_id TEXT PRIMARY KEY,
    revoked_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS grant_tokens (
    jti TEXT PRIMARY KEY,
    grant_id TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS grant_tokens_grant ON grant_tokens(grant_id);
CREATE TABLE IF NOT EXISTS revoked_tokens (
    jti TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS assertion_jtis (
    client_id TEXT NOT NULL,
    jti TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (client_id, jti)
);
CREATE TABLE IF NOT EXISTS pending_authorizations (
    id_hash TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS signing_keys (
    kid TEXT PRIMARY KEY,
    body TEXT NOT NULL
);
";

/// Version 2: when a refresh token was rotated (store clock, epoch seconds), for the
/// concurrent-refresh grace rule ([`super::REFRESH_ROTATION_GRACE`]).
const SCHEMA_V2: &str = "ALTER TABLE refresh_tokens ADD COLUMN used_at INTEGER;";

/// Version 3: resource owners' remembered consents, and the subject of each code as a column
/// (filled from the stored record) so withdrawing a consent finds the grants it started.
const SCHEMA_V3: &str = "
CREATE TABLE consents (
    subject TEXT NOT NULL,
    client_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    granted_at INTEGER NOT NULL,
    PRIMARY KEY (subject, client_id)
);
ALTER TABLE codes ADD COLUMN subject TEXT;
UPDATE codes SET subject = json_extract(body, '$.subject');
CREATE INDEX codes_client_subject ON codes(client_id, subject);
CREATE INDEX refresh_client_subject ON refresh_tokens(client_id, subject);
";

/// The schema migrations, in order: version `i + 1` is `MIGRATIONS[i]`.
pub(crate) const MIGRATIONS: &[&str] = &[SCHEMA_V1, SCHEMA_V2, SCHEMA_V3];

/// The schema version this binary writes.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// The store's clock in epoch seconds, as SQL (one clock for the grace rule).
const SQL_NOW: &str = "CAST(strftime('%s','now') AS INTEGER)";

/// [`super::REFRESH_ROTATION_GRACE`] in whole seconds.
const GRACE_SECS: i64 = super::REFRESH_ROTATION_GRACE.as_secs() as i64;

/// Revoked-grant markers are kept this long (seconds) so late redemptions stay refused.
const REVOKED_GRANT_RETENTION: u64 = 400 * 24 * 3600;

/// SQLite-backed [`Store`].
#[derive(Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").finish_non_exhaustive()
    }
}

fn err(e: impl std::fmt::Display) -> StoreError {
    StoreError(e.to_string())
}

fn to_json<T: serde::Serialize>(v: &T) -> rusqlite::Result<String> {
    serde_json::to_string(v).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

fn from_json<T: serde::de::DeserializeOwned>(s: &str) -> rusqlite::Result<T> {
    serde_json::from_str(s).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn u(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl SqliteStore {
    /// Opens (or creates) the database file at `path`, in WAL mode, and creates the schema.
    ///
    /// The file holds hashed client secrets and the private signing keys: keep it readable by the
    /// server's user only.
    /// A file written by a newer binary (schema version above [`SCHEMA_VERSION`]) is refused.
    pub fn open(path: &Path) -> StoreResult<Self> {
        Self::open_versioned(path).map_err(|e| StoreError(e.to_string()))
    }

    /// [`Self::open`] with a typed error (what [`super::open::open_store`] reports).
    pub(crate) fn open_versioned(path: &Path) -> Result<Self, StoreOpenError> {
        let conn = Connection::open(path).map_err(|e| {
            StoreOpenError::Connect(format!("cannot open `{}`: {e}", path.display()))
        })?;
        Self::init(conn, true)
    }

    /// A private in-memory database (unit tests and examples; nothing survives the process).
    pub fn in_memory() -> StoreResult<Self> {
        Self::init(Connection::open_in_memory().map_err(err)?, false)
            .map_err(|e| StoreError(e.to_string()))
    }

    /// The schema version of the file (`user_version`).
    pub fn schema_version(&self) -> StoreResult<u32> {
        let conn = self
            .conn
            .lock()
            .map_err(|_| StoreError("lock poisoned".into()))?;
        conn.pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(err)
    }

    fn init(mut conn: Connection, wal: bool) -> Result<Self, StoreOpenError> {
        let setup = |e: rusqlite::Error| StoreOpenError::Migration(e.to_string());
        if wal {
            // WAL + synchronous=NORMAL: committed transactions survive a process crash; readers
            // in other processes never block the writer.
            conn.pragma_update(None, "journal_mode", "WAL")
                .map_err(setup)?;
            conn.pragma_update(None, "synchronous", "NORMAL")
                .map_err(setup)?;
        }
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(setup)?;
        migrate(&mut conn)?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    fn run<T, F>(&self, f: F) -> BoxFuture<'static, StoreResult<T>>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                let mut guard = conn
                    .lock()
                    .map_err(|_| StoreError("lock poisoned".into()))?;
                f(&mut guard).map_err(err)
            })
            .await
            .map_err(err)?
        })
    }
}

/// Brings the file to [`SCHEMA_VERSION`] in one immediate transaction (so two processes opening
/// a new file at once do not both migrate it), or refuses a file from a newer binary.
fn migrate(conn: &mut Connection) -> Result<(), StoreOpenError> {
    let setup = |e: rusqlite::Error| StoreOpenError::Migration(e.to_string());
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(setup)?;
    let found: u32 = tx
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(setup)?;
    if found > SCHEMA_VERSION {
        return Err(StoreOpenError::SchemaTooNew {
            found: i64::from(found),
            supported: i64::from(SCHEMA_VERSION),
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        tx.execute_batch(sql)
            .map_err(|e| StoreOpenError::Migration(format!("schema version {}: {e}", i + 1)))?;
    }
    if found < SCHEMA_VERSION {
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)
            .map_err(setup)?;
        tracing::info!(
            from = found,
            to = SCHEMA_VERSION,
            "SQLite store schema migrated"
        );
    }
    tx.commit().map_err(setup)
}

fn revoke_grant_tx(
    tx: &rusqlite::Transaction<'_>,
    grant_id: &str,
    now: u64,
) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT OR IGNORE INTO revoked_grants (grant_id, revoked_at) VALUES (?1, ?2)",
        params![grant_id, u(now)],
    )?;
    tx.execute(
        "UPDATE refresh_tokens SET revoked = 1 WHERE grant_id = ?1",
        params![grant_id],
    )?;
    tx.execute(
        "INSERT OR IGNORE INTO revoked_tokens (jti, expires_at)
         SELECT jti, expires_at FROM grant_tokens WHERE grant_id = ?1",
        params![grant_id],
    )?;
    Ok(())
}

fn consent_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ConsentRecord> {
    Ok(ConsentRecord {
        subject: r.get(0)?,
        client_id: r.get(1)?,
        scope: r.get(2)?,
        granted_at: u64::try_from(r.get::<_, i64>(3)?).unwrap_or(0),
    })
}

impl Store for SqliteStore {
    fn get_client(&self, client_id: &str) -> BoxFuture<'_, StoreResult<Option<RegisteredClient>>> {
        let id = client_id.to_owned();
        self.run(move |c| {
            let body: Option<String> = c
                .query_row("SELECT body FROM clients WHERE client_id = ?1", [id], |r| {
                    r.get(0)
                })
                .optional()?;
            body.map(|b| from_json(&b)).transpose()
        })
    }

    fn put_client(&self, client: RegisteredClient) -> BoxFuture<'_, StoreResult<()>> {
        self.run(move |c| {
            let body = to_json(&client)?;
            c.execute(
                "INSERT INTO clients (client_id, rat_hash, body) VALUES (?1, ?2, ?3)
                 ON CONFLICT(client_id) DO UPDATE SET rat_hash = excluded.rat_hash, body = excluded.body",
                params![client.client_id, client.registration_token_hash, body],
            )?;
            Ok(())
        })
    }

    fn delete_client(&self, client_id: &str, now: u64) -> BoxFuture<'_, StoreResult<bool>> {
        let id = client_id.to_owned();
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let grants: Vec<String> = {
                let mut st = tx.prepare(
                    "SELECT DISTINCT grant_id FROM refresh_tokens WHERE client_id = ?1
                     UNION SELECT DISTINCT grant_id FROM codes WHERE client_id = ?1",
                )?;
                st.query_map([&id], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?
            };
            for g in &grants {
                revoke_grant_tx(&tx, g, now)?;
            }
            let n = tx.execute("DELETE FROM clients WHERE client_id = ?1", [&id])?;
            tx.commit()?;
            Ok(n > 0)
        })
    }

    fn client_by_registration_token(
        &self,
        token_hash: &str,
    ) -> BoxFuture<'_, StoreResult<Option<RegisteredClient>>> {
        let h = token_hash.to_owned();
        self.run(move |c| {
            let body: Option<String> = c
                .query_row("SELECT body FROM clients WHERE rat_hash = ?1", [h], |r| {
                    r.get(0)
                })
                .optional()?;
            body.map(|b| from_json(&b)).transpose()
        })
    }

    fn count_clients(&self) -> BoxFuture<'_, StoreResult<u64>> {
        self.run(|c| {
            let n: i64 = c.query_row("SELECT COUNT(*) FROM clients", [], |r| r.get(0))?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
    }

    fn insert_code(&self, code: CodeRecord) -> BoxFuture<'_, StoreResult<()>> {
        self.run(move |c| {
            c.execute(
                "INSERT INTO codes (code_hash, grant_id, client_id, subject, body, used, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6)",
                params![
                    code.code_hash,
                    code.grant_id,
                    code.client_id,
                    code.subject,
                    to_json(&code)?,
                    u(code.expires_at)
                ],
            )?;
            Ok(())
        })
    }

    fn consume_code(&self, code_hash: &str) -> BoxFuture<'_, StoreResult<CodeConsumption>> {
        let h = code_hash.to_owned();
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let row: Option<(String, i64)> = tx
                .query_row(
                    "SELECT body, used FROM codes WHERE code_hash = ?1",
                    [&h],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let result = match row {
                None => CodeConsumption::NotFound,
                Some((body, used)) => {
                    let rec: CodeRecord = from_json(&body)?;
                    if used != 0 {
                        CodeConsumption::AlreadyUsed(rec)
                    } else {
                        tx.execute("UPDATE codes SET used = 1 WHERE code_hash = ?1", [&h])?;
                        CodeConsumption::Consumed(rec)
                    }
                }
            };
            tx.commit()?;
            Ok(result)
        })
    }

    fn insert_refresh(&self, t: RefreshRecord) -> BoxFuture<'_, StoreResult<()>> {
        self.run(move |c| {
            c.execute(
                "INSERT INTO refresh_tokens
                 (token_hash, grant_id, client_id, subject, scope, expires_at, used, revoked)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,
                         ?8 OR EXISTS (SELECT 1 FROM revoked_grants WHERE grant_id = ?2))",
                params![
                    t.token_hash,
                    t.grant_id,
                    t.client_id,
                    t.subject,
                    t.scope,
                    u(t.expires_at),
                    t.used,
                    t.revoked
                ],
            )?;
            Ok(())
        })
    }

    fn get_refresh(&self, token_hash: &str) -> BoxFuture<'_, StoreResult<Option<RefreshRecord>>> {
        let h = token_hash.to_owned();
        self.run(move |c| {
            c.query_row(
                "SELECT token_hash, grant_id, client_id, subject, scope, expires_at, used, revoked
                 FROM refresh_tokens WHERE token_hash = ?1",
                [h],
                |r| {
                    Ok(RefreshRecord {
                        token_hash: r.get(0)?,
                        grant_id: r.get(1)?,
                        client_id: r.get(2)?,
                        subject: r.get(3)?,
                        scope: r.get(4)?,
                        expires_at: u64::try_from(r.get::<_, i64>(5)?).unwrap_or(0),
                        used: r.get(6)?,
                        revoked: r.get(7)?,
                    })
                },
            )
            .optional()
        })
    }

    fn rotate_refresh(
        &self,
        old_hash: &str,
        t: RefreshRecord,
    ) -> BoxFuture<'_, StoreResult<RefreshRotation>> {
        let h = old_hash.to_owned();
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let changed = tx.execute(
                &format!(
                    "UPDATE refresh_tokens SET used = 1, used_at = {SQL_NOW}
                     WHERE token_hash = ?1 AND used = 0 AND revoked = 0"
                ),
                [&h],
            )?;
            let result = if changed == 1 {
                tx.execute(
                    "INSERT INTO refresh_tokens
                     (token_hash, grant_id, client_id, subject, scope, expires_at, used, revoked)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, 0)",
                    params![
                        t.token_hash,
                        t.grant_id,
                        t.client_id,
                        t.subject,
                        t.scope,
                        u(t.expires_at)
                    ],
                )?;
                RefreshRotation::Rotated
            } else {
                // Rotated by someone else within the grace window (and not revoked since): a
                // concurrent loser. Otherwise a replay.
                let recent: Option<bool> = tx
                    .query_row(
                        &format!(
                            "SELECT revoked = 0 AND used_at IS NOT NULL AND used_at >= {SQL_NOW} - ?2
                             FROM refresh_tokens WHERE token_hash = ?1"
                        ),
                        params![&h, GRACE_SECS],
                        |r| r.get(0),
                    )
                    .optional()?;
                match recent {
                    Some(true) => RefreshRotation::ConcurrentlyRotated,
                    Some(false) => RefreshRotation::Replayed,
                    None => RefreshRotation::NotFound,
                }
            };
            tx.commit()?;
            Ok(result)
        })
    }

    fn revoke_grant(&self, grant_id: &str, now: u64) -> BoxFuture<'_, StoreResult<()>> {
        let g = grant_id.to_owned();
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            revoke_grant_tx(&tx, &g, now)?;
            tx.commit()
        })
    }

    fn record_access_token(
        &self,
        grant_id: &str,
        jti: &str,
        expires_at: u64,
    ) -> BoxFuture<'_, StoreResult<bool>> {
        let (g, j) = (grant_id.to_owned(), jti.to_owned());
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let revoked: Option<i64> = tx
                .query_row(
                    "SELECT 1 FROM revoked_grants WHERE grant_id = ?1",
                    [&g],
                    |r| r.get(0),
                )
                .optional()?;
            tx.execute(
                "INSERT INTO grant_tokens (jti, grant_id, expires_at) VALUES (?1, ?2, ?3)",
                params![j, g, u(expires_at)],
            )?;
            if revoked.is_some() {
                tx.execute(
                    "INSERT OR IGNORE INTO revoked_tokens (jti, expires_at) VALUES (?1, ?2)",
                    params![j, u(expires_at)],
                )?;
            }
            tx.commit()?;
            Ok(revoked.is_none())
        })
    }

    fn revoke_access_token(&self, jti: &str, expires_at: u64) -> BoxFuture<'_, StoreResult<()>> {
        let j = jti.to_owned();
        self.run(move |c| {
            c.execute(
                "INSERT OR IGNORE INTO revoked_tokens (jti, expires_at) VALUES (?1, ?2)",
                params![j, u(expires_at)],
            )?;
            Ok(())
        })
    }

    fn is_access_token_revoked(&self, jti: &str) -> BoxFuture<'_, StoreResult<bool>> {
        let j = jti.to_owned();
        self.run(move |c| {
            let hit: Option<i64> = c
                .query_row("SELECT 1 FROM revoked_tokens WHERE jti = ?1", [j], |r| {
                    r.get(0)
                })
                .optional()?;
            Ok(hit.is_some())
        })
    }

    fn use_jti(
        &self,
        client_id: &str,
        jti: &str,
        expires_at: u64,
    ) -> BoxFuture<'_, StoreResult<bool>> {
        let (ci, j) = (client_id.to_owned(), jti.to_owned());
        self.run(move |c| {
            let n = c.execute(
                "INSERT OR IGNORE INTO assertion_jtis (client_id, jti, expires_at) VALUES (?1, ?2, ?3)",
                params![ci, j, u(expires_at)],
            )?;
            Ok(n == 1)
        })
    }

    fn put_pending(&self, p: PendingAuthorization) -> BoxFuture<'_, StoreResult<()>> {
        self.run(move |c| {
            c.execute(
                "INSERT INTO pending_authorizations (id_hash, body, expires_at) VALUES (?1, ?2, ?3)",
                params![p.id_hash, to_json(&p)?, u(p.expires_at)],
            )?;
            Ok(())
        })
    }

    fn take_pending(
        &self,
        id_hash: &str,
    ) -> BoxFuture<'_, StoreResult<Option<PendingAuthorization>>> {
        let h = id_hash.to_owned();
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let body: Option<String> = tx
                .query_row(
                    "SELECT body FROM pending_authorizations WHERE id_hash = ?1",
                    [&h],
                    |r| r.get(0),
                )
                .optional()?;
            tx.execute(
                "DELETE FROM pending_authorizations WHERE id_hash = ?1",
                [&h],
            )?;
            tx.commit()?;
            body.map(|b| from_json(&b)).transpose()
        })
    }

    fn get_consent(
        &self,
        subject: &str,
        client_id: &str,
    ) -> BoxFuture<'_, StoreResult<Option<ConsentRecord>>> {
        let (sub, ci) = (subject.to_owned(), client_id.to_owned());
        self.run(move |c| {
            c.query_row(
                "SELECT subject, client_id, scope, granted_at FROM consents
                 WHERE subject = ?1 AND client_id = ?2",
                params![sub, ci],
                consent_row,
            )
            .optional()
        })
    }

    fn put_consent(&self, consent: ConsentRecord) -> BoxFuture<'_, StoreResult<()>> {
        self.run(move |c| {
            // Read and widen in one immediate transaction: a concurrent approval waits.
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let stored: Option<String> = tx
                .query_row(
                    "SELECT scope FROM consents WHERE subject = ?1 AND client_id = ?2",
                    params![consent.subject, consent.client_id],
                    |r| r.get(0),
                )
                .optional()?;
            let scope = merge_scopes(stored.as_deref().unwrap_or(""), &consent.scope);
            tx.execute(
                "INSERT INTO consents (subject, client_id, scope, granted_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(subject, client_id) DO UPDATE
                 SET scope = excluded.scope, granted_at = excluded.granted_at",
                params![
                    consent.subject,
                    consent.client_id,
                    scope,
                    u(consent.granted_at)
                ],
            )?;
            tx.commit()
        })
    }

    fn consents_of(&self, subject: &str) -> BoxFuture<'_, StoreResult<Vec<ConsentRecord>>> {
        let sub = subject.to_owned();
        self.run(move |c| {
            let mut st = c.prepare(
                "SELECT subject, client_id, scope, granted_at FROM consents
                 WHERE subject = ?1 ORDER BY client_id",
            )?;
            st.query_map([sub], consent_row)?.collect()
        })
    }

    fn withdraw_consent(
        &self,
        subject: &str,
        client_id: &str,
        now: u64,
    ) -> BoxFuture<'_, StoreResult<bool>> {
        let (sub, ci) = (subject.to_owned(), client_id.to_owned());
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let deleted = tx.execute(
                "DELETE FROM consents WHERE subject = ?1 AND client_id = ?2",
                params![sub, ci],
            )?;
            let grants: Vec<String> = {
                let mut st = tx.prepare(
                    "SELECT grant_id FROM refresh_tokens WHERE client_id = ?1 AND subject = ?2
                     UNION SELECT grant_id FROM codes WHERE client_id = ?1 AND subject = ?2
                     EXCEPT SELECT grant_id FROM revoked_grants",
                )?;
                st.query_map(params![ci, sub], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?
            };
            for g in &grants {
                revoke_grant_tx(&tx, g, now)?;
            }
            tx.commit()?;
            Ok(deleted > 0 || !grants.is_empty())
        })
    }

    fn signing_keys(&self) -> BoxFuture<'_, StoreResult<Vec<StoredSigningKey>>> {
        self.run(|c| {
            let mut st = c.prepare("SELECT body FROM signing_keys")?;
            let bodies: Vec<String> = st
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            bodies.iter().map(|b| from_json(b)).collect()
        })
    }

    fn put_signing_key(&self, key: StoredSigningKey) -> BoxFuture<'_, StoreResult<()>> {
        self.run(move |c| {
            c.execute(
                "INSERT INTO signing_keys (kid, body) VALUES (?1, ?2)
                 ON CONFLICT(kid) DO UPDATE SET body = excluded.body",
                params![key.kid, to_json(&key)?],
            )?;
            Ok(())
        })
    }

    fn purge_expired(&self, now: u64) -> BoxFuture<'_, StoreResult<()>> {
        self.run(move |c| {
            let n = u(now);
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute("DELETE FROM codes WHERE expires_at < ?1", [n])?;
            tx.execute("DELETE FROM refresh_tokens WHERE expires_at < ?1", [n])?;
            tx.execute("DELETE FROM grant_tokens WHERE expires_at < ?1", [n])?;
            tx.execute("DELETE FROM revoked_tokens WHERE expires_at < ?1", [n])?;
            tx.execute("DELETE FROM assertion_jtis WHERE expires_at < ?1", [n])?;
            tx.execute(
                "DELETE FROM pending_authorizations WHERE expires_at < ?1",
                [n],
            )?;
            tx.execute(
                "DELETE FROM revoked_grants WHERE revoked_at < ?1",
                [u(now.saturating_sub(REVOKED_GRANT_RETENTION))],
            )?;
            tx.commit()
        })
    }

    fn health(&self) -> BoxFuture<'_, StoreResult<()>> {
        self.run(|c| c.query_row("SELECT 1", [], |_| Ok(())))
    }
}
