//! `bosun bench density`: many hollow nodes and many Deployments (upstream's density
//! envelope is 5,000 nodes and 150,000 pods): time until every Deployment is available,
//! scheduler throughput, server and agent peak memory, and API latency per verb as the
//! server's own `/metrics` histograms saw it during the run.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::apps::v1::Deployment;
use kube::api::{Api, ListParams, PostParams};

use super::api::rss_kib;

#[derive(clap::Args)]
pub struct DensityBenchArgs {
    /// Hollow nodes.
    #[arg(long, default_value_t = 5000)]
    nodes: usize,
    /// Deployments.
    #[arg(long, default_value_t = 1500)]
    deployments: usize,
    /// Replicas of each Deployment.
    #[arg(long, default_value_t = 100)]
    replicas: i32,
    /// How long a hollow container takes to start.
    #[arg(long, default_value = "1s")]
    hollow_start_delay: String,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 1800)]
    timeout_seconds: u64,
    /// Where to write the JSON figures.
    #[arg(long, default_value = "bench-density.json")]
    output: PathBuf,
}

/// Pods the scheduler has bound, from `/metrics`.
pub(crate) fn scheduled_in(metrics: &str) -> f64 {
    super::sample(
        metrics,
        "scheduler_schedule_attempts_total{result=\"scheduled\"",
    )
    .unwrap_or(0.0)
}

/// Quantiles of one verb's `apiserver_request_duration_seconds`, from the cumulative
/// buckets summed over resources (an upper bound: the bucket edge the quantile falls in).
fn quantiles(metrics: &str) -> BTreeMap<String, (f64, f64, f64)> {
    let mut buckets: BTreeMap<String, BTreeMap<u64, f64>> = BTreeMap::new();
    for line in metrics.lines() {
        let Some(rest) = line.strip_prefix("apiserver_request_duration_seconds_bucket{") else {
            continue;
        };
        let Some((labels, value)) = rest.rsplit_once("} ") else {
            continue;
        };
        let label = |name: &str| {
            labels
                .split(',')
                .find_map(|kv| kv.strip_prefix(&format!("{name}=\"")))
                .map(|v| v.trim_end_matches('"').to_string())
        };
        let (Some(verb), Some(le)) = (label("verb"), label("le")) else {
            continue;
        };
        let edge = if le == "+Inf" {
            f64::INFINITY
        } else {
            le.parse().unwrap_or(f64::INFINITY)
        };
        let count: f64 = value.trim().parse().unwrap_or(0.0);
        *buckets
            .entry(verb)
            .or_default()
            .entry(edge.to_bits())
            .or_default() += count;
    }
    let mut out = BTreeMap::new();
    for (verb, edges) in buckets {
        let mut sorted: Vec<(f64, f64)> = edges
            .into_iter()
            .map(|(b, c)| (f64::from_bits(b), c))
            .collect();
        sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
        let total = sorted.last().map(|x| x.1).unwrap_or(0.0);
        let at = |q: f64| {
            sorted
                .iter()
                .find(|(_, c)| *c >= q * total)
                .map(|(edge, _)| *edge * 1000.0)
                .unwrap_or(f64::NAN)
        };
        out.insert(verb, (total, at(0.5), at(0.99)));
    }
    out
}

pub async fn density(args: DensityBenchArgs) -> Result<()> {
    let cluster = super::cluster::start_cluster(args.nodes, &args.hollow_start_delay).await?;
    let server_pid = cluster.server.0.id();
    let agent_pid = cluster.agent.0.id();
    let client = cluster.client.clone();
    let api: Api<Deployment> = Api::namespaced(client.clone(), "default");
    let pods_total = args.deployments as i64 * i64::from(args.replicas);
    let begin = Instant::now();
    let creating = futures::stream::iter(0..args.deployments)
        .map(|i| {
            let api = api.clone();
            let replicas = args.replicas;
            async move {
                let d: Deployment = serde_json::from_value(serde_json::json!({
                    "metadata": {"name": format!("density-{i}")},
                    "spec": {
                        "replicas": replicas,
                        "selector": {"matchLabels": {"app": format!("density-{i}")}},
                        "template": {"metadata": {"labels": {"app": format!("density-{i}")}},
                            "spec": {"containers": [{"name": "app", "image": "nginx:1.25",
                                "resources": {"requests": {"cpu": "1m", "memory": "1Mi"}}}]}}
                    }
                }))?;
                api.create(&PostParams::default(), &d).await?;
                Ok::<_, anyhow::Error>(())
            }
        })
        .buffer_unordered(16)
        .try_collect::<Vec<()>>();
    creating.await?;
    let created = begin.elapsed();
    let (mut peak_server, mut peak_agent) = (0u64, 0u64);
    let mut available_at = None;
    loop {
        peak_server = peak_server.max(rss_kib(server_pid).unwrap_or(0));
        peak_agent = peak_agent.max(rss_kib(agent_pid).unwrap_or(0));
        let list = api.list(&ListParams::default()).await?;
        let available: i64 = list
            .items
            .iter()
            .map(|d| {
                i64::from(
                    d.status
                        .as_ref()
                        .and_then(|s| s.available_replicas)
                        .unwrap_or(0),
                )
            })
            .sum();
        if available >= pods_total {
            available_at = Some(begin.elapsed());
            break;
        }
        if begin.elapsed() > Duration::from_secs(args.timeout_seconds) {
            println!("gave up: {available} of {pods_total} pods available");
            break;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let metrics = super::scrape_metrics(&client).await?;
    let scheduled = scheduled_in(&metrics);
    let latencies = quantiles(&metrics);
    println!(
        "bosun bench density ({} nodes, {} Deployments × {} replicas = {pods_total} pods)",
        args.nodes, args.deployments, args.replicas
    );
    println!("{:<44} {:>12}", "figure", "value");
    println!(
        "{:<44} {:>12.1}",
        "Deployments created (s)",
        created.as_secs_f64()
    );
    match available_at {
        Some(t) => println!("{:<44} {:>12.1}", "all pods available (s)", t.as_secs_f64()),
        None => println!("{:<44} {:>12}", "all pods available (s)", "not reached"),
    }
    let elapsed = available_at
        .unwrap_or_else(|| begin.elapsed())
        .as_secs_f64();
    println!(
        "{:<44} {:>12.0}",
        "pods scheduled per second (whole run)",
        scheduled / elapsed
    );
    println!(
        "{:<44} {:>12.1}",
        "server peak RSS (MiB)",
        peak_server as f64 / 1024.0
    );
    println!(
        "{:<44} {:>12.1}",
        "agent peak RSS (MiB)",
        peak_agent as f64 / 1024.0
    );
    for (verb, (count, p50, p99)) in &latencies {
        println!(
            "{:<44} {:>12}",
            format!("{verb} requests / p50 ms / p99 ms (≤)"),
            format!("{count:.0} / {p50:.1} / {p99:.1}")
        );
    }
    let figures = serde_json::json!({
        "nodes": args.nodes,
        "deployments": args.deployments,
        "replicas": args.replicas,
        "pods": pods_total,
        "created_s": created.as_secs_f64(),
        "all_available_s": available_at.map(|t| t.as_secs_f64()),
        "scheduled": scheduled,
        "scheduled_per_second": scheduled / elapsed,
        "server_peak_rss_kib": peak_server,
        "agent_peak_rss_kib": peak_agent,
        "api_latency_ms": latencies.iter().map(|(v, (c, p50, p99))| (v.clone(), serde_json::json!({"count": c, "p50_le": p50, "p99_le": p99}))).collect::<serde_json::Map<_, _>>(),
    });
    std::fs::write(&args.output, serde_json::to_vec_pretty(&figures)?)?;
    println!("figures written to {}", args.output.display());
    if available_at.is_none() {
        bail!(
            "not every pod became available within {} s",
            args.timeout_seconds
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn quantiles_come_from_cumulative_buckets() {
        let text = "apiserver_request_duration_seconds_bucket{verb=\"POST\",resource=\"pods\",subresource=\"\",le=\"0.001\"} 50\n\
apiserver_request_duration_seconds_bucket{verb=\"POST\",resource=\"pods\",subresource=\"\",le=\"0.01\"} 99\n\
apiserver_request_duration_seconds_bucket{verb=\"POST\",resource=\"pods\",subresource=\"\",le=\"+Inf\"} 100\n";
        let q = super::quantiles(text);
        let (count, p50, p99) = q["POST"];
        assert_eq!(count, 100.0);
        assert_eq!(p50, 1.0);
        assert_eq!(p99, 10.0);
    }
}
