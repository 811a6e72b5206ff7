//! Dynamic client registration: `POST /register` (RFC 7591 as profiled by IMS OB 3.0 / CLR 2.0)
//! and `GET/PUT/DELETE /register/{client_id}` (RFC 7592).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use crate::authorization_server::error::{OAuthError, OAuthErrorCode, json_no_store};
#[cfg(feature = "client")]
use crate::authorization_server::jwks_fetch::{self, JwksUriPolicy};
use crate::authorization_server::model::{GrantType, RegisteredClient, TokenEndpointAuthMethod};
use crate::authorization_server::revocation::Revocations;
use crate::authorization_server::state::{ClientDirectory, RegistrationPolicy, ServerState};
use crate::authorization_server::{scope, secrets};

/// What the registration endpoints work with.
struct RegistrationEndpoint<'a> {
    policy: &'a RegistrationPolicy,
    clients: &'a ClientDirectory,
    /// Deleting a client revokes its grants.
    revocations: &'a Revocations,
    /// Base of `registration_client_uri`.
    issuer: &'a str,
    #[cfg(feature = "client")]
    jwks_uri_policy: &'a JwksUriPolicy,
}

impl<'a> RegistrationEndpoint<'a> {
    fn from_state(state: &'a ServerState) -> Self {
        Self {
            policy: &state.settings.registration,
            clients: &state.clients,
            revocations: &state.revocations,
            issuer: &state.settings.issuer,
            #[cfg(feature = "client")]
            jwks_uri_policy: state.jwks_fetcher.policy(),
        }
    }
}

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
struct Validated {
    metadata: Map<String, Value>,
    auth_method: TokenEndpointAuthMethod,
    grant_types: Vec<GrantType>,
    redirect_uris: Vec<String>,
    scopes: Vec<String>,
    jwks: Option<Value>,
    jwks_uri: Option<String>,
    assertion_alg: Option<String>,
}

fn require_json(headers: &HeaderMap, body: &[u8]) -> Result<Map<String, Value>, OAuthError> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let media = ct.split(';').next().unwrap_or("").trim();
    if !media.eq_ignore_ascii_case("application/json") {
        return Err(OAuthError::invalid_metadata(
            "the registration request must be application/json",
        )
        .with_status(StatusCode::UNSUPPORTED_MEDIA_TYPE));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(OAuthError::invalid_metadata(
            "the registration request must be a JSON object",
        )),
    }
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

fn validate(
    endpoint: &RegistrationEndpoint<'_>,
    req: &Map<String, Value>,
) -> Result<Validated, OAuthError> {
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
    Ok(Validated {
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

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() && !token.contains(' '))
        .then_some(token)
}

fn client_response(
    endpoint: &RegistrationEndpoint<'_>,
    client: &RegisteredClient,
    secret: Option<&str>,
    rat: Option<&str>,
) -> Value {
    let mut out = client.metadata.clone();
    out.insert("client_id".into(), client.client_id.clone().into());
    out.insert(
        "client_id_issued_at".into(),
        client.client_id_issued_at.into(),
    );
    if let Some(s) = secret {
        out.insert("client_secret".into(), s.into());
    }
    if client.secret_hash.is_some() {
        out.insert(
            "client_secret_expires_at".into(),
            client.client_secret_expires_at.into(),
        );
    }
    if let Some(t) = rat {
        out.insert("registration_access_token".into(), t.into());
    }
    out.insert(
        "registration_client_uri".into(),
        format!("{}/register/{}", endpoint.issuer, client.client_id).into(),
    );
    Value::Object(out)
}

pub(crate) async fn register(
    State(state): State<Arc<ServerState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let endpoint = RegistrationEndpoint::from_state(&state);
    if !endpoint.policy.enabled {
        return StatusCode::NOT_FOUND.into_response();
    }
    if let Some(hash) = &endpoint.policy.initial_access_token_hash
        && !bearer(&headers).is_some_and(|t| secrets::verify_secret(t, hash))
    {
        return OAuthError::invalid_token().into_response();
    }
    let req = match require_json(&headers, &body) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    match create(&endpoint, &req).await {
        Ok(v) => json_no_store(StatusCode::CREATED, &v),
        Err(e) => e.into_response(),
    }
}

async fn create(
    endpoint: &RegistrationEndpoint<'_>,
    req: &Map<String, Value>,
) -> Result<Value, OAuthError> {
    // client_id, client_secret, registration_access_token etc. in the request are ignored:
    // `validate` copies only the metadata it knows (DR-09).
    let v = validate(endpoint, req)?;
    if endpoint.clients.count().await? >= endpoint.policy.max_clients {
        return Err(OAuthError::bad_request(
            OAuthErrorCode::TemporarilyUnavailable,
            "the server cannot register more clients",
        )
        .with_status(StatusCode::SERVICE_UNAVAILABLE));
    }
    let secret =
        (v.auth_method == TokenEndpointAuthMethod::ClientSecretBasic).then(secrets::random_token);
    let rat = secrets::random_token();
    let client = RegisteredClient {
        client_id: secrets::random_id(),
        secret_hash: secret.as_deref().map(secrets::hash_secret),
        client_id_issued_at: secrets::now(),
        client_secret_expires_at: 0,
        auth_method: v.auth_method,
        assertion_alg: v.assertion_alg,
        jwks: v.jwks,
        jwks_uri: v.jwks_uri,
        grant_types: v.grant_types,
        redirect_uris: v.redirect_uris,
        scopes: v.scopes,
        introspect_any: false,
        metadata: v.metadata,
        registration_token_hash: Some(secrets::hash_secret(&rat)),
        disabled: false,
    };
    endpoint.clients.put(client.clone()).await?;
    Ok(client_response(
        endpoint,
        &client,
        secret.as_deref(),
        Some(&rat),
    ))
}

/// Authenticates an RFC 7592 request: the bearer token must be this client's registration access
/// token. A token of another client is revoked on the spot (it leaked or is being probed).
async fn management_auth(
    endpoint: &RegistrationEndpoint<'_>,
    headers: &HeaderMap,
    client_id: &str,
) -> Result<RegisteredClient, OAuthError> {
    let token = bearer(headers).ok_or_else(OAuthError::invalid_token)?;
    let hash = secrets::hash_secret(token);
    let owner = endpoint
        .clients
        .by_registration_token(&hash)
        .await?
        .ok_or_else(OAuthError::invalid_token)?;
    if owner.client_id != client_id {
        let mut revoked = owner.clone();
        revoked.registration_token_hash = None;
        endpoint.clients.put(revoked).await?;
        return Err(OAuthError::invalid_token());
    }
    Ok(owner)
}

pub(crate) async fn read(
    State(state): State<Arc<ServerState>>,
    Path(client_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let endpoint = RegistrationEndpoint::from_state(&state);
    match management_auth(&endpoint, &headers, &client_id).await {
        Ok(c) => json_no_store(StatusCode::OK, &client_response(&endpoint, &c, None, None)),
        Err(e) => e.into_response(),
    }
}

pub(crate) async fn update(
    State(state): State<Arc<ServerState>>,
    Path(client_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let endpoint = RegistrationEndpoint::from_state(&state);
    let existing = match management_auth(&endpoint, &headers, &client_id).await {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    let req = match require_json(&headers, &body) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    match apply_update(&endpoint, existing, &req).await {
        Ok(v) => json_no_store(StatusCode::OK, &v),
        Err(e) => e.into_response(),
    }
}

async fn apply_update(
    endpoint: &RegistrationEndpoint<'_>,
    existing: RegisteredClient,
    req: &Map<String, Value>,
) -> Result<Value, OAuthError> {
    // RFC 7592 §2.2: client_id must be sent and equal; a client_secret, if sent, must match.
    if req.get("client_id").and_then(Value::as_str) != Some(existing.client_id.as_str()) {
        return Err(OAuthError::invalid_metadata(
            "client_id must be present and match the client being updated",
        ));
    }
    if let Some(s) = req.get("client_secret") {
        let ok = match (s.as_str(), existing.secret_hash.as_deref()) {
            (Some(s), Some(h)) => secrets::verify_secret(s, h),
            _ => false,
        };
        if !ok {
            return Err(OAuthError::invalid_metadata(
                "client_secret does not match the current secret",
            ));
        }
    }
    let v = validate(endpoint, req)?;
    if v.auth_method != existing.auth_method {
        return Err(OAuthError::invalid_metadata(
            "token_endpoint_auth_method cannot be changed",
        ));
    }
    let client = RegisteredClient {
        metadata: v.metadata,
        grant_types: v.grant_types,
        redirect_uris: v.redirect_uris,
        scopes: v.scopes,
        jwks: v.jwks,
        jwks_uri: v.jwks_uri,
        assertion_alg: v.assertion_alg,
        ..existing
    };
    endpoint.clients.put(client.clone()).await?;
    Ok(client_response(endpoint, &client, None, None))
}

pub(crate) async fn delete(
    State(state): State<Arc<ServerState>>,
    Path(client_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let endpoint = RegistrationEndpoint::from_state(&state);
    if let Err(e) = management_auth(&endpoint, &headers, &client_id).await {
        return e.into_response();
    }
    match endpoint
        .revocations
        .delete_client(&client_id, secrets::now())
        .await
    {
        Ok(_) => {
            endpoint.clients.forget(&client_id);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => OAuthError::from(e).into_response(),
    }
}
