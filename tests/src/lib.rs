//! Cross-crate tests live in `tests/tests/`; this library only compiles the README's Rust
//! examples as doctests, so the README cannot drift from the API.

#[doc = include_str!("../../README.md")]
pub struct ReadmeExamples;
