//! [`CurrentKeysVerifier`]: the demo's resource server verifies tokens with the embedded
//! authorization server's *current* signing keys.
//!
//! `AuthorizationServer::local_verifier` reads the keys once. When instances share a database,
//! a key rotated anywhere reaches this instance's authorization server through the store's
//! change feed, and its next tokens carry the new `kid`; a verifier built earlier would refuse
//! them (and tokens other instances sign with the new key) until a restart. This one rebuilds
//! the local verifier when a token names a `kid` it does not know and the authorization
//! server's JWK Set has changed since it was built.

use std::sync::{Arc, RwLock};

use futures_util::future::BoxFuture;
use ims_runtime::authorization_server::{AuthorizationServer, AuthorizationServerSetupError};
use ims_runtime::resource_server::{
    CachingVerifier, LocalJwtVerifier, Principal, TokenVerifier, VerifyError,
};

/// What `LocalJwtVerifier` answers for a token signed by a key it does not hold.
const UNKNOWN_KID: &str = "unknown kid";

/// A local verifier (verified-token cache and revocation check included) that follows the
/// authorization server's key rotations.
pub struct CurrentKeysVerifier {
    authz: AuthorizationServer,
    built: RwLock<Arc<KeyedVerifier>>,
}

/// A verifier and the JWK Set it was built from.
struct KeyedVerifier {
    jwks: serde_json::Value,
    verifier: CachingVerifier<LocalJwtVerifier>,
}

impl std::fmt::Debug for CurrentKeysVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CurrentKeysVerifier")
            .field("issuer", &self.authz.issuer())
            .finish_non_exhaustive()
    }
}

impl CurrentKeysVerifier {
    /// A verifier for the tokens `authz` issues.
    pub fn new(authz: AuthorizationServer) -> Result<Self, AuthorizationServerSetupError> {
        let built = Arc::new(KeyedVerifier::from(&authz)?);
        Ok(Self {
            authz,
            built: RwLock::new(built),
        })
    }

    fn current(&self) -> Arc<KeyedVerifier> {
        match self.built.read() {
            Ok(g) => Arc::clone(&g),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// The verifier for the authorization server's keys now: the one in use when they have not
    /// changed (so a token with a made-up `kid` costs one JWK Set comparison, no rebuild).
    fn refreshed(&self, seen: &Arc<KeyedVerifier>) -> Result<Arc<KeyedVerifier>, VerifyError> {
        if self.authz.jwks() == seen.jwks {
            return Ok(Arc::clone(seen));
        }
        let fresh = Arc::new(KeyedVerifier::from(&self.authz).map_err(|e| {
            tracing::error!(error = %e, "cannot rebuild the token verifier after a key change");
            VerifyError::Unavailable("signing keys unusable".into())
        })?);
        tracing::info!("signing keys changed; token verifier rebuilt");
        match self.built.write() {
            Ok(mut g) => *g = Arc::clone(&fresh),
            Err(poisoned) => *poisoned.into_inner() = Arc::clone(&fresh),
        }
        Ok(fresh)
    }
}

impl KeyedVerifier {
    fn from(authz: &AuthorizationServer) -> Result<Self, AuthorizationServerSetupError> {
        // The JWK Set first: a rotation between the two calls then only causes one more rebuild.
        let jwks = authz.jwks();
        Ok(Self {
            verifier: authz.local_verifier()?,
            jwks,
        })
    }
}

impl TokenVerifier for CurrentKeysVerifier {
    fn verify<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<Principal, VerifyError>> {
        Box::pin(async move {
            let built = self.current();
            match built.verifier.verify(token).await {
                Err(VerifyError::InvalidToken(UNKNOWN_KID)) => {
                    self.refreshed(&built)?.verifier.verify(token).await
                }
                outcome => outcome,
            }
        })
    }
}
