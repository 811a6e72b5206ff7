//! Access tokens recently confirmed not revoked, so a resource server in the same process does
//! not ask the store on every request.
//!
//! Every revocation this server performs (`/revoke`, refresh-token family and code-replay
//! revocation, client deletion) calls [`LiveTokens::forget_all`], so those are visible on the
//! next request. Revocations made by another instance sharing the store are applied when the
//! store's change feed delivers them (`cache_coherence`), and are seen within
//! [`LIVE_TOKEN_RECHECK`] even if a notification is lost. An epoch guards the race where a lookup that started before a
//! revocation finishes after it: its answer is then not remembered.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How long a "not revoked" answer from the store is reused by default (see
/// [`AuthorizationServerBuilder::revocation_recheck`](super::AuthorizationServerBuilder::revocation_recheck)).
pub const LIVE_TOKEN_RECHECK: Duration = Duration::from_secs(1);

/// Bound on remembered tokens; past it the map starts over (a cache, never a source of truth).
const MAX_REMEMBERED: usize = 100_000;

/// See the module docs.
#[derive(Debug)]
pub(crate) struct LiveTokens {
    epoch: AtomicU64,
    until: Mutex<HashMap<String, Instant>>,
    recheck: Duration,
}

impl Default for LiveTokens {
    fn default() -> Self {
        Self::new(LIVE_TOKEN_RECHECK)
    }
}

impl LiveTokens {
    /// Reuses a "not revoked" answer for `recheck`.
    pub(crate) fn new(recheck: Duration) -> Self {
        Self {
            epoch: AtomicU64::new(0),
            until: Mutex::new(HashMap::new()),
            recheck,
        }
    }

    /// The epoch to pass to [`Self::remember`] for a store lookup starting now.
    pub(crate) fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// Whether `jti` was confirmed not revoked less than the recheck interval ago.
    pub(crate) fn is_known_live(&self, jti: &str) -> bool {
        let Ok(map) = self.until.lock() else {
            return false;
        };
        map.get(jti).is_some_and(|until| Instant::now() < *until)
    }

    /// Remembers that the store said `jti` is not revoked, unless a revocation happened since
    /// the lookup began (`epoch` changed).
    pub(crate) fn remember(&self, jti: &str, epoch: u64) {
        let Ok(mut map) = self.until.lock() else {
            return;
        };
        // Checked under the lock: `forget_all` bumps the epoch before taking it.
        if self.epoch.load(Ordering::Acquire) != epoch {
            return;
        }
        if map.len() >= MAX_REMEMBERED {
            map.clear();
        }
        map.insert(jti.to_owned(), Instant::now() + self.recheck);
    }

    /// Forgets every remembered token: call after any revocation.
    pub(crate) fn forget_all(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        if let Ok(mut map) = self.until.lock() {
            map.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembered_until_forgotten() {
        let live = LiveTokens::default();
        assert!(!live.is_known_live("a"));
        live.remember("a", live.epoch());
        assert!(live.is_known_live("a"));
        live.forget_all();
        assert!(!live.is_known_live("a"));
    }

    #[test]
    fn a_lookup_overtaken_by_a_revocation_is_not_remembered() {
        let live = LiveTokens::default();
        let started = live.epoch();
        live.forget_all(); // a revocation lands while the lookup is in flight
        live.remember("a", started);
        assert!(!live.is_known_live("a"));
    }
}
