//! The watch cache and watch streams.
//!
//! One store watch on the whole registry feeds an in-memory ring of recent events
//! (decoded once) and broadcast channels (every event for the server's own loops; each
//! watched resource's events for client watches, served by `stream`), so a thousand
//! watchers cost one store watch, not a thousand. A client resuming from a
//! revision older than the ring's start gets upstream's `410 Expired` as an `ERROR`
//! event, and relists. So does every live watch when the cache itself loses history
//! (its store watch fell behind compaction): no watch ever skips an event silently.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use bosun_api::resources::ResourceInfo;
use bosun_api::selector::FieldSet;
use bosun_store::{EventKind, Store};
use bytes::Bytes;
use futures::StreamExt;
use serde_json::{Map, Value};
use tokio::sync::broadcast;

use crate::current::CurrentState;
use crate::error::ApiError;
use crate::object;
use crate::registry::ListParams;

/// How many recent events the ring keeps for resuming watches and for watchers that
/// fell behind. Clients resume from their last event or bookmark (one every 10 s), so
/// the ring must cover more than ten seconds of writes at the highest write rate: at
/// 150,000 pods and 5,000 nodes the server takes about 2,000 writes/s, and a
/// 20,000-event ring made every informer relist the whole cluster again and again.
/// An event costs about its object's JSON (a pod's is 2–4 KiB) plus its labels and
/// selectable fields. (Upstream sizes its watch cache by time, up to 100 × 1,024
/// events per resource.)
const RING_CAPACITY: usize = 50_000;
const BROADCAST_CAPACITY: usize = 8_192;
/// How often a watch with bookmarks enabled gets one.
const BOOKMARK_INTERVAL: Duration = Duration::from_secs(10);

/// One change, shared by all watchers. `prev` is usually the very `object` of the
/// key's previous event (shared, not decoded again), which halves what the ring holds.
#[derive(Debug)]
pub struct CachedEvent {
    pub kind: EventKind,
    pub key: String,
    pub revision: i64,
    pub object: Arc<CachedObject>,
    pub prev: Option<Arc<CachedObject>>,
}

/// One version of an object as the ring keeps it: its stored bytes (shared with the
/// store), and once a watcher looks at it, the watch line it was first sent in
/// (`{"type":…,"object":…}` and a newline, written from the stored bytes once for
/// every watcher) and, only for a watcher with selectors, what they read. Never the
/// decoded tree, which cost four times the JSON and held 0.7 GiB of the server's
/// memory at 150,000 pods. Both wait for the first watcher, off the ring's lock, and
/// never happen for what nobody watches (leases, events).
#[derive(Debug)]
pub struct CachedObject {
    revision: i64,
    info: Option<&'static ResourceInfo>,
    pub(crate) stored: Bytes,
    /// The `type` of the line it is first sent in.
    kind: &'static str,
    /// `None` inside if the stored bytes do not decode (never written by this server).
    line: OnceLock<Option<Line>>,
    /// Decoded only for selectors: most watchers (informers) have none.
    attributes: OnceLock<Option<Attributes>>,
}

#[derive(Debug)]
struct Line {
    line: Bytes,
    /// Where the object's JSON sits in `line`.
    json: std::ops::Range<usize>,
}

#[derive(Debug)]
struct Attributes {
    labels: Map<String, Value>,
    fields: FieldSet,
}

impl CachedEvent {
    /// What [`WatchCache::reset`] broadcasts to wake its receivers: no key, at the new
    /// start. Never an object's event.
    fn reset_wake_up(revision: i64) -> CachedEvent {
        CachedEvent {
            kind: EventKind::Delete,
            key: String::new(),
            revision,
            object: Arc::new(CachedObject::new("", Bytes::new(), revision, "DELETED")),
            prev: None,
        }
    }

    fn is_reset_wake_up(&self) -> bool {
        self.key.is_empty()
    }
}

impl CachedObject {
    fn new(key: &str, stored: Bytes, revision: i64, kind: &'static str) -> CachedObject {
        CachedObject {
            revision,
            info: bosun_api::resources::for_storage_key(key),
            stored,
            kind,
            line: OnceLock::new(),
            attributes: OnceLock::new(),
        }
    }

    /// The object's watch line, written once from the stored bytes with its
    /// `resourceVersion` (decoded and encoded only if the bytes are unusual).
    fn cached_line(&self) -> Option<&Line> {
        self.line
            .get_or_init(|| {
                let json = object::client_json(&self.stored, self.revision).ok()?;
                let (line, json) = watch_line(self.kind, &json);
                Some(Line { line, json })
            })
            .as_ref()
    }

    /// What selectors read, decoded once, and only that ([`object::selectable_skeleton`]).
    fn attributes(&self) -> Option<&Attributes> {
        self.attributes
            .get_or_init(|| {
                let obj = object::selectable_skeleton(&self.stored)?;
                Some(Attributes {
                    labels: object::labels(&obj),
                    fields: self
                        .info
                        .map(|info| FieldSet::of(info, &obj))
                        .unwrap_or_default(),
                })
            })
            .as_ref()
    }

    /// The object decoded again, for the rare reader that needs more than selectors.
    pub fn value(&self) -> Option<Value> {
        object::decode_at(&self.stored, self.revision).ok()
    }

    /// Whether the stored bytes hold `needle` anywhere: a cheap test that rules a
    /// value out before decoding.
    pub fn contains(&self, needle: &[u8]) -> bool {
        memchr::memmem::find(&self.stored, needle).is_some()
    }

    /// A selectable field's value ("" if the kind has no such field).
    pub fn field(&self, field: &str) -> &str {
        self.attributes().map_or("", |a| a.fields.get(field))
    }

    fn matches(&self, info: &ResourceInfo, params: &ListParams) -> bool {
        if params.label_selector.is_none() && params.field_selector.is_none() {
            return true;
        }
        let Some(attributes) = self.attributes() else {
            return false;
        };
        params
            .label_selector
            .as_ref()
            .is_none_or(|s| s.matches(&attributes.labels))
            && params
                .field_selector
                .as_ref()
                .is_none_or(|f| f.matches_set(info, &attributes.fields))
    }

    /// The watch line for this object as `kind`: the cached one when it was first sent
    /// that way (nearly always), else a copy.
    fn line(&self, kind: &'static str) -> Option<Bytes> {
        let cached = self.cached_line()?;
        Some(if kind == self.kind {
            cached.line.clone()
        } else {
            watch_line(kind, &cached.line[cached.json.clone()]).0
        })
    }
}

/// `{"type":KIND,"object":JSON}` and a newline, and where `JSON` sits in it.
fn watch_line(kind: &str, json: &[u8]) -> (Bytes, std::ops::Range<usize>) {
    line_with(kind, json.len(), |line| line.extend_from_slice(json))
}

/// `{"type":KIND,"object":OBJ}` and a newline, the object encoded straight into it.
fn encode_line(kind: &str, object: &Value) -> Bytes {
    line_with(kind, 0, |line| {
        // Writing a `Value` into a Vec cannot fail.
        let _ = serde_json::to_writer(line, object);
    })
    .0
}

/// A watch line around what `write_object` appends, and where that sits in it.
fn line_with(
    kind: &str,
    object_len: usize,
    write_object: impl FnOnce(&mut Vec<u8>),
) -> (Bytes, std::ops::Range<usize>) {
    let mut line = Vec::with_capacity(object_len + kind.len() + 24);
    line.extend_from_slice(b"{\"type\":\"");
    line.extend_from_slice(kind.as_bytes());
    line.extend_from_slice(b"\",\"object\":");
    let start = line.len();
    write_object(&mut line);
    let end = line.len();
    line.extend_from_slice(b"}\n");
    (Bytes::from(line), start..end)
}

struct Ring {
    events: VecDeque<Arc<CachedEvent>>,
    /// The current object of each key whose latest write is still in the ring.
    current: HashMap<String, Arc<CachedObject>>,
    /// History is complete for revisions greater than this.
    start: i64,
    /// The newest revision the cache has seen.
    latest: i64,
}

impl Ring {
    /// Drops the shared current object of an evicted event's key if that event held it.
    fn forget_current(&mut self, evicted: &CachedEvent) {
        if self
            .current
            .get(&evicted.key)
            .is_some_and(|cur| Arc::ptr_eq(cur, &evicted.object))
        {
            self.current.remove(&evicted.key);
        }
    }
}

pub struct WatchCache {
    ring: Mutex<Ring>,
    /// Every event, for the server's own loops.
    tx: broadcast::Sender<Arc<CachedEvent>>,
    /// Each watched resource's events (by storage prefix), for client watches: a pod
    /// watch is not woken for the Events and Leases written beside the pods. With a
    /// thousand pod watches, the scheduler's event for each pod woke a thousand tasks
    /// only to find nothing to send. Upstream's watch cache is per resource likewise.
    by_resource: Mutex<HashMap<String, broadcast::Sender<Arc<CachedEvent>>>>,
    /// Fed every batch under the ring's lock, so LISTs can be answered from memory.
    current: Arc<CurrentState>,
    /// Counts resets (history lost to compaction). A live watch that began under an
    /// older count may have missed events it can never get, so it ends with `410` and
    /// its client relists. Written under the ring's lock, read without it.
    resets: AtomicU64,
}

impl WatchCache {
    /// Starts the cache, following the store from its oldest retained revision, and
    /// builds `current` (the latest state, for LISTs) from a read of the store.
    pub async fn start(
        store: Arc<dyn Store>,
        current: Arc<CurrentState>,
    ) -> Result<Arc<WatchCache>, bosun_store::StoreError> {
        let from = store.compacted_revision().await?;
        let (tx, _) = broadcast::channel(BROADCAST_CAPACITY);
        let cache = Arc::new(WatchCache {
            ring: Mutex::new(Ring {
                events: VecDeque::new(),
                current: HashMap::new(),
                start: from,
                latest: from,
            }),
            tx,
            by_resource: Mutex::default(),
            current,
            resets: AtomicU64::new(0),
        });
        let stream = store.watch("/registry/", from).await?;
        tokio::spawn(build_current(Arc::downgrade(&cache), store.clone()));
        let weak = Arc::downgrade(&cache);
        tokio::spawn(async move {
            let mut stream = stream;
            loop {
                let compacted = match stream.next().await {
                    Some(Ok(batch)) => {
                        let Some(cache) = weak.upgrade() else { return };
                        cache.ingest(batch);
                        continue;
                    }
                    Some(Err(err)) => {
                        tracing::warn!(%err, "the store watch ended; resuming");
                        matches!(err, bosun_store::StoreError::Compacted { .. })
                    }
                    None => {
                        tracing::warn!("the store watch closed; resuming");
                        false
                    }
                };
                // Resume where the cache stopped, so no event is lost (an outage of the
                // datastore only delays them); only when that history is compacted away
                // does the cache start over from now.
                let mut compacted = compacted;
                loop {
                    let Some(cache) = weak.upgrade() else { return };
                    let from = if compacted {
                        match store.current_revision().await {
                            Ok(now) => {
                                cache.reset(now);
                                tokio::spawn(build_current(Arc::downgrade(&cache), store.clone()));
                                now
                            }
                            Err(_) => {
                                tokio::time::sleep(Duration::from_secs(1)).await;
                                continue;
                            }
                        }
                    } else {
                        cache.latest_revision()
                    };
                    match store.watch("/registry/", from).await {
                        Ok(resumed) => {
                            stream = resumed;
                            break;
                        }
                        Err(bosun_store::StoreError::Compacted { .. }) => compacted = true,
                        Err(err) => {
                            tracing::debug!(%err, "resuming the store watch");
                            tokio::time::sleep(Duration::from_millis(500)).await;
                        }
                    }
                }
            }
        });
        Ok(cache)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Ring> {
        self.ring.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts over from `now` after the history since `latest` was compacted away.
    /// Every live watch ends with `410` at once: the events in between are gone, and a
    /// watch that went on would silently skip them.
    fn reset(&self, now: i64) {
        let mut ring = self.lock();
        self.resets.fetch_add(1, Ordering::Release);
        self.current.invalidate();
        ring.events.clear();
        ring.current.clear();
        ring.start = now;
        ring.latest = now;
        // Wakes every live watch and server loop now rather than at the next write, which
        // may be long in coming: an idle watch would keep its client waiting for events
        // that are gone until its timeout. A live watch checks the reset count before it
        // looks at an event, and one begun after the reset is already past this revision;
        // a server loop that heard of the reset at an earlier event skips it by its empty
        // key. It is never sent to a client.
        let wake_up = Arc::new(CachedEvent::reset_wake_up(now));
        for resource in self.resource_channels().values() {
            let _ = resource.send(wake_up.clone());
        }
        let _ = self.tx.send(wake_up);
    }

    fn resource_channels(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<String, broadcast::Sender<Arc<CachedEvent>>>> {
        self.by_resource
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A receiver of the events under `prefix` (a resource's storage prefix) from now
    /// on. Events sent before its channel existed are in the ring, which a watch reads
    /// after subscribing.
    fn subscribe_resource(&self, prefix: &str) -> broadcast::Receiver<Arc<CachedEvent>> {
        let mut channels = self.resource_channels();
        if let Some(channel) = channels.get(prefix) {
            return channel.subscribe();
        }
        let (channel, live) = broadcast::channel(BROADCAST_CAPACITY);
        channels.insert(prefix.to_string(), channel);
        live
    }

    fn ingest(&self, batch: Vec<bosun_store::Event>) {
        let mut ring = self.lock();
        let mut channels = self.resource_channels();
        // A resource nobody watches any more loses its channel (a new watch makes one).
        channels.retain(|_, channel| channel.receiver_count() > 0);
        self.current.apply(&batch);
        for event in batch {
            let kind = match (event.kind, &event.prev) {
                (EventKind::Delete, _) => "DELETED",
                (EventKind::Put, Some(_)) => "MODIFIED",
                (EventKind::Put, None) => "ADDED",
            };
            let object = Arc::new(CachedObject::new(
                &event.kv.key,
                event.kv.value,
                event.kv.mod_revision,
                kind,
            ));
            let prev = event.prev.map(|p| {
                match ring
                    .current
                    .get(&event.kv.key)
                    .filter(|cur| cur.revision == p.mod_revision)
                {
                    Some(cur) => cur.clone(),
                    None => Arc::new(CachedObject::new(
                        &event.kv.key,
                        p.value,
                        p.mod_revision,
                        "MODIFIED",
                    )),
                }
            });
            match event.kind {
                EventKind::Put => {
                    ring.current.insert(event.kv.key.clone(), object.clone());
                }
                EventKind::Delete => {
                    ring.current.remove(&event.kv.key);
                }
            }
            let cached = Arc::new(CachedEvent {
                kind: event.kind,
                key: event.kv.key,
                revision: object.revision,
                object,
                prev,
            });
            ring.latest = cached.revision;
            ring.events.push_back(cached.clone());
            while ring.events.len() > RING_CAPACITY {
                if let Some(old) = ring.events.pop_front() {
                    ring.start = old.revision;
                    ring.forget_current(&old);
                }
            }
            // Sending under the lock keeps broadcast order equal to ring order.
            for (prefix, channel) in channels.iter() {
                if cached.key.starts_with(prefix.as_str()) {
                    let _ = channel.send(cached.clone());
                }
            }
            let _ = self.tx.send(cached);
        }
    }

    /// Forgets events at and below a compacted revision, so resuming there is 410 Gone
    /// exactly as a read at that revision is.
    pub fn compacted(&self, revision: i64) {
        let mut ring = self.lock();
        while ring.events.front().is_some_and(|e| e.revision <= revision) {
            if let Some(old) = ring.events.pop_front() {
                ring.forget_current(&old);
            }
        }
        ring.start = ring.start.max(revision);
    }

    /// Every change from now on (for the server's own loops).
    pub fn subscribe(self: &Arc<Self>) -> Subscription {
        // Under the lock, so the reset count belongs to the first event received.
        let _ring = self.lock();
        Subscription {
            live: self.tx.subscribe(),
            resets: self.resets.load(Ordering::Acquire),
            cache: self.clone(),
        }
    }

    pub fn latest_revision(&self) -> i64 {
        self.lock().latest
    }

    /// The latest revision, or `410` for a watch at `position` if the cache was reset
    /// since `resets` (both read under one lock, as `reset` writes them).
    fn latest_unless_reset(&self, position: i64, resets: u64) -> Result<i64, ApiError> {
        let ring = self.lock();
        if self.resets.load(Ordering::Acquire) != resets {
            return Err(too_old(position, ring.start));
        }
        Ok(ring.latest)
    }

    /// The ring's events after `position`, or upstream's `410 Expired` if the ring no
    /// longer reaches back that far; and the reset count they belong to.
    fn events_after(&self, position: i64) -> Result<(Vec<Arc<CachedEvent>>, u64), ApiError> {
        let ring = self.lock();
        if position < ring.start {
            return Err(too_old(position, ring.start));
        }
        let from = ring.events.partition_point(|e| e.revision <= position);
        let resets = self.resets.load(Ordering::Acquire);
        Ok((ring.events.range(from..).cloned().collect(), resets))
    }

    /// `410` for a watch at `position` if the cache was reset since `resets`.
    fn check_not_reset(&self, position: i64, resets: u64) -> Result<(), ApiError> {
        if self.resets.load(Ordering::Acquire) == resets {
            return Ok(());
        }
        Err(too_old(position, self.lock().start))
    }
}

/// Reads the store and installs it as the current state, with the ring's events
/// since the read; again if the ring no longer reaches back to the read.
async fn build_current(cache: std::sync::Weak<WatchCache>, store: Arc<dyn Store>) {
    loop {
        let read = match CurrentState::read_store(store.as_ref()).await {
            Ok(read) => read,
            Err(err) => {
                tracing::debug!(%err, "reading the store for the current state");
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
        };
        let Some(cache) = cache.upgrade() else { return };
        let ring = cache.lock();
        if read.revision < ring.start {
            continue;
        }
        let from = ring.events.partition_point(|e| e.revision <= read.revision);
        let since = ring
            .events
            .range(from..)
            .map(|e| (e.kind, e.key.as_str(), e.revision, &e.object.stored));
        cache.current.install(read, since);
        return;
    }
}

/// The server's own loops' view of every change: a broadcast receiver that also
/// reports lost history (a reset of the cache) as `Lagged`, which each loop already
/// answers by reading everything again.
pub struct Subscription {
    live: broadcast::Receiver<Arc<CachedEvent>>,
    resets: u64,
    cache: Arc<WatchCache>,
}

impl Subscription {
    pub async fn recv(&mut self) -> Result<Arc<CachedEvent>, broadcast::error::RecvError> {
        loop {
            let event = self.live.recv().await;
            self.reset_as_lag()?;
            match event {
                // Already reported as a lag at an earlier event.
                Ok(event) if event.is_reset_wake_up() => continue,
                event => return event,
            }
        }
    }

    pub fn try_recv(&mut self) -> Result<Arc<CachedEvent>, broadcast::error::TryRecvError> {
        loop {
            let event = self.live.try_recv();
            if self.reset_as_lag().is_err() {
                return Err(broadcast::error::TryRecvError::Lagged(0));
            }
            match event {
                Ok(event) if event.is_reset_wake_up() => continue,
                event => return event,
            }
        }
    }

    fn reset_as_lag(&mut self) -> Result<(), broadcast::error::RecvError> {
        let resets = self.cache.resets.load(Ordering::Acquire);
        if resets == self.resets {
            return Ok(());
        }
        self.resets = resets;
        Err(broadcast::error::RecvError::Lagged(0))
    }
}

fn too_old(position: i64, start: i64) -> ApiError {
    ApiError::gone(format!("too old resource version: {position} ({start})"))
}

mod stream;
pub use stream::{Render, WatchRequest, serve};

#[cfg(test)]
mod tests;
