//! [`ClientAssertionSource`]: OAuth 2 client credentials authenticated by an RFC 7523 client
//! assertion signed with whichever key the client signs with *now*, the way LTI Advantage
//! tools get AGS and NRPS tokens from a platform (1EdTech Security Framework 1.1 §4.1.1, LTI
//! Advantage: `private_key_jwt` only).
//!
//! [`ClientCredentialsSource`] with [`ClientAuth::PrivateKeyJwt`] holds one fixed key. A tool
//! rotates its key while the platform keeps fetching its JWKS; once the old key is retired the
//! platform can no longer verify assertions made with it. This source asks its
//! [`AssertionSigningKeys`] for the current key on every call and keeps one
//! [`ClientCredentialsSource`] per key id, so a rotation switches the next token request to
//! the new key and drops tokens cached under the old one. The assertion itself (CL-15: a fresh
//! `jti`, `exp` one minute ahead, `aud` the token endpoint as one string, `iss` = `sub` =
//! client_id, the key's `kid` in the header) is the one [`ClientCredentialsSource`] makes.

use std::sync::{Arc, Mutex};

use futures_util::future::BoxFuture;

use super::ClientError;
use super::token::{
    AccessToken, ClientAuth, ClientCredentialsSource, JwtAssertionKey, TokenSource,
    TokenSourceOptions,
};

/// Where a [`ClientAssertionSource`] gets the key to sign with (the active key of a rotating
/// key set, such as the LTI tool's `ToolKeys`).
pub trait AssertionSigningKeys: Send + Sync + 'static {
    /// The key to sign the next assertion with.
    fn current_assertion_key(&self) -> JwtAssertionKey;
}

impl AssertionSigningKeys for JwtAssertionKey {
    fn current_assertion_key(&self) -> JwtAssertionKey {
        self.clone()
    }
}

/// Client credentials with `private_key_jwt`, following the signer's key rotations.
///
/// ```no_run
/// # async fn f(key: ims_runtime::client::JwtAssertionKey) -> Result<(), ims_runtime::client::ClientError> {
/// use std::sync::Arc;
/// use ims_runtime::client::{ClientAssertionSource, TokenSource, TokenSourceOptions};
/// let source = ClientAssertionSource::new(
///     "https://lms.example.edu/oauth/token",
///     "tool-client-id",
///     Arc::new(key),
///     TokenSourceOptions::default(),
/// )?;
/// let token = source.token(&["https://purl.imsglobal.org/spec/lti-ags/scope/score"]).await?;
/// # let _ = token; Ok(()) }
/// ```
pub struct ClientAssertionSource {
    token_url: String,
    client_id: String,
    keys: Arc<dyn AssertionSigningKeys>,
    options: TokenSourceOptions,
    /// The source for the current key id; replaced when the key changes.
    current: Mutex<Option<(String, Arc<ClientCredentialsSource>)>>,
}

impl std::fmt::Debug for ClientAssertionSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientAssertionSource")
            .field("token_url", &self.token_url)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl ClientAssertionSource {
    /// A source for `client_id` at `token_url`, signing with `keys`' current key. The URL and
    /// client_id are checked now (https unless loopback http is allowed; non-empty).
    pub fn new(
        token_url: &str,
        client_id: impl Into<String>,
        keys: Arc<dyn AssertionSigningKeys>,
        options: TokenSourceOptions,
    ) -> Result<Self, ClientError> {
        let source = Self {
            token_url: token_url.to_owned(),
            client_id: client_id.into(),
            keys,
            options,
            current: Mutex::new(None),
        };
        source.source_for_current_key()?;
        Ok(source)
    }

    /// The inner source for the current key, made when the key id changed.
    fn source_for_current_key(
        &self,
    ) -> Result<(Arc<ClientCredentialsSource>, JwtAssertionKey), ClientError> {
        let key = self.keys.current_assertion_key();
        let mut current = self.current.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((kid, source)) = current.as_ref()
            && *kid == key.kid
        {
            return Ok((Arc::clone(source), key));
        }
        let source = Arc::new(ClientCredentialsSource::new(
            &self.token_url,
            self.client_id.clone(),
            ClientAuth::PrivateKeyJwt(key.clone()),
            self.options.clone(),
        )?);
        *current = Some((key.kid.clone(), Arc::clone(&source)));
        Ok((source, key))
    }

    /// A client assertion as the next token request would send it (for inspection and tools).
    pub fn client_assertion(&self) -> Result<String, ClientError> {
        let (source, key) = self.source_for_current_key()?;
        source.client_assertion(&key)
    }
}

impl TokenSource for ClientAssertionSource {
    fn token<'a>(
        &'a self,
        scopes: &'a [&'a str],
    ) -> BoxFuture<'a, Result<AccessToken, ClientError>> {
        Box::pin(async move {
            let (source, _) = self.source_for_current_key()?;
            source.token(scopes).await
        })
    }

    fn invalidate(&self, scopes: &[&str], rejected: &AccessToken) {
        let current = self.current.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, source)) = current.as_ref() {
            source.invalidate(scopes, rejected);
        }
    }
}
