//! Launches remembered server-side by a random `launch_id`, the tool's only session.
//!
//! The pages after a launch live in the platform's iframe, where a browser blocking third-party
//! cookies drops the tool's cookies; so there are none. The `launch_id` in the URL is the
//! capability (256 random bits, never guessable) and each launch holds a CSRF token its forms
//! carry, compared in constant time. The memory is bounded (the oldest launch is forgotten
//! first) and every launch expires.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ims_runtime::authorization_server::secrets::{ct_eq, random_token};
use ims_runtime::lti::{DeepLinkingLaunch, LaunchClaims, ResourceLinkLaunch};

/// How long a launch's pages keep working.
pub const LAUNCH_LIFETIME: Duration = Duration::from_secs(3600);
/// How many launches are remembered at once; beyond it the oldest is forgotten.
pub const MAX_REMEMBERED_LAUNCHES: usize = 10_000;

/// A validated launch of either kind.
#[derive(Clone, Debug)]
pub enum RememberedKind {
    /// A resource-link launch.
    ResourceLink(ResourceLinkLaunch),
    /// A deep-linking launch.
    DeepLinking(DeepLinkingLaunch),
}

/// One remembered launch.
#[derive(Clone, Debug)]
pub struct Remembered {
    /// The launch.
    pub kind: RememberedKind,
    /// The CSRF token its forms carry.
    pub csrf: String,
    /// The line item scores go to, once found or created.
    pub line_item: Option<String>,
    expires: Instant,
}

impl Remembered {
    /// The launch's common claims.
    pub fn claims(&self) -> &LaunchClaims {
        match &self.kind {
            RememberedKind::ResourceLink(l) => &l.claims,
            RememberedKind::DeepLinking(l) => &l.claims,
        }
    }

    /// Whether `presented` is this launch's CSRF token.
    pub fn csrf_matches(&self, presented: &str) -> bool {
        ct_eq(presented, &self.csrf)
    }
}

#[derive(Default)]
struct Inner {
    by_id: HashMap<String, Remembered>,
    /// Ids in the order they were remembered (every launch lives as long, so the front is the
    /// one to expire or evict first).
    order: VecDeque<String>,
}

/// The remembered launches.
#[derive(Clone)]
pub struct LaunchMemory {
    inner: Arc<Mutex<Inner>>,
    lifetime: Duration,
    capacity: usize,
}

impl std::fmt::Debug for LaunchMemory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LaunchMemory")
            .field("lifetime", &self.lifetime)
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

impl Default for LaunchMemory {
    fn default() -> Self {
        Self::new(LAUNCH_LIFETIME, MAX_REMEMBERED_LAUNCHES)
    }
}

impl LaunchMemory {
    /// A memory keeping at most `capacity` launches for `lifetime` each.
    pub fn new(lifetime: Duration, capacity: usize) -> Self {
        Self {
            inner: Arc::default(),
            lifetime,
            capacity: capacity.max(1),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Remembers `kind` under a new `launch_id`, returned with the launch's CSRF token.
    pub fn remember(&self, kind: RememberedKind) -> (String, Remembered) {
        let id = random_token();
        let remembered = Remembered {
            kind,
            csrf: random_token(),
            line_item: None,
            expires: Instant::now() + self.lifetime,
        };
        let mut inner = self.lock();
        let now = Instant::now();
        while let Some(front) = inner.order.front().cloned() {
            let expired = inner.by_id.get(&front).is_none_or(|r| r.expires <= now);
            if !expired && inner.by_id.len() < self.capacity {
                break;
            }
            inner.order.pop_front();
            inner.by_id.remove(&front);
        }
        inner.by_id.insert(id.clone(), remembered.clone());
        inner.order.push_back(id.clone());
        (id, remembered)
    }

    /// The launch `launch_id`, unless unknown or expired.
    pub fn get(&self, launch_id: &str) -> Option<Remembered> {
        let inner = self.lock();
        inner
            .by_id
            .get(launch_id)
            .filter(|r| r.expires > Instant::now())
            .cloned()
    }

    /// Records the line item of `launch_id` (so the next score skips the search).
    pub fn set_line_item(&self, launch_id: &str, line_item: &str) {
        if let Some(r) = self.lock().by_id.get_mut(launch_id) {
            r.line_item = Some(line_item.to_owned());
        }
    }

    /// Forgets `launch_id` (a deep-linking launch answers once).
    pub fn forget(&self, launch_id: &str) {
        let mut inner = self.lock();
        inner.by_id.remove(launch_id);
        inner.order.retain(|id| id != launch_id);
    }

    /// How many launches are remembered (expired ones included until evicted).
    pub fn len(&self) -> usize {
        self.lock().by_id.len()
    }

    /// Whether no launch is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
