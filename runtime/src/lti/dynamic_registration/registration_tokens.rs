//! [`RegistrationTokens`]: the platform's single-use, expiring registration tokens (LTI-DR 1.0
//! §3.3 "Step 1: Registration Initiation Request": the `registration_token` the platform hands the tool in the registration initiation
//! request, presented back as a bearer token at the registration endpoint).
//!
//! Only a SHA-256 of each token is kept (a leaked memory dump or `Debug` output reveals nothing
//! usable), a token is removed the moment it is accepted (so two racing POSTs cannot both use
//! it: DR-17), and the table is bounded (an administrator clicking "register" in a loop cannot
//! grow it without limit).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::authorization_server::secrets::{hash_secret, random_token};
use crate::resource_server::{Clock, SystemClock};

/// How many live tokens are kept by default. Issuing past this first forgets expired tokens,
/// then the one closest to expiry.
pub const DEFAULT_MAX_REGISTRATION_TOKENS: usize = 1024;

/// Why a registration token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RegistrationTokenError {
    /// No token was presented.
    #[error(
        "no registration token was presented (send Authorization: Bearer <registration_token>)"
    )]
    Missing,
    /// The token was never issued here, was already used, or was forgotten.
    #[error(
        "the registration token is unknown or was already used; start the registration again from the platform"
    )]
    Unknown,
    /// The token was issued here but its lifetime is over.
    #[error("the registration token has expired; start the registration again from the platform")]
    Expired,
}

/// Single-use, expiring registration tokens, held in memory.
pub struct RegistrationTokens {
    /// SHA-256 (hex) of each live token → its expiry (Unix seconds).
    live: Mutex<HashMap<String, i64>>,
    max: usize,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for RegistrationTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistrationTokens")
            .field("live", &self.live.lock().map(|m| m.len()).unwrap_or(0))
            .field("max", &self.max)
            .finish_non_exhaustive()
    }
}

impl Default for RegistrationTokens {
    fn default() -> Self {
        Self::new()
    }
}

impl RegistrationTokens {
    /// An empty table on the system clock, bounded by [`DEFAULT_MAX_REGISTRATION_TOKENS`].
    pub fn new() -> Self {
        Self {
            live: Mutex::new(HashMap::new()),
            max: DEFAULT_MAX_REGISTRATION_TOKENS,
            clock: Arc::new(SystemClock),
        }
    }

    /// Replaces the clock (tests move a `ManualClock` past a token's expiry).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Replaces the bound on live tokens (at least 1).
    pub fn with_max_tokens(mut self, max: usize) -> Self {
        self.max = max.max(1);
        self
    }

    /// A fresh token (256 random bits, base64url) valid for `ttl`; only its hash is kept.
    pub fn issue(&self, ttl: Duration) -> String {
        let token = random_token();
        let now = self.clock.now_unix();
        let expires = now.saturating_add(i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX));
        let mut live = self.lock();
        if live.len() >= self.max {
            live.retain(|_, exp| *exp > now);
        }
        while live.len() >= self.max {
            // Still full of live tokens: forget the one closest to expiry, the least useful.
            let Some(oldest) = live
                .iter()
                .min_by_key(|(_, exp)| **exp)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            tracing::warn!(
                max = self.max,
                "registration token table full; forgetting the token closest to expiry"
            );
            live.remove(&oldest);
        }
        live.insert(hash_secret(&token), expires);
        token
    }

    /// Whether `token` would be accepted now, without using it up (the registration endpoint
    /// checks the token before the body, and takes it only once the body is valid, so a
    /// malformed request does not burn the administrator's token).
    pub fn check(&self, token: &str) -> Result<(), RegistrationTokenError> {
        let now = self.clock.now_unix();
        match self.lock().get(&hash_secret(token)) {
            None => Err(RegistrationTokenError::Unknown),
            Some(exp) if *exp <= now => Err(RegistrationTokenError::Expired),
            Some(_) => Ok(()),
        }
    }

    /// Uses `token` up: removed under the lock, so of two concurrent calls exactly one succeeds.
    pub fn take(&self, token: &str) -> Result<(), RegistrationTokenError> {
        let now = self.clock.now_unix();
        match self.lock().remove(&hash_secret(token)) {
            None => Err(RegistrationTokenError::Unknown),
            Some(exp) if exp <= now => Err(RegistrationTokenError::Expired),
            Some(_) => Ok(()),
        }
    }

    /// How many tokens are held (live or expired but not yet forgotten).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no token is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, i64>> {
        // A panic while holding this lock cannot leave the map inconsistent (each operation
        // is one insert/remove), so a poisoned lock is still usable.
        self.live.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource_server::ManualClock;

    #[test]
    fn a_token_is_accepted_once_and_only_until_it_expires() {
        let clock = Arc::new(ManualClock::new(1_000));
        let tokens = RegistrationTokens::new().with_clock(clock.clone());
        let a = tokens.issue(Duration::from_secs(600));
        assert_eq!(tokens.check(&a), Ok(()));
        assert_eq!(tokens.check(&a), Ok(()), "check does not use it up");
        assert_eq!(tokens.take(&a), Ok(()));
        assert_eq!(tokens.take(&a), Err(RegistrationTokenError::Unknown));
        let b = tokens.issue(Duration::from_secs(600));
        clock.set(1_600);
        assert_eq!(tokens.check(&b), Err(RegistrationTokenError::Expired));
        assert_eq!(tokens.take(&b), Err(RegistrationTokenError::Expired));
        assert_eq!(
            tokens.take("never-issued"),
            Err(RegistrationTokenError::Unknown)
        );
    }

    #[test]
    fn the_table_is_bounded_and_forgets_the_token_closest_to_expiry() {
        let clock = Arc::new(ManualClock::new(0));
        let tokens = RegistrationTokens::new()
            .with_clock(clock.clone())
            .with_max_tokens(2);
        let short = tokens.issue(Duration::from_secs(10));
        let long = tokens.issue(Duration::from_secs(600));
        let newest = tokens.issue(Duration::from_secs(600));
        assert_eq!(tokens.len(), 2);
        assert_eq!(tokens.check(&short), Err(RegistrationTokenError::Unknown));
        assert_eq!(tokens.check(&long), Ok(()));
        assert_eq!(tokens.check(&newest), Ok(()));
    }

    #[test]
    fn only_hashes_are_kept() {
        let tokens = RegistrationTokens::new();
        let t = tokens.issue(Duration::from_secs(60));
        let held = tokens.lock();
        assert!(!held.contains_key(&t));
        assert!(held.contains_key(&hash_secret(&t)));
    }
}
