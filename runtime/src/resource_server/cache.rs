//! A bounded cache of verified tokens in front of any [`TokenVerifier`] (RS-10, RS-17).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use sha2::{Digest, Sha256};

use super::principal::{Clock, Principal, SystemClock};
use super::verifier::{RevocationCheck, TokenVerifier, VerifyError};

/// A cached principal and when the entry stops being used.
type CacheEntry = (Arc<Principal>, Instant);

/// Caches successful verifications keyed by SHA-256 of the token (the token itself is never
/// stored), each until min(`exp`, TTL). Failures are not cached.
///
/// Every hit re-checks `exp` against the clock, and asks the [`RevocationCheck`] when one is set,
/// so revocation is visible on the next request; without one, the bound is the TTL for verifiers
/// whose answers can change (introspection) and `exp` for JWTs.
///
/// ```
/// # use std::sync::Arc;
/// use ims_runtime::resource_server::{CachingVerifier, JwtRules, KeySet, LocalJwtVerifier};
/// let inner = LocalJwtVerifier::new(KeySet::default(), JwtRules::new("https://as", "https://rs"));
/// let verifier = CachingVerifier::new(inner); // 60 s TTL, 10 000 entries
/// ```
pub struct CachingVerifier<V> {
    inner: V,
    ttl: Duration,
    max_entries: usize,
    clock: Arc<dyn Clock>,
    revocation: Option<Arc<dyn RevocationCheck>>,
    entries: Mutex<HashMap<[u8; 32], CacheEntry>>,
}

impl<V> std::fmt::Debug for CachingVerifier<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachingVerifier")
            .field("ttl", &self.ttl)
            .field("max_entries", &self.max_entries)
            .field("revocation_check", &self.revocation.is_some())
            .finish_non_exhaustive()
    }
}

impl<V: TokenVerifier> CachingVerifier<V> {
    /// A cache with a 60 s TTL and 10 000 entries.
    pub fn new(inner: V) -> Self {
        Self {
            inner,
            ttl: Duration::from_secs(60),
            max_entries: 10_000,
            clock: Arc::new(SystemClock),
            revocation: None,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// Sets the TTL (capped by each token's `exp`).
    pub fn with_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// Sets the maximum number of cached tokens.
    pub fn with_max_entries(mut self, n: usize) -> Self {
        self.max_entries = n;
        self
    }

    /// Consults `check` on every request (cached or not) for tokens with a `jti`.
    pub fn with_revocation_check(mut self, check: Arc<dyn RevocationCheck>) -> Self {
        self.revocation = Some(check);
        self
    }

    /// Replaces the clock used for `exp` checks on hits.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Number of cached tokens.
    pub fn len(&self) -> usize {
        self.entries.lock().map(|e| e.len()).unwrap_or(0)
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops every cached entry.
    pub fn clear(&self) {
        if let Ok(mut e) = self.entries.lock() {
            e.clear();
        }
    }

    fn lookup(&self, key: &[u8; 32]) -> Option<Principal> {
        // Only an `Arc` is cloned under the lock; the principal is copied after releasing it, so
        // the critical section stays tiny even when threads are descheduled.
        let hit = {
            let mut entries = self.entries.lock().ok()?;
            let (principal, until) = entries.get(key)?;
            if Instant::now() < *until && principal.exp > self.clock.now_unix() {
                Some(Arc::clone(principal))
            } else {
                entries.remove(key);
                None
            }
        };
        hit.map(|p| (*p).clone())
    }

    fn insert(&self, key: [u8; 32], principal: &Principal) {
        let remaining =
            u64::try_from(principal.exp.saturating_sub(self.clock.now_unix())).unwrap_or(0);
        let ttl = self.ttl.min(Duration::from_secs(remaining));
        if ttl.is_zero() {
            return;
        }
        let principal = Arc::new(principal.clone());
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if entries.len() >= self.max_entries {
            let now = Instant::now();
            entries.retain(|_, (_, until)| *until > now);
            if entries.len() >= self.max_entries {
                return; // Full of live entries: verify without caching rather than grow.
            }
        }
        entries.insert(key, (principal, Instant::now() + ttl));
    }

    async fn check_revoked(&self, principal: &Principal) -> Result<(), VerifyError> {
        if let (Some(check), Some(jti)) = (&self.revocation, &principal.jti)
            && check.is_revoked(jti).await
        {
            return Err(VerifyError::InvalidToken("revoked"));
        }
        Ok(())
    }
}

impl<V: TokenVerifier> TokenVerifier for CachingVerifier<V> {
    fn verify<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<Principal, VerifyError>> {
        Box::pin(async move {
            let key: [u8; 32] = Sha256::digest(token.as_bytes()).into();
            if let Some(principal) = self.lookup(&key) {
                self.check_revoked(&principal).await?;
                return Ok(principal);
            }
            let principal = self.inner.verify(token).await?;
            self.check_revoked(&principal).await?;
            self.insert(key, &principal);
            Ok(principal)
        })
    }
}
