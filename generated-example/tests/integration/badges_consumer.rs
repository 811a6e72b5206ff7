//! The consumer of `badges-demo` against the host, in-process: the first run registers and logs
//! in through the HTML form, the second reuses the stored registration and tokens without a
//! login, `--logout` revokes; both specs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ims_generated_example::badges::consumer::{self, ConsumerArgs};

use super::badges_support::Host;

#[tokio::test]
async fn the_consumer_runs_twice_without_a_second_login_then_logs_out() {
    let host = Host::start().await;
    let ca = host.dir.path().join("ca.pem");
    for discovery in [
        host.running.ob_discovery_url(),
        host.running.clr_discovery_url(),
    ] {
        let data = tempfile::tempdir().unwrap();
        let (user, password) = host.user("alice");
        let mut args = ConsumerArgs {
            discovery: discovery.clone(),
            ca: ca.clone(),
            data_dir: data.path().to_path_buf(),
            login: Some(format!("{user}:{password}")),
            logout: false,
        };
        let first = consumer::run(&args).await.unwrap();
        assert!(
            first.registered && first.logged_in && first.refreshed,
            "{first}"
        );
        assert_eq!((first.credentials, first.compact_jws), (1, 1), "{first}");
        assert_eq!(first.pages, 2, "one credential per page: {first}");
        assert_eq!(first.total, Some(2));
        assert!(
            first.scopes.iter().any(|s| s == "offline_access"),
            "{first}"
        );

        // No --login: a stored grant must be used (a login attempt would wait on stdin).
        args.login = None;
        let second = consumer::run(&args).await.unwrap();
        assert!(
            !second.registered && !second.logged_in && second.refreshed,
            "{second}"
        );
        assert_eq!(second.client_id, first.client_id);
        assert_eq!(
            (second.credentials, second.compact_jws),
            (1, 1),
            "replaced, not added"
        );

        args.logout = true;
        let out = consumer::run(&args).await.unwrap();
        assert_eq!(out.logout.as_deref(), Some("tokens revoked"), "{out}");
        let again = consumer::run(&args).await.unwrap();
        assert_eq!(again.logout.as_deref(), Some("no tokens stored"), "{again}");
    }
}
