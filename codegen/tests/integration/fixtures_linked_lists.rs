//! The `limit-page` paging convention, vendor media types and per-call URLs, on the fixture
//! `tests/fixtures/operations/linked_lists/` (LTI AGS/NRPS in miniature) and on the bundled
//! LTI models: what lowering decides for each operation, and that models without them are
//! unaffected.

use std::path::PathBuf;

use ims_codegen::diagnostics::Diagnostics;
use ims_codegen::ir::{Operation, Payload, RecordsAccess, Service, TypeRef};

fn lower(model: PathBuf) -> Service {
    let mut diags = Diagnostics::new();
    let service = ims_codegen::load::load_model(&model, &mut diags)
        .and_then(|loaded| ims_codegen::lower::lower_service(&loaded, &mut diags));
    service.unwrap_or_else(|| panic!("{} failed:\n{diags}", model.display()))
}

fn repo(path: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/..")).join(path)
}

fn op<'a>(service: &'a Service, id: &str) -> &'a Operation {
    service
        .operations
        .iter()
        .find(|o| o.id == id)
        .unwrap_or_else(|| panic!("no operation {id}"))
}

fn page_media_type(op: &Operation) -> Option<&str> {
    match &op.api.success.client_payload {
        Some(Payload::Json(j)) => j.media_type.as_deref(),
        _ => None,
    }
}

#[test]
fn lists_with_a_page_token_follow_next_links_and_find_their_records() {
    let svc = lower(repo("tests/fixtures/operations/linked_lists/model.yaml"));
    assert!(svc.conventions.per_call_urls);

    let columns = op(&svc, "listColumns");
    let paging = columns.api.next_link.as_ref().expect("a linked list");
    assert_eq!(paging.page_param, "page");
    assert_eq!(paging.records.access, RecordsAccess::Whole);
    assert_eq!(
        columns.api.stream_fn.as_deref(),
        Some("list_columns_stream")
    );
    assert!(!columns.is_collection(), "no IMS limit/offset query");

    // The one array member among others is the records (NRPS `members` beside `id`, `context`).
    let people = op(&svc, "listPeople");
    let paging = people.api.next_link.as_ref().expect("a linked list");
    assert_eq!(
        paging.records.access,
        RecordsAccess::Member("people".into())
    );
    assert_eq!(paging.records.record, TypeRef::Named("Person".into()));

    // Not lists: a POST, a GET without `page`.
    for id in ["addColumn", "getColumn", "postMark"] {
        let o = op(&svc, id);
        assert!(
            o.api.next_link.is_none() && o.api.stream_fn.is_none(),
            "{id}"
        );
    }
}

#[test]
fn vendor_media_types_are_answered_asked_for_and_required_of_bodies() {
    let svc = lower(repo("tests/fixtures/operations/linked_lists/model.yaml"));
    assert_eq!(
        page_media_type(op(&svc, "listColumns")),
        Some("application/vnd.example.columns+json")
    );
    assert_eq!(
        page_media_type(op(&svc, "getColumn")),
        Some("application/vnd.example.column+json")
    );
    let body = op(&svc, "postMark").request_body.as_ref().unwrap();
    assert_eq!(
        body.exact_media_type.as_deref(),
        Some("application/vnd.example.mark+json")
    );

    // `application/json` stays the any-JSON default: OneRoster is unchanged.
    let or = lower(repo("spec-models/oneroster_v1p2_rostering/model.yaml"));
    assert!(!or.conventions.per_call_urls);
    for o in &or.operations {
        assert_eq!(page_media_type(o), None, "{}", o.id);
        assert!(
            o.api.next_link.is_none() && o.api.per_call_url.is_none(),
            "{}",
            o.id
        );
    }
}

#[test]
fn per_call_urls_name_the_resource_and_the_literal_suffix() {
    let svc = lower(repo("tests/fixtures/operations/linked_lists/model.yaml"));
    let url = |id: &str| op(&svc, id).api.per_call_url.clone().expect("per-call");
    let mark = url("postMark");
    assert_eq!(mark.resource_path, "/{courseId}/columns/{columnId}");
    assert_eq!(mark.suffix, "/marks");
    assert_eq!(mark.arg, "url");
    let column = url("getColumn");
    assert_eq!(
        (column.resource_path.as_str(), column.suffix.as_str()),
        ("/{courseId}/columns/{columnId}", "")
    );
    // A query parameter is called `url`: the URL argument takes another name.
    let columns = url("listColumns");
    assert_eq!(columns.suffix, "");
    assert_eq!(columns.arg, "resource_url");
}

#[test]
fn the_bundled_lti_models_take_claim_urls_and_page_by_link() {
    let ags = lower(repo("spec-models/lti_ags_v2p0/model.yaml"));
    let suffix = |id: &str| {
        let u = op(&ags, id).api.per_call_url.clone().unwrap();
        (u.resource_path, u.suffix)
    };
    assert_eq!(
        suffix("getLineItems"),
        ("/{contextId}/lineitems".into(), String::new())
    );
    assert_eq!(
        suffix("addLineItem"),
        ("/{contextId}/lineitems".into(), String::new())
    );
    for id in ["getLineItem", "updateLineItem", "deleteLineItem"] {
        assert_eq!(
            suffix(id),
            ("/{contextId}/lineitems/{lineItemId}".into(), String::new()),
            "{id}"
        );
    }
    assert_eq!(suffix("getResults").1, "/results");
    assert_eq!(suffix("postScore").1, "/scores");
    assert!(op(&ags, "getLineItems").api.next_link.is_some());
    assert!(op(&ags, "getResults").api.next_link.is_some());
    assert_eq!(
        op(&ags, "postScore")
            .request_body
            .as_ref()
            .unwrap()
            .exact_media_type
            .as_deref(),
        Some("application/vnd.ims.lis.v1.score+json")
    );

    let nrps = lower(repo("spec-models/lti_nrps_v2p0/model.yaml"));
    let members = op(&nrps, "getMemberships");
    assert_eq!(
        members.api.next_link.as_ref().unwrap().records.access,
        RecordsAccess::Member("members".into())
    );
    assert_eq!(
        page_media_type(members),
        Some("application/vnd.ims.lti-nrps.v2.membershipcontainer+json")
    );
}

#[test]
fn an_unknown_urls_convention_is_an_error_in_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = repo("tests/fixtures/operations/linked_lists");
    std::fs::copy(fixture.join("sdd.yaml"), dir.path().join("sdd.yaml")).unwrap();
    let model = std::fs::read_to_string(fixture.join("model.yaml"))
        .unwrap()
        .replace("urls: per-call", "urls: from-claims");
    std::fs::write(dir.path().join("model.yaml"), model).unwrap();
    let mut diags = Diagnostics::new();
    assert!(ims_codegen::load::load_model(&dir.path().join("model.yaml"), &mut diags).is_none());
    let text = diags.to_string();
    assert!(
        text.contains("from-claims") && text.contains("per-call"),
        "{text}"
    );
}
