//! Bearer extraction (RFC 6750) as the resource server's auth layer runs it
//! (`resource_server::authenticate`): the query string, every `Authorization` header, then the
//! JWT verifier on what was extracted.
//!
//! Input: the first line is the query string (empty: none); each further line is one
//! `Authorization` header value.
#![no_main]

use std::sync::Arc;

use ims_runtime::axum::http::{HeaderMap, HeaderValue, header::AUTHORIZATION};
use ims_runtime::futures_util::FutureExt;
use ims_runtime::resource_server::{MAX_TOKEN_BYTES, authenticate, extract_bearer};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut lines = data.split(|b| *b == b'\n');
    let query = lines.next().unwrap_or_default();
    let query = String::from_utf8_lossy(query);
    let query = (!query.is_empty()).then_some(query.as_ref());
    let mut headers = HeaderMap::new();
    for line in lines {
        if let Ok(v) = HeaderValue::from_bytes(line) {
            headers.append(AUTHORIZATION, v);
        }
    }
    if let Ok(token) = extract_bearer(&headers, query) {
        // RS-12 and RFC 6750 §2.1: what passes is a bounded b64token.
        assert!(
            token.len() <= MAX_TOKEN_BYTES,
            "token of {} bytes",
            token.len()
        );
        let body = token.trim_end_matches('=');
        assert!(!body.is_empty());
        assert!(
            body.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
        );
    }
    let realm: Arc<str> = Arc::from("fuzz");
    let verifier = ims_fuzz::tokens::verifier();
    // LocalJwtVerifier never awaits: the future is ready at once.
    if let Some(Ok(principal)) = authenticate(verifier, &realm, &headers, query).now_or_never() {
        ims_fuzz::tokens::check_accepted(&principal);
    }
});
