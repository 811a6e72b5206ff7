//! The LTI demo end to end over real TLS, with the `lti-demo` binary started exactly as issue
//! 10 says (`platform --addr --data-dir`, `tool --addr --data-dir --ca`): our platform launches
//! our tool (resource link: the tool shows user, roles and context; deep linking: the picked item
//! shows on the course page), the tool posts a score through AGS that the platform reports and
//! reads results back, lists the members through NRPS; both processes exit 0 on SIGTERM/SIGINT
//! and keep their registrations across a restart. Dynamic Registration connects a fresh tool
//! (empty `platforms.json`) to a fresh platform with no key copied by hand, then launches. The
//! platform's refusals: unknown `client_id` or unregistered `redirect_uri` → a 400 page and no
//! redirect; `prompt=none` signed out → `error=login_required` form-posted to the tool. NRPS
//! pages by `limit` with `Link: <…>; rel="next"`; the token endpoint takes a tool's client
//! assertion whose `aud` is the token endpoint or the issuer, each `jti` once; AGS line item,
//! score and result (on the line item's scale) at the registration's `lineitems_url`. A bad
//! `tools.json` stops the start naming the file, the entry and the fix.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use ims_runtime::lti::ToolKey;

use super::lti_demo_support::{Browser, Demo, form_with, free_port};

const INSTRUCTOR: &str = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor";
const LEARNER: &str = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner";
const SCOPES: [&str; 5] = [
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
];

/// The platform's `tools.json` entry for a tool whose `tool.json` is `tool`.
fn tools_entry(name: &str, tool: &Value) -> Value {
    json!({
        "name": name,
        "initiate_login_uri": tool["initiate_login_uri"],
        "redirect_uris": [tool["redirect_uri"]],
        "target_link_uri": tool["target_link_uri"],
        "deep_linking_uri": tool["deep_linking_uri"],
        "jwks_uri": tool["jwks_uri"],
        "scopes": SCOPES,
    })
}

/// The tool's `platforms.json` entry for a `registrations.json` entry.
fn platforms_entry(registration: &Value) -> Value {
    json!({
        "issuer": registration["issuer"],
        "client_id": registration["client_id"],
        "deployment_ids": [registration["deployment_id"]],
        "authorization_endpoint": registration["authorization_endpoint"],
        "token_endpoint": registration["token_endpoint"],
        "jwks_uri": registration["jwks_uri"],
    })
}

/// The `href` of the first link ending with `ending` (its closing quote included).
fn link_with(html: &str, ending: &str) -> String {
    let at = html
        .find(ending)
        .unwrap_or_else(|| panic!("no {ending} in {html}"));
    let start = html[..at].rfind('"').unwrap() + 1;
    let end = at + ending.len() - 1;
    super::lti_demo_support::unescape(&html[start..end])
}

/// The platform's refusals at its authorization endpoint for the tool registered as
/// `client_id` with launch URL `redirect_uri`: an unknown client or an unregistered redirect
/// URI is a 400 page with no redirect; `prompt=none` with nobody signed in is
/// `error=login_required` form-posted to the registered redirect URI.
async fn authorization_endpoint_refusals(
    platform: &Demo,
    cas: &[&std::path::Path],
    client_id: &str,
    redirect_uri: &str,
) {
    let mut instructor = Browser::new(cas);
    instructor.sign_in(platform, "instructor").await;
    let authorize = |client_id: &str, redirect_uri: &str, prompt: Option<&str>| {
        let mut url = url::Url::parse(&format!("{}/lti/authorize", platform.origin())).unwrap();
        url.query_pairs_mut()
            .append_pair("scope", "openid")
            .append_pair("response_type", "id_token")
            .append_pair("response_mode", "form_post")
            .append_pair("client_id", client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("login_hint", "instructor")
            .append_pair("lti_message_hint", "not-a-hint")
            .append_pair("state", "s-1")
            .append_pair("nonce", "n-1");
        if let Some(p) = prompt {
            url.query_pairs_mut().append_pair("prompt", p);
        }
        url.to_string()
    };
    let unknown = instructor
        .send(
            Method::GET,
            &authorize("no-such-client", redirect_uri, None),
            None,
        )
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST, "{}", unknown.body);
    assert_eq!(unknown.location, None);
    assert!(
        unknown.body.contains("<html") || unknown.body.contains("<!doctype"),
        "{}",
        unknown.body
    );
    let elsewhere = instructor
        .send(
            Method::GET,
            &authorize(client_id, "https://attacker.example/launch", None),
            None,
        )
        .await;
    assert_eq!(
        elsewhere.status,
        StatusCode::BAD_REQUEST,
        "{}",
        elsewhere.body
    );
    assert_eq!(elsewhere.location, None);
    let mut nobody = Browser::new(cas);
    let silent = nobody
        .send(
            Method::GET,
            &authorize(client_id, redirect_uri, Some("none")),
            None,
        )
        .await;
    assert_eq!(silent.status, StatusCode::OK, "{}", silent.body);
    let (action, method, fields) = form_with(&silent.body, "action=").unwrap();
    assert_eq!(action, *redirect_uri);
    assert!(method.eq_ignore_ascii_case("post"));
    assert!(
        fields.contains(&("error".into(), "login_required".into())),
        "{fields:?}"
    );
    assert!(
        fields.contains(&("state".into(), "s-1".into())),
        "{fields:?}"
    );
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn platform_launches_tool_scores_members_deep_linking_and_keeps_registrations() {
    let pdir = tempfile::tempdir().unwrap();
    let tdir = tempfile::tempdir().unwrap();
    let (pp, tp) = (free_port(), free_port());

    // The platform's CA first (the tool trusts it), then the tool's URLs, then the platform
    // with the tool registered from tools.json, then the tool with the platform.
    let platform = Demo::platform(pdir.path(), pp, None);
    assert_eq!(platform.json("registrations.json"), json!([]));
    let users = platform.json("users.json");
    let users = users.as_object().unwrap();
    let learners = users
        .values()
        .filter(|u| u["roles"] == json!([LEARNER]))
        .count();
    assert!(learners >= 30, "{learners} learners");
    assert_eq!(users["instructor"]["roles"], json!([INSTRUCTOR]));
    platform.stop("-TERM");
    let platform_ca = pdir.path().join("ca.pem");
    let tool = Demo::tool(tdir.path(), tp, &platform_ca);
    let tool_json = tool.json("tool.json");
    std::fs::write(
        pdir.path().join("tools.json"),
        serde_json::to_vec(&json!([tools_entry("demo-tool", &tool_json)])).unwrap(),
    )
    .unwrap();
    let tool_ca = tdir.path().join("ca.pem");
    // Exactly the issue's command line: no `--ca` for the tool's development CA (the platform
    // accepts a loopback tool's certificate); the restart below passes `--ca` instead.
    let platform = Demo::platform(pdir.path(), pp, None);
    let registrations = platform.json("registrations.json");
    let registration = registrations[0].clone();
    assert_eq!(registration["name"], "demo-tool");
    assert_eq!(registration["issuer"], platform.origin());
    assert_eq!(registration["course_id"], "course-1");
    assert_eq!(
        registration["lineitems_url"],
        format!("{}/courses/course-1/lineitems", platform.origin())
    );
    assert_eq!(
        registration["memberships_url"],
        format!("{}/courses/course-1/memberships", platform.origin())
    );
    std::fs::write(
        tdir.path().join("platforms.json"),
        serde_json::to_vec(&json!([platforms_entry(&registration)])).unwrap(),
    )
    .unwrap();
    tool.stop("-TERM");
    let tool = Demo::tool(tdir.path(), tp, &platform_ca);

    // The OpenID configuration names what tools need.
    let mut browser = Browser::new(&[&platform_ca, &tool_ca]);
    let config = browser
        .get(&format!(
            "{}/.well-known/openid-configuration",
            platform.origin()
        ))
        .await;
    assert_eq!(config.status, StatusCode::OK, "{}", config.body);
    let config: Value = serde_json::from_str(&config.body).unwrap();
    assert_eq!(config["issuer"], platform.origin());
    assert!(config["registration_endpoint"].is_string(), "{config}");
    assert!(config.to_string().contains("private_key_jwt"), "{config}");
    assert!(config.to_string().contains("RS256"), "{config}");

    // Signed out: the launch URL sends the browser to /login and back.
    let launch_url = format!("{}/courses/course-1/launch/demo-tool", platform.origin());
    let signed_out = browser.send(Method::GET, &launch_url, None).await;
    assert_eq!(signed_out.status, StatusCode::SEE_OTHER);
    assert!(
        signed_out
            .location
            .as_deref()
            .unwrap()
            .contains("/login?next=%2Fcourses%2Fcourse-1%2Flaunch%2Fdemo-tool"),
        "{:?}",
        signed_out.location
    );
    let course = browser.sign_in(&platform, "instructor").await;
    assert_eq!(course.status, StatusCode::OK, "{}", course.body);
    // The platform-storage frame (LTI Client Side postMessages) is on the course page.
    assert!(
        course.body.contains("name=\"lti-platform-storage\""),
        "{}",
        course.body
    );
    let frame = browser
        .get(&format!("{}/lti/storage-frame", platform.origin()))
        .await;
    assert_eq!(frame.status, StatusCode::OK);
    assert!(frame.body.contains(&tool.origin()), "{}", frame.body);
    assert!(
        course.body.contains("/courses/course-1/launch/demo-tool"),
        "{}",
        course.body
    );
    let session = browser
        .set_cookies
        .iter()
        .find(|(o, c)| *o == platform.origin() && c.starts_with("lti_platform_session="))
        .unwrap();
    assert!(
        session.1.contains("Secure")
            && session.1.contains("HttpOnly")
            && session.1.contains("SameSite=None"),
        "{session:?}"
    );

    // An unknown tool is a 404 page; the registration page is for administrators.
    let unknown = browser
        .get(&format!(
            "{}/courses/course-1/launch/no-such-tool",
            platform.origin()
        ))
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{}", unknown.body);
    assert!(unknown.body.contains("No such tool"), "{}", unknown.body);

    // Resource-link launch: the tool's page shows the user, roles and context.
    let launched = browser.get(&launch_url).await;
    assert_eq!(launched.status, StatusCode::OK, "{}", launched.body);
    assert!(launched.url.starts_with(&tool.origin()), "{}", launched.url);
    assert!(launched.body.contains("instructor"), "{}", launched.body);
    assert!(launched.body.contains(INSTRUCTOR), "{}", launched.body);
    assert!(launched.body.contains("course-1"), "{}", launched.body);

    // A score through AGS: the tool reads the result back, the platform's course page reports it.
    let scored = browser
        .submit(
            &launched,
            "score",
            &[
                ("user_id", "learner07"),
                ("score_given", "7"),
                ("score_maximum", "10"),
            ],
        )
        .await;
    assert_eq!(scored.status, StatusCode::OK, "{}", scored.body);
    assert!(
        scored.body.contains("<td>learner07</td>"),
        "results read back: {}",
        scored.body
    );
    let course = browser
        .get(&format!("{}/courses/course-1", platform.origin()))
        .await;
    assert!(
        course.body.contains("learner07") && course.body.contains("7 / 10"),
        "{}",
        course.body
    );

    // Members through NRPS: the instructor and every learner.
    let members_url = format!(
        "{}{}",
        tool.origin(),
        link_with(&launched.body, "/members\"")
    );
    let members = browser.get(&members_url).await;
    assert_eq!(members.status, StatusCode::OK, "{}", members.body);
    assert!(
        members.body.contains(&format!("{} members", learners + 1)),
        "{}",
        members.body
    );
    assert!(members.body.contains("learner30"), "{}", members.body);

    // Deep linking: pick an item; the platform's course page lists it.
    let picker = browser
        .get(&format!(
            "{}/courses/course-1/deep-link/demo-tool",
            platform.origin()
        ))
        .await;
    assert_eq!(picker.status, StatusCode::OK, "{}", picker.body);
    let returned = browser.submit(&picker, "/deep-link", &[]).await;
    assert_eq!(returned.status, StatusCode::OK, "{}", returned.body);
    assert!(
        returned.url.starts_with(&platform.origin()),
        "{}",
        returned.url
    );
    assert!(returned.body.contains("Content added"), "{}", returned.body);
    let course = browser
        .get(&format!("{}/courses/course-1", platform.origin()))
        .await;
    assert!(
        course
            .body
            .contains("class=\"content-item\" data-tool=\"demo-tool\""),
        "{}",
        course.body
    );

    // A learner's launch: roles say so, no instructor tools.
    let mut learner = Browser::new(&[&platform_ca, &tool_ca]);
    learner.sign_in(&platform, "learner03").await;
    let page = learner.get(&launch_url).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains(LEARNER) && page.body.contains("learner03"),
        "{}",
        page.body
    );
    assert!(form_with(&page.body, "score").is_none(), "{}", page.body);

    authorization_endpoint_refusals(
        &platform,
        &[&platform_ca, &tool_ca],
        registration["client_id"].as_str().unwrap(),
        tool_json["redirect_uri"].as_str().unwrap(),
    )
    .await;

    // Both stop with exit 0 and keep their registrations.
    platform.stop("-TERM");
    tool.stop("-INT");
    let platform = Demo::platform(pdir.path(), pp, Some(&tool_ca));
    assert_eq!(platform.json("registrations.json"), registrations);
    let tool = Demo::tool(tdir.path(), tp, &platform_ca);
    let mut again = Browser::new(&[&platform_ca, &tool_ca]);
    again.sign_in(&platform, "instructor").await;
    let page = again.get(&launch_url).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains(INSTRUCTOR), "{}", page.body);
    let course = again
        .get(&format!("{}/courses/course-1", platform.origin()))
        .await;
    assert!(
        course.body.contains("7 / 10"),
        "scores survive the restart: {}",
        course.body
    );
    tool.stop("-TERM");
    platform.stop("-INT");
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn dynamic_registration_connects_a_fresh_tool_then_launches() {
    let pdir = tempfile::tempdir().unwrap();
    let tdir = tempfile::tempdir().unwrap();
    let (pp, tp) = (free_port(), free_port());
    let platform = Demo::platform(pdir.path(), pp, None);
    let platform_ca = pdir.path().join("ca.pem");
    std::fs::write(tdir.path().join("platforms.json"), "[]").unwrap();
    let tool = Demo::tool(tdir.path(), tp, &platform_ca);
    let tool_ca = tdir.path().join("ca.pem");
    let registration_uri = tool.json("tool.json")["registration_uri"]
        .as_str()
        .unwrap()
        .to_owned();
    let register_url = format!(
        "{}/admin/register-tool?url={}",
        platform.origin(),
        url::form_urlencoded::byte_serialize(registration_uri.as_bytes()).collect::<String>()
    );

    // Only an administrator may start it.
    let mut instructor = Browser::new(&[&platform_ca, &tool_ca]);
    instructor.sign_in(&platform, "instructor").await;
    let refused = instructor.send(Method::GET, &register_url, None).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);

    let mut admin = Browser::new(&[&platform_ca, &tool_ca]);
    admin.sign_in(&platform, "admin").await;
    let start = admin.send(Method::GET, &register_url, None).await;
    assert!(start.status.is_redirection(), "{}", start.body);
    let to_tool = start.location.clone().unwrap();
    assert!(to_tool.starts_with(&registration_uri), "{to_tool}");
    let query: Vec<(String, String)> = url::Url::parse(&to_tool)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();
    assert!(query.iter().any(|(k, v)| k == "openid_configuration"
        && *v == format!("{}/.well-known/openid-configuration", platform.origin())));
    assert!(query.iter().any(|(k, _)| k == "registration_token"));
    let registered = admin.get(&to_tool).await;
    assert_eq!(registered.status, StatusCode::OK, "{}", registered.body);

    // Both sides wrote it down; the token was single use.
    let platforms = tool.json("platforms.json");
    assert_eq!(platforms.as_array().unwrap().len(), 1, "{platforms}");
    assert_eq!(platforms[0]["issuer"], platform.origin());
    let registrations = platform.json("registrations.json");
    assert_eq!(
        registrations.as_array().unwrap().len(),
        1,
        "{registrations}"
    );
    assert_eq!(registrations[0]["client_id"], platforms[0]["client_id"]);
    let replay = admin.send(Method::GET, &to_tool, None).await;
    assert_ne!(
        replay.status,
        StatusCode::OK,
        "a registration token works once: {}",
        replay.body
    );
    assert_eq!(platform.json("registrations.json"), registrations);

    // The new tool launches.
    let name = registrations[0]["name"].as_str().unwrap();
    let launch_url = format!("{}/courses/course-1/launch/{name}", platform.origin());
    let page = instructor.get(&launch_url).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.url.starts_with(&tool.origin()), "{}", page.url);
    assert!(page.body.contains(INSTRUCTOR), "{}", page.body);

    // Registrations survive restarts on both sides.
    platform.stop("-TERM");
    tool.stop("-TERM");
    let platform = Demo::platform(pdir.path(), pp, None);
    assert_eq!(platform.json("registrations.json"), registrations);
    let tool = Demo::tool(tdir.path(), tp, &platform_ca);
    assert_eq!(tool.json("platforms.json"), platforms);
    let mut again = Browser::new(&[&platform_ca, &tool_ca]);
    again.sign_in(&platform, "instructor").await;
    let page = again.get(&launch_url).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    tool.stop("-TERM");
    platform.stop("-TERM");
}

/// A client assertion for `client_id` signed by `key`, with `aud` and `jti`.
fn assertion(key: &ToolKey, client_id: &str, aud: &str, jti: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    key.sign(&json!({
        "iss": client_id, "sub": client_id, "aud": aud, "jti": jti,
        "iat": now, "exp": now + 240,
    }))
    .unwrap()
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn ags_and_nrps_paged_by_limit_behind_assertions_for_the_token_endpoint_or_the_issuer() {
    let pdir = tempfile::tempdir().unwrap();
    let key = ToolKey::generate(jsonwebtoken::Algorithm::RS256).unwrap();
    std::fs::write(
        pdir.path().join("tools.json"),
        serde_json::to_vec(&json!([{
            "name": "probe",
            "initiate_login_uri": "https://probe.example/lti/login",
            "redirect_uris": ["https://probe.example/lti/launch"],
            "target_link_uri": "https://probe.example/lti/resource",
            "jwks": {"keys": [key.public_jwk()]},
            "scopes": SCOPES,
        }]))
        .unwrap(),
    )
    .unwrap();
    let platform = Demo::platform(pdir.path(), free_port(), None);
    let registration = platform.json("registrations.json")[0].clone();
    let client_id = registration["client_id"].as_str().unwrap();
    let token_endpoint = registration["token_endpoint"].as_str().unwrap();
    assert_eq!(token_endpoint, format!("{}/token", platform.origin()));
    let http = reqwest::Client::builder()
        .tls_backend_preconfigured(
            ims_runtime::tls::client_config(Some(
                &std::fs::read(pdir.path().join("ca.pem")).unwrap(),
            ))
            .unwrap(),
        )
        .build()
        .unwrap();
    let token = |assertion: String| {
        let http = http.clone();
        async move {
            let r = http
                .post(token_endpoint)
                .form(&[
                    ("grant_type", "client_credentials"),
                    (
                        "client_assertion_type",
                        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                    ),
                    ("client_assertion", assertion.as_str()),
                    ("scope", SCOPES[4]),
                ])
                .send()
                .await
                .unwrap();
            (r.status(), r.json::<Value>().await.unwrap())
        }
    };
    // `aud` = the token endpoint, then = the issuer; a `jti` twice is refused.
    let (status, body) = token(assertion(&key, client_id, token_endpoint, "j-1")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = token(assertion(&key, client_id, &platform.origin(), "j-2")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = token(assertion(&key, client_id, token_endpoint, "j-1")).await;
    assert_eq!(status.as_u16() / 100, 4, "a replayed jti: {body}");
    let (status, body) = token(assertion(
        &key,
        client_id,
        "https://elsewhere.example/token",
        "j-3",
    ))
    .await;
    assert_eq!(status.as_u16() / 100, 4, "another audience: {body}");

    // AGS at the registration's line items URL: a line item, a score as the score media type,
    // the result on the line item's scale.
    let scope = format!("{} {} {}", SCOPES[0], SCOPES[2], SCOPES[3]);
    let r = http
        .post(token_endpoint)
        .form(&[
            ("grant_type", "client_credentials"),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            (
                "client_assertion",
                assertion(&key, client_id, token_endpoint, "j-5").as_str(),
            ),
            ("scope", scope.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let ags_bearer = format!(
        "Bearer {}",
        r.json::<Value>().await.unwrap()["access_token"]
            .as_str()
            .unwrap()
    );
    let lineitems_url = registration["lineitems_url"].as_str().unwrap();
    let r = http
        .post(lineitems_url)
        .header("authorization", &ags_bearer)
        .header("content-type", "application/vnd.ims.lis.v2.lineitem+json")
        .body(json!({"label": "Probe quiz", "scoreMaximum": 50}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let line_item: Value = r.json().await.unwrap();
    let line_item_url = line_item["id"].as_str().unwrap().to_owned();
    assert!(
        line_item_url.starts_with(&format!("{lineitems_url}/")),
        "{line_item_url}"
    );
    let r = http
        .post(format!("{line_item_url}/scores"))
        .header("authorization", &ags_bearer)
        .header("content-type", "application/vnd.ims.lis.v1.score+json")
        .body(
            json!({
                "userId": "learner05", "scoreGiven": 8, "scoreMaximum": 10,
                "timestamp": "2026-01-01T00:00:00Z",
                "activityProgress": "Completed", "gradingProgress": "FullyGraded",
            })
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    let r = http
        .get(format!("{line_item_url}/results"))
        .header("authorization", &ags_bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let results: Value = r.json().await.unwrap();
    assert_eq!(results[0]["userId"], "learner05");
    assert_eq!(results[0]["resultScore"], 40.0);
    assert_eq!(results[0]["resultMaximum"], 50.0);

    // NRPS by 7: every member once, following `Link: <…>; rel="next"` (absolute URLs under
    // /courses/course-1/memberships, the limit kept).
    let (_, body) = token(assertion(&key, client_id, token_endpoint, "j-4")).await;
    let bearer = format!("Bearer {}", body["access_token"].as_str().unwrap());
    let mut next = Some(format!(
        "{}?limit=7",
        registration["memberships_url"].as_str().unwrap()
    ));
    let mut members: Vec<String> = Vec::new();
    let mut pages = 0;
    while let Some(url) = next.take() {
        let r = http
            .get(&url)
            .header("authorization", &bearer)
            .header(
                "accept",
                "application/vnd.ims.lti-nrps.v2.membershipcontainer+json",
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        next = r
            .headers()
            .get("link")
            .map(|l| l.to_str().unwrap().to_owned())
            .map(|l| {
                assert!(l.ends_with("rel=\"next\""), "{l}");
                l[1..l.find('>').unwrap()].to_owned()
            });
        if let Some(n) = &next {
            assert!(
                n.starts_with(&format!(
                    "{}/courses/course-1/memberships?",
                    platform.origin()
                )),
                "{n}"
            );
            assert!(n.contains("limit=7"), "{n}");
        }
        let page: Value = r.json().await.unwrap();
        assert_eq!(page["context"]["id"], "course-1");
        let ids: Vec<String> = page["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["user_id"].as_str().unwrap().to_owned())
            .collect();
        assert!(ids.len() <= 7);
        members.extend(ids);
        pages += 1;
    }
    assert_eq!(
        members.len(),
        31,
        "the instructor and 30 learners: {members:?}"
    );
    assert_eq!(pages, 5);
    assert_eq!(members[0], "instructor");
    let mut unique = members.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), members.len());
    platform.stop("-TERM");
}

#[test]
fn a_bad_tools_json_stops_the_start_naming_the_file_the_entry_and_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("tools.json"),
        r#"[{"name": "quiz", "initiate_login_uri": "http://tool.example/login", "redirect_uris": ["https://tool.example/launch"], "target_link_uri": "https://tool.example/", "jwks_uri": "https://tool.example/jwks", "scopes": []}]"#,
    )
    .unwrap();
    let out = std::process::Command::new(super::lti_demo_support::BIN)
        .args([
            "platform",
            "--addr",
            &format!("127.0.0.1:{}", free_port()),
            "--data-dir",
        ])
        .arg(dir.path())
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("tools.json")
            && err.contains("entry 0 ('quiz')")
            && err.contains("initiate_login_uri")
            && err.contains("https"),
        "{err}"
    );
    assert!(
        !dir.path().join("registrations.json").exists(),
        "nothing is written for a refused start"
    );
}
