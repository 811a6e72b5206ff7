//! What the tool does with a validated launch ([`LtiToolApp`]), and the pages after it under
//! `/launches/{launch_id}/…`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use futures_util::future::BoxFuture;
use ims_runtime::lti::{
    ContentItem, DeepLinkingLaunch, DeepLinkingResponse, LaunchClaims, LtiToolApp,
    ResourceLinkLaunch, ToolKeys,
};
use serde_json::json;

use super::launches::{LaunchMemory, Remembered, RememberedKind};
use super::pages::{
    LaunchPage, MemberRow, MembersPage, PickerItem, PickerPage, ResultRow, ScorePage, refusal,
    render,
};
use super::services::Services;
use super::tool_json::{DEEP_LINKING_PATH, RESOURCE_PATH};

/// The content the deep-linking picker offers; each is shown when its type is among the
/// platform's `accept_types`.
const PICKER_ITEMS: [PickerItem; 3] = [
    PickerItem {
        key: "quiz-cells",
        title: "Quiz: the cell",
        item_type: "ltiResourceLink",
        text: "Ten questions on cell structure, graded through AGS.",
    },
    PickerItem {
        key: "quiz-genetics",
        title: "Quiz: genetics",
        item_type: "ltiResourceLink",
        text: "Ten questions on inheritance, graded through AGS.",
    },
    PickerItem {
        key: "reading-lti",
        title: "Reading: LTI 1.3 Core",
        item_type: "link",
        text: "The standard this demo follows.",
    },
];

/// Where the `link` item of the picker points.
const READING_URL: &str = "https://www.imsglobal.org/spec/lti/v1p3/";

/// The tool's application state.
pub(crate) struct DemoApp {
    pub(crate) memory: LaunchMemory,
    pub(crate) services: Services,
    pub(crate) tool_keys: Arc<ToolKeys>,
}

/// Whether the launch's user teaches: a role URI holding `#Instructor` (the context role
/// `…/membership#Instructor`, the institution role `…/institution/person#Instructor`) or the
/// short context role `Instructor`.
fn is_instructor(claims: &LaunchClaims) -> bool {
    claims.has_role("Instructor") || claims.roles.iter().any(|r| r.contains("#Instructor"))
}

fn launch_page(launch_id: &str, r: &Remembered, l: &ResourceLinkLaunch) -> Response {
    let c = &l.claims;
    let context = c.context.as_ref();
    render(
        StatusCode::OK,
        &LaunchPage {
            title: l.resource_link.title.as_deref().unwrap_or("LTI demo tool"),
            sub: &c.user.sub,
            name: c.user.name.as_deref().unwrap_or(""),
            roles: &c.roles,
            context_id: context.map(|x| x.id.as_str()).unwrap_or(""),
            context_label: context.and_then(|x| x.label.as_deref()).unwrap_or(""),
            context_title: context.and_then(|x| x.title.as_deref()).unwrap_or(""),
            issuer: &c.issuer,
            deployment_id: &c.deployment_id,
            resource_link_id: &l.resource_link.id,
            instructor: is_instructor(c),
            ags: c.ags.is_some(),
            nrps: c.nrps.is_some(),
            launch_id,
            csrf: &r.csrf,
        },
    )
}

fn offered_items(l: &DeepLinkingLaunch) -> Vec<&'static PickerItem> {
    PICKER_ITEMS
        .iter()
        .filter(|i| l.settings.accept_types.iter().any(|t| t == i.item_type))
        .collect()
}

fn picker_page(launch_id: &str, r: &Remembered, l: &DeepLinkingLaunch) -> Response {
    let items = offered_items(l);
    if items.is_empty() {
        return refusal(
            StatusCode::BAD_REQUEST,
            "Nothing to pick",
            "the platform accepts none of this tool's content item types (ltiResourceLink, link)",
        );
    }
    let context_title = l
        .claims
        .context
        .as_ref()
        .and_then(|c| c.title.as_deref())
        .unwrap_or("your course");
    render(
        StatusCode::OK,
        &PickerPage {
            context_title,
            text: l.settings.text.as_deref().unwrap_or(""),
            items: &items,
            launch_id,
            csrf: &r.csrf,
        },
    )
}

fn page_for(launch_id: &str, r: &Remembered) -> Response {
    match &r.kind {
        RememberedKind::ResourceLink(l) => launch_page(launch_id, r, l),
        RememberedKind::DeepLinking(l) => picker_page(launch_id, r, l),
    }
}

impl LtiToolApp for DemoApp {
    fn resource_link(&self, launch: ResourceLinkLaunch) -> BoxFuture<'static, Response> {
        let (id, r) = self.memory.remember(RememberedKind::ResourceLink(launch));
        let page = page_for(&id, &r);
        Box::pin(async move { page })
    }

    fn deep_linking(&self, launch: DeepLinkingLaunch) -> BoxFuture<'static, Response> {
        let (id, r) = self.memory.remember(RememberedKind::DeepLinking(launch));
        let page = page_for(&id, &r);
        Box::pin(async move { page })
    }
}

fn unknown_launch() -> Response {
    refusal(
        StatusCode::NOT_FOUND,
        "Unknown launch",
        "this launch is unknown or has expired (the tool keeps a launch for one hour); launch the tool again from your platform",
    )
}

/// The form fields of a POST, each once.
fn form_fields(body: &[u8]) -> Option<HashMap<String, String>> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).ok()?;
    let mut map = HashMap::new();
    for (k, v) in pairs {
        if map.insert(k, v).is_some() {
            return None;
        }
    }
    Some(map)
}

/// Why a POST under `/launches/{launch_id}/…` is refused before its own checks.
enum PostRefusal {
    UnknownLaunch,
    MalformedForm,
    Csrf,
}

impl PostRefusal {
    fn page(self) -> Response {
        match self {
            Self::UnknownLaunch => unknown_launch(),
            Self::MalformedForm => refusal(
                StatusCode::BAD_REQUEST,
                "Form refused",
                "the form is malformed or repeats a field",
            ),
            Self::Csrf => refusal(
                StatusCode::FORBIDDEN,
                "Form refused",
                "the form's CSRF token is missing or does not belong to this launch; submit the form from the launch page",
            ),
        }
    }
}

/// The launch and form of a POST whose CSRF token belongs to the launch.
fn checked_post(
    app: &DemoApp,
    launch_id: &str,
    body: &[u8],
) -> Result<(Remembered, HashMap<String, String>), PostRefusal> {
    let remembered = app
        .memory
        .get(launch_id)
        .ok_or(PostRefusal::UnknownLaunch)?;
    let fields = form_fields(body).ok_or(PostRefusal::MalformedForm)?;
    let csrf_ok = fields
        .get("csrf")
        .is_some_and(|t| remembered.csrf_matches(t));
    if !csrf_ok {
        return Err(PostRefusal::Csrf);
    }
    Ok((remembered, fields))
}

fn not_instructor() -> Response {
    refusal(
        StatusCode::FORBIDDEN,
        "Instructors only",
        "only an instructor of the context (a role holding #Instructor) may do this",
    )
}

fn not_resource_link() -> Response {
    refusal(
        StatusCode::BAD_REQUEST,
        "Wrong kind of launch",
        "this is a deep-linking launch; scores and members belong to resource-link launches",
    )
}

async fn show_launch(State(app): State<Arc<DemoApp>>, Path(launch_id): Path<String>) -> Response {
    match app.memory.get(&launch_id) {
        Some(r) => page_for(&launch_id, &r),
        None => unknown_launch(),
    }
}

/// A finite, non-negative number from a form field.
fn number(fields: &HashMap<String, String>, name: &str) -> Option<f64> {
    fields
        .get(name)
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|v| v.is_finite() && *v >= 0.0)
}

async fn post_score(
    State(app): State<Arc<DemoApp>>,
    Path(launch_id): Path<String>,
    body: Bytes,
) -> Response {
    let (remembered, fields) = match checked_post(&app, &launch_id, &body) {
        Ok(x) => x,
        Err(refused) => return refused.page(),
    };
    let RememberedKind::ResourceLink(launch) = &remembered.kind else {
        return not_resource_link();
    };
    let claims = &launch.claims;
    if !is_instructor(claims) {
        return not_instructor();
    }
    let Some(ags) = &claims.ags else {
        return refusal(
            StatusCode::BAD_REQUEST,
            "No grade service",
            "the platform granted no Assignment and Grade Services for this launch",
        );
    };
    let user_id = fields.get("user_id").map(|u| u.trim()).unwrap_or_default();
    let (Some(score_given), Some(score_maximum)) = (
        number(&fields, "score_given"),
        number(&fields, "score_maximum"),
    ) else {
        return refusal(
            StatusCode::BAD_REQUEST,
            "Score refused",
            "score_given and score_maximum must be non-negative numbers",
        );
    };
    if user_id.is_empty() || score_maximum <= 0.0 || score_given > score_maximum {
        return refusal(
            StatusCode::BAD_REQUEST,
            "Score refused",
            "user_id is required, score_maximum must be above 0 and score_given at most score_maximum",
        );
    }
    let line_item = match &remembered.line_item {
        Some(item) => item.clone(),
        None => {
            let label = launch
                .resource_link
                .title
                .as_deref()
                .unwrap_or("LTI demo tool");
            match app
                .services
                .line_item(
                    &claims.issuer,
                    &claims.client_id,
                    ags,
                    &launch.resource_link.id,
                    label,
                    score_maximum,
                )
                .await
            {
                Ok(item) => {
                    app.memory.set_line_item(&launch_id, &item);
                    item
                }
                Err(e) => return service_failed(&e),
            }
        }
    };
    let results = match app
        .services
        .post_score_and_read_results(
            &claims.issuer,
            &claims.client_id,
            &line_item,
            user_id,
            score_given,
            score_maximum,
            &claims.user.sub,
        )
        .await
    {
        Ok(results) => results,
        Err(e) => return service_failed(&e),
    };
    let rows: Vec<ResultRow> = results
        .iter()
        .map(|r| ResultRow {
            user_id: r.user_id.clone(),
            score: r.result_score.map(|s| s.to_string()).unwrap_or_default(),
            maximum: r.result_maximum.map(|s| s.to_string()).unwrap_or_default(),
        })
        .collect();
    render(
        StatusCode::OK,
        &ScorePage {
            user_id,
            score_given: &score_given.to_string(),
            score_maximum: &score_maximum.to_string(),
            line_item: &line_item,
            results: &rows,
            launch_id: &launch_id,
        },
    )
}

fn service_failed(e: &super::services::ServiceError) -> Response {
    tracing::warn!(error = %e, "an LTI Advantage service call failed");
    refusal(
        StatusCode::BAD_GATEWAY,
        "The platform's service failed",
        &e.to_string(),
    )
}

async fn members(State(app): State<Arc<DemoApp>>, Path(launch_id): Path<String>) -> Response {
    let Some(remembered) = app.memory.get(&launch_id) else {
        return unknown_launch();
    };
    let RememberedKind::ResourceLink(launch) = &remembered.kind else {
        return not_resource_link();
    };
    let claims = &launch.claims;
    if !is_instructor(claims) {
        return not_instructor();
    }
    let Some(nrps) = &claims.nrps else {
        return refusal(
            StatusCode::BAD_REQUEST,
            "No membership service",
            "the platform granted no Names and Role Provisioning Services for this launch",
        );
    };
    let members = match app
        .services
        .members(
            &claims.issuer,
            &claims.client_id,
            &nrps.context_memberships_url,
        )
        .await
    {
        Ok(m) => m,
        Err(e) => return service_failed(&e),
    };
    let rows: Vec<MemberRow> = members
        .iter()
        .map(|m| MemberRow {
            user_id: m.user_id.clone(),
            name: m.name.clone().unwrap_or_default(),
            roles: m.roles.join(" "),
            status: m.status.map(|s| s.to_string()).unwrap_or_default(),
        })
        .collect();
    let context_title = claims
        .context
        .as_ref()
        .and_then(|c| c.title.as_deref())
        .unwrap_or("this context");
    render(
        StatusCode::OK,
        &MembersPage {
            context_title,
            members: &rows,
            launch_id: &launch_id,
        },
    )
}

/// The resource-link target on the origin the deep-linking launch came to (the tool answers
/// at several, see `hosts`), which the picker's `ltiResourceLink` items launch.
fn resource_target(launch: &DeepLinkingLaunch) -> String {
    let target = &launch.claims.target_link_uri;
    match target.strip_suffix(DEEP_LINKING_PATH) {
        Some(origin) => format!("{origin}{RESOURCE_PATH}"),
        None => target.clone(),
    }
}

fn content_item(item: &PickerItem, resource_target: &str) -> ContentItem {
    let mut content = match item.item_type {
        "ltiResourceLink" => {
            let mut c = ContentItem::lti_resource_link(item.title, resource_target);
            // Which quiz the link opens, echoed back by the platform in every launch of it.
            c.extra
                .insert("custom".into(), json!({ "activity": item.key }));
            c
        }
        _ => ContentItem::link(item.title, READING_URL),
    };
    content.text = Some(item.text.to_owned());
    content
}

async fn deep_link(
    State(app): State<Arc<DemoApp>>,
    Path(launch_id): Path<String>,
    body: Bytes,
) -> Response {
    let (remembered, fields) = match checked_post(&app, &launch_id, &body) {
        Ok(x) => x,
        Err(refused) => return refused.page(),
    };
    let RememberedKind::DeepLinking(launch) = &remembered.kind else {
        return refusal(
            StatusCode::BAD_REQUEST,
            "Wrong kind of launch",
            "this is a resource-link launch; content is picked in a deep-linking launch",
        );
    };
    let picked = fields.get("item").and_then(|key| {
        offered_items(launch)
            .into_iter()
            .find(|i| i.key == key.as_str())
    });
    let Some(picked) = picked else {
        return refusal(
            StatusCode::BAD_REQUEST,
            "Nothing picked",
            "the form names no item this platform accepts; pick one on the picker page",
        );
    };
    let response =
        DeepLinkingResponse::new(launch, vec![content_item(picked, &resource_target(launch))])
            .with_message(format!("Added “{}”", picked.title))
            .with_log(format!("lti-demo tool: {}", picked.key));
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    match response.into_form(&app.tool_keys.active(), now) {
        Ok(form) => {
            // A deep-linking request is answered once.
            app.memory.forget(&launch_id);
            form
        }
        Err(e) => refusal(
            StatusCode::BAD_REQUEST,
            "Cannot return the selection",
            &e.to_string(),
        ),
    }
}

/// The `/launches/{launch_id}/…` routes.
pub(crate) fn launch_routes(app: Arc<DemoApp>) -> Router {
    Router::new()
        .route("/launches/{launch_id}", get(show_launch))
        .route("/launches/{launch_id}/score", post(post_score))
        .route("/launches/{launch_id}/members", get(members))
        .route("/launches/{launch_id}/deep-link", post(deep_link))
        .with_state(app)
}
