//! What one running authorization server holds: its validated settings and the parts the
//! endpoints work with (client directory, signing keys, revocations, grant storage).
//!
//! Endpoints do not take [`ServerState`] apart themselves: each builds its own narrow view
//! (`TokenEndpoint`, `AuthorizeEndpoint`, …) from it once per request, so what an endpoint may
//! touch is written in one place.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use super::key_rotation::SigningKeys;
use super::keys::SigningAlgorithm;
use super::model::{GrantType, RegisteredClient};
use super::owner::ResourceOwnerAuthenticator;
use super::revocation::Revocations;
use super::store::{Store, StoreError};
use crate::resource_server::failure_limit::IpWindowLimiter;

/// How long a cached client record is trusted before it is re-read from the store. This instance
/// invalidates its own changes immediately, and other instances' changes when the store's
/// change feed delivers them (PostgreSQL); the TTL bounds what a store without a feed, or a lost
/// notification, can leave stale.
const CLIENT_CACHE_TTL: Duration = Duration::from_secs(30);
/// Bound on cached clients; past it the cache starts over (cheap to refill).
const MAX_CACHED_CLIENTS: usize = 10_000;

/// The validated configuration of one server (built by
/// [`AuthorizationServerBuilder::build`](super::AuthorizationServerBuilder::build)).
pub(crate) struct AuthorizationServerSettings {
    pub(crate) issuer: String,
    pub(crate) audience: String,
    pub(crate) realm: String,
    /// Seconds.
    pub(crate) access_token_lifetime: u64,
    /// Seconds.
    pub(crate) code_lifetime: u64,
    /// Seconds.
    pub(crate) refresh_token_lifetime: u64,
    pub(crate) signing_alg: SigningAlgorithm,
    pub(crate) allow_client_secret_post: bool,
    /// Every scope the server knows.
    pub(crate) scopes: Vec<String>,
    pub(crate) registration: RegistrationPolicy,
}

impl AuthorizationServerSettings {
    /// The absolute URL of an endpoint at `path` under the issuer.
    pub(crate) fn endpoint(&self, path: &str) -> String {
        format!("{}{}", self.issuer, path)
    }
}

/// What dynamic client registration (RFC 7591 / RFC 7592) allows.
pub(crate) struct RegistrationPolicy {
    pub(crate) enabled: bool,
    pub(crate) scopes: Vec<String>,
    pub(crate) grant_types: Vec<GrantType>,
    pub(crate) initial_access_token_hash: Option<String>,
    pub(crate) max_clients: u64,
    pub(crate) require_ims_metadata: bool,
}

/// The shared state of one authorization server, behind every route.
pub(crate) struct ServerState {
    pub(crate) settings: AuthorizationServerSettings,
    /// Codes, refresh-token families, pending authorizations and assertion `jti`s.
    pub(crate) store: Arc<dyn Store>,
    pub(crate) clients: ClientDirectory,
    pub(crate) signing_keys: SigningKeys,
    pub(crate) revocations: Revocations,
    pub(crate) resource_owners: Arc<dyn ResourceOwnerAuthenticator>,
    /// Per-address limit on `/token` (AS-37); `None` when disabled.
    pub(crate) token_limiter: Option<Arc<IpWindowLimiter>>,
    /// Per-address limit on `/register` and its management endpoints (DR-16).
    pub(crate) registration_limiter: Option<Arc<IpWindowLimiter>>,
    #[cfg(feature = "client")]
    pub(crate) jwks_fetcher: super::jwks_fetch::JwksFetcher,
}

impl ServerState {
    /// Forgets `subject`'s consent to `client_id` and revokes that client's grants for them
    /// (see [`AuthorizationServer::withdraw_consent`](super::AuthorizationServer::withdraw_consent)).
    pub(crate) async fn withdraw_consent(
        &self,
        subject: &str,
        client_id: &str,
    ) -> Result<bool, StoreError> {
        let result = self
            .store
            .withdraw_consent(subject, client_id, super::secrets::now())
            .await;
        // Also on error: part of it may have committed, and forgetting is always safe.
        self.revocations.forget_live_tokens();
        result
    }
}

/// Registered clients, read through a short-lived cache.
pub(crate) struct ClientDirectory {
    store: Arc<dyn Store>,
    cache: RwLock<HashMap<String, (Arc<RegisteredClient>, Instant)>>,
}

impl ClientDirectory {
    pub(crate) fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            cache: RwLock::new(HashMap::new()),
        }
    }

    /// A client by id, from the cache when fresh.
    pub(crate) async fn get(
        &self,
        client_id: &str,
    ) -> Result<Option<Arc<RegisteredClient>>, StoreError> {
        if let Ok(cache) = self.cache.read()
            && let Some((c, at)) = cache.get(client_id)
            && at.elapsed() < CLIENT_CACHE_TTL
        {
            return Ok(Some(Arc::clone(c)));
        }
        let fetched = self.store.get_client(client_id).await?.map(Arc::new);
        if let Ok(mut cache) = self.cache.write() {
            match &fetched {
                Some(c) => {
                    if cache.len() > MAX_CACHED_CLIENTS {
                        cache.clear();
                    }
                    cache.insert(client_id.to_owned(), (Arc::clone(c), Instant::now()));
                }
                None => {
                    cache.remove(client_id);
                }
            }
        }
        Ok(fetched)
    }

    /// Inserts or replaces a client and drops it from the cache.
    pub(crate) async fn put(&self, client: RegisteredClient) -> Result<(), StoreError> {
        let id = client.client_id.clone();
        let result = self.store.put_client(client).await;
        self.forget(&id);
        result
    }

    /// The client whose RFC 7592 registration access token has this hash (uncached).
    pub(crate) async fn by_registration_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<RegisteredClient>, StoreError> {
        self.store.client_by_registration_token(token_hash).await
    }

    /// How many clients are stored (for the dynamic-registration cap).
    pub(crate) async fn count(&self) -> Result<u64, StoreError> {
        self.store.count_clients().await
    }

    /// Drops every cached client (the change feed may have missed changes).
    pub(crate) fn forget_all(&self) {
        if let Ok(mut cache) = self.cache.write() {
            cache.clear();
        }
    }

    /// Drops a client from the cache (after this instance changed or deleted it).
    pub(crate) fn forget(&self, client_id: &str) {
        if let Ok(mut cache) = self.cache.write() {
            cache.remove(client_id);
        }
    }
}
