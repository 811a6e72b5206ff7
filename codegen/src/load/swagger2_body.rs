//! A Swagger 2.0 body under an OpenAPI 3.x header (IMS0105).
//!
//! Some published files changed the `openapi` line and nothing else (the official CASE 1.1
//! "3.1" file is one). Read as 3.x they fail in many places at once (dangling `#/definitions/`
//! references, responses without `content`), and none of those diagnostics says what is wrong:
//! this check does, once, before any of them.

use std::path::Path;

use serde_json::Value;

use super::resolve::escape_pointer_token;
use crate::diagnostics::{Diagnostic, Diagnostics, Location, codes};

/// Root members that exist in Swagger 2.0 and not in OpenAPI 3.x.
const SWAGGER_2_ROOT_MEMBERS: &[&str] = &[
    "definitions",
    "basePath",
    "host",
    "schemes",
    "consumes",
    "produces",
    "securityDefinitions",
    "parameters",
    "responses",
];

/// What gave the body away.
#[derive(Debug, Default)]
struct Evidence {
    root_members: Vec<&'static str>,
    /// Responses with `schema` directly on them, and the first one's pointer.
    response_schemas: usize,
    /// Parameters `in: body` or `in: formData`.
    body_parameters: usize,
    /// Operations with `consumes`/`produces`.
    operation_media: usize,
    first: Option<String>,
    /// `$ref`s into `#/definitions/` (supporting evidence only: alone it is a dangling reference).
    definition_refs: usize,
}

impl Evidence {
    fn saw(&mut self, pointer: String) {
        self.first.get_or_insert(pointer);
    }

    fn is_swagger_2(&self) -> bool {
        !self.root_members.is_empty()
            || self.response_schemas > 0
            || self.body_parameters > 0
            || self.operation_media > 0
    }
}

/// Refuses an OpenAPI 3.x document whose body is Swagger 2.0. `declared` is its `openapi` value.
pub fn check(path: &Path, doc: &Value, declared: &str, diags: &mut Diagnostics) -> Option<()> {
    let Some(root) = doc.as_object() else {
        return Some(());
    };
    let mut ev = Evidence::default();
    for member in SWAGGER_2_ROOT_MEMBERS {
        if root.contains_key(*member) {
            ev.root_members.push(member);
            ev.saw(format!("/{member}"));
        }
    }
    for (template, item) in root
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let item_ptr = format!("/paths/{}", escape_pointer_token(template));
        for (method, op) in item.as_object().into_iter().flatten() {
            let op_ptr = format!("{item_ptr}/{}", escape_pointer_token(method));
            let Some(op) = op.as_object() else {
                continue;
            };
            if op.contains_key("consumes") || op.contains_key("produces") {
                ev.operation_media += 1;
                ev.saw(op_ptr.clone());
            }
            for (i, p) in op
                .get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                if matches!(
                    p.get("in").and_then(Value::as_str),
                    Some("body" | "formData")
                ) {
                    ev.body_parameters += 1;
                    ev.saw(format!("{op_ptr}/parameters/{i}"));
                }
            }
            for (status, r) in op
                .get("responses")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                if r.get("schema").is_some() {
                    ev.response_schemas += 1;
                    ev.saw(format!(
                        "{op_ptr}/responses/{}/schema",
                        escape_pointer_token(status)
                    ));
                }
            }
        }
    }
    if !ev.is_swagger_2() {
        return Some(());
    }
    count_definition_refs(doc, &mut ev.definition_refs);
    let mut found = Vec::new();
    if !ev.root_members.is_empty() {
        found.push(format!("root member(s) `{}`", ev.root_members.join("`, `")));
    }
    if ev.response_schemas > 0 {
        found.push(format!(
            "{} response(s) with `schema` directly on them instead of `content`",
            ev.response_schemas
        ));
    }
    if ev.body_parameters > 0 {
        found.push(format!(
            "{} parameter(s) `in: body`/`formData`",
            ev.body_parameters
        ));
    }
    if ev.operation_media > 0 {
        found.push(format!(
            "{} operation(s) with `consumes`/`produces`",
            ev.operation_media
        ));
    }
    if ev.definition_refs > 0 {
        found.push(format!(
            "{} `$ref`(s) into `#/definitions/`",
            ev.definition_refs
        ));
    }
    let mut help = "changing the `openapi` line does not convert a document: convert the whole file (for example with swagger2openapi), or use the spec's published OpenAPI 3.0 file".to_owned();
    if let Some(sibling) = published_3_0_sibling(path) {
        help.push_str(&format!(" (`{sibling}` next to this one)"));
    }
    diags.push(
        Diagnostic::new(
            codes::SWAGGER_2_BODY,
            format!(
                "the SDD declares `openapi: {declared}` but its body is Swagger 2.0: {}",
                found.join("; ")
            ),
            Location::pointer(path, ev.first.unwrap_or_default()),
        )
        .with_help(help),
    );
    None
}

/// 1EdTech names its files `<spec>_oas3p1.json` / `<spec>_oas3.json`: the 3.0 file, if it is there.
fn published_3_0_sibling(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    let sibling = name.replace("oas3p1", "oas3");
    (sibling != name && path.with_file_name(&sibling).is_file()).then_some(sibling)
}

fn count_definition_refs(value: &Value, count: &mut usize) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref")
                && r.starts_with("#/definitions/")
            {
                *count += 1;
            }
            map.values().for_each(|v| count_definition_refs(v, count));
        }
        Value::Array(items) => items.iter().for_each(|v| count_definition_refs(v, count)),
        _ => {}
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_3_1_header_over_a_swagger_2_body_is_refused_saying_so() {
        let doc = json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
            "paths": {"/a": {"get": {"responses": {"200": {"description": "ok",
                "schema": {"$ref": "#/definitions/A"}}}}}},
            "definitions": {"A": {"type": "string"}}});
        let mut d = Diagnostics::new();
        assert!(check(Path::new("x.json"), &doc, "3.1.0", &mut d).is_none());
        let e = d.iter().next().unwrap();
        assert_eq!(e.code, "IMS0105");
        assert!(e.message.contains("`openapi: 3.1.0`"), "{e}");
        assert!(e.message.contains("Swagger 2.0"), "{e}");
        assert!(e.message.contains("`definitions`"), "{e}");
        assert!(e.message.contains("1 response(s)"), "{e}");
        assert!(e.message.contains("1 `$ref`(s)"), "{e}");
        assert_eq!(e.location, Location::pointer("x.json", "/definitions"));
    }

    #[test]
    fn a_3_0_document_with_one_stray_definitions_ref_is_left_to_the_ref_check() {
        let doc = json!({"openapi": "3.0.3", "paths": {"/a": {"get": {"responses": {"200": {
            "description": "ok", "content": {"application/json": {"schema": {"$ref": "#/definitions/A"}}}}}}}}});
        let mut d = Diagnostics::new();
        assert!(check(Path::new("x.json"), &doc, "3.0.3", &mut d).is_some());
        assert!(d.is_empty());
    }
}
