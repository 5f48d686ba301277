//! `bosun bench api`: starts the real server as a separate process on a fresh data dir
//! and measures start-up time, pod creation throughput and latency over HTTP, and idle
//! memory. Prints a table and writes the figures as JSON. A benchmark, not a test: it
//! asserts nothing about speed.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, PostParams};

#[derive(clap::Args)]
pub struct ApiBenchArgs {
    /// Pods to create.
    #[arg(long, default_value_t = 2000)]
    pods: usize,
    /// Concurrent requests in flight.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Clients of the mixed phase, each on its own connection.
    #[arg(long, default_value_t = 100)]
    clients: usize,
    /// Pods the mixed phase's clients create, patch, get and list between them.
    #[arg(long, default_value_t = 5000)]
    mixed_pods: usize,
    /// Where to write the JSON figures.
    #[arg(long, default_value = "bench-api.json")]
    output: PathBuf,
    /// How long the fresh server idles before its memory is read.
    #[arg(long, default_value_t = 10)]
    idle_seconds: u64,
    /// The server's datastore: `embedded`, `etcd://…`, or `etcd` to start a local
    /// three-member etcd cluster for the run (needs the `etcd` binary).
    #[arg(long, default_value = "embedded")]
    datastore: String,
}

pub(crate) fn rss_kib(pid: u32) -> Option<u64> {
    status_kib(pid, "VmRSS:")
}

/// A `/proc/PID/status` memory line (`VmRSS:`, `RssAnon:`, `RssFile:` …) in KiB.
pub(crate) fn status_kib(pid: u32, key: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with(key))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

pub(crate) fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

pub async fn api(args: ApiBenchArgs) -> Result<()> {
    let dir = tempfile::tempdir().context("temp dir")?;
    let local_etcd = if args.datastore == "etcd" {
        Some(bosun_store::testing::EtcdCluster::start(3).map_err(|e| anyhow::anyhow!(e))?)
    } else {
        None
    };
    let datastore = match &local_etcd {
        Some(cluster) => cluster.datastore_url(),
        None => args.datastore.clone(),
    };
    let started = Instant::now();
    let child = super::spawn_server_with(dir.path(), &["--datastore", &datastore])?;
    let ready_line = started.elapsed();
    let kubeconfig = kube::config::Kubeconfig::read_from(dir.path().join("kubeconfig"))?;
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default()).await?;
    let client = kube::Client::try_from(config)?;
    let pid = child.0.id();

    let api: Api<Pod> = Api::namespaced(client, "default");
    let template: Pod = serde_json::from_value(serde_json::json!({
        "metadata": {"labels": {"app": "bench"}},
        "spec": {"containers": [{"name": "app", "image": "nginx:1.25",
            "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}}}]}
    }))?;
    let template = Arc::new(template);
    let begin = Instant::now();
    let latencies: Vec<Result<Duration>> = futures::stream::iter(0..args.pods)
        .map(|i| {
            let api = api.clone();
            let template = template.clone();
            async move {
                let mut pod = (*template).clone();
                pod.metadata.name = Some(format!("bench-{i}"));
                let t = Instant::now();
                api.create(&PostParams::default(), &pod).await?;
                Ok(t.elapsed())
            }
        })
        .buffer_unordered(args.concurrency.max(1))
        .collect()
        .await;
    let wall = begin.elapsed();
    let mut ok: Vec<Duration> = latencies.into_iter().collect::<Result<_>>()?;
    ok.sort();
    let rate = ok.len() as f64 / wall.as_secs_f64();
    let mixed = super::mixed::run(dir.path(), args.clients, args.mixed_pods).await?;
    let busy_rss = rss_kib(pid).unwrap_or(0);

    // Idle memory of a fresh server (no objects beyond the bootstrap ones).
    let idle_dir = tempfile::tempdir()?;
    let idle = super::spawn_server(idle_dir.path())?;
    tokio::time::sleep(Duration::from_secs(args.idle_seconds)).await;
    let idle_rss = rss_kib(idle.0.id()).unwrap_or(0);
    drop(idle);
    drop(child);

    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "bosun bench api ({} pods, {} concurrent)",
        args.pods, args.concurrency
    );
    println!("{:<34} {:>12}", "figure", "value");
    println!(
        "{:<34} {:>12.1}",
        "start to ready line (ms)",
        ms(ready_line)
    );
    println!("{:<34} {:>12.0}", "pod creates per second", rate);
    println!(
        "{:<34} {:>12.2}",
        "create latency p50 (ms)",
        ms(percentile(&ok, 0.50))
    );
    println!(
        "{:<34} {:>12.2}",
        "create latency p99 (ms)",
        ms(percentile(&ok, 0.99))
    );
    println!(
        "{:<34} {:>12.2}",
        "create latency max (ms)",
        ms(percentile(&ok, 1.0))
    );
    println!(
        "{:<34} {:>12.1}",
        "server RSS after the mixed phase (MiB)",
        busy_rss as f64 / 1024.0
    );
    println!(
        "{:<34} {:>12.1}",
        "idle server RSS after 10 s (MiB)",
        idle_rss as f64 / 1024.0
    );
    println!("{:<34} {:>12}", "datastore", args.datastore);
    println!(
        "mixed phase: {} clients, {} pods, {:.1} s, {:.0} durable writes/s",
        args.clients,
        args.mixed_pods,
        mixed.wall.as_secs_f64(),
        mixed.writes_per_second()
    );
    println!(
        "  store commits/s, every writer (clients, scheduler, events): {:.0}",
        mixed.store_writes_per_second()
    );
    let mut verbs = serde_json::Map::new();
    for (verb, took) in &mixed.verbs {
        println!(
            "  {verb:<8} {:>7} requests  p50 {:>8.2} ms  p99 {:>8.2} ms",
            took.len(),
            ms(percentile(took, 0.5)),
            ms(percentile(took, 0.99))
        );
        verbs.insert(
            verb.to_string(),
            serde_json::json!({"count": took.len(), "p50_ms": ms(percentile(took, 0.5)), "p99_ms": ms(percentile(took, 0.99))}),
        );
    }
    let figures = serde_json::json!({
        "datastore": args.datastore,
        "pods": args.pods,
        "concurrency": args.concurrency,
        "startup_ready_line_ms": ms(ready_line),
        "creates_per_second": rate,
        "create_latency_ms": {"p50": ms(percentile(&ok, 0.5)), "p99": ms(percentile(&ok, 0.99)), "max": ms(percentile(&ok, 1.0))},
        "rss_after_creates_kib": busy_rss,
        "idle_rss_kib": idle_rss,
        "mixed": {
            "clients": args.clients,
            "pods": args.mixed_pods,
            "seconds": mixed.wall.as_secs_f64(),
            "durable_writes_per_second": mixed.writes_per_second(),
            "store_commits_per_second": mixed.store_writes_per_second(),
            "verbs": verbs,
        },
    });
    std::fs::write(&args.output, serde_json::to_vec_pretty(&figures)?)?;
    println!("figures written to {}", args.output.display());
    Ok(())
}
