//! Outgoing side of the IMS Security Framework and typed service calls ([`ApiClient`]: paging,
//! retries, imsx errors; what generated `<Service>Client`s are built on): OAuth 2 client-credentials token sources
//! (`client_secret_basic`, `private_key_jwt`; [`ClientAssertionSource`] follows a rotating signing key, as LTI tools need), token caching with single-flight renewal, and an
//! HTTP policy (https only, no redirects, timeouts, size caps) shared with the resource-server
//! verifiers that call out (remote JWKS, introspection).
//!
//! Why not the `oauth2` crate's request code: the token response has to be validated byte-level
//! (CL-05/06/07: an empty `scope` is the empty scope set, `token_type` compared
//! case-insensitively, `expires_in` bounds, an `error` member in a 200, a size cap before parsing),
//! and `private_key_jwt` needs assertion parameters the crate does not produce. The request itself
//! is a single form POST, so it is written here on top of the same capped reqwest client.
//!
//! Scenario 2 (OB 3.0 / CLR 2.0, a consumer with no prior trust): [`DiscoveryClient`] fetches
//! and checks the provider's SDD and its authorization server's metadata,
//! [`RegistrationClient`] registers the consumer (RFC 7591/7592), [`AuthorizationCodeSource`]
//! runs the authorization code grant with PKCE and is the [`TokenSource`] for the user's tokens,
//! kept between runs by a [`UserTokenStore`] (`SqliteUserTokenStore` by default).

mod api_client;
mod api_error;
mod authorization_code;
mod authorized_client;
mod client_assertion;
mod client_error;
mod discovery_client;
mod http;
mod list_query;
mod no_credentials;
mod page;
mod paging;
mod registration_client;
mod retry;
mod secret;
mod token;
mod user_token_store;

pub use api_client::{ApiClient, ApiRequest, DEFAULT_MAX_PAGES, ScopeAlternatives};
pub use api_error::ApiError;
pub use authorization_code::{
    AuthorizationCodeEndpoints, AuthorizationCodeError, AuthorizationCodeSource,
    AuthorizationRequest, LogoutOutcome,
};
pub use authorized_client::AuthorizedClient;
pub use client_assertion::{AssertionSigningKeys, ClientAssertionSource};
pub use client_error::ClientError;
pub use discovery_client::{
    AuthorizationCodeScheme, AuthorizationServerMetadata, Discovered, DiscoveryClient,
    DiscoveryClientError, ProviderInfo, ServiceDescription, issuer_of,
};
pub use http::{HttpPolicy, read_capped};
pub use list_query::{ListQuery, OrderBy};
pub use no_credentials::NoCredentials;
pub use page::{Page, parse_link_header};
pub use paging::RecordStream;
pub use registration_client::{
    ClientMetadata, Registration, RegistrationClient, RegistrationError,
};
pub use retry::{RetryPolicy, parse_retry_after};
pub use secret::{ClientSecret, basic_authorization};
pub use token::{
    AccessToken, ClientAuth, ClientCredentialsSource, JwtAssertionKey, TokenSource,
    TokenSourceOptions,
};
#[cfg(feature = "client-sqlite")]
pub use user_token_store::SqliteUserTokenStore;
pub use user_token_store::{MemoryUserTokenStore, UserTokenStore, UserTokenStoreError, UserTokens};
