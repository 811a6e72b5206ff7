//! The embedded authorization server (IMS Security Framework 1.1 / OAuth 2.0).
//!
//! One issuer, mountable into an axum [`Router`](axum::Router):
//!
//! | endpoint | spec |
//! |---|---|
//! | `POST /token` | RFC 6749: `client_credentials` (client_secret_basic, private_key_jwt per RFC 7523), `authorization_code` with PKCE S256 (RFC 7636), `refresh_token` with rotation and family revocation |
//! | `GET/POST /authorize` | RFC 6749 §4.1, exact redirect-URI match, `state` required, `iss` in every response (RFC 9207); built-in login + consent page |
//! | `POST /revoke` | RFC 7009 |
//! | `POST /introspect` | RFC 7662 |
//! | `POST /register`, `GET/PUT/DELETE /register/{client_id}` | RFC 7591 as profiled by IMS (OB 3.0 / CLR 2.0), RFC 7592 |
//! | `GET /jwks.json` | RFC 7517 (public members only) |
//! | `GET /.well-known/oauth-authorization-server`, `/.well-known/openid-configuration` | RFC 8414 / OIDC Discovery |
//! | `GET /health` | not an RFC: 200 `{"status":"ok"}` when the store answers, 503 otherwise (for load balancers) |
//!
//! Access tokens are JWTs per RFC 9068 (`typ: at+jwt`; `iss`, `sub`, `aud`, `client_id`,
//! `scope`, `jti`, `iat`, `exp`). Everything correctness depends on lives behind [`Store`]
//! ([`SqliteStore`] by default, `PostgresStore` for several instances on one database; pick one
//! by URL with [`open_store`]). With PostgreSQL, revocations, client changes and key rotations
//! made on one instance reach the others' caches through `LISTEN/NOTIFY` (`cache_coherence`).
//!
//! `/token` and `/register` (with its RFC 7592 management endpoints) are rate limited per client
//! IP by default (see [`AuthorizationServerBuilder::token_rate_limit`]); requests without a known
//! peer address (no `ConnectInfo<SocketAddr>`) are not limited.
//!
//! ## Where things are
//!
//! | module | job |
//! |---|---|
//! | `builder` | [`AuthorizationServerBuilder`]: the configuration and its validation |
//! | `server`, `router`, `admin` | the [`AuthorizationServer`] handle, its routes, and its administration (clients, key rotation) |
//! | `state` | what a running server holds; the client directory |
//! | `endpoints` | one module per endpoint; `/token` has one handler per grant type, `/authorize` the request and the consent apart, `/register` RFC 7591 and RFC 7592 apart |
//! | `client_auth` | client authentication at `/token`, `/revoke`, `/introspect`: one module per method family (`client_secret`, `private_key_jwt`) |
//! | `form`, [`scope`] | strict form parsing and scope rules, shared by the endpoints |
//! | `pages` | the login/consent and error pages (askama templates in `runtime/templates/authorization_server/`) |
//! | `access_tokens`, `claims` | issuing and verifying the RFC 9068 access tokens |
//! | [`keys`], `key_rotation` | signing-key material; its lifecycle in the store (bootstrap at build, rotation, staging) |
//! | `revocation`, `live_tokens` | revoking tokens and the same-process revocation check |
//! | [`error`] | [`OAuthError`] with its [`OAuthErrorCode`], and [`AuthorizationServerSetupError`] |
//! | [`store`] (`views`, [`sqlite`], `postgres`, `open`), [`model`] | the storage contract, its narrow per-capability views, its SQLite and PostgreSQL implementations, opening one by URL, and the records it keeps |
//! | `cache_coherence` | applying other instances' changes (the store's change feed) to this instance's caches |
//! | [`owner`], [`secrets`], `rate_limit`, `jwks_fetch` | resource-owner login, hashing and random values, request limits, clients' `jwks_uri` fetches |
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use ims_runtime::authorization_server::{AuthorizationServer, NewClient, SqliteStore};
//! let store = Arc::new(SqliteStore::open(std::path::Path::new("authz.sqlite"))?);
//! let server = AuthorizationServer::builder("https://as.example.edu", store)
//!     .scopes(["https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly"])
//!     .build()
//!     .await?;
//! let sis = server
//!     .create_client(NewClient::client_credentials(["https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly"]))
//!     .await?;
//! println!("client_id={} secret={:?}", sis.client_id, sis.client_secret);
//! let app: axum::Router = server.router();
//! # let _ = app; Ok(()) }
//! ```

mod access_tokens;
mod admin;
mod builder;
mod cache_coherence;
mod claims;
mod client_auth;
mod endpoints;
pub mod error;
mod form;
#[cfg(feature = "client")]
mod jwks_fetch;
pub mod keys;
mod live_tokens;
pub mod model;
mod own_keys_verifier;
pub mod owner;
pub(crate) mod pages;

mod key_rotation;
mod rate_limit;
mod revocation;
mod router;
pub mod scope;
pub mod secrets;
mod server;
mod state;
pub mod store;

pub use admin::{IssuedClient, NewClient};
pub use builder::{
    AuthorizationServerBuilder, DEFAULT_ACCESS_TOKEN_LIFETIME, DEFAULT_CODE_LIFETIME,
    DEFAULT_REFRESH_TOKEN_LIFETIME,
};
pub use claims::AccessTokenClaims;
pub use error::{AuthorizationServerSetupError, OAuthError, OAuthErrorCode};
#[cfg(feature = "client")]
pub use jwks_fetch::JwksUriPolicy;
pub use keys::{SigningAlgorithm, SigningKeyError};
pub use model::{GrantType, RegisteredClient, TokenEndpointAuthMethod};
pub use own_keys_verifier::OwnKeysVerifier;
pub use owner::{ResourceOwnerAuthenticator, StaticUsers};
pub use rate_limit::{DEFAULT_REGISTRATION_RATE_LIMIT, DEFAULT_TOKEN_RATE_LIMIT, RateLimit};
pub use server::AuthorizationServer;
pub use store::open::{SchemaMigration, StoreOpenError, StoreOptions, migrate_store, open_store};
#[cfg(feature = "postgres")]
pub use store::postgres::{self, PostgresStore};
pub use store::sqlite::{self, SqliteStore};
pub use store::{REFRESH_ROTATION_GRACE, Store, StoreChange, StoreError};
