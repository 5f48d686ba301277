use std::sync::Arc;

use super::*;

fn b(s: &str) -> Bytes {
    Bytes::from(s.to_string())
}

async fn conformance(name: &str) {
    let store: Arc<dyn Store> = Arc::new(EmbeddedStore::in_memory());
    if let Err(err) = crate::conformance::run(name, store).await {
        panic!("{name}: {err}");
    }
}

#[tokio::test]
async fn revisions_increase_by_one_per_write() {
    conformance("revisions_increase_by_one_per_write").await;
}

#[tokio::test]
async fn compare_and_swap_errors_carry_current_value() {
    conformance("compare_and_swap_errors_carry_current_value").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_compare_and_swap_loses_no_increment() {
    conformance("concurrent_compare_and_swap_loses_no_increment").await;
}

#[tokio::test]
async fn list_pages_and_reads_at_past_revisions() {
    conformance("list_pages_and_reads_at_past_revisions").await;
}

#[tokio::test]
async fn watch_replays_history_then_follows_live_without_gaps() {
    conformance("watch_replays_history_then_follows_live_without_gaps").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn watch_under_concurrent_writers_sees_every_revision_once_in_order() {
    conformance("watch_under_concurrent_writers_sees_every_revision_once_in_order").await;
}

#[tokio::test]
async fn compaction_keeps_current_values_and_refuses_old_revisions() {
    conformance("compaction_keeps_current_values_and_refuses_old_revisions").await;
}

#[test]
fn every_conformance_check_runs_here() {
    let here = include_str!("tests.rs");
    for name in crate::conformance::CHECKS {
        assert!(here.contains(&format!("fn {name}()")), "{name}");
    }
}

#[tokio::test]
async fn persisted_store_survives_reopen_and_compaction()
-> std::result::Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("store.wal");
    {
        let store = EmbeddedStore::open(&path)?;
        store.create("/r/a", b("1")).await?; // 1
        store.create("/r/b", b("b")).await?; // 2
        store.update("/r/a", b("2"), 1).await?; // 3
        store.delete("/r/b", None).await?; // 4
        store.compact(4).await?;
        store.create("/r/c", b("c")).await?; // 5
    }
    let store = EmbeddedStore::open(&path)?;
    assert_eq!(store.current_revision().await?, 5);
    assert_eq!(store.compacted_revision().await?, 4);
    let a = store.get("/r/a").await?.ok_or("a missing")?;
    assert_eq!((a.value, a.create_revision, a.mod_revision), (b("2"), 1, 3));
    assert_eq!(store.get("/r/b").await?, None);
    let next = store.create("/r/d", b("d")).await?;
    assert_eq!(next.mod_revision, 6);
    drop(store);
    // Compacting away a deletion must not move the revision counter back.
    let store = EmbeddedStore::open(&path)?;
    store.delete("/r/d", None).await?; // 7
    store.compact(7).await?;
    drop(store);
    let store = EmbeddedStore::open(&path)?;
    assert_eq!(store.current_revision().await?, 7);
    Ok(())
}
