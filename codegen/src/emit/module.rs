//! The service module: IR → view (escaped literals and paths) → `templates/service/*.askama`.
//!
//! All decisions (names, literal escaping, doc text) are made here, in Rust; the templates only
//! lay the items out.

use std::collections::BTreeMap;

use askama::Template;

use crate::diagnostics::{Diagnostic, Location, codes};
use crate::emit::catalogue_paths::{
    CATALOGUE, location_path, method_variant, scope_consts, scope_ref, style_variant,
};
use crate::emit::doc::{DocBuilder, code_span};
use crate::emit::literal::{
    json_escape_bidi, json_lines, opt_str_lit, raw_str_lit, str_lit, str_slice_lit,
};
use crate::emit::operation_docs::{deprecated_line, heading, scopes_line, service_label};
use crate::ir::{
    HttpMethod, Param, ParamLocation, ParamStyle as IrParamStyle, ResponseStatus, SecurityPattern,
    SecuritySchemeKind, Service,
};

/// How many levels of the SDD's JSON get a line per member in `SDD_JSON`: three puts each path,
/// operation, schema, parameter and response of `paths`/`components` on a line of its own
/// (OneRoster 1.2: 285 lines, the longest ~3,600 characters), so a diff of a generated file names
/// what changed in the SDD. Fully pretty-printed the same SDD takes ~4,800 lines, two thirds of
/// the module's line budget; a sibling `.json` file would make one service two files, while
/// `include_spec!`, `generate --check` and the snapshot tests all count on one `.rs` per module.
/// The discovery endpoint parses the text and serves its own serialization, so the layout never
/// reaches the wire.
const SDD_LINE_DEPTH: usize = 3;

/// A field of a security scheme kind, e.g. `scheme: "bearer"`.
struct FieldView {
    name: &'static str,
    value: String,
}

struct SchemeView {
    name: String,
    kind_path: String,
    fields: Vec<FieldView>,
}

struct ScopeView {
    doc: String,
    const_name: String,
    const_name_lit: String,
    uri: String,
    description: String,
    implies: Vec<String>,
}

/// One `operations` constant: `rt::OperationInfo::new(method, path, params).id(id, fn_name)` and
/// one const setter per field that is not empty (see `ims_runtime::catalogue::OperationInfo`).
struct OpView {
    doc: String,
    const_name: String,
    id: String,
    fn_name: String,
    method: String,
    path: String,
    /// Zero or one summary literal (a `Vec` keeps the template free of `Option` handling).
    summary: Vec<String>,
    /// `rt::ParamInfo::query(…)` expressions.
    params: Vec<String>,
    request_media_types: Vec<String>,
    response_statuses: Vec<String>,
    scope_groups: Vec<Vec<String>>,
    is_discovery: bool,
}

#[derive(Template)]
#[template(path = "service/module.rs.askama", escape = "none")]
struct ModuleTemplate<'a> {
    sdd_doc: String,
    sdd_json: String,
    base_path_doc: String,
    base_path: String,
    discovery_doc: String,
    discovery_path: String,
    security_doc: String,
    security_pattern: String,
    schemes: Vec<SchemeView>,
    service_doc: String,
    spec: String,
    service_name: String,
    version: String,
    scopes_doc: String,
    scopes: Vec<ScopeView>,
    models: &'a str,
    server: &'a str,
    client: &'a str,
    operations_doc: String,
    operations: Vec<OpView>,
    /// Whether any operation names a scope (then `operations` imports `super::scopes`).
    operations_use_scopes: bool,
}

/// The already rendered parts the module template places verbatim.
pub struct Rendered<'a> {
    /// `pub mod models { … }`.
    pub models: &'a str,
    /// `pub mod server { … }`, or empty.
    pub server: &'a str,
    /// `pub mod client { … }`, or empty.
    pub client: &'a str,
}

/// Renders the module body (without header, unformatted) around the already rendered parts.
pub fn render_module(service: &Service, parts: &Rendered<'_>) -> Result<String, Diagnostic> {
    let scope_consts = scope_consts(service);
    let template = ModuleTemplate {
        sdd_doc: DocBuilder::new()
            .trusted(format!(
                "The Service Description Document (OpenAPI {}) of {}, as JSON with one operation and one component per line: what the discovery endpoint serves (re-serialized).",
                code_span(&version_of(service)),
                code_span(&service.title)
            ))
            .attrs(),
        sdd_json: raw_str_lit(&json_lines(&json_escape_bidi(&service.sdd_json), SDD_LINE_DEPTH)),
        base_path_doc: DocBuilder::new()
            .trusted("Path every operation path is relative to (empty for the root; no trailing `/`).")
            .attrs(),
        base_path: str_lit(&service.base_path),
        discovery_doc: DocBuilder::new()
            .trusted("Path of the discovery endpoint relative to `BASE_PATH`, if the service has one. It is always public.")
            .attrs(),
        discovery_path: opt_str_lit(service.discovery.as_ref().map(|d| d.path.as_str())),
        security_doc: security_doc(service),
        security_pattern: pattern_path(service.security.pattern),
        schemes: service.security.schemes.iter().map(scheme_view).collect(),
        service_doc: DocBuilder::new()
            .trusted(format!(
                "{}: everything this module describes, in one value.",
                service_label(service)
            ))
            .prose(Some(&service.title))
            .prose(service.description.as_deref())
            .attrs(),
        spec: str_lit(&service.spec),
        service_name: str_lit(&service.service),
        version: str_lit(&service.version),
        scopes_doc: DocBuilder::new()
            .trusted("OAuth 2 scopes of this service: one constant per scope URI, and `CATALOGUE` with what each scope implies.")
            .attrs(),
        scopes: scope_views(service, &scope_consts)?,
        models: parts.models,
        server: parts.server,
        client: parts.client,
        operations_doc: DocBuilder::new()
            .trusted("The operations catalogue: id, method, path, parameters and the scopes each operation needs.")
            .attrs(),
        operations: operation_views(service, &scope_consts)?,
        // A requirement of any valid token (`[[]]`, e.g. CASE secured) names no scope constant.
        operations_use_scopes: service
            .operations
            .iter()
            .any(|op| op.scopes.any_of.iter().any(|group| !group.is_empty())),
    };
    template.render().map_err(|e| {
        Diagnostic::new(
            codes::MODULE_TEMPLATE_FAILED,
            format!("internal error: rendering the service module template failed: {e}"),
            Location::None,
        )
        .with_help("this is a bug in ims-codegen's templates; please report it")
    })
}

fn scope_views(
    service: &Service,
    scope_consts: &BTreeMap<&str, &str>,
) -> Result<Vec<ScopeView>, Diagnostic> {
    let mut out = Vec::with_capacity(service.scopes.len());
    for s in &service.scopes {
        let implies_line = if s.implies.is_empty() {
            "Implies no other scope.".to_owned()
        } else {
            let list: Vec<String> = s.implies.iter().map(|i| code_span(i)).collect();
            format!("Implies {}.", list.join(", "))
        };
        out.push(ScopeView {
            doc: DocBuilder::new()
                .trusted(code_span(&s.uri))
                .prose(s.description.as_deref())
                .trusted(implies_line)
                .attrs(),
            const_name: s.const_name.clone(),
            const_name_lit: str_lit(&s.const_name),
            uri: str_lit(&s.uri),
            description: rt_opt_str_lit(s.description.as_deref()),
            implies: s
                .implies
                .iter()
                .map(|i| scope_ref(scope_consts, i, ""))
                .collect::<Result<_, _>>()?,
        });
    }
    Ok(out)
}

fn version_of(service: &Service) -> String {
    serde_json::from_str::<serde_json::Value>(&service.sdd_json)
        .ok()
        .and_then(|v| v.get("openapi").and_then(|o| o.as_str()).map(str::to_owned))
        .unwrap_or_else(|| "3.0".to_owned())
}

fn pattern_path(p: SecurityPattern) -> String {
    let v = match p {
        SecurityPattern::ClientCredentials => "ClientCredentials",
        SecurityPattern::AuthorizationCode => "AuthorizationCode",
        SecurityPattern::Lti => "Lti",
        SecurityPattern::None => "None",
    };
    format!("{CATALOGUE}::SecurityPattern::{v}")
}

fn security_doc(service: &Service) -> String {
    let mut doc = DocBuilder::new().trusted(format!(
        "Security profile: the pattern and the schemes of {}. URLs are the SDD's own (often placeholders a deployment replaces).",
        code_span(&service.title)
    ));
    for scheme in &service.security.schemes {
        let what = match &scheme.kind {
            SecuritySchemeKind::OAuth2 {
                client_credentials_token_url,
                authorization_url,
                ..
            } => {
                let mut flows = Vec::new();
                if client_credentials_token_url.is_some() {
                    flows.push("client credentials");
                }
                if authorization_url.is_some() {
                    flows.push("authorization code");
                }
                if flows.is_empty() {
                    "OAuth 2 without a supported flow".to_owned()
                } else {
                    format!("OAuth 2 ({})", flows.join(", "))
                }
            }
            SecuritySchemeKind::Http { scheme, .. } => {
                format!("HTTP {} authentication", code_span(scheme))
            }
            SecuritySchemeKind::ApiKey { location, name } => {
                format!("API key in {location} {}", code_span(name))
            }
            SecuritySchemeKind::OpenIdConnect { url } => {
                format!("OpenID Connect, discovered from {}", code_span(url))
            }
        };
        doc = doc
            .trusted(format!("Scheme {}: {what}.", code_span(&scheme.name)))
            .prose(scheme.description.as_deref());
    }
    doc.attrs()
}

fn scheme_view(scheme: &crate::ir::SecurityScheme) -> SchemeView {
    let field = |name: &'static str, value: String| FieldView { name, value };
    let (variant, fields) = match &scheme.kind {
        SecuritySchemeKind::OAuth2 {
            client_credentials_token_url,
            authorization_url,
            authorization_code_token_url,
            refresh_url,
            registration_url,
            scopes,
        } => (
            "OAuth2",
            vec![
                field(
                    "client_credentials_token_url",
                    opt_str_lit(client_credentials_token_url.as_deref()),
                ),
                field(
                    "authorization_url",
                    opt_str_lit(authorization_url.as_deref()),
                ),
                field(
                    "authorization_code_token_url",
                    opt_str_lit(authorization_code_token_url.as_deref()),
                ),
                field("refresh_url", opt_str_lit(refresh_url.as_deref())),
                field("registration_url", opt_str_lit(registration_url.as_deref())),
                field("scopes", str_slice_lit(scopes.keys().map(String::as_str))),
            ],
        ),
        SecuritySchemeKind::Http {
            scheme,
            bearer_format,
        } => (
            "Http",
            vec![
                field("scheme", str_lit(scheme)),
                field("bearer_format", opt_str_lit(bearer_format.as_deref())),
            ],
        ),
        SecuritySchemeKind::ApiKey { location, name } => (
            "ApiKey",
            vec![
                field(
                    "location",
                    format!(
                        "{CATALOGUE}::ApiKeyLocation::{}",
                        match location.as_str() {
                            "query" => "Query",
                            "cookie" => "Cookie",
                            _ => "Header",
                        }
                    ),
                ),
                field("name", str_lit(name)),
            ],
        ),
        SecuritySchemeKind::OpenIdConnect { url } => {
            ("OpenIdConnect", vec![field("url", str_lit(url))])
        }
    };
    SchemeView {
        name: str_lit(&scheme.name),
        kind_path: format!("{CATALOGUE}::SecuritySchemeKind::{variant}"),
        fields,
    }
}

fn status_text(s: ResponseStatus) -> String {
    match s {
        ResponseStatus::Code(n) => n.to_string(),
        ResponseStatus::Range(n) => format!("{n}XX"),
        ResponseStatus::Default => "default".to_owned(),
    }
}

/// `rt::Some("…")` or `rt::None`, for modules that import the `rt` prelude.
fn rt_opt_str_lit(value: Option<&str>) -> String {
    value.map_or_else(
        || "rt::None".to_owned(),
        |v| format!("rt::Some({})", str_lit(v)),
    )
}

/// The `operations` module imports `super::scopes` (shorter lines than `super::scopes::X`).
const SCOPES_FROM_OPERATIONS: &str = "scopes::";

fn rt_method(m: HttpMethod) -> String {
    format!("rt::Method::{}", method_variant(m))
}

fn rt_style(s: IrParamStyle) -> String {
    format!("rt::ParamStyle::{}", style_variant(s))
}

/// A parameter through the `rt::ParamInfo` constructor of its location.
fn param_expr(p: &Param) -> String {
    let name = str_lit(&p.name);
    let style = rt_style(p.style);
    let required = p.required;
    match p.location {
        // Path parameters are always required (lower enforces it); should one not be, the
        // general constructor keeps what the IR says.
        ParamLocation::Path if required => format!("rt::ParamInfo::path({name}, {style})"),
        ParamLocation::Path => format!(
            "rt::ParamInfo::new({name}, {}, {required}, {style})",
            location_path(ParamLocation::Path)
        ),
        ParamLocation::Query => format!("rt::ParamInfo::query({name}, {required}, {style})"),
        ParamLocation::Header => format!("rt::ParamInfo::header({name}, {required}, {style})"),
        ParamLocation::Cookie => format!("rt::ParamInfo::cookie({name}, {required}, {style})"),
    }
}

fn operation_views(
    service: &Service,
    scope_consts: &BTreeMap<&str, &str>,
) -> Result<Vec<OpView>, Diagnostic> {
    let mut out = Vec::with_capacity(service.operations.len());
    for op in &service.operations {
        // Heading and who may call it, then the summary: the SDD's description is on the server
        // trait method and the client method, where behaviour is read about; the catalogue says
        // what an operation is.
        let mut first = format!("{}. {}", heading(op), scopes_line(op, scope_consts));
        let deprecated = deprecated_line(op);
        if !deprecated.is_empty() {
            first = format!("{first} {deprecated}");
        }
        let doc = DocBuilder::new()
            .trusted(first)
            .prose(op.summary.as_deref());
        let scope_groups = op
            .scopes
            .any_of
            .iter()
            .map(|g| {
                g.iter()
                    .map(|uri| scope_ref(scope_consts, uri, SCOPES_FROM_OPERATIONS))
                    .collect::<Result<Vec<_>, _>>()
            })
            .collect::<Result<Vec<_>, _>>()?;
        out.push(OpView {
            doc: doc.attrs(),
            const_name: op.const_name.clone(),
            id: str_lit(&op.id),
            fn_name: str_lit(&op.fn_name),
            method: rt_method(op.method),
            path: str_lit(&op.path),
            summary: op.summary.iter().map(|s| str_lit(s)).collect(),
            params: op.params.iter().map(param_expr).collect(),
            request_media_types: op
                .request_body
                .iter()
                .flat_map(|b| b.contents.iter().map(|c| str_lit(&c.media_type)))
                .collect(),
            response_statuses: op
                .responses
                .iter()
                .map(|r| str_lit(&status_text(r.status)))
                .collect(),
            scope_groups,
            is_discovery: op.is_discovery,
        });
    }
    Ok(out)
}
