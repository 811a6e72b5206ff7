//! Bearer token extraction from the `Authorization` header (RFC 6750 §2.1).

use http::header::AUTHORIZATION;
use http::{HeaderMap, HeaderValue};

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
///   malformed (RS-02, RS-04). Query and form-body tokens are never accepted; form bodies are
///   checked by the auth layer, which alone sees the body.
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
    urlencoded_has_access_token(query.as_bytes())
}

/// Largest `application/x-www-form-urlencoded` body the auth layer buffers to look for a
/// smuggled `access_token` (RS-04); larger form bodies are refused with 413 before parsing.
pub(crate) const MAX_FORM_BODY_BYTES: usize = 64 * 1024;

/// Whether a `Content-Type` value names `application/x-www-form-urlencoded` (any parameters,
/// any case): the only body type in which RFC 6750 §2.2 lets a client send a token.
pub(crate) fn is_form_urlencoded(content_type: &HeaderValue) -> bool {
    let essence = content_type
        .as_bytes()
        .split(|b| *b == b';')
        .next()
        .unwrap_or_default()
        .trim_ascii();
    essence.eq_ignore_ascii_case(b"application/x-www-form-urlencoded")
}

/// Whether an urlencoded query or form body has an `access_token` parameter, in any position
/// and however its name is percent-encoded. Form bodies may use `+` for spaces, which can never
/// turn into `access_token`, so no `+` decoding is needed.
pub(crate) fn urlencoded_has_access_token(pairs: &[u8]) -> bool {
    pairs.split(|b| *b == b'&').any(|pair| {
        let name = pair.split(|b| *b == b'=').next().unwrap_or_default();
        name == b"access_token"
            || percent_encoding::percent_decode(name).eq(b"access_token".iter().copied())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_content_type_recognised_with_parameters_and_any_case() {
        for v in [
            "application/x-www-form-urlencoded",
            "Application/X-WWW-Form-URLEncoded; charset=UTF-8",
            " application/x-www-form-urlencoded ;charset=utf-8",
        ] {
            assert!(is_form_urlencoded(&HeaderValue::from_static(v)), "{v}");
        }
        for v in ["application/json", "multipart/form-data; boundary=x", ""] {
            assert!(!is_form_urlencoded(&HeaderValue::from_static(v)), "{v}");
        }
    }

    #[test]
    fn access_token_parameter_found_anywhere_and_percent_encoded() {
        for body in [
            &b"access_token=abc"[..],
            b"a=1&access_token=abc",
            b"a=1&access_token",
            b"a=1&access%5Ftoken=abc",
            b"%61ccess_token=x&b=2",
        ] {
            assert!(urlencoded_has_access_token(body), "{body:?}");
        }
        for body in [
            &b""[..],
            b"a=1&b=2",
            b"x=access_token",
            b"access_tokens=1",
            b"access+token=1",
        ] {
            assert!(!urlencoded_has_access_token(body), "{body:?}");
        }
    }
}
