//! `GET /authorize`: the authorization request (RFC 6749 §4.1.1). The client and redirect URI
//! are checked first (a failure is a 400 page, never a redirect), then the rest is checked and
//! answered by redirect. A valid request from a signed-in browser whose scopes the owner has
//! already approved for this client gets its code at once; any other valid request is kept as
//! pending and the login + consent page shown.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;

use super::session::{self, SESSION_COOKIE};
use super::{Approved, AuthorizeEndpoint, CSRF_COOKIE, cookie_value, error_redirect};
use crate::authorization_server::error::OAuthErrorCode;
use crate::authorization_server::form::Form;
use crate::authorization_server::model::{GrantType, PendingAuthorization};
use crate::authorization_server::pages::{Consent, error_page, login_page};
use crate::authorization_server::state::ServerState;
use crate::authorization_server::{scope, secrets};

/// Query strings above this are refused before parsing (AS-36).
const MAX_QUERY: usize = 8 * 1024;
/// `state` values above this are refused (they are echoed into a URL).
const MAX_STATE: usize = 2 * 1024;
/// How long the login page stays valid (seconds).
const PENDING_LIFETIME: u64 = 600;

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

/// Whether a remembered consent covers every requested scope token (exact, case-sensitive).
fn consent_covers(consented: &str, requested: &str) -> bool {
    let consented: Vec<&str> = consented.split(' ').collect();
    requested
        .split(' ')
        .filter(|s| !s.is_empty())
        .all(|r| consented.contains(&r))
}

pub(crate) async fn authorize_get(
    State(state): State<Arc<ServerState>>,
    headers: HeaderMap,
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
    let now = secrets::now();
    let signed_in = cookie_value(&headers, SESSION_COOKIE)
        .and_then(|c| session::verify(endpoint.issuer, c, now));
    if let Some(subject) = signed_in {
        match endpoint.consents.get(&subject, &client.client_id).await {
            Ok(Some(consent)) if consent_covers(&consent.scope, &scope) => {
                let approved = Approved {
                    client_id: &client.client_id,
                    redirect_uri: &redirect_uri,
                    redirect_uri_sent: sent,
                    state,
                    code_challenge: challenge,
                    scope: &scope,
                    subject: &subject,
                };
                return endpoint.issue_code(&approved, StatusCode::FOUND).await;
            }
            Ok(_) => {}
            Err(e) => {
                tracing::error!(error = %e, "store failure at /authorize");
                return error_page("The server could not process the request.");
            }
        }
    }
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
        expires_at: now + PENDING_LIFETIME,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_consent_covers_the_same_or_fewer_scopes_only() {
        assert!(consent_covers("a b c", "a c"));
        assert!(consent_covers("a b", "a b"));
        assert!(!consent_covers("a b", "a b c"));
        assert!(!consent_covers("a b", "A"));
        assert!(!consent_covers("ab", "a"));
    }

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
