//! Loading: the spec model, the SDD (JSON or YAML), version gate, quirk normalization, `$ref` checks.

pub mod resolve;

use std::path::PathBuf;

use crate::model::SpecModel;

/// A spec model and its SDD, loaded, normalized and checked: the input of lowering.
#[derive(Debug, Clone)]
pub struct LoadedSpec {
    /// The model (from `model.yaml`, or inferred from the SDD alone). `model.sdd` is absolute.
    pub model: SpecModel,
    /// The `model.yaml` it came from; `None` when inferred from an SDD alone.
    pub model_path: Option<PathBuf>,
    /// The SDD file.
    pub sdd_path: PathBuf,
    /// Hex SHA-256 of the SDD file's bytes.
    pub sdd_sha256: String,
    /// The SDD as a JSON value after quirk normalization (what discovery serves; pointers index it).
    pub sdd: serde_json::Value,
    /// The typed OpenAPI document parsed from [`LoadedSpec::sdd`].
    pub openapi: openapiv3::OpenAPI,
}
