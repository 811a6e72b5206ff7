//! `ims-codegen`: typed, secure Rust bindings for 1EdTech (IMS Global) service specifications.
//!
//! The pipeline is `load → lower → IR → emit → syn → prettyplease → write-if-changed`
//! (`ARCHITECTURE.md` at the repository root has the map). Use [`Builder`] from `build.rs`, or
//! the `ims-codegen` binary.

#![deny(missing_docs)]

pub mod builder;
pub mod cli;
pub mod diagnostics;
pub mod emit;
pub mod ir;
pub mod load;
pub mod lower;
pub mod pipeline;
pub mod spec_model;
pub mod write;

pub use builder::{BuildError, Builder};
pub use diagnostics::{Diagnostic, Diagnostics, Location, Severity};
