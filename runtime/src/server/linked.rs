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
