//! The tools the platform launches: `tools.json` (read at start) and `registrations.json`
//! (written before the port opens, rewritten when Dynamic Registration adds a tool).
//!
//! Each tool is a [`ToolRegistration`] kept as a `private_key_jwt` client of the embedded
//! authorization server (SQLite in the data directory). `registrations.json` is also the index
//! that keeps a tool's `client_id` and `deployment_id` stable across restarts: a `tools.json`
//! entry whose name is already listed there keeps its ids, and a dynamically registered tool
//! listed there is read back from the authorization server.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::RwLock;

use ims_runtime::authorization_server::AuthorizationServer;
use ims_runtime::lti::platform::{ToolKeySource, ToolRegistration};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::LtiPlatformError;
use crate::demo::data_dir::write_atomically;

/// The tools to register, inside the data directory (optional: without it only Dynamic
/// Registration adds tools).
pub const TOOLS_FILE: &str = "tools.json";
/// What the platform tells tools and testers about each registration, inside the data directory.
pub const REGISTRATIONS_FILE: &str = "registrations.json";

/// One entry of `tools.json`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolEntry {
    /// The tool's name: in the platform's URLs (`/courses/{id}/launch/{name}`) and in
    /// `registrations.json`.
    pub name: String,
    /// Where the platform starts third-party-initiated login.
    pub initiate_login_uri: String,
    /// The tool's launch URLs.
    pub redirect_uris: Vec<String>,
    /// The resource-link launch target.
    pub target_link_uri: String,
    /// The deep-linking launch target (default: `target_link_uri`).
    #[serde(default)]
    pub deep_linking_uri: Option<String>,
    /// The tool's JWKS URL (give this or `jwks`).
    #[serde(default)]
    pub jwks_uri: Option<String>,
    /// The tool's public keys inline (give this or `jwks_uri`).
    #[serde(default)]
    pub jwks: Option<Value>,
    /// The service scopes the tool may be granted (AGS, NRPS).
    #[serde(default)]
    pub scopes: Vec<String>,
}

/// One entry of `registrations.json` (the issue's shape, exactly these members).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistrationEntry {
    /// The tool's name (as in `tools.json` and the platform's URLs).
    pub name: String,
    /// The client_id the platform gave the tool.
    pub client_id: String,
    /// The tool's deployment.
    pub deployment_id: String,
    /// The platform's issuer.
    pub issuer: String,
    /// The OIDC authorization endpoint (LTI launches).
    pub authorization_endpoint: String,
    /// The token endpoint (client assertions).
    pub token_endpoint: String,
    /// The platform's JWKS.
    pub jwks_uri: String,
    /// The course launches come from (`context.id`).
    pub course_id: String,
    /// The AGS line items URL of the course (the AGS claim's `lineitems`).
    pub lineitems_url: String,
    /// The NRPS memberships URL of the course (the NRPS claim's `context_memberships_url`).
    pub memberships_url: String,
}

/// The platform's endpoints a registration entry names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlatformEndpoints {
    /// The issuer, `https://ADDR`.
    pub issuer: String,
    /// The OIDC authorization endpoint.
    pub authorization_endpoint: String,
    /// The token endpoint.
    pub token_endpoint: String,
    /// The platform's JWKS.
    pub jwks_uri: String,
    /// The seeded course.
    pub course_id: String,
    /// The course's AGS line items URL.
    pub lineitems_url: String,
    /// The course's NRPS memberships URL.
    pub memberships_url: String,
}

fn file_error(path: &Path, detail: impl Into<String>) -> LtiPlatformError {
    LtiPlatformError::File {
        path: path.to_path_buf(),
        detail: detail.into(),
    }
}

/// A name usable as one URL path segment.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

fn random_id(prefix: &str) -> Result<String, LtiPlatformError> {
    let mut buf = [0u8; 12];
    aws_lc_rs::rand::fill(&mut buf).map_err(|_| LtiPlatformError::Random)?;
    let hex: String = buf.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("{prefix}-{hex}"))
}

/// Reads and checks `DIR/tools.json`; a missing file is no tools. Errors name the file, the
/// entry (index and name) and what to change.
pub fn read_tools(dir: &Path) -> Result<Vec<ToolEntry>, LtiPlatformError> {
    let path = dir.join(TOOLS_FILE);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(LtiPlatformError::Io {
                what: "cannot read",
                path,
                source,
            });
        }
    };
    let entries: Vec<Value> = serde_json::from_slice(&bytes).map_err(|e| {
        file_error(
            &path,
            format!(
                "{e}: expected a JSON array [{{\"name\", \"initiate_login_uri\", \"redirect_uris\": […], \"target_link_uri\", \"jwks_uri\" or \"jwks\", \"scopes\": […]}}]"
            ),
        )
    })?;
    let mut tools: Vec<ToolEntry> = Vec::new();
    for (index, raw) in entries.into_iter().enumerate() {
        let label = raw.get("name").and_then(Value::as_str).map_or_else(
            || format!("entry {index}"),
            |n| format!("entry {index} ('{n}')"),
        );
        let entry: ToolEntry =
            serde_json::from_value(raw).map_err(|e| file_error(&path, format!("{label}: {e}")))?;
        if !valid_name(&entry.name) {
            return Err(file_error(
                &path,
                format!(
                    "{label}: name must be 1 to 64 letters, digits, '-', '_' or '.' (it is a URL path segment)"
                ),
            ));
        }
        if tools.iter().any(|t| t.name == entry.name) {
            return Err(file_error(
                &path,
                format!("{label}: the name is used by an earlier entry; names must be unique"),
            ));
        }
        if entry.jwks_uri.is_some() == entry.jwks.is_some() {
            return Err(file_error(
                &path,
                format!("{label}: give exactly one of \"jwks_uri\" and \"jwks\""),
            ));
        }
        // The runtime's own checks (https URLs, redirect URIs, keys, scopes), on a
        // registration with placeholder ids.
        entry
            .registration("placeholder".into(), "placeholder".into())
            .validate()
            .map_err(|e| file_error(&path, format!("{label}: {e}")))?;
        tools.push(entry);
    }
    Ok(tools)
}

impl ToolEntry {
    /// The registration of this tool with the given ids.
    pub fn registration(&self, client_id: String, deployment_id: String) -> ToolRegistration {
        let keys = match (&self.jwks_uri, &self.jwks) {
            (Some(uri), _) => ToolKeySource::JwksUri(uri.clone()),
            (None, Some(jwks)) => ToolKeySource::Jwks(jwks.clone()),
            (None, None) => ToolKeySource::Jwks(Value::Null),
        };
        ToolRegistration {
            client_id,
            name: self.name.clone(),
            deployment_id,
            initiate_login_uri: self.initiate_login_uri.clone(),
            redirect_uris: self.redirect_uris.clone(),
            target_link_uri: self.target_link_uri.clone(),
            deep_linking_uri: Some(
                self.deep_linking_uri
                    .clone()
                    .unwrap_or_else(|| self.target_link_uri.clone()),
            ),
            keys,
            scopes: self.scopes.clone(),
            domain: None,
            custom_parameters: BTreeMap::new(),
        }
    }
}

/// Reads `DIR/registrations.json`; a missing file is none.
fn read_registrations(path: &Path) -> Result<Vec<RegistrationEntry>, LtiPlatformError> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
            file_error(
                path,
                format!(
                    "{e} (the platform writes this file; delete it to give every tool new ids)"
                ),
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(source) => Err(LtiPlatformError::Io {
            what: "cannot read",
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// The registered tools by name, and `registrations.json`, kept in step.
#[derive(Debug)]
pub struct ToolDirectory {
    path: PathBuf,
    endpoints: PlatformEndpoints,
    tools: RwLock<BTreeMap<String, ToolRegistration>>,
}

impl ToolDirectory {
    /// Registers every `tools.json` entry with `authz` (keeping the ids `registrations.json`
    /// lists for its name), reads back dynamically registered tools, and writes
    /// `registrations.json`.
    pub async fn load(
        dir: &Path,
        authz: &AuthorizationServer,
        endpoints: PlatformEndpoints,
    ) -> Result<Self, LtiPlatformError> {
        let path = dir.join(REGISTRATIONS_FILE);
        let previous = read_registrations(&path)?;
        let entries = read_tools(dir)?;
        let now = ims_runtime::authorization_server::secrets::now();
        let mut tools = BTreeMap::new();
        for entry in &entries {
            let (client_id, deployment_id) = match previous.iter().find(|r| r.name == entry.name) {
                Some(r) => (r.client_id.clone(), r.deployment_id.clone()),
                None => (random_id("tool")?, random_id("deployment")?),
            };
            let tool = entry.registration(client_id, deployment_id);
            authz.put_client(tool.to_client(now)).await?;
            tools.insert(tool.name.clone(), tool);
        }
        let listed: Vec<&String> = entries.iter().map(|e| &e.name).collect();
        for r in previous.iter().filter(|r| !listed.contains(&&r.name)) {
            match authz.client(&r.client_id).await? {
                Some(client) => match ToolRegistration::from_client(&client) {
                    Some(tool) => {
                        tools.insert(r.name.clone(), tool);
                    }
                    None => {
                        tracing::warn!(tool = %r.name, client_id = %r.client_id, "listed in registrations.json but its client is not an LTI tool; dropped")
                    }
                },
                None => {
                    tracing::warn!(tool = %r.name, client_id = %r.client_id, "listed in registrations.json but unknown to the authorization server; dropped")
                }
            }
        }
        let directory = Self {
            path,
            endpoints,
            tools: RwLock::new(tools),
        };
        directory.write()?;
        Ok(directory)
    }

    /// The tool called `name`.
    pub fn get(&self, name: &str) -> Option<ToolRegistration> {
        self.tools.read().ok()?.get(name).cloned()
    }

    /// Every tool, by name.
    pub fn all(&self) -> Vec<ToolRegistration> {
        self.tools
            .read()
            .map(|t| t.values().cloned().collect())
            .unwrap_or_default()
    }

    /// The name of the tool whose client_id is `client_id`.
    pub fn name_of(&self, client_id: &str) -> Option<String> {
        self.tools
            .read()
            .ok()?
            .iter()
            .find(|(_, t)| t.client_id == client_id)
            .map(|(n, _)| n.clone())
    }

    /// Adds a dynamically registered tool under a name made unique from its `client_name`, and
    /// rewrites `registrations.json`. Returns the name.
    pub fn add(&self, tool: &ToolRegistration) -> Result<String, LtiPlatformError> {
        let name = {
            let mut tools = self
                .tools
                .write()
                .map_err(|_| LtiPlatformError::Platform("tool directory lock poisoned".into()))?;
            let stem: String = tool
                .name
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                        c.to_ascii_lowercase()
                    } else {
                        '-'
                    }
                })
                .take(48)
                .collect();
            let stem = if stem.trim_matches('-').is_empty() {
                "tool".to_owned()
            } else {
                stem
            };
            let mut name = stem.clone();
            let mut n = 2;
            while tools.contains_key(&name) {
                name = format!("{stem}-{n}");
                n += 1;
            }
            tools.insert(name.clone(), tool.clone());
            name
        };
        self.write()?;
        Ok(name)
    }

    /// Writes `registrations.json` atomically.
    fn write(&self) -> Result<(), LtiPlatformError> {
        let e = &self.endpoints;
        let entries: Vec<RegistrationEntry> = self
            .tools
            .read()
            .map_err(|_| LtiPlatformError::Platform("tool directory lock poisoned".into()))?
            .iter()
            .map(|(name, tool)| RegistrationEntry {
                name: name.clone(),
                client_id: tool.client_id.clone(),
                deployment_id: tool.deployment_id.clone(),
                issuer: e.issuer.clone(),
                authorization_endpoint: e.authorization_endpoint.clone(),
                token_endpoint: e.token_endpoint.clone(),
                jwks_uri: e.jwks_uri.clone(),
                course_id: e.course_id.clone(),
                lineitems_url: e.lineitems_url.clone(),
                memberships_url: e.memberships_url.clone(),
            })
            .collect();
        let text = serde_json::to_vec_pretty(&entries)
            .map_err(|err| file_error(&self.path, err.to_string()))?;
        write_atomically(&self.path, &text, false)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_tools(dir: &Path, json: &str) {
        std::fs::write(dir.join(TOOLS_FILE), json).unwrap();
    }

    #[test]
    fn a_bad_entry_is_named_with_the_file_and_what_to_fix() {
        let dir = tempfile::tempdir().unwrap();
        write_tools(
            dir.path(),
            r#"[{"name": "quiz", "initiate_login_uri": "http://tool/login", "redirect_uris": ["https://tool/launch"], "target_link_uri": "https://tool/", "jwks_uri": "https://tool/jwks", "scopes": []}]"#,
        );
        let err = read_tools(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("tools.json")
                && err.contains("entry 0 ('quiz')")
                && err.contains("initiate_login_uri"),
            "{err}"
        );

        write_tools(
            dir.path(),
            r#"[{"name": "quiz", "initiate_login_uri": "https://tool/login", "redirect_uris": ["https://tool/launch"], "target_link_uri": "https://tool/", "scopes": []}]"#,
        );
        let err = read_tools(dir.path()).unwrap_err().to_string();
        assert!(err.contains("exactly one of"), "{err}");

        write_tools(
            dir.path(),
            r#"[{"name": "a b", "initiate_login_uri": "https://tool/login", "redirect_uris": ["https://tool/launch"], "target_link_uri": "https://tool/", "jwks_uri": "https://tool/jwks"}]"#,
        );
        let err = read_tools(dir.path()).unwrap_err().to_string();
        assert!(err.contains("URL path segment"), "{err}");

        write_tools(
            dir.path(),
            r#"[{"name": "q", "initiate_login_uri": "https://tool/login", "redirect_uris": ["https://tool/launch"], "target_link_uri": "https://tool/", "jwks_uri": "https://tool/jwks", "colour": "red"}]"#,
        );
        let err = read_tools(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("entry 0 ('q')") && err.contains("colour"),
            "{err}"
        );
    }

    #[test]
    fn no_tools_file_is_no_tools() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read_tools(dir.path()).unwrap(), Vec::new());
    }
}
