//! [`ClientError`].

/// Errors from token sources and outgoing calls.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Bad configuration (URL, CA, key), with what to fix.
    #[error("client configuration: {0}")]
    Config(String),
    /// A plain `http://` URL where https is required.
    #[error(
        "refusing plain http URL `{0}`: use https (loopback http only with allow_loopback_http)"
    )]
    InsecureUrl(String),
    /// Network failure or timeout: the URL (without user info) and every cause, outermost first,
    /// e.g. `https://host/users: error sending request: client error (Connect): tcp connect error:
    /// Connection refused (os error 111)`.
    #[error("request failed: {0}")]
    Transport(String),
    /// The response exceeded the size cap.
    #[error("response larger than {0} bytes")]
    ResponseTooLarge(usize),
    /// An unexpected HTTP status (including redirects, which are never followed).
    #[error("unexpected HTTP status {0}")]
    UnexpectedStatus(u16),
    /// The token endpoint answered with an OAuth error.
    #[error("token endpoint error `{error}` (HTTP {status})")]
    TokenEndpoint {
        /// HTTP status.
        status: u16,
        /// The RFC 6749 `error` code (sanitised).
        error: String,
    },
    /// The user has to authorize (again): no tokens are stored, or the refresh token was refused
    /// (`invalid_grant`: revoked, expired or reused) and the tokens were dropped (CL-09).
    #[error("the user must authorize again: {0}")]
    AuthorizationRequired(String),
    /// A response that violates the protocol (missing `access_token`, wrong `token_type`, …).
    #[error("invalid response: {0}")]
    InvalidResponse(String),
}

impl ClientError {
    pub(crate) fn from_reqwest(e: reqwest::Error) -> Self {
        // reqwest's own text is only "error sending request": the cause (refused, DNS, TLS,
        // timeout) is in its source chain, and the URL says which call. Secrets travel in headers
        // and bodies, never in the URL; user info is dropped all the same.
        let url = e.url().map(display_url);
        let mut text = url.map(|u| format!("{u}: ")).unwrap_or_default();
        text.push_str(&error_chain(&e.without_url()));
        ClientError::Transport(text)
    }
}

/// `url` without user info and fragment.
fn display_url(url: &url::Url) -> String {
    let mut url = url.clone();
    // Both only fail for URLs that cannot have user info (e.g. `data:`), which then have none.
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.set_fragment(None);
    url.to_string()
}

/// The error's text followed by each of its causes, joined with `: `; a cause whose text its
/// parent already contains is left out, so nothing is said twice.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(cause) = source {
        let said = cause.to_string();
        if !parts.last().is_some_and(|last| last.contains(&said)) {
            parts.push(said);
        }
        source = cause.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The demo client once said only "request failed: error sending request".
    #[tokio::test]
    async fn transport_error_names_the_url_and_the_cause() {
        // A port that was just free: nothing listens there, so the connection is refused.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or(9);
        let url = format!("http://user:pw@127.0.0.1:{port}/ims/users?limit=1");
        let Err(e) = reqwest::Client::new().get(&url).send().await else {
            panic!("nothing listens on {port}");
        };
        let text = ClientError::from_reqwest(e).to_string();
        assert!(
            text.starts_with(&format!(
                "request failed: http://127.0.0.1:{port}/ims/users?limit=1: error sending request"
            )),
            "{text}"
        );
        assert!(text.contains("Connection refused"), "{text}");
        assert!(!text.contains("pw"), "{text}");
    }
}
