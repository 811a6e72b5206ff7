//! `POST /token` of the embedded authorization server: the form parser, client authentication
//! (Basic header, client_secret_post, private_key_jwt assertions) and the grant handlers.
//! Input: headers, an empty line, the body (`fuzz/src/http_text.rs`).
#![no_main]

use ims_runtime::axum::http::Method;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    ims_fuzz::authz::authz().exercise(data, Some((Method::POST, "/token")));
});
