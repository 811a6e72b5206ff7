//! One handler per served operation: `#[ims_scope(...)]` for protected operations, parameters
//! read through the operation's `operations` catalogue entry, the trait method called, and the
//! answer made by `ims_runtime::server` (`collection` for a page, `json`/`bytes`/`empty` per
//! success status otherwise). The template shows the statements; this module only gives it the
//! names, types and literals.

use crate::diagnostics::Diagnostic;
use crate::emit::catalogue_paths::sibling_type;
use crate::emit::catalogue_paths::{
    SCOPES_FROM_SIBLING, location_variant, scope_consts, scope_ref,
};
use crate::emit::checks::{Validating, checker, optional};
use crate::emit::literal::str_lit;
use crate::ir::{
    Constraints, MediaKind, Operation, ParamLocation, Payload, Primitive, Rule, Service,
    SuccessResponse, TypeRef,
};

/// The `rt::check::At` constructor of a parameter location.
pub(crate) fn location_fn(location: ParamLocation) -> &'static str {
    match location {
        ParamLocation::Path => "path",
        ParamLocation::Query => "query",
        ParamLocation::Header => "header",
        ParamLocation::Cookie => "cookie",
    }
}

use super::trait_def::{
    BodyAlternativesView, BodyCheckView, ExactBodyView, answers_collection, body_view,
    projects_fields, typed_params,
};

/// One parameter read: `let <local> = input.<getter>(op, "<wire>")?;`.
pub(crate) struct ParamRead {
    pub(crate) local: String,
    /// `required` or `optional`.
    pub(crate) getter: &'static str,
    pub(crate) wire: String,
    /// The location variant, when the wire name alone is ambiguous (`<getter>_at`).
    pub(crate) at: Option<&'static str>,
    /// The declared constraints: `<checker>.check(&<local>, &rt::check::At::<location>(<wire>))?`.
    pub(crate) check: Option<ParamCheck>,
}

/// The check of a parameter's value.
pub(crate) struct ParamCheck {
    /// The checker expression (see `emit::checks`).
    pub(crate) checker: String,
    /// `path`, `query`, `header` or `cookie`: the `rt::check::At` constructor.
    pub(crate) location: &'static str,
}

/// An IMS collection parameter with declared constraints, read on its own only to check it
/// (the runtime parses it again into the `CollectionQuery`): `let <local>: <ty> = …;`.
pub(crate) struct CheckedRead {
    pub(crate) read: ParamRead,
    /// The type it is read as: `rt::Option<i64>` for `limit`/`offset` (so their integer format is
    /// a rule, not a parse failure), else its declared type.
    pub(crate) ty: String,
}

/// How one success value is answered.
pub(crate) struct ReplyView {
    pub(crate) status: u16,
    /// `rt::Some("user")` / `rt::None`; `None` when the answer is not JSON.
    pub(crate) json_wrapper: Option<String>,
    /// The record member constant, or `&[]`.
    pub(crate) members: String,
    /// The media type literal of a non-JSON body.
    pub(crate) media_type: Option<String>,
    /// The media type literal of a JSON body sent as a vendor type (`rt::server::json_as`).
    pub(crate) json_media_type: Option<String>,
}

/// A list paged by token, answered by `rt::server::linked_page`.
pub(crate) struct LinkedView {
    /// The page parameter's literal.
    pub(crate) page_param: String,
    /// `rt::Some("<media type>")` or `rt::None`.
    pub(crate) media_type: String,
}

/// One arm of the `match` over a success enum.
pub(crate) struct ArmView {
    pub(crate) variant: String,
    pub(crate) has_value: bool,
    pub(crate) reply: ReplyView,
}

/// A page answered by `rt::server::collection`.
pub(crate) struct CollectionView {
    pub(crate) wrapper: String,
    pub(crate) members: String,
}

/// One handler.
pub(crate) struct HandlerView {
    /// The `#[ims_scope(...)]` arguments, for protected operations.
    pub(crate) scopes: Option<String>,
    /// An empty scope group means any valid token: a `Principal` extractor still demands one.
    pub(crate) needs_principal: bool,
    pub(crate) name: String,
    pub(crate) op_const: String,
    pub(crate) params: Vec<ParamRead>,
    /// IMS collection parameters read only to check their declared constraints.
    pub(crate) checked_reads: Vec<CheckedRead>,
    /// The check of the decoded body, when it has constraints.
    pub(crate) body_check: Option<BodyCheckView>,
    /// The request body extractor type.
    pub(crate) body: Option<String>,
    /// A body of several media types, decoded into its enum before the call.
    pub(crate) body_alternatives: Option<BodyAlternativesView>,
    /// A JSON body of one vendor media type, decoded before the call (then checked).
    pub(crate) exact_body: Option<ExactBodyView>,
    /// A list paged by token.
    pub(crate) linked: Option<LinkedView>,
    /// `fields` of a single-object operation, applied to the answer.
    pub(crate) projection: bool,
    /// Reads the collection query itself (a collection not answered as a page).
    pub(crate) query_members: Option<String>,
    pub(crate) method: String,
    /// Arguments after `ctx`: locals, `query`, the body.
    pub(crate) call_args: Vec<String>,
    /// Answer: a page, one reply, or a match over the success enum (else `()` and 204).
    pub(crate) collection: Option<CollectionView>,
    pub(crate) single: Option<ReplyView>,
    pub(crate) enum_name: Option<String>,
    pub(crate) arms: Vec<ArmView>,
}

impl HandlerView {
    /// Whether the handler reads the request's parameters.
    pub(crate) fn uses_input(&self) -> bool {
        !self.params.is_empty()
            || !self.checked_reads.is_empty()
            || self.projection
            || self.query_members.is_some()
            || self.collection.is_some()
            || self.linked.is_some()
    }

    /// Whether the trait method returns `()` (answered with the one empty status, else 204).
    pub(crate) fn returns_unit(&self) -> bool {
        self.collection.is_none()
            && self.linked.is_none()
            && self.enum_name.is_none()
            && self
                .single
                .as_ref()
                .is_none_or(|r| r.json_wrapper.is_none() && r.media_type.is_none())
    }

    /// The `fields` selection handed to a JSON answer.
    pub(crate) fn fields_arg(&self) -> &'static str {
        if self.projection {
            "fields"
        } else {
            "rt::None"
        }
    }

    /// Whether the handler names the record member constant `name`.
    pub(crate) fn names_members(&self, name: &str) -> bool {
        let named = |m: &str| m == name;
        self.collection.as_ref().is_some_and(|c| named(&c.members))
            || self.query_members.as_deref().is_some_and(named)
            || self.single.as_ref().is_some_and(|r| named(&r.members))
            || self.arms.iter().any(|a| named(&a.reply.members))
    }
}

fn members_ref(members: Option<&String>) -> String {
    members.map_or_else(|| "&[]".to_owned(), Clone::clone)
}

fn wrapper_lit(wrapper: Option<&String>) -> String {
    wrapper.map_or_else(
        || "rt::None".to_owned(),
        |w| format!("rt::Some({})", str_lit(w)),
    )
}

fn reply(r: &SuccessResponse) -> ReplyView {
    match &r.payload {
        Payload::Json(json) => ReplyView {
            status: r.status,
            json_wrapper: Some(wrapper_lit(json.wrapper.as_ref())),
            members: members_ref(json.members.as_ref()),
            media_type: None,
            json_media_type: json.media_type.as_deref().map(str_lit),
        },
        Payload::Raw { media_type, .. } => ReplyView {
            status: r.status,
            json_wrapper: None,
            members: "&[]".to_owned(),
            media_type: Some(str_lit(media_type)),
            json_media_type: None,
        },
        Payload::Empty => ReplyView {
            status: r.status,
            json_wrapper: None,
            members: "&[]".to_owned(),
            media_type: None,
            json_media_type: None,
        },
    }
}

/// The `#[ims_scope]` arguments (`None`: public, or any valid token).
fn scope_args(service: &Service, op: &Operation) -> Result<Option<String>, Diagnostic> {
    let consts = scope_consts(service);
    let mut args = Vec::new();
    for group in &op.scopes.any_of {
        let paths = group
            .iter()
            .map(|uri| scope_ref(&consts, uri, SCOPES_FROM_SIBLING))
            .collect::<Result<Vec<_>, _>>()?;
        match paths.as_slice() {
            [] => return Ok(None),
            [one] => args.push(one.clone()),
            many => args.push(format!("all({})", many.join(", "))),
        }
    }
    Ok((!args.is_empty()).then(|| args.join(", ")))
}

pub(crate) fn handler_view(
    service: &Service,
    op: &Operation,
    name: &str,
) -> Result<HandlerView, Diagnostic> {
    let (path_params, other_params) = typed_params(op);
    let validating = Validating::of(service);
    let local = |rust_name: &str| format!("arg_{}", rust_name.trim_start_matches("r#"));
    let read = |p: &&crate::ir::Param| {
        let required = p.required || p.location == ParamLocation::Path;
        ParamRead {
            local: local(&p.rust_name),
            getter: if required { "required" } else { "optional" },
            wire: str_lit(&p.name),
            at: op.shares_wire_name(p).then(|| location_variant(p.location)),
            check: checker(&p.ty, &p.constraints, &validating).map(|c| ParamCheck {
                checker: if required { c } else { optional(c) },
                location: location_fn(p.location),
            }),
        }
    };
    // The collection parameters travel in the `CollectionQuery`; those with declared
    // constraints are also read on their own, to check them.
    let checked_reads: Vec<CheckedRead> = op
        .params
        .iter()
        .filter(|p| op.is_collection_param(p) && !p.constraints.is_empty())
        .map(|p| {
            let wide = p
                .constraints
                .rules
                .iter()
                .any(|r| matches!(r, Rule::IntegerFormat { .. }));
            let (ty, checked_ty) = if wide {
                ("i64".to_owned(), TypeRef::Primitive(Primitive::I64))
            } else {
                (sibling_type(&p.ty), p.ty.clone())
            };
            let mut r = read(&p);
            r.local = format!("checked_{}", p.rust_name.trim_start_matches("r#"));
            r.check = checker(&checked_ty, &p.constraints, &validating).map(|c| ParamCheck {
                checker: if p.required { c } else { optional(c) },
                location: location_fn(p.location),
            });
            CheckedRead {
                ty: if p.required {
                    ty
                } else {
                    format!("rt::Option<{ty}>")
                },
                read: r,
            }
        })
        .filter(|r| r.read.check.is_some())
        .collect();
    let mut params: Vec<ParamRead> = path_params.iter().map(read).collect();
    let mut call_args: Vec<String> = params.iter().map(|p| p.local.clone()).collect();
    let success = &op.api.success;
    let collection = answers_collection(op).then(|| {
        let page = success.collection_page();
        CollectionView {
            wrapper: wrapper_lit(page.and_then(|j| j.wrapper.as_ref())),
            members: members_ref(page.and_then(|j| j.members.as_ref())),
        }
    });
    // A collection not answered as a page still takes its checked `query`.
    let query_members = (op.is_collection() && collection.is_none()).then(|| {
        let first_json = success.responses.iter().find_map(|r| match &r.payload {
            Payload::Json(j) => Some(j),
            _ => None,
        });
        members_ref(first_json.and_then(|j| j.members.as_ref()))
    });
    if op.is_collection() {
        call_args.push("query".to_owned());
    }
    let others: Vec<ParamRead> = other_params.iter().map(read).collect();
    call_args.extend(others.iter().map(|p| p.local.clone()));
    params.extend(others);
    let mut body = body_view(op);
    // Each JSON or form arm of a body of several media types is checked once decoded.
    if let (Some(alts), Some(request)) = (
        body.as_mut().and_then(|b| b.alternatives.as_mut()),
        op.request_body.as_ref(),
    ) && let Some(variants) = request.alternatives.as_ref()
    {
        for (arm, variant) in alts.arms.iter_mut().zip(&variants.variants) {
            if matches!(variant.content.kind, MediaKind::Json | MediaKind::Form) {
                arm.check = variant
                    .content
                    .ty
                    .as_ref()
                    .and_then(|ty| checker(ty, &Constraints::default(), &validating));
            }
        }
    }
    let body_check = body.as_ref().and_then(|b| {
        if b.raw || b.alternatives.is_some() {
            return None;
        }
        let request = op.request_body.as_ref()?;
        let content = request
            .contents
            .iter()
            .find(|c| c.kind == MediaKind::Json)
            .or_else(|| request.contents.iter().find(|c| c.kind == MediaKind::Form))?;
        let c = checker(content.ty.as_ref()?, &Constraints::default(), &validating)?;
        Some(BodyCheckView {
            checker: if b.ty.starts_with("rt::Option<") {
                optional(c)
            } else {
                c
            },
            // A vendor-typed body is decoded into `body` first; the others are `Json(body)`.
            value: if b.exact.is_some() { "body" } else { "body.0" },
        })
    });
    if let Some(b) = &body {
        call_args.push(
            if b.alternatives.is_some() || b.exact.is_some() {
                "body"
            } else if b.raw {
                "body.bytes"
            } else {
                "body.0"
            }
            .to_owned(),
        );
    }
    let scopes = scope_args(service, op)?;
    let linked = op.api.next_link.as_ref().map(|paging| LinkedView {
        page_param: str_lit(&paging.page_param),
        media_type: success
            .collection_page()
            .and_then(|j| j.media_type.as_deref())
            .map_or_else(
                || "rt::None".to_owned(),
                |m| format!("rt::Some({})", str_lit(m)),
            ),
    });
    let (single, arms) = if linked.is_some() {
        (None, Vec::new())
    } else if collection.is_some() || success.enum_name.is_some() {
        let arms = if success.enum_name.is_some() {
            success
                .responses
                .iter()
                .map(|r| ArmView {
                    variant: r.variant.clone(),
                    has_value: !matches!(r.payload, Payload::Empty),
                    reply: reply(r),
                })
                .collect()
        } else {
            Vec::new()
        };
        (None, arms)
    } else {
        (success.responses.first().map(reply), Vec::new())
    };
    Ok(HandlerView {
        needs_principal: scopes.is_none() && !op.scopes.is_public(),
        scopes,
        name: name.to_owned(),
        op_const: op.const_name.clone(),
        params,
        checked_reads,
        body_check,
        body_alternatives: body.as_ref().and_then(|b| b.alternatives.clone()),
        exact_body: body.as_ref().and_then(|b| b.exact.clone()),
        linked,
        body: body.map(|b| b.extractor),
        projection: projects_fields(op),
        query_members,
        method: op.fn_name.clone(),
        call_args,
        collection,
        single,
        enum_name: success.enum_name.clone(),
        arms,
    })
}
