//! OneRoster / IMS collection query parameters as typed values: [`filter`], [`sort`]
//! (`sort` + `orderBy`), [`fields`] and [`paging`] (`limit` / `offset`, `Link`,
//! `X-Total-Count`), parsed together by [`CollectionQuery`].
//!
//! Error mapping (all 400): filter syntax or unknown filter field → `invalid_filter_field`;
//! blank `fields` → `invalid_selection_field`; bad `orderBy`, `limit`, `offset` or a repeated
//! parameter → `invaliddata`.

pub mod fields;
pub mod filter;
pub mod paging;
pub mod sort;
mod value;

pub use value::lookup;

use http::StatusCode;
use url::form_urlencoded;

use crate::imsx::{ImsError, code_minor};
use fields::Fields;
use filter::Filter;
use paging::{PageWindow, PagingLimits};
use sort::Sort;

/// The query parameters this module understands (names are case-sensitive).
pub const KNOWN_PARAMETERS: [&str; 6] = ["filter", "sort", "orderBy", "fields", "limit", "offset"];

/// All collection query parameters of one request.
///
/// ```
/// use ims_runtime::query::CollectionQuery;
///
/// let q = CollectionQuery::from_query_string(
///     "filter=role%3D%27student%27%20AND%20status%3D%27active%27&sort=familyName&orderBy=desc&limit=2&x=1",
/// )
/// .unwrap();
/// assert_eq!(q.filter.unwrap().predicates().len(), 2);
/// assert_eq!(q.page.limit, 2);
/// assert_eq!(q.extra, vec![("x".to_owned(), "1".to_owned())]);
///
/// let err = CollectionQuery::from_query_string("fields=").unwrap_err();
/// assert_eq!(err.code_minor(), "invalid_selection_field");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct CollectionQuery {
    /// `filter`, if given.
    pub filter: Option<Filter>,
    /// `sort` and `orderBy`.
    pub sort: Sort,
    /// `fields`, if given.
    pub fields: Option<Fields>,
    /// `limit` and `offset`.
    pub page: PageWindow,
    /// Other decoded parameters in request order (kept so `Link` URLs can preserve them).
    pub extra: Vec<(String, String)>,
}

impl CollectionQuery {
    /// Parses a raw (still percent-encoded) query string, without the leading `?`, with the
    /// default [`PagingLimits`].
    pub fn from_query_string(query: &str) -> Result<Self, ImsError> {
        Self::from_query_string_with(query, &PagingLimits::default())
    }

    /// Like [`CollectionQuery::from_query_string`] with explicit paging limits.
    pub fn from_query_string_with(query: &str, limits: &PagingLimits) -> Result<Self, ImsError> {
        let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        Self::from_pairs(&pairs, limits)
    }

    /// Parses already-decoded name/value pairs; reports the first error in the order
    /// duplicates, `filter`, `sort`/`orderBy`, `fields`, `limit`/`offset`.
    pub fn from_pairs(pairs: &[(String, String)], limits: &PagingLimits) -> Result<Self, ImsError> {
        let mut known: [Option<&str>; KNOWN_PARAMETERS.len()] = [None; KNOWN_PARAMETERS.len()];
        let mut extra = Vec::new();
        for (name, value) in pairs {
            match KNOWN_PARAMETERS.iter().position(|p| p == name) {
                Some(i) if known[i].is_some() => {
                    return Err(ImsError::new(
                        StatusCode::BAD_REQUEST,
                        code_minor::INVALID_DATA,
                        format!("the query parameter '{name}' is given more than once"),
                    ));
                }
                Some(i) => known[i] = Some(value.as_str()),
                None => extra.push((name.clone(), value.clone())),
            }
        }
        let [filter, sort, order_by, fields, limit, offset] = known;
        Ok(CollectionQuery {
            filter: filter.map(Filter::parse).transpose()?,
            sort: Sort::parse(sort, order_by)?,
            fields: fields.map(Fields::parse).transpose()?,
            page: PageWindow::parse(limit, offset, limits)?,
            extra,
        })
    }

    /// The decoded parameters to carry into `Link` URLs: everything except `limit`/`offset`,
    /// `filter`, `sort`/`orderBy` and `fields` in canonical form, then the extras.
    pub fn link_params(&self) -> Vec<(String, String)> {
        let mut params = Vec::new();
        if let Some(filter) = &self.filter {
            params.push(("filter".to_owned(), filter.to_string()));
        }
        if let Some(field) = &self.sort.field {
            params.push(("sort".to_owned(), field.clone()));
            let order = match self.sort.order {
                sort::Order::Asc => "asc",
                sort::Order::Desc => "desc",
            };
            params.push(("orderBy".to_owned(), order.to_owned()));
        }
        if let Some(fields) = &self.fields {
            params.push(("fields".to_owned(), fields.names().join(",")));
        }
        params.extend(self.extra.iter().cloned());
        params
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(q: &str) -> Result<CollectionQuery, ImsError> {
        CollectionQuery::from_query_string(q)
    }

    #[test]
    fn query_string_parser_never_panics_on_random_input() {
        use rand::rngs::StdRng;
        use rand::{Rng, SeedableRng};
        let pieces = [
            "filter=", "sort=", "orderBy=", "fields=", "limit=", "offset=", "&", "=", "%", "%2",
            "%27", "%3D", "+AND+", "+OR+", "a", "'", ",", "9", "-", "desc", "%FF", "\u{e9}",
        ];
        let mut rng = StdRng::seed_from_u64(0x0E05);
        let mut accepted = 0;
        for _ in 0..20_000 {
            let len = rng.random_range(0..12);
            let query: String = (0..len)
                .map(|_| pieces[rng.random_range(0..pieces.len())])
                .collect();
            match parse(&query) {
                Ok(q) => {
                    accepted += 1;
                    assert!(q.page.limit >= 1 && q.page.limit <= 1000, "{query:?}");
                }
                Err(e) => assert_eq!(e.status().as_u16(), 400, "{query:?}"),
            }
        }
        assert!(accepted > 0);
    }

    #[test]
    fn empty_query_gives_defaults() {
        let q = parse("").unwrap();
        assert_eq!(q.filter, None);
        assert_eq!(q.sort, Sort::default());
        assert_eq!(q.fields, None);
        assert_eq!(
            q.page,
            PageWindow {
                limit: 100,
                offset: 0
            }
        );
    }

    #[test]
    fn duplicated_limit_is_rejected() {
        let err = parse("limit=1&limit=2").unwrap_err();
        assert_eq!(err.status().as_u16(), 400);
        assert!(err.description().contains("'limit'"));
        assert!(parse("fields=a&fields=b").is_err());
    }

    #[test]
    fn each_parameter_error_has_its_code_minor() {
        assert_eq!(
            parse("filter=a").unwrap_err().code_minor(),
            "invalid_filter_field"
        );
        assert_eq!(
            parse("fields=%20").unwrap_err().code_minor(),
            "invalid_selection_field"
        );
        assert_eq!(parse("orderBy=up").unwrap_err().code_minor(), "invaliddata");
        assert_eq!(parse("offset=x").unwrap_err().code_minor(), "invaliddata");
    }

    #[test]
    fn plus_decodes_to_space_in_filter() {
        let q = parse("filter=a%3D%27x%27+OR+b%3D%27y%27").unwrap();
        assert!(matches!(
            q.filter,
            Some(Filter::Pair(_, filter::Joiner::Or, _))
        ));
    }

    #[test]
    fn link_params_round_trip_through_the_parser() {
        let q = parse("filter=a%3D%27O%27%27B%27&sort=n&fields=a,b&limit=5&offset=5&z=1").unwrap();
        let link = q.page.link_header(20, "h", &q.link_params()).unwrap();
        let next = link
            .split(", ")
            .find(|l| l.ends_with("rel=\"next\""))
            .unwrap();
        let next_query = &next[next.find('?').unwrap() + 1..next.find('>').unwrap()];
        let again = parse(next_query).unwrap();
        assert_eq!(again.filter, q.filter);
        assert_eq!(again.fields, q.fields);
        assert_eq!(again.sort, q.sort);
        assert_eq!(again.extra, q.extra);
        assert_eq!(
            again.page,
            PageWindow {
                limit: 5,
                offset: 10
            }
        );
    }
}
