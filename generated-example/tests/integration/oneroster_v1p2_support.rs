//! What the OneRoster 1.2 Gradebook and Resources served-and-called tests share: the embedded
//! authorization server issuing client-credentials clients, a generated router mounted behind
//! it over loopback TLS, and plain requests with a bearer token for what the typed client does
//! not show (status codes, 403 on a wrong scope).

// In a test a failed expectation is a failed test, not a crash reachable from input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use ims_runtime::authorization_server::{AuthorizationServer, NewClient, SqliteStore};
use ims_runtime::client::{
    ClientAuth, ClientCredentialsSource, ClientSecret, HttpPolicy, TokenSource, TokenSourceOptions,
};
use ims_runtime::discovery::Deployment;
use ims_runtime::resource_server::AuthLayer;
use ims_runtime::server::ServiceRouter;
use ims_runtime::tls::testing::TestServer;

/// The issuer the embedded server signs with; clients reach it at the test server's address.
const ISSUER: &str = "https://127.0.0.1";

/// The public origin the served discovery document names (the test server's port is only
/// known once it listens, and discovery only rewrites URLs, so a fixed one does).
pub const PUBLIC_ORIGIN: &str = "https://127.0.0.1:1";

/// A generated service served behind the embedded authorization server.
pub struct Served {
    pub srv: TestServer,
    authz: AuthorizationServer,
    _dir: tempfile::TempDir,
}

impl Served {
    /// Serves `api` (a generated `server::router(..)` mounted at `base_path`) with bearer checks
    /// by the embedded server's own keys and its discovery document naming `PUBLIC_ORIGIN`; the
    /// authorization server knows `all_scopes`.
    pub async fn start(api: ServiceRouter, base_path: &str, all_scopes: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(SqliteStore::open(&dir.path().join("authz.sqlite")).unwrap());
        let authz = AuthorizationServer::builder(ISSUER.to_owned(), store)
            .scopes(all_scopes.iter().copied())
            .dynamic_registration(false)
            .build()
            .await
            .unwrap();
        let verifier = authz.local_verifier().unwrap();
        let url = |path: &str| url::Url::parse(&format!("{PUBLIC_ORIGIN}{path}")).unwrap();
        let deployment = Deployment::new(url(base_path)).with_token_url(url("/token"));
        let api = api
            .with_auth(AuthLayer::new(Arc::new(verifier), "oneroster"))
            .with_discovery(&deployment)
            .unwrap()
            .into_router();
        let srv = TestServer::start(authz.router().merge(api)).await.unwrap();
        Served {
            srv,
            authz,
            _dir: dir,
        }
    }

    /// A token source for a new client-credentials client allowed `granted`.
    pub async fn source(&self, granted: &[&str]) -> Arc<ClientCredentialsSource> {
        let issued = self
            .authz
            .create_client(NewClient::client_credentials(granted.iter().copied()))
            .await
            .unwrap();
        Arc::new(
            ClientCredentialsSource::new(
                &self.srv.url("/token"),
                issued.client_id,
                ClientAuth::ClientSecretBasic(ClientSecret::new(issued.client_secret.unwrap())),
                TokenSourceOptions {
                    http: self.policy(),
                    ..TokenSourceOptions::default()
                },
            )
            .unwrap(),
        )
    }

    /// The HTTP policy that trusts the test server's certificate.
    pub fn policy(&self) -> HttpPolicy {
        HttpPolicy::default().with_ca_pem(self.srv.ca_pem().to_vec())
    }

    /// An `Authorization` header value for a token with `scopes` from a client allowed them.
    pub async fn bearer(&self, scopes: &[&str]) -> String {
        let source = self.source(scopes).await;
        let token = source.token(scopes).await.unwrap();
        format!("Bearer {}", token.secret())
    }

    /// The absolute URL of `path` under the service's base path.
    pub fn url(&self, base_path: &str, path: &str) -> String {
        self.srv.url(&format!("{base_path}{path}"))
    }
}
