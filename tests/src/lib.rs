//! Cross-crate tests live in `tests/tests/`; this library only compiles the README's Rust
//! examples as doctests, so the README cannot drift from the API (the `ignore`d ones are
//! excerpts of compiled files, checked by `tests/integration/doc_examples.rs`).

#[doc = include_str!("../../README.md")]
pub struct ReadmeExamples;
