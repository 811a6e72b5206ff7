//! OneRoster 1.2 Gradebook served and called: an in-memory gradebook implements the generated
//! `GradebookService`, the generated router serves it behind the embedded authorization server
//! (client credentials) over loopback TLS, and the generated `GradebookClient` calls it. Every
//! write kind is exercised — PUT `/{id}` (201, no body), POST of a set (201 with the
//! `GUIDPairSetDType` mapping supplied to allocated sourcedIds), DELETE (204) — plus a paged
//! list, 404s, 400 for a body that contradicts the path, and the scope of each kind of operation
//! (403 for a read-only token on PUT, a PUT token on POST, a core token on a class
//! sub-collection, a gradebook token on the assessment endpoints).

// In a test a failed expectation is a failed test, not a crash reachable from input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::sync::Mutex;

use futures_util::TryStreamExt;
use ims_generated_example::oneroster_v1p2_gradebook::client::GradebookClient;
use ims_generated_example::oneroster_v1p2_gradebook::models::{
    AssessmentLineItemDType, CategoryDType, GuidPairDType, GuidPairSetDType, ImsxStatusInfoDType,
    LineItemDType, LineItemSetDType, ResultDType, ResultSetDType, SingleAssessmentLineItemDType,
    SingleCategoryDType, SingleLineItemDType, SingleResultDType,
};
use ims_generated_example::oneroster_v1p2_gradebook::server::{self, GradebookService};
use ims_generated_example::oneroster_v1p2_gradebook::{BASE_PATH, scopes};
use ims_runtime::client::ListQuery;
use ims_runtime::codegen::{ImsError, RequestContext};
use ims_runtime::query::CollectionQuery;
use ims_runtime::server::{Listed, select};
use serde_json::{Value, json};

use super::oneroster_v1p2_support::Served;

/// The rostering records this gradebook knows (they live in the rostering service).
const CLASSES: [&str; 2] = ["cls-bio-9a", "cls-chem-10"];
const SCHOOLS: [&str; 1] = ["org-school-12"];
const SESSIONS: [&str; 1] = ["as-2027-q1"];

/// Records of one kind by sourcedId, in sourcedId order.
struct Table<T>(Mutex<BTreeMap<String, T>>);

impl<T: Clone> Table<T> {
    fn new() -> Self {
        Table(Mutex::new(BTreeMap::new()))
    }

    fn get(&self, kind: &str, id: &str) -> Result<T, ImsError> {
        self.0
            .lock()
            .unwrap()
            .get(id)
            .cloned()
            .ok_or_else(|| ImsError::unknown_object(format!("no {kind} has sourcedId {id}")))
    }

    fn contains(&self, id: &str) -> bool {
        self.0.lock().unwrap().contains_key(id)
    }

    fn put(&self, id: &str, record: T) {
        self.0.lock().unwrap().insert(id.to_owned(), record);
    }

    fn delete(&self, kind: &str, id: &str) -> Result<(), ImsError> {
        self.0
            .lock()
            .unwrap()
            .remove(id)
            .map(drop)
            .ok_or_else(|| ImsError::unknown_object(format!("no {kind} has sourcedId {id}")))
    }

    fn all(&self) -> Vec<T> {
        self.0.lock().unwrap().values().cloned().collect()
    }
}

/// An in-memory gradebook: the operations the tests use are implemented, the others keep the
/// generated 501 default.
struct Gradebook {
    categories: Table<CategoryDType>,
    line_items: Table<LineItemDType>,
    results: Table<ResultDType>,
    assessment_line_items: Table<AssessmentLineItemDType>,
    /// How many sourcedIds the provider allocated so far (for unique new ids).
    allocated: Mutex<u32>,
}

fn known(kind: &str, set: &[&str], id: &str) -> Result<(), ImsError> {
    if set.contains(&id) {
        Ok(())
    } else {
        Err(ImsError::unknown_object(format!(
            "no {kind} has sourcedId {id}"
        )))
    }
}

fn same_id(kind: &str, path: &str, body: &str) -> Result<(), ImsError> {
    if path == body {
        Ok(())
    } else {
        Err(ImsError::invalid_data(format!(
            "{kind}.sourcedId {body} differs from the sourcedId {path} in the path"
        )))
    }
}

impl Gradebook {
    fn new() -> Self {
        Gradebook {
            categories: Table::new(),
            line_items: Table::new(),
            results: Table::new(),
            assessment_line_items: Table::new(),
            allocated: Mutex::new(0),
        }
    }

    /// The sourcedId to store a POSTed record under: the supplied one unless it is taken or
    /// marked temporary (`tmp-…`), else a fresh one.
    fn allocate(&self, prefix: &str, supplied: &str, taken: bool) -> String {
        if taken || supplied.starts_with("tmp-") {
            let mut n = self.allocated.lock().unwrap();
            *n += 1;
            format!("{prefix}-alloc-{n}")
        } else {
            supplied.to_owned()
        }
    }

    fn create_line_items(
        &self,
        body: LineItemSetDType,
        belongs: impl Fn(&LineItemDType) -> Result<(), ImsError>,
    ) -> Result<GuidPairSetDType, ImsError> {
        let items = body.line_items.unwrap_or_default();
        // Check every record before storing any: a refused request changes nothing.
        items.iter().try_for_each(&belongs)?;
        let mut pairs = Vec::new();
        for mut item in items {
            let supplied = item.sourced_id.clone();
            let id = self.allocate("li", &supplied, self.line_items.contains(&supplied));
            item.sourced_id.clone_from(&id);
            self.line_items.put(&id, item);
            pairs.push(GuidPairDType {
                supplied_sourced_id: supplied,
                allocated_sourced_id: id,
            });
        }
        Ok(GuidPairSetDType {
            sourced_id_pairs: Some(pairs),
        })
    }

    fn create_results(
        &self,
        body: ResultSetDType,
        belongs: impl Fn(&ResultDType) -> Result<(), ImsError>,
    ) -> Result<GuidPairSetDType, ImsError> {
        let results = body.results.unwrap_or_default();
        results.iter().try_for_each(&belongs)?;
        let mut pairs = Vec::new();
        for mut result in results {
            let supplied = result.sourced_id.clone();
            let id = self.allocate("res", &supplied, self.results.contains(&supplied));
            result.sourced_id.clone_from(&id);
            self.results.put(&id, result);
            pairs.push(GuidPairDType {
                supplied_sourced_id: supplied,
                allocated_sourced_id: id,
            });
        }
        Ok(GuidPairSetDType {
            sourced_id_pairs: Some(pairs),
        })
    }

    fn results_page(
        &self,
        keep: impl Fn(&ResultDType) -> bool,
        query: &CollectionQuery,
    ) -> Listed<ResultSetDType> {
        let all: Vec<ResultDType> = self.results.all().into_iter().filter(keep).collect();
        let selection = select(&all, query);
        Listed::new(
            ResultSetDType {
                results: Some(selection.items),
            },
            selection.total,
        )
    }
}

impl GradebookService for Gradebook {
    async fn get_category(
        &self,
        _ctx: RequestContext,
        sourced_id: String,
    ) -> Result<SingleCategoryDType, ImsError> {
        let category = self.categories.get("category", &sourced_id)?;
        Ok(SingleCategoryDType { category })
    }

    async fn put_category(
        &self,
        _ctx: RequestContext,
        sourced_id: String,
        body: SingleCategoryDType,
    ) -> Result<(), ImsError> {
        same_id("category", &sourced_id, &body.category.sourced_id)?;
        self.categories.put(&sourced_id, body.category);
        Ok(())
    }

    async fn get_line_item(
        &self,
        _ctx: RequestContext,
        sourced_id: String,
    ) -> Result<SingleLineItemDType, ImsError> {
        let line_item = self.line_items.get("line item", &sourced_id)?;
        Ok(SingleLineItemDType { line_item })
    }

    async fn put_line_item(
        &self,
        _ctx: RequestContext,
        sourced_id: String,
        body: SingleLineItemDType,
    ) -> Result<(), ImsError> {
        same_id("lineItem", &sourced_id, &body.line_item.sourced_id)?;
        // A line item must sit in a known category.
        self.categories
            .get("category", &body.line_item.category.sourced_id)?;
        self.line_items.put(&sourced_id, body.line_item);
        Ok(())
    }

    async fn delete_line_item(
        &self,
        _ctx: RequestContext,
        sourced_id: String,
    ) -> Result<(), ImsError> {
        self.line_items.delete("line item", &sourced_id)
    }

    async fn get_line_items_for_class(
        &self,
        _ctx: RequestContext,
        class_sourced_id: String,
        query: CollectionQuery,
    ) -> Result<Listed<LineItemSetDType>, ImsError> {
        known("class", &CLASSES, &class_sourced_id)?;
        let all: Vec<LineItemDType> = self
            .line_items
            .all()
            .into_iter()
            .filter(|li| li.class.sourced_id == class_sourced_id)
            .collect();
        let selection = select(&all, &query);
        Ok(Listed::new(
            LineItemSetDType {
                line_items: Some(selection.items),
            },
            selection.total,
        ))
    }

    async fn post_line_items_for_class(
        &self,
        _ctx: RequestContext,
        class_sourced_id: String,
        body: LineItemSetDType,
    ) -> Result<GuidPairSetDType, ImsError> {
        known("class", &CLASSES, &class_sourced_id)?;
        self.create_line_items(body, |li| {
            same_id("lineItem.class", &class_sourced_id, &li.class.sourced_id)
        })
    }

    async fn post_line_items_for_school(
        &self,
        _ctx: RequestContext,
        school_sourced_id: String,
        body: LineItemSetDType,
    ) -> Result<GuidPairSetDType, ImsError> {
        known("school", &SCHOOLS, &school_sourced_id)?;
        self.create_line_items(body, |li| {
            same_id("lineItem.school", &school_sourced_id, &li.school.sourced_id)
        })
    }

    async fn get_all_results(
        &self,
        _ctx: RequestContext,
        query: CollectionQuery,
    ) -> Result<Listed<ResultSetDType>, ImsError> {
        Ok(self.results_page(|_| true, &query))
    }

    async fn get_result(
        &self,
        _ctx: RequestContext,
        sourced_id: String,
    ) -> Result<SingleResultDType, ImsError> {
        let result = self.results.get("result", &sourced_id)?;
        Ok(SingleResultDType { result })
    }

    async fn delete_result(
        &self,
        _ctx: RequestContext,
        sourced_id: String,
    ) -> Result<(), ImsError> {
        self.results.delete("result", &sourced_id)
    }

    async fn get_results_for_line_item_for_class(
        &self,
        _ctx: RequestContext,
        class_sourced_id: String,
        line_item_sourced_id: String,
        query: CollectionQuery,
    ) -> Result<Listed<ResultSetDType>, ImsError> {
        known("class", &CLASSES, &class_sourced_id)?;
        let line_item = self.line_items.get("line item", &line_item_sourced_id)?;
        if line_item.class.sourced_id != class_sourced_id {
            return Err(ImsError::unknown_object(format!(
                "class {class_sourced_id} has no line item {line_item_sourced_id}"
            )));
        }
        Ok(self.results_page(|r| r.line_item.sourced_id == line_item_sourced_id, &query))
    }

    async fn post_results_for_line_item(
        &self,
        _ctx: RequestContext,
        line_item_sourced_id: String,
        body: ResultSetDType,
    ) -> Result<GuidPairSetDType, ImsError> {
        self.line_items.get("line item", &line_item_sourced_id)?;
        self.create_results(body, |r| {
            same_id(
                "result.lineItem",
                &line_item_sourced_id,
                &r.line_item.sourced_id,
            )
        })
    }

    async fn post_results_for_academic_session_for_class(
        &self,
        _ctx: RequestContext,
        class_sourced_id: String,
        academic_session_sourced_id: String,
        body: ResultSetDType,
    ) -> Result<GuidPairSetDType, ImsError> {
        known("class", &CLASSES, &class_sourced_id)?;
        known("academic session", &SESSIONS, &academic_session_sourced_id)?;
        self.create_results(body, |r| {
            let line_item = self.line_items.get("line item", &r.line_item.sourced_id)?;
            same_id(
                "result.lineItem.class",
                &class_sourced_id,
                &line_item.class.sourced_id,
            )
        })
    }

    async fn get_assessment_line_item(
        &self,
        _ctx: RequestContext,
        sourced_id: String,
    ) -> Result<SingleAssessmentLineItemDType, ImsError> {
        let assessment_line_item = self
            .assessment_line_items
            .get("assessment line item", &sourced_id)?;
        Ok(SingleAssessmentLineItemDType {
            assessment_line_item,
        })
    }

    async fn put_assessment_line_item(
        &self,
        _ctx: RequestContext,
        sourced_id: String,
        body: SingleAssessmentLineItemDType,
    ) -> Result<(), ImsError> {
        same_id(
            "assessmentLineItem",
            &sourced_id,
            &body.assessment_line_item.sourced_id,
        )?;
        self.assessment_line_items
            .put(&sourced_id, body.assessment_line_item);
        Ok(())
    }

    async fn delete_assessment_line_item(
        &self,
        _ctx: RequestContext,
        sourced_id: String,
    ) -> Result<(), ImsError> {
        self.assessment_line_items
            .delete("assessment line item", &sourced_id)
    }
}

const ALL: [&str; 8] = [
    scopes::GRADEBOOK_CORE_READONLY,
    scopes::GRADEBOOK_READONLY,
    scopes::GRADEBOOK_CREATEPUT,
    scopes::GRADEBOOK_CREATEPOST,
    scopes::GRADEBOOK_DELETE,
    scopes::ASSESSMENT_READONLY,
    scopes::ASSESSMENT_CREATEPUT,
    scopes::ASSESSMENT_DELETE,
];

const RHOST: &str = "https://example.edu/ims/oneroster/rostering/v1p2";

fn category(id: &str) -> CategoryDType {
    serde_json::from_value(json!({
        "sourcedId": id,
        "status": "active",
        "dateLastModified": "2027-08-14T09:30:00Z",
        "title": "Lab reports",
        "weight": 0.25
    }))
    .unwrap()
}

fn line_item(id: &str, class: &str) -> LineItemDType {
    serde_json::from_value(json!({
        "sourcedId": id,
        "status": "active",
        "dateLastModified": "2027-08-14T09:30:00Z",
        "title": format!("Title of {id}"),
        "assignDate": "2027-10-04T08:00:00Z",
        "dueDate": "2027-10-11T23:59:00Z",
        "class": {"href": format!("{RHOST}/classes/{class}"), "sourcedId": class, "type": "class"},
        "school": {"href": format!("{RHOST}/schools/org-school-12"), "sourcedId": "org-school-12", "type": "org"},
        "category": {"href": "https://example.edu/ims/oneroster/gradebook/v1p2/categories/cat-labs", "sourcedId": "cat-labs", "type": "category"},
        "academicSession": {"href": format!("{RHOST}/academicSessions/as-2027-q1"), "sourcedId": "as-2027-q1", "type": "academicSession"},
        "resultValueMin": 0.0,
        "resultValueMax": 20.0,
        "learningObjectiveSet": [{"source": "case", "learningObjectiveIds": ["lo-1"]}]
    }))
    .unwrap()
}

fn result(id: &str, line_item: &str, student: &str, score: f64) -> ResultDType {
    serde_json::from_value(json!({
        "sourcedId": id,
        "status": "active",
        "dateLastModified": "2027-10-15T09:30:00Z",
        "lineItem": {"href": format!("https://example.edu/ims/oneroster/gradebook/v1p2/lineItems/{line_item}"), "sourcedId": line_item, "type": "lineItem"},
        "student": {"href": format!("{RHOST}/users/{student}"), "sourcedId": student, "type": "user"},
        "scoreStatus": "fully graded",
        "score": score,
        "scoreDate": "2027-10-15",
        "late": "false"
    }))
    .unwrap()
}

fn pairs(set: &GuidPairSetDType) -> Vec<(&str, &str)> {
    set.sourced_id_pairs
        .iter()
        .flatten()
        .map(|p| {
            (
                p.supplied_sourced_id.as_str(),
                p.allocated_sourced_id.as_str(),
            )
        })
        .collect()
}

#[tokio::test]
async fn gradebook_writes_and_reads_through_the_generated_server_and_client() {
    let served = Served::start(server::router(Gradebook::new()), BASE_PATH, &ALL).await;
    let source = served.source(&ALL).await;
    let client =
        GradebookClient::with_policy(&served.srv.url(""), source, served.policy()).unwrap();
    let http = served.srv.client();

    // PUT /categories/{id}: 201 with an empty body (seen on the wire), then read back typed.
    let put = served.bearer(&[scopes::GRADEBOOK_CREATEPUT]).await;
    let r = http
        .put(served.url(BASE_PATH, "/categories/cat-labs"))
        .header("authorization", &put)
        .json(&SingleCategoryDType {
            category: category("cat-labs"),
        })
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    assert!(r.bytes().await.unwrap().is_empty());
    let back = client.get_category("cat-labs", None).await.unwrap();
    assert_eq!(back.category, category("cat-labs"));

    // PUT through the client; the body keeps every member, `learningObjectiveSet` included.
    let item = line_item("li-lab-3", "cls-bio-9a");
    client
        .put_line_item(
            "li-lab-3",
            &SingleLineItemDType {
                line_item: item.clone(),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        client
            .get_line_item("li-lab-3", None)
            .await
            .unwrap()
            .line_item,
        item
    );
    // A body whose sourcedId contradicts the path: 422 `invaliddata`, nothing stored.
    let error = client
        .put_line_item(
            "li-other",
            &SingleLineItemDType {
                line_item: line_item("li-lab-3", "cls-bio-9a"),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(422));
    assert_eq!(error.code_minor(), Some("invaliddata"));
    assert_eq!(
        client
            .get_line_item("li-other", None)
            .await
            .unwrap_err()
            .status(),
        Some(404)
    );

    // POST a set of line items to a class: 201 and the supplied → allocated pairs. A taken or
    // temporary sourcedId gets a new one, a free one is kept.
    let created = client
        .post_line_items_for_class(
            "cls-bio-9a",
            &LineItemSetDType {
                line_items: Some(vec![
                    line_item("tmp-1", "cls-bio-9a"),
                    line_item("li-lab-4", "cls-bio-9a"),
                    line_item("li-lab-3", "cls-bio-9a"),
                ]),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        pairs(&created),
        [
            ("tmp-1", "li-alloc-1"),
            ("li-lab-4", "li-lab-4"),
            ("li-lab-3", "li-alloc-2")
        ]
    );
    let stored = client.get_line_item("li-alloc-1", None).await.unwrap();
    assert_eq!(stored.line_item.title, "Title of tmp-1");
    // On the wire the POST answer is 201 with the pairs as JSON.
    let post = served.bearer(&[scopes::GRADEBOOK_CREATEPOST]).await;
    let r = http
        .post(served.url(BASE_PATH, "/schools/org-school-12/lineItems"))
        .header("authorization", &post)
        .json(&LineItemSetDType {
            line_items: Some(vec![line_item("li-chem-1", "cls-chem-10")]),
        })
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body,
        json!({"sourcedIdPairs": [{"suppliedSourcedId": "li-chem-1", "allocatedSourcedId": "li-chem-1"}]})
    );
    // An unknown class: 404 `unknownobject`, before anything is stored.
    let error = client
        .post_line_items_for_class(
            "cls-unknown",
            &LineItemSetDType {
                line_items: Some(vec![line_item("li-x", "cls-unknown")]),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(404));
    assert_eq!(error.code_minor(), Some("unknownobject"));

    // POST results for a line item and for a class in a session.
    let created = client
        .post_results_for_line_item(
            "li-lab-3",
            &ResultSetDType {
                results: Some(vec![
                    result("tmp-a", "li-lab-3", "usr-1", 17.5),
                    result("res-2", "li-lab-3", "usr-2", 12.0),
                ]),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        pairs(&created),
        [("tmp-a", "res-alloc-3"), ("res-2", "res-2")]
    );
    let created = client
        .post_results_for_academic_session_for_class(
            "cls-bio-9a",
            "as-2027-q1",
            &ResultSetDType {
                results: Some(vec![result("res-3", "li-lab-3", "usr-3", 19.0)]),
            },
        )
        .await
        .unwrap();
    assert_eq!(pairs(&created), [("res-3", "res-3")]);
    // A result whose line item is in another class is refused as a whole: 422.
    let error = client
        .post_results_for_academic_session_for_class(
            "cls-chem-10",
            "as-2027-q1",
            &ResultSetDType {
                results: Some(vec![result("res-9", "li-lab-3", "usr-9", 1.0)]),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(422));
    assert_eq!(
        client.get_result("res-9", None).await.unwrap_err().status(),
        Some(404)
    );

    // A paged list: two of the three results of the line item, the total and the links.
    let page = client
        .get_results_for_line_item_for_class("cls-bio-9a", "li-lab-3", ListQuery::new().limit(2))
        .await
        .unwrap();
    assert_eq!(page.total, Some(3));
    assert_eq!(page.body.results.as_ref().map(Vec::len), Some(2));
    assert!(page.link("next").is_some() && page.link("last").is_some());
    let all: Vec<ResultDType> = client
        .get_results_for_line_item_for_class_stream(
            "cls-bio-9a",
            "li-lab-3",
            ListQuery::new().limit(2).sort("score"),
        )
        .try_collect()
        .await
        .unwrap();
    let scores: Vec<Option<f64>> = all.iter().map(|r| r.score).collect();
    assert_eq!(scores, [Some(12.0), Some(17.5), Some(19.0)]);
    // The line items of a class, filtered.
    let page = client
        .get_line_items_for_class("cls-bio-9a", ListQuery::new().filter("title~'tmp'"))
        .await
        .unwrap();
    assert_eq!(page.total, Some(1));
    // A line item of another class is not found under this one.
    let error = client
        .get_results_for_line_item_for_class("cls-chem-10", "li-lab-3", ListQuery::new())
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(404));

    // DELETE: 204 with an empty body on the wire, then 404 on read and on a second delete.
    let delete = served.bearer(&[scopes::GRADEBOOK_DELETE]).await;
    let r = http
        .delete(served.url(BASE_PATH, "/results/res-2"))
        .header("authorization", &delete)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 204);
    assert!(r.bytes().await.unwrap().is_empty());
    assert_eq!(
        client.get_result("res-2", None).await.unwrap_err().status(),
        Some(404)
    );
    let error = client.delete_result("res-2").await.unwrap_err();
    assert_eq!(error.status(), Some(404));
    assert_eq!(error.code_minor(), Some("unknownobject"));
    client.delete_line_item("li-lab-4").await.unwrap();
    assert_eq!(
        client
            .get_all_results(ListQuery::new())
            .await
            .unwrap()
            .total,
        Some(2)
    );

    // The Assessment Results Profile: PUT, GET and DELETE with the assessment scopes.
    let assessment: AssessmentLineItemDType = serde_json::from_value(json!({
        "sourcedId": "ali-unit-2",
        "status": "active",
        "dateLastModified": "2027-08-14T09:30:00Z",
        "title": "Unit 2 test",
        "resultValueMin": 0.0,
        "resultValueMax": 50.0
    }))
    .unwrap();
    client
        .put_assessment_line_item(
            "ali-unit-2",
            &SingleAssessmentLineItemDType {
                assessment_line_item: assessment.clone(),
            },
        )
        .await
        .unwrap();
    let back = client
        .get_assessment_line_item("ali-unit-2", None)
        .await
        .unwrap();
    assert_eq!(back.assessment_line_item, assessment);
    client
        .delete_assessment_line_item("ali-unit-2")
        .await
        .unwrap();
    assert_eq!(
        client
            .get_assessment_line_item("ali-unit-2", None)
            .await
            .unwrap_err()
            .status(),
        Some(404)
    );

    // An operation this gradebook leaves out answers 501, which the client names.
    let error = client
        .get_all_score_scales(ListQuery::new())
        .await
        .unwrap_err();
    assert!(error.is_unsupported(), "{error:?}");
    served.srv.shutdown().await;
}

#[tokio::test]
async fn each_gradebook_operation_demands_its_own_scope() {
    let served = Served::start(server::router(Gradebook::new()), BASE_PATH, &ALL).await;
    let http = served.srv.client();
    let status = |method: reqwest::Method, path: &str, token: &str, body: Option<Value>| {
        let mut request = http
            .request(method, served.url(BASE_PATH, path))
            .header("authorization", token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        async move { request.send().await.unwrap().status().as_u16() }
    };
    let category = json!({"category": category("cat-labs")});
    let items = json!({"lineItems": [line_item("li-1", "cls-bio-9a")]});

    // gradebook.readonly reads but may not write: 403 on PUT, POST and DELETE.
    let read = served.bearer(&[scopes::GRADEBOOK_READONLY]).await;
    use reqwest::Method;
    assert_eq!(
        status(
            Method::PUT,
            "/categories/cat-labs",
            &read,
            Some(category.clone())
        )
        .await,
        403
    );
    assert_eq!(
        status(
            Method::POST,
            "/classes/cls-bio-9a/lineItems",
            &read,
            Some(items.clone())
        )
        .await,
        403
    );
    assert_eq!(
        status(Method::DELETE, "/categories/cat-labs", &read, None).await,
        403
    );
    assert_eq!(
        status(Method::GET, "/classes/cls-bio-9a/lineItems", &read, None).await,
        200
    );

    // createput does not allow POST, createpost does not allow PUT.
    let put = served.bearer(&[scopes::GRADEBOOK_CREATEPUT]).await;
    let post = served.bearer(&[scopes::GRADEBOOK_CREATEPOST]).await;
    assert_eq!(
        status(
            Method::POST,
            "/classes/cls-bio-9a/lineItems",
            &put,
            Some(items.clone())
        )
        .await,
        403
    );
    assert_eq!(
        status(
            Method::PUT,
            "/categories/cat-labs",
            &post,
            Some(category.clone())
        )
        .await,
        403
    );
    assert_eq!(
        status(Method::PUT, "/categories/cat-labs", &put, Some(category)).await,
        201
    );
    assert_eq!(
        status(
            Method::POST,
            "/classes/cls-bio-9a/lineItems",
            &post,
            Some(items)
        )
        .await,
        201
    );
    // Writing never implies reading.
    assert_eq!(
        status(Method::GET, "/categories/cat-labs", &put, None).await,
        403
    );

    // The core scope reads the core collections only (either scope of the one requirement
    // object suffices there), not the class sub-collections.
    let core = served.bearer(&[scopes::GRADEBOOK_CORE_READONLY]).await;
    assert_eq!(
        status(Method::GET, "/lineItems/li-1", &core, None).await,
        200
    );
    assert_eq!(
        status(Method::GET, "/classes/cls-bio-9a/lineItems", &core, None).await,
        403
    );

    // The assessment endpoints take the assessment scopes, not the gradebook ones.
    let everything_gradebook = served
        .bearer(&[
            scopes::GRADEBOOK_READONLY,
            scopes::GRADEBOOK_CREATEPUT,
            scopes::GRADEBOOK_DELETE,
        ])
        .await;
    assert_eq!(
        status(
            Method::GET,
            "/assessmentLineItems/ali-1",
            &everything_gradebook,
            None
        )
        .await,
        403
    );
    assert_eq!(
        status(
            Method::DELETE,
            "/assessmentLineItems/ali-1",
            &everything_gradebook,
            None
        )
        .await,
        403
    );
    let assessment_read = served.bearer(&[scopes::ASSESSMENT_READONLY]).await;
    assert_eq!(
        status(
            Method::GET,
            "/assessmentLineItems/ali-1",
            &assessment_read,
            None
        )
        .await,
        404
    );
    served.srv.shutdown().await;
}

#[tokio::test]
async fn bad_write_bodies_get_the_statuses_the_sdd_declares() {
    let served = Served::start(server::router(Gradebook::new()), BASE_PATH, &ALL).await;
    let http = served.srv.client();
    let put = served.bearer(&[scopes::GRADEBOOK_CREATEPUT]).await;
    let url = served.url(BASE_PATH, "/categories/cat-labs");
    let send = |content_type: &'static str, body: &'static str| {
        let request = http
            .put(&url)
            .header("authorization", &put)
            .header("content-type", content_type)
            .body(body);
        async move {
            let r = request.send().await.unwrap();
            let status = r.status().as_u16();
            // Every error body is an `imsx_StatusInfoDType` of this SDD (a closed schema).
            let body: ImsxStatusInfoDType = r.json().await.unwrap();
            let minor = &body.imsx_code_minor.unwrap().imsx_code_minor_field[0];
            (
                status,
                minor.imsx_code_minor_field_value.as_str().to_owned(),
            )
        }
    };
    // Not JSON: 400 (`InvalidBody`).
    assert_eq!(
        send("application/json", "{").await,
        (400, "invaliddata".to_owned())
    );
    // JSON without the record's required members: 422 (`InvalidRecord`).
    assert_eq!(
        send(
            "application/json",
            r#"{"category": {"sourcedId": "cat-labs"}}"#
        )
        .await,
        (422, "invaliddata".to_owned())
    );
    // Another media type: 415 (`UnsupportedMediaType`).
    assert_eq!(
        send("text/plain", "cat-labs").await,
        (415, "invaliddata".to_owned())
    );
    served.srv.shutdown().await;
}
