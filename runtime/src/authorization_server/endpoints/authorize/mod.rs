//! `GET /authorize` and the built-in login + consent page (`POST /authorize`).
//!
//! Rules (SECURITY-CASES (a)): the client and redirect URI are validated first and a failure
//! there is a 400 page, never a redirect; redirect URIs match by exact string (only the port of a
//! registered loopback IP URI may differ, RFC 8252 §7.3); PKCE S256 and `state` are required;
//! every redirect carries `iss` (RFC 9207) and the `state` byte for byte.
//!
//! The authorization request (RFC 6749 §4.1.1) is checked in `request`, which shows the login +
//! consent page; the resource owner's decision (§4.1.2) arrives in `consent`.

mod consent;
mod request;

pub(crate) use consent::authorize_post;
pub(crate) use request::authorize_get;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::authorization_server::error::OAuthErrorCode;
use crate::authorization_server::owner::ResourceOwnerAuthenticator;
use crate::authorization_server::pages::secure_headers;
use crate::authorization_server::state::{ClientDirectory, ServerState};
use crate::authorization_server::store::views::{AuthorizationCodes, PendingAuthorizations};

/// The cookie binding the login form to the browser (double-submit CSRF token).
const CSRF_COOKIE: &str = "__Host-ims-authz-csrf";

/// What the authorization endpoint works with.
struct AuthorizeEndpoint<'a> {
    /// Sent as `iss` in every redirect (RFC 9207).
    issuer: &'a str,
    clients: &'a ClientDirectory,
    /// Every scope the server knows.
    known_scopes: &'a [String],
    /// Seconds.
    code_lifetime: u64,
    pending: PendingAuthorizations<'a>,
    codes: AuthorizationCodes<'a>,
    resource_owners: &'a dyn ResourceOwnerAuthenticator,
}

impl<'a> AuthorizeEndpoint<'a> {
    fn from_state(state: &'a ServerState) -> Self {
        Self {
            issuer: &state.settings.issuer,
            clients: &state.clients,
            known_scopes: &state.settings.scopes,
            code_lifetime: state.settings.code_lifetime,
            pending: PendingAuthorizations(state.store.as_ref()),
            codes: AuthorizationCodes(state.store.as_ref()),
            resource_owners: state.resource_owners.as_ref(),
        }
    }
}

fn append_query(uri: &str, params: &[(&str, &str)]) -> String {
    let mut ser = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        ser.append_pair(k, v);
    }
    let sep = if uri.contains('?') { '&' } else { '?' };
    format!("{uri}{sep}{}", ser.finish())
}

fn redirect(location: &str, status: StatusCode) -> Response {
    let mut r = status.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    secure_headers(&mut r);
    r
}

/// An error redirected to the validated redirect URI, with `state` (when sent) and `iss`.
fn error_redirect(
    issuer: &str,
    redirect_uri: &str,
    state: Option<&str>,
    error: OAuthErrorCode,
    description: &'static str,
    status: StatusCode,
) -> Response {
    let mut params = vec![
        ("error", error.as_str()),
        ("error_description", description),
    ];
    if let Some(s) = state {
        params.push(("state", s));
    }
    params.push(("iss", issuer));
    redirect(&append_query(redirect_uri, &params), status)
}
