//! The methods of one operation: arguments (path, then query other than the IMS collection
//! ones of a collection, header and cookie parameters, typed; required ones plain — `&str`,
//! `&[&str]`, `&T`, or by value for `bool` and numbers — optional ones `Option<…>`; then the
//! `ListQuery` of a collection, by value as for the stream; then the body), their docs, the
//! request the template builds and the `ApiClient` call that sends it; plus `<fn>_stream` for a
//! collection whose records lowering found.

use crate::emit::catalogue_paths::{location_variant, sibling_json_type, sibling_type};
use crate::emit::checks::{Validating, checker, optional};
use crate::emit::doc::{DocBuilder, code_span};
use crate::emit::literal::str_lit;
use crate::emit::operation_docs::{deprecated_line, heading, operation_doc, scope_alternatives};
use crate::emit::server::handlers::location_fn;
use crate::ir::{
    Constraints, MediaKind, Operation, Param, ParamLocation, Payload, Primitive, RecordsAccess,
    TypeRef,
};

const VALUE: &str = "rt::serde_json::Value";

/// One argument.
#[derive(Clone)]
pub(crate) struct ArgView {
    pub(crate) name: String,
    pub(crate) ty: String,
}

/// `.arg("<wire>", &<name>)`.
#[derive(Clone)]
pub(crate) struct RequestArg {
    pub(crate) wire: String,
    pub(crate) name: String,
    /// The location variant, when the wire name alone is ambiguous (`.arg_at(...)`).
    pub(crate) at: Option<&'static str>,
}

/// The request body: `.<method>(<media>, <value>)`, where the template spells the conversion.
pub(crate) struct BodyView {
    /// `json_body`, `optional_form_body`, `raw_body`, …
    pub(crate) method: &'static str,
    pub(crate) media_type: String,
    pub(crate) name: String,
    /// `&str` sent as bytes.
    pub(crate) text: bool,
    /// `&[u8]` sent as bytes.
    pub(crate) binary: bool,
    pub(crate) required: bool,
    /// A body of several media types: `match body { <Enum>::<variant>(value) => … }` after
    /// the request is built, one arm per media type (then `method` is unused).
    pub(crate) arms: Vec<BodyArmView>,
    pub(crate) enum_path: String,
}

/// One arm of the match over a body enum: `.<method>(<media>, <value converted>)`.
pub(crate) struct BodyArmView {
    pub(crate) variant: String,
    /// `json_body`, `form_body` or `raw_body`.
    pub(crate) method: &'static str,
    pub(crate) media_type: String,
    pub(crate) text: bool,
    pub(crate) binary: bool,
}

/// How a `_stream` method takes the records out of a page.
pub(crate) struct StreamView {
    pub(crate) page_ty: String,
    /// The `ListQuery` argument of a limit/offset collection; `None` for a list paged by
    /// `Link: rel="next"` only (`stream_linked_records`).
    pub(crate) query: Option<String>,
    /// The member holding the records, if any.
    pub(crate) member: Option<String>,
    pub(crate) newtype: bool,
    pub(crate) flatten: bool,
    pub(crate) unwrap_or_default: bool,
    /// A page of several array members: each member's records become a variant of the
    /// `record_enum` (then `member`, `newtype`, `flatten` and `unwrap_or_default` are unused).
    pub(crate) arms: Vec<StreamArmView>,
    pub(crate) record_enum: String,
}

/// One array member of a page of several: `page.<member>[.flatten()][.unwrap_or_default()]`.
pub(crate) struct StreamArmView {
    pub(crate) variant: String,
    pub(crate) member: String,
    pub(crate) flatten: bool,
    pub(crate) unwrap_or_default: bool,
}

/// A check made before anything is sent:
/// `<checker>.check(&<value>, &rt::check::At::<location>(<wire>))?`.
pub(crate) struct ClientCheck {
    pub(crate) checker: String,
    /// The argument, or `query.limit_value()` / `query.offset_value()`.
    pub(crate) value: String,
    /// `path`, `query`, `header`, `cookie` or `body`.
    pub(crate) location: &'static str,
    /// The parameter's wire name (a literal); `None` for the body.
    pub(crate) wire: Option<String>,
}

/// One client method.
pub(crate) struct MethodView {
    /// The declared constraints of the arguments, checked before the request is built.
    pub(crate) checks: Vec<ClientCheck>,
    pub(crate) doc: String,
    /// Allows clippy's argument count lint (the SDD's parameter lists can be long).
    pub(crate) many_args: bool,
    pub(crate) name: String,
    pub(crate) is_async: bool,
    pub(crate) args: Vec<ArgView>,
    pub(crate) ret: String,
    pub(crate) op_const: String,
    pub(crate) request_args: Vec<RequestArg>,
    pub(crate) list_query: Option<String>,
    pub(crate) body: Option<BodyView>,
    /// The `ApiClient` method: `call_json`, `call_page`, …
    pub(crate) call: &'static str,
    pub(crate) stream: Option<StreamView>,
    /// The `Accept` media type literal, when not `application/json`.
    pub(crate) accept: Option<String>,
    /// The request goes to a URL given per call: `request_at(<arg>, <suffix>, …)`.
    pub(crate) per_call: Option<PerCallView>,
}

/// A URL given per call.
#[derive(Clone)]
pub(crate) struct PerCallView {
    pub(crate) arg: String,
    /// The literal path appended to the URL.
    pub(crate) suffix: String,
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
        ) => sibling_type(&TypeRef::Primitive(*p)),
        TypeRef::Vec(inner) => format!("&[{}]", elem_type(inner)),
        TypeRef::Nullable(inner) => format!("rt::Option<{}>", arg_type(inner)),
        TypeRef::Boxed(inner) => arg_type(inner),
        other => format!("&{}", sibling_type(other)),
    }
}

/// The element type of a slice argument (`&str` for strings, else the owned type).
fn elem_type(t: &TypeRef) -> String {
    match t {
        TypeRef::Primitive(Primitive::String | Primitive::Byte) => "&str".to_owned(),
        other => sibling_type(other),
    }
}

fn scopes_line(op: &Operation) -> String {
    if op.is_discovery || op.scopes.is_public() {
        return match &op.public_reason {
            Some(reason) => format!(
                "Public: sends no token (the spec model serves this operation without one: {})",
                crate::emit::operation_docs::sentence(reason)
            ),
            None => "Public: sends no token.".to_owned(),
        };
    }
    format!(
        "Scopes (tried in this order): {}.",
        scope_alternatives(op, str::to_owned)
    )
}

fn param_doc(doc: DocBuilder, p: &Param) -> DocBuilder {
    let location = match p.location {
        ParamLocation::Path => "path",
        ParamLocation::Query => "query",
        ParamLocation::Header => "header",
        ParamLocation::Cookie => "cookie",
    };
    doc.trusted(format!(
        "{}: {location} parameter {}{}.",
        code_span(&p.rust_name),
        code_span(&p.name),
        if p.required { "" } else { " (optional)" }
    ))
    .prose(p.description.as_deref())
}

fn body_view(op: &Operation, doc: DocBuilder) -> (DocBuilder, Option<(ArgView, BodyView)>) {
    let Some(body) = op.request_body.as_ref() else {
        return (doc, None);
    };
    let Some(content) = body.contents.first() else {
        return (doc, None);
    };
    let name = "body".to_owned();
    if let Some(alts) = &body.alternatives {
        let enum_path = format!("super::models::{}", alts.enum_name);
        let accepted: Vec<String> = alts
            .variants
            .iter()
            .map(|v| format!("{} (`{}`)", code_span(&v.content.media_type), v.name))
            .collect();
        let d = doc
            .trusted(format!(
                "{}: the request body, sent as the media type of its variant: {}.",
                code_span(&name),
                accepted.join(", ")
            ))
            .prose(body.description.as_deref());
        let arms = alts
            .variants
            .iter()
            .map(|v| BodyArmView {
                variant: v.name.clone(),
                method: match v.content.kind {
                    MediaKind::Json => "json_body",
                    MediaKind::Form => "form_body",
                    MediaKind::Text | MediaKind::Binary => "raw_body",
                },
                media_type: str_lit(&v.content.media_type),
                text: v.content.kind == MediaKind::Text,
                binary: v.content.kind == MediaKind::Binary,
            })
            .collect();
        return (
            d,
            Some((
                ArgView {
                    name: name.clone(),
                    ty: format!("&{enum_path}"),
                },
                BodyView {
                    method: "json_body",
                    media_type: String::new(),
                    name,
                    text: false,
                    binary: false,
                    required: true,
                    arms,
                    enum_path,
                },
            )),
        );
    }
    let (ty, encoding) = match content.kind {
        MediaKind::Json => (format!("&{}", sibling_json_type(content.ty.as_ref())), 0),
        MediaKind::Form => (format!("&{}", sibling_json_type(content.ty.as_ref())), 1),
        MediaKind::Text => ("&str".to_owned(), 2),
        MediaKind::Binary => ("&[u8]".to_owned(), 2),
    };
    let method = match (encoding, body.required) {
        (0, true) => "json_body",
        (0, false) => "optional_json_body",
        (1, true) => "form_body",
        (1, false) => "optional_form_body",
        (_, true) => "raw_body",
        (_, false) => "optional_raw_body",
    };
    let mut d = doc
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
        d = d.trusted(format!(
            "The SDD also accepts {}; this method always sends the first media type.",
            others.join(", ")
        ));
    }
    let ty = if body.required {
        ty
    } else {
        format!("rt::Option<{ty}>")
    };
    (
        d,
        Some((
            ArgView {
                name: name.clone(),
                ty,
            },
            BodyView {
                method,
                media_type: str_lit(&content.media_type),
                name,
                text: content.kind == MediaKind::Text,
                binary: content.kind == MediaKind::Binary,
                required: body.required,
                arms: Vec::new(),
                enum_path: String::new(),
            },
        )),
    )
}

/// The checks of `op`'s arguments: each parameter with declared constraints (the IMS `limit`
/// and `offset` of a collection from its `ListQuery`), then the body.
fn client_checks(op: &Operation, validating: &Validating) -> Vec<ClientCheck> {
    let collection = op.is_collection() && !op.is_discovery;
    let mut checks = Vec::new();
    let path_first = op
        .params
        .iter()
        .filter(|p| p.location == ParamLocation::Path)
        .chain(
            op.params
                .iter()
                .filter(|p| p.location != ParamLocation::Path),
        );
    for p in path_first {
        let (value, ty, required) = if collection && op.is_collection_param(p) {
            // `ListQuery` holds `limit`/`offset` as `u64`; its other members are text the
            // caller builds (filter grammar, field names), not checked here.
            let value = match p.name.as_str() {
                "limit" => "query.limit_value()",
                "offset" => "query.offset_value()",
                _ => continue,
            };
            (value.to_owned(), TypeRef::Primitive(Primitive::I64), false)
        } else {
            // An optional argument is an `Option` unless its type already is one (nullable).
            let required = p.required
                || p.location == ParamLocation::Path
                || matches!(p.ty, TypeRef::Nullable(_));
            (p.rust_name.clone(), p.ty.clone(), required)
        };
        if let Some(c) = checker(&ty, &p.constraints, validating) {
            checks.push(ClientCheck {
                checker: if required { c } else { optional(c) },
                value,
                location: location_fn(p.location),
                wire: Some(str_lit(&p.name)),
            });
        }
    }
    if let Some(body) = &op.request_body
        && body.alternatives.is_none()
        && let Some(content) = body.contents.first()
        && matches!(content.kind, MediaKind::Json | MediaKind::Form)
        && let Some(c) = content
            .ty
            .as_ref()
            .and_then(|t| checker(t, &Constraints::default(), validating))
    {
        checks.push(ClientCheck {
            checker: if body.required { c } else { optional(c) },
            value: "body".to_owned(),
            location: "body",
            wire: None,
        });
    }
    checks
}

/// The methods of `op`: one, or two for a collection with a record stream.
pub(crate) fn operation_methods(op: &Operation, validating: &Validating) -> Vec<MethodView> {
    let collection = op.is_collection() && !op.is_discovery;
    let checks = client_checks(op, validating);
    let mut doc = operation_doc(op, scopes_line(op)).trusted(deprecated_line(op));
    let mut args = Vec::new();
    let mut request_args = Vec::new();
    let mut stream_args = Vec::new();
    let per_call = op.api.per_call_url.as_ref().map(|u| PerCallView {
        arg: u.arg.clone(),
        suffix: str_lit(&u.suffix),
    });
    if let Some(u) = &op.api.per_call_url {
        doc = doc.trusted(if u.suffix.is_empty() {
            format!(
                "{}: the full URL of the resource (the SDD's {} here), as the platform gave it; it must be https.",
                code_span(&u.arg),
                code_span(&u.resource_path)
            )
        } else {
            format!(
                "{}: the full URL of the resource the SDD calls {}, as the platform gave it (it must be https); {} is appended to its path, before any query it has.",
                code_span(&u.arg),
                code_span(&u.resource_path),
                code_span(&u.suffix)
            )
        });
        args.push(ArgView {
            name: u.arg.clone(),
            ty: "&str".to_owned(),
        });
    }
    // Path parameters first, in template order (params are sorted so), then the others. A URL
    // given per call already names the resource: no path arguments then.
    for p in op
        .params
        .iter()
        .filter(|p| p.location == ParamLocation::Path && per_call.is_none())
    {
        doc = param_doc(doc, p);
        args.push(ArgView {
            name: p.rust_name.clone(),
            ty: arg_type(&p.ty),
        });
        request_args.push(RequestArg {
            wire: str_lit(&p.name),
            name: p.rust_name.clone(),
            at: op.shares_wire_name(p).then(|| location_variant(p.location)),
        });
    }
    let path_args = args.clone();
    let mut stream_request_args = request_args.clone();
    for p in op
        .params
        .iter()
        .filter(|p| p.location != ParamLocation::Path)
    {
        if collection && op.is_collection_param(p) {
            continue;
        }
        // The page token of a list paged by `Link: rel="next"` is the server's to write: the
        // stream follows the links, so it takes no `page` (the one-page method does).
        let is_page_token = op
            .api
            .next_link
            .as_ref()
            .is_some_and(|n| p.location == ParamLocation::Query && p.name == n.page_param);
        let base = arg_type(&p.ty);
        let ty = if p.required || matches!(p.ty, TypeRef::Nullable(_)) {
            base
        } else {
            format!("rt::Option<{base}>")
        };
        doc = param_doc(doc, p);
        let arg = ArgView {
            name: p.rust_name.clone(),
            ty,
        };
        let request_arg = RequestArg {
            wire: str_lit(&p.name),
            name: p.rust_name.clone(),
            at: op.shares_wire_name(p).then(|| location_variant(p.location)),
        };
        if !is_page_token {
            stream_args.push(arg.clone());
            stream_request_args.push(request_arg.clone());
        }
        args.push(arg);
        request_args.push(request_arg);
    }
    let accept = match &op.api.success.client_payload {
        Some(Payload::Json(j)) => j.media_type.as_deref().map(str_lit),
        _ => None,
    };
    let query = collection.then(|| "query".to_owned());
    if let Some(q) = &query {
        doc = doc.trusted(format!(
            "{}: the IMS collection parameters (`filter`, `sort`, `orderBy`, `fields`, `limit`, `offset`).",
            code_span(q)
        ));
        // By value, as for `<fn>_stream` (whose stream outlives the call and so owns it).
        args.push(ArgView {
            name: q.clone(),
            ty: "rt::ListQuery".to_owned(),
        });
    }
    let (with_body, body) = body_view(op, doc);
    doc = with_body;
    let body = body.map(|(arg, body)| {
        args.push(arg);
        body
    });

    let success = &op.api.success;
    if success.client_payload.is_none() {
        doc = doc.trusted(if success.client_loose.is_some() {
            "Returns the body as JSON (`null` when empty): the SDD's success responses carry different payloads."
        } else {
            "Returns the body as JSON (`null` when empty): the SDD declares no success response."
        });
    }
    if op.is_discovery {
        doc = doc.trusted("Returns the Service Description Document as JSON.");
    }
    let result = |t: &str| format!("rt::Result<{t}, rt::ApiError>");
    let mut out = Vec::new();

    if let Some(query_arg) = query {
        let page_ty = match &success.client_payload {
            Some(Payload::Json(j)) => sibling_json_type(j.ty.as_ref()),
            _ => VALUE.to_owned(),
        };
        let records = match &success.client_payload {
            Some(Payload::Json(j)) => j.records.as_ref(),
            _ => None,
        };
        match (&op.api.stream_fn, records) {
            (Some(stream_fn), Some(_)) => {
                doc = doc.trusted(format!(
                    "Returns one page with `X-Total-Count` and `Link`; {} yields every record.",
                    code_span(stream_fn)
                ));
            }
            _ => {
                doc = doc.trusted(
                    "Returns one page with `X-Total-Count` and `Link`. No record stream: the success body is neither a wrapper with one array member nor a struct of array members only.",
                );
            }
        }
        out.push(MethodView {
            checks,
            doc: doc.attrs(),
            many_args: args.len() + 1 > 7,
            name: op.api.client_fn.clone(),
            is_async: true,
            args,
            ret: result(&format!("rt::Page<{page_ty}>")),
            op_const: op.const_name.clone(),
            request_args: request_args.clone(),
            list_query: Some(query_arg.clone()),
            body: None,
            call: "call_page",
            stream: None,
            accept: accept.clone(),
            per_call: per_call.clone(),
        });
        if let (Some(stream_fn), Some(records)) = (&op.api.stream_fn, records) {
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
                    code_span(&op.api.client_fn)
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
                ty: "rt::ListQuery".to_owned(),
            });
            let (member, newtype, flatten, unwrap_or_default) = match &records.access {
                RecordsAccess::Whole => (None, false, false, false),
                RecordsAccess::Newtype => (None, true, false, false),
                RecordsAccess::Member(m) => (Some(m.clone()), false, false, false),
                RecordsAccess::OptionalMember(m) => (Some(m.clone()), false, false, true),
                RecordsAccess::OptionalNullableMember(m) => (Some(m.clone()), false, true, true),
                RecordsAccess::Members(_) => (None, false, false, false),
            };
            let arms = match &records.access {
                RecordsAccess::Members(e) => e
                    .arms
                    .iter()
                    .map(|a| StreamArmView {
                        variant: a.variant.clone(),
                        member: a.member.clone(),
                        flatten: a.nullable,
                        unwrap_or_default: a.optional,
                    })
                    .collect(),
                _ => Vec::new(),
            };
            out.push(MethodView {
                // A stream reports errors per item; its first page is requested with the same
                // arguments the page method checks.
                checks: Vec::new(),
                doc: stream_doc.attrs(),
                many_args: sargs.len() + 1 > 7,
                name: stream_fn.clone(),
                is_async: false,
                args: sargs,
                ret: format!(
                    "impl rt::RecordStream<{}> + '_",
                    sibling_type(&records.record)
                ),
                op_const: op.const_name.clone(),
                request_args,
                list_query: None,
                body: None,
                call: "stream_records",
                accept,
                per_call,
                stream: Some(StreamView {
                    page_ty,
                    query: Some(query_arg),
                    member,
                    newtype,
                    flatten,
                    unwrap_or_default,
                    arms,
                    record_enum: sibling_type(&records.record),
                }),
            });
        }
        return out;
    }

    if let (Some(paging), Some(Payload::Json(page))) = (&op.api.next_link, &success.client_payload)
    {
        let page_ty = sibling_json_type(page.ty.as_ref());
        let stream_fn = op.api.stream_fn.clone().unwrap_or_default();
        doc = doc.trusted(format!(
            "Returns one page; its `next` is the `Link: rel=\"next\"` target, which {} follows.",
            code_span(&stream_fn)
        ));
        out.push(MethodView {
            checks,
            doc: doc.attrs(),
            many_args: args.len() + 1 > 7,
            name: op.api.client_fn.clone(),
            is_async: true,
            args,
            ret: result(&format!("rt::Page<{page_ty}>")),
            op_const: op.const_name.clone(),
            request_args,
            list_query: None,
            body: None,
            call: "call_page",
            stream: None,
            accept: accept.clone(),
            per_call: per_call.clone(),
        });
        let mut stream_doc = DocBuilder::new()
            .trusted(format!(
                "Every record of {}, page after page: sends the first request with the arguments given, then follows `Link: rel=\"next\"` until a page has none; bounded by `ApiClient::max_pages`, ends after the first error.",
                heading(op)
            ))
            .prose(op.summary.as_deref())
            .trusted(scopes_line(op));
        let mut sargs = path_args;
        sargs.extend(stream_args);
        for a in &sargs {
            stream_doc = stream_doc.trusted(format!(
                "{}: as for {}.",
                code_span(&a.name),
                code_span(&op.api.client_fn)
            ));
        }
        let records = &paging.records;
        let (member, unwrap_or_default) = match &records.access {
            RecordsAccess::Member(m) => (Some(m.clone()), false),
            RecordsAccess::OptionalMember(m) => (Some(m.clone()), true),
            _ => (None, false),
        };
        out.push(MethodView {
            // As for the limit-offset stream: its first page is requested with the same
            // arguments the page method checks.
            checks: Vec::new(),
            doc: stream_doc.attrs(),
            many_args: sargs.len() + 1 > 7,
            name: stream_fn,
            is_async: false,
            args: sargs,
            ret: format!(
                "impl rt::RecordStream<{}> + '_",
                sibling_type(&records.record)
            ),
            op_const: op.const_name.clone(),
            request_args: stream_request_args,
            list_query: None,
            body: None,
            call: "stream_linked_records",
            stream: Some(StreamView {
                page_ty,
                query: None,
                member,
                newtype: records.access == RecordsAccess::Newtype,
                flatten: false,
                unwrap_or_default,
                arms: Vec::new(),
                record_enum: sibling_type(&records.record),
            }),
            accept,
            per_call,
        });
        return out;
    }

    let (ret, call) = match &success.client_payload {
        Some(Payload::Json(j)) => match &j.ty {
            Some(t) => (sibling_type(t), "call_json"),
            None => (VALUE.to_owned(), "call_value"),
        },
        Some(Payload::Raw {
            kind: MediaKind::Text,
            ..
        }) => ("rt::String".to_owned(), "call_text"),
        Some(Payload::Raw {
            kind: MediaKind::Binary,
            ..
        }) => ("rt::Vec<u8>".to_owned(), "call_bytes"),
        Some(Payload::Empty) => ("()".to_owned(), "call_empty"),
        Some(Payload::Raw { .. }) | None => (VALUE.to_owned(), "call_value"),
    };
    out.push(MethodView {
        checks,
        doc: doc.attrs(),
        many_args: args.len() + 1 > 7,
        name: op.api.client_fn.clone(),
        is_async: true,
        args,
        ret: result(&ret),
        op_const: op.const_name.clone(),
        request_args,
        list_query: None,
        body,
        call,
        stream: None,
        accept,
        per_call,
    });
    out
}
