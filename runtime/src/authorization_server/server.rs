//! [`AuthorizationServer`], the handle an application holds: where to start configuring it,
//! and what it offers to a resource server in the same process (keys, token verification).
//! Its router is in [`router`](super::router), its administration in [`admin`](super::admin).

use std::sync::Arc;

use super::access_tokens::AccessTokenIssuer;
use super::builder::AuthorizationServerBuilder;
use super::claims::AccessTokenClaims;
use super::own_keys_verifier::OwnKeysVerifier;
use super::state::ServerState;
use super::store::{Store, StoreError};
use super::{AuthorizationServerSetupError, secrets};

/// The authorization server. Cheap to clone.
#[derive(Clone)]
pub struct AuthorizationServer {
    pub(super) state: Arc<ServerState>,
}

impl std::fmt::Debug for AuthorizationServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthorizationServer")
            .field("issuer", &self.state.settings.issuer)
            .finish_non_exhaustive()
    }
}

impl AuthorizationServer {
    /// Starts configuring a server for `issuer` (an https URL, no trailing slash) over `store`.
    pub fn builder(issuer: impl Into<String>, store: Arc<dyn Store>) -> AuthorizationServerBuilder {
        AuthorizationServerBuilder::new(issuer.into(), store)
    }

    /// The issuer URL.
    pub fn issuer(&self) -> &str {
        &self.state.settings.issuer
    }

    /// The published JWK Set (public members only).
    pub fn jwks(&self) -> serde_json::Value {
        self.state.signing_keys.current().jwks()
    }

    /// A token verifier for a resource server in the same process as this authorization server:
    /// its current public keys, its issuer and audience, the verified-token cache, and a
    /// revocation check against its store on every request. It follows key rotations (made
    /// here, or on another instance sharing the store): see [`OwnKeysVerifier`].
    ///
    /// ```no_run
    /// # async fn f(authz: ims_runtime::authorization_server::AuthorizationServer) -> Result<(), ims_runtime::authorization_server::AuthorizationServerSetupError> {
    /// use std::sync::Arc;
    /// let layer = ims_runtime::resource_server::AuthLayer::new(Arc::new(authz.local_verifier()?), "oneroster");
    /// # Ok(()) }
    /// ```
    pub fn local_verifier(&self) -> Result<OwnKeysVerifier, AuthorizationServerSetupError> {
        OwnKeysVerifier::new(self.clone())
    }

    /// Whether the access token with this `jti` has been revoked (directly or through its grant).
    pub async fn is_access_token_revoked(&self, jti: &str) -> Result<bool, StoreError> {
        self.state.revocations.is_revoked(jti).await
    }

    /// Verifies an access token issued by this server and checks revocation: `Some(claims)` only
    /// for a live token.
    pub async fn verify_access_token(
        &self,
        token: &str,
    ) -> Result<Option<AccessTokenClaims>, StoreError> {
        match AccessTokenIssuer::from_state(&self.state).verify(token) {
            Some(c) if !self.state.revocations.is_revoked(&c.jti).await? => Ok(Some(c)),
            _ => Ok(None),
        }
    }

    /// Deletes expired rows from the store; call it periodically (e.g. hourly).
    pub async fn purge_expired(&self) -> Result<(), StoreError> {
        self.state.store.purge_expired(secrets::now()).await
    }
}

/// What an OpenID provider sharing this server's issuer (the LTI platform, `lti::platform`)
/// needs of it: the scopes it knows, its signing algorithm, `id_token`s signed with its active
/// key (so the provider's JWKS is this server's), and a client's public keys.
impl AuthorizationServer {
    /// Every scope this server knows.
    pub fn scopes(&self) -> &[String] {
        &self.state.settings.scopes
    }

    /// The algorithm of this server's signing keys.
    pub fn signing_algorithm(&self) -> super::SigningAlgorithm {
        self.state.settings.signing_alg
    }

    /// Signs `claims` with the active signing key, header `{alg, typ: "JWT", kid}`.
    #[cfg(feature = "lti")]
    pub(crate) fn sign_id_token<T: serde::Serialize>(
        &self,
        claims: &T,
    ) -> Result<String, super::SigningKeyError> {
        self.state.signing_keys.current().active.sign_jwt(claims)
    }

    /// The public keys `client` registered: its inline `jwks`, or its `jwks_uri` fetched through
    /// the same guarded, cached fetcher as `private_key_jwt` assertions (`refresh` refetches,
    /// at most once a minute per URI, for a `kid` the cached set lacks).
    #[cfg(feature = "lti")]
    pub(crate) async fn client_jwks(
        &self,
        client: &super::RegisteredClient,
        refresh: bool,
    ) -> Option<jsonwebtoken::jwk::JwkSet> {
        match (&client.jwks, &client.jwks_uri) {
            (Some(v), _) => serde_json::from_value(v.clone()).ok(),
            (None, Some(uri)) => self.state.jwks_fetcher.get(uri, refresh).await,
            (None, None) => None,
        }
    }
}
