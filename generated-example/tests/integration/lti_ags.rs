//! LTI Assignment and Grade Services 2.0 served and called through the generated server and
//! client over loopback TLS, behind the embedded authorization server: an in-memory platform
//! implements the generated trait under `/lti/courses/{contextId}/…`; the generated client takes
//! the URLs a launch claim would carry (line items URL, line item URL) per call. Covered: line
//! item CRUD with the `lineitem` scope, reading with `lineitem.readonly` and the 403 of a
//! read-only token on every write, scores posted as `application/vnd.ims.lis.v1.score+json`
//! (any other Content-Type: 415), results filtered by `user_id`, vendor media types in
//! `Accept` and `Content-Type`, and paging by `limit` with the client following
//! `Link: <…>; rel="next"`.
//!
//! Tokens come from client credentials with a client secret: LTI tools use a JWT client
//! assertion instead, which changes how the token is obtained, not what the resource server
//! checks (the scopes).

// In a test a failed expectation is a failed test, not a crash reachable from input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::cc_auth::Auth;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use futures_util::TryStreamExt;
use ims_generated_example::lti_ags_v2p0::client::AgsClient;
use ims_generated_example::lti_ags_v2p0::models::{
    ActivityProgress, GradingProgress, LineItem, Result as AgsResult, Score,
};
use ims_generated_example::lti_ags_v2p0::server::AgsService;
use ims_generated_example::lti_ags_v2p0::{BASE_PATH, scopes, server};
use ims_runtime::client::{ApiError, ClientCredentialsSource, HttpPolicy, TokenSource};
use ims_runtime::codegen::{ImsError, LinkedPage, RequestContext, Uri};
use ims_runtime::resource_server::AuthLayer;
use ims_runtime::tls::testing::TestServer;
use serde_json::{Value, json};

pub(super) fn policy(server: &TestServer) -> HttpPolicy {
    ims_runtime::client::ApiClient::default_policy().with_ca_pem(server.ca_pem().to_vec())
}

/// A bearer token for `scopes` from `source`, for the plain requests.
pub(super) async fn bearer(source: &ClientCredentialsSource, scopes: &[&str]) -> String {
    let token = source.token(scopes).await.unwrap();
    format!("Bearer {}", token.secret())
}

/// The platform's public origin, known once the test server has its port: the in-memory
/// platforms build the absolute `id` URLs of line items, results and containers from it (a
/// request over HTTP/2 carries no `Host` header to take it from).
#[derive(Clone, Default)]
pub(super) struct Origin(Arc<Mutex<String>>);

impl Origin {
    pub(super) fn set(&self, server: &TestServer) {
        *self.0.lock().unwrap() = server.url("");
    }

    pub(super) fn get(&self) -> String {
        self.0.lock().unwrap().clone()
    }
}

/// The page of `all` that starts at the opaque token `page` (here an offset in disguise, which
/// clients never parse) holding at most `limit` records, and the next page's token.
pub(super) fn page_of<T: Clone>(
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
    let limit = limit.map_or(all.len(), |l| usize::try_from(l.max(1)).unwrap());
    let end = start.saturating_add(limit).min(all.len());
    let next = (end < all.len()).then(|| format!("after-{end}"));
    Ok((all[start..end].to_vec(), next))
}

/// One learner's result as the platform keeps it: the latest score by timestamp.
#[derive(Clone)]
struct Latest {
    score: Score,
}

/// The gradebook of each context, in memory: line items by number, the latest score per
/// (line item, learner).
#[derive(Default)]
struct Platform {
    origin: Origin,
    /// The `Accept` header of every line items request, to check what clients ask for.
    accepts: Arc<Mutex<Vec<String>>>,
    line_items: Mutex<BTreeMap<(String, u32), LineItem>>,
    next_id: Mutex<u32>,
    scores: Mutex<BTreeMap<(String, u32, String), Latest>>,
}

impl Platform {
    fn line_item_url(&self, context_id: &str, n: u32) -> String {
        // A query on the line item URL, as platforms may add: `/scores` and `/results` go
        // before it (the generated client appends them to the path).
        format!(
            "{}{BASE_PATH}/{context_id}/lineitems/{n}?via=claim",
            self.origin.get()
        )
    }

    fn number(line_item_id: &str) -> Result<u32, ImsError> {
        line_item_id
            .parse()
            .map_err(|_| ImsError::unknown_object("no such line item"))
    }

    fn existing(&self, context_id: &str, n: u32) -> Result<LineItem, ImsError> {
        self.line_items
            .lock()
            .unwrap()
            .get(&(context_id.to_owned(), n))
            .cloned()
            .ok_or_else(|| ImsError::unknown_object("no such line item"))
    }
}

impl AgsService for Platform {
    async fn get_line_items(
        &self,
        ctx: RequestContext,
        context_id: String,
        limit: Option<i32>,
        page: Option<String>,
        resource_id: Option<String>,
        resource_link_id: Option<String>,
        tag: Option<String>,
    ) -> Result<LinkedPage<Vec<LineItem>>, ImsError> {
        let accept = ctx.headers.get("accept").and_then(|a| a.to_str().ok());
        self.accepts
            .lock()
            .unwrap()
            .push(accept.unwrap_or_default().to_owned());
        let matching: Vec<LineItem> = self
            .line_items
            .lock()
            .unwrap()
            .iter()
            .filter(|((c, _), _)| *c == context_id)
            .map(|(_, li)| li.clone())
            .filter(|li| resource_id.is_none() || li.resource_id == resource_id)
            .filter(|li| resource_link_id.is_none() || li.resource_link_id == resource_link_id)
            .filter(|li| tag.is_none() || li.tag == tag)
            .collect();
        let (items, next) = page_of(&matching, limit, page.as_deref())?;
        Ok(LinkedPage {
            body: items,
            next_page: next,
        })
    }

    async fn add_line_item(
        &self,
        _ctx: RequestContext,
        context_id: String,
        mut body: LineItem,
    ) -> Result<LineItem, ImsError> {
        let n = {
            let mut next = self.next_id.lock().unwrap();
            *next += 1;
            *next
        };
        body.id = Some(self.line_item_url(&context_id, n).parse::<Uri>().unwrap());
        self.line_items
            .lock()
            .unwrap()
            .insert((context_id, n), body.clone());
        Ok(body)
    }

    async fn get_line_item(
        &self,
        _ctx: RequestContext,
        context_id: String,
        line_item_id: String,
    ) -> Result<LineItem, ImsError> {
        self.existing(&context_id, Self::number(&line_item_id)?)
    }

    async fn update_line_item(
        &self,
        _ctx: RequestContext,
        context_id: String,
        line_item_id: String,
        mut body: LineItem,
    ) -> Result<LineItem, ImsError> {
        let n = Self::number(&line_item_id)?;
        let old = self.existing(&context_id, n)?;
        // The id and the resource link binding are the platform's; the rest is replaced.
        body.id = old.id;
        body.resource_link_id = old.resource_link_id;
        self.line_items
            .lock()
            .unwrap()
            .insert((context_id, n), body.clone());
        Ok(body)
    }

    async fn delete_line_item(
        &self,
        _ctx: RequestContext,
        context_id: String,
        line_item_id: String,
    ) -> Result<(), ImsError> {
        let n = Self::number(&line_item_id)?;
        self.line_items
            .lock()
            .unwrap()
            .remove(&(context_id, n))
            .map(|_| ())
            .ok_or_else(|| ImsError::unknown_object("no such line item"))
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
        let n = Self::number(&line_item_id)?;
        let line_item = self.existing(&context_id, n)?;
        let url = self.line_item_url(&context_id, n);
        let results: Vec<AgsResult> = self
            .scores
            .lock()
            .unwrap()
            .iter()
            .filter(|((c, l, u), _)| {
                *c == context_id && *l == n && user_id.as_ref().is_none_or(|w| w == u)
            })
            .map(|((_, _, u), latest)| {
                let s = &latest.score;
                // Scores are scaled to the line item's maximum.
                let scaled = match (s.score_given, s.score_maximum) {
                    (Some(given), Some(max)) => Some(given / max * line_item.score_maximum),
                    _ => None,
                };
                serde_json::from_value(json!({
                    "id": format!("{url}&user={u}"),
                    "scoreOf": url,
                    "userId": u,
                    "resultScore": scaled,
                    "resultMaximum": line_item.score_maximum,
                    "comment": s.comment,
                }))
                .unwrap()
            })
            .collect();
        let (items, next) = page_of(&results, limit, page.as_deref())?;
        Ok(LinkedPage {
            body: items,
            next_page: next,
        })
    }

    async fn post_score(
        &self,
        _ctx: RequestContext,
        context_id: String,
        line_item_id: String,
        body: Score,
    ) -> Result<(), ImsError> {
        let n = Self::number(&line_item_id)?;
        self.existing(&context_id, n)?;
        if body.score_given.is_some() && body.score_maximum.is_none() {
            return Err(ImsError::invalid_data(
                "scoreGiven needs scoreMaximum (AGS 2.0, score publish service)",
            ));
        }
        let key = (context_id, n, body.user_id.clone());
        let mut scores = self.scores.lock().unwrap();
        // A score older than the one kept changes nothing.
        let newer = scores.get(&key).is_none_or(|old| {
            old.score.timestamp.to_offset_date_time() < body.timestamp.to_offset_date_time()
        });
        if newer {
            scores.insert(key, Latest { score: body });
        }
        Ok(())
    }
}

const ALL: [&str; 4] = [
    scopes::LINEITEM,
    scopes::LINEITEM_READONLY,
    scopes::RESULT_READONLY,
    scopes::SCORE,
];

const LINE_ITEM: &str = "application/vnd.ims.lis.v2.lineitem+json";
const LINE_ITEMS: &str = "application/vnd.ims.lis.v2.lineitemcontainer+json";
const SCORE: &str = "application/vnd.ims.lis.v1.score+json";
const RESULTS: &str = "application/vnd.ims.lis.v2.resultcontainer+json";

fn line_item(label: &str, tag: &str) -> LineItem {
    serde_json::from_value(json!({
        "label": label,
        "scoreMaximum": 50,
        "resourceLinkId": "rl-1",
        "resourceId": "quiz-1",
        "tag": tag,
        "https://lms.example/extension": {"kept": true}
    }))
    .unwrap()
}

fn score(user: &str, given: f64, timestamp: &str) -> Score {
    serde_json::from_value(json!({
        "userId": user,
        "scoreGiven": given,
        "scoreMaximum": 10,
        "comment": format!("{user}: {given}/10"),
        "timestamp": timestamp,
        "activityProgress": "Completed",
        "gradingProgress": "FullyGraded",
    }))
    .unwrap()
}

/// A platform serving AGS for context `c1` and the line items URL a launch in it would carry.
struct Served {
    auth: Auth,
    srv: TestServer,
    line_items_url: String,
    accepts: Arc<Mutex<Vec<String>>>,
}

async fn serve() -> Served {
    let auth = Auth::start(&ALL).await;
    let verifier = auth.authz.local_verifier().unwrap();
    let platform = Platform::default();
    let origin = platform.origin.clone();
    let accepts = platform.accepts.clone();
    let api = server::router(platform)
        .with_auth(AuthLayer::new(Arc::new(verifier), "lti"))
        .into_router();
    let srv = TestServer::start(auth.authz.router().merge(api))
        .await
        .unwrap();
    origin.set(&srv);
    let line_items_url = srv.url(&format!("{BASE_PATH}/c1/lineitems"));
    Served {
        auth,
        srv,
        line_items_url,
        accepts,
    }
}

#[tokio::test]
async fn line_items_crud_through_the_generated_client_at_claim_urls() {
    let s = serve().await;
    let source = s.auth.source(&s.srv, &[scopes::LINEITEM]).await;
    let client = AgsClient::with_policy(source, policy(&s.srv)).unwrap();

    let created = client
        .add_line_item(&s.line_items_url, &line_item("Quiz 1", "grade"))
        .await
        .unwrap();
    let url = created.id.clone().expect("the platform sets the id URL");
    assert!(url.as_str().ends_with("/c1/lineitems/1?via=claim"), "{url}");
    assert_eq!(created.label, "Quiz 1");
    assert_eq!(
        created.extensions["https://lms.example/extension"],
        json!({"kept": true}),
        "extension members survive the round trip"
    );

    // Read, replace and read back at the line item URL (with its query).
    assert_eq!(client.get_line_item(url.as_str()).await.unwrap(), created);
    let mut changed = created.clone();
    changed.label = "Quiz 1 (final)".to_owned();
    changed.resource_link_id = Some("rl-other".to_owned());
    let stored = client
        .update_line_item(url.as_str(), &changed)
        .await
        .unwrap();
    assert_eq!(stored.label, "Quiz 1 (final)");
    assert_eq!(
        stored.resource_link_id.as_deref(),
        Some("rl-1"),
        "the platform keeps its binding"
    );

    // Filters reach the trait method.
    client
        .add_line_item(
            &s.line_items_url,
            &line_item("Quiz 1 originality", "originality"),
        )
        .await
        .unwrap();
    let tagged = client
        .get_line_items(
            &s.line_items_url,
            None,
            None,
            None,
            None,
            Some("originality"),
        )
        .await
        .unwrap();
    assert_eq!(tagged.body.len(), 1);
    assert_eq!(tagged.body[0].label, "Quiz 1 originality");
    assert_eq!(tagged.next, None);

    // Delete: gone afterwards (404 as a typed status error).
    client.delete_line_item(url.as_str()).await.unwrap();
    match client.get_line_item(url.as_str()).await {
        Err(ApiError::Status { status, .. }) => assert_eq!(status, 404),
        other => panic!("expected 404, got {other:?}"),
    }
    s.srv.shutdown().await;
}

#[tokio::test]
async fn a_read_only_token_reads_line_items_and_is_refused_every_write_with_403() {
    let s = serve().await;
    let writer = s.auth.source(&s.srv, &[scopes::LINEITEM]).await;
    let created = AgsClient::with_policy(writer, policy(&s.srv))
        .unwrap()
        .add_line_item(&s.line_items_url, &line_item("Essay", "grade"))
        .await
        .unwrap();
    let url = created.id.clone().unwrap();

    // Reading needs `lineitem.readonly` (or `lineitem`): the generated client asks for the
    // alternative the token endpoint grants.
    let reader = s.auth.source(&s.srv, &[scopes::LINEITEM_READONLY]).await;
    let client = AgsClient::with_policy(reader.clone(), policy(&s.srv)).unwrap();
    assert_eq!(client.get_line_item(url.as_str()).await.unwrap(), created);
    let all: Vec<LineItem> = client
        .get_line_items_stream(&s.line_items_url, None, None, None, None)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all, vec![created.clone()]);

    // Every write with a read-only token: 403 from the generated handler, before the trait.
    let token = bearer(&reader, &[scopes::LINEITEM_READONLY]).await;
    let http = s.srv.client();
    let body = serde_json::to_vec(&line_item("Sneaky", "grade")).unwrap();
    let writes = [
        http.post(&s.line_items_url),
        http.put(url.as_str()),
        http.delete(url.as_str()),
    ];
    for write in writes {
        let r = write
            .header("authorization", &token)
            .header("content-type", LINE_ITEM)
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 403);
    }
    // Nor may it post scores or read results.
    let score_url = scores_url(url.as_str());
    let r = http
        .post(&score_url)
        .header("authorization", &token)
        .header("content-type", SCORE)
        .body(serde_json::to_vec(&score("u1", 1.0, "2026-01-01T00:00:00Z")).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    let line_item_after = client.get_line_item(url.as_str()).await.unwrap();
    assert_eq!(line_item_after, created, "nothing changed");
    s.srv.shutdown().await;
}

/// `<line item URL><suffix>`, its query kept after the path (as the generated client does).
fn suffixed(line_item_url: &str, suffix: &str) -> String {
    let mut url = url::Url::parse(line_item_url).unwrap();
    let path = format!("{}{suffix}", url.path());
    url.set_path(&path);
    url.to_string()
}

fn scores_url(line_item_url: &str) -> String {
    suffixed(line_item_url, "/scores")
}

#[tokio::test]
async fn scores_go_as_the_score_media_type_and_results_come_back_per_user() {
    let s = serve().await;
    let writer = s.auth.source(&s.srv, &[scopes::LINEITEM]).await;
    let created = AgsClient::with_policy(writer, policy(&s.srv))
        .unwrap()
        .add_line_item(&s.line_items_url, &line_item("Lab", "grade"))
        .await
        .unwrap();
    let url = created.id.clone().unwrap();

    let tool = s
        .auth
        .source(&s.srv, &[scopes::SCORE, scopes::RESULT_READONLY])
        .await;
    let client = AgsClient::with_policy(tool.clone(), policy(&s.srv)).unwrap();
    client
        .post_score(url.as_str(), &score("u1", 7.0, "2026-03-01T10:00:00.100Z"))
        .await
        .unwrap();
    client
        .post_score(url.as_str(), &score("u2", 4.0, "2026-03-01T10:00:00Z"))
        .await
        .unwrap();
    // An older score for u1 is ignored by this platform.
    client
        .post_score(url.as_str(), &score("u1", 1.0, "2026-03-01T09:00:00Z"))
        .await
        .unwrap();

    let mine = client
        .get_results(url.as_str(), None, None, Some("u1"))
        .await
        .unwrap();
    assert_eq!(mine.body.len(), 1, "{:?}", mine.body);
    let result = &mine.body[0];
    assert_eq!(result.user_id, "u1");
    assert_eq!(result.result_score, Some(35.0), "7/10 scaled to 50");
    assert_eq!(result.result_maximum, Some(50.0));
    assert_eq!(result.comment.as_deref(), Some("u1: 7/10"));
    assert_eq!(result.score_of.as_str(), url.as_str());
    let everyone: Vec<AgsResult> = client
        .get_results_stream(url.as_str(), Some(1), None)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        everyone
            .iter()
            .map(|r| r.user_id.as_str())
            .collect::<Vec<_>>(),
        ["u1", "u2"]
    );

    // On the wire: the score media type is required (415 otherwise, before the trait).
    let token = bearer(&tool, &[scopes::SCORE]).await;
    let http = s.srv.client();
    let body = serde_json::to_vec(&score("u3", 9.0, "2026-03-02T00:00:00Z")).unwrap();
    for wrong in ["application/json", "text/plain", LINE_ITEM] {
        let r = http
            .post(scores_url(url.as_str()))
            .header("authorization", &token)
            .header("content-type", wrong)
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 415, "{wrong}");
        let info: Value = r.json().await.unwrap();
        assert!(
            info["imsx_description"].as_str().unwrap().contains(SCORE),
            "the 415 names the media type to use: {info}"
        );
    }
    let r = http
        .post(scores_url(url.as_str()))
        .header("authorization", &token)
        .header("content-type", format!("{SCORE}; charset=utf-8"))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status().as_u16(),
        204,
        "parameters on the media type are fine"
    );
    // The results come as the result container media type.
    let r = http
        .get(suffixed(url.as_str(), "/results"))
        .header(
            "authorization",
            bearer(&tool, &[scopes::RESULT_READONLY]).await,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["content-type"], RESULTS);
    let results: Vec<AgsResult> = r.json().await.unwrap();
    assert_eq!(results.len(), 3);
    s.srv.shutdown().await;
}

#[tokio::test]
async fn line_items_page_by_limit_and_the_client_follows_the_next_links() {
    let s = serve().await;
    let source = s.auth.source(&s.srv, &[scopes::LINEITEM]).await;
    let client = AgsClient::with_policy(source.clone(), policy(&s.srv)).unwrap();
    for i in 1..=5 {
        client
            .add_line_item(&s.line_items_url, &line_item(&format!("Item {i}"), "grade"))
            .await
            .unwrap();
    }

    // One page of two: the next page is linked, with the limit kept and an opaque token.
    let first = client
        .get_line_items(&s.line_items_url, Some(2), None, None, None, None)
        .await
        .unwrap();
    assert_eq!(first.body.len(), 2);
    let next = first
        .next
        .clone()
        .expect("a next link while records follow");
    assert_eq!(next.path(), format!("{BASE_PATH}/c1/lineitems"));
    let pairs: Vec<(String, String)> = next.query_pairs().into_owned().collect();
    assert!(pairs.contains(&("limit".into(), "2".into())), "{pairs:?}");
    assert!(pairs.iter().any(|(k, _)| k == "page"), "{pairs:?}");
    // The next URL is itself a line items URL the client can call as given.
    let second = client
        .get_line_items(next.as_str(), None, None, None, None, None)
        .await
        .unwrap();
    assert_eq!(second.body[0].label, "Item 3");

    // The stream follows the links to the end: every item once, in order.
    let labels: Vec<String> = client
        .get_line_items_stream(&s.line_items_url, Some(2), None, None, None)
        .map_ok(|li| li.label)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(labels, ["Item 1", "Item 2", "Item 3", "Item 4", "Item 5"]);
    // Every page request of the generated client asked for the container media type.
    let accepts = s.accepts.lock().unwrap().clone();
    assert_eq!(
        accepts.len(),
        5,
        "two single pages and three streamed: {accepts:?}"
    );
    assert!(accepts.iter().all(|a| a == LINE_ITEMS), "{accepts:?}");

    // On the wire: the container media type, asked for and answered, and the Link header.
    let r = s
        .srv
        .client()
        .get(format!("{}?limit=4", s.line_items_url))
        .header("authorization", bearer(&source, &[scopes::LINEITEM]).await)
        .header("accept", LINE_ITEMS)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["content-type"], LINE_ITEMS);
    let link = r.headers()["link"].to_str().unwrap().to_owned();
    assert!(
        link.starts_with(&format!("<{BASE_PATH}/c1/lineitems?limit=4&page="))
            && link.ends_with(">; rel=\"next\""),
        "{link}"
    );
    let last_page: Vec<Value> = s
        .srv
        .client()
        .get(s.srv.url(link[1..link.find('>').unwrap()].trim()))
        .header("authorization", bearer(&source, &[scopes::LINEITEM]).await)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(last_page.len(), 1);
    s.srv.shutdown().await;
}

#[tokio::test]
async fn the_client_refuses_urls_it_must_not_send_a_token_to() {
    let s = serve().await;
    let source = s.auth.source(&s.srv, &[scopes::LINEITEM]).await;
    let client = AgsClient::with_policy(source, policy(&s.srv)).unwrap();
    for bad in ["http://127.0.0.1/lti/courses/c1/lineitems", "not a url"] {
        let err = client.get_line_item(bad).await.unwrap_err();
        assert!(
            matches!(err, ApiError::InvalidArgument(_) | ApiError::Client(_)),
            "{bad}: {err:?}"
        );
    }
    s.srv.shutdown().await;
}

#[test]
fn scores_and_line_items_keep_every_member() {
    let value = json!({
        "userId": "u1",
        "scoreGiven": 3.5,
        "scoreMaximum": 5,
        "timestamp": "2026-03-01T10:00:00.123+01:00",
        "activityProgress": "Submitted",
        "gradingProgress": "PendingManual",
        "submission": {"startedAt": "2026-03-01T09:00:00Z", "submittedAt": "2026-03-01T09:59:00Z"},
        "https://canvas.instructure.com/lti/submission": {"new_submission": true}
    });
    let typed: Score = serde_json::from_value(value.clone()).unwrap();
    assert_eq!(typed.activity_progress, ActivityProgress::Submitted);
    assert_eq!(typed.grading_progress, GradingProgress::PendingManual);
    assert_eq!(typed.timestamp.as_str(), "2026-03-01T10:00:00.123+01:00");
    let back = serde_json::to_value(&typed).unwrap();
    assert_eq!(
        back["https://canvas.instructure.com/lti/submission"],
        value["https://canvas.instructure.com/lti/submission"]
    );
    assert_eq!(back["submission"], value["submission"]);
    let bad = serde_json::from_value::<Score>(json!({
        "userId": "u1",
        "timestamp": "2026-03-01T10:00:00Z",
        "activityProgress": "Done",
        "gradingProgress": "FullyGraded"
    }))
    .unwrap_err()
    .to_string();
    assert!(bad.contains("Done") && bad.contains("Completed"), "{bad}");
}

/// Our SDD has the operations of 1EdTech's illustrative AGS file (read for comparison only; see
/// spec-models/lti_ags_v2p0/README.md for what we chose differently): the same methods on the
/// same path shapes with the same media types and query parameters; and it declares the four
/// AGS scopes.
#[test]
fn our_sdd_covers_the_official_ags_file() {
    let official_text = std::fs::read_to_string(
        ims_test_prerequisites::real_sdd_dir().join("lti_ags_v2p0_oas3.yaml"),
    )
    .unwrap();
    let official: Value = serde_yaml::from_str(&official_text).unwrap();
    let ours: Value = serde_json::from_str(ims_generated_example::lti_ags_v2p0::SDD_JSON).unwrap();

    // (method, last path segment kind, media types, query parameters) per operation.
    let shape = |doc: &Value| {
        let mut out = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            let tail = path.rsplit('/').next().unwrap();
            let tail = if tail.starts_with('{') { "{id}" } else { tail };
            for (method, op) in item.as_object().unwrap() {
                if !["get", "post", "put", "delete"].contains(&method.as_str()) {
                    continue;
                }
                let mut media: Vec<String> = Vec::new();
                for part in [
                    &op["requestBody"]["content"],
                    &op["responses"]["200"]["content"],
                    &op["responses"]["201"]["content"],
                ] {
                    if let Some(map) = part.as_object() {
                        media.extend(map.keys().cloned());
                    }
                }
                let mut query: Vec<String> = op["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|p| {
                        let p = match p.get("$ref").and_then(Value::as_str) {
                            Some(r) => {
                                &doc["components"]["parameters"][r.rsplit('/').next().unwrap()]
                            }
                            None => p,
                        };
                        (p["in"] == "query").then(|| p["name"].as_str().unwrap().to_owned())
                    })
                    .collect();
                media.sort();
                media.dedup();
                query.sort();
                out.push((method.clone(), tail.to_owned(), media, query));
            }
        }
        out.sort();
        out
    };
    assert_eq!(shape(&ours), shape(&official));
    let scopes: Vec<&str> =
        ours["components"]["securitySchemes"]["OAuth2CC"]["flows"]["clientCredentials"]["scopes"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
    assert_eq!(scopes, ALL);
}
