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

/// The text of a scalar JSON value, as a filter compares it; `None` for null, objects and arrays.
pub(crate) fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

/// Compares two texts the way IMS filters and sorts do: numerically when both parse as numbers,
/// chronologically when both parse as RFC 3339 date-times or as `YYYY-MM-DD` dates, otherwise
/// as case-insensitive strings (Unicode lower-casing; not the full Unicode Collation Algorithm).
pub(crate) fn compare_text(a: &str, b: &str) -> Ordering {
    if let (Ok(x), Ok(y)) = (a.trim().parse::<f64>(), b.trim().parse::<f64>())
        && x.is_finite()
        && y.is_finite()
    {
        return x.partial_cmp(&y).unwrap_or(Ordering::Equal);
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dotted_path_reaches_nested_members() {
        let record = json!({"metadata": {"x": "1"}});
        assert_eq!(lookup(&record, "metadata.x"), Some(&json!("1")));
        assert_eq!(lookup(&record, "metadata.y"), None);
        assert_eq!(lookup(&record, "metadata.x.z"), None);
    }

    #[test]
    fn numbers_compare_numerically_not_lexically() {
        assert_eq!(compare_text("9", "10"), Ordering::Less);
        assert_eq!(compare_text("1.0", "1"), Ordering::Equal);
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
