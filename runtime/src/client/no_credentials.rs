//! [`NoCredentials`]: the token source of a client that only calls public operations.

use futures_util::future::BoxFuture;

use super::{AccessToken, ClientError, TokenSource};

/// A [`TokenSource`] that has no credentials: for a generated client of a service whose spec
/// model makes its operations public (e.g. CASE 1.1, `case_v1p1`), where nobody has a client id.
///
/// Public operations never ask for a token, so they work; an operation that needs one fails with
/// [`ClientError::Config`] before any request is sent, naming what to configure instead.
///
/// ```
/// use std::sync::Arc;
/// use ims_runtime::client::{ApiClient, HttpPolicy, NoCredentials};
///
/// let client = ApiClient::new("https://example.org", Arc::new(NoCredentials), HttpPolicy::default());
/// assert!(client.is_ok());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NoCredentials;

impl TokenSource for NoCredentials {
    fn token<'a>(
        &'a self,
        scopes: &'a [&'a str],
    ) -> BoxFuture<'a, Result<AccessToken, ClientError>> {
        let scopes = scopes.join(" ");
        Box::pin(async move {
            Err(ClientError::Config(format!(
                "this operation needs an access token (scopes: `{scopes}`) but the client was built with `NoCredentials`; build it with a token source such as `ClientCredentialsSource`"
            )))
        })
    }

    fn invalidate(&self, _scopes: &[&str], _rejected: &AccessToken) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_token_request_fails_naming_the_fix() {
        let err = NoCredentials
            .token(&["https://purl.example.org/scope/read"])
            .await
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("NoCredentials"), "{err}");
        assert!(err.contains("ClientCredentialsSource"), "{err}");
        assert!(err.contains("scope/read"), "{err}");
    }
}
