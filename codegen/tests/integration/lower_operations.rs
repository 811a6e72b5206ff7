//! Operations, parameters, bodies, responses, security requirements and the scope catalogue in the
//! IR, each rule on a small inline SDD.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use crate::op_support;

use ims_codegen::diagnostics::{Location, Severity};
use ims_codegen::ir::{
    HttpMethod, MediaKind, ParamLocation, ParamStyle, ResponseStatus, SecurityPattern,
    SecuritySchemeKind, TypeRef,
};
use op_support::{has, lower, lower_ok, model, ok_response, with_code};
use serde_json::{Value, json};

const CORE: &str = "https://purl.example.org/spec/x/v1p0/scope/core.readonly";
const FULL: &str = "https://purl.example.org/spec/x/v1p0/scope/full.readonly";
const WRITE: &str = "https://purl.example.org/spec/x/v1p0/scope/write";

fn sdd(paths: Value) -> Value {
    json!({
        "openapi": "3.0.3",
        "info": {"title": "Things", "version": "1.0"},
        "servers": [{"url": "https://{host}/ims/things/{ver}", "variables": {
            "host": {"default": "example.org"}, "ver": {"default": "v1p0"}}}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "OAuth2CC": {"type": "oauth2", "description": "Client credentials.", "flows": {
                    "clientCredentials": {"tokenUrl": "https://example.org/token", "scopes": {
                        CORE: "Core reads.", FULL: "All reads.", WRITE: "Writes."}}}}
            },
            "parameters": {
                "limit": {"name": "limit", "in": "query", "schema": {"type": "integer", "default": 100}},
                "fields": {"name": "fields", "in": "query", "style": "form",
                           "schema": {"type": "array", "items": {"type": "string"}}}
            },
            "schemas": {
                "Thing": {"type": "object", "properties": {"id": {"type": "string"}}}
            }
        }
    })
}

fn get(op_id: &str) -> Value {
    json!({"get": {"operationId": op_id, "responses": ok_response()}})
}

#[test]
fn operations_are_sorted_by_path_then_method_with_base_path_from_servers() {
    let doc = sdd(json!({
        "/things": {"post": {"operationId": "createThing", "responses": ok_response()},
                    "get": {"operationId": "getThings", "responses": ok_response()}},
        "/a": get("getA"),
    }));
    let (service, _) = lower_ok(doc, model(""));
    assert_eq!(service.base_path, "/ims/things/v1p0");
    let ops: Vec<(&str, HttpMethod, &str)> = service
        .operations
        .iter()
        .map(|o| (o.path.as_str(), o.method, o.id.as_str()))
        .collect();
    assert_eq!(
        ops,
        [
            ("/a", HttpMethod::Get, "getA"),
            ("/things", HttpMethod::Get, "getThings"),
            ("/things", HttpMethod::Post, "createThing"),
        ]
    );
    assert_eq!(service.operations[1].fn_name, "get_things");
    assert_eq!(service.operations[1].type_name, "GetThings");
    assert_eq!(service.operations[1].pointer, "/paths/~1things/get");
}

#[test]
fn model_base_path_wins_over_servers_and_is_normalized() {
    let (service, _) = lower_ok(sdd(json!({"/a": get("getA")})), model("base_path: /x/y/\n"));
    assert_eq!(service.base_path, "/x/y");
}

#[test]
fn missing_servers_mount_at_root_with_a_warning() {
    let mut doc = sdd(json!({"/a": get("getA")}));
    doc.as_object_mut().unwrap().remove("servers");
    let (service, diags) = lower_ok(doc, model(""));
    assert_eq!(service.base_path, "");
    assert!(has(&diags, Severity::Warning, "IMS0450"));
}

#[test]
fn missing_operation_id_is_derived_from_method_and_path() {
    let doc = sdd(json!({"/orgs/{sourcedId}/classes": {"parameters": [
        {"name": "sourcedId", "in": "path", "required": true, "schema": {"type": "string"}}],
        "get": {"responses": ok_response()}}}));
    let (service, diags) = lower_ok(doc, model(""));
    assert_eq!(service.operations[0].id, "getOrgsBySourcedIdClasses");
    assert_eq!(
        service.operations[0].fn_name,
        "get_orgs_by_sourced_id_classes"
    );
    assert!(has(&diags, Severity::Note, "IMS0444"));
}

#[test]
fn duplicate_operation_ids_are_errors() {
    let doc = sdd(json!({"/a": get("same"), "/b": get("same")}));
    let (service, diags) = lower(doc, model(""));
    assert!(service.is_none());
    let errs = with_code(&diags, "IMS0443");
    assert_eq!(errs.len(), 1);
    assert_eq!(
        errs[0].location,
        Location::pointer("sdd.json", "/paths/~1b/get/operationId")
    );
}

#[test]
fn fn_names_are_unique_even_when_ids_differ_only_in_case() {
    let doc = sdd(json!({"/a": get("getThing"), "/b": get("get_thing")}));
    let (service, diags) = lower_ok(doc, model(""));
    let names: Vec<&str> = service
        .operations
        .iter()
        .map(|o| o.fn_name.as_str())
        .collect();
    assert_eq!(names, ["get_thing", "get_thing2"]);
    assert!(has(&diags, Severity::Warning, "IMS0447"));
}

#[test]
fn paths_differing_only_in_variable_names_are_errors() {
    let p = |n: &str| json!([{"name": n, "in": "path", "required": true, "schema": {"type": "string"}}]);
    let doc = sdd(json!({
        "/orgs/{id}": {"parameters": p("id"), "get": {"operationId": "a", "responses": ok_response()}},
        "/orgs/{sourcedId}": {"parameters": p("sourcedId"), "get": {"operationId": "b", "responses": ok_response()}},
    }));
    let (service, diags) = lower(doc, model(""));
    assert!(service.is_none());
    assert!(has(&diags, Severity::Error, "IMS0442"));
}

#[test]
fn parameters_merge_path_and_operation_levels_with_operation_overriding() {
    let doc = sdd(json!({"/schools/{schoolId}/classes/{classId}": {
        "parameters": [
            {"name": "classId", "in": "path", "required": true, "schema": {"type": "string"}},
            {"name": "schoolId", "in": "path", "required": true, "schema": {"type": "string"}},
            {"name": "filter", "in": "query", "description": "path level", "schema": {"type": "string"}}
        ],
        "get": {"operationId": "getClasses", "responses": ok_response(), "parameters": [
            {"$ref": "#/components/parameters/limit"},
            {"name": "filter", "in": "query", "required": true, "description": "operation level", "schema": {"type": "string"}},
            {"name": "X-Trace", "in": "header", "schema": {"type": "string"}},
            {"name": "body", "in": "query", "schema": {"type": "string"}}
        ]}
    }}));
    let (service, _) = lower_ok(doc, model(""));
    let op = &service.operations[0];
    let view: Vec<(&str, ParamLocation, &str)> = op
        .params
        .iter()
        .map(|p| (p.name.as_str(), p.location, p.rust_name.as_str()))
        .collect();
    assert_eq!(
        view,
        [
            // Path parameters in template order, then query and header by name.
            ("schoolId", ParamLocation::Path, "school_id"),
            ("classId", ParamLocation::Path, "class_id"),
            ("body", ParamLocation::Query, "body2"),
            ("filter", ParamLocation::Query, "filter"),
            ("limit", ParamLocation::Query, "limit"),
            ("X-Trace", ParamLocation::Header, "x_trace"),
        ]
    );
    let filter = &op.params[3];
    assert!(filter.required);
    assert_eq!(filter.description.as_deref(), Some("operation level"));
    assert_eq!(
        filter.pointer,
        "/paths/~1schools~1{schoolId}~1classes~1{classId}/get/parameters/1"
    );
    let limit = &op.params[4];
    assert_eq!(limit.pointer, "/components/parameters/limit");
    assert_eq!(limit.default, Some(json!(100)));
    assert_eq!(
        limit.ty,
        TypeRef::Primitive(ims_codegen::ir::Primitive::I64)
    );
    assert!(op.params[0].required);
}

#[test]
fn template_variables_and_path_parameters_must_match() {
    let doc = sdd(
        json!({"/orgs/{id}": {"get": {"operationId": "a", "responses": ok_response(),
        "parameters": [{"name": "other", "in": "path", "required": true, "schema": {"type": "string"}}]}}}),
    );
    let (service, diags) = lower(doc, model(""));
    assert!(service.is_none());
    assert!(has(&diags, Severity::Error, "IMS0403"));
    assert!(has(&diags, Severity::Error, "IMS0404"));
}

#[test]
fn optional_path_parameters_are_treated_as_required_with_a_warning() {
    let doc = sdd(
        json!({"/orgs/{id}": {"get": {"operationId": "a", "responses": ok_response(),
        "parameters": [{"name": "id", "in": "path", "schema": {"type": "string"}}]}}}),
    );
    let (service, diags) = lower_ok(doc, model(""));
    assert!(service.operations[0].params[0].required);
    assert!(has(&diags, Severity::Warning, "IMS0409"));
}

#[test]
fn array_styles_follow_style_and_explode() {
    let arr = json!({"type": "array", "items": {"type": "string"}});
    let doc = sdd(
        json!({"/t/{ids}": {"get": {"operationId": "a", "responses": ok_response(), "parameters": [
            {"name": "ids", "in": "path", "required": true, "schema": arr},
            {"name": "exploded", "in": "query", "schema": arr},
            {"name": "comma", "in": "query", "explode": false, "schema": arr},
            {"name": "space", "in": "query", "style": "spaceDelimited", "schema": arr},
            {"name": "pipe", "in": "query", "style": "pipeDelimited", "schema": arr},
            {"name": "json", "in": "query", "content": {"application/json": {"schema": {"type": "object"}}}},
            {"name": "X-List", "in": "header", "schema": arr},
            {"name": "scalar", "in": "query", "schema": {"type": "string"}}
        ]}}}),
    );
    let (service, _) = lower_ok(doc, model(""));
    let styles: Vec<(&str, ParamStyle)> = service.operations[0]
        .params
        .iter()
        .map(|p| (p.name.as_str(), p.style))
        .collect();
    assert_eq!(
        styles,
        [
            ("ids", ParamStyle::CommaSeparated),
            ("comma", ParamStyle::CommaSeparated),
            ("exploded", ParamStyle::FormExploded),
            ("json", ParamStyle::Json),
            ("pipe", ParamStyle::PipeDelimited),
            ("scalar", ParamStyle::Scalar),
            ("space", ParamStyle::SpaceDelimited),
            ("X-List", ParamStyle::CommaSeparated),
        ]
    );
}

#[test]
fn unsupported_parameter_encodings_are_errors_not_guesses() {
    for param in [
        json!({"name": "o", "in": "query", "schema": {"type": "object", "properties": {"a": {"type": "string"}}}}),
        json!({"name": "o", "in": "query", "style": "deepObject", "schema": {"type": "string"}}),
        json!({"name": "o", "in": "query", "content": {"text/csv": {"schema": {"type": "string"}}}}),
    ] {
        let doc = sdd(
            json!({"/t": {"get": {"operationId": "a", "responses": ok_response(), "parameters": [param]}}}),
        );
        let (service, diags) = lower(doc, model(""));
        assert!(service.is_none(), "{param} should be refused");
        assert!(has(&diags, Severity::Error, "IMS0405"), "{diags:?}");
    }
}

#[test]
fn reserved_headers_in_parameters_are_ignored_with_a_warning() {
    let doc = sdd(
        json!({"/t": {"get": {"operationId": "a", "responses": ok_response(), "parameters": [
        {"name": "Authorization", "in": "header", "schema": {"type": "string"}}]}}}),
    );
    let (service, diags) = lower_ok(doc, model(""));
    assert!(service.operations[0].params.is_empty());
    assert!(has(&diags, Severity::Warning, "IMS0402"));
}

#[test]
fn oneroster_fields_is_comma_separated_with_one_warning_per_service() {
    let doc = sdd(json!({
        "/a": {"get": {"operationId": "a", "responses": ok_response(), "parameters": [{"$ref": "#/components/parameters/fields"}]}},
        "/b": {"get": {"operationId": "b", "responses": ok_response(), "parameters": [
            {"name": "fields", "in": "query", "style": "form", "schema": {"type": "array", "items": {"type": "string"}}}]}},
    }));
    let (service, diags) = lower_ok(
        doc.clone(),
        model("conventions: {fields: comma-separated}\n"),
    );
    for op in &service.operations {
        assert_eq!(op.params[0].style, ParamStyle::CommaSeparated);
    }
    let warnings = with_code(&diags, "IMS0460");
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0].severity(), Severity::Warning);
    assert!(warnings[0].message.starts_with("2 `fields`"));

    let (service, diags) = lower_ok(doc, model("conventions: {fields: as-declared}\n"));
    assert_eq!(
        service.operations[0].params[0].style,
        ParamStyle::FormExploded
    );
    assert!(with_code(&diags, "IMS0460").is_empty());
}

#[test]
fn fields_already_comma_separated_needs_no_warning() {
    let doc = sdd(
        json!({"/a": {"get": {"operationId": "a", "responses": ok_response(), "parameters": [
        {"name": "fields", "in": "query", "explode": false, "schema": {"type": "array", "items": {"type": "string"}}}]}}}),
    );
    let (service, diags) = lower_ok(doc, model(""));
    assert_eq!(
        service.operations[0].params[0].style,
        ParamStyle::CommaSeparated
    );
    assert!(with_code(&diags, "IMS0460").is_empty());
}

#[test]
fn request_bodies_keep_every_media_type_json_first() {
    let thing = json!({"$ref": "#/components/schemas/Thing"});
    let mut doc = sdd(
        json!({"/t": {"post": {"operationId": "upsert", "responses": ok_response(),
        "requestBody": {"required": true, "description": "The thing.", "content": {
            "text/plain": {"schema": {"type": "string"}},
            "application/x-www-form-urlencoded": {"schema": thing},
            "application/vnd.ims.lis.v2.lineitem+json": {"schema": thing},
            "application/ld+json": {"schema": thing},
            "application/json": {"schema": thing},
            "application/octet-stream": {}
        }}}},
        "/r": {"put": {"operationId": "put", "responses": ok_response(),
            "requestBody": {"$ref": "#/components/requestBodies/ThingBody"}}}}),
    );
    doc["components"]["requestBodies"] =
        json!({"ThingBody": {"content": {"application/json": {"schema": thing}}}});
    let (service, _) = lower_ok(doc, model(""));
    let body = service.operations[1].request_body.as_ref().unwrap();
    assert!(body.required);
    assert_eq!(body.description.as_deref(), Some("The thing."));
    let media: Vec<(&str, MediaKind)> = body
        .contents
        .iter()
        .map(|c| (c.media_type.as_str(), c.kind))
        .collect();
    assert_eq!(
        media,
        [
            ("application/json", MediaKind::Json),
            ("application/ld+json", MediaKind::Json),
            ("application/vnd.ims.lis.v2.lineitem+json", MediaKind::Json),
            ("application/x-www-form-urlencoded", MediaKind::Form),
            ("text/plain", MediaKind::Text),
            ("application/octet-stream", MediaKind::Binary),
        ]
    );
    assert_eq!(body.contents[0].ty, Some(TypeRef::Named("Thing".into())));
    assert_eq!(
        body.contents[4].ty,
        Some(TypeRef::Primitive(ims_codegen::ir::Primitive::String))
    );
    assert_eq!(body.contents[5].ty, None);
    let by_ref = service.operations[0].request_body.as_ref().unwrap();
    assert!(!by_ref.required);
    assert_eq!(by_ref.contents.len(), 1);
}

#[test]
fn responses_are_sorted_codes_then_ranges_then_default_with_headers() {
    let mut doc = sdd(json!({"/t": {"get": {"operationId": "list", "responses": {
        "default": {"description": "Error."},
        "4XX": {"description": "Client error."},
        "304": {"description": "Not modified."},
        "200": {"description": "Things.",
                "headers": {
                    "X-Total-Count": {"schema": {"type": "integer"}, "description": "Total."},
                    "Link": {"$ref": "#/components/headers/Link"}},
                "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Thing"}}}},
                "links": {"next": {"operationId": "list"}}},
        "404": {"$ref": "#/components/responses/NotFound"}
    }}}}));
    doc["components"]["headers"] =
        json!({"Link": {"required": true, "schema": {"type": "string"}}});
    doc["components"]["responses"] = json!({"NotFound": {"description": "Missing."}});
    let (service, diags) = lower_ok(doc, model(""));
    let responses = &service.operations[0].responses;
    let statuses: Vec<ResponseStatus> = responses.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        [
            ResponseStatus::Code(200),
            ResponseStatus::Code(304),
            ResponseStatus::Code(404),
            ResponseStatus::Range(4),
            ResponseStatus::Default,
        ]
    );
    let ok = &responses[0];
    let headers: Vec<(&str, &str, bool)> = ok
        .headers
        .iter()
        .map(|h| (h.name.as_str(), h.rust_name.as_str(), h.required))
        .collect();
    assert_eq!(
        headers,
        [
            ("Link", "link", true),
            ("X-Total-Count", "x_total_count", false)
        ]
    );
    assert_eq!(
        ok.contents[0].ty,
        Some(TypeRef::Vec(Box::new(TypeRef::Named("Thing".into()))))
    );
    assert_eq!(responses[2].description, "Missing.");
    assert!(has(&diags, Severity::Note, "IMS0461"));
}

#[test]
fn operation_security_overrides_top_level_and_empty_list_means_public() {
    let mut doc = sdd(json!({
        "/inherit": get("inherit"),
        "/public": {"get": {"operationId": "public", "security": [], "responses": ok_response()}},
        "/own": {"get": {"operationId": "own", "security": [{"OAuth2CC": [WRITE]}], "responses": ok_response()}},
    }));
    doc["security"] = json!([{"OAuth2CC": [CORE]}]);
    let (service, _) = lower_ok(doc, model(""));
    let by_id = |id: &str| service.operations.iter().find(|o| o.id == id).unwrap();
    assert_eq!(by_id("inherit").scopes.any_of, [vec![CORE.to_owned()]]);
    assert!(by_id("public").scopes.is_public());
    assert_eq!(by_id("own").scopes.any_of, [vec![WRITE.to_owned()]]);
}

#[test]
fn no_security_anywhere_means_public() {
    let (service, _) = lower_ok(sdd(json!({"/a": get("a")})), model(""));
    assert!(service.operations[0].scopes.is_public());
}

#[test]
fn scopes_in_one_requirement_object_are_alternatives_under_any() {
    let doc = sdd(
        json!({"/a": {"get": {"operationId": "a", "responses": ok_response(),
        "security": [{"OAuth2CC": [FULL, CORE]}]}}}),
    );
    let (service, diags) = lower_ok(doc.clone(), model(""));
    assert_eq!(
        service.operations[0].scopes.any_of,
        [vec![CORE.to_owned()], vec![FULL.to_owned()]]
    );
    assert!(has(&diags, Severity::Note, "IMS0515"));

    let (service, diags) = lower_ok(doc, model("security: {same_requirement_scopes: all}\n"));
    assert_eq!(
        service.operations[0].scopes.any_of,
        [vec![CORE.to_owned(), FULL.to_owned()]]
    );
    assert!(with_code(&diags, "IMS0515").is_empty());
}

#[test]
fn requirement_objects_are_alternatives() {
    let mut doc = sdd(
        json!({"/a": {"get": {"operationId": "a", "responses": ok_response(),
        "security": [{"OAuth2CC": [WRITE, CORE]}, {"Bearer": []}, {"OAuth2CC": [WRITE]}]}}}),
    );
    doc["components"]["securitySchemes"]["Bearer"] = json!({"type": "http", "scheme": "bearer"});
    let (service, _) = lower_ok(
        doc.clone(),
        model("security: {same_requirement_scopes: all}\n"),
    );
    // The bearer alternative needs no scope, so it absorbs the others: any valid token.
    assert_eq!(service.operations[0].scopes.any_of, [Vec::<String>::new()]);
    assert!(!service.operations[0].scopes.is_public());

    doc["paths"]["/a"]["get"]["security"] =
        json!([{"OAuth2CC": [WRITE, CORE]}, {"OAuth2CC": [FULL]}]);
    let (service, _) = lower_ok(doc, model("security: {same_requirement_scopes: all}\n"));
    assert_eq!(
        service.operations[0].scopes.any_of,
        [
            vec![CORE.to_owned(), WRITE.to_owned()],
            vec![FULL.to_owned()]
        ]
    );
}

/// Two operations that allow anonymous calls (`{}`) besides a token, and one secured outright.
fn optional_security_sdd() -> Value {
    sdd(json!({
        "/open": {"get": {"operationId": "getOpen", "responses": ok_response(),
            "security": [{}, {"OAuth2CC": [CORE]}]}},
        "/also-open": {"get": {"operationId": "getAlsoOpen", "responses": ok_response(),
            "security": [{"OAuth2CC": [FULL]}, {}]}},
        "/closed": {"get": {"operationId": "getClosed", "responses": ok_response(),
            "security": [{"OAuth2CC": [CORE]}]}}
    }))
}

fn op<'a>(service: &'a ims_codegen::ir::Service, id: &str) -> &'a ims_codegen::ir::Operation {
    service.operations.iter().find(|o| o.id == id).unwrap()
}

fn served_security(service: &ims_codegen::ir::Service, path: &str) -> Value {
    let sdd: Value = serde_json::from_str(&service.sdd_json).unwrap();
    sdd["paths"][path]["get"]["security"].clone()
}

#[test]
fn an_anonymous_alternative_stays_secured_by_default_with_a_warning() {
    let (service, diags) = lower_ok(optional_security_sdd(), model(""));
    let open = op(&service, "getOpen");
    assert_eq!(open.scopes.any_of, [vec![CORE.to_owned()]]);
    assert_eq!(open.public_reason, None);
    let warnings = with_code(&diags, "IMS0511");
    assert_eq!(warnings.len(), 2, "{diags:?}");
    assert_eq!(
        warnings[0].location,
        Location::pointer("sdd.json", "/paths/~1open/get/security/0")
    );
    assert!(
        warnings[0]
            .help
            .as_deref()
            .unwrap()
            .contains("security: {public:")
    );
    // The served SDD describes the deployment: a token is required, `{}` is gone.
    assert_eq!(
        served_security(&service, "/open"),
        json!([{"OAuth2CC": [CORE]}])
    );
    assert_eq!(
        served_security(&service, "/closed"),
        json!([{"OAuth2CC": [CORE]}])
    );
}

#[test]
fn only_an_empty_requirement_is_public_without_a_model_choice() {
    let doc = sdd(
        json!({"/a": {"get": {"operationId": "a", "responses": ok_response(),
        "security": [{}]}}}),
    );
    let (service, diags) = lower_ok(doc, model(""));
    assert!(service.operations[0].scopes.is_public());
    assert_eq!(service.operations[0].public_reason, None);
    assert!(diags.is_empty(), "{diags:?}");
}

#[test]
fn the_model_makes_listed_operations_public_and_the_served_sdd_says_so() {
    let (service, diags) = lower_ok(
        optional_security_sdd(),
        model(
            "security:\n  public:\n    operations: [getOpen]\n    reason: The standard requires no authorization\n",
        ),
    );
    assert!(
        diags.is_empty(),
        "a model that chose needs no warning: {diags:?}"
    );
    let open = op(&service, "getOpen");
    assert!(open.scopes.is_public());
    assert_eq!(
        open.public_reason.as_deref(),
        Some("The standard requires no authorization")
    );
    assert_eq!(served_security(&service, "/open"), json!([]));
    // Not listed: secured by its other alternative, `{}` left out of the served SDD.
    let also = op(&service, "getAlsoOpen");
    assert_eq!(also.scopes.any_of, [vec![FULL.to_owned()]]);
    assert_eq!(
        served_security(&service, "/also-open"),
        json!([{"OAuth2CC": [FULL]}])
    );
    assert_eq!(
        op(&service, "getClosed").scopes.any_of,
        [vec![CORE.to_owned()]]
    );
}

#[test]
fn a_model_cannot_make_public_what_the_sdd_secures_outright() {
    let (service, diags) = lower(
        optional_security_sdd(),
        model(
            "security:\n  public:\n    operations: [getOpen, getClosed]\n    reason: Open data\n",
        ),
    );
    assert!(service.is_none());
    let errs = with_code(&diags, "IMS0516");
    assert_eq!(errs.len(), 1, "{diags:?}");
    assert!(errs[0].message.contains("getClosed"), "{}", errs[0].message);
    assert_eq!(
        errs[0].location,
        Location::pointer("model.yaml", "/security/public/operations/1")
    );
    assert!(errs[0].help.as_deref().unwrap().contains("add `{}`"));

    // `all` covers every operation, so one secured outright is the same error.
    let (service, diags) = lower(
        optional_security_sdd(),
        model("security:\n  public:\n    operations: all\n    reason: Open data\n"),
    );
    assert!(service.is_none());
    assert_eq!(with_code(&diags, "IMS0516").len(), 1, "{diags:?}");
}

#[test]
fn public_all_covers_every_operation_that_allows_anonymous_calls() {
    let mut doc = optional_security_sdd();
    doc["paths"]["/closed"]["get"]["security"] = json!([{}, {"OAuth2CC": [CORE]}]);
    let (service, diags) = lower_ok(
        doc,
        model("security:\n  public:\n    operations: all\n    reason: Open data.\n"),
    );
    assert!(diags.is_empty(), "{diags:?}");
    assert!(service.operations.iter().all(|o| o.scopes.is_public()));
    assert!(
        service
            .operations
            .iter()
            .all(|o| o.public_reason.as_deref() == Some("Open data."))
    );
}

#[test]
fn unknown_public_operations_and_keywords_are_errors_in_the_model() {
    let (service, diags) = lower(
        optional_security_sdd(),
        model("security:\n  public:\n    operations: [getOpen, getOpne]\n    reason: Open data\n"),
    );
    assert!(service.is_none());
    let errs = with_code(&diags, "IMS0517");
    assert_eq!(errs.len(), 1, "{diags:?}");
    assert!(errs[0].message.contains("getOpne"));
    assert_eq!(
        errs[0].location,
        Location::pointer("model.yaml", "/security/public/operations/1")
    );

    let (service, diags) = lower(
        optional_security_sdd(),
        model("security:\n  public:\n    operations: everything\n    reason: Open data\n"),
    );
    assert!(service.is_none());
    assert!(
        with_code(&diags, "IMS0517")[0]
            .message
            .contains("everything")
    );
}

#[test]
fn a_public_operation_needs_a_reason_and_an_empty_list_is_a_choice() {
    let (service, diags) = lower(
        optional_security_sdd(),
        model("security:\n  public:\n    operations: all\n"),
    );
    assert!(service.is_none());
    let errs = with_code(&diags, "IMS0518");
    assert_eq!(
        errs.len(),
        1,
        "one error for the model, not one per operation: {diags:?}"
    );
    assert_eq!(
        errs[0].location,
        Location::pointer("model.yaml", "/security/public")
    );

    // `operations: []` keeps every operation secured, deliberately: no reason, no warning.
    let mut doc = optional_security_sdd();
    doc["paths"]["/closed"]["get"]["security"] = json!([{}, {"OAuth2CC": [CORE]}]);
    let (service, diags) = lower_ok(doc, model("security:\n  public:\n    operations: []\n"));
    assert!(diags.is_empty(), "{diags:?}");
    assert!(service.operations.iter().all(|o| !o.scopes.is_public()));
}

#[test]
fn unknown_security_scheme_is_an_error_with_its_pointer() {
    let doc = sdd(
        json!({"/a": {"get": {"operationId": "a", "responses": ok_response(),
        "security": [{"OAuth2CC": [CORE]}, {"Missing": []}]}}}),
    );
    let (service, diags) = lower(doc, model(""));
    assert!(service.is_none());
    let errs = with_code(&diags, "IMS0512");
    assert_eq!(errs.len(), 1);
    assert_eq!(
        errs[0].location,
        Location::pointer("sdd.json", "/paths/~1a/get/security/1/Missing")
    );
    assert!(errs[0].help.as_deref().unwrap().contains("OAuth2CC"));
}

#[test]
fn undeclared_scope_is_kept_with_a_warning() {
    let doc = sdd(
        json!({"/a": {"get": {"operationId": "a", "responses": ok_response(),
        "security": [{"OAuth2CC": ["https://purl.example.org/other"]}]}}}),
    );
    let (service, diags) = lower_ok(doc, model(""));
    assert_eq!(
        service.operations[0].scopes.any_of,
        [vec!["https://purl.example.org/other".to_owned()]]
    );
    let warnings = with_code(&diags, "IMS0513");
    assert_eq!(warnings.len(), 1);
    assert_eq!(
        warnings[0].location,
        Location::pointer("sdd.json", "/paths/~1a/get/security/0/OAuth2CC/0")
    );
    assert!(
        service
            .scopes
            .iter()
            .any(|s| s.uri == "https://purl.example.org/other")
    );
}

#[test]
fn discovery_from_the_model_is_public_even_if_the_sdd_secures_it() {
    let mut doc = sdd(json!({"/discovery/sdd.json": get("getDiscovery"), "/a": get("a")}));
    doc["security"] = json!([{"OAuth2CC": [CORE]}]);
    let (service, diags) = lower_ok(doc, model("discovery: /discovery/sdd.json\n"));
    let disc = service.discovery.as_ref().unwrap();
    assert_eq!(disc.path, "/discovery/sdd.json");
    assert_eq!(disc.operation_id.as_deref(), Some("getDiscovery"));
    let op = service.operations.iter().find(|o| o.is_discovery).unwrap();
    assert!(op.scopes.is_public());
    assert!(has(&diags, Severity::Warning, "IMS0449"));
    assert!(
        !service
            .operations
            .iter()
            .find(|o| o.id == "a")
            .unwrap()
            .scopes
            .is_public()
    );
}

#[test]
fn discovery_is_found_in_the_sdd_without_a_model_entry() {
    let (service, _) = lower_ok(
        sdd(json!({"/discovery": get("getServiceDescription")})),
        model(""),
    );
    assert_eq!(service.discovery.as_ref().unwrap().path, "/discovery");
    assert!(service.operations[0].is_discovery);
}

#[test]
fn discovery_declared_only_in_the_model_has_no_operation() {
    let (service, _) = lower_ok(
        sdd(json!({"/a": get("a")})),
        model("base_path: /ims/x\ndiscovery: /ims/x/discovery/x.json\n"),
    );
    let disc = service.discovery.unwrap();
    // Written with the base path in front: accepted relative to it.
    assert_eq!(disc.path, "/discovery/x.json");
    assert_eq!(disc.operation_id, None);
    assert!(service.operations.iter().all(|o| !o.is_discovery));
}

#[test]
fn scope_catalogue_merges_flows_requirements_and_model() {
    let model_yaml = format!(
        "scopes:\n  {FULL}:\n    description: Ours.\n    implies: [core.readonly]\n  https://purl.example.org/extra: {{}}\n"
    );
    let doc = sdd(
        json!({"/a": {"get": {"operationId": "a", "responses": ok_response(),
        "security": [{"OAuth2CC": [CORE]}]}}}),
    );
    let (service, diags) = lower_ok(doc, model(&model_yaml));
    let view: Vec<(&str, &str, Option<&str>, Vec<&str>)> = service
        .scopes
        .iter()
        .map(|s| {
            (
                s.uri.as_str(),
                s.const_name.as_str(),
                s.description.as_deref(),
                s.implies.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        view,
        [
            ("https://purl.example.org/extra", "EXTRA", None, vec![]),
            (CORE, "CORE_READONLY", Some("Core reads."), vec![]),
            (FULL, "FULL_READONLY", Some("Ours."), vec![CORE]),
            (WRITE, "WRITE", Some("Writes."), vec![]),
        ]
    );
    // The model-only scope is suspicious (typo?) but kept.
    assert!(has(&diags, Severity::Warning, "IMS0520"));
}

/// Edu-API 1.0 publishes its scope URIs with `http://`: a scope is an opaque string to OAuth 2,
/// so it is kept byte for byte in requirements, catalogue and implications, and named like any
/// other.
#[test]
fn http_scope_uris_are_opaque_strings_kept_as_written() {
    const HTTP_CORE: &str = "http://purl.1edtech.org/spec/eduapi/v1p0/scope/core.readonly";
    const HTTP_PRIVACY: &str =
        "http://purl.1edtech.org/spec/eduapi/v1p0/scope/core.readonly.privacy";
    let mut doc = sdd(json!({
        "/a": {"get": {"operationId": "a", "responses": ok_response(),
            "security": [{"CCGSecurity": [HTTP_CORE]}]}},
        "/b": {"get": {"operationId": "b", "responses": ok_response(),
            "security": [{"CCGSecurity": [HTTP_PRIVACY]}]}}
    }));
    doc["components"]["securitySchemes"] = json!({"CCGSecurity": {"type": "oauth2", "flows": {
        "clientCredentials": {"tokenUrl": "https://example.org/token", "scopes": {
            HTTP_CORE: "Core.", HTTP_PRIVACY: "Privacy."}}}}});
    let model_yaml = format!("scopes:\n  {HTTP_PRIVACY}:\n    implies: [core.readonly]\n");
    let (service, diags) = lower_ok(doc, model(&model_yaml));
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(
        service.operations[0].scopes.any_of,
        [vec![HTTP_CORE.to_owned()]]
    );
    assert_eq!(
        service.operations[1].scopes.any_of,
        [vec![HTTP_PRIVACY.to_owned()]]
    );
    let view: Vec<(&str, &str, Vec<&str>)> = service
        .scopes
        .iter()
        .map(|s| {
            (
                s.uri.as_str(),
                s.const_name.as_str(),
                s.implies.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        view,
        [
            (HTTP_CORE, "CORE_READONLY", vec![]),
            (HTTP_PRIVACY, "CORE_READONLY_PRIVACY", vec![HTTP_CORE]),
        ]
    );
}

#[test]
fn unknown_implied_scope_is_an_error_pointing_into_the_model() {
    let model_yaml = format!("scopes:\n  {FULL}:\n    implies: [nope.readonly]\n");
    let (service, diags) = lower(sdd(json!({"/a": get("a")})), model(&model_yaml));
    assert!(service.is_none());
    let errs = with_code(&diags, "IMS0522");
    assert_eq!(errs.len(), 1);
    assert_eq!(
        errs[0].location,
        Location::pointer(
            "model.yaml",
            "/scopes/https:~1~1purl.example.org~1spec~1x~1v1p0~1scope~1full.readonly/implies/0"
        )
    );
}

#[test]
fn security_profile_lowers_every_scheme_kind() {
    let mut doc = sdd(json!({"/a": get("a")}));
    doc["components"]["securitySchemes"] = json!({
        "ACG": {"type": "oauth2", "x-imssf-registrationUrl": "https://example.org/register", "flows": {
            "authorizationCode": {"authorizationUrl": "https://example.org/auth", "tokenUrl": "https://example.org/token",
                                  "refreshUrl": "https://example.org/refresh", "scopes": {WRITE: "Writes."}}}},
        "Bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
        "Key": {"type": "apiKey", "in": "header", "name": "X-Key"},
        "Oidc": {"type": "openIdConnect", "openIdConnectUrl": "https://example.org/.well-known/openid-configuration"}
    });
    let (service, _) = lower_ok(doc, model(""));
    assert_eq!(service.security.pattern, SecurityPattern::AuthorizationCode);
    let names: Vec<&str> = service
        .security
        .schemes
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(names, ["ACG", "Bearer", "Key", "Oidc"]);
    match &service.security.schemes[0].kind {
        SecuritySchemeKind::OAuth2 {
            client_credentials_token_url,
            authorization_url,
            authorization_code_token_url,
            refresh_url,
            registration_url,
            scopes,
        } => {
            assert_eq!(*client_credentials_token_url, None);
            assert_eq!(
                authorization_url.as_deref(),
                Some("https://example.org/auth")
            );
            assert_eq!(
                authorization_code_token_url.as_deref(),
                Some("https://example.org/token")
            );
            assert_eq!(refresh_url.as_deref(), Some("https://example.org/refresh"));
            assert_eq!(
                registration_url.as_deref(),
                Some("https://example.org/register")
            );
            assert_eq!(scopes.get(WRITE).map(String::as_str), Some("Writes."));
        }
        other => panic!("expected OAuth2, got {other:?}"),
    }
    assert_eq!(
        service.security.schemes[1].kind,
        SecuritySchemeKind::Http {
            scheme: "bearer".into(),
            bearer_format: Some("JWT".into())
        }
    );
    assert_eq!(
        service.security.schemes[2].kind,
        SecuritySchemeKind::ApiKey {
            location: "header".into(),
            name: "X-Key".into()
        }
    );
    assert!(matches!(
        service.security.schemes[3].kind,
        SecuritySchemeKind::OpenIdConnect { .. }
    ));
}

#[test]
fn model_pattern_wins_and_a_missing_flow_is_reported() {
    let (service, diags) = lower_ok(
        sdd(json!({"/a": get("a")})),
        model("security: {pattern: authorization-code}\n"),
    );
    assert_eq!(service.security.pattern, SecurityPattern::AuthorizationCode);
    assert!(has(&diags, Severity::Warning, "IMS0501"));
}

#[test]
fn lowering_is_deterministic() {
    let doc = sdd(json!({
        "/b": {"get": {"operationId": "b", "security": [{"OAuth2CC": [FULL, CORE]}], "responses": ok_response()}},
        "/a": {"post": {"operationId": "a", "responses": {"default": {"description": "x"}, "201": {"description": "y"}},
              "requestBody": {"content": {"text/plain": {"schema": {"type": "string"}},
                                          "application/json": {"schema": {"type": "object", "properties": {"n": {"type": "integer"}}}}}}}},
    }));
    let (first, _) = lower_ok(doc.clone(), model(""));
    let (second, _) = lower_ok(doc, model(""));
    assert_eq!(first, second);
}

#[test]
fn none_is_returned_only_when_this_call_pushed_errors() {
    let spec = op_support::loaded(sdd(json!({"/a": get("a")})), model(""));
    let mut diags = ims_codegen::diagnostics::Diagnostics::new();
    diags.push(ims_codegen::diagnostics::Diagnostic::new(
        ims_codegen::diagnostics::codes::INPUT_UNREADABLE,
        "earlier stage",
        Location::None,
    ));
    assert!(ims_codegen::lower::lower_service(&spec, &mut diags).is_some());
}

#[test]
fn a_discovery_path_without_get_is_an_error() {
    let doc =
        sdd(json!({"/discovery": {"post": {"operationId": "p", "responses": ok_response()}}}));
    let (service, diags) = lower(doc, model("discovery: /discovery\n"));
    assert!(service.is_none());
    assert!(has(&diags, Severity::Error, "IMS0452"));
}
