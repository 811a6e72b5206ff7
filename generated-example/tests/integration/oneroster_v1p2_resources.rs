//! OneRoster 1.2 Resources served and called: an in-memory provider implements the generated
//! `ResourcesService`, the generated router serves it behind the embedded authorization server
//! (client credentials) over loopback TLS, and the generated `ResourcesClient` calls it: paging
//! with `X-Total-Count` and `Link`, a filter, the class/course/user sub-collections, 404 for an
//! unknown record or parent, and the binding's scope rule (`resource-core.readonly` OR
//! `resource.readonly` on `/resources`, `resource.readonly` alone on the sub-collections).

// In a test a failed expectation is a failed test, not a crash reachable from input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use futures_util::TryStreamExt;
use ims_generated_example::oneroster_v1p2_resources::client::ResourcesClient;
use ims_generated_example::oneroster_v1p2_resources::models::{
    ImsxCodeMinorFieldDTypeImsxCodeMinorFieldValue, ImsxStatusInfoDType,
    ImsxStatusInfoDTypeImsxCodeMajor, ResourceDType, ResourceSetDType, SingleResourceDType,
};
use ims_generated_example::oneroster_v1p2_resources::server::{self, ResourcesService};
use ims_generated_example::oneroster_v1p2_resources::{BASE_PATH, scopes};
use ims_runtime::client::ListQuery;
use ims_runtime::codegen::{ImsError, RequestContext};
use ims_runtime::query::CollectionQuery;
use ims_runtime::server::{Listed, select};
use serde_json::{Value, json};

use super::oneroster_v1p2_support::{PUBLIC_ORIGIN, Served};

/// The resources a provider describes and which class, course or user each is attached to.
struct Provider {
    resources: Vec<ResourceDType>,
    by_parent: BTreeMap<(&'static str, &'static str), Vec<&'static str>>,
}

fn resource(id: &str, importance: &str, roles: &[&str]) -> ResourceDType {
    serde_json::from_value(json!({
        "sourcedId": id,
        "status": "active",
        "dateLastModified": "2027-08-14T09:30:00Z",
        "title": format!("Title of {id}"),
        "roles": roles,
        "importance": importance,
        "vendorResourceId": format!("vendor-{id}"),
        "vendorId": "vendor-openlab"
    }))
    .unwrap()
}

impl Provider {
    fn seeded() -> Self {
        let resources = vec![
            resource("res-1", "primary", &["student", "teacher"]),
            resource("res-2", "secondary", &["teacher"]),
            resource("res-3", "primary", &["ext:tutor"]),
            resource("res-4", "secondary", &[]),
            resource("res-5", "primary", &["guardian"]),
        ];
        let by_parent = BTreeMap::from([
            (("class", "cls-bio-9a"), vec!["res-1", "res-2"]),
            (("course", "crs-bio-9"), vec!["res-1", "res-3", "res-4"]),
            (("user", "usr-0193"), vec!["res-5"]),
        ]);
        Provider {
            resources,
            by_parent,
        }
    }

    fn page(
        &self,
        records: Vec<&ResourceDType>,
        query: &CollectionQuery,
    ) -> Listed<ResourceSetDType> {
        let selection = select(records, query);
        Listed::new(
            ResourceSetDType {
                resources: Some(selection.items),
            },
            selection.total,
        )
    }

    fn attached(
        &self,
        kind: &'static str,
        parent: &str,
        query: &CollectionQuery,
    ) -> Result<Listed<ResourceSetDType>, ImsError> {
        let ids = self
            .by_parent
            .iter()
            .find(|((k, id), _)| *k == kind && *id == parent)
            .map(|(_, ids)| ids)
            .ok_or_else(|| ImsError::unknown_object(format!("no {kind} has sourcedId {parent}")))?;
        let records = self
            .resources
            .iter()
            .filter(|r| ids.contains(&r.sourced_id.as_str()))
            .collect();
        Ok(self.page(records, query))
    }
}

impl ResourcesService for Provider {
    async fn get_all_resources(
        &self,
        _ctx: RequestContext,
        query: CollectionQuery,
    ) -> Result<Listed<ResourceSetDType>, ImsError> {
        Ok(self.page(self.resources.iter().collect(), &query))
    }

    async fn get_resource(
        &self,
        _ctx: RequestContext,
        sourced_id: String,
    ) -> Result<SingleResourceDType, ImsError> {
        self.resources
            .iter()
            .find(|r| r.sourced_id == sourced_id)
            .map(|r| SingleResourceDType {
                resource: r.clone(),
            })
            .ok_or_else(|| {
                ImsError::unknown_object(format!("no resource has sourcedId {sourced_id}"))
            })
    }

    async fn get_resources_for_class(
        &self,
        _ctx: RequestContext,
        class_sourced_id: String,
        query: CollectionQuery,
    ) -> Result<Listed<ResourceSetDType>, ImsError> {
        self.attached("class", &class_sourced_id, &query)
    }

    async fn get_resources_for_course(
        &self,
        _ctx: RequestContext,
        course_sourced_id: String,
        query: CollectionQuery,
    ) -> Result<Listed<ResourceSetDType>, ImsError> {
        self.attached("course", &course_sourced_id, &query)
    }

    async fn get_resources_for_user(
        &self,
        _ctx: RequestContext,
        user_sourced_id: String,
        query: CollectionQuery,
    ) -> Result<Listed<ResourceSetDType>, ImsError> {
        self.attached("user", &user_sourced_id, &query)
    }
}

const ALL: [&str; 2] = [scopes::RESOURCE_CORE_READONLY, scopes::RESOURCE_READONLY];

fn ids(page: &ResourceSetDType) -> Vec<&str> {
    page.resources
        .iter()
        .flatten()
        .map(|r| r.sourced_id.as_str())
        .collect()
}

#[tokio::test]
async fn resources_are_served_and_called_through_the_generated_server_and_client() {
    let served = Served::start(server::router(Provider::seeded()), BASE_PATH, &ALL).await;
    let source = served.source(&[scopes::RESOURCE_READONLY]).await;
    let client =
        ResourcesClient::with_policy(&served.srv.url(""), source, served.policy()).unwrap();

    // A page of two out of five, with the total and the links to go on.
    let page = client
        .get_all_resources(ListQuery::new().limit(2).offset(2))
        .await
        .unwrap();
    assert_eq!(page.total, Some(5));
    assert_eq!(ids(&page.body), ["res-3", "res-4"]);
    assert!(page.link("next").is_some() && page.link("prev").is_some());
    // The stream follows the pages to the end.
    let all: Vec<ResourceDType> = client
        .get_all_resources_stream(ListQuery::new().limit(2))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 5);
    assert_eq!(all[4].sourced_id, "res-5");
    // A filter reaches `select` already parsed; an `ext:` role round-trips.
    let page = client
        .get_all_resources(ListQuery::new().filter("importance='primary'"))
        .await
        .unwrap();
    assert_eq!(ids(&page.body), ["res-1", "res-3", "res-5"]);
    assert_eq!(
        serde_json::to_value(&page.body.resources.as_ref().unwrap()[1].roles).unwrap(),
        json!(["ext:tutor"])
    );

    // One record, and 404 `unknownobject` for an unknown one.
    let one = client.get_resource("res-2", None).await.unwrap();
    assert_eq!(one.resource.vendor_resource_id, "vendor-res-2");
    let missing = client.get_resource("res-404", None).await.unwrap_err();
    assert_eq!(missing.status(), Some(404));
    assert_eq!(missing.code_minor(), Some("unknownobject"));

    // The sub-collections, and 404 for an unknown parent.
    let page = client
        .get_resources_for_course("crs-bio-9", ListQuery::new())
        .await
        .unwrap();
    assert_eq!(ids(&page.body), ["res-1", "res-3", "res-4"]);
    let page = client
        .get_resources_for_class("cls-bio-9a", ListQuery::new().limit(1))
        .await
        .unwrap();
    assert_eq!((ids(&page.body), page.total), (vec!["res-1"], Some(2)));
    let page = client
        .get_resources_for_user("usr-0193", ListQuery::new())
        .await
        .unwrap();
    assert_eq!(ids(&page.body), ["res-5"]);
    let missing = client
        .get_resources_for_class("cls-unknown", ListQuery::new())
        .await
        .unwrap_err();
    assert_eq!(missing.status(), Some(404));

    // The discovery document needs no token, lists the five operations and names the
    // deployment's token endpoint.
    let http = served.srv.client();
    let sdd: Value = http
        .get(served.url(
            BASE_PATH,
            "/discovery/onerosterv1p2resourcesservice_openapi3_v1p0.json",
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(sdd["info"]["version"], "1.2");
    assert!(sdd["paths"]["/users/{userSourcedId}/resources"]["get"].is_object());
    assert_eq!(
        sdd["components"]["securitySchemes"]["OAuth2CC"]["flows"]["clientCredentials"]["tokenUrl"],
        format!("{PUBLIC_ORIGIN}/token")
    );
    served.srv.shutdown().await;
}

#[tokio::test]
async fn a_core_token_reads_resources_but_not_the_sub_collections() {
    let served = Served::start(server::router(Provider::seeded()), BASE_PATH, &ALL).await;
    let http = served.srv.client();
    let core = served.bearer(&[scopes::RESOURCE_CORE_READONLY]).await;

    // Either scope of the one requirement object suffices on /resources (the binding's intent).
    let r = http
        .get(served.url(BASE_PATH, "/resources/res-1"))
        .header("authorization", &core)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    // The relationship endpoints demand resource.readonly: 403 `forbidden`.
    let r = http
        .get(served.url(BASE_PATH, "/classes/cls-bio-9a/resources"))
        .header("authorization", &core)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    // The error body is an `imsx_StatusInfoDType` of this SDD (closed schema, `imsx_CodeMinor`).
    let body: ImsxStatusInfoDType = r.json().await.unwrap();
    assert_eq!(
        body.imsx_code_major,
        ImsxStatusInfoDTypeImsxCodeMajor::Failure
    );
    let minor = &body.imsx_code_minor.unwrap().imsx_code_minor_field[0];
    assert_eq!(
        minor.imsx_code_minor_field_value,
        ImsxCodeMinorFieldDTypeImsxCodeMinorFieldValue::Forbidden
    );

    // The same request with the full scope passes, and no token at all is 401.
    let full = served.bearer(&[scopes::RESOURCE_READONLY]).await;
    let r = http
        .get(served.url(BASE_PATH, "/classes/cls-bio-9a/resources"))
        .header("authorization", &full)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["x-total-count"], "2");
    let r = http
        .get(served.url(BASE_PATH, "/resources"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    served.srv.shutdown().await;
}
