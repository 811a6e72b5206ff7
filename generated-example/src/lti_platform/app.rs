//! [`LtiPlatformDemo::start`]: the LMS stand-in on one TLS listener.
//!
//! | path | what |
//! |---|---|
//! | `/login`, `/logout` | the platform's own sign-in (form, session cookie) |
//! | `/courses/{course_id}` | the course page: tools in iframes, deep-linked content, reported scores |
//! | `/courses/{course_id}/launch/{tool}`, `/courses/{course_id}/deep-link/{tool}` | start a launch for the signed-in user |
//! | `/courses/{course_id}/lineitems…`, `/courses/{course_id}/memberships` | AGS and NRPS: the generated servers behind bearer tokens |
//! | `/token`, `/jwks.json`, … | the embedded authorization server (client assertions of tools) |
//!
//! Everything that must survive a restart is in the data directory: certificates, `users.json`,
//! `authz.sqlite` (keys, tools as clients, spent assertion ids), `lti-platform.sqlite` (line
//! items, scores, content items), `registrations.json`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::extract::{Form, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use ims_runtime::authorization_server::{AuthorizationServer, JwksUriPolicy, SqliteStore};
use ims_runtime::lti::dynamic_registration::{PlatformRegistrar, RegistrationTokens};
use ims_runtime::lti::platform::{LtiPlatform, PlatformConfig, ToolRegistration};
use ims_runtime::lti::platform_storage::PlatformStorage;
use ims_runtime::resource_server::AuthLayer;
use ims_runtime::tls::dev::DevCertificates;
use serde::Deserialize;
use tower::ServiceExt as _;

use super::error::LtiPlatformError;
use super::gradebook::{GRADEBOOK_DB, Gradebook, LineItemFilter};
use super::launching::{self, CourseContent, RegisteredOrigins, SessionLookup};
use super::pages::{
    ContentItemView, CoursePage, LoginPage, ScoreView, StorageFrame, ToolView, html, refusal,
};
use super::services::{Course, CourseUrls, PlatformAgs, PlatformNrps};
use super::session::Sessions;
use super::tools::{PlatformEndpoints, ToolDirectory};
use super::users::{PlatformUsers, ensure_users};
use crate::badges::host::public_addr;
use crate::demo::serving::ServedApp;
use crate::{lti_ags_v2p0, lti_nrps_v2p0};

/// The authorization server's SQLite database, inside the data directory.
pub const AUTHZ_DB: &str = "authz.sqlite";
/// The development CA certificate, inside the data directory.
pub const CA_FILE: &str = "ca.pem";
/// The name of the course page's platform-storage frame (`lti_storage_target`).
pub const STORAGE_FRAME_NAME: &str = "lti-platform-storage";
/// LTI Dynamic Registration's registration endpoint.
pub const REGISTRATION_PATH: &str = "/lti/register";
/// The authorization server's token endpoint.
pub const TOKEN_PATH: &str = "/token";

/// The LTI service scopes the platform grants (AGS 2.0 §3.1, NRPS 2.0 §3.6); each tool gets the
/// ones its registration lists.
pub fn lti_scopes() -> Vec<&'static str> {
    vec![
        lti_ags_v2p0::scopes::LINEITEM,
        lti_ags_v2p0::scopes::LINEITEM_READONLY,
        lti_ags_v2p0::scopes::RESULT_READONLY,
        lti_ags_v2p0::scopes::SCORE,
        lti_nrps_v2p0::scopes::CONTEXTMEMBERSHIP_READONLY,
    ]
}

/// Where to listen and where to keep state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformDemoConfig {
    /// Listen address (`127.0.0.1:0` picks a free port).
    pub addr: SocketAddr,
    /// The data directory (created if missing).
    pub data_dir: PathBuf,
    /// CA certificates (PEM files) trusted, besides the platform's own `ca.pem`, when fetching
    /// tools' `jwks_uri` (tools serving TLS with their own development CA).
    pub extra_ca: Vec<PathBuf>,
    /// Whether the course page offers LTI Platform Storage (the `lti_storage_target` frame);
    /// off, tools fall back to their cookies (what a browser blocking them refuses).
    pub platform_storage: bool,
}

/// What every handler reads.
#[derive(Debug)]
pub struct PlatformState {
    /// `https://ADDR`, the issuer.
    pub origin: String,
    /// The seeded course.
    pub course: Course,
    /// Its URLs.
    pub urls: CourseUrls,
    /// The people.
    pub users: Arc<PlatformUsers>,
    /// Sign-in sessions.
    pub sessions: Arc<Sessions>,
    /// Registered tools and `registrations.json`.
    pub tools: Arc<ToolDirectory>,
    /// Line items, scores, content items.
    pub gradebook: Arc<Gradebook>,
    /// The embedded authorization server.
    pub authz: AuthorizationServer,
    /// The runtime's LTI platform: launches, the authorization endpoint, deep-link returns.
    pub platform: Arc<LtiPlatform>,
    /// LTI Dynamic Registration's registration endpoint and its tokens.
    pub registrar: Arc<PlatformRegistrar>,
    /// The platform-storage frame, when storage is on.
    pub storage: Option<PlatformStorage>,
}

impl PlatformState {
    /// The OpenID configuration's URL (what Dynamic Registration hands the tool).
    pub fn openid_configuration_url(&self) -> String {
        format!(
            "{}{}",
            self.origin,
            self.platform.config().paths.openid_configuration
        )
    }
}

/// The platform; see [`LtiPlatformDemo::start`].
#[derive(Debug)]
pub struct LtiPlatformDemo;

fn io(
    what: &'static str,
    path: &std::path::Path,
) -> impl FnOnce(std::io::Error) -> LtiPlatformError {
    let path = path.to_path_buf();
    move |source| LtiPlatformError::Io { what, path, source }
}

/// The CA bundle trusted for tools' `jwks_uri`: the platform's own CA and `extra`.
fn trust_bundle(own: &[u8], extra: &[PathBuf]) -> Result<Vec<u8>, LtiPlatformError> {
    let mut bundle = own.to_vec();
    for path in extra {
        let pem = std::fs::read(path).map_err(io("cannot read CA certificate", path))?;
        bundle.push(b'\n');
        bundle.extend_from_slice(&pem);
    }
    Ok(bundle)
}

/// The generated router `inner` (mounted under `/lti/courses`) served at `/courses/…`: the
/// path is rewritten in front of it; handlers and paging links still see the path the client
/// sent (axum's `OriginalUri`).
fn under_lti_prefix(
    inner: Router,
) -> impl tower::Service<
    Request,
    Response = Response,
    Error = std::convert::Infallible,
    Future = impl Send,
> + Clone
+ Send
+ 'static {
    inner.map_request(|mut request: Request| {
        let rewritten = request
            .uri()
            .path_and_query()
            .map(|pq| format!("/lti{pq}"))
            .and_then(|pq| pq.parse::<axum::http::uri::PathAndQuery>().ok());
        if let Some(pq) = rewritten {
            let mut parts = request.uri().clone().into_parts();
            parts.path_and_query = Some(pq);
            if let Ok(uri) = axum::http::Uri::from_parts(parts) {
                *request.uri_mut() = uri;
            }
        }
        request
    })
}

impl LtiPlatformDemo {
    /// Starts the platform: makes sure the data directory holds the development CA and server
    /// certificate (for the address and `localhost`), `users.json`, the stores, the tools of
    /// `tools.json` and `registrations.json`, then opens the port and serves until
    /// [`RunningPlatform::shutdown`].
    pub async fn start(config: PlatformDemoConfig) -> Result<RunningPlatform, LtiPlatformError> {
        let dir = config.data_dir.clone();
        std::fs::create_dir_all(&dir).map_err(io("cannot create data directory", &dir))?;
        // A fixed port is opened only once `registrations.json` is written (testers wait for
        // the port, then read the file); port 0 must be bound first to learn the port.
        let mut listener = None;
        let addr = if config.addr.port() == 0 {
            let l = tokio::net::TcpListener::bind(config.addr)
                .await
                .map_err(|source| LtiPlatformError::Bind {
                    addr: config.addr,
                    source,
                })?;
            let bound = l.local_addr().map_err(|source| LtiPlatformError::Bind {
                addr: config.addr,
                source,
            })?;
            listener = Some(l);
            public_addr(bound)
        } else {
            public_addr(config.addr)
        };
        let origin = format!("https://{addr}");

        let ip = addr.ip().to_string();
        let certs = DevCertificates::ensure(&dir, &[ip.as_str(), "localhost"])?;
        let tls = certs.tls_config()?;
        let ca_pem = certs.ca_pem_bytes()?;
        let users = Arc::new(ensure_users(&dir)?);

        let store = Arc::new(SqliteStore::open(&dir.join(AUTHZ_DB))?);
        let authz = AuthorizationServer::builder(origin.clone(), store)
            .scopes(lti_scopes())
            // Tools are registered from tools.json or by LTI Dynamic Registration, never by
            // open OAuth registration.
            .dynamic_registration(false)
            // Tools on this machine serve their JWKS from loopback, each with a development CA
            // of its own that the platform cannot know: on loopback any certificate is
            // accepted (the traffic never leaves the machine), so the command lines
            // work with a tool listed by its `jwks_uri`. Elsewhere the platform's CA and each
            // `--ca` are the trust roots.
            .jwks_uri_policy(JwksUriPolicy {
                allow_private_addresses: true,
                ca_pem: Some(trust_bundle(&ca_pem, &config.extra_ca)?),
                trust_loopback_certificates: true,
            })
            .build()
            .await?;
        let verifier = Arc::new(authz.local_verifier()?);
        let gradebook = Arc::new(Gradebook::open(&dir.join(GRADEBOOK_DB))?);
        let course = Course::seeded();
        let urls = CourseUrls {
            origin: origin.clone(),
        };
        let mut platform_config = PlatformConfig::new(origin.clone());
        platform_config.registration_endpoint = Some(format!("{origin}{REGISTRATION_PATH}"));
        platform_config.platform_name = "ims-codegen LTI demo platform".into();
        platform_config.storage_target = config
            .platform_storage
            .then(|| STORAGE_FRAME_NAME.to_owned());
        let paths = platform_config.paths.clone();
        let endpoints = PlatformEndpoints {
            issuer: origin.clone(),
            authorization_endpoint: platform_config.url(&paths.authorize),
            token_endpoint: format!("{origin}{TOKEN_PATH}"),
            jwks_uri: platform_config.url(&paths.jwks),
            course_id: course.id.clone(),
            lineitems_url: urls.line_items(&course.id),
            memberships_url: urls.memberships(&course.id),
        };
        let tools = Arc::new(ToolDirectory::load(&dir, &authz, endpoints).await?);

        let ags = lti_ags_v2p0::server::router(PlatformAgs {
            course: course.clone(),
            urls: urls.clone(),
            gradebook: Arc::clone(&gradebook),
        })
        .with_auth(AuthLayer::new(verifier.clone(), "lti"))
        .with_public_origin(&origin)
        .into_router();
        let nrps = lti_nrps_v2p0::server::router(PlatformNrps {
            course: course.clone(),
            urls: urls.clone(),
            users: Arc::clone(&users),
        })
        .with_auth(AuthLayer::new(verifier, "lti"))
        .with_public_origin(&origin)
        .into_router();

        let sessions = Arc::new(Sessions::default());
        let content = Arc::new(CourseContent {
            state: OnceLock::new(),
        });
        let platform = LtiPlatform::new(
            authz.clone(),
            platform_config,
            Arc::new(SessionLookup(Arc::clone(&sessions))),
            content.clone(),
        )
        .map_err(|e| LtiPlatformError::Platform(e.to_string()))?;
        let directory = Arc::clone(&tools);
        let registrar = Arc::new(
            PlatformRegistrar::new(
                authz.clone(),
                origin.clone(),
                Arc::new(RegistrationTokens::new()),
                Arc::new(move |tool: &ToolRegistration| {
                    if let Err(e) = directory.add(tool) {
                        tracing::error!(error = %e, client_id = %tool.client_id, "registrations.json not rewritten");
                    }
                }),
            )
            .with_scopes(lti_scopes()),
        );
        let storage = config
            .platform_storage
            .then(|| PlatformStorage::new(Arc::new(RegisteredOrigins(Arc::clone(&tools)))));
        let state = Arc::new(PlatformState {
            origin: origin.clone(),
            course,
            urls,
            users,
            sessions,
            tools,
            gradebook,
            authz: authz.clone(),
            platform: Arc::clone(&platform),
            registrar: Arc::clone(&registrar),
            storage: storage.clone(),
        });
        // Set once, here; the callback answers 503 only if called before (it cannot be).
        let _ = content.state.set(Arc::clone(&state));
        let ags = under_lti_prefix(ags);
        let app = Router::new()
            .route("/", get(home))
            .route("/login", get(login_page).post(login))
            .route("/logout", post(logout))
            .route("/courses/{course_id}", get(course_page))
            .route("/courses/{course_id}/launch/{tool}", get(launching::launch))
            .route(
                "/courses/{course_id}/deep-link/{tool}",
                get(launching::deep_link),
            )
            .route("/admin/register-tool", get(launching::register_tool))
            .with_state(Arc::clone(&state))
            .merge(platform.router())
            .merge(registrar.router(REGISTRATION_PATH))
            .merge(storage.map(|s| s.router()).unwrap_or_default())
            .route_service("/courses/{course_id}/lineitems", ags.clone())
            .route_service("/courses/{course_id}/lineitems/{*rest}", ags)
            .route_service("/courses/{course_id}/memberships", under_lti_prefix(nrps))
            // Everything else (token endpoint, JWKS, metadata) is the authorization server's.
            .fallback_service(authz.router_without_openid_configuration());

        let listener = match listener {
            Some(l) => l,
            None => tokio::net::TcpListener::bind(config.addr)
                .await
                .map_err(|source| LtiPlatformError::Bind {
                    addr: config.addr,
                    source,
                })?,
        };
        let served = ServedApp::start(listener, app, tls, Some(authz.clone()));
        tracing::info!(
            course = %format!("{origin}/courses/{}", state.course.id),
            ca = %dir.join(CA_FILE).display(),
            "LTI demo platform listening on {addr}"
        );
        Ok(RunningPlatform {
            addr,
            base_url: origin,
            ca_pem,
            data_dir: dir,
            state,
            served,
        })
    }
}

/// A started platform.
#[derive(Debug)]
pub struct RunningPlatform {
    /// The address served.
    pub addr: SocketAddr,
    /// `https://<addr>`: the issuer.
    pub base_url: String,
    /// The development CA certificate (PEM).
    pub ca_pem: Vec<u8>,
    /// The data directory.
    pub data_dir: PathBuf,
    /// What the handlers share.
    pub state: Arc<PlatformState>,
    served: ServedApp,
}

impl RunningPlatform {
    /// `base_url` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Serves until `signal` resolves (or the server fails), then shuts down gracefully.
    pub async fn run_until(
        mut self,
        signal: impl Future<Output = ()>,
    ) -> Result<(), LtiPlatformError> {
        self.served.run_until(signal).await??;
        tracing::info!(addr = %self.addr, "LTI demo platform stopped");
        Ok(())
    }

    /// Stops accepting connections, lets in-flight requests finish (up to 5 s) and waits.
    pub async fn shutdown(mut self) -> Result<(), LtiPlatformError> {
        self.served.shutdown().await??;
        tracing::info!(addr = %self.addr, "LTI demo platform stopped");
        Ok(())
    }
}

type Shared = State<Arc<PlatformState>>;

/// A path on this platform to come back to after signing in: absolute-path only, so the
/// sign-in form cannot send people to another site.
fn local_path(next: Option<&str>, fallback: &str) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => fallback.to_owned(),
    }
}

/// 303 to `/login?next=<path and query of this request>`.
fn to_login(next: &str) -> Response {
    let encoded: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
    Redirect::to(&format!("/login?next={encoded}")).into_response()
}

fn course_path(state: &PlatformState) -> String {
    format!("/courses/{}", state.course.id)
}

async fn home(State(state): Shared) -> Response {
    Redirect::to(&course_path(&state)).into_response()
}

#[derive(Debug, Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn login_page(State(state): Shared, Query(q): Query<NextQuery>) -> Response {
    let next = local_path(q.next.as_deref(), &course_path(&state));
    html(
        StatusCode::OK,
        &LoginPage {
            next: &next,
            error: None,
        },
    )
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
}

async fn login(State(state): Shared, Form(form): Form<LoginForm>) -> Response {
    let next = local_path(form.next.as_deref(), &course_path(&state));
    if !state.users.check_password(&form.username, &form.password) {
        tracing::info!(username = %form.username, "sign-in refused");
        return html(
            StatusCode::UNAUTHORIZED,
            &LoginPage {
                next: &next,
                error: Some("Unknown username or wrong password (see users.json)."),
            },
        );
    }
    match state.sessions.start(&form.username) {
        Ok(cookie) => with_cookie(Redirect::to(&next).into_response(), &cookie),
        Err(e) => {
            tracing::error!(error = %e, "cannot start a session");
            refusal(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Cannot sign in",
                "The platform could not start a session; see its log.",
            )
        }
    }
}

fn with_cookie(mut response: Response, cookie: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

async fn logout(State(state): Shared, headers: HeaderMap) -> Response {
    let cookie = state.sessions.end(&headers);
    with_cookie(Redirect::to("/login").into_response(), &cookie)
}

fn unknown_course() -> Response {
    refusal(
        StatusCode::NOT_FOUND,
        "No such course",
        "This platform has one course; go back to the course page.",
    )
}

async fn course_page(
    State(state): Shared,
    Path(course_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(user) = state.sessions.user(&headers) else {
        return to_login(&format!("/courses/{course_id}"));
    };
    if course_id != state.course.id {
        return unknown_course();
    }
    match course_view(&state, user) {
        Ok(page) => html(StatusCode::OK, &page),
        Err(e) => {
            tracing::error!(error = %e, "course page");
            refusal(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The course page failed",
                "The platform could not read its gradebook; see its log.",
            )
        }
    }
}

fn course_view(state: &PlatformState, user: String) -> Result<CoursePage, LtiPlatformError> {
    let course = &state.course;
    let tools = state
        .tools
        .all()
        .into_iter()
        .filter_map(|t| state.tools.name_of(&t.client_id))
        .map(|name| ToolView {
            launch: format!("/courses/{}/launch/{name}", course.id),
            deep_link: format!("/courses/{}/deep-link/{name}", course.id),
            name,
        })
        .collect();
    let content_items = state
        .gradebook
        .content_items(&course.id)?
        .into_iter()
        .map(|c| {
            let text = |k: &str| c.item.get(k).and_then(|v| v.as_str()).map(str::to_owned);
            let url = text("url");
            ContentItemView {
                kind: text("type").unwrap_or_else(|| "(no type)".into()),
                title: text("title")
                    .or_else(|| url.clone())
                    .unwrap_or_else(|| "(untitled)".into()),
                url,
                tool: c.tool_name,
            }
        })
        .collect();
    let mut scores = Vec::new();
    for line_item in state
        .gradebook
        .line_items(&course.id, &LineItemFilter::default())?
    {
        for s in state.gradebook.scores(line_item.number, None)? {
            let score = &s.score;
            let number = |v: Option<f64>| v.map_or_else(|| "–".to_owned(), |v| v.to_string());
            scores.push(ScoreView {
                line_item: line_item.item.label.clone(),
                user: score.user_id.clone(),
                score: format!(
                    "{} / {}",
                    number(score.score_given),
                    number(score.score_maximum)
                ),
                progress: format!("{} · {}", score.activity_progress, score.grading_progress),
                comment: score.comment.clone().unwrap_or_default(),
                timestamp: score.timestamp.as_str().to_owned(),
            });
        }
    }
    Ok(CoursePage {
        user,
        course_title: course.title.clone(),
        course_label: course.label.clone(),
        tools,
        content_items,
        scores,
        storage_frame: state.storage.as_ref().map(|s| StorageFrame {
            name: STORAGE_FRAME_NAME.to_owned(),
            src: s.frame_path().to_owned(),
        }),
    })
}
