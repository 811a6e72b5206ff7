//! The [`Store`] split per capability (as fosite splits its storage): each endpoint holds only
//! the views it uses, so what it can read or change is visible in its type. The views are thin
//! borrows of one [`Store`]; the trait itself stays the single contract a backend implements.

use super::{Store, StoreResult};
use crate::authorization_server::model::{
    CodeConsumption, CodeRecord, ConsentRecord, PendingAuthorization, RefreshRecord,
    RefreshRotation,
};

/// Authorization codes (RFC 6749 §4.1.2): issued at `/authorize`, redeemed once at `/token`.
#[derive(Clone, Copy)]
pub(crate) struct AuthorizationCodes<'a>(pub(crate) &'a dyn Store);

impl AuthorizationCodes<'_> {
    pub(crate) async fn insert(&self, code: CodeRecord) -> StoreResult<()> {
        self.0.insert_code(code).await
    }

    /// Marks the code used; exactly one caller ever gets `Consumed`.
    pub(crate) async fn consume(&self, code_hash: &str) -> StoreResult<CodeConsumption> {
        self.0.consume_code(code_hash).await
    }
}

/// Refresh-token families (RFC 6749 §6, rotated on every use).
#[derive(Clone, Copy)]
pub(crate) struct RefreshTokens<'a>(pub(crate) &'a dyn Store);

impl RefreshTokens<'_> {
    pub(crate) async fn insert(&self, token: RefreshRecord) -> StoreResult<()> {
        self.0.insert_refresh(token).await
    }

    pub(crate) async fn get(&self, token_hash: &str) -> StoreResult<Option<RefreshRecord>> {
        self.0.get_refresh(token_hash).await
    }

    /// Marks `old_hash` used and stores `new`, only if `old_hash` was live.
    pub(crate) async fn rotate(
        &self,
        old_hash: &str,
        new: RefreshRecord,
    ) -> StoreResult<RefreshRotation> {
        self.0.rotate_refresh(old_hash, new).await
    }
}

/// Authorization requests waiting for the resource owner's login and consent.
#[derive(Clone, Copy)]
pub(crate) struct PendingAuthorizations<'a>(pub(crate) &'a dyn Store);

impl PendingAuthorizations<'_> {
    pub(crate) async fn put(&self, pending: PendingAuthorization) -> StoreResult<()> {
        self.0.put_pending(pending).await
    }

    /// Removes and returns the request: a form can be submitted once.
    pub(crate) async fn take(&self, id_hash: &str) -> StoreResult<Option<PendingAuthorization>> {
        self.0.take_pending(id_hash).await
    }
}

/// The grant each access token was issued under, so revoking the grant reaches its tokens.
#[derive(Clone, Copy)]
pub(crate) struct GrantTokens<'a>(pub(crate) &'a dyn Store);

impl GrantTokens<'_> {
    /// `false` if the grant was revoked meanwhile (the token is then recorded as revoked).
    pub(crate) async fn record(
        &self,
        grant_id: &str,
        jti: &str,
        expires_at: u64,
    ) -> StoreResult<bool> {
        self.0.record_access_token(grant_id, jti, expires_at).await
    }
}

/// Client-assertion `jti`s already seen (RFC 7523 §3 replay protection).
#[derive(Clone, Copy)]
pub(crate) struct AssertionIds<'a>(pub(crate) &'a dyn Store);

impl AssertionIds<'_> {
    /// `false` if the `jti` was seen before (a replay).
    pub(crate) async fn first_use(
        &self,
        client_id: &str,
        jti: &str,
        expires_at: u64,
    ) -> StoreResult<bool> {
        self.0.use_jti(client_id, jti, expires_at).await
    }
}

/// Resource owners' remembered consents (per subject and client).
#[derive(Clone, Copy)]
pub(crate) struct Consents<'a>(pub(crate) &'a dyn Store);

impl Consents<'_> {
    pub(crate) async fn get(
        &self,
        subject: &str,
        client_id: &str,
    ) -> StoreResult<Option<ConsentRecord>> {
        self.0.get_consent(subject, client_id).await
    }

    /// Remembers (widens) a consent.
    pub(crate) async fn remember(&self, consent: ConsentRecord) -> StoreResult<()> {
        self.0.put_consent(consent).await
    }
}
