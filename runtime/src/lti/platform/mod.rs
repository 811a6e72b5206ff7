//! LTI 1.3 (LTI Advantage), the platform side: the tools a platform knows and how it launches
//! them. `runtime/docs/lti-platform.md` maps each piece to the section of the standard it
//! follows.
//!
//! | module | job |
//! |---|---|
//! | `tool_registration` | the tools registered with this platform ([`ToolRegistration`]), kept as clients of its authorization server |
//! | `config` | [`PlatformConfig`], [`PlatformPaths`] |
//! | `launch_spec` | what the application asks to launch ([`LaunchSpec`], [`LaunchKind`]) |
//! | `lti_platform` | [`LtiPlatform`], the [`PlatformSessions`] and [`PlatformApp`] traits, starting a launch (third-party-initiated login) |
//! | `authorize` | the OIDC authorization endpoint (`id_token`, `form_post`, `prompt=none`) |
//! | `id_token` | the launch's claims, signed with the authorization server's key |
//! | `deep_link_return` | validating a deep-linking response ([`DeepLinkingReturn`]) |
//! | `openid_configuration` | the OpenID configuration with the LTI platform configuration |
//! | `expiring` | the bounded, expiring in-memory maps behind message hints, `data` and nonces |
//! | `error`, `pages` | [`PlatformError`] and the refusal page |
//! | `routes` | the axum routes |

mod authorize;
mod config;
mod deep_link_return;
mod error;
mod expiring;
mod id_token;
mod launch_spec;
mod lti_platform;
mod openid_configuration;
mod pages;
mod routes;
mod tool_registration;

pub use config::{PlatformConfig, PlatformPaths, PlatformSetupError};
pub use error::PlatformError;
pub use launch_spec::{LaunchKind, LaunchSpec};
pub use lti_platform::{DeepLinkingReturn, LtiPlatform, PlatformApp, PlatformSessions};
pub use openid_configuration::LTI_PLATFORM_CONFIGURATION;
pub use tool_registration::{
    LTI_TOOL_CONFIGURATION, ToolKeySource, ToolRegistration, ToolRegistrationError,
};
