//! Expectations: the creations and deletions a controller has issued for a key but not
//! yet seen in its informer cache. Until they are observed (or time out, for a lost
//! watch event), the controller must not act on the cache again, or it would create or
//! delete the same pods twice (upstream's `UIDTrackingControllerExpectations`:
//! deletions are tracked by pod UID, so seeing a pod both marked and then gone counts
//! once).

use std::collections::{HashMap, HashSet};
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// After this long, unmet expectations are assumed lost (upstream: 5 minutes).
const TTL: Duration = Duration::from_secs(300);

#[derive(Debug, Clone)]
struct Pending {
    adds: i64,
    deletes: HashSet<String>,
    set_at: Instant,
}

pub struct Expectations<K> {
    pending: Mutex<HashMap<K, Pending>>,
}

impl<K: Clone + Eq + Hash> Default for Expectations<K> {
    fn default() -> Self {
        Expectations {
            pending: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Clone + Eq + Hash> Expectations<K> {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, Pending>> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether the cache has caught up with everything issued for `key`.
    pub fn satisfied(&self, key: &K) -> bool {
        match self.lock().get(key) {
            None => true,
            Some(p) => (p.adds <= 0 && p.deletes.is_empty()) || p.set_at.elapsed() > TTL,
        }
    }

    /// Records `adds` creations and the deletion of `delete_uids` about to be issued.
    pub fn expect(&self, key: &K, adds: i64, delete_uids: impl IntoIterator<Item = String>) {
        self.lock().insert(
            key.clone(),
            Pending {
                adds,
                deletes: delete_uids.into_iter().collect(),
                set_at: Instant::now(),
            },
        );
    }

    pub fn creation_observed(&self, key: &K) {
        if let Some(p) = self.lock().get_mut(key) {
            p.adds -= 1;
        }
    }

    pub fn deletion_observed(&self, key: &K, uid: &str) {
        if let Some(p) = self.lock().get_mut(key) {
            p.deletes.remove(uid);
        }
    }

    /// Creations that failed will never be observed.
    pub fn lower_adds(&self, key: &K, adds: i64) {
        if let Some(p) = self.lock().get_mut(key) {
            p.adds -= adds;
        }
    }

    pub fn forget(&self, key: &K) {
        self.lock().remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn satisfied_only_when_every_issued_action_was_observed() {
        let e = Expectations::default();
        assert!(e.satisfied(&"rs"));
        e.expect(&"rs", 2, ["pod-1".to_string()]);
        assert!(!e.satisfied(&"rs"));
        e.creation_observed(&"rs");
        e.deletion_observed(&"rs", "pod-1");
        e.deletion_observed(&"rs", "pod-1"); // seen marked, then gone: counted once
        assert!(!e.satisfied(&"rs"));
        e.lower_adds(&"rs", 1); // the second create failed
        assert!(e.satisfied(&"rs"));
        e.forget(&"rs");
        assert!(e.satisfied(&"rs"));
    }
}
