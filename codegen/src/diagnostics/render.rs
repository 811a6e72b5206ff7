//! Renders diagnostics like rustc, with the source line and a caret for line:col locations: the
//! text the CLI prints and [`crate::Builder`]'s errors and `cargo:warning` lines carry.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use crate::diagnostics::{Diagnostic, Location};

/// Renders diagnostics, caching the source files it quotes.
#[derive(Debug, Default)]
pub struct Renderer {
    sources: HashMap<PathBuf, Option<String>>,
}

impl Renderer {
    /// A renderer with an empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// The text of one diagnostic: `error[CODE]: message`, `--> location`, the quoted source line
    /// with a caret (line:col locations only), then `= help: …`.
    pub fn render(&mut self, d: &Diagnostic) -> String {
        let mut out = format!("{}[{}]: {}", d.severity(), d.code, d.message);
        if d.location != Location::None {
            let _ = write!(out, "\n  --> {}", d.location);
        }
        if let Location::LineCol { path, line, column } = &d.location {
            let source = self
                .sources
                .entry(path.clone())
                .or_insert_with(|| std::fs::read_to_string(path).ok());
            if let Some(text) = source
                .as_deref()
                .and_then(|s| s.lines().nth(line.saturating_sub(1)))
            {
                let number = line.to_string();
                let pad = " ".repeat(number.len());
                // Columns count characters; keep tabs so the caret lines up.
                let lead: String = text
                    .chars()
                    .take(column.saturating_sub(1))
                    .map(|c| if c == '\t' { '\t' } else { ' ' })
                    .collect();
                let _ = write!(out, "\n {pad} |\n {number} | {text}\n {pad} | {lead}^");
            }
        }
        if let Some(help) = &d.help {
            let _ = write!(out, "\n  = help: {help}");
        }
        out
    }

    /// The text of several diagnostics, each followed by a blank line (as the CLI prints them).
    pub fn render_all<'a>(
        &mut self,
        diagnostics: impl IntoIterator<Item = &'a Diagnostic>,
    ) -> String {
        let mut out = String::new();
        for d in diagnostics {
            let _ = write!(out, "{}\n\n", self.render(d));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_diagnostics_quote_the_line_with_a_caret() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("model.yaml");
        std::fs::write(&path, "spec: X\nmodule: bad-name\n").unwrap();
        let d = Diagnostic::new(
            crate::diagnostics::codes::MODULE_NAME_INVALID,
            "bad",
            Location::line_col(&path, 2, 9),
        );
        let text = Renderer::new().render(&d);
        assert!(
            text.contains("2 | module: bad-name\n   |         ^"),
            "{text}"
        );
    }
}
