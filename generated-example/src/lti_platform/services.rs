//! The generated AGS 2.0 and NRPS 2.0 service traits over the course: line items, scores and
//! results in the [`Gradebook`], members from `users.json`.
//!
//! The generated routers mount under their SDDs' base path (`/lti/courses`); the platform serves
//! them at `/courses/{course_id}/lineitems…` and `/courses/{course_id}/memberships` (the
//! contract of issue 10) by rewriting the path in front of them (see `app.rs`). Paging links are
//! built from the path the client sent, so they name the public URLs.

use std::sync::Arc;

use ims_runtime::codegen::{ImsError, LinkedPage, RequestContext, Uri};
use serde_json::json;

use super::gradebook::{Gradebook, LineItemFilter};
use super::users::{PlatformUsers, display_name};
use crate::lti_ags_v2p0::models::{LineItem, Result as AgsResult, Score};
use crate::lti_ags_v2p0::server::AgsService;
use crate::lti_nrps_v2p0::models::{Member, MembershipContainer};
use crate::lti_nrps_v2p0::server::NrpsService;

/// The seeded course: its id (`context.id` of launches), label and title.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Course {
    /// `context.id`.
    pub id: String,
    /// `context.label`.
    pub label: String,
    /// `context.title`.
    pub title: String,
}

impl Course {
    /// The demo's one course.
    pub fn seeded() -> Self {
        Self {
            id: "course-1".into(),
            label: "BIO-101".into(),
            title: "Introduction to Biology".into(),
        }
    }
}

/// The course's URLs under the public origin.
#[derive(Clone, Debug)]
pub struct CourseUrls {
    /// `https://ADDR`.
    pub origin: String,
}

impl CourseUrls {
    /// `…/courses/{course}/lineitems` (the AGS claim's `lineitems`).
    pub fn line_items(&self, course: &str) -> String {
        format!("{}/courses/{course}/lineitems", self.origin)
    }

    /// `…/courses/{course}/lineitems/{n}` (a line item's `id`, the AGS claim's `lineitem`).
    pub fn line_item(&self, course: &str, number: i64) -> String {
        format!("{}/{number}", self.line_items(course))
    }

    /// `…/courses/{course}/memberships` (the NRPS claim's `context_memberships_url`).
    pub fn memberships(&self, course: &str) -> String {
        format!("{}/courses/{course}/memberships", self.origin)
    }
}

fn internal(e: impl std::fmt::Display) -> ImsError {
    tracing::error!(error = %e, "gradebook failure");
    ImsError::internal_server_error("the gradebook failed; see the platform's log")
}

fn no_line_item() -> ImsError {
    ImsError::unknown_object("no such line item")
}

fn number(line_item_id: &str) -> Result<i64, ImsError> {
    line_item_id.parse().map_err(|_| no_line_item())
}

fn uri(text: &str) -> Result<Uri, ImsError> {
    text.parse().map_err(internal)
}

/// The page of `all` starting at the opaque token `page` (`after-N`), at most `limit` long, and
/// the next page's token.
fn page_of<T: Clone>(
    all: &[T],
    limit: Option<i32>,
    page: Option<&str>,
) -> Result<(Vec<T>, Option<String>), ImsError> {
    let start = match page {
        None => 0,
        Some(token) => token
            .strip_prefix("after-")
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| *n <= all.len())
            .ok_or_else(|| ImsError::invalid_data("unknown page token"))?,
    };
    let limit = limit.map_or(all.len(), |l| usize::try_from(l.max(1)).unwrap_or(1));
    let end = start.saturating_add(limit).min(all.len());
    let next = (end < all.len()).then(|| format!("after-{end}"));
    Ok((all[start..end].to_vec(), next))
}

/// AGS 2.0 over the gradebook.
#[derive(Debug, Clone)]
pub struct PlatformAgs {
    /// The course served.
    pub course: Course,
    /// URLs under the public origin.
    pub urls: CourseUrls,
    /// The store.
    pub gradebook: Arc<Gradebook>,
}

impl PlatformAgs {
    fn course(&self, context_id: &str) -> Result<(), ImsError> {
        if context_id == self.course.id {
            Ok(())
        } else {
            Err(ImsError::unknown_object("no such course"))
        }
    }

    fn with_id(&self, context_id: &str, n: i64, mut item: LineItem) -> Result<LineItem, ImsError> {
        item.id = Some(uri(&self.urls.line_item(context_id, n))?);
        Ok(item)
    }

    fn existing(&self, context_id: &str, n: i64) -> Result<LineItem, ImsError> {
        self.gradebook
            .line_item(context_id, n)
            .map_err(internal)?
            .ok_or_else(no_line_item)
    }
}

impl AgsService for PlatformAgs {
    async fn get_line_items(
        &self,
        _ctx: RequestContext,
        context_id: String,
        limit: Option<i32>,
        page: Option<String>,
        resource_id: Option<String>,
        resource_link_id: Option<String>,
        tag: Option<String>,
    ) -> Result<LinkedPage<Vec<LineItem>>, ImsError> {
        self.course(&context_id)?;
        let filter = LineItemFilter {
            resource_id,
            resource_link_id,
            tag,
        };
        let all = self
            .gradebook
            .line_items(&context_id, &filter)
            .map_err(internal)?
            .into_iter()
            .map(|s| self.with_id(&context_id, s.number, s.item))
            .collect::<Result<Vec<_>, _>>()?;
        let (body, next_page) = page_of(&all, limit, page.as_deref())?;
        Ok(LinkedPage { body, next_page })
    }

    async fn add_line_item(
        &self,
        _ctx: RequestContext,
        context_id: String,
        body: LineItem,
    ) -> Result<LineItem, ImsError> {
        self.course(&context_id)?;
        let n = self
            .gradebook
            .add_line_item(&context_id, &body)
            .map_err(internal)?;
        self.with_id(&context_id, n, body)
    }

    async fn get_line_item(
        &self,
        _ctx: RequestContext,
        context_id: String,
        line_item_id: String,
    ) -> Result<LineItem, ImsError> {
        let n = number(&line_item_id)?;
        let item = self.existing(&context_id, n)?;
        self.with_id(&context_id, n, item)
    }

    async fn update_line_item(
        &self,
        _ctx: RequestContext,
        context_id: String,
        line_item_id: String,
        mut body: LineItem,
    ) -> Result<LineItem, ImsError> {
        let n = number(&line_item_id)?;
        let old = self.existing(&context_id, n)?;
        // The resource link binding is the platform's (AGS 2.0 §3.2.7).
        body.resource_link_id = old.resource_link_id;
        self.gradebook
            .update_line_item(&context_id, n, &body)
            .map_err(internal)?;
        self.with_id(&context_id, n, body)
    }

    async fn delete_line_item(
        &self,
        _ctx: RequestContext,
        context_id: String,
        line_item_id: String,
    ) -> Result<(), ImsError> {
        let n = number(&line_item_id)?;
        if self
            .gradebook
            .delete_line_item(&context_id, n)
            .map_err(internal)?
        {
            Ok(())
        } else {
            Err(no_line_item())
        }
    }

    async fn get_results(
        &self,
        _ctx: RequestContext,
        context_id: String,
        line_item_id: String,
        limit: Option<i32>,
        page: Option<String>,
        user_id: Option<String>,
    ) -> Result<LinkedPage<Vec<AgsResult>>, ImsError> {
        let n = number(&line_item_id)?;
        let item = self.existing(&context_id, n)?;
        let url = self.urls.line_item(&context_id, n);
        let results = self
            .gradebook
            .scores(n, user_id.as_deref())
            .map_err(internal)?
            .into_iter()
            .map(|stored| {
                let s = stored.score;
                // Results are on the line item's scale (AGS 2.0 §3.3.5).
                let scaled = match (s.score_given, s.score_maximum) {
                    (Some(given), Some(max)) if max > 0.0 => Some(given / max * item.score_maximum),
                    _ => None,
                };
                serde_json::from_value::<AgsResult>(json!({
                    "id": format!("{url}/results/{}", s.user_id),
                    "scoreOf": url,
                    "userId": s.user_id,
                    "resultScore": scaled,
                    "resultMaximum": item.score_maximum,
                    "comment": s.comment,
                }))
                .map_err(internal)
            })
            .collect::<Result<Vec<_>, _>>()?;
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
        let n = number(&line_item_id)?;
        if body.score_given.is_some() && body.score_maximum.is_none() {
            return Err(ImsError::invalid_data(
                "scoreGiven needs scoreMaximum (AGS 2.0 §3.4.5)",
            ));
        }
        if self
            .gradebook
            .post_score(&context_id, n, &body)
            .map_err(internal)?
        {
            Ok(())
        } else {
            Err(no_line_item())
        }
    }
}

/// NRPS 2.0 over `users.json`.
#[derive(Debug, Clone)]
pub struct PlatformNrps {
    /// The course served.
    pub course: Course,
    /// URLs under the public origin.
    pub urls: CourseUrls,
    /// The people.
    pub users: Arc<PlatformUsers>,
}

/// A role filter matches the full URI or its short name (NRPS 2.0 §2.3.1).
fn has_role(roles: &[String], wanted: &str) -> bool {
    roles
        .iter()
        .any(|r| r == wanted || r.rsplit_once('#').is_some_and(|(_, short)| short == wanted))
}

impl NrpsService for PlatformNrps {
    async fn get_memberships(
        &self,
        _ctx: RequestContext,
        context_id: String,
        limit: Option<i32>,
        page: Option<String>,
        rlid: Option<String>,
        role: Option<String>,
    ) -> Result<LinkedPage<MembershipContainer>, ImsError> {
        if context_id != self.course.id {
            return Err(ImsError::unknown_object("no such course"));
        }
        // Every member can reach every resource link of the demo course, so `rlid` keeps
        // everyone; an unknown link is still the course's.
        let _ = rlid;
        let members = self
            .users
            .course_members()
            .into_iter()
            .map(|(name, user)| (name, user.course_roles()))
            .filter(|(_, roles)| role.as_deref().is_none_or(|w| has_role(roles, w)))
            .map(|(name, roles)| {
                serde_json::from_value::<Member>(json!({
                    "user_id": name,
                    "roles": roles,
                    "status": "Active",
                    "name": display_name(name),
                    "email": format!("{name}@platform.example"),
                }))
                .map_err(internal)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let (members, next_page) = page_of(&members, limit, page.as_deref())?;
        let body = serde_json::from_value::<MembershipContainer>(json!({
            "id": self.urls.memberships(&context_id),
            "context": {"id": self.course.id, "label": self.course.label, "title": self.course.title},
            "members": members,
        }))
        .map_err(internal)?;
        Ok(LinkedPage { body, next_page })
    }
}
