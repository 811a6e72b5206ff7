//! [`select()`]: the filter → sort → page pipeline over records held in memory.

use serde::Serialize;
use serde_json::Value;

use crate::query::CollectionQuery;

/// One page of records chosen by [`select()`] and how many records matched in total.
#[derive(Clone, Debug, PartialEq)]
pub struct Selection<T> {
    /// The records of the requested page, in order.
    pub items: Vec<T>,
    /// Records matching the filter across all pages (the `X-Total-Count`).
    pub total: u64,
}

/// Applies `query` to `records`: keeps those matching the filter (evaluated on each record's
/// JSON form), sorts them stably on the sort field (records missing it last; no or an unknown
/// field keeps the given order), then cuts the `limit`/`offset` window.
///
/// With a filter or sort, each record is evaluated on its JSON form and a record that cannot be
/// serialized never matches (logged); without either, only the page window is cloned.
///
/// ```
/// use ims_runtime::query::CollectionQuery;
/// use ims_runtime::server::select;
/// use serde_json::json;
///
/// let users = vec![
///     json!({"sourcedId": "1", "familyName": "Ng", "role": "student"}),
///     json!({"sourcedId": "2", "familyName": "Adams", "role": "teacher"}),
///     json!({"sourcedId": "3", "familyName": "Brown", "role": "student"}),
/// ];
/// let q = CollectionQuery::from_query_string("filter=role%3D%27student%27&sort=familyName&limit=1").unwrap();
/// let page = select(&users, &q);
/// assert_eq!(page.total, 2);
/// assert_eq!(page.items, [users[2].clone()]);
/// ```
pub fn select<'a, T: Serialize + Clone + 'a>(
    records: impl IntoIterator<Item = &'a T>,
    query: &CollectionQuery,
) -> Selection<T> {
    if query.filter.is_none() && query.sort.field.is_none() {
        // Nothing to evaluate: only the page window is cloned, no record becomes JSON.
        let all: Vec<&'a T> = records.into_iter().collect();
        let total = all.len() as u64;
        let (start, end) = window(query, total);
        let items = all[start.min(all.len())..end.min(all.len())]
            .iter()
            .map(|record| (*record).clone())
            .collect();
        return Selection { items, total };
    }
    let mut matching: Vec<(&'a T, Value)> = Vec::new();
    for record in records {
        let json = match serde_json::to_value(record) {
            Ok(json) => json,
            Err(e) => {
                tracing::warn!(error = %e, "record skipped: it cannot be serialized to JSON");
                continue;
            }
        };
        if query.filter.as_ref().is_none_or(|f| f.matches_json(&json)) {
            matching.push((record, json));
        }
    }
    if query.sort.field.is_some() {
        matching.sort_by(|a, b| query.sort.compare_json(&a.1, &b.1));
    }
    let total = matching.len() as u64;
    let (start, end) = window(query, total);
    let items = matching
        .into_iter()
        .skip(start)
        .take(end.saturating_sub(start))
        .map(|(record, _)| record.clone())
        .collect();
    Selection { items, total }
}

/// The page window over `total` records as indexes.
fn window(query: &CollectionQuery, total: u64) -> (usize, usize) {
    let range = query.page.range(total);
    // The range is within `0..total`, and `total` came from a `usize`, so these fit.
    let start = usize::try_from(range.start).unwrap_or(usize::MAX);
    let end = usize::try_from(range.end).unwrap_or(usize::MAX);
    (start, end)
}
