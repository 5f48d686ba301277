//! `bench containers`: real containers through containerd. A server process runs its
//! local node on the CRI socket given; the scenario measures pod start latency (create →
//! `Ready`, as a watch sees it) over many pods, then a Deployment's apply → available and
//! its rolling update to a new image — every step a real container start, readiness
//! probe and graceful stop.
//!
//! The images must be in containerd's `k8s.io` namespace: `scripts/containerd-test-env.sh
//! start DIR` starts a containerd with them and prints its socket.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use futures::StreamExt;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams, WatchParams};
use kube::core::WatchEvent;

use super::api::{percentile, rss_kib};
use super::cluster::{client_for, rolled_out, write_json};

#[derive(clap::Args)]
pub struct ContainersBenchArgs {
    /// The CRI socket of a containerd that has the `bosun.test/*` images.
    #[arg(long)]
    cri_socket: PathBuf,
    /// Pods whose start latency is measured.
    #[arg(long, default_value_t = 50)]
    pods: usize,
    /// Replicas of the Deployment that is rolled out and updated.
    #[arg(long, default_value_t = 20)]
    replicas: i32,
    /// Where to write the JSON figures.
    #[arg(long, default_value = "bench-containers.json")]
    output: PathBuf,
}

fn web(name: &str, image: &str) -> serde_json::Value {
    serde_json::json!({
        "name": name, "image": image,
        "ports": [{"containerPort": 8080}],
        "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 1},
    })
}

fn is_ready(pod: &Pod) -> bool {
    pod.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

pub async fn containers(args: ContainersBenchArgs) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let socket = args.cri_socket.to_string_lossy().into_owned();
    let server = super::spawn_server_with_node(
        dir.path(),
        &[
            "--runtime",
            "cri",
            "--kubelet-port",
            "0",
            "--node-name",
            "bench",
            "--cri-socket",
            &socket,
        ],
    )?;
    let client = client_for(&dir.path().join("kubeconfig")).await?;
    let nodes: Api<Node> = Api::all(client.clone());
    let deadline = Instant::now() + Duration::from_secs(60);
    while nodes.get_opt("bench").await?.is_none() {
        if Instant::now() > deadline {
            bail!("the local node did not register");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Pod start latency: every pod created at once, each timed from its create call to
    // the first watch event that shows it Ready.
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    let list = pods.list(&ListParams::default()).await?;
    let rv = list.metadata.resource_version.unwrap_or_default();
    let mut stream = pods
        .watch(&WatchParams::default().labels("bench=start"), &rv)
        .await?
        .boxed();
    let began = Instant::now();
    let mut created_at: HashMap<String, Instant> = HashMap::new();
    for i in 0..args.pods {
        let name = format!("start-{i}");
        let pod: Pod = serde_json::from_value(serde_json::json!({
            "metadata": {"name": name, "labels": {"bench": "start"}},
            "spec": {"terminationGracePeriodSeconds": 2, "containers": [web("web", "bosun.test/web:v1")]},
        }))?;
        created_at.insert(name, Instant::now());
        pods.create(&PostParams::default(), &pod).await?;
    }
    let mut latencies: HashMap<String, Duration> = HashMap::new();
    let deadline = Instant::now() + Duration::from_secs(300);
    while latencies.len() < args.pods {
        let next = tokio::time::timeout_at(deadline.into(), stream.next()).await;
        let event = match next {
            Ok(Some(event)) => event?,
            Ok(None) => bail!("the pod watch ended"),
            Err(_) => bail!(
                "only {} of {} pods became Ready",
                latencies.len(),
                args.pods
            ),
        };
        if let WatchEvent::Added(pod) | WatchEvent::Modified(pod) = event
            && is_ready(&pod)
        {
            let name = pod.metadata.name.clone().unwrap_or_default();
            if let Some(at) = created_at.get(&name) {
                latencies.entry(name).or_insert_with(|| at.elapsed());
            }
        }
    }
    let all_ready = began.elapsed();
    let mut sorted: Vec<Duration> = latencies.values().copied().collect();
    sorted.sort();
    let peak_server = rss_kib(server.0.id());
    pods.delete_collection(
        &DeleteParams::default(),
        &ListParams::default().labels("bench=start"),
    )
    .await?;
    gone(&pods).await?;

    // A Deployment of real containers: apply → available, then a rolling update.
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), "default");
    let deployment: Deployment = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "web"},
        "spec": {
            "replicas": args.replicas,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}},
                "spec": {"terminationGracePeriodSeconds": 2, "containers": [web("web", "bosun.test/web:v1")]}}
        }
    }))?;
    let t = Instant::now();
    deployments
        .create(&PostParams::default(), &deployment)
        .await?;
    rolled_out(&deployments, "web", args.replicas).await?;
    let apply = t.elapsed();
    let t = Instant::now();
    let patch = serde_json::json!({"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "bosun.test/web:v2"}]}}}});
    deployments
        .patch("web", &PatchParams::default(), &Patch::Strategic(&patch))
        .await?;
    rolled_out(&deployments, "web", args.replicas).await?;
    let update = t.elapsed();
    deployments.delete("web", &DeleteParams::default()).await?;
    gone(&pods).await?;

    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "bosun bench containers ({} pods, a {}-replica Deployment, containerd)",
        args.pods, args.replicas
    );
    println!(
        "{:<44} {:>10.0}",
        "pod create → Ready p50 (ms)",
        ms(percentile(&sorted, 0.5))
    );
    println!(
        "{:<44} {:>10.0}",
        "pod create → Ready p99 (ms)",
        ms(percentile(&sorted, 0.99))
    );
    println!(
        "{:<44} {:>10.0}",
        "pod create → Ready max (ms)",
        ms(percentile(&sorted, 1.0))
    );
    println!(
        "{:<44} {:>10.2}",
        "all pods Ready (s)",
        all_ready.as_secs_f64()
    );
    println!(
        "{:<44} {:>10.2}",
        "Deployment apply → available (s)",
        apply.as_secs_f64()
    );
    println!(
        "{:<44} {:>10.2}",
        "rolling update (new image) → complete (s)",
        update.as_secs_f64()
    );
    println!(
        "{:<44} {:>10.1}",
        "server + node RSS with the pods (MiB)",
        peak_server.unwrap_or(0) as f64 / 1024.0
    );
    write_json(
        &args.output,
        &serde_json::json!({
            "pods": args.pods,
            "ready_pods": sorted.len(),
            "pod_start_ms": {"p50": ms(percentile(&sorted, 0.5)), "p99": ms(percentile(&sorted, 0.99)), "max": ms(percentile(&sorted, 1.0))},
            "all_ready_s": all_ready.as_secs_f64(),
            "replicas": args.replicas,
            "apply_to_available_s": apply.as_secs_f64(),
            "rolling_update_s": update.as_secs_f64(),
            "server_rss_kib": peak_server,
        }),
    )
}

/// Waits until no pod is left. Pods leave the API only once the node has removed their
/// containers, so the next phase starts on an idle node and nothing is left behind.
async fn gone(pods: &Api<Pod>) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !pods.list(&ListParams::default()).await?.items.is_empty() {
        if Instant::now() > deadline {
            bail!("pods were not removed");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}
