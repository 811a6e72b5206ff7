//! Fetching a provider's Service Discovery Document (FACTS §2) and the RFC 8414 metadata of its
//! authorization server, and reading the OAuth 2 authorization-code security scheme out of it.
//!
//! Caching follows OB 3.0 (FACTS §2): `no-store` or `no-cache` → not cached; `max-age` (or else
//! `Expires`) → reused until then; a stale entry with an `ETag` is revalidated with
//! `If-None-Match`, and `304 Not Modified` reuses it. Every endpoint the document advertises must
//! be `https` on the SDD's own host (CL-14), so a tampered or mistaken document cannot send the
//! user's credentials or the client secret elsewhere.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{Map, Value};
use url::Url;

use super::ClientError;
use super::http::{HttpPolicy, read_capped};

/// The spellings of the registration URL extension, in the order they are looked for on the
/// security scheme, its `authorizationCode` flow, then `info` (FACTS §2: the model puts it on
/// the scheme; older examples and files vary in where and how they spell it).
const REGISTRATION_URL_KEYS: [&str; 3] = [
    "x-imssf-registrationUrl",
    "x-imssf-registrationURL",
    "x-imssf-registrationUri",
];
/// Privacy-policy spellings (the model's and the one security.html uses).
const PRIVACY_POLICY_KEYS: [&str; 2] = ["x-imssf-privacyPolicyUrl", "x-imssf-privacyPolicy"];
/// Largest SDD accepted (the official OB 3.0 file is about 150 KiB).
const DEFAULT_MAX_SDD_BYTES: usize = 4 * 1024 * 1024;
/// Longest time a cached SDD is believed without revalidation, whatever the server says.
const MAX_CACHE_LIFETIME: Duration = Duration::from_secs(24 * 3600);
/// Where RFC 8414 metadata lives relative to the origin.
const AS_METADATA_PATH: &str = "/.well-known/oauth-authorization-server";

/// Why discovery failed.
#[derive(Debug, thiserror::Error)]
pub enum DiscoveryClientError {
    /// Transport, status, size or TLS failure.
    #[error("fetching `{url}`: {source}")]
    Fetch {
        /// The URL fetched.
        url: String,
        /// What went wrong.
        #[source]
        source: ClientError,
    },
    /// The document is not JSON or not an OpenAPI SDD.
    #[error("the document at `{url}` is not a usable SDD: {reason}")]
    NotAnSdd {
        /// The discovery URL.
        url: String,
        /// What is missing or malformed.
        reason: String,
    },
    /// No `oauth2` security scheme with an `authorizationCode` flow.
    #[error(
        "the SDD at `{0}` has no oauth2 security scheme with an authorizationCode flow (scenario 2 needs one, e.g. `OAuth2ACG`)"
    )]
    NoAuthorizationCodeScheme(String),
    /// An endpoint is not https.
    #[error("`{field}` is `{url}`: the endpoint must be an https URL (FACTS §1.1, CL-14)")]
    NotHttps {
        /// JSON path of the field in the SDD or metadata.
        field: String,
        /// The offending URL.
        url: String,
    },
    /// An endpoint is on another host than the SDD.
    #[error(
        "`{field}` is `{url}`, on another host than the SDD (`{expected_host}`): refused (CL-14)"
    )]
    ForeignHost {
        /// JSON path of the field.
        field: String,
        /// The offending URL.
        url: String,
        /// The SDD's host.
        expected_host: String,
    },
    /// The authorization server metadata names another issuer than the one it was fetched for.
    #[error(
        "authorization server metadata at `{url}` names issuer `{found}`, expected `{expected}` (RFC 8414 §3.3, CL-14)"
    )]
    IssuerMismatch {
        /// Where the metadata came from.
        url: String,
        /// The issuer derived from the SDD's authorization URL.
        expected: String,
        /// The metadata's `issuer`.
        found: String,
    },
}

/// The OAuth 2 authorization-code security scheme of an SDD, every URL checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationCodeScheme {
    /// The scheme's name in `components.securitySchemes` (`OAuth2ACG` in OB 3.0 / CLR 2.0).
    pub name: String,
    /// `flows.authorizationCode.authorizationUrl`.
    pub authorization_url: Url,
    /// `flows.authorizationCode.tokenUrl`.
    pub token_url: Url,
    /// `flows.authorizationCode.refreshUrl` (refresh goes to `tokenUrl` when absent).
    pub refresh_url: Option<Url>,
    /// The RFC 7591 registration endpoint (`x-imssf-registrationUrl`, any known spelling).
    pub registration_url: Option<Url>,
    /// The scopes the scheme lists, with their descriptions, in document order.
    pub scopes: Vec<(String, String)>,
}

impl AuthorizationCodeScheme {
    /// The scope URIs only.
    pub fn scope_names(&self) -> Vec<String> {
        self.scopes.iter().map(|(s, _)| s.clone()).collect()
    }
}

/// What the SDD says about the provider (shown to the person before they authorize).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProviderInfo {
    /// `info.title` (or `x-imssf-name` on the scheme).
    pub name: Option<String>,
    /// `x-imssf-privacyPolicyUrl` (or `x-imssf-privacyPolicy`) on `info` or the scheme.
    pub privacy_policy_url: Option<String>,
    /// `info.termsOfService` (or `x-imssf-termsOfServiceUrl` on the scheme).
    pub terms_of_service_url: Option<String>,
    /// `info.x-imssf-image`.
    pub image: Option<String>,
}

/// A fetched and checked SDD.
#[derive(Debug, Clone)]
pub struct ServiceDescription {
    /// Where it was fetched from.
    pub discovery_url: Url,
    /// The document as JSON.
    pub document: Value,
    /// `servers[0].url`, when present and absolute.
    pub base_url: Option<Url>,
    /// The authorization-code scheme.
    pub authorization_code: AuthorizationCodeScheme,
    /// Provider details for the person.
    pub provider: ProviderInfo,
}

/// The members of the RFC 8414 metadata this client uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationServerMetadata {
    /// `issuer`, equal to the URL it was derived from (checked).
    pub issuer: String,
    /// `revocation_endpoint` (RFC 7009), checked like the SDD's endpoints.
    pub revocation_endpoint: Option<Url>,
    /// `registration_endpoint` (RFC 7591).
    pub registration_endpoint: Option<Url>,
    /// `authorization_response_iss_parameter_supported` (RFC 9207): when true, a callback without
    /// `iss` is refused (CL-03).
    pub iss_parameter_supported: bool,
}

/// Everything a consumer needs to register and authorize: the SDD and, when the authorization
/// server publishes it, its RFC 8414 metadata.
#[derive(Debug, Clone)]
pub struct Discovered {
    /// The checked SDD.
    pub service: ServiceDescription,
    /// The authorization server's metadata (`None` when it publishes none: 404).
    pub metadata: Option<AuthorizationServerMetadata>,
}

impl Discovered {
    /// The registration endpoint: the SDD's, else the metadata's.
    pub fn registration_url(&self) -> Option<&Url> {
        self.service
            .authorization_code
            .registration_url
            .as_ref()
            .or_else(|| self.metadata.as_ref()?.registration_endpoint.as_ref())
    }
}

struct CacheEntry {
    description: ServiceDescription,
    etag: Option<String>,
    fresh_until: Option<Instant>,
}

/// Fetches SDDs with HTTP caching; one per process is enough (it is `Sync`).
///
/// ```no_run
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// use ims_runtime::client::{DiscoveryClient, HttpPolicy};
/// let discovery = DiscoveryClient::new(HttpPolicy::default())?;
/// let found = discovery.discover("https://badges.example.edu/ims/ob/v3p0/discovery").await?;
/// println!("authorize at {}", found.service.authorization_code.authorization_url);
/// # Ok(()) }
/// ```
pub struct DiscoveryClient {
    policy: HttpPolicy,
    http: reqwest::Client,
    cache: Mutex<HashMap<String, CacheEntry>>,
}

impl std::fmt::Debug for DiscoveryClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DiscoveryClient")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl DiscoveryClient {
    /// A client following `policy` (https only, no redirects, timeouts). The response cap is
    /// raised to 4 MiB for SDDs if the policy's is smaller.
    pub fn new(policy: HttpPolicy) -> Result<Self, ClientError> {
        Ok(Self {
            http: policy.build_client()?,
            policy,
            cache: Mutex::new(HashMap::new()),
        })
    }

    fn fetch_error(url: &str, source: ClientError) -> DiscoveryClientError {
        DiscoveryClientError::Fetch {
            url: url.to_owned(),
            source,
        }
    }

    /// Fetches (or reuses from the cache) the SDD at `discovery_url` and checks it.
    pub async fn fetch(
        &self,
        discovery_url: &str,
    ) -> Result<ServiceDescription, DiscoveryClientError> {
        let url = self
            .policy
            .check_url(discovery_url)
            .map_err(|e| Self::fetch_error(discovery_url, e))?;
        let key = url.as_str().to_owned();
        let etag = {
            let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
            match cache.get(&key) {
                Some(e) if e.fresh_until.is_some_and(|t| Instant::now() < t) => {
                    return Ok(e.description.clone());
                }
                Some(e) => e.etag.clone(),
                None => None,
            }
        };
        let mut request = self
            .http
            .get(url.clone())
            .header(::http::header::ACCEPT, "application/json");
        if let Some(tag) = &etag {
            request = request.header(::http::header::IF_NONE_MATCH, tag.as_str());
        }
        let response = request
            .send()
            .await
            .map_err(|e| Self::fetch_error(&key, ClientError::from_reqwest(e)))?;
        let status = response.status();
        let headers = response.headers().clone();
        let lifetime = cache_lifetime(&headers);
        if status == reqwest::StatusCode::NOT_MODIFIED && etag.is_some() {
            let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(entry) = cache.get_mut(&key) {
                tracing::debug!(url = %key, "SDD not modified; reusing the cached copy");
                let description = entry.description.clone();
                match lifetime {
                    Lifetime::DoNotCache => {
                        cache.remove(&key);
                    }
                    Lifetime::Until(t) => entry.fresh_until = Some(t),
                    Lifetime::Revalidate => entry.fresh_until = None,
                }
                return Ok(description);
            }
        }
        if !status.is_success() {
            return Err(Self::fetch_error(
                &key,
                ClientError::UnexpectedStatus(status.as_u16()),
            ));
        }
        let max = self.policy.max_response_bytes.max(DEFAULT_MAX_SDD_BYTES);
        let body = read_capped(response, max)
            .await
            .map_err(|e| Self::fetch_error(&key, e))?;
        let document: Value =
            serde_json::from_slice(&body).map_err(|e| DiscoveryClientError::NotAnSdd {
                url: key.clone(),
                reason: format!("not JSON: {e}"),
            })?;
        let description = read_sdd(url, document)?;
        let new_etag = headers
            .get(::http::header::ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        match lifetime {
            Lifetime::DoNotCache => {
                cache.remove(&key);
            }
            Lifetime::Until(t) => {
                cache.insert(key, entry(&description, new_etag, Some(t)));
            }
            // No freshness information: keep it only to revalidate with its ETag.
            Lifetime::Revalidate if new_etag.is_some() => {
                cache.insert(key, entry(&description, new_etag, None));
            }
            Lifetime::Revalidate => {
                cache.remove(&key);
            }
        }
        Ok(description)
    }

    /// Fetches the RFC 8414 metadata of the authorization server behind `authorization_url`:
    /// the issuer is taken to be that URL without its last path segment, and the metadata must
    /// name exactly that issuer. `Ok(None)` when the server publishes none (404).
    pub async fn authorization_server_metadata(
        &self,
        authorization_url: &Url,
    ) -> Result<Option<AuthorizationServerMetadata>, DiscoveryClientError> {
        let issuer = issuer_of(authorization_url);
        let mut metadata_url = authorization_url.clone();
        let issuer_path = Url::parse(&issuer)
            .map(|u| u.path().trim_end_matches('/').to_owned())
            .unwrap_or_default();
        metadata_url.set_path(&format!("{AS_METADATA_PATH}{issuer_path}"));
        metadata_url.set_query(None);
        metadata_url.set_fragment(None);
        let key = metadata_url.as_str().to_owned();
        let response = self
            .http
            .get(metadata_url.clone())
            .header(::http::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| Self::fetch_error(&key, ClientError::from_reqwest(e)))?;
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !response.status().is_success() {
            return Err(Self::fetch_error(
                &key,
                ClientError::UnexpectedStatus(response.status().as_u16()),
            ));
        }
        let body = read_capped(response, self.policy.max_response_bytes)
            .await
            .map_err(|e| Self::fetch_error(&key, e))?;
        let doc: Value = serde_json::from_slice(&body).map_err(|e| {
            Self::fetch_error(
                &key,
                ClientError::InvalidResponse(format!("metadata is not JSON: {e}")),
            )
        })?;
        let found = doc
            .get("issuer")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if found != issuer {
            return Err(DiscoveryClientError::IssuerMismatch {
                url: key,
                expected: issuer,
                found: found.chars().take(200).collect(),
            });
        }
        let host = authorization_url.host_str().unwrap_or_default().to_owned();
        let endpoint = |name: &str| -> Result<Option<Url>, DiscoveryClientError> {
            match doc.get(name).and_then(Value::as_str) {
                Some(raw) => checked_endpoint(raw, name, &host).map(Some),
                None => Ok(None),
            }
        };
        Ok(Some(AuthorizationServerMetadata {
            revocation_endpoint: endpoint("revocation_endpoint")?,
            registration_endpoint: endpoint("registration_endpoint")?,
            iss_parameter_supported: doc
                .get("authorization_response_iss_parameter_supported")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            issuer,
        }))
    }

    /// [`Self::fetch`] then [`Self::authorization_server_metadata`].
    pub async fn discover(&self, discovery_url: &str) -> Result<Discovered, DiscoveryClientError> {
        let service = self.fetch(discovery_url).await?;
        let metadata = self
            .authorization_server_metadata(&service.authorization_code.authorization_url)
            .await?;
        Ok(Discovered { service, metadata })
    }
}

fn entry(
    description: &ServiceDescription,
    etag: Option<String>,
    fresh_until: Option<Instant>,
) -> CacheEntry {
    CacheEntry {
        description: description.clone(),
        etag,
        fresh_until,
    }
}

/// The issuer an authorization endpoint belongs to: the URL without its last path segment,
/// query and fragment, and without a trailing slash (`https://h/authorize` → `https://h`).
pub fn issuer_of(authorization_url: &Url) -> String {
    let mut u = authorization_url.clone();
    u.set_query(None);
    u.set_fragment(None);
    let path = u.path().to_owned();
    let parent = match path.rfind('/') {
        Some(i) => &path[..i],
        None => "",
    };
    u.set_path(parent);
    u.as_str().trim_end_matches('/').to_owned()
}

enum Lifetime {
    DoNotCache,
    Until(Instant),
    Revalidate,
}

/// What `Cache-Control` / `Expires` allow (FACTS §2).
fn cache_lifetime(headers: &reqwest::header::HeaderMap) -> Lifetime {
    let directives: Vec<String> = headers
        .get_all(::http::header::CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|d| d.trim().to_ascii_lowercase())
        .collect();
    if directives
        .iter()
        .any(|d| d == "no-store" || d == "no-cache")
    {
        return Lifetime::DoNotCache;
    }
    // max-age wins over Expires (RFC 9111 §5.3).
    if let Some(secs) = directives.iter().find_map(|d| {
        d.strip_prefix("max-age=")?
            .trim_matches('"')
            .parse::<u64>()
            .ok()
    }) {
        return until(Duration::from_secs(secs));
    }
    if let Some(expires) = headers
        .get(::http::header::EXPIRES)
        .and_then(|v| v.to_str().ok())
    {
        // An invalid Expires means "already expired" (RFC 9111 §5.3).
        let remaining = parse_http_date(expires)
            .map(|t| t - time::OffsetDateTime::now_utc())
            .and_then(|d| Duration::try_from(d).ok())
            .unwrap_or(Duration::ZERO);
        return until(remaining);
    }
    Lifetime::Revalidate
}

fn until(d: Duration) -> Lifetime {
    if d.is_zero() {
        Lifetime::Revalidate
    } else {
        Lifetime::Until(Instant::now() + d.min(MAX_CACHE_LIFETIME))
    }
}

/// IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the only HTTP-date form senders may produce.
fn parse_http_date(s: &str) -> Option<time::OffsetDateTime> {
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    time::PrimitiveDateTime::parse(s.trim(), &format)
        .ok()
        .map(time::PrimitiveDateTime::assume_utc)
}

/// An endpoint must be https on the SDD's host (CL-14).
fn checked_endpoint(raw: &str, field: &str, host: &str) -> Result<Url, DiscoveryClientError> {
    let not_https = || DiscoveryClientError::NotHttps {
        field: field.to_owned(),
        url: raw.chars().take(300).collect(),
    };
    let url = Url::parse(raw).map_err(|_| not_https())?;
    if url.scheme() != "https" {
        return Err(not_https());
    }
    if !url.host_str().is_some_and(|h| h.eq_ignore_ascii_case(host)) {
        return Err(DiscoveryClientError::ForeignHost {
            field: field.to_owned(),
            url: raw.chars().take(300).collect(),
            expected_host: host.to_owned(),
        });
    }
    Ok(url)
}

fn find_str<'a>(obj: &'a Map<String, Value>, keys: &[&str]) -> Option<&'a str> {
    keys.iter()
        .find_map(|k| obj.get(*k).and_then(Value::as_str))
}

/// Checks an SDD and reads its authorization-code scheme.
fn read_sdd(url: Url, document: Value) -> Result<ServiceDescription, DiscoveryClientError> {
    let not_sdd = |reason: &str| DiscoveryClientError::NotAnSdd {
        url: url.to_string(),
        reason: reason.to_owned(),
    };
    let root = document
        .as_object()
        .ok_or_else(|| not_sdd("not a JSON object"))?;
    if !root
        .get("openapi")
        .and_then(Value::as_str)
        .is_some_and(|v| v.starts_with("3."))
    {
        return Err(not_sdd("`openapi` must be a 3.x version string"));
    }
    let host = url.host_str().unwrap_or_default().to_owned();
    let empty = Map::new();
    let info = root
        .get("info")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let schemes = root
        .get("components")
        .and_then(|c| c.get("securitySchemes"))
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    // Prefer the IMS name; otherwise the first oauth2 scheme with an authorizationCode flow.
    let mut candidates: Vec<(&String, &Map<String, Value>)> = schemes
        .iter()
        .filter_map(|(n, s)| Some((n, s.as_object()?)))
        .filter(|(_, s)| {
            s.get("type").and_then(Value::as_str) == Some("oauth2")
                && s.get("flows")
                    .and_then(|f| f.get("authorizationCode"))
                    .is_some_and(Value::is_object)
        })
        .collect();
    candidates.sort_by_key(|(n, _)| n.as_str() != "OAuth2ACG");
    let Some((name, scheme)) = candidates.first().copied() else {
        return Err(DiscoveryClientError::NoAuthorizationCodeScheme(
            url.to_string(),
        ));
    };
    let flow = scheme
        .get("flows")
        .and_then(|f| f.get("authorizationCode"))
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let path = format!("components.securitySchemes.{name}");
    let flow_path = format!("{path}.flows.authorizationCode");
    let required = |field: &str| -> Result<Url, DiscoveryClientError> {
        let full = format!("{flow_path}.{field}");
        let raw = flow
            .get(field)
            .and_then(Value::as_str)
            .ok_or_else(|| not_sdd(&format!("`{full}` is missing")))?;
        checked_endpoint(raw, &full, &host)
    };
    let authorization_url = required("authorizationUrl")?;
    let token_url = required("tokenUrl")?;
    let refresh_url = match flow.get("refreshUrl").and_then(Value::as_str) {
        Some(raw) => Some(checked_endpoint(
            raw,
            &format!("{flow_path}.refreshUrl"),
            &host,
        )?),
        None => None,
    };
    let registration = [
        (scheme, path.as_str()),
        (flow, flow_path.as_str()),
        (info, "info"),
    ]
    .into_iter()
    .find_map(|(obj, at)| {
        REGISTRATION_URL_KEYS
            .iter()
            .find_map(|k| Some((obj.get(*k)?.as_str()?, format!("{at}.{k}"))))
    });
    let registration_url = match registration {
        Some((raw, field)) => Some(checked_endpoint(raw, &field, &host)?),
        None => None,
    };
    let scopes = flow
        .get("scopes")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect()
        })
        .unwrap_or_default();
    let provider = ProviderInfo {
        name: info
            .get("title")
            .and_then(Value::as_str)
            .or_else(|| scheme.get("x-imssf-name").and_then(Value::as_str))
            .map(str::to_owned),
        privacy_policy_url: find_str(info, &PRIVACY_POLICY_KEYS)
            .or_else(|| find_str(scheme, &PRIVACY_POLICY_KEYS))
            .map(str::to_owned),
        terms_of_service_url: info
            .get("termsOfService")
            .and_then(Value::as_str)
            .or_else(|| {
                scheme
                    .get("x-imssf-termsOfServiceUrl")
                    .and_then(Value::as_str)
            })
            .map(str::to_owned),
        image: info
            .get("x-imssf-image")
            .and_then(Value::as_str)
            .map(str::to_owned),
    };
    let base_url = root
        .get("servers")
        .and_then(|s| s.get(0))
        .and_then(|s| s.get("url"))
        .and_then(Value::as_str)
        .and_then(|s| Url::parse(s).ok());
    let authorization_code = AuthorizationCodeScheme {
        name: name.clone(),
        authorization_url,
        token_url,
        refresh_url,
        registration_url,
        scopes,
    };
    Ok(ServiceDescription {
        discovery_url: url,
        document: document.clone(),
        base_url,
        authorization_code,
        provider,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates_parse_and_issuers_drop_the_endpoint_segment() {
        let t = parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(t.map(|t| t.unix_timestamp()), Some(784_111_777));
        assert!(parse_http_date("yesterday").is_none());
        let u = |s: &str| Url::parse(s).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(issuer_of(&u("https://h:8443/authorize")), "https://h:8443");
        assert_eq!(issuer_of(&u("https://h/as/authorize?x=1")), "https://h/as");
    }
}
