//! The `model.yaml` loader; a model that loads is checked against its SDD's scopes, lowered and
//! emitted (`fuzz/src/generator.rs`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    // read_to_string refuses non-UTF-8 before the loader sees it.
    if let Ok(text) = std::str::from_utf8(data) {
        ims_fuzz::generator::generate_from_model(text);
    }
});
