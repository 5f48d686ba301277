//! The embedded backend: the whole MVCC history in memory, made durable by the log in
//! [`crate::wal`] (or kept only in memory, for unit tests).
//!
//! Writes are serialised by one mutex that assigns revisions and applies the write to the
//! in-memory history at once, so the next compare-and-swap sees it. Durability is by group
//! commit: a flusher thread appends everything written since its last pass in one
//! `write` + `fdatasync`, then advances the *durable revision*. Readers and watchers only
//! ever look at history up to the durable revision, and writers return only when their
//! revision is durable, so nothing unacknowledged is ever seen and nothing acknowledged is
//! ever lost. If the disk fails, the store stops taking writes (it cannot know what
//! reached the disk) and reports [`StoreError::Unavailable`].

use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use bytes::Bytes;
use tokio::sync::{mpsc, watch};

mod history;

use history::{History, SnapshotKey};

use crate::wal::{Op, Record, Wal};
use crate::{
    Event, KeyValue, ListOptions, ListResult, Result, Revision, Store, StoreError, WatchStream,
};

/// How long the flusher waits for more writes to join a commit when the last commit
/// carried at least [`COMMIT_DELAY_AFTER_BATCH`] of them (PostgreSQL's `commit_delay`
/// with `commit_siblings`): small next to a write's latency under such load.
const COMMIT_DELAY: std::time::Duration = std::time::Duration::from_micros(200);
const COMMIT_DELAY_AFTER_BATCH: Revision = 3;

#[derive(Default)]
struct State {
    history: History,
    /// The last revision assigned (possibly not durable yet).
    revision: Revision,
    compacted: Revision,
    /// Encoded records not yet handed to the flusher.
    pending: Vec<u8>,
    pending_upto: Revision,
    /// A compacted snapshot waiting to replace the log: its records share the values
    /// with the history, and the flusher encodes them as it writes, so compaction never
    /// holds a second copy of the store (at 150,000 pods that copy was gigabytes, built
    /// under the lock).
    snapshot: Option<(Vec<SnapshotKey>, Record)>,
    failed: Option<String>,
    shutdown: bool,
}

#[derive(Debug, Clone, Default)]
struct Durable {
    revision: Revision,
    failed: Option<String>,
}

struct Shared {
    state: Mutex<State>,
    /// Wakes the flusher when there is something to write.
    flush_wanted: Condvar,
    durable: watch::Sender<Durable>,
    persistent: bool,
}

/// Most events a store watch sends at once: a watch from far back (the API server's
/// watch cache starting on a big history) gets it in pieces, not one copy of it all.
const WATCH_BATCH: usize = 1024;

/// The embedded MVCC store.
pub struct EmbeddedStore {
    shared: Arc<Shared>,
    flusher: Option<std::thread::JoinHandle<()>>,
}

impl EmbeddedStore {
    /// A store that lives only in memory (for unit tests).
    pub fn in_memory() -> EmbeddedStore {
        let (durable, _) = watch::channel(Durable::default());
        EmbeddedStore {
            shared: Arc::new(Shared {
                state: Mutex::new(State::default()),
                flush_wanted: Condvar::new(),
                durable,
                persistent: false,
            }),
            flusher: None,
        }
    }

    /// Opens (or creates) the store persisted in the log file at `path`.
    pub fn open(path: &Path) -> std::io::Result<EmbeddedStore> {
        let (wal, records) = Wal::open(path)?;
        let mut state = State::default();
        let mut compact_to = 0;
        for record in records {
            match record.op {
                Op::Put => state.apply(
                    record.key,
                    Some(record.value),
                    record.revision,
                    Some(record.create_revision),
                ),
                Op::Delete => state.apply(record.key, None, record.revision, None),
                Op::Compact => {
                    state.revision = state.revision.max(record.create_revision);
                    compact_to = compact_to.max(record.revision);
                }
            }
        }
        if compact_to > 0 {
            state.compact(compact_to);
        }
        state.history.finish_replay(state.revision);
        let revision = state.revision;
        let (durable, _) = watch::channel(Durable {
            revision,
            failed: None,
        });
        let shared = Arc::new(Shared {
            state: Mutex::new(state),
            flush_wanted: Condvar::new(),
            durable,
            persistent: true,
        });
        let flusher_shared = shared.clone();
        let flusher = std::thread::Builder::new()
            .name("store-flusher".into())
            .spawn(move || flusher_shared.flush_loop(wal))?;
        Ok(EmbeddedStore {
            shared,
            flusher: Some(flusher),
        })
    }
}

impl Drop for EmbeddedStore {
    fn drop(&mut self) {
        self.shared.lock().shutdown = true;
        self.shared.flush_wanted.notify_all();
        if let Some(flusher) = self.flusher.take() {
            let _ = flusher.join();
        }
    }
}

impl State {
    fn latest(&self, key: &str) -> Option<KeyValue> {
        self.history.latest(key)
    }

    /// Applies one write at `revision` to the history.
    fn apply(
        &mut self,
        key: String,
        value: Option<Bytes>,
        revision: Revision,
        create_revision: Option<Revision>,
    ) {
        self.history.apply(key, value, revision, create_revision);
        self.revision = self.revision.max(revision);
    }

    /// Drops history at and below `revision`, keeping each key's value as of `revision`.
    fn compact(&mut self, revision: Revision) {
        self.history.compact(revision);
        self.compacted = self.compacted.max(revision);
    }

    /// The retained history for a snapshot, and the compaction marker that ends it.
    fn snapshot(&self) -> (Vec<SnapshotKey>, Record) {
        let marker = Record {
            op: Op::Compact,
            revision: self.compacted,
            create_revision: self.revision,
            key: String::new(),
            value: Bytes::new(),
        };
        (self.history.snapshot(), marker)
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the history half-applied (apply
        // only pushes), so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn durable_revision(&self) -> Revision {
        self.durable.borrow().revision
    }

    fn flush_loop(&self, mut wal: Wal) {
        let mut durable_upto = self.durable_revision();
        let mut last_batch = 0;
        loop {
            let (batch, upto, snapshot) = {
                let mut st = self.lock();
                while st.pending.is_empty() && st.snapshot.is_none() && !st.shutdown {
                    st = self
                        .flush_wanted
                        .wait(st)
                        .unwrap_or_else(|e| e.into_inner());
                }
                if st.pending.is_empty() && st.snapshot.is_none() {
                    return; // shut down with nothing left to write
                }
                if last_batch >= COMMIT_DELAY_AFTER_BATCH && !st.shutdown {
                    // Concurrent writers: let more of them join this commit. An
                    // `fdatasync` costs the same for one write as for many (about 65 µs
                    // of CPU here, most of it a virtual disk's doorbell), so under load
                    // a short wait buys fewer of them. A lone writer waits only if it comes
                    // right after such a commit.
                    drop(st);
                    std::thread::sleep(COMMIT_DELAY);
                    st = self.lock();
                }
                (
                    std::mem::take(&mut st.pending),
                    st.pending_upto,
                    st.snapshot.take(),
                )
            };
            last_batch = upto - durable_upto;
            durable_upto = durable_upto.max(upto);
            let result = match snapshot {
                Some((keys, marker)) => wal
                    .rewrite(
                        keys.iter()
                            .flat_map(SnapshotKey::records)
                            .chain(std::iter::once(marker)),
                    )
                    .and_then(|()| {
                        if batch.is_empty() {
                            Ok(())
                        } else {
                            wal.append(&batch)
                        }
                    }),
                None => wal.append(&batch),
            };
            match result {
                Ok(()) => self
                    .durable
                    .send_modify(|d| d.revision = d.revision.max(upto)),
                Err(err) => {
                    let msg = format!("datastore log write failed: {err}");
                    tracing::error!("{msg}; refusing further writes");
                    self.lock().failed = Some(msg.clone());
                    self.durable.send_modify(|d| d.failed = Some(msg));
                    return;
                }
            }
        }
    }

    /// Runs one write under the lock, then waits until it is durable.
    async fn write(
        &self,
        key: &str,
        decide: impl FnOnce(&State) -> Result<()>,
        value: Option<Bytes>,
    ) -> Result<Event> {
        let (event, revision) = {
            let mut st = self.lock();
            if let Some(failed) = &st.failed {
                return Err(StoreError::Unavailable(failed.clone()));
            }
            decide(&st)?;
            let revision = st.revision + 1;
            st.apply(key.to_string(), value.clone(), revision, None);
            let event = st.history.last_event().ok_or_else(|| {
                StoreError::Unavailable("write was not recorded in history".into())
            })?;
            if self.persistent {
                Record {
                    op: if value.is_some() { Op::Put } else { Op::Delete },
                    revision,
                    create_revision: event.kv.create_revision,
                    key: key.to_string(),
                    value: value.unwrap_or_default(),
                }
                .encode_into(&mut st.pending);
                st.pending_upto = revision;
            } else {
                self.durable
                    .send_modify(|d| d.revision = d.revision.max(revision));
            }
            (event, revision)
        };
        if self.persistent {
            self.flush_wanted.notify_one();
            let mut rx = self.durable.subscribe();
            let durable = rx
                .wait_for(|d| d.revision >= revision || d.failed.is_some())
                .await
                .map_err(|_| StoreError::Unavailable("datastore shut down".into()))?
                .clone();
            if durable.revision < revision {
                return Err(StoreError::Unavailable(
                    durable
                        .failed
                        .unwrap_or_else(|| "write not persisted".into()),
                ));
            }
        }
        Ok(event)
    }
}

#[async_trait::async_trait]
impl Store for EmbeddedStore {
    async fn current_revision(&self) -> Result<Revision> {
        Ok(self.shared.durable_revision())
    }

    async fn compacted_revision(&self) -> Result<Revision> {
        Ok(self.shared.lock().compacted)
    }

    async fn get(&self, key: &str) -> Result<Option<KeyValue>> {
        let durable = self.shared.durable_revision();
        let st = self.shared.lock();
        Ok(st.history.at(key, durable))
    }

    async fn list(&self, prefix: &str, options: ListOptions) -> Result<ListResult> {
        let durable = self.shared.durable_revision();
        let st = self.shared.lock();
        let revision = match options.revision {
            Some(r) if r > 0 => r,
            _ => durable,
        };
        if revision < st.compacted {
            return Err(StoreError::Compacted {
                requested: revision,
                compacted: st.compacted,
            });
        }
        if revision > durable {
            return Err(StoreError::FutureRevision {
                requested: revision,
                current: durable,
            });
        }
        let start = match &options.start_after {
            Some(after) if after.as_str() >= prefix => std::ops::Bound::Excluded(after.as_str()),
            _ => std::ops::Bound::Included(prefix),
        };
        let limit = options.limit.filter(|l| *l > 0).unwrap_or(usize::MAX);
        let (kvs, remaining) = st.history.list_at(prefix, start, revision, limit);
        Ok(ListResult {
            kvs,
            revision,
            more: remaining > 0,
            remaining,
        })
    }

    async fn create(&self, key: &str, value: Bytes) -> Result<KeyValue> {
        let event = self
            .shared
            .write(
                key,
                |st| match st.latest(key) {
                    Some(existing) => Err(StoreError::AlreadyExists(Box::new(existing))),
                    None => Ok(()),
                },
                Some(value),
            )
            .await?;
        Ok(event.kv)
    }

    async fn update(&self, key: &str, value: Bytes, expected: Revision) -> Result<KeyValue> {
        let event = self
            .shared
            .write(
                key,
                |st| match st.latest(key) {
                    Some(current) if current.mod_revision == expected => Ok(()),
                    current => Err(StoreError::Conflict {
                        key: key.to_string(),
                        current: current.map(Box::new),
                    }),
                },
                Some(value),
            )
            .await?;
        Ok(event.kv)
    }

    async fn delete(&self, key: &str, expected: Option<Revision>) -> Result<KeyValue> {
        let event = self
            .shared
            .write(
                key,
                |st| match (st.latest(key), expected) {
                    (None, _) => Err(StoreError::NotFound(key.to_string())),
                    (Some(current), Some(expected)) if current.mod_revision != expected => {
                        Err(StoreError::Conflict {
                            key: key.to_string(),
                            current: Some(Box::new(current)),
                        })
                    }
                    _ => Ok(()),
                },
                None,
            )
            .await?;
        Ok(event.kv)
    }

    async fn watch(&self, prefix: &str, after: Revision) -> Result<WatchStream> {
        {
            let st = self.shared.lock();
            if after < st.compacted {
                return Err(StoreError::Compacted {
                    requested: after,
                    compacted: st.compacted,
                });
            }
        }
        let (tx, rx) = mpsc::channel(64);
        let shared = self.shared.clone();
        let prefix = prefix.to_string();
        tokio::spawn(async move {
            let mut durable_rx = shared.durable.subscribe();
            let mut position = after;
            loop {
                let durable = durable_rx.borrow_and_update().revision;
                if durable > position {
                    let batch = {
                        let st = shared.lock();
                        if position < st.compacted {
                            Err(StoreError::Compacted {
                                requested: position,
                                compacted: st.compacted,
                            })
                        } else {
                            Ok(st
                                .history
                                .events_after(position, durable, &prefix, WATCH_BATCH))
                        }
                    };
                    match batch {
                        Ok((events, reached)) => {
                            position = reached;
                            if !events.is_empty() && tx.send(Ok(events)).await.is_err() {
                                return;
                            }
                            if position < durable {
                                continue; // the rest of a long replay
                            }
                        }
                        Err(err) => {
                            let _ = tx.send(Err(err)).await;
                            return;
                        }
                    }
                }
                tokio::select! {
                    changed = durable_rx.changed() => if changed.is_err() { return },
                    () = tx.closed() => return,
                }
            }
        });
        Ok(Box::pin(tokio_stream_from(rx)))
    }

    async fn compact(&self, revision: Revision) -> Result<()> {
        let durable = self.shared.durable_revision();
        if revision > durable {
            return Err(StoreError::FutureRevision {
                requested: revision,
                current: durable,
            });
        }
        let mut st = self.shared.lock();
        if revision <= st.compacted {
            return Ok(());
        }
        st.compact(revision);
        if self.shared.persistent {
            // The snapshot covers every write applied so far, including any not yet
            // handed to the flusher, so those pending records are superseded by it.
            st.snapshot = Some(st.snapshot());
            st.pending.clear();
            st.pending_upto = st.revision;
            drop(st);
            self.shared.flush_wanted.notify_one();
        }
        Ok(())
    }
}

fn tokio_stream_from<T: Send + 'static>(
    mut rx: mpsc::Receiver<T>,
) -> impl futures::Stream<Item = T> + Send {
    futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

#[cfg(test)]
mod tests;
