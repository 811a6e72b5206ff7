//! Lists paged by an opaque token and `Link: <…>; rel="next"` (the `limit-page` convention of
//! LTI Assignment and Grade Services 2.0 and Names and Role Provisioning Services 2.0), and JSON
//! answers sent as a vendor media type (`application/vnd.ims.lis.v2.lineitem+json`, …).
//!
//! The service method returns a [`LinkedPage`]: the page and, when more records follow, the
//! token of the next page. The handler answers with the page and a `Link` to the same request
//! with the token in the page parameter; the token is opaque to clients, who follow the link as
//! given. The link is a path-absolute reference, resolved against the request URL (RFC 8288
//! §3.1), unless the router was given a public origin ([`ServiceRouter::with_public_origin`]).
//!
//! [`ServiceRouter::with_public_origin`]: super::ServiceRouter::with_public_origin

use axum::response::IntoResponse;
use http::{HeaderValue, header};
use serde::Serialize;
use url::form_urlencoded;

use super::handler::Handled;
use super::input::RequestInput;
use super::respond;
use crate::imsx::ImsError;
use crate::query::fields::Fields;

/// What the method of a list paged by `Link: rel="next"` returns: one page, and the opaque
/// token of the next page when more records follow (`None` on the last page).
#[derive(Clone, Debug, PartialEq)]
pub struct LinkedPage<T> {
    /// The page, e.g. `Vec<LineItem>` or a `MembershipContainer`.
    pub body: T,
    /// The token the handler writes into the page parameter of the `next` link.
    pub next_page: Option<String>,
}

impl<T> LinkedPage<T> {
    /// The last page (no `next` link).
    pub fn last(body: T) -> Self {
        LinkedPage {
            body,
            next_page: None,
        }
    }

    /// A page followed by the page whose token is `next_page`.
    pub fn with_next(body: T, next_page: impl Into<String>) -> Self {
        LinkedPage {
            body,
            next_page: Some(next_page.into()),
        }
    }
}

/// The `next` link of a request: its path and query with `page_param` set to `token` (every
/// other parameter, `limit` included, kept in order), prefixed with the router's public origin
/// when it has one.
pub fn next_link(input: &RequestInput, page_param: &str, token: &str) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (k, v) in input.query_pairs() {
        if k != page_param {
            query.append_pair(k, v);
        }
    }
    query.append_pair(page_param, token);
    let origin = input.settings().public_origin.as_deref().unwrap_or("");
    format!(
        "<{origin}{}?{}>; rel=\"next\"",
        input.path(),
        query.finish()
    )
}

/// The answer of a list paged by `Link: rel="next"`: 200 with `page.body` as JSON sent as
/// `media_type` (`None`: `application/json`) and, when `page.next_page` is set, `Link` to the
/// next page (see [`next_link`]). A link longer than
/// [`MAX_LINK_HEADER_BYTES`](respond::MAX_LINK_HEADER_BYTES) is an error rather than a silently
/// truncated list.
///
/// # Errors
/// 500 when the body cannot be serialized or the link cannot be a header.
pub fn linked_page<T: Serialize>(
    input: &RequestInput,
    page_param: &str,
    media_type: Option<&str>,
    page: &LinkedPage<T>,
) -> Handled {
    let mut response = json_as(200, media_type, &page.body, None, None, &[])?;
    if let Some(token) = &page.next_page {
        let link = next_link(input, page_param, token);
        let value = (link.len() <= respond::MAX_LINK_HEADER_BYTES)
            .then(|| HeaderValue::try_from(link).ok())
            .flatten()
            .ok_or_else(|| {
                tracing::error!("the next-page link of a list cannot be sent as a header");
                ImsError::internal_server_error("the next page cannot be linked")
            })?;
        response.headers_mut().insert(header::LINK, value);
    }
    Ok(response)
}

/// A JSON answer with status `status` sent as `media_type` (`None`: `application/json`), e.g. an
/// LTI line item as `application/vnd.ims.lis.v2.lineitem+json`; `fields`, `wrapper` and
/// `members` as for [`json()`](super::json).
///
/// # Errors
/// 500 when the body cannot be serialized.
pub fn json_as<T: Serialize>(
    status: u16,
    media_type: Option<&str>,
    body: &T,
    fields: Option<Fields>,
    wrapper: Option<&str>,
    members: &[&str],
) -> Handled {
    let mut response = respond::json(
        respond::status(status),
        body,
        fields.as_ref(),
        wrapper,
        members,
    );
    if !response.status().is_success() {
        // Serialization failed: `respond::json` already answered 500.
        return Ok(response.into_response());
    }
    if let Some(value) = media_type.and_then(|m| HeaderValue::from_str(m).ok()) {
        response.headers_mut().insert(header::CONTENT_TYPE, value);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use http::HeaderMap;

    use super::*;
    use crate::server::ServerSettings;

    fn input(origin: Option<&str>) -> RequestInput {
        RequestInput::new(
            "/lti/courses/c1/memberships",
            vec![
                ("role".to_owned(), "Learner".to_owned()),
                ("page".to_owned(), "old".to_owned()),
                ("limit".to_owned(), "2".to_owned()),
            ],
            Vec::new(),
            HeaderMap::new(),
            ServerSettings {
                public_origin: origin.map(Into::into),
                ..ServerSettings::default()
            },
        )
    }

    #[test]
    fn the_next_link_replaces_the_page_token_and_keeps_every_other_parameter() {
        assert_eq!(
            next_link(&input(None), "page", "a b&c"),
            "</lti/courses/c1/memberships?role=Learner&limit=2&page=a+b%26c>; rel=\"next\""
        );
        assert_eq!(
            next_link(&input(Some("https://lms.example")), "page", "t"),
            "<https://lms.example/lti/courses/c1/memberships?role=Learner&limit=2&page=t>; rel=\"next\""
        );
    }

    #[test]
    fn a_linked_page_is_sent_as_its_media_type_with_a_link_only_while_records_follow() {
        let media = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json";
        let more = linked_page(
            &input(None),
            "page",
            Some(media),
            &LinkedPage::with_next(vec![1, 2], "p2"),
        )
        .unwrap();
        assert_eq!(more.status(), 200);
        assert_eq!(more.headers()[header::CONTENT_TYPE], media);
        assert!(
            more.headers()[header::LINK]
                .to_str()
                .unwrap()
                .contains("page=p2")
        );
        let last = linked_page(&input(None), "page", None, &LinkedPage::last(vec![3])).unwrap();
        assert_eq!(last.headers()[header::CONTENT_TYPE], "application/json");
        assert!(last.headers().get(header::LINK).is_none());
    }

    #[test]
    fn a_next_link_too_long_for_a_header_is_an_error_not_a_truncated_list() {
        let token = "x".repeat(respond::MAX_LINK_HEADER_BYTES);
        let err = linked_page(
            &input(None),
            "page",
            None,
            &LinkedPage::with_next((), token),
        )
        .unwrap_err();
        assert_eq!(err.status(), 500);
    }
}
