//! `ApiClient::stream_records` over loopback TLS: Link rel=next, limit/offset fallback with and
//! without X-Total-Count, loops, the page bound, foreign next links.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::client_api_support as support;

use std::collections::BTreeSet;

use futures_util::{StreamExt, TryStreamExt};
use ims_runtime::client::{ApiError, ApiRequest, ListQuery};
use support::*;

fn users(path: &str) -> ApiRequest {
    ApiRequest::new(http::Method::GET, "/api")
        .path(path)
        .scopes(GOOD)
}

fn extract(page: Recs) -> Vec<Rec> {
    page.users.unwrap_or_default()
}

#[tokio::test]
async fn link_next_pages_through_1050_records_each_exactly_once() {
    let f = start().await;
    let api = f.client();
    let records: Vec<Rec> = api
        .stream_records(users("/link/users"), ListQuery::new().limit(100), extract)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(records.len(), 1_050);
    let ids: BTreeSet<u64> = records.iter().map(|r| r.id).collect();
    assert_eq!(ids.len(), 1_050, "no record twice");
    assert_eq!(
        ids.iter().copied().collect::<Vec<_>>(),
        (0..1_050).collect::<Vec<_>>()
    );
    assert_eq!(f.seen.hits("link"), 11);
    // One token for the scope, reused for every page.
    assert_eq!(f.seen.token_scopes.lock().unwrap().len(), 1);
    assert!(
        f.seen
            .authorizations
            .lock()
            .unwrap()
            .iter()
            .all(|a| a.as_deref() == Some("Bearer tok_https://example.test/scope/roster.readonly"))
    );
}

#[tokio::test]
async fn without_link_paging_uses_offset_until_x_total_count() {
    let f = start().await;
    let api = f.client();
    let records: Vec<Rec> = api
        .stream_records(
            users("/total/users"),
            ListQuery::new().limit(100).offset(50),
            extract,
        )
        .try_collect()
        .await
        .unwrap();
    assert_eq!(records.first().map(|r| r.id), Some(50));
    assert_eq!(records.len(), 1_000);
    assert_eq!(
        records.iter().map(|r| r.id).collect::<BTreeSet<_>>().len(),
        1_000
    );
    // 50..1050 in pages of 100: 10 pages, and none past the total.
    assert_eq!(f.seen.hits("total"), 10);
}

#[tokio::test]
async fn without_link_or_total_a_short_page_ends_paging() {
    let f = start().await;
    let api = f.client();
    let records: Vec<Rec> = api
        .stream_records(users("/bare/users"), ListQuery::new().limit(300), extract)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(records.len(), 1_050);
    // 300, 300, 300, 150 (short: stop).
    assert_eq!(f.seen.hits("bare"), 4);
}

#[tokio::test]
async fn a_next_link_to_the_same_page_stops_with_paging_loop() {
    let f = start().await;
    let api = f.client();
    let items: Vec<Result<Rec, ApiError>> = api
        .stream_records(users("/loop/users"), ListQuery::new().limit(2), extract)
        .collect()
        .await;
    assert_eq!(
        items.len(),
        3,
        "two records, then the error, then the end: {items:?}"
    );
    assert!(items[0].is_ok() && items[1].is_ok());
    assert!(
        matches!(items[2], Err(ApiError::PagingLoop { .. })),
        "{:?}",
        items[2]
    );
    assert_eq!(
        f.seen.hits("loop"),
        1,
        "the repeated URL is not fetched again"
    );
}

#[tokio::test]
async fn the_page_bound_stops_endless_paging() {
    let f = start().await;
    let api = f.client().with_max_pages(5);
    let items: Vec<Result<Rec, ApiError>> = api
        .stream_records(users("/endless/users"), ListQuery::new(), extract)
        .collect()
        .await;
    assert_eq!(items.iter().filter(|r| r.is_ok()).count(), 5);
    assert!(matches!(
        items.last(),
        Some(Err(ApiError::TooManyPages { max: 5 }))
    ));
    assert_eq!(f.seen.hits("endless"), 5);
}

#[tokio::test]
async fn a_next_link_to_another_origin_is_not_followed() {
    let f = start().await;
    let api = f.client();
    let items: Vec<Result<Rec, ApiError>> = api
        .stream_records(users("/foreign/users"), ListQuery::new(), extract)
        .collect()
        .await;
    assert!(items[0].is_ok());
    assert!(
        matches!(&items[1], Err(ApiError::ForeignLink { url }) if url.starts_with("https://attacker.example/"))
    );
    assert_eq!(items.len(), 2);
}

#[tokio::test]
async fn one_page_carries_total_next_and_links() {
    let f = start().await;
    let api = f.client();
    let page = api
        .call_page::<Recs>(users("/link/users").list_query(&ListQuery::new().limit(10).offset(20)))
        .await
        .unwrap();
    assert_eq!(page.body.users.unwrap().len(), 10);
    assert_eq!(page.total, Some(1_050));
    let next = page.next.unwrap();
    assert_eq!(next.path(), "/api/link/users");
    assert_eq!(next.query(), Some("limit=10&offset=30"));
    assert_eq!(
        page.links
            .iter()
            .map(|(r, _)| r.as_str())
            .collect::<Vec<_>>(),
        ["first", "next"]
    );
}
