//! The SDD loader on YAML input, then lowering and emitting what loads (`fuzz/src/generator.rs`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    ims_fuzz::generator::generate_from_sdd("fuzzed.yaml", data);
});
