//! Per-client-IP limit on failed token verifications (RS-17): verifying a bad signature costs
//! tens of microseconds, so an address that keeps sending bad tokens is told to back off (429)
//! before any more verification work.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Most addresses tracked at once; beyond this, expired windows are dropped and, if still full,
/// tracking restarts (memory stays bounded under address-spraying).
const MAX_TRACKED: usize = 10_000;

/// Counts failures per address in fixed windows.
#[derive(Debug)]
pub(crate) struct FailureLimiter {
    max_failures: u32,
    window: Duration,
    state: Mutex<HashMap<IpAddr, (u32, Instant)>>,
}

impl FailureLimiter {
    pub(crate) fn new(max_failures: u32, window: Duration) -> Self {
        Self {
            max_failures: max_failures.max(1),
            window,
            state: Mutex::new(HashMap::new()),
        }
    }

    /// Whether `ip` used up its failures in the current window.
    pub(crate) fn is_limited(&self, ip: IpAddr) -> bool {
        let Ok(state) = self.state.lock() else {
            return false;
        };
        state
            .get(&ip)
            .is_some_and(|(n, start)| *n >= self.max_failures && start.elapsed() < self.window)
    }

    /// Records one failed verification from `ip`.
    pub(crate) fn record_failure(&self, ip: IpAddr) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
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
        entry.0 = entry.0.saturating_add(1);
    }
}
