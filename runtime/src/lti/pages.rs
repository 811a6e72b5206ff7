//! The tool side's HTML: refusal pages and auto-submitting forms (askama templates in
//! `runtime/templates/lti_*.html`, every value escaped).
//!
//! Unlike the authorization server's pages these are shown inside the platform's iframe, so
//! they may be framed; a per-response CSP nonce allows only the one inline script that submits
//! the form, and the `<noscript>` button does the same without JavaScript.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::authorization_server::secrets::random_id;

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

fn headers(resp: &mut Response, script_nonce: Option<&str>) {
    let csp = match script_nonce {
        Some(n) => format!(
            "default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-{n}'; form-action https:"
        ),
        None => "default-src 'none'; style-src 'unsafe-inline'; form-action 'none'".to_owned(),
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

fn render(status: StatusCode, page: &impl Template, script_nonce: Option<&str>) -> Response {
    let mut r = match page.render() {
        Ok(body) => (status, Html(body)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "LTI page rendering failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    };
    headers(&mut r, script_nonce);
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
    )
}
