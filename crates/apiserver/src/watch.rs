//! The watch cache and watch streams.
//!
//! One store watch on the whole registry feeds an in-memory ring of recent events
//! (decoded once) and a broadcast channel; every client watch is served from these, so
//! a thousand watchers cost one store watch, not a thousand. A client resuming from a
//! revision older than the ring's start gets upstream's `410 Expired` as an `ERROR`
//! event, and relists. So does every live watch when the cache itself loses history
//! (its store watch fell behind compaction): no watch ever skips an event silently.

use std::collections::{HashMap, VecDeque};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use bosun_api::resources::ResourceInfo;
use bosun_api::selector::FieldSet;
use bosun_store::{EventKind, Store};
use bytes::Bytes;
use futures::{Stream, StreamExt};
use serde_json::{Map, Value, json};
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio_stream::wrappers::ReceiverStream;

use crate::current::CurrentState;
use crate::error::ApiError;
use crate::object;
use crate::registry::{EncodedObject, ListParams, Registry};

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

/// How each watch event's object is rendered.
#[derive(Clone)]
pub enum Render {
    Object,
    Table { include_object: String },
}

pub struct WatchRequest {
    pub info: &'static ResourceInfo,
    pub namespace: Option<String>,
    pub params: ListParams,
    /// `None` = start with the current state ("" or "0").
    pub resource_version: Option<i64>,
    pub send_initial_events: bool,
    pub allow_bookmarks: bool,
    pub timeout: Duration,
    pub render: Render,
    /// Counts this watch in `apiserver_registered_watchers` while it runs.
    pub guard: crate::metrics::WatchGuard,
}

/// Starts a watch; the returned stream yields newline-terminated JSON `WatchEvent`s and
/// ends when the watch does.
///
/// The initial list comes from a task through a bounded channel, so a large list
/// reaches a slow client with back-pressure. Everything after it (what the ring holds
/// after the start revision, then live events) is read by the response body itself:
/// no task wake-up and no channel hop per event and watcher, which was most of the
/// server's cost when a thousand watchers get every event.
pub fn serve(
    cache: Arc<WatchCache>,
    registry: Arc<Registry>,
    req: WatchRequest,
) -> impl Stream<Item = Bytes> + Send + 'static {
    // Subscribed before the list, so no event between the list and the ring is missed.
    let live = cache.subscribe_resource(&req.info.storage_prefix());
    let (tx, rx) = mpsc::channel(256);
    let (to_live, live_phase) = oneshot::channel::<LiveWatch>();
    tokio::spawn(async move {
        let Ok(Some(position)) = initial_list(&registry, &req, &tx).await else {
            return;
        };
        match cache.events_after(position) {
            Ok((backlog, resets)) => {
                let watch = LiveWatch::new(cache, req, live, position, backlog, resets);
                let _ = to_live.send(watch);
            }
            Err(err) => {
                let _ = send(&tx, &req, "ERROR", &err.status()).await;
            }
        }
    });
    let live_events = futures::stream::once(live_phase)
        .filter_map(|phase| std::future::ready(phase.ok()))
        .flat_map(|watch| {
            futures::stream::unfold(watch, |mut watch| async move {
                let line = watch.next().await?;
                Some((line, watch))
            })
        });
    ReceiverStream::new(rx).chain(live_events)
}

/// Marker for "the client went away".
struct Closed;

/// One event line rendered as the watch asked (plain objects, or Table rows).
fn render(req: &WatchRequest, kind: &str, obj: &Value) -> Bytes {
    let object = match &req.render {
        Render::Object => return encode_line(kind, obj),
        Render::Table { include_object } if kind != "BOOKMARK" && kind != "ERROR" => {
            bosun_api::table::table(
                req.info,
                std::slice::from_ref(obj),
                jiff::Timestamp::now(),
                include_object,
                object::meta_str(obj, "resourceVersion").unwrap_or(""),
                None,
            )
        }
        Render::Table { .. } => obj.clone(),
    };
    let mut line = serde_json::to_vec(&json!({"type": kind, "object": object})).unwrap_or_default();
    line.push(b'\n');
    Bytes::from(line)
}

async fn send(
    tx: &mpsc::Sender<Bytes>,
    req: &WatchRequest,
    kind: &str,
    obj: &Value,
) -> Result<(), Closed> {
    tx.send(render(req, kind, obj)).await.map_err(|_| Closed)
}

fn bookmark(info: &ResourceInfo, revision: i64, initial_end: bool) -> Value {
    let mut meta = json!({"resourceVersion": revision.to_string()});
    if initial_end {
        meta["annotations"] = json!({"k8s.io/initial-events-end": "true"});
    }
    json!({"kind": info.kind, "apiVersion": info.api_version(), "metadata": meta})
}

/// Sends the watch's initial list (unless it starts from a revision). Returns the
/// revision the watch goes on from, or `None` when an `ERROR` event ended it.
async fn initial_list(
    registry: &Registry,
    req: &WatchRequest,
    tx: &mpsc::Sender<Bytes>,
) -> Result<Option<i64>, Closed> {
    let ns = req.namespace.as_deref();
    Ok(Some(match req.resource_version {
        Some(rv) if !req.send_initial_events => rv,
        _ => {
            let params = ListParams {
                limit: None,
                start_after: None,
                revision: None,
                ..req.params.clone()
            };
            // Plain objects go out as the JSON the list wrote from their stored bytes.
            let listed = match req.render {
                Render::Object => registry
                    .list_as::<EncodedObject>(req.info, ns, &params)
                    .await
                    .map(|page| {
                        let lines = page.items.iter().map(|item| watch_line("ADDED", &item.0).0);
                        (page.revision, lines.collect::<Vec<_>>())
                    }),
                Render::Table { .. } => registry.list(req.info, ns, &params).await.map(|page| {
                    let lines = page.items.iter().map(|item| render(req, "ADDED", item));
                    (page.revision, lines.collect())
                }),
            };
            let (revision, lines) = match listed {
                Ok(listed) => listed,
                Err(err) => return send(tx, req, "ERROR", &err.status()).await.map(|()| None),
            };
            for line in lines {
                tx.send(line).await.map_err(|_| Closed)?;
            }
            if req.send_initial_events && req.allow_bookmarks {
                send(tx, req, "BOOKMARK", &bookmark(req.info, revision, true)).await?;
            }
            revision
        }
    }))
}

/// A watch past its initial state: live events, bookmarks, and its timeout.
struct LiveWatch {
    cache: Arc<WatchCache>,
    req: WatchRequest,
    live: broadcast::Receiver<Arc<CachedEvent>>,
    prefix: String,
    position: i64,
    deadline: Pin<Box<tokio::time::Sleep>>,
    bookmarks: tokio::time::Interval,
    /// Events to go through before the next live one: what the ring held after the
    /// start revision, or after this watch's position when it fell behind the
    /// broadcast channel.
    catching_up: VecDeque<Arc<CachedEvent>>,
    /// The cache's reset count when this watch's history was whole.
    resets: u64,
    ended: bool,
}

impl LiveWatch {
    fn new(
        cache: Arc<WatchCache>,
        req: WatchRequest,
        live: broadcast::Receiver<Arc<CachedEvent>>,
        position: i64,
        backlog: Vec<Arc<CachedEvent>>,
        resets: u64,
    ) -> LiveWatch {
        let mut bookmarks = tokio::time::interval(BOOKMARK_INTERVAL);
        bookmarks.reset();
        LiveWatch {
            prefix: req.info.storage_prefix_in(req.namespace.as_deref()),
            deadline: Box::pin(tokio::time::sleep(req.timeout)),
            cache,
            req,
            live,
            position,
            bookmarks,
            catching_up: backlog.into(),
            resets,
            ended: false,
        }
    }

    /// The next line to send, or `None` when the watch is over.
    async fn next(&mut self) -> Option<Bytes> {
        if self.ended {
            return None;
        }
        loop {
            while let Some(event) = self.catching_up.pop_front() {
                if let Some(line) = self.advance(&event) {
                    return Some(line);
                }
            }
            tokio::select! {
                received = self.live.recv() => match received {
                    Ok(event) => {
                        if let Some(gone) = self.end_if_reset() {
                            return Some(gone);
                        }
                        if let Some(line) = self.advance(&event) {
                            return Some(line);
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        // The client read more slowly than events came. What it missed
                        // is in the ring unless that moved on too; only then must it
                        // relist. (Events the receiver still holds come again after
                        // these and are skipped by revision.)
                        if let Some(gone) = self.end_if_reset() {
                            return Some(gone);
                        }
                        match self.cache.events_after(self.position) {
                            Ok((missed, _)) => self.catching_up = missed.into(),
                            Err(err) => {
                                self.ended = true;
                                return Some(render(&self.req, "ERROR", &err.status()));
                            }
                        }
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                },
                _ = self.bookmarks.tick(), if self.req.allow_bookmarks => {
                    // A bookmark promises the client every event up to its revision: the
                    // latest revision only when nothing for this watch is still queued
                    // (the cache sends an event before it reports its revision as latest),
                    // else only as far as this watch has come. A client resuming from a
                    // bookmark ahead of its queue would never see what was queued. The
                    // latest revision and the reset count are read together: a bookmark
                    // at a revision past a reset would skip what the reset lost.
                    let latest = match self.cache.latest_unless_reset(self.position, self.resets) {
                        Ok(latest) => latest,
                        Err(err) => {
                            self.ended = true;
                            return Some(render(&self.req, "ERROR", &err.status()));
                        }
                    };
                    let upto = if self.live.is_empty() && self.catching_up.is_empty() {
                        latest.max(self.position)
                    } else {
                        self.position
                    };
                    return Some(render(&self.req, "BOOKMARK", &bookmark(self.req.info, upto, false)));
                }
                () = &mut self.deadline => return None,
            }
        }
    }

    /// The `410` that ends this watch if the cache lost history since it began.
    fn end_if_reset(&mut self) -> Option<Bytes> {
        let err = self
            .cache
            .check_not_reset(self.position, self.resets)
            .err()?;
        self.ended = true;
        Some(render(&self.req, "ERROR", &err.status()))
    }

    /// Moves past `event`; its line if this watch sends it.
    fn advance(&mut self, event: &CachedEvent) -> Option<Bytes> {
        if event.revision <= self.position {
            return None;
        }
        self.position = event.revision;
        if event.key.starts_with(&self.prefix) {
            event_line(&self.req, event)
        } else {
            None
        }
    }
}

/// One cached event through the watch's selectors: an object that starts or stops
/// matching is reported as ADDED or DELETED, as upstream does; `None` if the watch
/// does not see it at all.
fn event_line(req: &WatchRequest, event: &CachedEvent) -> Option<Bytes> {
    let now = event.object.matches(req.info, &req.params);
    let before = event
        .prev
        .as_ref()
        .is_some_and(|prev| prev.matches(req.info, &req.params));
    let kind = match (event.kind, before, now) {
        (EventKind::Delete, true, _) => "DELETED",
        (EventKind::Delete, false, _) => return None,
        (EventKind::Put, false, true) => "ADDED",
        (EventKind::Put, true, true) => "MODIFIED",
        (EventKind::Put, true, false) => "DELETED",
        (EventKind::Put, false, false) => return None,
    };
    Some(match req.render {
        Render::Object => event.object.line(kind)?,
        Render::Table { .. } => render(req, kind, &event.object.value()?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bosun_store::EmbeddedStore;

    fn config_maps() -> &'static ResourceInfo {
        bosun_api::resources::find("", "v1", "configmaps").expect("configmaps")
    }

    async fn write(store: &dyn Store, name: &str) -> i64 {
        let key = config_maps().storage_key(Some("default"), name);
        let body = json!({"apiVersion": "v1", "kind": "ConfigMap",
                          "metadata": {"name": name, "namespace": "default"}});
        store
            .create(&key, Bytes::from(body.to_string()))
            .await
            .expect("create")
            .mod_revision
    }

    async fn next_line(stream: &mut (impl Stream<Item = Bytes> + Unpin)) -> Option<Value> {
        let line = tokio::time::timeout(Duration::from_secs(5), stream.next())
            .await
            .expect("a line within 5 s")?;
        Some(serde_json::from_slice(&line).expect("a JSON line"))
    }

    /// A server loop with an event still queued when the cache resets hears of the reset
    /// at that event, and then goes on with the next write: the reset's wake-up is never
    /// handed to it as an event.
    #[tokio::test]
    async fn a_server_loop_never_receives_a_resets_wake_up() {
        let store: Arc<dyn Store> = Arc::new(EmbeddedStore::in_memory());
        let registry = Arc::new(Registry::new(store.clone(), Default::default()));
        let cache = WatchCache::start(store.clone(), registry.current_state())
            .await
            .expect("watch cache");
        let mut server_loop = cache.subscribe();
        let queued = write(store.as_ref(), "queued").await;
        // The event reaches the loop's queue (the cache ingests after the write returns).
        while cache.latest_revision() < queued {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        cache.reset(queued);
        assert!(matches!(
            server_loop.recv().await,
            Err(broadcast::error::RecvError::Lagged(_))
        ));
        let next = write(store.as_ref(), "next").await;
        let event = tokio::time::timeout(Duration::from_secs(5), server_loop.recv())
            .await
            .expect("an event within 5 s")
            .expect("the next write's event");
        assert_eq!(
            event.key,
            config_maps().storage_key(Some("default"), "next")
        );
        assert_eq!(event.revision, next);
    }

    /// A watch hears only of its own resource: a ConfigMap watch's channel gets no pod
    /// event, and a resource's channel goes once nobody watches it.
    #[tokio::test]
    async fn a_watch_is_sent_only_its_own_resources_events() {
        let store: Arc<dyn Store> = Arc::new(EmbeddedStore::in_memory());
        let registry = Arc::new(Registry::new(store.clone(), Default::default()));
        let cache = WatchCache::start(store.clone(), registry.current_state())
            .await
            .expect("watch cache");
        let mut config_map_watch = cache.subscribe_resource(&config_maps().storage_prefix());
        let pods = bosun_api::resources::find("", "v1", "pods").expect("pods");
        let pod = json!({"apiVersion": "v1", "kind": "Pod",
                         "metadata": {"name": "p", "namespace": "default"}});
        store
            .create(
                &pods.storage_key(Some("default"), "p"),
                Bytes::from(pod.to_string()),
            )
            .await
            .expect("pod");
        let config_map = write(store.as_ref(), "c").await;
        let event = tokio::time::timeout(Duration::from_secs(5), config_map_watch.recv())
            .await
            .expect("an event within 5 s")
            .expect("the ConfigMap's event");
        assert_eq!(event.revision, config_map, "the pod's event came first");
        assert!(config_map_watch.is_empty());
        drop(config_map_watch);
        write(store.as_ref(), "d").await;
        let gone = write(store.as_ref(), "e").await;
        while cache.latest_revision() < gone {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(cache.resource_channels().is_empty());
    }

    /// History lost to compaction is never skipped silently: a live watch ends with
    /// `410 Expired` (its client relists), where it used to go on from the new start
    /// and never see the events in between.
    #[tokio::test]
    async fn a_live_watch_ends_with_410_when_the_cache_loses_history() {
        let store: Arc<dyn Store> = Arc::new(EmbeddedStore::in_memory());
        let registry = Arc::new(Registry::new(store.clone(), Default::default()));
        let cache = WatchCache::start(store.clone(), registry.current_state())
            .await
            .expect("watch cache");
        let first = write(store.as_ref(), "a").await;
        let request = || WatchRequest {
            info: config_maps(),
            namespace: Some("default".into()),
            params: ListParams::default(),
            resource_version: Some(first),
            send_initial_events: false,
            allow_bookmarks: false,
            timeout: Duration::from_secs(30),
            render: Render::Object,
            guard: crate::metrics::Metrics::default().watch_opened(),
        };
        let mut before = Box::pin(serve(cache.clone(), registry.clone(), request()));
        let mut server_loop = cache.subscribe();
        let second = write(store.as_ref(), "b").await;
        let added = next_line(&mut before).await.expect("an event");
        assert_eq!(added["type"], "ADDED");
        assert_eq!(added["object"]["metadata"]["name"], "b");

        // (a's event may come first: the cache ingests it after the write returns.)
        let mut event = server_loop.recv().await.expect("an event");
        if event.revision == first {
            event = server_loop.recv().await.expect("b's event");
        }
        assert_eq!(event.revision, second);

        // As the store-watch loop does when its history was compacted away. Nothing is
        // written after it: an idle watch and loop learn of it at once all the same.
        cache.reset(second);
        // The server's own loops read it as a lag (and read everything again).
        let lag = tokio::time::timeout(Duration::from_secs(5), server_loop.recv())
            .await
            .expect("the loop hears of the reset without a write");
        assert!(matches!(lag, Err(broadcast::error::RecvError::Lagged(_))));

        let gone = next_line(&mut before).await.expect("an event");
        assert_eq!(gone["type"], "ERROR", "{gone}");
        assert_eq!(gone["object"]["code"], 410, "{gone}");
        assert_eq!(gone["object"]["reason"], "Expired", "{gone}");
        assert_eq!(next_line(&mut before).await, None, "the watch ended");

        // A watch from before the new start is refused; one from it goes on.
        let mut stale = Box::pin(serve(cache.clone(), registry.clone(), request()));
        let refused = next_line(&mut stale).await.expect("an event");
        assert_eq!(refused["object"]["code"], 410, "{refused}");
        let mut fresh = Box::pin(serve(
            cache.clone(),
            registry,
            WatchRequest {
                resource_version: Some(second),
                ..request()
            },
        ));
        write(store.as_ref(), "c").await;
        write(store.as_ref(), "d").await;
        for name in ["c", "d"] {
            let seen = next_line(&mut fresh).await.expect("an event");
            assert_eq!(seen["object"]["metadata"]["name"], name, "{seen}");
        }
        // After the lag report the loop goes on with the next write.
        let event = server_loop.recv().await.expect("c's event");
        assert_eq!(event.revision, second + 1);
    }
}
