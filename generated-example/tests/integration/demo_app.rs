//! The demo started in-process over real TLS: `clients.json`, `ca.pem`, the authorization
//! server metadata, a protected collection, the generated client, and restarts on the same data
//! directory.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use ims_generated_example::demo::{ClientKind, Clients, Demo, DemoConfig, RunningDemo};
use ims_generated_example::oneroster_v1p2_rostering::{BASE_PATH, DISCOVERY_PATH, scopes};
use ims_runtime::client::TokenSource;
use ims_runtime::tls::client_config;
use ims_runtime::tls::dev::DevPem;
use serde_json::Value;

const USERS: &str = "/ims/oneroster/rostering/v1p2/users";

async fn start(dir: &Path, addr: &str) -> RunningDemo {
    Demo::start(DemoConfig {
        addr: addr.parse().unwrap(),
        data_dir: dir.to_path_buf(),
    })
    .await
    .unwrap()
}

fn https(ca_pem: &[u8]) -> reqwest::Client {
    reqwest::Client::builder()
        .tls_backend_preconfigured(client_config(Some(ca_pem)).unwrap())
        .https_only(true)
        .build()
        .unwrap()
}

async fn token(demo: &RunningDemo, kind: ClientKind) -> String {
    demo.token_source(kind)
        .unwrap()
        .token(&[scopes::ROSTER_CORE_READONLY])
        .await
        .unwrap()
        .secret()
        .to_owned()
}

async fn get_users(demo: &RunningDemo, bearer: Option<&str>) -> reqwest::Response {
    let mut req = https(&demo.ca_pem).get(demo.url(&format!("{USERS}?limit=5")));
    if let Some(t) = bearer {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn serves_metadata_and_users_with_the_clients_it_writes() {
    let dir = tempfile::tempdir().unwrap();
    let demo = start(dir.path(), "127.0.0.1:0").await;

    // clients.json: exactly two confidential clients with full scope URIs.
    let file: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("clients.json")).unwrap()).unwrap();
    let obj = file.as_object().unwrap();
    assert_eq!(obj.keys().collect::<Vec<_>>(), ["full", "core"]);
    for (name, expected) in [
        (
            "full",
            vec![
                scopes::ROSTER_CORE_READONLY,
                scopes::ROSTER_READONLY,
                scopes::ROSTER_DEMOGRAPHICS_READONLY,
            ],
        ),
        ("core", vec![scopes::ROSTER_CORE_READONLY]),
    ] {
        let c = obj[name].as_object().unwrap();
        assert_eq!(
            c.keys().collect::<Vec<_>>(),
            ["client_id", "client_secret", "scopes"]
        );
        assert!(!c["client_id"].as_str().unwrap().is_empty());
        assert!(c["client_secret"].as_str().unwrap().len() >= 20);
        let got: Vec<&str> = c["scopes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        assert_eq!(got, expected);
    }
    assert_eq!(Clients::load(dir.path()).unwrap(), demo.clients);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("clients.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "clients.json is private");
    }

    // ca.pem is the CA of the served certificate; another CA is refused.
    let ca = std::fs::read(dir.path().join("ca.pem")).unwrap();
    assert_eq!(ca, demo.ca_pem);
    let meta = https(&ca)
        .get(demo.url("/.well-known/oauth-authorization-server"))
        .send()
        .await
        .unwrap();
    assert_eq!(meta.status(), 200);
    let meta: Value = meta.json().await.unwrap();
    assert_eq!(meta["issuer"], demo.base_url.as_str());
    assert_eq!(meta["token_endpoint"], demo.token_url().as_str());
    let stranger = DevPem::generate(&["127.0.0.1"]).unwrap();
    assert!(
        https(stranger.ca_cert.as_bytes())
            .get(demo.url("/.well-known/oauth-authorization-server"))
            .send()
            .await
            .is_err()
    );

    // The discovery document: unauthenticated, rewritten to this deployment.
    let path = DISCOVERY_PATH.unwrap();
    let sdd = https(&ca)
        .get(demo.url(&format!("{BASE_PATH}{path}")))
        .send()
        .await
        .unwrap();
    assert_eq!(sdd.status(), 200);
    let sdd: Value = sdd.json().await.unwrap();
    assert_eq!(sdd["servers"][0]["url"], demo.service_url().as_str());
    assert_eq!(
        sdd["components"]["securitySchemes"]["OAuth2CC"]["flows"]["clientCredentials"]["tokenUrl"],
        demo.token_url().as_str()
    );

    // The service: no token → 401; the full client's token → 200 with every user counted.
    assert_eq!(get_users(&demo, None).await.status(), 401);
    let full = token(&demo, ClientKind::Full).await;
    let ok = get_users(&demo, Some(&full)).await;
    assert_eq!(ok.status(), 200);
    assert_eq!(
        ok.headers()["x-total-count"].to_str().unwrap(),
        demo.seed().users.len().to_string()
    );
    let body: Value = ok.json().await.unwrap();
    assert_eq!(body["users"].as_array().unwrap().len(), 5);

    // The generated client, as `core`, on a core endpoint.
    let student = &demo.seed().ids.student;
    let one = demo
        .client(ClientKind::Core)
        .unwrap()
        .get_user(student, None)
        .await
        .unwrap();
    assert_eq!(&one.user.sourced_id, student);

    demo.shutdown().await.unwrap();
}

#[tokio::test]
async fn restart_reuses_clients_certificates_and_keys() {
    let dir = tempfile::tempdir().unwrap();
    let first = start(dir.path(), "127.0.0.1:0").await;
    let addr = first.addr.to_string();
    let clients = first.clients.clone();
    let ca = first.ca_pem.clone();
    let old_token = token(&first, ClientKind::Full).await;
    first.shutdown().await.unwrap();

    // Same directory, same address: everything carries over, old tokens included.
    let second = start(dir.path(), &addr).await;
    assert_eq!(second.clients, clients);
    assert_eq!(second.ca_pem, ca);
    assert_eq!(get_users(&second, Some(&old_token)).await.status(), 200);
    let fresh = token(&second, ClientKind::Core).await;
    assert_eq!(get_users(&second, Some(&fresh)).await.status(), 200);
    second.shutdown().await.unwrap();

    // A client whose secret no longer authenticates is replaced; the other one is kept.
    let mut edited = clients.clone();
    edited.core.client_secret = "not-the-secret".into();
    std::fs::write(
        dir.path().join("clients.json"),
        serde_json::to_vec(&edited).unwrap(),
    )
    .unwrap();
    let third = start(dir.path(), &addr).await;
    assert_eq!(third.clients.full, clients.full);
    assert_ne!(third.clients.core.client_id, clients.core.client_id);
    assert_eq!(Clients::load(dir.path()).unwrap(), third.clients);
    let core = token(&third, ClientKind::Core).await;
    assert_eq!(get_users(&third, Some(&core)).await.status(), 200);
    third.shutdown().await.unwrap();

    // An unreadable clients.json is replaced as a whole.
    std::fs::write(dir.path().join("clients.json"), b"{not json").unwrap();
    let fourth = start(dir.path(), &addr).await;
    assert_ne!(fourth.clients.full.client_id, clients.full.client_id);
    assert_eq!(Clients::load(dir.path()).unwrap(), fourth.clients);
    fourth.shutdown().await.unwrap();
}
