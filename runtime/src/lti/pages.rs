//! The tool side's HTML: refusal pages and auto-submitting forms (askama templates in
//! `runtime/templates/lti_*.html`, every value escaped).
//!
//! Unlike the authorization server's pages these are shown inside the platform's iframe, so
//! they may be framed; a per-response CSP nonce allows only the one inline script that submits
//! the form, and the `<noscript>` button does the same without JavaScript. The two platform-
//! storage pages (`lti_storage_login.html`, `lti_storage_launch.html`) carry the script of
//! `platform_storage/tool_client.js` under the same kind of nonce.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::authorization_server::secrets::random_id;

use super::login::StorageLogin;
use super::platform_storage::TOOL_CLIENT_SCRIPT;

#[derive(Template)]
#[template(path = "lti_refusal.html")]
struct RefusalPage<'a> {
    title: &'a str,
    reason: &'a str,
    status: u16,
}

#[derive(Template)]
#[template(path = "lti_auto_submit.html")]
struct AutoSubmitPage<'a> {
    title: &'a str,
    action: &'a str,
    fields: &'a [(&'a str, &'a str)],
    script_nonce: &'a str,
}

#[derive(Template)]
#[template(path = "lti_storage_login.html")]
struct StorageLoginPage<'a> {
    target: &'a str,
    origin: &'a str,
    key: &'a str,
    value: &'a str,
    next: &'a str,
    script: &'a str,
    script_nonce: &'a str,
}

#[derive(Template)]
#[template(path = "lti_storage_launch.html")]
struct StorageLaunchPage<'a> {
    target: &'a str,
    origin: &'a str,
    key: &'a str,
    action: &'a str,
    id_token: &'a str,
    state: &'a str,
    script: &'a str,
    script_nonce: &'a str,
}

/// Where a page's forms may post.
#[derive(Clone, Copy)]
enum FormAction {
    /// Nowhere (refusal pages, the storage login page, which navigates instead).
    None,
    /// Back to the tool's own origin (the storage launch page).
    SelfOrigin,
    /// Any https URL (auto-submitting forms to the platform).
    Https,
}

fn headers(resp: &mut Response, script_nonce: Option<&str>, form_action: FormAction) {
    let form_action = match form_action {
        FormAction::None => "'none'",
        FormAction::SelfOrigin => "'self'",
        FormAction::Https => "https:",
    };
    let csp = match script_nonce {
        Some(n) => format!(
            "default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-{n}'; form-action {form_action}"
        ),
        None => format!("default-src 'none'; style-src 'unsafe-inline'; form-action {form_action}"),
    };
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
}

fn render(
    status: StatusCode,
    page: &impl Template,
    script_nonce: Option<&str>,
    form_action: FormAction,
) -> Response {
    let mut r = match page.render() {
        Ok(body) => (status, Html(body)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "LTI page rendering failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    };
    headers(&mut r, script_nonce, form_action);
    r
}

/// A refusal page with `status`, saying why (`reason` is the error's fixed text).
pub(crate) fn refusal_page(status: StatusCode, title: &str, reason: &str) -> Response {
    render(
        status,
        &RefusalPage {
            title,
            reason,
            status: status.as_u16(),
        },
        None,
        FormAction::None,
    )
}

/// A page whose form posts `fields` to `action` as soon as it loads (or on a click when
/// scripts are off).
pub fn auto_submit_form(title: &str, action: &str, fields: &[(&str, &str)]) -> Response {
    let nonce = random_id();
    render(
        StatusCode::OK,
        &AutoSubmitPage {
            title,
            action,
            fields,
            script_nonce: &nonce,
        },
        Some(&nonce),
        FormAction::Https,
    )
}

/// The login page of a login that offered platform storage: its script stores
/// `storage.value` in the platform's frame, then goes on to `next` (the authentication
/// request); without an answer it goes on anyway, bound by the cookie alone.
pub(crate) fn storage_login_page(storage: &StorageLogin, next: &str) -> Response {
    let nonce = random_id();
    render(
        StatusCode::OK,
        &StorageLoginPage {
            target: &storage.target,
            origin: &storage.platform_origin,
            key: &storage.key,
            value: &storage.value,
            next,
            script: TOOL_CLIENT_SCRIPT,
            script_nonce: &nonce,
        },
        Some(&nonce),
        FormAction::None,
    )
}

/// What the storage launch page needs: where the value is, and what to post back.
pub(crate) struct StorageLaunch<'a> {
    pub(crate) target: &'a str,
    pub(crate) platform_origin: &'a str,
    pub(crate) key: &'a str,
    pub(crate) action: &'a str,
    pub(crate) id_token: &'a str,
    pub(crate) state: &'a str,
}

/// The page answering a cookie-less launch whose login offered platform storage: its script
/// reads the value back (`lti.get_data`) and posts it with the `id_token` and `state` to
/// `action` (the tool's `{launch}/storage`).
pub(crate) fn storage_launch_page(launch: &StorageLaunch<'_>) -> Response {
    let nonce = random_id();
    render(
        StatusCode::OK,
        &StorageLaunchPage {
            target: launch.target,
            origin: launch.platform_origin,
            key: launch.key,
            action: launch.action,
            id_token: launch.id_token,
            state: launch.state,
            script: TOOL_CLIENT_SCRIPT,
            script_nonce: &nonce,
        },
        Some(&nonce),
        FormAction::SelfOrigin,
    )
}
