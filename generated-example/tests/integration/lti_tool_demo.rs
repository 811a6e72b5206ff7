//! The LTI demo's tool command (`ims_generated_example::lti_tool`) over real TLS, driven the way
//! a platform and a browser drive it: `tool.json` and its URLs, the JWKS kept across a restart,
//! a bad `platforms.json` refused by name, a launch signed by a test platform's key (inline
//! JWKS) shown with its user, roles and context, the CSRF token of the score form, scores
//! posted through AGS and members listed through NRPS against generated servers behind the
//! embedded authorization server (the tool's client assertion signed with its own key), and the
//! deep-linking picker answered with the signed `JWT` form.

// In a test a failed expectation is a failed test, not a crash reachable from input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use ims_generated_example::lti_ags_v2p0::models::{LineItem, Result as AgsResult, Score};
use ims_generated_example::lti_ags_v2p0::server::AgsService;
use ims_generated_example::lti_nrps_v2p0::models::{Member, MembershipContainer};
use ims_generated_example::lti_nrps_v2p0::server::NrpsService;
use ims_generated_example::lti_tool::{
    LtiToolDemo, LtiToolDemoError, PLATFORMS_FILE, RunningToolDemo, TOOL_JSON_FILE, TOOL_KEYS_FILE,
    ToolUrls, run,
};
use ims_generated_example::{lti_ags_v2p0, lti_nrps_v2p0};
use ims_runtime::authorization_server::{
    AuthorizationServer, GrantType, JwksUriPolicy, NewClient, SqliteStore, TokenEndpointAuthMethod,
};
use ims_runtime::client::{HttpPolicy, TokenSource, TokenSourceOptions};
use ims_runtime::codegen::{ImsError, LinkedPage, RequestContext, Uri};
use ims_runtime::lti::ToolKey;
use ims_runtime::lti::dynamic_registration::{
    LTI_PLATFORM_CONFIGURATION, LTI_SERVICE_SCOPES, PlatformRegistrar, RegistrationTokens,
};
use ims_runtime::lti::platform::ToolRegistration;
use ims_runtime::resource_server::AuthLayer;
use ims_runtime::tls::testing::shared_dev_pem;
use ims_runtime::tls::{ServeOptions, TlsConfig, serve_tls_with};
use jsonwebtoken::Algorithm;
use serde_json::{Value, json};
use tokio::sync::oneshot;

use super::lti_ags::page_of;

const CLIENT_ID: &str = "demo-tool-client";
const DEPLOYMENT_ID: &str = "deployment-1";
const CONTEXT_ID: &str = "course-1";
const INSTRUCTOR: &str = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor";
const LEARNER: &str = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner";
const LEARNERS: usize = 34;
/// The test platform's largest NRPS page, whatever the tool asks for: the tool must follow
/// `Link: rel="next"` to list everyone.
const PLATFORM_PAGE_CAP: i32 = 10;
const AGS_SCOPES: [&str; 4] = [
    lti_ags_v2p0::scopes::LINEITEM,
    lti_ags_v2p0::scopes::LINEITEM_READONLY,
    lti_ags_v2p0::scopes::RESULT_READONLY,
    lti_ags_v2p0::scopes::SCORE,
];

fn loopback() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// A client like a browser: trusts the tool's CA, follows no redirect (the test reads them).
fn browser(ca_pem: &[u8]) -> reqwest::Client {
    reqwest::Client::builder()
        .tls_backend_preconfigured(ims_runtime::tls::client_config(Some(ca_pem)).unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .https_only(true)
        .build()
        .unwrap()
}

/// A platform as the tool sees it: an issuer, the key its `id_token`s are signed with (given
/// inline in `platforms.json`), and a token endpoint.
struct TestPlatform {
    issuer: String,
    key: ToolKey,
    token_endpoint: String,
}

impl TestPlatform {
    fn new(issuer: &str, token_endpoint: &str) -> Self {
        TestPlatform {
            issuer: issuer.to_owned(),
            key: ToolKey::generate(Algorithm::RS256).unwrap(),
            token_endpoint: token_endpoint.to_owned(),
        }
    }

    fn write_platforms_json(&self, dir: &Path) {
        let entry = json!([{
            "issuer": self.issuer,
            "client_id": CLIENT_ID,
            "deployment_ids": [DEPLOYMENT_ID],
            "authorization_endpoint": format!("{}/authorize", self.issuer),
            "token_endpoint": self.token_endpoint,
            "jwks": {"keys": [self.key.public_jwk()]},
        }]);
        std::fs::write(dir.join(PLATFORMS_FILE), entry.to_string()).unwrap();
    }
}

/// What a launch carries besides the fixed claims.
struct LaunchSpec<'a> {
    sub: &'a str,
    name: &'a str,
    roles: &'a [&'a str],
    deep_linking: bool,
    /// `(lineitems URL, memberships URL)` of the platform's services.
    services: Option<(&'a str, &'a str)>,
}

/// Login initiation → the authorization request the tool redirects to → the `id_token` this
/// test signs as the platform, form-posted with the state cookie: the tool's answer.
async fn launch(
    tool: &RunningToolDemo,
    browser: &reqwest::Client,
    platform: &TestPlatform,
    spec: &LaunchSpec<'_>,
) -> reqwest::Response {
    launch_at(&tool.urls, browser, platform, spec).await
}

/// [`launch`] at the tool's URLs `urls`.
async fn launch_at(
    urls: &ToolUrls,
    browser: &reqwest::Client,
    platform: &TestPlatform,
    spec: &LaunchSpec<'_>,
) -> reqwest::Response {
    let target = if spec.deep_linking {
        &urls.deep_linking_uri
    } else {
        &urls.target_link_uri
    };
    let login = browser
        .get(&urls.initiate_login_uri)
        .query(&[
            ("iss", platform.issuer.as_str()),
            ("login_hint", spec.sub),
            ("target_link_uri", target),
            ("client_id", CLIENT_ID),
            ("lti_deployment_id", DEPLOYMENT_ID),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status().as_u16(), 302, "{:?}", login.text().await);
    let cookie = login.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("Secure")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=None"),
        "{cookie}"
    );
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let location = url::Url::parse(login.headers()["location"].to_str().unwrap()).unwrap();
    let query: BTreeMap<String, String> = location.query_pairs().into_owned().collect();
    assert_eq!(query["redirect_uri"], urls.redirect_uri);
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut claims = json!({
        "iss": platform.issuer,
        "aud": CLIENT_ID,
        "sub": spec.sub,
        "name": spec.name,
        "iat": now,
        "exp": now + 300,
        "nonce": query["nonce"],
        "https://purl.imsglobal.org/spec/lti/claim/version": "1.3.0",
        "https://purl.imsglobal.org/spec/lti/claim/deployment_id": DEPLOYMENT_ID,
        "https://purl.imsglobal.org/spec/lti/claim/target_link_uri": target,
        "https://purl.imsglobal.org/spec/lti/claim/roles": spec.roles,
        "https://purl.imsglobal.org/spec/lti/claim/context": {
            "id": CONTEXT_ID, "label": "BIO-101", "title": "Biology 101"
        },
    });
    let obj = claims.as_object_mut().unwrap();
    if spec.deep_linking {
        obj.insert(
            "https://purl.imsglobal.org/spec/lti/claim/message_type".into(),
            json!("LtiDeepLinkingRequest"),
        );
        obj.insert(
            "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings".into(),
            json!({
                "deep_link_return_url": format!("{}/deep-link-return", platform.issuer),
                "accept_types": ["ltiResourceLink", "link"],
                "accept_presentation_document_targets": ["iframe", "window"],
                "accept_multiple": true,
                "data": "opaque-platform-data",
            }),
        );
    } else {
        obj.insert(
            "https://purl.imsglobal.org/spec/lti/claim/message_type".into(),
            json!("LtiResourceLinkRequest"),
        );
        obj.insert(
            "https://purl.imsglobal.org/spec/lti/claim/resource_link".into(),
            json!({"id": "link-1", "title": "Week 1 quiz"}),
        );
    }
    if let Some((lineitems, memberships)) = spec.services {
        obj.insert(
            "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint".into(),
            json!({"scope": AGS_SCOPES, "lineitems": lineitems}),
        );
        obj.insert(
            "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice".into(),
            json!({"context_memberships_url": memberships, "service_versions": ["2.0"]}),
        );
    }
    let id_token = platform.key.sign(&claims).unwrap();
    browser
        .post(&urls.redirect_uri)
        .header("cookie", cookie)
        .form(&[("id_token", id_token.as_str()), ("state", &query["state"])])
        .send()
        .await
        .unwrap()
}

/// The text between `start` and the next `end` in `page`.
fn between<'p>(page: &'p str, start: &str, end: &str) -> &'p str {
    let from = page
        .find(start)
        .unwrap_or_else(|| panic!("`{start}` not in {page}"))
        + start.len();
    let len = page[from..].find(end).unwrap();
    &page[from..from + len]
}

/// The launch id and CSRF token of a launch page.
fn launch_id_and_csrf(page: &str) -> (String, String) {
    let action = between(page, "action=\"/launches/", "\"");
    let id = action.split('/').next().unwrap().to_owned();
    let csrf = between(page, "name=\"csrf\" value=\"", "\"").to_owned();
    (id, csrf)
}

/// `tool.json` of `dir`.
fn read_tool_json(dir: &Path) -> ToolUrls {
    serde_json::from_slice(&std::fs::read(dir.join(TOOL_JSON_FILE)).unwrap()).unwrap()
}

#[tokio::test]
async fn run_writes_tool_json_with_its_urls_before_serving_and_exits_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let data_dir = dir.path().join("tool");
    // A port that was free a moment ago, so the test can knock on it before the tool starts.
    let addr = std::net::TcpListener::bind(loopback())
        .unwrap()
        .local_addr()
        .unwrap();
    let task = tokio::spawn(run(addr, data_dir.clone(), None, async move {
        let _ = stopped.await;
    }));
    // The first connection that succeeds finds tool.json already written.
    let mut knocks = 0;
    while tokio::net::TcpStream::connect(addr).await.is_err() {
        knocks += 1;
        assert!(knocks < 1200, "the tool never opened {addr}");
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert!(
        data_dir.join(TOOL_JSON_FILE).exists(),
        "the port opened before tool.json was written"
    );
    let urls = read_tool_json(&data_dir);

    // Every URL absolute https on the served address, under /lti/.
    let origin = urls.jwks_uri.strip_suffix("/lti/jwks").unwrap().to_owned();
    assert_eq!(origin, format!("https://{addr}"));
    assert_eq!(urls, ToolUrls::at(&origin));
    assert_eq!(urls.initiate_login_uri, format!("{origin}/lti/login"));
    assert_eq!(urls.redirect_uri, format!("{origin}/lti/launch"));
    assert_eq!(urls.target_link_uri, format!("{origin}/lti/resource"));
    assert_eq!(urls.deep_linking_uri, format!("{origin}/lti/deep-link"));
    assert_eq!(urls.registration_uri, format!("{origin}/lti/register"));
    let raw: Value =
        serde_json::from_slice(&std::fs::read(data_dir.join(TOOL_JSON_FILE)).unwrap()).unwrap();
    assert_eq!(
        raw.as_object().unwrap().len(),
        6,
        "exactly the six members: {raw}"
    );

    // The port serves TLS with the certificate of `E/ca.pem`, for 127.0.0.1 and localhost.
    let ca = std::fs::read(data_dir.join("ca.pem")).unwrap();
    let client = browser(&ca);
    let jwks: Value = client
        .get(&urls.jwks_uri)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 1);
    let port = origin.rsplit(':').next().unwrap();
    let via_localhost = client
        .get(format!("https://localhost:{port}/lti/jwks"))
        .send()
        .await
        .unwrap();
    assert_eq!(via_localhost.status().as_u16(), 200);

    // No platform yet (no platforms.json): a login initiation is refused with a page saying so.
    let refused = client
        .get(&urls.initiate_login_uri)
        .query(&[
            ("iss", "https://unknown.example"),
            ("login_hint", "u"),
            ("target_link_uri", urls.target_link_uri.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert!(refused.status().is_client_error(), "{}", refused.status());

    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
}

#[tokio::test]
async fn the_jwks_is_the_same_after_a_restart_and_the_keys_stay_private() {
    let dir = tempfile::tempdir().unwrap();
    let first = LtiToolDemo::start(loopback(), dir.path().to_path_buf(), None)
        .await
        .unwrap();
    let jwks_before: Value = browser(&first.ca_pem)
        .get(&first.urls.jwks_uri)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    first.shutdown().await.unwrap();

    let second = LtiToolDemo::start(loopback(), dir.path().to_path_buf(), None)
        .await
        .unwrap();
    let jwks_after: Value = browser(&second.ca_pem)
        .get(&second.urls.jwks_uri)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks_before, jwks_after);
    assert!(jwks_after["keys"][0]["kid"].is_string());
    assert!(
        jwks_after["keys"][0].get("d").is_none(),
        "no private member"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join(TOOL_KEYS_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o077,
            0,
            "tool-keys.json is readable by its owner only"
        );
    }
    second.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_bad_platforms_file_stops_the_tool_with_an_error_naming_it() {
    let cases = [
        ("not json", "{ this is not JSON"),
        ("wrong shape", r#"[{"issuer": 1}]"#),
        (
            "http endpoint",
            r#"[{"issuer": "https://p.example", "client_id": "c", "deployment_ids": ["d"],
                "authorization_endpoint": "http://p.example/auth",
                "token_endpoint": "https://p.example/token", "jwks_uri": "https://p.example/jwks"}]"#,
        ),
    ];
    for (case, text) in cases {
        let dir = tempfile::tempdir().unwrap();
        let path: PathBuf = dir.path().join(PLATFORMS_FILE);
        std::fs::write(&path, text).unwrap();
        let err = LtiToolDemo::start(loopback(), dir.path().to_path_buf(), None)
            .await
            .unwrap_err();
        assert!(
            matches!(err, LtiToolDemoError::Platforms { .. }),
            "{case}: {err:?}"
        );
        let message = err.to_string();
        assert!(
            message.contains(&path.display().to_string()),
            "{case}: {message}"
        );
        // Refused before anything is served: no tool.json claims a port.
        assert!(!dir.path().join(TOOL_JSON_FILE).exists(), "{case}");
    }
}

#[tokio::test]
async fn a_signed_launch_shows_the_user_roles_and_context_and_instructor_tools() {
    let dir = tempfile::tempdir().unwrap();
    let platform = TestPlatform::new("https://platform.example", "https://platform.example/token");
    platform.write_platforms_json(dir.path());
    let tool = LtiToolDemo::start(loopback(), dir.path().to_path_buf(), None)
        .await
        .unwrap();
    let client = browser(&tool.ca_pem);

    let services = Some((
        "https://platform.example/lti/courses/course-1/lineitems",
        "https://platform.example/lti/courses/course-1/memberships",
    ));
    let teacher = launch(
        &tool,
        &client,
        &platform,
        &LaunchSpec {
            sub: "teacher-1",
            name: "Ada <Teacher>",
            roles: &[INSTRUCTOR],
            deep_linking: false,
            services,
        },
    )
    .await;
    assert_eq!(teacher.status().as_u16(), 200);
    // The tool sets no cookie of its own (only the spent state cookie is cleared).
    for c in teacher.headers().get_all("set-cookie") {
        assert!(c.to_str().unwrap().contains("Max-Age=0"), "{c:?}");
    }
    let page = teacher.text().await.unwrap();
    assert!(page.contains("teacher-1"), "{page}");
    assert!(page.contains("Ada &#60;Teacher&#62;"), "escaped: {page}");
    assert!(page.contains(INSTRUCTOR));
    assert!(page.contains(CONTEXT_ID) && page.contains("Biology 101"));
    let (launch_id, csrf) = launch_id_and_csrf(&page);
    assert!(page.contains(&format!("action=\"/launches/{launch_id}/score\"")));
    for field in ["user_id", "score_given", "score_maximum"] {
        assert!(page.contains(&format!("name=\"{field}\"")), "{field}");
    }
    assert!(page.contains(&format!("href=\"/launches/{launch_id}/members\"")));
    assert!(launch_id.len() >= 43 && csrf.len() >= 43);

    // The launch page again, by its capability URL.
    let again = client
        .get(format!("{}/launches/{launch_id}", tool.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 200);

    // A learner sees who they are, not the instructor tools.
    let learner = launch(
        &tool,
        &client,
        &platform,
        &LaunchSpec {
            sub: "learner-1",
            name: "Lin Learner",
            roles: &[LEARNER],
            deep_linking: false,
            services,
        },
    )
    .await;
    assert_eq!(learner.status().as_u16(), 200);
    let page = learner.text().await.unwrap();
    assert!(page.contains("learner-1") && page.contains(LEARNER));
    assert!(
        !page.contains("/launches/") && !page.contains("score-form"),
        "{page}"
    );

    // A token signed by another key is refused with the runtime's page (401, says why).
    let impostor = TestPlatform::new("https://platform.example", "https://platform.example/token");
    let forged = launch(
        &tool,
        &client,
        &impostor,
        &LaunchSpec {
            sub: "teacher-1",
            name: "Mallory",
            roles: &[INSTRUCTOR],
            deep_linking: false,
            services,
        },
    )
    .await;
    assert_eq!(forged.status().as_u16(), 401);
    assert!(forged.text().await.unwrap().contains("LTI launch refused"));
    tool.shutdown().await.unwrap();
}

#[tokio::test]
async fn on_a_loopback_address_the_tool_also_answers_as_localhost() {
    let dir = tempfile::tempdir().unwrap();
    let platform = TestPlatform::new("https://platform.example", "https://platform.example/token");
    platform.write_platforms_json(dir.path());
    let tool = LtiToolDemo::start(loopback(), dir.path().to_path_buf(), None)
        .await
        .unwrap();
    let client = browser(&tool.ca_pem);
    // What a tester does: `127.0.0.1` replaced by `localhost` in every URL of tool.json.
    let origin = format!("https://localhost:{}", tool.addr.port());
    let localhost = ToolUrls::at(&origin);
    let spec = LaunchSpec {
        sub: "teacher-1",
        name: "Ada Teacher",
        roles: &[INSTRUCTOR],
        deep_linking: false,
        services: None,
    };
    // Login, redirect_uri and launch all stay on localhost (where the state cookie lives).
    let r = launch_at(&localhost, &client, &platform, &spec).await;
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.text().await.unwrap().contains("teacher-1"));

    // Each origin accepts only its own target_link_uri (LTI-05 holds per origin).
    let mixed = client
        .get(&localhost.initiate_login_uri)
        .query(&[
            ("iss", platform.issuer.as_str()),
            ("login_hint", "teacher-1"),
            ("target_link_uri", tool.urls.target_link_uri.as_str()),
            ("client_id", CLIENT_ID),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(mixed.status().as_u16(), 403);
    tool.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_score_form_is_refused_without_the_csrf_token_of_its_launch() {
    let dir = tempfile::tempdir().unwrap();
    let platform = TestPlatform::new("https://platform.example", "https://platform.example/token");
    platform.write_platforms_json(dir.path());
    let tool = LtiToolDemo::start(loopback(), dir.path().to_path_buf(), None)
        .await
        .unwrap();
    let client = browser(&tool.ca_pem);
    let services = Some((
        "https://platform.example/lti/courses/course-1/lineitems",
        "https://platform.example/lti/courses/course-1/memberships",
    ));
    let spec = LaunchSpec {
        sub: "teacher-1",
        name: "Ada Teacher",
        roles: &[INSTRUCTOR],
        deep_linking: false,
        services,
    };
    let first = launch(&tool, &client, &platform, &spec).await;
    let (launch_id, _csrf) = launch_id_and_csrf(&first.text().await.unwrap());
    let second = launch(&tool, &client, &platform, &spec).await;
    let (_, other_csrf) = launch_id_and_csrf(&second.text().await.unwrap());

    let score_url = format!("{}/launches/{launch_id}/score", tool.base_url);
    let fields = [
        ("user_id", "learner-1"),
        ("score_given", "7"),
        ("score_maximum", "10"),
    ];
    // No token, a made-up one, and the token of another launch: 403 with the reason.
    for csrf in [None, Some("made-up"), Some(other_csrf.as_str())] {
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        if let Some(c) = csrf {
            form.push(("csrf", c));
        }
        let r = client.post(&score_url).form(&form).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 403, "{csrf:?}");
        assert!(r.text().await.unwrap().contains("CSRF"), "{csrf:?}");
    }
    // An unknown launch id: 404, never another launch.
    let r = client
        .post(format!("{}/launches/not-a-launch/score", tool.base_url))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    tool.shutdown().await.unwrap();
}

/// The test platform's gradebook: one context, line items by number, the latest score per
/// (line item, user).
#[derive(Clone, Default)]
struct Gradebook {
    origin: Arc<Mutex<String>>,
    line_items: Arc<Mutex<Vec<LineItem>>>,
    scores: Arc<Mutex<BTreeMap<(usize, String), Score>>>,
}

impl Gradebook {
    fn line_item_url(&self, n: usize) -> String {
        format!(
            "{}{}/{CONTEXT_ID}/lineitems/{n}",
            self.origin.lock().unwrap(),
            lti_ags_v2p0::BASE_PATH
        )
    }

    fn number(&self, context_id: &str, line_item_id: &str) -> Result<usize, ImsError> {
        line_item_id
            .parse::<usize>()
            .ok()
            .filter(|n| context_id == CONTEXT_ID && *n < self.line_items.lock().unwrap().len())
            .ok_or_else(|| ImsError::unknown_object("no such line item"))
    }
}

impl AgsService for Gradebook {
    async fn get_line_items(
        &self,
        _ctx: RequestContext,
        _context_id: String,
        limit: Option<i32>,
        page: Option<String>,
        _resource_id: Option<String>,
        resource_link_id: Option<String>,
        _tag: Option<String>,
    ) -> Result<LinkedPage<Vec<LineItem>>, ImsError> {
        let matching: Vec<LineItem> = self
            .line_items
            .lock()
            .unwrap()
            .iter()
            .filter(|li| resource_link_id.is_none() || li.resource_link_id == resource_link_id)
            .cloned()
            .collect();
        let (body, next_page) = page_of(&matching, limit, page.as_deref())?;
        Ok(LinkedPage { body, next_page })
    }

    async fn add_line_item(
        &self,
        _ctx: RequestContext,
        _context_id: String,
        mut body: LineItem,
    ) -> Result<LineItem, ImsError> {
        let mut items = self.line_items.lock().unwrap();
        body.id = Some(self.line_item_url(items.len()).parse::<Uri>().unwrap());
        items.push(body.clone());
        Ok(body)
    }

    async fn get_results(
        &self,
        _ctx: RequestContext,
        context_id: String,
        line_item_id: String,
        limit: Option<i32>,
        page: Option<String>,
        _user_id: Option<String>,
    ) -> Result<LinkedPage<Vec<AgsResult>>, ImsError> {
        let n = self.number(&context_id, &line_item_id)?;
        let url = self.line_item_url(n);
        let results: Vec<AgsResult> = self
            .scores
            .lock()
            .unwrap()
            .iter()
            .filter(|((l, _), _)| *l == n)
            .map(|((_, user), s)| {
                serde_json::from_value(json!({
                    "id": format!("{url}/results/{user}"),
                    "scoreOf": url,
                    "userId": user,
                    "resultScore": s.score_given,
                    "resultMaximum": s.score_maximum,
                }))
                .unwrap()
            })
            .collect();
        let (body, next_page) = page_of(&results, limit, page.as_deref())?;
        Ok(LinkedPage { body, next_page })
    }

    async fn post_score(
        &self,
        _ctx: RequestContext,
        context_id: String,
        line_item_id: String,
        body: Score,
    ) -> Result<(), ImsError> {
        let n = self.number(&context_id, &line_item_id)?;
        self.scores
            .lock()
            .unwrap()
            .insert((n, body.user_id.clone()), body);
        Ok(())
    }
}

/// The test platform's course roster: an instructor and the learners; pages of at most
/// `PLATFORM_PAGE_CAP`, the number of pages served counted.
#[derive(Clone, Default)]
struct Roster {
    origin: Arc<Mutex<String>>,
    pages_served: Arc<Mutex<usize>>,
}

fn member(user_id: &str, role: &str, name: &str) -> Member {
    serde_json::from_value(json!({
        "user_id": user_id, "roles": [role], "status": "Active", "name": name,
    }))
    .unwrap()
}

impl NrpsService for Roster {
    async fn get_memberships(
        &self,
        _ctx: RequestContext,
        context_id: String,
        limit: Option<i32>,
        page: Option<String>,
        _rlid: Option<String>,
        _role: Option<String>,
    ) -> Result<LinkedPage<MembershipContainer>, ImsError> {
        if context_id != CONTEXT_ID {
            return Err(ImsError::unknown_object("no such context"));
        }
        let mut all = vec![member("teacher-1", INSTRUCTOR, "Ada Teacher")];
        for i in 1..=LEARNERS {
            all.push(member(
                &format!("learner-{i:02}"),
                LEARNER,
                &format!("Learner {i:02}"),
            ));
        }
        let limit = Some(limit.unwrap_or(PLATFORM_PAGE_CAP).min(PLATFORM_PAGE_CAP));
        let (members, next_page) = page_of(&all, limit, page.as_deref())?;
        *self.pages_served.lock().unwrap() += 1;
        let body = serde_json::from_value(json!({
            "id": format!(
                "{}{}/{CONTEXT_ID}/memberships",
                self.origin.lock().unwrap(),
                lti_nrps_v2p0::BASE_PATH
            ),
            "context": {"id": CONTEXT_ID, "title": "Biology 101"},
            "members": members,
        }))
        .unwrap();
        Ok(LinkedPage { body, next_page })
    }
}

/// A running test platform: the embedded authorization server (issuer = its own origin, so
/// the tool's assertion `aud` = its token endpoint is accepted) with the generated AGS server
/// on one listener, the generated NRPS server on another (both mount `/lti/courses`).
struct PlatformServers {
    authz: AuthorizationServer,
    origin: String,
    nrps_origin: String,
    ca_file: PathBuf,
    roster: Roster,
    stops: Vec<oneshot::Sender<()>>,
    _dir: tempfile::TempDir,
}

async fn serve(listener: tokio::net::TcpListener, router: axum::Router) -> oneshot::Sender<()> {
    let pem = shared_dev_pem().unwrap();
    let tls = TlsConfig::from_pem(pem.cert_chain.as_bytes(), pem.key.as_bytes()).unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(serve_tls_with(
        listener,
        router,
        tls,
        async move {
            let _ = stopped.await;
        },
        ServeOptions::default(),
    ));
    stop
}

async fn start_platform_servers() -> PlatformServers {
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind(loopback()).await.unwrap();
    let origin = format!("https://{}", listener.local_addr().unwrap());
    let nrps_listener = tokio::net::TcpListener::bind(loopback()).await.unwrap();
    let nrps_origin = format!("https://{}", nrps_listener.local_addr().unwrap());
    let store = Arc::new(SqliteStore::open(&dir.path().join("authz.sqlite")).unwrap());
    let mut all_scopes = AGS_SCOPES.to_vec();
    all_scopes.push(lti_nrps_v2p0::scopes::CONTEXTMEMBERSHIP_READONLY);
    let authz = AuthorizationServer::builder(origin.clone(), store)
        .scopes(all_scopes)
        .dynamic_registration(false)
        .build()
        .await
        .unwrap();
    let gradebook = Gradebook::default();
    *gradebook.origin.lock().unwrap() = origin.clone();
    let ags = lti_ags_v2p0::server::router(gradebook)
        .with_auth(AuthLayer::new(
            Arc::new(authz.local_verifier().unwrap()),
            "lti",
        ))
        .into_router();
    let roster = Roster::default();
    *roster.origin.lock().unwrap() = nrps_origin.clone();
    let nrps = lti_nrps_v2p0::server::router(roster.clone())
        .with_auth(AuthLayer::new(
            Arc::new(authz.local_verifier().unwrap()),
            "lti",
        ))
        .into_router();
    let stops = vec![
        serve(listener, authz.router().merge(ags)).await,
        serve(nrps_listener, nrps).await,
    ];
    let ca_file = dir.path().join("platform-ca.pem");
    std::fs::write(&ca_file, &shared_dev_pem().unwrap().ca_cert).unwrap();
    PlatformServers {
        authz,
        origin,
        nrps_origin,
        ca_file,
        roster,
        stops,
        _dir: dir,
    }
}

impl PlatformServers {
    /// Registers the tool as a `private_key_jwt` client holding its JWKS.
    async fn register(&self, tool: &RunningToolDemo) {
        let mut scopes: Vec<String> = AGS_SCOPES.iter().map(|s| s.to_string()).collect();
        scopes.push(lti_nrps_v2p0::scopes::CONTEXTMEMBERSHIP_READONLY.into());
        self.authz
            .create_client(NewClient {
                client_id: Some(CLIENT_ID.into()),
                auth_method: Some(TokenEndpointAuthMethod::PrivateKeyJwt),
                jwks: Some(tool.tool.tool_keys().jwks()),
                grant_types: vec![GrantType::ClientCredentials],
                scopes,
                ..NewClient::default()
            })
            .await
            .unwrap();
    }

    fn stop(self) {
        for stop in self.stops {
            let _ = stop.send(());
        }
    }
}

#[tokio::test]
async fn an_instructor_posts_a_score_through_ags_and_lists_every_member_through_nrps() {
    let servers = start_platform_servers().await;
    let dir = tempfile::tempdir().unwrap();
    let platform = TestPlatform::new(
        "https://platform.example",
        &format!("{}/token", servers.origin),
    );
    platform.write_platforms_json(dir.path());
    // The platform's CA is trusted through `--ca`, beside the system roots.
    let tool = LtiToolDemo::start(
        loopback(),
        dir.path().to_path_buf(),
        Some(servers.ca_file.clone()),
    )
    .await
    .unwrap();
    servers.register(&tool).await;
    let client = browser(&tool.ca_pem);
    let lineitems = format!(
        "{}{}/{CONTEXT_ID}/lineitems",
        servers.origin,
        lti_ags_v2p0::BASE_PATH
    );
    let memberships = format!(
        "{}{}/{CONTEXT_ID}/memberships",
        servers.nrps_origin,
        lti_nrps_v2p0::BASE_PATH
    );
    let page = launch(
        &tool,
        &client,
        &platform,
        &LaunchSpec {
            sub: "teacher-1",
            name: "Ada Teacher",
            roles: &[INSTRUCTOR],
            deep_linking: false,
            services: Some((&lineitems, &memberships)),
        },
    )
    .await
    .text()
    .await
    .unwrap();
    let (launch_id, csrf) = launch_id_and_csrf(&page);

    // The claim has no `lineitem`: the tool creates one in `lineitems` for the resource link,
    // posts the score and shows the results read back.
    for (user, given) in [("learner-01", "7"), ("learner-02", "9.5")] {
        let r = client
            .post(format!("{}/launches/{launch_id}/score", tool.base_url))
            .form(&[
                ("csrf", csrf.as_str()),
                ("user_id", user),
                ("score_given", given),
                ("score_maximum", "10"),
            ])
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let body = r.text().await.unwrap();
        assert_eq!(status, 200, "{body}");
        assert!(
            body.contains(&format!("{lineitems}/0")),
            "one line item, created once: {body}"
        );
        assert!(
            body.contains(&format!("<td>{user}</td><td>{given}</td>")),
            "{body}"
        );
    }

    // A learner's score out of range is refused before anything is sent.
    let r = client
        .post(format!("{}/launches/{launch_id}/score", tool.base_url))
        .form(&[
            ("csrf", csrf.as_str()),
            ("user_id", "learner-03"),
            ("score_given", "11"),
            ("score_maximum", "10"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);

    // Every member, through pages of at most 10 following `Link: rel="next"`.
    let r = client
        .get(format!("{}/launches/{launch_id}/members", tool.base_url))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let body = r.text().await.unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains(&format!("{} members", LEARNERS + 1)),
        "{body}"
    );
    assert!(body.contains("<td>teacher-1</td>"));
    for i in 1..=LEARNERS {
        assert!(body.contains(&format!("<td>learner-{i:02}</td>")), "{i}");
    }
    assert_eq!(
        *servers.roster.pages_served.lock().unwrap(),
        (LEARNERS + 1).div_ceil(PLATFORM_PAGE_CAP as usize)
    );
    tool.shutdown().await.unwrap();
    servers.stop();
}

#[tokio::test]
async fn a_deep_linking_launch_offers_a_picker_answered_by_a_signed_jwt_form() {
    let dir = tempfile::tempdir().unwrap();
    let platform = TestPlatform::new("https://platform.example", "https://platform.example/token");
    platform.write_platforms_json(dir.path());
    let tool = LtiToolDemo::start(loopback(), dir.path().to_path_buf(), None)
        .await
        .unwrap();
    let client = browser(&tool.ca_pem);
    let r = launch(
        &tool,
        &client,
        &platform,
        &LaunchSpec {
            sub: "teacher-1",
            name: "Ada Teacher",
            roles: &[INSTRUCTOR],
            deep_linking: true,
            services: None,
        },
    )
    .await;
    assert_eq!(r.status().as_u16(), 200);
    let page = r.text().await.unwrap();
    // One POST form per item, no script needed.
    assert!(page.matches("<form method=\"post\"").count() >= 2, "{page}");
    assert!(!page.contains("<script"));
    let action = between(&page, "action=\"", "\"").to_owned();
    let csrf = between(&page, "name=\"csrf\" value=\"", "\"").to_owned();
    let item = between(&page, "name=\"item\" value=\"", "\"").to_owned();

    // Without the CSRF token: refused.
    let refused = client
        .post(format!("{}{action}", tool.base_url))
        .form(&[("item", item.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 403);

    let answer = client
        .post(format!("{}{action}", tool.base_url))
        .form(&[("csrf", csrf.as_str()), ("item", item.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 200);
    let form = answer.text().await.unwrap();
    assert!(
        form.contains("action=\"https://platform.example/deep-link-return\""),
        "{form}"
    );
    assert!(form.contains("<noscript>"));
    let jwt = between(&form, "name=\"JWT\" value=\"", "\"");

    // The JWT verifies with the tool's published key and carries the picked item.
    let jwks: jsonwebtoken::jwk::JwkSet =
        serde_json::from_value(tool.tool.tool_keys().jwks()).unwrap();
    let key = jsonwebtoken::DecodingKey::from_jwk(&jwks.keys[0]).unwrap();
    let mut validation = jsonwebtoken::Validation::new(Algorithm::RS256);
    validation.set_audience(&["https://platform.example"]);
    validation.set_issuer(&[CLIENT_ID]);
    let claims = jsonwebtoken::decode::<Value>(jwt, &key, &validation)
        .unwrap()
        .claims;
    assert_eq!(
        claims["https://purl.imsglobal.org/spec/lti/claim/message_type"],
        "LtiDeepLinkingResponse"
    );
    assert_eq!(
        claims["https://purl.imsglobal.org/spec/lti-dl/claim/data"],
        "opaque-platform-data"
    );
    let items = claims["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"]
        .as_array()
        .unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["type"], "ltiResourceLink");
    assert_eq!(items[0]["url"], tool.urls.target_link_uri.as_str());

    // Answered once: the same form again finds no launch.
    let again = client
        .post(format!("{}{action}", tool.base_url))
        .form(&[("csrf", csrf.as_str()), ("item", item.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 404);
    tool.shutdown().await.unwrap();
}

/// The platform's OpenID configuration for Dynamic Registration (OIDC Discovery plus the LTI
/// platform configuration).
fn openid_configuration(origin: &str) -> Value {
    json!({
        "issuer": origin,
        "authorization_endpoint": format!("{origin}/authorize"),
        "token_endpoint": format!("{origin}/token"),
        "jwks_uri": format!("{origin}/jwks.json"),
        "registration_endpoint": format!("{origin}/lti/register-tool"),
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["id_token"],
        "scopes_supported": ["openid", lti_ags_v2p0::scopes::SCORE],
        LTI_PLATFORM_CONFIGURATION: {
            "product_family_code": "lti-tool-demo-test",
            "version": "1",
            "messages_supported": [{"type": "LtiResourceLinkRequest"}, {"type": "LtiDeepLinkingRequest"}]
        }
    })
}

#[tokio::test]
async fn dynamic_registration_at_the_registration_uri_adds_a_platform_durably() {
    let dir = tempfile::tempdir().unwrap();
    let platform_ca = dir.path().join("platform-ca.pem");
    std::fs::write(&platform_ca, &shared_dev_pem().unwrap().ca_cert).unwrap();
    let data_dir = dir.path().join("tool");
    let tool = LtiToolDemo::start(loopback(), data_dir.clone(), Some(platform_ca.clone()))
        .await
        .unwrap();

    // A fresh platform: the embedded AS (fetching the tool's JWKS over the tool's dev CA), its
    // registration endpoint and OpenID configuration.
    let store_dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind(loopback()).await.unwrap();
    let origin = format!("https://{}", listener.local_addr().unwrap());
    let store = Arc::new(SqliteStore::open(&store_dir.path().join("authz.sqlite")).unwrap());
    let authz = AuthorizationServer::builder(origin.clone(), store)
        .scopes(LTI_SERVICE_SCOPES)
        .jwks_uri_policy(JwksUriPolicy {
            allow_private_addresses: true,
            ca_pem: Some(tool.ca_pem.clone()),
            trust_loopback_certificates: false,
        })
        .build()
        .await
        .unwrap();
    let registrar = Arc::new(PlatformRegistrar::new(
        authz.clone(),
        origin.clone(),
        Arc::new(RegistrationTokens::new()),
        Arc::new(|_: &ToolRegistration| {}),
    ));
    let configuration = openid_configuration(&origin).to_string();
    let router = authz
        .router()
        .merge(registrar.router("/lti/register-tool"))
        .route(
            "/lti/openid-configuration",
            axum::routing::get(move || async move {
                ([("content-type", "application/json")], configuration)
            }),
        );
    let stop = serve(listener, router).await;

    // The administrator's browser goes to the tool's registration_uri (from tool.json).
    let start = registrar
        .initiation_url(
            &tool.urls.registration_uri,
            &format!("{origin}/lti/openid-configuration"),
            std::time::Duration::from_secs(600),
        )
        .unwrap();
    let r = browser(&tool.ca_pem).get(&start).send().await.unwrap();
    let status = r.status().as_u16();
    let page = r.text().await.unwrap();
    assert_eq!(status, 200, "{page}");

    // platforms.json now holds the platform, the tool trusts it at once and after a restart,
    // and gets a service token by client assertion with keys nobody copied.
    let stored: Value =
        serde_json::from_slice(&std::fs::read(data_dir.join(PLATFORMS_FILE)).unwrap()).unwrap();
    let entry = &stored.as_array().unwrap()[0];
    assert_eq!(entry["issuer"], origin.as_str());
    assert_eq!(entry["token_endpoint"], format!("{origin}/token"));
    let client_id = entry["client_id"].as_str().unwrap().to_owned();
    let registration = tool.tool.registry().find(&origin, &client_id).unwrap();
    let source = tool
        .tool
        .service_token_source(
            &registration,
            TokenSourceOptions {
                http: HttpPolicy::default().with_ca_pem(shared_dev_pem().unwrap().ca_cert.clone()),
                ..TokenSourceOptions::default()
            },
        )
        .unwrap();
    let token = source.token(&[lti_ags_v2p0::scopes::SCORE]).await.unwrap();
    assert_eq!(token.scopes(), [lti_ags_v2p0::scopes::SCORE.to_owned()]);
    tool.shutdown().await.unwrap();

    let again = LtiToolDemo::start(loopback(), data_dir, Some(platform_ca))
        .await
        .unwrap();
    assert_eq!(
        again.tool.registry().find(&origin, &client_id).as_deref(),
        Some(registration.as_ref())
    );
    again.shutdown().await.unwrap();
    let _ = stop.send(());
}
