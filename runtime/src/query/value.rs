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

/// Compares two records' scalar values: numerically when both are JSON numbers, else as
/// [`compare_text`]. `None` when either is not a scalar.
pub(crate) fn compare_values(a: &Value, b: &Value) -> Option<Ordering> {
    if let (Some(x), Some(y)) = (a.as_f64(), b.as_f64()) {
        return x.partial_cmp(&y);
    }
    Some(compare_text(&scalar_text(a)?, &scalar_text(b)?))
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
