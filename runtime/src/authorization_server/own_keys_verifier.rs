//! [`OwnKeysVerifier`]: the token verifier of a resource server in the same process as the
//! authorization server, which follows the server's signing-key rotations.
//!
//! A verifier built from a fixed key set would refuse every token signed after a rotation (here,
//! or on another instance sharing a PostgreSQL store, whose change feed reloads this server's key
//! ring) until a restart. This one rebuilds when a token names a `kid` it does not know and the
//! server's JWK Set has changed since it was built; a made-up `kid` costs one JWK Set
//! comparison, never a rebuild.

use std::sync::{Arc, RwLock};

use futures_util::future::BoxFuture;

use super::{AuthorizationServer, AuthorizationServerSetupError};
use crate::resource_server::jwt::UNKNOWN_KID;
use crate::resource_server::{
    CachingVerifier, JwtRules, KeySet, LocalJwtVerifier, Principal, TokenVerifier, VerifyError,
};

/// A local verifier (verified-token cache and revocation check included) for the tokens an
/// [`AuthorizationServer`] issues, following its key rotations. Made by
/// [`AuthorizationServer::local_verifier`].
pub struct OwnKeysVerifier {
    authz: AuthorizationServer,
    built: RwLock<Arc<KeyedVerifier>>,
}

/// A verifier and the JWK Set it was built from.
struct KeyedVerifier {
    jwks: serde_json::Value,
    verifier: CachingVerifier<LocalJwtVerifier>,
}

impl std::fmt::Debug for OwnKeysVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OwnKeysVerifier")
            .field("issuer", &self.authz.issuer())
            .finish_non_exhaustive()
    }
}

impl OwnKeysVerifier {
    pub(super) fn new(authz: AuthorizationServer) -> Result<Self, AuthorizationServerSetupError> {
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

    /// The verifier for the server's keys now: the one in use when they have not changed.
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
        // The JWK Set first: a rotation between the two reads then only causes one more rebuild.
        let jwks = authz.jwks();
        // Our own JWKS always parses; an error here means the key ring itself is broken.
        let keys = KeySet::from_jwks_json(jwks.to_string().as_bytes()).map_err(|e| {
            AuthorizationServerSetupError::Config(format!(
                "the server's own JWK Set is unusable: {e}"
            ))
        })?;
        let settings = &authz.state.settings;
        let rules = JwtRules::new(settings.issuer.clone(), settings.audience.clone());
        let verifier = CachingVerifier::new(LocalJwtVerifier::new(keys, rules))
            .with_revocation_check(Arc::new(authz.clone()));
        Ok(Self { jwks, verifier })
    }
}

impl TokenVerifier for OwnKeysVerifier {
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
