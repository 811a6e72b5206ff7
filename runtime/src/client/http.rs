//! The outgoing HTTP policy shared by token sources, remote JWKS and introspection: https only
//! (loopback http only when explicitly allowed), no redirects, timeouts, response size caps.

use std::net::IpAddr;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use url::Url;

use super::ClientError;

/// How outgoing requests are made. `Default`: https only, 10 s total / 5 s connect timeout,
/// 64 KiB response cap, roots of the platform verifier.
#[derive(Clone)]
pub struct HttpPolicy {
    /// Allow `http://` to loopback addresses (`127.0.0.0/8`, `::1`, `localhost`). Off by default;
    /// for tests and local development only. Other `http://` URLs are always refused.
    pub allow_loopback_http: bool,
    /// Total time for one request, including reading the body (CL-10).
    pub timeout: Duration,
    /// Time to establish a connection.
    pub connect_timeout: Duration,
    /// Largest response body read (CL-10, JW-18).
    pub max_response_bytes: usize,
    /// When set, trust exactly these CA certificates (PEM) instead of the platform roots.
    pub ca_pem: Option<Vec<u8>>,
}

impl Default for HttpPolicy {
    fn default() -> Self {
        Self {
            allow_loopback_http: false,
            timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(5),
            max_response_bytes: 64 * 1024,
            ca_pem: None,
        }
    }
}

impl std::fmt::Debug for HttpPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpPolicy")
            .field("allow_loopback_http", &self.allow_loopback_http)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("custom_ca", &self.ca_pem.is_some())
            .finish()
    }
}

impl HttpPolicy {
    /// Trust exactly the CA certificates in `pem` (e.g. a development CA).
    pub fn with_ca_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.ca_pem = Some(pem.into());
        self
    }

    /// Allows `http://` to loopback hosts (tests and local development only).
    pub fn allow_loopback_http(mut self, allow: bool) -> Self {
        self.allow_loopback_http = allow;
        self
    }

    /// Builds a reqwest client following this policy (no redirects, TLS 1.2+).
    pub fn build_client(&self) -> Result<reqwest::Client, ClientError> {
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            .https_only(!self.allow_loopback_http)
            .tls_version_min(reqwest::tls::Version::TLS_1_2)
            .no_proxy();
        if let Some(pem) = &self.ca_pem {
            let config = crate::tls::client_config(Some(pem))
                .map_err(|e| ClientError::Config(format!("CA certificates: {e}")))?;
            builder = builder.tls_backend_preconfigured(config);
        }
        builder
            .build()
            .map_err(|e| ClientError::Config(format!("HTTP client: {e}")))
    }

    /// Checks that `url` may be called: `https`, or `http` to a loopback host when allowed.
    pub fn check_url(&self, url: &str) -> Result<Url, ClientError> {
        let parsed =
            Url::parse(url).map_err(|e| ClientError::Config(format!("URL `{url}`: {e}")))?;
        match parsed.scheme() {
            "https" => Ok(parsed),
            "http" if self.allow_loopback_http && is_loopback(&parsed) => Ok(parsed),
            "http" => Err(ClientError::InsecureUrl(url.to_owned())),
            other => Err(ClientError::Config(format!(
                "URL `{url}`: scheme `{other}` is not supported; use https"
            ))),
        }
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// Reads a response body, refusing more than `max` bytes (checked on `Content-Length` first,
/// then while streaming).
pub async fn read_capped(
    mut response: reqwest::Response,
    max: usize,
) -> Result<Bytes, ClientError> {
    if response
        .content_length()
        .is_some_and(|n| n > u64::try_from(max).unwrap_or(u64::MAX))
    {
        return Err(ClientError::ResponseTooLarge(max));
    }
    let mut buf = BytesMut::new();
    while let Some(chunk) = response.chunk().await.map_err(ClientError::from_reqwest)? {
        if buf.len() + chunk.len() > max {
            return Err(ClientError::ResponseTooLarge(max));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}
