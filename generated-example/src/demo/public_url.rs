//! [`PublicUrl`]: the origin clients use to reach the demo (`--public-url`), e.g. a load
//! balancer's. The issuer, the token URL and every URL in the discovery document are built from
//! it, so instances behind one balancer share one issuer and accept each other's tokens.

use std::fmt;
use std::str::FromStr;

/// An `https` origin (scheme, host and optional port; no user, path, query or fragment), kept in
/// its serialized form (`https://host[:port]`, default port omitted, host lower-cased).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PublicUrl {
    origin: String,
    host: String,
}

/// Why a `--public-url` value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "public URL `{given}`: {problem}; give the origin clients use, e.g. `https://lb.example.edu` or `https://127.0.0.1:8443`"
)]
pub struct PublicUrlError {
    /// The text given.
    pub given: String,
    /// What is wrong with it.
    pub problem: String,
}

impl PublicUrl {
    /// Parses and checks `text`: an absolute `https` URL with a host and nothing after it but an
    /// optional `/`.
    pub fn parse(text: &str) -> Result<Self, PublicUrlError> {
        let refuse = |problem: &str| PublicUrlError {
            given: text.to_owned(),
            problem: problem.to_owned(),
        };
        let url = url::Url::parse(text).map_err(|e| refuse(&format!("not a URL ({e})")))?;
        if url.scheme() != "https" {
            return Err(refuse(
                "the scheme must be https (the demo only serves TLS)",
            ));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(refuse("it must not contain a user name or password"));
        }
        // The issuer is an origin: endpoints are mounted at fixed paths below it, so a path
        // prefix would publish URLs the demo does not serve.
        if url.path() != "/" {
            return Err(refuse("it must not have a path"));
        }
        if url.query().is_some() {
            return Err(refuse("it must not have a query"));
        }
        if url.fragment().is_some() {
            return Err(refuse("it must not have a fragment"));
        }
        let host = match url.host() {
            Some(url::Host::Domain(d)) => d.to_owned(),
            Some(url::Host::Ipv4(ip)) => ip.to_string(),
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            None => return Err(refuse("it has no host")),
        };
        Ok(Self {
            origin: url.origin().ascii_serialization(),
            host,
        })
    }

    /// The origin from a listen address, `https://ADDR` (the default when `--public-url` is not
    /// given).
    pub fn from_addr(addr: std::net::SocketAddr) -> Self {
        Self {
            origin: format!("https://{addr}"),
            host: addr.ip().to_string(),
        }
    }

    /// `https://host[:port]`, without a trailing slash (the issuer).
    pub fn as_str(&self) -> &str {
        &self.origin
    }

    /// The host name or IP address (IPv6 without brackets): the server certificate must cover it.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The origin followed by `path` (which starts with `/`).
    pub fn join(&self, path: &str) -> String {
        format!("{}{path}", self.origin)
    }
}

impl fmt::Display for PublicUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.origin)
    }
}

impl FromStr for PublicUrl {
    type Err = PublicUrlError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}
