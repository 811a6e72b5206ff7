//! Resource-owner authentication for `/authorize`: the trait and a built-in user list.

use std::collections::HashMap;
use std::num::NonZeroU32;

use aws_lc_rs::pbkdf2;
use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use futures_util::future::BoxFuture;
use rand::RngCore;

/// Authenticates the resource owner on the built-in login page.
///
/// Implement it to plug in your own user directory; the returned string becomes the `sub` of
/// the issued tokens.
pub trait ResourceOwnerAuthenticator: Send + Sync + 'static {
    /// Returns the subject identifier when `username`/`password` are valid.
    fn authenticate<'a>(
        &'a self,
        username: &'a str,
        password: &'a str,
    ) -> BoxFuture<'a, Option<String>>;
}

/// PBKDF2-HMAC-SHA256 iterations for stored passwords (OWASP 2023 recommendation).
pub const PBKDF2_ITERATIONS: u32 = 600_000;

/// Hashes a password as `pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>`.
pub fn hash_password(password: &str, iterations: u32) -> String {
    let iterations = NonZeroU32::new(iterations).unwrap_or(NonZeroU32::MIN);
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let mut out = [0u8; 32];
    pbkdf2::derive(
        pbkdf2::PBKDF2_HMAC_SHA256,
        iterations,
        &salt,
        password.as_bytes(),
        &mut out,
    );
    format!(
        "pbkdf2-sha256${}${}${}",
        iterations,
        STANDARD_NO_PAD.encode(salt),
        STANDARD_NO_PAD.encode(out)
    )
}

/// Verifies a password against a [`hash_password`] string (constant time inside PBKDF2).
pub fn verify_password(password: &str, phc: &str) -> bool {
    let mut parts = phc.split('$');
    let (Some("pbkdf2-sha256"), Some(iter), Some(salt), Some(hash), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return false;
    };
    let (Some(iter), Ok(salt), Ok(hash)) = (
        iter.parse::<u32>().ok().and_then(NonZeroU32::new),
        STANDARD_NO_PAD.decode(salt),
        STANDARD_NO_PAD.decode(hash),
    ) else {
        return false;
    };
    pbkdf2::verify(
        pbkdf2::PBKDF2_HMAC_SHA256,
        iter,
        &salt,
        password.as_bytes(),
        &hash,
    )
    .is_ok()
}

/// A fixed list of users with PBKDF2-hashed passwords: enough for demos and tests.
///
/// ```
/// use ims_runtime::authorization_server::StaticUsers;
/// let users = StaticUsers::new().with_user("alice", "correct horse", 1_000);
/// ```
#[derive(Default, Clone)]
pub struct StaticUsers {
    users: HashMap<String, String>,
    dummy: String,
}

impl std::fmt::Debug for StaticUsers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaticUsers")
            .field("users", &self.users.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl StaticUsers {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a user, hashing `password` with `iterations` PBKDF2 rounds (use
    /// [`PBKDF2_ITERATIONS`] in production; tests may use fewer).
    pub fn with_user(self, username: &str, password: &str, iterations: u32) -> Self {
        let phc = hash_password(password, iterations);
        self.with_hashed_user(username, &phc)
    }

    /// Adds a user with an already hashed password (see [`hash_password`]).
    pub fn with_hashed_user(mut self, username: &str, phc: &str) -> Self {
        if self.dummy.is_empty() {
            // Unknown users still pay one hash with the same cost (no user enumeration by timing).
            self.dummy = phc.to_owned();
        }
        self.users.insert(username.to_owned(), phc.to_owned());
        self
    }
}

impl ResourceOwnerAuthenticator for StaticUsers {
    fn authenticate<'a>(
        &'a self,
        username: &'a str,
        password: &'a str,
    ) -> BoxFuture<'a, Option<String>> {
        Box::pin(async move {
            let stored = self.users.get(username).cloned();
            let phc = stored.clone().unwrap_or_else(|| self.dummy.clone());
            let pw = password.to_owned();
            let ok = tokio::task::spawn_blocking(move || verify_password(&pw, &phc))
                .await
                .unwrap_or(false);
            (ok && stored.is_some()).then(|| username.to_owned())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_hash_round_trips_and_rejects_wrong_password() {
        let h = hash_password("s3cret", 1000);
        assert!(verify_password("s3cret", &h));
        assert!(!verify_password("s3cret ", &h));
        assert!(!verify_password("s3cret", "garbage"));
    }
}
