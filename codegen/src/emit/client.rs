//! The `client` module of a generated service: `<Service>Client`, one typed async method per
//! operation on top of `::ims_runtime::client::ApiClient`.
//!
//! Decisions made here (the template only lays them out):
//!
//! - arguments: path, query (other than the IMS collection ones of a collection operation),
//!   header and cookie parameters in IR order, typed; required ones plain (`&str`, `&[&str]`,
//!   `&T`, or by value for `bool` and numbers), optional ones `Option<…>`; then the body;
//! - collection operations (query has `limit` and `offset`) take `&ListQuery` and return
//!   `Page<Wrapper>`, plus `<fn>_stream(ListQuery)` yielding the records of the wrapper's one
//!   array member (or of a top-level array);
//! - the success type: the 2xx responses' common payload (typed JSON, any JSON, text, bytes or
//!   none); when they disagree the method returns `serde_json::Value` and a warning says so;
//! - the discovery operation is a public method returning the SDD as `serde_json::Value`;
//! - scope alternatives are passed as `super::scopes` constants; public operations send no token.

use std::collections::BTreeMap;

use askama::Template;

use crate::diagnostics::{Code, Diagnostic, Location, codes};
use crate::emit::catalogue_paths::{SCOPES_FROM_SIBLING, scope_consts, scope_ref, style_path};
use crate::emit::doc::{DocBuilder, code_span};
use crate::emit::literal::str_lit;
use crate::emit::models::{json_type_path, type_path};
use crate::emit::operation_docs::{
    deprecated_line, heading, operation_doc, scope_alternatives, service_label,
};
use crate::ir::{
    HttpMethod, MediaKind, Operation, Param, ParamLocation, Primitive, Response, ResponseStatus,
    Service, TypeDefKind, TypeRef,
};
use crate::lower::naming::{NameTable, type_name};

const MODELS: &str = "super::models::";
const CLIENT: &str = "::ims_runtime::client";
const VALUE: &str = "::ims_runtime::__private::serde_json::Value";

struct ArgView {
    name: String,
    ty: String,
}

struct MethodView {
    doc: String,
    /// Outer attributes after the doc (e.g. allowing clippy's argument count lint).
    attrs: String,
    name: String,
    is_async: bool,
    args: Vec<ArgView>,
    ret: String,
    method: String,
    steps: Vec<String>,
    scopes: String,
    call_prefix: String,
    call_suffix: String,
}

#[derive(Template)]
#[template(path = "service/client.rs.askama", escape = "none")]
struct ClientTemplate {
    module_doc: String,
    client_doc: String,
    name: String,
    methods: Vec<MethodView>,
}

/// Renders `pub mod client { … }` (unformatted).
pub fn render_client(service: &Service) -> Result<String, Diagnostic> {
    let (template, _) = build(service)?;
    template.render().map_err(|e| {
        Diagnostic::new(
            codes::SERVICE_PART_FAILED,
            format!("internal error: rendering the client template failed: {e}"),
            Location::None,
        )
        .with_help("this is a bug in ims-codegen's templates; please report it")
    })
}

/// Warnings about operations the client expresses only loosely (e.g. a `serde_json::Value`
/// success type because the 2xx responses disagree, or a collection without a record stream).
pub fn client_diagnostics(service: &Service) -> Vec<Diagnostic> {
    build(service).map(|(_, d)| d).unwrap_or_default()
}

/// The client's type name: `<Service>Client` (`Rostering` → `RosteringClient`).
pub fn client_name(service: &Service) -> String {
    format!("{}Client", type_name(&service.service))
}

fn build(service: &Service) -> Result<(ClientTemplate, Vec<Diagnostic>), Diagnostic> {
    let scope_consts = scope_consts(service);
    let mut names = NameTable::new();
    for reserved in ["new", "with_policy", "from_api", "api"] {
        names.reserve(reserved);
    }
    // Operation names first, so a `<fn>_stream` never takes an operation's own name.
    let fn_names: Vec<String> = service
        .operations
        .iter()
        .map(|op| names.insert(&op.fn_name))
        .collect();
    let mut diags = Vec::new();
    let mut methods = Vec::new();
    for (op, fn_name) in service.operations.iter().zip(fn_names) {
        methods.extend(operation_methods(
            service,
            op,
            fn_name,
            &mut names,
            &scope_consts,
            &mut diags,
        )?);
    }
    let name = client_name(service);
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
            .prose(Some(&service.title))
            .attrs(),
        name,
        methods,
    };
    Ok((template, diags))
}

fn warn(code: Code, op: &Operation, message: String) -> Diagnostic {
    Diagnostic::new(code, message, Location::None).with_help(format!(
        "operation `{}` ({} {}) is still generated; see its doc comment",
        op.id,
        op.method.as_str(),
        op.path
    ))
}

/// Methods mirror the SDD's parameter lists, which can be long; clippy's default bound (7
/// including `self`) is not something the caller of a generated method can change.
fn lint_attrs(args: usize) -> String {
    if args + 1 > 7 {
        "#[allow(clippy::too_many_arguments)]\n".to_owned()
    } else {
        String::new()
    }
}

fn method_expr(m: HttpMethod) -> String {
    format!("::ims_runtime::__private::http::Method::{}", m.as_str())
}

/// The argument type for a value of type `t` (borrowed where that is cheaper for callers).
fn arg_type(t: &TypeRef) -> String {
    match t {
        TypeRef::Primitive(Primitive::String | Primitive::Byte) => "&str".to_owned(),
        TypeRef::Primitive(Primitive::Binary) => "&[u8]".to_owned(),
        TypeRef::Primitive(
            p @ (Primitive::Bool
            | Primitive::I32
            | Primitive::I64
            | Primitive::F32
            | Primitive::F64),
        ) => type_path(&TypeRef::Primitive(*p), MODELS),
        TypeRef::Vec(inner) => format!("&[{}]", elem_type(inner)),
        TypeRef::Nullable(inner) => format!("::std::option::Option<{}>", arg_type(inner)),
        TypeRef::Boxed(inner) => arg_type(inner),
        other => format!("&{}", type_path(other, MODELS)),
    }
}

/// The element type of a slice argument (`&str` for strings, else the owned type).
fn elem_type(t: &TypeRef) -> String {
    match t {
        TypeRef::Primitive(Primitive::String | Primitive::Byte) => "&str".to_owned(),
        other => type_path(other, MODELS),
    }
}

/// What a success response carries.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Payload {
    /// Typed JSON.
    Json(TypeRef),
    /// JSON without a schema.
    AnyJson,
    /// Text.
    Text,
    /// Raw bytes.
    Bytes,
    /// No body.
    Empty,
}

fn payload_of(response: &Response) -> Payload {
    match response.contents.first() {
        None => Payload::Empty,
        Some(c) => match (c.kind, &c.ty) {
            (MediaKind::Json, Some(TypeRef::Any) | None) => Payload::AnyJson,
            (MediaKind::Json, Some(t)) => Payload::Json(t.clone()),
            (MediaKind::Text, _) => Payload::Text,
            (MediaKind::Form, _) => Payload::AnyJson,
            (MediaKind::Binary, _) => Payload::Bytes,
        },
    }
}

fn is_success(status: ResponseStatus) -> bool {
    match status {
        ResponseStatus::Code(c) => (200..300).contains(&c),
        ResponseStatus::Range(d) => d == 2,
        ResponseStatus::Default => false,
    }
}

/// The record type and the extraction closure body of a collection page of type `t`.
fn records_of(service: &Service, t: &TypeRef) -> Option<(String, String)> {
    match t {
        TypeRef::Vec(inner) => Some((type_path(inner, MODELS), "page".to_owned())),
        TypeRef::Named(name) => {
            let def = service.types.iter().find(|d| &d.name == name)?;
            match &def.kind {
                TypeDefKind::Struct(s) if s.fields.len() == 1 => {
                    let f = &s.fields[0];
                    let access = format!("page.{}", f.rust_name);
                    match (&f.ty, f.required) {
                        (TypeRef::Vec(inner), true) => Some((type_path(inner, MODELS), access)),
                        (TypeRef::Vec(inner), false) => Some((
                            type_path(inner, MODELS),
                            format!("{access}.unwrap_or_default()"),
                        )),
                        (TypeRef::Nullable(n), required) => match n.as_ref() {
                            TypeRef::Vec(inner) => Some((
                                type_path(inner, MODELS),
                                if required {
                                    format!("{access}.unwrap_or_default()")
                                } else {
                                    format!("{access}.flatten().unwrap_or_default()")
                                },
                            )),
                            _ => None,
                        },
                        _ => None,
                    }
                }
                TypeDefKind::Newtype(TypeRef::Vec(inner)) => {
                    Some((type_path(inner, MODELS), "page.0".to_owned()))
                }
                _ => None,
            }
        }
        _ => None,
    }
}

fn scopes_expr(op: &Operation, consts: &BTreeMap<&str, &str>) -> Result<String, Diagnostic> {
    if op.is_discovery || op.scopes.is_public() {
        return Ok("&[]".to_owned());
    }
    let mut groups = Vec::new();
    for g in &op.scopes.any_of {
        let items = g
            .iter()
            .map(|uri| scope_ref(consts, uri, SCOPES_FROM_SIBLING))
            .collect::<Result<Vec<_>, _>>()?;
        groups.push(format!("&[{}]", items.join(", ")));
    }
    Ok(format!("&[{}]", groups.join(", ")))
}

fn scopes_line(op: &Operation) -> String {
    if op.is_discovery || op.scopes.is_public() {
        return "Public: sends no token.".to_owned();
    }
    format!(
        "Scopes (tried in this order): {}.",
        scope_alternatives(op, str::to_owned)
    )
}

fn param_doc(doc: DocBuilder, p: &Param, arg: &str) -> DocBuilder {
    let location = match p.location {
        ParamLocation::Path => "path",
        ParamLocation::Query => "query",
        ParamLocation::Header => "header",
        ParamLocation::Cookie => "cookie",
    };
    doc.trusted(format!(
        "{}: {location} parameter {}{}.",
        code_span(arg),
        code_span(&p.name),
        if p.required { "" } else { " (optional)" }
    ))
    .prose(p.description.as_deref())
}

#[allow(clippy::too_many_lines)]
fn operation_methods(
    service: &Service,
    op: &Operation,
    fn_name: String,
    names: &mut NameTable,
    scope_consts: &BTreeMap<&str, &str>,
    diags: &mut Vec<Diagnostic>,
) -> Result<Vec<MethodView>, Diagnostic> {
    let collection = op.is_collection() && !op.is_discovery;
    let mut arg_names = NameTable::new();
    arg_names.reserve("self");
    let mut args = Vec::new();
    let mut steps = Vec::new();
    let mut doc = operation_doc(op, scopes_line(op)).trusted(deprecated_line(op));

    // Path parameters come first, in template order; then the template is split into literal
    // text and one encoded segment per parameter.
    let path_params: Vec<&Param> = op
        .params
        .iter()
        .filter(|p| p.location == ParamLocation::Path)
        .collect();
    let mut path_args: Vec<ArgView> = Vec::new();
    let mut path_names: BTreeMap<&str, String> = BTreeMap::new();
    for p in &path_params {
        let name = arg_names.insert(&p.rust_name);
        path_names.insert(p.name.as_str(), name.clone());
        path_args.push(ArgView {
            name: name.clone(),
            ty: arg_type(&p.ty),
        });
        doc = param_doc(doc, p, &name);
    }
    let mut rest = op.path.as_str();
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}').map(|c| open + c) else {
            break;
        };
        if open > 0 {
            steps.push(format!(".path({})", str_lit(&rest[..open])));
        }
        let wire = &rest[open + 1..close];
        match path_names.get(wire) {
            Some(arg) => steps.push(format!(".path_param({}, &{arg})", str_lit(wire))),
            // Lowering guarantees every placeholder has a parameter; keep the text if not.
            None => steps.push(format!(".path({})", str_lit(&rest[open..=close]))),
        }
        rest = &rest[close + 1..];
    }
    if !rest.is_empty() {
        steps.push(format!(".path({})", str_lit(rest)));
    }
    args.extend(path_args.iter().map(|a| ArgView {
        name: a.name.clone(),
        ty: a.ty.clone(),
    }));

    let mut stream_args = Vec::new();
    for p in op
        .params
        .iter()
        .filter(|p| p.location != ParamLocation::Path)
    {
        if collection && op.is_collection_param(p) {
            continue;
        }
        let name = arg_names.insert(&p.rust_name);
        let base = arg_type(&p.ty);
        let ty = if p.required || matches!(p.ty, TypeRef::Nullable(_)) {
            base
        } else {
            format!("::std::option::Option<{base}>")
        };
        let step = match p.location {
            ParamLocation::Query => format!(
                ".query({}, &{name}, {})",
                str_lit(&p.name),
                style_path(p.style)
            ),
            ParamLocation::Header => format!(".header({}, &{name})", str_lit(&p.name)),
            ParamLocation::Cookie => format!(".cookie({}, &{name})", str_lit(&p.name)),
            ParamLocation::Path => continue,
        };
        steps.push(step);
        doc = param_doc(doc, p, &name);
        stream_args.push(ArgView {
            name: name.clone(),
            ty: ty.clone(),
        });
        args.push(ArgView { name, ty });
    }

    let query_arg = if collection {
        let name = arg_names.insert("query");
        doc = doc.trusted(format!(
            "{}: the IMS collection parameters (`filter`, `sort`, `orderBy`, `fields`, `limit`, `offset`).",
            code_span(&name)
        ));
        args.push(ArgView {
            name: name.clone(),
            ty: format!("&{CLIENT}::ListQuery"),
        });
        Some(name)
    } else {
        None
    };

    if let Some(body) = &op.request_body
        && let Some(content) = body.contents.first()
    {
        let name = arg_names.insert("body");
        let media = str_lit(&content.media_type);
        let (ty, step) = match content.kind {
            MediaKind::Json | MediaKind::Form => {
                let t = json_type_path(content.ty.as_ref(), MODELS);
                let encoding = if content.kind == MediaKind::Json {
                    "json"
                } else {
                    "form"
                };
                (
                    format!("&{t}"),
                    if body.required {
                        format!(".{encoding}_body({media}, {name})")
                    } else {
                        format!(".optional_{encoding}_body({media}, {name})")
                    },
                )
            }
            MediaKind::Text => (
                "&str".to_owned(),
                if body.required {
                    format!(".raw_body({media}, {name}.as_bytes().to_vec())")
                } else {
                    format!(".optional_raw_body({media}, {name}.map(|b| b.as_bytes().to_vec()))")
                },
            ),
            MediaKind::Binary => (
                "&[u8]".to_owned(),
                if body.required {
                    format!(".raw_body({media}, {name}.to_vec())")
                } else {
                    format!(".optional_raw_body({media}, {name}.map(<[u8]>::to_vec))")
                },
            ),
        };
        steps.push(step);
        let ty = if body.required {
            ty
        } else {
            format!("::std::option::Option<{ty}>")
        };
        doc = doc
            .trusted(format!(
                "{}: the request body, sent as {}{}.",
                code_span(&name),
                code_span(&content.media_type),
                if body.required { "" } else { " (optional)" }
            ))
            .prose(body.description.as_deref());
        if body.contents.len() > 1 {
            let others: Vec<String> = body.contents[1..]
                .iter()
                .map(|c| code_span(&c.media_type))
                .collect();
            doc = doc.trusted(format!(
                "The SDD also accepts {}; this method always sends the first media type.",
                others.join(", ")
            ));
        }
        args.push(ArgView { name, ty });
    }

    // Success payload.
    let successes: Vec<&Response> = op
        .responses
        .iter()
        .filter(|r| is_success(r.status))
        .collect();
    let mut kinds: Vec<Payload> = successes.iter().map(|r| payload_of(r)).collect();
    kinds.dedup();
    let payload = if op.is_discovery {
        Payload::AnyJson
    } else if kinds.len() == 1 {
        kinds.remove(0)
    } else {
        if kinds.len() > 1 {
            diags.push(warn(
                codes::CLIENT_RETURNS_JSON,
                op,
                format!(
                    "the client method `{fn_name}` returns `serde_json::Value`: the 2xx responses of `{}` carry different payloads",
                    op.id
                ),
            ));
            doc = doc.trusted(
                "Returns the body as JSON (`null` when empty): the SDD's success responses carry different payloads.",
            );
        } else {
            doc = doc.trusted(
                "Returns the body as JSON (`null` when empty): the SDD declares no success response.",
            );
        }
        Payload::AnyJson
    };
    if op.is_discovery {
        doc = doc.trusted("Returns the Service Description Document as JSON.");
    }

    let scopes = scopes_expr(op, scope_consts)?;
    let method = method_expr(op.method);
    let mut out = Vec::new();
    let result = |t: &str| format!("::std::result::Result<{t}, {CLIENT}::ApiError>");

    if let Some(query_arg) = query_arg {
        let body_ty = match &payload {
            Payload::Json(t) => type_path(t, MODELS),
            _ => VALUE.to_owned(),
        };
        let mut page_steps = steps.clone();
        page_steps.push(format!(".list_query({query_arg})"));
        let stream = match &payload {
            Payload::Json(t) => records_of(service, t),
            _ => None,
        };
        let stream_name = names.insert(&format!("{}_stream", fn_name.trim_start_matches("r#")));
        if stream.is_some() {
            doc = doc.trusted(format!(
                "Returns one page with `X-Total-Count` and `Link`; {} yields every record.",
                code_span(&stream_name)
            ));
        } else {
            diags.push(warn(
                codes::CLIENT_NO_RECORD_STREAM,
                op,
                format!(
                    "the success body of collection operation `{}` is not a wrapper with one array member: no `{stream_name}` method is generated",
                    op.id
                ),
            ));
            doc = doc.trusted(
                "Returns one page with `X-Total-Count` and `Link`. No record stream: the success body is not a wrapper with one array member.",
            );
        }
        out.push(MethodView {
            attrs: lint_attrs(args.len()),
            doc: doc.attrs(),
            name: fn_name.clone(),
            is_async: true,
            args,
            ret: result(&format!("{CLIENT}::Page<{body_ty}>")),
            method: method.clone(),
            steps: page_steps,
            scopes: scopes.clone(),
            call_prefix: "self.api.call_page(".to_owned(),
            call_suffix: ").await".to_owned(),
        });
        if let Some((record, extract)) = stream {
            let mut stream_doc = DocBuilder::new()
                .trusted(format!(
                    "Every record of {}, page after page: follows `Link: rel=\"next\"`, else `limit`/`offset`; bounded by `ApiClient::max_pages`, ends after the first error.",
                    heading(op)
                ))
                .prose(op.summary.as_deref())
                .trusted(scopes_line(op));
            for a in &stream_args {
                stream_doc = stream_doc.trusted(format!(
                    "{}: as for {}.",
                    code_span(&a.name),
                    code_span(&fn_name)
                ));
            }
            stream_doc = stream_doc.trusted(format!(
                "{}: the first page's collection parameters.",
                code_span(&query_arg)
            ));
            let mut sargs = path_args;
            sargs.extend(stream_args);
            sargs.push(ArgView {
                name: query_arg.clone(),
                ty: format!("{CLIENT}::ListQuery"),
            });
            out.push(MethodView {
                attrs: lint_attrs(sargs.len()),
                doc: stream_doc.attrs(),
                name: stream_name,
                is_async: false,
                args: sargs,
                ret: format!(
                    "impl ::ims_runtime::__private::futures_util::Stream<Item = {}> + ::std::marker::Send + '_",
                    result(&record)
                ),
                method,
                steps,
                scopes,
                call_prefix: "self.api.stream_records(".to_owned(),
                call_suffix: format!(
                    ", {query_arg}, |page: {body_ty}| {extract})"
                ),
            });
        }
        return Ok(out);
    }

    let (ret, call) = match &payload {
        Payload::Json(t) => (type_path(t, MODELS), "call_json"),
        Payload::AnyJson => (VALUE.to_owned(), "call_value"),
        Payload::Text => ("::std::string::String".to_owned(), "call_text"),
        Payload::Bytes => ("::std::vec::Vec<u8>".to_owned(), "call_bytes"),
        Payload::Empty => ("()".to_owned(), "call_empty"),
    };
    out.push(MethodView {
        attrs: lint_attrs(args.len()),
        doc: doc.attrs(),
        name: fn_name,
        is_async: true,
        args,
        ret: result(&ret),
        method,
        steps,
        scopes,
        call_prefix: format!("self.api.{call}("),
        call_suffix: ").await".to_owned(),
    });
    Ok(out)
}
