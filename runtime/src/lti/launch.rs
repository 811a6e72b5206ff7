//! The launches a validated `id_token` becomes, handed to the tool's handler.

use serde_json::{Map, Value};

use super::claims::{
    AgsEndpoint, Context, DeepLinkingSettings, LaunchPresentation, NrpsService, ResourceLink,
    ToolPlatform,
};

/// The user of a launch (OIDC standard claims; only `sub` is required).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LaunchUser {
    /// The platform's stable, opaque id of the user (`sub`).
    pub sub: String,
    /// Full name.
    pub name: Option<String>,
    /// Given name.
    pub given_name: Option<String>,
    /// Family name.
    pub family_name: Option<String>,
    /// Email address.
    pub email: Option<String>,
}

/// What every launch carries, checked.
#[derive(Clone, Debug)]
pub struct LaunchClaims {
    /// The platform's issuer.
    pub issuer: String,
    /// Our client_id at that platform.
    pub client_id: String,
    /// The deployment (known for this registration).
    pub deployment_id: String,
    /// The tool URL the launch targets (registered, and the one the login named).
    pub target_link_uri: String,
    /// The user.
    pub user: LaunchUser,
    /// Role URIs (LIS vocabulary), possibly empty.
    pub roles: Vec<String>,
    /// The context, if the launch is in one.
    pub context: Option<Context>,
    /// The platform instance.
    pub tool_platform: Option<ToolPlatform>,
    /// Presentation hints.
    pub launch_presentation: Option<LaunchPresentation>,
    /// Where to reach AGS, when the platform grants it.
    pub ags: Option<AgsEndpoint>,
    /// Where to reach NRPS, when the platform grants it.
    pub nrps: Option<NrpsService>,
    /// Custom parameters (string values per LTI 1.3 Core §5.4.6; kept as sent).
    pub custom: Map<String, Value>,
    /// When the `id_token` expires (epoch seconds): a tool session built on it should not
    /// outlive it without its own policy.
    pub expires_at: i64,
    /// Every claim of the token, including the ones not typed above (extensions, `lis`, …).
    pub claims: Map<String, Value>,
}

impl LaunchClaims {
    /// Whether the user has a role, by full URI or by the short context-role name defined in
    /// LTI 1.3 Core §A.2.2 (e.g. `Instructor` matches
    /// `http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor`).
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| {
            r == role
                || r.strip_prefix("http://purl.imsglobal.org/vocab/lis/v2/membership#")
                    == Some(role)
        })
    }
}

/// A resource-link launch (`LtiResourceLinkRequest`, LTI 1.3 Core §5.1).
#[derive(Clone, Debug)]
pub struct ResourceLinkLaunch {
    /// The common claims.
    pub claims: LaunchClaims,
    /// The link launched.
    pub resource_link: ResourceLink,
}

/// A deep-linking launch (`LtiDeepLinkingRequest`, Deep Linking 2.0 §4.4).
#[derive(Clone, Debug)]
pub struct DeepLinkingLaunch {
    /// The common claims.
    pub claims: LaunchClaims,
    /// What the platform asks for and where to return it.
    pub settings: DeepLinkingSettings,
}

/// A validated launch.
#[derive(Clone, Debug)]
pub enum Launch {
    /// `LtiResourceLinkRequest`.
    ResourceLink(ResourceLinkLaunch),
    /// `LtiDeepLinkingRequest`.
    DeepLinking(DeepLinkingLaunch),
}

impl Launch {
    /// The common claims of either kind.
    pub fn claims(&self) -> &LaunchClaims {
        match self {
            Self::ResourceLink(l) => &l.claims,
            Self::DeepLinking(l) => &l.claims,
        }
    }
}
