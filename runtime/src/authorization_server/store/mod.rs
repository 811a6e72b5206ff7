//! The storage contract of the authorization server and its implementations.
//!
//! Everything correctness depends on goes through this trait — clients, codes, refresh-token
//! families, revocations, assertion `jti`s, pending authorizations, resource owners' consents
//! and signing keys — so several
//! server instances behind a load balancer can share one database (PostgreSQL). The
//! operations that must be atomic across instances are single calls here:
//! [`Store::consume_code`], [`Store::rotate_refresh`], [`Store::use_jti`],
//! [`Store::take_pending`], [`Store::record_access_token`], [`Store::put_consent`] and
//! [`Store::withdraw_consent`].
//!
//! | module | job |
//! |---|---|
//! | this one | the [`Store`] trait, [`StoreError`], [`StoreChange`] (the change feed) |
//! | `views` | the trait split per capability, as the endpoints hold it |
//! | [`sqlite`] | [`SqliteStore`](sqlite::SqliteStore): one file, the embedded default |
//! | [`postgres`] | [`PostgresStore`](postgres::PostgresStore): one database shared by several instances (feature `postgres`) |
//! | [`open`] | [`open_store`](open::open_store): a store chosen by URL, [`StoreOptions`](open::StoreOptions), [`StoreOpenError`](open::StoreOpenError) |
//!
//! Both implementations pass the same conformance suite
//! (`runtime/tests/integration/store_conformance.rs`).

use std::time::Duration;

use futures_util::future::BoxFuture;

use super::model::{
    CodeConsumption, CodeRecord, ConsentRecord, PendingAuthorization, RefreshRecord,
    RefreshRotation, RegisteredClient, StoredSigningKey,
};

pub mod open;
#[cfg(feature = "postgres")]
pub mod postgres;
pub mod sqlite;
pub(crate) mod views;

/// How long after a refresh token was rotated another presentation of it counts as a concurrent
/// duplicate of that rotation ([`RefreshRotation::ConcurrentlyRotated`]: `invalid_grant`, the
/// family stays) rather than a replay ([`RefreshRotation::Replayed`]: the family is revoked).
/// Measured on the store's clock in whole seconds, so the effective window is 2–3 s.
pub const REFRESH_ROTATION_GRACE: Duration = Duration::from_secs(2);

/// A change one instance made that other instances sharing the store must apply to their caches
/// (see [`Store::changes`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreChange {
    /// One access token was revoked.
    AccessTokenRevoked {
        /// Its `jti`.
        jti: String,
    },
    /// A grant (a refresh-token family and every access token issued under it) was revoked.
    GrantRevoked {
        /// The grant id.
        grant_id: String,
    },
    /// A client was created, replaced (e.g. a new secret) or disabled.
    ClientChanged {
        /// The client id.
        client_id: String,
    },
    /// A client was deleted (and its grants revoked).
    ClientDeleted {
        /// The client id.
        client_id: String,
    },
    /// A signing key was added or changed (rotation, staging, activation, retirement).
    SigningKeysChanged,
    /// Changes may have been missed (the feed reconnected to the database): drop every cache
    /// and reload the signing keys.
    Resync,
}

/// The union of two space-separated scope lists, sorted and without duplicates: how
/// [`Store::put_consent`] widens a stored consent.
pub fn merge_scopes(a: &str, b: &str) -> String {
    let mut all: Vec<&str> = a
        .split(' ')
        .chain(b.split(' '))
        .filter(|s| !s.is_empty())
        .collect();
    all.sort_unstable();
    all.dedup();
    all.join(" ")
}

/// A storage failure (I/O, corruption, lock poisoning). Never caused by client input.
#[derive(Debug, thiserror::Error)]
#[error("authorization store: {0}")]
pub struct StoreError(pub String);

/// Result type of [`Store`] operations.
pub type StoreResult<T> = Result<T, StoreError>;

/// Durable state of the authorization server. Implementations must be safe to share between
/// instances: every method is a self-contained (atomic) operation.
pub trait Store: Send + Sync + 'static {
    /// Looks up a client.
    fn get_client(&self, client_id: &str) -> BoxFuture<'_, StoreResult<Option<RegisteredClient>>>;
    /// Inserts or replaces a client.
    fn put_client(&self, client: RegisteredClient) -> BoxFuture<'_, StoreResult<()>>;
    /// Deletes a client and revokes every grant it holds; `false` if it did not exist.
    fn delete_client(&self, client_id: &str, now: u64) -> BoxFuture<'_, StoreResult<bool>>;
    /// Finds the client whose registration access token has this hash.
    fn client_by_registration_token(
        &self,
        token_hash: &str,
    ) -> BoxFuture<'_, StoreResult<Option<RegisteredClient>>>;
    /// Number of stored clients (for the dynamic-registration cap).
    fn count_clients(&self) -> BoxFuture<'_, StoreResult<u64>>;

    /// Stores a new authorization code.
    fn insert_code(&self, code: CodeRecord) -> BoxFuture<'_, StoreResult<()>>;
    /// Atomically marks a code used and returns it; exactly one caller ever gets `Consumed`.
    fn consume_code(&self, code_hash: &str) -> BoxFuture<'_, StoreResult<CodeConsumption>>;

    /// Stores a new refresh token (already revoked if its grant has been revoked).
    fn insert_refresh(&self, token: RefreshRecord) -> BoxFuture<'_, StoreResult<()>>;
    /// Looks up a refresh token by hash.
    fn get_refresh(&self, token_hash: &str) -> BoxFuture<'_, StoreResult<Option<RefreshRecord>>>;
    /// Atomically marks `old_hash` used and stores `new` — only if `old_hash` was live. Of any
    /// number of concurrent calls for one token exactly one gets `Rotated`; the others get
    /// `ConcurrentlyRotated` (within [`REFRESH_ROTATION_GRACE`] of that rotation) or `Replayed`,
    /// never an error.
    fn rotate_refresh(
        &self,
        old_hash: &str,
        new: RefreshRecord,
    ) -> BoxFuture<'_, StoreResult<RefreshRotation>>;

    /// Revokes a grant: its refresh tokens and every access token recorded for it. Later
    /// [`Store::record_access_token`] calls for that grant fail.
    fn revoke_grant(&self, grant_id: &str, now: u64) -> BoxFuture<'_, StoreResult<()>>;
    /// Records an access token issued under a grant. If the grant was revoked meanwhile (a
    /// concurrent code replay or refresh-token replay), the token is recorded as revoked at once
    /// and `false` is returned.
    fn record_access_token(
        &self,
        grant_id: &str,
        jti: &str,
        expires_at: u64,
    ) -> BoxFuture<'_, StoreResult<bool>>;
    /// Revokes one access token by `jti` (kept until it expires).
    fn revoke_access_token(&self, jti: &str, expires_at: u64) -> BoxFuture<'_, StoreResult<()>>;
    /// Whether an access token was revoked.
    fn is_access_token_revoked(&self, jti: &str) -> BoxFuture<'_, StoreResult<bool>>;

    /// Records a client-assertion `jti`; `false` if it was seen before (replay). Kept until
    /// `expires_at`.
    fn use_jti(
        &self,
        client_id: &str,
        jti: &str,
        expires_at: u64,
    ) -> BoxFuture<'_, StoreResult<bool>>;

    /// Stores a pending authorization request.
    fn put_pending(&self, pending: PendingAuthorization) -> BoxFuture<'_, StoreResult<()>>;
    /// Atomically removes and returns a pending authorization request.
    fn take_pending(
        &self,
        id_hash: &str,
    ) -> BoxFuture<'_, StoreResult<Option<PendingAuthorization>>>;

    /// The resource owner's remembered consent to a client, if any.
    fn get_consent(
        &self,
        subject: &str,
        client_id: &str,
    ) -> BoxFuture<'_, StoreResult<Option<ConsentRecord>>>;
    /// Remembers a consent. An existing consent of the same subject to the same client is
    /// widened, atomically: the stored scope becomes the union of both (see [`merge_scopes`]),
    /// so two approvals racing lose neither's scopes.
    fn put_consent(&self, consent: ConsentRecord) -> BoxFuture<'_, StoreResult<()>>;
    /// Every consent a resource owner has given, ordered by client id.
    fn consents_of(&self, subject: &str) -> BoxFuture<'_, StoreResult<Vec<ConsentRecord>>>;
    /// Withdraws a resource owner's consent to a client, in one transaction: deletes the consent
    /// and revokes every grant the client holds for that subject (its codes, refresh-token
    /// families and the access tokens issued under them), as [`Store::revoke_grant`] does.
    /// `true` if there was a consent or a grant not yet revoked.
    fn withdraw_consent(
        &self,
        subject: &str,
        client_id: &str,
        now: u64,
    ) -> BoxFuture<'_, StoreResult<bool>>;

    /// Every stored signing key.
    fn signing_keys(&self) -> BoxFuture<'_, StoreResult<Vec<StoredSigningKey>>>;
    /// Inserts or replaces a signing key.
    fn put_signing_key(&self, key: StoredSigningKey) -> BoxFuture<'_, StoreResult<()>>;

    /// Deletes expired codes, tokens, `jti`s, revocations and pending requests.
    fn purge_expired(&self, now: u64) -> BoxFuture<'_, StoreResult<()>>;

    /// Whether the store answers (the health endpoint asks this). The default reads the client
    /// count; implementations override it with their cheapest round trip.
    fn health(&self) -> BoxFuture<'_, StoreResult<()>> {
        Box::pin(async move { self.count_clients().await.map(|_| ()) })
    }

    /// A feed of the changes every instance sharing this store makes (its own included), for
    /// keeping per-process caches coherent; `None` when the store has no such feed (SQLite: one
    /// process, whose own changes the server applies directly).
    ///
    /// A receiver that lags ([`tokio::sync::broadcast::error::RecvError::Lagged`]) must treat it
    /// as [`StoreChange::Resync`].
    fn changes(&self) -> Option<tokio::sync::broadcast::Receiver<StoreChange>> {
        None
    }
}
