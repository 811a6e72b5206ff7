//! Declared schema constraints enforced at the boundary, one test per constraint kind on each
//! side, through the golden `constraints` module (`tests/fixtures/operations/constraints/`):
//!
//! - the generated server answers 400 `invaliddata` naming the parameter, or the body member by
//!   JSON pointer, and the rule, before the implementation is called;
//! - the generated client returns `ApiError::Constraint` for the same value and sends nothing
//!   (the in-memory implementation counts the requests that reach it).
//!
//! Formats (`date`, `date-time`, `uuid`, `uri`) are types: the server refuses text that is not
//! one (400 for a parameter, 422 naming the member for a body), and a client cannot build one.

// In a test a failed expectation is a failed test, not a crash reachable from input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use ims_generated_example::golden::constraints::client::ConstraintsClient;
use ims_generated_example::golden::constraints::models::{
    Email, Learner, LearnerSet, SingleLearner,
};
use ims_generated_example::golden::constraints::server::{self, ConstraintsService};
use ims_runtime::client::{
    ApiError, ClientAuth, ClientCredentialsSource, ClientSecret, HttpPolicy, ListQuery,
    TokenSourceOptions,
};
use ims_runtime::codegen::{Date, DateTime, ImsError, RequestContext, Uri, Uuid};
use ims_runtime::constraints::{Validate, Violation};
use ims_runtime::query::CollectionQuery;
use ims_runtime::server::Listed;
use ims_runtime::tls::testing::TestServer;
use serde_json::{Value, json};

const BASE: &str = "/ims/constraints/v1p0";

/// Counts the calls that reach the implementation (so a test can tell nothing was sent).
#[derive(Default)]
struct Counting {
    calls: Arc<AtomicUsize>,
}

impl Counting {
    fn hit(&self) {
        self.calls.fetch_add(1, Ordering::SeqCst);
    }
}

fn learner(id: &str) -> Learner {
    serde_json::from_value(learner_json(id)).unwrap()
}

fn learner_json(id: &str) -> Value {
    json!({
        "sourcedId": id,
        "givenName": "Ada",
        "email": "ada@example.edu",
        "grade": 7,
        "score": 99.5,
        "credits": 3,
        "tags": ["math"],
        "birthDate": "2012-05-01",
        "guardians": [{"name": "Byron"}],
        "nickname": null
    })
}

impl ConstraintsService for Counting {
    async fn get_learners(
        &self,
        _ctx: RequestContext,
        query: CollectionQuery,
        _grade: Option<i32>,
    ) -> Result<Listed<LearnerSet>, ImsError> {
        self.hit();
        let all = [learner("l-1"), learner("l-2")];
        let range = query.page.range(all.len() as u64);
        Ok(Listed::new(
            LearnerSet {
                learners: all[range.start as usize..range.end as usize].to_vec(),
                extensions: Default::default(),
            },
            2,
        ))
    }

    async fn get_learner(
        &self,
        _ctx: RequestContext,
        learner_id: String,
    ) -> Result<SingleLearner, ImsError> {
        self.hit();
        Ok(SingleLearner {
            learner: learner(&learner_id),
            extensions: Default::default(),
        })
    }

    async fn put_learner(
        &self,
        _ctx: RequestContext,
        _learner_id: String,
        _body: SingleLearner,
    ) -> Result<(), ImsError> {
        self.hit();
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn get_scores(
        &self,
        _ctx: RequestContext,
        code: String,
        _count: Option<i32>,
        _day: Option<Date>,
        _id: Option<Uuid>,
        _link: Option<Uri>,
        _ratio: Option<f64>,
        _since: Option<DateTime>,
        tags: Option<Vec<String>>,
    ) -> Result<BTreeMap<String, Value>, ImsError> {
        self.hit();
        Ok([
            ("code".to_owned(), json!(code)),
            ("tags".to_owned(), json!(tags)),
        ]
        .into())
    }
}

struct Harness {
    server: TestServer,
    client: ConstraintsClient,
    calls: Arc<AtomicUsize>,
}

impl Harness {
    async fn start() -> Self {
        let svc = Counting::default();
        let calls = svc.calls.clone();
        let server = TestServer::start(server::router(svc).into_router())
            .await
            .unwrap();
        let policy = HttpPolicy::default().with_ca_pem(server.ca_pem().to_vec());
        // Every operation of the fixture is public: the client sends no token, so this source
        // is never asked for one.
        let tokens = ClientCredentialsSource::new(
            &server.url("/token"),
            "unused".to_owned(),
            ClientAuth::ClientSecretBasic(ClientSecret::new("unused")),
            TokenSourceOptions {
                http: policy.clone(),
                ..TokenSourceOptions::default()
            },
        )
        .unwrap();
        let client =
            ConstraintsClient::with_policy(&server.url(""), Arc::new(tokens), policy).unwrap();
        Harness {
            server,
            client,
            calls,
        }
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    /// A raw request: (status, body as JSON).
    async fn send(&self, method: &str, path_and_query: &str, body: Option<Value>) -> (u16, Value) {
        let url = self.server.url(&format!("{BASE}{path_and_query}"));
        let http = self.server.client();
        let request = match method {
            "PUT" => http.put(url).json(&body.unwrap_or(Value::Null)),
            _ => http.get(url),
        };
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// A raw request that must be refused with 400 `invaliddata` before reaching the
    /// implementation; returns the description.
    async fn refused(&self, method: &str, path_and_query: &str, body: Option<Value>) -> String {
        let before = self.calls();
        let (status, info) = self.send(method, path_and_query, body).await;
        assert_eq!(status, 400, "{method} {path_and_query}: {info}");
        assert_eq!(
            info["imsx_codeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"],
            "invaliddata",
            "{info}"
        );
        assert_eq!(self.calls(), before, "the implementation was not called");
        info["imsx_description"].as_str().unwrap().to_owned()
    }

    /// A body `PUT /learners/l-1` of one learner changed by `edit`, refused; its description.
    async fn refused_learner(&self, edit: impl FnOnce(&mut Value)) -> String {
        let mut learner = learner_json("l-1");
        edit(&mut learner);
        self.refused("PUT", "/learners/l-1", Some(json!({"learner": learner})))
            .await
    }
}

/// The violation of a client call that must not have sent anything.
fn violation<T: std::fmt::Debug>(
    h: &Harness,
    before: usize,
    result: Result<T, ApiError>,
) -> Violation {
    assert_eq!(h.calls(), before, "no request reached the server");
    match result {
        Err(ApiError::Constraint(v)) => v,
        other => panic!("expected ApiError::Constraint, got {other:?}"),
    }
}

fn assert_mentions(text: &str, parts: &[&str]) {
    for part in parts {
        assert!(text.contains(part), "`{text}` should mention `{part}`");
    }
}

#[tokio::test]
async fn valid_requests_pass_on_both_sides() {
    let h = Harness::start().await;
    let page = h
        .client
        .get_learners(Some(12), ListQuery::new().limit(1).offset(1))
        .await
        .unwrap();
    assert_eq!(page.body.learners.len(), 1);
    let body = SingleLearner {
        learner: learner("l-1"),
        extensions: Default::default(),
    };
    h.client.put_learner("l-1", &body).await.unwrap();
    h.client
        .get_scores(
            "ab",
            None,
            None,
            None,
            None,
            Some(1.0),
            None,
            Some(&["x", "yz"]),
        )
        .await
        .unwrap();
    assert_eq!(h.calls(), 3);
    // `limit` above the declared maximum (50) is clamped, as OneRoster asks, not refused.
    let (status, _) = h.send("GET", "/learners?limit=60", None).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn range_is_enforced() {
    let h = Harness::start().await;
    let d = h.refused("GET", "/learners?grade=13", None).await;
    assert_mentions(&d, &["query parameter 'grade'", "must be at most 12"]);
    // The IMS paging grammar answers first (its own wording), before the declared `minimum`.
    let d = h.refused("GET", "/learners?offset=-1", None).await;
    assert_mentions(&d, &["offset", "non-negative"]);
    let d = h.refused("GET", "/scores?code=ab&ratio=0", None).await;
    assert_mentions(&d, &["'ratio'", "must be greater than 0"]);
    let d = h.refused_learner(|l| l["grade"] = json!(0)).await;
    assert_mentions(&d, &["`/learner/grade`", "must be at least 1"]);
    let d = h.refused_learner(|l| l["score"] = json!(100)).await;
    assert_mentions(&d, &["`/learner/score`", "must be less than 100"]);
    let d = h.refused_learner(|l| l["credits"] = json!(0)).await;
    assert_mentions(&d, &["`/learner/credits`", "must be at least 1"]);

    let before = h.calls();
    let v = violation(
        &h,
        before,
        h.client.get_learners(Some(13), ListQuery::new()).await,
    );
    assert_eq!(
        (v.parameter(), v.rule()),
        (Some("grade"), "must be at most 12")
    );
    let scores = h
        .client
        .get_scores("ab", None, None, None, None, Some(0.0), None, None)
        .await;
    let v = violation(&h, before, scores);
    assert_eq!(
        (v.parameter(), v.rule()),
        (Some("ratio"), "must be greater than 0")
    );
    let mut body = SingleLearner {
        learner: learner("l-1"),
        extensions: Default::default(),
    };
    body.learner.score = Some(100.0);
    let v = violation(&h, before, h.client.put_learner("l-1", &body).await);
    assert_eq!(
        (v.pointer(), v.rule()),
        ("/learner/score", "must be less than 100")
    );
}

#[tokio::test]
async fn integer_format_is_enforced() {
    let h = Harness::start().await;
    // The IMS paging parameters are read wider than int32, so the format is a rule of its own.
    let d = h.refused("GET", "/learners?offset=2147483648", None).await;
    assert_mentions(&d, &["'offset'", "must be at most 2147483647 (int32)"]);
    let d = h.refused("GET", "/learners?limit=2147483648", None).await;
    assert_mentions(&d, &["'limit'", "must be at most 2147483647 (int32)"]);
    // Other int32 values are `i32`: what does not fit is refused naming the parameter.
    let d = h
        .refused("GET", "/scores?code=ab&count=2147483648", None)
        .await;
    assert_mentions(&d, &["'count'", "2147483648"]);
    let mut too_big = learner_json("l-1");
    too_big["grade"] = json!(2_147_483_648_i64);
    let (status, info) = h
        .send("PUT", "/learners/l-1", Some(json!({"learner": too_big})))
        .await;
    assert_eq!(status, 422, "{info}");
    assert_mentions(
        info["imsx_description"].as_str().unwrap(),
        &["/learner/grade"],
    );

    let before = h.calls();
    let v = violation(
        &h,
        before,
        h.client
            .get_learners(None, ListQuery::new().offset(2_147_483_648))
            .await,
    );
    assert_eq!(
        v.to_string(),
        "the query parameter 'offset' is invalid: must be at most 2147483647 (int32)"
    );
    let v = violation(
        &h,
        before,
        h.client
            .get_learners(None, ListQuery::new().limit(1 << 40))
            .await,
    );
    assert_eq!(v.parameter(), Some("limit"));
}

#[tokio::test]
async fn pattern_is_enforced() {
    let h = Harness::start().await;
    let d = h.refused("GET", "/learners/NOT%20OK", None).await;
    assert_mentions(
        &d,
        &[
            "path parameter 'learnerId'",
            "must match the pattern `^[a-z0-9-]+$`",
        ],
    );
    let d = h.refused("GET", "/scores?code=ab&tags=ok,Bad", None).await;
    assert_mentions(&d, &["'tags'", "`/1`", "must match the pattern `^[a-z]+$`"]);
    let d = h.refused_learner(|l| l["email"] = json!("nobody")).await;
    assert_mentions(&d, &["`/learner/email`", "must match the pattern"]);

    let before = h.calls();
    let v = violation(&h, before, h.client.get_learner("NOT OK").await);
    assert_eq!(v.parameter(), Some("learnerId"));
    assert_eq!(v.rule(), "must match the pattern `^[a-z0-9-]+$`");
    let mut body = SingleLearner {
        learner: learner("l-1"),
        extensions: Default::default(),
    };
    body.learner.email = Email("nobody".to_owned());
    let v = violation(&h, before, h.client.put_learner("l-1", &body).await);
    assert_eq!(v.pointer(), "/learner/email");
}

#[tokio::test]
async fn length_is_enforced_in_characters() {
    let h = Harness::start().await;
    let d = h.refused("GET", "/scores?code=a", None).await;
    assert_mentions(&d, &["'code'", "must be at least 2 characters long"]);
    let d = h.refused("GET", "/scores?code=abcde", None).await;
    assert_mentions(&d, &["'code'", "must be at most 4 characters long"]);
    // Four characters of two bytes each: within `maxLength: 4`.
    let (status, _) = h
        .send("GET", "/scores?code=%C3%A9%C3%A9%C3%A9%C3%A9", None)
        .await;
    assert_eq!(status, 200);
    let d = h.refused_learner(|l| l["givenName"] = json!("")).await;
    assert_mentions(&d, &["`/learner/givenName`", "at least 1 character long"]);
    let d = h
        .refused_learner(|l| l["nickname"] = json!("much too long"))
        .await;
    assert_mentions(&d, &["`/learner/nickname`", "at most 10 characters"]);
    let d = h
        .refused_learner(|l| l["guardians"] = json!([{"name": "x"}, {"name": ""}]))
        .await;
    assert_mentions(&d, &["`/learner/guardians/1/name`"]);

    let before = h.calls();
    let scores = h
        .client
        .get_scores("abcde", None, None, None, None, None, None, None)
        .await;
    let v = violation(&h, before, scores);
    assert_eq!(
        (v.parameter(), v.rule()),
        (Some("code"), "must be at most 4 characters long")
    );
    let mut body = SingleLearner {
        learner: learner("l-1"),
        extensions: Default::default(),
    };
    body.learner.given_name = String::new();
    let v = violation(&h, before, h.client.put_learner("l-1", &body).await);
    assert_eq!(v.pointer(), "/learner/givenName");
}

#[tokio::test]
async fn item_counts_are_enforced() {
    let h = Harness::start().await;
    let d = h.refused("GET", "/scores?code=ab&tags=a,b,c,d", None).await;
    assert_mentions(&d, &["'tags'", "must have at most 3 items"]);
    let d = h.refused_learner(|l| l["tags"] = json!([])).await;
    assert_mentions(&d, &["`/learner/tags`", "must have at least 1 item"]);
    let d = h
        .refused_learner(|l| l["tags"] = json!(["ok", "far too long"]))
        .await;
    assert_mentions(&d, &["`/learner/tags/1`", "at most 8 characters"]);

    let before = h.calls();
    let scores = h
        .client
        .get_scores(
            "ab",
            None,
            None,
            None,
            None,
            None,
            None,
            Some(&["a", "b", "c", "d"]),
        )
        .await;
    let v = violation(&h, before, scores);
    assert_eq!(
        (v.parameter(), v.rule()),
        (Some("tags"), "must have at most 3 items")
    );
    let mut body = SingleLearner {
        learner: learner("l-1"),
        extensions: Default::default(),
    };
    body.learner.tags.clear();
    let v = violation(&h, before, h.client.put_learner("l-1", &body).await);
    assert_eq!(v.pointer(), "/learner/tags");
    assert!(body.validate().is_err(), "the check is the models' own");
}

#[tokio::test]
async fn formats_are_enforced_by_their_types() {
    let h = Harness::start().await;
    for (query, name) in [
        ("since=yesterday", "since"),
        ("day=2024-02-30", "day"),
        ("id=not-a-uuid", "id"),
        ("link=no%20scheme", "link"),
    ] {
        let d = h
            .refused("GET", &format!("/scores?code=ab&{query}"), None)
            .await;
        assert_mentions(&d, &[&format!("query parameter '{name}'")]);
    }
    for (member, bad) in [
        ("birthDate", "2024-02-30"),
        ("updated", "yesterday"),
        ("guid", "not-a-uuid"),
        ("homepage", "no scheme"),
    ] {
        let mut l = learner_json("l-1");
        l[member] = json!(bad);
        let (status, info) = h
            .send("PUT", "/learners/l-1", Some(json!({"learner": l})))
            .await;
        assert_eq!(status, 422, "{member}: {info}");
        assert_mentions(
            info["imsx_description"].as_str().unwrap(),
            &[&format!("/learner/{member}")],
        );
    }
    // A client cannot hold such a value: the format types refuse the text.
    assert!("2024-02-30".parse::<Date>().is_err());
    assert!("yesterday".parse::<DateTime>().is_err());
    assert!("not-a-uuid".parse::<Uuid>().is_err());
    assert!("no scheme".parse::<Uri>().is_err());
    assert_eq!(h.calls(), 0);
}
