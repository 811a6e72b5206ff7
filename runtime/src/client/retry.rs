//! [`RetryPolicy`]: bounded retries of idempotent requests on 429/503 and connect errors.

use std::time::{Duration, SystemTime};

/// When and how often a request is retried.
///
/// Only idempotent methods (GET, HEAD, PUT, DELETE, OPTIONS) are retried, so a retry can never
/// create a second record; only on 429 Too Many Requests, 503 Service Unavailable, and
/// connection failures (the request never reached the server). The wait is the server's
/// `Retry-After` (delta-seconds or HTTP-date) when it sends one, else exponential backoff with
/// jitter; either way at most `max_delay`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total attempts including the first (1 = never retry).
    pub max_attempts: u32,
    /// Backoff before the first retry without `Retry-After`; doubled per retry.
    pub base_delay: Duration,
    /// Longest single wait, also the cap on `Retry-After` (a server cannot park the client).
    pub max_delay: Duration,
    /// Whether connection failures are retried.
    pub retry_connect_errors: bool,
}

impl Default for RetryPolicy {
    /// 3 attempts, 200 ms base backoff, waits capped at 10 s, connect errors retried.
    fn default() -> Self {
        Self {
            max_attempts: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
            retry_connect_errors: true,
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Whether `method` may be retried at all (RFC 9110 §9.2.2 idempotent methods).
    pub fn is_idempotent(method: &http::Method) -> bool {
        matches!(
            *method,
            http::Method::GET
                | http::Method::HEAD
                | http::Method::PUT
                | http::Method::DELETE
                | http::Method::OPTIONS
        )
    }

    /// Whether a response with `status` is worth retrying.
    pub fn is_retryable_status(status: u16) -> bool {
        status == 429 || status == 503
    }

    /// The wait before retry number `retry` (1-based): `retry_after` capped at `max_delay`,
    /// else `base_delay * 2^(retry-1)` capped, with jitter in its upper half so that many
    /// clients backing off together do not retry in lockstep.
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(d) = retry_after {
            return d.min(self.max_delay);
        }
        let exp = retry.saturating_sub(1).min(20);
        let full = self
            .base_delay
            .saturating_mul(1u32 << exp)
            .min(self.max_delay);
        let half = full / 2;
        let jitter_ms = u64::try_from(half.as_millis()).unwrap_or(u64::MAX);
        let extra = if jitter_ms == 0 {
            0
        } else {
            rand::random_range(0..=jitter_ms)
        };
        half + Duration::from_millis(extra)
    }
}

/// Parses a `Retry-After` value (RFC 9110 §10.2.3): delta-seconds, or an HTTP-date (IMF-fixdate)
/// turned into the time left from `now` (zero when it is in the past). `None` when unparsable.
///
/// ```
/// use std::time::{Duration, SystemTime, UNIX_EPOCH};
/// use ims_runtime::client::parse_retry_after;
/// let now = UNIX_EPOCH + Duration::from_secs(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
/// assert_eq!(parse_retry_after("120", now), Some(Duration::from_secs(120)));
/// assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:47 GMT", now), Some(Duration::from_secs(10)));
/// assert_eq!(parse_retry_after("soon", now), None);
/// ```
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Absurdly long digit strings saturate rather than fail: the cap applies later.
        return Some(Duration::from_secs(
            value.parse::<u64>().unwrap_or(u64::MAX),
        ));
    }
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let at = time::PrimitiveDateTime::parse(value, &format)
        .ok()?
        .assume_utc();
    let at = SystemTime::from(at);
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_capped_and_backoff_grows_within_bounds() {
        let p = RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(300),
            retry_connect_errors: true,
        };
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(3600))),
            Duration::from_millis(300)
        );
        for _ in 0..50 {
            let d1 = p.delay(1, None);
            assert!(d1 >= Duration::from_millis(50) && d1 <= Duration::from_millis(100));
            let d4 = p.delay(4, None);
            assert!(d4 >= Duration::from_millis(150) && d4 <= Duration::from_millis(300));
        }
        assert!(p.delay(u32::MAX, None) <= Duration::from_millis(300));
    }

    #[test]
    fn only_idempotent_methods_and_busy_statuses_retry() {
        assert!(RetryPolicy::is_idempotent(&http::Method::GET));
        assert!(RetryPolicy::is_idempotent(&http::Method::PUT));
        assert!(!RetryPolicy::is_idempotent(&http::Method::POST));
        assert!(!RetryPolicy::is_idempotent(&http::Method::PATCH));
        assert!(RetryPolicy::is_retryable_status(429));
        assert!(RetryPolicy::is_retryable_status(503));
        assert!(!RetryPolicy::is_retryable_status(500));
    }

    #[test]
    fn past_dates_mean_now() {
        let now = SystemTime::now();
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(
            parse_retry_after("99999999999999999999999", now),
            Some(Duration::from_secs(u64::MAX))
        );
    }
}
