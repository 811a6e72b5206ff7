//! [`ApiError`]: what a typed API call can fail with.

use super::ClientError;
use crate::imsx::{CodeMajor, StatusInfo};

/// Errors of [`ApiClient`](super::ApiClient) calls and of the generated service clients.
///
/// A provider that does not implement an operation answers 501 with `imsx_codeMajor`
/// `unsupported` (what every generated service trait method answers until it is implemented);
/// that answer is [`ApiError::Unsupported`], every other error status [`ApiError::Status`]:
///
/// ```
/// # fn f(result: Result<(), ims_runtime::client::ApiError>) {
/// use ims_runtime::client::ApiError;
/// match result {
///     Ok(()) => {}
///     Err(ApiError::Unsupported { operation, .. }) => println!("{operation}: not offered here"),
///     Err(e) => eprintln!("{e}"),
/// }
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The provider does not implement the operation: HTTP 501, or an `imsx_StatusInfo` whose
    /// `imsx_codeMajor` is `unsupported` (with any error status).
    #[error("`{operation}` is not supported by this provider (HTTP {status}{})", describe(info.as_ref()))]
    Unsupported {
        /// The operation id (e.g. `getAllClasses`) of a catalogued request, else
        /// `METHOD /path`.
        operation: String,
        /// The HTTP status code (501 from an `ims-runtime` server).
        status: u16,
        /// The `imsx_StatusInfo` body, when the error body is one.
        info: Option<StatusInfo>,
    },
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
    /// A parameter or the body breaks a constraint the SDD declares (a range, an integer format,
    /// a pattern, a length or an item count); the request was not sent. The same check makes a
    /// generated server answer 400 `invaliddata`.
    #[error("request not sent: {0}")]
    Constraint(#[from] crate::constraints::Violation),
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
    /// The HTTP status of a [`ApiError::Status`] or [`ApiError::Unsupported`], `None` otherwise.
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Status { status, .. } | ApiError::Unsupported { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether the provider does not implement the operation ([`ApiError::Unsupported`]).
    pub fn is_unsupported(&self) -> bool {
        matches!(self, ApiError::Unsupported { .. })
    }

    /// The first `imsx_codeMinorFieldValue` of the error body (e.g. `unknownobject`).
    pub fn code_minor(&self) -> Option<&str> {
        self.status_info().and_then(first_code_minor)
    }

    /// The decoded `imsx_StatusInfo` of a [`ApiError::Status`], if the body was one.
    pub fn status_info(&self) -> Option<&StatusInfo> {
        match self {
            ApiError::Status { info, .. } | ApiError::Unsupported { info, .. } => info.as_ref(),
            _ => None,
        }
    }

    /// Builds the error for a non-success response to `operation` (see
    /// [`ApiError::Unsupported`]): the body is decoded as `imsx_StatusInfo` when it is one
    /// (anything else is dropped: error bodies are not trusted text).
    pub(crate) fn from_status(
        operation: impl FnOnce() -> String,
        status: u16,
        body: &[u8],
        www_authenticate: Option<String>,
    ) -> Self {
        let info = serde_json::from_slice::<StatusInfo>(body).ok();
        let unsupported = status == 501
            || info
                .as_ref()
                .is_some_and(|i| i.code_major == CodeMajor::Unsupported);
        if unsupported {
            return ApiError::Unsupported {
                operation: operation(),
                status,
                info,
            };
        }
        ApiError::Status {
            status,
            info,
            www_authenticate,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::imsx::ImsError;

    fn body(e: &ImsError) -> Vec<u8> {
        serde_json::to_vec(&e.to_status_info()).unwrap_or_default()
    }

    #[test]
    fn a_501_or_code_major_unsupported_is_the_typed_unsupported_error() {
        let e = ApiError::from_status(
            || "getAllClasses".to_owned(),
            501,
            &body(&ImsError::unsupported("getAllClasses")),
            None,
        );
        assert!(e.is_unsupported());
        assert_eq!(e.status(), Some(501));
        assert_eq!(e.code_minor(), Some("unsupported"));
        assert_eq!(
            e.to_string(),
            "`getAllClasses` is not supported by this provider (HTTP 501 unsupported: getAllClasses is not implemented by this provider)"
        );
        // A bare 501 from another server, and codeMajor `unsupported` with another status.
        let bare = ApiError::from_status(|| "GET /x".to_owned(), 501, b"", None);
        assert!(
            matches!(bare, ApiError::Unsupported { ref operation, info: None, .. } if operation == "GET /x")
        );
        let info = ImsError::unsupported("op").to_status_info();
        let other = ApiError::from_status(
            || "op".to_owned(),
            400,
            &serde_json::to_vec(&info).unwrap_or_default(),
            None,
        );
        assert!(other.is_unsupported());
        assert_eq!(other.status(), Some(400));
        // Every other error stays a status error.
        let not_found = ApiError::from_status(
            || unreachable!("only an unsupported answer names the operation"),
            404,
            &body(&ImsError::unknown_object("no such user")),
            None,
        );
        assert!(!not_found.is_unsupported());
        assert_eq!(not_found.code_minor(), Some("unknownobject"));
    }
}
