//! The security profile: `components.securitySchemes` and the model's pattern → [`SecurityProfile`].
//!
//! Every scheme kind OpenAPI 3.0 knows is lowered. What the IR cannot carry (implicit and password
//! flows, a second refresh URL) is a warning that says what is kept.

use std::collections::BTreeMap;

use openapiv3::{APIKeyLocation, OAuth2Flows, SecurityScheme};

use crate::diagnostics::{Diagnostic, Diagnostics, Location, codes};
use crate::ir::{SecurityPattern, SecurityProfile, SecuritySchemeKind};
use crate::load::LoadedSpec;
use crate::load::resolve::{Resolver, escape_pointer_token};
use crate::spec_model::SecurityPatternModel;

/// Extension holding the dynamic client registration endpoint (IMS Security Framework 1.1).
pub const REGISTRATION_URL_EXTENSION: &str = "x-imssf-registrationUrl";

/// Lowers the declared security schemes and settles the pattern (model first, else inferred).
pub fn lower_security_profile(
    loaded: &LoadedSpec,
    resolver: Resolver<'_>,
    diags: &mut Diagnostics,
) -> SecurityProfile {
    let path = &loaded.sdd_path;
    let mut schemes = Vec::new();
    if let Some(components) = &loaded.openapi.components {
        // BTreeMap: schemes sorted by name, whatever the file's order.
        let sorted: BTreeMap<&String, _> = components.security_schemes.iter().collect();
        for (name, scheme) in sorted {
            let pointer = format!("/components/securitySchemes/{}", escape_pointer_token(name));
            let resolved = match resolver.security_scheme(scheme, &pointer) {
                Ok(r) => r.item,
                Err(d) => {
                    diags.push(d);
                    continue;
                }
            };
            let (kind, description) = lower_scheme(resolved, path, &pointer, diags);
            schemes.push(crate::ir::SecurityScheme {
                name: name.clone(),
                kind,
                description,
            });
        }
    }
    let pattern = match loaded.model.security.pattern {
        Some(p) => {
            let pattern = pattern_from_model(p);
            check_pattern(pattern, &schemes, loaded, diags);
            pattern
        }
        None => infer_pattern(&schemes),
    };
    SecurityProfile { pattern, schemes }
}

fn pattern_from_model(p: SecurityPatternModel) -> SecurityPattern {
    match p {
        SecurityPatternModel::ClientCredentials => SecurityPattern::ClientCredentials,
        SecurityPatternModel::AuthorizationCode => SecurityPattern::AuthorizationCode,
        SecurityPatternModel::Lti => SecurityPattern::Lti,
        SecurityPatternModel::None => SecurityPattern::None,
    }
}

/// The pattern an SDD alone suggests: authorization code wins over client credentials (OB/CLR
/// declare the former; OneRoster the latter); OpenID Connect alone means LTI.
pub fn infer_pattern(schemes: &[crate::ir::SecurityScheme]) -> SecurityPattern {
    let mut has_cc = false;
    let mut has_ac = false;
    let mut has_oidc = false;
    for s in schemes {
        match &s.kind {
            SecuritySchemeKind::OAuth2 {
                client_credentials_token_url,
                authorization_url,
                ..
            } => {
                has_cc |= client_credentials_token_url.is_some();
                has_ac |= authorization_url.is_some();
            }
            SecuritySchemeKind::OpenIdConnect { .. } => has_oidc = true,
            SecuritySchemeKind::Http { .. } | SecuritySchemeKind::ApiKey { .. } => {}
        }
    }
    if has_ac {
        SecurityPattern::AuthorizationCode
    } else if has_cc {
        SecurityPattern::ClientCredentials
    } else if has_oidc {
        SecurityPattern::Lti
    } else {
        SecurityPattern::None
    }
}

/// Warns when the model's pattern needs a flow the SDD does not declare (the generated client would
/// have no token URL to start from).
fn check_pattern(
    pattern: SecurityPattern,
    schemes: &[crate::ir::SecurityScheme],
    loaded: &LoadedSpec,
    diags: &mut Diagnostics,
) {
    let has = |want_cc: bool| {
        schemes.iter().any(|s| match &s.kind {
            SecuritySchemeKind::OAuth2 {
                client_credentials_token_url,
                authorization_url,
                ..
            } => {
                if want_cc {
                    client_credentials_token_url.is_some()
                } else {
                    authorization_url.is_some()
                }
            }
            _ => false,
        })
    };
    let missing = match pattern {
        SecurityPattern::ClientCredentials if !has(true) => Some("a clientCredentials flow"),
        SecurityPattern::AuthorizationCode if !has(false) => Some("an authorizationCode flow"),
        _ => None,
    };
    if let Some(missing) = missing {
        let location = match &loaded.model_path {
            Some(p) => Location::pointer(p, "/security/pattern"),
            None => Location::pointer(&loaded.sdd_path, "/components/securitySchemes"),
        };
        diags.push(
            Diagnostic::new(
                codes::PATTERN_WITHOUT_FLOW,
                format!(
                    "the model's security pattern is {pattern:?} but no OAuth 2 scheme of the SDD declares {missing}; the generated code has no token URL from the SDD and must be configured with one"
                ),
                location,
            )
            .with_help("add the flow to `components.securitySchemes` or correct `security.pattern` in the model"),
        );
    }
}

fn lower_scheme(
    scheme: &SecurityScheme,
    path: &std::path::Path,
    pointer: &str,
    diags: &mut Diagnostics,
) -> (SecuritySchemeKind, Option<String>) {
    match scheme {
        SecurityScheme::OAuth2 {
            flows,
            description,
            extensions,
        } => {
            let registration_url = match extensions.get(REGISTRATION_URL_EXTENSION) {
                None => None,
                Some(serde_json::Value::String(s)) => Some(s.clone()),
                Some(other) => {
                    diags.push(
                        Diagnostic::new(
                            codes::REGISTRATION_URL_NOT_STRING,
                            format!(
                                "`{REGISTRATION_URL_EXTENSION}` must be a string URL, found `{other}`; it is ignored"
                            ),
                            Location::pointer(
                                path,
                                format!(
                                    "{pointer}/{}",
                                    escape_pointer_token(REGISTRATION_URL_EXTENSION)
                                ),
                            ),
                        )
                        .with_help("write the registration endpoint as a string"),
                    );
                    None
                }
            };
            let kind = lower_flows(flows, registration_url, path, pointer, diags);
            (kind, description.clone())
        }
        SecurityScheme::HTTP {
            scheme,
            bearer_format,
            description,
            ..
        } => (
            SecuritySchemeKind::Http {
                scheme: scheme.clone(),
                bearer_format: bearer_format.clone(),
            },
            description.clone(),
        ),
        SecurityScheme::APIKey {
            location,
            name,
            description,
            ..
        } => (
            SecuritySchemeKind::ApiKey {
                location: match location {
                    APIKeyLocation::Query => "query",
                    APIKeyLocation::Header => "header",
                    APIKeyLocation::Cookie => "cookie",
                }
                .to_owned(),
                name: name.clone(),
            },
            description.clone(),
        ),
        SecurityScheme::OpenIDConnect {
            open_id_connect_url,
            description,
            ..
        } => (
            SecuritySchemeKind::OpenIdConnect {
                url: open_id_connect_url.clone(),
            },
            description.clone(),
        ),
    }
}

fn lower_flows(
    flows: &OAuth2Flows,
    registration_url: Option<String>,
    path: &std::path::Path,
    pointer: &str,
    diags: &mut Diagnostics,
) -> SecuritySchemeKind {
    let mut scopes: BTreeMap<String, String> = BTreeMap::new();
    // The first description seen wins; flows are read in a fixed order.
    let mut add_scopes = |map: &indexmap::IndexMap<String, String>| {
        for (k, v) in map {
            scopes.entry(k.clone()).or_insert_with(|| v.clone());
        }
    };
    let mut refresh_urls: Vec<(&str, &String)> = Vec::new();
    let cc = flows.client_credentials.as_ref();
    let ac = flows.authorization_code.as_ref();
    if let Some(f) = cc {
        add_scopes(&f.scopes);
        if let Some(r) = &f.refresh_url {
            refresh_urls.push(("clientCredentials", r));
        }
    }
    if let Some(f) = ac {
        add_scopes(&f.scopes);
        if let Some(r) = &f.refresh_url {
            refresh_urls.push(("authorizationCode", r));
        }
    }
    for (flow, name) in [
        (flows.implicit.as_ref().map(|f| &f.scopes), "implicit"),
        (flows.password.as_ref().map(|f| &f.scopes), "password"),
    ] {
        if let Some(flow_scopes) = flow {
            add_scopes(flow_scopes);
            diags.push(
                Diagnostic::new(
                    codes::FLOW_NOT_IN_FRAMEWORK,
                    format!(
                        "the OAuth 2 `{name}` flow is not part of the IMS Security Framework and is not generated; its scopes are kept in the scope catalogue"
                    ),
                    Location::pointer(path, format!("{pointer}/flows/{name}")),
                )
                .with_help("use the clientCredentials or authorizationCode flow"),
            );
        }
    }
    if cc.is_none() && ac.is_none() && flows.implicit.is_none() && flows.password.is_none() {
        diags.push(
            Diagnostic::new(
                codes::SCHEME_WITHOUT_FLOW,
                "this OAuth 2 scheme declares no flow: the generated code has no token URL for it",
                Location::pointer(path, format!("{pointer}/flows")),
            )
            .with_help("declare `flows.clientCredentials` or `flows.authorizationCode`"),
        );
    }
    if let [(first_flow, first), rest @ ..] = refresh_urls.as_slice() {
        for (flow, other) in rest {
            if other != first {
                diags.push(Diagnostic::new(
                    codes::REFRESH_URLS_DIFFER,
                    format!(
                        "flows declare different refresh URLs; `{first}` (from `{first_flow}`) is used and `{other}` (from `{flow}`) is ignored"
                    ),
                    Location::pointer(path, format!("{pointer}/flows/{flow}/refreshUrl")),
                ));
            }
        }
    }
    SecuritySchemeKind::OAuth2 {
        client_credentials_token_url: cc.map(|f| f.token_url.clone()),
        authorization_url: ac.map(|f| f.authorization_url.clone()),
        authorization_code_token_url: ac.map(|f| f.token_url.clone()),
        refresh_url: refresh_urls.first().map(|(_, r)| (*r).clone()),
        registration_url,
        scopes,
    }
}
