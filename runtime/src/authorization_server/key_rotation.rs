//! The signing-key lifecycle against the store: the ring in use, bootstrap when the server is
//! built, rotation, staging and activation. Keys rotate without invalidating tokens: a retired
//! key stays published until every token it signed has expired.

use std::sync::{Arc, RwLock};

use super::AuthorizationServerSetupError;
use super::keys::{self, KeyRing, SigningAlgorithm};
use super::store::Store;

/// The key ring in use, replaced whole on rotation.
pub(crate) struct SigningKeys {
    ring: RwLock<Arc<KeyRing>>,
}

impl SigningKeys {
    pub(crate) fn new(ring: KeyRing) -> Self {
        Self {
            ring: RwLock::new(Arc::new(ring)),
        }
    }

    /// The current ring (active signer and published keys).
    pub(crate) fn current(&self) -> Arc<KeyRing> {
        match self.ring.read() {
            Ok(g) => Arc::clone(&g),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    fn replace(&self, ring: KeyRing) {
        match self.ring.write() {
            Ok(mut g) => *g = Arc::new(ring),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(ring),
        }
    }
}

/// How the store's keys are managed: which algorithm signs, and how long a retired key stays
/// published (the access-token lifetime plus a minute of clock skew).
#[derive(Clone, Copy)]
pub(crate) struct KeyPolicy {
    pub(crate) alg: SigningAlgorithm,
    pub(crate) access_token_lifetime: u64,
}

impl KeyPolicy {
    fn retire_at(self, now: u64) -> u64 {
        now + self.access_token_lifetime + 60
    }
}

/// The stored ring when its active key uses the configured algorithm; otherwise a fresh key
/// (first start, or the algorithm changed).
pub(crate) async fn load_or_create(
    store: &dyn Store,
    policy: KeyPolicy,
) -> Result<KeyRing, AuthorizationServerSetupError> {
    let now = super::secrets::now();
    let stored = store.signing_keys().await?;
    if let Some(ring) = KeyRing::from_stored(stored, now)?
        && ring.active.alg == policy.alg
    {
        return Ok(ring);
    }
    rotate(store, policy, now).await
}

/// Replaces the ring in use by the one stored, without ever creating a key (another instance
/// changed the keys; creating one here could make instances configured with different
/// algorithms rotate each other forever). Keeps the ring in use when the store has no active key.
pub(crate) async fn reload_stored(
    store: &dyn Store,
    keys: &SigningKeys,
) -> Result<(), AuthorizationServerSetupError> {
    if let Some(ring) = KeyRing::from_stored(store.signing_keys().await?, super::secrets::now())? {
        keys.replace(ring);
    }
    Ok(())
}

/// Creates and activates a new key; the previous active key retires once every token it signed
/// has expired.
async fn rotate(
    store: &dyn Store,
    policy: KeyPolicy,
    now: u64,
) -> Result<KeyRing, AuthorizationServerSetupError> {
    for mut old in store.signing_keys().await? {
        if old.activated_at.is_some() && old.retire_at.is_none() {
            old.retire_at = Some(policy.retire_at(now));
            store.put_signing_key(old).await?;
        }
    }
    let mut fresh = keys::generate(policy.alg, now)?;
    fresh.activated_at = Some(now);
    store.put_signing_key(fresh).await?;
    KeyRing::from_stored(store.signing_keys().await?, now)?.ok_or_else(|| {
        AuthorizationServerSetupError::Config("no active signing key after rotation".into())
    })
}

/// The key operations an administrator runs (see the `AuthorizationServer` methods that call
/// these).
pub(crate) struct KeyAdministration<'a> {
    pub(crate) store: &'a dyn Store,
    pub(crate) keys: &'a SigningKeys,
    pub(crate) policy: KeyPolicy,
}

impl KeyAdministration<'_> {
    /// Rotates at once; returns the new `kid`.
    pub(crate) async fn rotate(&self) -> Result<String, AuthorizationServerSetupError> {
        let ring = rotate(self.store, self.policy, super::secrets::now()).await?;
        let kid = ring.active.kid.clone();
        self.keys.replace(ring);
        Ok(kid)
    }

    /// Publishes a new key without signing with it yet; returns its `kid`.
    pub(crate) async fn stage(&self) -> Result<String, AuthorizationServerSetupError> {
        let staged = keys::generate(self.policy.alg, super::secrets::now())?;
        let kid = staged.kid.clone();
        self.store.put_signing_key(staged).await?;
        self.reload().await?;
        Ok(kid)
    }

    /// Makes a published key the signer; the previous one retires.
    pub(crate) async fn activate(&self, kid: &str) -> Result<(), AuthorizationServerSetupError> {
        let now = super::secrets::now();
        let stored = self.store.signing_keys().await?;
        if !stored.iter().any(|k| k.kid == kid && k.retire_at.is_none()) {
            return Err(AuthorizationServerSetupError::Config(format!(
                "no published, unretired signing key with kid `{kid}`"
            )));
        }
        for mut k in stored {
            if k.kid == kid {
                k.activated_at = Some(now);
                self.store.put_signing_key(k).await?;
            } else if k.activated_at.is_some() && k.retire_at.is_none() {
                k.retire_at = Some(self.policy.retire_at(now));
                self.store.put_signing_key(k).await?;
            }
        }
        self.reload().await
    }

    /// Re-reads the keys from the store (after another instance rotated them).
    pub(crate) async fn reload(&self) -> Result<(), AuthorizationServerSetupError> {
        let ring = load_or_create(self.store, self.policy).await?;
        self.keys.replace(ring);
        Ok(())
    }
}
