//! End-to-end generator benchmarks: load + lower + emit (+ syn check + prettyplease) in-process.
//!
//! - `pipeline/or_v1p2_rostering_sdd`: the official OneRoster 1.2 Rostering SDD from
//!   `../shared/ims/real-sdd/` or `IMS_REAL_SDD_DIR` (left out, saying where the files come from,
//!   when they are missing). Target < 100 ms.
//! - `pipeline/spec_models/<id>`: every bundled `spec-models/*/model.yaml`.
//! - `stages/{load,lower,render,format}`: the same OneRoster 1.2 run cut into its stages (read and
//!   parse the SDD; lower to the IR; render the templates; `syn` check + `prettyplease`), so a
//!   change in one stage shows where the time went.
//!
//! Run: `cargo bench -p ims-codegen --bench pipeline`.

use std::path::{Path, PathBuf};

use criterion::{Criterion, criterion_group, criterion_main};
use ims_codegen::diagnostics::Diagnostics;
use ims_codegen::emit::{EmitOptions, format::format_file, render_service};
use ims_codegen::load::load_sdd;
use ims_codegen::lower::lower_service;
use ims_codegen::pipeline::{Input, run};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// The official OneRoster 1.2 Rostering SDD, or what is missing and how to provide it.
fn official_or12() -> Result<PathBuf, ims_test_prerequisites::Missing> {
    ims_test_prerequisites::locate_real_sdd_dir().map(|dir| dir.join("or_v1p2_rostering_oas3.json"))
}

fn bench_pipeline(c: &mut Criterion) {
    let mut group = c.benchmark_group("pipeline");
    group.sample_size(20);

    match official_or12() {
        Ok(or12) => {
            let inputs = [Input::Sdd(or12)];
            assert!(run(&inputs).is_ok(), "the OneRoster 1.2 SDD must generate");
            group.bench_function("or_v1p2_rostering_sdd", |b| b.iter(|| run(&inputs)));
        }
        Err(missing) => eprintln!("not benchmarked: or_v1p2_rostering_sdd\n{missing}"),
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

fn bench_stages(c: &mut Criterion) {
    let or12 = match official_or12() {
        Ok(path) => path,
        Err(missing) => {
            eprintln!("not benchmarked: stages\n{missing}");
            return;
        }
    };
    let mut group = c.benchmark_group("stages");
    group.sample_size(20);
    let mut diags = Diagnostics::default();
    let (Some(loaded), false) = (load_sdd(&or12, &mut diags), diags.has_errors()) else {
        panic!("the OneRoster 1.2 SDD must load: {diags:?}");
    };
    let Some(service) = lower_service(&loaded, &mut diags) else {
        panic!("the OneRoster 1.2 SDD must lower: {diags:?}");
    };
    let options = EmitOptions::default();
    let rendered = match render_service(&service, &options) {
        Ok(text) => text,
        Err(d) => panic!("the templates must render: {d}"),
    };
    group.bench_function("load", |b| {
        b.iter(|| load_sdd(&or12, &mut Diagnostics::default()))
    });
    group.bench_function("lower", |b| {
        b.iter(|| lower_service(&loaded, &mut Diagnostics::default()))
    });
    group.bench_function("render", |b| b.iter(|| render_service(&service, &options)));
    group.bench_function("format", |b| b.iter(|| format_file(&rendered, "bench")));
    group.finish();
}

criterion_group!(benches, bench_pipeline, bench_stages);
criterion_main!(benches);
