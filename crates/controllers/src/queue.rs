//! The work queue behind every controller: keys, not events (reconciles are
//! level-triggered), each key at most once in the queue and never processed by two
//! workers at once, failed keys retried with per-key exponential back-off (5 ms doubling
//! to 1000 s, upstream's default controller rate limiter), and delayed re-adds.

use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use crate::metrics::{QueueLabel, queues};

const BASE_DELAY: Duration = Duration::from_millis(5);
const MAX_DELAY: Duration = Duration::from_secs(1000);

struct State<K> {
    queue: VecDeque<K>,
    /// Keys waiting to be processed (in `queue`, or re-added while processing).
    dirty: HashSet<K>,
    processing: HashSet<K>,
    failures: HashMap<K, u32>,
    /// When each waiting key was added, and when each processed key was taken.
    added_at: HashMap<K, Instant>,
    taken_at: HashMap<K, Instant>,
}

pub struct WorkQueue<K> {
    state: Mutex<State<K>>,
    ready: Notify,
    /// The `name` label of this queue's metrics.
    label: QueueLabel,
}

impl<K: Clone + Eq + Hash + Send + 'static> WorkQueue<K> {
    pub fn new() -> Arc<WorkQueue<K>> {
        WorkQueue::named("unnamed")
    }

    /// A queue whose metrics carry `name` (upstream's controller queue names).
    pub fn named(name: &str) -> Arc<WorkQueue<K>> {
        Arc::new(WorkQueue {
            state: Mutex::new(State {
                queue: VecDeque::new(),
                dirty: HashSet::new(),
                processing: HashSet::new(),
                failures: HashMap::new(),
                added_at: HashMap::new(),
                taken_at: HashMap::new(),
            }),
            ready: Notify::new(),
            label: QueueLabel {
                name: name.to_string(),
            },
        })
    }

    fn record_depth(&self, depth: usize) {
        queues().depth.get_or_create(&self.label).set(depth as i64);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State<K>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn add(&self, key: K) {
        let mut st = self.lock();
        if !st.dirty.insert(key.clone()) {
            return;
        }
        queues().adds.get_or_create(&self.label).inc();
        st.added_at.insert(key.clone(), Instant::now());
        if !st.processing.contains(&key) {
            st.queue.push_back(key);
            let depth = st.queue.len();
            drop(st);
            self.record_depth(depth);
            self.ready.notify_one();
        }
    }

    pub fn add_after(self: &Arc<Self>, key: K, delay: Duration) {
        if delay.is_zero() {
            return self.add(key);
        }
        let this = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            this.add(key);
        });
    }

    /// Re-adds a failed key after its back-off.
    pub fn add_rate_limited(self: &Arc<Self>, key: K) {
        let delay = {
            let mut st = self.lock();
            let failures = st.failures.entry(key.clone()).or_insert(0);
            *failures += 1;
            backoff(*failures)
        };
        self.add_after(key, delay);
    }

    /// Forgets a key's failures (after a success).
    pub fn forget(&self, key: &K) {
        self.lock().failures.remove(key);
    }

    /// The next key to process; the caller must call `done` with it.
    pub async fn get(&self) -> K {
        loop {
            let notified = self.ready.notified();
            {
                let mut st = self.lock();
                if let Some(key) = st.queue.pop_front() {
                    st.dirty.remove(&key);
                    st.processing.insert(key.clone());
                    if let Some(added) = st.added_at.remove(&key) {
                        queues()
                            .queue_duration
                            .get_or_create(&self.label)
                            .observe(added.elapsed().as_secs_f64());
                    }
                    st.taken_at.insert(key.clone(), Instant::now());
                    let depth = st.queue.len();
                    if depth > 0 {
                        self.ready.notify_one();
                    }
                    drop(st);
                    self.record_depth(depth);
                    return key;
                }
            }
            notified.await;
        }
    }

    pub fn done(&self, key: &K) {
        let mut st = self.lock();
        st.processing.remove(key);
        if let Some(taken) = st.taken_at.remove(key) {
            queues()
                .work_duration
                .get_or_create(&self.label)
                .observe(taken.elapsed().as_secs_f64());
        }
        if st.dirty.contains(key) {
            st.queue.push_back(key.clone());
            drop(st);
            self.ready.notify_one();
        }
    }

    /// Keys waiting (the queue depth).
    pub fn len(&self) -> usize {
        self.lock().queue.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lock().queue.is_empty()
    }
}

pub fn backoff(failures: u32) -> Duration {
    let factor = 2u32.saturating_pow(failures.saturating_sub(1).min(30));
    BASE_DELAY.saturating_mul(factor).min(MAX_DELAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn keys_are_deduplicated_and_not_processed_twice_at_once() {
        let q = WorkQueue::new();
        q.add("a");
        q.add("a");
        q.add("b");
        assert_eq!(q.len(), 2);
        let first = q.get().await;
        assert_eq!(first, "a");
        // Re-added while processing: not handed out again until done.
        q.add("a");
        assert_eq!(q.get().await, "b");
        assert_eq!(q.len(), 0);
        q.done(&"a");
        assert_eq!(q.get().await, "a");
    }

    #[test]
    fn backoff_doubles_from_5ms_to_1000s() {
        assert_eq!(backoff(1), Duration::from_millis(5));
        assert_eq!(backoff(2), Duration::from_millis(10));
        assert_eq!(backoff(5), Duration::from_millis(80));
        assert_eq!(backoff(40), Duration::from_secs(1000));
    }

    #[tokio::test(start_paused = true)]
    async fn rate_limited_keys_come_back_after_their_delay() {
        let q = WorkQueue::new();
        q.add_rate_limited("x");
        q.add_rate_limited("x"); // second failure: 10 ms
        tokio::time::sleep(Duration::from_millis(6)).await;
        assert_eq!(q.get().await, "x");
        q.forget(&"x");
        assert!(q.lock().failures.is_empty());
    }
}
