//! The platforms a tool trusts: one [`PlatformRegistration`] per (issuer, client_id), as the
//! platform's administrator set it up (by hand or by LTI Dynamic Registration).
//!
//! LTI 1.3 Core §3.1.3 ("Tool deployment"): one issuer may hold several registrations of the same
//! tool (one `client_id` each), and each registration several deployments. Login initiation may
//! omit `client_id`, so a registry also answers "every registration of this issuer".

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use serde::{Deserialize, Serialize};

/// Where a platform's verification keys come from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PlatformKeySource {
    /// The platform's JWKS URL (fetched over https, cached, refetched once on an unknown `kid`).
    #[serde(rename = "jwks_uri")]
    JwksUri(String),
    /// A JWKS document given inline (`{"keys": [...]}`).
    #[serde(rename = "jwks")]
    Jwks(serde_json::Value),
}

/// One platform registration of this tool.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlatformRegistration {
    /// The platform's issuer identifier (`iss` of its `id_token`s), compared exactly.
    pub issuer: String,
    /// The client_id the platform gave this tool.
    pub client_id: String,
    /// The deployment ids the tool accepts for this registration.
    pub deployment_ids: Vec<String>,
    /// The platform's OIDC authorization endpoint (where login initiation sends the browser).
    pub authorization_endpoint: String,
    /// The platform's OAuth 2 token endpoint (for AGS and NRPS tokens by client assertion).
    pub token_endpoint: String,
    /// The platform's keys.
    #[serde(flatten)]
    pub keys: PlatformKeySource,
}

/// A registration that cannot be used, or a registry file that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum RegistrationError {
    /// The registry file could not be read.
    #[error("reading platform registrations from {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The registry file is not a JSON array of registrations.
    #[error(
        "platform registrations in {path} are not valid: {detail} (expected a JSON array of \
         {{\"issuer\", \"client_id\", \"deployment_ids\", \"authorization_endpoint\", \
         \"token_endpoint\", \"jwks_uri\" or \"jwks\"}})"
    )]
    Parse {
        /// The file.
        path: String,
        /// What serde said, with the element and field.
        detail: String,
    },
    /// A registration field is empty or not an https URL.
    #[error("platform registration {issuer} / {client_id}: {problem}")]
    Invalid {
        /// The issuer.
        issuer: String,
        /// The client_id.
        client_id: String,
        /// What is wrong and how to fix it.
        problem: String,
    },
    /// Two registrations share (issuer, client_id).
    #[error("platform registration {issuer} / {client_id} is listed twice; keep one")]
    Duplicate {
        /// The issuer.
        issuer: String,
        /// The client_id.
        client_id: String,
    },
    /// The registry file could not be written (nothing was changed).
    #[error("writing platform registrations to {path}: {source}")]
    Write {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
}

fn is_https_url(s: &str) -> bool {
    url::Url::parse(s).is_ok_and(|u| u.scheme() == "https" && u.host().is_some())
}

impl PlatformRegistration {
    /// Checks what login and launch rely on: non-empty identifiers, at least one deployment,
    /// https endpoints (SF 1.1 §4: TLS everywhere), and a usable inline JWKS.
    pub fn validate(&self) -> Result<(), RegistrationError> {
        let invalid = |problem: &str| RegistrationError::Invalid {
            issuer: self.issuer.clone(),
            client_id: self.client_id.clone(),
            problem: problem.to_owned(),
        };
        if self.issuer.is_empty() || self.client_id.is_empty() {
            return Err(invalid("issuer and client_id must not be empty"));
        }
        if self.deployment_ids.is_empty() || self.deployment_ids.iter().any(String::is_empty) {
            return Err(invalid(
                "deployment_ids must list at least one non-empty deployment id",
            ));
        }
        if !is_https_url(&self.authorization_endpoint) {
            return Err(invalid("authorization_endpoint must be an https URL"));
        }
        if !is_https_url(&self.token_endpoint) {
            return Err(invalid("token_endpoint must be an https URL"));
        }
        match &self.keys {
            PlatformKeySource::JwksUri(uri) if !is_https_url(uri) => {
                Err(invalid("jwks_uri must be an https URL"))
            }
            PlatformKeySource::JwksUri(_) => Ok(()),
            PlatformKeySource::Jwks(doc) => {
                let bytes = serde_json::to_vec(doc).unwrap_or_default();
                match crate::resource_server::KeySet::from_jwks_json(&bytes) {
                    Ok(set) if !set.is_empty() => Ok(()),
                    Ok(_) => Err(invalid(
                        "jwks holds no key usable for signature verification",
                    )),
                    Err(e) => Err(invalid(&format!("jwks: {e}"))),
                }
            }
        }
    }

    /// Whether `deployment_id` is one of this registration's deployments.
    pub fn knows_deployment(&self, deployment_id: &str) -> bool {
        self.deployment_ids.iter().any(|d| d == deployment_id)
    }
}

/// Where the tool looks its platforms up. Implement it over your own database; the runtime ships
/// [`StaticPlatformRegistry`].
pub trait PlatformRegistry: Send + Sync + 'static {
    /// The registration for exactly (issuer, client_id).
    fn find(&self, issuer: &str, client_id: &str) -> Option<Arc<PlatformRegistration>>;
    /// Every registration of `issuer` (login initiation without `client_id`).
    fn find_by_issuer(&self, issuer: &str) -> Vec<Arc<PlatformRegistration>>;
}

/// Registrations held in memory, built from a list or a JSON file (the lti-demo's
/// `platforms.json`, whose entries use `deployment_ids` and `jwks_uri` or `jwks`).
#[derive(Clone, Debug, Default)]
pub struct StaticPlatformRegistry {
    by_key: BTreeMap<(String, String), Arc<PlatformRegistration>>,
}

impl StaticPlatformRegistry {
    /// A registry of `registrations`, each validated; (issuer, client_id) must be unique.
    pub fn new(
        registrations: impl IntoIterator<Item = PlatformRegistration>,
    ) -> Result<Self, RegistrationError> {
        let mut by_key = BTreeMap::new();
        for r in registrations {
            r.validate()?;
            let key = (r.issuer.clone(), r.client_id.clone());
            if by_key.contains_key(&key) {
                return Err(RegistrationError::Duplicate {
                    issuer: r.issuer,
                    client_id: r.client_id,
                });
            }
            by_key.insert(key, Arc::new(r));
        }
        Ok(Self { by_key })
    }

    /// Reads a JSON array of registrations from `path`.
    pub fn from_json_file(path: &Path) -> Result<Self, RegistrationError> {
        let shown = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|source| RegistrationError::Read {
            path: shown.clone(),
            source,
        })?;
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        let list: Vec<PlatformRegistration> =
            serde_path_to_error::deserialize(de).map_err(|e| RegistrationError::Parse {
                path: shown,
                detail: e.to_string(),
            })?;
        Self::new(list)
    }

    /// The registrations, ordered by (issuer, client_id).
    pub fn registrations(&self) -> impl Iterator<Item = &Arc<PlatformRegistration>> {
        self.by_key.values()
    }
}

impl PlatformRegistry for StaticPlatformRegistry {
    fn find(&self, issuer: &str, client_id: &str) -> Option<Arc<PlatformRegistration>> {
        self.by_key
            .get(&(issuer.to_owned(), client_id.to_owned()))
            .cloned()
    }

    fn find_by_issuer(&self, issuer: &str) -> Vec<Arc<PlatformRegistration>> {
        self.by_key
            .range((issuer.to_owned(), String::new())..)
            .take_while(|((iss, _), _)| iss == issuer)
            .map(|(_, r)| Arc::clone(r))
            .collect()
    }
}

/// A durable, growing registry: a JSON array file (the shape of the lti-demo's
/// `platforms.json`) read at start, and [`FilePlatformRegistry::add`] for registrations made
/// while running (LTI Dynamic Registration). An added platform is visible to every
/// [`LtiTool`](super::LtiTool) sharing this registry at once, and is in the file before `add`
/// returns.
#[derive(Debug)]
pub struct FilePlatformRegistry {
    path: PathBuf,
    current: RwLock<Arc<StaticPlatformRegistry>>,
    /// Serializes writers, so two concurrent `add`s cannot both write a file missing the other.
    writing: Mutex<()>,
}

impl FilePlatformRegistry {
    /// Opens the registry at `path`; a missing file is an empty registry (created on the first
    /// `add`). A file that exists must be a valid JSON array of registrations.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self, RegistrationError> {
        let path = path.into();
        let registry = match StaticPlatformRegistry::from_json_file(&path) {
            Ok(r) => r,
            Err(RegistrationError::Read { source, .. })
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                StaticPlatformRegistry::default()
            }
            Err(e) => return Err(e),
        };
        Ok(Self {
            path,
            current: RwLock::new(Arc::new(registry)),
            writing: Mutex::new(()),
        })
    }

    /// The file this registry lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Adds a registration: validated, refused when (issuer, client_id) is already known, written
    /// to the file atomically (a temporary file in the same directory, synced, then renamed over
    /// the old one, so a crash leaves the old or the new list, never half of one), then visible.
    pub fn add(&self, registration: PlatformRegistration) -> Result<(), RegistrationError> {
        let _writer = self.writing.lock().unwrap_or_else(|e| e.into_inner());
        let current = self.snapshot();
        let mut all: Vec<PlatformRegistration> = current
            .registrations()
            .map(|r| PlatformRegistration::clone(r))
            .collect();
        all.push(registration);
        let next = StaticPlatformRegistry::new(all)?;
        let list: Vec<&PlatformRegistration> = next.registrations().map(Arc::as_ref).collect();
        self.write_atomically(&list)?;
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(next);
        Ok(())
    }

    /// Every registration, ordered by (issuer, client_id).
    pub fn registrations(&self) -> Vec<Arc<PlatformRegistration>> {
        self.snapshot().registrations().cloned().collect()
    }

    fn snapshot(&self) -> Arc<StaticPlatformRegistry> {
        Arc::clone(&self.current.read().unwrap_or_else(|e| e.into_inner()))
    }

    fn write_atomically(&self, list: &[&PlatformRegistration]) -> Result<(), RegistrationError> {
        let shown = self.path.display().to_string();
        let fail = |source: std::io::Error| RegistrationError::Write {
            path: shown.clone(),
            source,
        };
        let mut bytes = serde_json::to_vec_pretty(list)
            .map_err(|e| fail(std::io::Error::other(e.to_string())))?;
        bytes.push(b'\n');
        let dir = match self.path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let file_name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "platforms.json".into());
        let temp = dir.join(format!(
            ".{file_name}.{}.tmp",
            crate::authorization_server::secrets::random_id()
        ));
        let written = (|| {
            let mut f = std::fs::File::create(&temp)?;
            f.write_all(&bytes)?;
            f.sync_all()?;
            std::fs::rename(&temp, &self.path)?;
            // The rename is durable once the directory entry is (best effort: not every
            // platform lets a directory be opened for syncing).
            if let Ok(d) = std::fs::File::open(&dir) {
                let _ = d.sync_all();
            }
            Ok(())
        })();
        if written.is_err() {
            let _ = std::fs::remove_file(&temp);
        }
        written.map_err(fail)
    }
}

impl PlatformRegistry for FilePlatformRegistry {
    fn find(&self, issuer: &str, client_id: &str) -> Option<Arc<PlatformRegistration>> {
        self.snapshot().find(issuer, client_id)
    }

    fn find_by_issuer(&self, issuer: &str) -> Vec<Arc<PlatformRegistration>> {
        self.snapshot().find_by_issuer(issuer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(client_id: &str) -> PlatformRegistration {
        PlatformRegistration {
            issuer: "https://lms.example".into(),
            client_id: client_id.into(),
            deployment_ids: vec!["d1".into()],
            authorization_endpoint: "https://lms.example/authorize".into(),
            token_endpoint: "https://lms.example/token".into(),
            keys: PlatformKeySource::JwksUri("https://lms.example/jwks".into()),
        }
    }

    #[test]
    fn a_missing_file_is_empty_and_added_platforms_are_durable_and_visible() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("platforms.json");
        let registry = FilePlatformRegistry::open(&path).unwrap();
        assert!(registry.registrations().is_empty());
        assert!(!path.exists(), "opening does not create the file");
        registry.add(sample("c1")).unwrap();
        assert_eq!(
            registry
                .find("https://lms.example", "c1")
                .unwrap()
                .client_id,
            "c1"
        );
        registry.add(sample("c2")).unwrap();
        let err = registry.add(sample("c1")).unwrap_err();
        assert!(matches!(err, RegistrationError::Duplicate { .. }), "{err}");
        let again = FilePlatformRegistry::open(&path).unwrap();
        assert_eq!(again.find_by_issuer("https://lms.example").len(), 2);
        let on_disk: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(on_disk[0]["jwks_uri"], "https://lms.example/jwks");
        assert_eq!(on_disk[0]["deployment_ids"], serde_json::json!(["d1"]));
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary file left behind");
    }

    #[test]
    fn an_invalid_registration_is_refused_and_the_file_is_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("platforms.json");
        let registry = FilePlatformRegistry::open(&path).unwrap();
        let mut bad = sample("c1");
        bad.token_endpoint = "http://lms.example/token".into();
        assert!(matches!(
            registry.add(bad),
            Err(RegistrationError::Invalid { .. })
        ));
        assert!(!path.exists());
        std::fs::write(&path, "{not json").unwrap();
        assert!(matches!(
            FilePlatformRegistry::open(&path),
            Err(RegistrationError::Parse { .. })
        ));
    }
}
