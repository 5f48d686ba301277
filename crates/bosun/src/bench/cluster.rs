//! Cluster benchmarks: a server process plus a `bosun agent` process running hollow
//! nodes. `rollout` times a Deployment from `apply` to available and through a rolling
//! update; `scheduler` times binding many pods over many nodes. Both report the
//! processes' resident memory.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use futures::{FutureExt, StreamExt};
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
    let api_for_creates = api.clone();
    let template: Pod = serde_json::from_value(serde_json::json!({
        "metadata": {"labels": {"app": "sched"}},
        "spec": {"containers": [{"name": "app", "image": "nginx:1.25",
            "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}}}]}
    }))?;
    let scheduled = |client: kube::Client| async move {
        let metrics = super::scrape_metrics(&client).await?;
        anyhow::Ok(super::density::scheduled_in(&metrics))
    };
    let before = scheduled(cluster.client.clone()).await?;
    let t = Instant::now();
    // Pods are created as fast as the API takes them while the scheduler binds: its
    // counter, sampled every 100 ms, gives its rate (not a LIST of every pod, which
    // would load the server it measures).
    let creating = tokio::spawn(
        futures::stream::iter(0..args.pods)
            .map(move |i| {
                let api = api_for_creates.clone();
                let mut pod = template.clone();
                pod.metadata.name = Some(format!("sched-{i}"));
                async move { api.create(&PostParams::default(), &pod).await.map(drop) }
            })
            .buffer_unordered(64)
            .collect::<Vec<Result<(), kube::Error>>>()
            .map(move |results| (results, t.elapsed())),
    );
    let mut samples: Vec<(Duration, f64)> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(1800);
    let mut bound_at = None;
    while bound_at.is_none() && Instant::now() < deadline {
        let bound = scheduled(cluster.client.clone()).await? - before;
        samples.push((t.elapsed(), bound));
        if bound >= args.pods as f64 {
            bound_at = Some(t.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (results, created) = creating.await?;
    if let Some(Err(e)) = results.into_iter().find(Result::is_err) {
        bail!("creating pods: {e}");
    }
    // The best one-second rate: how fast the scheduler binds with pods waiting (one
    // window from the start for a run shorter than a second).
    let peak_rate = samples
        .iter()
        .filter_map(|(at, count)| {
            // A run shorter than a second is one window from its start.
            let earlier = samples
                .iter()
                .rev()
                .find(|(then, _)| *then + Duration::from_secs(1) <= *at)
                .unwrap_or(&(Duration::ZERO, 0.0));
            (*at > earlier.0).then(|| (count - earlier.1) / (*at - earlier.0).as_secs_f64())
        })
        .fold(0.0, f64::max);
    let mut running_at = None;
    while running_at.is_none() && Instant::now() < deadline {
        let running = api
            .list(&ListParams::default().labels("app=sched"))
            .await?
            .items
            .iter()
            .filter(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running"))
            .count();
        if running == args.pods {
            running_at = Some(t.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
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
        "scheduler throughput, whole run (pods/s)",
        args.pods as f64 / bound_at.as_secs_f64()
    );
    println!(
        "{:<44} {:>10.0}",
        "scheduler throughput, best second (pods/s)", peak_rate
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
            "peak_pods_per_s": peak_rate,
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
