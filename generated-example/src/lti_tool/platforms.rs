//! The platforms the tool trusts, from `E/platforms.json` (issue 10's shape:
//! `[{"issuer", "client_id", "deployment_ids", "authorization_endpoint", "token_endpoint",
//! "jwks_uri" or "jwks"}]`). A missing file means no platform yet; a file that cannot be used
//! stops the tool with an error naming it.

use std::path::Path;

use ims_runtime::lti::StaticPlatformRegistry;

use super::server::LtiToolDemoError;

/// The platforms file inside the data directory.
pub const PLATFORMS_FILE: &str = "platforms.json";

/// The registry of `dir/platforms.json` (empty when the file does not exist).
pub fn load_platforms(dir: &Path) -> Result<StaticPlatformRegistry, LtiToolDemoError> {
    let path = dir.join(PLATFORMS_FILE);
    if !path.exists() {
        tracing::info!(path = %path.display(), "no platforms file yet: no platform can launch this tool until one is registered");
        return Ok(StaticPlatformRegistry::default());
    }
    StaticPlatformRegistry::from_json_file(&path)
        .map_err(|source| LtiToolDemoError::Platforms { path, source })
}
