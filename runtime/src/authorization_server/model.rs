//! Records the authorization server keeps: clients, codes, refresh tokens, signing keys.

use serde::{Deserialize, Serialize};

/// How a client authenticates at the token, revocation and introspection endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenEndpointAuthMethod {
    /// HTTP Basic with the form-urlencoded `client_id:client_secret` (RFC 6749 §2.3.1). IMS default.
    ClientSecretBasic,
    /// `client_id` and `client_secret` in the form body. Accepted only when the server enables it.
    ClientSecretPost,
    /// A signed JWT assertion (RFC 7523, as LTI Advantage services use it).
    PrivateKeyJwt,
}

impl TokenEndpointAuthMethod {
    /// The RFC 7591 name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClientSecretBasic => "client_secret_basic",
            Self::ClientSecretPost => "client_secret_post",
            Self::PrivateKeyJwt => "private_key_jwt",
        }
    }
}

/// OAuth grant types this server implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantType {
    /// RFC 6749 §4.1 with PKCE S256.
    AuthorizationCode,
    /// RFC 6749 §4.4.
    ClientCredentials,
    /// RFC 6749 §6 with rotation.
    RefreshToken,
}

impl GrantType {
    /// The RFC 6749 name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AuthorizationCode => "authorization_code",
            Self::ClientCredentials => "client_credentials",
            Self::RefreshToken => "refresh_token",
        }
    }

    /// Parses an RFC 6749 grant type name this server implements.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "authorization_code" => Some(Self::AuthorizationCode),
            "client_credentials" => Some(Self::ClientCredentials),
            "refresh_token" => Some(Self::RefreshToken),
            _ => None,
        }
    }
}

/// A registered client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegisteredClient {
    /// The client identifier.
    pub client_id: String,
    /// Hex SHA-256 of the client secret (see [`super::secrets::hash_secret`]); `None` for
    /// `private_key_jwt` clients.
    pub secret_hash: Option<String>,
    /// When the client was created (epoch seconds).
    pub client_id_issued_at: u64,
    /// When the secret expires (epoch seconds, 0 = never).
    pub client_secret_expires_at: u64,
    /// The one authentication method this client may use.
    pub auth_method: TokenEndpointAuthMethod,
    /// For `private_key_jwt`: the only accepted assertion algorithm (default `RS256`).
    #[serde(default)]
    pub assertion_alg: Option<String>,
    /// For `private_key_jwt`: the client's public keys (a JWK Set).
    #[serde(default)]
    pub jwks: Option<serde_json::Value>,
    /// For `private_key_jwt`: where to fetch the client's public keys (instead of `jwks`).
    #[serde(default)]
    pub jwks_uri: Option<String>,
    /// Grant types the client may use.
    pub grant_types: Vec<GrantType>,
    /// Registered redirect URIs, compared by exact string match.
    pub redirect_uris: Vec<String>,
    /// Scopes the client may be granted.
    pub scopes: Vec<String>,
    /// May introspect any token (a resource server); otherwise only its own.
    #[serde(default)]
    pub introspect_any: bool,
    /// Registered metadata echoed by RFC 7591/7592 (client_name, client_uri, logo_uri, …).
    #[serde(default)]
    pub metadata: serde_json::Map<String, serde_json::Value>,
    /// Hex SHA-256 of the RFC 7592 registration access token (dynamic clients only).
    #[serde(default)]
    pub registration_token_hash: Option<String>,
    /// A disabled client cannot authenticate or start authorizations.
    #[serde(default)]
    pub disabled: bool,
}

impl RegisteredClient {
    /// Whether the client may use `grant`.
    pub fn allows_grant(&self, grant: GrantType) -> bool {
        self.grant_types.contains(&grant)
    }

    /// A metadata string member (e.g. `client_name`), if present.
    pub fn metadata_str(&self, key: &str) -> Option<&str> {
        self.metadata.get(key).and_then(|v| v.as_str())
    }
}

/// A stored authorization code (only its hash is the key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeRecord {
    /// Hex SHA-256 of the code.
    pub code_hash: String,
    /// The grant this code starts; tokens issued from it carry the same id.
    pub grant_id: String,
    /// The client the code was issued to.
    pub client_id: String,
    /// The redirect URI the code was delivered to.
    pub redirect_uri: String,
    /// Whether `redirect_uri` was present in the authorization request (then it is required at
    /// the token endpoint, RFC 6749 §4.1.3).
    pub redirect_uri_sent: bool,
    /// PKCE S256 challenge.
    pub code_challenge: String,
    /// The approved scopes (space-separated).
    pub scope: String,
    /// The resource owner.
    pub subject: String,
    /// Expiry (epoch seconds).
    pub expires_at: u64,
}

/// What happened when a code was consumed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeConsumption {
    /// First use: the caller may redeem it.
    Consumed(CodeRecord),
    /// The code had been used before (replay): the caller must revoke the grant.
    AlreadyUsed(CodeRecord),
    /// No such code.
    NotFound,
}

/// A stored refresh token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshRecord {
    /// Hex SHA-256 of the token.
    pub token_hash: String,
    /// The grant (token family) it belongs to.
    pub grant_id: String,
    /// The client it was issued to.
    pub client_id: String,
    /// The resource owner.
    pub subject: String,
    /// The originally granted scope (never widened by refreshes).
    pub scope: String,
    /// Expiry (epoch seconds).
    pub expires_at: u64,
    /// Rotated away (used once already).
    pub used: bool,
    /// Revoked (by the client, by replay detection or by code reuse).
    pub revoked: bool,
}

/// What happened when a refresh token was rotated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshRotation {
    /// The old token was live and is now used; the new one is stored.
    Rotated,
    /// The old token had been used (longer than
    /// [`REFRESH_ROTATION_GRACE`](super::store::REFRESH_ROTATION_GRACE) ago) or revoked: a replay,
    /// the caller must revoke the family.
    Replayed,
    /// Another request rotated the old token moments ago (within
    /// [`REFRESH_ROTATION_GRACE`](super::store::REFRESH_ROTATION_GRACE)): the loser of a
    /// concurrent refresh, not a replay. The caller answers `invalid_grant` and leaves the family
    /// alone (Hydra's failure was to answer such losers with a 5xx or to revoke the family).
    ConcurrentlyRotated,
    /// No such token.
    NotFound,
}

/// A pending authorization request waiting for the resource owner's login and consent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingAuthorization {
    /// Hex SHA-256 of the request id carried by the form.
    pub id_hash: String,
    /// Hex SHA-256 of the CSRF token bound to the browser cookie.
    pub csrf_hash: String,
    /// The client.
    pub client_id: String,
    /// The validated redirect URI.
    pub redirect_uri: String,
    /// Whether the client sent `redirect_uri`.
    pub redirect_uri_sent: bool,
    /// The `state`, echoed byte for byte.
    pub state: String,
    /// The PKCE challenge.
    pub code_challenge: String,
    /// The requested (validated) scope.
    pub scope: String,
    /// Expiry (epoch seconds).
    pub expires_at: u64,
}

/// A signing key as persisted.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredSigningKey {
    /// Key id (`kid`).
    pub kid: String,
    /// JWS algorithm (`RS256`, `ES256`, `EdDSA`).
    pub alg: String,
    /// PKCS#8 DER private key.
    pub pkcs8: Vec<u8>,
    /// Creation time (epoch seconds); published in the JWKS from then on.
    pub created_at: u64,
    /// When it became the signing key (epoch seconds), if it has.
    pub activated_at: Option<u64>,
    /// After this time it is no longer published (epoch seconds), if retiring.
    pub retire_at: Option<u64>,
}

impl std::fmt::Debug for StoredSigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print private key bytes.
        f.debug_struct("StoredSigningKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("created_at", &self.created_at)
            .field("activated_at", &self.activated_at)
            .field("retire_at", &self.retire_at)
            .finish_non_exhaustive()
    }
}

/// A resource owner's remembered consent to one client: the scopes they approved (the union of
/// every approval since the last withdrawal). A later authorization request by the same client
/// for these scopes or fewer skips the approve step for a signed-in user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentRecord {
    /// The resource owner (`sub`).
    pub subject: String,
    /// The client.
    pub client_id: String,
    /// The approved scopes (space-separated, sorted, no duplicates).
    pub scope: String,
    /// When the consent was last given or widened (epoch seconds).
    pub granted_at: u64,
}
