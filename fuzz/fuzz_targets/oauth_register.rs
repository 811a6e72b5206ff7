//! Dynamic client registration of the embedded authorization server: `POST /register` (RFC 7591
//! metadata, JSON) and `GET/PUT/DELETE /register/{client_id}` (RFC 7592). Input: a request line
//! (`METHOD /register…`), headers, an empty line, the body.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    ims_fuzz::authz::authz().exercise(data, None);
});
