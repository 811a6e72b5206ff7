//! `ims_runtime::server::select`: filter → sort → page over in-memory records.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ims_runtime::query::CollectionQuery;
use ims_runtime::server::select;
use serde::Serialize;
use serde_json::{Value, json};

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
struct User {
    sourced_id: &'static str,
    family_name: Option<&'static str>,
    role: &'static str,
    grade: Option<u8>,
}

fn users() -> Vec<User> {
    vec![
        User {
            sourced_id: "1",
            family_name: Some("ng"),
            role: "student",
            grade: Some(9),
        },
        User {
            sourced_id: "2",
            family_name: Some("Adams"),
            role: "teacher",
            grade: None,
        },
        User {
            sourced_id: "3",
            family_name: None,
            role: "student",
            grade: Some(10),
        },
        User {
            sourced_id: "4",
            family_name: Some("brown"),
            role: "student",
            grade: Some(2),
        },
    ]
}

fn q(query: &str) -> CollectionQuery {
    CollectionQuery::from_query_string(query).unwrap()
}

fn ids(items: &[User]) -> Vec<&str> {
    items.iter().map(|u| u.sourced_id).collect()
}

#[test]
fn no_parameters_keep_the_given_order() {
    let all = users();
    let page = select(&all, &q(""));
    assert_eq!(page.total, 4);
    assert_eq!(ids(&page.items), ["1", "2", "3", "4"]);
}

#[test]
fn filter_counts_every_match_and_pages_after() {
    let all = users();
    let page = select(&all, &q("filter=role%3D%27student%27&limit=2&offset=1"));
    assert_eq!(page.total, 3);
    assert_eq!(ids(&page.items), ["3", "4"]);
    let page = select(&all, &q("filter=grade%3E%275%27+AND+role%3D%27student%27"));
    assert_eq!(ids(&page.items), ["1", "3"]);
}

#[test]
fn sort_is_case_insensitive_numeric_and_puts_missing_last() {
    let all = users();
    let page = select(&all, &q("sort=familyName"));
    assert_eq!(ids(&page.items), ["2", "4", "1", "3"]);
    let page = select(&all, &q("sort=familyName&orderBy=desc"));
    assert_eq!(ids(&page.items), ["1", "4", "2", "3"]);
    let page = select(&all, &q("sort=grade"));
    assert_eq!(ids(&page.items), ["4", "1", "3", "2"]);
}

#[test]
fn unknown_sort_field_keeps_the_given_order() {
    let all = users();
    assert_eq!(
        ids(&select(&all, &q("sort=shoeSize")).items),
        ["1", "2", "3", "4"]
    );
}

#[test]
fn offset_past_the_end_is_an_empty_page_with_the_total() {
    let all = users();
    let page = select(&all, &q("offset=10"));
    assert!(page.items.is_empty());
    assert_eq!(page.total, 4);
    let none: Vec<Value> = Vec::new();
    assert_eq!(select(&none, &q("")).total, 0);
}

#[test]
fn works_on_json_values_and_dotted_fields() {
    let records = vec![
        json!({"sourcedId": "a", "metadata": {"tier": "gold"}}),
        json!({"sourcedId": "b", "metadata": {"tier": "silver"}}),
    ];
    let page = select(&records, &q("filter=metadata.tier%3D%27silver%27"));
    assert_eq!(page.items, [records[1].clone()]);
}
