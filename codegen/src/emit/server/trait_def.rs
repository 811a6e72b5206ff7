//! The `<Service>Service` trait: one method per served operation taking `ctx`, the path
//! parameters, then either the collection `query` plus any other query parameters (collection
//! operations) or every query parameter except `fields` (which the router applies as a
//! projection), then header and cookie parameters, then `body`; and the `<Op>Success` enums of
//! operations with several success responses.

use crate::emit::catalogue_paths::{scope_consts, sibling_json_type, sibling_type};
use crate::emit::doc::{DocBuilder, code_span};
use crate::emit::literal::str_lit;
use crate::emit::operation_docs::{call_span, deprecated_line, operation_doc, scopes_line};
use crate::ir::{MediaKind, Operation, Param, ParamLocation, Payload, Service};

/// One argument of a trait method.
pub(crate) struct ArgView {
    pub(crate) name: String,
    pub(crate) ty: String,
}

/// One trait method.
pub(crate) struct MethodView {
    pub(crate) doc: String,
    /// Allows clippy's argument count lint when the SDD gives the operation many parameters.
    pub(crate) many_args: bool,
    pub(crate) name: String,
    pub(crate) args: Vec<ArgView>,
    /// `T` of `impl Reply<T>`.
    pub(crate) output: String,
    /// The operation's `operations` constant, named by the default "not supported" body.
    pub(crate) op_const: String,
}

/// One variant of a success enum.
pub(crate) struct VariantView {
    pub(crate) doc: String,
    pub(crate) name: String,
    pub(crate) ty: Option<String>,
}

/// A success enum.
pub(crate) struct EnumView {
    pub(crate) doc: String,
    pub(crate) name: String,
    pub(crate) variants: Vec<VariantView>,
}

/// The Rust type the server trait uses for a payload (`None`: no body).
pub(crate) fn payload_type(payload: &Payload) -> Option<String> {
    match payload {
        Payload::Json(json) => Some(sibling_json_type(json.ty.as_ref())),
        Payload::Raw { .. } => Some("rt::Vec<u8>".to_owned()),
        Payload::Empty => None,
    }
}

/// Whether the operation's page is answered by `ims_runtime::server::collection`.
pub(crate) fn answers_collection(op: &Operation) -> bool {
    op.is_collection() && op.api.success.collection_page().is_some()
}

/// Whether the router applies `fields` to the single record this operation answers with.
pub(crate) fn projects_fields(op: &Operation) -> bool {
    !op.is_collection()
        && op
            .params
            .iter()
            .any(|p| p.location == ParamLocation::Query && p.name == "fields")
        && op
            .api
            .success
            .responses
            .iter()
            .any(|r| matches!(r.payload, Payload::Json(_)))
}

/// The parameters that are their own trait arguments: path ones first, then the rest.
pub(crate) fn typed_params(op: &Operation) -> (Vec<&Param>, Vec<&Param>) {
    let is_collection = op.is_collection();
    op.params
        .iter()
        .filter(|p| match p.location {
            ParamLocation::Query if is_collection => !op.is_collection_param(p),
            ParamLocation::Query => p.name != "fields",
            _ => true,
        })
        .partition(|p| p.location == ParamLocation::Path)
}

/// The request body argument: its type in the trait and the extractor the handler uses.
pub(crate) struct BodyView {
    pub(crate) ty: String,
    pub(crate) extractor: String,
    /// Raw bytes are `body.bytes`, everything else `body.0`.
    pub(crate) raw: bool,
    /// A body of several media types: the handler decodes the `RawBody` into the enum first
    /// and passes `body`.
    pub(crate) alternatives: Option<BodyAlternativesView>,
    /// A JSON body taken in one vendor media type only: the handler checks the `RawBody`'s
    /// media type (415 otherwise), decodes it and passes `body`.
    pub(crate) exact: Option<ExactBodyView>,
}

/// `let body: <ty> = if body.is(<media>) { body.json()? } else { 415 };`
#[derive(Clone)]
pub(crate) struct ExactBodyView {
    pub(crate) media_type: String,
    pub(crate) ty: String,
}

/// `rt::check::Check::check(&<checker>, &<value>, &rt::check::At::body())?;` after decoding.
pub(crate) struct BodyCheckView {
    pub(crate) checker: String,
    /// The decoded body: `body` for a vendor-typed one, else `body.0`.
    pub(crate) value: &'static str,
}

/// The decoding of a body of several media types into its `models` enum.
#[derive(Clone)]
pub(crate) struct BodyAlternativesView {
    /// `super::models::<Enum>`.
    pub(crate) enum_path: String,
    pub(crate) arms: Vec<BodyArmView>,
    /// The accepted media types as a list of literals, for the 415 answer.
    pub(crate) accepted: String,
}

/// One media type: `if body.is(<media>) { <Enum>::<variant>(body.<decode>()?) }`.
#[derive(Clone)]
pub(crate) struct BodyArmView {
    pub(crate) media_type: String,
    pub(crate) variant: String,
    /// `json`, `form`, `text` or `to_bytes` (the last one cannot fail: no `?`).
    pub(crate) decode: &'static str,
    pub(crate) fallible: bool,
    /// The checker of the decoded value, when its type has constraints (set by the handler
    /// emitter, which knows which types validate).
    pub(crate) check: Option<String>,
}

pub(crate) fn body_view(op: &Operation) -> Option<BodyView> {
    let body = op.request_body.as_ref()?;
    if let Some(alts) = &body.alternatives {
        let enum_path = format!("super::models::{}", alts.enum_name);
        let arms = alts
            .variants
            .iter()
            .map(|v| {
                let decode = match v.content.kind {
                    MediaKind::Json => "json",
                    MediaKind::Form => "form",
                    MediaKind::Text => "text",
                    MediaKind::Binary => "to_bytes",
                };
                BodyArmView {
                    media_type: str_lit(&v.content.media_type),
                    variant: v.name.clone(),
                    decode,
                    fallible: v.content.kind != MediaKind::Binary,
                    check: None,
                }
            })
            .collect::<Vec<_>>();
        let accepted = arms
            .iter()
            .map(|a| a.media_type.clone())
            .collect::<Vec<_>>()
            .join(", ");
        return Some(BodyView {
            ty: enum_path.clone(),
            extractor: "rt::server::RawBody".to_owned(),
            raw: false,
            alternatives: Some(BodyAlternativesView {
                enum_path,
                arms,
                accepted: format!("[{accepted}]"),
            }),
            exact: None,
        });
    }
    if let (Some(media_type), Some(content)) = (&body.exact_media_type, body.contents.first()) {
        let t = sibling_json_type(content.ty.as_ref());
        return Some(BodyView {
            extractor: "rt::server::RawBody".to_owned(),
            ty: t.clone(),
            raw: false,
            alternatives: None,
            exact: Some(ExactBodyView {
                media_type: str_lit(media_type),
                ty: t,
            }),
        });
    }
    let json = body.contents.iter().find(|c| c.kind == MediaKind::Json);
    let form = body
        .contents
        .iter()
        .find(|c| c.kind == MediaKind::Form && c.ty.is_some());
    Some(if let Some(content) = json {
        let t = sibling_json_type(content.ty.as_ref());
        if body.required {
            BodyView {
                extractor: format!("rt::server::JsonBody<{t}>"),
                ty: t,
                raw: false,
                alternatives: None,
                exact: None,
            }
        } else {
            BodyView {
                extractor: format!("rt::server::OptionalJsonBody<{t}>"),
                ty: format!("rt::Option<{t}>"),
                raw: false,
                alternatives: None,
                exact: None,
            }
        }
    } else if let (Some(content), true) = (form, body.required) {
        let t = sibling_json_type(content.ty.as_ref());
        BodyView {
            extractor: format!("rt::server::FormBody<{t}>"),
            ty: t,
            raw: false,
            alternatives: None,
            exact: None,
        }
    } else {
        BodyView {
            extractor: "rt::server::RawBody".to_owned(),
            ty: "rt::Vec<u8>".to_owned(),
            raw: true,
            alternatives: None,
            exact: None,
        }
    })
}

/// The type of a parameter argument (`Option` when optional; path parameters are required).
fn param_type(p: &Param) -> String {
    let inner = sibling_type(&p.ty);
    if p.required || p.location == ParamLocation::Path {
        inner
    } else {
        format!("rt::Option<{inner}>")
    }
}

pub(crate) fn method_view(service: &Service, op: &Operation) -> MethodView {
    let (path_params, other_params) = typed_params(op);
    let mut args: Vec<ArgView> = path_params
        .iter()
        .map(|p| ArgView {
            name: p.rust_name.clone(),
            ty: param_type(p),
        })
        .collect();
    if op.is_collection() {
        args.push(ArgView {
            name: "query".to_owned(),
            ty: "rt::CollectionQuery".to_owned(),
        });
    }
    args.extend(other_params.iter().map(|p| ArgView {
        name: p.rust_name.clone(),
        ty: param_type(p),
    }));
    if let Some(body) = body_view(op) {
        args.push(ArgView {
            name: "body".to_owned(),
            ty: body.ty,
        });
    }
    let success = &op.api.success;
    let output = if op.api.next_link.is_some() {
        let page = success
            .collection_page()
            .map(|j| sibling_json_type(j.ty.as_ref()))
            .unwrap_or_default();
        format!("rt::LinkedPage<{page}>")
    } else if answers_collection(op) {
        let page = success
            .collection_page()
            .map(|j| sibling_json_type(j.ty.as_ref()))
            .unwrap_or_default();
        format!("rt::Listed<{page}>")
    } else if let Some(name) = &success.enum_name {
        name.clone()
    } else {
        success
            .responses
            .first()
            .and_then(|r| payload_type(&r.payload))
            .unwrap_or_else(|| "()".to_owned())
    };
    let consts = scope_consts(service);
    let doc = operation_doc(op, scopes_line(op, &consts))
        .trusted(if op.is_collection() {
            "A collection: `query` holds `filter`, `sort`/`orderBy`, `fields` and `limit`/`offset` (the filter's fields are already checked); return the page and the total matching count, `fields` is applied by the router."
        } else if projects_fields(op) {
            "The `fields` query parameter is applied by the router to the returned record."
        } else if op.api.next_link.is_some() {
            "A list paged by token: return the page and, when more records follow, the opaque token of the next page; the router answers with `Link: <this request with the token as its page parameter>; rel=\"next\"`. `limit` is what the client asked for (send that many or fewer)."
        } else {
            ""
        })
        .trusted(deprecated_line(op))
        .attrs();
    MethodView {
        doc,
        // clippy's default limit is 7 arguments, `&self` and `ctx` included.
        many_args: args.len() + 2 > 7,
        name: op.fn_name.clone(),
        args,
        output,
        op_const: op.const_name.clone(),
    }
}

pub(crate) fn enum_view(op: &Operation) -> Option<EnumView> {
    let name = op.api.success.enum_name.clone()?;
    let variants = op
        .api
        .success
        .responses
        .iter()
        .map(|r| VariantView {
            doc: DocBuilder::new()
                .trusted(format!("Answer with status {}.", r.status))
                .attrs(),
            name: r.variant.clone(),
            ty: payload_type(&r.payload),
        })
        .collect();
    Some(EnumView {
        doc: DocBuilder::new()
            .trusted(format!(
                "The success responses of {} ({}): one variant per status.",
                code_span(&op.fn_name),
                call_span(op)
            ))
            .attrs(),
        name,
        variants,
    })
}
