//! Records the query targets filter, sort and project: each JSON kind the matching rules treat
//! apart (text, numbers, date-times, dates, booleans, null, arrays, nested objects).

use std::sync::OnceLock;

use serde_json::{Value, json};

/// A few OneRoster-like records.
pub fn records() -> &'static [Value] {
    static RECORDS: OnceLock<Vec<Value>> = OnceLock::new();
    RECORDS.get_or_init(|| {
        vec![
            json!({
                "sourcedId": "u1", "status": "active", "role": "student",
                "dateLastModified": "2026-01-02T03:04:05.678Z", "birthDate": "2010-05-06",
                "givenName": "Ada", "familyName": "O'Brien", "grades": ["09", "10"],
                "metadata": {"credits": 10, "ratio": 0.5, "flag": true, "none": null},
                "enabledUser": true, "identifier": "007"
            }),
            json!({
                "sourcedId": "u2", "status": "tobedeleted", "role": "teacher",
                "dateLastModified": "2025-12-31T23:59:59Z", "birthDate": "1980-02-29",
                "givenName": "Ünïcödé", "familyName": "", "grades": [],
                "metadata": {"credits": -1e300, "ratio": 18446744073709551615u64},
                "enabledUser": false, "identifier": null
            }),
            json!({"sourcedId": "u3", "grades": "10", "metadata": [1, "a", {"b": []}]}),
            json!([]),
            json!("not an object"),
        ]
    })
}

/// Panics unless `cmp` is a total order on `records`: `cmp(a, b)` is the reverse of `cmp(b, a)`,
/// and `a <= b <= c` gives `a <= c`. Only the first 12 records are checked (cubic cost).
pub fn assert_total_order(records: &[Value], cmp: impl Fn(&Value, &Value) -> std::cmp::Ordering) {
    use std::cmp::Ordering::Greater;
    let records = &records[..records.len().min(12)];
    for a in records {
        for b in records {
            assert_eq!(
                cmp(a, b),
                cmp(b, a).reverse(),
                "not antisymmetric: {a} vs {b}"
            );
            for c in records {
                if cmp(a, b) != Greater && cmp(b, c) != Greater {
                    assert_ne!(
                        cmp(a, c),
                        Greater,
                        "not transitive: {a} <= {b} <= {c}, but {a} > {c}"
                    );
                }
            }
        }
    }
}
