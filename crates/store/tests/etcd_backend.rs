//! The datastore contract (the same checks the embedded store passes) on real etcd:
//! each check on a fresh single-member cluster, plus what a three-member cluster does
//! when members die.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bosun_store::testing::EtcdCluster;
use bosun_store::{EtcdConfig, EtcdStore, Store, StoreError, conformance};

async fn fresh_store(cluster: &EtcdCluster) -> Arc<dyn Store> {
    let config = EtcdConfig {
        endpoints: cluster.endpoints(),
        ..Default::default()
    };
    Arc::new(EtcdStore::connect(&config).await.expect("connect to etcd"))
}

async fn conformance_on_etcd(name: &str) {
    let cluster = EtcdCluster::start(1).expect("etcd starts");
    let store = fresh_store(&cluster).await;
    if let Err(err) = conformance::run(name, store).await {
        panic!("{name} on etcd: {err}");
    }
}

#[tokio::test]
async fn revisions_increase_by_one_per_write() {
    conformance_on_etcd("revisions_increase_by_one_per_write").await;
}

#[tokio::test]
async fn compare_and_swap_errors_carry_current_value() {
    conformance_on_etcd("compare_and_swap_errors_carry_current_value").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_compare_and_swap_loses_no_increment() {
    conformance_on_etcd("concurrent_compare_and_swap_loses_no_increment").await;
}

#[tokio::test]
async fn list_pages_and_reads_at_past_revisions() {
    conformance_on_etcd("list_pages_and_reads_at_past_revisions").await;
}

#[tokio::test]
async fn watch_replays_history_then_follows_live_without_gaps() {
    conformance_on_etcd("watch_replays_history_then_follows_live_without_gaps").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn watch_under_concurrent_writers_sees_every_revision_once_in_order() {
    conformance_on_etcd("watch_under_concurrent_writers_sees_every_revision_once_in_order").await;
}

#[tokio::test]
async fn compaction_keeps_current_values_and_refuses_old_revisions() {
    conformance_on_etcd("compaction_keeps_current_values_and_refuses_old_revisions").await;
}

#[test]
fn every_conformance_check_runs_on_etcd() {
    let here = include_str!("etcd_backend.rs");
    for name in conformance::CHECKS {
        assert!(here.contains(&format!("fn {name}()")), "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_survives_one_member_and_fails_fast_without_quorum() {
    let mut cluster = EtcdCluster::start(3).expect("etcd starts");
    let store = fresh_store(&cluster).await;
    store.create("/k/a", "1".into()).await.expect("write");
    cluster.kill(0);
    // Two of three members: still a quorum; writes go on.
    let mut written = None;
    for _ in 0..50 {
        match store.create("/k/b", "2".into()).await {
            Ok(kv) => {
                written = Some(kv);
                break;
            }
            Err(StoreError::AlreadyExists(kv)) => {
                written = Some(*kv);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    assert!(written.is_some(), "writes continue with one member down");
    cluster.kill(1);
    // One of three: no quorum. A write fails as unavailable, within the request timeout.
    let started = Instant::now();
    let result = store.create("/k/c", "3".into()).await;
    assert!(
        matches!(result, Err(StoreError::Unavailable(_))),
        "{result:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(12),
        "{:?}",
        started.elapsed()
    );
    // Members come back: writes succeed again.
    cluster.restart(0).expect("restart");
    cluster.restart(1).expect("restart");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match store.create("/k/c", "3".into()).await {
            Ok(_) | Err(StoreError::AlreadyExists(_)) => break,
            Err(err) => {
                assert!(Instant::now() < deadline, "no recovery: {err}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
    assert_eq!(
        store.get("/k/a").await.expect("read").map(|kv| kv.value),
        Some("1".into())
    );
}

#[tokio::test]
async fn unreachable_etcd_is_a_clear_error_at_connect() {
    let config = EtcdConfig::parse("etcd://127.0.0.1:1").expect("url");
    let started = Instant::now();
    match EtcdStore::connect(&config).await {
        Err(StoreError::Unavailable(msg)) => assert!(msg.contains("etcd"), "{msg}"),
        Err(other) => panic!("unexpected error {other:?}"),
        Ok(_) => panic!("connected to nothing"),
    }
    assert!(started.elapsed() < Duration::from_secs(15));
}
