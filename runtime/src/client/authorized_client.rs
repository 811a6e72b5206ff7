//! [`AuthorizedClient`]: calls a protected API with tokens from a [`TokenSource`].

use std::sync::Arc;

use super::ClientError;
use super::http::HttpPolicy;
use super::token::TokenSource;

/// Sends requests with `Authorization: Bearer …` from a token source.
///
/// On a 401 the token is invalidated and the request retried once with a fresh token (CL-08);
/// a 403 `insufficient_scope` is returned as is (no loop). https only (loopback http only when
/// the policy allows it), no redirects, timeouts from the policy.
pub struct AuthorizedClient {
    http: reqwest::Client,
    policy: HttpPolicy,
    source: Arc<dyn TokenSource>,
}

impl std::fmt::Debug for AuthorizedClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthorizedClient")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl AuthorizedClient {
    /// A client using `source` for tokens and `policy` for transport.
    pub fn new(source: Arc<dyn TokenSource>, policy: HttpPolicy) -> Result<Self, ClientError> {
        Ok(Self {
            http: policy.build_client()?,
            policy,
            source,
        })
    }

    /// The underlying reqwest client (to build requests).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Sends `request` with a token for `scopes`, retrying once on 401.
    pub async fn execute(
        &self,
        request: reqwest::Request,
        scopes: &[&str],
    ) -> Result<reqwest::Response, ClientError> {
        self.execute_classified(request, Some(scopes))
            .await
            .map_err(SendError::into_client_error)
    }

    /// The token source (the API client picks scope alternatives with it).
    pub(crate) fn source(&self) -> &Arc<dyn TokenSource> {
        &self.source
    }

    /// [`Self::execute`], keeping apart failures to connect (safe to retry: nothing reached the
    /// server) from everything else. `scopes: None` sends no token (public operations).
    pub(crate) async fn execute_classified(
        &self,
        request: reqwest::Request,
        scopes: Option<&[&str]>,
    ) -> Result<reqwest::Response, SendError> {
        self.policy
            .check_url(request.url().as_str())
            .map_err(SendError::Other)?;
        let Some(scopes) = scopes else {
            return self.send_raw(request).await;
        };
        let retry = request.try_clone();
        let token = self.source.token(scopes).await.map_err(SendError::Other)?;
        let response = self.send_with(request, &token).await?;
        if response.status() != reqwest::StatusCode::UNAUTHORIZED {
            return Ok(response);
        }
        let Some(retry) = retry else {
            return Ok(response); // A streaming body cannot be replayed.
        };
        self.source.invalidate(scopes, &token);
        let token = self.source.token(scopes).await.map_err(SendError::Other)?;
        self.send_with(retry, &token).await
    }

    async fn send_with(
        &self,
        mut request: reqwest::Request,
        token: &super::AccessToken,
    ) -> Result<reqwest::Response, SendError> {
        let value = http::HeaderValue::from_str(&token.authorization()).map_err(|_| {
            SendError::Other(ClientError::InvalidResponse(
                "access token is not header-safe".into(),
            ))
        })?;
        request
            .headers_mut()
            .insert(http::header::AUTHORIZATION, value);
        self.send_raw(request).await
    }

    async fn send_raw(&self, request: reqwest::Request) -> Result<reqwest::Response, SendError> {
        self.http.execute(request).await.map_err(|e| {
            if e.is_connect() {
                SendError::Connect(ClientError::from_reqwest(e))
            } else {
                SendError::Other(ClientError::from_reqwest(e))
            }
        })
    }
}

/// Why a request failed before a response arrived.
#[derive(Debug)]
pub(crate) enum SendError {
    /// The connection could not be established: the request never reached the server.
    Connect(ClientError),
    /// Anything else (policy, token source, timeouts mid-request, TLS).
    Other(ClientError),
}

impl SendError {
    pub(crate) fn into_client_error(self) -> ClientError {
        match self {
            SendError::Connect(e) | SendError::Other(e) => e,
        }
    }
}
