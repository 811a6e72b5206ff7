//! The `client` module of a generated service: `<Service>Client`, one typed async method per
//! operation (plus `<fn>_stream` for collections) on top of `::ims_runtime::client::ApiClient`.
//!
//! Lowering decided the names and what each method returns ([`crate::ir::OperationApi`]);
//! [`methods`] turns each operation into a typed view and `templates/service/client.rs.askama`
//! shows the code: a request built from the operation's `operations` catalogue entry (method,
//! path template and scopes), one `.arg(...)` per argument, then one `ApiClient` call.

pub mod methods;

use askama::Template;

use crate::diagnostics::{Code, Diagnostic, Location, codes};
use crate::emit::checks::Validating;
use crate::emit::doc::{DocBuilder, code_span};
use crate::emit::operation_docs::service_label;
use crate::ir::{Operation, Service};

use methods::{MethodView, operation_methods};

#[derive(Template)]
#[template(path = "service/client.rs.askama", escape = "none")]
struct ClientTemplate {
    module_doc: String,
    client_doc: String,
    name: String,
    methods: Vec<MethodView>,
    /// Methods take their URL per call (no base URL).
    per_call_urls: bool,
}

/// Renders `pub mod client { … }` (unformatted).
pub fn render_client(service: &Service) -> Result<String, Diagnostic> {
    let validating = Validating::of(service);
    let methods = service
        .operations
        .iter()
        .flat_map(|op| operation_methods(op, &validating))
        .collect();
    let name = service.api.client_name.clone();
    let template = ClientTemplate {
        module_doc: DocBuilder::new()
            .trusted(format!(
                "The typed API client of {}: {} with one method per operation.",
                code_span(&service.title),
                code_span(&name)
            ))
            .attrs(),
        client_doc: DocBuilder::new()
            .trusted(format!(
                "Calls {} over https with tokens from a token source: each method asks for the operation's first scope alternative and falls back to the next when the token endpoint answers `invalid_scope`; idempotent calls are retried on 429/503.",
                service_label(service)
            ))
            .trusted("Errors are `ApiError`s: an operation the provider does not implement (HTTP 501, or `imsx_codeMajor` `unsupported`) fails with `ApiError::Unsupported` naming it, every other error status with `ApiError::Status` and its `imsx_StatusInfo`.")
            .prose(Some(&service.title))
            .attrs(),
        name,
        methods,
        per_call_urls: service.conventions.per_call_urls,
    };
    template.render().map_err(|e| {
        Diagnostic::new(
            codes::SERVICE_PART_FAILED,
            format!("internal error: rendering the client template failed: {e}"),
            Location::None,
        )
        .with_help("this is a bug in ims-codegen's templates; please report it")
    })
}

/// Warnings about operations the client expresses only loosely (a `serde_json::Value` success
/// type because the 2xx responses disagree, or a collection without a record stream).
pub fn client_diagnostics(service: &Service) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for op in &service.operations {
        if let Some(why) = &op.api.success.client_loose {
            out.push(warn(codes::CLIENT_RETURNS_JSON, op, why.clone()));
        }
        if op.is_collection() && !op.is_discovery && op.api.stream_fn.is_none() {
            out.push(warn(
                codes::CLIENT_NO_RECORD_STREAM,
                op,
                format!(
                    "the success body of collection operation `{}` is neither a wrapper with one array member nor a struct of array members only: no `{}_stream` method is generated",
                    op.id,
                    op.api.client_fn.trim_start_matches("r#")
                ),
            ));
        }
    }
    out
}

/// The client's type name, e.g. `RosteringClient` (chosen in lower).
pub fn client_name(service: &Service) -> &str {
    &service.api.client_name
}

fn warn(code: Code, op: &Operation, message: String) -> Diagnostic {
    Diagnostic::new(code, message, Location::None).with_help(format!(
        "operation `{}` ({} {}) is still generated; see its doc comment",
        op.id,
        op.method.as_str(),
        op.path
    ))
}
