//! The first hour with ims-codegen (README.md, "The first hour"): implement two operations of
//! OneRoster 1.2 Rostering, serve them over TLS behind the embedded authorization server, and call
//! them with the generated client. Run with `cargo run` in this folder; it exits non-zero if any
//! step does not answer as the README says.

use std::sync::Arc;

use ims_runtime::authorization_server::{AuthorizationServer, NewClient, SqliteStore};
use ims_runtime::client::{
    ApiClient, ClientAuth, ClientCredentialsSource, ClientSecret, ListQuery, TokenSourceOptions,
};
use ims_runtime::discovery::Deployment;
use ims_runtime::futures_util::TryStreamExt;
use ims_runtime::imsx::ImsError;
use ims_runtime::query::CollectionQuery;
use ims_runtime::resource_server::AuthLayer;
use ims_runtime::server::{Listed, RequestContext, select};
use ims_runtime::tls::dev::DevPem;
use ims_runtime::tls::serve_tls;
use ims_runtime::url::Url;

/// The bindings build.rs generated into OUT_DIR.
mod oneroster {
    ims_runtime::include_spec!("oneroster_v1p2_rostering");
}

use oneroster::client::RosteringClient;
use oneroster::models::{SingleUserDType, UserDType, UserSetDType};
use oneroster::scopes::ROSTER_CORE_READONLY;
use oneroster::server::{RosteringService, router};
use oneroster::{BASE_PATH, operations};

// Step 1: implement two operations. Every other operation keeps the trait's default answer,
// 501 with imsx_codeMajor `unsupported`.
struct Roster {
    users: Vec<UserDType>,
}

impl RosteringService for Roster {
    async fn get_all_users(
        &self,
        _ctx: RequestContext,
        query: CollectionQuery,
    ) -> Result<Listed<UserSetDType>, ImsError> {
        // filter → sort → page over in-memory records; a database would translate `query`.
        let page = select(&self.users, &query);
        Ok(Listed::new(
            UserSetDType {
                users: Some(page.items),
            },
            page.total,
        ))
    }

    async fn get_user(
        &self,
        _ctx: RequestContext,
        sourced_id: String,
    ) -> Result<SingleUserDType, ImsError> {
        let user = self.users.iter().find(|u| u.sourced_id == sourced_id);
        let user = user.ok_or_else(|| ImsError::unknown_object(format!("no user {sourced_id}")))?;
        Ok(SingleUserDType { user: user.clone() })
    }
}

// Step 2: run it: the embedded authorization server and the generated router, over TLS.
async fn serve(
    roster: Roster,
) -> Result<(String, AuthorizationServer, DevPem), Box<dyn std::error::Error>> {
    let listener = ims_runtime::tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let origin = format!("https://{}", listener.local_addr()?);
    let pem = DevPem::generate(&["127.0.0.1"])?; // a throwaway CA and server certificate
    let store = Arc::new(SqliteStore::in_memory()?); // SqliteStore::open(path) keeps state
    let authz = AuthorizationServer::builder(origin.clone(), store)
        .scopes(oneroster::scopes::CATALOGUE.iter().map(|s| s.uri))
        .build()
        .await?;
    let verifier = Arc::new(authz.local_verifier()?);
    let service = Url::parse(&format!("{origin}{BASE_PATH}"))?;
    let deployment =
        Deployment::new(service).with_token_url(Url::parse(&format!("{origin}/token"))?);
    let api = router(roster)
        .implemented_only(&[&operations::GET_ALL_USERS, &operations::GET_USER]) // optional
        .with_auth(AuthLayer::new(verifier, "oneroster")) // 401/403 before your code runs
        .with_discovery(&deployment)? // the SDD at BASE_PATH/discovery, lists these two only
        .into_router();
    let app = authz.router().merge(api);
    let tls = pem.tls_config()?;
    ims_runtime::tokio::spawn(serve_tls(listener, app, tls, std::future::pending()));
    Ok((origin, authz, pem))
}

// Step 3: call it with the generated client and a client-credentials token.
async fn call(
    origin: &str,
    authz: &AuthorizationServer,
    pem: &DevPem,
) -> Result<(), Box<dyn std::error::Error>> {
    let registered = authz
        .create_client(NewClient::client_credentials([ROSTER_CORE_READONLY]))
        .await?;
    let secret = registered
        .client_secret
        .ok_or("a confidential client has a secret")?;
    let https = ApiClient::default_policy().with_ca_pem(pem.ca_cert.as_bytes().to_vec());
    let tokens = ClientCredentialsSource::new(
        &format!("{origin}/token"),
        registered.client_id,
        ClientAuth::ClientSecretBasic(ClientSecret::new(secret)),
        TokenSourceOptions {
            http: https.clone(),
            ..TokenSourceOptions::default()
        },
    )?;
    let client = RosteringClient::with_policy(origin, Arc::new(tokens), https)?;

    let smiths: Vec<UserDType> = client
        .get_all_users_stream(ListQuery::new().filter("familyName='Smith'").limit(1))
        .try_collect()
        .await?;
    let names: Vec<&str> = smiths.iter().map(|u| u.given_name.as_str()).collect();
    println!("Smiths, one per page: {names:?}");
    if names != ["Ada", "Cy"] {
        return Err(format!("expected Ada and Cy, got {names:?}").into());
    }

    let ada = client.get_user("u-1", None).await?.user;
    println!("u-1 is {} {}", ada.given_name, ada.family_name);
    let missing = client.get_user("u-9", None).await.err();
    if missing.as_ref().and_then(|e| e.status()) != Some(404) {
        return Err(format!("u-9 should be 404 unknownobject: {missing:?}").into());
    }

    match client.get_all_classes(ListQuery::new()).await {
        Err(e) if e.is_unsupported() => println!("getAllClasses: {e}"),
        other => return Err(format!("getAllClasses should be unsupported: {other:?}").into()),
    }
    Ok(())
}

#[ims_runtime::tokio::main(crate = "ims_runtime::tokio")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let users = ims_runtime::serde_json::from_str(include_str!("../users.json"))?;
    let (origin, authz, pem) = serve(Roster { users }).await?;
    call(&origin, &authz, &pem).await
}
