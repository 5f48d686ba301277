//! Cluster benchmarks: a server process plus a `bosun agent` process running hollow
//! nodes. `rollout` times a Deployment from `apply` to available and through a rolling
//! update; `scheduler` times binding many pods over many nodes. Both report the
//! processes' resident memory.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use futures::StreamExt;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};

use super::Process;
use super::api::rss_kib;

#[derive(clap::Args)]
pub struct RolloutBenchArgs {
    /// Hollow nodes.
    #[arg(long, default_value_t = 100)]
    nodes: usize,
    /// Deployment replicas.
    #[arg(long, default_value_t = 100)]
    replicas: i32,
    /// How long a hollow container takes to start (kubemark's fake runtime: instantly).
    #[arg(long, default_value = "1s")]
    hollow_start_delay: String,
    /// Where to write the JSON figures.
    #[arg(long, default_value = "bench-rollout.json")]
    output: std::path::PathBuf,
}

#[derive(clap::Args)]
pub struct SchedulerBenchArgs {
    /// Hollow nodes.
    #[arg(long, default_value_t = 1000)]
    nodes: usize,
    /// Pods to schedule.
    #[arg(long, default_value_t = 10_000)]
    pods: usize,
    /// How long a hollow container takes to start.
    #[arg(long, default_value = "1s")]
    hollow_start_delay: String,
    /// Where to write the JSON figures.
    #[arg(long, default_value = "bench-scheduler.json")]
    output: std::path::PathBuf,
}

/// The server (no local node) and an agent process with `nodes` hollow nodes.
pub(crate) struct Cluster {
    // Dropped first, so the agent does not report the server going away.
    pub(crate) agent: Process,
    pub(crate) server: Process,
    pub(crate) client: kube::Client,
    _dir: tempfile::TempDir,
}

pub(crate) async fn start_cluster(nodes: usize, start_delay: &str) -> Result<Cluster> {
    let dir = tempfile::tempdir()?;
    let exe = std::env::current_exe()?;
    let server = super::spawn_server(dir.path())?;
    let kubeconfig_path = dir.path().join("kubeconfig");
    let agent = Process(
        Command::new(&exe)
            .args([
                "agent",
                "--name",
                "node",
                "--nodes",
                &nodes.to_string(),
                "--hollow-start-delay",
                start_delay,
                "--kubeconfig",
            ])
            .arg(&kubeconfig_path)
            .env("BOSUN_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .context("starting bosun agent")?,
    );
    let client = client_for(&kubeconfig_path).await?;
    let started = Instant::now();
    let nodes_api: Api<Node> = Api::all(client.clone());
    loop {
        let ready = nodes_api
            .list(&ListParams::default())
            .await?
            .items
            .iter()
            .filter(|n| {
                n.status
                    .as_ref()
                    .and_then(|s| s.conditions.as_ref())
                    .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
            })
            .count();
        if ready >= nodes {
            println!(
                "{nodes} hollow nodes Ready after {:.1} s",
                started.elapsed().as_secs_f64()
            );
            break;
        }
        if started.elapsed() > Duration::from_secs(600) {
            bail!("only {ready} of {nodes} nodes became Ready");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    Ok(Cluster {
        server,
        agent,
        client,
        _dir: dir,
    })
}

pub(crate) async fn client_for(path: &Path) -> Result<kube::Client> {
    let kubeconfig = kube::config::Kubeconfig::read_from(path)?;
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default()).await?;
    Ok(kube::Client::try_from(config)?)
}

fn mib(kib: Option<u64>) -> f64 {
    kib.unwrap_or(0) as f64 / 1024.0
}

/// Waits until the Deployment's current generation is fully rolled out (what
/// `kubectl rollout status` waits for).
pub(crate) async fn rolled_out(api: &Api<Deployment>, name: &str, replicas: i32) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(900);
    loop {
        let d = api.get(name).await?;
        let s = d.status.unwrap_or_default();
        let done = d.metadata.generation <= s.observed_generation
            && s.updated_replicas == Some(replicas)
            && s.replicas == Some(replicas)
            && s.available_replicas == Some(replicas);
        if done {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("rollout did not finish: {s:?}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub async fn rollout(args: RolloutBenchArgs) -> Result<()> {
    let cluster = start_cluster(args.nodes, &args.hollow_start_delay).await?;
    let api: Api<Deployment> = Api::namespaced(cluster.client.clone(), "default");
    let deployment: Deployment = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "bench"},
        "spec": {
            "replicas": args.replicas,
            "selector": {"matchLabels": {"app": "bench"}},
            "template": {"metadata": {"labels": {"app": "bench"}},
                "spec": {"containers": [{"name": "app", "image": "nginx:1.25",
                    "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}}}]}}
        }
    }))?;
    let t = Instant::now();
    api.create(&PostParams::default(), &deployment).await?;
    rolled_out(&api, "bench", args.replicas).await?;
    let create = t.elapsed();
    let t = Instant::now();
    let patch = serde_json::json!({"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "nginx:1.26"}]}}}});
    api.patch("bench", &PatchParams::default(), &Patch::Strategic(&patch))
        .await?;
    rolled_out(&api, "bench", args.replicas).await?;
    let update = t.elapsed();
    let server_rss = rss_kib(cluster.server.0.id());
    let agent_rss = rss_kib(cluster.agent.0.id());
    println!(
        "bosun bench rollout ({} replicas on {} hollow nodes)",
        args.replicas, args.nodes
    );
    println!(
        "{:<44} {:>10.2}",
        "apply → available (s)",
        create.as_secs_f64()
    );
    println!(
        "{:<44} {:>10.2}",
        "rolling update (new image) → complete (s)",
        update.as_secs_f64()
    );
    println!("{:<44} {:>10.1}", "server RSS (MiB)", mib(server_rss));
    println!(
        "{:<44} {:>10.1}",
        "agent RSS, all hollow nodes (MiB)",
        mib(agent_rss)
    );
    write_json(
        &args.output,
        &serde_json::json!({
            "nodes": args.nodes,
            "replicas": args.replicas,
            "apply_to_available_s": create.as_secs_f64(),
            "rolling_update_s": update.as_secs_f64(),
            "server_rss_kib": server_rss,
            "agent_rss_kib": agent_rss,
        }),
    )
}

pub async fn scheduler(args: SchedulerBenchArgs) -> Result<()> {
    let cluster = start_cluster(args.nodes, &args.hollow_start_delay).await?;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let idle_agent = rss_kib(cluster.agent.0.id());
    let idle_server = rss_kib(cluster.server.0.id());
    let api: Api<Pod> = Api::namespaced(cluster.client.clone(), "default");
    let template: Pod = serde_json::from_value(serde_json::json!({
        "metadata": {"labels": {"app": "sched"}},
        "spec": {"containers": [{"name": "app", "image": "nginx:1.25",
            "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}}}]}
    }))?;
    let t = Instant::now();
    let results: Vec<Result<Pod, kube::Error>> = futures::stream::iter(0..args.pods)
        .map(|i| {
            let api = api.clone();
            let mut pod = template.clone();
            pod.metadata.name = Some(format!("sched-{i}"));
            async move { api.create(&PostParams::default(), &pod).await }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    let created = t.elapsed();
    if let Some(Err(e)) = results.into_iter().find(Result::is_err) {
        bail!("creating pods: {e}");
    }
    let (mut bound_at, mut running_at) = (None, None);
    let deadline = Instant::now() + Duration::from_secs(1800);
    while running_at.is_none() && Instant::now() < deadline {
        let pods = api
            .list(&ListParams::default().labels("app=sched"))
            .await?
            .items;
        let bound = pods
            .iter()
            .filter(|p| p.spec.as_ref().and_then(|s| s.node_name.as_ref()).is_some())
            .count();
        let running = pods
            .iter()
            .filter(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running"))
            .count();
        if bound == args.pods && bound_at.is_none() {
            bound_at = Some(t.elapsed());
        }
        if running == args.pods {
            running_at = Some(t.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let bound_at = bound_at.context("not every pod was bound")?;
    let busy_agent = rss_kib(cluster.agent.0.id());
    let busy_server = rss_kib(cluster.server.0.id());
    println!(
        "bosun bench scheduler ({} pods over {} hollow nodes)",
        args.pods, args.nodes
    );
    println!("{:<44} {:>10.2}", "pods created (s)", created.as_secs_f64());
    println!(
        "{:<44} {:>10.2}",
        "all bound (s, from first create)",
        bound_at.as_secs_f64()
    );
    println!(
        "{:<44} {:>10.0}",
        "scheduler throughput (pods/s)",
        args.pods as f64 / bound_at.as_secs_f64()
    );
    if let Some(r) = running_at {
        println!("{:<44} {:>10.2}", "all Running (s)", r.as_secs_f64());
    }
    println!(
        "{:<44} {:>10.1}",
        "agent RSS idle, all nodes (MiB)",
        mib(idle_agent)
    );
    println!(
        "{:<44} {:>10.1}",
        "agent RSS with the pods (MiB)",
        mib(busy_agent)
    );
    println!(
        "{:<44} {:>10.1}",
        "server RSS idle / with the pods (MiB)",
        mib(idle_server)
    );
    println!("{:<44} {:>10.1}", "", mib(busy_server));
    write_json(
        &args.output,
        &serde_json::json!({
            "nodes": args.nodes,
            "pods": args.pods,
            "create_s": created.as_secs_f64(),
            "all_bound_s": bound_at.as_secs_f64(),
            "pods_per_second": args.pods as f64 / bound_at.as_secs_f64(),
            "all_running_s": running_at.map(|r| r.as_secs_f64()),
            "agent_rss_idle_kib": idle_agent,
            "agent_rss_busy_kib": busy_agent,
            "server_rss_idle_kib": idle_server,
            "server_rss_busy_kib": busy_server,
        }),
    )
}

pub(crate) fn write_json(path: &Path, figures: &serde_json::Value) -> Result<()> {
    std::fs::write(path, serde_json::to_vec_pretty(figures)?)
        .with_context(|| format!("writing {}", path.display()))?;
    println!("figures written to {}", path.display());
    Ok(())
}
