//! Launching tools from the course page, taking deep-linking responses back, and registering
//! tools by LTI Dynamic Registration: the demo's side of the runtime's
//! [`LtiPlatform`] ([`PlatformSessions`], [`PlatformApp`]) and [`PlatformRegistrar`].

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use futures_util::future::BoxFuture;
use ims_runtime::lti::platform::{
    DeepLinkingReturn, LaunchKind, LaunchSpec, PlatformApp, PlatformSessions,
};
use ims_runtime::lti::{AgsEndpoint, Context, NrpsService, ResourceLink};
use serde::Deserialize;

use super::app::PlatformState;
use super::pages::{ReturnedPage, html, refusal};
use super::session::Sessions;
use super::users::{display_name, roles};
use crate::lti_ags_v2p0;

/// How long a registration token from `/admin/register-tool` is valid (issue 10: 10 minutes).
pub const REGISTRATION_TOKEN_TTL: Duration = Duration::from_secs(600);
/// The `scoreMaximum` of the line item created for each tool's resource link.
const LINE_ITEM_MAXIMUM: f64 = 100.0;

/// The platform's sign-in as the runtime asks for it.
#[derive(Debug, Clone)]
pub struct SessionLookup(pub Arc<Sessions>);

impl PlatformSessions for SessionLookup {
    fn signed_in_user<'a>(&'a self, headers: &'a HeaderMap) -> BoxFuture<'a, Option<String>> {
        Box::pin(async move { self.0.user(headers) })
    }
}

/// What the platform does with content items: keeps them for the course page.
#[derive(Debug)]
pub struct CourseContent {
    /// The platform's shared state (set once it exists).
    pub state: std::sync::OnceLock<Arc<PlatformState>>,
}

impl PlatformApp for CourseContent {
    fn deep_linking_returned(&self, result: DeepLinkingReturn) -> BoxFuture<'static, Response> {
        let state = self.state.get().cloned();
        Box::pin(async move {
            let Some(state) = state else {
                return refusal(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "The platform is starting",
                    "Try again in a moment.",
                );
            };
            let tool_name = state
                .tools
                .name_of(&result.tool.client_id)
                .unwrap_or_else(|| result.tool.name.clone());
            if let Err(e) =
                state
                    .gradebook
                    .add_content_items(&result.context_id, &tool_name, &result.items)
            {
                tracing::error!(error = %e, "cannot keep deep-linked content");
                return refusal(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "The content was not kept",
                    "The platform could not write its database; see its log.",
                );
            }
            if let Some(log) = result.log.as_deref().or(result.error_log.as_deref()) {
                tracing::info!(tool = %tool_name, log, "deep-linking response log");
            }
            tracing::info!(tool = %tool_name, items = result.items.len(), user = %result.user_id, "deep-linked content added");
            let items = result
                .items
                .iter()
                .map(|i| {
                    i.get("title")
                        .or_else(|| i.get("url"))
                        .and_then(|t| t.as_str())
                        .unwrap_or("(untitled)")
                        .to_owned()
                })
                .collect();
            let course = format!("/courses/{}", result.context_id);
            let title = if result.items.is_empty() {
                "Nothing was added"
            } else {
                "Content added to the course"
            };
            html(
                StatusCode::OK,
                &ReturnedPage {
                    title,
                    msg: result.msg.as_deref().or(result.error_msg.as_deref()),
                    items,
                    course: &course,
                },
            )
        })
    }
}

fn to_login(next: &str) -> Response {
    let encoded: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
    Redirect::to(&format!("/login?next={encoded}")).into_response()
}

type Shared = State<Arc<PlatformState>>;

/// `GET /courses/{course_id}/launch/{tool}`: a resource-link launch for the signed-in user.
pub async fn launch(
    State(state): Shared,
    Path((course_id, tool)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    start(&state, &course_id, &tool, &headers, false).await
}

/// `GET /courses/{course_id}/deep-link/{tool}`: a deep-linking launch for the signed-in user.
pub async fn deep_link(
    State(state): Shared,
    Path((course_id, tool)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    start(&state, &course_id, &tool, &headers, true).await
}

async fn start(
    state: &PlatformState,
    course_id: &str,
    tool_name: &str,
    headers: &HeaderMap,
    deep_linking: bool,
) -> Response {
    let verb = if deep_linking { "deep-link" } else { "launch" };
    let Some(user_id) = state.sessions.user(headers) else {
        return to_login(&format!("/courses/{course_id}/{verb}/{tool_name}"));
    };
    if course_id != state.course.id {
        return refusal(
            StatusCode::NOT_FOUND,
            "No such course",
            "This platform has one course; go back to the course page.",
        );
    }
    let Some(tool) = state.tools.get(tool_name) else {
        return refusal(
            StatusCode::NOT_FOUND,
            "No such tool",
            "No tool of that name is registered with this platform (see registrations.json).",
        );
    };
    let platform = &state.platform;
    let roles = state
        .users
        .get(&user_id)
        .map(|u| u.roles.clone())
        .unwrap_or_default();
    let course = &state.course;
    let resource_link_id = format!("{}-{tool_name}", course.id);
    let ags = if deep_linking {
        None
    } else {
        match state.gradebook.line_item_for_link(
            &course.id,
            &resource_link_id,
            &format!("{tool_name} score"),
            LINE_ITEM_MAXIMUM,
        ) {
            Ok(number) => Some(AgsEndpoint {
                scope: vec![
                    lti_ags_v2p0::scopes::LINEITEM.into(),
                    lti_ags_v2p0::scopes::LINEITEM_READONLY.into(),
                    lti_ags_v2p0::scopes::RESULT_READONLY.into(),
                    lti_ags_v2p0::scopes::SCORE.into(),
                ],
                lineitems: Some(state.urls.line_items(&course.id)),
                lineitem: Some(state.urls.line_item(&course.id, number)),
            }),
            Err(e) => {
                tracing::error!(error = %e, "cannot prepare the launch's line item");
                return refusal(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "The launch failed",
                    "The platform could not write its gradebook; see its log.",
                );
            }
        }
    };
    let ags = ags.or_else(|| {
        // Deep-linking launches carry the line items URL too, so a tool can add line items
        // for the content it returns.
        Some(AgsEndpoint {
            scope: vec![
                lti_ags_v2p0::scopes::LINEITEM.into(),
                lti_ags_v2p0::scopes::LINEITEM_READONLY.into(),
                lti_ags_v2p0::scopes::RESULT_READONLY.into(),
                lti_ags_v2p0::scopes::SCORE.into(),
            ],
            lineitems: Some(state.urls.line_items(&course.id)),
            lineitem: None,
        })
    });
    let kind = if deep_linking {
        LaunchKind::DeepLinking {
            accept_types: vec!["ltiResourceLink".into(), "link".into()],
            accept_presentation_document_targets: vec!["iframe".into(), "window".into()],
            accept_multiple: true,
            title: Some(format!("Content for {}", course.title)),
            text: None,
        }
    } else {
        LaunchKind::ResourceLink
    };
    let name = display_name(&user_id);
    let spec = LaunchSpec {
        user_id: user_id.clone(),
        roles,
        given_name: name.split(' ').next().map(str::to_owned),
        family_name: name.split_once(' ').map(|(_, f)| f.to_owned()),
        name: Some(name),
        email: Some(format!("{user_id}@platform.example")),
        context: Context {
            id: course.id.clone(),
            label: Some(course.label.clone()),
            title: Some(course.title.clone()),
            types: vec!["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering".into()],
        },
        resource_link: (!deep_linking).then(|| ResourceLink {
            id: resource_link_id.clone(),
            title: Some(tool_name.to_owned()),
            description: None,
        }),
        kind,
        ags,
        nrps: Some(NrpsService {
            context_memberships_url: state.urls.memberships(&course.id),
            service_versions: vec!["2.0".into()],
        }),
        custom: BTreeMap::new(),
        target_link_uri: None,
    };
    match platform.start_launch(&tool, spec) {
        Ok(response) => response,
        Err(e) => e.into_response(),
    }
}

/// The query of `/admin/register-tool`.
#[derive(Debug, Deserialize)]
pub struct RegisterToolQuery {
    /// The tool's registration URL.
    url: Option<String>,
}

/// `GET /admin/register-tool?url=URL`: LTI Dynamic Registration 1.0 §3.2 (registration
/// initiation): the administrator's browser goes to the tool's registration URL with our
/// OpenID configuration and a single-use registration token valid 10 minutes.
pub async fn register_tool(
    State(state): Shared,
    Query(q): Query<RegisterToolQuery>,
    headers: HeaderMap,
) -> Response {
    let Some(user_id) = state.sessions.user(&headers) else {
        let mut next = "/admin/register-tool".to_owned();
        if let Some(url) = &q.url {
            next.push_str("?url=");
            next.extend(url::form_urlencoded::byte_serialize(url.as_bytes()));
        }
        return to_login(&next);
    };
    if !state
        .users
        .get(&user_id)
        .is_some_and(|u| u.is_administrator())
    {
        return refusal(
            StatusCode::FORBIDDEN,
            "Administrators only",
            &format!(
                "Registering tools needs the administrator role ({}); sign in as an administrator.",
                roles::SYSTEM_ADMINISTRATOR
            ),
        );
    }
    let Some(mut target) = q
        .url
        .as_deref()
        .and_then(|u| url::Url::parse(u).ok())
        .filter(|u| u.scheme() == "https" && u.host().is_some())
    else {
        return refusal(
            StatusCode::BAD_REQUEST,
            "Which tool?",
            "Give the tool's registration URL as ?url=https://… (the registration_uri of its tool.json).",
        );
    };
    let token = state.registrar.tokens().issue(REGISTRATION_TOKEN_TTL);
    target
        .query_pairs_mut()
        .append_pair("openid_configuration", &state.openid_configuration_url())
        .append_pair("registration_token", &token);
    tracing::info!(admin = %user_id, tool = %target.origin().ascii_serialization(), "dynamic registration started");
    Redirect::to(target.as_str()).into_response()
}
