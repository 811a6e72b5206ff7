//! The `server` module of a generated service: the service trait and `router(svc)`.

use crate::diagnostics::Diagnostic;
use crate::ir::Service;

/// Renders `pub mod server { … }` (unformatted).
pub fn render_server(_service: &Service) -> Result<String, Diagnostic> {
    Ok(String::new())
}
