//! Launches without third-party cookies (LTI Client Side postMessages 0.1, LTI Platform Storage
//! 0.1), the parts Rust can drive: the tool's login and launch pages and the `{launch}/storage`
//! completion over HTTP, the bindings in both launch stores, and the platform's storage frame
//! routes. The scripts themselves run in a real browser in `lti_browser`.
//!
//! Security rows: LTI-01 (one `state`, one `id_token`: the cookie-less first POST consumes
//! nothing, the verified one consumes the login, and every replay is refused), LTI-02 (the
//! stored value of one login does not prove another; no cookie and no storage is refused with a
//! page saying why).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::Arc;

use ims_runtime::lti::platform::{ToolKeySource, ToolRegistration};
use ims_runtime::lti::platform_storage::{
    DEFAULT_FRAME_PATH, DEFAULT_SCRIPT_PATH, PlatformStorage, StorageTarget, ToolOrigins,
    origin_of, storage_script,
};
use ims_runtime::lti::*;
use ims_runtime::tls::testing::TestServer;
use serde_json::json;

use crate::lti_support::*;

const FRAME: &str = "lti_storage_frame";
const PLATFORM_ORIGIN: &str = "https://platform.example.edu";

/// The value of attribute `name` in `html` (first occurrence), HTML entities of `&` decoded.
fn attr(html: &str, name: &str) -> String {
    let start = html
        .find(&format!("{name}=\""))
        .unwrap_or_else(|| panic!("no {name} in {html}"))
        + name.len()
        + 2;
    let end = start + html[start..].find('"').unwrap();
    html[start..end].replace("&amp;", "&")
}

/// What the storage login page carries.
struct StoragePage {
    login: Login,
    target: String,
    origin: String,
    key: String,
    value: String,
    next: String,
    csp: String,
    html: String,
}

async fn storage_login(h: &Harness, target: &str) -> reqwest::Response {
    h.server
        .client()
        .get(h.server.url("/lti/login"))
        .query(&[
            ("iss", ISSUER),
            ("login_hint", "user-17"),
            ("target_link_uri", RESOURCE_TARGET),
            ("client_id", CLIENT_ID),
            ("lti_storage_target", target),
        ])
        .send()
        .await
        .unwrap()
}

async fn storage_page(h: &Harness) -> StoragePage {
    let response = storage_login(h, FRAME).await;
    assert_eq!(response.status(), 200);
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(response.headers()["cache-control"], "no-store");
    let html = response.text().await.unwrap();
    let next = attr(&html, "data-next");
    let q: HashMap<String, String> = url::Url::parse(&next)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();
    let (pair, _) = cookie.split_once(';').unwrap();
    let (name, value) = pair.split_once('=').unwrap();
    StoragePage {
        login: Login {
            state: q["state"].clone(),
            nonce: q["nonce"].clone(),
            cookie_name: name.to_owned(),
            cookie_value: value.to_owned(),
            target_link_uri: RESOURCE_TARGET.to_owned(),
        },
        target: attr(&html, "data-target"),
        origin: attr(&html, "data-origin"),
        key: attr(&html, "data-key"),
        value: attr(&html, "data-value"),
        next,
        csp,
        html,
    }
}

async fn post_storage(h: &Harness, fields: &[(&str, &str)]) -> reqwest::Response {
    h.server
        .client()
        .post(h.server.url("/lti/launch/storage"))
        .form(fields)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_login_with_lti_storage_target_answers_the_put_data_page_and_still_sets_the_cookie() {
    let h = Harness::start().await;
    let page = storage_page(&h).await;
    assert_eq!(page.target, FRAME);
    // targetOrigin: the origin of the platform's OIDC authorization endpoint.
    assert_eq!(page.origin, PLATFORM_ORIGIN);
    // The key is derived from the state; the value is a fresh secret, not the cookie's.
    assert_eq!(
        page.key,
        format!("{STATE_COOKIE_PREFIX}{}", page.login.state)
    );
    assert_eq!(page.login.cookie_name, page.key);
    assert_eq!(page.value.len(), 43);
    assert_ne!(page.value, page.login.cookie_value);
    // The page goes on to the same authentication request the cookie path redirects to.
    assert!(page.next.starts_with(AUTH_ENDPOINT), "{}", page.next);
    for p in ["response_mode=form_post", "prompt=none", "scope=openid"] {
        assert!(page.next.contains(p), "{p} missing in {}", page.next);
    }
    // Its one inline script runs under the response's nonce; nothing else may run.
    let nonce = attr(&page.html, "nonce");
    assert!(
        page.csp.contains(&format!("script-src 'nonce-{nonce}'")),
        "{}",
        page.csp
    );
    assert!(page.csp.contains("default-src 'none'"));
    assert!(page.html.contains("data-mode=\"put\""));
    assert!(page.html.contains("lti.put_data") && page.html.contains("lti.capabilities"));
    // The fallback without JavaScript is said and offered.
    assert!(page.html.contains("<noscript>"));
    assert!(page.html.contains("continuing with a cookie only"));
}

#[tokio::test]
async fn a_login_without_lti_storage_target_still_redirects_with_the_cookie_only() {
    let h = Harness::start().await;
    let login = h.login(RESOURCE_TARGET).await;
    let token = h.sign(&h.resource_link_claims(&login));
    assert_eq!(h.post_launch(&login, &token, true).await.status(), 200);
}

#[tokio::test]
async fn a_storage_target_that_is_not_a_frame_name_is_refused_with_a_page() {
    let h = Harness::start().await;
    for bad in ["\"><script>alert(1)</script>", "a b", &"x".repeat(129)] {
        let response = storage_login(&h, bad).await;
        assert_eq!(response.status(), 400, "{bad}");
        assert!(response.headers().get("set-cookie").is_none());
        let body = response.text().await.unwrap();
        assert!(body.contains("lti_storage_target"), "{body}");
        assert!(!body.contains("<script>alert"), "{body}");
    }
    assert!(StorageTarget::parse("_parent").is_some());
    assert!(StorageTarget::parse("post_message_forwarding").is_some());
    assert!(StorageTarget::parse("").is_none());
}

#[tokio::test]
async fn lti_01_a_cookieless_launch_answers_the_get_data_page_and_consumes_nothing() {
    let h = Harness::start().await;
    let page = storage_page(&h).await;
    let token = h.sign(&h.resource_link_claims(&page.login));
    for _ in 0..2 {
        let response = h.post_launch(&page.login, &token, false).await;
        assert_eq!(response.status(), 200);
        let csp = response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(csp.contains("form-action 'self'"), "{csp}");
        let html = response.text().await.unwrap();
        assert!(html.contains("data-mode=\"get\""));
        assert_eq!(attr(&html, "data-key"), page.key);
        assert_eq!(attr(&html, "data-origin"), PLATFORM_ORIGIN);
        assert_eq!(attr(&html, "data-target"), FRAME);
        assert_eq!(attr(&html, "action"), "/lti/launch/storage");
        assert!(html.contains(&format!("name=\"id_token\" value=\"{token}\"")));
        assert!(html.contains(&format!("name=\"state\" value=\"{}\"", page.login.state)));
        assert!(
            html.contains("did not send the tool&#x27;s cookie")
                || html.contains("did not send the tool's cookie"),
            "{html}"
        );
    }
    // Nothing was taken by those POSTs: the cookie still completes the launch.
    assert_eq!(h.post_launch(&page.login, &token, true).await.status(), 200);
}

#[tokio::test]
async fn lti_01_the_stored_value_completes_the_launch_once_and_every_replay_is_refused() {
    let h = Harness::start().await;
    let page = storage_page(&h).await;
    let token = h.sign(&h.resource_link_claims(&page.login));
    assert_eq!(
        h.post_launch(&page.login, &token, false).await.status(),
        200
    );
    let fields = [
        ("id_token", token.as_str()),
        ("state", page.login.state.as_str()),
        ("lti_storage_value", page.value.as_str()),
        ("lti_storage_error", ""),
    ];
    let response = post_storage(&h, &fields).await;
    assert_eq!(response.status(), 200);
    let set_cookie: Vec<_> = response.headers().get_all("set-cookie").iter().collect();
    assert!(
        set_cookie
            .iter()
            .any(|c| c.to_str().unwrap().starts_with(&format!("{}=;", page.key))),
        "the spent state's cookie is dropped"
    );
    let body = response.text().await.unwrap();
    assert_eq!(
        body,
        "resource link link-1 for user-17 in course-1 (instructor: true)"
    );
    // The same id_token, again, by every path.
    let again = post_storage(&h, &fields).await;
    assert_eq!(again.status(), 401);
    assert!(again.text().await.unwrap().contains("already used"));
    assert_eq!(
        h.post_launch(&page.login, &token, false).await.status(),
        401
    );
    assert_eq!(h.post_launch(&page.login, &token, true).await.status(), 401);
}

#[tokio::test]
async fn lti_02_the_stored_value_of_one_login_does_not_prove_another() {
    let h = Harness::start().await;
    let victim = storage_page(&h).await;
    let attacker = storage_page(&h).await;
    let token = h.sign(&h.resource_link_claims(&victim.login));
    let response = post_storage(
        &h,
        &[
            ("id_token", token.as_str()),
            ("state", victim.login.state.as_str()),
            ("lti_storage_value", attacker.value.as_str()),
        ],
    )
    .await;
    assert_eq!(response.status(), 401);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("cannot be bound to this browser")
    );
    // The cookie value is not a storage value either (and vice versa).
    let fresh = storage_page(&h).await;
    let token = h.sign(&h.resource_link_claims(&fresh.login));
    let response = post_storage(
        &h,
        &[
            ("id_token", token.as_str()),
            ("state", fresh.login.state.as_str()),
            ("lti_storage_value", fresh.login.cookie_value.as_str()),
        ],
    )
    .await;
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn a_storage_error_is_refused_with_a_page_naming_it_and_the_login_survives_for_a_retry() {
    let h = Harness::start().await;
    let page = storage_page(&h).await;
    let token = h.sign(&h.resource_link_claims(&page.login));
    let response = post_storage(
        &h,
        &[
            ("id_token", token.as_str()),
            ("state", page.login.state.as_str()),
            ("lti_storage_value", ""),
            ("lti_storage_error", "timeout</>\"&"),
        ],
    )
    .await;
    assert_eq!(response.status(), 401);
    let body = response.text().await.unwrap();
    assert!(
        body.contains("storage did not give back the value"),
        "{body}"
    );
    assert!(
        body.contains("(timeout)"),
        "only [a-z_] of the code is shown: {body}"
    );
    assert!(!body.contains("timeout<"));
    let response = post_storage(
        &h,
        &[
            ("id_token", token.as_str()),
            ("state", page.login.state.as_str()),
        ],
    )
    .await;
    assert!(response.text().await.unwrap().contains("(no_value)"));
    // Nothing verified, nothing taken: the value still completes the launch.
    let response = post_storage(
        &h,
        &[
            ("id_token", token.as_str()),
            ("state", page.login.state.as_str()),
            ("lti_storage_value", page.value.as_str()),
        ],
    )
    .await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_storage_login_completes_with_the_cookie_when_the_browser_sends_it() {
    let h = Harness::start().await;
    let page = storage_page(&h).await;
    let token = h.sign(&h.resource_link_claims(&page.login));
    let response = h.post_launch(&page.login, &token, true).await;
    assert_eq!(response.status(), 200);
    assert!(response.text().await.unwrap().starts_with("resource link"));
}

#[tokio::test]
async fn lti_02_no_cookie_and_no_platform_storage_is_refused_with_a_page_that_says_why() {
    let h = Harness::start().await;
    let login = h.login(RESOURCE_TARGET).await;
    let token = h.sign(&h.resource_link_claims(&login));
    let response = h.post_launch(&login, &token, false).await;
    assert_eq!(response.status(), 401);
    let body = response.text().await.unwrap();
    for why in [
        "did not present the state cookie",
        "third-party cookies",
        "offered no storage",
        "lti_storage_target",
    ] {
        assert!(body.contains(why), "{why:?} not in {body}");
    }
    // Nothing was taken: the cookie still completes it (a browser that retries with cookies).
    assert_eq!(h.post_launch(&login, &token, true).await.status(), 200);
    // A cookie-less POST of an unknown state says so.
    let mut unknown = login.clone();
    unknown.state = "no-such-state".into();
    let response = h.post_launch(&unknown, &token, false).await;
    assert_eq!(response.status(), 401);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("unknown, expired or already used")
    );
}

#[tokio::test]
async fn a_deep_linking_launch_completes_through_platform_storage_too() {
    let h = Harness::start().await;
    let response = h
        .server
        .client()
        .post(h.server.url("/lti/login"))
        .form(&[
            ("iss", ISSUER),
            ("login_hint", "user-17"),
            ("target_link_uri", DEEP_LINK_TARGET),
            ("client_id", CLIENT_ID),
            ("lti_storage_target", "_parent"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert_eq!(attr(&html, "data-target"), "_parent");
    let next = attr(&html, "data-next");
    let q: HashMap<String, String> = url::Url::parse(&next)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();
    let login = Login {
        state: q["state"].clone(),
        nonce: q["nonce"].clone(),
        cookie_name: String::new(),
        cookie_value: String::new(),
        target_link_uri: DEEP_LINK_TARGET.into(),
    };
    let token = h.sign(&h.deep_linking_claims(&login));
    let value = attr(&html, "data-value");
    let response = post_storage(
        &h,
        &[
            ("id_token", token.as_str()),
            ("state", login.state.as_str()),
            ("lti_storage_value", value.as_str()),
        ],
    )
    .await;
    assert_eq!(response.status(), 200);
    assert!(response.text().await.unwrap().contains("name=\"JWT\""));
}

fn storage_login_record(state: &str, expires_at: i64) -> PendingLogin {
    PendingLogin {
        state: state.into(),
        nonce: format!("nonce-of-{state}"),
        issuer: ISSUER.into(),
        client_id: CLIENT_ID.into(),
        target_link_uri: RESOURCE_TARGET.into(),
        binding: BrowserBinding::PlatformStorage {
            cookie_sha256: "ab".repeat(32),
            value_sha256: "cd".repeat(32),
            target: FRAME.into(),
            platform_origin: PLATFORM_ORIGIN.into(),
        },
        expires_at,
    }
}

async fn peek_contract(store: &dyn LaunchStore) {
    let now = 1_000;
    store
        .put_login(storage_login_record("p1", now + 300), now)
        .await
        .unwrap();
    for _ in 0..2 {
        assert_eq!(
            store.peek_login("p1", now + 10).await.unwrap(),
            Some(storage_login_record("p1", now + 300)),
            "peeking leaves the login in place"
        );
    }
    assert_eq!(
        store.peek_login("p1", now + 300).await.unwrap(),
        None,
        "expired"
    );
    assert_eq!(store.peek_login("nope", now).await.unwrap(), None);
    assert_eq!(
        store.take_login("p1", now + 10).await.unwrap(),
        Some(storage_login_record("p1", now + 300))
    );
    assert_eq!(
        store.peek_login("p1", now + 10).await.unwrap(),
        None,
        "taken"
    );
}

#[tokio::test]
async fn both_launch_stores_peek_without_taking_and_keep_the_storage_binding() {
    peek_contract(&MemoryLaunchStore::new()).await;
    peek_contract(&SqliteLaunchStore::open_in_memory().unwrap()).await;
    // An older record (cookie binding, no new members) still reads back.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("launch.sqlite");
    {
        let store = SqliteLaunchStore::open(&path).unwrap();
        store
            .put_login(storage_login_record("p2", 2_000), 1_000)
            .await
            .unwrap();
    }
    let reopened = SqliteLaunchStore::open(&path).unwrap();
    assert_eq!(
        reopened.take_login("p2", 1_001).await.unwrap(),
        Some(storage_login_record("p2", 2_000))
    );
}

#[test]
fn a_storage_binding_takes_its_cookie_or_its_value_and_nothing_else() {
    let cookie = "cookie-value";
    let value = "stored-value";
    let binding = BrowserBinding::PlatformStorage {
        cookie_sha256: hex::encode(<sha2::Sha256 as sha2::Digest>::digest(cookie)),
        value_sha256: hex::encode(<sha2::Sha256 as sha2::Digest>::digest(value)),
        target: FRAME.into(),
        platform_origin: PLATFORM_ORIGIN.into(),
    };
    assert!(binding.is_proven_by(&BrowserProof::Cookie(Some(cookie))));
    assert!(binding.is_proven_by(&BrowserProof::PlatformStorage(value)));
    assert!(!binding.is_proven_by(&BrowserProof::Cookie(Some(value))));
    assert!(!binding.is_proven_by(&BrowserProof::PlatformStorage(cookie)));
    assert!(!binding.is_proven_by(&BrowserProof::PlatformStorage("")));
    assert!(!binding.is_proven_by(&BrowserProof::Cookie(None)));
    assert_eq!(binding.platform_storage(), Some((FRAME, PLATFORM_ORIGIN)));
    let cookie_only = BrowserBinding::Cookie {
        value_sha256: hex::encode(<sha2::Sha256 as sha2::Digest>::digest(cookie)),
    };
    assert!(!cookie_only.is_proven_by(&BrowserProof::PlatformStorage(cookie)));
    assert_eq!(cookie_only.platform_storage(), None);
}

fn tool_registration(login: &str, redirects: &[&str]) -> ToolRegistration {
    ToolRegistration {
        client_id: "c1".into(),
        name: "Tool".into(),
        deployment_id: "d1".into(),
        initiate_login_uri: login.into(),
        redirect_uris: redirects.iter().map(|s| s.to_string()).collect(),
        target_link_uri: format!("{login}/resource"),
        deep_linking_uri: None,
        keys: ToolKeySource::Jwks(json!({"keys": []})),
        scopes: vec![],
        domain: None,
        custom_parameters: Default::default(),
    }
}

#[tokio::test]
async fn the_platform_storage_frame_serves_its_page_and_script_for_registered_tool_origins() {
    let tool = tool_registration(
        "https://localhost:8443/lti/login",
        &[
            "https://localhost:8443/lti/launch",
            "https://tool.example.org:9443/launch",
        ],
    );
    let origins = tool.storage_origins();
    assert_eq!(
        origins,
        vec!["https://localhost:8443", "https://tool.example.org:9443"]
    );
    let mut with_markup = origins.clone();
    with_markup.push("https://evil.example\"><script>alert(1)</script>".into());
    let storage = PlatformStorage::new(Arc::new(with_markup) as Arc<dyn ToolOrigins>);
    let server = TestServer::start(storage.router()).await.unwrap();
    let client = server.client();

    let page = client
        .get(server.url(DEFAULT_FRAME_PATH))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'self'"), "{csp}");
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert_eq!(page.headers()["x-frame-options"], "SAMEORIGIN");
    let html = page.text().await.unwrap();
    assert!(html.contains(&format!("<script src=\"{DEFAULT_SCRIPT_PATH}\"></script>")));
    assert!(!html.contains("<script>alert"), "{html}");
    let origins_attr = attr(&html, "data-origins").replace("&quot;", "\"");
    let listed: Vec<String> =
        serde_json::from_str(&origins_attr.replace("&lt;", "<").replace("&gt;", ">")).unwrap();
    assert!(listed.contains(&"https://localhost:8443".to_owned()));

    let script = client
        .get(server.url(DEFAULT_SCRIPT_PATH))
        .send()
        .await
        .unwrap();
    assert_eq!(script.status(), 200);
    assert!(
        script.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    assert_eq!(script.headers()["x-content-type-options"], "nosniff");
    let js = script.text().await.unwrap();
    assert_eq!(js, storage_script());
    for needle in [
        "lti.capabilities",
        "lti.put_data",
        "lti.get_data",
        "sessionStorage",
        "event.origin",
        "wrong_origin",
    ] {
        assert!(js.contains(needle), "{needle}");
    }

    let iframe = storage.iframe_html(FRAME).unwrap();
    assert!(
        iframe.starts_with(&format!(
            "<iframe name=\"{FRAME}\" src=\"{DEFAULT_FRAME_PATH}\""
        )),
        "{iframe}"
    );
    assert!(storage.iframe_html("_parent").is_err());
    assert!(storage.iframe_html("\"><script>").is_err());
    assert_eq!(
        origin_of("https://127.0.0.1:8443/a/b?c"),
        Some("https://127.0.0.1:8443".into())
    );
    assert_eq!(origin_of("data:text/plain,x"), None);
}
