//! IMS error payloads: [`ImsError`] (an HTTP status, a codeMinor value and a description) and the
//! `imsx_StatusInfo` JSON shape it maps to (OneRoster 1.2, CASE, OB 3.0, Edu-API).
//!
//! Every OneRoster 1.2 error carries `imsx_codeMajor: "failure"`, `imsx_severity: "error"` and one
//! `imsx_codeMinorField` named `TargetEndSystem` whose value is the codeMinor (e.g.
//! `unauthorisedrequest`). OAuth endpoints do not use this shape (they answer RFC 6749 errors).
//!
//! ```
//! use ims_runtime::imsx::ImsError;
//! let e = ImsError::unknown_object("no user with that sourcedId");
//! assert_eq!(e.status(), http::StatusCode::NOT_FOUND);
//! let json = serde_json::to_value(e.to_status_info()).unwrap();
//! assert_eq!(json["imsx_codeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"], "unknownobject");
//! ```

use http::StatusCode;
use serde::{Deserialize, Serialize};

/// `imsx_codeMajor`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CodeMajor {
    /// The request was carried out.
    Success,
    /// The request is being processed.
    Processing,
    /// The request failed.
    Failure,
    /// The request is not supported.
    Unsupported,
}

/// `imsx_severity`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Informational.
    Status,
    /// A warning.
    Warning,
    /// An error.
    Error,
}

/// One `imsx_codeMinorField` entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeMinorField {
    /// `imsx_codeMinorFieldName` (OneRoster default: `TargetEndSystem`).
    #[serde(rename = "imsx_codeMinorFieldName")]
    pub name: String,
    /// `imsx_codeMinorFieldValue` (e.g. `unknownobject`).
    #[serde(rename = "imsx_codeMinorFieldValue")]
    pub value: String,
}

/// `imsx_codeMinor`: one or more fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeMinor {
    /// `imsx_codeMinorField`.
    #[serde(rename = "imsx_codeMinorField")]
    pub fields: Vec<CodeMinorField>,
}

/// The `imsx_StatusInfo` JSON object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusInfo {
    /// `imsx_codeMajor`.
    #[serde(rename = "imsx_codeMajor")]
    pub code_major: CodeMajor,
    /// `imsx_severity`.
    #[serde(rename = "imsx_severity")]
    pub severity: Severity,
    /// `imsx_description`.
    #[serde(
        rename = "imsx_description",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub description: Option<String>,
    /// `imsx_codeMinor` (OneRoster 1.x spells it `imsx_CodeMinor`: both are read; see
    /// [`CODE_MINOR_MEMBER`] for what is written).
    #[serde(
        rename = "imsx_codeMinor",
        alias = "imsx_CodeMinor",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub code_minor: Option<CodeMinor>,
}

/// The member [`StatusInfo`] writes its code minor under. OneRoster 1.x SDDs spell it
/// `imsx_CodeMinor`; a generated server rewrites its error bodies to the spelling of its SDD.
pub const CODE_MINOR_MEMBER: &str = "imsx_codeMinor";

/// The codeMinor field name OneRoster uses by default.
pub const TARGET_END_SYSTEM: &str = "TargetEndSystem";

/// Well-known codeMinor values (OneRoster 1.2 spelling).
pub mod code_minor {
    /// 400: a filter names an unknown field.
    pub const INVALID_FILTER_FIELD: &str = "invalid_filter_field";
    /// 400: `fields` names an unknown field.
    pub const INVALID_SELECTION_FIELD: &str = "invalid_selection_field";
    /// 400: `sort` names an unknown field (OR 1.2 Resources, CASE).
    pub const INVALID_SORT_FIELD: &str = "invalid_sort_field";
    /// 422: semantically wrong payload.
    pub const INVALID_DATA: &str = "invaliddata";
    /// 401.
    pub const UNAUTHORISED_REQUEST: &str = "unauthorisedrequest";
    /// 403.
    pub const FORBIDDEN: &str = "forbidden";
    /// 404.
    pub const UNKNOWN_OBJECT: &str = "unknownobject";
    /// 429.
    pub const SERVER_BUSY: &str = "server_busy";
    /// 500.
    pub const INTERNAL_SERVER_ERROR: &str = "internal_server_error";
    /// 501: the provider does not implement the operation (`imsx_codeMajor` `unsupported`; the
    /// value OneRoster 1.2 Resources declares, used for every service).
    pub const UNSUPPORTED: &str = "unsupported";
}

/// An IMS error: HTTP status, codeMinor value and a human-readable description.
///
/// Descriptions end up in responses: keep them generic (never echo tokens or internals).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{status} {code_minor}: {description}")]
pub struct ImsError {
    status: StatusCode,
    code_major: CodeMajor,
    code_minor: String,
    description: String,
}

impl ImsError {
    /// An error with any status and codeMinor (`imsx_codeMajor` `failure`).
    pub fn new(
        status: StatusCode,
        code_minor: impl Into<String>,
        description: impl Into<String>,
    ) -> Self {
        Self {
            status,
            code_major: CodeMajor::Failure,
            code_minor: code_minor.into(),
            description: description.into(),
        }
    }

    /// 400 `invalid_filter_field`.
    pub fn invalid_filter_field(description: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            code_minor::INVALID_FILTER_FIELD,
            description,
        )
    }

    /// 400 `invalid_selection_field`.
    pub fn invalid_selection_field(description: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            code_minor::INVALID_SELECTION_FIELD,
            description,
        )
    }

    /// 401 `unauthorisedrequest`.
    pub fn unauthorised_request(description: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            code_minor::UNAUTHORISED_REQUEST,
            description,
        )
    }

    /// 403 `forbidden`.
    pub fn forbidden(description: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code_minor::FORBIDDEN, description)
    }

    /// 404 `unknownobject`.
    pub fn unknown_object(description: impl Into<String>) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            code_minor::UNKNOWN_OBJECT,
            description,
        )
    }

    /// 422 `invaliddata`.
    pub fn invalid_data(description: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            code_minor::INVALID_DATA,
            description,
        )
    }

    /// 429 `server_busy`.
    pub fn server_busy(description: impl Into<String>) -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            code_minor::SERVER_BUSY,
            description,
        )
    }

    /// 500 `internal_server_error`.
    pub fn internal_server_error(description: impl Into<String>) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            code_minor::INTERNAL_SERVER_ERROR,
            description,
        )
    }

    /// 501 `unsupported` with `imsx_codeMajor` `unsupported`: the provider does not implement
    /// `operation` (its operation id, e.g. `getAllUsers`), which the description names. This is
    /// what every generated service trait method answers until the implementer overrides it.
    ///
    /// The 1EdTech specs mark operations a provider may leave out but name no status for the
    /// answer (OneRoster 1.2 declares none above 500), so the HTTP one for "not implemented" is
    /// used; a generated client reports it as `ims_runtime::client::ApiError::Unsupported`.
    ///
    /// ```
    /// use ims_runtime::imsx::{CodeMajor, ImsError};
    /// let e = ImsError::unsupported("getAllUsers");
    /// assert_eq!(e.status(), http::StatusCode::NOT_IMPLEMENTED);
    /// assert_eq!(e.code_major(), CodeMajor::Unsupported);
    /// assert_eq!(e.description(), "getAllUsers is not implemented by this provider");
    /// ```
    pub fn unsupported(operation: &str) -> Self {
        Self {
            code_major: CodeMajor::Unsupported,
            ..Self::new(
                StatusCode::NOT_IMPLEMENTED,
                code_minor::UNSUPPORTED,
                format!("{operation} is not implemented by this provider"),
            )
        }
    }

    /// Whether this is the "not implemented by this provider" answer of
    /// [`ImsError::unsupported`] (`imsx_codeMajor` `unsupported`, or HTTP 501).
    pub fn is_unsupported(&self) -> bool {
        self.code_major == CodeMajor::Unsupported || self.status == StatusCode::NOT_IMPLEMENTED
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// `imsx_codeMajor`: `failure`, or `unsupported` for [`ImsError::unsupported`].
    pub fn code_major(&self) -> CodeMajor {
        self.code_major
    }

    /// The codeMinor value.
    pub fn code_minor(&self) -> &str {
        &self.code_minor
    }

    /// The description.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The `imsx_StatusInfo` body: codeMajor (`failure`, or `unsupported`) / error /
    /// description / one `TargetEndSystem` field.
    pub fn to_status_info(&self) -> StatusInfo {
        StatusInfo {
            code_major: self.code_major,
            severity: Severity::Error,
            description: Some(self.description.clone()),
            code_minor: Some(CodeMinor {
                fields: vec![CodeMinorField {
                    name: TARGET_END_SYSTEM.to_owned(),
                    value: self.code_minor.clone(),
                }],
            }),
        }
    }

    /// Reads an error back from an HTTP status and a received `imsx_StatusInfo` (client side).
    /// The first codeMinor field's value is used; an absent codeMinor becomes an empty string.
    pub fn from_status_info(status: StatusCode, info: &StatusInfo) -> Self {
        let code_minor = info
            .code_minor
            .as_ref()
            .and_then(|c| c.fields.first())
            .map(|f| f.value.clone())
            .unwrap_or_default();
        Self {
            status,
            code_major: info.code_major,
            code_minor,
            description: info.description.clone().unwrap_or_default(),
        }
    }
}

#[cfg(feature = "server")]
impl axum::response::IntoResponse for ImsError {
    fn into_response(self) -> axum::response::Response {
        (self.status, axum::Json(self.to_status_info())).into_response()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn or12_constructors_map_to_status_and_code_minor() {
        let cases = [
            (
                ImsError::invalid_filter_field("x"),
                400,
                "invalid_filter_field",
            ),
            (
                ImsError::invalid_selection_field("x"),
                400,
                "invalid_selection_field",
            ),
            (
                ImsError::unauthorised_request("x"),
                401,
                "unauthorisedrequest",
            ),
            (ImsError::forbidden("x"), 403, "forbidden"),
            (ImsError::unknown_object("x"), 404, "unknownobject"),
            (ImsError::invalid_data("x"), 422, "invaliddata"),
            (ImsError::server_busy("x"), 429, "server_busy"),
            (
                ImsError::internal_server_error("x"),
                500,
                "internal_server_error",
            ),
            (ImsError::unsupported("getAllUsers"), 501, "unsupported"),
        ];
        for (e, status, minor) in cases {
            assert_eq!(e.status().as_u16(), status);
            assert_eq!(e.code_minor(), minor);
        }
    }

    #[test]
    fn unsupported_answers_code_major_unsupported_and_round_trips() {
        let e = ImsError::unsupported("getAllClasses");
        let json = serde_json::to_value(e.to_status_info()).unwrap();
        assert_eq!(json["imsx_codeMajor"], "unsupported");
        assert_eq!(json["imsx_severity"], "error");
        assert_eq!(
            json["imsx_description"],
            "getAllClasses is not implemented by this provider"
        );
        assert_eq!(
            json["imsx_codeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"],
            "unsupported"
        );
        let info: StatusInfo = serde_json::from_value(json).unwrap();
        let back = ImsError::from_status_info(StatusCode::NOT_IMPLEMENTED, &info);
        assert_eq!(back, e);
        assert!(back.is_unsupported());
    }

    #[test]
    fn status_info_json_round_trips() {
        let e = ImsError::forbidden("no access");
        let json = serde_json::to_value(e.to_status_info()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "imsx_codeMajor": "failure",
                "imsx_severity": "error",
                "imsx_description": "no access",
                "imsx_codeMinor": {"imsx_codeMinorField": [
                    {"imsx_codeMinorFieldName": "TargetEndSystem", "imsx_codeMinorFieldValue": "forbidden"}
                ]}
            })
        );
        let info: StatusInfo = serde_json::from_value(json).unwrap();
        assert_eq!(ImsError::from_status_info(StatusCode::FORBIDDEN, &info), e);
        assert!(!e.is_unsupported());
        // Optional members may be absent.
        let minimal: StatusInfo =
            serde_json::from_str(r#"{"imsx_codeMajor":"success","imsx_severity":"status"}"#)
                .unwrap();
        assert_eq!(minimal.code_major, CodeMajor::Success);
        assert!(
            serde_json::from_str::<StatusInfo>(
                r#"{"imsx_codeMajor":"bogus","imsx_severity":"status"}"#
            )
            .is_err()
        );
    }
}
