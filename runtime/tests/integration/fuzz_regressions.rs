//! Inputs that crashed a fuzz target (`fuzz/`), each a test named after the target and the
//! crash, with the input inline. The inputs also live in `fuzz/corpus/<target>/`, so the bounded
//! CI fuzzing run replays them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::cmp::Ordering;

use ims_runtime::query::CollectionQuery;
use ims_runtime::server::select;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::authz_support::{Harness, ROSTER_RO, assert_oauth_error};

fn assert_total_order(records: &[Value], cmp: impl Fn(&Value, &Value) -> Ordering) {
    for a in records {
        for b in records {
            assert_eq!(cmp(a, b), cmp(b, a).reverse(), "{a} vs {b}");
            for c in records {
                if cmp(a, b) != Ordering::Greater && cmp(b, c) != Ordering::Greater {
                    assert_ne!(
                        cmp(a, c),
                        Ordering::Greater,
                        "{a} <= {b} <= {c} but {a} > {c}"
                    );
                }
            }
        }
    }
}

/// query_collection crash bd012309: `sort` on a member holding numbers, dates and text compared
/// mixed kinds as text, which is not transitive (10 > 9 by value, "10" < "2024-01-01" and
/// "2024-01-01" < "9" as text), so `sort_by` got an inconsistent order and pages could skip or
/// repeat records.
#[test]
fn query_collection_bd012309_sort_on_mixed_kinds_is_a_total_order() {
    let input = "sort=metadata.x\n[{\"metadata\":{\"x\":10}},{\"metadata\":{\"x\":9}},\
        {\"metadata\":{\"x\":\"2024-01-01\"}},{\"metadata\":{\"x\":\"abc\"}},\
        {\"metadata\":{\"x\":true}},{\"metadata\":{\"x\":null}},{}]";
    let (query, records) = input.split_once('\n').unwrap();
    let query = CollectionQuery::from_query_string(query).unwrap();
    let records: Vec<Value> = serde_json::from_str(records).unwrap();
    assert_total_order(&records, |a, b| query.sort.compare_json(a, b));
    // The documented order: numbers by value, then dates, then text; non-scalars and missing last.
    let page = select(&records, &query);
    let xs: Vec<Value> = page
        .items
        .iter()
        .map(|r| r.pointer("/metadata/x").cloned().unwrap_or(Value::Null))
        .collect();
    assert_eq!(
        xs,
        [
            json!(9),
            json!(10),
            json!("2024-01-01"),
            json!("abc"),
            json!(true),
            Value::Null,
            Value::Null
        ]
    );
}

/// The same with date-times in several offsets next to text that looks like one: an instant
/// order and a text order disagree, so they are ranked apart.
#[test]
fn query_collection_bd012309_date_times_and_look_alike_text_sort_consistently() {
    let records: Vec<Value> = [
        "2024-01-01T10:00:00+05:00",
        "2024-01-01T06:00:00Z",
        "2024-01-01T07",
        "2024-01-01",
        "2023-12-31T23:00:00-02:00",
    ]
    .iter()
    .map(|x| json!({ "x": x }))
    .collect();
    for order in ["asc", "desc"] {
        let query = CollectionQuery::from_query_string(&format!("sort=x&orderBy={order}")).unwrap();
        assert_total_order(&records, |a, b| query.sort.compare_json(a, b));
    }
    let query = CollectionQuery::from_query_string("sort=x").unwrap();
    let sorted: Vec<Value> = select(&records, &query)
        .items
        .into_iter()
        .map(|r| r["x"].clone())
        .collect();
    assert_eq!(
        sorted,
        [
            json!("2024-01-01"),
            json!("2023-12-31T23:00:00-02:00"),
            json!("2024-01-01T10:00:00+05:00"),
            json!("2024-01-01T06:00:00Z"),
            json!("2024-01-01T07"),
        ]
    );
}

/// oauth_register crash 6dca4540: `GET /register/{client_id}` with a `client_id` that does not
/// percent-decode to UTF-8 got axum's plain-text 400 (`Invalid URL: Invalid UTF-8 in
/// client_id`) instead of the RFC 7592 answer for a client that does not exist: 401
/// `invalid_token`, and the presented registration access token is revoked.
#[tokio::test]
async fn oauth_register_6dca4540_undecodable_client_id_is_an_unknown_client() {
    let h = Harness::start().await;
    let body = json!({
        "client_name": "Wallet", "client_uri": "https://w.example/",
        "logo_uri": "https://w.example/l.png", "tos_uri": "https://w.example/tos",
        "policy_uri": "https://w.example/p", "software_id": "c88b6ed8-269e-448e-99be-7e2ff47167d1",
        "software_version": "1.0.0", "redirect_uris": ["https://w.example/cb"], "scope": ROSTER_RO,
        "token_endpoint_auth_method": "client_secret_basic",
        "grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"],
        "contacts": ["a@w.example"],
    });
    let r = h
        .http
        .post(h.url("/register"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: Value = r.json().await.unwrap();
    let rat = v["registration_access_token"].as_str().unwrap();
    let own = v["registration_client_uri"].as_str().unwrap();
    for method in [
        reqwest::Method::GET,
        reqwest::Method::PUT,
        reqwest::Method::DELETE,
    ] {
        let r = h
            .http
            .request(method.clone(), h.url("/register/%FF%FE"))
            .bearer_auth("not-a-registration-token")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_oauth_error(r, StatusCode::UNAUTHORIZED, "invalid_token").await;
    }
    // With a real registration token: 401 as well, and the token is revoked (RFC 7592 §2).
    let r = h
        .http
        .get(h.url("/register/%FF"))
        .bearer_auth(rat)
        .send()
        .await
        .unwrap();
    assert_oauth_error(r, StatusCode::UNAUTHORIZED, "invalid_token").await;
    let r = h.http.get(own).bearer_auth(rat).send().await.unwrap();
    assert_oauth_error(r, StatusCode::UNAUTHORIZED, "invalid_token").await;
}
