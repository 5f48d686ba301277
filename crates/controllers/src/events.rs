//! Recording core/v1 Events the way client-go's recorder does, with its correlator:
//!
//! - **Repeats**: an event identical to one already written (same object, type, reason
//!   and message) raises that Event's `count` and `lastTimestamp`, so `kubectl describe`
//!   shows `(x3 over 10s)`.
//! - **Aggregation**: once an object has had 10 distinct messages for one type and reason
//!   within 10 minutes, further ones go to a single Event whose message reads
//!   `(combined from similar events): <latest>` and whose count keeps rising.
//! - **Spam filter**: each object may have 25 events written in a burst, then one per
//!   5 minutes; the rest are counted (the next written one carries the count) but not
//!   written. A 100-replica ReplicaSet thus costs ~25 writes, not 100.
//! - **Bounded queue**: recording never blocks a reconcile. Writes go through a queue of
//!   1,000 to one writer task, and an event is dropped when it is full, as client-go's
//!   broadcaster drops them.
//!
//! The correlator is pure (the clock is passed in) so its counting is unit-tested.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use k8s_openapi::api::core::v1::{Event, EventSource, ObjectReference};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use kube::api::{Api, Patch, PatchParams, PostParams};
use kube::{Client, Resource, ResourceExt};
use tokio::sync::mpsc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    Normal,
    Warning,
}

impl EventType {
    fn as_str(self) -> &'static str {
        match self {
            EventType::Normal => "Normal",
            EventType::Warning => "Warning",
        }
    }
}

/// Distinct messages per (object, type, reason) before they are combined (client-go's
/// `defaultAggregateMaxEvents`).
const AGGREGATE_MAX_MESSAGES: usize = 10;
/// How long distinct messages are remembered for combining (`defaultAggregateIntervalInSeconds`).
const AGGREGATE_INTERVAL: Duration = Duration::from_secs(600);
/// Events per object in a burst (`defaultSpamBurst`).
const SPAM_BURST: f64 = 25.0;
/// Refill of the burst, per second (`defaultSpamQPS`: one per 5 minutes).
const SPAM_QPS: f64 = 1.0 / 300.0;
/// Entries each correlator table keeps (client-go's LRU size); past it a table starts
/// afresh, which only costs a new Event where a count would have been raised.
const MAX_ENTRIES: usize = 4096;
/// Writes waiting for the writer (client-go's `maxQueuedEvents`).
const MAX_QUEUED: usize = 1000;
const COMBINED_PREFIX: &str = "(combined from similar events): ";

/// The object, type and reason: what aggregation groups by (the component is the
/// recorder's own).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct AggregateKey {
    kind: String,
    namespace: String,
    name: String,
    uid: String,
    type_: EventType,
    reason: String,
}

/// Which Event a correlated event lands in: its own (by message), or the combined one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum EventKey {
    Single(AggregateKey, String),
    Combined(AggregateKey),
}

struct Aggregate {
    messages: HashSet<String>,
    last: jiff::Timestamp,
}

struct Observed {
    name: String,
    count: i32,
    first: jiff::Timestamp,
}

struct Bucket {
    tokens: f64,
    at: jiff::Timestamp,
}

/// What to write for one recorded event.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Write {
    Create(Event),
    /// Raise the count of the Event `name`; `event` (with the count) is created if that
    /// Event is gone.
    Repeat {
        name: String,
        event: Event,
    },
}

#[derive(Default)]
pub(crate) struct Correlator {
    aggregates: HashMap<AggregateKey, Aggregate>,
    observed: HashMap<EventKey, Observed>,
    spam: HashMap<(String, String, String, String), Bucket>,
}

fn seconds_between(from: jiff::Timestamp, to: jiff::Timestamp) -> f64 {
    to.duration_since(from).as_secs_f64().max(0.0)
}

fn bounded<K, V>(map: &mut HashMap<K, V>) {
    if map.len() >= MAX_ENTRIES {
        map.clear();
    }
}

impl Correlator {
    /// Correlates one event at `now`; `None` when the spam filter holds it back.
    pub(crate) fn correlate(
        &mut self,
        component: &str,
        object: ObjectReference,
        type_: EventType,
        reason: &str,
        message: String,
        now: jiff::Timestamp,
    ) -> Option<Write> {
        let text = |s: &Option<String>| s.clone().unwrap_or_default();
        let key = AggregateKey {
            kind: text(&object.kind),
            namespace: text(&object.namespace),
            name: text(&object.name),
            uid: text(&object.uid),
            type_,
            reason: reason.to_string(),
        };

        // Aggregation: the 10th distinct message within the interval, and every new one
        // after it, is combined.
        if !self.aggregates.contains_key(&key) {
            bounded(&mut self.aggregates);
        }
        let aggregate = self
            .aggregates
            .entry(key.clone())
            .or_insert_with(|| Aggregate {
                messages: HashSet::new(),
                last: now,
            });
        if seconds_between(aggregate.last, now) > AGGREGATE_INTERVAL.as_secs_f64() {
            aggregate.messages.clear();
        }
        aggregate.last = now;
        aggregate.messages.insert(message.clone());
        let (event_key, message) = if aggregate.messages.len() < AGGREGATE_MAX_MESSAGES {
            (EventKey::Single(key.clone(), message.clone()), message)
        } else {
            // Keep the set from growing past the threshold (client-go's `PopAny`).
            if let Some(any) = aggregate.messages.iter().next().cloned() {
                aggregate.messages.remove(&any);
            }
            (
                EventKey::Combined(key.clone()),
                format!("{COMBINED_PREFIX}{message}"),
            )
        };

        // Observation: a key seen before raises that Event's count, written or not.
        if !self.observed.contains_key(&event_key) {
            bounded(&mut self.observed);
        }
        let observed = self.observed.entry(event_key).or_insert_with(|| Observed {
            name: format!("{}.{:x}", key.name, now.as_nanosecond()),
            count: 0,
            first: now,
        });
        observed.count += 1;
        let event = Event {
            metadata: ObjectMeta {
                name: Some(observed.name.clone()),
                namespace: Some(if key.namespace.is_empty() {
                    "default".to_string()
                } else {
                    key.namespace.clone()
                }),
                ..Default::default()
            },
            involved_object: object,
            reason: Some(key.reason.clone()),
            message: Some(message),
            type_: Some(type_.as_str().into()),
            count: Some(observed.count),
            first_timestamp: Some(Time(observed.first)),
            last_timestamp: Some(Time(now)),
            source: Some(EventSource {
                component: Some(component.into()),
                host: None,
            }),
            reporting_component: Some(component.into()),
            reporting_instance: Some(component.into()),
            ..Default::default()
        };
        let write = if observed.count == 1 {
            Write::Create(event)
        } else {
            Write::Repeat {
                name: observed.name.clone(),
                event,
            }
        };

        // Spam filter: a token bucket per object.
        let spam_key = (key.kind, key.namespace, key.name, key.uid);
        if !self.spam.contains_key(&spam_key) {
            bounded(&mut self.spam);
        }
        let bucket = self.spam.entry(spam_key).or_insert(Bucket {
            tokens: SPAM_BURST,
            at: now,
        });
        bucket.tokens =
            (bucket.tokens + seconds_between(bucket.at, now) * SPAM_QPS).min(SPAM_BURST);
        bucket.at = now;
        if bucket.tokens < 1.0 {
            return None;
        }
        bucket.tokens -= 1.0;
        Some(write)
    }
}

/// A handle to record events as one component (`deployment-controller`, …).
#[derive(Clone)]
pub struct Recorder {
    component: &'static str,
    correlator: Arc<Mutex<Correlator>>,
    tx: mpsc::Sender<Write>,
}

impl Recorder {
    pub fn new(client: Client, component: &'static str) -> Recorder {
        let (tx, rx) = mpsc::channel(MAX_QUEUED);
        tokio::spawn(write_events(client, rx));
        Recorder {
            component,
            correlator: Arc::default(),
            tx,
        }
    }

    pub fn record<K: Resource<DynamicType = ()>>(
        &self,
        object: &K,
        type_: EventType,
        reason: &str,
        message: String,
    ) {
        let reference = ObjectReference {
            api_version: Some(K::api_version(&()).into_owned()),
            kind: Some(K::kind(&()).into_owned()),
            name: Some(object.name_any()),
            namespace: object.namespace(),
            uid: object.uid(),
            resource_version: object.resource_version(),
            ..Default::default()
        };
        let write = {
            let mut correlator = self
                .correlator
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            correlator.correlate(
                self.component,
                reference,
                type_,
                reason,
                message,
                jiff::Timestamp::now(),
            )
        };
        if let Some(write) = write
            && self.tx.try_send(write).is_err()
        {
            tracing::debug!(
                component = self.component,
                "event queue full; dropping an event"
            );
        }
    }
}

async fn write_events(client: Client, mut rx: mpsc::Receiver<Write>) {
    while let Some(write) = rx.recv().await {
        let (event, repeat_of) = match write {
            Write::Create(event) => (event, None),
            Write::Repeat { name, event } => (event, Some(name)),
        };
        let namespace = event.metadata.namespace.clone().unwrap_or_default();
        let api: Api<Event> = Api::namespaced(client.clone(), &namespace);
        if let Some(name) = repeat_of {
            let patch = serde_json::json!({
                "count": event.count,
                "lastTimestamp": event.last_timestamp,
                "message": event.message,
            });
            if api
                .patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
                .await
                .is_ok()
            {
                continue;
            }
            // Never written (held back, or dropped) or gone since: create it.
        }
        if let Err(err) = api.create(&PostParams::default(), &event).await {
            tracing::debug!(%err, "recording an event failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(name: &str) -> ObjectReference {
        ObjectReference {
            kind: Some("ReplicaSet".into()),
            namespace: Some("default".into()),
            name: Some(name.into()),
            uid: Some(format!("uid-{name}")),
            ..Default::default()
        }
    }

    fn at(seconds: i64) -> jiff::Timestamp {
        jiff::Timestamp::from_second(1_800_000_000 + seconds).expect("timestamp")
    }

    /// A `SuccessfulCreate` of the ReplicaSet `name`.
    fn created(c: &mut Correlator, name: &str, message: String, t: i64) -> Option<Write> {
        c.correlate(
            "rc",
            object(name),
            EventType::Normal,
            "SuccessfulCreate",
            message,
            at(t),
        )
    }

    /// (message, count, created) of each write.
    fn summary(write: &Write) -> (String, i32, bool) {
        let (event, created) = match write {
            Write::Create(e) => (e, true),
            Write::Repeat { event, .. } => (event, false),
        };
        (
            event.message.clone().unwrap_or_default(),
            event.count.unwrap_or(0),
            created,
        )
    }

    #[test]
    fn repeats_raise_the_count_of_one_event() {
        let mut c = Correlator::default();
        let mut names = HashSet::new();
        for i in 0..3 {
            let w = c
                .correlate(
                    "rc",
                    object("a"),
                    EventType::Normal,
                    "Scaled",
                    "same".into(),
                    at(i),
                )
                .expect("written");
            assert_eq!(summary(&w), ("same".into(), i as i32 + 1, i == 0));
            let event = match &w {
                Write::Create(e) | Write::Repeat { event: e, .. } => e,
            };
            assert_eq!(event.first_timestamp, Some(Time(at(0))));
            assert_eq!(event.last_timestamp, Some(Time(at(i))));
            names.insert(event.metadata.name.clone());
        }
        assert_eq!(names.len(), 1, "one Event object");
    }

    #[test]
    fn the_tenth_distinct_message_is_combined() {
        let mut c = Correlator::default();
        let mut writes = Vec::new();
        for i in 0..14 {
            writes.push(created(&mut c, "a", format!("Created pod: p{i}"), i).expect("burst"));
        }
        let got: Vec<(String, i32, bool)> = writes.iter().map(summary).collect();
        for (i, g) in got.iter().take(9).enumerate() {
            assert_eq!(*g, (format!("Created pod: p{i}"), 1, true));
        }
        for (i, g) in got.iter().enumerate().skip(9) {
            assert_eq!(
                *g,
                (
                    format!("(combined from similar events): Created pod: p{i}"),
                    i as i32 - 8,
                    i == 9
                )
            );
        }
        // Another object has its own count.
        let other = created(&mut c, "b", "Created pod: q".into(), 20).expect("written");
        assert_eq!(summary(&other), ("Created pod: q".into(), 1, true));
    }

    #[test]
    fn an_object_gets_25_writes_then_one_per_five_minutes() {
        let mut c = Correlator::default();
        let mut record = |i: usize, t: i64| created(&mut c, "a", format!("Created pod: p{i}"), t);
        let burst: Vec<Option<Write>> = (0..100).map(|i| record(i, 1)).collect();
        assert_eq!(burst.iter().filter(|w| w.is_some()).count(), 25);
        assert!(burst[..25].iter().all(Option::is_some));
        assert!(record(100, 200).is_none(), "not yet refilled");
        let refilled = record(101, 302).expect("one more after five minutes");
        // The held-back events were still counted.
        assert_eq!(
            summary(&refilled),
            (
                "(combined from similar events): Created pod: p101".into(),
                101 - 8,
                false
            )
        );
    }

    #[test]
    fn distinct_messages_are_forgotten_after_ten_minutes() {
        let mut c = Correlator::default();
        for i in 0..9 {
            c.correlate(
                "rc",
                object("a"),
                EventType::Normal,
                "Scaled",
                format!("m{i}"),
                at(i),
            );
        }
        let later = c
            .correlate(
                "rc",
                object("a"),
                EventType::Normal,
                "Scaled",
                "m9".into(),
                at(9 + 601),
            )
            .expect("written");
        assert_eq!(summary(&later), ("m9".into(), 1, true));
    }
}
