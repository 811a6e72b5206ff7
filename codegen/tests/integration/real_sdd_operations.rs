//! The official 1EdTech SDDs (read from `../shared/ims/real-sdd/`, never copied into the
//! repository) lower without errors, with the operations, scopes and media types the specs define.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use crate::op_support;

use std::path::Path;

use ims_codegen::diagnostics::Diagnostics;
use ims_codegen::ir::{
    HttpMethod, MediaKind, ParamStyle, ResponseStatus, SecurityPattern, Service,
};
use op_support::{loaded, model, real_sdd_dir, with_code};

const OR: &str = "https://purl.imsglobal.org/spec/or/v1p2/scope/";

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn lower_file(path: &Path, value: serde_json::Value, model_yaml: &str) -> (Service, Diagnostics) {
    let mut spec = loaded(value, model(model_yaml));
    spec.sdd_path = path.to_path_buf();
    let mut diags = Diagnostics::new();
    let service = ims_codegen::lower::lower_service(&spec, &mut diags);
    let errors: Vec<String> = diags
        .iter()
        .filter(|d| d.is_error())
        .map(ToString::to_string)
        .collect();
    assert!(
        errors.is_empty(),
        "{}:\n{}",
        path.display(),
        errors.join("\n")
    );
    if std::env::var_os("SHOW_DIAGNOSTICS").is_some() {
        eprintln!("{}:\n{diags}", path.display());
    }
    (service.expect("no errors, so a service"), diags)
}

#[test]
fn oneroster_1p2_rostering_core_endpoints_accept_either_core_or_full_scope() {
    let dir = real_sdd_dir();
    let path = dir.join("or_v1p2_rostering_oas3.json");
    let model_yaml = format!(
        "security: {{pattern: client-credentials, same_requirement_scopes: any}}\nscopes:\n  {OR}roster.readonly:\n    implies: [roster-core.readonly]\nconventions: {{fields: comma-separated}}\n"
    );
    let (service, diags) = lower_file(&path, read_json(&path), &model_yaml);
    let diags: Vec<_> = diags.into_vec();

    assert_eq!(service.operations.len(), 41);
    assert_eq!(service.base_path, "/ims/oneroster/rostering/v1p2");
    assert_eq!(service.security.pattern, SecurityPattern::ClientCredentials);
    let core = format!("{OR}roster-core.readonly");
    let full = format!("{OR}roster.readonly");
    let demo = format!("{OR}roster-demographics.readonly");
    let either = vec![vec![core.clone()], vec![full.clone()]];
    let count = |want: &Vec<Vec<String>>| {
        service
            .operations
            .iter()
            .filter(|o| o.scopes.any_of == *want)
            .count()
    };
    assert_eq!(count(&either), 22);
    assert_eq!(count(&vec![vec![full.clone()]]), 17);
    assert_eq!(count(&vec![vec![demo.clone()]]), 2);
    assert!(
        service
            .operations
            .iter()
            .all(|o| o.method == HttpMethod::Get)
    );

    // Every `fields` is comma-separated, reported once.
    let fields: Vec<_> = service
        .operations
        .iter()
        .flat_map(|o| o.params.iter().filter(|p| p.name == "fields"))
        .collect();
    assert_eq!(fields.len(), 41);
    assert!(fields.iter().all(|p| p.style == ParamStyle::CommaSeparated));
    assert_eq!(with_code(&diags, "IMS0460").len(), 1);

    // Collections declare X-Total-Count on 200, and every operation has `default`.
    let get_all = service
        .operations
        .iter()
        .find(|o| o.id == "getAllAcademicSessions")
        .unwrap();
    assert!(
        get_all.responses[0]
            .headers
            .iter()
            .any(|h| h.name == "X-Total-Count")
    );
    assert!(
        service
            .operations
            .iter()
            .all(|o| o.responses.last().map(|r| r.status) == Some(ResponseStatus::Default))
    );

    let consts: Vec<(&str, &str)> = service
        .scopes
        .iter()
        .map(|s| (s.uri.as_str(), s.const_name.as_str()))
        .collect();
    assert_eq!(
        consts,
        [
            (core.as_str(), "ROSTER_CORE_READONLY"),
            (demo.as_str(), "ROSTER_DEMOGRAPHICS_READONLY"),
            (full.as_str(), "ROSTER_READONLY"),
        ]
    );
    assert_eq!(service.scopes[2].implies, [core]);
}

#[test]
fn open_badges_3p0_has_public_discovery_text_bodies_and_304s() {
    let dir = real_sdd_dir();
    let path = dir.join("ob_v3p0_oas.json");
    let (service, _) = lower_file(&path, read_json(&path), "");
    assert_eq!(service.base_path, "/ims/ob/v3p0");
    assert_eq!(service.security.pattern, SecurityPattern::AuthorizationCode);
    let discovery = service.discovery.as_ref().unwrap();
    assert_eq!(discovery.path, "/discovery");
    let disc_op = service.operations.iter().find(|o| o.is_discovery).unwrap();
    assert!(disc_op.scopes.is_public());
    assert_eq!(
        service
            .operations
            .iter()
            .filter(|o| !o.is_discovery)
            .count(),
        4
    );
    assert!(
        service
            .operations
            .iter()
            .filter(|o| !o.is_discovery)
            .all(|o| o.scopes.any_of.len() == 1 && o.scopes.any_of[0].len() == 1)
    );

    let upsert = service
        .operations
        .iter()
        .find(|o| o.id == "upsertCredential")
        .unwrap();
    let kinds: Vec<MediaKind> = upsert
        .request_body
        .as_ref()
        .unwrap()
        .contents
        .iter()
        .map(|c| c.kind)
        .collect();
    assert!(kinds.contains(&MediaKind::Json) && kinds.contains(&MediaKind::Text));
    assert!(
        upsert
            .responses
            .iter()
            .any(|r| r.status == ResponseStatus::Code(304))
    );
    let put = service
        .operations
        .iter()
        .find(|o| o.id == "putProfile")
        .unwrap();
    assert!(
        put.responses
            .iter()
            .any(|r| r.status == ResponseStatus::Code(304))
    );
}

#[test]
fn case_1p1_without_security_is_all_public() {
    let dir = real_sdd_dir();
    let path = dir.join("case_v1p1_oas3.json");
    let (service, _) = lower_file(&path, read_json(&path), "");
    assert_eq!(service.base_path, "/ims/case/v1p1");
    assert_eq!(service.security.pattern, SecurityPattern::None);
    assert!(service.security.schemes.is_empty());
    assert!(service.scopes.is_empty());
    assert_eq!(service.operations.len(), 12);
    assert!(service.operations.iter().all(|o| o.scopes.is_public()));
}

#[test]
fn lti_ags_2p0_vendor_media_types_lower_without_components() {
    let dir = real_sdd_dir();
    let path = dir.join("lti_ags_v2p0_oas3.yaml");
    let mut diags = Diagnostics::new();
    // Through the loader: the YAML needs its quirk normalization, and the model is inferred.
    let spec = ims_codegen::load::load_sdd(&path, &mut diags)
        .unwrap_or_else(|| panic!("loading failed:\n{diags}"));
    let service = ims_codegen::lower::lower_service(&spec, &mut diags)
        .unwrap_or_else(|| panic!("lowering failed:\n{diags}"));
    assert!(!diags.has_errors(), "{diags}");
    assert!(service.operations.len() >= 6);
    assert!(service.operations.iter().all(|o| o.scopes.is_public()));
    let media: Vec<&str> = service
        .operations
        .iter()
        .flat_map(|o| o.responses.iter().flat_map(|r| r.contents.iter()))
        .filter(|c| c.kind == MediaKind::Json)
        .map(|c| c.media_type.as_str())
        .collect();
    assert!(media.contains(&"application/vnd.ims.lis.v2.lineitemcontainer+json"));
    assert!(media.iter().all(|m| m.starts_with("application/vnd.ims.")));
    let score = service
        .operations
        .iter()
        .find(|o| o.id == "Scores.POST")
        .unwrap();
    assert_eq!(score.fn_name, "scores_post");
    assert_eq!(
        score.request_body.as_ref().unwrap().contents[0].media_type,
        "application/vnd.ims.lis.v1.score+json"
    );
    let text = ims_codegen::emit::emit_service(&service).unwrap_or_else(|d| panic!("{d}"));
    assert!(syn::parse_file(&text).is_ok());
}
