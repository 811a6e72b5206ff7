//! Per-client-IP request limits on `/token` and `/register` (AS-37, DR-16).
//!
//! Runs as a route layer, so an over-limit request is answered before its body is read and
//! before client authentication, secret hashing or any storage access. The counters are the
//! bounded fixed windows also used for the resource server's failure limit (RS-17).
//!
//! IPv6 clients are counted per /64 prefix. The client address comes from
//! `ConnectInfo<SocketAddr>`, which [`crate::tls::serve_tls`] inserts. Without it (the router
//! driven in-process, or served by something that does not record peers) requests are not limited:
//! lumping every caller into one bucket would let one client lock out all others. Behind a reverse
//! proxy every request shares the proxy's address, so limit at the proxy instead and disable these
//! limits.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::OAuthError;
use crate::resource_server::failure_limit::IpWindowLimiter;

/// Default `/token` limit: 1 000 requests per second per client address. Client-credentials
/// tokens live an hour and clients cache them, so a legitimate address stays far below this, while
/// one address can no longer take the whole server (a 2-core box issues about 2 000 RS256 or
/// 14 000 ES256 tokens/s). Raise it with [`super::AuthorizationServerBuilder::token_rate_limit`]
/// for a gateway that fronts many clients from one address, or turn it off with
/// [`super::AuthorizationServerBuilder::without_token_rate_limit`] when a proxy limits instead.
pub const DEFAULT_TOKEN_RATE_LIMIT: RateLimit = RateLimit {
    requests: 1_000,
    per: Duration::from_secs(1),
};

/// Default `/register` (and RFC 7592 management) limit: 20 requests per minute per address.
pub const DEFAULT_REGISTRATION_RATE_LIMIT: RateLimit = RateLimit {
    requests: 20,
    per: Duration::from_secs(60),
};

/// At most `requests` requests per client address in each window of length `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests admitted per window (at least 1).
    pub requests: u32,
    /// Window length (at least 1 ms).
    pub per: Duration,
}

impl RateLimit {
    /// Checks the values; `what` names the limit in the error.
    pub(crate) fn validate(&self, what: &str) -> Result<(), String> {
        if self.requests == 0 || self.per < Duration::from_millis(1) {
            return Err(format!(
                "{what} rate limit of {} requests per {:?} is invalid: use at least 1 request \
                 per at least 1 ms, or disable the limit",
                self.requests, self.per
            ));
        }
        Ok(())
    }

    pub(crate) fn limiter(&self) -> Arc<IpWindowLimiter> {
        Arc::new(IpWindowLimiter::new(self.requests, self.per))
    }
}

/// Route layer: admits the request if its client address has room in the current window,
/// otherwise answers 429 at once.
pub(crate) async fn limit(
    State(limiter): State<Arc<IpWindowLimiter>>,
    req: Request,
    next: Next,
) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| client_key(addr.ip()));
    if let Some(ip) = peer
        && let Err(wait) = limiter.try_acquire(ip)
    {
        // debug, not warn: a flood would otherwise turn into a log flood.
        tracing::debug!(%ip, "authorization server rate limit exceeded");
        return too_many_requests(wait);
    }
    next.run(req).await
}

/// The address a request is counted under: IPv4 as is (also when IPv4-mapped), IPv6 by its /64
/// prefix, since one host usually holds a whole /64 and could otherwise rotate addresses to
/// escape the limit.
fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// `429` with `Retry-After` (whole seconds, rounded up) and a generic RFC 6749 error body.
fn too_many_requests(wait: Duration) -> Response {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let mut resp = OAuthError::invalid_request("too many requests")
        .with_status(StatusCode::TOO_MANY_REQUESTS)
        .into_response();
    resp.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_are_counted_per_64_prefix_and_mapped_ipv4_as_ipv4() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(client_key(a), client_key(b));
        assert_ne!(client_key(a), client_key(other));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(client_key(mapped), IpAddr::from([192, 0, 2, 7]));
        let v4: IpAddr = [198, 51, 100, 1].into();
        assert_eq!(client_key(v4), v4);
    }

    #[test]
    fn zero_requests_or_zero_window_is_rejected() {
        assert!(
            RateLimit {
                requests: 0,
                per: Duration::from_secs(1)
            }
            .validate("token")
            .is_err()
        );
        assert!(
            RateLimit {
                requests: 1,
                per: Duration::ZERO
            }
            .validate("token")
            .is_err()
        );
        assert!(DEFAULT_TOKEN_RATE_LIMIT.validate("token").is_ok());
        assert!(
            DEFAULT_REGISTRATION_RATE_LIMIT
                .validate("registration")
                .is_ok()
        );
    }
}
