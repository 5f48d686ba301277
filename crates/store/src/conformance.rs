//! The datastore contract as executable checks, run against every backend: the
//! embedded store in its unit tests, etcd in `tests/etcd_backend.rs`. Each check takes a
//! fresh, empty store and states revisions relative to where it started (a new etcd
//! cluster does not start at revision 0).

use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;

use crate::{Event, EventKind, ListOptions, Result, Store, StoreError, WatchStream};

fn b(s: &str) -> Bytes {
    Bytes::from(s.to_string())
}

fn check(ok: bool, what: &str) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(StoreError::Unavailable(format!(
            "contract violated: {what}"
        )))
    }
}

async fn next_events(stream: &mut WatchStream, n: usize) -> Result<Vec<Event>> {
    let mut out = Vec::new();
    while out.len() < n {
        match tokio::time::timeout(std::time::Duration::from_secs(10), stream.next()).await {
            Ok(Some(Ok(batch))) => out.extend(batch),
            other => {
                return Err(StoreError::Unavailable(format!(
                    "watch ended early after {} events: {other:?}",
                    out.len()
                )));
            }
        }
    }
    Ok(out)
}

/// Every check, by name, for backends that run them one by one.
pub const CHECKS: &[&str] = &[
    "revisions_increase_by_one_per_write",
    "compare_and_swap_errors_carry_current_value",
    "concurrent_compare_and_swap_loses_no_increment",
    "list_pages_and_reads_at_past_revisions",
    "watch_replays_history_then_follows_live_without_gaps",
    "watch_under_concurrent_writers_sees_every_revision_once_in_order",
    "compaction_keeps_current_values_and_refuses_old_revisions",
];

/// Runs the named check against `store`.
pub async fn run(name: &str, store: Arc<dyn Store>) -> Result<()> {
    match name {
        "revisions_increase_by_one_per_write" => revisions_increase_by_one_per_write(store).await,
        "compare_and_swap_errors_carry_current_value" => {
            compare_and_swap_errors_carry_current_value(store).await
        }
        "concurrent_compare_and_swap_loses_no_increment" => {
            concurrent_compare_and_swap_loses_no_increment(store).await
        }
        "list_pages_and_reads_at_past_revisions" => {
            list_pages_and_reads_at_past_revisions(store).await
        }
        "watch_replays_history_then_follows_live_without_gaps" => {
            watch_replays_history_then_follows_live_without_gaps(store).await
        }
        "watch_under_concurrent_writers_sees_every_revision_once_in_order" => {
            watch_under_concurrent_writers_sees_every_revision_once_in_order(store).await
        }
        "compaction_keeps_current_values_and_refuses_old_revisions" => {
            compaction_keeps_current_values_and_refuses_old_revisions(store).await
        }
        other => Err(StoreError::Unavailable(format!("no check named {other}"))),
    }
}

pub async fn revisions_increase_by_one_per_write(store: Arc<dyn Store>) -> Result<()> {
    let base = store.current_revision().await?;
    let a = store.create("/r/a", b("1")).await?;
    check(
        (a.create_revision, a.mod_revision) == (base + 1, base + 1),
        "create revision",
    )?;
    let a2 = store.update("/r/a", b("2"), base + 1).await?;
    check(
        (a2.create_revision, a2.mod_revision) == (base + 1, base + 2),
        "update revision",
    )?;
    let deleted = store.delete("/r/a", Some(base + 2)).await?;
    check(deleted.mod_revision == base + 3, "delete revision")?;
    check(deleted.value == b("2"), "delete returns the last value")?;
    check(store.get("/r/a").await?.is_none(), "deleted key is gone")?;
    let again = store.create("/r/a", b("3")).await?;
    check(
        (again.create_revision, again.mod_revision) == (base + 4, base + 4),
        "re-created key starts a new life",
    )?;
    check(
        store.current_revision().await? == base + 4,
        "current revision",
    )
}

pub async fn compare_and_swap_errors_carry_current_value(store: Arc<dyn Store>) -> Result<()> {
    let base = store.current_revision().await?;
    store.create("/r/a", b("1")).await?;
    match store.create("/r/a", b("x")).await {
        Err(StoreError::AlreadyExists(kv)) => {
            check(kv.value == b("1"), "AlreadyExists carries the value")?
        }
        other => check(false, &format!("expected AlreadyExists, got {other:?}"))?,
    }
    match store.update("/r/a", b("x"), base + 7).await {
        Err(StoreError::Conflict { current, .. }) => check(
            current.map(|c| c.mod_revision) == Some(base + 1),
            "Conflict carries the current revision",
        )?,
        other => check(false, &format!("expected Conflict, got {other:?}"))?,
    }
    match store.update("/r/missing", b("x"), base + 1).await {
        Err(StoreError::Conflict { current: None, .. }) | Err(StoreError::NotFound(_)) => {}
        other => check(
            false,
            &format!("expected a failed update of a missing key, got {other:?}"),
        )?,
    }
    check(
        matches!(
            store.delete("/r/missing", None).await,
            Err(StoreError::NotFound(_))
        ),
        "deleting a missing key is NotFound",
    )?;
    check(
        matches!(
            store.delete("/r/a", Some(base + 9)).await,
            Err(StoreError::Conflict { .. })
        ),
        "guarded delete conflicts",
    )?;
    check(
        store.current_revision().await? == base + 1,
        "failed writes use no revision",
    )
}

pub async fn concurrent_compare_and_swap_loses_no_increment(store: Arc<dyn Store>) -> Result<()> {
    let base = store.current_revision().await?;
    store.create("/counter", b("0")).await?;
    let mut tasks = Vec::new();
    for _ in 0..8 {
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
    let value = store.get("/counter").await?.map(|kv| kv.value);
    check(value == Some(b("200")), "every increment counted once")?;
    check(
        store.current_revision().await? == base + 201,
        "one revision per win",
    )
}

pub async fn list_pages_and_reads_at_past_revisions(store: Arc<dyn Store>) -> Result<()> {
    let base = store.current_revision().await?;
    for name in ["a", "b", "c", "d"] {
        store.create(&format!("/r/ns/{name}"), b(name)).await?;
    }
    store.create("/rx/other", b("x")).await?; // shares the string prefix "/r" only
    store.update("/r/ns/a", b("a2"), base + 1).await?; // +6
    store.delete("/r/ns/b", None).await?; // +7
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
    check(keys == ["/r/ns/a", "/r/ns/c"], "first page")?;
    check(page1.more && page1.remaining == 1, "more remain")?;
    check(
        page1.revision == base + 7,
        "page read at the latest revision",
    )?;
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
    check(keys == ["/r/ns/d"] && !page2.more, "second page")?;
    let old = store
        .list(
            "/r/",
            ListOptions {
                revision: Some(base + 4),
                ..Default::default()
            },
        )
        .await?;
    let values: Vec<_> = old.kvs.iter().map(|k| k.value.clone()).collect();
    check(
        values == [b("a"), b("b"), b("c"), b("d")],
        "read at a past revision",
    )?;
    check(
        matches!(
            store
                .list(
                    "/r/",
                    ListOptions {
                        revision: Some(base + 99),
                        ..Default::default()
                    }
                )
                .await,
            Err(StoreError::FutureRevision { .. })
        ),
        "future revision refused",
    )
}

pub async fn watch_replays_history_then_follows_live_without_gaps(
    store: Arc<dyn Store>,
) -> Result<()> {
    let base = store.current_revision().await?;
    store.create("/r/a", b("1")).await?; // +1
    store.create("/other/x", b("x")).await?; // +2
    store.update("/r/a", b("2"), base + 1).await?; // +3
    let mut watch = store.watch("/r/", base + 1).await?;
    store.create("/r/b", b("b")).await?; // +4
    store.delete("/r/a", None).await?; // +5
    let events = next_events(&mut watch, 3).await?;
    let seen: Vec<_> = events
        .iter()
        .map(|e| (e.kind, e.kv.key.as_str(), e.revision() - base))
        .collect();
    check(
        seen == [
            (EventKind::Put, "/r/a", 3),
            (EventKind::Put, "/r/b", 4),
            (EventKind::Delete, "/r/a", 5),
        ],
        &format!("events in order: {seen:?}"),
    )?;
    check(
        events[0].prev.as_ref().map(|p| p.value.clone()) == Some(b("1")),
        "put carries the previous value",
    )?;
    check(
        events[2].kv.value == b("2"),
        "delete carries the last value",
    )
}

pub async fn watch_under_concurrent_writers_sees_every_revision_once_in_order(
    store: Arc<dyn Store>,
) -> Result<()> {
    let base = store.current_revision().await?;
    let mut watch = store.watch("/w/", base).await?;
    let mut tasks = Vec::new();
    for t in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..25 {
                store.create(&format!("/w/{t}-{i}"), b("v")).await?;
            }
            Ok::<_, StoreError>(())
        }));
    }
    for t in tasks {
        t.await
            .map_err(|e| StoreError::Unavailable(e.to_string()))??;
    }
    let events = next_events(&mut watch, 200).await?;
    let revisions: Vec<_> = events.iter().map(|e| e.revision() - base).collect();
    check(
        revisions == (1..=200).collect::<Vec<_>>(),
        "every revision once, in order",
    )
}

pub async fn compaction_keeps_current_values_and_refuses_old_revisions(
    store: Arc<dyn Store>,
) -> Result<()> {
    let base = store.current_revision().await?;
    store.create("/r/a", b("1")).await?; // +1
    store.update("/r/a", b("2"), base + 1).await?; // +2
    store.create("/r/b", b("b")).await?; // +3
    store.delete("/r/b", None).await?; // +4
    store.create("/r/c", b("c")).await?; // +5
    let mut live = store.watch("/r/", base + 5).await?;
    store.compact(base + 4).await?;
    check(
        store.compacted_revision().await? == base + 4,
        "compacted revision",
    )?;
    let at4 = store
        .list(
            "/r/",
            ListOptions {
                revision: Some(base + 4),
                ..Default::default()
            },
        )
        .await?;
    check(
        at4.kvs.len() == 1 && at4.kvs[0].value == b("2"),
        "read at the compaction point",
    )?;
    match store
        .list(
            "/r/",
            ListOptions {
                revision: Some(base + 3),
                ..Default::default()
            },
        )
        .await
    {
        Err(StoreError::Compacted {
            requested,
            compacted,
        }) => check(
            requested == base + 3 && compacted == base + 4,
            "Compacted names both revisions",
        )?,
        other => check(false, &format!("expected Compacted, got {other:?}"))?,
    }
    check(
        matches!(
            store.watch("/r/", base + 2).await,
            Err(StoreError::Compacted { .. })
        ),
        "watch below the compaction point refused",
    )?;
    let mut from4 = store.watch("/r/", base + 4).await?;
    check(
        next_events(&mut from4, 1).await?[0].kv.key == "/r/c",
        "watch from the compaction point replays",
    )?;
    let written = store.update("/r/a", b("3"), base + 2).await?;
    check(
        next_events(&mut live, 1).await?[0].revision() == written.mod_revision,
        "a live watch is unaffected by compaction",
    )
}
