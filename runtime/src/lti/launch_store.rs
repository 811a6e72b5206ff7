//! What the tool remembers between login initiation and launch.
//!
//! - The **pending login**, keyed by `state`: the nonce sent to the platform, the registration
//!   chosen, the `target_link_uri` asked for, and how `state` is bound to the browser. A launch
//!   takes it atomically (single use), so the same `state` can never complete two launches
//!   (LTI-01) and a `state` the browser did not start is refused (LTI-02).
//! - **Spent nonces**, kept until the `id_token` that carried them expires (plus leeway), so the
//!   same token cannot be launched twice even through a second login (LTI-01: a nonce store
//!   whose TTL is shorter than the token lifetime is the classic bug, ltijs #175).
//!
//! Times are passed in (epoch seconds) so tests and benchmarks drive them with their own clock.

use std::collections::HashMap;
use std::sync::Mutex;

use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};

/// How a pending login's `state` is bound to the browser that started it.
///
/// A cookie, or (when the platform offered LTI Platform Storage at login, `lti_storage_target`)
/// a cookie *and* a value kept in the platform's frame: a browser that blocks the tool's
/// third-party cookie proves itself with the value it reads back from the platform instead
/// (`runtime/docs/lti.md`, "Launches without third-party cookies").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BrowserBinding {
    /// A `Secure; HttpOnly; SameSite=None` cookie named after the state holds a random value; the
    /// store keeps its SHA-256 (hex).
    Cookie {
        /// SHA-256 (hex) of the cookie's value.
        value_sha256: String,
    },
    /// The login offered both proofs: the state cookie (set as for [`Self::Cookie`]) and a
    /// random value the login page stored with `lti.put_data` in the platform's storage frame.
    /// Either proves the browser; the value is read back with `lti.get_data` when the cookie
    /// did not come back.
    PlatformStorage {
        /// SHA-256 (hex) of the state cookie's value.
        cookie_sha256: String,
        /// SHA-256 (hex) of the value stored in the platform.
        value_sha256: String,
        /// The frame the platform named in `lti_storage_target` (`_parent` for the parent
        /// window itself).
        target: String,
        /// The origin the tool posts its messages to: the origin of the platform's OIDC
        /// authorization endpoint (LTI Platform Storage §"targetOrigin").
        platform_origin: String,
    },
}

/// A login initiation waiting for its launch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingLogin {
    /// The `state` sent to the platform (43 random base64url characters).
    pub state: String,
    /// The `nonce` sent to the platform (43 random base64url characters).
    pub nonce: String,
    /// The registration's issuer.
    pub issuer: String,
    /// The registration's client_id.
    pub client_id: String,
    /// The `target_link_uri` of the login initiation (already checked as registered).
    pub target_link_uri: String,
    /// How `state` is bound to the browser.
    pub binding: BrowserBinding,
    /// After this (epoch seconds) the launch is refused.
    pub expires_at: i64,
}

/// A store failure.
#[derive(Debug, thiserror::Error)]
pub enum LaunchStoreError {
    /// The backing database failed.
    #[error("launch store: {0}")]
    Backend(String),
    /// A `state` was stored twice (a random collision or a bug).
    #[error("launch store: state already pending")]
    DuplicateState,
}

/// Pending logins and spent nonces, each operation atomic.
pub trait LaunchStore: Send + Sync + 'static {
    /// Records a pending login until its `expires_at`.
    fn put_login(
        &self,
        login: PendingLogin,
        now: i64,
    ) -> BoxFuture<'_, Result<(), LaunchStoreError>>;
    /// Removes and returns the pending login for `state` if it has not expired; `None` if it is
    /// unknown, expired or already taken. Two concurrent calls never both get it.
    fn take_login<'a>(
        &'a self,
        state: &'a str,
        now: i64,
    ) -> BoxFuture<'a, Result<Option<PendingLogin>, LaunchStoreError>>;
    /// Marks `nonce` spent until `until`; `false` when it already was (a replay). Atomic.
    fn spend_nonce<'a>(
        &'a self,
        nonce: &'a str,
        until: i64,
        now: i64,
    ) -> BoxFuture<'a, Result<bool, LaunchStoreError>>;
    /// The pending login for `state` if it has not expired, left in place. The cookie-less
    /// first POST of a platform-storage launch reads it (to answer the page that fetches the
    /// stored value); only the verified second POST takes it.
    fn peek_login<'a>(
        &'a self,
        state: &'a str,
        now: i64,
    ) -> BoxFuture<'a, Result<Option<PendingLogin>, LaunchStoreError>>;
}

/// Entries kept before expired ones are swept (a sweep is O(n); this bounds how often).
const SWEEP_EVERY: usize = 1024;

#[derive(Default)]
struct MemoryInner {
    logins: HashMap<String, PendingLogin>,
    nonces: HashMap<String, i64>,
    writes: usize,
}

impl MemoryInner {
    fn sweep(&mut self, now: i64) {
        self.writes += 1;
        if self.writes.is_multiple_of(SWEEP_EVERY) {
            self.logins.retain(|_, l| l.expires_at > now);
            self.nonces.retain(|_, until| *until > now);
        }
    }
}

/// An in-process [`LaunchStore`] (one tool instance; lost on restart, which only fails the
/// launches in flight).
#[derive(Default)]
pub struct MemoryLaunchStore {
    inner: Mutex<MemoryInner>,
}

impl std::fmt::Debug for MemoryLaunchStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryLaunchStore").finish_non_exhaustive()
    }
}

impl MemoryLaunchStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, MemoryInner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl LaunchStore for MemoryLaunchStore {
    fn put_login(
        &self,
        login: PendingLogin,
        now: i64,
    ) -> BoxFuture<'_, Result<(), LaunchStoreError>> {
        let result = {
            let mut inner = self.lock();
            inner.sweep(now);
            match inner.logins.get(&login.state) {
                Some(existing) if existing.expires_at > now => {
                    Err(LaunchStoreError::DuplicateState)
                }
                _ => {
                    inner.logins.insert(login.state.clone(), login);
                    Ok(())
                }
            }
        };
        Box::pin(async move { result })
    }

    fn take_login<'a>(
        &'a self,
        state: &'a str,
        now: i64,
    ) -> BoxFuture<'a, Result<Option<PendingLogin>, LaunchStoreError>> {
        let taken = self
            .lock()
            .logins
            .remove(state)
            .filter(|l| l.expires_at > now);
        Box::pin(async move { Ok(taken) })
    }

    fn peek_login<'a>(
        &'a self,
        state: &'a str,
        now: i64,
    ) -> BoxFuture<'a, Result<Option<PendingLogin>, LaunchStoreError>> {
        let found = self
            .lock()
            .logins
            .get(state)
            .filter(|l| l.expires_at > now)
            .cloned();
        Box::pin(async move { Ok(found) })
    }

    fn spend_nonce<'a>(
        &'a self,
        nonce: &'a str,
        until: i64,
        now: i64,
    ) -> BoxFuture<'a, Result<bool, LaunchStoreError>> {
        let fresh = {
            let mut inner = self.lock();
            inner.sweep(now);
            match inner.nonces.get(nonce) {
                Some(kept_until) if *kept_until > now => false,
                _ => {
                    inner.nonces.insert(nonce.to_owned(), until);
                    true
                }
            }
        };
        Box::pin(async move { Ok(fresh) })
    }
}

/// What the browser presented at launch to prove it started the login.
#[derive(Clone, Copy, Debug)]
pub enum BrowserProof<'a> {
    /// The value of the state cookie named after the launch's `state`, if the browser sent it.
    Cookie(Option<&'a str>),
    /// The value the launch page read back from the platform's storage (`lti.get_data`).
    PlatformStorage(&'a str),
}

fn hash_matches(value: &str, expected_sha256: &str) -> bool {
    crate::authorization_server::secrets::ct_eq(&super::login::sha256_hex(value), expected_sha256)
}

impl BrowserBinding {
    /// Whether `proof` satisfies this binding (constant-time comparison of hashes). A
    /// platform-storage binding takes either its cookie or its stored value.
    pub fn is_proven_by(&self, proof: &BrowserProof<'_>) -> bool {
        match (self, proof) {
            (Self::Cookie { value_sha256 }, BrowserProof::Cookie(Some(value)))
            | (
                Self::PlatformStorage {
                    cookie_sha256: value_sha256,
                    ..
                },
                BrowserProof::Cookie(Some(value)),
            )
            | (Self::PlatformStorage { value_sha256, .. }, BrowserProof::PlatformStorage(value)) => {
                !value.is_empty() && hash_matches(value, value_sha256)
            }
            (_, BrowserProof::Cookie(None))
            | (Self::Cookie { .. }, BrowserProof::PlatformStorage(_)) => false,
        }
    }

    /// The platform storage this login can be proven through, if any: `(target, origin)`.
    pub fn platform_storage(&self) -> Option<(&str, &str)> {
        match self {
            Self::Cookie { .. } => None,
            Self::PlatformStorage {
                target,
                platform_origin,
                ..
            } => Some((target, platform_origin)),
        }
    }
}
