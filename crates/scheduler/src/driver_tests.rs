//! The driver's own bookkeeping, against an in-memory API that records the requests
//! it is sent (the end-to-end tests in `crates/bosun/tests` use the real server).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use super::*;

/// Answers every request; records the pod status PATCHes and fails the next one when
/// told to.
#[derive(Clone, Default)]
struct FakeApi {
    status_patches: Arc<Mutex<Vec<String>>>,
    fail_next: Arc<AtomicBool>,
}

impl FakeApi {
    fn client(&self) -> Client {
        let fake = self.clone();
        let service = tower::service_fn(move |request: http::Request<kube::client::Body>| {
            let fake = fake.clone();
            async move {
                let path = request.uri().path().to_string();
                let mut code = 201;
                if request.method() == http::Method::PATCH && path.ends_with("/status") {
                    fake.status_patches
                        .lock()
                        .expect("the fake's lock")
                        .push(path);
                    code = if fake.fail_next.swap(false, Ordering::SeqCst) {
                        500
                    } else {
                        200
                    };
                }
                http::Response::builder()
                    .status(code)
                    .body(String::from("{}"))
            }
        });
        Client::new(service, "default")
    }

    fn status_patches(&self) -> usize {
        self.status_patches.lock().expect("the fake's lock").len()
    }
}

fn pending_pod(conditions: serde_json::Value) -> Pod {
    serde_json::from_value(serde_json::json!({
        "metadata": {"name": "p", "namespace": "default", "uid": "u1"},
        "spec": {"containers": [{"name": "app", "image": "nginx"}]},
        "status": {"phase": "Pending", "conditions": conditions},
    }))
    .expect("a pod")
}

/// Lets the spawned write tasks run (before checking that nothing more was written).
async fn settle() {
    tokio::time::sleep(Duration::from_millis(50)).await;
}

/// Waits until `n` status writes have been made (at most 5 s), then settles.
async fn wait_for_patches(api: &FakeApi, n: usize) {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while api.status_patches() < n && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    settle().await;
}

fn showing(reason: &str, message: &str) -> Pod {
    pending_pod(serde_json::json!([{
        "type": "PodScheduled", "status": "False", "reason": reason, "message": message,
        "lastTransitionTime": "2026-11-28T00:00:00Z",
    }]))
}

/// Upstream writes `PodScheduled=False` before it tries the pod again; ours is written
/// by a task, so a retry that comes before the watch shows the first write must not
/// write the same condition again. A different condition, or a retry after a failed
/// write, is written.
#[tokio::test]
async fn a_condition_is_written_once_until_the_watch_shows_it() {
    let api = FakeApi::default();
    let (tx, mut outcomes) = mpsc::unbounded_channel();
    let mut state = State::new(api.client(), SchedulerOptions::default(), tx);
    let pod = pending_pod(serde_json::json!([]));
    let key = pod_key(&pod);
    state.apply_pod(pod.clone());
    state.schedule_one();
    settle().await;
    assert_eq!(
        api.status_patches(),
        1,
        "no nodes: the condition is written"
    );

    // Tried again while the watch still shows the pod without it.
    let stale = Arc::new(pod.clone());
    state.report_failure(&key, &stale, REASON_SCHEDULER_ERROR, NO_NODES);
    settle().await;
    assert_eq!(
        api.status_patches(),
        1,
        "the same condition is not written twice"
    );

    let message = "0/1 nodes are available: 1 Insufficient cpu.";
    state.report_failure(&key, &stale, REASON_UNSCHEDULABLE, message);
    wait_for_patches(&api, 2).await;
    assert_eq!(api.status_patches(), 2, "a new message is a new condition");

    // A write that fails is made again at the next attempt.
    api.fail_next.store(true, Ordering::SeqCst);
    state.report_failure(&key, &stale, REASON_SCHEDULER_ERROR, NO_NODES);
    wait_for_patches(&api, 3).await;
    assert_eq!(api.status_patches(), 3);
    let failed = outcomes.recv().await.expect("the failure is reported");
    assert!(
        matches!(failed, Outcome::ConditionFailed { .. }),
        "{failed:?}"
    );
    state.on_outcome(failed);
    assert_eq!(state.binds_in_flight, 0);
    state.report_failure(&key, &stale, REASON_SCHEDULER_ERROR, NO_NODES);
    wait_for_patches(&api, 4).await;
    assert_eq!(api.status_patches(), 4, "written again after the failure");

    // The watch shows it: nothing more to write, and nothing left to remember.
    let shown = showing(REASON_SCHEDULER_ERROR, NO_NODES);
    state.apply_pod(shown.clone());
    assert!(state.conditions.is_empty(), "{:?}", state.conditions);
    state.report_failure(&key, &Arc::new(shown), REASON_SCHEDULER_ERROR, NO_NODES);
    settle().await;
    assert_eq!(api.status_patches(), 4);
    assert!(state.conditions.is_empty(), "{:?}", state.conditions);

    // Two writes in flight land out of order: the watch shows the newer one, then the
    // older. The next failure with the newer message writes it again.
    state.report_failure(&key, &stale, REASON_UNSCHEDULABLE, message);
    wait_for_patches(&api, 5).await;
    state.apply_pod(showing(REASON_UNSCHEDULABLE, message));
    let older = showing(REASON_SCHEDULER_ERROR, NO_NODES);
    state.apply_pod(older.clone());
    state.report_failure(&key, &Arc::new(older), REASON_UNSCHEDULABLE, message);
    wait_for_patches(&api, 6).await;
    assert_eq!(api.status_patches(), 6, "the stale condition is rewritten");

    // A pod that goes away takes what was remembered for it.
    state.report_failure(&key, &stale, REASON_UNSCHEDULABLE, message);
    assert_eq!(state.conditions.len(), 1);
    state.forget_pod(&key);
    assert!(state.conditions.is_empty());
}

/// An event the full queue drops is not counted in the pod's series: the next failure
/// after it repeats the last event that was queued, with that event's count plus one.
#[tokio::test]
async fn a_dropped_event_is_not_counted() {
    let api = FakeApi::default();
    let (tx, _outcomes) = mpsc::unbounded_channel();
    let mut state = State::new(api.client(), SchedulerOptions::default(), tx);
    // A queue of one that nothing drains until the test reads it.
    let (queue, mut queued) = mpsc::channel(1);
    state.events_queue = queue;
    let pod = Arc::new(pending_pod(serde_json::json!([])));
    let key = pod_key(&pod);
    state.report_failure(&key, &pod, REASON_SCHEDULER_ERROR, NO_NODES);
    state.report_failure(&key, &pod, REASON_SCHEDULER_ERROR, NO_NODES);
    assert_eq!(
        state.events.get(&key).map(|s| s.count),
        Some(1),
        "the drop is not counted"
    );
    let first = queued.recv().await.expect("the first event");
    assert!(matches!(first, EventJob::Create(_)));
    state.report_failure(&key, &pod, REASON_SCHEDULER_ERROR, NO_NODES);
    match queued.recv().await.expect("the next event") {
        EventJob::Repeat { count, .. } => assert_eq!(count, 2),
        EventJob::Create(_) => panic!("a repeat of the queued event was expected"),
    }
}
