//! The tool's pages (askama, `generated-example/templates/lti_tool_*.html`; every value
//! escaped). They are shown inside the platform's iframe, so they may be framed; none needs
//! JavaScript, and the CSP allows no script at all.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

/// The resource-link launch page.
#[derive(Template)]
#[template(path = "lti_tool_launch.html")]
pub(crate) struct LaunchPage<'a> {
    pub title: &'a str,
    pub sub: &'a str,
    pub name: &'a str,
    pub roles: &'a [String],
    pub context_id: &'a str,
    pub context_label: &'a str,
    pub context_title: &'a str,
    pub issuer: &'a str,
    pub deployment_id: &'a str,
    pub resource_link_id: &'a str,
    pub instructor: bool,
    pub ags: bool,
    pub nrps: bool,
    pub launch_id: &'a str,
    pub csrf: &'a str,
}

/// One item of the deep-linking picker.
pub(crate) struct PickerItem {
    pub key: &'static str,
    pub title: &'static str,
    pub item_type: &'static str,
    pub text: &'static str,
}

/// The deep-linking picker: one POST form per item.
#[derive(Template)]
#[template(path = "lti_tool_picker.html")]
pub(crate) struct PickerPage<'a> {
    pub context_title: &'a str,
    pub text: &'a str,
    pub items: &'a [&'a PickerItem],
    pub launch_id: &'a str,
    pub csrf: &'a str,
}

/// One AGS result row.
pub(crate) struct ResultRow {
    pub user_id: String,
    pub score: String,
    pub maximum: String,
}

/// After posting a score: what was posted and the results read back.
#[derive(Template)]
#[template(path = "lti_tool_score.html")]
pub(crate) struct ScorePage<'a> {
    pub user_id: &'a str,
    pub score_given: &'a str,
    pub score_maximum: &'a str,
    pub line_item: &'a str,
    pub results: &'a [ResultRow],
    pub launch_id: &'a str,
}

/// One NRPS member row.
pub(crate) struct MemberRow {
    pub user_id: String,
    pub name: String,
    pub roles: String,
    pub status: String,
}

/// Every member of the launch's context.
#[derive(Template)]
#[template(path = "lti_tool_members.html")]
pub(crate) struct MembersPage<'a> {
    pub context_title: &'a str,
    pub members: &'a [MemberRow],
    pub launch_id: &'a str,
}

/// A refusal, saying why.
#[derive(Template)]
#[template(path = "lti_tool_refusal.html")]
struct RefusalPage<'a> {
    title: &'a str,
    reason: &'a str,
    status: u16,
}

/// Renders `page` with `status` and the headers every tool page carries: `no-store` (the pages
/// show personal data), `no-referrer` (their URLs hold the launch capability), no scripts.
pub(crate) fn render(status: StatusCode, page: &impl Template) -> Response {
    let mut r = match page.render() {
        Ok(body) => (status, Html(body)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "LTI tool page rendering failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    };
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
        ),
    );
    r
}

/// A refusal page: `status` (4xx, or 502 when the platform's service failed) and the reason.
pub(crate) fn refusal(status: StatusCode, title: &str, reason: &str) -> Response {
    tracing::info!(
        status = status.as_u16(),
        reason,
        "LTI tool refused a request"
    );
    render(
        status,
        &RefusalPage {
            title,
            reason,
            status: status.as_u16(),
        },
    )
}
