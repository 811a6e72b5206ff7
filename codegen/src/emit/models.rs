//! The `models` module: IR type definitions → views → `templates/models/*.askama`.
//!
//! The module starts with `use ::ims_runtime::codegen as rt;` and names everything through
//! `rt::` (the prelude's doc says why an alias). Every decision about attributes, paths and doc
//! text is made here in Rust or in lower (names); the templates only lay items out. No inner
//! attributes.
//!
//! Field encoding:
//!
//! | schema | Rust type | serde |
//! |---|---|---|
//! | required | `T` | — |
//! | required + nullable | `Option<T>` | `deserialize_with = deserialize_nullable` (null ok, missing rejected) |
//! | optional | `Option<T>` | `default`, `skip_serializing_if = is_none`, `deserialize_with = deserialize_optional` (`null` refused in request bodies a server reads, read as absent by a client) |
//! | optional + nullable | `Option<Option<T>>` | as optional + `deserialize_with = deserialize_some` |
//! | optional, any JSON value | `Option<Value>` | as optional + `deserialize_with = deserialize_present` |
//!
//! `additionalProperties` absent/`true` adds a `#[serde(flatten)]` order-preserving
//! `serde_json::Map` of JSON values (named by lower, [`crate::ir::StructDef::extensions_field`]),
//! a schema adds a typed map, and `false` adds `#[serde(deny_unknown_fields)]`. String
//! enumerations are plain enums whose impls come from `rt::string_enum!`.

use askama::Template;

use crate::diagnostics::{Diagnostic, Location, codes};
use crate::emit::checks::{Validating, checker, optional};
use crate::emit::doc::{DocBuilder, code_span};
use crate::emit::literal::str_lit;
use crate::ir::{
    AdditionalProperties, Constraints, EnumDef, Field, MediaKind, Payload, Primitive, Records,
    RecordsAccess, StructDef, TypeDef, TypeDefKind, TypeRef, UnionDef,
};

/// The Rust type for `t`, spelled through the `rt` alias of `::ims_runtime::codegen` that every
/// generated submodule imports (`rt::Vec`, `rt::DateTime`). `models` is the path prefix of
/// generated types: `""` inside the `models` module, `"super::models::"` from a sibling.
///
/// ```
/// use ims_codegen::emit::models::type_path;
/// use ims_codegen::ir::{Primitive, TypeRef};
/// let t = TypeRef::Vec(Box::new(TypeRef::Named("OrgDType".into())));
/// assert_eq!(type_path(&t, "super::models::"), "rt::Vec<super::models::OrgDType>");
/// assert_eq!(type_path(&TypeRef::Primitive(Primitive::DateTime), ""), "rt::DateTime");
/// let t = TypeRef::Nullable(Box::new(TypeRef::Primitive(Primitive::Uri)));
/// assert_eq!(type_path(&t, ""), "rt::Option<rt::Uri>");
/// ```
pub fn type_path(t: &TypeRef, models: &str) -> String {
    let inner = |t: &TypeRef| type_path(t, models);
    match t {
        TypeRef::Named(n) => format!("{models}{n}"),
        TypeRef::Primitive(p) => primitive_path(*p).to_owned(),
        TypeRef::Vec(t) => format!("rt::Vec<{}>", inner(t)),
        TypeRef::Map(t) => format!("rt::BTreeMap<rt::String, {}>", inner(t)),
        TypeRef::Boxed(t) => format!("rt::Box<{}>", inner(t)),
        TypeRef::Nullable(t) => format!("rt::Option<{}>", inner(t)),
        TypeRef::Any => JSON_VALUE.to_owned(),
    }
}

/// The Rust type of a JSON body or response: [`type_path`] of its schema's type, or
/// `serde_json::Value` when the content has no schema.
pub fn json_type_path(t: Option<&TypeRef>, models: &str) -> String {
    t.map_or_else(|| JSON_VALUE.to_owned(), |t| type_path(t, models))
}

const JSON_VALUE: &str = "rt::Value";

fn primitive_path(p: Primitive) -> &'static str {
    match p {
        Primitive::String | Primitive::Byte => "rt::String",
        Primitive::Bool => "bool",
        Primitive::I32 => "i32",
        Primitive::I64 => "i64",
        Primitive::F32 => "f32",
        Primitive::F64 => "f64",
        Primitive::DateTime => "rt::DateTime",
        Primitive::Date => "rt::Date",
        Primitive::Uri => "rt::Uri",
        Primitive::Uuid => "rt::Uuid",
        Primitive::Binary => "rt::Vec<u8>",
    }
}

struct FieldView {
    doc: String,
    attrs: String,
    rust_name: String,
    ty: String,
}

struct MapView {
    doc: String,
    rust_name: String,
    ty: String,
}

#[derive(Template)]
#[template(path = "models/struct.rs.askama", escape = "none")]
struct StructTemplate {
    doc: String,
    name: String,
    deny_unknown_fields: bool,
    fields: Vec<FieldView>,
    /// Zero or one extension map (a `Vec` keeps the template free of `Option` handling).
    extension_map: Vec<MapView>,
}

#[derive(Template)]
#[template(path = "models/newtype.rs.askama", escape = "none")]
struct NewtypeTemplate {
    doc: String,
    name: String,
    inner: String,
}

struct UnionVariantView {
    doc: String,
    rust_name: String,
    ty: String,
}

#[derive(Template)]
#[template(path = "models/union.rs.askama", escape = "none")]
struct UnionTemplate {
    doc: String,
    name: String,
    variants: Vec<UnionVariantView>,
}

#[derive(Template)]
#[template(path = "models/operation_enum.rs.askama", escape = "none")]
struct OperationEnumTemplate {
    doc: String,
    name: String,
    variants: Vec<UnionVariantView>,
}

struct VariantView {
    doc: String,
    rust_name: String,
    /// The wire value as a string literal.
    wire: String,
}

struct ExtView {
    doc: String,
    rust_name: String,
}

#[derive(Template)]
#[template(path = "models/enum.rs.askama", escape = "none")]
struct EnumTemplate {
    doc: String,
    name: String,
    copy: bool,
    variants: Vec<VariantView>,
    /// Zero (closed enum) or one (extensible enum) catch-all variant.
    ext_variant: Vec<ExtView>,
}

/// One member checked by a `Validate` impl: `self.<member>` at `at.key(<wire>)` (or at `at`).
struct CheckedMember {
    checker: String,
    member: String,
    /// The JSON member name as a literal; `None` for a newtype's value or an extension map,
    /// whose keys are the members.
    wire: Option<String>,
}

/// One union variant checked by a `Validate` impl.
struct CheckedVariant {
    variant: String,
    checker: String,
}

#[derive(Template)]
#[template(path = "models/validate.rs.askama", escape = "none")]
struct ValidateTemplate {
    name: String,
    members: Vec<CheckedMember>,
    variants: Vec<CheckedVariant>,
    /// Whether some variants have nothing to check (a `_` arm).
    unchecked_variants: bool,
}

#[derive(Template)]
#[template(path = "models/mod.rs.askama", escape = "none")]
struct ModelsTemplate {
    doc: String,
    items: Vec<String>,
}

/// The doc of a type: what it was generated from, then the SDD's title/description.
fn type_doc(def: &TypeDef, what: &str) -> String {
    let origin = match &def.schema_name {
        Some(schema) => format!("{what} generated from the schema {}.", code_span(schema)),
        None => format!(
            "{what} generated from the inline schema at {}.",
            code_span(&def.pointer)
        ),
    };
    let mut doc = DocBuilder::new().prose(def.doc.as_deref()).trusted(origin);
    if def.deprecated {
        doc = doc.trusted("Deprecated in the SDD.");
    }
    doc.attrs()
}

fn field_view(field: &Field) -> FieldView {
    let mut serde: Vec<String> = Vec::new();
    let bare = field
        .rust_name
        .strip_prefix("r#")
        .unwrap_or(&field.rust_name);
    if bare != field.wire_name {
        serde.push(format!("rename = {}", str_lit(&field.wire_name)));
    }
    let option = "rt::Option";
    let with = |helper: &str| format!("deserialize_with = \"rt::types::{helper}\"");
    let optional = [
        "default".to_owned(),
        format!("skip_serializing_if = \"{option}::is_none\""),
    ];
    let ty = match (&field.ty, field.required) {
        (TypeRef::Nullable(_), true) => {
            serde.push(with("deserialize_nullable"));
            type_path(&field.ty, "")
        }
        (t, true) => type_path(t, ""),
        (TypeRef::Nullable(inner), false) => {
            serde.extend(optional);
            serde.push(with("deserialize_some"));
            format!("{option}<{option}<{}>>", type_path(inner, ""))
        }
        (TypeRef::Any, false) => {
            serde.extend(optional);
            serde.push(with("deserialize_present"));
            format!("{option}<{}>", JSON_VALUE)
        }
        (t, false) => {
            serde.extend(optional);
            serde.push(with("deserialize_optional"));
            format!("{option}<{}>", type_path(t, ""))
        }
    };
    let attrs = if serde.is_empty() {
        String::new()
    } else {
        format!("#[serde({})]\n", serde.join(", "))
    };
    let mut doc = DocBuilder::new()
        .prose(field.doc.as_deref())
        .trusted(format!(
            "JSON member {}{}.",
            code_span(&field.wire_name),
            if field.required { " (required)" } else { "" }
        ));
    if field.deprecated {
        doc = doc.trusted("Deprecated in the SDD.");
    }
    FieldView {
        doc: doc.attrs(),
        attrs,
        rust_name: field.rust_name.clone(),
        ty,
    }
}

fn render_struct(def: &TypeDef, s: &StructDef) -> Result<String, askama::Error> {
    let map = |doc: &str, ty: String| -> Vec<MapView> {
        s.extensions_field
            .iter()
            .map(|name| MapView {
                doc: DocBuilder::new().trusted(doc).attrs(),
                rust_name: name.clone(),
                ty: ty.clone(),
            })
            .collect()
    };
    let extension_map = match &s.additional {
        AdditionalProperties::Forbidden => Vec::new(),
        // serde_json's map keeps insertion order (the runtime enables `preserve_order`), so
        // unknown members go back out in the order they came in.
        AdditionalProperties::Preserve => map(
            "Members the schema does not declare, kept as received so they are sent back unchanged.",
            format!("rt::Map<{}, {}>", "rt::String", JSON_VALUE),
        ),
        AdditionalProperties::Typed(t) => map(
            "Members the schema does not declare (`additionalProperties`), typed.",
            type_path(&TypeRef::Map(Box::new(t.clone())), ""),
        ),
    };
    StructTemplate {
        doc: type_doc(def, "Object"),
        name: def.name.clone(),
        deny_unknown_fields: s.additional == AdditionalProperties::Forbidden,
        fields: s.fields.iter().map(field_view).collect(),
        extension_map,
    }
    .render()
}

fn render_enum(def: &TypeDef, e: &EnumDef) -> Result<String, askama::Error> {
    let extensible = e.ext_variant.is_some();
    let variants = e
        .variants
        .iter()
        .map(|v| VariantView {
            doc: DocBuilder::new()
                .trusted(if v.wire.is_empty() {
                    // "``" would be an unbalanced code span.
                    "The empty string `\"\"`.".to_owned()
                } else {
                    code_span(&v.wire)
                })
                .prose(v.doc.as_deref())
                .attrs(),
            rust_name: v.rust_name.clone(),
            wire: str_lit(&v.wire),
        })
        .collect();
    let ext_variant = e
        .ext_variant
        .iter()
        .map(|name| ExtView {
            doc: DocBuilder::new()
                .trusted("An extension value: `ext:` followed by ASCII letters, digits, `.`, `-` or `_`, kept exactly as received.")
                .attrs(),
            rust_name: name.clone(),
        })
        .collect();
    EnumTemplate {
        doc: type_doc(
            def,
            if extensible {
                "Extensible enumeration"
            } else {
                "Enumeration"
            },
        ),
        name: def.name.clone(),
        copy: !extensible,
        variants,
        ext_variant,
    }
    .render()
}

fn render_union(def: &TypeDef, u: &UnionDef) -> Result<String, askama::Error> {
    UnionTemplate {
        doc: type_doc(def, "One of several shapes (tried in order)"),
        name: def.name.clone(),
        variants: u
            .variants
            .iter()
            .map(|v| {
                let ty = type_path(&v.ty, "");
                UnionVariantView {
                    // Every public item is documented (generated modules compile under
                    // `deny(missing_docs)`); say which shape the variant holds.
                    doc: DocBuilder::new()
                        .trusted(format!("The value in the shape {}.", code_span(&ty)))
                        .attrs(),
                    rust_name: v.rust_name.clone(),
                    ty,
                }
            })
            .collect(),
    }
    .render()
}

/// The `Validate` impl of a type that validates ([`TypeDef::validates`]); `None` otherwise.
fn render_validate(
    def: &TypeDef,
    validating: &Validating,
) -> Result<Option<String>, askama::Error> {
    if !def.validates {
        return Ok(None);
    }
    let mut members = Vec::new();
    let mut variants = Vec::new();
    let mut unchecked_variants = false;
    match &def.kind {
        TypeDefKind::Struct(s) => {
            for f in &s.fields {
                let Some(c) = checker(&f.ty, &f.constraints, validating) else {
                    continue;
                };
                // An optional member is an `Option` around its type (see `field_view`).
                let c = if f.required { c } else { optional(c) };
                members.push(CheckedMember {
                    checker: c,
                    member: f.rust_name.clone(),
                    wire: Some(str_lit(&f.wire_name)),
                });
            }
            if let (AdditionalProperties::Typed(t), Some(ext)) =
                (&s.additional, &s.extensions_field)
                && let Some(c) = checker(
                    &TypeRef::Map(Box::new(t.clone())),
                    &Constraints::default(),
                    validating,
                )
            {
                members.push(CheckedMember {
                    checker: c,
                    member: ext.clone(),
                    wire: None,
                });
            }
        }
        TypeDefKind::Newtype(inner) => {
            if let Some(c) = checker(inner, &def.constraints, validating) {
                members.push(CheckedMember {
                    checker: c,
                    member: "0".to_owned(),
                    wire: None,
                });
            }
        }
        TypeDefKind::Union(u) => {
            for v in &u.variants {
                match checker(&v.ty, &Constraints::default(), validating) {
                    Some(c) => variants.push(CheckedVariant {
                        variant: v.rust_name.clone(),
                        checker: c,
                    }),
                    None => unchecked_variants = true,
                }
            }
        }
        TypeDefKind::Enum(_) | TypeDefKind::ExtensibleEnum(_) => {}
    }
    ValidateTemplate {
        name: def.name.clone(),
        members,
        variants,
        unchecked_variants,
    }
    .render()
    .map(Some)
}

fn render_type(def: &TypeDef, validating: &Validating) -> Result<String, askama::Error> {
    let item = render_shape(def)?;
    Ok(match render_validate(def, validating)? {
        Some(validate) => format!("{item}\n\n{validate}"),
        None => item,
    })
}

fn render_shape(def: &TypeDef) -> Result<String, askama::Error> {
    match &def.kind {
        TypeDefKind::Struct(s) => render_struct(def, s),
        TypeDefKind::Enum(e) | TypeDefKind::ExtensibleEnum(e) => render_enum(def, e),
        TypeDefKind::Union(u) => render_union(def, u),
        TypeDefKind::Newtype(inner) => NewtypeTemplate {
            doc: type_doc(def, "Value"),
            name: def.name.clone(),
            inner: type_path(inner, ""),
        }
        .render(),
    }
}

/// Renders `pub mod models { ... }` for the service's types (Rust source text; the caller parses
/// it with syn and formats it), plus the enums lower made for operations (request bodies of
/// several media types, records of pages of several array members), all sorted by name.
pub fn render_models(service: &crate::ir::Service) -> Result<String, Diagnostic> {
    let extra = operation_enums(service);
    render_items(&service.spec, &service.service, &service.types, extra)
}

/// The `(name, enum)` views of the enums lower made for `service`'s operations.
fn operation_enums(service: &crate::ir::Service) -> Vec<OperationEnumTemplate> {
    let mut out = Vec::new();
    for op in &service.operations {
        let heading = format!("{} {}", op.method.as_str(), op.path);
        if let Some(alts) = op
            .request_body
            .as_ref()
            .and_then(|b| b.alternatives.as_ref())
        {
            out.push(OperationEnumTemplate {
                doc: DocBuilder::new()
                    .trusted(format!(
                        "The request body of {} ({}), one variant per media type it is sent as.",
                        code_span(&op.id),
                        code_span(&heading)
                    ))
                    .attrs(),
                name: alts.enum_name.clone(),
                variants: alts
                    .variants
                    .iter()
                    .map(|v| {
                        let ty = match v.content.kind {
                            MediaKind::Json | MediaKind::Form => {
                                json_type_path(v.content.ty.as_ref(), "")
                            }
                            MediaKind::Text => "rt::String".to_owned(),
                            MediaKind::Binary => "rt::Vec<u8>".to_owned(),
                        };
                        UnionVariantView {
                            doc: DocBuilder::new()
                                .trusted(format!("Sent as {}.", code_span(&v.content.media_type)))
                                .attrs(),
                            rust_name: v.name.clone(),
                            ty,
                        }
                    })
                    .collect(),
            });
        }
        let records = op
            .api
            .success
            .client_payload
            .as_ref()
            .and_then(|p| match p {
                Payload::Json(j) => j.records.as_ref(),
                _ => None,
            });
        if let Some(Records {
            access: RecordsAccess::Members(e),
            ..
        }) = records
        {
            out.push(OperationEnumTemplate {
                doc: DocBuilder::new()
                    .trusted(format!(
                        "One record of a page of {} ({}): the page holds several arrays, counted together by paging.",
                        code_span(&op.id),
                        code_span(&heading)
                    ))
                    .attrs(),
                name: e.enum_name.clone(),
                variants: e
                    .arms
                    .iter()
                    .map(|a| UnionVariantView {
                        doc: DocBuilder::new()
                            .trusted(format!("A record of the member {}.", code_span(&a.wire_name)))
                            .attrs(),
                        rust_name: a.variant.clone(),
                        ty: type_path(&a.record, ""),
                    })
                    .collect(),
            });
        }
    }
    out
}

/// [`render_models`] for a bare list of types (`spec` and `service` name them in the doc).
pub fn render_types(spec: &str, service: &str, types: &[TypeDef]) -> Result<String, Diagnostic> {
    render_items(spec, service, types, Vec::new())
}

fn render_items(
    spec: &str,
    service: &str,
    types: &[TypeDef],
    extra: Vec<OperationEnumTemplate>,
) -> Result<String, Diagnostic> {
    let fail = |e: askama::Error| {
        Diagnostic::new(
            codes::MODELS_TEMPLATE_FAILED,
            format!("internal error: rendering the models template failed: {e}"),
            Location::None,
        )
        .with_help("this is a bug in ims-codegen's templates; please report it")
    };
    let validating = Validating::of_types(types);
    let mut named = types
        .iter()
        .map(|def| render_type(def, &validating).map(|item| (def.name.clone(), item)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(fail)?;
    if !extra.is_empty() {
        for e in extra {
            let item = e.render().map_err(fail)?;
            named.push((e.name, item));
        }
        named.sort_by(|a, b| a.0.cmp(&b.0));
    }
    let items = named.into_iter().map(|(_, item)| item).collect();
    ModelsTemplate {
        doc: DocBuilder::new()
            .trusted(format!(
                "Payload types of {} {}: one per schema of the SDD and per inline schema that needs a name.",
                code_span(spec),
                code_span(service)
            ))
            .attrs(),
        items,
    }
    .render()
    .map_err(fail)
}
