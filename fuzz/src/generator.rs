//! The generator on fuzzed input: SDD bytes (JSON or YAML) and `model.yaml` text go through
//! load → lower → emit exactly as `ims-codegen generate` would run them, minus the file system.
//!
//! Properties checked besides "no panic":
//! - a step that gives up (`None`) has reported at least one error diagnostic (every bad input
//!   is a diagnostic, ARCHITECTURE.md);
//! - a service that lowered without errors emits: `emit` failing on lowered IR means the
//!   templates wrote code `syn` cannot parse, a generator bug, never the user's fault.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ims_codegen::diagnostics::Diagnostics;
use ims_codegen::emit::{EmitOptions, client::client_diagnostics, emit_service_with};
use ims_codegen::load::{LoadedSpec, model_file, sdd, sdd_scopes};
use ims_codegen::lower::lower_service;
use ims_codegen::spec_model::SpecModel;

/// Runs an SDD given as bytes through load, lower and emit. `file_name` picks the syntax by its
/// extension (`.json` or `.yaml`), as for a file on disk.
pub fn generate_from_sdd(file_name: &str, bytes: &[u8]) {
    let path = Path::new(file_name);
    let mut diags = Diagnostics::new();
    let Some(parsed) = sdd::parse_sdd(path, bytes, &mut diags) else {
        assert_gave_up_with_error(&diags, "parse_sdd");
        return;
    };
    let model = SpecModel::infer(path, &parsed.value);
    let loaded = LoadedSpec {
        model,
        model_path: None,
        sdd_path: path.to_path_buf(),
        sdd_sha256: parsed.sha256,
        sdd: parsed.value,
        openapi: parsed.openapi,
    };
    lower_and_emit(&loaded, &mut diags);
}

/// The SDD a fuzzed `model.yaml` is read against: the OneRoster 1.1 Resources spec model's
/// (small, so the target stays fast), loaded once.
struct ModelHome {
    model_path: PathBuf,
    sdd_path: PathBuf,
    sdd: sdd::ParsedSdd,
}

fn model_home() -> &'static ModelHome {
    static HOME: OnceLock<ModelHome> = OnceLock::new();
    HOME.get_or_init(|| {
        let dir = crate::repo_root().join("spec-models/oneroster_v1p1_resources");
        let sdd_path = std::path::absolute(dir.join("sdd.yaml")).unwrap_or(dir.join("sdd.yaml"));
        let mut diags = Diagnostics::new();
        let Some(sdd) = sdd::read_sdd(&sdd_path, &mut diags) else {
            panic!(
                "the fuzz harness cannot load {}: {:?}",
                sdd_path.display(),
                diags.into_vec()
            );
        };
        ModelHome {
            model_path: dir.join("model.yaml"),
            sdd_path,
            sdd,
        }
    })
}

/// Runs `model.yaml` text through the model loader as if it were
/// `spec-models/oneroster_v1p1_resources/model.yaml`; when it names that folder's SDD, the model
/// is also checked against the SDD's scopes, lowered and emitted.
pub fn generate_from_model(source: &str) {
    let home = model_home();
    let mut diags = Diagnostics::new();
    let Some(file) = model_file::parse_model(&home.model_path, source.to_owned(), &mut diags)
    else {
        assert_gave_up_with_error(&diags, "parse_model");
        return;
    };
    if file.model.sdd != home.sdd_path {
        // Another file on disk: reading it would make the target depend on the checkout.
        return;
    }
    let before = diags.error_count();
    model_file::check_scopes(&file, &sdd_scopes(&home.sdd.value), &mut diags);
    if diags.error_count() > before {
        return;
    }
    let loaded = LoadedSpec {
        model: file.model,
        model_path: Some(home.model_path.clone()),
        sdd_path: home.sdd_path.clone(),
        sdd_sha256: home.sdd.sha256.clone(),
        sdd: home.sdd.value.clone(),
        openapi: home.sdd.openapi.clone(),
    };
    lower_and_emit(&loaded, &mut diags);
}

fn lower_and_emit(loaded: &LoadedSpec, diags: &mut Diagnostics) {
    let Some(service) = lower_service(loaded, diags) else {
        assert_gave_up_with_error(diags, "lower_service");
        return;
    };
    if diags.has_errors() {
        // The pipeline stops here too: no file is emitted for a service with errors.
        return;
    }
    let _ = client_diagnostics(&service);
    if let Err(d) = emit_service_with(&service, &EmitOptions::default()) {
        panic!("a service that lowered without errors failed to emit: {d}");
    }
}

fn assert_gave_up_with_error(diags: &Diagnostics, step: &str) {
    assert!(
        diags.has_errors(),
        "{step} gave up without an error diagnostic: {:?}",
        diags.iter().collect::<Vec<_>>()
    );
}
