//! `POST /authorize`: the resource owner's login and decision on the consent page
//! (RFC 6749 §4.1.2). The form is bound to the browser (double-submit cookie) and to one pending
//! request, used once; approval issues a code, denial redirects with `access_denied`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;

use super::{AuthorizeEndpoint, CSRF_COOKIE, append_query, error_redirect, redirect};
use crate::authorization_server::error::OAuthErrorCode;
use crate::authorization_server::form::Form;
use crate::authorization_server::model::{CodeRecord, PendingAuthorization};
use crate::authorization_server::pages::{Consent, error_page, login_page};
use crate::authorization_server::secrets;
use crate::authorization_server::state::ServerState;

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
