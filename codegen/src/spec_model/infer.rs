//! Inferring a spec model from an SDD alone (`ims-codegen generate --sdd FILE`).

use std::collections::BTreeMap;
use std::path::Path;

use heck::ToSnakeCase;
use serde_json::Value;

use super::{
    ConventionsModel, ErrorsModel, FieldsModel, PagingModel, SecurityModel, SecurityPatternModel,
    SpecModel, UrlsModel, is_valid_module_name,
};

/// Words of an `info.title` that say nothing about the service.
const NOISE_WORDS: &[&str] = &[
    "openapi",
    "json",
    "yaml",
    "definition",
    "definitions",
    "schema",
    "for",
    "the",
    "of",
    "service",
    "services",
    "api",
    "specification",
    "binding",
    "rest",
    "oas",
    "oas3",
    "swagger",
];

impl SpecModel {
    /// Infers a model from an SDD (already parsed into a JSON value).
    ///
    /// - `module`: the acronym in parentheses of `info.title` (e.g. `(CASE)`) or the title without
    ///   filler words, snake_cased, plus `_v<major>p<minor>` from `info.version`; the file stem when
    ///   the title gives nothing usable.
    /// - `spec`/`service`: the same meaningful part of the title; `version`: `info.version`.
    /// - `base_path`: the path of the first `servers` URL, with server variables replaced by their defaults.
    /// - `security.pattern`: from the security schemes (`clientCredentials` → client-credentials,
    ///   `authorizationCode` → authorization-code, `openIdConnect` → lti, nothing → none);
    ///   `same_requirement_scopes` unset (so `any`, with a note where it matters).
    /// - `conventions`: `imsx` errors if an `imsx_StatusInfo`-like schema exists; paging from
    ///   `limit` + `offset` or `limit` + `page` query parameters; `discovery` from a `…/discovery` path.
    ///
    /// ```
    /// let sdd = serde_json::json!({
    ///     "openapi": "3.0.0",
    ///     "info": {"title": "OneRoster OpenAPI (JSON) Definition", "version": "1.2"},
    ///     "servers": [{"url": "https://example.org/ims/oneroster/rostering/v1p2"}],
    ///     "paths": {}
    /// });
    /// let m = ims_codegen::spec_model::SpecModel::infer(std::path::Path::new("/x/or.json"), &sdd);
    /// assert_eq!(m.module, "one_roster_v1p2");
    /// assert_eq!(m.base_path.as_deref(), Some("/ims/oneroster/rostering/v1p2"));
    /// ```
    pub fn infer(sdd_path: &Path, sdd: &Value) -> SpecModel {
        let info = sdd.get("info");
        let title = info
            .and_then(|i| i.get("title"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let version = info
            .and_then(|i| i.get("version"))
            .map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .unwrap_or_else(|| "0".to_string());
        let name = title_name(&title);
        let stem = sdd_path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("service")
            .to_snake_case();
        let module = module_name(&name, &version, &stem);
        let spec = if name.is_empty() {
            stem.clone()
        } else {
            name.clone()
        };
        SpecModel {
            service: spec.clone(),
            spec,
            version,
            module,
            sdd: sdd_path.to_path_buf(),
            base_path: infer_base_path(sdd),
            discovery: infer_discovery(sdd),
            security: SecurityModel {
                pattern: Some(infer_pattern(sdd)),
                // Not stated: `any` applies, and lowering notes where an SDD relies on it.
                same_requirement_scopes: None,
                // An SDD alone never makes a secured operation public.
                public: None,
            },
            scopes: BTreeMap::new(),
            conventions: ConventionsModel {
                errors: if has_imsx_schema(sdd) {
                    ErrorsModel::Imsx
                } else {
                    ErrorsModel::Plain
                },
                paging: infer_paging(sdd),
                fields: FieldsModel::AsDeclared,
                // The SDD cannot say that its URLs come from elsewhere.
                urls: UrlsModel::BaseUrl,
            },
        }
    }
}

/// The meaningful part of a title: the acronym in parentheses, or the title without filler words.
fn title_name(title: &str) -> String {
    if let (Some(open), Some(close)) = (title.find('('), title.find(')')) {
        let inner = title[open + 1..close].trim();
        if close > open
            && !inner.is_empty()
            && inner
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            && !NOISE_WORDS.contains(&inner.to_ascii_lowercase().as_str())
        {
            return inner.to_string();
        }
    }
    title
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && !NOISE_WORDS.contains(&w.to_ascii_lowercase().as_str()))
        .collect::<Vec<_>>()
        .join(" ")
}

fn module_name(name: &str, version: &str, stem: &str) -> String {
    let mut parts = version
        .trim_start_matches(['v', 'V'])
        .split('.')
        .map(|p| p.chars().filter(char::is_ascii_digit).collect::<String>());
    let major = parts
        .next()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "1".into());
    let minor = parts
        .next()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "0".into());
    let candidate = format!("{}_v{major}p{minor}", name.to_snake_case());
    if !name.is_empty() && is_valid_module_name(&candidate) {
        return candidate;
    }
    let stem: String = stem
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let stem = if stem.starts_with(|c: char| c.is_ascii_digit()) || stem.is_empty() {
        format!("sdd_{stem}")
    } else {
        stem
    };
    if is_valid_module_name(&stem) {
        stem
    } else {
        format!("{stem}_")
    }
}

fn infer_base_path(sdd: &Value) -> Option<String> {
    let server = sdd.get("servers")?.as_array()?.first()?;
    let mut url = server.get("url")?.as_str()?.to_string();
    if let Some(vars) = server.get("variables").and_then(Value::as_object) {
        for (name, var) in vars {
            if let Some(default) = var.get("default").and_then(Value::as_str) {
                url = url.replace(&format!("{{{name}}}"), default);
            }
        }
    }
    let after_scheme = url.split_once("://").map_or(url.as_str(), |(_, rest)| rest);
    let path = if url.contains("://") {
        after_scheme.find('/').map_or("", |i| &after_scheme[i..])
    } else if url.starts_with('/') {
        url.as_str()
    } else {
        after_scheme.find('/').map_or("", |i| &after_scheme[i..])
    };
    let path = path
        .split(['?', '#'])
        .next()
        .unwrap_or("")
        .trim_end_matches('/');
    if path.is_empty() || path.contains('{') {
        None
    } else {
        Some(path.to_string())
    }
}

fn infer_discovery(sdd: &Value) -> Option<String> {
    let paths = sdd.get("paths")?.as_object()?;
    paths
        .keys()
        .find(|p| {
            p.rsplit('/')
                .next()
                .is_some_and(|last| last == "discovery" || last.starts_with("discovery."))
        })
        .cloned()
}

fn infer_pattern(sdd: &Value) -> SecurityPatternModel {
    let Some(schemes) = sdd
        .pointer("/components/securitySchemes")
        .and_then(Value::as_object)
    else {
        return SecurityPatternModel::None;
    };
    let mut pattern = SecurityPatternModel::None;
    for scheme in schemes.values() {
        match scheme.get("type").and_then(Value::as_str) {
            Some("oauth2") => {
                let flows = scheme.get("flows");
                if flows.and_then(|f| f.get("authorizationCode")).is_some() {
                    return SecurityPatternModel::AuthorizationCode;
                }
                if flows.and_then(|f| f.get("clientCredentials")).is_some() {
                    pattern = SecurityPatternModel::ClientCredentials;
                }
            }
            Some("openIdConnect") if pattern == SecurityPatternModel::None => {
                pattern = SecurityPatternModel::Lti;
            }
            _ => {}
        }
    }
    pattern
}

fn has_imsx_schema(sdd: &Value) -> bool {
    sdd.pointer("/components/schemas")
        .and_then(Value::as_object)
        .is_some_and(|s| {
            s.keys()
                .any(|k| k.to_ascii_lowercase().starts_with("imsx_statusinfo"))
        })
}

fn infer_paging(sdd: &Value) -> PagingModel {
    let mut names = std::collections::BTreeSet::new();
    let mut collect = |params: Option<&Value>| {
        for p in params.and_then(Value::as_array).into_iter().flatten() {
            let p = match p.get("$ref").and_then(Value::as_str) {
                Some(r) => r
                    .strip_prefix('#')
                    .and_then(|ptr| sdd.pointer(ptr))
                    .unwrap_or(p),
                None => p,
            };
            if p.get("in").and_then(Value::as_str) == Some("query")
                && let Some(n) = p.get("name").and_then(Value::as_str)
            {
                names.insert(n.to_string());
            }
        }
    };
    if let Some(paths) = sdd.get("paths").and_then(Value::as_object) {
        for item in paths.values() {
            collect(item.get("parameters"));
            if let Some(item) = item.as_object() {
                for op in item.values() {
                    collect(op.get("parameters"));
                }
            }
        }
    }
    let has = |n: &str| names.contains(n);
    if has("limit") && has("offset") {
        PagingModel::LimitOffset
    } else if has("limit") && has("page") {
        PagingModel::LimitPage
    } else {
        PagingModel::None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn acronym_in_title_names_the_module() {
        let sdd = json!({"info": {"title": "Competencies and Academic Standards Exchange (CASE) Service OpenAPI (JSON) Definition", "version": "1.1"},
            "servers": [{"url": "https://{hostName}{basePath}", "variables": {"hostName": {"default": "h"}, "basePath": {"default": "/ims/case/v1p1"}}}]});
        let m = SpecModel::infer(Path::new("case.json"), &sdd);
        assert_eq!(m.module, "case_v1p1");
        assert_eq!(m.base_path.as_deref(), Some("/ims/case/v1p1"));
        assert_eq!(m.security.pattern, Some(SecurityPatternModel::None));
        assert_eq!(m.conventions.errors, ErrorsModel::Plain);
    }

    #[test]
    fn conventions_are_inferred_from_schemas_and_parameters() {
        let sdd = json!({"info": {"title": "Assignment and Grade Services", "version": "1.0.0"},
            "paths": {"/x": {"get": {"parameters": [{"name": "limit", "in": "query"}, {"name": "page", "in": "query"}]}},
                      "/discovery": {"get": {}}},
            "components": {"schemas": {"imsx_StatusInfoDType": {}},
                "securitySchemes": {"A": {"type": "oauth2", "flows": {"clientCredentials": {}}}}}});
        let m = SpecModel::infer(Path::new("ags.yaml"), &sdd);
        assert_eq!(m.module, "assignment_and_grade_v1p0");
        assert_eq!(m.conventions.paging, PagingModel::LimitPage);
        assert_eq!(m.conventions.errors, ErrorsModel::Imsx);
        assert_eq!(m.discovery.as_deref(), Some("/discovery"));
        assert_eq!(
            m.security.pattern,
            Some(SecurityPatternModel::ClientCredentials)
        );
    }

    #[test]
    fn empty_title_falls_back_to_file_stem() {
        let sdd = json!({"info": {"title": "", "version": "2"}});
        let m = SpecModel::infer(Path::new("/a/9-my-file.json"), &sdd);
        assert_eq!(m.module, "sdd_9_my_file");
    }
}
