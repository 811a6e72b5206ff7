//! Cross-crate tests, as one test binary so they link once: the CLI, golden snapshots, the
//! compiled doc examples, the official 1EdTech SDDs, the OneRoster 1.2 end-to-end run and the `#[ims_scope]` UI tests.
//! Run one module with `cargo test -p ims-tests --test integration cli::`.

mod cli;
mod doc_examples;
mod e2e_oneroster;
mod golden;
mod ims_scope_ui;
mod real_sdd;
