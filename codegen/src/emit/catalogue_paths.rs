//! Paths generated code uses to name catalogue items: the `::ims_runtime::catalogue` enums
//! (method, parameter location and style) and the service module's own scope constants.
//!
//! The module catalogue, the server's parameter extraction and `#[ims_scope]`, and the client's
//! parameter styles and scope lists all name the same items, so they all take them from here.

use std::collections::BTreeMap;

use crate::diagnostics::{Diagnostic, Location, codes};
use crate::emit::models::{json_type_path, type_path};
use crate::ir::{HttpMethod, ParamLocation, ParamStyle, Service, TypeRef};

/// The runtime's catalogue module.
pub const CATALOGUE: &str = "::ims_runtime::catalogue";

/// The prefix of a scope constant from a sibling of the `scopes` module (`server`, `client`,
/// and the module's own `OPERATIONS`).
pub const SCOPES_FROM_SIBLING: &str = "super::scopes::";

/// The `ims_runtime::catalogue::Method` variant of `m`, e.g. `Get`.
pub fn method_variant(m: HttpMethod) -> &'static str {
    match m {
        HttpMethod::Get => "Get",
        HttpMethod::Put => "Put",
        HttpMethod::Post => "Post",
        HttpMethod::Delete => "Delete",
        HttpMethod::Options => "Options",
        HttpMethod::Head => "Head",
        HttpMethod::Patch => "Patch",
        HttpMethod::Trace => "Trace",
    }
}

/// `::ims_runtime::catalogue::ParamLocation::<L>`.
pub fn location_path(l: ParamLocation) -> String {
    format!("{CATALOGUE}::ParamLocation::{}", location_variant(l))
}

/// The `ims_runtime::catalogue::ParamLocation` variant of `l`, e.g. `Query`.
pub fn location_variant(l: ParamLocation) -> &'static str {
    match l {
        ParamLocation::Path => "Path",
        ParamLocation::Query => "Query",
        ParamLocation::Header => "Header",
        ParamLocation::Cookie => "Cookie",
    }
}

/// The `ims_runtime::catalogue::ParamStyle` variant of `s`, e.g. `CommaSeparated`.
pub fn style_variant(s: ParamStyle) -> &'static str {
    match s {
        ParamStyle::Scalar => "Scalar",
        ParamStyle::FormExploded => "FormExploded",
        ParamStyle::CommaSeparated => "CommaSeparated",
        ParamStyle::SpaceDelimited => "SpaceDelimited",
        ParamStyle::PipeDelimited => "PipeDelimited",
        ParamStyle::Json => "Json",
    }
}

/// Scope URI → the name of its constant in the generated `scopes` module.
pub fn scope_consts(service: &Service) -> BTreeMap<&str, &str> {
    service
        .scopes
        .iter()
        .map(|s| (s.uri.as_str(), s.const_name.as_str()))
        .collect()
}

/// The path of a scope constant, from `prefix` (`""` inside `scopes`, [`SCOPES_FROM_SIBLING`]
/// outside). A URI without a constant is a lowering bug and an error.
pub fn scope_ref(
    consts: &BTreeMap<&str, &str>,
    uri: &str,
    prefix: &str,
) -> Result<String, Diagnostic> {
    consts
        .get(uri)
        .map(|c| format!("{prefix}{c}"))
        .ok_or_else(|| {
            Diagnostic::new(
                codes::SCOPE_NOT_IN_CATALOGUE,
                format!(
                    "internal error: scope `{uri}` is used but missing from the scope catalogue"
                ),
                Location::None,
            )
            .with_help("this is a bug in ims-codegen's lowering; please report it")
        })
}

/// The path generated `server` and `client` modules name model types by.
const MODELS_FROM_SIBLING: &str = "super::models::";

/// The Rust type for `t` as the `server` and `client` modules spell it (model types through
/// `super::models`). The one place those two emitters spell types, so switching them to the
/// `rt::` prelude spelling of the models emitter is a one-line change.
pub fn sibling_type(t: &TypeRef) -> String {
    type_path(t, MODELS_FROM_SIBLING)
}

/// [`sibling_type`] of a JSON body's type, or `serde_json::Value` when it has no schema.
pub fn sibling_json_type(t: Option<&TypeRef>) -> String {
    json_type_path(t, MODELS_FROM_SIBLING)
}
