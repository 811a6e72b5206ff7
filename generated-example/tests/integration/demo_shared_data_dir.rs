//! Several instances on one data directory, in-process: started at the same moment they set up
//! one CA, one certificate and one `clients.json` (one waits for the other's setup lock and
//! reuses what it wrote); `--public-url` is the issuer and the base of every published URL, and
//! the certificate covers its host.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use ims_generated_example::demo::{
    ClientKind, Clients, Demo, DemoConfig, DemoOptions, PublicUrl, RunningDemo,
};
use ims_generated_example::oneroster_v1p2_rostering::{BASE_PATH, DISCOVERY_PATH, scopes};
use ims_runtime::client::TokenSource;
use ims_runtime::tls::client_config;
use serde_json::Value;

const USERS: &str = "/ims/oneroster/rostering/v1p2/users?limit=1";

async fn start(dir: &Path, public_url: Option<&str>) -> RunningDemo {
    Demo::start_with(
        DemoConfig {
            addr: "127.0.0.1:0".parse().unwrap(),
            data_dir: dir.to_path_buf(),
        },
        DemoOptions {
            database: None,
            public_url: public_url.map(|u| PublicUrl::parse(u).unwrap()),
        },
    )
    .await
    .unwrap()
}

fn https(ca_pem: &[u8]) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .tls_backend_preconfigured(client_config(Some(ca_pem)).unwrap())
        .https_only(true)
}

async fn token(demo: &RunningDemo) -> String {
    demo.token_source(ClientKind::Core)
        .unwrap()
        .token(&[scopes::ROSTER_CORE_READONLY])
        .await
        .unwrap()
        .secret()
        .to_owned()
}

async fn users_status(demo: &RunningDemo, bearer: &str) -> u16 {
    https(&demo.ca_pem)
        .build()
        .unwrap()
        .get(demo.url(USERS))
        .bearer_auth(bearer)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_started_together_share_one_setup() {
    let dir = tempfile::tempdir().unwrap();
    let public = "https://127.0.0.1:9443";
    let (a, b) = tokio::join!(
        start(dir.path(), Some(public)),
        start(dir.path(), Some(public))
    );
    assert_ne!(a.addr, b.addr);
    assert_eq!(a.ca_pem, b.ca_pem);
    assert_eq!(std::fs::read(dir.path().join("ca.pem")).unwrap(), a.ca_pem);
    assert_eq!(a.clients, b.clients);
    assert_eq!(Clients::load(dir.path()).unwrap(), a.clients);

    // One issuer, one store: a token from either is good at both.
    let from_a = token(&a).await;
    let from_b = token(&b).await;
    for demo in [&a, &b] {
        assert_eq!(users_status(demo, &from_a).await, 200);
        assert_eq!(users_status(demo, &from_b).await, 200);
    }

    // A later instance reuses everything; nothing temporary is left behind.
    let c = start(dir.path(), Some(public)).await;
    assert_eq!(c.ca_pem, a.ca_pem);
    assert_eq!(c.clients, a.clients);
    assert_eq!(users_status(&c, &from_a).await, 200);
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with("authz.sqlite"))
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "ca-key.pem",
            "ca.pem",
            "cert.pem",
            "clients.json",
            "key.pem",
            "setup.lock"
        ]
    );
    for demo in [a, b, c] {
        demo.shutdown().await.unwrap();
    }
}

#[tokio::test]
async fn public_url_is_the_issuer_and_the_base_of_published_urls() {
    let dir = tempfile::tempdir().unwrap();
    let public = "https://lb.example.test:9443";
    let demo = start(dir.path(), Some(public)).await;
    assert_eq!(demo.public_url.as_str(), public);
    assert_eq!(demo.authorization_server().issuer(), public);

    // The certificate covers the public host: reach the instance under that name.
    let http = https(&demo.ca_pem)
        .resolve("lb.example.test", demo.addr)
        .build()
        .unwrap();
    let port = demo.addr.port();
    let meta: Value = http
        .get(format!(
            "https://lb.example.test:{port}/.well-known/oauth-authorization-server"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(meta["issuer"], public);
    assert_eq!(meta["token_endpoint"], format!("{public}/token"));
    assert_eq!(meta["jwks_uri"], format!("{public}/jwks.json"));

    let path = DISCOVERY_PATH.unwrap();
    let sdd: Value = http
        .get(format!("https://lb.example.test:{port}{BASE_PATH}{path}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(sdd["servers"][0]["url"], format!("{public}{BASE_PATH}"));
    assert_eq!(
        sdd["components"]["securitySchemes"]["OAuth2CC"]["flows"]["clientCredentials"]["tokenUrl"],
        format!("{public}/token")
    );

    // Tokens carry the public issuer and are accepted.
    let bearer = token(&demo).await;
    assert_eq!(users_status(&demo, &bearer).await, 200);
    demo.shutdown().await.unwrap();
}
