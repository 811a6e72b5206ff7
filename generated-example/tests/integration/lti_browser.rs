//! The LTI demo in a real browser with third-party cookies blocked (issue 10's browser
//! acceptance, driven on the demo itself): Debian's `chromium`, headless, over WebDriver
//! (`ims_test_prerequisites::browser`: `fantoccini` over a `chromedriver` this test starts), the
//! profile preference `profile.cookie_controls_mode` = 1 (block third-party cookies).
//!
//! `lti-demo platform` on `https://127.0.0.1:P` and `lti-demo tool` registered by its
//! `https://localhost:Q` URLs (another site; the tool serves both origins), started as outside
//! testers start them (`lti_demo_support::Demo`). The instructor signs in and opens the course
//! page, which launches the tool in an iframe. With `--no-platform-storage` the cookie path
//! alone fails (the blocking is in effect) and the tool refuses with a page saying why.
//!
//! With the storage frame on, the same blocked browser launches the tool through platform
//! storage (LTI Client Side postMessages and Platform Storage): the tool's page shows the launch.
//!
//! The screenshots go to `<target dir>/lti-demo-launch-storage.png` and
//! `<target dir>/lti-demo-launch-no-storage.png` (the copies in `generated-example/docs/` are the README's). TLS: Chromium trusts exactly the two demo
//! servers' keys (`--ignore-certificate-errors-spki-list`). Without `chromium` and
//! `chromedriver` these tests fail and name the install command.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::Duration;

use ims_test_prerequisites::browser::fantoccini::{Client, Locator};
use ims_test_prerequisites::browser::{
    Chromium, Driver, ThirdPartyCookies, save_screenshot, start_driver,
};
use serde_json::{Value, json};

use super::lti_demo_support::{Demo, free_port};

const SCOPES: [&str; 2] = [
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
];

/// Headless Chromium blocking third-party cookies, trusting the demo servers' keys (the
/// `key.pem` in each of `data_dirs`).
async fn browser(driver: &Driver, data_dirs: &[&Path]) -> (Client, tempfile::TempDir) {
    let mut chromium = Chromium::new(1000, 900).third_party_cookies(ThirdPartyCookies::Blocked);
    for dir in data_dirs {
        chromium =
            chromium.trusting_key_pem(&std::fs::read_to_string(dir.join("key.pem")).unwrap());
    }
    chromium.start(driver).await
}

/// The running demo: platform on 127.0.0.1, the tool registered by its localhost URLs.
struct Demos {
    platform: Demo,
    _tool: Demo,
    pdir: tempfile::TempDir,
    tdir: tempfile::TempDir,
}

fn demos(platform_extra: &[&str]) -> Demos {
    let pdir = tempfile::tempdir().unwrap();
    let tdir = tempfile::tempdir().unwrap();
    let (pp, tp) = (free_port(), free_port());
    // The platform's CA first (the tool trusts it), then the tool's URLs, then the platform
    // with the tool registered, then the tool with the platform.
    Demo::platform(pdir.path(), pp, None).stop("-TERM");
    let platform_ca = pdir.path().join("ca.pem");
    let tool = Demo::tool(tdir.path(), tp, &platform_ca);
    let at_localhost = |v: &Value| {
        Value::String(v.as_str().unwrap().replace(
            &format!("https://127.0.0.1:{tp}"),
            &format!("https://localhost:{tp}"),
        ))
    };
    let t = tool.json("tool.json");
    let entry = json!([{
        "name": "demo-tool",
        "initiate_login_uri": at_localhost(&t["initiate_login_uri"]),
        "redirect_uris": [at_localhost(&t["redirect_uri"])],
        "target_link_uri": at_localhost(&t["target_link_uri"]),
        "deep_linking_uri": at_localhost(&t["deep_linking_uri"]),
        "jwks_uri": at_localhost(&t["jwks_uri"]),
        "scopes": SCOPES,
    }]);
    std::fs::write(
        pdir.path().join("tools.json"),
        serde_json::to_vec(&entry).unwrap(),
    )
    .unwrap();
    let tool_ca = tdir.path().join("ca.pem").display().to_string();
    let mut extra = vec!["--ca", tool_ca.as_str()];
    extra.extend_from_slice(platform_extra);
    let platform = Demo::start("platform", pdir.path(), pp, "registrations.json", &extra);
    let r = platform.json("registrations.json")[0].clone();
    std::fs::write(
        tdir.path().join("platforms.json"),
        serde_json::to_vec(&json!([{
            "issuer": r["issuer"],
            "client_id": r["client_id"],
            "deployment_ids": [r["deployment_id"]],
            "authorization_endpoint": r["authorization_endpoint"],
            "token_endpoint": r["token_endpoint"],
            "jwks_uri": r["jwks_uri"],
        }]))
        .unwrap(),
    )
    .unwrap();
    tool.stop("-TERM");
    let tool = Demo::tool(tdir.path(), tp, &platform_ca);
    Demos {
        platform,
        _tool: tool,
        pdir,
        tdir,
    }
}

/// Signs in as the instructor, opens the course page and returns the tool frame's `<h1>`, body
/// text and address once it shows a page with a heading.
async fn course_page_tool_outcome(browser: &Client, d: &Demos) -> (String, String, String) {
    let origin = d.platform.origin();
    let users = d.platform.json("users.json");
    let password = users["instructor"]["password"].as_str().unwrap().to_owned();
    browser.goto(&format!("{origin}/login")).await.unwrap();
    let form = browser
        .form(Locator::Css("form[action='/login']"))
        .await
        .unwrap();
    form.set_by_name("username", "instructor").await.unwrap();
    form.set_by_name("password", &password).await.unwrap();
    form.submit().await.unwrap();
    browser
        .goto(&format!("{origin}/courses/course-1"))
        .await
        .unwrap();
    let frame = browser
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css("iframe[name='frame-demo-tool']"))
        .await
        .unwrap();
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
    let href = browser
        .execute("return location.href", vec![])
        .await
        .unwrap()
        .as_str()
        .unwrap_or_default()
        .to_owned();
    browser.enter_parent_frame().await.unwrap();
    (heading, body, href)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_platform_storage_the_demo_tool_refuses_with_a_page_that_says_why() {
    let d = demos(&["--no-platform-storage"]);
    let driver = start_driver().await;
    let (browser, _profile) = browser(&driver, &[d.pdir.path(), d.tdir.path()]).await;
    let (heading, body, _) = course_page_tool_outcome(&browser, &d).await;
    assert_eq!(heading, "LTI launch refused", "{body}");
    for why in [
        "did not present the state cookie",
        "third-party cookies",
        "lti_storage_target",
    ] {
        assert!(body.contains(why), "{why:?} not in {body}");
    }
    save_screenshot(
        &browser.screenshot().await.unwrap(),
        "lti-demo-launch-no-storage.png",
    );
    // Ending the session is cleanup, not a claim: a slow chromedriver must not fail the test.
    let _ = browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_platform_storage_the_demo_course_page_launches_the_cross_site_tool() {
    let d = demos(&[]);
    let driver = start_driver().await;
    let (browser, _profile) = browser(&driver, &[d.pdir.path(), d.tdir.path()]).await;
    let (heading, body, href) = course_page_tool_outcome(&browser, &d).await;
    assert_ne!(heading, "LTI launch refused", "{body}");
    // Completed by the re-POST that carries the value read back from the platform's storage
    // (the cookie path alone is refused in this browser: the test above).
    assert!(
        href.starts_with("https://localhost:") && href.ends_with("/lti/launch/storage"),
        "the launch did not complete through platform storage: {href}"
    );
    // The launch page names the signed-in instructor and the course.
    for shown in ["instructor", "Introduction to Biology"] {
        assert!(body.contains(shown), "{shown:?} not in {body}");
    }
    save_screenshot(
        &browser.screenshot().await.unwrap(),
        "lti-demo-launch-storage.png",
    );
    // Ending the session is cleanup, not a claim: a slow chromedriver must not fail the test.
    let _ = browser.close().await;
}
