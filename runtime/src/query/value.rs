//! Field lookup and value comparison shared by [`super::filter`] and [`super::sort`].

use std::cmp::Ordering;

use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime};

/// Looks up a dotted path (`metadata.x`) in a JSON record; `None` when any step is missing or
/// is not an object.
pub fn lookup<'a>(record: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.')
        .try_fold(record, |current, segment| current.as_object()?.get(segment))
}

/// At most 40 characters of a request value, for error descriptions (responses echo them, so
/// keep them short).
pub(crate) fn excerpt(raw: &str) -> String {
    const MAX: usize = 40;
    match raw.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &raw[..cut]),
        None => raw.to_owned(),
    }
}

/// The text of a scalar JSON value, as a filter compares it; `None` for null, objects and arrays.
pub(crate) fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

/// Compares two texts the way IMS filters and sorts do: chronologically when both parse as
/// RFC 3339 date-times or both as `YYYY-MM-DD` dates, otherwise as case-insensitive strings
/// (Unicode lower-casing; not the full Unicode Collation Algorithm).
///
/// Numbers are compared by value only when the record holds a JSON number
/// ([`compare_scalar`], [`compare_values`]): string identifiers such as `"007"` stay text, so
/// `sourcedId='7'` does not match `"007"`.
pub(crate) fn compare_text(a: &str, b: &str) -> Ordering {
    if let (Ok(x), Ok(y)) = (
        OffsetDateTime::parse(a, &Rfc3339),
        OffsetDateTime::parse(b, &Rfc3339),
    ) {
        return x.cmp(&y);
    }
    let date = format_description!("[year]-[month]-[day]");
    if let (Ok(x), Ok(y)) = (Date::parse(a, date), Date::parse(b, date)) {
        return x.cmp(&y);
    }
    a.to_lowercase().cmp(&b.to_lowercase())
}

fn finite(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok().filter(|n| n.is_finite())
}

/// Compares a record's scalar value with a filter value: numerically when the record holds a
/// JSON number and the filter value parses as one, else as [`compare_text`]. `None` for null,
/// arrays and objects.
pub(crate) fn compare_scalar(actual: &Value, wanted: &str) -> Option<Ordering> {
    if let (Some(x), Some(y)) = (actual.as_f64(), finite(wanted)) {
        return x.partial_cmp(&y);
    }
    Some(compare_text(&scalar_text(actual)?, wanted))
}

/// What a sort compares a record's scalar value as. The variants are ranked in this order, so
/// values of different kinds still compare consistently.
enum SortKey {
    /// A JSON number.
    Number(f64),
    /// An RFC 3339 date-time, or a `YYYY-MM-DD` date taken as its midnight UTC.
    Instant(OffsetDateTime),
    /// Any other scalar, lower-cased.
    Text(String),
}

impl SortKey {
    fn of(value: &Value) -> Option<Self> {
        if let Some(n) = value.as_f64() {
            return Some(SortKey::Number(n));
        }
        let text = scalar_text(value)?;
        if let Ok(t) = OffsetDateTime::parse(&text, &Rfc3339) {
            return Some(SortKey::Instant(t));
        }
        let date = format_description!("[year]-[month]-[day]");
        if let Ok(d) = Date::parse(&text, date) {
            return Some(SortKey::Instant(d.midnight().assume_utc()));
        }
        Some(SortKey::Text(text.to_lowercase()))
    }

    fn rank(&self) -> u8 {
        match self {
            SortKey::Number(_) => 0,
            SortKey::Instant(_) => 1,
            SortKey::Text(_) => 2,
        }
    }
}

/// Compares two records' scalar values for sorting: JSON numbers by value, then date-times and
/// dates chronologically, then case-insensitive text; a value of an earlier kind sorts before
/// one of a later kind. `None` when either is not a scalar.
///
/// This is a total order, as `sort_by` requires: comparing mixed kinds as text (as filters do,
/// [`compare_text`]) is not transitive (`9 < 10` by value, `"10" < "10a"` and `"10a" < "9"` as
/// text), and gave inconsistent pages (fuzz target `query_collection`).
pub(crate) fn compare_values(a: &Value, b: &Value) -> Option<Ordering> {
    let (a, b) = (SortKey::of(a)?, SortKey::of(b)?);
    Some(match (&a, &b) {
        // serde_json holds finite numbers only, so `partial_cmp` always answers.
        (SortKey::Number(x), SortKey::Number(y)) => x.partial_cmp(y).unwrap_or(Ordering::Equal),
        (SortKey::Instant(x), SortKey::Instant(y)) => x.cmp(y),
        (SortKey::Text(x), SortKey::Text(y)) => x.cmp(y),
        _ => a.rank().cmp(&b.rank()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn echoed_values_are_cut_to_forty_characters() {
        assert_eq!(excerpt("short"), "short");
        assert_eq!(excerpt(&"é".repeat(100)), format!("{}…", "é".repeat(40)));
    }

    #[test]
    fn dotted_path_reaches_nested_members() {
        let record = json!({"metadata": {"x": "1"}});
        assert_eq!(lookup(&record, "metadata.x"), Some(&json!("1")));
        assert_eq!(lookup(&record, "metadata.y"), None);
        assert_eq!(lookup(&record, "metadata.x.z"), None);
    }

    #[test]
    fn json_numbers_compare_numerically_but_numeric_strings_stay_text() {
        assert_eq!(compare_scalar(&json!(9), "10"), Some(Ordering::Less));
        assert_eq!(compare_scalar(&json!(1), "1.0"), Some(Ordering::Equal));
        assert_eq!(compare_scalar(&json!("007"), "7"), Some(Ordering::Less));
        assert_eq!(compare_values(&json!(9), &json!(10)), Some(Ordering::Less));
        assert_eq!(
            compare_values(&json!("9"), &json!("10")),
            Some(Ordering::Greater)
        );
        assert_eq!(compare_values(&json!(null), &json!(1)), None);
    }

    #[test]
    fn dates_compare_chronologically_and_strings_ignore_case() {
        assert_eq!(
            compare_text("2024-01-02T00:00:00Z", "2024-01-01T23:00:00-02:00"),
            Ordering::Less
        );
        assert_eq!(compare_text("2024-02-01", "2024-10-01"), Ordering::Less);
        assert_eq!(compare_text("Student", "sTUDENT"), Ordering::Equal);
    }
}
