//! `GET /authorize` and the built-in login + consent page (`POST /authorize`).
//!
//! Rules (SECURITY-CASES (a)): the client and redirect URI are validated first and a failure
//! there is a 400 page, never a redirect; redirect URIs match by exact string (only the port of a
//! registered loopback IP URI may differ, RFC 8252 §7.3); PKCE S256 and `state` are required;
//! every redirect carries `iss` (RFC 9207) and the `state` byte for byte.
//!
//! The authorization request (RFC 6749 §4.1.1) is checked in `request`, which shows the login +
//! consent page; the resource owner's decision (§4.1.2) arrives in `consent`.
//!
//! **Remembered consent.** An approval is remembered per (resource owner, client) as the set of
//! approved scopes ([`Store::put_consent`](crate::authorization_server::Store::put_consent)
//! widens it). A login also starts a sign-in session (`session`: a cookie, one hour, per
//! process). A later request from the same browser, signed in, by the same client for the same
//! or fewer scopes is answered with a code at once, without the page. Without a live session
//! (first visit, after an hour, after a restart, on another instance) the page is shown and the
//! owner signs in and approves again: no approval is ever inferred from a password alone. The
//! page's form keeps its CSRF protection (double-submit cookie bound to a single-use pending
//! request). Withdrawing consent
//! ([`AuthorizationServer::withdraw_consent`](crate::authorization_server::AuthorizationServer::withdraw_consent))
//! forgets it and revokes the client's tokens for that owner.

mod consent;
mod request;
pub(super) mod session;

pub(crate) use consent::authorize_post;
pub(crate) use request::authorize_get;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::authorization_server::error::OAuthErrorCode;
use crate::authorization_server::model::CodeRecord;
use crate::authorization_server::owner::ResourceOwnerAuthenticator;
use crate::authorization_server::pages::{error_page, secure_headers};
use crate::authorization_server::secrets;
use crate::authorization_server::state::{ClientDirectory, ServerState};
use crate::authorization_server::store::views::{
    AuthorizationCodes, Consents, PendingAuthorizations,
};

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
    consents: Consents<'a>,
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
            consents: Consents(state.store.as_ref()),
            resource_owners: state.resource_owners.as_ref(),
        }
    }
}

/// An authorization the resource owner has approved (now, or earlier by a remembered consent):
/// everything the code is bound to.
struct Approved<'a> {
    client_id: &'a str,
    redirect_uri: &'a str,
    redirect_uri_sent: bool,
    state: &'a str,
    code_challenge: &'a str,
    scope: &'a str,
    subject: &'a str,
}

impl AuthorizeEndpoint<'_> {
    /// Stores a new code for an approved request and redirects to the client with it
    /// (RFC 6749 §4.1.2, with `iss` per RFC 9207).
    async fn issue_code(&self, approved: &Approved<'_>, status: StatusCode) -> Response {
        let code = secrets::random_token();
        let record = CodeRecord {
            code_hash: secrets::hash_secret(&code),
            grant_id: secrets::random_id(),
            client_id: approved.client_id.to_owned(),
            redirect_uri: approved.redirect_uri.to_owned(),
            redirect_uri_sent: approved.redirect_uri_sent,
            code_challenge: approved.code_challenge.to_owned(),
            scope: approved.scope.to_owned(),
            subject: approved.subject.to_owned(),
            expires_at: secrets::now() + self.code_lifetime,
        };
        if let Err(e) = self.codes.insert(record).await {
            tracing::error!(error = %e, "store failure at /authorize");
            return error_page("The server could not process the request.");
        }
        let location = append_query(
            approved.redirect_uri,
            &[
                ("code", code.as_str()),
                ("state", approved.state),
                ("scope", approved.scope),
                ("iss", self.issuer),
            ],
        );
        redirect(&location, status)
    }
}

/// A cookie sent by the browser.
pub(super) fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn append_query(uri: &str, params: &[(&str, &str)]) -> String {
    let mut ser = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        ser.append_pair(k, v);
    }
    let sep = if uri.contains('?') { '&' } else { '?' };
    format!("{uri}{sep}{}", ser.finish())
}

pub(super) fn redirect(location: &str, status: StatusCode) -> Response {
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
