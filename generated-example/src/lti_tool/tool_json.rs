//! `E/tool.json`: the tool's URLs as a platform administrator (or the platform command's
//! `tools.json`) needs them, every one an absolute https URL on the served origin.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::demo::data_dir::write_atomically;

/// The tool's URL file, inside the data directory.
pub const TOOL_JSON_FILE: &str = "tool.json";

/// Login initiation (GET and POST).
pub(crate) const LOGIN_PATH: &str = "/lti/login";
/// Where the platform form-posts the `id_token`.
pub(crate) const LAUNCH_PATH: &str = "/lti/launch";
/// The tool's JWKS.
pub(crate) const JWKS_PATH: &str = "/lti/jwks";
/// The `target_link_uri` of resource-link launches.
pub(crate) const RESOURCE_PATH: &str = "/lti/resource";
/// The `target_link_uri` of deep-linking launches.
pub(crate) const DEEP_LINKING_PATH: &str = "/lti/deep-link";
/// LTI Dynamic Registration's start page.
pub(crate) const REGISTRATION_PATH: &str = "/lti/register";

/// The contents of `tool.json` (issue 10's contract: these six members, exactly).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolUrls {
    /// Login initiation: `https://ADDR/lti/login`.
    pub initiate_login_uri: String,
    /// The OIDC redirect URI: `https://ADDR/lti/launch`.
    pub redirect_uri: String,
    /// The resource-link launch target: `https://ADDR/lti/resource`.
    pub target_link_uri: String,
    /// The tool's JWKS: `https://ADDR/lti/jwks`.
    pub jwks_uri: String,
    /// The deep-linking launch target: `https://ADDR/lti/deep-link`.
    pub deep_linking_uri: String,
    /// LTI Dynamic Registration's start page: `https://ADDR/lti/register`.
    pub registration_uri: String,
}

impl ToolUrls {
    /// The URLs under `origin` (`https://host:port`, no trailing slash).
    pub fn at(origin: &str) -> Self {
        Self {
            initiate_login_uri: format!("{origin}{LOGIN_PATH}"),
            redirect_uri: format!("{origin}{LAUNCH_PATH}"),
            target_link_uri: format!("{origin}{RESOURCE_PATH}"),
            jwks_uri: format!("{origin}{JWKS_PATH}"),
            deep_linking_uri: format!("{origin}{DEEP_LINKING_PATH}"),
            registration_uri: format!("{origin}{REGISTRATION_PATH}"),
        }
    }

    /// Writes `dir/tool.json` atomically (readers never see half of it).
    pub(crate) fn write(&self, dir: &Path) -> Result<(), crate::demo::app::DemoError> {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        write_atomically(&dir.join(TOOL_JSON_FILE), text.as_bytes(), false)
    }
}
