//! The data directory several `oneroster-demo serve` processes share: who may set it up, and how
//! its files are replaced without a reader ever seeing half of one.
//!
//! Setup (certificates, store migrations, the demo clients and `clients.json`) runs under
//! [`SetupLock`], an exclusive `flock` on `setup.lock`: when two instances start at once one sets
//! up and the other waits, then finds valid files and reuses them. The lock belongs to the open
//! file, so an instance that dies while holding it releases it with its file descriptors.
//!
//! Every file is written to a temporary name in the same folder and renamed over the old one
//! ([`write_atomically`]); the four certificate files are checked and, when needed, regenerated
//! in a staging folder first and then renamed into place one by one, `ca.pem` last
//! ([`ensure_certificates`]).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ims_runtime::tls::dev::DevCertificates;

use super::app::{CA_FILE, DemoError};

/// The lock file inside the data directory.
pub const SETUP_LOCK_FILE: &str = "setup.lock";
/// How long an instance waits for another one to finish setting up the data directory.
pub const SETUP_LOCK_TIMEOUT: Duration = Duration::from_secs(120);
/// The certificate files [`DevCertificates`] writes, in the order they are published: the
/// private keys first, `ca.pem` (what clients read) last.
const CERTIFICATE_FILES: [&str; 4] = ["ca-key.pem", "key.pem", "cert.pem", CA_FILE];
/// Where certificates are checked or regenerated before they are published.
const STAGING_DIR: &str = ".certificates.staging";
/// How often a waiting instance retries the lock.
const LOCK_RETRY: Duration = Duration::from_millis(50);

/// Holds the data directory's setup lock until dropped.
#[derive(Debug)]
pub struct SetupLock {
    // Closing the file releases the lock.
    _file: std::fs::File,
}

impl SetupLock {
    /// Takes the exclusive setup lock of `dir`, waiting up to [`SETUP_LOCK_TIMEOUT`] for another
    /// instance to release it.
    pub async fn acquire(dir: &Path) -> Result<Self, DemoError> {
        let path = dir.join(SETUP_LOCK_FILE);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|source| DemoError::Io {
                what: "cannot open setup lock",
                path: path.clone(),
                source,
            })?;
        let started = Instant::now();
        let mut logged = false;
        loop {
            match try_lock(&file) {
                Ok(true) => return Ok(Self { _file: file }),
                Ok(false) => {}
                Err(source) => {
                    return Err(DemoError::Io {
                        what: "cannot lock",
                        path,
                        source,
                    });
                }
            }
            if started.elapsed() >= SETUP_LOCK_TIMEOUT {
                return Err(DemoError::SetupLockTimeout {
                    path,
                    waited: SETUP_LOCK_TIMEOUT,
                });
            }
            if !logged {
                tracing::info!(lock = %path.display(), "another instance is setting up the data directory; waiting");
                logged = true;
            }
            tokio::time::sleep(LOCK_RETRY).await;
        }
    }
}

/// `Ok(false)` when another process holds the lock.
#[cfg(unix)]
fn try_lock(file: &std::fs::File) -> std::io::Result<bool> {
    use rustix::fs::{FlockOperation, flock};
    match flock(file, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(true),
        Err(rustix::io::Errno::WOULDBLOCK) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Without `flock`, instances starting at the same moment are not serialized; the atomic
/// renames still keep every file whole.
#[cfg(not(unix))]
fn try_lock(_file: &std::fs::File) -> std::io::Result<bool> {
    Ok(true)
}

/// Makes sure `dir` holds a development CA and a server certificate valid for `hosts`, replacing
/// the files only when [`DevCertificates::ensure`] would (missing, expiring, not covering a host,
/// not matching each other). Call it under [`SetupLock`].
pub fn ensure_certificates(dir: &Path, hosts: &[&str]) -> Result<DevCertificates, DemoError> {
    let staging = dir.join(STAGING_DIR);
    remove_staging(&staging)?;
    std::fs::create_dir(&staging).map_err(|source| DemoError::Io {
        what: "cannot create staging folder",
        path: staging.clone(),
        source,
    })?;
    let mut existed = false;
    for name in CERTIFICATE_FILES {
        let live = dir.join(name);
        if live.exists() {
            existed = true;
            // `copy` keeps the permission bits, so staged private keys stay 0600.
            std::fs::copy(&live, staging.join(name)).map_err(|source| DemoError::Io {
                what: "cannot stage certificate file",
                path: live,
                source,
            })?;
        }
    }
    DevCertificates::ensure(&staging, hosts)?;
    let mut changed = false;
    for name in CERTIFICATE_FILES {
        changed |= std::fs::read(staging.join(name)).ok() != std::fs::read(dir.join(name)).ok();
    }
    if changed {
        if existed {
            tracing::warn!(
                dir = %dir.display(),
                ?hosts,
                "replacing the development CA and server certificate (missing, expiring or not \
                 covering these hosts): instances already running on this data directory serve \
                 the old certificate and must be restarted"
            );
        }
        for name in CERTIFICATE_FILES {
            let target = dir.join(name);
            std::fs::rename(staging.join(name), &target).map_err(|source| DemoError::Io {
                what: "cannot publish certificate file",
                path: target,
                source,
            })?;
        }
    }
    remove_staging(&staging)?;
    Ok(DevCertificates {
        dir: dir.to_path_buf(),
        ca_pem: dir.join(CA_FILE),
        cert_pem: dir.join("cert.pem"),
        key_pem: dir.join("key.pem"),
    })
}

fn remove_staging(staging: &Path) -> Result<(), DemoError> {
    match std::fs::remove_dir_all(staging) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(DemoError::Io {
            what: "cannot remove staging folder",
            path: staging.to_path_buf(),
            source,
        }),
    }
}

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename, so readers
/// see the old file or the new one, never a part. `private` files are readable by their owner
/// only (they hold secrets).
pub fn write_atomically(path: &Path, bytes: &[u8], private: bool) -> Result<(), DemoError> {
    let tmp = temporary_name(path);
    // A leftover of a crashed run would keep its permission bits through `truncate`.
    let _ = std::fs::remove_file(&tmp);
    write_new(&tmp, bytes, private).map_err(|source| DemoError::Io {
        what: "cannot write",
        path: tmp.clone(),
        source,
    })?;
    std::fs::rename(&tmp, path).map_err(|source| {
        let _ = std::fs::remove_file(&tmp);
        DemoError::Io {
            what: "cannot replace",
            path: path.to_path_buf(),
            source,
        }
    })
}

/// `.NAME.PID.tmp` next to `path`: unique per process, so two writers never share one.
fn temporary_name(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}

fn write_new(path: &Path, bytes: &[u8], private: bool) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(if private { 0o600 } else { 0o644 });
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    // On disk before the rename makes it visible: a crash leaves the old file or the new one.
    file.sync_all()
}
