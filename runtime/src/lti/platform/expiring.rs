//! A bounded in-memory map whose entries expire: launches waiting for their authentication
//! request, deep-linking `data` waiting for its response, and spent response nonces.
//!
//! Bounded because anyone who can start a launch fills it; when full, expired entries are
//! dropped first, and if it is still full the insert is refused (the caller answers 503)
//! rather than evicting a launch in flight.

use std::collections::HashMap;
use std::sync::Mutex;

struct Entry<V> {
    value: V,
    expires_at: i64,
}

pub(crate) struct ExpiringMap<V> {
    capacity: usize,
    entries: Mutex<HashMap<String, Entry<V>>>,
}

impl<V: Clone> ExpiringMap<V> {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// Inserts `value` under `key` until `expires_at`; `false` when the map is full of live
    /// entries, or `key` is already live (a replayed nonce).
    pub(crate) fn insert(&self, key: String, value: V, expires_at: i64, now: i64) -> bool {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.get(&key).is_some_and(|e| e.expires_at > now) {
            return false;
        }
        if entries.len() >= self.capacity {
            entries.retain(|_, e| e.expires_at > now);
            if entries.len() >= self.capacity {
                return false;
            }
        }
        entries.insert(key, Entry { value, expires_at });
        true
    }

    /// The live value under `key`.
    pub(crate) fn get(&self, key: &str, now: i64) -> Option<V> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries
            .get(key)
            .filter(|e| e.expires_at > now)
            .map(|e| e.value.clone())
    }

    /// Removes and returns the live value under `key` (single use).
    pub(crate) fn take(&self, key: &str, now: i64) -> Option<V> {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries
            .remove(key)
            .filter(|e| e.expires_at > now)
            .map(|e| e.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_are_single_use_and_the_map_is_bounded() {
        let map = ExpiringMap::new(2);
        assert!(map.insert("a".into(), 1, 100, 0));
        assert!(
            !map.insert("a".into(), 9, 100, 0),
            "a live key is not replaced"
        );
        assert!(map.insert("b".into(), 2, 50, 0));
        assert!(!map.insert("c".into(), 3, 100, 0), "full of live entries");
        assert_eq!(map.get("a", 10), Some(1));
        assert_eq!(map.get("b", 50), None, "expired at 50");
        assert!(
            map.insert("c".into(), 3, 100, 60),
            "the expired entry made room"
        );
        assert_eq!(map.take("a", 60), Some(1));
        assert_eq!(map.take("a", 60), None);
    }
}
