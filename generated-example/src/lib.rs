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

/// OneRoster 1.2 Gradebook (`spec-models/oneroster_v1p2_gradebook`).
#[rustfmt::skip] // prettyplease formats generated code; `generate --check` guards it
#[path = "generated/oneroster_v1p2_gradebook.rs"]
pub mod oneroster_v1p2_gradebook;

/// OneRoster 1.2 Resources (`spec-models/oneroster_v1p2_resources`).
#[rustfmt::skip] // prettyplease formats generated code; `generate --check` guards it
#[path = "generated/oneroster_v1p2_resources.rs"]
pub mod oneroster_v1p2_resources;

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

/// LTI Assignment and Grade Services 2.0 (`spec-models/lti_ags_v2p0`).
#[rustfmt::skip] // prettyplease formats generated code; `generate --check` guards it
#[path = "generated/lti_ags_v2p0.rs"]
pub mod lti_ags_v2p0;

/// LTI Names and Role Provisioning Services 2.0 (`spec-models/lti_nrps_v2p0`).
#[rustfmt::skip] // prettyplease formats generated code; `generate --check` guards it
#[path = "generated/lti_nrps_v2p0.rs"]
pub mod lti_nrps_v2p0;
/// Edu-API 1.0 (`spec-models/eduapi_v1p0`).
#[rustfmt::skip] // prettyplease formats generated code; `generate --check` guards it
#[path = "generated/eduapi_v1p0.rs"]
pub mod eduapi_v1p0;

/// CASE 1.1, every operation public (`spec-models/case_v1p1`).
#[rustfmt::skip] // prettyplease formats generated code; `generate --check` guards it
#[path = "generated/case_v1p1_public.rs"]
pub mod case_v1p1_public;

/// CASE 1.1, every operation secured (`spec-models/case_v1p1_secured`).
#[rustfmt::skip] // prettyplease formats generated code; `generate --check` guards it
#[path = "generated/case_v1p1_secured.rs"]
pub mod case_v1p1_secured;
/// Computer Adaptive Testing 1.0 (`spec-models/cat_v1p0`).
#[rustfmt::skip] // prettyplease formats generated code; `generate --check` guards it
#[path = "generated/cat_v1p0.rs"]
pub mod cat_v1p0;

pub mod golden;

pub mod demo;

pub mod badges;

pub mod lti_platform;

pub mod lti_tool;
