//! Each platform's verification keys: an inline JWKS, or the platform's `jwks_uri` fetched over
//! https and cached.
//!
//! Platforms rotate keys (pylti1.3 #90: hourly, with no-cache headers), so a fixed-TTL cache is
//! wrong and fetching on every launch is wasteful. Here the set is fetched on first use and
//! again only when a token names a `kid` the cached set lacks, at most once per
//! `min_refresh_interval` per platform, so a flood of made-up `kid`s cannot turn the tool into a
//! client hammering the platform (CL-13, JW-19). The fetch follows the runtime's [`HttpPolicy`]
//! (https only, no redirects, size caps), and keys are parsed by the resource server's
//! [`KeySet`] (RSA ≥ 2048 bits, no symmetric or private keys, `alg` pinned per key).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::client::{HttpPolicy, read_capped};
use crate::resource_server::{KeyLookup, KeySet, VerificationKey};

use super::error::LaunchError;
use super::registration::{PlatformKeySource, PlatformRegistration};

/// The cached key set of one platform key source. Launches read the set without waiting; the
/// async lock is held only by a fetch, and is the single flight: launches that need a refetch
/// queue on it and find the fetched set.
#[derive(Default)]
struct CachedKeys {
    keys: std::sync::RwLock<Option<Arc<KeySet>>>,
    last_fetch: tokio::sync::Mutex<Option<Instant>>,
}

impl CachedKeys {
    fn current(&self) -> Option<Arc<KeySet>> {
        self.keys.read().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

type Slot = Arc<CachedKeys>;

/// Platform key sets by key source, shared by every launch.
pub struct PlatformKeyCache {
    http: reqwest::Client,
    policy: HttpPolicy,
    min_refresh_interval: Duration,
    slots: Mutex<HashMap<String, Slot>>,
}

impl std::fmt::Debug for PlatformKeyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlatformKeyCache")
            .field("min_refresh_interval", &self.min_refresh_interval)
            .finish_non_exhaustive()
    }
}

impl PlatformKeyCache {
    /// A cache fetching with `policy`, refetching on an unknown `kid` at most once per
    /// `min_refresh_interval` per platform.
    pub fn new(
        policy: HttpPolicy,
        min_refresh_interval: Duration,
    ) -> Result<Self, crate::client::ClientError> {
        Ok(Self {
            http: policy.build_client()?,
            policy,
            min_refresh_interval,
            slots: Mutex::new(HashMap::new()),
        })
    }

    pub(crate) fn set_min_refresh_interval(&mut self, interval: Duration) {
        self.min_refresh_interval = interval;
    }

    fn slot(&self, key: &str) -> Slot {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        Arc::clone(slots.entry(key.to_owned()).or_default())
    }

    async fn fetch(&self, uri: &str) -> Result<KeySet, String> {
        let url = self.policy.check_url(uri).map_err(|e| e.to_string())?;
        let response = self
            .http
            .get(url)
            .header(
                http::header::ACCEPT,
                "application/jwk-set+json, application/json",
            )
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !response.status().is_success() {
            return Err(format!("status {}", response.status().as_u16()));
        }
        let body = read_capped(response, self.policy.max_response_bytes)
            .await
            .map_err(|e| e.to_string())?;
        KeySet::from_jwks_json(&body).map_err(|e| e.to_string())
    }

    /// The key that verifies a token with header `kid`/`alg` from `registration`'s platform:
    /// looked up in the cached set, which is fetched on first use and refetched once (rate
    /// limited) when the `kid` is unknown.
    pub async fn key_for(
        &self,
        registration: &PlatformRegistration,
        kid: Option<&str>,
        alg: jsonwebtoken::Algorithm,
    ) -> Result<VerificationKey, LaunchError> {
        let uri = match &registration.keys {
            PlatformKeySource::Jwks(doc) => {
                let bytes = serde_json::to_vec(doc).map_err(|_| LaunchError::KeysUnavailable)?;
                let set =
                    KeySet::from_jwks_json(&bytes).map_err(|_| LaunchError::KeysUnavailable)?;
                return pick(&set, kid, alg);
            }
            PlatformKeySource::JwksUri(uri) => uri,
        };
        let slot = self.slot(uri);
        let known = |set: Option<Arc<KeySet>>| match set.map(|s| pick(&s, kid, alg)) {
            Some(Err(LaunchError::UnknownKey)) | None => None,
            Some(found) => Some(found),
        };
        if let Some(found) = known(slot.current()) {
            return found;
        }
        let mut last_fetch = slot.last_fetch.lock().await;
        // Another launch may have fetched while this one waited.
        if let Some(found) = known(slot.current()) {
            return found;
        }
        let due = last_fetch.is_none_or(|t| t.elapsed() >= self.min_refresh_interval);
        if !due {
            return Err(if slot.current().is_some() {
                LaunchError::UnknownKey
            } else {
                LaunchError::KeysUnavailable
            });
        }
        *last_fetch = Some(Instant::now());
        match self.fetch(uri).await {
            Ok(set) => {
                let set = Arc::new(set);
                *slot.keys.write().unwrap_or_else(|p| p.into_inner()) = Some(Arc::clone(&set));
                pick(&set, kid, alg)
            }
            Err(error) => {
                tracing::warn!(jwks_uri = %uri, %error, "platform JWKS fetch failed");
                match slot.current() {
                    Some(_) => Err(LaunchError::UnknownKey),
                    None => Err(LaunchError::KeysUnavailable),
                }
            }
        }
    }
}

fn pick(
    set: &KeySet,
    kid: Option<&str>,
    alg: jsonwebtoken::Algorithm,
) -> Result<VerificationKey, LaunchError> {
    match set.select(kid, alg) {
        KeyLookup::Found(k) => Ok(k.clone()),
        KeyLookup::UnknownKid => Err(LaunchError::UnknownKey),
        KeyLookup::Ambiguous => Err(LaunchError::AmbiguousKey),
    }
}
