use std::sync::Arc;

use futures::StreamExt;

use super::*;

fn b(s: &str) -> Bytes {
    Bytes::from(s.to_string())
}

async fn next_events(stream: &mut WatchStream, n: usize) -> Vec<Event> {
    let mut out = Vec::new();
    while out.len() < n {
        match tokio::time::timeout(std::time::Duration::from_secs(5), stream.next()).await {
            Ok(Some(Ok(batch))) => out.extend(batch),
            other => panic!("watch ended early: {other:?}"),
        }
    }
    out
}

#[tokio::test]
async fn revisions_increase_by_one_per_write() -> Result<()> {
    let store = EmbeddedStore::in_memory();
    assert_eq!(store.current_revision().await?, 0);
    let a = store.create("/r/a", b("1")).await?;
    assert_eq!((a.create_revision, a.mod_revision), (1, 1));
    let a2 = store.update("/r/a", b("2"), 1).await?;
    assert_eq!((a2.create_revision, a2.mod_revision), (1, 2));
    let deleted = store.delete("/r/a", Some(2)).await?;
    assert_eq!(deleted.mod_revision, 3);
    assert_eq!(deleted.value, b("2"));
    assert_eq!(store.get("/r/a").await?, None);
    let again = store.create("/r/a", b("3")).await?;
    assert_eq!((again.create_revision, again.mod_revision), (4, 4));
    assert_eq!(store.current_revision().await?, 4);
    Ok(())
}

#[tokio::test]
async fn compare_and_swap_errors_carry_current_value() -> Result<()> {
    let store = EmbeddedStore::in_memory();
    store.create("/r/a", b("1")).await?;
    match store.create("/r/a", b("x")).await {
        Err(StoreError::AlreadyExists(kv)) => assert_eq!(kv.value, b("1")),
        other => panic!("expected AlreadyExists, got {other:?}"),
    }
    match store.update("/r/a", b("x"), 7).await {
        Err(StoreError::Conflict { current, .. }) => {
            assert_eq!(current.map(|c| c.mod_revision), Some(1))
        }
        other => panic!("expected Conflict, got {other:?}"),
    }
    match store.update("/r/missing", b("x"), 1).await {
        Err(StoreError::Conflict { current: None, .. }) => {}
        other => panic!("expected Conflict on missing key, got {other:?}"),
    }
    assert!(matches!(
        store.delete("/r/missing", None).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.delete("/r/a", Some(9)).await,
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(
        store.current_revision().await?,
        1,
        "failed writes use no revision"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_compare_and_swap_loses_no_increment() -> Result<()> {
    let store = Arc::new(EmbeddedStore::in_memory());
    store.create("/counter", b("0")).await?;
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut wins = 0;
            while wins < 25 {
                let Some(kv) = store.get("/counter").await? else {
                    continue;
                };
                let n: u64 = std::str::from_utf8(&kv.value)
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(u64::MAX);
                match store
                    .update(
                        "/counter",
                        Bytes::from((n + 1).to_string()),
                        kv.mod_revision,
                    )
                    .await
                {
                    Ok(_) => wins += 1,
                    Err(StoreError::Conflict { .. }) => {}
                    Err(e) => return Err(e),
                }
            }
            Ok::<_, StoreError>(())
        }));
    }
    for t in tasks {
        t.await
            .map_err(|e| StoreError::Unavailable(e.to_string()))??;
    }
    let kv = store.get("/counter").await?.map(|kv| kv.value);
    assert_eq!(kv, Some(b("400")));
    assert_eq!(store.current_revision().await?, 401);
    Ok(())
}

#[tokio::test]
async fn list_pages_and_reads_at_past_revisions() -> Result<()> {
    let store = EmbeddedStore::in_memory();
    for name in ["a", "b", "c", "d"] {
        store.create(&format!("/r/ns/{name}"), b(name)).await?;
    }
    store.create("/rx/other", b("x")).await?; // shares the string prefix "/r" only
    store.update("/r/ns/a", b("a2"), 1).await?; // rev 6
    store.delete("/r/ns/b", None).await?; // rev 7

    let page1 = store
        .list(
            "/r/",
            ListOptions {
                limit: Some(2),
                ..Default::default()
            },
        )
        .await?;
    let keys: Vec<_> = page1.kvs.iter().map(|k| k.key.as_str()).collect();
    assert_eq!(keys, ["/r/ns/a", "/r/ns/c"]);
    assert!(page1.more);
    assert_eq!(page1.remaining, 1);
    assert_eq!(page1.revision, 7);
    let page2 = store
        .list(
            "/r/",
            ListOptions {
                limit: Some(2),
                start_after: Some("/r/ns/c".into()),
                revision: Some(page1.revision),
            },
        )
        .await?;
    let keys: Vec<_> = page2.kvs.iter().map(|k| k.key.as_str()).collect();
    assert_eq!(keys, ["/r/ns/d"]);
    assert!(!page2.more);

    let old = store
        .list(
            "/r/",
            ListOptions {
                revision: Some(4),
                ..Default::default()
            },
        )
        .await?;
    let values: Vec<_> = old.kvs.iter().map(|k| k.value.clone()).collect();
    assert_eq!(values, [b("a"), b("b"), b("c"), b("d")]);
    assert!(matches!(
        store
            .list(
                "/r/",
                ListOptions {
                    revision: Some(99),
                    ..Default::default()
                }
            )
            .await,
        Err(StoreError::FutureRevision { .. })
    ));
    Ok(())
}

#[tokio::test]
async fn watch_replays_history_then_follows_live_without_gaps() -> Result<()> {
    let store = EmbeddedStore::in_memory();
    store.create("/r/a", b("1")).await?; // 1
    store.create("/other/x", b("x")).await?; // 2
    store.update("/r/a", b("2"), 1).await?; // 3
    let mut watch = store.watch("/r/", 1).await?;
    store.create("/r/b", b("b")).await?; // 4
    store.delete("/r/a", None).await?; // 5
    let events = next_events(&mut watch, 3).await;
    let seen: Vec<_> = events
        .iter()
        .map(|e| (e.kind, e.kv.key.as_str(), e.revision()))
        .collect();
    assert_eq!(
        seen,
        [
            (EventKind::Put, "/r/a", 3),
            (EventKind::Put, "/r/b", 4),
            (EventKind::Delete, "/r/a", 5)
        ]
    );
    assert_eq!(
        events[0].prev.as_ref().map(|p| p.value.clone()),
        Some(b("1"))
    );
    assert_eq!(events[2].kv.value, b("2"), "delete carries the last value");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn watch_under_concurrent_writers_sees_every_revision_once_in_order() -> Result<()> {
    let store = Arc::new(EmbeddedStore::in_memory());
    let mut watch = store.watch("/w/", 0).await?;
    let mut tasks = Vec::new();
    for t in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..50 {
                store.create(&format!("/w/{t}-{i}"), b("v")).await?;
            }
            Ok::<_, StoreError>(())
        }));
    }
    for t in tasks {
        t.await
            .map_err(|e| StoreError::Unavailable(e.to_string()))??;
    }
    let events = next_events(&mut watch, 400).await;
    let revisions: Vec<_> = events.iter().map(Event::revision).collect();
    assert_eq!(revisions, (1..=400).collect::<Vec<_>>());
    Ok(())
}

#[tokio::test]
async fn compaction_keeps_current_values_and_refuses_old_revisions() -> Result<()> {
    let store = EmbeddedStore::in_memory();
    store.create("/r/a", b("1")).await?; // 1
    store.update("/r/a", b("2"), 1).await?; // 2
    store.create("/r/b", b("b")).await?; // 3
    store.delete("/r/b", None).await?; // 4
    store.create("/r/c", b("c")).await?; // 5
    let mut live = store.watch("/r/", 5).await?;
    store.compact(4).await?;
    assert_eq!(store.compacted_revision().await?, 4);
    let at4 = store
        .list(
            "/r/",
            ListOptions {
                revision: Some(4),
                ..Default::default()
            },
        )
        .await?;
    assert_eq!(at4.kvs.len(), 1);
    assert_eq!(at4.kvs[0].value, b("2"));
    assert!(matches!(
        store
            .list(
                "/r/",
                ListOptions {
                    revision: Some(3),
                    ..Default::default()
                }
            )
            .await,
        Err(StoreError::Compacted {
            requested: 3,
            compacted: 4
        })
    ));
    assert!(matches!(
        store.watch("/r/", 2).await,
        Err(StoreError::Compacted { .. })
    ));
    // A watch from a revision at or after the compaction point still replays.
    let mut from4 = store.watch("/r/", 4).await?;
    assert_eq!(next_events(&mut from4, 1).await[0].kv.key, "/r/c");
    // A live watch is unaffected by compaction below its position.
    store.update("/r/a", b("3"), 2).await?; // 6
    assert_eq!(next_events(&mut live, 1).await[0].revision(), 6);
    Ok(())
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
