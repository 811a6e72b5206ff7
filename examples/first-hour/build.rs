// Generates OneRoster 1.2 Rostering (models, server trait and router, client) into OUT_DIR.
// Relative paths start from this crate's folder.
fn main() -> Result<(), ims_codegen::BuildError> {
    ims_codegen::Builder::new()
        .model("../../spec-models/oneroster_v1p2_rostering/model.yaml")
        .compile()?;
    Ok(())
}
