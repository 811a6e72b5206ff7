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

use std::path::{Path, PathBuf};

use crate::diagnostics::Diagnostics;
use crate::pipeline::{self, GeneratedFile, Input};
use crate::write::{self, WriteError};

/// Why [`Builder::compile`] failed.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The inputs have errors; every diagnostic is listed.
    #[error("ims-codegen: {} error(s) in the inputs\n\n{diagnostics}", diagnostics.error_count())]
    Input {
        /// All diagnostics of the run (errors and warnings).
        diagnostics: Diagnostics,
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

    /// Adds a `model.yaml` (relative paths are relative to the crate's manifest folder).
    #[must_use]
    pub fn model(mut self, path: impl AsRef<Path>) -> Self {
        self.inputs.push(Input::Model(path.as_ref().to_path_buf()));
        self
    }

    /// Adds an SDD alone; its model is inferred.
    #[must_use]
    pub fn sdd(mut self, path: impl AsRef<Path>) -> Self {
        self.inputs.push(Input::Sdd(path.as_ref().to_path_buf()));
        self
    }

    /// Where to write `<module>.rs` files (default: the `OUT_DIR` cargo gives build scripts).
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

    /// Generates and writes the files (each only if its bytes changed).
    pub fn compile(self) -> Result<Compiled, BuildError> {
        if self.inputs.is_empty() {
            return Err(BuildError::NoInputs);
        }
        let out_dir = match self.out_dir {
            Some(d) => d,
            None => std::env::var_os("OUT_DIR")
                .map(PathBuf::from)
                .ok_or(BuildError::NoOutDir)?,
        };
        let output = pipeline::run_with(&self.inputs, &self.emit);
        if self.cargo_directives {
            // Only real files read: cargo re-runs the script when one of them changes.
            for path in &output.files_read {
                println!("cargo:rerun-if-changed={}", path.display());
            }
            for d in output
                .diagnostics
                .iter()
                .filter(|d| d.severity() == crate::diagnostics::Severity::Warning)
            {
                println!("cargo:warning={}", d.to_string().replace('\n', " "));
            }
        }
        if !output.is_ok() {
            return Err(BuildError::Input {
                diagnostics: output.diagnostics,
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

    #[test]
    fn build_error_display_lists_every_diagnostic() {
        let dir = tempfile::tempdir().unwrap();
        let model = dir.path().join("model.yaml");
        std::fs::write(
            &model,
            "spec: X\nservice: Y\nversion: \"1\"\nmodule: bad-name\nsdd: missing.json\n",
        )
        .unwrap();
        let err = Builder::new()
            .model(&model)
            .out_dir(dir.path().join("out"))
            .cargo_directives(false)
            .compile()
            .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("2 error(s)"), "{text}");
        assert!(
            text.contains("IMS0011") && text.contains("IMS0012"),
            "{text}"
        );
        assert!(text.contains("model.yaml:4:1"), "{text}");
        assert!(!dir.path().join("out").exists());
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
