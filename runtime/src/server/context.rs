//! [`RequestContext`]: what every service method learns about the request besides its parameters.

use std::convert::Infallible;

use axum::extract::FromRequestParts;
use http::HeaderMap;
use http::request::Parts;

use crate::resource_server::Principal;

/// The caller and the headers of one request, passed to every generated service method.
///
/// `principal` is `Some` whenever the request went through the [`AuthLayer`](crate::resource_server::AuthLayer)
/// (every protected operation); public operations usually see `None`.
#[derive(Clone, Debug)]
pub struct RequestContext {
    /// The verified caller, if the request was authenticated.
    pub principal: Option<Principal>,
    /// The request headers (e.g. for `Accept-Language` or tracing ids).
    pub headers: HeaderMap,
}

impl<S: Send + Sync> FromRequestParts<S> for RequestContext {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(RequestContext {
            principal: parts.extensions.get::<Principal>().cloned(),
            headers: parts.headers.clone(),
        })
    }
}
