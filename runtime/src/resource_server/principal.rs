//! Who called: [`Principal`], built from a verified token.

use serde_json::{Map, Value};

use crate::catalogue::ScopeRequirement;

/// The verified caller of a request: inserted into request extensions by the auth layer and
/// available to handlers as an extractor.
#[derive(Clone, PartialEq)]
pub struct Principal {
    /// `sub`: the resource owner, or the client itself for client credentials.
    pub sub: String,
    /// `client_id`: the OAuth client the token was issued to.
    pub client_id: String,
    /// Granted scopes: the `scope` claim split on single spaces (empty tokens dropped). Only
    /// `scope` counts; `scp` and other non-standard claims are ignored (RS-07).
    pub scopes: Vec<String>,
    /// `jti`, if the token carried one (used for revocation checks).
    pub jti: Option<String>,
    /// `exp` (seconds since the Unix epoch).
    pub exp: i64,
    /// All claims (JWT payload or introspection response); shared so cache hits stay cheap.
    pub claims: std::sync::Arc<Map<String, Value>>,
}

impl std::fmt::Debug for Principal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Claims may carry personal data; print the identifiers only.
        f.debug_struct("Principal")
            .field("sub", &self.sub)
            .field("client_id", &self.client_id)
            .field("scopes", &self.scopes)
            .field("jti", &self.jti)
            .field("exp", &self.exp)
            .finish_non_exhaustive()
    }
}

impl Principal {
    /// Whether the principal holds `scope` (exact, case-sensitive).
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }

    /// Whether the granted scopes satisfy `requirement` (any-of of all-of, exact tokens).
    pub fn satisfies(&self, requirement: &ScopeRequirement) -> bool {
        requirement.is_satisfied_by(&self.scopes)
    }
}

/// Splits an RFC 6749 §3.3 scope string: tokens separated by single spaces, compared exactly.
/// Tabs, commas and other separators are part of a token, so they never match a real scope.
pub fn split_scope(scope: &str) -> Vec<String> {
    scope
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A source of "now" in seconds since the Unix epoch, injectable for tests.
pub trait Clock: Send + Sync + 'static {
    /// Seconds since the Unix epoch.
    fn now_unix(&self) -> i64;
}

/// The system clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_unix(&self) -> i64 {
        time::OffsetDateTime::now_utc().unix_timestamp()
    }
}

/// A clock that returns a settable instant (for tests and simulations).
#[derive(Debug, Default)]
pub struct ManualClock(std::sync::atomic::AtomicI64);

impl ManualClock {
    /// A clock fixed at `now`.
    pub fn new(now: i64) -> Self {
        Self(std::sync::atomic::AtomicI64::new(now))
    }
    /// Moves the clock to `now`.
    pub fn set(&self, now: i64) {
        self.0.store(now, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_unix(&self) -> i64 {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}
