//! Responses by status (exact codes, ranges such as `4XX`, and `default`) with their payloads and
//! declared headers (`X-Total-Count`, `Link`, …).
//!
//! OpenAPI `links` are documentation only (1EdTech's paging links even point at the wrong
//! parameter location); they are counted and reported once per service, not generated.

use openapiv3::{
    Header, ParameterSchemaOrContent, ReferenceOr, Response as OasResponse, Responses, StatusCode,
};

use crate::diagnostics::{Diagnostic, Diagnostics, Location, codes};
use crate::ir::{Response, ResponseHeader, ResponseStatus, TypeRef};
use crate::load::resolve::escape_pointer_token;
use crate::lower::bodies::lower_contents;
use crate::lower::naming::{NameTable, field_name, type_name};
use crate::lower::operations::OpLowering;

/// Lowers the `responses` of the operation at `op_pointer`, sorted codes, ranges, then `default`.
pub fn lower_responses<'a>(
    cx: &mut OpLowering<'a>,
    responses: &'a Responses,
    op_pointer: &str,
    op_type: &str,
    diags: &mut Diagnostics,
) -> Vec<Response> {
    let base = format!("{op_pointer}/responses");
    let mut out = Vec::new();
    for (code, response) in &responses.responses {
        let (status, key) = match code {
            StatusCode::Code(n) if (100..=599).contains(n) => {
                (ResponseStatus::Code(*n), n.to_string())
            }
            StatusCode::Range(n) if (1..=5).contains(n) => {
                // The file may spell the range `4XX` or `4xx`; point at the key as written.
                let upper = format!("{n}XX");
                let lower = format!("{n}xx");
                let key = if cx.loaded.sdd.pointer(&format!("{base}/{lower}")).is_some() {
                    lower
                } else {
                    upper
                };
                (ResponseStatus::Range(*n as u8), key)
            }
            other => {
                diags.push(
                    Diagnostic::new(
                        codes::STATUS_INVALID,
                        format!("`{other}` is not an HTTP status: codes are 100 to 599, ranges 1XX to 5XX"),
                        Location::pointer(&cx.loaded.sdd_path, &base),
                    )
                    .with_help("correct the response key"),
                );
                continue;
            }
        };
        let label = match status {
            ResponseStatus::Code(n) => n.to_string(),
            ResponseStatus::Range(n) => format!("{n}xx"),
            ResponseStatus::Default => "default".to_owned(),
        };
        let pointer = format!("{base}/{key}");
        if let Some(r) = lower_response(cx, response, status, &pointer, op_type, &label, diags) {
            out.push(r);
        }
    }
    if let Some(default) = &responses.default {
        let pointer = format!("{base}/default");
        if let Some(r) = lower_response(
            cx,
            default,
            ResponseStatus::Default,
            &pointer,
            op_type,
            "default",
            diags,
        ) {
            out.push(r);
        }
    }
    if out.is_empty() && responses.responses.is_empty() && responses.default.is_none() {
        diags.push(
            Diagnostic::new(
                codes::NO_RESPONSES,
                "the operation declares no response; generated code accepts any status without a typed body",
                Location::pointer(&cx.loaded.sdd_path, &base),
            )
            .with_help("declare at least the success response"),
        );
    }
    out.sort_by_key(|r| r.status);
    out
}

fn lower_response<'a>(
    cx: &mut OpLowering<'a>,
    response: &'a ReferenceOr<OasResponse>,
    status: ResponseStatus,
    pointer: &str,
    op_type: &str,
    label: &str,
    diags: &mut Diagnostics,
) -> Option<Response> {
    let resolved = match cx.resolver.response(response, pointer) {
        Ok(r) => r,
        Err(d) => {
            diags.push(d);
            return None;
        }
    };
    let pointer = match resolved.name {
        Some(name) => format!("/components/responses/{}", escape_pointer_token(name)),
        None => pointer.to_owned(),
    };
    let response = resolved.item;
    if !response.links.is_empty() {
        cx.links_seen.push(format!("{pointer}/links"));
    }
    let hint = type_name(&format!("{op_type} response {label}"));
    let contents = lower_contents(cx, &response.content, &pointer, &hint, diags);

    let mut headers: Vec<(&'a String, &'a ReferenceOr<Header>)> = response.headers.iter().collect();
    headers.sort_by(|a, b| (a.0.to_ascii_lowercase(), a.0).cmp(&(b.0.to_ascii_lowercase(), b.0)));
    let mut names = NameTable::new();
    let mut lowered = Vec::with_capacity(headers.len());
    for (name, header) in headers {
        let header_pointer = format!("{pointer}/headers/{}", escape_pointer_token(name));
        if name.eq_ignore_ascii_case("content-type") {
            diags.push(
                Diagnostic::new(
                    codes::CONTENT_TYPE_HEADER_IGNORED,
                    "a `Content-Type` response header definition is ignored: OpenAPI takes it from the media types",
                    Location::pointer(&cx.loaded.sdd_path, &header_pointer),
                )
                .with_help("remove the header definition"),
            );
            continue;
        }
        let hint = type_name(&format!("{op_type} {label} {name}"));
        if let Some(mut h) = lower_header(cx, name, header, &header_pointer, &hint, diags) {
            h.rust_name = names.insert(&h.rust_name);
            lowered.push(h);
        }
    }
    Some(Response {
        status,
        description: response.description.clone(),
        contents,
        headers: lowered,
    })
}

fn lower_header<'a>(
    cx: &mut OpLowering<'a>,
    name: &str,
    header: &'a ReferenceOr<Header>,
    pointer: &str,
    hint: &str,
    diags: &mut Diagnostics,
) -> Option<ResponseHeader> {
    let resolved = match cx.resolver.header(header, pointer) {
        Ok(r) => r,
        Err(d) => {
            diags.push(d);
            return None;
        }
    };
    let pointer = match resolved.name {
        Some(component) => format!("/components/headers/{}", escape_pointer_token(component)),
        None => pointer.to_owned(),
    };
    let header = resolved.item;
    let ty = match &header.format {
        ParameterSchemaOrContent::Schema(schema) => {
            cx.types
                .lower_schema(schema, &format!("{pointer}/schema"), hint, diags)
        }
        ParameterSchemaOrContent::Content(content) => {
            let mut entries = content.iter();
            match (entries.next(), entries.next()) {
                (Some((media_type, media)), None) => match &media.schema {
                    Some(schema) => cx.types.lower_schema(
                        schema,
                        &format!(
                            "{pointer}/content/{}/schema",
                            escape_pointer_token(media_type)
                        ),
                        hint,
                        diags,
                    ),
                    None => TypeRef::Any,
                },
                _ => {
                    diags.push(
                        Diagnostic::new(
                            codes::HEADER_CONTENT_NOT_ONE,
                            format!(
                                "response header `{name}` must declare exactly one media type in `content`, found {}",
                                content.len()
                            ),
                            Location::pointer(&cx.loaded.sdd_path, &pointer),
                        )
                        .with_help("keep one `content` entry, or use `schema`"),
                    );
                    return None;
                }
            }
        }
    };
    Some(ResponseHeader {
        name: name.to_owned(),
        rust_name: field_name(name),
        ty,
        required: header.required,
        description: header.description.clone(),
    })
}
