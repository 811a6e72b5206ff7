//! Request body extractors answering in `imsx_StatusInfo`: wrong media type → 415, unreadable
//! or malformed → 400, JSON of the wrong shape → 422 `invaliddata` (with the serde message and
//! the JSON pointer of the member it is about),
//! larger than [`ServerSettings::body_limit`](super::ServerSettings) → 413.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use http::{HeaderMap, StatusCode, header};
use serde::de::DeserializeOwned;

use super::input::ServerSettings;
use crate::imsx::{ImsError, code_minor};

fn bad_request(description: impl Into<String>) -> ImsError {
    ImsError::new(
        StatusCode::BAD_REQUEST,
        code_minor::INVALID_DATA,
        description,
    )
}

/// Default request body cap: 1 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

fn media_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    let essence = value.split(';').next().unwrap_or_default().trim();
    Some(essence.to_ascii_lowercase())
}

fn is_json(media: &str) -> bool {
    media == "application/json" || (media.starts_with("application/") && media.ends_with("+json"))
}

fn unsupported(expected: &str) -> ImsError {
    ImsError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        code_minor::INVALID_DATA,
        format!("the request body must be sent as {expected}"),
    )
}

async fn read(req: Request) -> Result<(HeaderMap, Bytes), ImsError> {
    let limit = req
        .extensions()
        .get::<ServerSettings>()
        .map_or(DEFAULT_BODY_LIMIT, |s| s.body_limit);
    let (parts, body) = req.into_parts();
    match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => Ok((parts.headers, bytes)),
        Err(e) => {
            let too_large = std::error::Error::source(&e)
                .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
            if too_large {
                Err(ImsError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    code_minor::INVALID_DATA,
                    format!("the request body is larger than {limit} bytes"),
                ))
            } else {
                tracing::debug!(reason = %e, "request body could not be read");
                Err(bad_request("the request body could not be read"))
            }
        }
    }
}

fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ImsError> {
    // A request body is input: `null` for an optional member the SDD does not make nullable is
    // refused (a response read by a client is not held to this).
    let _strict = crate::types::StrictNulls::enter();
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let pointer = json_pointer(e.path());
        let e = e.into_inner();
        match e.classify() {
            serde_json::error::Category::Data => ImsError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                code_minor::INVALID_DATA,
                if pointer.is_empty() {
                    format!("the request body does not match the expected type: {e}")
                } else {
                    format!(
                        "the request body member `{pointer}` does not match the expected type: {e}"
                    )
                },
            ),
            _ => bad_request(format!("the request body is not valid JSON: {e}")),
        }
    })?;
    de.end()
        .map_err(|e| bad_request(format!("the request body is not valid JSON: {e}")))?;
    Ok(value)
}

/// The JSON pointer (RFC 6901) of where deserialization stopped, e.g. `/user/roles/2`.
fn json_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => {
                out.push('/');
                out.push_str(&index.to_string());
            }
            Segment::Map { key } => {
                out.push('/');
                out.push_str(&key.replace('~', "~0").replace('/', "~1"));
            }
            // Enum variants and places serde could not name (inside `flatten`) add no step.
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    out
}

/// A required JSON request body (`application/json` or `application/*+json`).
#[derive(Clone, Debug, PartialEq)]
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ImsError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        if !media_type(req.headers()).is_some_and(|m| is_json(&m)) {
            return Err(unsupported("application/json"));
        }
        let (_, bytes) = read(req).await?;
        parse_json(&bytes).map(JsonBody)
    }
}

/// An optional JSON request body: `None` for an empty body, else as [`JsonBody`].
#[derive(Clone, Debug, PartialEq)]
pub struct OptionalJsonBody<T>(pub Option<T>);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for OptionalJsonBody<T> {
    type Rejection = ImsError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let (headers, bytes) = read(req).await?;
        if bytes.is_empty() {
            return Ok(OptionalJsonBody(None));
        }
        if !media_type(&headers).is_some_and(|m| is_json(&m)) {
            return Err(unsupported("application/json"));
        }
        parse_json(&bytes).map(|v| OptionalJsonBody(Some(v)))
    }
}

/// An `application/x-www-form-urlencoded` request body decoded into `T`.
#[derive(Clone, Debug, PartialEq)]
pub struct FormBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for FormBody<T> {
    type Rejection = ImsError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        if media_type(req.headers()).as_deref() != Some("application/x-www-form-urlencoded") {
            return Err(unsupported("application/x-www-form-urlencoded"));
        }
        let (_, bytes) = read(req).await?;
        serde_urlencoded::from_bytes(&bytes)
            .map(FormBody)
            .map_err(|e| {
                ImsError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    code_minor::INVALID_DATA,
                    format!("the form body does not match the expected fields: {e}"),
                )
            })
    }
}

/// Any request body as bytes, with its media type (for payloads that are not JSON or forms).
#[derive(Clone, Debug, PartialEq)]
pub struct RawBody {
    /// The `Content-Type` essence, lower-cased, if any.
    pub media_type: Option<String>,
    /// The body.
    pub bytes: Vec<u8>,
}

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = ImsError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let (headers, bytes) = read(req).await?;
        Ok(RawBody {
            media_type: media_type(&headers),
            bytes: bytes.to_vec(),
        })
    }
}

/// The media types a body of several alternatives is checked against, in the SDD's order.
///
/// The generated handler of an operation whose body has several media types (OB 3.0
/// `upsertCredential`: `application/json` or `text/plain`) reads a [`RawBody`], tests its
/// `Content-Type` with [`RawBody::is`] for each alternative, decodes the matching one and
/// answers anything else with [`RawBody::unsupported_media_type`] (415 `imsx_StatusInfo`).
impl RawBody {
    /// Whether the body's `Content-Type` essence is `media_type` (compared without parameters
    /// and case-insensitively). Exact, unlike [`JsonBody`]'s any-JSON rule: the alternatives
    /// may include several JSON media types, each its own variant.
    pub fn is(&self, media_type: &str) -> bool {
        let Some(sent) = self.media_type.as_deref() else {
            return false;
        };
        let wanted = media_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        sent == wanted
    }

    /// The body as JSON of type `T`: 400 when it is not JSON, 422 when it has the wrong shape.
    ///
    /// # Errors
    /// As [`JsonBody`].
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ImsError> {
        parse_json(&self.bytes)
    }

    /// The body as a form of type `T` (`application/x-www-form-urlencoded`).
    ///
    /// # Errors
    /// 422 `invaliddata` when the fields do not match.
    pub fn form<T: DeserializeOwned>(&self) -> Result<T, ImsError> {
        serde_urlencoded::from_bytes(&self.bytes).map_err(|e| {
            ImsError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                code_minor::INVALID_DATA,
                format!("the form body does not match the expected fields: {e}"),
            )
        })
    }

    /// The body as text (`text/*`).
    ///
    /// # Errors
    /// 400 `invaliddata` when it is not UTF-8.
    pub fn text(&self) -> Result<String, ImsError> {
        String::from_utf8(self.bytes.clone())
            .map_err(|_| bad_request("the request body is not UTF-8 text"))
    }

    /// The body's bytes (any other media type).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.bytes.clone()
    }

    /// 415 `imsx_StatusInfo` naming the media types the operation accepts.
    pub fn unsupported_media_type(&self, accepted: &[&str]) -> ImsError {
        unsupported(&accepted.join(" or "))
    }
}
