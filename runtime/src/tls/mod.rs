//! TLS for every IMS endpoint (IMS Security Framework 1.1 §4: TLS 1.2 or 1.3, never SSL).
//!
//! - [`TlsConfig`]: a rustls server configuration limited to TLS 1.3 + 1.2, ECDHE key exchange with
//!   AEAD suites only (AES-GCM, ChaCha20-Poly1305), ALPN `h2` + `http/1.1`, loaded from PEM.
//! - [`client_config`]: the matching client side, trusting only the CA you pass (the
//!   operating system roots are never added implicitly).
//! - `serve_tls` (feature `server`): serves an axum `Router` with a handshake timeout, header
//!   timeouts, HTTP/2 stream caps and graceful shutdown.
//! - `dev` (feature `server`): a local development CA and server certificate (rcgen).
//! - `testing` (features `server` + `client`): start a TLS server on `127.0.0.1:0` in one line.

use std::path::Path;
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::crypto::aws_lc_rs::{self, cipher_suite};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

#[cfg(feature = "server")]
pub mod dev;
#[cfg(feature = "server")]
mod serve;
#[cfg(all(feature = "server", feature = "client"))]
pub mod testing;

#[cfg(feature = "server")]
pub use serve::{ServeOptions, serve_tls, serve_tls_with};

/// The only protocol versions we speak: TLS 1.3 first, then TLS 1.2 (SF 1.1 §4; RFC 9325).
pub static PROTOCOL_VERSIONS: &[&rustls::SupportedProtocolVersion] =
    &[&rustls::version::TLS13, &rustls::version::TLS12];

/// ALPN identifiers offered by [`TlsConfig`], most preferred first.
pub const ALPN_PROTOCOLS: &[&[u8]] = &[b"h2", b"http/1.1"];

/// Errors from loading certificates, building TLS configurations and serving over TLS.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A PEM file could not be read.
    #[error("cannot read {what} file `{path}`: {source}")]
    Read {
        /// What the file was supposed to contain ("certificate chain", "private key", …).
        what: &'static str,
        /// The path as given.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// PEM input was syntactically wrong or held nothing usable.
    #[error("{what} from {origin}: {detail}")]
    Pem {
        /// What was expected ("certificate chain", "private key", "CA certificate").
        what: &'static str,
        /// Where the bytes came from (a file path or "memory").
        origin: String,
        /// What is wrong and how to fix it.
        detail: String,
    },
    /// rustls refused the configuration (e.g. the key does not match the certificate).
    #[error("TLS configuration rejected ({context}): {source}")]
    Rustls {
        /// What we were doing.
        context: String,
        /// The rustls error.
        #[source]
        source: rustls::Error,
    },
    /// Generating development certificates failed.
    #[error("development certificate generation failed: {0}")]
    CertificateGeneration(String),
    /// Writing development certificates failed.
    #[error("cannot write `{path}`: {source}")]
    Write {
        /// The path being written.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The listener failed (e.g. `accept` returned a fatal error).
    #[error("TLS listener failed: {0}")]
    Listener(#[source] std::io::Error),
}

/// The crypto provider every configuration in this crate uses: aws-lc-rs with the cipher suites
/// restricted to ECDHE + AEAD (TLS 1.3 suites are AEAD by construction).
///
/// rustls never implements CBC, RC4, 3DES, NULL, EXPORT or static-RSA key exchange; the explicit
/// list keeps that true even if a future default grows.
pub fn crypto_provider() -> Arc<CryptoProvider> {
    let base = aws_lc_rs::default_provider();
    Arc::new(CryptoProvider {
        cipher_suites: vec![
            cipher_suite::TLS13_AES_256_GCM_SHA384,
            cipher_suite::TLS13_AES_128_GCM_SHA256,
            cipher_suite::TLS13_CHACHA20_POLY1305_SHA256,
            cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            cipher_suite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
            cipher_suite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
            cipher_suite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            cipher_suite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        ],
        ..base
    })
}

/// A server TLS configuration: TLS 1.3 + 1.2 only, ECDHE/AEAD suites only, ALPN `h2` + `http/1.1`.
///
/// Cheap to clone (an `Arc` inside).
///
/// ```no_run
/// # fn main() -> Result<(), ims_runtime::tls::TlsError> {
/// use std::path::Path;
/// let tls = ims_runtime::tls::TlsConfig::from_pem_files(
///     Path::new("/etc/ims/fullchain.pem"),
///     Path::new("/etc/ims/key.pem"),
/// )?;
/// let _rustls = tls.server_config();
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct TlsConfig {
    inner: Arc<rustls::ServerConfig>,
}

impl std::fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.debug_struct("TlsConfig")
            .field("alpn", &["h2", "http/1.1"])
            .finish_non_exhaustive()
    }
}

impl TlsConfig {
    /// Loads a certificate chain (leaf first) and its private key (PKCS#8, PKCS#1 or SEC1) from PEM
    /// files. Errors name the offending file.
    pub fn from_pem_files(cert_chain: &Path, key: &Path) -> Result<Self, TlsError> {
        let cert_bytes = read_file(cert_chain, "certificate chain")?;
        let key_bytes = read_file(key, "private key")?;
        Self::build(
            &cert_bytes,
            &cert_chain.display().to_string(),
            &key_bytes,
            &key.display().to_string(),
        )
    }

    /// Loads a certificate chain (leaf first) and its private key from PEM bytes.
    pub fn from_pem(cert_chain_pem: &[u8], key_pem: &[u8]) -> Result<Self, TlsError> {
        Self::build(cert_chain_pem, "memory", key_pem, "memory")
    }

    /// Wraps a rustls configuration you built yourself. It is used as given: you are responsible
    /// for its protocol versions and suites.
    pub fn from_server_config(config: Arc<rustls::ServerConfig>) -> Self {
        Self { inner: config }
    }

    /// The rustls server configuration (shared).
    pub fn server_config(&self) -> Arc<rustls::ServerConfig> {
        Arc::clone(&self.inner)
    }

    fn build(
        cert_pem: &[u8],
        cert_origin: &str,
        key_pem: &[u8],
        key_origin: &str,
    ) -> Result<Self, TlsError> {
        let certs = parse_certificates(cert_pem, "certificate chain", cert_origin)?;
        let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| TlsError::Pem {
            what: "private key",
            origin: key_origin.to_owned(),
            detail: format!(
                "no usable private key ({e}); expected a PEM block `PRIVATE KEY`, \
                 `RSA PRIVATE KEY` or `EC PRIVATE KEY`"
            ),
        })?;
        let mut config = rustls::ServerConfig::builder_with_provider(crypto_provider())
            .with_protocol_versions(PROTOCOL_VERSIONS)
            .map_err(|source| TlsError::Rustls {
                context: "protocol versions".into(),
                source,
            })?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(|source| TlsError::Rustls {
                context: format!(
                    "certificate chain from {cert_origin} with private key from {key_origin} \
                     (does the key belong to the first certificate?)"
                ),
                source,
            })?;
        config.alpn_protocols = ALPN_PROTOCOLS.iter().map(|p| p.to_vec()).collect();
        // No session tickets across restarts are needed; rustls' defaults (stateful cache,
        // TLS 1.3 tickets) are fine and renegotiation/compression do not exist in rustls.
        Ok(Self {
            inner: Arc::new(config),
        })
    }
}

/// A rustls client configuration trusting exactly the CA certificates in `extra_ca_pem`
/// (nothing else), TLS 1.2/1.3, ECDHE/AEAD suites, ALPN `h2` + `http/1.1`.
///
/// With `None` the configuration trusts no root at all and every handshake fails: pass the CA
/// that issued your server certificate (e.g. [`dev::DevCertificates::ca_pem_bytes`]).
pub fn client_config(extra_ca_pem: Option<&[u8]>) -> Result<rustls::ClientConfig, TlsError> {
    let mut roots = rustls::RootCertStore::empty();
    if let Some(pem) = extra_ca_pem {
        for cert in parse_certificates(pem, "CA certificate", "memory")? {
            roots.add(cert).map_err(|source| TlsError::Rustls {
                context: "adding a CA certificate to the trust store".into(),
                source,
            })?;
        }
    }
    client_config_with_roots(roots)
}

/// Like [`client_config`] with an already-built root store.
pub fn client_config_with_roots(
    roots: rustls::RootCertStore,
) -> Result<rustls::ClientConfig, TlsError> {
    let mut config = rustls::ClientConfig::builder_with_provider(crypto_provider())
        .with_protocol_versions(PROTOCOL_VERSIONS)
        .map_err(|source| TlsError::Rustls {
            context: "protocol versions".into(),
            source,
        })?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = ALPN_PROTOCOLS.iter().map(|p| p.to_vec()).collect();
    Ok(config)
}

fn read_file(path: &Path, what: &'static str) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        what,
        path: path.display().to_string(),
        source,
    })
}

/// Parses every `CERTIFICATE` block of a PEM document; at least one is required.
pub(crate) fn parse_certificates(
    pem: &[u8],
    what: &'static str,
    origin: &str,
) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::Pem {
            what,
            origin: origin.to_owned(),
            detail: format!("malformed PEM ({e})"),
        })?;
    if certs.is_empty() {
        return Err(TlsError::Pem {
            what,
            origin: origin.to_owned(),
            detail: "no `-----BEGIN CERTIFICATE-----` block found; expected PEM certificates, \
                     leaf first"
                .into(),
        });
    }
    Ok(certs)
}
