//! Launches without third-party cookies: 1EdTech LTI Client Side postMessages 0.1
//! (<https://www.imsglobal.org/spec/lti-cs-pm/v0p1>) and LTI Platform Storage 0.1
//! (<https://www.imsglobal.org/spec/lti-pf-storage/v0p1>), both sides.
//!
//! A tool in a cross-site iframe cannot rely on its `state` cookie when the browser blocks
//! third-party cookies. When the platform's login initiation carries `lti_storage_target` (the
//! name of a frame of the platform's page), the tool's login page stores a random value in that
//! frame (`lti.put_data`, after `lti.capabilities` says it can) and the launch page reads it
//! back (`lti.get_data`) when the cookie did not come back. The frame keeps values in the
//! platform's first-party storage, partitioned by the tool's origin.
//!
//! | module | job |
//! |---|---|
//! | this one | the message subjects, error codes and the `lti_storage_target` parameter ([`StorageTarget`]) |
//! | `platform_frame` | the platform side: the storage frame's page and script ([`PlatformStorage`], [`storage_script`]) and the `<iframe>` the platform's page includes |
//!
//! The tool side lives with the rest of the tool: `login` (the binding), `routes` (the login
//! page, the launch page and `{launch}/storage`), `pages` (askama templates
//! `runtime/templates/lti_storage_*.html`, script `tool_client.js` here).

mod platform_frame;

pub use platform_frame::{
    DEFAULT_FRAME_PATH, DEFAULT_SCRIPT_PATH, PlatformStorage, PlatformStorageError, ToolOrigins,
    origin_of, storage_script,
};

/// The message subjects and their answers (LTI Client Side postMessages 0.1 §2; a response's
/// subject is the request's with [`RESPONSE_SUFFIX`]).
pub mod subject {
    /// Asks the platform which messages it answers, and in which frame.
    pub const CAPABILITIES: &str = "lti.capabilities";
    /// Stores `value` under `key` (Platform Storage).
    pub const PUT_DATA: &str = "lti.put_data";
    /// Reads the value under `key` (Platform Storage).
    pub const GET_DATA: &str = "lti.get_data";
    /// Appended to a request's subject to make its response's.
    pub const RESPONSE_SUFFIX: &str = ".response";
}

/// The `error.code` values the platform frame answers with.
pub mod error_code {
    /// The subject is an `lti.*` message this frame does not answer.
    pub const UNSUPPORTED_SUBJECT: &str = "unsupported_subject";
    /// The sender's origin is not a registered tool's.
    pub const WRONG_ORIGIN: &str = "wrong_origin";
    /// A required member is missing or of the wrong type or size.
    pub const BAD_REQUEST: &str = "bad_request";
    /// The browser refused to store more, or the origin has too many keys.
    pub const STORAGE_EXHAUSTION: &str = "storage_exhaustion";
}

/// The login-initiation parameter naming the platform's storage frame.
pub const STORAGE_TARGET_PARAMETER: &str = "lti_storage_target";

/// The frame name meaning "the parent window itself".
pub const PARENT_TARGET: &str = "_parent";

/// A checked `lti_storage_target`: `_parent` or a frame name of at most 128 characters of
/// `A-Za-z0-9_.-` (what a platform names a frame; anything else would only be a way to write
/// into the tool's page).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StorageTarget(String);

impl StorageTarget {
    /// Checks `value`; `None` when it is not a usable frame name.
    pub fn parse(value: &str) -> Option<Self> {
        let ok = !value.is_empty()
            && value.len() <= 128
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
        ok.then(|| Self(value.to_owned()))
    }

    /// The frame name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The tool's own login/launch script (see `tool_client.js`), inlined under a CSP nonce.
pub(crate) const TOOL_CLIENT_SCRIPT: &str = include_str!("tool_client.js");
