//! Administration of an [`AuthorizationServer`] by its operator (not over HTTP): creating and
//! replacing clients, resource owners' consents (listing, withdrawing), and rotating the
//! signing keys.

use super::key_rotation::{KeyAdministration, KeyPolicy};
use super::model::{ConsentRecord, GrantType, RegisteredClient, TokenEndpointAuthMethod};
use super::store::StoreError;
use super::{AuthorizationServer, AuthorizationServerSetupError, secrets};

/// A client to create with [`AuthorizationServer::create_client`].
#[derive(Debug, Clone, Default)]
pub struct NewClient {
    /// Fixed client id; a random one when `None`.
    pub client_id: Option<String>,
    /// Authentication method (`None` = client_secret_basic).
    pub auth_method: Option<TokenEndpointAuthMethod>,
    /// For private_key_jwt: the client's JWK Set.
    pub jwks: Option<serde_json::Value>,
    /// For private_key_jwt: the URL of the client's JWK Set (instead of `jwks`).
    pub jwks_uri: Option<String>,
    /// For private_key_jwt: the assertion algorithm (default RS256).
    pub assertion_alg: Option<String>,
    /// Grant types.
    pub grant_types: Vec<GrantType>,
    /// Redirect URIs (exact match).
    pub redirect_uris: Vec<String>,
    /// Allowed scopes.
    pub scopes: Vec<String>,
    /// May introspect any token (resource servers).
    pub introspect_any: bool,
    /// Display metadata (client_name, client_uri, logo_uri, tos_uri, policy_uri).
    pub metadata: serde_json::Map<String, serde_json::Value>,
}

impl NewClient {
    /// A client_credentials client with client_secret_basic and these scopes.
    pub fn client_credentials<I, S>(scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            grant_types: vec![GrantType::ClientCredentials],
            scopes: scopes.into_iter().map(Into::into).collect(),
            ..Self::default()
        }
    }

    /// An authorization-code client (with refresh tokens) for these redirect URIs and scopes.
    pub fn authorization_code<I, S, J, T>(redirect_uris: I, scopes: J) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
        J: IntoIterator<Item = T>,
        T: Into<String>,
    {
        Self {
            grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
            redirect_uris: redirect_uris.into_iter().map(Into::into).collect(),
            scopes: scopes.into_iter().map(Into::into).collect(),
            ..Self::default()
        }
    }
}

/// Credentials of a newly created client.
#[derive(Clone)]
pub struct IssuedClient {
    /// The client id.
    pub client_id: String,
    /// The secret (shown once; only its hash is stored). `None` for private_key_jwt clients.
    pub client_secret: Option<String>,
}

impl std::fmt::Debug for IssuedClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedClient")
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

impl AuthorizationServer {
    /// Creates a client and returns its credentials (the secret is shown only here).
    pub async fn create_client(
        &self,
        new: NewClient,
    ) -> Result<IssuedClient, AuthorizationServerSetupError> {
        let auth_method = new
            .auth_method
            .unwrap_or(TokenEndpointAuthMethod::ClientSecretBasic);
        let client_secret =
            (auth_method != TokenEndpointAuthMethod::PrivateKeyJwt).then(secrets::random_token);
        if auth_method == TokenEndpointAuthMethod::PrivateKeyJwt
            && new.jwks.is_some() == new.jwks_uri.is_some()
        {
            return Err(AuthorizationServerSetupError::Config(
                "a private_key_jwt client needs exactly one of `jwks` or `jwks_uri`".into(),
            ));
        }
        for s in &new.scopes {
            if !self.state.settings.scopes.contains(s) {
                return Err(AuthorizationServerSetupError::Config(format!(
                    "client scope `{s}` is not among the server's scopes"
                )));
            }
        }
        let client = RegisteredClient {
            client_id: new.client_id.unwrap_or_else(secrets::random_id),
            secret_hash: client_secret.as_deref().map(secrets::hash_secret),
            client_id_issued_at: secrets::now(),
            client_secret_expires_at: 0,
            auth_method,
            assertion_alg: new.assertion_alg,
            jwks: new.jwks,
            jwks_uri: new.jwks_uri,
            grant_types: new.grant_types,
            redirect_uris: new.redirect_uris,
            scopes: new.scopes,
            introspect_any: new.introspect_any,
            metadata: new.metadata,
            registration_token_hash: None,
            disabled: false,
        };
        let client_id = client.client_id.clone();
        self.put_client(client).await?;
        Ok(IssuedClient {
            client_id,
            client_secret,
        })
    }

    /// A client record by id (through the short-lived client cache), `None` when unknown.
    pub async fn client(&self, client_id: &str) -> Result<Option<RegisteredClient>, StoreError> {
        Ok(self
            .state
            .clients
            .get(client_id)
            .await?
            .map(|c| RegisteredClient::clone(&c)))
    }

    /// Inserts or replaces a client record as given (and drops it from the cache).
    pub async fn put_client(
        &self,
        client: RegisteredClient,
    ) -> Result<(), AuthorizationServerSetupError> {
        self.state.clients.put(client).await?;
        Ok(())
    }

    /// The consents a resource owner (`sub`) has given, one per client, ordered by client id.
    pub async fn consents_of(&self, subject: &str) -> Result<Vec<ConsentRecord>, StoreError> {
        self.state.store.consents_of(subject).await
    }

    /// Withdraws a resource owner's consent to a client: the consent is forgotten (the next
    /// authorization shows the approve step again) and every token the client holds for that
    /// owner stops working: its refresh-token families, the access tokens issued under them and
    /// any unredeemed code. In the same process this is visible on the next request; other
    /// instances sharing a PostgreSQL store hear of it through the change feed. `true` if there
    /// was a consent or a grant not yet revoked.
    pub async fn withdraw_consent(
        &self,
        subject: &str,
        client_id: &str,
    ) -> Result<bool, StoreError> {
        self.state.withdraw_consent(subject, client_id).await
    }

    /// Rotates the signing key: a new key signs from now on, the previous one stays in the JWKS
    /// until every token it signed has expired. Returns the new `kid`.
    pub async fn rotate_signing_key(&self) -> Result<String, AuthorizationServerSetupError> {
        self.keys().rotate().await
    }

    /// Publishes a new signing key in the JWKS without using it yet (first step of a rotation
    /// that gives resource servers time to fetch the key before tokens signed with it appear).
    /// Returns its `kid`; finish with [`Self::activate_signing_key`].
    pub async fn stage_signing_key(&self) -> Result<String, AuthorizationServerSetupError> {
        self.keys().stage().await
    }

    /// Makes a published key (see [`Self::stage_signing_key`]) the signing key; the previous one
    /// stays published until every token it signed has expired.
    pub async fn activate_signing_key(
        &self,
        kid: &str,
    ) -> Result<(), AuthorizationServerSetupError> {
        self.keys().activate(kid).await
    }

    /// Re-reads the signing keys from the store (after another instance rotated them).
    pub async fn reload_signing_keys(&self) -> Result<(), AuthorizationServerSetupError> {
        self.keys().reload().await
    }

    fn keys(&self) -> KeyAdministration<'_> {
        let settings = &self.state.settings;
        KeyAdministration {
            store: self.state.store.as_ref(),
            keys: &self.state.signing_keys,
            policy: KeyPolicy {
                alg: settings.signing_alg,
                access_token_lifetime: settings.access_token_lifetime,
            },
        }
    }
}
