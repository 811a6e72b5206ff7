//! Lowering: SDD + spec model → IR. All naming and type decisions happen here, once.

pub mod naming;

pub mod types;

// Operations, security and scopes (one responsibility per module), and the service entry point.
pub mod api;
pub mod base_path;
pub mod bodies;
pub mod operations;
pub mod params;
pub mod path_template;
pub mod requirements;
pub mod responses;
pub mod scopes;
pub mod security;
mod service;

pub use service::lower_service;
