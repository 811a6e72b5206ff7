//! The platform side of LTI Platform Storage: the storage frame the platform's page includes
//! (named by `PlatformConfig.storage_target`, sent to tools as `lti_storage_target`), the page
//! it loads and the script that answers `lti.capabilities`, `lti.put_data` and `lti.get_data`
//! (`platform_frame.js`, whose header says what it keeps where and why).
//!
//! The frame is a page of the platform's own origin, so the storage it uses is first-party and
//! survives third-party-cookie and storage blocking. It serves only the origins of registered
//! tools ([`ToolOrigins`], asked on every load of the frame, so tools registered later are
//! served at once) and answers each message to its sender's origin only.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use futures_util::future::BoxFuture;

use super::{PARENT_TARGET, StorageTarget};
use crate::lti::platform::ToolRegistration;

/// Where [`PlatformStorage::router`] serves the frame's page by default.
pub const DEFAULT_FRAME_PATH: &str = "/lti/storage-frame";
/// Where [`PlatformStorage::router`] serves the frame's script by default.
pub const DEFAULT_SCRIPT_PATH: &str = "/lti/storage.js";

const SCRIPT: &str = include_str!("platform_frame.js");

/// The script of the platform's storage frame (what [`DEFAULT_SCRIPT_PATH`] serves), for a
/// platform that builds its own frame page: it reads the allowed origins, a JSON array, from
/// the `data-origins` attribute of the element with id `lti-platform-storage`.
pub fn storage_script() -> &'static str {
    SCRIPT
}

/// The origin (`scheme://host[:port]`) of an absolute URL; `None` for an opaque one.
pub fn origin_of(url: &str) -> Option<String> {
    let origin = url::Url::parse(url).ok()?.origin();
    origin.is_tuple().then(|| origin.ascii_serialization())
}

/// The origins the storage frame serves: those of the registered tools' pages that post to it
/// (the login page at `initiate_login_uri`, the launch page at each redirect URI).
pub trait ToolOrigins: Send + Sync + 'static {
    /// The allowed origins, as `scheme://host[:port]`.
    fn tool_origins(&self) -> BoxFuture<'_, Vec<String>>;
}

/// A fixed list of origins.
impl ToolOrigins for Vec<String> {
    fn tool_origins(&self) -> BoxFuture<'_, Vec<String>> {
        let origins = self.clone();
        Box::pin(async move { origins })
    }
}

impl ToolRegistration {
    /// The origins of this tool's pages that talk to the platform's storage frame: those of
    /// `initiate_login_uri` and of every redirect URI.
    pub fn storage_origins(&self) -> Vec<String> {
        let mut origins: Vec<String> = std::iter::once(&self.initiate_login_uri)
            .chain(&self.redirect_uris)
            .filter_map(|u| origin_of(u))
            .collect();
        origins.sort();
        origins.dedup();
        origins
    }
}

/// A platform storage frame that cannot be written.
#[derive(Debug, thiserror::Error)]
pub enum PlatformStorageError {
    /// The frame name is not one a tool can address (`_parent` is the page itself, not a frame).
    #[error(
        "the storage frame's name must be 1 to 128 characters of letters, digits, `_`, `-`, `.` \
         and not `_parent`"
    )]
    BadFrameName,
}

#[derive(Template)]
#[template(path = "lti_storage_frame.html")]
struct FramePage<'a> {
    origins_json: &'a str,
    script_path: &'a str,
}

#[derive(Template)]
#[template(path = "lti_storage_iframe.html")]
struct FrameElement<'a> {
    name: &'a str,
    src: &'a str,
}

/// The platform's storage frame: its routes and the `<iframe>` element its pages include.
#[derive(Clone)]
pub struct PlatformStorage {
    origins: Arc<dyn ToolOrigins>,
    frame_path: String,
    script_path: String,
}

impl std::fmt::Debug for PlatformStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlatformStorage")
            .field("frame_path", &self.frame_path)
            .field("script_path", &self.script_path)
            .finish_non_exhaustive()
    }
}

impl PlatformStorage {
    /// A storage frame serving `origins`, at [`DEFAULT_FRAME_PATH`] and [`DEFAULT_SCRIPT_PATH`].
    pub fn new(origins: Arc<dyn ToolOrigins>) -> Self {
        Self {
            origins,
            frame_path: DEFAULT_FRAME_PATH.to_owned(),
            script_path: DEFAULT_SCRIPT_PATH.to_owned(),
        }
    }

    /// Serves the frame's page and script at other paths (of the platform's origin).
    pub fn with_paths(
        mut self,
        frame_path: impl Into<String>,
        script_path: impl Into<String>,
    ) -> Self {
        self.frame_path = frame_path.into();
        self.script_path = script_path.into();
        self
    }

    /// The path of the frame's page.
    pub fn frame_path(&self) -> &str {
        &self.frame_path
    }

    /// The `<iframe>` the platform's page includes (hidden; a page may include it once per
    /// frame name): `name` is the `lti_storage_target` the platform sends at login
    /// (`PlatformConfig.storage_target`).
    pub fn iframe_html(&self, name: &str) -> Result<String, PlatformStorageError> {
        let target = StorageTarget::parse(name)
            .filter(|t| t.as_str() != PARENT_TARGET)
            .ok_or(PlatformStorageError::BadFrameName)?;
        FrameElement {
            name: target.as_str(),
            src: &self.frame_path,
        }
        .render()
        .map_err(|e| {
            // The template has no fallible filters; a failure is a bug worth a log line.
            tracing::error!(error = %e, "LTI storage iframe rendering failed");
            PlatformStorageError::BadFrameName
        })
    }

    /// GET routes: the frame's page and its script.
    pub fn router(&self) -> Router {
        Router::new()
            .route(&self.frame_path, get(frame_page))
            .route(&self.script_path, get(script))
            .with_state(self.clone())
    }
}

async fn frame_page(State(s): State<PlatformStorage>) -> Response {
    let mut origins = s.origins.tool_origins().await;
    origins.sort();
    origins.dedup();
    let origins_json = serde_json::to_string(&origins).unwrap_or_else(|_| "[]".to_owned());
    let page = FramePage {
        origins_json: &origins_json,
        script_path: &s.script_path,
    };
    let mut r = match page.render() {
        Ok(body) => Html(body).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "LTI storage frame rendering failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let h = r.headers_mut();
    // Only the platform's own pages may hold the frame: a page of another site framing it would
    // get a partitioned storage anyway, but it has no business reading the origin list.
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; script-src 'self'; frame-ancestors 'self'"),
    );
    h.insert(
        header::X_FRAME_OPTIONS,
        HeaderValue::from_static("SAMEORIGIN"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    r
}

async fn script() -> Response {
    let mut r = SCRIPT.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/javascript; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    r
}
