//! LTI Names and Role Provisioning Services 2.0 served and called through the generated server
//! and client over loopback TLS, behind the embedded authorization server: an in-memory platform
//! with a course of one instructor and 34 learners answers `GET /lti/courses/{contextId}/memberships`;
//! the generated client, given the `context_memberships_url` a launch claim would carry, pages
//! through them by `limit` following `Link: <…>; rel="next"`, filters by `role` (full LIS URI or
//! short name) and `rlid`, and reads the membership container media type.

// In a test a failed expectation is a failed test, not a crash reachable from input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use futures_util::TryStreamExt;
use ims_generated_example::lti_nrps_v2p0::client::NrpsClient;
use ims_generated_example::lti_nrps_v2p0::models::{Member, MemberStatus, MembershipContainer};
use ims_generated_example::lti_nrps_v2p0::server::NrpsService;
use ims_generated_example::lti_nrps_v2p0::{BASE_PATH, scopes, server};
use ims_runtime::client::ApiError;
use ims_runtime::codegen::{ImsError, LinkedPage, RequestContext};
use ims_runtime::resource_server::AuthLayer;
use ims_runtime::tls::testing::TestServer;
use serde_json::{Value, json};

use super::cc_auth::Auth;
use super::lti_ags::{Origin, bearer, page_of, policy};

const INSTRUCTOR: &str = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor";
const LEARNER: &str = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner";
const MEMBERSHIPS: &str = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json";
const LEARNERS: usize = 34;
/// Another LTI service scope, granted to a tool that may post scores but not read the roster.
const AGS_SCORE: &str = "https://purl.imsglobal.org/spec/lti-ags/scope/score";

/// The course `c1`: an instructor, then the learners; learners with an odd number cannot reach
/// resource link `rl-odd-closed` (it is open to even-numbered learners and the instructor).
struct Course {
    origin: Origin,
    members: Vec<Member>,
}

impl Course {
    fn new() -> Self {
        let mut members = vec![member("teacher", INSTRUCTOR, "Ada Teacher")];
        for i in 1..=LEARNERS {
            members.push(member(
                &format!("learner-{i:02}"),
                LEARNER,
                &format!("Learner {i:02}"),
            ));
        }
        Course {
            origin: Origin::default(),
            members,
        }
    }
}

fn member(user_id: &str, role: &str, name: &str) -> Member {
    serde_json::from_value(json!({
        "user_id": user_id,
        "roles": [role],
        "status": "Active",
        "name": name,
        "email": format!("{user_id}@school.example"),
    }))
    .unwrap()
}

/// A role filter matches the full URI or its short name (the part after `#`).
fn has_role(m: &Member, role: &str) -> bool {
    m.roles
        .iter()
        .any(|r| r == role || r.rsplit_once('#').is_some_and(|(_, short)| short == role))
}

impl NrpsService for Course {
    async fn get_memberships(
        &self,
        _ctx: RequestContext,
        context_id: String,
        limit: Option<i32>,
        page: Option<String>,
        rlid: Option<String>,
        role: Option<String>,
    ) -> Result<LinkedPage<MembershipContainer>, ImsError> {
        if context_id != "c1" {
            return Err(ImsError::unknown_object("no such context"));
        }
        let matching: Vec<Member> = self
            .members
            .iter()
            .filter(|m| role.as_deref().is_none_or(|r| has_role(m, r)))
            .filter(|m| match rlid.as_deref() {
                None => true,
                Some("rl-odd-closed") => {
                    !m.user_id.starts_with("learner-")
                        || m.user_id[8..].parse::<u32>().unwrap() % 2 == 0
                }
                Some(_) => false,
            })
            .cloned()
            .map(|mut m| {
                if let Some(rl) = &rlid {
                    // With `rlid`, the claims of the member's launch of that link.
                    m.message = Some(vec![
                        serde_json::from_value(json!({
                            "https://purl.imsglobal.org/spec/lti/claim/message_type": "LtiResourceLinkRequest",
                            "https://purl.imsglobal.org/spec/lti/claim/custom": {"link": rl},
                        }))
                        .unwrap(),
                    ]);
                }
                m
            })
            .collect();
        let (members, next) = page_of(&matching, limit, page.as_deref())?;
        let body = serde_json::from_value(json!({
            "id": format!("{}{BASE_PATH}/c1/memberships", self.origin.get()),
            "context": {"id": "c1", "label": "BIO-101", "title": "Biology"},
            "members": members,
        }))
        .unwrap();
        Ok(LinkedPage {
            body,
            next_page: next,
        })
    }
}

async fn serve() -> (Auth, TestServer, String) {
    let auth = Auth::start(&[scopes::CONTEXTMEMBERSHIP_READONLY, AGS_SCORE]).await;
    let verifier = auth.authz.local_verifier().unwrap();
    let course = Course::new();
    let origin = course.origin.clone();
    let api = server::router(course)
        .with_auth(AuthLayer::new(Arc::new(verifier), "lti"))
        .into_router();
    let srv = TestServer::start(auth.authz.router().merge(api))
        .await
        .unwrap();
    origin.set(&srv);
    let url = srv.url(&format!("{BASE_PATH}/c1/memberships"));
    (auth, srv, url)
}

#[tokio::test]
async fn memberships_page_by_limit_following_next_links_to_every_member() {
    let (auth, srv, url) = serve().await;
    let source = auth
        .source(&srv, &[scopes::CONTEXTMEMBERSHIP_READONLY])
        .await;
    let client = NrpsClient::with_policy(source.clone(), policy(&srv)).unwrap();

    // One page: the container with its context, `limit` members and a next link.
    let first = client
        .get_memberships(&url, Some(10), None, None, None)
        .await
        .unwrap();
    assert_eq!(first.body.context.id, "c1");
    assert_eq!(first.body.context.title.as_deref(), Some("Biology"));
    assert_eq!(first.body.members.len(), 10);
    assert_eq!(first.body.members[0].roles, [INSTRUCTOR]);
    assert!(first.next.is_some());

    // The stream follows `next` through every page: 35 members, each once, in order.
    let all: Vec<Member> = client
        .get_memberships_stream(&url, Some(10), None, None)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 1 + LEARNERS);
    assert_eq!(all[0].user_id, "teacher");
    assert_eq!(all[LEARNERS].user_id, format!("learner-{LEARNERS}"));
    assert!(all.iter().all(|m| m.status == Some(MemberStatus::Active)));
    let mut ids: Vec<&str> = all.iter().map(|m| m.user_id.as_str()).collect();
    ids.dedup();
    assert_eq!(ids.len(), all.len(), "no member twice");

    // Pages of one also end (35 pages, the last without a link).
    let one_by_one: Vec<Member> = client
        .get_memberships_stream(&url, Some(1), None, None)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(one_by_one, all);

    // On the wire: the membership container media type and `Link: <…>; rel="next"` keeping
    // the filters and the limit.
    let r = srv
        .client()
        .get(format!("{url}?role=Learner&limit=30"))
        .header(
            "authorization",
            bearer(&source, &[scopes::CONTEXTMEMBERSHIP_READONLY]).await,
        )
        .header("accept", MEMBERSHIPS)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["content-type"], MEMBERSHIPS);
    let link = r.headers()["link"].to_str().unwrap().to_owned();
    assert!(
        link.starts_with(&format!(
            "<{BASE_PATH}/c1/memberships?role=Learner&limit=30&page="
        )) && link.ends_with(">; rel=\"next\""),
        "{link}"
    );
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["members"].as_array().unwrap().len(), 30);
    srv.shutdown().await;
}

#[tokio::test]
async fn role_and_resource_link_filters_reach_the_platform() {
    let (auth, srv, url) = serve().await;
    let source = auth
        .source(&srv, &[scopes::CONTEXTMEMBERSHIP_READONLY])
        .await;
    let client = NrpsClient::with_policy(source, policy(&srv)).unwrap();

    for role in [INSTRUCTOR, "Instructor"] {
        let teachers: Vec<Member> = client
            .get_memberships_stream(&url, None, None, Some(role))
            .try_collect()
            .await
            .unwrap();
        assert_eq!(teachers.len(), 1, "{role}");
        assert_eq!(teachers[0].name.as_deref(), Some("Ada Teacher"));
    }
    let learners: Vec<Member> = client
        .get_memberships_stream(&url, Some(7), None, Some(LEARNER))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(learners.len(), LEARNERS);
    assert!(learners.iter().all(|m| m.roles == [LEARNER]));

    // `rlid`: only who can reach the link, each with the message claims of that launch.
    let reachable: Vec<Member> = client
        .get_memberships_stream(&url, Some(5), Some("rl-odd-closed"), Some("Learner"))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(reachable.len(), LEARNERS / 2);
    let message = &reachable[0].message.as_ref().unwrap()[0];
    assert_eq!(
        message["https://purl.imsglobal.org/spec/lti/claim/custom"]["link"],
        "rl-odd-closed"
    );

    // Another context: the platform's 404 reaches the caller as a typed status error.
    let other = url.replace("/c1/", "/c2/");
    match client.get_memberships(&other, None, None, None, None).await {
        Err(ApiError::Status { status, .. }) => assert_eq!(status, 404),
        other => panic!("expected 404, got {other:?}"),
    }
    srv.shutdown().await;
}

#[tokio::test]
async fn memberships_need_the_nrps_scope() {
    let (auth, srv, url) = serve().await;
    // A token without the NRPS scope (an AGS score token): 403.
    let scorer = auth.source(&srv, &[AGS_SCORE]).await;
    let token = bearer(&scorer, &[AGS_SCORE]).await;
    let r = srv
        .client()
        .get(&url)
        .header("authorization", token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    // No token at all: 401.
    let r = srv.client().get(&url).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    srv.shutdown().await;
}

#[test]
fn a_membership_container_keeps_members_the_model_does_not_name() {
    let value = json!({
        "id": "https://lms.example/api/lti/courses/c1/memberships",
        "context": {"id": "c1", "label": "BIO-101", "title": "Biology", "lms:term": "2026S"},
        "members": [{
            "user_id": "u1",
            "roles": [LEARNER],
            "lis_person_sourcedid": "SIS-1",
            "lti11_legacy_user_id": "legacy-1",
            "picture": "https://lms.example/u1.png",
            "https://lms.example/pronouns": "they/them"
        }]
    });
    let typed: MembershipContainer = serde_json::from_value(value.clone()).unwrap();
    assert_eq!(typed.members[0].status, None, "absent status means Active");
    assert_eq!(serde_json::to_value(&typed).unwrap(), value);
}
