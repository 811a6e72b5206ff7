//! Helpers shared by the operation-lowering and service-emission tests.
#![allow(dead_code)]

use std::path::PathBuf;

use ims_codegen::diagnostics::{Diagnostic, Diagnostics, Severity};
use ims_codegen::ir::Service;
use ims_codegen::load::LoadedSpec;
use ims_codegen::spec_model::SpecModel;

/// A minimal model; `extra` is appended to the YAML (e.g. `security: {same_requirement_scopes: all}`).
pub fn model(extra: &str) -> SpecModel {
    let yaml = format!(
        "spec: Test\nservice: Things\nversion: \"1.0\"\nmodule: test_things\nsdd: sdd.json\n{extra}"
    );
    serde_yaml::from_str(&yaml).expect("test model parses")
}

/// A loaded spec from an in-memory SDD and model.
pub fn loaded(sdd: serde_json::Value, model: SpecModel) -> LoadedSpec {
    let openapi = serde_json::from_value(sdd.clone()).expect("test SDD is OpenAPI 3.0");
    LoadedSpec {
        model,
        model_path: Some(PathBuf::from("model.yaml")),
        sdd_path: PathBuf::from("sdd.json"),
        sdd_sha256: "0".repeat(64),
        sdd,
        openapi,
    }
}

/// Lowers and returns the service (if any) and all diagnostics.
pub fn lower(sdd: serde_json::Value, model: SpecModel) -> (Option<Service>, Vec<Diagnostic>) {
    let spec = loaded(sdd, model);
    let mut diags = Diagnostics::new();
    let service = ims_codegen::lower::lower_service(&spec, &mut diags);
    (service, diags.into_vec())
}

/// Lowers and insists on success; prints diagnostics on failure.
pub fn lower_ok(sdd: serde_json::Value, model: SpecModel) -> (Service, Vec<Diagnostic>) {
    let (service, diags) = lower(sdd, model);
    match service {
        Some(s) => {
            assert!(
                diags.iter().all(|d| !d.is_error()),
                "Some(service) returned together with errors"
            );
            (s, diags)
        }
        None => panic!(
            "lowering failed:\n{}",
            diags
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        ),
    }
}

/// Diagnostics with `code`.
pub fn with_code<'a>(diags: &'a [Diagnostic], code: &str) -> Vec<&'a Diagnostic> {
    diags.iter().filter(|d| d.code == code).collect()
}

/// Whether a diagnostic of `severity` with `code` exists.
pub fn has(diags: &[Diagnostic], severity: Severity, code: &str) -> bool {
    diags
        .iter()
        .any(|d| d.severity() == severity && d.code == code)
}

/// The folder of the official 1EdTech files; the test fails, saying where they come from, when
/// it is missing.
pub use ims_test_prerequisites::real_sdd_dir;

/// A minimal response object.
pub fn ok_response() -> serde_json::Value {
    serde_json::json!({"200": {"description": "OK"}})
}
