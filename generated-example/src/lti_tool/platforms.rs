//! The platforms the tool trusts, kept in `E/platforms.json` (issue 10's shape:
//! `[{"issuer", "client_id", "deployment_ids", "authorization_endpoint", "token_endpoint",
//! "jwks_uri" or "jwks"}]`) through the runtime's durable [`FilePlatformRegistry`]: read at
//! start, and grown by LTI Dynamic Registration while the tool runs (each registration is in the
//! file before it is answered, and every origin's `LtiTool` sees it at once). A missing file
//! means no platform yet; a file that cannot be used stops the tool with an error naming it.

use std::path::Path;

use ims_runtime::lti::FilePlatformRegistry;

use super::server::LtiToolDemoError;

/// The platforms file inside the data directory.
pub const PLATFORMS_FILE: &str = "platforms.json";

/// The registry of `dir/platforms.json` (empty, and created at the first registration, when the
/// file does not exist).
pub fn load_platforms(dir: &Path) -> Result<FilePlatformRegistry, LtiToolDemoError> {
    let path = dir.join(PLATFORMS_FILE);
    let registry = FilePlatformRegistry::open(&path)
        .map_err(|source| LtiToolDemoError::Platforms { path, source })?;
    if registry.registrations().is_empty() {
        tracing::info!(
            path = %registry.path().display(),
            "no platform registered yet: register one in platforms.json or by LTI Dynamic Registration"
        );
    }
    Ok(registry)
}
