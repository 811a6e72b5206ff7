//! One diagnostic type for every stage of the pipeline.
//!
//! A diagnostic says what is wrong, where (a YAML line:col, or an SDD JSON pointer) and how to fix it.
//! Unsupported input always becomes a diagnostic: never a panic and never silently dropped data.
//! Every diagnostic carries a [`Code`] of the registry in [`codes`], which fixes its severity.

pub mod codes;
pub mod render;

use std::fmt;
use std::path::{Path, PathBuf};

pub use codes::Code;
pub use render::Renderer;

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Generation cannot produce correct output.
    Error,
    /// A tolerated problem (for example a known quirk of an official file) with a stated behaviour.
    Warning,
    /// Extra information attached to the run.
    Note,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        })
    }
}

/// Where a diagnostic points.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Location {
    /// No particular place.
    None,
    /// A whole file.
    File {
        /// The file.
        path: PathBuf,
    },
    /// A line and column (both 1-based) in a text file such as a `model.yaml`.
    LineCol {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// A node of a JSON/YAML document (an SDD), as an RFC 6901 JSON pointer.
    Pointer {
        /// The file.
        path: PathBuf,
        /// The JSON pointer, e.g. `/components/schemas/OrgDType/properties/type`.
        pointer: String,
    },
}

impl Location {
    /// A JSON-pointer location in `path`.
    pub fn pointer(path: impl AsRef<Path>, pointer: impl Into<String>) -> Self {
        Location::Pointer {
            path: path.as_ref().to_path_buf(),
            pointer: pointer.into(),
        }
    }

    /// A line:col location in `path`.
    pub fn line_col(path: impl AsRef<Path>, line: usize, column: usize) -> Self {
        Location::LineCol {
            path: path.as_ref().to_path_buf(),
            line,
            column,
        }
    }

    /// A whole-file location.
    pub fn file(path: impl AsRef<Path>) -> Self {
        Location::File {
            path: path.as_ref().to_path_buf(),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::None => Ok(()),
            Location::File { path } => write!(f, "{}", path.display()),
            Location::LineCol { path, line, column } => {
                write!(f, "{}:{line}:{column}", path.display())
            }
            Location::Pointer { path, pointer } => {
                let pointer = if pointer.is_empty() { "/" } else { pointer };
                write!(f, "{}#{pointer}", path.display())
            }
        }
    }
}

/// A message about the input, with a location and an optional hint on how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The registry code (e.g. `IMS0446`); it fixes the severity.
    pub code: Code,
    /// What is wrong.
    pub message: String,
    /// Where.
    pub location: Location,
    /// How to fix it.
    pub help: Option<String>,
}

impl Diagnostic {
    /// A new diagnostic with the severity the registry gives `code`.
    pub fn new(code: Code, message: impl Into<String>, location: Location) -> Self {
        Self {
            code,
            message: message.into(),
            location,
            help: None,
        }
    }

    /// Adds a hint on how to fix the problem.
    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// How serious it is (the severity of its code).
    pub fn severity(&self) -> Severity {
        self.code.severity()
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity() == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    /// Renders like rustc:
    ///
    /// ```text
    /// error[IMS0201]: unresolved $ref `#/components/schemas/Missing`
    ///   --> sdd.json#/paths/~1orgs/get/responses/200
    ///   = help: define the schema or fix the reference
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}]: {}", self.severity(), self.code, self.message)?;
        if self.location != Location::None {
            write!(f, "\n  --> {}", self.location)?;
        }
        if let Some(help) = &self.help {
            write!(f, "\n  = help: {help}")?;
        }
        Ok(())
    }
}

/// An ordered collection of diagnostics gathered during one run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    /// An empty collection.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one diagnostic.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.items.push(diagnostic);
    }

    /// Adds all diagnostics of `other`.
    pub fn extend(&mut self, other: impl IntoIterator<Item = Diagnostic>) {
        self.items.extend(other);
    }

    /// Whether any error was recorded.
    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }

    /// Number of errors.
    pub fn error_count(&self) -> usize {
        self.items.iter().filter(|d| d.is_error()).count()
    }

    /// Number of warnings.
    pub fn warning_count(&self) -> usize {
        self.items
            .iter()
            .filter(|d| d.severity() == Severity::Warning)
            .count()
    }

    /// All diagnostics in the order they were found.
    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter()
    }

    /// Whether there is nothing at all.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Consumes the collection.
    pub fn into_vec(self) -> Vec<Diagnostic> {
        self.items
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.items {
            writeln!(f, "{d}\n")?;
        }
        Ok(())
    }
}
