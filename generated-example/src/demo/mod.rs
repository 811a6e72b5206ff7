//! The OneRoster 1.2 Rostering demo provider behind the `oneroster-demo` binary.
//!
//! - [`seed`]: deterministic sample data (≥ 1,000 users) built from the generated models.
//! - [`store`]: an in-memory implementation of the generated `RosteringService` trait.
//! - [`app`]: TLS + the embedded authorization server + the service on one listener
//!   ([`app::Demo::start`] is what tests use).
//! - [`public_url`]: `--public-url`, the origin (issuer) instances behind one balancer share.
//! - [`data_dir`]: the data directory several instances share (setup lock, atomic files).
//! - [`cli`]: the `serve`, `migrate` and `client` subcommands.
//! - [`serving`]: serving an app over TLS until stopped, with the authorization server's purge
//!   (every demo's, the badges host's and the LTI demo's).

pub mod app;
pub mod cli;
pub mod data_dir;
pub mod public_url;
pub mod seed;
pub mod serving;
pub mod store;

pub use app::{
    ClientCredentials, ClientKind, Clients, Demo, DemoConfig, DemoError, DemoOptions, RunningDemo,
};
pub use public_url::{PublicUrl, PublicUrlError};
pub use seed::{SampleIds, Seed};
pub use store::DemoStore;
