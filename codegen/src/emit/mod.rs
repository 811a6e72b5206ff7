//! Emission: IR → Rust source through the askama templates in `templates/`, checked by
//! `syn::parse_file` and formatted by `prettyplease`.
//!
//! One file per spec service: the `@generated` header line, then items only (no inner
//! attributes), so the file works as a module file and through `include!`.

pub mod catalogue_paths;
pub mod checks;
pub mod client;
pub mod doc;
pub mod format;
pub mod header;
pub mod literal;
pub mod models;
pub mod module;
pub mod operation_docs;
pub mod server;

use crate::diagnostics::Diagnostic;
use crate::ir::Service;

/// The final text of a service's generated file: header + formatted module body.
///
/// Deterministic: the same IR always gives the same bytes. A template bug is an error
/// diagnostic, never unparsable output.
pub fn emit_service(service: &Service) -> Result<String, Diagnostic> {
    emit_service_with(service, &EmitOptions::default())
}

/// Which optional parts of a service module to generate.
///
/// The server part needs `ims-runtime`'s `server` feature and the client part its `client`
/// feature (both on by default); a models-only crate turns both off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmitOptions {
    /// Generate `pub mod server` (service trait + `router`).
    pub server: bool,
    /// Generate `pub mod client` (typed API client).
    pub client: bool,
}

impl Default for EmitOptions {
    fn default() -> Self {
        Self {
            server: true,
            client: true,
        }
    }
}

/// Like [`emit_service`], generating only the parts `options` asks for.
pub fn emit_service_with(service: &Service, options: &EmitOptions) -> Result<String, Diagnostic> {
    let body = render_service(service, options)?;
    let formatted = format::format_file(&body, &format!("module `{}`", service.module))?;
    Ok(format!("{}\n\n{formatted}", header::header_line(service)))
}

/// The templates' output for a service, before the syn check and formatting (what
/// [`emit_service_with`] hands to [`format::format_file`]); public so the stages can be timed apart.
pub fn render_service(service: &Service, options: &EmitOptions) -> Result<String, Diagnostic> {
    let models = models::render_models(service)?;
    let server = if options.server {
        server::render_server(service)?
    } else {
        String::new()
    };
    let client = if options.client {
        client::render_client(service)?
    } else {
        String::new()
    };
    module::render_module(
        service,
        &module::Rendered {
            models: &models,
            server: &server,
            client: &client,
        },
    )
}
