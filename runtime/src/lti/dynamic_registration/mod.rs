//! LTI Dynamic Registration 1.0 (1EdTech, <https://www.imsglobal.org/spec/lti-dr/v1p0/>), both
//! sides: a platform and a tool connect without anybody copying keys or URLs by hand.
//!
//! The flow (LTI-DR 1.0 §3): the platform's administrator opens the tool's registration URL with
//! `openid_configuration` and a single-use `registration_token`; the tool fetches the platform's
//! OpenID configuration, checks it, and POSTs its client metadata with the LTI tool configuration
//! to the platform's `registration_endpoint`; the platform answers with a `client_id` and the
//! tool configuration's `deployment_id`; the tool stores the platform and tells the platform's
//! page to close (`org.imsglobal.lti.close`).
//!
//! | module | job |
//! |---|---|
//! | `registration_tokens` | the platform's single-use, expiring registration tokens ([`RegistrationTokens`]) |
//! | `registration_request` | the registration request's checks (LTI-DR §3.5.2) and the response (§3.6.1) |
//! | `platform_registrar` | the platform's registration endpoint ([`PlatformRegistrar`]) |
//! | `platform_configuration` | the tool's checks on a platform's OpenID configuration ([`PlatformConfiguration`]) |
//! | `tool_registrar` | the tool's registration page ([`ToolRegistrar`], [`ToolRegistrarConfig`]), storing platforms in a [`FilePlatformRegistry`](super::FilePlatformRegistry) |
//! | `pages` | the tool's askama pages (`templates/lti_dr_*.html`) |
//!
//! `runtime/docs/lti.md` ("Dynamic Registration") lists every check and its source; the
//! attacks it stops are row DR-17 of `runtime/docs/security-cases.md`.

mod pages;
mod platform_configuration;
mod platform_registrar;
mod registration_request;
mod registration_tokens;
mod tool_registrar;

pub use platform_configuration::PlatformConfiguration;
pub use platform_registrar::{
    LTI_SERVICE_SCOPES, OnRegistered, PlatformRegistrar, PlatformRegistrationError,
};
pub use registration_request::LTI_PLATFORM_CONFIGURATION;
pub use registration_tokens::{
    DEFAULT_MAX_REGISTRATION_TOKENS, RegistrationTokenError, RegistrationTokens,
};
pub use tool_registrar::{
    DEFAULT_REQUESTED_CLAIMS, DynamicRegistrationError, RegisteredPlatform, ToolRegistrar,
    ToolRegistrarConfig,
};
