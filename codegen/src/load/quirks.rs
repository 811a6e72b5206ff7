//! Known quirks of real 1EdTech files, normalized before typed parsing, each with a warning that
//! states the tolerated behaviour.
//!
//! | code | quirk | what we do |
//! |---|---|---|
//! | IMS0110 | YAML integer keys (`200:`) | read as strings (done while converting YAML, see `sdd.rs`) |
//! | IMS0111 | non-string values (`true`, `1`) in the `enum` of a `type: string` schema | turned back into their text |
//! | IMS0112 | Swagger-2 style header/parameter: `type`/`format`/… directly on the object | moved into `schema` |
//! | IMS0113 | a header/parameter with neither `schema` nor `content` | given `schema: {type: string}` |
//! | IMS0114 | `exclusiveMinimum`/`exclusiveMaximum` as a number (JSON Schema 2019 style) | turned into the 3.0 boolean + `minimum`/`maximum` |

use std::path::Path;

use serde_json::{Map, Value};

use super::resolve::escape_pointer_token;
use crate::diagnostics::{Diagnostic, Diagnostics, Location, codes};

/// Schema keywords a Swagger-2 style header or parameter carries directly.
const SCHEMA_KEYS: &[&str] = &[
    "type",
    "format",
    "items",
    "default",
    "maximum",
    "exclusiveMaximum",
    "minimum",
    "exclusiveMinimum",
    "maxLength",
    "minLength",
    "pattern",
    "maxItems",
    "minItems",
    "uniqueItems",
    "enum",
    "multipleOf",
];

/// Applies every normalization to `doc` in place.
pub fn normalize(path: &Path, doc: &mut Value, diags: &mut Diagnostics) {
    normalize_headers_and_parameters(path, doc, diags);
    normalize_schemas(path, doc, &mut String::new(), diags);
}

fn push_token(pointer: &str, token: &str) -> String {
    format!("{pointer}/{}", escape_pointer_token(token))
}

/// Visits every header and parameter object of the document with its pointer.
fn normalize_headers_and_parameters(path: &Path, doc: &mut Value, diags: &mut Diagnostics) {
    let Some(root) = doc.as_object_mut() else {
        return;
    };
    if let Some(Value::Object(components)) = root.get_mut("components") {
        if let Some(Value::Object(headers)) = components.get_mut("headers") {
            for (name, h) in headers.iter_mut() {
                let p = push_token("/components/headers", name);
                fix_header_or_parameter(path, h, &p, "header", diags);
            }
        }
        if let Some(Value::Object(params)) = components.get_mut("parameters") {
            for (name, prm) in params.iter_mut() {
                let p = push_token("/components/parameters", name);
                fix_header_or_parameter(path, prm, &p, "parameter", diags);
            }
        }
        if let Some(Value::Object(responses)) = components.get_mut("responses") {
            for (name, r) in responses.iter_mut() {
                let p = push_token("/components/responses", name);
                fix_response_headers(path, r, &p, diags);
            }
        }
    }
    if let Some(Value::Object(paths)) = root.get_mut("paths") {
        for (template, item) in paths.iter_mut() {
            let item_ptr = push_token("/paths", template);
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            for (key, op) in item.iter_mut() {
                let op_ptr = push_token(&item_ptr, key);
                if key == "parameters" {
                    fix_parameter_list(path, op, &op_ptr, diags);
                    continue;
                }
                let Some(op) = op.as_object_mut() else {
                    continue;
                };
                if let Some(params) = op.get_mut("parameters") {
                    fix_parameter_list(path, params, &push_token(&op_ptr, "parameters"), diags);
                }
                if let Some(Value::Object(responses)) = op.get_mut("responses") {
                    for (status, r) in responses.iter_mut() {
                        let p = push_token(&push_token(&op_ptr, "responses"), status);
                        fix_response_headers(path, r, &p, diags);
                    }
                }
            }
        }
    }
}

fn fix_parameter_list(path: &Path, list: &mut Value, pointer: &str, diags: &mut Diagnostics) {
    if let Some(items) = list.as_array_mut() {
        for (i, prm) in items.iter_mut().enumerate() {
            fix_header_or_parameter(path, prm, &format!("{pointer}/{i}"), "parameter", diags);
        }
    }
}

fn fix_response_headers(path: &Path, response: &mut Value, pointer: &str, diags: &mut Diagnostics) {
    if let Some(Value::Object(headers)) = response.get_mut("headers") {
        let headers_ptr = push_token(pointer, "headers");
        for (name, h) in headers.iter_mut() {
            let p = push_token(&headers_ptr, name);
            fix_header_or_parameter(path, h, &p, "header", diags);
        }
    }
}

fn fix_header_or_parameter(
    path: &Path,
    value: &mut Value,
    pointer: &str,
    what: &str,
    diags: &mut Diagnostics,
) {
    let Some(obj) = value.as_object_mut() else {
        return;
    };
    if obj.contains_key("$ref") || obj.contains_key("content") {
        return;
    }
    if obj.contains_key("schema") {
        return;
    }
    let mut schema = Map::new();
    for key in SCHEMA_KEYS {
        if let Some(v) = obj.remove(*key) {
            schema.insert((*key).to_string(), v);
        }
    }
    if schema.is_empty() {
        schema.insert("type".into(), Value::String("string".into()));
        diags.push(
            Diagnostic::new(
                codes::NO_SCHEMA_NOR_CONTENT,
                format!("{what} has neither `schema` nor `content`"),
                Location::pointer(path, pointer),
            )
            .with_help("tolerated: its value is treated as a string (`schema: {type: string}`); add a `schema` to silence this warning"),
        );
    } else {
        let moved: Vec<&str> = schema.keys().map(String::as_str).collect();
        diags.push(
            Diagnostic::new(
                codes::SWAGGER_2_STYLE_SCHEMA,
                format!(
                    "Swagger-2 style {what}: `{}` written directly on the {what} instead of inside `schema`",
                    moved.join("`, `")
                ),
                Location::pointer(path, pointer),
            )
            .with_help(format!(
                "tolerated: read as `schema: {{ {} }}`; move these keys under `schema` to silence this warning",
                moved.join(", ")
            )),
        );
    }
    obj.insert("schema".into(), Value::Object(schema));
}

/// Walks every value; fixes schema-level quirks wherever a schema-like object is found.
/// Examples are data and are left alone.
fn normalize_schemas(
    path: &Path,
    value: &mut Value,
    pointer: &mut String,
    diags: &mut Diagnostics,
) {
    match value {
        Value::Object(map) => {
            fix_string_enum(path, map, pointer, diags);
            fix_exclusive_bounds(path, map, pointer, diags);
            // Under `properties`/`schemas` the keys are names, not keywords.
            let keys_are_names = pointer.ends_with("/properties") || pointer.ends_with("/schemas");
            for (k, v) in map.iter_mut() {
                let data = matches!(k.as_str(), "example" | "examples" | "default" | "enum");
                if data && !keys_are_names {
                    continue;
                }
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&escape_pointer_token(k));
                normalize_schemas(path, v, pointer, diags);
                pointer.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter_mut().enumerate() {
                let len = pointer.len();
                pointer.push_str(&format!("/{i}"));
                normalize_schemas(path, v, pointer, diags);
                pointer.truncate(len);
            }
        }
        _ => {}
    }
}

fn fix_string_enum(
    path: &Path,
    map: &mut Map<String, Value>,
    pointer: &str,
    diags: &mut Diagnostics,
) {
    if map.get("type").and_then(Value::as_str) != Some("string") {
        return;
    }
    let Some(Value::Array(values)) = map.get_mut("enum") else {
        return;
    };
    let mut fixed = Vec::new();
    for v in values.iter_mut() {
        let text = match &*v {
            Value::String(_) | Value::Null => continue,
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => n.to_string(),
            other => other.to_string(),
        };
        fixed.push(text.clone());
        *v = Value::String(text);
    }
    if !fixed.is_empty() {
        diags.push(
            Diagnostic::new(
                codes::STRING_ENUM_NON_STRING,
                format!(
                    "non-string value(s) {} in the `enum` of a `type: string` schema",
                    fixed.iter().map(|t| format!("`{t}`")).collect::<Vec<_>>().join(", ")
                ),
                Location::pointer(path, format!("{pointer}/enum")),
            )
            .with_help("tolerated: read as the strings with the same text (YAML reads unquoted `true`/`false`/numbers as non-strings); quote them to silence this warning"),
        );
    }
}

fn fix_exclusive_bounds(
    path: &Path,
    map: &mut Map<String, Value>,
    pointer: &str,
    diags: &mut Diagnostics,
) {
    for (exclusive, bound) in [
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ] {
        let Some(Value::Number(n)) = map.get(exclusive).cloned() else {
            continue;
        };
        diags.push(
            Diagnostic::new(
                codes::NUMERIC_EXCLUSIVE_BOUND,
                format!("`{exclusive}: {n}` is a number (JSON Schema 2019 / OpenAPI 3.1 style); OpenAPI 3.0 wants a boolean"),
                Location::pointer(path, push_token(pointer, exclusive)),
            )
            .with_help(format!(
                "tolerated: read as `{bound}: {n}, {exclusive}: true`"
            )),
        );
        map.insert(bound.to_string(), Value::Number(n));
        map.insert(exclusive.to_string(), Value::Bool(true));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn swagger2_style_header_is_wrapped_into_schema() {
        let mut doc = json!({"paths": {"/a": {"get": {"responses": {"200": {
            "description": "ok",
            "headers": {"Link": {"type": "string", "description": "d"}}
        }}}}}});
        let mut d = Diagnostics::new();
        normalize(Path::new("x.yaml"), &mut doc, &mut d);
        assert_eq!(
            doc.pointer("/paths/~1a/get/responses/200/headers/Link"),
            Some(&json!({"description": "d", "schema": {"type": "string"}}))
        );
        let w = d.iter().next().unwrap();
        assert_eq!(w.code, "IMS0112");
        assert_eq!(
            w.location,
            Location::pointer("x.yaml", "/paths/~1a/get/responses/200/headers/Link")
        );
    }

    #[test]
    fn boolean_enum_values_of_string_schema_become_strings() {
        let mut doc = json!({"components": {"schemas": {"B": {"type": "string", "enum": [true, false, "x"]}}}});
        let mut d = Diagnostics::new();
        normalize(Path::new("x.yaml"), &mut doc, &mut d);
        assert_eq!(
            doc.pointer("/components/schemas/B/enum"),
            Some(&json!(["true", "false", "x"]))
        );
        assert_eq!(d.iter().next().unwrap().code, "IMS0111");
    }

    #[test]
    fn examples_are_left_untouched() {
        let mut doc = json!({"example": {"type": "string", "enum": [true]}});
        let before = doc.clone();
        let mut d = Diagnostics::new();
        normalize(Path::new("x.yaml"), &mut doc, &mut d);
        assert_eq!(doc, before);
        assert!(d.is_empty());
    }

    #[test]
    fn numeric_exclusive_minimum_becomes_boolean() {
        let mut doc =
            json!({"components": {"schemas": {"N": {"type": "integer", "exclusiveMinimum": 0}}}});
        let mut d = Diagnostics::new();
        normalize(Path::new("x.yaml"), &mut doc, &mut d);
        assert_eq!(
            doc.pointer("/components/schemas/N"),
            Some(&json!({"type": "integer", "exclusiveMinimum": true, "minimum": 0}))
        );
    }
}
