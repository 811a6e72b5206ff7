//! The `build.rs` entry point, in the style of `tonic-build` / `prost-build`.
//!
//! ```no_run
//! // build.rs
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     ims_codegen::Builder::new()
//!         .model("spec-models/oneroster_v1p2_rostering/model.yaml")
//!         .compile()?;
//!     Ok(())
//! }
//! // src/lib.rs:  pub mod oneroster { ims_runtime::include_spec!("oneroster_v1p2_rostering"); }
//! ```
//!
//! Relative paths (models, SDDs, the output folder) start from the crate's folder, the
//! `CARGO_MANIFEST_DIR` cargo runs build scripts in, not from the workspace root; a missing file is
//! reported with the absolute path that was looked for.
//!
//! Diagnostics read as the CLI prints them (rustc style: `error[IMS…]`, `--> file:line:col`, the
//! quoted line with a caret, `= help`). Warnings go to cargo as `cargo:warning=` lines, one per line
//! of that text. On errors, [`BuildError`]'s `Display` *and* `Debug` are that text, so `?` in a
//! `main` returning `Result<(), BuildError>` or `Result<(), Box<dyn Error>>` (which prints the
//! error with `Debug`) and `.unwrap()` all show it under cargo's `--- stderr`, not a struct dump.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::diagnostics::{Diagnostic, Diagnostics, Location, Renderer, Severity, codes};
use crate::pipeline::{self, GeneratedFile, Input};
use crate::write::{self, WriteError};

/// Why [`Builder::compile`] failed. `Display` and `Debug` print the same text (see the module docs).
#[derive(thiserror::Error)]
pub enum BuildError {
    /// The inputs have errors; `text` renders every diagnostic as the CLI does.
    #[error("ims-codegen: {} error(s) in the inputs; no file was written\n\n{text}", diagnostics.error_count())]
    Input {
        /// All diagnostics of the run (errors and warnings).
        diagnostics: Diagnostics,
        /// The diagnostics rendered like rustc, with the quoted source lines.
        text: String,
    },
    /// No `out_dir` was set and `OUT_DIR` is not in the environment (not running under cargo).
    #[error(
        "ims-codegen: no output folder: call `.out_dir(..)` or run from a build script (OUT_DIR is unset)"
    )]
    NoOutDir,
    /// Nothing to generate.
    #[error("ims-codegen: no inputs: call `.model(..)` or `.sdd(..)` at least once")]
    NoInputs,
    /// Writing a file failed.
    #[error("ims-codegen: {0}")]
    Write(#[from] WriteError),
}

impl fmt::Debug for BuildError {
    /// The `Display` text: `main` returning an error prints it with `Debug`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Configures and runs code generation from a build script.
#[derive(Debug, Clone)]
pub struct Builder {
    inputs: Vec<Input>,
    out_dir: Option<PathBuf>,
    cargo_directives: bool,
    emit: pipeline::EmitOptions,
}

impl Default for Builder {
    fn default() -> Self {
        Self::new()
    }
}

/// What [`Builder::compile`] produced.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// The generated files, as written.
    pub files: Vec<GeneratedFile>,
    /// The folder they were written to.
    pub out_dir: PathBuf,
    /// Warnings of the run.
    pub diagnostics: Diagnostics,
}

impl Builder {
    /// A builder with no inputs, writing to `OUT_DIR`, printing `cargo:` directives.
    pub fn new() -> Self {
        Self {
            inputs: Vec::new(),
            out_dir: None,
            cargo_directives: true,
            emit: pipeline::EmitOptions::default(),
        }
    }

    /// Adds a `model.yaml`. A relative path starts from the crate's folder (`CARGO_MANIFEST_DIR`);
    /// the SDD the model names is relative to the model's folder.
    #[must_use]
    pub fn model(mut self, path: impl AsRef<Path>) -> Self {
        self.inputs.push(Input::Model(path.as_ref().to_path_buf()));
        self
    }

    /// Adds an SDD alone; its model is inferred. A relative path starts from the crate's folder
    /// (`CARGO_MANIFEST_DIR`).
    #[must_use]
    pub fn sdd(mut self, path: impl AsRef<Path>) -> Self {
        self.inputs.push(Input::Sdd(path.as_ref().to_path_buf()));
        self
    }

    /// Where to write `<module>.rs` files (default: the `OUT_DIR` cargo gives build scripts). A
    /// relative path starts from the crate's folder (`CARGO_MANIFEST_DIR`).
    #[must_use]
    pub fn out_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.out_dir = Some(dir.as_ref().to_path_buf());
        self
    }

    /// Whether to print `cargo:rerun-if-changed` for every file read and `cargo:warning` for
    /// warnings (default `true`; turn off when calling the builder outside a build script).
    #[must_use]
    pub fn cargo_directives(mut self, on: bool) -> Self {
        self.cargo_directives = on;
        self
    }

    /// Whether to generate `pub mod server` (service trait + `router`; needs ims-runtime's
    /// `server` feature). Default `true`.
    #[must_use]
    pub fn build_server(mut self, on: bool) -> Self {
        self.emit.server = on;
        self
    }

    /// Whether to generate `pub mod client` (typed API client; needs ims-runtime's `client`
    /// feature). Default `true`.
    #[must_use]
    pub fn build_client(mut self, on: bool) -> Self {
        self.emit.client = on;
        self
    }

    /// Generates and writes the files (each only if its bytes changed). Warnings are printed as
    /// `cargo:warning` lines; errors come back as [`BuildError::Input`] and nothing is written.
    pub fn compile(self) -> Result<Compiled, BuildError> {
        let on = self.cargo_directives;
        let mut stdout = std::io::stdout().lock();
        let mut none = std::io::sink();
        let directives: &mut dyn Write = if on { &mut stdout } else { &mut none };
        self.compile_printing_to(directives)
    }

    /// [`Builder::compile`], with the `cargo:` directives written to `directives`.
    fn compile_printing_to(self, directives: &mut dyn Write) -> Result<Compiled, BuildError> {
        if self.inputs.is_empty() {
            return Err(BuildError::NoInputs);
        }
        let base = crate_dir();
        let out_dir = match self.out_dir {
            Some(d) => base.join(d),
            None => std::env::var_os("OUT_DIR")
                .map(PathBuf::from)
                .ok_or(BuildError::NoOutDir)?,
        };
        let mut missing = Diagnostics::new();
        let mut inputs = Vec::with_capacity(self.inputs.len());
        for input in self.inputs {
            let input = resolve_input(&base, input);
            let (kind, path) = match &input {
                Input::Model(p) => ("model", p),
                Input::Sdd(p) | Input::NamedSdd { sdd: p, .. } => ("SDD", p),
            };
            match input_file_problem(path) {
                None => inputs.push(input),
                Some(problem) => {
                    // Watched too: cargo re-runs the script once the file appears.
                    let _ = writeln!(directives, "cargo:rerun-if-changed={}", path.display());
                    missing.push(
                        Diagnostic::new(
                            codes::INPUT_UNREADABLE,
                            format!("{kind} file `{}` {problem}", path.display()),
                            Location::None,
                        )
                        .with_help(format!(
                            "relative paths given to `ims_codegen::Builder` start from the crate's folder \
                             (CARGO_MANIFEST_DIR, where cargo runs build.rs): {}",
                            base.display()
                        )),
                    );
                }
            }
        }
        let mut output = if inputs.is_empty() {
            pipeline::Output::default()
        } else {
            pipeline::run_with(&inputs, &self.emit)
        };
        // Only real files read: cargo re-runs the script when one of them changes.
        for path in &output.files_read {
            let _ = writeln!(directives, "cargo:rerun-if-changed={}", path.display());
        }
        let mut renderer = Renderer::new();
        for d in output
            .diagnostics
            .iter()
            .filter(|d| d.severity() == Severity::Warning)
        {
            // One directive per line: cargo shows each as its own `warning:` line.
            for line in renderer.render(d).lines() {
                let _ = writeln!(directives, "cargo:warning={line}");
            }
        }
        if !missing.is_empty() || !output.is_ok() {
            missing.extend(std::mem::take(&mut output.diagnostics));
            let text = renderer.render_all(missing.iter());
            return Err(BuildError::Input {
                diagnostics: missing,
                text,
            });
        }
        write::write_files(&out_dir, &output.files)?;
        Ok(Compiled {
            files: output.files,
            out_dir,
            diagnostics: output.diagnostics,
        })
    }
}

/// The folder relative paths start from: the crate's (`CARGO_MANIFEST_DIR`, which cargo sets for
/// build scripts), else the current folder.
fn crate_dir() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::current_dir().ok())
        .unwrap_or_default()
}

/// `input` with its path made absolute against `base`.
fn resolve_input(base: &Path, input: Input) -> Input {
    match input {
        Input::Model(p) => Input::Model(base.join(p)),
        Input::Sdd(p) => Input::Sdd(base.join(p)),
        Input::NamedSdd { sdd, module } => Input::NamedSdd {
            sdd: base.join(sdd),
            module,
        },
    }
}

/// Why `path` cannot be an input file, if it cannot.
fn input_file_problem(path: &Path) -> Option<String> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => None,
        Ok(_) => Some("is a folder, not a file".to_string()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some("not found".to_string()),
        Err(e) => Some(format!("cannot be read: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundled_model() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../spec-models/oneroster_v1p2_rostering/model.yaml")
    }

    #[test]
    fn compile_writes_module_file_into_out_dir() {
        let dir = tempfile::tempdir().unwrap();
        let compiled = Builder::new()
            .model(bundled_model())
            .out_dir(dir.path())
            .cargo_directives(false)
            .compile()
            .unwrap();
        assert_eq!(compiled.files.len(), 1);
        let written =
            std::fs::read_to_string(dir.path().join("oneroster_v1p2_rostering.rs")).unwrap();
        assert_eq!(written, compiled.files[0].contents);
    }

    /// What a build script sees for a model with errors: `?` in `main` prints `Debug`.
    #[test]
    fn build_error_reads_like_rustc_in_display_and_debug() {
        let dir = tempfile::tempdir().unwrap();
        let model = dir.path().join("model.yaml");
        std::fs::write(
            &model,
            "spec: X\nservice: Y\nversion: \"1\"\nmodule: bad-name\nsdd: missing.json\n",
        )
        .unwrap();
        let mut directives = Vec::new();
        let err = Builder::new()
            .model(&model)
            .out_dir(dir.path().join("out"))
            .compile_printing_to(&mut directives)
            .unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("ims-codegen: 2 error(s) in the inputs; no file was written\n\n"),
            "{text}"
        );
        let expected_first = format!(
            "error[IMS0011]: invalid module name `bad-name`: it must be a snake_case Rust identifier\n  --> {}:4:1\n   |\n 4 | module: bad-name\n   | ^\n",
            model.display()
        );
        assert!(text.contains(&expected_first), "{text}");
        assert!(text.contains("error[IMS0012]"), "{text}");
        assert_eq!(format!("{err:?}"), text);
        let boxed: Box<dyn std::error::Error> = Box::new(err);
        assert_eq!(format!("{boxed:?}"), text, "what `main` prints");
        assert!(!dir.path().join("out").exists());
        let directives = String::from_utf8(directives).unwrap();
        assert!(
            directives.contains(&format!("cargo:rerun-if-changed={}", model.display())),
            "{directives}"
        );
    }

    #[test]
    fn a_missing_relative_input_names_the_path_looked_for_and_where_it_starts() {
        let dir = tempfile::tempdir().unwrap();
        let err = Builder::new()
            .model("no/such/model.yaml")
            .out_dir(dir.path())
            .cargo_directives(false)
            .compile()
            .unwrap_err();
        let text = err.to_string();
        let looked_for = crate_dir().join("no/such/model.yaml");
        assert!(looked_for.is_absolute());
        assert!(
            text.contains(&format!(
                "error[IMS0001]: model file `{}` not found",
                looked_for.display()
            )),
            "{text}"
        );
        assert!(
            text.contains("start from the crate's folder (CARGO_MANIFEST_DIR"),
            "{text}"
        );
    }

    #[test]
    fn warnings_become_one_cargo_warning_per_rendered_line() {
        let dir = tempfile::tempdir().unwrap();
        let sdd = dir.path().join("sdd.json");
        // No `servers` and no model: IMS0450 (operations mounted at the root) is a warning.
        std::fs::write(
            &sdd,
            r#"{"openapi": "3.0.0", "info": {"title": "Things", "version": "1.0"},
                "paths": {"/things": {"get": {"operationId": "getThings",
                  "responses": {"200": {"description": "OK"}}}}}}"#,
        )
        .unwrap();
        let mut directives = Vec::new();
        let compiled = Builder::new()
            .sdd(&sdd)
            .out_dir(dir.path().join("out"))
            .compile_printing_to(&mut directives)
            .unwrap();
        let warning = compiled
            .diagnostics
            .iter()
            .find(|d| d.severity() == Severity::Warning)
            .expect("the SDD yields a warning");
        let rendered = Renderer::new().render(warning);
        assert!(rendered.lines().count() > 1, "{rendered}");
        let expected: String = rendered
            .lines()
            .map(|l| format!("cargo:warning={l}\n"))
            .collect();
        let directives = String::from_utf8(directives).unwrap();
        assert!(directives.contains(&expected), "{directives}");
    }

    #[test]
    fn only_the_model_and_its_sdd_are_watched() {
        let out = pipeline::run(&[Input::Model(bundled_model())]);
        assert!(out.is_ok(), "{}", out.diagnostics);
        let names: Vec<_> = out
            .files_read
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, vec!["model.yaml", "sdd.yaml"]);
    }

    #[test]
    fn compile_without_inputs_is_an_error() {
        assert!(matches!(
            Builder::new().compile(),
            Err(BuildError::NoInputs)
        ));
    }
}
