//! One conformance suite for every [`Store`]: each case below runs against SQLite
//! (`store_conformance::sqlite::*`) and PostgreSQL (`store_conformance::postgres::*`, a fresh
//! database per test on the server named by `IMS_TEST_POSTGRES_URL`; without it those tests
//! fail and say how to get one). The cases check each trait method's contract and the
//! single-use operations under 32 concurrent callers: exactly one winner, the others the
//! "already used" outcome, never a `StoreError`.
//!
//! The refresh grace rule (see `REFRESH_ROTATION_GRACE`): of concurrent rotations of one token
//! one gets `Rotated` and the others `ConcurrentlyRotated` (the endpoint answers
//! `invalid_grant` and keeps the family); a token that was used longer ago, or revoked, is
//! `Replayed` (the endpoint revokes the family).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use ims_runtime::authorization_server::model::{
    CodeConsumption, CodeRecord, ConsentRecord, PendingAuthorization, RefreshRecord,
    RefreshRotation, RegisteredClient, StoredSigningKey, TokenEndpointAuthMethod,
};
use ims_runtime::authorization_server::{SqliteStore, Store, StoreOptions, open_store};

const TASKS: usize = 32;
const NOW: u64 = 1_900_000_000;
/// Far enough ahead that nothing expires during a test, whatever the clock says.
const LATER: u64 = 4_000_000_000;

mod cases {
    use super::*;

    fn client(id: &str) -> RegisteredClient {
        RegisteredClient {
            client_id: id.into(),
            secret_hash: Some("h".into()),
            client_id_issued_at: NOW,
            client_secret_expires_at: 0,
            auth_method: TokenEndpointAuthMethod::ClientSecretBasic,
            assertion_alg: None,
            jwks: None,
            jwks_uri: None,
            grant_types: vec![],
            redirect_uris: vec!["https://tool.example.edu/cb".into()],
            scopes: vec!["s".into()],
            introspect_any: false,
            metadata: serde_json::Map::new(),
            registration_token_hash: None,
            disabled: false,
        }
    }

    fn code(hash: &str, grant: &str, client_id: &str) -> CodeRecord {
        CodeRecord {
            code_hash: hash.into(),
            grant_id: grant.into(),
            client_id: client_id.into(),
            redirect_uri: "https://tool.example.edu/cb".into(),
            redirect_uri_sent: true,
            code_challenge: "c".into(),
            scope: "s".into(),
            subject: "alice".into(),
            expires_at: LATER,
        }
    }

    fn refresh(hash: &str, grant: &str, client_id: &str) -> RefreshRecord {
        RefreshRecord {
            token_hash: hash.into(),
            grant_id: grant.into(),
            client_id: client_id.into(),
            subject: "alice".into(),
            scope: "s".into(),
            expires_at: LATER,
            used: false,
            revoked: false,
        }
    }

    fn pending(id: &str, expires_at: u64) -> PendingAuthorization {
        PendingAuthorization {
            id_hash: id.into(),
            csrf_hash: "x".into(),
            client_id: "c".into(),
            redirect_uri: "https://tool.example.edu/cb".into(),
            redirect_uri_sent: false,
            state: "st".into(),
            code_challenge: "cc".into(),
            scope: "s".into(),
            expires_at,
        }
    }

    pub async fn clients_are_stored_replaced_found_counted_and_deleted(s: Arc<dyn Store>) {
        assert_eq!(s.get_client("a").await.unwrap(), None);
        assert_eq!(s.count_clients().await.unwrap(), 0);
        let mut a = client("a");
        a.registration_token_hash = Some("rat-1".into());
        a.metadata
            .insert("client_name".into(), serde_json::json!("Tool"));
        s.put_client(a.clone()).await.unwrap();
        s.put_client(client("b")).await.unwrap();
        assert_eq!(s.get_client("a").await.unwrap(), Some(a.clone()));
        assert_eq!(s.count_clients().await.unwrap(), 2);
        assert_eq!(
            s.client_by_registration_token("rat-1").await.unwrap(),
            Some(a.clone())
        );
        // Replacing (a new secret, a rotated registration token) is one record, not two.
        a.secret_hash = Some("h2".into());
        a.registration_token_hash = Some("rat-2".into());
        s.put_client(a.clone()).await.unwrap();
        assert_eq!(s.count_clients().await.unwrap(), 2);
        assert_eq!(s.get_client("a").await.unwrap(), Some(a.clone()));
        assert_eq!(s.client_by_registration_token("rat-1").await.unwrap(), None);
        assert!(s.delete_client("a", NOW).await.unwrap());
        assert!(!s.delete_client("a", NOW).await.unwrap());
        assert_eq!(s.get_client("a").await.unwrap(), None);
        assert_eq!(s.count_clients().await.unwrap(), 1);
    }

    pub async fn deleting_a_client_revokes_its_grants(s: Arc<dyn Store>) {
        s.put_client(client("a")).await.unwrap();
        s.insert_refresh(refresh("rt", "g1", "a")).await.unwrap();
        s.insert_code(code("code", "g2", "a")).await.unwrap();
        assert!(s.record_access_token("g1", "at-1", LATER).await.unwrap());
        assert!(s.record_access_token("g2", "at-2", LATER).await.unwrap());
        assert!(s.delete_client("a", NOW).await.unwrap());
        assert!(s.get_refresh("rt").await.unwrap().unwrap().revoked);
        assert!(s.is_access_token_revoked("at-1").await.unwrap());
        assert!(s.is_access_token_revoked("at-2").await.unwrap());
        // A token issued from the grant afterwards is revoked at once.
        assert!(!s.record_access_token("g2", "at-3", LATER).await.unwrap());
        assert!(s.is_access_token_revoked("at-3").await.unwrap());
    }

    pub async fn a_code_is_consumed_once(s: Arc<dyn Store>) {
        let c = code("code", "g", "a");
        s.insert_code(c.clone()).await.unwrap();
        assert_eq!(
            s.consume_code("code").await.unwrap(),
            CodeConsumption::Consumed(c.clone())
        );
        assert_eq!(
            s.consume_code("code").await.unwrap(),
            CodeConsumption::AlreadyUsed(c)
        );
        assert_eq!(
            s.consume_code("nope").await.unwrap(),
            CodeConsumption::NotFound
        );
    }

    pub async fn concurrent_redemptions_of_one_code_have_one_winner(s: Arc<dyn Store>) {
        s.insert_code(code("code", "g", "a")).await.unwrap();
        let outcomes = concurrently(&s, |s, _| async move { s.consume_code("code").await }).await;
        let consumed = outcomes
            .iter()
            .filter(|o| matches!(o, CodeConsumption::Consumed(_)))
            .count();
        let used = outcomes
            .iter()
            .filter(|o| matches!(o, CodeConsumption::AlreadyUsed(_)))
            .count();
        assert_eq!((consumed, used), (1, TASKS - 1), "{outcomes:?}");
    }

    pub async fn refresh_tokens_rotate_once_and_replays_are_told_apart(s: Arc<dyn Store>) {
        s.insert_refresh(refresh("rt1", "g", "a")).await.unwrap();
        assert_eq!(
            s.get_refresh("rt1").await.unwrap(),
            Some(refresh("rt1", "g", "a"))
        );
        assert_eq!(s.get_refresh("nope").await.unwrap(), None);
        assert_eq!(
            s.rotate_refresh("rt1", refresh("rt2", "g", "a"))
                .await
                .unwrap(),
            RefreshRotation::Rotated
        );
        let old = s.get_refresh("rt1").await.unwrap().unwrap();
        assert!(old.used && !old.revoked);
        assert_eq!(
            s.get_refresh("rt2").await.unwrap(),
            Some(refresh("rt2", "g", "a"))
        );
        // Presented again at once: within the grace window, a concurrent duplicate.
        assert_eq!(
            s.rotate_refresh("rt1", refresh("rt3", "g", "a"))
                .await
                .unwrap(),
            RefreshRotation::ConcurrentlyRotated
        );
        assert_eq!(
            s.get_refresh("rt3").await.unwrap(),
            None,
            "loser stores nothing"
        );
        assert_eq!(
            s.rotate_refresh("nope", refresh("rt4", "g", "a"))
                .await
                .unwrap(),
            RefreshRotation::NotFound
        );
        // Used long ago (no rotation time: stored as used) → a replay.
        let mut stale = refresh("rt-old", "g", "a");
        stale.used = true;
        s.insert_refresh(stale).await.unwrap();
        assert_eq!(
            s.rotate_refresh("rt-old", refresh("rt5", "g", "a"))
                .await
                .unwrap(),
            RefreshRotation::Replayed
        );
        // Revoked → a replay, even right after a rotation.
        s.revoke_grant("g", NOW).await.unwrap();
        assert_eq!(
            s.rotate_refresh("rt1", refresh("rt6", "g", "a"))
                .await
                .unwrap(),
            RefreshRotation::Replayed
        );
        assert_eq!(
            s.rotate_refresh("rt2", refresh("rt7", "g", "a"))
                .await
                .unwrap(),
            RefreshRotation::Replayed
        );
    }

    pub async fn concurrent_rotations_of_one_refresh_token_have_one_winner(s: Arc<dyn Store>) {
        s.insert_refresh(refresh("rt", "g", "a")).await.unwrap();
        let outcomes = concurrently(&s, |s, i| async move {
            s.rotate_refresh("rt", refresh(&format!("new-{i}"), "g", "a"))
                .await
        })
        .await;
        let rotated: Vec<usize> = (0..TASKS)
            .filter(|i| outcomes[*i] == RefreshRotation::Rotated)
            .collect();
        assert_eq!(rotated.len(), 1, "{outcomes:?}");
        let losers = outcomes
            .iter()
            .filter(|o| **o == RefreshRotation::ConcurrentlyRotated)
            .count();
        assert_eq!(losers, TASKS - 1, "losers are not replays: {outcomes:?}");
        let winner = s
            .get_refresh(&format!("new-{}", rotated[0]))
            .await
            .unwrap()
            .unwrap();
        assert!(!winner.used && !winner.revoked, "the family lives on");
        for i in (0..TASKS).filter(|i| *i != rotated[0]) {
            assert_eq!(s.get_refresh(&format!("new-{i}")).await.unwrap(), None);
        }
    }

    pub async fn a_refresh_token_stored_into_a_revoked_grant_is_revoked(s: Arc<dyn Store>) {
        s.revoke_grant("g", NOW).await.unwrap();
        s.insert_refresh(refresh("rt", "g", "a")).await.unwrap();
        assert!(s.get_refresh("rt").await.unwrap().unwrap().revoked);
    }

    pub async fn revoking_a_grant_reaches_its_refresh_and_access_tokens(s: Arc<dyn Store>) {
        s.insert_refresh(refresh("rt", "g", "a")).await.unwrap();
        s.insert_refresh(refresh("other", "g-other", "a"))
            .await
            .unwrap();
        assert!(s.record_access_token("g", "at-1", LATER).await.unwrap());
        assert!(!s.is_access_token_revoked("at-1").await.unwrap());
        s.revoke_grant("g", NOW).await.unwrap();
        s.revoke_grant("g", NOW).await.unwrap(); // idempotent
        assert!(s.get_refresh("rt").await.unwrap().unwrap().revoked);
        assert!(!s.get_refresh("other").await.unwrap().unwrap().revoked);
        assert!(s.is_access_token_revoked("at-1").await.unwrap());
        assert!(!s.record_access_token("g", "at-2", LATER).await.unwrap());
        assert!(s.is_access_token_revoked("at-2").await.unwrap());
    }

    pub async fn tokens_recorded_while_their_grant_is_revoked_end_up_revoked(s: Arc<dyn Store>) {
        // Half the tasks record tokens, one revokes the grant midway: whatever the order, no
        // token of the grant is left unrevoked, and a `true` answer only came before the
        // revocation.
        let revoker = {
            let s = Arc::clone(&s);
            tokio::spawn(async move {
                tokio::task::yield_now().await;
                s.revoke_grant("g", NOW).await
            })
        };
        let recorded = concurrently(&s, |s, i| async move {
            s.record_access_token("g", &format!("at-{i}"), LATER).await
        })
        .await;
        revoker.await.unwrap().unwrap();
        for (i, live) in recorded.iter().enumerate() {
            assert!(
                s.is_access_token_revoked(&format!("at-{i}")).await.unwrap(),
                "at-{i} (recorded live: {live}) survived the revocation"
            );
        }
    }

    pub async fn single_access_tokens_are_revoked(s: Arc<dyn Store>) {
        assert!(!s.is_access_token_revoked("j").await.unwrap());
        s.revoke_access_token("j", LATER).await.unwrap();
        s.revoke_access_token("j", LATER).await.unwrap(); // idempotent
        assert!(s.is_access_token_revoked("j").await.unwrap());
        assert!(!s.is_access_token_revoked("k").await.unwrap());
    }

    pub async fn an_assertion_jti_is_used_once_per_client(s: Arc<dyn Store>) {
        assert!(s.use_jti("c1", "j", LATER).await.unwrap());
        assert!(!s.use_jti("c1", "j", LATER).await.unwrap());
        assert!(s.use_jti("c2", "j", LATER).await.unwrap());
        let firsts =
            concurrently(&s, |s, _| async move { s.use_jti("c3", "j", LATER).await }).await;
        assert_eq!(firsts.iter().filter(|f| **f).count(), 1, "{firsts:?}");
    }

    pub async fn a_pending_authorization_is_taken_once(s: Arc<dyn Store>) {
        s.put_pending(pending("p", LATER)).await.unwrap();
        assert_eq!(
            s.take_pending("p").await.unwrap(),
            Some(pending("p", LATER))
        );
        assert_eq!(s.take_pending("p").await.unwrap(), None);
        s.put_pending(pending("q", LATER)).await.unwrap();
        let taken = concurrently(&s, |s, _| async move { s.take_pending("q").await }).await;
        assert_eq!(taken.iter().filter(|t| t.is_some()).count(), 1);
    }

    pub async fn signing_keys_are_stored_and_replaced(s: Arc<dyn Store>) {
        assert!(s.signing_keys().await.unwrap().is_empty());
        let mut k = StoredSigningKey {
            kid: "k1".into(),
            alg: "ES256".into(),
            pkcs8: vec![1, 2, 3],
            created_at: NOW,
            activated_at: Some(NOW),
            retire_at: None,
        };
        s.put_signing_key(k.clone()).await.unwrap();
        k.retire_at = Some(NOW + 60);
        s.put_signing_key(k.clone()).await.unwrap();
        let mut k2 = k.clone();
        k2.kid = "k2".into();
        k2.retire_at = None;
        s.put_signing_key(k2.clone()).await.unwrap();
        let mut keys = s.signing_keys().await.unwrap();
        keys.sort_by(|a, b| a.kid.cmp(&b.kid));
        assert_eq!(keys, vec![k, k2]);
    }

    pub async fn expired_rows_are_purged_and_live_ones_kept(s: Arc<dyn Store>) {
        let mut old_code = code("old-code", "g", "a");
        old_code.expires_at = NOW - 1;
        s.insert_code(old_code).await.unwrap();
        s.insert_code(code("live-code", "g", "a")).await.unwrap();
        let mut old_rt = refresh("old-rt", "g", "a");
        old_rt.expires_at = NOW - 1;
        s.insert_refresh(old_rt).await.unwrap();
        s.insert_refresh(refresh("live-rt", "g", "a"))
            .await
            .unwrap();
        s.revoke_access_token("old-at", NOW - 1).await.unwrap();
        s.revoke_access_token("live-at", LATER).await.unwrap();
        assert!(s.use_jti("c", "old-j", NOW - 1).await.unwrap());
        assert!(s.use_jti("c", "live-j", LATER).await.unwrap());
        s.put_pending(pending("old-p", NOW - 1)).await.unwrap();
        s.put_pending(pending("live-p", LATER)).await.unwrap();
        s.purge_expired(NOW).await.unwrap();
        assert_eq!(
            s.consume_code("old-code").await.unwrap(),
            CodeConsumption::NotFound
        );
        assert!(matches!(
            s.consume_code("live-code").await.unwrap(),
            CodeConsumption::Consumed(_)
        ));
        assert_eq!(s.get_refresh("old-rt").await.unwrap(), None);
        assert!(s.get_refresh("live-rt").await.unwrap().is_some());
        assert!(!s.is_access_token_revoked("old-at").await.unwrap());
        assert!(s.is_access_token_revoked("live-at").await.unwrap());
        assert!(s.use_jti("c", "old-j", LATER).await.unwrap(), "purged jti");
        assert!(!s.use_jti("c", "live-j", LATER).await.unwrap());
        assert_eq!(s.take_pending("old-p").await.unwrap(), None);
        assert!(s.take_pending("live-p").await.unwrap().is_some());
    }

    fn consent(subject: &str, client_id: &str, scope: &str) -> ConsentRecord {
        ConsentRecord {
            subject: subject.into(),
            client_id: client_id.into(),
            scope: scope.into(),
            granted_at: NOW,
        }
    }

    pub async fn consents_are_remembered_widened_and_listed_per_subject(s: Arc<dyn Store>) {
        assert_eq!(s.get_consent("alice", "a").await.unwrap(), None);
        s.put_consent(consent("alice", "a", "s2 s1")).await.unwrap();
        s.put_consent(consent("alice", "b", "s1")).await.unwrap();
        s.put_consent(consent("bob", "a", "s3")).await.unwrap();
        // A second approval widens: the union, sorted, never a replacement.
        let mut wider = consent("alice", "a", "s3 s1");
        wider.granted_at = NOW + 5;
        s.put_consent(wider).await.unwrap();
        let got = s.get_consent("alice", "a").await.unwrap().unwrap();
        assert_eq!(got.scope, "s1 s2 s3");
        assert_eq!(got.granted_at, NOW + 5);
        let listed = s.consents_of("alice").await.unwrap();
        assert_eq!(
            listed
                .iter()
                .map(|c| (c.client_id.as_str(), c.scope.as_str()))
                .collect::<Vec<_>>(),
            [("a", "s1 s2 s3"), ("b", "s1")]
        );
        assert_eq!(s.consents_of("carol").await.unwrap(), vec![]);
        // Consents outlive every purge: they have no expiry.
        s.purge_expired(LATER + 1).await.unwrap();
        assert!(s.get_consent("bob", "a").await.unwrap().is_some());
    }

    pub async fn concurrent_widenings_of_one_consent_lose_no_scope(s: Arc<dyn Store>) {
        concurrently(&s, |s, i| async move {
            s.put_consent(consent("alice", "a", &format!("s{i:02}")))
                .await
        })
        .await;
        let got = s.get_consent("alice", "a").await.unwrap().unwrap();
        let expected: Vec<String> = (0..TASKS).map(|i| format!("s{i:02}")).collect();
        assert_eq!(got.scope, expected.join(" "));
    }

    pub async fn withdrawing_a_consent_revokes_that_subjects_grants_at_that_client_only(
        s: Arc<dyn Store>,
    ) {
        s.put_consent(consent("alice", "a", "s")).await.unwrap();
        s.put_consent(consent("alice", "b", "s")).await.unwrap();
        s.put_consent(consent("bob", "a", "s")).await.unwrap();
        // alice at a: a refresh family (g1), an unredeemed code (g2) and a code-only grant's
        // access token (g3); alice at b (g4) and bob at a (g5) must survive.
        s.insert_refresh(refresh("rt-1", "g1", "a")).await.unwrap();
        s.insert_code(code("code-2", "g2", "a")).await.unwrap();
        s.insert_code(code("code-3", "g3", "a")).await.unwrap();
        assert!(matches!(
            s.consume_code("code-3").await.unwrap(),
            CodeConsumption::Consumed(_)
        ));
        s.insert_refresh(refresh("rt-4", "g4", "b")).await.unwrap();
        let mut bobs = refresh("rt-5", "g5", "a");
        bobs.subject = "bob".into();
        s.insert_refresh(bobs).await.unwrap();
        let mut bobs_code = code("code-5", "g5", "a");
        bobs_code.subject = "bob".into();
        s.insert_code(bobs_code).await.unwrap();
        for (g, jti) in [
            ("g1", "at-1"),
            ("g3", "at-3"),
            ("g4", "at-4"),
            ("g5", "at-5"),
        ] {
            assert!(s.record_access_token(g, jti, LATER).await.unwrap());
        }

        assert!(s.withdraw_consent("alice", "a", NOW).await.unwrap());

        assert_eq!(s.get_consent("alice", "a").await.unwrap(), None);
        assert!(s.get_refresh("rt-1").await.unwrap().unwrap().revoked);
        assert!(s.is_access_token_revoked("at-1").await.unwrap());
        assert!(s.is_access_token_revoked("at-3").await.unwrap());
        // The unredeemed code's grant is revoked: a token issued from it is born revoked.
        assert!(!s.record_access_token("g2", "at-2", LATER).await.unwrap());
        assert!(s.is_access_token_revoked("at-2").await.unwrap());
        // Others untouched.
        assert!(s.get_consent("alice", "b").await.unwrap().is_some());
        assert!(s.get_consent("bob", "a").await.unwrap().is_some());
        assert!(!s.get_refresh("rt-4").await.unwrap().unwrap().revoked);
        assert!(!s.get_refresh("rt-5").await.unwrap().unwrap().revoked);
        assert!(!s.is_access_token_revoked("at-4").await.unwrap());
        assert!(!s.is_access_token_revoked("at-5").await.unwrap());
        // Nothing left to withdraw: `false`, and still no error.
        assert!(!s.withdraw_consent("alice", "a", NOW).await.unwrap());
        assert!(!s.withdraw_consent("carol", "a", NOW).await.unwrap());
    }

    pub async fn health_answers(s: Arc<dyn Store>) {
        s.health().await.unwrap();
    }

    /// Runs `op` in [`TASKS`] tasks at once (released together) and returns their results in
    /// task order; any `StoreError` fails the test.
    async fn concurrently<T, F, Fut>(s: &Arc<dyn Store>, op: F) -> Vec<T>
    where
        T: Send + 'static,
        F: Fn(Arc<dyn Store>, usize) -> Fut,
        Fut: std::future::Future<Output = Result<T, ims_runtime::authorization_server::StoreError>>
            + Send
            + 'static,
    {
        let start = Arc::new(tokio::sync::Barrier::new(TASKS));
        let tasks: Vec<_> = (0..TASKS)
            .map(|i| {
                let (start, fut) = (Arc::clone(&start), op(Arc::clone(s), i));
                tokio::spawn(async move {
                    start.wait().await;
                    fut.await
                })
            })
            .collect();
        let mut out = Vec::with_capacity(TASKS);
        for t in tasks {
            out.push(
                t.await
                    .unwrap()
                    .expect("a concurrent caller got a StoreError"),
            );
        }
        out
    }
}

/// Instantiates every case for one store kind: `$open` is an async block yielding
/// `(guard, Arc<dyn Store>)`; the guard lives until the case ends.
macro_rules! conformance {
    ($open:expr; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                let (_guard, store) = $open.await;
                super::cases::$case(store).await;
            }
        )*
    };
}

macro_rules! every_case {
    ($open:expr) => {
        conformance!($open;
            clients_are_stored_replaced_found_counted_and_deleted,
            deleting_a_client_revokes_its_grants,
            a_code_is_consumed_once,
            concurrent_redemptions_of_one_code_have_one_winner,
            refresh_tokens_rotate_once_and_replays_are_told_apart,
            concurrent_rotations_of_one_refresh_token_have_one_winner,
            a_refresh_token_stored_into_a_revoked_grant_is_revoked,
            revoking_a_grant_reaches_its_refresh_and_access_tokens,
            tokens_recorded_while_their_grant_is_revoked_end_up_revoked,
            single_access_tokens_are_revoked,
            an_assertion_jti_is_used_once_per_client,
            a_pending_authorization_is_taken_once,
            signing_keys_are_stored_and_replaced,
            expired_rows_are_purged_and_live_ones_kept,
            consents_are_remembered_widened_and_listed_per_subject,
            concurrent_widenings_of_one_consent_lose_no_scope,
            withdrawing_a_consent_revokes_that_subjects_grants_at_that_client_only,
            health_answers,
        );
    };
}

mod sqlite {
    use super::*;

    async fn open() -> (tempfile::TempDir, Arc<dyn Store>) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("authz.sqlite").display());
        let store = open_store(&url, &StoreOptions::default()).await.unwrap();
        (dir, store)
    }

    every_case!(open());

    #[tokio::test]
    async fn a_fresh_file_is_migrated_reopening_is_a_no_op_and_a_newer_file_is_refused() {
        use ims_runtime::authorization_server::{migrate_store, sqlite::SCHEMA_VERSION};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("authz.sqlite");
        let url = format!("sqlite://{}", path.display());
        let m = migrate_store(&url, &StoreOptions::default()).await.unwrap();
        assert_eq!((m.from, m.to), (0, i64::from(SCHEMA_VERSION)));
        let store = SqliteStore::open(&path).unwrap();
        store.put_client(cases_client("kept")).await.unwrap();
        drop(store);
        let m = migrate_store(&url, &StoreOptions::default()).await.unwrap();
        let v = i64::from(SCHEMA_VERSION);
        assert_eq!((m.from, m.to), (v, v));
        let store = open_store(&url, &StoreOptions::default()).await.unwrap();
        assert!(store.get_client("kept").await.unwrap().is_some());
        drop(store);
        {
            let conn = rusqlite::Connection::open(&path).unwrap();
            conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
                .unwrap();
        }
        let e = open_store(&url, &StoreOptions::default())
            .await
            .err()
            .unwrap()
            .to_string();
        assert_eq!(
            e,
            format!(
                "database schema version {} is newer than this binary's {SCHEMA_VERSION}: \
                 upgrade ims-runtime or use another database",
                SCHEMA_VERSION + 1
            )
        );
    }

    #[tokio::test]
    async fn a_file_from_before_versioning_is_migrated_in_place() {
        // The unversioned schema (user_version 0) as the first release wrote it, with a
        // refresh token in it.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("authz.sqlite");
        {
            let conn = rusqlite::Connection::open(&path).unwrap();
            conn.execute_batch(
                "CREATE TABLE refresh_tokens (token_hash TEXT PRIMARY KEY, grant_id TEXT NOT NULL,
                   client_id TEXT NOT NULL, subject TEXT NOT NULL, scope TEXT NOT NULL,
                   expires_at INTEGER NOT NULL, used INTEGER NOT NULL DEFAULT 0,
                   revoked INTEGER NOT NULL DEFAULT 0);
                 INSERT INTO refresh_tokens VALUES ('rt', 'g', 'a', 'alice', 's', 4000000000, 0, 0);",
            )
            .unwrap();
        }
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(
            store.schema_version().unwrap(),
            ims_runtime::authorization_server::sqlite::SCHEMA_VERSION
        );
        let mut next = store.get_refresh("rt").await.unwrap().unwrap();
        next.token_hash = "rt2".into();
        assert_eq!(
            store.rotate_refresh("rt", next).await.unwrap(),
            RefreshRotation::Rotated
        );
    }

    #[tokio::test]
    async fn a_version_2_file_gains_consents_and_its_codes_subjects() {
        // A v2 file (before consents) holding an unredeemed code of alice's: made by taking a
        // current file back to version 2.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("authz.sqlite");
        let store = SqliteStore::open(&path).unwrap();
        store.insert_code(code_of("alice")).await.unwrap();
        drop(store);
        {
            let conn = rusqlite::Connection::open(&path).unwrap();
            conn.execute_batch(
                "DROP INDEX codes_client_subject; DROP INDEX refresh_client_subject;
                 DROP TABLE consents; ALTER TABLE codes DROP COLUMN subject;
                 PRAGMA user_version = 2;",
            )
            .unwrap();
        }
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(
            store.schema_version().unwrap(),
            ims_runtime::authorization_server::sqlite::SCHEMA_VERSION
        );
        // The migrated code's subject was filled in: withdrawing alice's consent reaches it.
        assert!(store.withdraw_consent("alice", "a", NOW).await.unwrap());
        assert!(!store.record_access_token("g", "at", LATER).await.unwrap());
    }

    #[tokio::test]
    async fn sqlite_has_no_change_feed() {
        assert!(SqliteStore::in_memory().unwrap().changes().is_none());
    }
}

/// An unredeemed code of `subject`'s at client `a`, grant `g`.
fn code_of(subject: &str) -> CodeRecord {
    CodeRecord {
        code_hash: "code".into(),
        grant_id: "g".into(),
        client_id: "a".into(),
        redirect_uri: "https://tool.example.edu/cb".into(),
        redirect_uri_sent: true,
        code_challenge: "c".into(),
        scope: "s".into(),
        subject: subject.into(),
        expires_at: LATER,
    }
}

pub fn cases_client(id: &str) -> RegisteredClient {
    RegisteredClient {
        client_id: id.into(),
        secret_hash: None,
        client_id_issued_at: NOW,
        client_secret_expires_at: 0,
        auth_method: TokenEndpointAuthMethod::PrivateKeyJwt,
        assertion_alg: None,
        jwks: None,
        jwks_uri: None,
        grant_types: vec![],
        redirect_uris: vec![],
        scopes: vec![],
        introspect_any: false,
        metadata: serde_json::Map::new(),
        registration_token_hash: None,
        disabled: false,
    }
}

mod postgres {
    use super::*;
    use crate::store_conformance_pg::{TestDb, small_pool};
    use ims_runtime::authorization_server::postgres::SCHEMA_VERSION;
    use ims_runtime::authorization_server::{PostgresStore, StoreOpenError, migrate_store};

    async fn open() -> (TestDb, Arc<dyn Store>) {
        let db = TestDb::create().await;
        let store = db.store().await;
        (db, store)
    }

    every_case!(open());

    #[tokio::test]
    async fn a_version_1_database_gains_consents_and_its_codes_subjects() {
        // A v1 database (before consents) holding an unredeemed code of alice's: made by
        // taking a current database back to version 1.
        let db = TestDb::create().await;
        let store = db.store().await;
        store.insert_code(code_of("alice")).await.unwrap();
        drop(store);
        let (client, conn) = tokio_postgres::connect(&db.url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(conn);
        client
            .batch_execute(
                "DROP TABLE consents; ALTER TABLE codes DROP COLUMN subject;
                 DROP INDEX IF EXISTS refresh_client_subject;
                 DELETE FROM schema_version WHERE version > 1;",
            )
            .await
            .unwrap();
        let m = migrate_store(&db.url, &small_pool()).await.unwrap();
        assert_eq!((m.from, m.to), (1, SCHEMA_VERSION));
        let store = db.store().await;
        // The migrated code's subject was filled in: withdrawing alice's consent reaches it.
        assert!(store.withdraw_consent("alice", "a", NOW).await.unwrap());
        assert!(!store.record_access_token("g", "at", LATER).await.unwrap());
    }

    #[tokio::test]
    async fn a_fresh_database_is_migrated_reopening_is_a_no_op_and_a_newer_one_is_refused() {
        let db = TestDb::create().await;
        let m = PostgresStore::migrate(&db.url, &small_pool())
            .await
            .unwrap();
        assert_eq!((m.from, m.to), (0, SCHEMA_VERSION));
        let store = PostgresStore::connect(&db.url, &small_pool())
            .await
            .unwrap();
        assert_eq!(store.schema_version().await.unwrap(), SCHEMA_VERSION);
        store.put_client(cases_client("kept")).await.unwrap();
        drop(store);
        let m = migrate_store(&db.url, &small_pool()).await.unwrap();
        assert_eq!((m.from, m.to), (SCHEMA_VERSION, SCHEMA_VERSION));
        let store = db.store().await;
        assert!(store.get_client("kept").await.unwrap().is_some());
        drop(store);
        let (client, conn) = tokio_postgres::connect(&db.url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(conn);
        client
            .execute(
                "INSERT INTO schema_version (version) VALUES ($1)",
                &[&(SCHEMA_VERSION + 1)],
            )
            .await
            .unwrap();
        let e = open_store(&db.url, &small_pool()).await.err().unwrap();
        assert!(matches!(e, StoreOpenError::SchemaTooNew { .. }), "{e:?}");
        assert_eq!(
            e.to_string(),
            format!(
                "database schema version {} is newer than this binary's {SCHEMA_VERSION}: \
                 upgrade ims-runtime or use another database",
                SCHEMA_VERSION + 1
            )
        );
    }

    #[tokio::test]
    async fn several_instances_opening_a_fresh_database_at_once_migrate_it_once() {
        let db = TestDb::create().await;
        let options = small_pool();
        let opened = futures_util::future::join_all(
            (0..4).map(|_| PostgresStore::connect(&db.url, &options)),
        )
        .await;
        for o in opened {
            o.unwrap();
        }
        let store = db.store().await;
        store.health().await.unwrap();
    }

    #[tokio::test]
    async fn tls_and_foreign_urls_are_refused_with_what_is_supported() {
        let e = open_store(
            "postgres://u:secret@127.0.0.1:1/db?sslmode=verify-full",
            &small_pool(),
        )
        .await
        .err()
        .unwrap()
        .to_string();
        assert!(e.contains("sslmode=verify-full is not supported"), "{e}");
        assert!(!e.contains("secret"), "{e}");
        let e = open_store("mysql://u:secret@h/db", &small_pool())
            .await
            .err()
            .unwrap()
            .to_string();
        assert!(
            e.contains("sqlite://PATH") && e.contains("postgres://") && !e.contains("secret"),
            "{e}"
        );
    }

    #[tokio::test]
    async fn an_unreachable_server_is_a_connect_error() {
        // Port 1 on loopback: nothing listens there.
        let e = open_store("postgres://u@127.0.0.1:1/db", &small_pool())
            .await
            .err()
            .unwrap();
        assert!(matches!(e, StoreOpenError::Connect(_)), "{e:?}");
    }
}

/// The grace rule at `POST /token`: concurrent refreshes with one token give one new token, the
/// others `invalid_grant` (no 5xx), and the family survives.
mod refresh_endpoint {
    use crate::authz_support::*;
    use reqwest::StatusCode;
    use serde_json::Value;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_refreshes_with_one_token_give_one_token_and_keep_the_family() {
        let h = Harness::start().await;
        let c = h.code_client(&[ROSTER_RO]).await;
        let t = h.code_tokens(&c, ROSTER_RO).await;
        let rt = t["refresh_token"].as_str().unwrap();
        let form = [("grant_type", "refresh_token"), ("refresh_token", rt)];
        let responses =
            futures_util::future::join_all((0..super::TASKS).map(|_| h.token(&c, &form))).await;
        let mut winners = Vec::new();
        for r in responses {
            match r.status() {
                StatusCode::OK => winners.push(r.json::<Value>().await.unwrap()),
                _ => {
                    assert_oauth_error(r, StatusCode::BAD_REQUEST, "invalid_grant").await;
                }
            }
        }
        assert_eq!(winners.len(), 1);
        let next = winners[0]["refresh_token"].as_str().unwrap();
        assert_eq!(h.introspect(&c, next).await["active"], true, "family kept");
        let again = h
            .token(
                &c,
                &[("grant_type", "refresh_token"), ("refresh_token", next)],
            )
            .await;
        assert_eq!(again.status(), StatusCode::OK);
    }
}

/// `GET /health`: 200 `{"status":"ok"}` while the store answers, 503 with the store's error
/// when it does not; no authentication, never cached.
mod health_endpoint {
    use std::sync::Arc;

    use axum::body::Body;
    use http::{Request, StatusCode, header};
    use ims_runtime::authorization_server::{AuthorizationServer, SqliteStore, Store};
    use serde_json::{Value, json};
    use tower::ServiceExt;

    use crate::store_conformance_pg::TestDb;

    async fn health(store: Arc<dyn Store>) -> (StatusCode, Option<String>, Value) {
        let server = AuthorizationServer::builder("https://as.example.edu", store)
            .build()
            .await
            .unwrap();
        health_of(&server).await
    }

    async fn health_of(server: &AuthorizationServer) -> (StatusCode, Option<String>, Value) {
        let r = server
            .router()
            .oneshot(Request::get("/health").body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = r.status();
        let cache = r
            .headers()
            .get(header::CACHE_CONTROL)
            .map(|v| v.to_str().unwrap().to_owned());
        let body = axum::body::to_bytes(r.into_body(), 1 << 16).await.unwrap();
        (status, cache, serde_json::from_slice(&body).unwrap())
    }

    #[tokio::test]
    async fn sqlite_store_is_healthy() {
        let (status, cache, body) = health(Arc::new(SqliteStore::in_memory().unwrap())).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(cache.as_deref(), Some("no-store"));
        assert_eq!(body, json!({"status": "ok"}));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_store_is_healthy_until_its_database_goes_away() {
        let db = TestDb::create().await;
        let server = AuthorizationServer::builder("https://as.example.edu", db.store().await)
            .build()
            .await
            .unwrap();
        let (status, _, body) = health_of(&server).await;
        assert_eq!((status, body), (StatusCode::OK, json!({"status": "ok"})));
        drop(db); // DROP DATABASE … WITH (FORCE): every connection of the store is cut
        let (status, cache, body) = health_of(&server).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert_eq!(cache.as_deref(), Some("no-store"));
        assert_eq!(body["status"], "unavailable");
        assert!(
            body["error"]
                .as_str()
                .unwrap()
                .starts_with("authorization store: "),
            "{body}"
        );
    }
}
