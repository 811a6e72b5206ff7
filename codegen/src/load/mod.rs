//! Loading: the spec model, the SDD (JSON or YAML), version gate, `$ref` checks, OpenAPI 3.1 read
//! as 3.0, quirk normalization.
//!
//! Entry points: [`load_model`] for a `model.yaml` (which names its SDD) and [`load_sdd`] for an SDD
//! alone (the model is inferred with [`SpecModel::infer`]). Both report into [`Diagnostics`] and
//! return `None` when an error was found.

pub mod model_file;
pub mod oas31;
pub mod quirks;
pub mod resolve;
pub mod sdd;
pub mod swagger2_body;
pub mod yaml_span;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::diagnostics::Diagnostics;
use crate::spec_model::SpecModel;

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

impl LoadedSpec {
    /// The files this spec was read from (model, if any, then SDD): what `rerun-if-changed` watches.
    pub fn input_files(&self) -> Vec<PathBuf> {
        self.model_path
            .iter()
            .cloned()
            .chain(std::iter::once(self.sdd_path.clone()))
            .collect()
    }
}

/// Loads a `model.yaml` and the SDD it names.
///
/// Model errors carry the file's line:col; SDD errors carry a JSON pointer.
pub fn load_model(path: &Path, diags: &mut Diagnostics) -> Option<LoadedSpec> {
    load_model_recording(path, diags, &mut Vec::new())
}

/// Like [`load_model`], and pushes every file it read (even when loading fails) onto `read`, so a
/// build script can watch them and re-run once the user fixed the input.
pub fn load_model_recording(
    path: &Path,
    diags: &mut Diagnostics,
    read: &mut Vec<PathBuf>,
) -> Option<LoadedSpec> {
    let _span = tracing::debug_span!("load_model", path = %path.display()).entered();
    if path.is_file() {
        read.push(path.to_path_buf());
    }
    let file = model_file::read_model(path, diags)?;
    let sdd_path = file.model.sdd.clone();
    read.push(sdd_path.clone());
    let parsed = sdd::read_sdd(&sdd_path, diags)?;
    let before = diags.error_count();
    model_file::check_scopes(&file, &sdd_scopes(&parsed.value), diags);
    if diags.error_count() > before {
        return None;
    }
    Some(LoadedSpec {
        model: file.model,
        model_path: Some(std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())),
        sdd_path,
        sdd_sha256: parsed.sha256,
        sdd: parsed.value,
        openapi: parsed.openapi,
    })
}

/// Loads an SDD alone and infers its model.
pub fn load_sdd(path: &Path, diags: &mut Diagnostics) -> Option<LoadedSpec> {
    let _span = tracing::debug_span!("load_sdd", path = %path.display()).entered();
    let sdd_path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let parsed = sdd::read_sdd(&sdd_path, diags)?;
    let model = SpecModel::infer(&sdd_path, &parsed.value);
    tracing::debug!(module = %model.module, "inferred model");
    Some(LoadedSpec {
        model,
        model_path: None,
        sdd_path,
        sdd_sha256: parsed.sha256,
        sdd: parsed.value,
        openapi: parsed.openapi,
    })
}

/// Every scope an SDD mentions: declared by OAuth 2 flows or required by a security requirement.
pub fn sdd_scopes(sdd: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    if let Some(schemes) = sdd
        .pointer("/components/securitySchemes")
        .and_then(Value::as_object)
    {
        for scheme in schemes.values() {
            if let Some(flows) = scheme.get("flows").and_then(Value::as_object) {
                for flow in flows.values() {
                    if let Some(scopes) = flow.get("scopes").and_then(Value::as_object) {
                        out.extend(scopes.keys().cloned());
                    }
                }
            }
        }
    }
    let mut requirements = |security: Option<&Value>| {
        for req in security.and_then(Value::as_array).into_iter().flatten() {
            for scopes in req.as_object().into_iter().flat_map(|o| o.values()) {
                for s in scopes.as_array().into_iter().flatten() {
                    if let Some(s) = s.as_str() {
                        out.insert(s.to_string());
                    }
                }
            }
        }
    };
    requirements(sdd.get("security"));
    if let Some(paths) = sdd.get("paths").and_then(Value::as_object) {
        for item in paths.values().filter_map(Value::as_object) {
            for op in item.values() {
                requirements(op.get("security"));
            }
        }
    }
    out
}
