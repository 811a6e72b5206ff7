//! [`LtiPlatformError`]: why the platform could not start, run or stop.

use std::net::SocketAddr;
use std::path::PathBuf;

use ims_runtime::authorization_server::{AuthorizationServerSetupError, StoreError};
use ims_runtime::tls::TlsError;

use crate::demo::DemoError;

/// Errors starting, running or stopping the LTI demo platform.
#[derive(Debug, thiserror::Error)]
pub enum LtiPlatformError {
    /// A file or directory operation failed.
    #[error("{what} `{path}`: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A data-directory file is not in the shape the demo documents.
    #[error("`{path}`: {detail}")]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong, where, and how to fix it.
        detail: String,
    },
    /// A data-directory helper shared with the OneRoster demo failed (atomic writes, certificates).
    #[error(transparent)]
    DataDir(#[from] DemoError),
    /// The SIGINT/SIGTERM handlers could not be installed.
    #[error("cannot install signal handlers: {0}")]
    Signals(#[source] std::io::Error),
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address given.
        addr: SocketAddr,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Certificates or the TLS listener failed.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// The authorization server could not be built or changed.
    #[error(transparent)]
    Authz(#[from] AuthorizationServerSetupError),
    /// The authorization server's store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The gradebook database failed.
    #[error("gradebook `{path}`: {source}")]
    Gradebook {
        /// The database file.
        path: PathBuf,
        /// The SQLite error.
        #[source]
        source: rusqlite::Error,
    },
    /// The LTI platform runtime refused its configuration.
    #[error("LTI platform: {0}")]
    Platform(String),
    /// No randomness for passwords or identifiers.
    #[error("the system random number generator failed")]
    Random,
    /// The server task panicked or was cancelled.
    #[error("server task: {0}")]
    Task(#[from] tokio::task::JoinError),
}
