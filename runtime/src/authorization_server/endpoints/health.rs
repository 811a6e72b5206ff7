//! `GET /health`: whether this instance can reach its store, for a load balancer's health check.
//! No authentication; never cached. 200 `{"status":"ok"}`, or 503
//! `{"status":"unavailable","error":"…"}` with the store's error (a storage failure, never
//! client input or a secret).

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::authorization_server::state::ServerState;

pub(crate) async fn health(State(state): State<Arc<ServerState>>) -> Response {
    let (status, body) = match state.store.health().await {
        Ok(()) => (StatusCode::OK, serde_json::json!({ "status": "ok" })),
        Err(e) => {
            tracing::warn!(error = %e, "health check: store unavailable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                serde_json::json!({ "status": "unavailable", "error": e.to_string() }),
            )
        }
    };
    let mut r = (status, axum::Json(body)).into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}
