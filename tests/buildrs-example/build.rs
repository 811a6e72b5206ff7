//! Generates the OneRoster 1.2 Rostering and 1.1 Resources bindings (models, server, client) into
//! OUT_DIR at build time.
//!
//! The builder prints `cargo:rerun-if-changed` for the models and their SDDs only, so cargo
//! re-runs this script exactly when one of them changes, and writes each output file only when
//! its bytes change. Relative paths start from this crate's folder (CARGO_MANIFEST_DIR), where cargo
//! runs build scripts. Warnings show as `warning:` lines; on an error, `?` prints the diagnostics as
//! the CLI does (BuildError's Debug is its rustc-style Display text) under cargo's `--- stderr`.

fn main() -> Result<(), ims_codegen::BuildError> {
    ims_codegen::Builder::new()
        .model("../../spec-models/oneroster_v1p2_rostering/model.yaml")
        .model("../../spec-models/oneroster_v1p1_resources/model.yaml")
        .build_server(true)
        .build_client(true)
        .compile()?;
    Ok(())
}
