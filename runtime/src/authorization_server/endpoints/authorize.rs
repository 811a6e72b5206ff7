//! `GET /authorize` and the built-in login + consent page (`POST /authorize`).
//!
//! Rules (SECURITY-CASES (a)): the client and redirect URI are validated first and a failure
//! there is a 400 page, never a redirect; redirect URIs match by exact string (only the port of a
//! registered loopback IP URI may differ, RFC 8252 §7.3); PKCE S256 and `state` are required;
//! every redirect carries `iss` (RFC 9207) and the `state` byte for byte.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::authorization_server::error::OAuthErrorCode;
use crate::authorization_server::form::Form;
use crate::authorization_server::model::{CodeRecord, GrantType, PendingAuthorization};
use crate::authorization_server::owner::ResourceOwnerAuthenticator;
use crate::authorization_server::pages::{Consent, error_page, login_page, secure_headers};
use crate::authorization_server::state::{ClientDirectory, ServerState};
use crate::authorization_server::store_views::{AuthorizationCodes, PendingAuthorizations};
use crate::authorization_server::{scope, secrets};

/// Query strings above this are refused before parsing (AS-36).
const MAX_QUERY: usize = 8 * 1024;
/// `state` values above this are refused (they are echoed into a URL).
const MAX_STATE: usize = 2 * 1024;
/// How long the login page stays valid (seconds).
const PENDING_LIFETIME: u64 = 600;
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

/// Exact string match, except the port of a registered loopback IP literal (RFC 8252 §7.3).
fn redirect_matches(registered: &str, presented: &str) -> bool {
    if registered == presented {
        return true;
    }
    let (Ok(r), Ok(p)) = (url::Url::parse(registered), url::Url::parse(presented)) else {
        return false;
    };
    let loopback = |u: &url::Url| match u.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        _ => false,
    };
    // The presented string must already be in normalised form, or tricks could slip through.
    r.scheme() == "http"
        && loopback(&r)
        && p.as_str() == presented
        && r.scheme() == p.scheme()
        && r.host() == p.host()
        && r.path() == p.path()
        && r.query() == p.query()
        && r.fragment().is_none()
        && p.fragment().is_none()
        && r.username().is_empty()
        && p.username().is_empty()
        && p.password().is_none()
}

pub(crate) async fn authorize_get(
    State(state): State<Arc<ServerState>>,
    RawQuery(query): RawQuery,
) -> Response {
    let endpoint = AuthorizeEndpoint::from_state(&state);
    let query = query.unwrap_or_default();
    if query.len() > MAX_QUERY {
        return error_page("The authorization request is too large.");
    }
    let Ok(q) = Form::parse_pairs(query.as_bytes()) else {
        return error_page("A request parameter was sent more than once.");
    };
    let Some(client_id) = q.get("client_id") else {
        return error_page("The client_id parameter is missing.");
    };
    let client = match endpoint.clients.get(client_id).await {
        Ok(Some(c)) if !c.disabled => c,
        Ok(_) => return error_page("The client is unknown."),
        Err(e) => {
            tracing::error!(error = %e, "store failure at /authorize");
            return error_page("The server could not process the request.");
        }
    };
    let (redirect_uri, sent) = match q.get("redirect_uri") {
        Some(uri) => match client
            .redirect_uris
            .iter()
            .find(|r| redirect_matches(r, uri))
        {
            Some(_) => (uri.to_owned(), true),
            None => return error_page("The redirect_uri is not registered for this client."),
        },
        None => match client.redirect_uris.as_slice() {
            [only] => (only.clone(), false),
            _ => return error_page("The redirect_uri parameter is required for this client."),
        },
    };
    let state = q.get("state");
    if state.is_some_and(|s| s.len() > MAX_STATE) {
        return error_page("The state parameter is too long.");
    }
    let err = |e: OAuthErrorCode, d: &'static str| {
        error_redirect(
            endpoint.issuer,
            &redirect_uri,
            state,
            e,
            d,
            StatusCode::FOUND,
        )
    };
    match q.get("response_type") {
        None => return err(OAuthErrorCode::InvalidRequest, "response_type is missing"),
        Some("code") => {}
        Some(_) => {
            return err(
                OAuthErrorCode::UnsupportedResponseType,
                "only response_type=code is supported",
            );
        }
    }
    let Some(state) = state else {
        return err(OAuthErrorCode::InvalidRequest, "state is required");
    };
    if !client.allows_grant(GrantType::AuthorizationCode) {
        return err(
            OAuthErrorCode::UnauthorizedClient,
            "the client may not use the authorization code grant",
        );
    }
    let Some(challenge) = q.get("code_challenge") else {
        return err(
            OAuthErrorCode::InvalidRequest,
            "code_challenge is required (PKCE S256)",
        );
    };
    if q.get("code_challenge_method") != Some("S256") {
        return err(
            OAuthErrorCode::InvalidRequest,
            "code_challenge_method must be S256",
        );
    }
    if !secrets::is_pkce_value(challenge) {
        return err(
            OAuthErrorCode::InvalidRequest,
            "code_challenge is malformed",
        );
    }
    let scope = match q.get("scope") {
        None => scope::join(&client.scopes),
        Some(raw) => {
            let checked = scope::parse(raw).and_then(|req| {
                scope::require_subset(&req, endpoint.known_scopes)?;
                scope::require_subset(&req, &client.scopes)?;
                Ok(scope::join(&req))
            });
            match checked {
                Ok(s) => s,
                Err(_) => {
                    return err(
                        OAuthErrorCode::InvalidScope,
                        "a requested scope is unknown or not allowed",
                    );
                }
            }
        }
    };
    let request_id = secrets::random_token();
    let csrf = secrets::random_token();
    let pending = PendingAuthorization {
        id_hash: secrets::hash_secret(&request_id),
        csrf_hash: secrets::hash_secret(&csrf),
        client_id: client.client_id.clone(),
        redirect_uri,
        redirect_uri_sent: sent,
        state: state.to_owned(),
        code_challenge: challenge.to_owned(),
        scope,
        expires_at: secrets::now() + PENDING_LIFETIME,
    };
    let page = login_page(&Consent {
        client: &client,
        scope: &pending.scope,
        request_id: &request_id,
        csrf_token: &csrf,
        message: None,
    });
    if let Err(e) = endpoint.pending.put(pending).await {
        tracing::error!(error = %e, "store failure at /authorize");
        return error_page("The server could not process the request.");
    }
    with_csrf_cookie(page, &csrf)
}

fn with_csrf_cookie(mut page: Response, csrf: &str) -> Response {
    let cookie = format!("{CSRF_COOKIE}={csrf}; Path=/; Secure; HttpOnly; SameSite=Strict");
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        page.headers_mut().insert(header::SET_COOKIE, v);
    }
    page
}

fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

pub(crate) async fn authorize_post(
    State(state): State<Arc<ServerState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let endpoint = AuthorizeEndpoint::from_state(&state);
    let Ok(form) = Form::parse(&headers, &body) else {
        return error_page("The form submission is malformed.");
    };
    let (Some(request_id), Some(csrf)) = (form.get("request_id"), form.get("csrf_token")) else {
        return error_page("The form submission is incomplete.");
    };
    // Double-submit check first: a cross-site POST carries no matching cookie.
    if !cookie_value(&headers, CSRF_COOKIE).is_some_and(|c| secrets::ct_eq(c, csrf)) {
        return error_page("The form submission failed its CSRF check. Start again.");
    }
    let pending = match endpoint
        .pending
        .take(&secrets::hash_secret(request_id))
        .await
    {
        Ok(Some(p)) => p,
        Ok(None) => return error_page("The sign-in request has expired. Start again."),
        Err(e) => {
            tracing::error!(error = %e, "store failure at /authorize");
            return error_page("The server could not process the request.");
        }
    };
    let now = secrets::now();
    if pending.expires_at <= now || !secrets::verify_secret(csrf, &pending.csrf_hash) {
        return error_page("The sign-in request has expired. Start again.");
    }
    let client = match endpoint.clients.get(&pending.client_id).await {
        Ok(Some(c)) if !c.disabled => c,
        _ => return error_page("The client is unknown."),
    };
    let state = Some(pending.state.as_str());
    if form.get("decision") != Some("approve") {
        return error_redirect(
            endpoint.issuer,
            &pending.redirect_uri,
            state,
            OAuthErrorCode::AccessDenied,
            "the resource owner denied the request",
            StatusCode::SEE_OTHER,
        );
    }
    let subject = match (form.get("username"), form.get("password")) {
        (Some(u), Some(p)) => endpoint.resource_owners.authenticate(u, p).await,
        _ => None,
    };
    let Some(subject) = subject else {
        // Show the page again with a fresh request id; the CSRF cookie stays.
        let request_id = secrets::random_token();
        let retry = PendingAuthorization {
            id_hash: secrets::hash_secret(&request_id),
            ..pending
        };
        let page = login_page(&Consent {
            client: &client,
            scope: &retry.scope,
            request_id: &request_id,
            csrf_token: csrf,
            message: Some("Wrong user name or password."),
        });
        if endpoint.pending.put(retry).await.is_err() {
            return error_page("The server could not process the request.");
        }
        return page;
    };
    let code = secrets::random_token();
    let record = CodeRecord {
        code_hash: secrets::hash_secret(&code),
        grant_id: secrets::random_id(),
        client_id: pending.client_id.clone(),
        redirect_uri: pending.redirect_uri.clone(),
        redirect_uri_sent: pending.redirect_uri_sent,
        code_challenge: pending.code_challenge.clone(),
        scope: pending.scope.clone(),
        subject,
        expires_at: now + endpoint.code_lifetime,
    };
    if let Err(e) = endpoint.codes.insert(record).await {
        tracing::error!(error = %e, "store failure at /authorize");
        return error_page("The server could not process the request.");
    }
    let location = append_query(
        &pending.redirect_uri,
        &[
            ("code", code.as_str()),
            ("state", pending.state.as_str()),
            ("scope", pending.scope.as_str()),
            ("iss", endpoint.issuer),
        ],
    );
    redirect(&location, StatusCode::SEE_OTHER)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_match_is_exact_except_loopback_port() {
        let reg = "https://tool.example.edu/cb";
        for bad in [
            "https://tool.example.edu/cb/../x",
            "https://tool.example.edu/cb;/..",
            "https://tool.example.edu.evil.com/cb",
            "https://tool.example.edu@evil.com/cb",
            "HTTPS://TOOL.example.edu/CB",
            "https://tool.example.edu/cb/",
            "https://tool.example.edu/cb?x=1",
            "https://tool.example.edu/%63b",
        ] {
            assert!(!redirect_matches(reg, bad), "{bad}");
        }
        assert!(redirect_matches(reg, reg));
        assert!(redirect_matches(
            "http://127.0.0.1/cb",
            "http://127.0.0.1:5555/cb"
        ));
        assert!(!redirect_matches(
            "http://127.0.0.1/cb",
            "http://127.0.0.1:5555/cb?x"
        ));
        assert!(!redirect_matches(
            "http://localhost/cb",
            "http://localhost:5555/cb"
        ));
    }
}
