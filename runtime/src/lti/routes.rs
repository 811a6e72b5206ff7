//! The axum routes of the tool side: login initiation (GET and POST), the launch (the
//! form-posted `id_token`), its platform-storage completion (`{launch}/storage`, for browsers
//! that blocked the state cookie), and the tool's JWKS. The tool's own pages come from its
//! [`LtiToolApp`], which receives typed launches.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use futures_util::future::BoxFuture;

use super::error::{LaunchError, LoginError};
use super::launch::{DeepLinkingLaunch, Launch, ResourceLinkLaunch};
use super::launch_store::BrowserProof;
use super::login::LoginInitiation;
use super::pages::{StorageLaunch, refusal_page, storage_launch_page, storage_login_page};
use super::platform_storage::{STORAGE_TARGET_PARAMETER, StorageTarget};
use super::tool::LtiTool;

/// Prefix of the state cookie's name; the state follows it, so launches in several frames of
/// one page each keep their own cookie.
pub const STATE_COOKIE_PREFIX: &str = "ims_lti_state_";

/// The tool's application: what it shows for each kind of validated launch.
pub trait LtiToolApp: Send + Sync + 'static {
    /// A resource-link launch passed every check.
    fn resource_link(&self, launch: ResourceLinkLaunch) -> BoxFuture<'static, Response>;
    /// A deep-linking launch passed every check: show a picker, then answer with
    /// [`DeepLinkingResponse::into_form`](super::DeepLinkingResponse::into_form).
    fn deep_linking(&self, launch: DeepLinkingLaunch) -> BoxFuture<'static, Response>;
}

/// Where the routes are mounted (paths of the tool's origin).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LtiPaths {
    /// Login initiation (`initiate_login_uri`), GET and POST.
    pub login: String,
    /// The launch (`redirect_uri`), POST.
    pub launch: String,
    /// The JWKS (`jwks_uri`), GET.
    pub jwks: String,
}

impl Default for LtiPaths {
    fn default() -> Self {
        Self {
            login: "/lti/login".into(),
            launch: "/lti/launch".into(),
            jwks: "/lti/jwks".into(),
        }
    }
}

#[derive(Clone)]
struct RouteState {
    tool: Arc<LtiTool>,
    app: Arc<dyn LtiToolApp>,
    /// Where the storage launch page posts (`{launch}/storage`).
    storage_action: String,
}

/// The path of the platform-storage launch route: the launch path with `/storage` appended.
pub fn storage_launch_path(paths: &LtiPaths) -> String {
    format!("{}/storage", paths.launch.trim_end_matches('/'))
}

fn form_params(bytes: &[u8]) -> Result<HashMap<String, String>, ()> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(bytes).map_err(|_| ())?;
    let mut map = HashMap::new();
    for (k, v) in pairs {
        // A repeated parameter is ambiguous (which one did the platform mean?): refuse.
        if map.insert(k, v).is_some() {
            return Err(());
        }
    }
    Ok(map)
}

fn login_refusal(e: &LoginError) -> Response {
    tracing::info!(reason = %e, "LTI login initiation refused");
    refusal_page(e.status(), "LTI login refused", &e.to_string())
}

fn launch_refusal(e: &LaunchError) -> Response {
    tracing::info!(reason = %e, "LTI launch refused");
    refusal_page(e.status(), "LTI launch refused", &e.to_string())
}

async fn login(tool: &LtiTool, params: Result<HashMap<String, String>, ()>) -> Response {
    let Ok(params) = params else {
        return refusal_page(
            StatusCode::BAD_REQUEST,
            "LTI login refused",
            "the login initiation's parameters are malformed or repeated",
        );
    };
    let initiation = match LoginInitiation::from_params(&params) {
        Ok(i) => i,
        Err(e) => return login_refusal(&e),
    };
    // LTI Platform Storage: the platform names the frame that keeps values for the tool.
    let storage_target = match params.get(STORAGE_TARGET_PARAMETER).map(String::as_str) {
        None | Some("") => None,
        Some(t) => match StorageTarget::parse(t) {
            Some(t) => Some(t),
            None => return login_refusal(&LoginError::BadStorageTarget),
        },
    };
    match tool
        .begin_login_with_storage(&initiation, storage_target.as_ref())
        .await
    {
        Ok(redirect) => {
            let mut r = match &redirect.storage {
                // The page stores the value in the platform, then goes on to the same URL.
                Some(storage) => storage_login_page(storage, redirect.location.as_str()),
                None => StatusCode::FOUND.into_response(),
            };
            let h = r.headers_mut();
            if let (Ok(location), Ok(cookie)) = (
                HeaderValue::from_str(redirect.location.as_str()),
                HeaderValue::from_str(&redirect.set_cookie()),
            ) {
                if redirect.storage.is_none() {
                    h.insert(header::LOCATION, location);
                }
                h.insert(header::SET_COOKIE, cookie);
            } else {
                return refusal_page(
                    StatusCode::BAD_REQUEST,
                    "LTI login refused",
                    "the platform's authorization endpoint cannot be used in a redirect",
                );
            }
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            h.insert(
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            );
            r
        }
        Err(e) => login_refusal(&e),
    }
}

async fn login_get(State(s): State<RouteState>, RawQuery(query): RawQuery) -> Response {
    login(
        &s.tool,
        form_params(query.as_deref().unwrap_or_default().as_bytes()),
    )
    .await
}

async fn login_post(State(s): State<RouteState>, body: Bytes) -> Response {
    login(&s.tool, form_params(&body)).await
}

/// The value of cookie `name` from the request's `Cookie` headers.
fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Keeps a platform's OAuth error code to `[a-z_]` so it cannot write into the page or log.
fn error_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_lowercase() || *c == '_')
        .take(64)
        .collect()
}

fn form_value<'p>(params: &'p HashMap<String, String>, name: &str) -> &'p str {
    params.get(name).map(String::as_str).unwrap_or_default()
}

/// Hands a validated launch to the application and drops the spent state cookie.
async fn complete(
    s: &RouteState,
    result: Result<Launch, LaunchError>,
    cookie_name: &str,
) -> Response {
    match result {
        Ok(validated) => {
            let mut response = match validated {
                Launch::ResourceLink(l) => s.app.resource_link(l).await,
                Launch::DeepLinking(l) => s.app.deep_linking(l).await,
            };
            // The state is spent: drop its cookie.
            if let Ok(v) = HeaderValue::from_str(&format!(
                "{cookie_name}=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=None"
            )) {
                response.headers_mut().append(header::SET_COOKIE, v);
            }
            response
        }
        Err(e) => launch_refusal(&e),
    }
}

async fn launch(State(s): State<RouteState>, headers: HeaderMap, body: Bytes) -> Response {
    let Ok(params) = form_params(&body) else {
        return launch_refusal(&LaunchError::MalformedToken(
            "the launch form is malformed or repeats a parameter",
        ));
    };
    if let Some(error) = params.get("error") {
        return launch_refusal(&LaunchError::PlatformError(error_code(error)));
    }
    let state = form_value(&params, "state");
    let id_token = form_value(&params, "id_token");
    let cookie_name = format!("{STATE_COOKIE_PREFIX}{state}");
    if let Some(value) = cookie(&headers, &cookie_name) {
        let result = s
            .tool
            .launch(state, id_token, BrowserProof::Cookie(Some(value)))
            .await;
        return complete(&s, result, &cookie_name).await;
    }
    // No cookie came back. Nothing is taken here: this POST is not bound to the browser yet,
    // so it only reads the pending login to learn whether the platform keeps a proof for it.
    if state.is_empty() {
        return launch_refusal(&LaunchError::MissingParameter("state"));
    }
    if id_token.is_empty() {
        return launch_refusal(&LaunchError::MissingParameter("id_token"));
    }
    let pending = match s.tool.store.peek_login(state, s.tool.now()).await {
        Ok(Some(p)) => p,
        Ok(None) => return launch_refusal(&LaunchError::UnknownState),
        Err(e) => return launch_refusal(&LaunchError::Store(e)),
    };
    match pending.binding.platform_storage() {
        Some((target, platform_origin)) => storage_launch_page(&StorageLaunch {
            target,
            platform_origin,
            key: &cookie_name,
            action: &s.storage_action,
            id_token,
            state,
        }),
        None => launch_refusal(&LaunchError::NoBrowserProof),
    }
}

/// `{launch}/storage`: the storage launch page posts the value it read back from the platform.
async fn launch_storage(State(s): State<RouteState>, body: Bytes) -> Response {
    let Ok(params) = form_params(&body) else {
        return launch_refusal(&LaunchError::MalformedToken(
            "the launch form is malformed or repeats a parameter",
        ));
    };
    let state = form_value(&params, "state");
    let id_token = form_value(&params, "id_token");
    let value = form_value(&params, "lti_storage_value");
    if value.is_empty() {
        // The page could not read the value: say why, and leave the login for a retry.
        let code = error_code(form_value(&params, "lti_storage_error"));
        let code = if code.is_empty() {
            "no_value".to_owned()
        } else {
            code
        };
        return launch_refusal(&LaunchError::PlatformStorageFailed(code));
    }
    let cookie_name = format!("{STATE_COOKIE_PREFIX}{state}");
    let result = s
        .tool
        .launch(state, id_token, BrowserProof::PlatformStorage(value))
        .await;
    complete(&s, result, &cookie_name).await
}

async fn jwks(State(s): State<RouteState>) -> Response {
    let mut r = Json(s.tool.tool_keys.jwks()).into_response();
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("max-age=300"),
    );
    r
}

impl LtiTool {
    /// The routes of the tool side at `paths`, handing validated launches to `app`; the
    /// platform-storage launch is served at [`storage_launch_path`] (`{launch}/storage`).
    pub fn router(self: &Arc<Self>, app: Arc<dyn LtiToolApp>, paths: &LtiPaths) -> Router {
        let storage_action = storage_launch_path(paths);
        Router::new()
            .route(&paths.login, get(login_get).post(login_post))
            .route(&paths.launch, axum::routing::post(launch))
            .route(&storage_action, axum::routing::post(launch_storage))
            .route(&paths.jwks, get(jwks))
            .with_state(RouteState {
                tool: Arc::clone(self),
                app,
                storage_action,
            })
    }
}
