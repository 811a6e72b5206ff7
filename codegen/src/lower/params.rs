//! Operation parameters: `$ref`s resolved, path-level and operation-level lists merged (the
//! operation's entry wins), styles settled, checked against the path template.
//!
//! Styles: scalars are [`ParamStyle::Scalar`]; arrays follow `style`/`explode` (form + explode →
//! repeated keys, form without explode and simple → comma-separated, spaceDelimited, pipeDelimited);
//! `content: application/json` is [`ParamStyle::Json`]. OneRoster `fields` is comma-separated
//! whatever its SDD says when the model's `conventions.fields` is `comma-separated`: the SDDs
//! declare form/explode but the binding means `fields=a,b` (reported once per service).
//! Object-valued parameters, `deepObject`, `matrix` and `label` have no wire mapping in the
//! generated code and are errors.

use std::collections::BTreeMap;

use openapiv3::{
    CookieStyle, Parameter, ParameterSchemaOrContent, PathStyle, QueryStyle, ReferenceOr,
    SchemaKind, Type,
};

use crate::diagnostics::{Diagnostic, Diagnostics, Location, codes};
use crate::ir::{
    Constraints, MediaKind, Param, ParamLocation, ParamStyle, Primitive, Rule, TypeRef,
};
use crate::load::resolve::escape_pointer_token;
use crate::lower::bodies::media_kind;
use crate::lower::naming::{NameTable, field_name, type_name};
use crate::lower::operations::OpLowering;
use crate::spec_model::FieldsModel;

/// Names the generated server trait and client methods give their own arguments (`ctx`, the
/// collection `query`, the request `body`) or call in their bodies (the client's `request`), so
/// a parameter's Rust name is also its argument name.
pub const RESERVED_PARAM_NAMES: &[&str] = &["body", "ctx", "query", "request", "self"];

/// Headers OpenAPI says parameter definitions must not describe (they are ignored).
const IGNORED_HEADERS: &[&str] = &["accept", "content-type", "authorization"];

/// One parameter declaration with where it was found.
struct Declared<'a> {
    param: &'a Parameter,
    /// Pointer of the (resolved) definition.
    pointer: String,
}

/// Merges and lowers the parameters of one operation.
///
/// `template_vars` are the path template's variables in order; `type_hint` names inline types.
#[allow(clippy::too_many_arguments)]
pub fn lower_params<'a>(
    cx: &mut OpLowering<'a>,
    path_level: &'a [ReferenceOr<Parameter>],
    path_pointer: &str,
    op_level: &'a [ReferenceOr<Parameter>],
    op_pointer: &str,
    template_vars: &[String],
    type_hint: &str,
    diags: &mut Diagnostics,
) -> Vec<Param> {
    // (location, normalized name) → declaration; operation-level entries replace path-level ones.
    let mut merged: BTreeMap<(ParamLocation, String), Declared<'a>> = BTreeMap::new();
    for (list, base) in [(path_level, path_pointer), (op_level, op_pointer)] {
        let mut seen_here: BTreeMap<(ParamLocation, String), String> = BTreeMap::new();
        for (i, p) in list.iter().enumerate() {
            let at = format!("{base}/parameters/{i}");
            let resolved = match cx.resolver.parameter(p, &at) {
                Ok(r) => r,
                Err(d) => {
                    diags.push(d);
                    continue;
                }
            };
            let pointer = match resolved.name {
                Some(name) => format!("/components/parameters/{}", escape_pointer_token(name)),
                None => at.clone(),
            };
            let param = resolved.item;
            let key = param_key(param);
            if let Some(first) = seen_here.insert(key.clone(), at.clone()) {
                diags.push(
                    Diagnostic::new(
                        codes::PARAM_DUPLICATE,
                        format!(
                            "parameter `{}` in {} is declared twice in the same list (first at {first})",
                            param.parameter_data_ref().name,
                            location_word(key.0)
                        ),
                        Location::pointer(&cx.loaded.sdd_path, &at),
                    )
                    .with_help("remove one of the declarations"),
                );
                continue;
            }
            merged.insert(key, Declared { param, pointer });
        }
    }

    let mut params = Vec::with_capacity(merged.len());
    for ((location, _), declared) in &merged {
        if *location == ParamLocation::Header {
            let name = &declared.param.parameter_data_ref().name;
            if IGNORED_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
                diags.push(
                    Diagnostic::new(
                        codes::HEADER_PARAM_IGNORED,
                        format!(
                            "header parameter `{name}` is ignored: OpenAPI says `Accept`, `Content-Type` and `Authorization` are described by the media types and security schemes instead"
                        ),
                        Location::pointer(&cx.loaded.sdd_path, &declared.pointer),
                    )
                    .with_help("remove the parameter"),
                );
                continue;
            }
        }
        if let Some(p) = lower_param(cx, declared.param, &declared.pointer, type_hint, diags) {
            params.push(p);
        }
    }

    check_template(cx, &params, template_vars, op_pointer, diags);
    collection_param_rules(&mut params);

    // Path parameters in template order, then query, header, cookie by wire name.
    params.sort_by(|a, b| {
        let rank = |p: &Param| {
            if p.location == ParamLocation::Path {
                template_vars
                    .iter()
                    .position(|v| *v == p.name)
                    .unwrap_or(usize::MAX)
            } else {
                0
            }
        };
        (a.location, rank(a), &a.name).cmp(&(b.location, rank(b), &b.name))
    });
    let mut names = NameTable::new();
    for reserved in RESERVED_PARAM_NAMES {
        names.reserve(reserved);
    }
    for p in &mut params {
        p.rust_name = names.insert(&p.rust_name);
    }
    params
}

/// The IMS `limit` and `offset` of a collection are read by the runtime as `u64` (so a `limit`
/// above the server's maximum can be clamped, as OneRoster asks, rather than refused): their
/// integer format becomes a rule of its own (`offset=2147483648` breaks `int32`), and a declared
/// `maximum` of `limit` is left to the clamp.
fn collection_param_rules(params: &mut [Param]) {
    let in_query = |params: &[Param], name: &str| {
        params
            .iter()
            .any(|p| p.location == ParamLocation::Query && p.name == name)
    };
    if !(in_query(params, "limit") && in_query(params, "offset")) {
        return;
    }
    for p in params.iter_mut() {
        if p.location != ParamLocation::Query || !matches!(p.name.as_str(), "limit" | "offset") {
            continue;
        }
        let format = match p.ty {
            TypeRef::Primitive(Primitive::I32) => Rule::IntegerFormat {
                format: "int32".to_owned(),
                min: i64::from(i32::MIN),
                max: i64::from(i32::MAX),
            },
            TypeRef::Primitive(Primitive::I64) => Rule::IntegerFormat {
                format: "int64".to_owned(),
                min: i64::MIN,
                max: i64::MAX,
            },
            _ => continue,
        };
        if p.name == "limit" {
            p.constraints
                .rules
                .retain(|r| !matches!(r, Rule::IntegerMaximum(_)));
        }
        p.constraints.rules.insert(0, format);
    }
}

fn param_key(p: &Parameter) -> (ParamLocation, String) {
    let name = &p.parameter_data_ref().name;
    match p {
        Parameter::Query { .. } => (ParamLocation::Query, name.clone()),
        Parameter::Path { .. } => (ParamLocation::Path, name.clone()),
        // Header names are case-insensitive (RFC 9110).
        Parameter::Header { .. } => (ParamLocation::Header, name.to_ascii_lowercase()),
        Parameter::Cookie { .. } => (ParamLocation::Cookie, name.clone()),
    }
}

fn location_word(l: ParamLocation) -> &'static str {
    match l {
        ParamLocation::Path => "path",
        ParamLocation::Query => "query",
        ParamLocation::Header => "header",
        ParamLocation::Cookie => "cookie",
    }
}

/// Every template variable needs a path parameter and every path parameter a template variable.
fn check_template(
    cx: &OpLowering<'_>,
    params: &[Param],
    template_vars: &[String],
    op_pointer: &str,
    diags: &mut Diagnostics,
) {
    let path = &cx.loaded.sdd_path;
    for var in template_vars {
        if !params
            .iter()
            .any(|p| p.location == ParamLocation::Path && p.name == *var)
        {
            diags.push(
                Diagnostic::new(
                    codes::PATH_VARIABLE_WITHOUT_PARAM,
                    format!("path template variable `{{{var}}}` has no path parameter"),
                    Location::pointer(path, op_pointer),
                )
                .with_help(format!(
                    "declare `- name: {var}` with `in: path`, `required: true` and a schema"
                )),
            );
        }
    }
    for p in params {
        if p.location == ParamLocation::Path && !template_vars.contains(&p.name) {
            diags.push(
                Diagnostic::new(
                    codes::PATH_PARAM_NOT_IN_TEMPLATE,
                    format!(
                        "path parameter `{}` does not appear in the path template",
                        p.name
                    ),
                    Location::pointer(path, &p.pointer),
                )
                .with_help("add `{name}` to the path or change `in:`"),
            );
        }
    }
}

/// Whether a schema (behind references) is an array or an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Scalar,
    Array,
    Object,
}

fn shape_of(kind: &SchemaKind) -> Shape {
    match kind {
        SchemaKind::Type(Type::Array(_)) => Shape::Array,
        SchemaKind::Type(Type::Object(_)) => Shape::Object,
        SchemaKind::Any(any) => match any.typ.as_deref() {
            Some("array") => Shape::Array,
            Some("object") => Shape::Object,
            Some(_) => Shape::Scalar,
            None if any.items.is_some() => Shape::Array,
            None if !any.properties.is_empty() => Shape::Object,
            None => Shape::Scalar,
        },
        _ => Shape::Scalar,
    }
}

fn lower_param<'a>(
    cx: &mut OpLowering<'a>,
    param: &'a Parameter,
    pointer: &str,
    type_hint: &str,
    diags: &mut Diagnostics,
) -> Option<Param> {
    let path = cx.loaded.sdd_path.clone();
    let data = param.parameter_data_ref();
    let location = param_key(param).0;
    let hint = format!("{type_hint}{}", type_name(&data.name));
    let unsupported = |what: String, help: &str| {
        Diagnostic::new(
            codes::PARAM_ENCODING_UNSUPPORTED,
            what,
            Location::pointer(&path, pointer),
        )
        .with_help(help)
    };

    let (ty, style, default, constraints) = match &data.format {
        ParameterSchemaOrContent::Schema(schema) => {
            let schema_pointer = format!("{pointer}/schema");
            let resolved = match cx.resolver.schema(schema, &schema_pointer) {
                Ok(r) => r.item,
                Err(d) => {
                    diags.push(d);
                    return None;
                }
            };
            let shape = shape_of(&resolved.schema_kind);
            let explode = data.explode;
            let style = match (param, shape) {
                (_, Shape::Object) => {
                    diags.push(unsupported(
                        format!("parameter `{}` is an object; object-valued parameters are not supported", data.name),
                        "use `content: {application/json: {schema: ...}}` for a JSON-encoded value, or split the object into scalar parameters",
                    ));
                    return None;
                }
                (Parameter::Path { style, .. }, shape) => match style {
                    PathStyle::Simple if shape == Shape::Array => ParamStyle::CommaSeparated,
                    PathStyle::Simple => ParamStyle::Scalar,
                    PathStyle::Matrix | PathStyle::Label => {
                        diags.push(unsupported(
                            format!(
                                "path parameter `{}` uses style `{}`, which is not supported",
                                data.name,
                                if *style == PathStyle::Matrix {
                                    "matrix"
                                } else {
                                    "label"
                                }
                            ),
                            "use the default `simple` style",
                        ));
                        return None;
                    }
                },
                (
                    Parameter::Query {
                        style,
                        allow_reserved,
                        allow_empty_value,
                        ..
                    },
                    shape,
                ) => {
                    if *allow_reserved {
                        diags.push(Diagnostic::new(
                            codes::ALLOW_RESERVED_IGNORED,
                            format!("`allowReserved` on `{}` is not supported: reserved characters are percent-encoded", data.name),
                            Location::pointer(&path, pointer),
                        ));
                    }
                    if *allow_empty_value == Some(true) {
                        diags.push(Diagnostic::new(
                            codes::ALLOW_EMPTY_VALUE_IGNORED,
                            format!("`allowEmptyValue` on `{}` is not supported: an empty value is an empty string, an absent one is `None`", data.name),
                            Location::pointer(&path, pointer),
                        ));
                    }
                    match (style, shape) {
                        (QueryStyle::DeepObject, _) => {
                            diags.push(unsupported(
                                format!("query parameter `{}` uses style `deepObject`, which is not supported", data.name),
                                "use `content: {application/json: ...}` or scalar parameters",
                            ));
                            return None;
                        }
                        (QueryStyle::Form, Shape::Array) if explode.unwrap_or(true) => {
                            ParamStyle::FormExploded
                        }
                        (QueryStyle::Form, Shape::Array) => ParamStyle::CommaSeparated,
                        (QueryStyle::SpaceDelimited, Shape::Array) => ParamStyle::SpaceDelimited,
                        (QueryStyle::PipeDelimited, Shape::Array) => ParamStyle::PipeDelimited,
                        (QueryStyle::SpaceDelimited | QueryStyle::PipeDelimited, _) => {
                            diags.push(Diagnostic::new(
                                codes::ARRAY_STYLE_ON_SCALAR,
                                format!("style of `{}` only applies to arrays; the scalar value is sent as is", data.name),
                                Location::pointer(&path, pointer),
                            ));
                            ParamStyle::Scalar
                        }
                        (QueryStyle::Form, _) => ParamStyle::Scalar,
                    }
                }
                (Parameter::Header { .. }, Shape::Array) => ParamStyle::CommaSeparated,
                (Parameter::Header { .. }, _) => ParamStyle::Scalar,
                (
                    Parameter::Cookie {
                        style: CookieStyle::Form,
                        ..
                    },
                    Shape::Array,
                ) => {
                    if explode.unwrap_or(true) {
                        diags.push(unsupported(
                            format!("cookie parameter `{}` is an exploded array, which has no cookie encoding", data.name),
                            "set `explode: false` for a comma-separated cookie value",
                        ));
                        return None;
                    }
                    ParamStyle::CommaSeparated
                }
                (Parameter::Cookie { .. }, _) => ParamStyle::Scalar,
            };
            let style = force_fields_style(cx, location, &data.name, style, pointer);
            let ty = cx.types.lower_schema(schema, &schema_pointer, &hint, diags);
            let constraints = cx.types.constraints(schema, &schema_pointer, diags);
            (ty, style, resolved.schema_data.default.clone(), constraints)
        }
        ParameterSchemaOrContent::Content(content) => {
            let mut entries = content.iter();
            let (Some((media_type, media)), None) = (entries.next(), entries.next()) else {
                diags.push(unsupported(
                    format!(
                        "parameter `{}` must declare exactly one media type in `content`, found {}",
                        data.name,
                        content.len()
                    ),
                    "keep one `content` entry (OpenAPI allows only one)",
                ));
                return None;
            };
            if media_kind(media_type) != MediaKind::Json {
                diags.push(unsupported(
                    format!("parameter `{}` is encoded as `{media_type}`; only JSON-encoded parameters are supported", data.name),
                    "use `application/json`, or a `schema` with a style",
                ));
                return None;
            }
            let schema_pointer = format!(
                "{pointer}/content/{}/schema",
                escape_pointer_token(media_type)
            );
            let (ty, constraints) = match &media.schema {
                Some(schema) => (
                    cx.types.lower_schema(schema, &schema_pointer, &hint, diags),
                    cx.types.constraints(schema, &schema_pointer, diags),
                ),
                None => (crate::ir::TypeRef::Any, Constraints::default()),
            };
            (ty, ParamStyle::Json, None, constraints)
        }
    };

    let mut required = data.required;
    if location == ParamLocation::Path && !required {
        diags.push(
            Diagnostic::new(
                codes::PATH_PARAM_NOT_REQUIRED,
                format!("path parameter `{}` is not marked `required: true`; path parameters are always required and it is treated as such", data.name),
                Location::pointer(&path, pointer),
            )
            .with_help("add `required: true`"),
        );
        required = true;
    }

    Some(Param {
        name: data.name.clone(),
        rust_name: field_name(&data.name),
        location,
        required,
        ty,
        style,
        description: data.description.clone(),
        deprecated: data.deprecated.unwrap_or(false),
        default,
        pointer: pointer.to_owned(),
        constraints,
    })
}

/// Applies the OneRoster `fields` convention and remembers where it changed the declared style.
fn force_fields_style(
    cx: &mut OpLowering<'_>,
    location: ParamLocation,
    name: &str,
    style: ParamStyle,
    pointer: &str,
) -> ParamStyle {
    let forced = cx.loaded.model.conventions.fields == FieldsModel::CommaSeparated
        && location == ParamLocation::Query
        && name == "fields"
        && matches!(
            style,
            ParamStyle::FormExploded | ParamStyle::SpaceDelimited | ParamStyle::PipeDelimited
        );
    if forced {
        cx.fields_forced.push(pointer.to_owned());
        ParamStyle::CommaSeparated
    } else {
        style
    }
}
