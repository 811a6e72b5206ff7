//! `POST /authorize`: the resource owner's login and decision on the consent page
//! (RFC 6749 §4.1.2). The form is bound to the browser (double-submit cookie) and to one pending
//! request, used once; approval is remembered as the owner's consent to the client, issues a
//! code and starts a sign-in session; denial redirects with `access_denied`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;

use super::{Approved, AuthorizeEndpoint, CSRF_COOKIE, cookie_value, error_redirect, session};
use crate::authorization_server::error::OAuthErrorCode;
use crate::authorization_server::form::Form;
use crate::authorization_server::model::{ConsentRecord, PendingAuthorization};
use crate::authorization_server::pages::{Consent, error_page, login_page};
use crate::authorization_server::secrets;
use crate::authorization_server::state::ServerState;

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
    if let Err(e) = endpoint
        .consents
        .remember(ConsentRecord {
            subject: subject.clone(),
            client_id: pending.client_id.clone(),
            scope: pending.scope.clone(),
            granted_at: now,
        })
        .await
    {
        tracing::error!(error = %e, "store failure at /authorize");
        return error_page("The server could not process the request.");
    }
    let mut response = endpoint
        .issue_code(
            &Approved {
                client_id: &pending.client_id,
                redirect_uri: &pending.redirect_uri,
                redirect_uri_sent: pending.redirect_uri_sent,
                state: &pending.state,
                code_challenge: &pending.code_challenge,
                scope: &pending.scope,
                subject: &subject,
            },
            StatusCode::SEE_OTHER,
        )
        .await;
    if response.status() == StatusCode::SEE_OTHER
        && let Some(cookie) = session::issue(endpoint.issuer, &subject, now)
        && let Ok(v) = HeaderValue::from_str(&session::set_cookie(&cookie))
    {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}
