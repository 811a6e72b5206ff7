//! Development certificates: a local CA and a server certificate signed by it (rcgen, ECDSA P-256).
//!
//! For local development and tests only. The CA private key is written next to the certificates
//! (`ca-key.pem`, mode 0600 on Unix) so nothing else can sign with it by accident; never ship
//! these files.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType,
};
use rustls::client::danger::ServerCertVerifier;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};

use super::{TlsConfig, TlsError, crypto_provider, parse_certificates};

/// Leaf certificates are reissued when they expire within this margin.
const RENEW_MARGIN: time::Duration = time::Duration::days(7);
/// Lifetime of generated certificates.
const LIFETIME: time::Duration = time::Duration::days(365);

/// A development CA plus a server certificate for some host names, as PEM files in one folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DevCertificates {
    /// The folder holding the files.
    pub dir: PathBuf,
    /// The CA certificate (`ca.pem`): give it to clients as their only trusted root.
    pub ca_pem: PathBuf,
    /// The server certificate chain (`cert.pem`: leaf, then CA).
    pub cert_pem: PathBuf,
    /// The server private key (`key.pem`, PKCS#8).
    pub key_pem: PathBuf,
}

/// PEM texts of a freshly generated development CA and server certificate (in memory).
#[derive(Clone)]
pub struct DevPem {
    /// CA certificate.
    pub ca_cert: String,
    /// CA private key.
    pub ca_key: String,
    /// Server chain: leaf then CA.
    pub cert_chain: String,
    /// Server private key (PKCS#8).
    pub key: String,
}

impl std::fmt::Debug for DevPem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevPem").finish_non_exhaustive()
    }
}

impl DevPem {
    /// Generates a new CA and a server certificate whose SANs are `hosts` (DNS names or IP
    /// addresses, e.g. `"localhost"`, `"127.0.0.1"`).
    pub fn generate(hosts: &[&str]) -> Result<Self, TlsError> {
        if hosts.is_empty() {
            return Err(TlsError::CertificateGeneration(
                "no host names given; pass e.g. [\"localhost\", \"127.0.0.1\"]".into(),
            ));
        }
        let gen_err = |e: rcgen::Error| TlsError::CertificateGeneration(e.to_string());
        let now = time::OffsetDateTime::now_utc();

        let ca_key = KeyPair::generate().map_err(gen_err)?;
        let mut ca_params = CertificateParams::default();
        let mut ca_dn = DistinguishedName::new();
        ca_dn.push(DnType::CommonName, "ims-runtime development CA");
        ca_params.distinguished_name = ca_dn;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        ca_params.not_before = now - time::Duration::minutes(5);
        ca_params.not_after = now + LIFETIME;
        let ca_cert = ca_params.self_signed(&ca_key).map_err(gen_err)?;
        let issuer = Issuer::new(ca_params, &ca_key);

        let key = KeyPair::generate().map_err(gen_err)?;
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, hosts[0]);
        params.distinguished_name = dn;
        params.subject_alt_names = hosts
            .iter()
            .map(|h| match h.parse::<IpAddr>() {
                Ok(ip) => Ok(SanType::IpAddress(ip)),
                Err(_) => {
                    h.to_string()
                        .try_into()
                        .map(SanType::DnsName)
                        .map_err(|e: rcgen::Error| {
                            TlsError::CertificateGeneration(format!("host name `{h}`: {e}"))
                        })
                }
            })
            .collect::<Result<_, _>>()?;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        params.not_before = now - time::Duration::minutes(5);
        params.not_after = now + LIFETIME;
        let cert = params.signed_by(&key, &issuer).map_err(gen_err)?;

        Ok(Self {
            ca_cert: ca_cert.pem(),
            ca_key: ca_key.serialize_pem(),
            cert_chain: format!("{}{}", cert.pem(), ca_cert.pem()),
            key: key.serialize_pem(),
        })
    }

    /// The server TLS configuration for this pair.
    pub fn tls_config(&self) -> Result<TlsConfig, TlsError> {
        TlsConfig::from_pem(self.cert_chain.as_bytes(), self.key.as_bytes())
    }
}

impl DevCertificates {
    /// Makes sure `dir` holds a development CA and a server certificate valid for `hosts`:
    /// existing files are reused when the certificate chains to `ca.pem`, covers every host, is
    /// valid for at least 7 more days and matches `key.pem`; otherwise a new CA and certificate are
    /// generated and written (`ca.pem`, `ca-key.pem`, `cert.pem`, `key.pem`).
    pub fn ensure(dir: &Path, hosts: &[&str]) -> Result<Self, TlsError> {
        let this = Self {
            dir: dir.to_path_buf(),
            ca_pem: dir.join("ca.pem"),
            cert_pem: dir.join("cert.pem"),
            key_pem: dir.join("key.pem"),
        };
        if this.existing_files_valid(hosts) {
            tracing::debug!(dir = %dir.display(), "reusing development certificates");
            return Ok(this);
        }
        tracing::info!(dir = %dir.display(), ?hosts, "generating development certificates");
        let pem = DevPem::generate(hosts)?;
        std::fs::create_dir_all(dir).map_err(|source| TlsError::Write {
            path: dir.display().to_string(),
            source,
        })?;
        write_file(&dir.join("ca-key.pem"), &pem.ca_key, true)?;
        write_file(&this.key_pem, &pem.key, true)?;
        write_file(&this.cert_pem, &pem.cert_chain, false)?;
        write_file(&this.ca_pem, &pem.ca_cert, false)?;
        Ok(this)
    }

    /// The server TLS configuration from `cert.pem` and `key.pem`.
    pub fn tls_config(&self) -> Result<TlsConfig, TlsError> {
        TlsConfig::from_pem_files(&self.cert_pem, &self.key_pem)
    }

    /// The bytes of `ca.pem` (for [`super::client_config`] or a reqwest client).
    pub fn ca_pem_bytes(&self) -> Result<Vec<u8>, TlsError> {
        std::fs::read(&self.ca_pem).map_err(|source| TlsError::Read {
            what: "CA certificate",
            path: self.ca_pem.display().to_string(),
            source,
        })
    }

    fn existing_files_valid(&self, hosts: &[&str]) -> bool {
        let (Ok(ca), Ok(chain), Ok(key)) = (
            std::fs::read(&self.ca_pem),
            std::fs::read(&self.cert_pem),
            std::fs::read(&self.key_pem),
        ) else {
            return false;
        };
        if PrivateKeyDer::from_pem_slice(&key).is_err() {
            return false;
        }
        if TlsConfig::from_pem(&chain, &key).is_err() {
            return false;
        }
        let check_time = time::OffsetDateTime::now_utc() + RENEW_MARGIN;
        let Ok(secs) = u64::try_from(check_time.unix_timestamp()) else {
            return false;
        };
        verify_chain(
            &ca,
            &chain,
            hosts,
            UnixTime::since_unix_epoch(std::time::Duration::from_secs(secs)),
        )
        .is_ok()
    }
}

/// Verifies that `chain_pem` chains to `ca_pem` and is valid for each host at `at`.
fn verify_chain(
    ca_pem: &[u8],
    chain_pem: &[u8],
    hosts: &[&str],
    at: UnixTime,
) -> Result<(), TlsError> {
    let mut roots = rustls::RootCertStore::empty();
    for c in parse_certificates(ca_pem, "CA certificate", "ca.pem")? {
        roots.add(c).map_err(|source| TlsError::Rustls {
            context: "CA certificate".into(),
            source,
        })?;
    }
    let chain: Vec<CertificateDer<'static>> =
        parse_certificates(chain_pem, "certificate chain", "cert.pem")?;
    let (leaf, intermediates) = chain.split_first().ok_or_else(|| TlsError::Pem {
        what: "certificate chain",
        origin: "cert.pem".into(),
        detail: "empty".into(),
    })?;
    let verifier = rustls::client::WebPkiServerVerifier::builder_with_provider(
        Arc::new(roots),
        crypto_provider(),
    )
    .build()
    .map_err(|e| TlsError::CertificateGeneration(e.to_string()))?;
    for host in hosts {
        let name = ServerName::try_from(host.to_string()).map_err(|e| TlsError::Pem {
            what: "host name",
            origin: (*host).to_owned(),
            detail: e.to_string(),
        })?;
        verifier
            .verify_server_cert(leaf, intermediates, &name, &[], at)
            .map_err(|source| TlsError::Rustls {
                context: format!("certificate for `{host}`"),
                source,
            })?;
    }
    Ok(())
}

fn write_file(path: &Path, contents: &str, private: bool) -> Result<(), TlsError> {
    let err = |source| TlsError::Write {
        path: path.display().to_string(),
        source,
    };
    #[cfg(unix)]
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(if private { 0o600 } else { 0o644 })
            .open(path)
            .map_err(err)?;
        f.write_all(contents.as_bytes()).map_err(err)
    }
    #[cfg(not(unix))]
    {
        let _ = private;
        std::fs::write(path, contents).map_err(err)
    }
}
