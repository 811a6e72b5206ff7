//! The OneRoster 1.2 Rostering demo provider behind the `oneroster-demo` binary.
//!
//! - [`seed`]: deterministic sample data (≥ 1,000 users) built from the generated models.
//! - [`store`]: an in-memory implementation of the generated `RosteringService` trait.
//! - [`app`]: TLS + the embedded authorization server + the service on one listener
//!   ([`app::Demo::start`] is what tests use).
//! - [`cli`]: the `serve` and `client` subcommands.

pub mod app;
pub mod cli;
pub mod seed;
pub mod store;

pub use app::{ClientCredentials, ClientKind, Clients, Demo, DemoConfig, DemoError, RunningDemo};
pub use seed::{SampleIds, Seed};
pub use store::DemoStore;
