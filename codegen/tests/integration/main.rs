//! The generator's integration tests, as one test binary so they link once: lowering of
//! operations, emission of models, services and clients, the operation fixtures in
//! `tests/fixtures/operations/`, OpenAPI 3.1 input (`tests/fixtures/oas31/`) and the official 1EdTech SDDs.
//! Run one module with `cargo test -p ims-codegen --test integration emit_client::`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod emit_client;
mod emit_models;
mod emit_service;
mod fixtures_linked_lists;
mod fixtures_operations;
mod load_oas31;
mod lower_operations;
mod op_support;
mod real_sdd_operations;
