//! `users.json`: the demo's resource owners, and the login page's authenticator over them.
//!
//! The file is `{"<username>": {"password": "…", "sub": "…"}, …}` (the shape outside testers
//! read). It is created with two users and random passwords on the first start and reused after.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use futures_util::future::BoxFuture;
use ims_runtime::authorization_server::ResourceOwnerAuthenticator;
use ims_runtime::authorization_server::owner::{hash_password, verify_password};
use serde::{Deserialize, Serialize};

/// The users file, inside the data directory.
pub const USERS_FILE: &str = "users.json";
/// The users created on the first start.
pub const DEFAULT_USERS: [&str; 2] = ["alice", "bob"];
/// PBKDF2 rounds for the in-memory hashes (the file itself holds the plain demo passwords
/// testers read, so the hash only keeps them out of the login path's memory compares).
const HASH_ITERATIONS: u32 = 10_000;

/// One user of `users.json`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoUser {
    /// The login password.
    pub password: String,
    /// The subject the tokens carry.
    pub sub: String,
}

impl std::fmt::Debug for DemoUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoUser")
            .field("password", &"<redacted>")
            .field("sub", &self.sub)
            .finish()
    }
}

/// The contents of `users.json`, by username.
pub type DemoUsers = BTreeMap<String, DemoUser>;

/// Why `users.json` could not be used.
#[derive(Debug, thiserror::Error)]
pub enum UsersError {
    /// Reading or writing failed.
    #[error("users file `{path}`: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not in the expected shape.
    #[error(
        "users file `{path}`: {detail} (expected {{\"<username>\": {{\"password\": \"…\", \"sub\": \"…\"}}, …}}; delete it to get new users)"
    )]
    Shape {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// No randomness for new passwords.
    #[error("cannot generate a password: {0}")]
    Random(String),
}

fn random_hex(bytes: usize) -> Result<String, UsersError> {
    let mut buf = vec![0u8; bytes];
    aws_lc_rs::rand::fill(&mut buf).map_err(|e| UsersError::Random(e.to_string()))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

/// Reads `DIR/users.json`, or creates it with [`DEFAULT_USERS`] and random passwords.
pub fn ensure_users(dir: &Path) -> Result<DemoUsers, UsersError> {
    let path = dir.join(USERS_FILE);
    match std::fs::read(&path) {
        Ok(bytes) => {
            let users: DemoUsers =
                serde_json::from_slice(&bytes).map_err(|e| UsersError::Shape {
                    path: path.clone(),
                    detail: e.to_string(),
                })?;
            if users.is_empty() {
                return Err(UsersError::Shape {
                    path,
                    detail: "no users".into(),
                });
            }
            Ok(users)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut users = DemoUsers::new();
            for name in DEFAULT_USERS {
                users.insert(
                    name.to_owned(),
                    DemoUser {
                        password: random_hex(10)?,
                        sub: format!("{name}-{}", random_hex(6)?),
                    },
                );
            }
            let text = serde_json::to_vec_pretty(&users).map_err(|e| UsersError::Shape {
                path: path.clone(),
                detail: e.to_string(),
            })?;
            let tmp = dir.join(format!("{USERS_FILE}.tmp"));
            write_private(&tmp, &text).map_err(|source| UsersError::Io {
                path: tmp.clone(),
                source,
            })?;
            // Rename so a crash never leaves a half-written file.
            std::fs::rename(&tmp, &path).map_err(|source| UsersError::Io {
                path: path.clone(),
                source,
            })?;
            tracing::info!(path = %path.display(), users = ?users.keys().collect::<Vec<_>>(), "created demo users");
            Ok(users)
        }
        Err(source) => Err(UsersError::Io { path, source }),
    }
}

/// Writes a file only its owner can read.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(path)?;
        f.write_all(bytes)?;
        f.sync_all()
    }
    #[cfg(not(unix))]
    {
        std::fs::write(path, bytes)
    }
}

/// Logs users of `users.json` in; the token's `sub` is the user's `sub`.
pub struct UsersAuthenticator {
    users: BTreeMap<String, (String, String)>,
    dummy: String,
}

impl std::fmt::Debug for UsersAuthenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UsersAuthenticator")
            .field("users", &self.users.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl UsersAuthenticator {
    /// Hashes every password once.
    pub fn new(users: &DemoUsers) -> Self {
        Self {
            users: users
                .iter()
                .map(|(name, u)| {
                    (
                        name.clone(),
                        (hash_password(&u.password, HASH_ITERATIONS), u.sub.clone()),
                    )
                })
                .collect(),
            dummy: hash_password("no such user", HASH_ITERATIONS),
        }
    }
}

impl ResourceOwnerAuthenticator for UsersAuthenticator {
    fn authenticate<'a>(
        &'a self,
        username: &'a str,
        password: &'a str,
    ) -> BoxFuture<'a, Option<String>> {
        Box::pin(async move {
            match self.users.get(username) {
                Some((phc, sub)) => verify_password(password, phc).then(|| sub.clone()),
                None => {
                    // Unknown users pay one hash too: no user enumeration by timing.
                    let _ = verify_password(password, &self.dummy);
                    None
                }
            }
        })
    }
}
