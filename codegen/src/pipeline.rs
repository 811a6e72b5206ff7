//! The whole generator as one function: inputs → load → lower → emit → generated files.
//!
//! All-or-nothing: when any error diagnostic is found, no file is returned, so callers never write
//! half of a run. Deterministic: the same inputs give the same bytes (files sorted by module).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::diagnostics::{Diagnostic, Diagnostics, Location, codes};
pub use crate::emit::EmitOptions;
use crate::ir;
use crate::load::{self, LoadedSpec};
use crate::spec_model::is_valid_module_name;

/// One input of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A `model.yaml` (it names its SDD).
    Model(PathBuf),
    /// An SDD alone; the model is inferred.
    Sdd(PathBuf),
    /// An SDD alone whose module is `module` instead of the name inferred from its `info.title`
    /// (`ims-codegen generate --sdd FILE --module NAME`); `module` must be a snake_case identifier.
    NamedSdd {
        /// The SDD.
        sdd: PathBuf,
        /// The module (and file) name.
        module: String,
    },
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
            Input::NamedSdd { sdd, module } => {
                if sdd.is_file() {
                    read.push(sdd.clone());
                }
                load_named_sdd(sdd, module, diags)
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
                Diagnostic::new(
                    codes::MODULE_GENERATED_TWICE,
                    format!(
                        "two inputs generate module `{}`: `{}` and `{}`",
                        spec.model.module,
                        origin(first).display(),
                        origin(spec).display()
                    ),
                    Location::file(origin(spec)),
                )
                .with_help("give each input its own module: `module:` in a model, `--module NAME` after an `--sdd FILE`"),
            );
        }
    }
    loaded
}

/// Loads an SDD alone and names its module `module`, refusing a name that is not a module name.
fn load_named_sdd(sdd: &Path, module: &str, diags: &mut Diagnostics) -> Option<LoadedSpec> {
    if !is_valid_module_name(module) {
        diags.push(
            Diagnostic::new(
                codes::MODULE_NAME_INVALID,
                format!("invalid module name `{module}`: it must be a snake_case Rust identifier"),
                Location::file(sdd),
            )
            .with_help(
                "use lower-case letters, digits and `_`, starting with a letter, not a keyword",
            ),
        );
        return None;
    }
    let mut spec = load::load_sdd(sdd, diags)?;
    spec.model.module = module.to_owned();
    Some(spec)
}

/// What emitting one service gives: its warnings, and its file or the error that stopped it.
type Emitted = (Vec<Diagnostic>, Result<String, Diagnostic>);

fn emit_one(service: &ir::Service, options: &EmitOptions) -> Emitted {
    let _span = tracing::debug_span!("emit", module = %service.module).entered();
    // Operations the client can only express loosely are still generated, with a warning.
    let diagnostics = if options.client {
        crate::emit::client::client_diagnostics(service)
    } else {
        Vec::new()
    };
    (
        diagnostics,
        crate::emit::emit_service_with(service, options),
    )
}

/// Emits every service, in order. Emission (mostly formatting) is independent per service and
/// dominates a run over many models, so the services are shared out over the machine's cores;
/// results are put back in service order, so the output does not depend on the thread count.
fn emit_all(services: &[ir::Service], options: &EmitOptions) -> Vec<Emitted> {
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .min(services.len());
    if threads <= 1 {
        return services.iter().map(|s| emit_one(s, options)).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut results: Vec<Option<Emitted>> = (0..services.len()).map(|_| None).collect();
    let done: Vec<Vec<(usize, Emitted)>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(service) = services.get(i) else {
                            return mine;
                        };
                        mine.push((i, emit_one(service, options)));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| {
                w.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    for (i, emitted) in done.into_iter().flatten() {
        results[i] = Some(emitted);
    }
    results
        .into_iter()
        .zip(services)
        .map(|(r, s)| r.unwrap_or_else(|| emit_one(s, options)))
        .collect()
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
    run_with(inputs, &EmitOptions::default())
}

/// Like [`run`], generating only the module parts `options` asks for.
pub fn run_with(inputs: &[Input], options: &EmitOptions) -> Output {
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
    for (service, (diagnostics, emitted)) in services.iter().zip(emit_all(&services, options)) {
        out.diagnostics.extend(diagnostics);
        match emitted {
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
