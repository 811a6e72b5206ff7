//! Whom the tool's outgoing calls trust (platform JWKS, token endpoint, AGS, NRPS, Dynamic
//! Registration): the system's roots, plus the CA certificates of `--ca` (a development
//! platform's `ca.pem`).
//!
//! `HttpPolicy::ca_pem` replaces the roots it is given, so with `--ca` the policy gets the
//! system's roots and the file's certificates together, as one PEM bundle.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ims_runtime::client::{ApiClient, HttpPolicy};

use super::server::LtiToolDemoError;

/// The policy of every outgoing call: the generated clients' (large enough for pages of
/// members), trusting the system's roots and, with `extra_ca`, that file's certificates too.
pub fn outgoing_policy(extra_ca: Option<&Path>) -> Result<HttpPolicy, LtiToolDemoError> {
    let policy = ApiClient::default_policy();
    let Some(path) = extra_ca else {
        return Ok(policy);
    };
    let bad = |detail: String| LtiToolDemoError::Ca {
        path: path.to_path_buf(),
        detail,
    };
    let extra = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
    // Fails early with the file's name, rather than at the first outgoing call.
    ims_runtime::tls::client_config(Some(&extra)).map_err(|e| bad(e.to_string()))?;
    let mut bundle = system_roots_pem();
    bundle.extend_from_slice(&extra);
    Ok(policy.with_ca_pem(bundle))
}

/// The system's trust roots as PEM, leaving out any certificate rustls cannot use as a trust
/// anchor (one odd system certificate must not stop the tool).
fn system_roots_pem() -> Vec<u8> {
    let found = rustls_native_certs::load_native_certs();
    for e in &found.errors {
        tracing::warn!(error = %e, "reading a system trust root failed");
    }
    let mut pem = String::new();
    for cert in found.certs {
        let mut probe = rustls::RootCertStore::empty();
        if probe.add(cert.clone()).is_err() {
            continue;
        }
        pem.push_str("-----BEGIN CERTIFICATE-----\n");
        let b64 = STANDARD.encode(cert.as_ref());
        for line in b64.as_bytes().chunks(64) {
            pem.push_str(&String::from_utf8_lossy(line));
            pem.push('\n');
        }
        pem.push_str("-----END CERTIFICATE-----\n");
    }
    pem.into_bytes()
}
