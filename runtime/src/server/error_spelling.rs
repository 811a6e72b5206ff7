//! Error bodies in the spelling of the service's SDD.
//!
//! `imsx_StatusInfo` carries its code minor under `imsx_codeMinor` in CASE and Open Badges but
//! under `imsx_CodeMinor` in OneRoster 1.x, whose schema forbids other members. Every error of a
//! service router (the handlers', the auth layer's, the 404/405 fallbacks') is written by
//! [`ImsError`](crate::imsx::ImsError) with the first spelling, so the router rewrites error
//! bodies once, at its edge, when the SDD declares the other.

use axum::body::{Body, to_bytes};
use axum::http::header;
use axum::response::Response;
use serde_json::Value;

use crate::imsx::CODE_MINOR_MEMBER;

/// Error bodies are small; anything larger is passed through untouched.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// The code-minor member name the SDD's schemas declare, when it is not [`CODE_MINOR_MEMBER`].
pub(crate) fn declared_code_minor_member(sdd_json: &str) -> Option<String> {
    let sdd: Value = serde_json::from_str(sdd_json).ok()?;
    let schemas = sdd.pointer("/components/schemas")?.as_object()?;
    schemas
        .values()
        .filter_map(|schema| schema.get("properties")?.as_object())
        .flat_map(|properties| properties.keys())
        .find(|key| key.eq_ignore_ascii_case(CODE_MINOR_MEMBER) && *key != CODE_MINOR_MEMBER)
        .cloned()
}

/// Renames the code-minor member of a JSON error body to `member`.
pub(crate) async fn respell(member: std::sync::Arc<str>, response: Response) -> Response {
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if response.status().as_u16() < 400 || !is_json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = match to_bytes(body, MAX_ERROR_BODY).await {
        Ok(bytes) => bytes,
        Err(e) => {
            tracing::warn!(error = %e, "error body not rewritten: it could not be read");
            return Response::from_parts(parts, Body::empty());
        }
    };
    let rewritten = match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(mut object)) => match object.remove(CODE_MINOR_MEMBER) {
            Some(code_minor) => {
                object.insert(member.to_string(), code_minor);
                serde_json::to_vec(&object).ok()
            }
            None => None,
        },
        _ => None,
    };
    let body = match rewritten {
        Some(new) => {
            parts.headers.remove(header::CONTENT_LENGTH);
            Body::from(new)
        }
        None => Body::from(bytes),
    };
    Response::from_parts(parts, body)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use axum::response::IntoResponse;

    #[test]
    fn the_declared_spelling_is_found_in_the_schemas() {
        let or12 = r#"{"components":{"schemas":{"imsx_StatusInfoDType":{"properties":{"imsx_codeMajor":{},"imsx_CodeMinor":{}}}}}}"#;
        assert_eq!(
            declared_code_minor_member(or12).as_deref(),
            Some("imsx_CodeMinor")
        );
        let case = r#"{"components":{"schemas":{"imsx_StatusInfo":{"properties":{"imsx_codeMinor":{}}}}}}"#;
        assert_eq!(declared_code_minor_member(case), None);
        assert_eq!(declared_code_minor_member("{}"), None);
        assert_eq!(declared_code_minor_member("not json"), None);
    }

    #[tokio::test]
    async fn error_bodies_are_respelled_and_successes_untouched() {
        let member: std::sync::Arc<str> = "imsx_CodeMinor".into();
        let error = crate::imsx::ImsError::forbidden("no").into_response();
        let out = respell(member.clone(), error).await;
        assert_eq!(out.status(), 403);
        let body: Value =
            serde_json::from_slice(&to_bytes(out.into_body(), 4096).await.unwrap()).unwrap();
        assert!(body.get("imsx_codeMinor").is_none());
        assert_eq!(
            body["imsx_CodeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"],
            "forbidden"
        );
        // Decoding accepts the OneRoster spelling.
        let info: crate::imsx::StatusInfo = serde_json::from_value(body).unwrap();
        assert!(info.code_minor.is_some());

        let ok = axum::Json(serde_json::json!({"imsx_codeMinor": 1})).into_response();
        let out = respell(member, ok).await;
        let body: Value =
            serde_json::from_slice(&to_bytes(out.into_body(), 4096).await.unwrap()).unwrap();
        assert_eq!(body["imsx_codeMinor"], 1);
    }
}
