//! LTI 1.3 launch validation of the tool (`LtiTool::launch`): the pending login by `state`, the
//! browser binding, the strict `id_token` parser, the header rules, the key by `kid`, the
//! signature and, behind it, every claim check and the nonce spent.
//!
//! Each input starts a fresh login (new `state`, cookie and nonce), then posts:
//! - optional leading lines `state: <value>` and `cookie: <value>` replacing what is posted
//!   (`$STATE` in the value stands for the login's state);
//! - then, starting with `{`: a header JSON line, then the payload, signed by the target with the
//!   platform's RSA key (or its EC key when the header names `fuzz-es256`), `$NONCE` standing for
//!   the login's nonce, so the claim checks see fuzzed claims; anything else is the token itself.
#![no_main]

use ims_fuzz::lti;

/// Splits off a leading `<name>: <value>` line.
fn take_line<'d>(data: &'d [u8], name: &str) -> (Option<String>, &'d [u8]) {
    let Some(rest) = data.strip_prefix(name.as_bytes()) else {
        return (None, data);
    };
    let (value, rest) = match rest.iter().position(|b| *b == b'\n') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &[][..]),
    };
    (Some(String::from_utf8_lossy(value).into_owned()), rest)
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let harness = lti::harness();
    let login = harness.login();
    let (state, data) = take_line(data, "state: ");
    let (cookie, data) = take_line(data, "cookie: ");
    let state = state.map_or_else(
        || login.state.clone(),
        |s| s.replace("$STATE", &login.state),
    );
    let cookie = cookie.unwrap_or_else(|| login.cookie.clone());
    let token = if data.first() == Some(&b'{') {
        let data = lti::with_nonce(data, &login.nonce);
        let (header, payload) = match data.iter().position(|b| *b == b'\n') {
            Some(i) => (&data[..i], &data[i + 1..]),
            None => (&data[..], &[][..]),
        };
        lti::sign(header, payload)
    } else {
        String::from_utf8_lossy(data).into_owned()
    };
    // A launch that never reaches its pending login leaves it in the store; take it so memory
    // stays flat over millions of inputs (the fixed clock never expires it).
    let outcome = harness.launch(&state, &token, &cookie);
    // `LTI_FUZZ_TRACE=1 <binary> fuzz/corpus/lti_launch/*` shows what each seed reaches.
    if std::env::var_os("LTI_FUZZ_TRACE").is_some() {
        eprintln!("lti_launch: {:?}", outcome.as_ref().map(|_| "accepted"));
    }
    if let Ok(launch) = outcome {
        harness.check_accepted(&launch);
    }
    // A launch that never reached its pending login (another state posted) leaves it in the
    // store; take it so memory stays flat over millions of inputs (the fixed clock never
    // expires it).
    let _ = harness.launch(&login.state, "x", &login.cookie);
});
