//! The `client` module of a generated service: the typed API client.

use crate::diagnostics::Diagnostic;
use crate::ir::Service;

/// Renders `pub mod client { … }` (unformatted).
pub fn render_client(_service: &Service) -> Result<String, Diagnostic> {
    Ok(String::new())
}
