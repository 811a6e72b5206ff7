//! JWT access-token verification of the resource server (`LocalJwtVerifier`): the strict JWS
//! parser, the header rules and, behind the signature, the RFC 9068 claim checks.
//!
//! Input starting with `{`: a header JSON line, then the payload; the target signs them with the
//! harness key, so the claim checks see fuzzed claims. Any other input is the token itself.
#![no_main]

use ims_fuzz::tokens;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let token = if data.first() == Some(&b'{') {
        let (header, payload) = match data.iter().position(|b| *b == b'\n') {
            Some(i) => (&data[..i], &data[i + 1..]),
            None => (data, &[][..]),
        };
        tokens::sign(header, payload)
    } else {
        String::from_utf8_lossy(data).into_owned()
    };
    if let Ok(principal) = tokens::verifier().verify_now(&token) {
        tokens::check_accepted(&principal);
    }
});
