//! The LTI platform side end to end over real TLS on loopback: OUR platform (`lti::platform`
//! over the embedded authorization server) launches OUR tool (`LtiTool` and its routes), the
//! test playing the browser between them: resource-link and deep-linking launches, an AGS token
//! by client assertion, and the platform's named refusals (security-cases.md, LTI-01..06 on
//! the platform side, CL-14).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use futures_util::future::BoxFuture;
use ims_runtime::authorization_server::{
    AuthorizationServer, JwksUriPolicy, SigningAlgorithm, SqliteStore,
};
use ims_runtime::client::{HttpPolicy, TokenSource, TokenSourceOptions};
use ims_runtime::lti::platform::*;
use ims_runtime::lti::*;
use ims_runtime::resource_server::{Clock, ManualClock};
use ims_runtime::tls::serve_tls;
use ims_runtime::tls::testing::shared_dev_pem;
use jsonwebtoken::Algorithm;
use serde_json::{Value, json};
use tokio::net::TcpListener;

const TOOL_ID: &str = "tool-1";
const OTHER_TOOL_ID: &str = "tool-2";
const DEPLOYMENT: &str = "dep-1";
const LEARNER: &str = "learner-7";
const TEACHER: &str = "teacher-1";
const INSTRUCTOR: &str = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor";
const LEARNER_ROLE: &str = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner";
const SCORE: &str = "https://purl.imsglobal.org/spec/lti-ags/scope/score";
const LINEITEM: &str = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem";
const RESULT_RO: &str = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly";
const NRPS: &str = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly";
const SESSION_COOKIE: &str = "platform_user";

/// The platform's sign-in, as a test stands in for it: the user named by a cookie.
struct CookieSessions;

impl PlatformSessions for CookieSessions {
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

/// The platform's application: keeps what deep linking returned.
#[derive(Default)]
struct RecordingPlatformApp {
    returned: Mutex<Vec<DeepLinkingReturn>>,
}

impl PlatformApp for RecordingPlatformApp {
    fn deep_linking_returned(&self, result: DeepLinkingReturn) -> BoxFuture<'static, Response> {
        let body = format!("{} items from {}", result.items.len(), result.tool.name);
        self.returned.lock().unwrap().push(result);
        Box::pin(async move { body.into_response() })
    }
}

/// The tool's application: keeps the launches it was handed and answers a deep-linking launch
/// with two content items.
#[derive(Default)]
struct RecordingToolApp {
    keys: Mutex<Option<Arc<ToolKeys>>>,
    resource_links: Mutex<Vec<ResourceLinkLaunch>>,
    deep_links: Mutex<Vec<DeepLinkingLaunch>>,
}

impl LtiToolApp for RecordingToolApp {
    fn resource_link(&self, launch: ResourceLinkLaunch) -> BoxFuture<'static, Response> {
        let body = format!("resource link {}", launch.resource_link.id);
        self.resource_links.lock().unwrap().push(launch);
        Box::pin(async move { body.into_response() })
    }

    fn deep_linking(&self, launch: DeepLinkingLaunch) -> BoxFuture<'static, Response> {
        let key = self.keys.lock().unwrap().clone().unwrap().active();
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let form = DeepLinkingResponse::new(
            &launch,
            vec![
                ContentItem::lti_resource_link("Quiz 1", "https://tool.example/quiz/1"),
                ContentItem::link("Reading", "https://tool.example/reading"),
            ],
        )
        .with_message("Two items added")
        .into_form(&key, now)
        .unwrap();
        self.deep_links.lock().unwrap().push(launch);
        Box::pin(async move { form })
    }
}

async fn listener() -> (TcpListener, String) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("https://{}", l.local_addr().unwrap());
    (l, origin)
}

fn serve(l: TcpListener, app: axum::Router) {
    let tls = shared_dev_pem().unwrap().tls_config().unwrap();
    tokio::spawn(async move {
        serve_tls(l, app, tls, std::future::pending::<()>())
            .await
            .unwrap();
    });
}

/// Our platform and our tool, each on its own loopback TLS origin, the tool registered.
struct World {
    platform: Arc<LtiPlatform>,
    platform_app: Arc<RecordingPlatformApp>,
    platform_origin: String,
    clock: Arc<ManualClock>,
    tool: ToolRegistration,
    tool_lti: Arc<LtiTool>,
    tool_keys: Arc<ToolKeys>,
    tool_app: Arc<RecordingToolApp>,
    tool_origin: String,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

fn tool_registration(client_id: &str, tool_origin: &str) -> ToolRegistration {
    ToolRegistration {
        client_id: client_id.into(),
        name: format!("Quiz tool {client_id}"),
        deployment_id: DEPLOYMENT.into(),
        initiate_login_uri: format!("{tool_origin}/lti/login"),
        redirect_uris: vec![format!("{tool_origin}/lti/launch")],
        target_link_uri: format!("{tool_origin}/resource"),
        deep_linking_uri: Some(format!("{tool_origin}/deep-link")),
        keys: ToolKeySource::JwksUri(format!("{tool_origin}/lti/jwks")),
        scopes: vec![SCORE.into(), LINEITEM.into(), NRPS.into()],
        domain: None,
        custom_parameters: BTreeMap::from([("unit".into(), "3".into())]),
    }
}

impl World {
    async fn start() -> Self {
        Self::start_with(|c| c).await
    }

    async fn start_with(configure: impl FnOnce(PlatformConfig) -> PlatformConfig) -> Self {
        let pem = shared_dev_pem().unwrap();
        let ca = pem.ca_cert.as_bytes().to_vec();
        let (platform_listener, platform_origin) = listener().await;
        let (tool_listener, tool_origin) = listener().await;
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(SqliteStore::open(&dir.path().join("authz.sqlite")).unwrap());
        let authz = AuthorizationServer::builder(platform_origin.clone(), store)
            .scopes([SCORE, LINEITEM, RESULT_RO, NRPS])
            .signing_algorithm(SigningAlgorithm::RS256)
            .jwks_uri_policy(JwksUriPolicy {
                allow_private_addresses: true,
                ca_pem: Some(ca.clone()),
                trust_loopback_certificates: false,
            })
            .build()
            .await
            .unwrap();
        let tool = tool_registration(TOOL_ID, &tool_origin);
        tool.validate().unwrap();
        authz.put_client(tool.to_client(1)).await.unwrap();
        let clock = Arc::new(ManualClock::new(
            time::OffsetDateTime::now_utc().unix_timestamp(),
        ));
        let mut config = PlatformConfig::new(platform_origin.clone());
        config.clock = clock.clone();
        let config = configure(config);
        let platform_app = Arc::new(RecordingPlatformApp::default());
        let platform = LtiPlatform::new(
            authz,
            config,
            Arc::new(CookieSessions),
            platform_app.clone(),
        )
        .unwrap();
        serve(
            platform_listener,
            platform.router_with_authorization_server(),
        );

        let registry = StaticPlatformRegistry::new([PlatformRegistration {
            issuer: platform_origin.clone(),
            client_id: TOOL_ID.into(),
            deployment_ids: vec![DEPLOYMENT.into()],
            authorization_endpoint: format!("{platform_origin}/lti/authorize"),
            token_endpoint: format!("{platform_origin}/token"),
            keys: PlatformKeySource::JwksUri(format!("{platform_origin}/lti/jwks")),
        }])
        .unwrap();
        let tool_keys = Arc::new(ToolKeys::new(ToolKey::generate(Algorithm::RS256).unwrap()));
        let tool_lti = Arc::new(
            LtiTool::new(
                LtiToolConfig::new(
                    format!("{tool_origin}/lti/launch"),
                    vec![
                        format!("{tool_origin}/resource"),
                        format!("{tool_origin}/deep-link"),
                    ],
                ),
                Arc::new(registry),
                Arc::new(MemoryLaunchStore::new()),
                tool_keys.clone(),
                HttpPolicy::default().with_ca_pem(ca.clone()),
            )
            .unwrap(),
        );
        let tool_app = Arc::new(RecordingToolApp::default());
        *tool_app.keys.lock().unwrap() = Some(tool_keys.clone());
        serve(
            tool_listener,
            tool_lti.router(tool_app.clone(), &LtiPaths::default()),
        );
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(ims_runtime::tls::client_config(Some(&ca)).unwrap())
            .redirect(reqwest::redirect::Policy::none())
            .https_only(true)
            .build()
            .unwrap();
        Self {
            platform,
            platform_app,
            platform_origin,
            clock,
            tool,
            tool_lti,
            tool_keys,
            tool_app,
            tool_origin,
            http,
            _dir: dir,
        }
    }

    fn spec(&self, user: &str, kind: LaunchKind) -> LaunchSpec {
        let course = format!("{}/courses/c-1", self.platform_origin);
        LaunchSpec {
            user_id: user.into(),
            roles: vec![if user == TEACHER {
                INSTRUCTOR.into()
            } else {
                LEARNER_ROLE.into()
            }],
            name: Some("Ada Lovelace".into()),
            given_name: Some("Ada".into()),
            family_name: Some("Lovelace".into()),
            email: Some("ada@example.edu".into()),
            context: Context {
                id: "c-1".into(),
                label: Some("MATH 101".into()),
                title: Some("Calculus".into()),
                types: vec![],
            },
            resource_link: Some(ResourceLink {
                id: "link-1".into(),
                title: Some("Quiz".into()),
                description: None,
            }),
            kind,
            ags: Some(AgsEndpoint {
                scope: vec![SCORE.into(), RESULT_RO.into()],
                lineitems: Some(format!("{course}/lineitems")),
                lineitem: Some(format!("{course}/lineitems/1")),
            }),
            nrps: Some(NrpsService {
                context_memberships_url: format!("{course}/memberships"),
                service_versions: vec!["2.0".into()],
            }),
            custom: BTreeMap::from([("chapter".into(), "4".into())]),
            target_link_uri: None,
        }
    }

    fn deep_linking_kind() -> LaunchKind {
        LaunchKind::DeepLinking {
            accept_types: vec!["ltiResourceLink".into(), "link".into()],
            accept_presentation_document_targets: vec!["iframe".into(), "window".into()],
            accept_multiple: true,
            title: Some("Pick content".into()),
            text: None,
        }
    }

    /// `start_launch`'s page: the form's action and fields.
    async fn start_launch(&self, user: &str, kind: LaunchKind) -> AutoForm {
        let response = self
            .platform
            .start_launch(&self.tool, self.spec(user, kind))
            .unwrap();
        AutoForm::read(response).await
    }

    /// The browser posts the login initiation to the tool; answers the tool's redirect to our
    /// authorization endpoint and the state cookie.
    async fn login_at_tool(&self, form: &AutoForm) -> (String, String) {
        let r = self
            .http
            .post(&form.action)
            .form(&form.fields)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 302, "{}", r.text().await.unwrap());
        let location = r.headers()["location"].to_str().unwrap().to_owned();
        let cookie = r.headers()["set-cookie"].to_str().unwrap();
        let cookie = cookie.split(';').next().unwrap().to_owned();
        (location, cookie)
    }

    /// The browser follows the tool's redirect to the platform, signed in as `user` (if any).
    async fn authorize(&self, location: &str, user: Option<&str>) -> reqwest::Response {
        let mut request = self.http.get(location);
        if let Some(user) = user {
            request = request.header("cookie", format!("{SESSION_COOKIE}={user}"));
        }
        request.send().await.unwrap()
    }

    /// The whole launch for `user`, as far as the tool's answer.
    async fn launch(&self, user: &str, kind: LaunchKind) -> reqwest::Response {
        let form = self.start_launch(user, kind).await;
        let (location, state_cookie) = self.login_at_tool(&form).await;
        let answer = AutoForm::read_reqwest(self.authorize(&location, Some(user)).await).await;
        assert!(answer.field("id_token").is_some(), "{answer:?}");
        self.http
            .post(&answer.action)
            .header("cookie", state_cookie)
            .form(&answer.fields)
            .send()
            .await
            .unwrap()
    }
}

/// An auto-submitting form page, read back.
#[derive(Debug)]
struct AutoForm {
    status: u16,
    action: String,
    fields: Vec<(String, String)>,
    html: String,
}

fn unescape(s: &str) -> String {
    s.replace("&#x2f;", "/")
        .replace("&#47;", "/")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#43;", "+")
        .replace("&#x3d;", "=")
        .replace("&amp;", "&")
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let marker = format!("{name}=\"");
    let start = tag.find(&marker)? + marker.len();
    let end = tag[start..].find('"')?;
    Some(unescape(&tag[start..start + end]))
}

impl AutoForm {
    fn parse(status: u16, html: String) -> Self {
        let form_tag = html
            .split("<form")
            .nth(1)
            .map(|t| t.split('>').next().unwrap().to_owned())
            .unwrap_or_default();
        let action = attribute(&form_tag, "action").unwrap_or_default();
        let fields = html
            .split("<input")
            .skip(1)
            .filter_map(|t| {
                let tag = t.split('>').next()?;
                Some((attribute(tag, "name")?, attribute(tag, "value")?))
            })
            .collect();
        Self {
            status,
            action,
            fields,
            html,
        }
    }

    async fn read(response: Response) -> Self {
        let status = response.status().as_u16();
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        Self::parse(status, String::from_utf8(body.to_vec()).unwrap())
    }

    async fn read_reqwest(response: reqwest::Response) -> Self {
        let status = response.status().as_u16();
        Self::parse(status, response.text().await.unwrap())
    }

    fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

fn jwt_claims(jwt: &str) -> Value {
    use base64::Engine;
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}

fn jwt_header(jwt: &str) -> Value {
    use base64::Engine;
    let header = jwt.split('.').next().unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(header)
            .unwrap(),
    )
    .unwrap()
}

/// Asserts a refusal page: `status`, HTML naming `why`, and no redirect.
async fn assert_page(r: reqwest::Response, status: u16, why: &str) {
    assert_eq!(r.status().as_u16(), status);
    assert!(
        r.headers().get("location").is_none(),
        "a refusal page never redirects"
    );
    let html = r.text().await.unwrap();
    assert!(html.contains(why), "the page should say `{why}`: {html}");
    assert!(!html.contains("id_token"), "{html}");
}

/// Asserts an OIDC error form-posted to the tool's registered launch URL with the state.
fn assert_form_posted_error(form: &AutoForm, redirect_uri: &str, error: &str, state: &str) {
    assert_eq!(form.status, 200, "{}", form.html);
    assert_eq!(form.action, redirect_uri);
    assert_eq!(form.field("error"), Some(error), "{:?}", form.fields);
    assert_eq!(form.field("state"), Some(state));
    assert!(form.field("id_token").is_none());
}

// ---------------------------------------------------------------------------------------------
// End to end: our platform launches our tool.

#[tokio::test]
async fn lti_platform_launches_our_tool_with_a_resource_link() {
    let w = World::start().await;
    let form = w.start_launch(TEACHER, LaunchKind::ResourceLink).await;
    // Third-party-initiated login (LTI 1.3 Core §4.1), form-posted to the tool.
    assert_eq!(form.action, w.tool.initiate_login_uri);
    assert_eq!(form.field("iss"), Some(w.platform_origin.as_str()));
    assert_eq!(form.field("login_hint"), Some(TEACHER));
    assert_eq!(form.field("client_id"), Some(TOOL_ID));
    assert_eq!(form.field("lti_deployment_id"), Some(DEPLOYMENT));
    assert_eq!(
        form.field("target_link_uri"),
        Some(w.tool.target_link_uri.as_str())
    );
    assert!(
        form.field("lti_message_hint")
            .is_some_and(|h| h.len() >= 20)
    );
    assert!(form.field("lti_storage_target").is_none(), "storage is off");
    assert!(form.html.contains("<noscript>"));

    let (location, state_cookie) = w.login_at_tool(&form).await;
    assert!(location.starts_with(&format!("{}/lti/authorize?", w.platform_origin)));
    let answer = AutoForm::read_reqwest(w.authorize(&location, Some(TEACHER)).await).await;
    assert_eq!(answer.action, w.tool.redirect_uris[0]);
    let id_token = answer.field("id_token").unwrap().to_owned();
    let header = jwt_header(&id_token);
    assert_eq!(header["alg"], "RS256");
    assert_eq!(header["typ"], "JWT");
    let platform_jwks = w.platform.authorization_server().jwks();
    assert_eq!(header["kid"], platform_jwks["keys"][0]["kid"]);
    let claims = jwt_claims(&id_token);
    assert_eq!(claims["aud"], TOOL_ID, "one audience string");
    assert_eq!(claims["azp"], TOOL_ID);
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        300
    );
    // Only the AGS scopes the tool may be granted (result.readonly is not among them).
    assert_eq!(
        claims["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"]["scope"],
        json!([SCORE])
    );
    assert_eq!(
        claims["https://purl.imsglobal.org/spec/lti/claim/tool_platform"]["guid"],
        w.platform_origin
    );

    let r = w
        .http
        .post(&answer.action)
        .header("cookie", state_cookie)
        .form(&answer.fields)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "resource link link-1");
    let launch = w.tool_app.resource_links.lock().unwrap().pop().unwrap();
    let c = &launch.claims;
    assert_eq!(c.issuer, w.platform_origin);
    assert_eq!(c.client_id, TOOL_ID);
    assert_eq!(c.deployment_id, DEPLOYMENT);
    assert_eq!(c.user.sub, TEACHER);
    assert_eq!(c.user.email.as_deref(), Some("ada@example.edu"));
    assert_eq!(c.roles, vec![INSTRUCTOR.to_owned()]);
    assert_eq!(c.context.as_ref().unwrap().id, "c-1");
    assert_eq!(c.target_link_uri, w.tool.target_link_uri);
    let ags = c.ags.as_ref().unwrap();
    assert_eq!(ags.scope, vec![SCORE.to_owned()]);
    assert!(
        ags.lineitems
            .as_ref()
            .unwrap()
            .ends_with("/courses/c-1/lineitems")
    );
    assert_eq!(c.nrps.as_ref().unwrap().service_versions, vec!["2.0"]);
    assert_eq!(
        c.custom["unit"], "3",
        "the tool's registered custom parameter"
    );
    assert_eq!(c.custom["chapter"], "4", "the launch's custom parameter");
    assert_eq!(launch.resource_link.title.as_deref(), Some("Quiz"));
}

#[tokio::test]
async fn lti_platform_deep_linking_returns_the_tools_items_to_the_platform_app() {
    let w = World::start().await;
    let r = w.launch(TEACHER, World::deep_linking_kind()).await;
    assert_eq!(r.status(), 200);
    // The tool's picker answered with its auto-submitting DeepLinkingResponse form.
    let back = AutoForm::read_reqwest(r).await;
    assert_eq!(
        back.action,
        format!("{}/lti/deep-link-return", w.platform_origin)
    );
    let launch = w.tool_app.deep_links.lock().unwrap().pop().unwrap();
    assert_eq!(
        launch.claims.target_link_uri,
        format!("{}/deep-link", w.tool_origin)
    );
    assert!(launch.settings.data.is_some());
    assert_eq!(launch.settings.accept_multiple, Some(true));

    let r = w
        .http
        .post(&back.action)
        .form(&back.fields)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "2 items from Quiz tool tool-1");
    let returned = w.platform_app.returned.lock().unwrap().pop().unwrap();
    assert_eq!(returned.tool.client_id, TOOL_ID);
    assert_eq!(returned.deployment_id, DEPLOYMENT);
    assert_eq!(returned.context_id, "c-1");
    assert_eq!(returned.user_id, TEACHER);
    assert_eq!(returned.items[0]["type"], "ltiResourceLink");
    assert_eq!(returned.items[1]["url"], "https://tool.example/reading");
    assert_eq!(returned.msg.as_deref(), Some("Two items added"));
    assert_eq!(Some(returned.data), launch.settings.data);
}

#[tokio::test]
async fn lti_platform_service_claims_go_only_to_a_tool_that_may_use_them() {
    let w = World::start().await;
    // A tool that may be granted line items only: the launch offers score and results.
    let mut other = tool_registration(OTHER_TOOL_ID, &w.tool_origin);
    other.scopes = vec![LINEITEM.into()];
    w.platform
        .authorization_server()
        .put_client(other.to_client(1))
        .await
        .unwrap();
    let spec = w.spec(LEARNER, LaunchKind::ResourceLink);
    let form = AutoForm::read(w.platform.start_launch(&other, spec).unwrap()).await;
    let mut request = url::Url::parse(&format!("{}/lti/authorize", w.platform_origin)).unwrap();
    request
        .query_pairs_mut()
        .append_pair("scope", "openid")
        .append_pair("response_type", "id_token")
        .append_pair("response_mode", "form_post")
        .append_pair("prompt", "none")
        .append_pair("client_id", OTHER_TOOL_ID)
        .append_pair("redirect_uri", &other.redirect_uris[0])
        .append_pair("login_hint", LEARNER)
        .append_pair("lti_message_hint", form.field("lti_message_hint").unwrap())
        .append_pair("nonce", "n-1")
        .append_pair("state", "s-1");
    let answer = AutoForm::read_reqwest(w.authorize(request.as_str(), Some(LEARNER)).await).await;
    let claims = jwt_claims(answer.field("id_token").unwrap());
    assert_eq!(claims["aud"], OTHER_TOOL_ID);
    assert_eq!(claims["nonce"], "n-1");
    let o = claims.as_object().unwrap();
    assert!(!o.contains_key("https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"));
    assert!(!o.contains_key("https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"));
    assert_eq!(
        claims["https://purl.imsglobal.org/spec/lti/claim/resource_link"]["id"],
        "link-1"
    );
}

#[tokio::test]
async fn lti_platform_storage_target_is_sent_at_login_when_configured() {
    let w = World::start_with(|mut c| {
        c.storage_target = Some("_parent".into());
        c
    })
    .await;
    let form = w.start_launch(LEARNER, LaunchKind::ResourceLink).await;
    assert_eq!(form.field("lti_storage_target"), Some("_parent"));
}

#[tokio::test]
async fn lti_platform_tool_gets_an_ags_token_by_client_assertion_and_a_replayed_assertion_is_refused()
 {
    let w = World::start().await;
    let registration = w
        .tool_lti
        .registry()
        .find(&w.platform_origin, TOOL_ID)
        .unwrap();
    let options = TokenSourceOptions {
        http: HttpPolicy::default()
            .with_ca_pem(shared_dev_pem().unwrap().ca_cert.as_bytes().to_vec()),
        ..TokenSourceOptions::default()
    };
    let source = w
        .tool_lti
        .service_token_source(&registration, options)
        .unwrap();
    let token = source.token(&[SCORE]).await.unwrap();
    let verified = w
        .platform
        .authorization_server()
        .verify_access_token(token.secret())
        .await
        .unwrap()
        .expect("a live token");
    assert_eq!(verified.client_id, TOOL_ID);
    assert_eq!(verified.scope, SCORE);

    // CL-14: the same assertion twice: the second is refused (jti single use).
    let assertion = source.client_assertion().unwrap();
    let form = [
        ("grant_type", "client_credentials"),
        (
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        ),
        ("client_assertion", assertion.as_str()),
        ("scope", SCORE),
    ];
    let token_url = format!("{}/token", w.platform_origin);
    let first = w.http.post(&token_url).form(&form).send().await.unwrap();
    assert_eq!(first.status(), 200);
    let second = w.http.post(&token_url).form(&form).send().await.unwrap();
    assert_eq!(second.status(), 401);
    let body: Value = second.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
    // A scope the tool may not be granted is not granted.
    let denied = source.token(&[RESULT_RO]).await;
    assert!(denied.is_err(), "{denied:?}");
}

#[tokio::test]
async fn lti_platform_openid_configuration_describes_the_platform() {
    let w = World::start_with(|mut c| {
        c.registration_endpoint = Some(format!("{}/lti/register", c.issuer));
        c
    })
    .await;
    let r = w
        .http
        .get(format!(
            "{}/.well-known/openid-configuration",
            w.platform_origin
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let doc: Value = r.json().await.unwrap();
    let o = &w.platform_origin;
    assert_eq!(doc["issuer"], *o);
    assert_eq!(doc["authorization_endpoint"], format!("{o}/lti/authorize"));
    assert_eq!(doc["token_endpoint"], format!("{o}/token"));
    assert_eq!(doc["jwks_uri"], format!("{o}/lti/jwks"));
    assert_eq!(doc["registration_endpoint"], format!("{o}/lti/register"));
    assert_eq!(doc["response_types_supported"], json!(["id_token"]));
    assert_eq!(
        doc["id_token_signing_alg_values_supported"],
        json!(["RS256"])
    );
    assert_eq!(
        doc["token_endpoint_auth_methods_supported"],
        json!(["private_key_jwt"])
    );
    // CL-14 (the platform as the discovered party): the document's issuer is the URL's, and
    // every endpoint is https on the issuer's origin.
    for member in [
        "authorization_endpoint",
        "token_endpoint",
        "jwks_uri",
        "registration_endpoint",
    ] {
        let url = doc[member].as_str().unwrap();
        assert!(url.starts_with(&format!("{o}/")), "{member}: {url}");
    }
    let scopes = doc["scopes_supported"].as_array().unwrap();
    assert!(scopes.contains(&json!("openid")) && scopes.contains(&json!(NRPS)));
    let lti = &doc[LTI_PLATFORM_CONFIGURATION];
    assert_eq!(
        lti["messages_supported"][0]["type"],
        "LtiResourceLinkRequest"
    );
    assert_eq!(
        lti["messages_supported"][1]["type"],
        "LtiDeepLinkingRequest"
    );
    assert!(lti["product_family_code"].is_string());
    // The platform's JWKS is the authorization server's.
    let jwks: Value = w
        .http
        .get(format!("{o}/lti/jwks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks, w.platform.authorization_server().jwks());
    // The authorization server's own routes are still there.
    let metadata = w
        .http
        .get(format!("{o}/.well-known/oauth-authorization-server"))
        .send()
        .await
        .unwrap();
    assert_eq!(metadata.status(), 200);
}

// ---------------------------------------------------------------------------------------------
// Refusals at the authorization endpoint.

/// A real authentication request from the tool, with the tool's state.
async fn authentication_request(w: &World, user: &str) -> (url::Url, String) {
    let form = w.start_launch(user, LaunchKind::ResourceLink).await;
    let (location, _) = w.login_at_tool(&form).await;
    let url = url::Url::parse(&location).unwrap();
    let state = url
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();
    (url, state)
}

fn with_param(url: &url::Url, name: &str, value: &str) -> String {
    let mut u = url.clone();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            if k == name {
                (k.into_owned(), value.to_owned())
            } else {
                (k.into_owned(), v.into_owned())
            }
        })
        .collect();
    u.query_pairs_mut().clear().extend_pairs(pairs);
    u.to_string()
}

#[tokio::test]
async fn lti_platform_authorization_endpoint_answers_a_post_like_a_get() {
    let w = World::start().await;
    let (url, state) = authentication_request(&w, LEARNER).await;
    let form: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let r = w
        .http
        .post(format!("{}/lti/authorize", w.platform_origin))
        .header("cookie", format!("{SESSION_COOKIE}={LEARNER}"))
        .form(&form)
        .send()
        .await
        .unwrap();
    let answer = AutoForm::read_reqwest(r).await;
    assert_eq!(answer.action, w.tool.redirect_uris[0]);
    assert_eq!(answer.field("state"), Some(state.as_str()));
    let claims = jwt_claims(answer.field("id_token").unwrap());
    assert_eq!(claims["sub"], LEARNER);
    assert_eq!(
        claims["https://purl.imsglobal.org/spec/lti/claim/roles"],
        json!([LEARNER_ROLE])
    );
}

#[tokio::test]
async fn lti_platform_unknown_client_id_is_a_400_page_never_a_redirect() {
    let w = World::start().await;
    let (url, _) = authentication_request(&w, LEARNER).await;
    let r = w
        .authorize(
            &with_param(&url, "client_id", "no-such-tool"),
            Some(LEARNER),
        )
        .await;
    assert_page(r, 400, "client_id is not a tool registered").await;
}

#[tokio::test]
async fn lti_platform_unregistered_redirect_uri_is_a_400_page_never_a_redirect() {
    let w = World::start().await;
    let (url, _) = authentication_request(&w, LEARNER).await;
    let evil = format!("{}/lti/launch/../steal", w.tool_origin);
    for redirect in [evil.as_str(), "https://attacker.example/cb"] {
        let r = w
            .authorize(&with_param(&url, "redirect_uri", redirect), Some(LEARNER))
            .await;
        assert_page(r, 400, "redirect_uri is not one this tool registered").await;
    }
}

#[tokio::test]
async fn lti_platform_prompt_none_signed_out_form_posts_login_required() {
    let w = World::start().await;
    let (url, state) = authentication_request(&w, LEARNER).await;
    let answer = AutoForm::read_reqwest(w.authorize(url.as_str(), None).await).await;
    assert_form_posted_error(&answer, &w.tool.redirect_uris[0], "login_required", &state);
}

#[tokio::test]
async fn lti_platform_login_hint_other_than_the_signed_in_user_is_refused() {
    let w = World::start().await;
    let (url, state) = authentication_request(&w, LEARNER).await;
    let answer = AutoForm::read_reqwest(w.authorize(url.as_str(), Some(TEACHER)).await).await;
    assert_form_posted_error(&answer, &w.tool.redirect_uris[0], "login_required", &state);
}

#[tokio::test]
async fn lti_platform_message_hint_of_another_user_another_tool_or_expired_is_refused() {
    let w = World::start().await;
    let redirect = w.tool.redirect_uris[0].clone();
    // Another user: the learner's launch, presented by the teacher as herself.
    let (url, state) = authentication_request(&w, LEARNER).await;
    let as_teacher = with_param(
        &with_param(&url, "login_hint", TEACHER).parse().unwrap(),
        "state",
        &state,
    );
    let answer = AutoForm::read_reqwest(w.authorize(&as_teacher, Some(TEACHER)).await).await;
    assert_form_posted_error(&answer, &redirect, "invalid_request", &state);
    assert!(
        answer
            .field("error_description")
            .unwrap()
            .contains("lti_message_hint")
    );

    // Another tool: a second registered tool presents the first tool's launch.
    let other = tool_registration(OTHER_TOOL_ID, &w.tool_origin);
    w.platform
        .authorization_server()
        .put_client(other.to_client(1))
        .await
        .unwrap();
    let as_other = with_param(&url, "client_id", OTHER_TOOL_ID);
    let answer = AutoForm::read_reqwest(w.authorize(&as_other, Some(LEARNER)).await).await;
    assert_form_posted_error(&answer, &redirect, "invalid_request", &state);

    // The genuine request works...
    let answer = AutoForm::read_reqwest(w.authorize(url.as_str(), Some(LEARNER)).await).await;
    assert!(answer.field("id_token").is_some());
    // ...until the launch expires (10 minutes).
    w.clock.set(w.clock.now_unix() + 601);
    let answer = AutoForm::read_reqwest(w.authorize(url.as_str(), Some(LEARNER)).await).await;
    assert_form_posted_error(&answer, &redirect, "invalid_request", &state);
}

#[tokio::test]
async fn lti_platform_malformed_authentication_requests_are_form_posted_errors() {
    let w = World::start().await;
    let redirect = w.tool.redirect_uris[0].clone();
    let (url, state) = authentication_request(&w, LEARNER).await;
    for (name, value, error) in [
        ("scope", "profile", "invalid_scope"),
        ("response_type", "code", "unsupported_response_type"),
        ("response_mode", "query", "invalid_request"),
        ("prompt", "login", "invalid_request"),
        ("nonce", "", "invalid_request"),
    ] {
        let answer = AutoForm::read_reqwest(
            w.authorize(&with_param(&url, name, value), Some(LEARNER))
                .await,
        )
        .await;
        assert_form_posted_error(&answer, &redirect, error, &state);
    }
    // A repeated parameter is ambiguous: a page, before anything is trusted.
    let repeated = format!("{url}&client_id={TOOL_ID}");
    assert_page(w.authorize(&repeated, Some(LEARNER)).await, 400, "repeated").await;
}

// ---------------------------------------------------------------------------------------------
// Refusals at the deep-link return.

/// A deep-linking launch run through to the tool's picker: the `data` the platform sent and
/// the claims of the response the tool would return.
async fn deep_linking_response_claims(w: &World) -> Value {
    let r = w.launch(TEACHER, World::deep_linking_kind()).await;
    assert_eq!(r.status(), 200);
    let back = AutoForm::read_reqwest(r).await;
    jwt_claims(back.field("JWT").unwrap())
}

async fn post_return(w: &World, jwt: &str) -> reqwest::Response {
    w.http
        .post(format!("{}/lti/deep-link-return", w.platform_origin))
        .form(&[("JWT", jwt)])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn lti_platform_deep_link_return_with_a_bad_signature_is_refused() {
    let w = World::start().await;
    let claims = deep_linking_response_claims(&w).await;
    // Another key claiming the tool's kid.
    let forger = ToolKey::from_pkcs8_pem(
        w.tool_keys.active().kid(),
        Algorithm::RS256,
        ToolKey::generate(Algorithm::RS256).unwrap().private_pem(),
    )
    .unwrap();
    let r = post_return(&w, &forger.sign(&claims).unwrap()).await;
    assert_page(r, 401, "signature does not verify").await;
    // An unsigned token.
    use base64::Engine;
    let b64 = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let none = format!("{}.{}.", b64(&json!({"alg": "none"})), b64(&claims));
    assert_page(
        post_return(&w, &none).await,
        401,
        "signing algorithm is not allowed",
    )
    .await;
    assert!(w.platform_app.returned.lock().unwrap().is_empty());
    // The genuine response still goes through: nothing was spent by the forgeries.
    let genuine = w.tool_keys.active().sign(&claims).unwrap();
    assert_eq!(post_return(&w, &genuine).await.status(), 200);
}

#[tokio::test]
async fn lti_platform_deep_link_return_with_a_wrong_aud_is_refused() {
    let w = World::start().await;
    let mut claims = deep_linking_response_claims(&w).await;
    claims["aud"] = json!("https://other-platform.example");
    let r = post_return(&w, &w.tool_keys.active().sign(&claims).unwrap()).await;
    assert_page(r, 400, "audience does not include this platform").await;
}

#[tokio::test]
async fn lti_platform_deep_link_return_replayed_is_refused() {
    let w = World::start().await;
    let claims = deep_linking_response_claims(&w).await;
    let jwt = w.tool_keys.active().sign(&claims).unwrap();
    assert_eq!(post_return(&w, &jwt).await.status(), 200);
    assert_page(post_return(&w, &jwt).await, 400, "already answered").await;
    assert_eq!(w.platform_app.returned.lock().unwrap().len(), 1);

    // The nonce alone is single use too: a second request's data with the first nonce.
    let mut second = deep_linking_response_claims(&w).await;
    second["nonce"] = claims["nonce"].clone();
    let r = post_return(&w, &w.tool_keys.active().sign(&second).unwrap()).await;
    assert_page(r, 400, "nonce was already used").await;
}

#[tokio::test]
async fn lti_platform_deep_link_return_with_data_we_did_not_send_is_refused() {
    let w = World::start().await;
    let mut claims = deep_linking_response_claims(&w).await;
    claims["https://purl.imsglobal.org/spec/lti-dl/claim/data"] = json!("forged-data");
    let r = post_return(&w, &w.tool_keys.active().sign(&claims).unwrap()).await;
    assert_page(r, 400, "data is not the value this platform sent").await;

    // Data sent to another tool: tool-2, registered with the same keys, cannot use it.
    let mut other = tool_registration(OTHER_TOOL_ID, &w.tool_origin);
    other.keys = ToolKeySource::Jwks(w.tool_keys.jwks());
    w.platform
        .authorization_server()
        .put_client(other.to_client(1))
        .await
        .unwrap();
    let mut claims = deep_linking_response_claims(&w).await;
    claims["iss"] = json!(OTHER_TOOL_ID);
    let r = post_return(&w, &w.tool_keys.active().sign(&claims).unwrap()).await;
    assert_page(r, 400, "data is not the value this platform sent").await;
}

#[tokio::test]
async fn lti_platform_deep_link_return_expired_or_for_another_deployment_is_refused() {
    let w = World::start().await;
    let claims = deep_linking_response_claims(&w).await;
    let mut wrong_deployment = claims.clone();
    wrong_deployment["https://purl.imsglobal.org/spec/lti/claim/deployment_id"] = json!("dep-9");
    let r = post_return(&w, &w.tool_keys.active().sign(&wrong_deployment).unwrap()).await;
    assert_page(r, 400, "deployment_id is not this tool").await;
    let mut wrong_type = claims.clone();
    wrong_type["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"] =
        json!([{"type": "file", "url": "https://tool.example/f"}]);
    let r = post_return(&w, &w.tool_keys.active().sign(&wrong_type).unwrap()).await;
    assert_page(r, 400, "type was not among the accepted types").await;
    w.clock.set(w.clock.now_unix() + 400);
    let r = post_return(&w, &w.tool_keys.active().sign(&claims).unwrap()).await;
    assert_page(r, 400, "has expired").await;
}

#[tokio::test]
async fn lti_platform_setup_refuses_a_mismatched_issuer_or_a_non_rs256_server() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(&dir.path().join("a.sqlite")).unwrap());
    let authz = AuthorizationServer::builder("https://lms.example", store)
        .signing_algorithm(SigningAlgorithm::ES256)
        .build()
        .await
        .unwrap();
    let app = Arc::new(RecordingPlatformApp::default());
    let err = LtiPlatform::new(
        authz.clone(),
        PlatformConfig::new("https://other.example"),
        Arc::new(CookieSessions),
        app.clone(),
    )
    .unwrap_err();
    assert!(
        matches!(err, PlatformSetupError::IssuerMismatch { .. }),
        "{err}"
    );
    let err = LtiPlatform::new(
        authz,
        PlatformConfig::new("https://lms.example"),
        Arc::new(CookieSessions),
        app,
    )
    .unwrap_err();
    assert!(err.to_string().contains("RS256"), "{err}");
}

#[tokio::test]
async fn lti_platform_start_launch_refuses_incomplete_launches() {
    let w = World::start().await;
    let mut spec = w.spec(LEARNER, LaunchKind::ResourceLink);
    spec.resource_link = None;
    let err = w.platform.start_launch(&w.tool, spec).unwrap_err();
    assert!(matches!(err, PlatformError::InvalidLaunch(_)), "{err}");
    let mut tool = w.tool.clone();
    tool.deep_linking_uri = None;
    let err = w
        .platform
        .start_launch(&tool, w.spec(LEARNER, World::deep_linking_kind()))
        .unwrap_err();
    assert!(err.to_string().contains("deep-linking URL"), "{err}");
}
