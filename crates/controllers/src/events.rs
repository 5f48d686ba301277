//! Recording core/v1 Events the way client-go's recorder does: one Event object per
//! (object, type, reason, message, source), created on first occurrence and updated with
//! a higher `count` and a new `lastTimestamp` on repeats, so `kubectl describe` shows
//! `(x3 over 10s)`. Recording never blocks a reconcile: events go through a channel to
//! one writer task.

use std::collections::HashMap;

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

struct Record {
    object: ObjectReference,
    type_: EventType,
    reason: String,
    message: String,
}

/// A handle to record events as one component (`deployment-controller`, …).
#[derive(Clone)]
pub struct Recorder {
    tx: mpsc::UnboundedSender<Record>,
}

impl Recorder {
    pub fn new(client: Client, component: &'static str) -> Recorder {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(write_events(client, component, rx));
        Recorder { tx }
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
        let _ = self.tx.send(Record {
            object: reference,
            type_,
            reason: reason.to_string(),
            message,
        });
    }
}

type AggregateKey = (String, String, EventType, String, String);

async fn write_events(
    client: Client,
    component: &'static str,
    mut rx: mpsc::UnboundedReceiver<Record>,
) {
    // Event name and count per aggregate key.
    let mut seen: HashMap<AggregateKey, (String, i32)> = HashMap::new();
    while let Some(record) = rx.recv().await {
        let namespace = record
            .object
            .namespace
            .clone()
            .unwrap_or_else(|| "default".into());
        let api: Api<Event> = Api::namespaced(client.clone(), &namespace);
        let now = Time(jiff::Timestamp::now());
        let key = (
            namespace.clone(),
            record.object.uid.clone().unwrap_or_default(),
            record.type_,
            record.reason.clone(),
            record.message.clone(),
        );
        if let Some((name, count)) = seen.get_mut(&key) {
            *count += 1;
            let patch = serde_json::json!({"count": *count, "lastTimestamp": now});
            if api
                .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
                .await
                .is_ok()
            {
                continue;
            }
        }
        let name = format!(
            "{}.{:x}",
            record.object.name.clone().unwrap_or_default(),
            jiff::Timestamp::now().as_nanosecond()
        );
        let event = Event {
            metadata: ObjectMeta {
                name: Some(name.clone()),
                namespace: Some(namespace.clone()),
                ..Default::default()
            },
            involved_object: record.object,
            reason: Some(record.reason),
            message: Some(record.message),
            type_: Some(record.type_.as_str().into()),
            count: Some(1),
            first_timestamp: Some(now.clone()),
            last_timestamp: Some(now),
            source: Some(EventSource {
                component: Some(component.into()),
                host: None,
            }),
            reporting_component: Some(component.into()),
            reporting_instance: Some(component.into()),
            ..Default::default()
        };
        match api.create(&PostParams::default(), &event).await {
            Ok(_) => {
                seen.insert(key, (name, 1));
            }
            Err(err) => tracing::debug!(%err, "recording an event failed"),
        }
    }
}
