//! The `server` module of a generated service: the `<Service>Service` trait and `router(svc)`.
//!
//! Every decision is made here; `templates/service/server.rs.askama` only lays the views out.
//! Per operation (except the discovery one, which `ServiceRouter::with_discovery` serves):
//!
//! - a trait method taking `ctx: RequestContext`, the path parameters, then either a
//!   `query: CollectionQuery` (collection operations: query has `limit` and `offset`) plus any
//!   other declared query parameters, or all query parameters except `fields` (which the runtime
//!   applies as a projection), then header and cookie parameters, then `body` last;
//! - a private handler `handle_<fn>` carrying `#[ims_scope(...)]` for protected operations,
//!   converting the raw request through `ims_runtime::server` and answering with the success
//!   response (JSON with `fields` projection inside the wrapper member, `X-Total-Count` and `Link`
//!   for collections).
//!
//! What the server cannot express still compiles: bodies without a JSON schema are
//! `serde_json::Value`, non-JSON bodies are bytes, and an operation whose path is not a plain
//! route template is left out with a doc note (and a warning from lowering, see
//! [`route_problem`]).

use std::collections::BTreeMap;

use askama::Template;

use crate::diagnostics::{Diagnostic, Location, codes};
use crate::emit::catalogue_paths::{
    SCOPES_FROM_SIBLING, location_path, scope_consts, scope_ref, style_path,
};
use crate::emit::doc::{DocBuilder, code_span};
use crate::emit::literal::{str_lit, str_slice_lit};
use crate::emit::models::{json_type_path, type_path};
use crate::emit::operation_docs::{
    call_span, deprecated_line, heading, operation_doc, scopes_line, service_label,
};
use crate::ir::{
    HttpMethod, MediaKind, Operation, Param, ParamLocation, ResponseStatus, Service, TypeDef,
    TypeDefKind, TypeRef,
};
use crate::lower::naming::{NameTable, type_name};

const RT: &str = "::ims_runtime";
const AXUM: &str = "::ims_runtime::__private::axum";
const JSON_VALUE: &str = "::ims_runtime::__private::serde_json::Value";
const MODELS: &str = "super::models::";

/// Why `path` cannot be mounted as a route (`None` when it can): every segment must be literal
/// text without `{`, `}` and `*`, or one whole `{name}` parameter.
///
/// ```
/// use ims_codegen::emit::server::route_problem;
/// assert_eq!(route_problem("/users/{id}"), None);
/// assert!(route_problem("/files/{name}.json").is_some());
/// ```
pub fn route_problem(path: &str) -> Option<String> {
    let Some(rest) = path.strip_prefix('/') else {
        return Some("the path does not start with `/`".to_owned());
    };
    for segment in rest.split('/') {
        let whole_param = segment
            .strip_prefix('{')
            .and_then(|s| s.strip_suffix('}'))
            .is_some_and(|name| !name.is_empty() && !name.contains(['{', '}', '*']));
        if !whole_param && segment.contains(['{', '}', '*']) {
            return Some(format!(
                "segment {} is not literal text or one whole `{{name}}` parameter",
                code_span(segment)
            ));
        }
    }
    None
}

/// The path with parameters renamed `{p0}`, `{p1}`, … (what the runtime router mounts).
fn positional(path: &str) -> String {
    let mut index = 0;
    path.split('/')
        .map(|segment| {
            if segment.starts_with('{') && segment.ends_with('}') && segment.len() > 2 {
                let s = format!("{{p{index}}}");
                index += 1;
                s
            } else {
                segment.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The positional key (`p0`, …) of the path parameter `name` in `path`.
fn path_key(path: &str, name: &str) -> Option<String> {
    path.split('/')
        .filter(|s| s.starts_with('{') && s.ends_with('}') && s.len() > 2)
        .position(|s| &s[1..s.len() - 1] == name)
        .map(|i| format!("p{i}"))
}

/// Operations the server leaves out, with the reason (one per operation, in IR order).
pub fn skipped_operations(service: &Service) -> Vec<(&Operation, String)> {
    let mut seen: Vec<(HttpMethod, String)> = Vec::new();
    let mut out = Vec::new();
    for op in service.operations.iter().filter(|o| !o.is_discovery) {
        if let Some(problem) = route_problem(&op.path) {
            out.push((op, problem));
            continue;
        }
        let key = (op.method, positional(&op.path));
        if seen.contains(&key) {
            out.push((
                op,
                "another operation has the same method and path shape".to_owned(),
            ));
            continue;
        }
        seen.push(key);
    }
    out
}

struct ArgView {
    name: String,
    ty: String,
}

struct MethodView {
    doc: String,
    /// `#[allow(clippy::too_many_arguments)]` when the SDD gives the operation many parameters.
    lint_allow: &'static str,
    name: String,
    args: Vec<ArgView>,
    output: String,
}

struct VariantView {
    doc: String,
    name: String,
    ty: Option<String>,
}

struct EnumView {
    doc: String,
    name: String,
    variants: Vec<VariantView>,
}

struct HandlerView {
    scope_attr: String,
    name: String,
    trait_name: String,
    needs_principal: bool,
    input_name: &'static str,
    body: Option<String>,
    statements: Vec<String>,
}

struct RouteView {
    method: String,
    filter: String,
    path: String,
    protected: bool,
    handler: String,
}

#[derive(Template)]
#[template(path = "service/server.rs.askama", escape = "none")]
struct ServerTemplate {
    module_doc: String,
    trait_doc: String,
    trait_name: String,
    enums: Vec<EnumView>,
    methods: Vec<MethodView>,
    handlers: Vec<HandlerView>,
    router_doc: String,
    routes: Vec<RouteView>,
}

/// The body of one success response.
#[derive(Clone, PartialEq)]
enum Payload {
    None,
    Json {
        ty: String,
        key: Option<String>,
        fields: Vec<String>,
    },
    Bytes {
        media_type: String,
    },
}

impl Payload {
    fn rust_type(&self) -> Option<String> {
        match self {
            Payload::None => None,
            Payload::Json { ty, .. } => Some(ty.clone()),
            Payload::Bytes { .. } => Some("::std::vec::Vec<u8>".to_owned()),
        }
    }
}

struct Success {
    status: u16,
    payload: Payload,
}

fn struct_of<'a>(types: &'a BTreeMap<&str, &TypeDef>, t: &TypeRef) -> Option<&'a TypeDef> {
    match t {
        TypeRef::Named(n) => types.get(n.as_str()).copied(),
        TypeRef::Boxed(inner) | TypeRef::Nullable(inner) => struct_of(types, inner),
        _ => None,
    }
}

fn field_names(def: &TypeDef) -> Vec<String> {
    match &def.kind {
        TypeDefKind::Struct(s) => s.fields.iter().map(|f| f.wire_name.clone()).collect(),
        _ => Vec::new(),
    }
}

fn unwrap_optional(t: &TypeRef) -> &TypeRef {
    match t {
        TypeRef::Boxed(inner) | TypeRef::Nullable(inner) => unwrap_optional(inner),
        other => other,
    }
}

/// The wrapper member and record member names of a JSON success type: a struct with one member
/// holding an array of records (collections) or one record (single objects); otherwise no key
/// and the type's own members.
fn wrapper_facts(types: &BTreeMap<&str, &TypeDef>, t: &TypeRef) -> (Option<String>, Vec<String>) {
    let Some(def) = struct_of(types, t) else {
        return (None, Vec::new());
    };
    if let TypeDefKind::Struct(s) = &def.kind
        && let [only] = s.fields.as_slice()
    {
        let record = match unwrap_optional(&only.ty) {
            TypeRef::Vec(inner) => struct_of(types, inner),
            other => struct_of(types, other),
        };
        if let Some(record) = record
            && matches!(record.kind, TypeDefKind::Struct(_))
        {
            return (Some(only.wire_name.clone()), field_names(record));
        }
    }
    (None, field_names(def))
}

fn successes(op: &Operation, types: &BTreeMap<&str, &TypeDef>) -> Vec<Success> {
    let mut out: Vec<Success> = Vec::new();
    for response in &op.responses {
        let status = match response.status {
            ResponseStatus::Code(c) if (200..300).contains(&c) => c,
            ResponseStatus::Range(2) => 200,
            _ => continue,
        };
        if out.iter().any(|s| s.status == status) {
            continue;
        }
        let json = response.contents.iter().find(|c| c.kind == MediaKind::Json);
        let payload = if let Some(content) = json {
            match &content.ty {
                Some(t) => {
                    let (key, fields) = wrapper_facts(types, t);
                    Payload::Json {
                        ty: type_path(t, MODELS),
                        key,
                        fields,
                    }
                }
                None => Payload::Json {
                    ty: JSON_VALUE.to_owned(),
                    key: None,
                    fields: Vec::new(),
                },
            }
        } else if let Some(content) = response.contents.first() {
            Payload::Bytes {
                media_type: content.media_type.clone(),
            }
        } else {
            Payload::None
        };
        out.push(Success { status, payload });
    }
    out
}

fn method_parts(m: HttpMethod) -> (&'static str, &'static str) {
    match m {
        HttpMethod::Get => ("GET", "get"),
        HttpMethod::Put => ("PUT", "put"),
        HttpMethod::Post => ("POST", "post"),
        HttpMethod::Delete => ("DELETE", "delete"),
        HttpMethod::Options => ("OPTIONS", "options"),
        HttpMethod::Head => ("HEAD", "head"),
        HttpMethod::Patch => ("PATCH", "patch"),
        HttpMethod::Trace => ("TRACE", "trace"),
    }
}

fn opt_lit(key: Option<&str>) -> String {
    match key {
        Some(k) => format!("::core::option::Option::Some({})", str_lit(k)),
        None => "::core::option::Option::None".to_owned(),
    }
}

/// The expression answering one success value `value` (a local holding the payload).
fn respond_expr(success: &Success, value: &str, fields_expr: &str) -> String {
    let status = format!("{RT}::server::respond::status({})", success.status);
    match &success.payload {
        Payload::None => format!("{RT}::server::respond::empty({status})"),
        Payload::Json { key, fields, .. } => format!(
            "{RT}::server::respond::json({status}, &{value}, {fields_expr}, {}, {})",
            opt_lit(key.as_deref()),
            str_slice_lit(fields.iter().map(String::as_str))
        ),
        Payload::Bytes { media_type } => format!(
            "{RT}::server::respond::bytes({status}, {}, {value})",
            str_lit(media_type)
        ),
    }
}

fn scope_attr(op: &Operation, consts: &BTreeMap<&str, &str>) -> Result<String, Diagnostic> {
    if op.scopes.is_public() {
        return Ok(String::new());
    }
    let mut args = Vec::new();
    for group in &op.scopes.any_of {
        let paths = group
            .iter()
            .map(|uri| scope_ref(consts, uri, SCOPES_FROM_SIBLING))
            .collect::<Result<Vec<_>, _>>()?;
        match paths.as_slice() {
            // An empty group: any valid token will do (handled by a `Principal` extractor).
            [] => return Ok(String::new()),
            [one] => args.push(one.clone()),
            many => args.push(format!("all({})", many.join(", "))),
        }
    }
    Ok(format!("#[{RT}::ims_scope({})]\n", args.join(", ")))
}

struct OpOutput {
    method: MethodView,
    handler: HandlerView,
    enum_view: Option<EnumView>,
    route: RouteView,
}

#[allow(clippy::too_many_lines)] // one linear walk over an operation's parts
fn operation(
    op: &Operation,
    trait_name: &str,
    types: &BTreeMap<&str, &TypeDef>,
    consts: &BTreeMap<&str, &str>,
    type_names: &mut NameTable,
) -> Result<OpOutput, Diagnostic> {
    let query_names: Vec<&str> = op
        .params
        .iter()
        .filter(|p| p.location == ParamLocation::Query)
        .map(|p| p.name.as_str())
        .collect();
    let is_collection = op.is_collection();
    let has_fields = query_names.contains(&"fields");
    let success_list = successes(op, types);
    let json_success = success_list
        .iter()
        .any(|s| matches!(s.payload, Payload::Json { .. }));

    let mut arg_names = NameTable::new();
    for reserved in ["self", "ctx", "query", "body"] {
        arg_names.reserve(reserved);
    }
    let mut args = vec![ArgView {
        name: "ctx".to_owned(),
        ty: format!("{RT}::server::RequestContext"),
    }];
    let mut statements = Vec::new();
    let mut call_args = vec!["ctx".to_owned()];
    let mut uses_input = false;

    let typed: Vec<&Param> = op
        .params
        .iter()
        .filter(|p| match p.location {
            ParamLocation::Query if is_collection => !op.is_collection_param(p),
            ParamLocation::Query => p.name != "fields",
            _ => true,
        })
        .collect();
    let (path_params, other_params): (Vec<&Param>, Vec<&Param>) = typed
        .into_iter()
        .partition(|p| p.location == ParamLocation::Path);
    let mut push_param = |p: &Param, statements: &mut Vec<String>, args: &mut Vec<ArgView>| {
        let name = arg_names.insert(&p.rust_name);
        let local = format!("arg_{}", name.trim_start_matches("r#"));
        let inner = type_path(&p.ty, MODELS);
        let (key, required) = match p.location {
            ParamLocation::Path => (
                path_key(&op.path, &p.name).unwrap_or_else(|| p.name.clone()),
                true,
            ),
            _ => (p.name.clone(), p.required),
        };
        let ty = if required {
            inner
        } else {
            format!("::core::option::Option<{inner}>")
        };
        let getter = if required { "required_param" } else { "param" };
        statements.push(format!(
            "let {local}: {ty} = input.{getter}({}, {}, {}, {})?;",
            location_path(p.location),
            str_lit(&key),
            str_lit(&p.name),
            style_path(p.style)
        ));
        args.push(ArgView { name, ty });
        local
    };
    for p in &path_params {
        let local = push_param(p, &mut statements, &mut args);
        call_args.push(local);
        uses_input = true;
    }

    let collection_response = is_collection
        && matches!(
            success_list.as_slice(),
            [Success {
                payload: Payload::Json { .. },
                ..
            }]
        );
    if is_collection {
        let fields = match success_list.first().map(|s| &s.payload) {
            Some(Payload::Json { fields, .. }) => fields.clone(),
            _ => Vec::new(),
        };
        // The record's member names, for the filter check here and the projection below.
        statements.push(format!(
            "const FIELDS: &[&str] = {};",
            str_slice_lit(fields.iter().map(String::as_str))
        ));
        statements.push("let query = input.collection_query(FIELDS)?;".to_owned());
        args.push(ArgView {
            name: "query".to_owned(),
            ty: format!("{RT}::query::CollectionQuery"),
        });
        call_args.push(if collection_response {
            "::core::clone::Clone::clone(&query)".to_owned()
        } else {
            "query".to_owned()
        });
        uses_input = true;
    }
    for p in &other_params {
        let local = push_param(p, &mut statements, &mut args);
        call_args.push(local);
        uses_input = true;
    }
    // `fields` of a single-object operation is a projection the router applies to JSON answers.
    let projection = !is_collection && has_fields && json_success;
    let fields_expr = if projection {
        statements.push("let fields = input.fields()?;".to_owned());
        uses_input = true;
        "fields.as_ref()"
    } else {
        "::core::option::Option::None"
    };

    // The request body: typed JSON, a form, or raw bytes.
    let mut body_extractor = None;
    if let Some(body) = &op.request_body {
        let json = body.contents.iter().find(|c| c.kind == MediaKind::Json);
        let form = body
            .contents
            .iter()
            .find(|c| c.kind == MediaKind::Form && c.ty.is_some());
        let (extractor, ty) = if let Some(content) = json {
            let t = json_type_path(content.ty.as_ref(), MODELS);
            if body.required {
                (format!("{RT}::server::JsonBody<{t}>"), t)
            } else {
                (
                    format!("{RT}::server::OptionalJsonBody<{t}>"),
                    format!("::core::option::Option<{t}>"),
                )
            }
        } else if let (Some(content), true) = (form, body.required) {
            let t = json_type_path(content.ty.as_ref(), MODELS);
            (format!("{RT}::server::FormBody<{t}>"), t)
        } else {
            (
                format!("{RT}::server::RawBody"),
                "::std::vec::Vec<u8>".to_owned(),
            )
        };
        let unwrap = if extractor.ends_with("RawBody") {
            "body.bytes"
        } else {
            "body.0"
        };
        body_extractor = Some(extractor);
        args.push(ArgView {
            name: "body".to_owned(),
            ty,
        });
        call_args.push(unwrap.to_owned());
    }

    // The success type and how it is answered.
    let mut enum_view = None;
    let (output_ok, respond) = if collection_response {
        let Some(success) = success_list.first() else {
            return Err(internal("a collection response without a success"));
        };
        let (ty, key) = match &success.payload {
            Payload::Json { ty, key, .. } => (ty.clone(), key.clone()),
            _ => return Err(internal("a collection response that is not JSON")),
        };
        (
            format!("{RT}::server::Listed<{ty}>"),
            format!(
                "{RT}::server::respond::collection(&out, &query, &input, {}, FIELDS)",
                opt_lit(key.as_deref()),
            ),
        )
    } else {
        match success_list.as_slice() {
            [] => (
                "()".to_owned(),
                format!("{RT}::server::respond::empty({RT}::server::respond::status(204))"),
            ),
            [one] => (
                one.payload.rust_type().unwrap_or_else(|| "()".to_owned()),
                respond_expr(one, "out", fields_expr),
            ),
            many => {
                let name = type_names.insert(&type_name(&format!("{}Success", op.type_name)));
                let mut arms = Vec::new();
                let mut variants = Vec::new();
                for s in many {
                    let variant = format!("Status{}", s.status);
                    let ty = s.payload.rust_type();
                    let pattern = if ty.is_some() {
                        format!("{name}::{variant}(value)")
                    } else {
                        format!("{name}::{variant}")
                    };
                    arms.push(format!(
                        "{pattern} => {},",
                        respond_expr(s, "value", fields_expr)
                    ));
                    variants.push(VariantView {
                        doc: DocBuilder::new()
                            .trusted(format!("Answer with status {}.", s.status))
                            .attrs(),
                        name: variant,
                        ty,
                    });
                }
                enum_view = Some(EnumView {
                    doc: DocBuilder::new()
                        .trusted(format!(
                            "The success responses of {} ({}): one variant per status.",
                            code_span(&op.fn_name),
                            call_span(op)
                        ))
                        .attrs(),
                    name: name.clone(),
                    variants,
                });
                (name, format!("match out {{ {} }}", arms.join(" ")))
            }
        }
    };
    let output = format!(
        "impl ::std::future::Future<Output = ::std::result::Result<{output_ok}, {RT}::imsx::ImsError>> + ::std::marker::Send"
    );
    let out_pat = if output_ok == "()" { "()" } else { "out" };
    statements.push(format!(
        "let {out_pat} = svc.{}({}).await?;",
        op.fn_name,
        call_args.join(", ")
    ));
    statements.push(format!("::core::result::Result::Ok({respond})"));
    uses_input |= collection_response;

    let bare = op.fn_name.trim_start_matches("r#");
    let handler_name = format!("handle_{bare}");
    let scope = scope_attr(op, consts)?;
    // An empty scope group means any valid token: a `Principal` extractor still demands one.
    let needs_principal = scope.is_empty() && !op.scopes.is_public();

    let (method_const, filter) = method_parts(op.method);
    let doc = operation_doc(op, scopes_line(op, consts))
        .trusted(if is_collection {
            "A collection: `query` holds `filter`, `sort`/`orderBy`, `fields` and `limit`/`offset` (the filter's fields are already checked); return the page and the total matching count, `fields` is applied by the router.".to_owned()
        } else if projection {
            "The `fields` query parameter is applied by the router to the returned record.".to_owned()
        } else {
            String::new()
        })
        .trusted(deprecated_line(op))
        .attrs();
    Ok(OpOutput {
        method: MethodView {
            doc,
            // clippy's default limit is 7 arguments, `&self` included.
            lint_allow: if args.len() + 1 > 7 {
                "#[allow(clippy::too_many_arguments)]\n"
            } else {
                ""
            },
            name: op.fn_name.clone(),
            args,
            output,
        },
        handler: HandlerView {
            scope_attr: scope,
            name: handler_name.clone(),
            trait_name: trait_name.to_owned(),
            needs_principal,
            input_name: if uses_input { "input" } else { "_input" },
            body: body_extractor,
            statements,
        },
        enum_view,
        route: RouteView {
            method: format!("{AXUM}::http::Method::{method_const}"),
            filter: format!("{AXUM}::routing::{filter}"),
            path: str_lit(&op.path),
            protected: !op.scopes.is_public(),
            handler: handler_name,
        },
    })
}

fn internal(what: &str) -> Diagnostic {
    Diagnostic::new(
        codes::SERVICE_PART_FAILED,
        format!("internal error while rendering the server module: {what}"),
        Location::None,
    )
    .with_help("this is a bug in ims-codegen's server emitter; please report it")
}

/// The trait name for a service, e.g. `Rostering` → `RosteringService`.
pub fn trait_name(service: &Service) -> String {
    format!("{}Service", type_name(&service.service))
}

/// Renders `pub mod server { … }` (unformatted).
pub fn render_server(service: &Service) -> Result<String, Diagnostic> {
    let types: BTreeMap<&str, &TypeDef> =
        service.types.iter().map(|t| (t.name.as_str(), t)).collect();
    let consts = scope_consts(service);
    let trait_name = trait_name(service);
    let mut type_names = NameTable::new();
    type_names.reserve(&trait_name);
    let skipped = skipped_operations(service);
    let mut methods = Vec::new();
    let mut handlers = Vec::new();
    let mut enums = Vec::new();
    let mut routes = Vec::new();
    for op in &service.operations {
        if op.is_discovery || skipped.iter().any(|(s, _)| std::ptr::eq(*s, op)) {
            continue;
        }
        let out = operation(op, &trait_name, &types, &consts, &mut type_names)?;
        methods.push(out.method);
        handlers.push(out.handler);
        enums.extend(out.enum_view);
        routes.push(out.route);
    }
    let names = service_label(service);
    let mut module_doc = DocBuilder::new().trusted(format!(
        "The server side of {names}: implement {} and mount `router(svc)`.",
        code_span(&trait_name)
    ));
    for (op, why) in &skipped {
        module_doc = module_doc.trusted(format!("Not served: {}: {why}.", heading(op)));
    }
    let template = ServerTemplate {
        module_doc: module_doc.attrs(),
        trait_doc: DocBuilder::new()
            .trusted(format!(
                "The operations of {names}, one method per operation (the discovery endpoint is served by the router). Errors are `imsx_StatusInfo` responses."
            ))
            .prose(Some(&service.title))
            .attrs(),
        trait_name,
        enums,
        methods,
        handlers,
        router_doc: DocBuilder::new()
            .trusted("Mounts every operation under `BASE_PATH`; protected operations check their scopes with `#[ims_scope]`. Add authentication with `with_auth` and the discovery endpoint with `with_discovery`, then call `into_router`.")
            .attrs(),
        routes,
    };
    template.render().map_err(|e| {
        Diagnostic::new(
            codes::MODULE_TEMPLATE_FAILED,
            format!("internal error: rendering the server module template failed: {e}"),
            Location::None,
        )
        .with_help("this is a bug in ims-codegen's templates; please report it")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::{Input, run};

    fn service(model: &str) -> Service {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(model);
        let out = run(&[Input::Model(path)]);
        assert!(out.is_ok(), "{}", out.diagnostics);
        out.services.into_iter().next().expect("one service")
    }

    #[test]
    fn route_templates_and_positional_keys() {
        assert_eq!(route_problem("/a/{x}/b"), None);
        assert!(route_problem("/a/{x}-{y}").is_some());
        assert!(route_problem("/a/*").is_some());
        assert_eq!(
            positional("/schools/{schoolSourcedId}/classes/{classSourcedId}"),
            "/schools/{p0}/classes/{p1}"
        );
        assert_eq!(
            path_key("/schools/{s}/classes/{c}", "c").as_deref(),
            Some("p1")
        );
        assert_eq!(path_key("/schools/{s}", "x"), None);
    }

    #[test]
    fn oneroster_server_has_one_scoped_handler_per_operation_and_no_discovery() {
        let svc = service("spec-models/oneroster_v1p2_rostering/model.yaml");
        let src = render_server(&svc).expect("renders");
        let file: syn::File = syn::parse_str(&src).expect("parses");
        assert_eq!(file.items.len(), 1);
        let served = svc.operations.iter().filter(|o| !o.is_discovery).count();
        assert_eq!(src.matches("async fn handle_").count(), served);
        assert_eq!(src.matches(".route(").count(), served);
        assert_eq!(src.matches("#[::ims_runtime::ims_scope(").count(), served);
        assert!(src.contains("pub trait RosteringService"));
        assert!(src.contains("::ims_runtime::server::Listed<super::models::UserSetDType>"));
        assert!(src.contains(r#"respond::collection(&out, &query, &input, ::core::option::Option::Some("users"), FIELDS)"#));
        assert!(src.contains(r#"::core::option::Option::Some("user")"#));
        assert!(src.contains(r#""p0", "userSourcedId""#));
        assert!(
            !src.contains("\"/discovery/"),
            "the discovery operation is not a handler"
        );
        assert_eq!(render_server(&svc).expect("renders"), src, "deterministic");
    }

    #[test]
    fn multi_scope_groups_become_all_and_empty_groups_need_a_principal() {
        let mut svc = service("tests/fixtures/operations/scopes_any_of/model.yaml");
        let uris: Vec<String> = svc.scopes.iter().map(|s| s.uri.clone()).collect();
        assert!(uris.len() >= 2);
        let first = svc
            .operations
            .iter()
            .position(|o| !o.is_discovery)
            .expect("an operation");
        svc.operations[first].scopes.any_of = vec![vec![uris[0].clone(), uris[1].clone()]];
        let src = render_server(&svc).expect("renders");
        let c0 = &svc.scopes[0].const_name;
        let c1 = &svc.scopes[1].const_name;
        assert!(
            src.contains(&format!("all(super::scopes::{c0}, super::scopes::{c1})")),
            "{src}"
        );
        svc.operations[first].scopes.any_of = vec![Vec::new()];
        let src = render_server(&svc).expect("renders");
        assert!(
            src.contains("_principal: ::ims_runtime::resource_server::Principal"),
            "{src}"
        );
        assert!(syn::parse_str::<syn::File>(&src).is_ok());
    }
}
