//! Client metadata rules for registration and update (RFC 7591 §2, as profiled by IMS for
//! OB 3.0 / CLR 2.0): what is required, which URIs are acceptable, which grant types, response
//! types, authentication methods and scopes a dynamic client may have.

use serde_json::{Map, Value};

use super::RegistrationEndpoint;
use crate::authorization_server::error::{OAuthError, OAuthErrorCode};
#[cfg(feature = "client")]
use crate::authorization_server::jwks_fetch;
use crate::authorization_server::model::{GrantType, TokenEndpointAuthMethod};
use crate::authorization_server::scope;

/// URI-valued metadata (all https, all on one host).
const URI_FIELDS: &[&str] = &["client_uri", "logo_uri", "tos_uri", "policy_uri"];
/// Fields the IMS profile requires.
const IMS_REQUIRED: &[&str] = &[
    "client_name",
    "client_uri",
    "logo_uri",
    "tos_uri",
    "policy_uri",
    "software_id",
    "software_version",
    "redirect_uris",
    "scope",
];
/// Plain string metadata echoed back.
const STRING_FIELDS: &[&str] = &["client_name", "software_id", "software_version"];
const MAX_REDIRECT_URIS: usize = 20;
const MAX_FIELD_LEN: usize = 2048;

/// Metadata after validation.
pub(super) struct ValidatedMetadata {
    pub(super) metadata: Map<String, Value>,
    pub(super) auth_method: TokenEndpointAuthMethod,
    pub(super) grant_types: Vec<GrantType>,
    pub(super) redirect_uris: Vec<String>,
    pub(super) scopes: Vec<String>,
    pub(super) jwks: Option<Value>,
    pub(super) jwks_uri: Option<String>,
    pub(super) assertion_alg: Option<String>,
}

fn https_uri(raw: &str) -> Option<url::Url> {
    if raw.len() > MAX_FIELD_LEN || raw.contains('*') {
        return None;
    }
    let u = url::Url::parse(raw).ok()?;
    (u.scheme() == "https"
        && u.fragment().is_none()
        && u.username().is_empty()
        && u.password().is_none()
        && u.host_str().is_some_and(|h| !h.is_empty()))
    .then_some(u)
}

fn string_array(v: &Value, bad: OAuthError) -> Result<Vec<String>, OAuthError> {
    let Value::Array(items) = v else {
        return Err(bad);
    };
    items
        .iter()
        .map(|i| i.as_str().map(str::to_owned).ok_or(bad.clone()))
        .collect()
}

pub(super) fn validate(
    endpoint: &RegistrationEndpoint<'_>,
    req: &Map<String, Value>,
) -> Result<ValidatedMetadata, OAuthError> {
    if req.contains_key("software_statement") {
        return Err(OAuthError::bad_request(
            OAuthErrorCode::InvalidSoftwareStatement,
            "software statements are not accepted",
        ));
    }
    if req.contains_key("sector_identifier_uri") || req.contains_key("request_uris") {
        return Err(OAuthError::invalid_metadata(
            "sector_identifier_uri and request_uris are not supported",
        ));
    }
    if endpoint.policy.require_ims_metadata {
        for f in IMS_REQUIRED {
            if !req.contains_key(*f) {
                return Err(if *f == "redirect_uris" {
                    OAuthError::invalid_redirect_uri("redirect_uris is required")
                } else {
                    OAuthError::invalid_metadata("a required registration field is missing")
                });
            }
        }
    }
    let mut metadata = Map::new();
    let mut host: Option<String> = None;
    let mut same_host = |u: &url::Url| -> bool {
        let h = u.host_str().unwrap_or_default().to_ascii_lowercase();
        match &host {
            None => {
                host = Some(h);
                true
            }
            Some(existing) => *existing == h,
        }
    };
    // redirect_uris: an array of https URIs without fragments, wildcards or userinfo.
    let redirect_uris = match req.get("redirect_uris") {
        None => Vec::new(),
        Some(v) => {
            let bad =
                OAuthError::invalid_redirect_uri("redirect_uris must be an array of https URIs");
            let uris = string_array(v, bad.clone())?;
            if uris.is_empty() || uris.len() > MAX_REDIRECT_URIS {
                return Err(bad);
            }
            for u in &uris {
                let parsed = https_uri(u).ok_or(OAuthError::invalid_redirect_uri(
                    "every redirect URI must be an absolute https URI without fragment, userinfo or wildcard",
                ))?;
                if !same_host(&parsed) {
                    return Err(OAuthError::invalid_redirect_uri(
                        "all URIs in the registration must share one host name",
                    ));
                }
            }
            metadata.insert("redirect_uris".into(), v.clone());
            uris
        }
    };
    for f in URI_FIELDS {
        if let Some(v) = req.get(*f) {
            let parsed = v
                .as_str()
                .and_then(https_uri)
                .ok_or(OAuthError::invalid_metadata(
                    "client_uri, logo_uri, tos_uri and policy_uri must be https URIs",
                ))?;
            if !same_host(&parsed) {
                return Err(OAuthError::invalid_metadata(
                    "all URIs in the registration must share one host name",
                ));
            }
            metadata.insert((*f).into(), v.clone());
        }
    }
    for f in STRING_FIELDS {
        if let Some(v) = req.get(*f) {
            match v.as_str() {
                Some(s) if !s.is_empty() && s.len() <= MAX_FIELD_LEN => {
                    metadata.insert((*f).into(), v.clone());
                }
                _ => {
                    return Err(OAuthError::invalid_metadata(
                        "client_name, software_id and software_version must be non-empty strings",
                    ));
                }
            }
        }
    }
    if let Some(v) = req.get("contacts") {
        let contacts = string_array(
            v,
            OAuthError::invalid_metadata("contacts must be an array of strings"),
        )?;
        if contacts.len() > 20 || contacts.iter().any(|c| c.len() > 320) {
            return Err(OAuthError::invalid_metadata(
                "too many or too long contacts",
            ));
        }
        metadata.insert("contacts".into(), v.clone());
    }
    // Grant and response types (RFC 7591 §2.1 consistency).
    let grant_types = match req.get("grant_types") {
        None => vec![GrantType::AuthorizationCode],
        Some(v) => {
            let names = string_array(
                v,
                OAuthError::invalid_metadata("grant_types must be an array of strings"),
            )?;
            let mut out = Vec::new();
            for n in &names {
                let g = GrantType::parse(n)
                    .filter(|g| endpoint.policy.grant_types.contains(g))
                    .ok_or(OAuthError::invalid_metadata(
                        "a requested grant type is not allowed for dynamic clients",
                    ))?;
                if !out.contains(&g) {
                    out.push(g);
                }
            }
            if out.is_empty() {
                return Err(OAuthError::invalid_metadata(
                    "grant_types must not be empty",
                ));
            }
            out
        }
    };
    let response_types = match req.get("response_types") {
        None => {
            if grant_types.contains(&GrantType::AuthorizationCode) {
                vec!["code".to_owned()]
            } else {
                Vec::new()
            }
        }
        Some(v) => string_array(
            v,
            OAuthError::invalid_metadata("response_types must be an array of strings"),
        )?,
    };
    if response_types.iter().any(|r| r != "code") {
        return Err(OAuthError::invalid_metadata(
            "only the code response type is supported",
        ));
    }
    let wants_code = !response_types.is_empty();
    if wants_code != grant_types.contains(&GrantType::AuthorizationCode) {
        return Err(OAuthError::invalid_metadata(
            "response_types code and grant type authorization_code must go together",
        ));
    }
    if grant_types.contains(&GrantType::AuthorizationCode) && redirect_uris.is_empty() {
        return Err(OAuthError::invalid_redirect_uri(
            "redirect_uris is required for the authorization code grant",
        ));
    }
    metadata.insert(
        "grant_types".into(),
        grant_types
            .iter()
            .map(|g| g.as_str())
            .collect::<Vec<_>>()
            .into(),
    );
    metadata.insert("response_types".into(), response_types.into());
    // Client authentication.
    if req.contains_key("jwks") && req.contains_key("jwks_uri") {
        return Err(OAuthError::invalid_metadata(
            "jwks and jwks_uri are mutually exclusive",
        ));
    }
    let jwks_uri = match req.get("jwks_uri") {
        None => None,
        Some(v) => {
            let bad = || {
                OAuthError::invalid_metadata(
                    "jwks_uri must be an https URI on the client's host, not an internal address",
                )
            };
            let parsed = v.as_str().and_then(https_uri).ok_or_else(bad)?;
            if !jwks_uri_host_allowed(endpoint, &parsed) || !same_host(&parsed) {
                return Err(bad());
            }
            Some(parsed.as_str().to_owned())
        }
    };
    let auth_method = match req.get("token_endpoint_auth_method").map(|v| v.as_str()) {
        None | Some(Some("client_secret_basic")) => TokenEndpointAuthMethod::ClientSecretBasic,
        Some(Some("private_key_jwt")) => TokenEndpointAuthMethod::PrivateKeyJwt,
        _ => {
            return Err(OAuthError::invalid_metadata(
                "token_endpoint_auth_method must be client_secret_basic or private_key_jwt",
            ));
        }
    };
    let (jwks, assertion_alg) = if auth_method == TokenEndpointAuthMethod::PrivateKeyJwt {
        let jwks = match (req.get("jwks").cloned(), &jwks_uri) {
            (Some(j), None) => Some(j),
            (None, Some(_)) => None,
            _ => {
                return Err(OAuthError::invalid_metadata(
                    "private_key_jwt needs the client's public keys in jwks or jwks_uri",
                ));
            }
        };
        if let Some(jwks) = &jwks {
            let set: jsonwebtoken::jwk::JwkSet = serde_json::from_value(jwks.clone())
                .map_err(|_| OAuthError::invalid_metadata("jwks is not a valid JWK Set"))?;
            let private_or_symmetric = set.keys.is_empty()
                || set.keys.len() > 10
                || jwks["keys"].as_array().is_some_and(|ks| {
                    ks.iter()
                        .any(|k| k.get("d").is_some() || k.get("k").is_some() || k["kty"] == "oct")
                });
            if private_or_symmetric {
                return Err(OAuthError::invalid_metadata(
                    "jwks must hold 1 to 10 public asymmetric keys",
                ));
            }
            metadata.insert("jwks".into(), jwks.clone());
        }
        if let Some(uri) = &jwks_uri {
            metadata.insert("jwks_uri".into(), uri.clone().into());
        }
        let alg = match req
            .get("token_endpoint_auth_signing_alg")
            .map(|v| v.as_str())
        {
            None => "RS256".to_owned(),
            Some(Some(
                a @ ("RS256" | "RS384" | "RS512" | "PS256" | "ES256" | "ES384" | "EdDSA"),
            )) => a.to_owned(),
            _ => {
                return Err(OAuthError::invalid_metadata(
                    "token_endpoint_auth_signing_alg must be an asymmetric JWS algorithm",
                ));
            }
        };
        metadata.insert("token_endpoint_auth_signing_alg".into(), alg.clone().into());
        (jwks, Some(alg))
    } else {
        if jwks_uri.is_some() || req.contains_key("jwks") {
            return Err(OAuthError::invalid_metadata(
                "jwks and jwks_uri are only used with private_key_jwt",
            ));
        }
        (None, None)
    };
    metadata.insert(
        "token_endpoint_auth_method".into(),
        auth_method.as_str().into(),
    );
    // Scope: narrowed to what dynamic clients may have (never granted beyond it).
    let requested = match req.get("scope") {
        None => endpoint.policy.scopes.clone(),
        Some(Value::String(s)) => scope::parse(s)
            .map_err(|_| OAuthError::invalid_metadata("scope must be a space-separated string"))?,
        Some(_) => {
            return Err(OAuthError::invalid_metadata(
                "scope must be a space-separated string",
            ));
        }
    };
    let scopes: Vec<String> = requested
        .into_iter()
        .filter(|s| endpoint.policy.scopes.contains(s))
        .collect();
    if scopes.is_empty() {
        return Err(OAuthError::invalid_metadata(
            "none of the requested scopes can be granted",
        ));
    }
    metadata.insert("scope".into(), scope::join(&scopes).into());
    Ok(ValidatedMetadata {
        metadata,
        auth_method,
        grant_types,
        redirect_uris,
        scopes,
        jwks,
        jwks_uri,
        assertion_alg,
    })
}

/// A `jwks_uri` host may not be an internal IP literal (the fetch re-checks resolved addresses).
/// Without the `client` feature the server cannot fetch, so `jwks_uri` is refused.
fn jwks_uri_host_allowed(endpoint: &RegistrationEndpoint<'_>, url: &url::Url) -> bool {
    #[cfg(feature = "client")]
    {
        if endpoint.jwks_uri_policy.allow_private_addresses {
            return true;
        }
        match url.host() {
            Some(url::Host::Ipv4(ip)) => jwks_fetch::is_public(ip.into()),
            Some(url::Host::Ipv6(ip)) => jwks_fetch::is_public(ip.into()),
            Some(url::Host::Domain(d)) => !d.eq_ignore_ascii_case("localhost"),
            None => false,
        }
    }
    #[cfg(not(feature = "client"))]
    {
        let _ = (endpoint, url);
        false
    }
}
