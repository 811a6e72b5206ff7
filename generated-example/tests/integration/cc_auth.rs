//! The embedded authorization server as the served-and-called tests use it: client-credentials
//! tokens for the scopes a test names, and a token source for a client granted some of them.
//! One harness for every spec model's test (Open Badges/CLR hosts, CAT, LTI AGS and NRPS).
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use ims_runtime::authorization_server::{AuthorizationServer, NewClient, SqliteStore};
use ims_runtime::client::{
    ClientAuth, ClientCredentialsSource, ClientSecret, HttpPolicy, TokenSourceOptions,
};
use ims_runtime::tls::testing::TestServer;

/// The issuer the embedded server signs with; clients reach it at the test server's address.
pub(super) const ISSUER: &str = "https://127.0.0.1";

/// The embedded authorization server on a SQLite file of its own.
pub(super) struct Auth {
    pub(super) authz: AuthorizationServer,
    _dir: tempfile::TempDir,
}

impl Auth {
    /// A server knowing `all_scopes`; clients are created by the test, never registered.
    pub(super) async fn start(all_scopes: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(SqliteStore::open(&dir.path().join("authz.sqlite")).unwrap());
        let authz = AuthorizationServer::builder(ISSUER.to_owned(), store)
            .scopes(all_scopes.iter().copied())
            .dynamic_registration(false)
            .build()
            .await
            .unwrap();
        Auth { authz, _dir: dir }
    }

    /// A token source for a new client granted exactly `granted`, trusting `server`'s CA.
    pub(super) async fn source(
        &self,
        server: &TestServer,
        granted: &[&str],
    ) -> Arc<ClientCredentialsSource> {
        let issued = self
            .authz
            .create_client(NewClient::client_credentials(granted.iter().copied()))
            .await
            .unwrap();
        Arc::new(
            ClientCredentialsSource::new(
                &server.url("/token"),
                issued.client_id,
                ClientAuth::ClientSecretBasic(ClientSecret::new(issued.client_secret.unwrap())),
                TokenSourceOptions {
                    http: HttpPolicy::default().with_ca_pem(server.ca_pem().to_vec()),
                    ..TokenSourceOptions::default()
                },
            )
            .unwrap(),
        )
    }
}
