//! Golden tests: the generator's output for every fixture in `tests/fixtures/` must equal the
//! snapshot checked in under `generated-example/src/golden/` (which CI also compiles as a crate),
//! and the checked-in bindings under `generated-example/src/generated/` must equal the output for
//! the bundled spec models. Regenerate both with `scripts/generate-examples.sh`.

// In a test a failed expectation is a failed test, not a crash reachable from input.
#![allow(clippy::expect_used)]

use std::path::{Path, PathBuf};

use ims_codegen::pipeline::{self, Input};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the workspace")
        .to_path_buf()
}

fn sorted_entries(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    entries
}

fn fixture_inputs() -> Vec<Input> {
    let root = workspace().join("tests/fixtures");
    let mut inputs = Vec::new();
    // `oas31/` holds OpenAPI 3.1 construct fixtures at its top (its subfolders are read by
    // codegen/tests/integration/load_oas31.rs).
    let construct_files = sorted_entries(&root.join("constructs"))
        .into_iter()
        .chain(sorted_entries(&root.join("oas31")));
    for sdd in construct_files {
        if sdd.is_file() && sdd.extension().is_some_and(|e| e == "yaml") {
            // Named after the fixture file, as scripts/generate-examples.sh names it.
            let stem = sdd.file_stem().and_then(|s| s.to_str());
            let module = stem.expect("fixture file names are UTF-8").to_owned();
            inputs.push(Input::NamedSdd { sdd, module });
        }
    }
    for dir in sorted_entries(&root.join("operations")) {
        let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        // error_* fixtures must fail; codegen/tests/integration/fixtures_operations.rs checks their diagnostics.
        if dir.is_dir() && !name.starts_with("error_") {
            inputs.push(Input::Model(dir.join("model.yaml")));
        }
    }
    inputs
}

fn model_inputs() -> Vec<Input> {
    sorted_entries(&workspace().join("spec-models"))
        .into_iter()
        .filter(|dir| dir.join("model.yaml").is_file())
        .map(|dir| Input::Model(dir.join("model.yaml")))
        .collect()
}

/// Every generated file equals its snapshot, and no snapshot is left without a fixture.
fn assert_matches_snapshots(inputs: &[Input], snapshot_dir: &Path) {
    let output = pipeline::run(inputs);
    assert!(output.is_ok(), "generation failed:\n{}", output.diagnostics);
    let mut stale = Vec::new();
    for file in &output.files {
        let path = snapshot_dir.join(&file.file_name);
        match std::fs::read_to_string(&path) {
            Ok(on_disk) if on_disk == file.contents => {}
            Ok(_) => stale.push(format!("stale: {}", path.display())),
            Err(_) => stale.push(format!("missing: {}", path.display())),
        }
    }
    for path in sorted_entries(snapshot_dir) {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if !output.files.iter().any(|f| f.file_name == name) {
            stale.push(format!(
                "orphaned (no input generates it): {}",
                path.display()
            ));
        }
    }
    assert!(
        stale.is_empty(),
        "{}\nrun scripts/generate-examples.sh and review the diff",
        stale.join("\n")
    );
}

#[test]
fn fixture_output_matches_golden_snapshots() {
    let inputs = fixture_inputs();
    assert!(
        inputs.len() >= 10,
        "expected the construct and operation fixtures, found {}",
        inputs.len()
    );
    assert_matches_snapshots(&inputs, &workspace().join("generated-example/src/golden"));
}

#[test]
fn bundled_spec_models_match_checked_in_bindings() {
    let inputs = model_inputs();
    assert!(
        inputs.len() >= 4,
        "expected the bundled spec models, found {}",
        inputs.len()
    );
    assert_matches_snapshots(
        &inputs,
        &workspace().join("generated-example/src/generated"),
    );
}

#[test]
fn generating_twice_gives_identical_bytes() {
    let mut inputs = fixture_inputs();
    inputs.extend(model_inputs());
    let first = pipeline::run(&inputs);
    let second = pipeline::run(&inputs);
    assert!(first.is_ok(), "{}", first.diagnostics);
    assert_eq!(first.files, second.files);
}
