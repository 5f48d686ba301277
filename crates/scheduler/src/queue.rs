//! The scheduling queue: which pending pod to try next, and when to try a failed one
//! again. As upstream's: an active heap ordered by priority then arrival, a back-off area
//! (1 s doubling to 10 s per failed attempt), and an unschedulable pool that cluster
//! events (a node added or changed, a pod leaving) move back, plus a periodic flush so
//! nothing waits forever. Time is passed in, so the behaviour is testable without sleeping.

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::time::{Duration, Instant};

/// Where a pending pod is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// Waiting its turn.
    Active,
    /// Failed recently; becomes active at the stored time.
    Backoff(Instant),
    /// Failed; waits for a cluster event (or the periodic flush).
    Unschedulable,
    /// Being scheduled or bound right now.
    InFlight,
    /// Has scheduling gates; not tried until they are removed.
    Gated,
}

#[derive(Debug, Clone)]
struct Entry {
    generation: u64,
    location: Location,
    priority: i32,
    attempts: u32,
    last_failure: Option<Instant>,
    unschedulable_since: Option<Instant>,
    /// The last failure named a node refused for room (resources, ports), which a pod
    /// leaving can cure.
    waits_for_room: bool,
}

#[derive(Debug, PartialEq, Eq)]
struct ActiveItem {
    priority: i32,
    seq: u64,
    generation: u64,
    key: String,
}

impl Ord for ActiveItem {
    fn cmp(&self, o: &Self) -> Ordering {
        // Higher priority first, then earlier arrival.
        self.priority
            .cmp(&o.priority)
            .then_with(|| o.seq.cmp(&self.seq))
    }
}

impl PartialOrd for ActiveItem {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

/// Queue timing, upstream's defaults in [`QueueTiming::default`].
#[derive(Debug, Clone, Copy)]
pub struct QueueTiming {
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// How long a pod stays unschedulable without any event before it is retried anyway.
    pub unschedulable_retry: Duration,
}

impl Default for QueueTiming {
    fn default() -> QueueTiming {
        QueueTiming {
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(10),
            unschedulable_retry: Duration::from_secs(60),
        }
    }
}

#[derive(Debug, Default)]
pub struct Queue {
    entries: HashMap<String, Entry>,
    active: BinaryHeap<ActiveItem>,
    backoff: BinaryHeap<Reverse<(Instant, u64, String)>>,
    unschedulable: HashSet<String>,
    /// No unschedulable pod is due for its periodic retry before this: `flush` runs four
    /// times a second and would otherwise look at every unschedulable pod each time
    /// (17,000 lookups per run in `bench api`, whose pods never fit).
    retry_due: Option<Instant>,
    seq: u64,
    timing: QueueTiming,
}

impl Queue {
    pub fn new(timing: QueueTiming) -> Queue {
        Queue {
            timing,
            ..Queue::default()
        }
    }

    /// The back-off after `attempts` failures: initial × 2^(attempts−1), capped.
    pub fn backoff_after(&self, attempts: u32) -> Duration {
        if attempts == 0 {
            return Duration::ZERO;
        }
        let factor = 1u32.checked_shl(attempts - 1).unwrap_or(u32::MAX);
        self.timing
            .initial_backoff
            .saturating_mul(factor)
            .min(self.timing.max_backoff)
    }

    pub fn location(&self, key: &str) -> Option<Location> {
        self.entries.get(key).map(|e| e.location)
    }

    pub fn attempts(&self, key: &str) -> u32 {
        self.entries.get(key).map_or(0, |e| e.attempts)
    }

    pub fn has_active(&self) -> bool {
        !self.active.is_empty()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn set(&mut self, key: &str, location: Location) {
        self.seq += 1;
        let seq = self.seq;
        let Some(e) = self.entries.get_mut(key) else {
            return;
        };
        if e.location == Location::Unschedulable {
            self.unschedulable.remove(key);
        }
        e.generation = seq;
        e.location = location;
        match location {
            Location::Active => self.active.push(ActiveItem {
                priority: e.priority,
                seq,
                generation: seq,
                key: key.to_string(),
            }),
            Location::Backoff(at) => self.backoff.push(Reverse((at, seq, key.to_string()))),
            Location::Unschedulable => {
                self.unschedulable.insert(key.to_string());
            }
            Location::InFlight | Location::Gated => {}
        }
    }

    /// Active now, or in back-off until its back-off since the last failure has passed.
    fn activate(&mut self, key: &str, now: Instant) {
        let Some(e) = self.entries.get(key) else {
            return;
        };
        let ready = e
            .last_failure
            .map(|t| t + self.backoff_after(e.attempts))
            .filter(|at| *at > now);
        match ready {
            Some(at) => self.set(key, Location::Backoff(at)),
            None => self.set(key, Location::Active),
        }
    }

    /// A pod to schedule appeared or changed in a way that may help. New pods become
    /// active; gated or unschedulable ones move back (respecting back-off); pods already
    /// waiting or in flight stay where they are.
    pub fn add(&mut self, key: &str, priority: i32, now: Instant) {
        match self.entries.get_mut(key) {
            None => {
                self.entries.insert(
                    key.to_string(),
                    Entry {
                        generation: 0,
                        location: Location::Gated,
                        priority,
                        attempts: 0,
                        last_failure: None,
                        unschedulable_since: None,
                        waits_for_room: false,
                    },
                );
                self.set(key, Location::Active);
            }
            Some(e) => {
                e.priority = priority;
                if matches!(e.location, Location::Gated | Location::Unschedulable) {
                    self.activate(key, now);
                }
            }
        }
    }

    /// A pod with scheduling gates: tracked, never tried.
    pub fn add_gated(&mut self, key: &str, priority: i32) {
        match self.entries.get_mut(key) {
            None => {
                self.entries.insert(
                    key.to_string(),
                    Entry {
                        generation: 0,
                        location: Location::Gated,
                        priority,
                        attempts: 0,
                        last_failure: None,
                        unschedulable_since: None,
                        waits_for_room: false,
                    },
                );
            }
            Some(e) if e.location != Location::InFlight => {
                e.priority = priority;
                self.set(key, Location::Gated);
            }
            Some(_) => {}
        }
    }

    pub fn remove(&mut self, key: &str) {
        if self.entries.remove(key).is_some() {
            self.unschedulable.remove(key);
        }
    }

    /// Moves expired back-offs to active, and retries pods unschedulable for longer than
    /// the retry interval.
    pub fn flush(&mut self, now: Instant) {
        while let Some(Reverse((at, seq, _))) = self.backoff.peek() {
            if *at > now {
                break;
            }
            let seq = *seq;
            let Some(Reverse((_, _, key))) = self.backoff.pop() else {
                break;
            };
            if self.entries.get(&key).is_some_and(|e| e.generation == seq) {
                self.set(&key, Location::Active);
            }
        }
        if self.retry_due.is_none_or(|due| now < due) {
            return;
        }
        let retry = self.timing.unschedulable_retry;
        let mut stale = Vec::new();
        let mut next_due: Option<Instant> = None;
        for key in &self.unschedulable {
            let Some(since) = self.entries.get(key).and_then(|e| e.unschedulable_since) else {
                continue;
            };
            if now.duration_since(since) >= retry {
                stale.push(key.clone());
            } else {
                let due = since + retry;
                next_due = Some(next_due.map_or(due, |d| d.min(due)));
            }
        }
        self.retry_due = next_due;
        for key in stale {
            self.activate(&key, now);
        }
    }

    /// A cluster event that may make unschedulable pods fit: a node added or changed
    /// (`only_waiting_for_room` false), or a pod leaving a node (true: only pods refused
    /// for room). Returns how many pods moved.
    pub fn move_unschedulable(&mut self, now: Instant, only_waiting_for_room: bool) -> usize {
        let keys: Vec<String> = self
            .unschedulable
            .iter()
            .filter(|k| {
                !only_waiting_for_room || self.entries.get(*k).is_some_and(|e| e.waits_for_room)
            })
            .cloned()
            .collect();
        for key in &keys {
            self.activate(key, now);
        }
        keys.len()
    }

    /// The next pod to try, marked in flight.
    pub fn pop(&mut self) -> Option<String> {
        while let Some(item) = self.active.pop() {
            let valid = self
                .entries
                .get(&item.key)
                .is_some_and(|e| e.generation == item.generation && e.location == Location::Active);
            if valid {
                self.set(&item.key, Location::InFlight);
                return Some(item.key);
            }
        }
        None
    }

    /// The attempt found no node: to the unschedulable pool.
    pub fn failed_unschedulable(&mut self, key: &str, now: Instant, waits_for_room: bool) {
        let Some(e) = self.entries.get_mut(key) else {
            return;
        };
        e.attempts += 1;
        e.last_failure = Some(now);
        e.unschedulable_since = Some(now);
        e.waits_for_room = waits_for_room;
        let due = now + self.timing.unschedulable_retry;
        self.retry_due = Some(self.retry_due.map_or(due, |d| d.min(due)));
        self.set(key, Location::Unschedulable);
    }

    /// The attempt failed for a transient reason (a binding error): back-off, then retry.
    pub fn failed_transient(&mut self, key: &str, now: Instant) {
        let Some(e) = self.entries.get_mut(key) else {
            return;
        };
        e.attempts += 1;
        e.last_failure = Some(now);
        let at = now + self.backoff_after(self.entries.get(key).map_or(1, |e| e.attempts));
        self.set(key, Location::Backoff(at));
    }

    /// The pod is bound; it leaves the queue.
    pub fn done(&mut self, key: &str) {
        self.remove(key);
    }
}

#[cfg(test)]
#[path = "queue_tests.rs"]
mod tests;
