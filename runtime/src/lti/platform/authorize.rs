//! The OIDC authorization endpoint of LTI launches (LTI 1.3 Core §5.1.1.2; 1EdTech Security
//! Framework 1.1 §5.1.1.3–5.1.1.5; OIDC Core §3.1.2.1 as profiled: `id_token`, `form_post`,
//! `prompt=none`).
//!
//! The order matters. Until `client_id` names a registered tool and `redirect_uri` is exactly
//! one it registered, nothing may go back to the browser's claimed destination: those refusals
//! are 400 pages, never redirects (OIDC Core §3.1.2.6, RFC 6749 §4.1.2.1). After that, every
//! refusal is an OIDC error form-posted to the registered `redirect_uri` with the `state`, as
//! the response mode says (OAuth 2.0 Form Post Response Mode §2).

use std::collections::HashMap;

use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use crate::lti::auto_submit_form;

use super::error::{OidcError, PlatformError};
use super::lti_platform::LtiPlatform;

/// Reads a query or form body; a repeated parameter is ambiguous and refused.
pub(crate) fn form_params(bytes: &[u8]) -> Result<HashMap<String, String>, PlatformError> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_bytes(bytes).map_err(|_| PlatformError::MalformedRequest)?;
    let mut map = HashMap::new();
    for (k, v) in pairs {
        if map.insert(k, v).is_some() {
            return Err(PlatformError::MalformedRequest);
        }
    }
    Ok(map)
}

/// Where an OIDC error or the `id_token` goes: the registered redirect URI, with the `state`.
struct Reply<'r> {
    redirect_uri: &'r str,
    state: Option<&'r str>,
}

impl Reply<'_> {
    fn error(&self, error: OidcError) -> Response {
        tracing::info!(
            error = error.code,
            reason = error.description,
            "LTI authentication request refused"
        );
        let mut fields = vec![
            ("error", error.code),
            ("error_description", error.description),
        ];
        if let Some(state) = self.state {
            fields.push(("state", state));
        }
        auto_submit_form("Returning to the tool", self.redirect_uri, &fields)
    }

    fn id_token(&self, id_token: &str) -> Response {
        let mut fields = vec![("id_token", id_token)];
        if let Some(state) = self.state {
            fields.push(("state", state));
        }
        auto_submit_form("Launching the tool", self.redirect_uri, &fields)
    }
}

impl LtiPlatform {
    /// Answers an authentication request (query of a GET or form of a POST) from a browser
    /// with these `headers` (its platform session).
    pub(crate) async fn authorize(
        &self,
        params: Result<HashMap<String, String>, PlatformError>,
        headers: &HeaderMap,
    ) -> Response {
        let params = match params {
            Ok(p) => p,
            Err(e) => return e.into_response(),
        };
        let get = |k: &str| params.get(k).map(String::as_str).filter(|v| !v.is_empty());
        // 1. The tool, then its redirect URI: refusals here are pages (never redirects).
        let Some(client_id) = get("client_id") else {
            return PlatformError::MissingParameter("client_id").into_response();
        };
        let tool = match self.tool(client_id).await {
            Ok(Some(tool)) => tool,
            Ok(None) => return PlatformError::UnknownClient.into_response(),
            Err(e) => return PlatformError::Store(e).into_response(),
        };
        let Some(redirect_uri) = get("redirect_uri") else {
            return PlatformError::MissingParameter("redirect_uri").into_response();
        };
        if !tool.redirect_uris.iter().any(|u| u == redirect_uri) {
            return PlatformError::UnregisteredRedirectUri.into_response();
        }
        let reply = Reply {
            redirect_uri,
            state: get("state"),
        };
        // 2. The request's form (SF 1.1 §5.1.1.3).
        if !get("scope").is_some_and(|s| s.split(' ').any(|s| s == "openid")) {
            return reply.error(OidcError {
                code: "invalid_scope",
                description: "scope must contain openid",
            });
        }
        if get("response_type") != Some("id_token") {
            return reply.error(OidcError {
                code: "unsupported_response_type",
                description: "response_type must be id_token",
            });
        }
        if get("response_mode") != Some("form_post") {
            return reply.error(OidcError::invalid_request(
                "response_mode must be form_post",
            ));
        }
        if get("prompt") != Some("none") {
            return reply.error(OidcError::invalid_request("prompt must be none"));
        }
        let Some(nonce) = get("nonce") else {
            return reply.error(OidcError::invalid_request("nonce is required"));
        };
        let Some(login_hint) = get("login_hint") else {
            return reply.error(OidcError::invalid_request("login_hint is required"));
        };
        // 3. The user: signed in here, and the one the launch was started for (SF 1.1
        // §5.1.1.4; with prompt=none nobody can be asked to sign in: login_required).
        let Some(user) = self.sessions.signed_in_user(headers).await else {
            return reply.error(OidcError::login_required(
                "no user is signed in to the platform",
            ));
        };
        if user != login_hint {
            return reply.error(OidcError::login_required(
                "login_hint is not the user signed in to the platform",
            ));
        }
        // 4. The launch behind the message hint: this user's, for this tool, not expired.
        let Some(hint) = get("lti_message_hint") else {
            return reply.error(OidcError::invalid_request("lti_message_hint is required"));
        };
        let launch = match self.launches.get(hint, self.now()) {
            Some(l) if l.client_id == tool.client_id && l.spec.user_id == user => l,
            _ => {
                return reply.error(OidcError::invalid_request(
                    "lti_message_hint is unknown, expired, or not this user's launch of this tool",
                ));
            }
        };
        match self.issue_id_token(&tool, &launch, nonce) {
            Ok(id_token) => reply.id_token(&id_token),
            Err(e) => e.into_response(),
        }
    }
}
