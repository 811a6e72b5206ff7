//! Fetching a `private_key_jwt` client's keys from its registered `jwks_uri`, behind an SSRF
//! guard (DR-04, JW-18): https only, no redirects, no proxy, timeouts, a 64 KiB cap, and the host
//! must resolve to public addresses only (the connection is pinned to the checked address, so DNS
//! rebinding cannot swap it). Results are cached; an unknown `kid` refetches at most once a
//! minute per URI.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::RwLock;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;

/// How the server fetches clients' `jwks_uri` documents.
#[derive(Clone, Default)]
pub struct JwksUriPolicy {
    /// Allow hosts that resolve to loopback, private, link-local or other non-public addresses.
    /// Off by default; for tests and closed networks only.
    pub allow_private_addresses: bool,
    /// Trust exactly these CA certificates (PEM) instead of the platform roots.
    pub ca_pem: Option<Vec<u8>>,
    /// Accept whatever certificate a `jwks_uri` on a loopback address (`127.0.0.0/8`, `::1`)
    /// presents. Off by default. For development machines where every process has a development
    /// CA of its own (the LTI demo: a platform cannot know the CA of each tool started beside
    /// it): loopback traffic never leaves the machine, so no network attacker can answer in the
    /// tool's place. Needs `allow_private_addresses`. Any other address is verified as usual.
    pub trust_loopback_certificates: bool,
}

impl std::fmt::Debug for JwksUriPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwksUriPolicy")
            .field("allow_private_addresses", &self.allow_private_addresses)
            .field("custom_ca", &self.ca_pem.is_some())
            .field(
                "trust_loopback_certificates",
                &self.trust_loopback_certificates,
            )
            .finish()
    }
}

const MAX_BYTES: usize = 64 * 1024;
const CACHE_TTL: Duration = Duration::from_secs(300);
const MIN_REFETCH: Duration = Duration::from_secs(60);

/// Whether an address is publicly routable (not loopback, private, link-local, CGNAT, multicast,
/// documentation, unspecified or IPv4-mapped versions of those).
pub(crate) fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_unspecified()
                || v4.is_multicast()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1]))
                || o[0] >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let seg = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (seg[0] & 0xfe00) == 0xfc00
                || (seg[0] & 0xffc0) == 0xfe80
                || seg[0] == 0x2001 && seg[1] == 0x0db8)
        }
    }
}

pub(crate) struct JwksFetcher {
    policy: JwksUriPolicy,
    cache: RwLock<HashMap<String, (JwkSet, Instant)>>,
}

impl JwksFetcher {
    pub(crate) fn new(policy: JwksUriPolicy) -> Self {
        Self {
            policy,
            cache: RwLock::new(HashMap::new()),
        }
    }

    pub(crate) fn policy(&self) -> &JwksUriPolicy {
        &self.policy
    }

    /// The key set, from the cache when fresh; `force` refetches unless the entry is younger than
    /// the minimum refetch interval (unknown-`kid` floods, JW-19).
    pub(crate) async fn get(&self, uri: &str, force: bool) -> Option<JwkSet> {
        if let Ok(cache) = self.cache.read()
            && let Some((set, at)) = cache.get(uri)
        {
            let age = at.elapsed();
            if age < MIN_REFETCH || (!force && age < CACHE_TTL) {
                return Some(set.clone());
            }
        }
        match self.fetch(uri).await {
            Ok(set) => {
                if let Ok(mut cache) = self.cache.write() {
                    if cache.len() > 1000 {
                        cache.clear();
                    }
                    cache.insert(uri.to_owned(), (set.clone(), Instant::now()));
                }
                Some(set)
            }
            Err(e) => {
                tracing::warn!(jwks_uri = %uri, error = %e, "client jwks_uri fetch failed");
                None
            }
        }
    }

    async fn fetch(&self, uri: &str) -> Result<JwkSet, String> {
        let url = url::Url::parse(uri).map_err(|e| e.to_string())?;
        if url.scheme() != "https" {
            return Err("jwks_uri must be https".into());
        }
        let host = url.host_str().ok_or("jwks_uri has no host")?.to_owned();
        let port = url.port_or_known_default().unwrap_or(443);
        let addr: SocketAddr = match url.host() {
            Some(url::Host::Ipv4(ip)) => SocketAddr::new(IpAddr::V4(ip), port),
            Some(url::Host::Ipv6(ip)) => SocketAddr::new(IpAddr::V6(ip), port),
            _ => tokio::net::lookup_host((host.as_str(), port))
                .await
                .map_err(|e| format!("cannot resolve: {e}"))?
                .find(|a| self.policy.allow_private_addresses || is_public(a.ip()))
                .ok_or("the host does not resolve to a public address")?,
        };
        if !self.policy.allow_private_addresses && !is_public(addr.ip()) {
            return Err("the host is not a public address".into());
        }
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(5))
            .connect_timeout(Duration::from_secs(3))
            .https_only(true)
            .no_proxy()
            .resolve(&host, addr);
        if self.policy.trust_loopback_certificates && addr.ip().is_loopback() {
            builder = builder.danger_accept_invalid_certs(true);
        } else if let Some(pem) = &self.policy.ca_pem {
            let config = crate::tls::client_config(Some(pem)).map_err(|e| e.to_string())?;
            builder = builder.tls_backend_preconfigured(config);
        }
        let client = builder.build().map_err(|e| e.to_string())?;
        let resp = client.get(url).send().await.map_err(|e| e.to_string())?;
        if !resp.status().is_success() {
            return Err(format!("status {}", resp.status()));
        }
        let body = crate::client::read_capped(resp, MAX_BYTES)
            .await
            .map_err(|e| e.to_string())?;
        let set: JwkSet = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
        if set.keys.len() > 50 {
            return Err("too many keys".into());
        }
        Ok(set)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_public_addresses_are_recognised() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "169.254.169.254",
            "192.168.1.1",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        assert!(is_public("93.184.216.34".parse().unwrap()));
        assert!(is_public("2606:4700::1111".parse().unwrap()));
    }
}
