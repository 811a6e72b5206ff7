//! LTI launches in a real browser with third-party cookies blocked (issue 10, point 4):
//! Debian's `chromium`, headless, over WebDriver (`ims_test_prerequisites::browser`), with the profile
//! preference `profile.cookie_controls_mode` = 1 (block third-party cookies).
//!
//! The platform is the runtime's `LtiPlatform` (over the embedded authorization server) on
//! `https://127.0.0.1:P`; its course page includes the platform storage frame
//! (`ims_runtime::lti::platform_storage::PlatformStorage`, named by
//! `PlatformConfig.storage_target`) and launches the tool on `https://localhost:Q` (another
//! site) in an iframe through `LtiPlatform::start_launch`; the tool is `ims_runtime::lti`'s
//! `LtiTool` with its own routes.
//!
//! - With storage: the tool's state cookie is blocked, yet the launch succeeds through the
//!   platform's storage (`{launch}/storage` is where it completed).
//! - Without storage (the platform sends no `lti_storage_target` and has no frame): the cookie
//!   path alone fails, which proves the blocking is in effect, and the tool's page says why.
//!
//! Screenshots of both go to `<target dir>/lti-launch-storage.png` and
//! `<target dir>/lti-launch-no-storage.png` (the copies in `runtime/docs/` are the README's).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use futures_util::future::BoxFuture;
use ims_runtime::authorization_server::{
    AuthorizationServer, JwksUriPolicy, SigningAlgorithm, SqliteStore,
};
use ims_runtime::client::HttpPolicy;
use ims_runtime::lti::platform::*;
use ims_runtime::lti::platform_storage::{PlatformStorage, ToolOrigins};
use ims_runtime::lti::*;
use ims_runtime::tls::serve_tls;
use ims_runtime::tls::testing::shared_dev_pem;
use ims_test_prerequisites::browser::fantoccini::{Client, Locator};
use jsonwebtoken::Algorithm;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use ims_test_prerequisites::browser::{
    Chromium, Driver, ThirdPartyCookies, save_screenshot, start_driver,
};

const CLIENT_ID: &str = "browser-tool";
const DEPLOYMENT: &str = "deployment-1";
const FRAME: &str = "lti_storage_frame";

/// A TLS server of the shared development certificate on a bound listener, stopped on drop.
struct Site {
    origin: String,
    _stop: oneshot::Sender<()>,
}

async fn serve(listener: TcpListener, origin: String, app: Router) -> Site {
    let tls = shared_dev_pem().unwrap().tls_config().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = serve_tls(listener, app, tls, async move {
            let _ = stopped.await;
        })
        .await;
    });
    Site {
        origin,
        _stop: stop,
    }
}

/// The tool's application: a page naming who was launched where.
struct ShowLaunch;

impl LtiToolApp for ShowLaunch {
    fn resource_link(&self, launch: ResourceLinkLaunch) -> BoxFuture<'static, Response> {
        let c = &launch.claims;
        let page = format!(
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>Quiz</title></head>\
             <body style=\"font-family:sans-serif\"><h1>Launched: {}</h1>\
             <p id=\"who\">{} ({}) in {}, instructor: {}</p>\
             </body></html>",
            launch.resource_link.title.as_deref().unwrap_or("-"),
            c.user.name.as_deref().unwrap_or("-"),
            c.user.sub,
            c.context.as_ref().map(|x| x.id.as_str()).unwrap_or("-"),
            c.has_role("Instructor"),
        );
        Box::pin(async move { Html(page).into_response() })
    }

    fn deep_linking(&self, _launch: DeepLinkingLaunch) -> BoxFuture<'static, Response> {
        Box::pin(async move { Html("deep linking is not part of this test").into_response() })
    }
}

/// The tool on `https://localhost:Q`, trusting the platform at `platform_origin`; counts the
/// launches that completed through `{launch}/storage`.
async fn tool_site(platform_origin: &str) -> (Site, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!(
        "https://localhost:{}",
        listener.local_addr().unwrap().port()
    );
    let registration = PlatformRegistration {
        issuer: platform_origin.to_owned(),
        client_id: CLIENT_ID.into(),
        deployment_ids: vec![DEPLOYMENT.into()],
        authorization_endpoint: format!("{platform_origin}/lti/authorize"),
        token_endpoint: format!("{platform_origin}/token"),
        keys: PlatformKeySource::JwksUri(format!("{platform_origin}/lti/jwks")),
    };
    let policy =
        HttpPolicy::default().with_ca_pem(shared_dev_pem().unwrap().ca_cert.as_bytes().to_vec());
    let tool = LtiTool::new(
        LtiToolConfig::new(
            format!("{origin}/lti/launch"),
            vec![format!("{origin}/lti/resource")],
        ),
        Arc::new(StaticPlatformRegistry::new([registration]).unwrap()),
        Arc::new(MemoryLaunchStore::new()),
        Arc::new(ToolKeys::new(ToolKey::generate(Algorithm::ES256).unwrap())),
        policy,
    )
    .unwrap();
    let paths = LtiPaths::default();
    let storage_path = storage_launch_path(&paths);
    let completed = Arc::new(AtomicUsize::new(0));
    let counter = completed.clone();
    let app = Arc::new(tool)
        .router(Arc::new(ShowLaunch), &paths)
        .layer(axum::middleware::from_fn(
            move |req: axum::extract::Request, next: axum::middleware::Next| {
                let counter = counter.clone();
                let storage = req.uri().path() == storage_path;
                async move {
                    let response = next.run(req).await;
                    if storage && response.status().is_success() {
                        counter.fetch_add(1, Ordering::SeqCst);
                    }
                    response
                }
            },
        ));
    (serve(listener, origin, app).await, completed)
}

/// The platform's sign-in cookie, as this test stands in for the platform's sign-in: the course
/// page sets it. `SameSite=None` because on the storage path it is the tool's page (another
/// site) that navigates to the authorization endpoint, and Chromium sends no `Lax` cookie with
/// a navigation a cross-site document started (lti.md, "a `SameSite=None` sign-in cookie").
const SESSION_COOKIE: &str = "platform_user";

struct CookieSession;

impl PlatformSessions for CookieSession {
    fn signed_in_user<'a>(&'a self, headers: &'a HeaderMap) -> BoxFuture<'a, Option<String>> {
        let user = headers
            .get_all("cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|p| p.trim().split_once('='))
            .find(|(k, _)| *k == SESSION_COOKIE)
            .map(|(_, v)| v.to_owned());
        Box::pin(async move { user })
    }
}

/// The platform's application (deep linking is not part of these tests).
struct NoDeepLinking;

impl PlatformApp for NoDeepLinking {
    fn deep_linking_returned(&self, _result: DeepLinkingReturn) -> BoxFuture<'static, Response> {
        Box::pin(async { "deep linking is not part of this test".into_response() })
    }
}

#[derive(Clone)]
struct PlatformState {
    origin: String,
    tool_origin: String,
    platform: Arc<LtiPlatform>,
    tool: ToolRegistration,
    storage: Option<PlatformStorage>,
}

/// The platform's course page: the storage frame (when on) and the tool's iframe.
async fn course_page(State(p): State<PlatformState>) -> Response {
    let frame = match (&p.storage, &p.platform.config().storage_target) {
        (Some(s), Some(target)) => s.iframe_html(target).unwrap(),
        _ => String::new(),
    };
    let page = Html(format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>MATH 101</title></head>\
         <body style=\"font-family:sans-serif;margin:20px\"><h1>MATH 101: course page</h1>\
         <p>Platform {} (storage frame {}); the tool below is on {}, in a cross-site iframe, \
         with third-party cookies blocked.</p>{frame}\
         <iframe id=\"tool\" src=\"/start\" style=\"width:820px;height:300px;border:1px solid #888\"></iframe>\
         </body></html>",
        p.origin,
        match (&p.storage, &p.platform.config().storage_target) {
            (Some(_), Some(_)) => "on",
            (None, Some(_)) => "named at login but missing from this page",
            _ => "off",
        },
        p.tool_origin,
    ));
    (
        [(
            axum::http::header::SET_COOKIE,
            format!("{SESSION_COOKIE}=user-17; Path=/; Secure; HttpOnly; SameSite=None"),
        )],
        page,
    )
        .into_response()
}

/// The launch: `LtiPlatform::start_launch`'s third-party-initiated login (with
/// `lti_storage_target` when the platform's `storage_target` is set).
async fn start(State(p): State<PlatformState>) -> Response {
    let spec = LaunchSpec {
        user_id: "user-17".into(),
        roles: vec!["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor".into()],
        name: Some("Ada Lovelace".into()),
        given_name: None,
        family_name: None,
        email: None,
        context: Context {
            id: "math-101".into(),
            label: Some("MATH 101".into()),
            title: None,
            types: vec![],
        },
        resource_link: Some(ResourceLink {
            id: "link-1".into(),
            title: Some("Quiz 1".into()),
            description: None,
        }),
        kind: LaunchKind::ResourceLink,
        ags: None,
        nrps: None,
        custom: Default::default(),
        target_link_uri: None,
    };
    p.platform.start_launch(&p.tool, spec).unwrap()
}

/// The platform (`LtiPlatform` over the embedded authorization server) on
/// `https://127.0.0.1:P`, storage frame on or off, and the tool it launches.
async fn sites(storage_on: bool) -> (Site, Site, Arc<AtomicUsize>, tempfile::TempDir) {
    sites_with(storage_on, storage_on).await
}

/// [`sites`] with the `lti_storage_target` sent at login and the frame on the course page
/// chosen apart (a platform that names a frame its page lacks).
async fn sites_with(
    storage_on: bool,
    frame_on: bool,
) -> (Site, Site, Arc<AtomicUsize>, tempfile::TempDir) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!(
        "https://127.0.0.1:{}",
        listener.local_addr().unwrap().port()
    );
    let (tool_site, completed) = tool_site(&origin).await;
    let dir = tempfile::tempdir().unwrap();
    let ca = shared_dev_pem().unwrap().ca_cert.as_bytes().to_vec();
    let store = Arc::new(SqliteStore::open(&dir.path().join("authz.sqlite")).unwrap());
    let authz = AuthorizationServer::builder(origin.clone(), store)
        .signing_algorithm(SigningAlgorithm::RS256)
        .jwks_uri_policy(JwksUriPolicy {
            allow_private_addresses: true,
            ca_pem: Some(ca),
            trust_loopback_certificates: false,
        })
        .build()
        .await
        .unwrap();
    let tool = ToolRegistration {
        client_id: CLIENT_ID.into(),
        name: "Quiz tool".into(),
        deployment_id: DEPLOYMENT.into(),
        initiate_login_uri: format!("{}/lti/login", tool_site.origin),
        redirect_uris: vec![format!("{}/lti/launch", tool_site.origin)],
        target_link_uri: format!("{}/lti/resource", tool_site.origin),
        deep_linking_uri: None,
        keys: ToolKeySource::JwksUri(format!("{}/lti/jwks", tool_site.origin)),
        scopes: vec![],
        domain: None,
        custom_parameters: Default::default(),
    };
    tool.validate().unwrap();
    authz.put_client(tool.to_client(1)).await.unwrap();
    let mut config = PlatformConfig::new(origin.clone());
    config.storage_target = storage_on.then(|| FRAME.to_owned());
    let platform = LtiPlatform::new(
        authz,
        config,
        Arc::new(CookieSession),
        Arc::new(NoDeepLinking),
    )
    .unwrap();
    let storage = frame_on
        .then(|| PlatformStorage::new(Arc::new(tool.storage_origins()) as Arc<dyn ToolOrigins>));
    let state = PlatformState {
        origin: origin.clone(),
        tool_origin: tool_site.origin.clone(),
        platform: platform.clone(),
        tool,
        storage: storage.clone(),
    };
    let mut app = Router::new()
        .route("/course", get(course_page))
        .route("/start", get(start))
        .with_state(state)
        .merge(platform.router_with_authorization_server());
    if let Some(s) = &storage {
        app = app.merge(s.router());
    }
    (
        serve(listener, origin, app).await,
        tool_site,
        completed,
        dir,
    )
}

/// A 900×620 session trusting the test servers' key, with `cookies` in its profile.
async fn lti_browser(driver: &Driver, cookies: ThirdPartyCookies) -> (Client, tempfile::TempDir) {
    Chromium::new(900, 620)
        .third_party_cookies(cookies)
        .trusting_key_pem(&shared_dev_pem().unwrap().key)
        .start(driver)
        .await
}

/// Blocks third-party cookies in the profile (Chromium's `CookieControlsMode::kBlockThirdParty`).
async fn browser_blocking_third_party_cookies(driver: &Driver) -> (Client, tempfile::TempDir) {
    lti_browser(driver, ThirdPartyCookies::Blocked).await
}

/// Allows third-party cookies (`CookieControlsMode::kOff`): the control run.
async fn browser_allowing_third_party_cookies(driver: &Driver) -> (Client, tempfile::TempDir) {
    lti_browser(driver, ThirdPartyCookies::Allowed).await
}

/// The `<h1>` the tool's frame ends on (its app page or its refusal page), and its body text.
async fn tool_frame_outcome(browser: &Client) -> (String, String) {
    let frame = browser.find(Locator::Css("iframe#tool")).await.unwrap();
    frame.enter_frame().await.unwrap();
    let h1 = browser
        .wait()
        .at_most(Duration::from_secs(60))
        .for_element(Locator::Css("h1"))
        .await
        .expect("the tool's frame showed no page with a heading");
    let heading = h1.text().await.unwrap();
    let body = browser
        .find(Locator::Css("body"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    browser.enter_parent_frame().await.unwrap();
    (heading, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_third_party_cookies_blocked_the_launch_succeeds_through_platform_storage() {
    let driver = start_driver().await;
    let (platform, _tool, completed, _dir) = sites(true).await;
    let (browser, _profile) = browser_blocking_third_party_cookies(&driver).await;
    // Reported, never asserted: how long the page took to show the launched tool.
    let started = std::time::Instant::now();
    browser
        .goto(&format!("{}/course", platform.origin))
        .await
        .unwrap();
    let (heading, body) = tool_frame_outcome(&browser).await;
    eprintln!(
        "course page to launched tool, platform storage: {:?}",
        started.elapsed()
    );
    assert_eq!(heading, "Launched: Quiz 1", "{body}");
    assert!(
        body.contains("Ada Lovelace (user-17) in math-101, instructor: true"),
        "{body}"
    );
    assert_eq!(
        completed.load(Ordering::SeqCst),
        1,
        "the launch completed at {{launch}}/storage, not with the (blocked) cookie"
    );
    save_screenshot(
        &browser.screenshot().await.unwrap(),
        "lti-launch-storage.png",
    );
    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_third_party_cookies_blocked_and_no_platform_storage_the_tool_says_why() {
    let driver = start_driver().await;
    let (platform, _tool, completed, _dir) = sites(false).await;
    let (browser, _profile) = browser_blocking_third_party_cookies(&driver).await;
    browser
        .goto(&format!("{}/course", platform.origin))
        .await
        .unwrap();
    let (heading, body) = tool_frame_outcome(&browser).await;
    // The cookie path alone fails: the blocking is in effect.
    assert_eq!(heading, "LTI launch refused", "{body}");
    for why in [
        "did not present the state cookie",
        "third-party cookies",
        "lti_storage_target",
        "Status 401",
    ] {
        assert!(body.contains(why), "{why:?} not in {body}");
    }
    assert_eq!(completed.load(Ordering::SeqCst), 0);
    save_screenshot(
        &browser.screenshot().await.unwrap(),
        "lti-launch-no-storage.png",
    );
    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_with_third_party_cookies_allowed_the_cookie_alone_launches() {
    // The same platform without storage, in a profile that allows third-party cookies: the
    // launch succeeds with the cookie, so the refusal above is the blocking's doing.
    let driver = start_driver().await;
    let (platform, _tool, completed, _dir) = sites(false).await;
    let (browser, _profile) = browser_allowing_third_party_cookies(&driver).await;
    let started = std::time::Instant::now();
    browser
        .goto(&format!("{}/course", platform.origin))
        .await
        .unwrap();
    let (heading, body) = tool_frame_outcome(&browser).await;
    eprintln!(
        "course page to launched tool, cookie: {:?}",
        started.elapsed()
    );
    assert_eq!(heading, "Launched: Quiz 1", "{body}");
    assert_eq!(
        completed.load(Ordering::SeqCst),
        0,
        "the cookie path, not storage"
    );
    browser.close().await.unwrap();
}

/// Posts `messages` one after another to the storage frame (`frames[FRAME]` of the top page)
/// from the current browsing context and returns the answers (`null` for none within 3 s).
const ASK: &str = r#"
const [frameName, targetOrigin, messages, done] = arguments;
const top = window.parent === window ? window : window.parent;
const frame = top.frames[frameName];
const answers = [];
function next(i) {
  if (i === messages.length) { return done(answers); }
  const m = messages[i];
  const timer = setTimeout(() => { window.removeEventListener("message", on); answers.push(null); next(i + 1); }, 3000);
  function on(e) {
    if (!e.data || e.data.message_id !== m.message_id) { return; }
    clearTimeout(timer);
    window.removeEventListener("message", on);
    answers.push({ origin: e.origin, data: e.data });
    next(i + 1);
  }
  window.addEventListener("message", on);
  frame.postMessage(m, targetOrigin);
}
next(0);
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_storage_frame_serves_registered_origins_only_and_keeps_each_origins_keys_apart() {
    let driver = start_driver().await;
    let (platform, tool, _completed, _dir) = sites(true).await;
    let (browser, _profile) = browser_blocking_third_party_cookies(&driver).await;
    browser
        .goto(&format!("{}/course", platform.origin))
        .await
        .unwrap();
    let (heading, body) = tool_frame_outcome(&browser).await;
    assert_eq!(heading, "Launched: Quiz 1", "{body}");

    // From the tool's frame (a registered origin).
    browser
        .find(Locator::Css("iframe#tool"))
        .await
        .unwrap()
        .enter_frame()
        .await
        .unwrap();
    let answers = browser
        .execute_async(
            ASK,
            vec![
                json!(FRAME),
                json!(platform.origin),
                json!([
                    {"subject": "lti.capabilities", "message_id": "c"},
                    {"subject": "lti.frameResize", "message_id": "u", "height": 10},
                    {"subject": "lti.put_data", "message_id": "b", "key": "k2", "value": 5},
                    {"subject": "lti.put_data", "message_id": "p", "key": "k2", "value": "v2"},
                    {"subject": "lti.get_data", "message_id": "g", "key": "k2"},
                    {"subject": "lti.get_data", "message_id": "m", "key": "missing"}
                ]),
            ],
        )
        .await
        .unwrap();
    browser.enter_parent_frame().await.unwrap();
    let a = answers.as_array().unwrap();
    for answer in a {
        assert_eq!(answer["origin"], json!(platform.origin), "{answer}");
    }
    assert_eq!(a[0]["data"]["subject"], "lti.capabilities.response");
    let supported = a[0]["data"]["supported_messages"].as_array().unwrap();
    assert!(supported.contains(&json!({"subject": "lti.put_data", "frame": FRAME})));
    assert!(supported.contains(&json!({"subject": "lti.get_data", "frame": FRAME})));
    assert_eq!(a[1]["data"]["subject"], "lti.frameResize.response");
    assert_eq!(a[1]["data"]["error"]["code"], "unsupported_subject");
    assert_eq!(a[2]["data"]["error"]["code"], "bad_request");
    assert_eq!(a[3]["data"]["subject"], "lti.put_data.response");
    assert_eq!(a[3]["data"]["value"], "v2");
    assert!(a[3]["data"].get("error").is_none());
    assert_eq!(a[4]["data"]["value"], "v2");
    assert_eq!(a[5]["data"]["value"], json!(null));

    // From the platform's own page: not a registered tool origin.
    let answers = browser
        .execute_async(
            ASK,
            vec![
                json!(FRAME),
                json!(platform.origin),
                json!([
                    {"subject": "lti.put_data", "message_id": "w", "key": "k2", "value": "forged"},
                    {"subject": "lti.get_data", "message_id": "r", "key": "k2"}
                ]),
            ],
        )
        .await
        .unwrap();
    assert_eq!(answers[0]["data"]["error"]["code"], "wrong_origin");
    assert_eq!(answers[1]["data"]["error"]["code"], "wrong_origin");

    // The frame's sessionStorage (the platform origin's, shared with its page in this tab):
    // every key is namespaced by the tool's origin, and the forged put stored nothing.
    let keys = browser
        .execute(
            "return Object.keys(sessionStorage).map(k => [k, sessionStorage.getItem(k)]);",
            vec![],
        )
        .await
        .unwrap();
    let keys = keys.as_array().unwrap();
    let prefix = format!("ims-lti-storage\n{}\n", tool.origin);
    assert!(
        keys.iter()
            .all(|kv| kv[0].as_str().unwrap().starts_with(&prefix)),
        "{keys:?}"
    );
    assert!(
        keys.contains(&json!([format!("{prefix}k2"), "v2"])),
        "{keys:?}"
    );
    assert!(
        keys.iter().any(|kv| kv[0]
            .as_str()
            .unwrap()
            .starts_with(&format!("{prefix}{STATE_COOKIE_PREFIX}"))),
        "the login's value is kept under its state's key: {keys:?}"
    );
    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_platform_that_names_a_storage_frame_its_page_lacks_gets_a_page_saying_so() {
    // The login page finds no frame of that name until its timeout: it goes on with the
    // cookie alone, which the browser blocks; the launch page finds none either, and the tool
    // says so.
    let driver = start_driver().await;
    let (platform, _tool, completed, _dir) = sites_with(true, false).await;
    let (browser, _profile) = browser_blocking_third_party_cookies(&driver).await;
    browser
        .goto(&format!("{}/course", platform.origin))
        .await
        .unwrap();
    let (heading, body) = tool_frame_outcome(&browser).await;
    assert_eq!(heading, "LTI launch refused", "{body}");
    assert!(
        body.contains("storage did not give back the value stored at login (no_platform_frame)"),
        "{body}"
    );
    assert_eq!(completed.load(Ordering::SeqCst), 0);
    browser.close().await.unwrap();
}
