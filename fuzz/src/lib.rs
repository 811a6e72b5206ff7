//! What the fuzz targets share: driving the generator on fuzzed SDDs and models
//! ([`generator`]), reading a fuzzed HTTP request from text ([`http_text`]) and a live embedded
//! authorization server to send it to ([`authz`]), and a JWT verifier with a key the targets can
//! sign with ([`tokens`]), an LTI tool trusting a platform whose keys the targets sign with
//! ([`lti`]); the records the query targets match ([`records`]).
//!
//! Each target in `fuzz_targets/` is a few lines over these; the properties they assert (beyond
//! "no panic") are documented where they are checked.

pub mod authz;
pub mod generator;
pub mod http_text;
pub mod lti;
pub mod records;
pub mod tokens;

/// The repository root (the parent of this crate), for the spec models the targets load.
pub fn repo_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_else(|| std::path::PathBuf::from(".."))
}
