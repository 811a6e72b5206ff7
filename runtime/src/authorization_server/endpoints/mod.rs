//! One module per endpoint, each reading like its RFC. Every endpoint builds a narrow view of
//! the server state (what it may touch) once per request.

pub(crate) mod account;
pub(crate) mod authorize;
pub(crate) mod health;
pub(crate) mod introspect;
pub(crate) mod metadata;
pub(crate) mod register;
pub(crate) mod revoke;
pub(crate) mod token;
