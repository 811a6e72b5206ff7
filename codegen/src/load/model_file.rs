//! Reading and validating a `model.yaml`, with line:col on every error.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::yaml_span::{self, Span};
use crate::diagnostics::{Diagnostic, Diagnostics, Location, codes};
use crate::spec_model::{SpecModel, is_valid_module_name};

/// A model as read from disk, with its source text (for locating keys in later checks).
#[derive(Debug, Clone)]
pub struct ModelFile {
    /// The model; `sdd` is already resolved against the model's folder.
    pub model: SpecModel,
    /// The file.
    pub path: PathBuf,
    /// Its text.
    pub source: String,
}

impl ModelFile {
    /// Location of the key at `keys` (or its closest parent) in the model file.
    pub fn location_of(&self, keys: &[&str]) -> Location {
        span_location(&self.path, yaml_span::find_key(&self.source, keys))
    }

    fn location_of_value(&self, keys: &[&str], value: &str) -> Location {
        span_location(
            &self.path,
            yaml_span::find_value_after(&self.source, keys, value),
        )
    }
}

fn span_location(path: &Path, span: Option<Span>) -> Location {
    match span {
        Some(s) => Location::line_col(path, s.line, s.column),
        None => Location::file(path),
    }
}

/// Reads `path`, deserializes it and runs the checks that need no SDD. `None` on any error.
pub fn read_model(path: &Path, diags: &mut Diagnostics) -> Option<ModelFile> {
    let source = match std::fs::read_to_string(path) {
        Ok(s) => s,
        Err(e) => {
            diags.push(
                Diagnostic::new(
                    codes::INPUT_UNREADABLE,
                    format!("cannot read model `{}`: {e}", path.display()),
                    Location::file(path),
                )
                .with_help("check the path of the model.yaml"),
            );
            return None;
        }
    };
    parse_model(path, source, diags)
}

/// Like [`read_model`] on the text already read from `path` (the `sdd` it names is still looked
/// up beside `path`). What the `model_yaml` fuzz target calls.
pub fn parse_model(path: &Path, source: String, diags: &mut Diagnostics) -> Option<ModelFile> {
    let mut model: SpecModel = match serde_yaml::from_str(&source) {
        Ok(m) => m,
        Err(e) => {
            let location = match e.location() {
                Some(l) => Location::line_col(path, l.line(), l.column()),
                None => Location::file(path),
            };
            // serde_yaml appends " at line L column C" to the message; the location shows it already.
            let text = e.to_string();
            let text = text
                .split_once(" at line ")
                .map_or(text.as_str(), |(head, _)| head)
                .to_string();
            diags.push(
                Diagnostic::new(
                    codes::MODEL_INVALID,
                    format!("invalid model: {text}"),
                    location,
                )
                .with_help("see spec-models/README.md for the model schema"),
            );
            return None;
        }
    };
    let file = ModelFile {
        model: model.clone(),
        path: path.to_path_buf(),
        source,
    };
    let before = diags.error_count();
    if !is_valid_module_name(&model.module) {
        diags.push(
            Diagnostic::new(
                codes::MODULE_NAME_INVALID,
                format!("invalid module name `{}`: it must be a snake_case Rust identifier", model.module),
                file.location_of(&["module"]),
            )
            .with_help(format!(
                "use lower-case letters, digits and `_`, starting with a letter, not a keyword (e.g. `{}`)",
                suggest_module(&model.module)
            )),
        );
    }
    for (key, value) in [
        ("base_path", &model.base_path),
        ("discovery", &model.discovery),
    ] {
        if let Some(v) = value
            && (!v.starts_with('/') || v.contains(['?', '#', ' ']))
        {
            diags.push(
                Diagnostic::new(
                    codes::MODEL_PATH_NOT_ABSOLUTE,
                    format!("`{key}: {v}` is not an absolute URL path"),
                    file.location_of(&[key]),
                )
                .with_help("write it as a path starting with `/`, e.g. `/ims/…`".to_string()),
            );
        }
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    let sdd = dir.join(&model.sdd);
    if !sdd.is_file() {
        diags.push(
            Diagnostic::new(
                codes::MODEL_SDD_NOT_FOUND,
                format!(
                    "SDD file `{}` not found (looked for `{}`)",
                    model.sdd.display(),
                    sdd.display()
                ),
                file.location_of(&["sdd"]),
            )
            .with_help("`sdd` is relative to the folder of the model file"),
        );
    }
    if diags.error_count() > before {
        return None;
    }
    model.sdd = std::path::absolute(&sdd).unwrap_or(sdd);
    Some(ModelFile { model, ..file })
}

fn suggest_module(name: &str) -> String {
    let s = heck::ToSnakeCase::to_snake_case(name);
    let s: String = s
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    if is_valid_module_name(&s) {
        s
    } else {
        format!("spec_{s}")
    }
}

/// Checks that every `implies` entry names a known scope: a full URI, or a short name matching the
/// last path segment of exactly one scope (declared by the SDD's flows, required by an operation, or
/// listed in the model). Lowering resolves them; this check runs first to point at the line:col.
pub fn check_scopes(file: &ModelFile, sdd_scopes: &BTreeSet<String>, diags: &mut Diagnostics) {
    let model = &file.model;
    let known: BTreeSet<String> = sdd_scopes
        .iter()
        .cloned()
        .chain(model.scopes.keys().cloned())
        .collect();
    for (uri, scope) in &model.scopes {
        for name in &scope.implies {
            if known.contains(name) {
                continue;
            }
            let matches: Vec<&String> = known
                .iter()
                .filter(|k| k.rsplit('/').next() == Some(name.as_str()))
                .collect();
            let location = file.location_of_value(&["scopes", uri, "implies"], name);
            match matches.as_slice() {
                [_] => {}
                [] => diags.push(
                    Diagnostic::new(
                        codes::MODEL_IMPLIES_UNKNOWN,
                        format!("`implies` names unknown scope `{name}`"),
                        location,
                    )
                    .with_help(format!(
                        "use a scope URI declared by the SDD or listed under `scopes` (known: {})",
                        known
                            .iter()
                            .map(|k| format!("`{k}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                ),
                many => diags.push(
                    Diagnostic::new(
                        codes::MODEL_IMPLIES_AMBIGUOUS,
                        format!(
                            "`implies` entry `{name}` is ambiguous: it matches {} scopes",
                            many.len()
                        ),
                        location,
                    )
                    .with_help(format!(
                        "write the full URI: one of {}",
                        many.iter()
                            .map(|k| format!("`{k}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                ),
            }
        }
    }
}
