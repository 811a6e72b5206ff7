//! The SDD loader on JSON input, then lowering and emitting what loads (`fuzz/src/generator.rs`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    ims_fuzz::generator::generate_from_sdd("fuzzed.json", data);
});
