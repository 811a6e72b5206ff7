//! One listener, several origins: the tool answers at the host of `--addr` and, on a loopback
//! address, at `https://localhost:PORT` too, each with its own `LtiTool` (its `redirect_uri` and
//! `target_link_uri`s name that origin). A browser test runs the platform on `127.0.0.1` and the
//! tool on `localhost` so the tool's frame is cross-site; the state cookie set at login must
//! come back with the launch, so login, launch and `redirect_uri` must all stay on the origin
//! the platform was given.

use std::convert::Infallible;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use tower_service::Service;

/// The routers by authority (`host:port`, lower case), the first one answering any other.
#[derive(Clone)]
pub(crate) struct ByHost {
    routers: Arc<Vec<(String, Router)>>,
}

impl ByHost {
    /// `routers` by authority; the first is the default.
    pub(crate) fn new(routers: Vec<(String, Router)>) -> Self {
        Self {
            routers: Arc::new(routers),
        }
    }

    /// A router handing each request to the router of its authority.
    pub(crate) fn into_router(self) -> Router {
        Router::new().fallback(dispatch).with_state(self)
    }
}

/// The request's authority: HTTP/2's `:authority` (in the URI), else HTTP/1.1's `Host`.
fn authority(request: &Request) -> Option<String> {
    request
        .uri()
        .authority()
        .map(|a| a.as_str().to_owned())
        .or_else(|| {
            request
                .headers()
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(str::to_owned)
        })
        .map(|a| a.to_ascii_lowercase())
}

async fn dispatch(State(hosts): State<ByHost>, request: Request) -> Response {
    let wanted = authority(&request);
    let chosen = hosts
        .routers
        .iter()
        .find(|(a, _)| Some(a) == wanted.as_ref())
        .or_else(|| hosts.routers.first())
        .map(|(_, r)| r.clone());
    let Some(mut router) = chosen else {
        return axum::http::StatusCode::NOT_FOUND.into_response();
    };
    // A `Router` is always ready; asking keeps to the `Service` contract.
    let ready: Result<(), Infallible> =
        std::future::poll_fn(|cx| Service::<Request>::poll_ready(&mut router, cx)).await;
    match ready {
        Ok(()) => match router.call(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        },
        Err(never) => match never {},
    }
}
