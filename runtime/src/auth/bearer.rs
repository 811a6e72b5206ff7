//! Bearer token extraction from the `Authorization` header (RFC 6750 §2.1).

use http::HeaderMap;
use http::header::AUTHORIZATION;

use super::jwt::MAX_TOKEN_BYTES;

/// Why no usable bearer token could be taken from a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BearerError {
    /// No credentials at all → 401 without an error code (RS-01). A foreign scheme (`Basic`) is
    /// treated the same way (RFC 6750 §3.1).
    Missing,
    /// Malformed credentials → 400 `invalid_request` (RS-02, RS-04, RS-12).
    Malformed(&'static str),
}

fn is_b64token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
}

/// Takes the token from exactly one `Authorization: Bearer <b64token>` header.
///
/// - the scheme is case-insensitive (RS-03); exactly one space separates it from the token;
/// - the token matches `b64token` (RFC 6750 §2.1) and is at most 8 KiB, checked before any
///   parsing (RS-12);
/// - two `Authorization` headers, or a token also sent as `access_token` in the query, are
///   malformed (RS-02, RS-04). Query and form-body tokens are never accepted.
pub fn extract_bearer<'h>(
    headers: &'h HeaderMap,
    query: Option<&str>,
) -> Result<&'h str, BearerError> {
    if query.is_some_and(query_has_access_token) {
        return Err(BearerError::Malformed(
            "access_token in the query is not accepted",
        ));
    }
    let mut values = headers.get_all(AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Err(BearerError::Missing);
    };
    if values.next().is_some() {
        return Err(BearerError::Malformed("several Authorization headers"));
    }
    let bytes = value.as_bytes();
    if bytes.len() > MAX_TOKEN_BYTES + 7 {
        return Err(BearerError::Malformed("token too large"));
    }
    let Ok(value) = value.to_str() else {
        return Err(BearerError::Malformed("non-ASCII Authorization header"));
    };
    let (scheme, rest) = match value.split_once(' ') {
        Some((s, r)) => (s, r),
        None => (value, ""),
    };
    if !scheme.eq_ignore_ascii_case("bearer") {
        return if scheme.is_empty() {
            Err(BearerError::Malformed("empty Authorization header"))
        } else {
            Err(BearerError::Missing)
        };
    }
    let token = rest;
    let body = token.trim_end_matches('=');
    if body.is_empty() || !body.bytes().all(is_b64token_char) {
        return Err(BearerError::Malformed("token is empty or not a b64token"));
    }
    Ok(token)
}

fn query_has_access_token(query: &str) -> bool {
    query.split('&').any(|pair| {
        let name = pair.split('=').next().unwrap_or("");
        name == "access_token"
            || percent_encoding::percent_decode_str(name).decode_utf8_lossy() == "access_token"
    })
}
