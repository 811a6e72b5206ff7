//! The `limit` / `offset` collection parameters and the `Link` / `X-Total-Count` headers.
//!
//! `limit` defaults to 100 with a minimum of 1; a value above the server's maximum
//! ([`PagingLimits::max_limit`], 1000 by default) is clamped to it rather than rejected (OneRoster
//! lets a server return fewer records than asked; the `Link` header tells the client how to go
//! on). `offset` defaults to 0. Non-numeric, negative or zero-limit values are 400 `invaliddata`.

use http::StatusCode;
use url::form_urlencoded;

use super::value::excerpt;
use crate::imsx::{ImsError, code_minor};

/// The response header carrying the total number of records.
pub const X_TOTAL_COUNT: &str = "X-Total-Count";

/// Server paging settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PagingLimits {
    /// `limit` when the request has none (OneRoster: 100).
    pub default_limit: u64,
    /// Largest `limit` served; larger requests are clamped to it.
    pub max_limit: u64,
}

impl Default for PagingLimits {
    fn default() -> Self {
        PagingLimits {
            default_limit: 100,
            max_limit: 1000,
        }
    }
}

/// One page of a collection.
///
/// ```
/// use ims_runtime::query::paging::{PageWindow, PagingLimits};
///
/// let page = PageWindow::parse(Some("2"), Some("2"), &PagingLimits::default()).unwrap();
/// let link = page
///     .link_header(5, "https://sis.example/users", &[("filter".into(), "role='student'".into())])
///     .unwrap();
/// assert!(link.contains(r#"<https://sis.example/users?filter=role%3D%27student%27&limit=2&offset=4>; rel="next""#));
/// assert!(PageWindow::parse(Some("0"), None, &PagingLimits::default()).is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageWindow {
    /// Records per page (≥ 1).
    pub limit: u64,
    /// Records skipped (≥ 0).
    pub offset: u64,
}

fn bad_request(description: String) -> ImsError {
    ImsError::new(
        StatusCode::BAD_REQUEST,
        code_minor::INVALID_DATA,
        description,
    )
}

fn parse_count(name: &str, raw: &str) -> Result<u64, ImsError> {
    let text = raw.trim();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad_request(format!(
            "{name} must be a non-negative whole number, got '{}'",
            excerpt(raw)
        )));
    }
    // All digits, so the only failure left is overflow: saturate, the caller clamps anyway.
    Ok(text.parse::<u64>().unwrap_or(u64::MAX))
}

impl PageWindow {
    /// Parses raw `limit` and `offset` values (absent → defaults).
    pub fn parse(
        limit: Option<&str>,
        offset: Option<&str>,
        limits: &PagingLimits,
    ) -> Result<Self, ImsError> {
        let limit = match limit {
            None => limits.default_limit,
            Some(raw) => {
                let n = parse_count("limit", raw)?;
                if n == 0 {
                    return Err(bad_request("limit must be at least 1".to_owned()));
                }
                n
            }
        };
        let offset = offset.map_or(Ok(0), |raw| parse_count("offset", raw))?;
        Ok(PageWindow {
            limit: limit.clamp(1, limits.max_limit.max(1)),
            offset,
        })
    }

    /// The index range of this page inside a collection of `total` records.
    pub fn range(&self, total: u64) -> std::ops::Range<u64> {
        let start = self.offset.min(total);
        start..start.saturating_add(self.limit).min(total)
    }

    /// The `X-Total-Count` header value.
    pub fn total_count_value(total: u64) -> String {
        total.to_string()
    }

    /// Builds an RFC 8288 `Link` header value with `first` and `last` always, `next` while records
    /// remain after this page and `prev` when `offset > 0`.
    ///
    /// `base_url` is the collection URL without a query; `other_params` are the request's other
    /// decoded query parameters (any `limit`/`offset` among them is dropped), re-encoded in order
    /// before `limit` and `offset`. `None` when `base_url` already has a query or fragment.
    pub fn link_header(
        &self,
        total: u64,
        base_url: &str,
        other_params: &[(String, String)],
    ) -> Option<String> {
        if base_url.contains(['?', '#']) {
            return None;
        }
        let last_offset = if total == 0 {
            0
        } else {
            (total - 1) / self.limit * self.limit
        };
        let link = |offset: u64, rel: &str| {
            let mut query = form_urlencoded::Serializer::new(String::new());
            for (k, v) in other_params {
                if k != "limit" && k != "offset" {
                    query.append_pair(k, v);
                }
            }
            query.append_pair("limit", &self.limit.to_string());
            query.append_pair("offset", &offset.to_string());
            format!("<{base_url}?{}>; rel=\"{rel}\"", query.finish())
        };
        let mut links = vec![link(0, "first")];
        if self.offset > 0 {
            links.push(link(self.offset.saturating_sub(self.limit), "prev"));
        }
        if self.offset.saturating_add(self.limit) < total {
            links.push(link(self.offset + self.limit, "next"));
        }
        links.push(link(last_offset, "last"));
        Some(links.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> PagingLimits {
        PagingLimits::default()
    }

    #[test]
    fn absent_limit_and_offset_use_defaults() {
        assert_eq!(
            PageWindow::parse(None, None, &limits()).unwrap(),
            PageWindow {
                limit: 100,
                offset: 0
            }
        );
    }

    #[test]
    fn limit_above_max_is_clamped() {
        let page = PageWindow::parse(Some("5000"), None, &limits()).unwrap();
        assert_eq!(page.limit, 1000);
        let huge = PageWindow::parse(Some("99999999999999999999999"), None, &limits()).unwrap();
        assert_eq!(huge.limit, 1000);
    }

    #[test]
    fn zero_negative_or_non_numeric_limit_is_rejected() {
        for raw in ["0", "-1", "ten", "", "1.5", "+3"] {
            let err = PageWindow::parse(Some(raw), None, &limits()).unwrap_err();
            assert_eq!(err.status().as_u16(), 400, "{raw:?}");
            assert_eq!(err.code_minor(), "invaliddata");
        }
        assert!(PageWindow::parse(None, Some("-1"), &limits()).is_err());
        assert_eq!(
            PageWindow::parse(None, Some("0"), &limits())
                .unwrap()
                .offset,
            0
        );
    }

    #[test]
    fn middle_page_links_first_prev_next_last() {
        let page = PageWindow {
            limit: 10,
            offset: 10,
        };
        let link = page.link_header(35, "https://x/users", &[]).unwrap();
        assert_eq!(
            link,
            "<https://x/users?limit=10&offset=0>; rel=\"first\", \
             <https://x/users?limit=10&offset=0>; rel=\"prev\", \
             <https://x/users?limit=10&offset=20>; rel=\"next\", \
             <https://x/users?limit=10&offset=30>; rel=\"last\""
        );
    }

    #[test]
    fn first_page_has_no_prev_and_last_page_has_no_next() {
        let first = PageWindow {
            limit: 10,
            offset: 0,
        }
        .link_header(20, "h", &[])
        .unwrap();
        assert!(!first.contains("prev") && first.contains("next"));
        let last = PageWindow {
            limit: 10,
            offset: 10,
        }
        .link_header(20, "h", &[])
        .unwrap();
        assert!(last.contains("prev") && !last.contains("next"));
        let empty = PageWindow {
            limit: 10,
            offset: 0,
        }
        .link_header(0, "h", &[])
        .unwrap();
        assert_eq!(
            empty,
            "<h?limit=10&offset=0>; rel=\"first\", <h?limit=10&offset=0>; rel=\"last\""
        );
    }

    #[test]
    fn links_preserve_other_parameters_percent_encoded() {
        let params = vec![
            ("filter".to_owned(), "a='x y>' AND b~'&'".to_owned()),
            ("limit".to_owned(), "999".to_owned()),
            ("fields".to_owned(), "a,b".to_owned()),
        ];
        let link = PageWindow {
            limit: 1,
            offset: 0,
        }
        .link_header(2, "h", &params)
        .unwrap();
        assert!(
            link.starts_with(
                "<h?filter=a%3D%27x+y%3E%27+AND+b%7E%27%26%27&fields=a%2Cb&limit=1&offset=0>"
            ),
            "{link}"
        );
        assert!(
            PageWindow {
                limit: 1,
                offset: 0
            }
            .link_header(2, "h?x=1", &[])
            .is_none()
        );
    }

    #[test]
    fn range_is_bounded_by_total() {
        assert_eq!(
            PageWindow {
                limit: 10,
                offset: 5
            }
            .range(8),
            5..8
        );
        assert_eq!(
            PageWindow {
                limit: 10,
                offset: 50
            }
            .range(8),
            8..8
        );
    }
}
