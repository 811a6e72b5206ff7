//! The launch store's contract, for the in-memory and the SQLite store alike: a pending login
//! is taken once and only before it expires (LTI-01, LTI-02), a nonce is spent once and stays
//! spent until the token that carried it expires (LTI-01), and SQLite keeps both across a
//! restart.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use ims_runtime::lti::*;

fn login(state: &str, expires_at: i64) -> PendingLogin {
    PendingLogin {
        state: state.into(),
        nonce: format!("nonce-of-{state}"),
        issuer: "https://platform.example.edu".into(),
        client_id: "c".into(),
        target_link_uri: "https://tool.example.edu/launch".into(),
        binding: BrowserBinding::Cookie {
            value_sha256: "ab".repeat(32),
        },
        expires_at,
    }
}

async fn contract(store: &dyn LaunchStore) {
    let now = 1_000;
    store.put_login(login("s1", now + 300), now).await.unwrap();
    assert!(matches!(
        store.put_login(login("s1", now + 300), now).await,
        Err(LaunchStoreError::DuplicateState)
    ));
    assert_eq!(
        store.take_login("s1", now + 10).await.unwrap(),
        Some(login("s1", now + 300))
    );
    assert_eq!(
        store.take_login("s1", now + 10).await.unwrap(),
        None,
        "single use"
    );
    assert_eq!(store.take_login("unknown", now).await.unwrap(), None);
    store.put_login(login("s2", now + 300), now).await.unwrap();
    assert_eq!(
        store.take_login("s2", now + 300).await.unwrap(),
        None,
        "expired"
    );
    // An expired pending login's state may be reused.
    store
        .put_login(login("s2", now + 900), now + 600)
        .await
        .unwrap();

    // A nonce is spent once, and stays spent past the login lifetime until `until`.
    assert!(store.spend_nonce("n1", now + 330, now).await.unwrap());
    assert!(!store.spend_nonce("n1", now + 330, now + 1).await.unwrap());
    assert!(!store.spend_nonce("n1", now + 330, now + 329).await.unwrap());
    assert!(
        store.spend_nonce("n1", now + 990, now + 330).await.unwrap(),
        "after until"
    );
    assert!(store.spend_nonce("n2", now + 330, now).await.unwrap());
}

#[tokio::test]
async fn lti_01_memory_launch_store_meets_the_contract() {
    contract(&MemoryLaunchStore::new()).await;
}

#[tokio::test]
async fn lti_01_sqlite_launch_store_meets_the_contract_and_survives_a_restart() {
    contract(&SqliteLaunchStore::open_in_memory().unwrap()).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lti.sqlite");
    {
        let store = SqliteLaunchStore::open(&path).unwrap();
        store.put_login(login("s1", 2_000), 1_000).await.unwrap();
        assert!(store.spend_nonce("n1", 2_000, 1_000).await.unwrap());
    }
    let store = SqliteLaunchStore::open(&path).unwrap();
    assert!(!store.spend_nonce("n1", 2_000, 1_001).await.unwrap());
    assert_eq!(
        store.take_login("s1", 1_001).await.unwrap(),
        Some(login("s1", 2_000))
    );
}

#[tokio::test]
async fn lti_01_concurrent_launches_with_one_state_or_nonce_succeed_once() {
    let stores: Vec<Arc<dyn LaunchStore>> = vec![
        Arc::new(MemoryLaunchStore::new()),
        Arc::new(SqliteLaunchStore::open_in_memory().unwrap()),
    ];
    for store in stores {
        store.put_login(login("race", 5_000), 1_000).await.unwrap();
        let mut tasks = Vec::new();
        for _ in 0..16 {
            let store = Arc::clone(&store);
            tasks.push(tokio::spawn(async move {
                let took = store.take_login("race", 1_001).await.unwrap().is_some();
                let spent = store.spend_nonce("race-nonce", 5_000, 1_001).await.unwrap();
                (took, spent)
            }));
        }
        let mut took = 0;
        let mut spent = 0;
        for t in tasks {
            let (a, b) = t.await.unwrap();
            took += usize::from(a);
            spent += usize::from(b);
        }
        assert_eq!((took, spent), (1, 1));
    }
}

#[tokio::test]
async fn the_http_launch_works_on_the_sqlite_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteLaunchStore::open(&dir.path().join("lti.sqlite")).unwrap());
    let h = crate::lti_support::Harness::start_with(crate::lti_support::Options {
        store,
        ..Default::default()
    })
    .await;
    let login = h.login(crate::lti_support::RESOURCE_TARGET).await;
    let token = h.sign(&h.resource_link_claims(&login));
    assert_eq!(h.post_launch(&login, &token, true).await.status(), 200);
    assert_eq!(h.post_launch(&login, &token, true).await.status(), 401);
}
