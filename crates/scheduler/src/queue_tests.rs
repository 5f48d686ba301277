//! Queue ordering, back-off timing and retries, on a controlled clock.

use super::*;

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

#[test]
fn higher_priority_first_then_arrival_order() {
    let mut q = Queue::new(QueueTiming::default());
    let now = Instant::now();
    q.add("ns/a", 0, now);
    q.add("ns/b", 10, now);
    q.add("ns/c", 0, now);
    q.add("ns/d", 10, now);
    let order: Vec<String> = std::iter::from_fn(|| q.pop()).collect();
    assert_eq!(order, vec!["ns/b", "ns/d", "ns/a", "ns/c"]);
    assert_eq!(q.location("ns/a"), Some(Location::InFlight));
}

#[test]
fn backoff_doubles_to_the_cap() {
    let q = Queue::new(QueueTiming::default());
    let got: Vec<u64> = (1..=6).map(|a| q.backoff_after(a).as_secs()).collect();
    assert_eq!(got, vec![1, 2, 4, 8, 10, 10]);
    assert_eq!(q.backoff_after(0), Duration::ZERO);
    assert_eq!(q.backoff_after(200), secs(10));
}

#[test]
fn a_cluster_event_moves_unschedulable_pods_after_their_backoff() {
    let mut q = Queue::new(QueueTiming::default());
    let t0 = Instant::now();
    q.add("ns/p", 0, t0);
    assert_eq!(q.pop().as_deref(), Some("ns/p"));
    q.failed_unschedulable("ns/p", t0, true);
    assert_eq!(q.location("ns/p"), Some(Location::Unschedulable));
    assert_eq!(q.pop(), None);

    // A node appears half a second later: still backing off for 1 s.
    assert_eq!(
        q.move_unschedulable(t0 + Duration::from_millis(500), false),
        1
    );
    assert_eq!(q.location("ns/p"), Some(Location::Backoff(t0 + secs(1))));
    q.flush(t0 + Duration::from_millis(900));
    assert_eq!(q.pop(), None);
    q.flush(t0 + secs(1));
    assert_eq!(q.pop().as_deref(), Some("ns/p"));

    // Second failure: 2 s back-off; an event after 3 s activates at once.
    q.failed_unschedulable("ns/p", t0 + secs(1), true);
    q.move_unschedulable(t0 + secs(4), false);
    assert_eq!(q.location("ns/p"), Some(Location::Active));
    assert_eq!(q.attempts("ns/p"), 2);
}

#[test]
fn pod_deletions_only_wake_pods_waiting_for_room() {
    let mut q = Queue::new(QueueTiming::default());
    let t0 = Instant::now();
    q.add("ns/cpu", 0, t0);
    q.add("ns/taint", 0, t0);
    q.pop();
    q.pop();
    q.failed_unschedulable("ns/cpu", t0, true);
    q.failed_unschedulable("ns/taint", t0, false);
    assert_eq!(q.move_unschedulable(t0 + secs(5), true), 1);
    assert_eq!(q.location("ns/cpu"), Some(Location::Active));
    assert_eq!(q.location("ns/taint"), Some(Location::Unschedulable));
}

#[test]
fn unschedulable_pods_are_retried_periodically() {
    let timing = QueueTiming {
        unschedulable_retry: secs(30),
        ..QueueTiming::default()
    };
    let mut q = Queue::new(timing);
    let t0 = Instant::now();
    q.add("ns/p", 0, t0);
    q.pop();
    q.failed_unschedulable("ns/p", t0, false);
    q.add("ns/q", 0, t0);
    q.pop();
    q.failed_unschedulable("ns/q", t0 + secs(10), false);
    q.flush(t0 + secs(29));
    assert_eq!(q.location("ns/p"), Some(Location::Unschedulable));
    q.flush(t0 + secs(30));
    assert_eq!(q.location("ns/p"), Some(Location::Active));
    // The later one keeps its own time, checked again when it is due.
    q.flush(t0 + secs(39));
    assert_eq!(q.location("ns/q"), Some(Location::Unschedulable));
    q.flush(t0 + secs(40));
    assert_eq!(q.location("ns/q"), Some(Location::Active));
}

#[test]
fn binding_errors_back_off() {
    let mut q = Queue::new(QueueTiming::default());
    let t0 = Instant::now();
    q.add("ns/p", 0, t0);
    q.pop();
    q.failed_transient("ns/p", t0);
    assert_eq!(q.location("ns/p"), Some(Location::Backoff(t0 + secs(1))));
    q.flush(t0 + secs(1));
    q.pop();
    q.failed_transient("ns/p", t0 + secs(1));
    assert_eq!(q.location("ns/p"), Some(Location::Backoff(t0 + secs(3))));
}

#[test]
fn gated_pods_wait_until_their_gates_go() {
    let mut q = Queue::new(QueueTiming::default());
    let t0 = Instant::now();
    q.add_gated("ns/p", 0);
    assert_eq!(q.pop(), None);
    q.add("ns/p", 0, t0);
    assert_eq!(q.pop().as_deref(), Some("ns/p"));
}

#[test]
fn updates_do_not_disturb_waiting_or_in_flight_pods() {
    let mut q = Queue::new(QueueTiming::default());
    let t0 = Instant::now();
    q.add("ns/a", 0, t0);
    q.add("ns/a", 0, t0);
    assert_eq!(q.pop().as_deref(), Some("ns/a"));
    assert_eq!(q.pop(), None, "queued once");
    q.add("ns/a", 0, t0);
    assert_eq!(q.location("ns/a"), Some(Location::InFlight));
    q.done("ns/a");
    assert_eq!(q.location("ns/a"), None);
    assert!(q.is_empty());
}

#[test]
fn removed_pods_are_never_popped() {
    let mut q = Queue::new(QueueTiming::default());
    let t0 = Instant::now();
    q.add("ns/a", 0, t0);
    q.add("ns/b", 0, t0);
    q.remove("ns/a");
    assert_eq!(q.pop().as_deref(), Some("ns/b"));
    assert_eq!(q.pop(), None);
}
