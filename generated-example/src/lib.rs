//! Checked-in output of `ims-codegen` for every bundled spec model, compiled and tested in CI.
//!
//! Regenerate with
//! `cargo run -p ims-codegen -- generate spec-models/*/model.yaml --out generated-example/src/generated`;
//! CI runs the same command with `--check`, so these files never go stale.

#![deny(missing_docs)]

/// OneRoster 1.2 Rostering (`spec-models/oneroster_v1p2_rostering`).
#[rustfmt::skip] // prettyplease formats generated code; `generate --check` guards it
#[path = "generated/oneroster_v1p2_rostering.rs"]
pub mod oneroster_v1p2_rostering;

/// OneRoster 1.1 Rostering (`spec-models/oneroster_v1p1_rostering`).
#[rustfmt::skip] // prettyplease formats generated code; `generate --check` guards it
#[path = "generated/oneroster_v1p1_rostering.rs"]
pub mod oneroster_v1p1_rostering;

/// OneRoster 1.1 Resources (`spec-models/oneroster_v1p1_resources`).
#[rustfmt::skip] // prettyplease formats generated code; `generate --check` guards it
#[path = "generated/oneroster_v1p1_resources.rs"]
pub mod oneroster_v1p1_resources;

/// OneRoster 1.1 Gradebook (`spec-models/oneroster_v1p1_gradebook`).
#[rustfmt::skip] // prettyplease formats generated code; `generate --check` guards it
#[path = "generated/oneroster_v1p1_gradebook.rs"]
pub mod oneroster_v1p1_gradebook;

/// Open Badges 3.0 (`spec-models/openbadges_v3p0`).
#[rustfmt::skip] // prettyplease formats generated code; `generate --check` guards it
#[path = "generated/openbadges_v3p0.rs"]
pub mod openbadges_v3p0;

/// Comprehensive Learner Record 2.0 (`spec-models/clr_v2p0`).
#[rustfmt::skip] // prettyplease formats generated code; `generate --check` guards it
#[path = "generated/clr_v2p0.rs"]
pub mod clr_v2p0;

/// Computer Adaptive Testing 1.0 (`spec-models/cat_v1p0`).
#[rustfmt::skip] // prettyplease formats generated code; `generate --check` guards it
#[path = "generated/cat_v1p0.rs"]
pub mod cat_v1p0;

pub mod golden;

pub mod demo;

pub mod badges;
