//! `POST /introspect` (RFC 7662) of the embedded authorization server: form parser, client
//! authentication, token recognition. Input: headers, an empty line, the body.
#![no_main]

use ims_runtime::axum::http::Method;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    ims_fuzz::authz::authz().exercise(data, Some((Method::POST, "/introspect")));
});
