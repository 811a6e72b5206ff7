//! The whole generator as one function: inputs → load → lower → emit → generated files.
//!
//! All-or-nothing: when any error diagnostic is found, no file is returned, so callers never write
//! half of a run. Deterministic: the same inputs give the same bytes (files sorted by module).

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::diagnostics::{Diagnostic, Diagnostics, Location};
use crate::ir;
use crate::load::{self, LoadedSpec};

/// One input of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A `model.yaml` (it names its SDD).
    Model(PathBuf),
    /// An SDD alone; the model is inferred.
    Sdd(PathBuf),
}

/// One generated Rust file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// The module name (e.g. `oneroster_v1p2_rostering`).
    pub module: String,
    /// The file name inside the output folder (`<module>.rs`).
    pub file_name: String,
    /// The file's full text.
    pub contents: String,
}

/// What a run produced.
#[derive(Debug, Clone, Default)]
pub struct Output {
    /// Generated files sorted by module; empty when [`Output::diagnostics`] has errors.
    pub files: Vec<GeneratedFile>,
    /// The lowered services (same order as `files`); empty on errors.
    pub services: Vec<ir::Service>,
    /// Every diagnostic, in the order found.
    pub diagnostics: Diagnostics,
    /// Every input file read (models and SDDs), also on failure: what build scripts watch.
    pub files_read: Vec<PathBuf>,
}

impl Output {
    /// Whether the run succeeded (no error diagnostics).
    pub fn is_ok(&self) -> bool {
        !self.diagnostics.has_errors()
    }
}

/// Loads every input (reporting all problems of all inputs).
pub fn load_all(
    inputs: &[Input],
    diags: &mut Diagnostics,
    read: &mut Vec<PathBuf>,
) -> Vec<LoadedSpec> {
    let mut loaded = Vec::new();
    for input in inputs {
        let spec = match input {
            Input::Model(path) => load::load_model_recording(path, diags, read),
            Input::Sdd(path) => {
                if path.is_file() {
                    read.push(path.clone());
                }
                load::load_sdd(path, diags)
            }
        };
        loaded.extend(spec);
    }
    // Two inputs for one module would overwrite each other's file.
    let mut seen: BTreeMap<&str, &LoadedSpec> = BTreeMap::new();
    for spec in &loaded {
        if let Some(first) = seen.insert(spec.model.module.as_str(), spec) {
            let origin =
                |s: &LoadedSpec| s.model_path.clone().unwrap_or_else(|| s.sdd_path.clone());
            diags.push(
                Diagnostic::error(
                    "IMS0900",
                    format!(
                        "two inputs generate module `{}`: `{}` and `{}`",
                        spec.model.module,
                        origin(first).display(),
                        origin(spec).display()
                    ),
                    Location::file(origin(spec)),
                )
                .with_help("give each model its own `module` name"),
            );
        }
    }
    loaded
}

/// Runs the pipeline on `inputs`.
///
/// ```no_run
/// use ims_codegen::pipeline::{Input, run};
/// let out = run(&[Input::Model("spec-models/oneroster_v1p2_rostering/model.yaml".into())]);
/// for d in out.diagnostics.iter() {
///     eprintln!("{d}");
/// }
/// ```
pub fn run(inputs: &[Input]) -> Output {
    let mut out = Output::default();
    let loaded = load_all(inputs, &mut out.diagnostics, &mut out.files_read);
    if out.diagnostics.has_errors() {
        return out;
    }
    let mut services = Vec::new();
    for spec in &loaded {
        let _span = tracing::debug_span!("lower", module = %spec.model.module).entered();
        if let Some(service) = crate::lower::lower_service(spec, &mut out.diagnostics) {
            services.push(service);
        }
    }
    if out.diagnostics.has_errors() {
        return out;
    }
    services.sort_by(|a, b| a.module.cmp(&b.module));
    let mut files = Vec::new();
    for service in &services {
        let _span = tracing::debug_span!("emit", module = %service.module).entered();
        // Operations the client can only express loosely are still generated, with a warning.
        out.diagnostics
            .extend(crate::emit::client::client_diagnostics(service));
        match crate::emit::emit_service(service) {
            Ok(contents) => files.push(GeneratedFile {
                module: service.module.clone(),
                file_name: format!("{}.rs", service.module),
                contents,
            }),
            Err(d) => out.diagnostics.push(d),
        }
    }
    if !out.diagnostics.has_errors() {
        out.files = files;
        out.services = services;
    }
    out
}
