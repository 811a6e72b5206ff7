//! Success responses of generated handlers: JSON with the `fields` projection applied inside the
//! wrapper member (`users`, `user`, …), and for collections `X-Total-Count` plus an RFC 8288
//! `Link` header built on the request's own path.

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use serde::Serialize;
use serde_json::Value;

use super::input::RequestInput;
use crate::imsx::ImsError;
use crate::query::CollectionQuery;
use crate::query::fields::Fields;
use crate::query::paging::X_TOTAL_COUNT;

/// What a collection method returns: one page of records in the operation's wrapper type and
/// the number of records matching the filter across all pages (for `X-Total-Count` and `Link`).
#[derive(Clone, Debug, PartialEq)]
pub struct Listed<T> {
    /// The page, e.g. `UserSetDType { users: Some(vec![…]) }`.
    pub body: T,
    /// Matching records across all pages.
    pub total: u64,
}

impl<T> Listed<T> {
    /// A page and the total.
    pub fn new(body: T, total: u64) -> Self {
        Listed { body, total }
    }
}

fn to_value<T: Serialize>(body: &T) -> Result<Value, ImsError> {
    serde_json::to_value(body).map_err(|e| {
        tracing::error!(error = %e, "response body could not be serialized");
        ImsError::internal_server_error("the response could not be serialized")
    })
}

/// `fields` restricted to the record's members; `None` means every member (no selection, or
/// only unknown names). An empty `allowed` means the record shape is unknown: keep all names.
fn effective(fields: Option<&Fields>, allowed: &[&str]) -> Option<Fields> {
    let fields = fields?;
    if allowed.is_empty() {
        Some(fields.clone())
    } else {
        fields.restrict_to(allowed)
    }
}

fn project(value: Value, fields: Option<&Fields>, key: Option<&str>, allowed: &[&str]) -> Value {
    match (effective(fields, allowed), key) {
        (None, _) => value,
        (Some(f), Some(key)) => f.project_wrapped(&value, key),
        (Some(f), None) => f.project(&value),
    }
}

fn json_response(status: StatusCode, value: &Value) -> Response {
    match serde_json::to_vec(value) {
        Ok(bytes) => {
            let mut response = Response::new(Body::from(bytes));
            *response.status_mut() = status;
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            response
        }
        Err(e) => {
            tracing::error!(error = %e, "response body could not be serialized");
            ImsError::internal_server_error("the response could not be serialized").into_response()
        }
    }
}

/// A 200 collection response: `listed.body` with `query.fields` applied to each record inside
/// `key` (restricted to `allowed`), `X-Total-Count: total` and `Link` with `first`/`last` and
/// `next`/`prev` as applicable, on the request's path and query.
pub fn collection<T: Serialize>(
    listed: &Listed<T>,
    query: &CollectionQuery,
    input: &RequestInput,
    key: Option<&str>,
    allowed: &[&str],
) -> Response {
    let value = match to_value(&listed.body) {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    let value = project(value, query.fields.as_ref(), key, allowed);
    let mut response = json_response(StatusCode::OK, &value);
    let headers = response.headers_mut();
    headers.insert(X_TOTAL_COUNT, HeaderValue::from(listed.total));
    // Each link repeats the whole query, so a long query makes a header four times its size;
    // past the cap the header is left out (it is optional: clients fall back to limit/offset)
    // rather than exceeding what HTTP/1.1 peers accept.
    if let Some(link) = query
        .page
        .link_header(listed.total, input.path(), &query.link_params())
        .filter(|l| l.len() <= MAX_LINK_HEADER_BYTES)
        .and_then(|l| HeaderValue::try_from(l).ok())
    {
        headers.insert(header::LINK, link);
    }
    response
}

/// The largest `Link` header a collection response carries (8 KiB).
pub const MAX_LINK_HEADER_BYTES: usize = 8 * 1024;

/// A JSON response with `status`, `fields` applied inside `key` (or to the top-level object).
pub fn json<T: Serialize>(
    status: StatusCode,
    body: &T,
    fields: Option<&Fields>,
    key: Option<&str>,
    allowed: &[&str],
) -> Response {
    match to_value(body) {
        Ok(value) => json_response(status, &project(value, fields, key, allowed)),
        Err(e) => e.into_response(),
    }
}

/// A response without a body.
pub fn empty(status: StatusCode) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    response
}

/// A non-JSON response: `bytes` sent as `media_type`.
pub fn bytes(status: StatusCode, media_type: &str, bytes: Vec<u8>) -> Response {
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = status;
    if let Ok(value) = HeaderValue::from_str(media_type) {
        response.headers_mut().insert(header::CONTENT_TYPE, value);
    }
    response
}

/// The status for a code from the SDD (`200` when the number is not a valid status).
pub fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::OK)
}
