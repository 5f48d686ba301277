//! The `api` scenario's mixed load: many clients, each on its own connection as separate
//! users would be, each creating, patching and reading back its own pods and now and
//! then listing them: throughput and latency per verb.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Result;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};

pub struct MixedFigures {
    pub wall: Duration,
    /// Latencies per verb, sorted.
    pub verbs: BTreeMap<&'static str, Vec<Duration>>,
    /// Revisions the store made during the phase: the clients' writes and those the
    /// server makes in answer (the scheduler marking a pod unschedulable, events).
    pub store_writes: i64,
}

impl MixedFigures {
    /// Creates and patches per second: every one a durable write.
    pub fn writes_per_second(&self) -> f64 {
        let writes = self.verbs.get("POST").map_or(0, Vec::len)
            + self.verbs.get("PATCH").map_or(0, Vec::len);
        writes as f64 / self.wall.as_secs_f64()
    }

    /// Every write the store committed per second, whoever made it.
    pub fn store_writes_per_second(&self) -> f64 {
        self.store_writes as f64 / self.wall.as_secs_f64()
    }
}

/// The store's revision as the server reports it on `/metrics`.
async fn store_revision(client: &kube::Client) -> Result<i64> {
    let metrics = super::scrape_metrics(client).await?;
    super::sample(&metrics, "bosun_store_revision ")
        .map(|r| r as i64)
        .ok_or_else(|| anyhow::anyhow!("/metrics has no bosun_store_revision"))
}

async fn client(dir: &Path) -> Result<kube::Client> {
    let kubeconfig = kube::config::Kubeconfig::read_from(dir.join("kubeconfig"))?;
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default()).await?;
    Ok(kube::Client::try_from(config)?)
}

/// `clients` clients share `pods` pods: each creates its pod, patches a label onto it,
/// gets it, and lists its own pods every tenth pod.
pub async fn run(dir: &Path, clients: usize, pods: usize) -> Result<MixedFigures> {
    let clients = clients.max(1);
    let mut connections = Vec::new();
    for _ in 0..clients {
        connections.push(client(dir).await?);
    }
    // `clients` is at least one, so there is a connection to read the store's revision on.
    let probe = connections.first().cloned();
    let first_revision = match &probe {
        Some(c) => store_revision(c).await?,
        None => 0,
    };
    let begin = Instant::now();
    let mut tasks = Vec::new();
    for (c, connection) in connections.into_iter().enumerate() {
        tasks.push(tokio::spawn(async move {
            let api: Api<Pod> = Api::namespaced(connection, "default");
            let mut seen: Vec<(&'static str, Duration)> = Vec::new();
            for (n, i) in (c..pods).step_by(clients).enumerate() {
                let name = format!("mixed-{i}");
                let pod: Pod = serde_json::from_value(serde_json::json!({
                    "metadata": {"name": name, "labels": {"client": c.to_string()}},
                    "spec": {"containers": [{"name": "app", "image": "nginx:1.25"}]},
                }))?;
                let t = Instant::now();
                api.create(&PostParams::default(), &pod).await?;
                seen.push(("POST", t.elapsed()));
                let patch = serde_json::json!({"metadata": {"labels": {"patched": "yes"}}});
                let t = Instant::now();
                api.patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
                    .await?;
                seen.push(("PATCH", t.elapsed()));
                let t = Instant::now();
                api.get(&name).await?;
                seen.push(("GET", t.elapsed()));
                if n % 10 == 9 {
                    let t = Instant::now();
                    api.list(&ListParams::default().labels(&format!("client={c}")))
                        .await?;
                    seen.push(("LIST", t.elapsed()));
                }
            }
            Ok::<_, anyhow::Error>(seen)
        }));
    }
    let mut verbs: BTreeMap<&'static str, Vec<Duration>> = BTreeMap::new();
    for task in tasks {
        for (verb, took) in task.await?? {
            verbs.entry(verb).or_default().push(took);
        }
    }
    let wall = begin.elapsed();
    let store_writes = match &probe {
        Some(c) => store_revision(c).await? - first_revision,
        None => 0,
    };
    for list in verbs.values_mut() {
        list.sort();
    }
    Ok(MixedFigures {
        wall,
        verbs,
        store_writes,
    })
}
