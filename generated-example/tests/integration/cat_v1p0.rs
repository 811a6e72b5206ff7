//! Computer Adaptive Testing 1.0 served and called through its generated server and client over
//! loopback TLS, behind the embedded authorization server: an in-memory CAT engine implements the
//! generated trait; a delivery system (the generated client) creates a section, reads it back,
//! runs one candidate session stage by stage to its end, and ends the session and the section.
//!
//! CAT lists two scopes in ONE requirement object and means both (`same_requirement_scopes: all`
//! in spec-models/cat_v1p0/model.yaml): `api` alone, `api` with the other operation family's
//! scope, or the family's scope without `api` are each refused with 403, checked with plain
//! requests carrying tokens for exactly those scopes.

// In a test a failed expectation is a failed test, not a crash reachable from input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::cc_auth::Auth;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;

use ims_generated_example::cat_v1p0::client::CatClient;
use ims_generated_example::cat_v1p0::models::{
    CreateSectionResponseBodyDType, CreateSessionResponseBodyDType, GetSectionResponseBodyDType,
    ItemSetDType, NextItemSetDType, ResultsDType, SectionDType, SessionDType,
    SubmitResultsResponseBodyDType,
};
use ims_generated_example::cat_v1p0::server::CatService;
use ims_generated_example::cat_v1p0::{BASE_PATH, scopes, server};
use ims_runtime::client::{HttpPolicy, TokenSource};
use ims_runtime::codegen::{ImsError, RequestContext};
use ims_runtime::resource_server::AuthLayer;
use ims_runtime::tls::testing::TestServer;
use serde_json::json;

/// The item pool every section gets, presented two items per stage.
const POOL: [&str; 4] = ["item-a", "item-b", "item-c", "item-d"];

/// One open candidate session: the stage the engine handed out last.
struct Session {
    stage: usize,
}

/// One adaptive section and its sessions.
struct Section {
    section: SectionDType,
    sessions: BTreeMap<String, Session>,
}

/// An in-memory CAT engine: stages of two pool items, in pool order; the state it hands out is
/// the stage number, and a result carrying another state is refused.
#[derive(Default)]
struct Engine {
    sections: Mutex<BTreeMap<String, Section>>,
    next_id: Mutex<u32>,
}

impl Engine {
    fn allocate(&self, prefix: &str) -> String {
        let mut n = self.next_id.lock().unwrap();
        *n += 1;
        format!("{prefix}{n}")
    }
}

fn stage(index: usize) -> Option<NextItemSetDType> {
    let items: Vec<String> = POOL
        .iter()
        .skip(index * 2)
        .take(2)
        .map(|s| (*s).to_owned())
        .collect();
    (!items.is_empty()).then_some(NextItemSetDType {
        item_identifiers: items,
        stage_length: Some(2),
    })
}

fn unknown(what: &str) -> ImsError {
    ImsError::unknown_object(format!("no {what} with that identifier"))
}

impl CatService for Engine {
    async fn create_section(
        &self,
        _ctx: RequestContext,
        body: SectionDType,
    ) -> Result<CreateSectionResponseBodyDType, ImsError> {
        let id = self.allocate("section-");
        self.sections.lock().unwrap().insert(
            id.clone(),
            Section {
                section: body,
                sessions: BTreeMap::new(),
            },
        );
        Ok(CreateSectionResponseBodyDType {
            section_identifier: Some(id),
        })
    }

    async fn get_section(
        &self,
        _ctx: RequestContext,
        section_identifier: String,
    ) -> Result<GetSectionResponseBodyDType, ImsError> {
        let sections = self.sections.lock().unwrap();
        let found = sections
            .get(&section_identifier)
            .ok_or_else(|| unknown("section"))?;
        Ok(GetSectionResponseBodyDType {
            items: Some(ItemSetDType {
                item_identifiers: POOL.iter().map(|s| (*s).to_owned()).collect(),
            }),
            section: Some(found.section.clone()),
        })
    }

    async fn end_section(
        &self,
        _ctx: RequestContext,
        section_identifier: String,
    ) -> Result<(), ImsError> {
        self.sections
            .lock()
            .unwrap()
            .remove(&section_identifier)
            .map(|_| ())
            .ok_or_else(|| unknown("section"))
    }

    async fn create_session(
        &self,
        _ctx: RequestContext,
        section_identifier: String,
        _body: SessionDType,
    ) -> Result<CreateSessionResponseBodyDType, ImsError> {
        let id = self.allocate("session-");
        let mut sections = self.sections.lock().unwrap();
        let section = sections
            .get_mut(&section_identifier)
            .ok_or_else(|| unknown("section"))?;
        section.sessions.insert(id.clone(), Session { stage: 0 });
        Ok(CreateSessionResponseBodyDType {
            session_identifier: Some(id),
            next_items: stage(0),
            session_state: Some("stage-0".to_owned()),
        })
    }

    async fn end_session(
        &self,
        _ctx: RequestContext,
        section_identifier: String,
        session_identifier: String,
    ) -> Result<(), ImsError> {
        let mut sections = self.sections.lock().unwrap();
        let section = sections
            .get_mut(&section_identifier)
            .ok_or_else(|| unknown("section"))?;
        section
            .sessions
            .remove(&session_identifier)
            .map(|_| ())
            .ok_or_else(|| unknown("session"))
    }

    async fn submit_results(
        &self,
        _ctx: RequestContext,
        section_identifier: String,
        session_identifier: String,
        body: ResultsDType,
    ) -> Result<SubmitResultsResponseBodyDType, ImsError> {
        let mut sections = self.sections.lock().unwrap();
        let session = sections
            .get_mut(&section_identifier)
            .ok_or_else(|| unknown("section"))?
            .sessions
            .get_mut(&session_identifier)
            .ok_or_else(|| unknown("session"))?;
        let expected = format!("stage-{}", session.stage);
        if body.session_state.as_deref() != Some(expected.as_str()) {
            // CAT declares 400 for bad data (the runtime's `invalid_data` is 422).
            return Err(ImsError::new(
                StatusCode::BAD_REQUEST,
                "invaliddata",
                "sessionState is not the one last returned",
            ));
        }
        session.stage += 1;
        // The end of the section for this candidate: no `nextItems` (see the model README).
        let next = stage(session.stage);
        Ok(SubmitResultsResponseBodyDType {
            session_state: next.as_ref().map(|_| format!("stage-{}", session.stage)),
            next_items: next,
            assessment_result: Some(body.assessment_result),
        })
    }
}

fn policy(server: &TestServer) -> HttpPolicy {
    HttpPolicy::default().with_ca_pem(server.ca_pem().to_vec())
}

fn section() -> SectionDType {
    serde_json::from_value(json!({
        "sectionConfiguration": "eyJtYXhJdGVtcyI6IDR9",
        "qtiMetadata": {"interactionType": ["choiceInteraction"], "scoringMode": ["responseprocessing"]}
    }))
    .unwrap()
}

fn results(state: &str, items: &[String]) -> ResultsDType {
    let item_results: Vec<_> = items
        .iter()
        .map(|id| {
            json!({
                "identifier": id,
                "datestamp": "2027-03-01T10:15:00Z",
                "sessionStatus": "final",
                "responseVariables": [{
                    "identifier": "RESPONSE",
                    "cardinality": "single",
                    "baseType": "identifier",
                    "candidateResponse": {"value": [{"value": "choice-b"}]}
                }]
            })
        })
        .collect();
    serde_json::from_value(json!({
        "assessmentResult": {
            "context": {"sourcedId": "candidate-7"},
            "itemResult": item_results
        },
        "sessionState": state
    }))
    .unwrap()
}

#[tokio::test]
async fn served_and_called_through_the_generated_server_and_client() {
    let auth = Auth::start(&[scopes::API, scopes::CONFIGURE, scopes::DELIVER]).await;
    let verifier = auth.authz.local_verifier().unwrap();
    let api = server::router(Engine::default())
        .with_auth(AuthLayer::new(Arc::new(verifier), "cat"))
        .into_router();
    let srv = TestServer::start(auth.authz.router().merge(api))
        .await
        .unwrap();
    let all = [scopes::API, scopes::CONFIGURE, scopes::DELIVER];
    let source = auth.source(&srv, &all).await;
    let client = CatClient::with_policy(&srv.url(""), source.clone(), policy(&srv)).unwrap();

    // The delivery system hands the engine a section and checks the pool it reports.
    let created = client.create_section(&section()).await.unwrap();
    let section_id = created.section_identifier.unwrap();
    let read = client.get_section(&section_id).await.unwrap();
    assert_eq!(read.section, Some(section()));
    assert_eq!(read.items.unwrap().item_identifiers, POOL);

    // One candidate, stage by stage, until the engine sends no next stage.
    let candidate: SessionDType = serde_json::from_value(json!({
        "priorData": [{"key": "grade", "value": "7"}]
    }))
    .unwrap();
    let opened = client
        .create_session(&section_id, &candidate)
        .await
        .unwrap();
    let session_id = opened.session_identifier.unwrap();
    let mut presented = opened.next_items.unwrap().item_identifiers;
    let mut state = opened.session_state.unwrap();
    let mut stages = vec![presented.clone()];
    loop {
        let answer = client
            .submit_results(&section_id, &session_id, &results(&state, &presented))
            .await
            .unwrap();
        assert_eq!(
            answer
                .assessment_result
                .unwrap()
                .item_result
                .map(|r| r.len()),
            Some(presented.len())
        );
        let Some(next) = answer.next_items else {
            assert!(answer.session_state.is_none());
            break;
        };
        presented = next.item_identifiers;
        state = answer.session_state.unwrap();
        stages.push(presented.clone());
    }
    assert_eq!(stages, [["item-a", "item-b"], ["item-c", "item-d"]]);

    // A stale session state is the engine's `invaliddata`, as a typed error.
    let stale = client
        .submit_results(&section_id, &session_id, &results("stage-0", &presented))
        .await
        .unwrap_err();
    assert_eq!(stale.status(), Some(400), "{stale}");
    assert_eq!(stale.code_minor(), Some("invaliddata"));

    // Ending: the session, then the section; both are unknown afterwards (404).
    client.end_session(&section_id, &session_id).await.unwrap();
    let again = client
        .end_session(&section_id, &session_id)
        .await
        .unwrap_err();
    assert_eq!(again.status(), Some(404), "{again}");
    client.end_section(&section_id).await.unwrap();
    let gone = client.get_section(&section_id).await.unwrap_err();
    assert_eq!(gone.status(), Some(404), "{gone}");
    assert_eq!(gone.code_minor(), Some("unknownobject"));
    srv.shutdown().await;
}

#[tokio::test]
async fn the_two_scopes_of_one_requirement_are_needed_together() {
    let auth = Auth::start(&[scopes::API, scopes::CONFIGURE, scopes::DELIVER]).await;
    let verifier = auth.authz.local_verifier().unwrap();
    let api = server::router(Engine::default())
        .with_auth(AuthLayer::new(Arc::new(verifier), "cat"))
        .into_router();
    let srv = TestServer::start(auth.authz.router().merge(api))
        .await
        .unwrap();
    let http = srv.client();
    let sections = srv.url(&format!("{BASE_PATH}/sections"));
    let sessions = srv.url(&format!("{BASE_PATH}/sections/section-x/sessions"));

    // (token scopes, POST /sections status, POST …/sessions status): 404 means the scope check
    // passed and the engine looked the (unknown) section up.
    let cases: [(&[&str], u16, u16); 5] = [
        (&[scopes::API], 403, 403),
        (&[scopes::CONFIGURE], 403, 403),
        (&[scopes::DELIVER], 403, 403),
        (&[scopes::API, scopes::DELIVER], 403, 404),
        (&[scopes::API, scopes::CONFIGURE], 201, 403),
    ];
    for (granted, on_sections, on_sessions) in cases {
        let source = auth.source(&srv, granted).await;
        let token = format!("Bearer {}", source.token(granted).await.unwrap().secret());
        let r = http
            .post(&sections)
            .header("authorization", &token)
            .json(&section())
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status().as_u16(),
            on_sections,
            "{granted:?} on POST /sections"
        );
        let r = http
            .post(&sessions)
            .header("authorization", &token)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status().as_u16(),
            on_sessions,
            "{granted:?} on POST …/sessions"
        );
    }
    srv.shutdown().await;
}
