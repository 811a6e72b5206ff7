//! The LTI demo's tool: `lti-demo tool --addr 127.0.0.1:Q --data-dir E [--ca FILE]` (issue 10,
//! point 5). A small LTI 1.3 tool over TLS built on the runtime's tool side
//! (`ims_runtime::lti`): it is launched by a platform, shows who launched it, posts scores
//! through AGS, lists members through NRPS and answers deep-linking requests with a picker.
//!
//! | module | job |
//! |---|---|
//! | `tool_json` | the tool's URLs (`E/tool.json`), written before the port opens |
//! | `platforms` | the platforms it trusts, from `E/platforms.json` |
//! | `keys` | its signing keys, kept in `E/tool-keys.json` (the same JWKS after a restart) |
//! | `trust` | the HTTP policy of its outgoing calls: system roots plus `--ca` |
//! | `launches` | launches remembered by an unguessable `launch_id`, each with its CSRF token |
//! | `services` | the generated AGS and NRPS clients on a client-assertion token source |
//! | `pages` | the askama pages (`templates/lti_tool_*.html`) |
//! | `hosts` | one listener, several origins: the address's and, on loopback, `localhost` |
//! | `app` | the [`LtiToolApp`](ims_runtime::lti::LtiToolApp) and the `/launches/{launch_id}/…` routes |
//! | `server` | [`LtiToolDemo::start`] and [`run`]: everything above on one TLS listener |
//!
//! Paths served (origin `https://ADDR`, the host of `--addr`):
//!
//! | path | what |
//! |---|---|
//! | `GET`/`POST /lti/login` | login initiation (`initiate_login_uri`) |
//! | `POST /lti/launch` | the form-posted `id_token` (`redirect_uri`) |
//! | `GET /lti/jwks` | the tool's JWKS (`jwks_uri`) |
//! | `/lti/resource`, `/lti/deep-link` | the `target_link_uri` of resource-link and deep-linking launches (named in the `id_token`; the launch itself arrives at `/lti/launch`) |
//! | `GET /lti/register` | LTI Dynamic Registration, the tool's side (`registration_uri`) |
//! | `POST /launches/{launch_id}/score` | post a score through AGS (instructors) |
//! | `GET /launches/{launch_id}/members` | list the members through NRPS (instructors) |
//! | `POST /launches/{launch_id}/deep-link` | return the picked content item to the platform |
//!
//! **As `localhost`.** `tool.json` names the host of `--addr` (`127.0.0.1`). On a loopback address
//! the tool also answers at `https://localhost:Q` (the certificate covers both), with a
//! `redirect_uri` and `target_link_uri`s of that origin. A tester who wants the tool on
//! `localhost` (e.g. a browser test framing it cross-site in a platform on `127.0.0.1`) replaces
//! `127.0.0.1` by `localhost` in every URL of `tool.json` before giving them to the platform;
//! login, `redirect_uri` and launch then all stay on `localhost`, where the state cookie lives.
//!
//! The tool's own session for these pages uses no cookie at all: the launch page is inside the
//! platform's iframe, where browsers blocking third-party cookies would drop it. The
//! `launch_id` in the URL is the capability (256 random bits, remembered server-side, bounded
//! and expiring) and every form carries a CSRF token bound to that launch.

mod app;
mod hosts;
mod keys;
mod launches;
mod pages;
mod platforms;
mod server;
mod services;
mod tool_json;
mod trust;

pub use keys::{TOOL_KEYS_FILE, load_or_create_tool_keys};
pub use launches::{
    LAUNCH_LIFETIME, LaunchMemory, MAX_REMEMBERED_LAUNCHES, Remembered, RememberedKind,
};
pub use platforms::{PLATFORMS_FILE, load_platforms};
pub use server::{LAUNCH_STORE_FILE, LtiToolDemo, LtiToolDemoError, RunningToolDemo, run};
pub use tool_json::{TOOL_JSON_FILE, ToolUrls};
pub use trust::outgoing_policy;
