//! One pod watch for all the nodes of a process, dispatching pods to per-pod workers.
//!
//! A watch per node would be N watches on the API server; with thousands of hollow nodes
//! the process instead watches every bound pod once (`spec.nodeName!=`) and routes each
//! event by `spec.nodeName` (a single node narrows the watch to `spec.nodeName=<name>`).
//! Each pod gets a worker task fed through a `watch` channel that always holds the
//! latest object, so a burst of updates costs the worker one wake-up. After a re-list,
//! pods that were not listed again are treated as deleted.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::Client;
use kube::api::Api;
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tracing::{debug, warn};

use crate::Error;
use crate::node::NodeCtx;
use crate::pod::{self, PodMsg};
use crate::status::is_terminal;

enum Entry {
    Active(watch::Sender<PodMsg>),
    /// The worker ended (pod finished or deleted by us); later updates are ignored.
    Done,
}

struct Dispatcher {
    nodes: Arc<HashMap<String, Arc<NodeCtx>>>,
    pods: HashMap<String, Entry>,
    tasks: JoinSet<()>,
}

/// Watches pods with `field_selector` and runs a worker for each pod bound to one of
/// `nodes`. Returns only if the watch stream ends.
pub async fn run_pods(
    client: Client,
    nodes: Arc<HashMap<String, Arc<NodeCtx>>>,
    field_selector: String,
) -> Result<(), Error> {
    let api: Api<Pod> = Api::all(client);
    let config = watcher::Config::default().fields(&field_selector);
    let mut stream = watcher::watcher(api, config).default_backoff().boxed();
    let mut d = Dispatcher {
        nodes,
        pods: HashMap::new(),
        tasks: JoinSet::new(),
    };
    let mut relisted: Option<HashSet<String>> = None;
    let mut orphans_checked = false;
    loop {
        tokio::select! {
            event = stream.next() => match event {
                None => return Err(Error::WatchEnded),
                Some(Err(e)) => warn!(error = %e, "pod watch failed; retrying"),
                Some(Ok(Event::Init)) => relisted = Some(HashSet::new()),
                Some(Ok(Event::InitApply(p))) => {
                    if let (Some(seen), Some(uid)) = (relisted.as_mut(), p.metadata.uid.clone()) {
                        seen.insert(uid);
                    }
                    d.apply(p);
                }
                Some(Ok(Event::InitDone)) => {
                    if let Some(seen) = relisted.take() {
                        let gone: Vec<String> =
                            d.pods.keys().filter(|uid| !seen.contains(*uid)).cloned().collect();
                        for uid in gone {
                            d.remove(&uid);
                        }
                    }
                    if !orphans_checked {
                        // Once per agent start: what the runtime still holds of pods that
                        // were deleted while the agent was away is removed.
                        orphans_checked = true;
                        d.remove_orphans();
                    }
                }
                Some(Ok(Event::Apply(p))) => d.apply(p),
                Some(Ok(Event::Delete(p))) => {
                    if let Some(uid) = p.metadata.uid.as_deref() {
                        d.remove(uid);
                    }
                }
            },
            Some(joined) = d.tasks.join_next(), if !d.tasks.is_empty() => {
                if let Err(e) = joined
                    && e.is_panic()
                {
                    warn!(error = %e, "pod worker panicked");
                }
            }
        }
    }
}

impl Dispatcher {
    fn apply(&mut self, pod: Pod) {
        let Some(uid) = pod.metadata.uid.clone() else {
            return;
        };
        let Some(node) = pod
            .spec
            .as_ref()
            .and_then(|s| s.node_name.as_deref())
            .and_then(|n| self.nodes.get(n))
            .cloned()
        else {
            return;
        };
        let pod = Arc::new(pod);
        match self.pods.get(&uid) {
            Some(Entry::Active(tx)) => {
                if tx.send(PodMsg::Pod(pod)).is_err() {
                    self.pods.insert(uid, Entry::Done);
                }
                return;
            }
            Some(Entry::Done) => return,
            None => {}
        }
        let finished = pod
            .status
            .as_ref()
            .and_then(|s| s.phase.as_deref())
            .is_some_and(is_terminal);
        if finished {
            // Already Succeeded/Failed: nothing will run again.
            self.pods.insert(uid, Entry::Done);
            return;
        }
        debug!(pod = %uid, node = %node.id.name, "starting pod worker");
        let (tx, rx) = watch::channel(PodMsg::Pod(pod.clone()));
        self.tasks.spawn(pod::run(node, pod, rx));
        self.pods.insert(uid, Entry::Active(tx));
    }

    fn remove_orphans(&mut self) {
        let keep: Arc<HashSet<String>> = Arc::new(
            self.pods
                .iter()
                .filter(|(_, e)| matches!(e, Entry::Active(_)))
                .map(|(uid, _)| uid.clone())
                .collect(),
        );
        for node in self.nodes.values() {
            let (runtime, keep) = (node.runtime.clone(), keep.clone());
            self.tasks
                .spawn(async move { runtime.remove_orphans(&keep).await });
        }
    }

    fn remove(&mut self, uid: &str) {
        if let Some(Entry::Active(tx)) = self.pods.remove(uid) {
            let _ = tx.send(PodMsg::Removed);
        }
    }
}
