//! Error bodies in the spelling of the service's SDD.
//!
//! Every error of a service router (the handlers', the auth layer's, the 404/405 fallbacks') is
//! written by [`ImsError`](crate::imsx::ImsError) in one house spelling: the member
//! `imsx_codeMinor` and OneRoster 1.2's codeMinor values (`invaliddata`, `unknownobject`, …).
//! SDDs disagree on both: OneRoster 1.x names the member `imsx_CodeMinor` and forbids other
//! members; Open Badges 3.0, CLR 2.0 and Edu-API declare a closed value set with `invalid_data`,
//! `not_found`, `unauthorizedrequest`; CASE spells `unauthorised_request`. So the router reads the
//! SDD's declarations once, at build time, and rewrites error bodies at its edge when they differ:
//! a client validating against its SDD then never sees a value the SDD does not declare.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::{Body, to_bytes};
use axum::http::header;
use axum::response::Response;
use serde_json::Value;

use crate::imsx::{CODE_MINOR_MEMBER, code_minor};

/// Error bodies are small; anything larger is passed through untouched.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// The schema member holding a codeMinor value.
const CODE_MINOR_VALUE_MEMBER: &str = "imsx_codeMinorFieldValue";

/// Every codeMinor value the runtime writes, with the values other SDDs use for the same
/// meaning, best first. A value with no equivalent in a closed set becomes `unknown` where the
/// SDD declares it; otherwise the codeMinor is left out (it is optional in `imsx_StatusInfo`,
/// and the description still says what went wrong).
const EQUIVALENTS: &[(&str, &[&str])] = &[
    (code_minor::INVALID_DATA, &["invalid_data"]),
    (code_minor::UNKNOWN_OBJECT, &["not_found", "unknown_object"]),
    (
        code_minor::UNAUTHORISED_REQUEST,
        &[
            "unauthorizedrequest",
            "unauthorised_request",
            "unauthorized_request",
        ],
    ),
    (
        code_minor::INVALID_FILTER_FIELD,
        &["invalid_query_parameter"],
    ),
    (
        code_minor::INVALID_SELECTION_FIELD,
        &["invalid_query_parameter"],
    ),
    (code_minor::INVALID_SORT_FIELD, &["invalid_query_parameter"]),
    (code_minor::FORBIDDEN, &[]),
    (code_minor::SERVER_BUSY, &[]),
    (code_minor::INTERNAL_SERVER_ERROR, &[]),
    (code_minor::UNSUPPORTED, &[]),
];

/// How the SDD spells error bodies, where it differs from the runtime's house spelling.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ErrorSpelling {
    /// The code-minor member name, when it is not [`CODE_MINOR_MEMBER`].
    member: Option<Arc<str>>,
    /// House value → the SDD's value; `None` leaves the codeMinor out.
    values: HashMap<&'static str, Option<Arc<str>>>,
}

impl ErrorSpelling {
    /// Reads the SDD's declarations (the JSON rendition the router serves). An SDD that cannot
    /// be read, or declares neither, leaves every body as written.
    pub(crate) fn of_sdd(sdd_json: &str) -> Self {
        let Ok(sdd) = serde_json::from_str::<Value>(sdd_json) else {
            return Self::default();
        };
        let Some(schemas) = sdd
            .pointer("/components/schemas")
            .and_then(Value::as_object)
        else {
            return Self::default();
        };
        let properties = || {
            schemas
                .values()
                .filter_map(|schema| schema.get("properties")?.as_object())
                .flat_map(|properties| properties.iter())
        };
        let member = properties()
            .map(|(key, _)| key)
            .find(|key| key.eq_ignore_ascii_case(CODE_MINOR_MEMBER) && *key != CODE_MINOR_MEMBER)
            .map(|key| Arc::from(key.as_str()));
        let declared: Vec<&str> = properties()
            .filter(|(key, _)| key.eq_ignore_ascii_case(CODE_MINOR_VALUE_MEMBER))
            .flat_map(|(_, schema)| declared_values(schema))
            .collect();
        Self {
            member,
            values: value_map(&declared),
        }
    }

    /// Whether bodies need rewriting at all.
    pub(crate) fn is_identity(&self) -> bool {
        self.member.is_none() && self.values.is_empty()
    }
}

/// The closed value set a codeMinor value schema declares: its `enum`, or the `enum`s of its
/// `anyOf`/`oneOf` branches. A branch without an enum (e.g. the `ext:` pattern of an extensible
/// enumeration) still leaves the house values outside it, so only enums count.
fn declared_values(schema: &Value) -> Vec<&str> {
    let own = schema
        .get("enum")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str);
    let branches = ["anyOf", "oneOf"]
        .iter()
        .filter_map(|k| schema.get(*k)?.as_array())
        .flatten()
        .filter_map(|b| b.get("enum")?.as_array())
        .flatten()
        .filter_map(Value::as_str);
    own.chain(branches).collect()
}

/// For each house value the SDD does not declare, its replacement.
fn value_map(declared: &[&str]) -> HashMap<&'static str, Option<Arc<str>>> {
    let mut map = HashMap::new();
    if declared.is_empty() {
        return map;
    }
    for (house, equivalents) in EQUIVALENTS {
        if declared.contains(house) {
            continue;
        }
        let replacement = equivalents
            .iter()
            .find(|e| declared.contains(e))
            .or_else(|| declared.iter().find(|d| **d == "unknown"))
            .map(|v| Arc::from(*v));
        map.insert(*house, replacement);
    }
    map
}

/// Rewrites a JSON error body into the SDD's spelling.
pub(crate) async fn respell(spelling: Arc<ErrorSpelling>, response: Response) -> Response {
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
                if let Some(code_minor) = respell_values(&spelling, code_minor) {
                    let member = spelling.member.as_deref().unwrap_or(CODE_MINOR_MEMBER);
                    object.insert(member.to_string(), code_minor);
                }
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

/// The codeMinor object with each field value in the SDD's spelling; fields whose value has no
/// equivalent are dropped, and `None` when none is left (the member is then left out).
fn respell_values(spelling: &ErrorSpelling, mut code_minor: Value) -> Option<Value> {
    let Some(fields) = code_minor
        .get_mut("imsx_codeMinorField")
        .and_then(Value::as_array_mut)
    else {
        return Some(code_minor);
    };
    fields.retain_mut(|field| {
        let Some(value) = field.get_mut(CODE_MINOR_VALUE_MEMBER) else {
            return true;
        };
        match value.as_str().and_then(|v| spelling.values.get(v)) {
            None => true,
            Some(Some(replacement)) => {
                *value = Value::String(replacement.to_string());
                true
            }
            Some(None) => false,
        }
    });
    (!fields.is_empty()).then_some(code_minor)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use axum::response::IntoResponse;

    use crate::imsx::ImsError;

    const OR12: &str = r#"{"components":{"schemas":{"imsx_StatusInfoDType":{"properties":{"imsx_codeMajor":{},"imsx_CodeMinor":{}}},
        "imsx_CodeMinorFieldDType":{"properties":{"imsx_codeMinorFieldValue":{"enum":["fullsuccess","invalid_filter_field","invalid_selection_field","invaliddata","unauthorisedrequest","forbidden","server_busy","unknownobject","internal_server_error"]}}}}}}"#;
    const OB30: &str = r#"{"components":{"schemas":{"Imsx_StatusInfo":{"properties":{"imsx_codeMinor":{}}},
        "Imsx_CodeMinorField":{"properties":{"imsx_codeMinorFieldValue":{"type":"string","enum":["forbidden","fullsuccess","internal_server_error","invalid_data","invalid_query_parameter","misdirected_request","not_acceptable","not_allowed","not_found","not_modified","server_busy","unauthorizedrequest","unknown"]}}}}}}"#;
    const CASE11: &str = r#"{"components":{"schemas":{"imsx_CodeMinorFieldDType":{"properties":{"imsx_codeMinorFieldValue":{"anyOf":[{"enum":["fullsuccess","invalid_sort_field","invalid_selection_field","forbidden","unauthorised_request","internal_server_error","unknownobject","server_busy","invalid_uuid"]},{"pattern":"(ext:)[a-z]+"}]}}}}}}"#;

    async fn body_of(spelling: &ErrorSpelling, error: ImsError) -> Value {
        let out = respell(Arc::new(spelling.clone()), error.into_response()).await;
        serde_json::from_slice(&to_bytes(out.into_body(), 4096).await.unwrap()).unwrap()
    }

    fn value_of(body: &Value, member: &str) -> Option<String> {
        body.get(member)?["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"]
            .as_str()
            .map(str::to_owned)
    }

    #[test]
    fn the_declared_member_and_values_are_read_from_the_schemas() {
        let or12 = ErrorSpelling::of_sdd(OR12);
        assert_eq!(or12.member.as_deref(), Some("imsx_CodeMinor"));
        // OneRoster 1.2 declares every value except the two it has no word for.
        assert_eq!(or12.values.len(), 2, "{or12:?}");
        assert!(or12.values.contains_key(code_minor::INVALID_SORT_FIELD));
        assert!(or12.values.contains_key(code_minor::UNSUPPORTED));
        assert!(ErrorSpelling::of_sdd("{}").is_identity());
        assert!(ErrorSpelling::of_sdd("not json").is_identity());
        let undeclared = r#"{"components":{"schemas":{"S":{"properties":{"imsx_codeMinorFieldValue":{"type":"string"}}}}}}"#;
        assert!(ErrorSpelling::of_sdd(undeclared).is_identity());
    }

    #[tokio::test]
    async fn open_badges_values_are_its_own() {
        let ob = ErrorSpelling::of_sdd(OB30);
        assert_eq!(ob.member, None);
        for (error, expected) in [
            (ImsError::invalid_data("x"), "invalid_data"),
            (ImsError::unknown_object("x"), "not_found"),
            (ImsError::unauthorised_request("x"), "unauthorizedrequest"),
            (
                ImsError::invalid_filter_field("x"),
                "invalid_query_parameter",
            ),
            (ImsError::forbidden("x"), "forbidden"),
            (ImsError::unsupported("x"), "unknown"),
        ] {
            let body = body_of(&ob, error).await;
            assert_eq!(
                value_of(&body, CODE_MINOR_MEMBER).as_deref(),
                Some(expected)
            );
        }
    }

    #[tokio::test]
    async fn case_values_and_a_value_without_equivalent() {
        let case = ErrorSpelling::of_sdd(CASE11);
        let body = body_of(&case, ImsError::unauthorised_request("x")).await;
        assert_eq!(
            value_of(&body, CODE_MINOR_MEMBER).as_deref(),
            Some("unauthorised_request")
        );
        // CASE has no word for bad data and no `unknown`: the optional codeMinor is left out,
        // the description stays.
        let body = body_of(&case, ImsError::invalid_data("bad")).await;
        assert!(body.get(CODE_MINOR_MEMBER).is_none(), "{body}");
        assert_eq!(body["imsx_description"], "bad");
        assert_eq!(body["imsx_codeMajor"], "failure");
    }

    #[tokio::test]
    async fn error_bodies_are_respelled_and_successes_untouched() {
        let or12 = ErrorSpelling::of_sdd(OR12);
        let body = body_of(&or12, ImsError::forbidden("no")).await;
        assert!(body.get(CODE_MINOR_MEMBER).is_none());
        assert_eq!(
            value_of(&body, "imsx_CodeMinor").as_deref(),
            Some("forbidden")
        );
        // Decoding accepts the OneRoster spelling.
        let info: crate::imsx::StatusInfo = serde_json::from_value(body).unwrap();
        assert!(info.code_minor.is_some());

        let ok = axum::Json(serde_json::json!({"imsx_codeMinor": 1})).into_response();
        let out = respell(Arc::new(or12), ok).await;
        let body: Value =
            serde_json::from_slice(&to_bytes(out.into_body(), 4096).await.unwrap()).unwrap();
        assert_eq!(body["imsx_codeMinor"], 1);
    }
}
