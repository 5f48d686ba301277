//! The probe state machine: when a probe is due and what its consecutive results mean.
//!
//! Upstream's prober keeps, per container and probe kind, the effective result and a run of
//! identical raw results. A readiness probe starts as failing (not ready until it passes),
//! liveness as passing, startup as unknown. A probe first runs `initialDelaySeconds` after
//! the container started and then every `periodSeconds`; the effective result flips only
//! after `successThreshold` / `failureThreshold` identical results in a row. A failed
//! liveness or startup probe puts the worker on hold until the container is restarted, and
//! a startup probe stops once it has passed. Readiness and liveness are not probed until
//! the container counts as started. Running the probe itself is the runtime's job.

use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::Probe;

use crate::clock::after;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProbeKind {
    Startup,
    Readiness,
    Liveness,
}

impl ProbeKind {
    /// The word upstream uses in messages ("failed liveness probe").
    pub fn as_str(self) -> &'static str {
        match self {
            ProbeKind::Startup => "startup",
            ProbeKind::Readiness => "readiness",
            ProbeKind::Liveness => "liveness",
        }
    }
}

/// The timing fields of a `Probe`, with upstream's defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeTiming {
    pub initial_delay: Duration,
    pub period: Duration,
    pub timeout: Duration,
    pub success_threshold: u32,
    pub failure_threshold: u32,
}

impl ProbeTiming {
    pub fn of(probe: &Probe) -> Self {
        let secs = |v: Option<i32>, default: u64, min: u64| {
            Duration::from_secs(
                v.map_or(default, |s| u64::try_from(s).unwrap_or(0))
                    .max(min),
            )
        };
        let count = |v: Option<i32>, default: u32| {
            v.and_then(|n| u32::try_from(n).ok())
                .filter(|n| *n > 0)
                .unwrap_or(default)
        };
        Self {
            initial_delay: secs(probe.initial_delay_seconds, 0, 0),
            period: secs(probe.period_seconds, 10, 1),
            timeout: secs(probe.timeout_seconds, 1, 1),
            success_threshold: count(probe.success_threshold, 1),
            failure_threshold: count(probe.failure_threshold, 3),
        }
    }
}

/// The effective result of one probe for one container instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProbeState {
    Unknown,
    Success,
    Failure,
}

/// One probe of one container instance (a restarted container gets fresh trackers).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeTracker {
    pub kind: ProbeKind,
    pub timing: ProbeTiming,
    state: ProbeState,
    last_raw: Option<bool>,
    run: u32,
    next_at: Timestamp,
    on_hold: bool,
}

impl ProbeTracker {
    pub fn new(kind: ProbeKind, timing: ProbeTiming, started_at: Timestamp) -> Self {
        let state = match kind {
            ProbeKind::Readiness => ProbeState::Failure,
            ProbeKind::Liveness => ProbeState::Success,
            ProbeKind::Startup => ProbeState::Unknown,
        };
        let next_at = after(started_at, timing.initial_delay);
        Self {
            kind,
            timing,
            state,
            last_raw: None,
            run: 0,
            next_at,
            on_hold: false,
        }
    }

    pub fn state(&self) -> ProbeState {
        self.state
    }

    /// When the probe should run next; `None` once it has stopped (on hold after a failed
    /// liveness/startup verdict, or a startup probe that passed).
    pub fn next_at(&self) -> Option<Timestamp> {
        (!self.on_hold).then_some(self.next_at)
    }

    pub fn due(&self, now: Timestamp) -> bool {
        self.next_at().is_some_and(|at| at <= now)
    }

    /// Records one raw result at `now` and schedules the next run. Returns true when the
    /// effective state changed.
    pub fn record(&mut self, success: bool, now: Timestamp) -> bool {
        self.next_at = after(now, self.timing.period);
        if self.last_raw == Some(success) {
            self.run = self.run.saturating_add(1);
        } else {
            self.last_raw = Some(success);
            self.run = 1;
        }
        let threshold = if success {
            self.timing.success_threshold
        } else {
            self.timing.failure_threshold
        };
        if self.run < threshold {
            return false;
        }
        let new = if success {
            ProbeState::Success
        } else {
            ProbeState::Failure
        };
        let changed = new != self.state;
        self.state = new;
        match (self.kind, new) {
            // A failed liveness/startup verdict kills the container; stop until restart.
            (ProbeKind::Liveness | ProbeKind::Startup, ProbeState::Failure) => {
                self.on_hold = true;
                self.run = 0;
            }
            // Startup probes only run until they first pass.
            (ProbeKind::Startup, ProbeState::Success) => self.on_hold = true,
            _ => {}
        }
        changed
    }

    /// A liveness or startup verdict that requires killing the container.
    pub fn demands_restart(&self) -> bool {
        matches!(self.kind, ProbeKind::Liveness | ProbeKind::Startup)
            && self.state == ProbeState::Failure
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> Timestamp {
        after(Timestamp::UNIX_EPOCH, Duration::from_secs(secs))
    }

    fn probe(initial: i32, period: i32, success: i32, failure: i32) -> Probe {
        Probe {
            initial_delay_seconds: Some(initial),
            period_seconds: Some(period),
            success_threshold: Some(success),
            failure_threshold: Some(failure),
            ..Probe::default()
        }
    }

    #[test]
    fn timing_defaults_are_upstreams() {
        let t = ProbeTiming::of(&Probe::default());
        assert_eq!(
            t,
            ProbeTiming {
                initial_delay: Duration::ZERO,
                period: Duration::from_secs(10),
                timeout: Duration::from_secs(1),
                success_threshold: 1,
                failure_threshold: 3,
            }
        );
        // Nonsense values fall back to the minimum/default rather than panicking.
        let t = ProbeTiming::of(&probe(-5, 0, 0, -1));
        assert_eq!(
            (t.initial_delay, t.period),
            (Duration::ZERO, Duration::from_secs(1))
        );
        assert_eq!((t.success_threshold, t.failure_threshold), (1, 3));
    }

    /// Readiness with initialDelaySeconds=5, periodSeconds=10, always passing: not ready
    /// before the delay, ready at the first run, probed every 10 s after.
    #[test]
    fn readiness_passes_after_initial_delay() {
        let mut p = ProbeTracker::new(
            ProbeKind::Readiness,
            ProbeTiming::of(&probe(5, 10, 1, 3)),
            at(100),
        );
        assert_eq!(p.state(), ProbeState::Failure);
        assert_eq!(p.next_at(), Some(at(105)));
        assert!(!p.due(at(104)));
        assert!(p.due(at(105)));
        assert!(p.record(true, at(105)));
        assert_eq!(p.state(), ProbeState::Success);
        assert_eq!(p.next_at(), Some(at(115)));
        assert!(!p.record(true, at(115)));
    }

    /// successThreshold=2 needs two passes in a row; failureThreshold=3 needs three
    /// failures before readiness drops, and a pass in between restarts the count.
    #[test]
    fn thresholds_count_consecutive_results() {
        let mut p = ProbeTracker::new(
            ProbeKind::Readiness,
            ProbeTiming::of(&probe(0, 1, 2, 3)),
            at(0),
        );
        let steps = [
            (true, ProbeState::Failure),
            (true, ProbeState::Success),
            (false, ProbeState::Success),
            (false, ProbeState::Success),
            (true, ProbeState::Success),
            (false, ProbeState::Success),
            (false, ProbeState::Success),
            (false, ProbeState::Failure),
            (true, ProbeState::Failure),
            (true, ProbeState::Success),
        ];
        for (i, (raw, want)) in steps.into_iter().enumerate() {
            p.record(raw, at(i as u64));
            assert_eq!(p.state(), want, "step {i}");
        }
        assert!(!p.demands_restart(), "readiness never restarts a container");
    }

    /// Liveness starts passing; three failures kill, and the probe holds until restart.
    #[test]
    fn liveness_failure_demands_restart_and_holds() {
        let mut p = ProbeTracker::new(
            ProbeKind::Liveness,
            ProbeTiming::of(&probe(0, 10, 1, 3)),
            at(0),
        );
        assert_eq!(p.state(), ProbeState::Success);
        assert!(!p.record(false, at(0)));
        assert!(!p.record(false, at(10)));
        assert!(!p.demands_restart());
        assert!(p.record(false, at(20)));
        assert!(p.demands_restart());
        assert_eq!(p.next_at(), None);
        assert!(!p.due(at(1000)));
    }

    /// Startup is unknown until it passes once, then stops probing; failing it kills.
    #[test]
    fn startup_probe_runs_until_it_passes() {
        let mut p = ProbeTracker::new(
            ProbeKind::Startup,
            ProbeTiming::of(&probe(0, 5, 1, 2)),
            at(0),
        );
        assert_eq!(p.state(), ProbeState::Unknown);
        assert!(p.due(at(0)));
        assert!(p.record(true, at(0)));
        assert_eq!(p.state(), ProbeState::Success);
        assert_eq!(p.next_at(), None);

        let mut p = ProbeTracker::new(
            ProbeKind::Startup,
            ProbeTiming::of(&probe(0, 5, 1, 2)),
            at(0),
        );
        p.record(false, at(0));
        assert_eq!(p.state(), ProbeState::Unknown);
        p.record(false, at(5));
        assert!(p.demands_restart());
        assert_eq!(p.next_at(), None);
    }
}
