//! The `sort` and `orderBy` collection parameters.
//!
//! `sort` names one field; `orderBy` is `asc` or `desc` (case-insensitive here; default `asc`).
//! A bad `orderBy` is a 400 error; an unknown `sort` field is not: OneRoster says the default order
//! is used, so [`Sort::validate_field`] reports [`SortField::Ignored`].

use std::cmp::Ordering;

use http::StatusCode;
use serde_json::Value;

use super::value::{compare_values, excerpt, lookup, scalar_text};
use crate::imsx::{ImsError, code_minor};

/// Sort direction (`orderBy`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Order {
    /// `asc` (the default).
    #[default]
    Asc,
    /// `desc`.
    Desc,
}

/// A parsed `sort` + `orderBy` pair.
///
/// ```
/// use ims_runtime::query::sort::{Order, Sort, SortField};
///
/// let sort = Sort::parse(Some("familyName"), Some("desc")).unwrap();
/// assert_eq!(sort.order, Order::Desc);
/// assert_eq!(sort.validate_field(&["familyName"]), SortField::Known("familyName"));
/// assert_eq!(sort.validate_field(&["givenName"]), SortField::Ignored);
/// assert!(Sort::parse(None, Some("up")).is_err());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sort {
    /// The field to sort on; `None` for the default order.
    pub field: Option<String>,
    /// The direction.
    pub order: Order,
}

/// The outcome of checking a sort field against the known ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortField<'a> {
    /// No `sort` was given.
    Default,
    /// A known field: sort on it.
    Known(&'a str),
    /// An unknown field: use the default order (not an error, per OneRoster §3.2).
    Ignored,
}

impl Sort {
    /// Parses the raw `sort` and `orderBy` values. A blank `sort` means the default order.
    ///
    /// Errors: an `orderBy` other than `asc`/`desc` → 400 `invaliddata`.
    pub fn parse(sort: Option<&str>, order_by: Option<&str>) -> Result<Self, ImsError> {
        let order = match order_by.map(str::trim) {
            None => Order::Asc,
            Some(o) if o.eq_ignore_ascii_case("asc") => Order::Asc,
            Some(o) if o.eq_ignore_ascii_case("desc") => Order::Desc,
            Some(other) => {
                return Err(ImsError::new(
                    StatusCode::BAD_REQUEST,
                    code_minor::INVALID_DATA,
                    format!("invalid orderBy '{}': use 'asc' or 'desc'", excerpt(other)),
                ));
            }
        };
        let field = sort
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        Ok(Sort { field, order })
    }

    /// Checks the sort field against `allowed`.
    pub fn validate_field<'a>(&self, allowed: &[&'a str]) -> SortField<'a> {
        match &self.field {
            None => SortField::Default,
            Some(field) => allowed
                .iter()
                .find(|a| **a == field)
                .map_or(SortField::Ignored, |a| SortField::Known(a)),
        }
    }

    /// Orders two JSON records on the sort field (dotted paths allowed) in the requested
    /// direction: JSON numbers by value, then dates, then case-insensitive text. Records
    /// missing the field sort last in either direction; with no field every pair is `Equal`, so
    /// a stable sort keeps the default order.
    pub fn compare_json(&self, a: &Value, b: &Value) -> Ordering {
        let Some(field) = &self.field else {
            return Ordering::Equal;
        };
        // Non-scalar values (objects, arrays, null) sort like missing ones.
        fn key<'a>(record: &'a Value, field: &str) -> Option<&'a Value> {
            lookup(record, field).filter(|v| scalar_text(v).is_some())
        }
        match (key(a, field), key(b, field)) {
            (Some(x), Some(y)) => {
                let ordering = compare_values(x, y).unwrap_or(Ordering::Equal);
                match self.order {
                    Order::Asc => ordering,
                    Order::Desc => ordering.reverse(),
                }
            }
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn order_by_defaults_to_asc_and_accepts_desc() {
        assert_eq!(Sort::parse(Some("a"), None).unwrap().order, Order::Asc);
        assert_eq!(
            Sort::parse(Some("a"), Some("DESC")).unwrap().order,
            Order::Desc
        );
    }

    #[test]
    fn bad_order_by_is_rejected() {
        let err = Sort::parse(Some("a"), Some("sideways")).unwrap_err();
        assert_eq!(err.status().as_u16(), 400);
        assert!(err.description().contains("'sideways'"));
    }

    #[test]
    fn unknown_sort_field_falls_back_to_default_order() {
        let sort = Sort::parse(Some("bogus"), None).unwrap();
        assert_eq!(sort.validate_field(&["a"]), SortField::Ignored);
        assert_eq!(
            Sort::parse(Some(" "), None).unwrap().validate_field(&["a"]),
            SortField::Default
        );
    }

    #[test]
    fn compare_json_sorts_numbers_by_value_and_missing_last() {
        let mut rows = vec![
            json!({"n": 10}),
            json!({}),
            json!({"n": 9}),
            json!({"n": 100}),
        ];
        let sort = Sort::parse(Some("n"), Some("desc")).unwrap();
        rows.sort_by(|a, b| sort.compare_json(a, b));
        assert_eq!(
            rows,
            vec![
                json!({"n": 100}),
                json!({"n": 10}),
                json!({"n": 9}),
                json!({})
            ]
        );
    }
}
