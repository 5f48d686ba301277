//! Client watch streams: a watch's initial state, then the ring's backlog and live
//! events from its resource's channel, bookmarks and the timeout, each rendered as a
//! newline-terminated `WatchEvent` line.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bosun_api::resources::ResourceInfo;
use bosun_store::EventKind;
use bytes::Bytes;
use futures::{Stream, StreamExt};
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio_stream::wrappers::ReceiverStream;

use super::{BOOKMARK_INTERVAL, CachedEvent, WatchCache, encode_line, watch_line};
use crate::object;
use crate::registry::{EncodedObject, ListParams, Registry};

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
