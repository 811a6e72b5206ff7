//! Revocation: every way a token stops working (RFC 7009 `/revoke`, refresh-token family and
//! code-replay revocation, client deletion) and the check a resource server in the same process
//! makes on each request ([`RevocationCheck`]).

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;

use super::AuthorizationServer;
use super::live_tokens::LiveTokens;
use super::store::{Store, StoreError};
use crate::resource_server::RevocationCheck;

/// Revokes in the store and keeps the "recently seen live" cache honest: every revocation made
/// here forgets the tokens known to be live, so it is visible on the next request.
pub(crate) struct Revocations {
    store: Arc<dyn Store>,
    live_tokens: LiveTokens,
}

impl Revocations {
    /// A "not revoked" answer is reused for `recheck`.
    pub(crate) fn new(store: Arc<dyn Store>, recheck: Duration) -> Self {
        Self {
            store,
            live_tokens: LiveTokens::new(recheck),
        }
    }

    /// Revokes a grant: its refresh tokens and every access token issued under it.
    pub(crate) async fn revoke_grant(&self, grant_id: &str, now: u64) -> Result<(), StoreError> {
        let result = self.store.revoke_grant(grant_id, now).await;
        self.live_tokens.forget_all();
        result
    }

    /// Revokes one access token (kept until it would have expired).
    pub(crate) async fn revoke_access_token(
        &self,
        jti: &str,
        expires_at: u64,
    ) -> Result<(), StoreError> {
        let result = self.store.revoke_access_token(jti, expires_at).await;
        self.live_tokens.forget_all();
        result
    }

    /// Deletes a client and revokes its grants; `false` if it did not exist.
    pub(crate) async fn delete_client(
        &self,
        client_id: &str,
        now: u64,
    ) -> Result<bool, StoreError> {
        let result = self.store.delete_client(client_id, now).await;
        self.live_tokens.forget_all();
        result
    }

    /// Forgets every token known to be live (another instance revoked something).
    pub(crate) fn forget_live_tokens(&self) {
        self.live_tokens.forget_all();
    }

    /// Whether the access token with this `jti` was revoked, asking the store every time.
    pub(crate) async fn is_revoked(&self, jti: &str) -> Result<bool, StoreError> {
        self.store.is_access_token_revoked(jti).await
    }

    /// Whether the access token with this `jti` was revoked, reusing a recent "not revoked"
    /// answer (see [`LiveTokens`]). Fails closed on store errors.
    pub(crate) async fn is_revoked_cached(&self, jti: &str) -> bool {
        let live = &self.live_tokens;
        if live.is_known_live(jti) {
            return false;
        }
        let epoch = live.epoch();
        match self.store.is_access_token_revoked(jti).await {
            Ok(false) => {
                live.remember(jti, epoch);
                false
            }
            Ok(true) | Err(_) => true,
        }
    }
}

/// Lets a resource server in the same process see this server's revocations at once (RFC 7009
/// `/revoke`, refresh-token family revocation, code-replay revocation, client deletion), and
/// revocations by other instances sharing the store as soon as the store's change feed delivers
/// them (PostgreSQL: `LISTEN/NOTIFY`), at the latest within the recheck interval (a "not revoked"
/// answer is reused that long: one second unless
/// [`AuthorizationServerBuilder::revocation_recheck`](super::AuthorizationServerBuilder::revocation_recheck)
/// says otherwise). Fails closed on store errors.
impl RevocationCheck for AuthorizationServer {
    fn is_revoked<'a>(&'a self, jti: &'a str) -> BoxFuture<'a, bool> {
        Box::pin(self.state.revocations.is_revoked_cached(jti))
    }
}
