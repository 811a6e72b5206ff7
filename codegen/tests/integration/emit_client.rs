//! The emitted `client` module: names that collide with the client's own methods or arguments
//! are renamed, collection operations get a page method and a record stream, constructs the
//! client expresses loosely still produce a method plus a warning, output is deterministic.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use crate::op_support;

use ims_codegen::emit::client::{client_diagnostics, client_name, render_client};
use op_support::{lower_ok, model};
use serde_json::json;

const SCOPE: &str = "https://purl.example.org/spec/x/v1p0/scope/core.readonly";
const OTHER: &str = "https://purl.example.org/spec/x/v1p0/scope/full.readonly";

fn paging_params() -> serde_json::Value {
    json!([
        {"name": "limit", "in": "query", "schema": {"type": "integer"}},
        {"name": "offset", "in": "query", "schema": {"type": "integer"}},
        {"name": "filter", "in": "query", "schema": {"type": "string"}},
        {"name": "fields", "in": "query", "schema": {"type": "array", "items": {"type": "string"}}},
        {"name": "query", "in": "query", "schema": {"type": "string"}}
    ])
}

fn sdd() -> serde_json::Value {
    let list = |schema: &str| json!({"description": "OK", "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}});
    json!({
        "openapi": "3.0.3",
        "info": {"title": "Things", "version": "1.0"},
        "servers": [{"url": "https://example.org/ims/things/v1p0"}],
        "security": [{"OAuth2CC": [SCOPE]}, {"OAuth2CC": [OTHER]}],
        "paths": {
            "/things": {"get": {"operationId": "listThings", "parameters": paging_params(),
                "responses": {"200": list("ThingSet")}}},
            "/thingsStream": {"get": {"operationId": "listThingsStream",
                "responses": {"200": {"description": "OK"}}}},
            "/new": {"post": {"operationId": "new",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}},
                "responses": {"201": {"description": "Created"}}}},
            "/odd": {"get": {"operationId": "listOdd", "parameters": paging_params(),
                "responses": {"200": list("Thing")}}},
            "/mixed/{id}": {"put": {"operationId": "putMixed",
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}},
                "responses": {"200": list("Thing"), "204": {"description": "No content"}}}}
        },
        "components": {
            "securitySchemes": {"OAuth2CC": {"type": "oauth2",
                "flows": {"clientCredentials": {"tokenUrl": "https://example.org/token",
                    "scopes": {SCOPE: "Core reads.", OTHER: "All reads."}}}}},
            "schemas": {
                "Thing": {"type": "object", "properties": {"id": {"type": "string"}}},
                "ThingSet": {"type": "object", "properties": {"things": {"type": "array", "items": {"$ref": "#/components/schemas/Thing"}}}}
            }
        }
    })
}

fn squash(text: &str) -> String {
    let s: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    s.replace(",]", "]").replace(",)", ")").replace(",}", "}")
}

#[test]
fn client_methods_follow_the_contract_and_collisions_are_renamed() {
    let (service, _) = lower_ok(sdd(), model(""));
    assert_eq!(client_name(&service), "ThingsClient");
    let text = render_client(&service).unwrap();
    syn::parse_file(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let s = squash(&text);
    // The collection: page + stream; `query` is the ListQuery argument, so the typed `query`
    // parameter is renamed; the other IMS parameters are not separate arguments.
    assert!(s.contains("pubasyncfnlist_things(&self,query2:rt::Option<&str>,query:rt::ListQuery)->rt::Result<rt::Page<super::models::ThingSet>,rt::ApiError>"), "{text}");
    assert!(
        s.contains(".arg(\"query\",&query2).list_query(&query)"),
        "{text}"
    );
    // `list_things_stream` is an operation's own name, so the stream method is renamed.
    assert!(s.contains("pubasyncfnlist_things_stream(&self)"), "{text}");
    assert!(s.contains("pubfnlist_things_stream2(&self,query2:rt::Option<&str>,query:rt::ListQuery)->implrt::RecordStream<super::models::Thing>+'_"), "{text}");
    assert!(s.contains("|page:super::models::ThingSet|page.things.unwrap_or_default()"));
    // `new` is the constructor: the operation is renamed.
    assert!(
        s.contains("pubasyncfnnew2(&self,body:&super::models::Thing)->rt::Result<(),rt::ApiError>"),
        "{text}"
    );
    assert!(s.contains(".json_body(\"application/json\",body)"));
    // Method, path template and scope alternatives come from the operation's catalogue entry;
    // path parameters fill the template (as single encoded segments, see `ApiRequest::arg`).
    assert!(
        s.contains("request(&ops::PUT_MIXED).arg(\"id\",&id)"),
        "{text}"
    );
}

#[test]
fn loose_constructs_compile_to_a_method_and_warn() {
    let (service, _) = lower_ok(sdd(), model(""));
    let text = squash(&render_client(&service).unwrap());
    // Not a wrapper: a page method, no stream.
    assert!(text.contains("pubasyncfnlist_odd(&self,query2:rt::Option<&str>,query:rt::ListQuery)->rt::Result<rt::Page<super::models::Thing>"));
    assert!(!text.contains("fnlist_odd_stream"));
    // 200 with a body and 204 without: any JSON.
    assert!(text.contains("pubasyncfnput_mixed(&self,id:&str,body:rt::Option<&super::models::Thing>)->rt::Result<rt::serde_json::Value"));
    assert!(text.contains(".optional_json_body(\"application/json\",body)"));
    let warnings: Vec<String> = client_diagnostics(&service)
        .iter()
        .map(|d| {
            assert!(d.code == "IMS0701" || d.code == "IMS0702", "{d}");
            assert!(!d.is_error());
            d.message.clone()
        })
        .collect();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(warnings.iter().any(|w| w.contains("listOdd")));
    assert!(warnings.iter().any(|w| w.contains("putMixed")));
}

#[test]
fn client_output_is_deterministic() {
    let (a, _) = lower_ok(sdd(), model(""));
    let (b, _) = lower_ok(sdd(), model(""));
    assert_eq!(render_client(&a).unwrap(), render_client(&b).unwrap());
}
