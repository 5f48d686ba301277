//! Per-container exponential back-off, with upstream's timing.
//!
//! The kubelet keeps one client-go `flowcontrol.Backoff` entry per container for crash
//! restarts and one per (pod, image) for image pulls, both starting at 10 s, doubling, capped
//! at 5 min, without jitter. An entry whose event comes more than twice the cap after its
//! last update is considered stale and starts over, which is how "reset after 10 minutes of
//! running" falls out. Times are passed in, never read, so tests drive the clock by hand.

use std::time::Duration;

use jiff::Timestamp;

use crate::clock::{after, since};

/// First delay of both the crash-restart and the image-pull back-off.
pub const INITIAL_BACKOFF: Duration = Duration::from_secs(10);
/// Upstream's `MaxContainerBackOff`.
pub const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// One back-off entry (upstream keys them by container; here each container owns its own).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
    entry: Option<Entry>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Entry {
    delay: Duration,
    last_update: Timestamp,
}

impl Default for Backoff {
    fn default() -> Self {
        Self::new(INITIAL_BACKOFF, MAX_BACKOFF)
    }
}

impl Backoff {
    pub fn new(initial: Duration, max: Duration) -> Self {
        Self {
            initial,
            max,
            entry: None,
        }
    }

    /// An entry is stale when the event happened more than `2 × max` after its last update.
    fn expired(&self, event: Timestamp, entry: &Entry) -> bool {
        since(event, entry.last_update) > self.max * 2
    }

    /// Records an attempt made `now` for an event at `event`: the first attempt (or the
    /// first after a stale entry) sets the initial delay, every later one doubles it.
    pub fn next(&mut self, event: Timestamp, now: Timestamp) {
        let delay = match &self.entry {
            Some(entry) if !self.expired(event, entry) => (entry.delay * 2).min(self.max),
            _ => self.initial,
        };
        self.entry = Some(Entry {
            delay,
            last_update: now,
        });
    }

    /// True while less than the current delay has passed since `event` (upstream
    /// `IsInBackOffSince`, used for crash restarts with the container's finish time).
    pub fn in_backoff_since(&self, event: Timestamp, now: Timestamp) -> bool {
        match &self.entry {
            Some(entry) if !self.expired(event, entry) => since(now, event) < entry.delay,
            _ => false,
        }
    }

    /// True while less than the current delay has passed since the last attempt (upstream
    /// `IsInBackOffSinceUpdate`, used for image pulls).
    pub fn in_backoff_since_update(&self, now: Timestamp) -> bool {
        match &self.entry {
            Some(entry) if !self.expired(now, entry) => since(now, entry.last_update) < entry.delay,
            _ => false,
        }
    }

    /// The current delay, as the back-off messages print it.
    pub fn delay(&self) -> Option<Duration> {
        self.entry.as_ref().map(|e| e.delay)
    }

    /// When [`Backoff::in_backoff_since_update`] turns false.
    pub fn retry_after_update(&self) -> Option<Timestamp> {
        self.entry.as_ref().map(|e| after(e.last_update, e.delay))
    }

    /// When [`Backoff::in_backoff_since`] turns false for this event.
    pub fn retry_after(&self, event: Timestamp) -> Option<Timestamp> {
        self.entry.as_ref().map(|e| after(event, e.delay))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> Timestamp {
        after(Timestamp::UNIX_EPOCH, Duration::from_secs(secs))
    }

    /// A container that crashes one second after every start, restarted as soon as its
    /// back-off allows: the delays go 10s, 20s, 40s, … and stop at 5m.
    #[test]
    fn crash_loop_delays_double_to_the_cap() {
        let mut b = Backoff::default();
        let mut now = 0;
        let mut seen = Vec::new();
        // First crash: no entry yet, so the kubelet restarts at once and arms 10s.
        let finished = at(now);
        assert!(!b.in_backoff_since(finished, at(now)));
        b.next(finished, at(now));
        for _ in 0..7 {
            now += 1; // runs for a second, crashes
            let finished = at(now);
            assert!(b.in_backoff_since(finished, at(now)));
            let delay = b.delay().unwrap_or_default();
            seen.push(delay.as_secs());
            // Still backing off one second before the delay ends, free at the end.
            let end = now + delay.as_secs();
            assert!(b.in_backoff_since(finished, at(end - 1)));
            assert!(!b.in_backoff_since(finished, at(end)));
            assert_eq!(b.retry_after(finished), Some(at(end)));
            now = end;
            b.next(finished, at(now));
        }
        assert_eq!(seen, vec![10, 20, 40, 80, 160, 300, 300]);
    }

    /// A container that ran for more than ten minutes before crashing starts over at 10s.
    #[test]
    fn long_run_resets_the_delay() {
        let mut b = Backoff::default();
        b.next(at(0), at(0));
        b.next(at(15), at(15));
        b.next(at(40), at(40));
        assert_eq!(b.delay(), Some(Duration::from_secs(40)));
        // Crashed exactly 10 minutes after the last restart: not yet stale, so the 40s
        // window holds and the next delay doubles.
        let finished = at(40 + 600);
        assert!(b.in_backoff_since(finished, at(640)));
        assert!(!b.in_backoff_since(finished, at(680)));
        b.next(finished, at(680));
        assert_eq!(b.delay(), Some(Duration::from_secs(80)));
        // Crashed 10 minutes and 1 second after the last restart: stale, back to 10s,
        // and the stale entry does not hold the restart back.
        let finished = at(680 + 601);
        assert!(!b.in_backoff_since(finished, at(1281)));
        b.next(finished, at(1281));
        assert_eq!(b.delay(), Some(Duration::from_secs(10)));
    }

    /// Image pulls: each failed pull arms the next window from the time of the attempt.
    #[test]
    fn pull_backoff_counts_from_the_last_attempt() {
        let mut b = Backoff::default();
        assert!(!b.in_backoff_since_update(at(0)));
        b.next(at(0), at(0)); // first failure
        assert!(b.in_backoff_since_update(at(9)));
        assert!(!b.in_backoff_since_update(at(10)));
        assert_eq!(b.retry_after_update(), Some(at(10)));
        b.next(at(10), at(10)); // second failure
        assert_eq!(b.delay(), Some(Duration::from_secs(20)));
        assert!(b.in_backoff_since_update(at(29)));
        assert!(!b.in_backoff_since_update(at(30)));
        // Nothing for 20 minutes: the entry is stale, the next failure starts at 10s.
        assert!(!b.in_backoff_since_update(at(1300)));
        b.next(at(1300), at(1300));
        assert_eq!(b.delay(), Some(Duration::from_secs(10)));
    }
}
