//! The badges demo behind the `badges-demo` binary: scenario 2 of the 1EdTech Security
//! Framework (authorization code + PKCE, discovery, dynamic registration) for Open Badges 3.0
//! and CLR 2.0.
//!
//! - [`store`]: the credentials and profiles of every signed-in user, in SQLite in the data
//!   directory (`badges.sqlite`).
//! - [`vc_jwt`]: compact JWS credentials (VC-JWT) verified with the key in their `jwk` header,
//!   and the request rewrite that lets the generated JSON handler accept them as `text/plain`.
//! - [`services`]: the generated `OpenBadgesService` and `ClrService` traits over the store.
//! - [`users`]: `users.json` and the login page's [`ResourceOwnerAuthenticator`]
//!   (ims_runtime::authorization_server::ResourceOwnerAuthenticator).
//! - [`host`]: TLS + the embedded authorization server + both services on one listener
//!   ([`host::BadgesHost::start`] is what tests use).
//! - [`consumer`]: the consumer: discovery → registration → authorization → API calls.
//! - [`cli`]: the `host` and `consumer` subcommands.

pub mod cli;
pub mod consumer;
pub mod host;
pub mod services;
pub mod store;
pub mod users;
pub mod vc_jwt;

pub use consumer::{ConsumerArgs, ConsumerError, ConsumerSummary};
pub use host::{BadgesHost, HostConfig, HostError, RunningHost};
