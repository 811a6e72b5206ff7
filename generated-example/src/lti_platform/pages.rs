//! The platform's askama pages (`generated-example/templates/lti_platform_*.html`): sign-in,
//! the course page, and refusals. No JavaScript: tools load in iframes by their launch URLs.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// `GET /login`.
#[derive(Template)]
#[template(path = "lti_platform_login.html")]
pub struct LoginPage<'a> {
    /// Where to go once signed in (a path on this platform).
    pub next: &'a str,
    /// Why the last attempt failed.
    pub error: Option<&'a str>,
}

/// One tool on the course page.
#[derive(Debug)]
pub struct ToolView {
    /// The tool's name.
    pub name: String,
    /// `/courses/{id}/launch/{name}`.
    pub launch: String,
    /// `/courses/{id}/deep-link/{name}`.
    pub deep_link: String,
}

/// One content item deep linking returned.
#[derive(Debug)]
pub struct ContentItemView {
    /// The tool that returned it.
    pub tool: String,
    /// Its `type`.
    pub kind: String,
    /// Its `title` (or its `url`, or a placeholder).
    pub title: String,
    /// Its `url`, when it has one.
    pub url: Option<String>,
}

/// One reported score.
#[derive(Debug)]
pub struct ScoreView {
    /// The line item's label.
    pub line_item: String,
    /// The learner.
    pub user: String,
    /// `given / maximum`.
    pub score: String,
    /// Activity and grading progress.
    pub progress: String,
    /// The tool's comment.
    pub comment: String,
    /// The score's timestamp.
    pub timestamp: String,
}

/// The hidden platform-storage frame (LTI Client Side postMessages).
#[derive(Debug)]
pub struct StorageFrame {
    /// The frame's name (`lti_storage_target`).
    pub name: String,
    /// Its document.
    pub src: String,
}

/// `GET /courses/{course_id}`.
#[derive(Template)]
#[template(path = "lti_platform_course.html")]
pub struct CoursePage {
    /// The signed-in user.
    pub user: String,
    /// `context.title`.
    pub course_title: String,
    /// `context.label`.
    pub course_label: String,
    /// The registered tools.
    pub tools: Vec<ToolView>,
    /// Content items from deep linking.
    pub content_items: Vec<ContentItemView>,
    /// Scores tools reported.
    pub scores: Vec<ScoreView>,
    /// The platform-storage frame, when storage is offered.
    pub storage_frame: Option<StorageFrame>,
}

/// A refusal: what went wrong, never a stack trace.
#[derive(Template)]
#[template(path = "lti_platform_error.html")]
pub struct ErrorPage<'a> {
    /// The heading.
    pub title: &'a str,
    /// Why.
    pub reason: &'a str,
    /// The HTTP status code.
    pub status: u16,
}

/// A page as an HTML response that no cache keeps (they show per-user state).
pub fn html(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(body) => {
            let mut response = (status, body).into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(e) => {
            tracing::error!(error = %e, "a page did not render");
            (StatusCode::INTERNAL_SERVER_ERROR, "the page did not render").into_response()
        }
    }
}

/// An error page with `status`.
pub fn refusal(status: StatusCode, title: &str, reason: &str) -> Response {
    html(
        status,
        &ErrorPage {
            title,
            reason,
            status: status.as_u16(),
        },
    )
}

/// The answer to a deep-linking response: what was added.
#[derive(Template)]
#[template(path = "lti_platform_returned.html")]
pub struct ReturnedPage<'a> {
    /// The heading.
    pub title: &'a str,
    /// The tool's message to the user (`msg` or `errormsg`).
    pub msg: Option<&'a str>,
    /// The titles of the items added.
    pub items: Vec<String>,
    /// The course page.
    pub course: &'a str,
}
