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
    Active(watch::Sender<PodMsg>, Arc<NodeCtx>),
    /// The worker ended (pod finished or deleted by us); later updates are ignored. The
    /// node's runtime is kept to remove what it still holds of a finished pod once the
    /// pod is deleted.
    Done(Arc<NodeCtx>),
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
            Some(Entry::Active(tx, _)) => {
                if tx.send(PodMsg::Pod(pod)).is_err() {
                    self.pods.insert(uid, Entry::Done(node));
                }
                return;
            }
            Some(Entry::Done(_)) => return,
            None => {}
        }
        let finished = pod
            .status
            .as_ref()
            .and_then(|s| s.phase.as_deref())
            .is_some_and(is_terminal);
        if finished {
            // Already Succeeded/Failed: nothing will run again.
            self.pods.insert(uid, Entry::Done(node));
            return;
        }
        debug!(pod = %uid, node = %node.id.name, "starting pod worker");
        let (tx, rx) = watch::channel(PodMsg::Pod(pod.clone()));
        self.tasks.spawn(pod::run(node.clone(), pod, rx));
        self.pods.insert(uid, Entry::Active(tx, node));
    }

    fn remove_orphans(&mut self) {
        // Finished pods still in the API keep their containers (and logs) too.
        let keep: Arc<HashSet<String>> = Arc::new(self.pods.keys().cloned().collect());
        for node in self.nodes.values() {
            let (runtime, keep) = (node.runtime.clone(), keep.clone());
            self.tasks
                .spawn(async move { runtime.remove_orphans(&keep).await });
        }
    }

    fn remove(&mut self, uid: &str) {
        let finished = match self.pods.remove(uid) {
            Some(Entry::Active(tx, node)) => {
                if tx.send(PodMsg::Removed).is_ok() {
                    // The worker may be finishing the pod right now (and so keep its
                    // containers): once it has ended, make sure nothing is left.
                    let uid = uid.to_string();
                    self.tasks.spawn(async move {
                        tx.closed().await;
                        node.runtime.remove_pod(&uid).await;
                    });
                    return;
                }
                // A worker that already ended (its pod finished) no longer listens.
                Some(node)
            }
            Some(Entry::Done(node)) => Some(node),
            None => None,
        };
        if let Some(node) = finished {
            let uid = uid.to_string();
            self.tasks
                .spawn(async move { node.runtime.remove_pod(&uid).await });
        }
    }
}
