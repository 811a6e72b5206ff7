//! [`ApiError`]: what a typed API call can fail with.

use super::ClientError;
use crate::imsx::StatusInfo;

/// Errors of [`ApiClient`](super::ApiClient) calls and of the generated service clients.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The server answered with a non-success status. `info` is the decoded `imsx_StatusInfo`
    /// body when the body is one (IMS services report errors that way).
    #[error("HTTP {status}{}", describe(info.as_ref()))]
    Status {
        /// The HTTP status code.
        status: u16,
        /// The `imsx_StatusInfo` body, when the error body is one.
        info: Option<StatusInfo>,
        /// The `WWW-Authenticate` header of a 401/403 (says which scope or token was wrong).
        www_authenticate: Option<String>,
    },
    /// Transport, TLS, policy (e.g. plain http) or token source failure.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// A success body that does not match the declared type.
    #[error("response body is not a valid `{type_name}`: at `{path}`: {message}")]
    Decode {
        /// The Rust type the body was decoded into.
        type_name: &'static str,
        /// Where in the JSON document decoding failed (`.` for the root), e.g. `users[3].role`.
        path: String,
        /// What was wrong there.
        message: String,
    },
    /// A request argument cannot be sent (e.g. a path parameter that is empty, `.` or `..`,
    /// which no URL can carry as one segment, or a value that cannot be serialised).
    #[error("invalid request argument: {0}")]
    InvalidArgument(String),
    /// Paging came back to a page URL already fetched (a `Link: rel="next"` loop).
    #[error("paging loop: `{url}` was already fetched")]
    PagingLoop {
        /// The repeated URL.
        url: String,
    },
    /// Paging went past the configured page bound.
    #[error("paging stopped after {max} pages (the configured bound)")]
    TooManyPages {
        /// The bound ([`ApiClient::with_max_pages`](super::ApiClient::with_max_pages)).
        max: usize,
    },
    /// A `Link: rel="next"` pointing to another origin than the request's; following it would
    /// send the access token to a third party.
    #[error("refusing to follow a next link to another origin: `{url}`")]
    ForeignLink {
        /// The link target.
        url: String,
    },
}

fn describe(info: Option<&StatusInfo>) -> String {
    let Some(info) = info else {
        return String::new();
    };
    let minor = first_code_minor(info)
        .map(|m| format!(" {m}"))
        .unwrap_or_default();
    let description = info
        .description
        .as_deref()
        .map(|d| format!(": {d}"))
        .unwrap_or_default();
    format!("{minor}{description}")
}

fn first_code_minor(info: &StatusInfo) -> Option<&str> {
    info.code_minor
        .as_ref()
        .and_then(|m| m.fields.first())
        .map(|f| f.value.as_str())
}

impl ApiError {
    /// The HTTP status of a [`ApiError::Status`], `None` otherwise.
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The first `imsx_codeMinorFieldValue` of the error body (e.g. `unknownobject`).
    pub fn code_minor(&self) -> Option<&str> {
        match self {
            ApiError::Status {
                info: Some(info), ..
            } => first_code_minor(info),
            _ => None,
        }
    }

    /// The decoded `imsx_StatusInfo` of a [`ApiError::Status`], if the body was one.
    pub fn status_info(&self) -> Option<&StatusInfo> {
        match self {
            ApiError::Status { info, .. } => info.as_ref(),
            _ => None,
        }
    }

    /// Builds the error for a non-success response: the body is decoded as `imsx_StatusInfo`
    /// when it is one (anything else is dropped: error bodies are not trusted text).
    pub(crate) fn from_status(status: u16, body: &[u8], www_authenticate: Option<String>) -> Self {
        ApiError::Status {
            status,
            info: serde_json::from_slice::<StatusInfo>(body).ok(),
            www_authenticate,
        }
    }
}
