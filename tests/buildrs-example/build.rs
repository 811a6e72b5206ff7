//! Generates the OneRoster 1.2 Rostering bindings into OUT_DIR at build time.
//!
//! The builder prints `cargo:rerun-if-changed` for the model and its SDD only, so cargo re-runs
//! this script exactly when one of them changes, and writes the output only when its bytes change.

fn main() -> Result<(), ims_codegen::BuildError> {
    ims_codegen::Builder::new()
        .model("../../spec-models/oneroster_v1p2_rostering/model.yaml")
        .compile()?;
    Ok(())
}
