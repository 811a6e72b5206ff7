//! The collection query parameters together (`CollectionQuery`: `filter`, `sort`/`orderBy`,
//! `fields`, `limit`/`offset`, extras) from a raw query string, then sorting, projecting and the
//! `Link` header a page answer carries.
//!
//! Input: the raw query string; optionally a newline and a JSON array of records to sort, filter
//! and project (the harness's own records otherwise).
//!
//! Properties: errors are 400; `limit` stays within the server's bounds; the parameters a
//! `Link` URL carries (`link_params`) parse back to the same query; `Sort::compare_json` is a
//! total order on the records (antisymmetric, transitive), as `sort_by` requires.
#![no_main]

use ims_runtime::query::CollectionQuery;
use ims_runtime::query::paging::PageWindow;
use ims_runtime::url::form_urlencoded;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let (query_bytes, records_json) = match data.iter().position(|b| *b == b'\n') {
        Some(i) => (&data[..i], Some(&data[i + 1..])),
        None => (data, None),
    };
    let raw = String::from_utf8_lossy(query_bytes);
    let query = match CollectionQuery::from_query_string(&raw) {
        Ok(q) => q,
        Err(e) => {
            assert_eq!(e.status().as_u16(), 400, "{raw:?}: {e:?}");
            return;
        }
    };
    assert!((1..=1000).contains(&query.page.limit), "{raw:?}");
    let mut link = form_urlencoded::Serializer::new(String::new());
    for (name, value) in query.link_params() {
        link.append_pair(&name, &value);
    }
    link.append_pair("limit", &query.page.limit.to_string());
    link.append_pair("offset", &query.page.offset.to_string());
    let link = link.finish();
    match CollectionQuery::from_query_string(&link) {
        Ok(again) => {
            assert_eq!(again.filter, query.filter, "{raw:?} → {link:?}");
            assert_eq!(again.fields, query.fields, "{raw:?} → {link:?}");
            assert_eq!(again.sort.field, query.sort.field, "{raw:?} → {link:?}");
            if query.sort.field.is_some() {
                assert_eq!(again.sort.order, query.sort.order, "{raw:?} → {link:?}");
            }
            assert_eq!(again.page, query.page, "{raw:?} → {link:?}");
            assert_eq!(again.extra, query.extra, "{raw:?} → {link:?}");
        }
        Err(e) => panic!("{raw:?}: its link parameters {link:?} do not parse: {e:?}"),
    }
    let own: Vec<serde_json::Value>;
    let records = match records_json.map(serde_json::from_slice::<Vec<serde_json::Value>>) {
        Some(Ok(list)) => {
            own = list;
            &own[..]
        }
        _ => ims_fuzz::records::records(),
    };
    ims_fuzz::records::assert_total_order(records, |a, b| query.sort.compare_json(a, b));
    let mut sorted: Vec<_> = records.iter().collect();
    sorted.sort_by(|a, b| query.sort.compare_json(a, b));
    if let Some(filter) = &query.filter {
        for record in records {
            let _ = filter.matches_json(record);
        }
    }
    if let Some(fields) = &query.fields {
        for record in records {
            let _ = fields.project(record);
            let _ = fields.project_wrapped(record, "users");
        }
    }
    let _ = query.page.range(records.len() as u64);
    let _ = query.page.link_header(
        u64::MAX,
        "https://api.fuzz.example/users",
        &query.link_params(),
    );
    let _ = PageWindow::total_count_value(records.len() as u64);
});
