//! `GET|POST /account/consents`: the resource owner's page of remembered consents, where each
//! can be withdrawn. Withdrawal forgets the consent and revokes every token that client holds
//! for the owner ([`ServerState::withdraw_consent`]), so "can be withdrawn" is something a person
//! does in a browser, not only an operator through
//! [`AuthorizationServer::withdraw_consent`](crate::authorization_server::AuthorizationServer::withdraw_consent).
//!
//! The page uses the sign-in session of the authorization endpoint (a signed-out owner signs in
//! on the page itself) and a double-submit CSRF cookie of its own; every POST answers 303 to the
//! page, so a reload never repeats an action. Works without JavaScript.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::Deserialize;

use super::authorize::session::{self, SESSION_COOKIE};
use super::authorize::{cookie_value, redirect};
use crate::authorization_server::form::Form;
use crate::authorization_server::pages::{AccountNotice, ConsentLine, account_page, error_page};
use crate::authorization_server::secrets;
use crate::authorization_server::state::ServerState;

/// The double-submit cookie of the account page's forms (not the authorization endpoint's, so
/// neither page can replay the other's form).
const ACCOUNT_CSRF_COOKIE: &str = "__Host-ims-account-csrf";

/// `?done=` after an action: which fixed notice the page shows.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct PageQuery {
    done: Option<String>,
}

pub(crate) async fn consents_page(
    State(state): State<Arc<ServerState>>,
    headers: HeaderMap,
    Query(query): Query<PageQuery>,
) -> Response {
    let notice = match query.done.as_deref() {
        Some("withdrawn") => Some(AccountNotice::Withdrawn),
        Some("signed-in") => Some(AccountNotice::SignedIn),
        _ => None,
    };
    let csrf = cookie_value(&headers, ACCOUNT_CSRF_COOKIE)
        .filter(|c| is_token(c))
        .map(str::to_owned)
        .unwrap_or_else(secrets::random_token);
    let subject = signed_in(&state, &headers);
    // A stale `?done=` (the session ended since) shows nothing rather than a false notice.
    let notice = notice.filter(|_| subject.is_some());
    let page = match subject {
        None => account_page(None, &[], &csrf, notice),
        Some(subject) => match consent_lines(&state, &subject).await {
            Ok(lines) => account_page(Some(&subject), &lines, &csrf, notice),
            Err(()) => return error_page("The server could not process the request."),
        },
    };
    with_csrf_cookie(page, &csrf)
}

pub(crate) async fn consents_action(
    State(state): State<Arc<ServerState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Ok(form) = Form::parse(&headers, &body) else {
        return error_page("The form submission is malformed.");
    };
    let Some(csrf) = form.get("csrf_token") else {
        return error_page("The form submission is incomplete.");
    };
    if !cookie_value(&headers, ACCOUNT_CSRF_COOKIE).is_some_and(|c| secrets::ct_eq(c, csrf)) {
        return error_page("The form submission failed its CSRF check. Start again.");
    }
    match form.get("action") {
        Some("sign_in") => {
            let subject = match (form.get("username"), form.get("password")) {
                (Some(u), Some(p)) => state.resource_owners.authenticate(u, p).await,
                _ => None,
            };
            let Some(subject) = subject else {
                let page = account_page(None, &[], csrf, Some(AccountNotice::WrongPassword));
                return with_status(page, StatusCode::UNAUTHORIZED);
            };
            let mut response = see_page(Some("signed-in"));
            if let Some(cookie) = session::issue(&state.settings.issuer, &subject, secrets::now())
                && let Ok(v) = HeaderValue::from_str(&session::set_cookie(&cookie))
            {
                response.headers_mut().append(header::SET_COOKIE, v);
            }
            response
        }
        Some("withdraw") => {
            let Some(subject) = signed_in(&state, &headers) else {
                // The session ended between showing the page and the click: sign in again.
                return see_page(None);
            };
            let Some(client_id) = form.get("client_id") else {
                return error_page("The form submission is incomplete.");
            };
            match state.withdraw_consent(&subject, client_id).await {
                Ok(_) => see_page(Some("withdrawn")),
                Err(e) => {
                    tracing::error!(error = %e, "store failure at /account/consents");
                    error_page("The server could not process the request.")
                }
            }
        }
        _ => error_page("The form submission is incomplete."),
    }
}

/// The owner of a live sign-in session cookie.
fn signed_in(state: &ServerState, headers: &HeaderMap) -> Option<String> {
    cookie_value(headers, SESSION_COOKIE)
        .and_then(|c| session::verify(&state.settings.issuer, c, secrets::now()))
}

/// One line per remembered consent, with the client's registered name (a deleted client's
/// consent is listed by its id: it can still be withdrawn).
async fn consent_lines(state: &ServerState, subject: &str) -> Result<Vec<ConsentLine>, ()> {
    let consents = state.store.consents_of(subject).await.map_err(|e| {
        tracing::error!(error = %e, "store failure at /account/consents");
    })?;
    let mut lines = Vec::with_capacity(consents.len());
    for consent in consents {
        let client = state.clients.get(&consent.client_id).await.ok().flatten();
        lines.push(ConsentLine::new(consent, client.as_deref()));
    }
    Ok(lines)
}

/// Our own random tokens only: a cookie value is echoed into the page's forms.
fn is_token(value: &str) -> bool {
    (16..=128).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// 303 to the page (relative: the page is `…/account/consents` under the issuer).
fn see_page(done: Option<&str>) -> Response {
    let location = match done {
        Some(done) => format!("consents?done={done}"),
        None => "consents".to_owned(),
    };
    redirect(&location, StatusCode::SEE_OTHER)
}

fn with_status(mut page: Response, status: StatusCode) -> Response {
    *page.status_mut() = status;
    page
}

fn with_csrf_cookie(mut page: Response, csrf: &str) -> Response {
    let cookie = format!("{ACCOUNT_CSRF_COOKIE}={csrf}; Path=/; Secure; HttpOnly; SameSite=Strict");
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        page.headers_mut().append(header::SET_COOKIE, v);
    }
    page
}
