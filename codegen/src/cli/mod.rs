//! The `ims-codegen` command line: `generate`, `check` and `list`.
//!
//! Exit codes: 0 success, 1 errors in the inputs, 2 usage errors, 3 stale or missing files
//! (`generate --check`), 4 I/O errors while writing or comparing output.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{ArgMatches, Args, FromArgMatches, Parser, Subcommand};

use crate::diagnostics::{Diagnostics, Renderer};
use crate::ir;
use crate::pipeline::{self, Input};
use crate::spec_model::is_valid_module_name;
use crate::write::{self, Staleness, WriteOutcome};

/// Success.
pub const EXIT_OK: u8 = 0;
/// The inputs have errors.
pub const EXIT_INPUT: u8 = 1;
/// Bad command line (clap's own exit code for usage errors).
pub const EXIT_USAGE: u8 = 2;
/// `--check` found stale or missing files.
pub const EXIT_STALE: u8 = 3;
/// Reading or writing the output folder failed.
pub const EXIT_IO: u8 = 4;

/// Typed, secure Rust bindings for 1EdTech (IMS Global) service specifications.
#[derive(Debug, Parser)]
#[command(name = "ims-codegen", version, about, long_about = None)]
pub struct Cli {
    /// Do not print warnings.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate one `<module>.rs` per input into `--out` (written only when changed).
    Generate {
        /// Inputs.
        #[command(flatten)]
        inputs: InputArgs,
        /// Output folder.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Write nothing; exit with 3 if a file in DIR is stale or missing.
        #[arg(long)]
        check: bool,
        /// Parts of each module to leave out.
        #[command(flatten)]
        parts: PartArgs,
    },
    /// Load, validate and generate in memory; print diagnostics only.
    Check {
        /// Inputs.
        #[command(flatten)]
        inputs: InputArgs,
    },
    /// List services, operations (method, path, scopes) and scopes.
    List {
        /// Inputs.
        #[command(flatten)]
        inputs: InputArgs,
    },
}

/// Optional parts of a generated module.
#[derive(Debug, Args, Default)]
pub struct PartArgs {
    /// Leave out `pub mod server` (service trait + router; needs ims-runtime's `server` feature).
    #[arg(long)]
    pub no_server: bool,
    /// Leave out `pub mod client` (typed API client; needs ims-runtime's `client` feature).
    #[arg(long)]
    pub no_client: bool,
}

impl PartArgs {
    fn emit_options(&self) -> pipeline::EmitOptions {
        pipeline::EmitOptions {
            server: !self.no_server,
            client: !self.no_client,
        }
    }
}

/// Model files and/or SDDs, each SDD with the module name given right after it, if any.
///
/// `--module NAME` names the module of the `--sdd FILE` just before it (default: inferred from the
/// SDD's `info.title`), so the pairing follows the order on the command line; clap's derive sees
/// only the values, so [`InputArgs`] reads their positions from the matches itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InputArgs {
    /// Spec models (`model.yaml`).
    pub models: Vec<PathBuf>,
    /// SDDs used alone, in command-line order.
    pub sdds: Vec<SddArg>,
}

/// One `--sdd FILE`, with the `--module NAME` that followed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SddArg {
    /// The SDD.
    pub path: PathBuf,
    /// The module name; `None` to infer it from the SDD.
    pub module: Option<String>,
}

/// The arguments as clap's derive parses them, before `--module`s are paired with `--sdd`s.
#[derive(Debug, Args)]
struct RawInputArgs {
    /// Spec models (`model.yaml`).
    #[arg(value_name = "MODEL.yaml")]
    models: Vec<PathBuf>,
    /// An SDD (OpenAPI 3.0 JSON or YAML) used alone, with an inferred model. Repeatable.
    #[arg(long, value_name = "FILE")]
    sdd: Vec<PathBuf>,
    /// Names the module (and file) of the `--sdd FILE` just before it, instead of the name
    /// inferred from the SDD's title: a snake_case identifier, at most one per `--sdd`.
    #[arg(long, value_name = "NAME", value_parser = parse_module_name)]
    module: Vec<String>,
}

fn parse_module_name(name: &str) -> Result<String, String> {
    if is_valid_module_name(name) {
        Ok(name.to_owned())
    } else {
        Err(format!(
            "`{name}` is not a snake_case Rust identifier (lower-case letters, digits and `_`, starting with a letter, not a keyword)"
        ))
    }
}

impl Args for InputArgs {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        RawInputArgs::augment_args(cmd)
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        RawInputArgs::augment_args_for_update(cmd)
    }
}

impl FromArgMatches for InputArgs {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let raw = RawInputArgs::from_arg_matches(matches)?;
        let positions = |id: &str| -> Vec<usize> {
            matches
                .indices_of(id)
                .map(Iterator::collect)
                .unwrap_or_default()
        };
        let (sdd_at, module_at) = (positions("sdd"), positions("module"));
        let mut sdds: Vec<SddArg> = raw
            .sdd
            .into_iter()
            .map(|path| SddArg { path, module: None })
            .collect();
        for (name, at) in raw.module.into_iter().zip(module_at) {
            // The `--sdd` this `--module` follows: the last one given before it.
            let owner = sdd_at.iter().rposition(|&s| s < at);
            let Some(sdd) = owner.and_then(|i| sdds.get_mut(i)) else {
                return Err(usage_error(format!(
                    "`--module {name}` must follow the `--sdd FILE` it names (a model names its module with `module:`)"
                )));
            };
            if let Some(first) = &sdd.module {
                return Err(usage_error(format!(
                    "`--sdd {}` is followed by two module names, `{first}` and `{name}`; give one `--module` per `--sdd`",
                    sdd.path.display()
                )));
            }
            sdd.module = Some(name);
        }
        Ok(Self {
            models: raw.models,
            sdds,
        })
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

fn usage_error(message: String) -> clap::Error {
    clap::Error::raw(clap::error::ErrorKind::ArgumentConflict, message)
}

impl InputArgs {
    fn inputs(&self) -> Vec<Input> {
        let sdds = self.sdds.iter().map(|sdd| match &sdd.module {
            Some(module) => Input::NamedSdd {
                sdd: sdd.path.clone(),
                module: module.clone(),
            },
            None => Input::Sdd(sdd.path.clone()),
        });
        self.models
            .iter()
            .cloned()
            .map(Input::Model)
            .chain(sdds)
            .collect()
    }
}

/// Parses the process arguments and runs; the exit code follows the table in the module docs.
pub fn main() -> ExitCode {
    init_tracing();
    let mut stdout = std::io::stdout().lock();
    let mut stderr = std::io::stderr().lock();
    ExitCode::from(run_args(std::env::args_os(), &mut stdout, &mut stderr))
}

/// Parses `args` (the first one is the program name) and runs, printing results to `out` and
/// diagnostics to `err`; returns the exit code. This is exactly what the binary does, so tests can
/// drive the CLI in-process.
pub fn run_args<I, T>(args: I, out: &mut dyn Write, err: &mut dyn Write) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    match Cli::try_parse_from(args) {
        Ok(cli) => run(cli, out, err),
        Err(e) => {
            let code = u8::try_from(e.exit_code()).unwrap_or(EXIT_USAGE);
            // --help and --version are "errors" that go to stdout with exit code 0.
            let text = e.render().to_string();
            let _ = if code == EXIT_OK {
                out.write_all(text.as_bytes())
            } else {
                err.write_all(text.as_bytes())
            };
            code
        }
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    // Span close events carry `time.busy`: `RUST_LOG=ims_codegen=debug` shows each stage's cost.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Runs a parsed command line; returns the exit code.
pub fn run(cli: Cli, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let inputs = match &cli.command {
        Command::Generate { inputs, .. } | Command::Check { inputs } | Command::List { inputs } => {
            inputs.inputs()
        }
    };
    if inputs.is_empty() {
        let _ = writeln!(
            err,
            "error: no input: give at least one MODEL.yaml or --sdd FILE\n\nFor more information, try '--help'."
        );
        return EXIT_USAGE;
    }
    let options = match &cli.command {
        Command::Generate { parts, .. } => parts.emit_options(),
        Command::Check { .. } | Command::List { .. } => pipeline::EmitOptions::default(),
    };
    let output = pipeline::run_with(&inputs, &options);
    print_diagnostics(&output.diagnostics, cli.quiet, err);
    if !output.is_ok() {
        let _ = writeln!(
            err,
            "error: aborting due to {} error(s); no file was written",
            output.diagnostics.error_count()
        );
        return EXIT_INPUT;
    }
    match cli.command {
        Command::Check { .. } => {
            let _ = writeln!(
                err,
                "ok: {} service(s) checked, {} warning(s)",
                output.services.len(),
                output.diagnostics.warning_count()
            );
            EXIT_OK
        }
        Command::List { .. } => {
            let _ = write!(out, "{}", list(&output.services));
            EXIT_OK
        }
        Command::Generate {
            out, check: true, ..
        } => match write::check_files(&out, &output.files) {
            Ok(stale) if stale.is_empty() => {
                let _ = writeln!(
                    err,
                    "ok: {} file(s) in {} are up to date",
                    output.files.len(),
                    out.display()
                );
                EXIT_OK
            }
            Ok(stale) => {
                for s in &stale {
                    let why = match s.staleness {
                        Staleness::Missing => "missing",
                        Staleness::Differs => "stale",
                    };
                    let _ = writeln!(err, "{why}: {}", s.path.display());
                }
                let _ = writeln!(
                    err,
                    "error: {} generated file(s) out of date; run `ims-codegen generate` without --check",
                    stale.len()
                );
                EXIT_STALE
            }
            Err(e) => {
                let _ = writeln!(err, "error: {e}");
                EXIT_IO
            }
        },
        Command::Generate { out, .. } => match write::write_files(&out, &output.files) {
            Ok(written) => {
                for (path, outcome) in written {
                    let what = match outcome {
                        WriteOutcome::Created => "created",
                        WriteOutcome::Updated => "updated",
                        WriteOutcome::Unchanged => "unchanged",
                    };
                    let _ = writeln!(err, "{what}: {}", path.display());
                }
                EXIT_OK
            }
            Err(e) => {
                let _ = writeln!(err, "error: {e}");
                EXIT_IO
            }
        },
    }
}

fn print_diagnostics(diags: &Diagnostics, quiet: bool, err: &mut dyn Write) {
    let mut renderer = Renderer::new();
    for d in diags.iter() {
        if quiet && !d.is_error() {
            continue;
        }
        let _ = writeln!(err, "{}\n", renderer.render(d));
    }
}

/// The text of `ims-codegen list`: per service a header line (module, spec, base path and the
/// discovery endpoint, which is served by the router and is no trait method), the operations
/// as aligned columns (method, path, Rust method, scopes; widths from the longest entry) and the
/// scope catalogue.
pub fn list(services: &[ir::Service]) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for s in services {
        let base_path = if s.base_path.is_empty() {
            "/"
        } else {
            &s.base_path
        };
        let _ = write!(
            out,
            "service {} ({} {} {}), base path {base_path}",
            s.module, s.spec, s.service, s.version,
        );
        for op in s.operations.iter().filter(|op| op.is_discovery) {
            let _ = write!(out, ", discovery: {} {}", op.method.as_str(), op.path);
        }
        let _ = writeln!(out);
        let _ = writeln!(out, "  operations:");
        let rows: Vec<[String; 4]> = s
            .operations
            .iter()
            .filter(|op| !op.is_discovery)
            .map(|op| {
                let scopes = if op.scopes.is_public() {
                    "(public)".to_owned()
                } else {
                    op.scopes
                        .any_of
                        .iter()
                        .map(|group| group.join(" + "))
                        .collect::<Vec<_>>()
                        .join(" | ")
                };
                [
                    op.method.as_str().to_owned(),
                    op.path.clone(),
                    op.fn_name.clone(),
                    scopes,
                ]
            })
            .collect();
        let width = |column: usize| {
            rows.iter()
                .map(|row| row[column].chars().count())
                .max()
                .unwrap_or(0)
        };
        let (method_w, path_w, fn_w) = (width(0), width(1), width(2));
        for [method, path, fn_name, scopes] in &rows {
            let _ = writeln!(
                out,
                "    {method:<method_w$}  {path:<path_w$}  {fn_name:<fn_w$}  {scopes}"
            );
        }
        let _ = writeln!(out, "  scopes:");
        for scope in &s.scopes {
            let _ = write!(out, "    {} = {}", scope.const_name, scope.uri);
            if !scope.implies.is_empty() {
                let _ = write!(out, " (implies {})", scope.implies.join(", "));
            }
            let _ = writeln!(out);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generate_accepts_models_sdds_and_check() {
        let cli = Cli::try_parse_from([
            "ims-codegen",
            "generate",
            "a/model.yaml",
            "--sdd",
            "b.json",
            "--out",
            "o",
            "--check",
            "--no-client",
        ])
        .unwrap();
        let Command::Generate {
            inputs,
            out,
            check,
            parts,
        } = cli.command
        else {
            panic!("not generate");
        };
        assert_eq!(inputs.models, vec![PathBuf::from("a/model.yaml")]);
        assert_eq!(
            inputs.sdds,
            vec![SddArg {
                path: PathBuf::from("b.json"),
                module: None
            }]
        );
        assert_eq!(out, PathBuf::from("o"));
        assert!(check);
        assert_eq!(
            parts.emit_options(),
            pipeline::EmitOptions {
                server: true,
                client: false
            }
        );
    }

    #[test]
    fn generate_without_out_is_a_usage_error() {
        let err = Cli::try_parse_from(["ims-codegen", "generate", "m.yaml"]).unwrap_err();
        assert_eq!(err.exit_code(), i32::from(EXIT_USAGE));
    }

    #[test]
    fn no_inputs_is_a_usage_error() {
        let cli = Cli::try_parse_from(["ims-codegen", "check"]).unwrap();
        assert_eq!(run(cli, &mut Vec::new(), &mut Vec::new()), EXIT_USAGE);
    }
}
