//! Serving a service's SDD (Service Discovery Document) from the discovery endpoint.
//!
//! The SDD is the provider's own copy of the spec's OpenAPI 3.0 JSON. Before serving it, the
//! `servers` list and the OAuth 2 endpoints of its security schemes are rewritten to the
//! deployment (FACTS §2, §1.5). All of that, the serialization and the ETag happen once in
//! [`DiscoveryDocument::new`]; a request only compares headers and clones a [`Bytes`] handle.
//!
//! The endpoint MUST NOT be protected (FACTS §2). Mount [`DiscoveryDocument::router`] as its own
//! router and merge it *outside* the auth layer of the protected routes:
//!
//! ```no_run
//! # fn t(api: axum::Router, auth: tower::layer::util::Identity) -> Result<(), ims_runtime::discovery::DiscoveryError> {
//! use ims_runtime::discovery::{Deployment, DiscoveryDocument};
//! # const SDD_JSON: &str = r#"{"openapi":"3.0.1","info":{"title":"t","version":"1"},"paths":{}}"#;
//! let deployment = Deployment::new("https://api.example.edu/tenant-a".parse().expect("url"))
//!     .with_token_url("https://auth.example.edu/token".parse().expect("url"));
//! // `SDD_JSON` / `DISCOVERY_PATH` come from a generated module.
//! let discovery = DiscoveryDocument::new(SDD_JSON, &deployment)?;
//! let app = api
//!     .layer(auth) // only the API routes sit behind the auth layer
//!     .merge(discovery.router("/ims/oneroster/rostering/v1p2/discovery/sdd.json")?);
//! # let _ = app; Ok(()) }
//! ```

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use bytes::Bytes;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use url::Url;

/// Default `Cache-Control` lifetime of the served document.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(300);

/// Hex characters of the SHA-256 digest used in the ETag (128 bits: collisions are not a concern
/// for cache validation, and shorter headers are friendlier).
const ETAG_HEX_LEN: usize = 32;

/// Why a discovery document could not be built or mounted.
#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    /// The SDD text is not JSON.
    #[error(
        "the SDD is not valid JSON: {0} (serve the OpenAPI 3.0 JSON file of the service, e.g. a generated module's `SDD_JSON`)"
    )]
    InvalidJson(#[source] serde_json::Error),
    /// The SDD is JSON but not an OpenAPI document.
    #[error("the SDD is not an OpenAPI document: {0}")]
    NotOpenApi(String),
    /// A deployment URL is not an absolute `https` URL.
    #[error(
        "deployment {field} `{url}` must be an absolute https URL (the SDD must only advertise TLS endpoints)"
    )]
    NotHttps {
        /// Which deployment setting is wrong (`base_url`, `token_url`, …).
        field: &'static str,
        /// The offending URL.
        url: String,
    },
    /// The mount path cannot be used as a literal route.
    #[error(
        "discovery path `{0}` must start with `/` and contain no `{{`, `}}` or `*` (it is mounted literally)"
    )]
    InvalidPath(String),
}

/// Where this deployment of the API and its authorization server live.
///
/// Only the endpoints set here replace those in the SDD; unset ones keep the SDD's values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployment {
    /// Public base URL of the API (`https`); becomes the SDD's only `servers` entry.
    pub base_url: Url,
    /// OAuth 2 token endpoint (`tokenUrl` of every flow that has one).
    pub token_url: Option<Url>,
    /// OAuth 2 authorization endpoint (`authorizationUrl` of every flow that has one).
    pub authorization_url: Option<Url>,
    /// OAuth 2 refresh endpoint (`refreshUrl` of every flow with a token endpoint).
    pub refresh_url: Option<Url>,
    /// RFC 7591 registration endpoint (`x-imssf-registrationUrl`, FACTS §1.5).
    pub registration_url: Option<Url>,
}

impl Deployment {
    /// A deployment at `base_url` whose authorization endpoints are taken from the SDD as is.
    pub fn new(base_url: Url) -> Self {
        Self {
            base_url,
            token_url: None,
            authorization_url: None,
            refresh_url: None,
            registration_url: None,
        }
    }

    /// Sets the token endpoint.
    #[must_use]
    pub fn with_token_url(mut self, url: Url) -> Self {
        self.token_url = Some(url);
        self
    }

    /// Sets the authorization endpoint.
    #[must_use]
    pub fn with_authorization_url(mut self, url: Url) -> Self {
        self.authorization_url = Some(url);
        self
    }

    /// Sets the refresh endpoint.
    #[must_use]
    pub fn with_refresh_url(mut self, url: Url) -> Self {
        self.refresh_url = Some(url);
        self
    }

    /// Sets the dynamic client registration endpoint.
    #[must_use]
    pub fn with_registration_url(mut self, url: Url) -> Self {
        self.registration_url = Some(url);
        self
    }

    /// Checks that every configured URL is `https`.
    fn validate(&self) -> Result<(), DiscoveryError> {
        let fields = [
            ("base_url", Some(&self.base_url)),
            ("token_url", self.token_url.as_ref()),
            ("authorization_url", self.authorization_url.as_ref()),
            ("refresh_url", self.refresh_url.as_ref()),
            ("registration_url", self.registration_url.as_ref()),
        ];
        for (field, url) in fields {
            if let Some(url) = url
                && (url.scheme() != "https" || url.host().is_none())
            {
                return Err(DiscoveryError::NotHttps {
                    field,
                    url: url.to_string(),
                });
            }
        }
        Ok(())
    }
}

/// A rewritten, serialized SDD ready to be served, with its ETag. Cheap to clone.
#[derive(Debug, Clone)]
pub struct DiscoveryDocument {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    body: Bytes,
    /// The quoted strong entity tag, e.g. `"3f2a…"`.
    etag: HeaderValue,
    cache_control: HeaderValue,
}

impl DiscoveryDocument {
    /// Parses `sdd_json`, rewrites it to `deployment`, serializes it and computes its ETag.
    ///
    /// Rewrites:
    /// - `servers` becomes `[{"url": <base_url without trailing '/'>}]`;
    /// - in every `type: oauth2` security scheme, each flow's `tokenUrl` and `authorizationUrl`
    ///   (where the flow has one) and `refreshUrl` (on flows with a `tokenUrl`) become the
    ///   deployment's, when the deployment sets them;
    /// - `x-imssf-registrationUrl` becomes the deployment's registration URL on every OAuth 2
    ///   scheme that already has one or has an `authorizationCode` flow (where it is required).
    ///
    /// # Errors
    /// [`DiscoveryError::InvalidJson`] / [`DiscoveryError::NotOpenApi`] for a bad SDD,
    /// [`DiscoveryError::NotHttps`] for a non-`https` deployment URL.
    pub fn new(sdd_json: &str, deployment: &Deployment) -> Result<Self, DiscoveryError> {
        Self::leaving_out(sdd_json, deployment, &[])
    }

    /// As [`DiscoveryDocument::new`], with the operations in `left_out` removed from `paths`
    /// (a path item left without any operation is removed too), for a provider that does not
    /// implement them. An operation is found under its catalogue path (`/users`), or under that
    /// path prefixed by `base_path` for SDDs whose paths carry it. Operations the SDD does not
    /// have are ignored.
    ///
    /// # Errors
    /// As [`DiscoveryDocument::new`].
    pub fn leaving_out(
        sdd_json: &str,
        deployment: &Deployment,
        left_out: &[LeftOut<'_>],
    ) -> Result<Self, DiscoveryError> {
        deployment.validate()?;
        let mut sdd: Value = serde_json::from_str(sdd_json).map_err(DiscoveryError::InvalidJson)?;
        let root = sdd.as_object_mut().ok_or_else(|| {
            DiscoveryError::NotOpenApi("the top level must be a JSON object".into())
        })?;
        match root.get("openapi") {
            Some(Value::String(v)) if v.starts_with("3.") => {}
            Some(other) => {
                return Err(DiscoveryError::NotOpenApi(format!(
                    "`openapi` is {other}, expected a \"3.x\" version string"
                )));
            }
            None => {
                return Err(DiscoveryError::NotOpenApi(
                    "the `openapi` field is missing (an SDD is an OpenAPI 3.0 document)".into(),
                ));
            }
        }
        remove_operations(root, left_out);
        rewrite_servers(root, &deployment.base_url);
        rewrite_security_schemes(root, deployment)?;

        let body = Bytes::from(
            serde_json::to_vec(&sdd).map_err(|e| DiscoveryError::NotOpenApi(e.to_string()))?,
        );
        let digest = hex::encode(Sha256::digest(&body));
        let etag = format!("\"{}\"", &digest[..ETAG_HEX_LEN]);
        let etag = HeaderValue::from_str(&etag)
            .map_err(|e| DiscoveryError::NotOpenApi(format!("ETag header: {e}")))?;
        Ok(Self {
            inner: Arc::new(Inner {
                body,
                etag,
                cache_control: cache_control(DEFAULT_MAX_AGE),
            }),
        })
    }

    /// Uses `Cache-Control: public, max-age=<max_age seconds>` instead of the default 300 s
    /// (`max-age=0` makes clients revalidate every time, cheaply thanks to the ETag).
    #[must_use]
    pub fn with_max_age(self, max_age: Duration) -> Self {
        let inner = Inner {
            body: self.inner.body.clone(),
            etag: self.inner.etag.clone(),
            cache_control: cache_control(max_age),
        };
        Self {
            inner: Arc::new(inner),
        }
    }

    /// The served bytes (the rewritten SDD).
    pub fn body(&self) -> &Bytes {
        &self.inner.body
    }

    /// The strong ETag, quoted (e.g. `"0123…"`).
    pub fn etag(&self) -> &str {
        // Built from ASCII hex and quotes, so `to_str` cannot fail.
        self.inner.etag.to_str().unwrap_or_default()
    }

    /// A router serving the document at `path` (literal, e.g. a generated `DISCOVERY_PATH`).
    /// It carries no auth layer: merge it beside the protected routes, outside their layer.
    ///
    /// # Errors
    /// [`DiscoveryError::InvalidPath`] if `path` does not start with `/` or contains route syntax.
    pub fn router(&self, path: &str) -> Result<Router, DiscoveryError> {
        if !path.starts_with('/') || path.contains(['{', '}', '*']) {
            return Err(DiscoveryError::InvalidPath(path.to_owned()));
        }
        Ok(Router::new()
            .route(path, axum::routing::any(serve))
            .with_state(self.clone()))
    }

    /// The response to a request with `method` and `headers`: for handlers that mount the
    /// document themselves.
    ///
    /// `GET`/`HEAD` give 200 (HEAD without body) or 304 when `If-None-Match` matches; other
    /// methods give 405 with `Allow: GET, HEAD`.
    pub fn respond(&self, method: &Method, headers: &HeaderMap) -> Response {
        let inner = &self.inner;
        if method != Method::GET && method != Method::HEAD {
            return with_status(StatusCode::METHOD_NOT_ALLOWED, Body::empty(), |h| {
                h.insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
            });
        }
        let validators = |h: &mut HeaderMap| {
            h.insert(header::ETAG, inner.etag.clone());
            h.insert(header::CACHE_CONTROL, inner.cache_control.clone());
        };
        if if_none_match_matches(headers, self.etag()) {
            return with_status(StatusCode::NOT_MODIFIED, Body::empty(), validators);
        }
        let body = if method == Method::HEAD {
            Body::empty()
        } else {
            Body::from(inner.body.clone())
        };
        with_status(StatusCode::OK, body, |h| {
            validators(h);
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            h.insert(header::CONTENT_LENGTH, HeaderValue::from(inner.body.len()));
            h.insert(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            );
        })
    }
}

async fn serve(
    State(doc): State<DiscoveryDocument>,
    method: Method,
    headers: HeaderMap,
) -> Response {
    doc.respond(&method, &headers)
}

fn with_status(status: StatusCode, body: Body, headers: impl FnOnce(&mut HeaderMap)) -> Response {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    headers(response.headers_mut());
    response
}

fn cache_control(max_age: Duration) -> HeaderValue {
    HeaderValue::try_from(format!("public, max-age={}", max_age.as_secs()))
        .unwrap_or_else(|_| HeaderValue::from_static("public, max-age=300"))
}

/// An operation to leave out of a served SDD: its method and where `paths` may hold it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeftOut<'a> {
    /// The HTTP method (its lower-case name is the key in the path item).
    pub method: crate::catalogue::Method,
    /// The operation's path as the catalogue has it (e.g. `/users/{sourcedId}`).
    pub path: &'a str,
    /// The service's base path (e.g. `/ims/oneroster/rostering/v1p2`), for SDDs whose `paths`
    /// keys include it; empty otherwise.
    pub base_path: &'a str,
}

/// The keys of a path item that hold operations (OpenAPI 3.0 §4.7.9).
const OPERATION_KEYS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

fn remove_operations(root: &mut Map<String, Value>, left_out: &[LeftOut<'_>]) {
    let Some(Value::Object(paths)) = root.get_mut("paths") else {
        return;
    };
    for op in left_out {
        let prefixed = format!("{}{}", op.base_path.trim_end_matches('/'), op.path);
        let method = op.method.as_str().to_ascii_lowercase();
        for key in [op.path, prefixed.as_str()] {
            let Some(Value::Object(item)) = paths.get_mut(key) else {
                continue;
            };
            if item.remove(&method).is_some()
                && !item.keys().any(|k| OPERATION_KEYS.contains(&k.as_str()))
            {
                paths.remove(key);
            }
            break;
        }
    }
}

/// Formats a URL for the SDD: OpenAPI paths start with `/`, so the server URL has no trailing `/`.
fn url_text(url: &Url) -> String {
    url.as_str().trim_end_matches('/').to_owned()
}

fn rewrite_servers(root: &mut Map<String, Value>, base_url: &Url) {
    let mut server = Map::new();
    server.insert("url".into(), Value::String(url_text(base_url)));
    root.insert("servers".into(), Value::Array(vec![Value::Object(server)]));
}

fn rewrite_security_schemes(
    root: &mut Map<String, Value>,
    d: &Deployment,
) -> Result<(), DiscoveryError> {
    let Some(schemes) = root
        .get_mut("components")
        .and_then(|c| c.get_mut("securitySchemes"))
    else {
        return Ok(());
    };
    let schemes = schemes.as_object_mut().ok_or_else(|| {
        DiscoveryError::NotOpenApi("`components.securitySchemes` must be an object".into())
    })?;
    for (name, scheme) in schemes.iter_mut() {
        let Some(scheme) = scheme.as_object_mut() else {
            return Err(DiscoveryError::NotOpenApi(format!(
                "security scheme `{name}` must be an object"
            )));
        };
        if scheme.get("type").and_then(Value::as_str) != Some("oauth2") {
            continue;
        }
        let mut has_authorization_code = false;
        if let Some(flows) = scheme.get_mut("flows").and_then(Value::as_object_mut) {
            has_authorization_code = flows.contains_key("authorizationCode");
            for flow in flows.values_mut().filter_map(Value::as_object_mut) {
                rewrite_flow(flow, d);
            }
        }
        if let Some(url) = &d.registration_url
            && (has_authorization_code || scheme.contains_key("x-imssf-registrationUrl"))
        {
            scheme.insert(
                "x-imssf-registrationUrl".into(),
                Value::String(url.to_string()),
            );
        }
    }
    Ok(())
}

fn rewrite_flow(flow: &mut Map<String, Value>, d: &Deployment) {
    let has_token_url = flow.contains_key("tokenUrl");
    if let Some(url) = &d.token_url
        && has_token_url
    {
        flow.insert("tokenUrl".into(), Value::String(url.to_string()));
    }
    if let Some(url) = &d.authorization_url
        && flow.contains_key("authorizationUrl")
    {
        flow.insert("authorizationUrl".into(), Value::String(url.to_string()));
    }
    // Refresh only makes sense where tokens come from a token endpoint (not the implicit flow).
    if let Some(url) = &d.refresh_url
        && (has_token_url || flow.contains_key("refreshUrl"))
    {
        flow.insert("refreshUrl".into(), Value::String(url.to_string()));
    }
}

/// RFC 9110 §13.1.2 for GET/HEAD: `*` matches any current representation; otherwise the weak
/// comparison (ignoring `W/`) against each listed entity tag. A malformed header is ignored
/// (as if absent), so the client simply gets the full document.
fn if_none_match_matches(headers: &HeaderMap, etag: &str) -> bool {
    let ours = etag.trim_matches('"');
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| {
            parse_entity_tags(v).is_some_and(|tags| tags.iter().any(|t| *t == "*" || *t == ours))
        })
}

/// Splits an `If-None-Match` value into opaque tags (without quotes and `W/`), or `*`.
/// Commas are legal inside a quoted tag, so this scans quotes rather than splitting on `,`.
fn parse_entity_tags(value: &str) -> Option<Vec<&str>> {
    let mut tags = Vec::new();
    let mut rest = value.trim_start_matches([' ', '\t', ',']);
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('*') {
            tags.push("*");
            rest = after;
        } else {
            let quoted = rest.strip_prefix("W/").unwrap_or(rest).strip_prefix('"')?;
            let end = quoted.find('"')?;
            tags.push(&quoted[..end]);
            rest = &quoted[end + 1..];
        }
        let next = rest.trim_start_matches([' ', '\t']);
        if !next.is_empty() && !next.starts_with(',') {
            return None;
        }
        rest = next.trim_start_matches([' ', '\t', ',']);
    }
    Some(tags)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::catalogue::Method as OpMethod;

    #[test]
    fn left_out_operations_leave_paths_and_emptied_path_items() {
        let sdd = serde_json::json!({
            "openapi": "3.0.1",
            "info": {"title": "t", "version": "1"},
            "paths": {
                "/users": {"get": {}, "post": {}, "parameters": []},
                "/users/{id}": {"get": {}, "parameters": []},
                "/ims/x/v1/classes": {"get": {}},
                "/orgs": {"get": {}}
            }
        })
        .to_string();
        let deployment = Deployment::new("https://api.example.edu".parse().unwrap());
        let left_out = [
            LeftOut {
                method: OpMethod::Get,
                path: "/users",
                base_path: "/ims/x/v1",
            },
            LeftOut {
                method: OpMethod::Get,
                path: "/users/{id}",
                base_path: "/ims/x/v1",
            },
            // Found under the base path when the SDD's keys carry it.
            LeftOut {
                method: OpMethod::Get,
                path: "/classes",
                base_path: "/ims/x/v1/",
            },
            // Not in the SDD: ignored.
            LeftOut {
                method: OpMethod::Delete,
                path: "/orgs",
                base_path: "",
            },
        ];
        let doc = DiscoveryDocument::leaving_out(&sdd, &deployment, &left_out).unwrap();
        let served: Value = serde_json::from_slice(doc.body()).unwrap();
        assert_eq!(
            served["paths"],
            serde_json::json!({
                "/users": {"post": {}, "parameters": []},
                "/orgs": {"get": {}}
            })
        );
        let all = DiscoveryDocument::new(&sdd, &deployment).unwrap();
        let served: Value = serde_json::from_slice(all.body()).unwrap();
        assert_eq!(served["paths"].as_object().unwrap().len(), 4);
        assert_ne!(all.etag(), doc.etag());
    }

    #[test]
    fn if_none_match_list_parses_weak_strong_star_and_quoted_commas() {
        assert_eq!(
            parse_entity_tags(r#"W/"a", "b,c" ,*"#),
            Some(vec!["a", "b,c", "*"])
        );
        assert_eq!(parse_entity_tags(r#""a" "b""#), None);
        assert_eq!(parse_entity_tags(r#""unterminated"#), None);
        assert_eq!(parse_entity_tags(""), Some(vec![]));
    }
}
