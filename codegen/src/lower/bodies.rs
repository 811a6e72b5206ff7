//! Request bodies and the media-type payloads shared with responses.
//!
//! Media types are classified once: `application/json`, `application/ld+json`,
//! `application/vnd.ims.*+json` (any `+json` suffix) are JSON; `text/*` is text;
//! `application/x-www-form-urlencoded` is a form; anything else is raw bytes. Parameters such as
//! `; charset=utf-8` do not change the kind. Contents are sorted JSON first, then form, text and
//! bytes, each by media type.

use indexmap::IndexMap;
use openapiv3::{MediaType, ReferenceOr, RequestBody as OasRequestBody};

use crate::diagnostics::{Diagnostic, Diagnostics, Location, codes};
use crate::ir::{Content, MediaKind, RequestBody};
use crate::load::resolve::escape_pointer_token;
use crate::lower::naming::type_name;
use crate::lower::operations::OpLowering;

/// The kind of payload a media type carries.
///
/// ```
/// use ims_codegen::ir::MediaKind;
/// use ims_codegen::lower::bodies::media_kind;
/// assert_eq!(media_kind("application/vnd.ims.lis.v2.lineitem+json"), MediaKind::Json);
/// assert_eq!(media_kind("application/ld+json; charset=utf-8"), MediaKind::Json);
/// assert_eq!(media_kind("text/plain"), MediaKind::Text);
/// assert_eq!(media_kind("application/x-www-form-urlencoded"), MediaKind::Form);
/// assert_eq!(media_kind("image/png"), MediaKind::Binary);
/// ```
pub fn media_kind(media_type: &str) -> MediaKind {
    let essence = media_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let Some((top, sub)) = essence.split_once('/') else {
        return MediaKind::Binary;
    };
    if (top == "application" && sub == "json") || sub.ends_with("+json") {
        MediaKind::Json
    } else if top == "text" {
        MediaKind::Text
    } else if essence == "application/x-www-form-urlencoded" {
        MediaKind::Form
    } else {
        MediaKind::Binary
    }
}

/// Whether a media type is JSON other than `application/json` itself: a vendor or suffix type
/// such as `application/vnd.ims.lis.v2.lineitem+json`, which generated servers answer with and
/// generated clients ask for by name.
///
/// ```
/// use ims_codegen::lower::bodies::is_vendor_json;
/// assert!(is_vendor_json("application/vnd.ims.lis.v1.score+json"));
/// assert!(!is_vendor_json("application/json; charset=utf-8"));
/// assert!(!is_vendor_json("text/plain"));
/// ```
pub fn is_vendor_json(media_type: &str) -> bool {
    let essence = media_type.split(';').next().unwrap_or_default().trim();
    media_kind(essence) == MediaKind::Json && !essence.eq_ignore_ascii_case("application/json")
}

fn kind_rank(kind: MediaKind) -> u8 {
    match kind {
        MediaKind::Json => 0,
        MediaKind::Form => 1,
        MediaKind::Text => 2,
        MediaKind::Binary => 3,
    }
}

/// Lowers a `content` map found at `pointer` (the pointer of the map's owner, without `/content`).
///
/// `hint` names inline schemas; with several media types the media type is appended to it.
pub fn lower_contents<'a>(
    cx: &mut OpLowering<'a>,
    content: &'a IndexMap<String, MediaType>,
    pointer: &str,
    hint: &str,
    diags: &mut Diagnostics,
) -> Vec<Content> {
    let mut out = Vec::with_capacity(content.len());
    for (media_type, media) in content {
        let media_pointer = format!("{pointer}/content/{}", escape_pointer_token(media_type));
        let kind = media_kind(media_type);
        if media_type
            .trim()
            .to_ascii_lowercase()
            .starts_with("multipart/")
        {
            diags.push(
                Diagnostic::new(
                    codes::MULTIPART_AS_BYTES,
                    format!("`{media_type}` payloads are passed as raw bytes: multipart parts are not generated"),
                    Location::pointer(&cx.loaded.sdd_path, &media_pointer),
                ),
            );
        }
        if !media.encoding.is_empty() {
            diags.push(
                Diagnostic::new(
                    codes::ENCODING_IGNORED,
                    format!("the `encoding` of `{media_type}` is not supported and is ignored: properties use their default serialization"),
                    Location::pointer(&cx.loaded.sdd_path, format!("{media_pointer}/encoding")),
                ),
            );
        }
        let type_hint = if content.len() == 1 {
            hint.to_owned()
        } else {
            format!("{hint}{}", type_name(media_type))
        };
        let ty = media.schema.as_ref().map(|schema| {
            cx.types.lower_schema(
                schema,
                &format!("{media_pointer}/schema"),
                &type_hint,
                diags,
            )
        });
        out.push(Content {
            media_type: media_type.clone(),
            kind,
            ty,
        });
    }
    out.sort_by(|a, b| (kind_rank(a.kind), &a.media_type).cmp(&(kind_rank(b.kind), &b.media_type)));
    out
}

/// Lowers the request body at `pointer` (`…/requestBody`), resolving a `$ref`.
pub fn lower_request_body<'a>(
    cx: &mut OpLowering<'a>,
    body: &'a ReferenceOr<OasRequestBody>,
    pointer: &str,
    hint: &str,
    diags: &mut Diagnostics,
) -> Option<RequestBody> {
    let resolved = match cx.resolver.request_body(body, pointer) {
        Ok(r) => r,
        Err(d) => {
            diags.push(d);
            return None;
        }
    };
    let pointer = match resolved.name {
        Some(name) => format!("/components/requestBodies/{}", escape_pointer_token(name)),
        None => pointer.to_owned(),
    };
    let body = resolved.item;
    if body.content.is_empty() {
        diags.push(
            Diagnostic::new(
                codes::BODY_WITHOUT_MEDIA_TYPE,
                "the request body declares no media type",
                Location::pointer(&cx.loaded.sdd_path, format!("{pointer}/content")),
            )
            .with_help("add a `content` entry such as `application/json: {schema: ...}`, or remove the request body"),
        );
        return None;
    }
    let contents = lower_contents(cx, &body.content, &pointer, hint, diags);
    let exact_media_type = match contents.as_slice() {
        [only]
            if body.required
                && only.kind == MediaKind::Json
                && is_vendor_json(&only.media_type) =>
        {
            Some(only.media_type.clone())
        }
        _ => None,
    };
    Some(RequestBody {
        required: body.required,
        description: body.description.clone(),
        contents,
        // Decided with the other names of the generated modules (lower/api.rs).
        alternatives: None,
        exact_media_type,
    })
}
