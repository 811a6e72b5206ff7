//! Per-client-IP fixed-window counters, shared by two limits:
//! - failed token verifications at the resource server (RS-17): verifying a bad signature costs
//!   tens of microseconds, so an address that keeps sending bad tokens is told to back off (429)
//!   before any more verification work;
//! - requests to the embedded authorization server's `/token` and `/register` endpoints (AS-37,
//!   DR-16), counted before client authentication, hashing or storage work.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Most addresses tracked at once; beyond this, expired windows are dropped and, if still full,
/// tracking restarts (memory stays bounded under address-spraying).
const MAX_TRACKED: usize = 10_000;

/// Counts events per address in fixed windows.
#[derive(Debug)]
pub(crate) struct IpWindowLimiter {
    max_events: u32,
    window: Duration,
    state: Mutex<HashMap<IpAddr, (u32, Instant)>>,
}

/// The resource server's name for the limiter: it counts failed verifications only.
pub(crate) type FailureLimiter = IpWindowLimiter;

impl IpWindowLimiter {
    pub(crate) fn new(max_events: u32, window: Duration) -> Self {
        Self {
            max_events: max_events.max(1),
            window,
            state: Mutex::new(HashMap::new()),
        }
    }

    /// Whether `ip` used up its events in the current window.
    pub(crate) fn is_limited(&self, ip: IpAddr) -> bool {
        let Ok(state) = self.state.lock() else {
            return false;
        };
        state
            .get(&ip)
            .is_some_and(|(n, start)| *n >= self.max_events && start.elapsed() < self.window)
    }

    /// Records one failed verification from `ip`.
    pub(crate) fn record_failure(&self, ip: IpAddr) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        let entry = self.window_entry(&mut state, ip);
        entry.0 = entry.0.saturating_add(1);
    }

    /// Admits one request from `ip` if its window still has room (and counts it); otherwise
    /// returns how long until the window ends. Refused requests are not counted, so a client
    /// that keeps hammering is admitted again as soon as its window ends.
    pub(crate) fn try_acquire(&self, ip: IpAddr) -> Result<(), Duration> {
        let Ok(mut state) = self.state.lock() else {
            // A poisoned lock means a panic elsewhere; failing open keeps the server usable.
            return Ok(());
        };
        let window = self.window;
        let max = self.max_events;
        let entry = self.window_entry(&mut state, ip);
        if entry.0 >= max {
            return Err(window.saturating_sub(entry.1.elapsed()));
        }
        entry.0 += 1;
        Ok(())
    }

    /// The current window's counter for `ip`, starting a new window when the old one ended and
    /// keeping the map bounded.
    fn window_entry<'a>(
        &self,
        state: &'a mut HashMap<IpAddr, (u32, Instant)>,
        ip: IpAddr,
    ) -> &'a mut (u32, Instant) {
        if state.len() >= MAX_TRACKED && !state.contains_key(&ip) {
            let window = self.window;
            state.retain(|_, (_, start)| start.elapsed() < window);
            if state.len() >= MAX_TRACKED {
                state.clear();
            }
        }
        let entry = state.entry(ip).or_insert((0, Instant::now()));
        if entry.1.elapsed() >= self.window {
            *entry = (0, Instant::now());
        }
        entry
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn try_acquire_admits_up_to_the_limit_then_reports_time_left() {
        let limiter = IpWindowLimiter::new(2, Duration::from_secs(600));
        let ip: IpAddr = [192, 0, 2, 1].into();
        let other: IpAddr = [192, 0, 2, 2].into();
        assert!(limiter.try_acquire(ip).is_ok());
        assert!(limiter.try_acquire(ip).is_ok());
        let wait = limiter
            .try_acquire(ip)
            .expect_err("third request is over the limit");
        assert!(wait <= Duration::from_secs(600) && wait > Duration::ZERO);
        assert!(limiter.try_acquire(other).is_ok(), "limits are per address");
    }

    #[test]
    fn failures_limit_after_max_failures() {
        let limiter = FailureLimiter::new(2, Duration::from_secs(600));
        let ip: IpAddr = [192, 0, 2, 1].into();
        limiter.record_failure(ip);
        assert!(!limiter.is_limited(ip));
        limiter.record_failure(ip);
        assert!(limiter.is_limited(ip));
    }
}
