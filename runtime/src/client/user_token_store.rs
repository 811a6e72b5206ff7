//! Where a consumer keeps its registrations and the user's tokens between runs.
//!
//! [`UserTokenStore`] is the contract; [`SqliteUserTokenStore`] (feature `client-sqlite`, on by
//! default) keeps them in one SQLite file so a consumer survives a restart without registering
//! or logging in again; [`MemoryUserTokenStore`] forgets them with the process. Records are keyed
//! by an account key the application chooses (e.g. the discovery URL plus a local user name).
//! Secrets are redacted in `Debug` (CL-16) and the SQLite file is created readable by its owner
//! only (Unix).

use std::collections::HashMap;
use std::sync::Mutex;

#[cfg(feature = "client-sqlite")]
use serde_json::{Map, Value};

use super::registration_client::Registration;
use super::secret::ClientSecret;

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum UserTokenStoreError {
    /// The backing storage failed (file, SQLite).
    #[error("token store: {0}")]
    Storage(String),
    /// A stored record could not be read back (written by another version, or edited).
    #[error("token store: stored record `{key}` is unreadable: {reason}")]
    Corrupt {
        /// The account key.
        key: String,
        /// What is wrong.
        reason: String,
    },
}

/// The user's tokens for one account. `Debug` redacts the tokens.
#[derive(Clone, PartialEq, Eq)]
pub struct UserTokens {
    /// The access token.
    pub access_token: ClientSecret,
    /// The refresh token (rotated on every refresh when the server rotates).
    pub refresh_token: Option<ClientSecret>,
    /// The scopes granted by the user.
    pub scopes: Vec<String>,
    /// When the access token expires, in Unix seconds (wall clock, so it survives a restart).
    pub expires_at: i64,
}

impl std::fmt::Debug for UserTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserTokens")
            .field("access_token", &"[redacted]")
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "[redacted]"),
            )
            .field("scopes", &self.scopes)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

// The JSON forms are what the SQLite store writes.
#[cfg(feature = "client-sqlite")]
impl UserTokens {
    fn to_json(&self) -> Value {
        serde_json::json!({
            "access_token": self.access_token.expose(),
            "refresh_token": self.refresh_token.as_ref().map(ClientSecret::expose),
            "scope": self.scopes.join(" "),
            "expires_at": self.expires_at,
        })
    }

    fn from_json(key: &str, v: &Value) -> Result<Self, UserTokenStoreError> {
        let corrupt = |reason: &str| UserTokenStoreError::Corrupt {
            key: key.to_owned(),
            reason: reason.to_owned(),
        };
        Ok(Self {
            access_token: ClientSecret::new(
                v.get("access_token")
                    .and_then(Value::as_str)
                    .ok_or_else(|| corrupt("no access_token"))?,
            ),
            refresh_token: v
                .get("refresh_token")
                .and_then(Value::as_str)
                .map(ClientSecret::new),
            scopes: v
                .get("scope")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .split(' ')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            expires_at: v
                .get("expires_at")
                .and_then(Value::as_i64)
                .ok_or_else(|| corrupt("no expires_at"))?,
        })
    }
}

/// Durable storage for a consumer's registrations and its users' tokens.
///
/// Calls are short local operations (a row in a file); they are made from async code without
/// `spawn_blocking`, like the rest of the client's bookkeeping.
pub trait UserTokenStore: Send + Sync + 'static {
    /// The registration kept under `key`.
    fn registration(&self, key: &str) -> Result<Option<Registration>, UserTokenStoreError>;
    /// Keeps `registration` under `key` (replacing any).
    fn save_registration(
        &self,
        key: &str,
        registration: &Registration,
    ) -> Result<(), UserTokenStoreError>;
    /// Forgets the registration under `key`.
    fn delete_registration(&self, key: &str) -> Result<(), UserTokenStoreError>;
    /// The tokens kept under `key`.
    fn tokens(&self, key: &str) -> Result<Option<UserTokens>, UserTokenStoreError>;
    /// Keeps `tokens` under `key` (replacing any).
    fn save_tokens(&self, key: &str, tokens: &UserTokens) -> Result<(), UserTokenStoreError>;
    /// Forgets the tokens under `key`.
    fn delete_tokens(&self, key: &str) -> Result<(), UserTokenStoreError>;
}

#[cfg(feature = "client-sqlite")]
fn registration_to_json(r: &Registration) -> Value {
    serde_json::json!({
        "registration_url": r.registration_url,
        "response": Value::Object(r.response.clone()),
    })
}

#[cfg(feature = "client-sqlite")]
fn registration_from_json(key: &str, v: &Value) -> Result<Registration, UserTokenStoreError> {
    let corrupt = |reason: String| UserTokenStoreError::Corrupt {
        key: key.to_owned(),
        reason,
    };
    let url = v
        .get("registration_url")
        .and_then(Value::as_str)
        .ok_or_else(|| corrupt("no registration_url".into()))?;
    let response: Map<String, Value> = v
        .get("response")
        .and_then(Value::as_object)
        .cloned()
        .ok_or_else(|| corrupt("no response".into()))?;
    Registration::from_stored(url, response).map_err(|e| corrupt(e.to_string()))
}

/// Keeps everything in memory (lost with the process; for tests and short-lived tools).
#[derive(Default)]
pub struct MemoryUserTokenStore {
    registrations: Mutex<HashMap<String, Registration>>,
    tokens: Mutex<HashMap<String, UserTokens>>,
}

impl std::fmt::Debug for MemoryUserTokenStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryUserTokenStore")
            .finish_non_exhaustive()
    }
}

impl MemoryUserTokenStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

impl UserTokenStore for MemoryUserTokenStore {
    fn registration(&self, key: &str) -> Result<Option<Registration>, UserTokenStoreError> {
        let m = self.registrations.lock().unwrap_or_else(|p| p.into_inner());
        Ok(m.get(key).cloned())
    }
    fn save_registration(&self, key: &str, r: &Registration) -> Result<(), UserTokenStoreError> {
        let mut m = self.registrations.lock().unwrap_or_else(|p| p.into_inner());
        m.insert(key.to_owned(), r.clone());
        Ok(())
    }
    fn delete_registration(&self, key: &str) -> Result<(), UserTokenStoreError> {
        let mut m = self.registrations.lock().unwrap_or_else(|p| p.into_inner());
        m.remove(key);
        Ok(())
    }
    fn tokens(&self, key: &str) -> Result<Option<UserTokens>, UserTokenStoreError> {
        let m = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        Ok(m.get(key).cloned())
    }
    fn save_tokens(&self, key: &str, t: &UserTokens) -> Result<(), UserTokenStoreError> {
        let mut m = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        m.insert(key.to_owned(), t.clone());
        Ok(())
    }
    fn delete_tokens(&self, key: &str) -> Result<(), UserTokenStoreError> {
        let mut m = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        m.remove(key);
        Ok(())
    }
}

#[cfg(feature = "client-sqlite")]
pub use sqlite::SqliteUserTokenStore;

#[cfg(feature = "client-sqlite")]
mod sqlite {
    use std::path::{Path, PathBuf};
    use std::sync::Mutex;

    use rusqlite::{Connection, OptionalExtension, params};
    use serde_json::Value;

    use super::{
        Registration, UserTokenStore, UserTokenStoreError, UserTokens, registration_from_json,
        registration_to_json,
    };

    fn storage(e: impl std::fmt::Display) -> UserTokenStoreError {
        UserTokenStoreError::Storage(e.to_string())
    }

    /// The durable default: one SQLite file (WAL), one table per record kind, JSON values.
    pub struct SqliteUserTokenStore {
        path: PathBuf,
        conn: Mutex<Connection>,
    }

    impl std::fmt::Debug for SqliteUserTokenStore {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("SqliteUserTokenStore")
                .field("path", &self.path)
                .finish_non_exhaustive()
        }
    }

    impl SqliteUserTokenStore {
        /// Opens (creating if needed) the store at `path`; on Unix a new file is made `0600`,
        /// since it holds the client secret and the user's refresh token.
        pub fn open(path: &Path) -> Result<Self, UserTokenStoreError> {
            let existed = path.exists();
            let conn = Connection::open(path)
                .map_err(|e| storage(format!("opening `{}`: {e}", path.display())))?;
            #[cfg(unix)]
            if !existed {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
                    .map_err(|e| storage(format!("restricting `{}`: {e}", path.display())))?;
            }
            #[cfg(not(unix))]
            let _ = existed;
            conn.execute_batch(
                "PRAGMA journal_mode=WAL;
                 PRAGMA busy_timeout=5000;
                 CREATE TABLE IF NOT EXISTS client_registrations (account TEXT PRIMARY KEY, record TEXT NOT NULL);
                 CREATE TABLE IF NOT EXISTS user_tokens (account TEXT PRIMARY KEY, record TEXT NOT NULL);",
            )
            .map_err(storage)?;
            Ok(Self {
                path: path.to_owned(),
                conn: Mutex::new(conn),
            })
        }

        fn get(&self, table: &str, key: &str) -> Result<Option<Value>, UserTokenStoreError> {
            let conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
            let text: Option<String> = conn
                .query_row(
                    &format!("SELECT record FROM {table} WHERE account = ?1"),
                    params![key],
                    |r| r.get(0),
                )
                .optional()
                .map_err(storage)?;
            text.map(|t| {
                serde_json::from_str(&t).map_err(|e| UserTokenStoreError::Corrupt {
                    key: key.to_owned(),
                    reason: e.to_string(),
                })
            })
            .transpose()
        }

        fn put(&self, table: &str, key: &str, v: &Value) -> Result<(), UserTokenStoreError> {
            let conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
            conn.execute(
                &format!(
                    "INSERT INTO {table} (account, record) VALUES (?1, ?2)
                     ON CONFLICT(account) DO UPDATE SET record = excluded.record"
                ),
                params![key, v.to_string()],
            )
            .map_err(storage)?;
            Ok(())
        }

        fn delete(&self, table: &str, key: &str) -> Result<(), UserTokenStoreError> {
            let conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
            conn.execute(
                &format!("DELETE FROM {table} WHERE account = ?1"),
                params![key],
            )
            .map_err(storage)?;
            Ok(())
        }
    }

    impl UserTokenStore for SqliteUserTokenStore {
        fn registration(&self, key: &str) -> Result<Option<Registration>, UserTokenStoreError> {
            self.get("client_registrations", key)?
                .map(|v| registration_from_json(key, &v))
                .transpose()
        }
        fn save_registration(
            &self,
            key: &str,
            r: &Registration,
        ) -> Result<(), UserTokenStoreError> {
            self.put("client_registrations", key, &registration_to_json(r))
        }
        fn delete_registration(&self, key: &str) -> Result<(), UserTokenStoreError> {
            self.delete("client_registrations", key)
        }
        fn tokens(&self, key: &str) -> Result<Option<UserTokens>, UserTokenStoreError> {
            self.get("user_tokens", key)?
                .map(|v| UserTokens::from_json(key, &v))
                .transpose()
        }
        fn save_tokens(&self, key: &str, t: &UserTokens) -> Result<(), UserTokenStoreError> {
            self.put("user_tokens", key, &t.to_json())
        }
        fn delete_tokens(&self, key: &str) -> Result<(), UserTokenStoreError> {
            self.delete("user_tokens", key)
        }
    }
}
