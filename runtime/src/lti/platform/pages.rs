//! The platform side's refusal page (askama, `runtime/templates/lti_platform_refusal.html`).
//! Auto-submitting forms are the tool side's (`lti::auto_submit_form`): the same page with a
//! per-response CSP nonce and a `<noscript>` button.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

#[derive(Template)]
#[template(path = "lti_platform_refusal.html")]
struct RefusalPage<'a> {
    reason: &'a str,
    status: u16,
}

/// A page with `status` saying why the platform refused (`reason` is the error's fixed text).
pub(crate) fn refusal_page(status: StatusCode, reason: &str) -> Response {
    let page = RefusalPage {
        reason,
        status: status.as_u16(),
    };
    let mut response = match page.render() {
        Ok(body) => (status, Html(body)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "LTI platform page rendering failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    };
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'none'",
        ),
    );
    response
}
