//! The login + consent page in a real browser: Debian's `chromium`, headless, driven through
//! WebDriver (`fantoccini` over a `chromedriver` this test starts on a free loopback port).
//!
//! - A person signs in and approves; the client's https redirect URI (a listener of this test)
//!   receives the code with its `state` and `iss`, and the code redeems. The next authorization
//!   from the same (signed-in) browser skips the page; after the consent is withdrawn the page
//!   is back.
//! - A client named `<img src=x onerror=alert(1)>` is shown as that text: no element is made
//!   of it and no alert opens (DR-11).
//! - A screenshot of the consent page goes to `<target dir>/consent-page.png` (the copy in
//!   `runtime/docs/consent-page.png` is the README's).
//!
//! TLS and the Chromium/chromedriver startup: `ims_test_prerequisites::browser` (the browser
//! trusts only the test server's key; without `chromium` and `chromedriver` these tests fail and
//! name the install command).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use ims_runtime::authorization_server::{IssuedClient, NewClient};
use ims_runtime::tls::serve_tls;
use ims_runtime::tls::testing::shared_dev_pem;
use ims_test_prerequisites::browser::fantoccini::error::{CmdError, ErrorStatus};
use ims_test_prerequisites::browser::fantoccini::{Client, Locator};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};

use crate::authz_support::*;
use ims_test_prerequisites::browser::{Chromium, Driver, save_screenshot, start_driver};

const OB_READ: &str = "https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.readonly";
const OB_UPSERT: &str = "https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.upsert";
const XSS_NAME: &str = "<img src=x onerror=alert(1)>";

/// What the client's redirect URI received.
type Received = mpsc::UnboundedReceiver<String>;

/// The client's side: an https listener on loopback with `/cb` (records its query) and
/// `/logo.svg` (the client's logo). Returns its origin.
async fn client_site() -> (String, Received, oneshot::Sender<()>) {
    use axum::extract::RawQuery;
    use axum::routing::get;
    let (tx, rx) = mpsc::unbounded_channel();
    let app = axum::Router::new()
        .route(
            "/cb",
            get(move |RawQuery(q): RawQuery| {
                let tx = tx.clone();
                async move {
                    let _ = tx.send(q.unwrap_or_default());
                    "The client received its authorization response."
                }
            }),
        )
        .route(
            "/logo.svg",
            get(|| async {
                (
                    [("content-type", "image/svg+xml")],
                    "<svg xmlns='http://www.w3.org/2000/svg' width='64' height='64'>\
                     <rect width='64' height='64' rx='12' fill='#2b6cb0'/>\
                     <text x='32' y='42' font-size='28' text-anchor='middle' fill='white' \
                     font-family='sans-serif'>BW</text></svg>",
                )
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!(
        "https://127.0.0.1:{}",
        listener.local_addr().unwrap().port()
    );
    let tls = shared_dev_pem().unwrap().tls_config().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = serve_tls(listener, app, tls, async move {
            let _ = stopped.await;
        })
        .await;
    });
    (origin, rx, stop)
}

async fn badge_server() -> Harness {
    Harness::start_with(|b| defaults(b).scopes([ROSTER_RO, OB_READ, OB_UPSERT])).await
}

async fn register(h: &Harness, redirect: &str, metadata: Value) -> IssuedClient {
    let mut nc = NewClient::authorization_code([redirect], [OB_READ, OB_UPSERT]);
    nc.metadata = metadata.as_object().unwrap().clone();
    h.server.create_client(nc).await.unwrap()
}

fn authorize_url(h: &Harness, client_id: &str, redirect: &str, challenge: &str) -> String {
    let q = serde_urlencoded::to_string([
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", redirect),
        ("scope", &format!("{OB_READ} {OB_UPSERT}")),
        ("state", "browser-state-1"),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
    ])
    .unwrap();
    format!("{}?{q}", h.url("/authorize"))
}

/// A headless Chromium session (900×760) trusting the test server's key.
async fn consent_browser(driver: &Driver) -> (Client, tempfile::TempDir) {
    Chromium::new(900, 760)
        .trusting_key_pem(&shared_dev_pem().unwrap().key)
        .start(driver)
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_signs_in_approves_the_client_receives_the_code_and_consent_is_remembered() {
    let driver = start_driver().await;
    let h = badge_server().await;
    let (origin, mut received, _stop) = client_site().await;
    let redirect = format!("{origin}/cb");
    let c = register(
        &h,
        &redirect,
        json!({
            "client_name": "Badge Wallet",
            "client_uri": "https://wallet.example.org/",
            "logo_uri": format!("{origin}/logo.svg"),
            "tos_uri": "https://wallet.example.org/terms",
            "policy_uri": "https://wallet.example.org/privacy",
        }),
    )
    .await;
    let (verifier, challenge) = pkce();
    let (browser, _profile) = consent_browser(&driver).await;
    browser
        .goto(&authorize_url(&h, &c.client_id, &redirect, &challenge))
        .await
        .unwrap();
    let heading = browser.find(Locator::Css("h1")).await.unwrap();
    assert_eq!(
        heading.text().await.unwrap(),
        "Badge Wallet wants to access your data"
    );
    let body = browser.find(Locator::Css("body")).await.unwrap();
    let text = body.text().await.unwrap();
    for shown in [
        "Read your Open Badges",
        "Add and update your Open Badges",
        "Terms of service",
        "Privacy policy",
        "About this application",
        "wallet.example.org",
    ] {
        assert!(text.contains(shown), "{shown:?} not on the page: {text}");
    }
    save_screenshot(&browser.screenshot().await.unwrap(), "consent-page.png");

    browser
        .find(Locator::Css("input[name=username]"))
        .await
        .unwrap()
        .send_keys(USER)
        .await
        .unwrap();
    browser
        .find(Locator::Css("input[name=password]"))
        .await
        .unwrap()
        .send_keys(PASSWORD)
        .await
        .unwrap();
    browser
        .find(Locator::Css("button[name=decision][value=approve]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    let query = tokio::time::timeout(Duration::from_secs(60), received.recv())
        .await
        .expect("the redirect URI was not called")
        .unwrap();
    let at = format!("{redirect}?{query}");
    assert_eq!(
        query_param(&at, "state").as_deref(),
        Some("browser-state-1")
    );
    assert_eq!(query_param(&at, "iss").as_deref(), Some(h.issuer.as_str()));
    let code = query_param(&at, "code").expect("a code");
    let landed = browser.current_url().await.unwrap();
    assert!(landed.as_str().starts_with(&redirect), "{landed}");
    let r = h
        .token(
            &c,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", &redirect),
                ("code_verifier", &verifier),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);

    // The browser is now signed in and the consent remembered: the next authorization by this
    // client for these scopes goes straight back to the client, no page.
    let (_, challenge) = pkce();
    browser
        .goto(&authorize_url(&h, &c.client_id, &redirect, &challenge))
        .await
        .unwrap();
    let query = tokio::time::timeout(Duration::from_secs(60), received.recv())
        .await
        .expect("the redirect URI was not called again")
        .unwrap();
    assert!(query_param(&format!("{redirect}?{query}"), "code").is_some());
    let landed = browser.current_url().await.unwrap();
    assert!(landed.as_str().starts_with(&redirect), "{landed}");
    // Withdrawn: the page (and its approve step) again.
    assert!(h.server.withdraw_consent(USER, &c.client_id).await.unwrap());
    browser
        .goto(&authorize_url(&h, &c.client_id, &redirect, &challenge))
        .await
        .unwrap();
    browser
        .find(Locator::Css("button[name=decision][value=approve]"))
        .await
        .unwrap();
    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn markup_in_the_client_name_is_shown_as_text_and_runs_nothing() {
    let driver = start_driver().await;
    let h = badge_server().await;
    let redirect = "https://127.0.0.1:9/cb";
    let c = register(
        &h,
        redirect,
        json!({
            "client_name": XSS_NAME,
            "client_uri": "javascript:alert(2)",
            "policy_uri": "https://wallet.example.org/privacy\"><img src=x onerror=alert(3)>",
        }),
    )
    .await;
    let (_, challenge) = pkce();
    let (browser, _profile) = consent_browser(&driver).await;
    browser
        .goto(&authorize_url(&h, &c.client_id, redirect, &challenge))
        .await
        .unwrap();
    let heading = browser.find(Locator::Css("h1")).await.unwrap();
    assert_eq!(
        heading.text().await.unwrap(),
        format!("{XSS_NAME} wants to access your data")
    );
    // No element was made of the metadata: no image at all (the client has no https logo), and
    // the only links are the https ones.
    assert!(
        browser
            .find_all(Locator::Css("img"))
            .await
            .unwrap()
            .is_empty()
    );
    let links = browser.find_all(Locator::Css("a")).await.unwrap();
    assert_eq!(links.len(), 1, "only the https policy link");
    assert_eq!(
        links[0].attr("href").await.unwrap().as_deref(),
        Some("https://wallet.example.org/privacy\"><img src=x onerror=alert(3)>")
    );
    match browser.get_alert_text().await {
        Err(CmdError::Standard(e)) if e.error == ErrorStatus::NoSuchAlert => {}
        other => panic!("an alert is open (a script ran): {other:?}"),
    }
    browser.close().await.unwrap();
}
