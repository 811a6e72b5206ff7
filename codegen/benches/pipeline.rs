//! End-to-end generator benchmarks: load + lower + emit (+ syn check + prettyplease) in-process.
//!
//! - `pipeline/or_v1p2_rostering_sdd`: the official OneRoster 1.2 Rostering SDD from
//!   `../shared/ims/real-sdd/` (skipped with a message when the folder is absent). Target < 100 ms.
//! - `pipeline/spec_models/<id>`: every bundled `spec-models/*/model.yaml`.
//!
//! Run: `cargo bench -p ims-codegen --bench pipeline`.

use std::path::{Path, PathBuf};

use criterion::{Criterion, criterion_group, criterion_main};
use ims_codegen::pipeline::{Input, run};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

fn bench_pipeline(c: &mut Criterion) {
    let mut group = c.benchmark_group("pipeline");
    group.sample_size(20);

    let or12 = workspace().join("../shared/ims/real-sdd/or_v1p2_rostering_oas3.json");
    if or12.is_file() {
        let inputs = [Input::Sdd(or12)];
        assert!(run(&inputs).is_ok(), "the OneRoster 1.2 SDD must generate");
        group.bench_function("or_v1p2_rostering_sdd", |b| b.iter(|| run(&inputs)));
    } else {
        eprintln!(
            "skipping or_v1p2_rostering_sdd: {} not found (the official files live in shared/ims/real-sdd beside the checkout)",
            or12.display()
        );
    }

    let mut models: Vec<PathBuf> = std::fs::read_dir(workspace().join("spec-models"))
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|e| e.path().join("model.yaml"))
        .filter(|p| p.is_file())
        .collect();
    models.sort();
    for model in &models {
        let id = model
            .parent()
            .and_then(Path::file_name)
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let inputs = [Input::Model(model.clone())];
        assert!(run(&inputs).is_ok(), "{id} must generate");
        group.bench_function(format!("spec_models/{id}"), |b| b.iter(|| run(&inputs)));
    }
    let all: Vec<Input> = models.into_iter().map(Input::Model).collect();
    if !all.is_empty() {
        group.bench_function("spec_models/all", |b| b.iter(|| run(&all)));
    }
    group.finish();
}

criterion_group!(benches, bench_pipeline);
criterion_main!(benches);
