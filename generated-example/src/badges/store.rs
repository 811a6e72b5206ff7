//! [`BadgeStore`]: every user's credentials and profile, per spec, in one SQLite file.
//!
//! Rows are keyed by `(spec, sub)` so one user's token can never reach another user's rows:
//! every query takes the subject from the verified access token.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value;

/// Which API a row belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spec {
    /// Open Badges 3.0 (`/ims/ob/v3p0`).
    OpenBadges,
    /// CLR 2.0 (`/ims/clr/v2p0`).
    Clr,
}

impl Spec {
    fn key(self) -> &'static str {
        match self {
            Spec::OpenBadges => "ob_v3p0",
            Spec::Clr => "clr_v2p0",
        }
    }
}

/// Errors of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed.
    #[error("badge store `{path}`: {source}")]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// The SQLite error.
        #[source]
        source: rusqlite::Error,
    },
    /// A stored JSON document does not parse (the file was edited by hand).
    #[error("badge store `{path}`: stored document is not JSON: {source}")]
    Corrupt {
        /// The database file.
        path: PathBuf,
        /// The parse error.
        #[source]
        source: serde_json::Error,
    },
}

/// A stored credential: its JSON form, and the compact JWS it arrived as (if it did).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredCredential {
    /// The credential (the JWS payload's credential for VC-JWT ones).
    pub credential: Value,
    /// The compact JWS, for credentials upserted as `text/plain`.
    pub compact_jws: Option<String>,
}

/// A credential to upsert.
#[derive(Debug, Clone)]
pub struct NewCredential<'a> {
    /// The issuer's id (equal issuer and id mean the same credential).
    pub issuer: &'a str,
    /// The credential's id.
    pub id: &'a str,
    /// `validFrom` as Unix seconds (what `since` compares).
    pub valid_from: i64,
    /// The credential as JSON.
    pub credential: &'a Value,
    /// The compact JWS it came as, if any.
    pub compact_jws: Option<&'a str>,
}

/// The durable store (`badges.sqlite`).
///
/// Calls are short local statements made under a mutex from async handlers without
/// `spawn_blocking`: a demo's rows are few and each statement takes microseconds.
#[derive(Debug)]
pub struct BadgeStore {
    path: PathBuf,
    conn: Mutex<Connection>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS credential (
    spec TEXT NOT NULL,
    sub TEXT NOT NULL,
    issuer TEXT NOT NULL,
    id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    valid_from INTEGER NOT NULL,
    credential TEXT NOT NULL,
    compact_jws TEXT,
    PRIMARY KEY (spec, sub, issuer, id)
);
CREATE TABLE IF NOT EXISTS profile (
    spec TEXT NOT NULL,
    sub TEXT NOT NULL,
    profile TEXT NOT NULL,
    PRIMARY KEY (spec, sub)
);
";

impl BadgeStore {
    /// Opens (creating if needed) the store at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let err = |source| StoreError::Sqlite {
            path: path.to_path_buf(),
            source,
        };
        let conn = Connection::open(path).map_err(err)?;
        // WAL + full sync: an acknowledged upsert survives a crash or a kill.
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(err)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(err)?;
        conn.execute_batch(SCHEMA).map_err(err)?;
        Ok(Self {
            path: path.to_path_buf(),
            conn: Mutex::new(conn),
        })
    }

    fn err(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    fn corrupt(&self, source: serde_json::Error) -> StoreError {
        StoreError::Corrupt {
            path: self.path.clone(),
            source,
        }
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave a half-applied statement behind (SQLite
        // statements are atomic), so a poisoned lock is still usable.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Stores `new` for `sub`: `true` when it was created, `false` when it replaced the one with
    /// the same issuer and id (which keeps its place in the listing).
    pub fn upsert(
        &self,
        spec: Spec,
        sub: &str,
        new: &NewCredential<'_>,
    ) -> Result<bool, StoreError> {
        let text = new.credential.to_string();
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(|e| self.err(e))?;
        let updated = tx
            .execute(
                "UPDATE credential SET valid_from = ?5, credential = ?6, compact_jws = ?7
                 WHERE spec = ?1 AND sub = ?2 AND issuer = ?3 AND id = ?4",
                params![
                    spec.key(),
                    sub,
                    new.issuer,
                    new.id,
                    new.valid_from,
                    text,
                    new.compact_jws
                ],
            )
            .map_err(|e| self.err(e))?;
        if updated == 0 {
            let seq: i64 = tx
                .query_row(
                    "SELECT COALESCE(MAX(seq), 0) + 1 FROM credential",
                    [],
                    |r| r.get(0),
                )
                .map_err(|e| self.err(e))?;
            tx.execute(
                "INSERT INTO credential (spec, sub, issuer, id, seq, valid_from, credential, compact_jws)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![spec.key(), sub, new.issuer, new.id, seq, new.valid_from, text, new.compact_jws],
            )
            .map_err(|e| self.err(e))?;
        }
        tx.commit().map_err(|e| self.err(e))?;
        Ok(updated == 0)
    }

    /// One page (`offset`, `limit`) of `sub`'s credentials valid from after `since` (Unix
    /// seconds), in upsert order, and how many match in all.
    pub fn list(
        &self,
        spec: Spec,
        sub: &str,
        since: Option<i64>,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<StoredCredential>, u64), StoreError> {
        let since = since.unwrap_or(i64::MIN);
        let conn = self.conn();
        let total: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM credential WHERE spec = ?1 AND sub = ?2 AND valid_from > ?3",
                params![spec.key(), sub, since],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))?;
        let mut stmt = conn
            .prepare(
                "SELECT credential, compact_jws FROM credential
                 WHERE spec = ?1 AND sub = ?2 AND valid_from > ?3
                 ORDER BY seq LIMIT ?4 OFFSET ?5",
            )
            .map_err(|e| self.err(e))?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let offset = i64::try_from(offset).unwrap_or(i64::MAX);
        let rows = stmt
            .query_map(params![spec.key(), sub, since, limit, offset], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
            })
            .map_err(|e| self.err(e))?;
        let mut page = Vec::new();
        for row in rows {
            let (credential, compact_jws) = row.map_err(|e| self.err(e))?;
            page.push(StoredCredential {
                credential: serde_json::from_str(&credential).map_err(|e| self.corrupt(e))?,
                compact_jws,
            });
        }
        Ok((page, u64::try_from(total).unwrap_or(0)))
    }

    /// `sub`'s profile, if one was stored.
    pub fn profile(&self, spec: Spec, sub: &str) -> Result<Option<Value>, StoreError> {
        let text: Option<String> = self
            .conn()
            .query_row(
                "SELECT profile FROM profile WHERE spec = ?1 AND sub = ?2",
                params![spec.key(), sub],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        text.map(|t| serde_json::from_str(&t).map_err(|e| self.corrupt(e)))
            .transpose()
    }

    /// Replaces `sub`'s profile.
    pub fn put_profile(&self, spec: Spec, sub: &str, profile: &Value) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "INSERT INTO profile (spec, sub, profile) VALUES (?1, ?2, ?3)
                 ON CONFLICT (spec, sub) DO UPDATE SET profile = excluded.profile",
                params![spec.key(), sub, profile.to_string()],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }
}
