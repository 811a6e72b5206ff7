//! LTI 1.3 (LTI Advantage), the tool side: OIDC third-party-initiated login, launch validation,
//! the deep-linking response, the tool's JWKS, and the routes that mount them.
//!
//! `runtime/docs/lti.md` lists every check with the section of the standard it comes from. The
//! pieces, one job per module:
//!
//! | module | job |
//! |---|---|
//! | `registration` | the platforms the tool trusts ([`PlatformRegistration`]) and where they are looked up ([`PlatformRegistry`]; [`StaticPlatformRegistry`] in memory or from a JSON file) |
//! | `platform_keys` | each platform's verification keys: an inline JWKS or its `jwks_uri`, cached, one rate-limited refetch on an unknown `kid` |
//! | `launch_store` | what the tool remembers between login and launch ([`LaunchStore`]): the pending login by `state` (taken once) and spent nonces (kept until the `id_token` expires); [`MemoryLaunchStore`], `launch_store_sqlite` ([`SqliteLaunchStore`]) |
//! | `login` | login initiation: parameter checks and the authentication request the browser is sent to |
//! | `claims` | the LTI claim names and their typed values |
//! | `launch` | the typed launches handed to the tool's handler ([`Launch`]) |
//! | `launch_validation` | every check on a form-posted `id_token`, in one function |
//! | `error` | typed refusals ([`LoginError`], [`LaunchError`]) and the HTTP status each deserves |
//! | `tool_keys` | the tool's own signing keys (rotation, the public JWKS) |
//! | `deep_linking` | the signed `LtiDeepLinkingResponse` and the auto-submitting form that returns it |
//! | `pages` | the askama pages: refusals and auto-submitting forms |
//! | `tool` | [`LtiTool`]: the above put together, with its configuration |
//! | `routes` | the axum routes (login initiation, launch, JWKS) and the [`LtiToolApp`] handler trait |
//! | [`platform`] | the platform side: registered tools, launching them |
//! | [`dynamic_registration`] | LTI Dynamic Registration 1.0, both sides: the platform's registration endpoint and tokens, the tool's registration page |
//! | [`platform_storage`] | launches without third-party cookies (LTI Client Side postMessages, Platform Storage): the message constants, the platform's storage frame; the tool side is in `login`/`routes`/`pages` |
//!
//! Sources: LTI 1.3 Core (1EdTech, <https://www.imsglobal.org/spec/lti/v1p3/>), 1EdTech Security
//! Framework 1.1 §5.1 (<https://www.imsglobal.org/spec/security/v1p1/>), LTI Deep Linking 2.0
//! (<https://www.imsglobal.org/spec/lti-dl/v2p0/>), OpenID Connect Core 1.0 §3.1.3.7 and §3.2.2.11.

mod claims;
mod deep_linking;
pub mod dynamic_registration;
mod error;
mod launch;
mod launch_store;
mod launch_store_sqlite;
mod launch_validation;
mod login;
mod pages;
pub mod platform;
mod platform_keys;
pub mod platform_storage;
mod registration;
mod routes;
mod tool;
mod tool_keys;

pub use claims::{
    AgsEndpoint, Context, DeepLinkingSettings, LaunchPresentation, NrpsService, ResourceLink,
    ToolPlatform, claim, message_type,
};
pub use deep_linking::{ContentItem, DeepLinkingResponse, DeepLinkingResponseError};
pub use error::{LaunchError, LoginError};
pub use launch::{DeepLinkingLaunch, Launch, LaunchClaims, LaunchUser, ResourceLinkLaunch};
pub use launch_store::{
    BrowserBinding, BrowserProof, LaunchStore, LaunchStoreError, MemoryLaunchStore, PendingLogin,
};
pub use launch_store_sqlite::SqliteLaunchStore;
pub use launch_validation::MAX_ID_TOKEN_BYTES;
pub use login::StorageLogin;
pub use login::{LoginInitiation, LoginRedirect};
pub use pages::auto_submit_form;
pub use platform_keys::PlatformKeyCache;
pub use registration::FilePlatformRegistry;
pub use registration::{
    PlatformKeySource, PlatformRegistration, PlatformRegistry, RegistrationError,
    StaticPlatformRegistry,
};
pub use routes::storage_launch_path;
pub use routes::{LtiPaths, LtiToolApp, STATE_COOKIE_PREFIX};
pub use tool::{LaunchRules, LtiTool, LtiToolConfig, LtiToolError};
pub use tool_keys::{ToolKey, ToolKeyError, ToolKeys};
