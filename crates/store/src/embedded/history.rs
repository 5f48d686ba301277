//! The embedded store's MVCC history: every retained version of every key, and the
//! order of writes.
//!
//! It is the store's memory, so it is kept small. A key's name is allocated once and
//! shared by its versions and events; an event is its revision and key (its values are
//! the versions'); and a version superseded long enough ago that no reader is likely to
//! want it soon is kept compressed. Each old version is LZ4-compressed with its
//! successor as the dictionary: consecutive versions of an object differ in a few
//! fields, so an old pod costs a tenth of its JSON. (At 150,000 pods the plain history
//! was most of the server's memory.) Reading an old version decompresses the chain from
//! the newest plain one; a batch of events shares that work through a [`Memo`].

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::ops::Bound;
use std::sync::Arc;

use bytes::Bytes;

use crate::wal::{Op, Record};
use crate::{Event, EventKind, KeyValue, Revision};

/// How many revisions after it was superseded a version is compressed. More than the
/// API server's watch cache holds (50,000 events), so live watchers and resuming ones
/// never wait on decompression; at 3,500 writes/s that is about 20 s.
const COMPRESS_AFTER: Revision = 60_000;

#[derive(Debug, Clone)]
enum Stored {
    Plain(Bytes),
    /// LZ4 block, size prepended, with the next version's value as its dictionary
    /// (empty when the next version is a deletion).
    Packed(Arc<[u8]>),
}

/// One version of a key; `value == None` marks a deletion.
#[derive(Debug, Clone)]
pub(super) struct Version {
    mod_revision: Revision,
    create_revision: Revision,
    value: Option<Stored>,
}

/// Values decompressed while answering one request, by key and version index.
#[derive(Default)]
pub(super) struct Memo(HashMap<(usize, usize), Bytes>);

pub(super) struct History {
    /// Revisions after its supersession at which a version is compressed.
    compress_after: Revision,
    keys: BTreeMap<Arc<str>, Vec<Version>>,
    /// Every write after the compacted revision, in revision order.
    events: VecDeque<(Revision, Arc<str>)>,
    /// Versions not yet compressed: the revision that superseded each, oldest first.
    superseded: VecDeque<(Revision, Arc<str>)>,
}

/// The value of `versions[i]`, decompressing (and remembering in `memo`) what it takes.
fn value_at(key: &str, versions: &[Version], i: usize, memo: &mut Memo) -> Option<Bytes> {
    let id = |j: usize| (key.as_ptr() as usize, j);
    versions.get(i)?.value.as_ref()?;
    // Walk forward to the first value that needs no newer one to decompress: a plain
    // one, one already decompressed, or one compressed without a dictionary.
    let mut end = i;
    loop {
        match &versions[end].value {
            Some(Stored::Packed(_))
                if !memo.0.contains_key(&id(end))
                    && versions
                        .get(end + 1)
                        .is_some_and(|next| next.value.is_some()) =>
            {
                end += 1;
            }
            _ => break,
        }
    }
    // Then back, each value the dictionary of the one before it.
    let mut next: Option<Bytes> = None;
    for j in (i..=end).rev() {
        let bytes = match &versions[j].value {
            None => return None,
            Some(Stored::Plain(bytes)) => bytes.clone(),
            Some(Stored::Packed(packed)) => match memo.0.get(&id(j)) {
                Some(bytes) => bytes.clone(),
                None => {
                    let dict = next.as_deref().unwrap_or_default();
                    match lz4_flex::block::decompress_size_prepended_with_dict(packed, dict) {
                        Ok(plain) => {
                            let bytes = Bytes::from(plain);
                            memo.0.insert(id(j), bytes.clone());
                            bytes
                        }
                        Err(err) => {
                            tracing::error!(key, %err, "a compressed version does not decompress");
                            return None;
                        }
                    }
                }
            },
        };
        next = Some(bytes);
    }
    next
}

/// The index of the version a read at `revision` sees, if the key existed then.
fn visible_at(versions: &[Version], revision: Revision) -> Option<usize> {
    let idx = versions.partition_point(|v| v.mod_revision <= revision);
    idx.checked_sub(1).filter(|i| versions[*i].value.is_some())
}

fn key_value(key: &str, versions: &[Version], i: usize, memo: &mut Memo) -> Option<KeyValue> {
    let version = versions.get(i)?;
    version.value.as_ref()?;
    Some(KeyValue {
        key: key.to_string(),
        value: value_at(key, versions, i, memo)?,
        create_revision: version.create_revision,
        mod_revision: version.mod_revision,
    })
}

impl Default for History {
    fn default() -> History {
        History {
            compress_after: COMPRESS_AFTER,
            keys: BTreeMap::new(),
            events: VecDeque::new(),
            superseded: VecDeque::new(),
        }
    }
}

impl History {
    /// The key's current value, if it exists.
    pub fn latest(&self, key: &str) -> Option<KeyValue> {
        let versions = self.keys.get(key)?;
        key_value(
            key,
            versions,
            versions.len().checked_sub(1)?,
            &mut Memo::default(),
        )
    }

    /// The key's value as of `revision`.
    pub fn at(&self, key: &str, revision: Revision) -> Option<KeyValue> {
        let versions = self.keys.get(key)?;
        Self::at_in(key, versions, revision)
    }

    fn at_in(key: &str, versions: &[Version], revision: Revision) -> Option<KeyValue> {
        key_value(
            key,
            versions,
            visible_at(versions, revision)?,
            &mut Memo::default(),
        )
    }

    /// Up to `limit` keys from `start` on under `prefix` with their values as of
    /// `revision` (keys that did not exist then are skipped), and how many more there are.
    pub fn list_at(
        &self,
        prefix: &str,
        start: Bound<&str>,
        revision: Revision,
        limit: usize,
    ) -> (Vec<KeyValue>, usize) {
        let mut kvs = Vec::new();
        let mut remaining = 0;
        for (key, versions) in self
            .keys
            .range::<str, _>((start, Bound::Unbounded))
            .take_while(|(key, _)| key.starts_with(prefix))
        {
            let Some(i) = visible_at(versions, revision) else {
                continue;
            };
            if kvs.len() < limit {
                kvs.extend(key_value(key, versions, i, &mut Memo::default()));
            } else {
                remaining += 1;
            }
        }
        (kvs, remaining)
    }

    /// Records one write at `revision`. `create_revision` is the log's for a put being
    /// replayed; otherwise it follows from the key's history.
    pub fn apply(
        &mut self,
        key: String,
        value: Option<Bytes>,
        revision: Revision,
        create_revision: Option<Revision>,
    ) {
        let key: Arc<str> = match self.keys.get_key_value(key.as_str()) {
            Some((shared, _)) => shared.clone(),
            None => Arc::from(key),
        };
        let versions = self.keys.entry(key.clone()).or_default();
        let prev = versions.last().filter(|v| v.value.is_some());
        let create_revision = match (&value, prev) {
            (None, Some(p)) => p.create_revision,
            (Some(_), Some(p)) => create_revision.unwrap_or(p.create_revision),
            _ => create_revision.unwrap_or(revision),
        };
        if prev.is_some() {
            self.superseded.push_back((revision, key.clone()));
        }
        versions.push(Version {
            mod_revision: revision,
            create_revision,
            value: value.map(Stored::Plain),
        });
        self.events.push_back((revision, key));
        self.compress_due(revision);
    }

    /// Compresses what was superseded `compress_after` revisions before `now`.
    fn compress_due(&mut self, now: Revision) {
        while let Some((at, _)) = self.superseded.front()
            && at + self.compress_after <= now
        {
            let Some((at, key)) = self.superseded.pop_front() else {
                break;
            };
            self.compress(&key, at);
        }
    }

    /// Compresses the version of `key` that the write at `superseded_at` replaced.
    fn compress(&mut self, key: &Arc<str>, superseded_at: Revision) {
        let Some(versions) = self.keys.get(key) else {
            return;
        };
        let idx = versions.partition_point(|v| v.mod_revision < superseded_at);
        if idx == 0
            || versions
                .get(idx)
                .is_none_or(|v| v.mod_revision != superseded_at)
        {
            return; // compacted away
        }
        let Some(Stored::Plain(plain)) = &versions[idx - 1].value else {
            return;
        };
        let dict = value_at(key, versions, idx, &mut Memo::default()).unwrap_or_default();
        let packed = lz4_flex::block::compress_prepend_size_with_dict(plain, &dict);
        if packed.len() < plain.len()
            && let Some(versions) = self.keys.get_mut(key)
        {
            versions[idx - 1].value = Some(Stored::Packed(packed.into()));
        }
    }

    /// The event of the write at `revision` to `key`.
    fn event(&self, revision: Revision, key: &str, memo: &mut Memo) -> Option<Event> {
        let versions = self.keys.get(key)?;
        let idx = versions.partition_point(|v| v.mod_revision < revision);
        let version = versions.get(idx).filter(|v| v.mod_revision == revision)?;
        let prev = idx
            .checked_sub(1)
            .and_then(|i| key_value(key, versions, i, memo));
        let value = match &version.value {
            Some(_) => value_at(key, versions, idx, memo)?,
            None => prev.as_ref().map(|p| p.value.clone()).unwrap_or_default(),
        };
        Some(Event {
            kind: if version.value.is_some() {
                EventKind::Put
            } else {
                EventKind::Delete
            },
            kv: KeyValue {
                key: key.to_string(),
                value,
                create_revision: version.create_revision,
                mod_revision: revision,
            },
            prev,
        })
    }

    /// The event of the latest write.
    pub fn last_event(&self) -> Option<Event> {
        let (revision, key) = self.events.back()?;
        self.event(*revision, key, &mut Memo::default())
    }

    /// Up to `max` events after `position` and at or before `upto`, of keys under `prefix`;
    /// the revision the batch reaches (the last event's, or `upto` when it is complete).
    pub fn events_after(
        &self,
        position: Revision,
        upto: Revision,
        prefix: &str,
        max: usize,
    ) -> (Vec<Event>, Revision) {
        let start = self.events.partition_point(|(r, _)| *r <= position);
        let mut memo = Memo::default();
        let mut out = Vec::new();
        for (revision, key) in self.events.range(start..) {
            if *revision > upto {
                break;
            }
            if out.len() == max {
                return (out, *revision - 1);
            }
            if key.starts_with(prefix)
                && let Some(event) = self.event(*revision, key, &mut memo)
            {
                out.push(event);
            }
        }
        (out, upto)
    }

    /// Drops history at and below `revision`, keeping each key's value as of `revision`.
    pub fn compact(&mut self, revision: Revision) {
        while self.events.front().is_some_and(|(r, _)| *r <= revision) {
            self.events.pop_front();
        }
        while self.superseded.front().is_some_and(|(r, _)| *r <= revision) {
            self.superseded.pop_front();
        }
        self.keys.retain(|_, versions| {
            let idx = versions.partition_point(|v| v.mod_revision <= revision);
            // Keep the version visible at `revision` (idx-1) unless it is a deletion.
            let keep_from = match idx.checked_sub(1) {
                Some(i) if versions[i].value.is_some() => i,
                Some(i) => i + 1,
                None => 0,
            };
            versions.drain(..keep_from);
            !versions.is_empty()
        });
    }

    /// After replaying a log (whose snapshot part is in key order, not revision order):
    /// puts events back in revision order and compresses what is due.
    pub fn finish_replay(&mut self, now: Revision) {
        self.events
            .make_contiguous()
            .sort_by_key(|(revision, _)| *revision);
        self.superseded
            .make_contiguous()
            .sort_by_key(|(revision, _)| *revision);
        self.compress_due(now);
    }

    /// The retained history, to be written as a snapshot by [`SnapshotKey::records`].
    pub fn snapshot(&self) -> Vec<SnapshotKey> {
        self.keys
            .iter()
            .map(|(key, versions)| SnapshotKey {
                key: key.clone(),
                versions: versions.clone(),
            })
            .collect()
    }
}

/// One key's versions, sharing their (compressed) values with the history.
pub(super) struct SnapshotKey {
    key: Arc<str>,
    versions: Vec<Version>,
}

impl SnapshotKey {
    /// The key's versions as log records, oldest first, decompressed one key at a time.
    pub fn records(&self) -> Vec<Record> {
        let mut memo = Memo::default();
        (0..self.versions.len())
            .map(|i| {
                let version = &self.versions[i];
                Record {
                    op: if version.value.is_some() {
                        Op::Put
                    } else {
                        Op::Delete
                    },
                    revision: version.mod_revision,
                    create_revision: version.create_revision,
                    key: self.key.to_string(),
                    value: value_at(&self.key, &self.versions, i, &mut memo).unwrap_or_default(),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pod-like value that changes a little with each write.
    fn value(key: &str, n: usize) -> Bytes {
        Bytes::from(format!(
            r#"{{"metadata":{{"name":"{key}","labels":{{"app":"web"}}}},"spec":{{"containers":[{{"name":"c","image":"nginx:1.25"}}]}},"status":{{"phase":"Running","observed":{n}}}}}"#
        ))
    }

    /// Writes to three keys in turn, with deletions and re-creations, compressing
    /// everything superseded one revision ago; returns every write as
    /// (revision, key, value or None for a deletion).
    fn history() -> (History, Vec<(Revision, String, Option<Bytes>)>) {
        let mut history = History {
            compress_after: 1,
            ..History::default()
        };
        let mut writes = Vec::new();
        let mut revision = 0;
        for n in 0..40 {
            for key in ["/a", "/b", "/c"] {
                revision += 1;
                let write = if key == "/b" && n % 7 == 3 {
                    None
                } else {
                    Some(value(key, n))
                };
                history.apply(key.to_string(), write.clone(), revision, None);
                writes.push((revision, key.to_string(), write));
            }
        }
        (history, writes)
    }

    fn packed(history: &History) -> usize {
        history
            .keys
            .values()
            .flatten()
            .filter(|v| matches!(v.value, Some(Stored::Packed(_))))
            .count()
    }

    #[test]
    fn old_versions_are_compressed_and_read_back_exactly() {
        let (history, writes) = history();
        assert!(packed(&history) > 100, "{} packed", packed(&history));
        let last = writes.len() as Revision;
        for revision in 1..=last {
            for key in ["/a", "/b", "/c"] {
                let want = writes
                    .iter()
                    .filter(|(r, k, _)| *r <= revision && k == key)
                    .last()
                    .and_then(|(_, _, v)| v.clone());
                let got = history.at(key, revision).map(|kv| kv.value);
                assert_eq!(got, want, "{key} at {revision}");
            }
        }
        let plain: usize = writes
            .iter()
            .filter_map(|(_, _, v)| v.as_ref())
            .map(Bytes::len)
            .sum();
        let kept: usize = history
            .keys
            .values()
            .flatten()
            .map(|v| match &v.value {
                Some(Stored::Plain(b)) => b.len(),
                Some(Stored::Packed(p)) => p.len(),
                None => 0,
            })
            .sum();
        assert!(kept * 4 < plain, "{kept} bytes kept of {plain}");
    }

    #[test]
    fn events_carry_values_and_previous_values_in_batches() {
        let (history, writes) = history();
        let last = writes.len() as Revision;
        let mut events = Vec::new();
        let mut position = 0;
        while position < last {
            let (batch, reached) = history.events_after(position, last, "/", 7);
            assert!(batch.len() <= 7);
            assert!(reached > position);
            events.extend(batch);
            position = reached;
        }
        assert_eq!(events.len(), writes.len());
        for (event, (revision, key, value)) in events.iter().zip(&writes) {
            assert_eq!((event.revision(), &event.kv.key), (*revision, key));
            let before = writes
                .iter()
                .filter(|(r, k, _)| r < revision && k == key)
                .last()
                .and_then(|(_, _, v)| v.clone());
            assert_eq!(event.prev.as_ref().map(|p| p.value.clone()), before);
            match value {
                Some(v) => assert_eq!((event.kind, &event.kv.value), (EventKind::Put, v)),
                None => assert_eq!(
                    (event.kind, Some(event.kv.value.clone())),
                    (EventKind::Delete, before)
                ),
            }
        }
    }

    #[test]
    fn a_snapshot_replays_to_the_same_history() {
        let (mut history, writes) = history();
        history.compact(30);
        let mut replayed = History::default();
        for record in history.snapshot().iter().flat_map(SnapshotKey::records) {
            let value = (record.op == Op::Put).then_some(record.value);
            replayed.apply(
                record.key,
                value,
                record.revision,
                Some(record.create_revision),
            );
        }
        replayed.finish_replay(writes.len() as Revision);
        let last = writes.len() as Revision;
        let (original, _) = history.events_after(30, last, "/", usize::MAX);
        let (again, _) = replayed.events_after(30, last, "/", usize::MAX);
        let summary = |events: &[Event]| {
            events
                .iter()
                .map(|e| {
                    (
                        e.revision(),
                        e.kv.key.clone(),
                        e.kv.value.clone(),
                        e.prev.clone().map(|p| p.value),
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(summary(&again), summary(&original));
        assert_eq!(original.len(), writes.len() - 30);
    }
}
