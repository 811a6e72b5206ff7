//! The operation fixtures in `tests/fixtures/operations/`: each good one loads, lowers to the
//! expected IR and emits a parseable, deterministic module; each `error_*` one fails with the
//! codes in its `expect-errors.txt`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::path::{Path, PathBuf};

use ims_codegen::diagnostics::Diagnostics;
use ims_codegen::emit::emit_service;
use ims_codegen::ir::{
    MediaKind, ParamStyle, Payload, RecordsAccess, ResponseStatus, SecurityPattern, Service,
    TypeRef,
};

fn fixtures_dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/operations"
    ))
}

fn fixtures() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(fixtures_dir())
        .expect("tests/fixtures/operations exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("model.yaml").is_file())
        .collect();
    dirs.sort();
    assert!(
        dirs.len() >= 6,
        "expected the operation fixtures, found {dirs:?}"
    );
    dirs
}

fn run(dir: &Path) -> (Option<Service>, Diagnostics) {
    let mut diags = Diagnostics::new();
    let service = ims_codegen::load::load_model(&dir.join("model.yaml"), &mut diags)
        .and_then(|loaded| ims_codegen::lower::lower_service(&loaded, &mut diags));
    (service, diags)
}

fn good(name: &str) -> Service {
    let (service, diags) = run(&fixtures_dir().join(name));
    service.unwrap_or_else(|| panic!("{name} failed:\n{diags}"))
}

#[test]
fn good_fixtures_lower_and_emit_deterministic_parseable_modules() {
    for dir in fixtures() {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("error_") {
            continue;
        }
        let (service, diags) = run(&dir);
        let service = service.unwrap_or_else(|| panic!("{name} failed:\n{diags}"));
        let text = emit_service(&service).unwrap_or_else(|d| panic!("{name}: {d}"));
        let file = syn::parse_file(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(file.attrs.is_empty(), "{name}: inner attributes");
        // For compiling the output against ims-runtime by hand.
        if let Some(out) = std::env::var_os("EMIT_DUMP_DIR") {
            std::fs::write(Path::new(&out).join(format!("{name}.rs")), &text).unwrap();
        }
        let (again, _) = run(&dir);
        assert_eq!(
            emit_service(&again.unwrap()).unwrap(),
            text,
            "{name}: not deterministic"
        );
    }
}

#[test]
fn error_fixtures_fail_with_their_codes() {
    for dir in fixtures() {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        if !name.starts_with("error_") {
            continue;
        }
        let expected = std::fs::read_to_string(dir.join("expect-errors.txt")).unwrap();
        let (service, diags) = run(&dir);
        assert!(service.is_none(), "{name} should fail");
        for line in expected.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let codes: Vec<&str> = line.split('|').map(str::trim).collect();
            assert!(
                diags
                    .iter()
                    .any(|d| d.is_error() && codes.contains(&d.code.id())),
                "{name}: expected error {line}, got:\n{diags}"
            );
        }
    }
}

#[test]
fn same_object_scopes_are_alternatives_and_public_operations_need_none() {
    let s = good("scopes_any_of");
    let scope = |n: &str| format!("https://purl.example.org/spec/fixture/v1p0/scope/{n}");
    let req = |id: &str| {
        s.operations
            .iter()
            .find(|o| o.id == id)
            .unwrap()
            .scopes
            .any_of
            .clone()
    };
    assert_eq!(
        req("getAllItems"),
        [vec![scope("all.readonly")], vec![scope("core.readonly")]]
    );
    assert_eq!(req("getItemChildren"), [vec![scope("all.readonly")]]);
    assert_eq!(
        req("deleteItemChildren"),
        [vec![scope("admin")], vec![scope("write")]]
    );
    assert!(req("getStatus").is_empty());
    assert!(req("getDiscovery").is_empty());
    assert_eq!(
        s.discovery.as_ref().unwrap().operation_id.as_deref(),
        Some("getDiscovery")
    );
    let all = s
        .scopes
        .iter()
        .find(|d| d.uri == scope("all.readonly"))
        .unwrap();
    assert_eq!(all.implies, [scope("core.readonly")]);
    assert_eq!(
        all.description.as_deref(),
        Some("Read everything, including relationships.")
    );
}

#[test]
fn parameters_merge_resolve_and_take_their_styles() {
    let s = good("params_and_fields");
    assert_eq!(s.base_path, "/ims/params/v1p0");
    let op = &s.operations[0];
    let view: Vec<(&str, ParamStyle, bool)> = op
        .params
        .iter()
        .map(|p| (p.name.as_str(), p.style, p.required))
        .collect();
    assert_eq!(
        view,
        [
            ("schoolId", ParamStyle::Scalar, true),
            ("classId", ParamStyle::Scalar, true),
            ("fields", ParamStyle::CommaSeparated, false),
            ("filter", ParamStyle::Scalar, true),
            ("ids", ParamStyle::PipeDelimited, false),
            ("limit", ParamStyle::Scalar, false),
            ("tags", ParamStyle::CommaSeparated, false),
            ("where", ParamStyle::Json, false),
            ("X-Request-Id", ParamStyle::Scalar, false),
        ]
    );
}

#[test]
fn media_types_and_statuses_are_all_kept() {
    let s = good("media_and_responses");
    let get = s
        .operations
        .iter()
        .find(|o| o.id == "getCredentials")
        .unwrap();
    let statuses: Vec<ResponseStatus> = get.responses.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        [
            ResponseStatus::Code(200),
            ResponseStatus::Range(4),
            ResponseStatus::Default
        ]
    );
    let headers: Vec<&str> = get.responses[0]
        .headers
        .iter()
        .map(|h| h.name.as_str())
        .collect();
    assert_eq!(headers, ["Link", "X-Total-Count"]);
    let post = s
        .operations
        .iter()
        .find(|o| o.id == "upsertCredential")
        .unwrap();
    let kinds: Vec<(&str, MediaKind)> = post
        .request_body
        .as_ref()
        .unwrap()
        .contents
        .iter()
        .map(|c| (c.media_type.as_str(), c.kind))
        .collect();
    assert_eq!(
        kinds,
        [
            ("application/json", MediaKind::Json),
            ("application/ld+json", MediaKind::Json),
            ("application/vnd.ims.fixture.v1+json", MediaKind::Json),
            ("text/plain", MediaKind::Text),
        ]
    );
    let form = s
        .operations
        .iter()
        .find(|o| o.id == "postCredentialForm")
        .unwrap();
    assert_eq!(
        form.request_body.as_ref().unwrap().contents[0].kind,
        MediaKind::Form
    );
    let raw = s
        .operations
        .iter()
        .find(|o| o.id == "putCredentialRaw")
        .unwrap();
    assert_eq!(
        raw.request_body.as_ref().unwrap().contents[0].kind,
        MediaKind::Binary
    );
}

#[test]
fn a_page_of_two_arrays_streams_an_enum_of_both_records() {
    let s = good("credential_collections");
    let get = s.operations.iter().find(|o| o.id == "getItems").unwrap();
    assert!(get.is_collection());
    assert_eq!(get.api.stream_fn.as_deref(), Some("get_items_stream"));
    let Some(Payload::Json(page)) = &get.api.success.client_payload else {
        panic!("the page is JSON");
    };
    let records = page.records.as_ref().expect("the page has records");
    assert_eq!(records.record, TypeRef::Named("GetItemsRecord".into()));
    let RecordsAccess::Members(e) = &records.access else {
        panic!("two array members: {:?}", records.access);
    };
    let arms: Vec<(&str, &str, bool)> = e
        .arms
        .iter()
        .map(|a| (a.variant.as_str(), a.wire_name.as_str(), a.optional))
        .collect();
    // `item` is required (read as is), `signed` optional (`unwrap_or_default()`).
    assert_eq!(arms, [("Item", "item", false), ("Signed", "signed", true)]);
    // The server still answers the page with X-Total-Count and Link over both arrays.
    assert_eq!(
        get.api
            .success
            .collection_page()
            .map(|p| p.wrapper.is_none()),
        Some(true)
    );
    // `since` stays a typed argument of its own, outside the collection query.
    let since = get.params.iter().find(|p| p.name == "since").unwrap();
    assert!(!get.is_collection_param(since));
}

#[test]
fn a_required_body_of_two_media_types_is_an_enum_named_clear_of_the_models() {
    let s = good("credential_collections");
    let post = s.operations.iter().find(|o| o.id == "putItem").unwrap();
    let alts = post
        .request_body
        .as_ref()
        .and_then(|b| b.alternatives.as_ref())
        .expect("two media types make an enum");
    // `PutItemBody` is a schema of the SDD: the enum steps aside.
    assert_eq!(alts.enum_name, "PutItemBody2");
    let variants: Vec<(&str, &str)> = alts
        .variants
        .iter()
        .map(|v| (v.name.as_str(), v.content.media_type.as_str()))
        .collect();
    assert_eq!(
        variants,
        [("Json", "application/json"), ("Text", "text/plain")]
    );
    // 200 and 201 stay distinct variants of the handler's success enum.
    let statuses: Vec<(u16, &str)> = post
        .api
        .success
        .responses
        .iter()
        .map(|r| (r.status, r.variant.as_str()))
        .collect();
    assert_eq!(statuses, [(200, "Status200"), (201, "Status201")]);
    assert_eq!(
        post.api.success.enum_name.as_deref(),
        Some("PutItemSuccess")
    );
    // Several media types of one kind are named by media type.
    let media = good("media_and_responses");
    let upsert = media
        .operations
        .iter()
        .find(|o| o.id == "upsertCredential")
        .unwrap();
    let names: Vec<&str> = upsert
        .request_body
        .as_ref()
        .and_then(|b| b.alternatives.as_ref())
        .unwrap()
        .variants
        .iter()
        .map(|v| v.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "ApplicationJson",
            "ApplicationLdJson",
            "ApplicationVndImsFixtureV1Json",
            "Text"
        ]
    );
}

#[test]
fn every_scheme_kind_and_scheme_combination_is_lowered() {
    let s = good("security_schemes");
    assert_eq!(s.security.pattern, SecurityPattern::AuthorizationCode);
    assert_eq!(s.security.schemes.len(), 4);
    let req = |id: &str| {
        s.operations
            .iter()
            .find(|o| o.id == id)
            .unwrap()
            .scopes
            .any_of
            .clone()
    };
    // OAuth2 OR a bearer token with no scope: any authenticated caller.
    assert_eq!(req("getProfile"), [Vec::<String>::new()]);
    // OAuth2 AND an API key: the scope is what can be checked.
    assert_eq!(
        req("putProfile"),
        [vec![
            "https://purl.example.org/spec/schemes/v1p0/scope/profile.update".to_owned()
        ]]
    );
    assert_eq!(req("postLaunch"), [vec!["openid".to_owned()]]);
    assert!(s.scopes.iter().any(|d| d.uri == "openid"));
}

#[test]
fn the_model_chooses_which_optionally_secured_operations_are_public() {
    let s = good("public_operations");
    let op = |id: &str| s.operations.iter().find(|o| o.id == id).unwrap();
    let scope = |n: &str| format!("https://purl.example.org/spec/fixture/v1p0/scope/{n}");
    for id in ["getFrameworks", "getFramework"] {
        assert!(op(id).scopes.is_public(), "{id}");
        assert!(
            op(id)
                .public_reason
                .as_deref()
                .is_some_and(|r| r.starts_with("The standard lets frameworks be read")),
            "{id}"
        );
    }
    // Not listed: secured by its other alternative.
    assert_eq!(op("getDrafts").scopes.any_of, [vec![scope("read")]]);
    assert_eq!(op("getDrafts").public_reason, None);
    assert_eq!(op("publishFramework").scopes.any_of, [vec![scope("write")]]);
    // The served SDD says what the server does.
    let sdd: serde_json::Value = serde_json::from_str(&s.sdd_json).unwrap();
    let security = |path: &str, method: &str| sdd["paths"][path][method]["security"].clone();
    assert_eq!(security("/frameworks", "get"), serde_json::json!([]));
    assert_eq!(security("/frameworks/{id}", "get"), serde_json::json!([]));
    assert_eq!(
        security("/drafts", "get"),
        serde_json::json!([{"OAuth2CC": [scope("read")]}])
    );
    // The generated docs say that the operation is public and why.
    let text = emit_service(&s).unwrap();
    assert!(text.contains(
        "Public: needs no token. The SDD also allows a token; the spec model serves this operation without one: The standard lets frameworks be read"
    ));
    assert!(text.contains("Public: sends no token (the spec model serves this operation without one: The standard lets frameworks be read"));
}
