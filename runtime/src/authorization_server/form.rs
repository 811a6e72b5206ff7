//! Strict `application/x-www-form-urlencoded` request parsing for the OAuth endpoints.

use std::collections::HashMap;

use axum::http::{HeaderMap, header};

use super::error::OAuthError;

/// A parsed form: every parameter at most once; empty values count as absent (RFC 6749 §3.1).
#[derive(Debug, Default, Clone)]
pub struct Form {
    params: HashMap<String, String>,
}

impl Form {
    /// Parses `body`, requiring the form content type and rejecting repeated parameters
    /// (RFC 6749 §3.1, AS-17/AS-18).
    pub fn parse(headers: &HeaderMap, body: &[u8]) -> Result<Self, OAuthError> {
        let ct = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let media = ct.split(';').next().unwrap_or("").trim();
        if !media.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
            return Err(OAuthError::invalid_request(
                "the request body must be application/x-www-form-urlencoded",
            ));
        }
        Self::parse_pairs(body)
    }

    /// Parses urlencoded pairs (also used for query strings).
    pub fn parse_pairs(raw: &[u8]) -> Result<Self, OAuthError> {
        let mut params = HashMap::new();
        for (k, v) in url::form_urlencoded::parse(raw) {
            if params.contains_key(k.as_ref()) {
                return Err(OAuthError::invalid_request(
                    "request parameters must not be included more than once",
                ));
            }
            params.insert(k.into_owned(), v.into_owned());
        }
        // Parameters without a value are treated as omitted (RFC 6749 §3.1).
        params.retain(|_, v| !v.is_empty());
        Ok(Self { params })
    }

    /// A parameter's value, if present and non-empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    /// A required parameter or `400 invalid_request` with `missing`.
    pub fn require(&self, name: &str, missing: &'static str) -> Result<&str, OAuthError> {
        self.get(name).ok_or(OAuthError::invalid_request(missing))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_parameters_are_rejected() {
        assert!(Form::parse_pairs(b"grant_type=a&grant_type=b").is_err());
        assert_eq!(
            Form::parse_pairs(b"a=1&b=").unwrap().get("b"),
            None,
            "empty values count as absent"
        );
    }

    #[test]
    fn non_form_content_type_is_rejected() {
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_TYPE, "application/json".parse().unwrap());
        assert!(Form::parse(&h, b"{}").is_err());
    }
}
