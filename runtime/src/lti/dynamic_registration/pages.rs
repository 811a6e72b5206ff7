//! The tool's registration pages (askama templates `runtime/templates/lti_dr_*.html`, every value
//! escaped). They are shown in the platform's iframe or popup, so they may be framed; the one
//! inline script (the `org.imsglobal.lti.close` message, LTI-DR 1.0 §3.7
//! "Step 4: Registration Completed and Activation") runs under a
//! per-response CSP nonce, and the page says the same in text for a browser without scripts.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::authorization_server::secrets::random_id;

#[derive(Template)]
#[template(path = "lti_dr_registered.html")]
struct RegisteredPage<'a> {
    issuer: &'a str,
    client_id: &'a str,
    deployment_id: &'a str,
    scopes: &'a [String],
    script_nonce: &'a str,
}

#[derive(Template)]
#[template(path = "lti_dr_failed.html")]
struct FailedPage<'a> {
    reason: &'a str,
    status: u16,
}

fn render(status: StatusCode, page: &impl Template, script_nonce: Option<&str>) -> Response {
    let mut r = match page.render() {
        Ok(body) => (status, Html(body)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "LTI registration page rendering failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    };
    let csp = match script_nonce {
        Some(n) => format!(
            "default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-{n}'; form-action 'none'"
        ),
        None => "default-src 'none'; style-src 'unsafe-inline'; form-action 'none'".to_owned(),
    };
    let h = r.headers_mut();
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
    r
}

/// The page saying what was registered; its script asks the platform to close the frame.
pub(crate) fn registered_page(
    issuer: &str,
    client_id: &str,
    deployment_id: &str,
    scopes: &[String],
) -> Response {
    let nonce = random_id();
    render(
        StatusCode::OK,
        &RegisteredPage {
            issuer,
            client_id,
            deployment_id,
            scopes,
            script_nonce: &nonce,
        },
        Some(&nonce),
    )
}

/// The page saying why registration stopped.
pub(crate) fn failed_page(status: StatusCode, reason: &str) -> Response {
    render(
        status,
        &FailedPage {
            reason,
            status: status.as_u16(),
        },
        None,
    )
}
