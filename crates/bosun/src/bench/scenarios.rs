//! `bosun bench startup` (exec → ready on an empty and on a populated data dir, idle
//! memory) and `bosun bench watch` (many watchers on pods while pods are created:
//! event delivery latency and server memory). Like every benchmark here they run the
//! real server as a separate process, print a table, write JSON and assert nothing.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use futures::{StreamExt, TryStreamExt};
use http_body_util::BodyExt;
use k8s_openapi::api::core::v1::{ConfigMap, Pod};
use kube::api::{Api, PostParams, WatchParams};

use super::api::{percentile, rss_kib, status_kib};

#[derive(clap::Args)]
pub struct StartupBenchArgs {
    /// Objects (ConfigMaps) in the populated data dir.
    #[arg(long, default_value_t = 100_000)]
    objects: usize,
    /// How long the server idles before its memory is read.
    #[arg(long, default_value_t = 10)]
    idle_seconds: u64,
    /// Where to write the JSON figures.
    #[arg(long, default_value = "bench-startup.json")]
    output: PathBuf,
}

#[derive(clap::Args)]
pub struct WatchBenchArgs {
    /// Concurrent watches on pods.
    #[arg(long, default_value_t = 1000)]
    watchers: usize,
    /// Pods created while they watch.
    #[arg(long, default_value_t = 200)]
    pods: usize,
    /// Where to write the JSON figures.
    #[arg(long, default_value = "bench-watch.json")]
    output: PathBuf,
}

async fn client_for(dir: &Path) -> Result<kube::Client> {
    let kubeconfig = kube::config::Kubeconfig::read_from(dir.join("kubeconfig"))?;
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default()).await?;
    Ok(kube::Client::try_from(config)?)
}

/// Starts the server from `exe` on `dir`; returns it, the time from exec to `/readyz`
/// = 200, and a client.
async fn start_timed(exe: &Path, dir: &Path) -> Result<(super::Process, Duration, kube::Client)> {
    let started = Instant::now();
    let server = super::spawn_server_from(exe, dir, &["--no-agent"])?;
    let client = client_for(dir).await?;
    loop {
        let request = http::Request::get("/readyz").body(Vec::new())?;
        if client.request_text(request).await.is_ok_and(|t| t == "ok") {
            break;
        }
        if started.elapsed() > Duration::from_secs(120) {
            anyhow::bail!("the server did not become ready");
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    Ok((server, started.elapsed(), client))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

pub async fn startup(args: StartupBenchArgs) -> Result<()> {
    let dir = tempfile::tempdir().context("temp dir")?;
    // The server runs from a copy of this binary: this benchmark process maps the same
    // executable, and pages two processes share stay resident for both (the server
    // releases its start-up pages only where they are its alone), so measuring the
    // server as it is when it runs by itself needs a file of its own.
    let exe_dir = tempfile::tempdir().context("temp dir")?;
    let exe = exe_dir.path().join("bosun");
    std::fs::copy(
        std::env::current_exe().context("locating the bosun binary")?,
        &exe,
    )
    .context("copying the bosun binary")?;
    let (server, empty_ready, client) = start_timed(&exe, dir.path()).await?;
    tokio::time::sleep(Duration::from_secs(args.idle_seconds)).await;
    let idle_rss = rss_kib(server.0.id()).unwrap_or(0);
    // Heap and stacks against the executable's (and libraries') pages.
    let idle_anon = status_kib(server.0.id(), "RssAnon:").unwrap_or(0);
    let idle_file = status_kib(server.0.id(), "RssFile:").unwrap_or(0);

    let api: Api<ConfigMap> = Api::namespaced(client, "default");
    let begin = Instant::now();
    futures::stream::iter(0..args.objects)
        .map(|i| {
            let api = api.clone();
            async move {
                let cm: ConfigMap = serde_json::from_value(serde_json::json!({
                    "metadata": {"name": format!("object-{i}"), "labels": {"bench": "startup"}},
                    "data": {"index": i.to_string()},
                }))?;
                api.create(&PostParams::default(), &cm).await?;
                Ok::<_, anyhow::Error>(())
            }
        })
        .buffer_unordered(32)
        .try_collect::<Vec<()>>()
        .await?;
    let populate = begin.elapsed();
    drop(server); // SIGKILL: every acknowledged write is in the log

    let (server, full_ready, _client) = start_timed(&exe, dir.path()).await?;
    tokio::time::sleep(Duration::from_secs(args.idle_seconds)).await;
    let full_idle_rss = rss_kib(server.0.id()).unwrap_or(0);
    drop(server);

    println!("bosun bench startup ({} objects)", args.objects);
    println!("{:<44} {:>10}", "figure", "value");
    println!(
        "{:<44} {:>10.1}",
        "exec → /readyz 200, empty data dir (ms)",
        ms(empty_ready)
    );
    println!(
        "{:<44} {:>10.1}",
        "idle RSS, empty (MiB)",
        idle_rss as f64 / 1024.0
    );
    println!(
        "{:<44} {:>10.1}",
        "  of which anonymous (heap, stacks) (MiB)",
        idle_anon as f64 / 1024.0
    );
    println!(
        "{:<44} {:>10.1}",
        "  of which file pages (code, data) (MiB)",
        idle_file as f64 / 1024.0
    );
    println!("{:<44} {:>10.1}", "populating (s)", populate.as_secs_f64());
    println!(
        "{:<44} {:>10.1}",
        "exec → /readyz 200, populated (ms)",
        ms(full_ready)
    );
    println!(
        "{:<44} {:>10.1}",
        "idle RSS, populated (MiB)",
        full_idle_rss as f64 / 1024.0
    );
    let figures = serde_json::json!({
        "objects": args.objects,
        "empty_ready_ms": ms(empty_ready),
        "empty_idle_rss_kib": idle_rss,
        "empty_idle_rss_anon_kib": idle_anon,
        "empty_idle_rss_file_kib": idle_file,
        "populate_seconds": populate.as_secs_f64(),
        "populated_ready_ms": ms(full_ready),
        "populated_idle_rss_kib": full_idle_rss,
    });
    std::fs::write(&args.output, serde_json::to_vec_pretty(&figures)?)?;
    println!("figures written to {}", args.output.display());
    Ok(())
}

fn unix_nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default()
}

/// The send time a watch line carries: the `bench/sent-ns` annotation of an `ADDED`
/// event. The watchers share the two cores with the server, so they read each line's
/// bytes instead of decoding it: kube's line codec and a serde decode per event for
/// 1,000 watchers were about a tenth of the machine, time the server then lacked. The
/// server writes every event on its own line, `{"type":"ADDED","object":{...}}` (or
/// with the two keys the other way round).
fn sent_nanos(line: &[u8]) -> Option<u128> {
    const KEY: &[u8] = br#""bench/sent-ns":""#;
    if !(line.starts_with(br#"{"type":"ADDED","#) || line.ends_with(br#","type":"ADDED"}"#)) {
        return None;
    }
    let at = line.windows(KEY.len()).position(|w| w == KEY)? + KEY.len();
    let digits = &line[at..];
    let end = digits.iter().position(|b| !b.is_ascii_digit())?;
    std::str::from_utf8(&digits[..end]).ok()?.parse().ok()
}

/// Reads one watch's lines until it ends, recording each `ADDED` pod's delivery
/// latency. Headers came back before this is called, so the watch is open.
async fn read_watch(
    mut body: http_body_util::BodyDataStream<kube::client::Body>,
    latencies: &Mutex<Vec<Duration>>,
) {
    let mut pending: Vec<u8> = Vec::new();
    while let Some(Ok(chunk)) = body.next().await {
        pending.extend_from_slice(&chunk);
        let mut start = 0;
        while let Some(newline) = pending[start..].iter().position(|&b| b == b'\n') {
            let line = &pending[start..start + newline];
            if let Some(sent) = sent_nanos(line) {
                let delay = unix_nanos().saturating_sub(sent);
                if let Ok(mut all) = latencies.lock() {
                    all.push(Duration::from_nanos(delay as u64));
                }
            }
            start += newline + 1;
        }
        pending.drain(..start);
    }
}

pub async fn watch(args: WatchBenchArgs) -> Result<()> {
    let dir = tempfile::tempdir().context("temp dir")?;
    let server = super::spawn_server(dir.path())?;
    let latencies: Arc<Mutex<Vec<Duration>>> = Arc::default();
    // A connection carries at most ~100 streams here, so watchers get their own clients.
    let mut clients = Vec::new();
    for _ in 0..args.watchers.div_ceil(100).max(1) {
        clients.push(client_for(dir.path()).await?);
    }
    let mut tasks = Vec::new();
    let opened = Arc::new(AtomicUsize::new(0));
    for w in 0..args.watchers {
        let client = clients[w % clients.len()].clone();
        let latencies = latencies.clone();
        let opened = opened.clone();
        tasks.push(tokio::spawn(async move {
            let params = WatchParams::default().timeout(290);
            let Ok(mut request) =
                kube::core::Request::new("/api/v1/namespaces/default/pods").watch(&params, "0")
            else {
                return;
            };
            request.headers_mut().insert(
                http::header::ACCEPT_ENCODING,
                http::HeaderValue::from_static("identity"),
            );
            let Ok(response) = client.send(request.map(kube::client::Body::from)).await else {
                return;
            };
            if !response.status().is_success() {
                return;
            }
            opened.fetch_add(1, Ordering::Relaxed);
            read_watch(response.into_body().into_data_stream(), &latencies).await;
        }));
    }
    // Every watch is open (its response has begun) before the first pod: a watch that
    // opened later would get the pods before it as its initial events, and count their
    // age as delivery latency.
    let opening = Instant::now();
    while opened.load(Ordering::Relaxed) < args.watchers {
        if opening.elapsed() > Duration::from_secs(60) {
            anyhow::bail!(
                "only {} of {} watches opened",
                opened.load(Ordering::Relaxed),
                args.watchers
            );
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let opening = opening.elapsed();
    let api: Api<Pod> = Api::namespaced(clients[0].clone(), "default");
    let begin = Instant::now();
    let mut creates = Vec::with_capacity(args.pods);
    for i in 0..args.pods {
        let pod: Pod = serde_json::from_value(serde_json::json!({
            "metadata": {"name": format!("watched-{i}"),
                         "annotations": {"bench/sent-ns": unix_nanos().to_string()}},
            "spec": {"containers": [{"name": "app", "image": "nginx:1.25"}]},
        }))?;
        let call = Instant::now();
        api.create(&PostParams::default(), &pod).await?;
        creates.push(call.elapsed());
    }
    creates.sort();
    let expected = args.pods * args.watchers;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let seen = latencies.lock().map(|l| l.len()).unwrap_or(0);
        if seen >= expected || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let churn = begin.elapsed();
    let rss = rss_kib(server.0.id()).unwrap_or(0);
    for task in &tasks {
        task.abort();
    }
    drop(server);
    let mut all = latencies.lock().map(|l| l.clone()).unwrap_or_default();
    all.sort();
    let pick = |p: f64| {
        all.get(((all.len().max(1) - 1) as f64 * p).round() as usize)
            .copied()
            .unwrap_or_default()
    };
    println!(
        "bosun bench watch ({} watchers, {} pods)",
        args.watchers, args.pods
    );
    println!("{:<40} {:>10}", "figure", "value");
    println!("{:<40} {:>10}", "events delivered", all.len());
    println!("{:<40} {:>10}", "events expected", expected);
    println!(
        "{:<40} {:>10.2}",
        "delivery latency p50 (ms)",
        ms(pick(0.5))
    );
    println!(
        "{:<40} {:>10.2}",
        "delivery latency p99 (ms)",
        ms(pick(0.99))
    );
    println!(
        "{:<40} {:>10.2}",
        "delivery latency max (ms)",
        ms(pick(1.0))
    );
    println!(
        "{:<40} {:>10.2}",
        "create call p50 (ms)",
        ms(percentile(&creates, 0.5))
    );
    println!(
        "{:<40} {:>10.2}",
        "create call p99 (ms)",
        ms(percentile(&creates, 0.99))
    );
    println!(
        "{:<40} {:>10.1}",
        "opening every watch (s)",
        opening.as_secs_f64()
    );
    println!(
        "{:<40} {:>10.1}",
        "creates + deliveries (s)",
        churn.as_secs_f64()
    );
    println!("{:<40} {:>10.1}", "server RSS (MiB)", rss as f64 / 1024.0);
    let figures = serde_json::json!({
        "watchers": args.watchers,
        "pods": args.pods,
        "delivered": all.len(),
        "expected": expected,
        "latency_ms": {"p50": ms(pick(0.5)), "p99": ms(pick(0.99)), "max": ms(pick(1.0))},
        "server_rss_kib": rss,
        "opening_seconds": opening.as_secs_f64(),
        "create_ms": {"p50": ms(percentile(&creates, 0.5)), "p99": ms(percentile(&creates, 0.99))},
    });
    std::fs::write(&args.output, serde_json::to_vec_pretty(&figures)?)?;
    println!("figures written to {}", args.output.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::sent_nanos;

    #[test]
    fn a_watch_line_gives_its_send_time_only_when_it_adds_a_pod() {
        let object =
            r#"{"metadata":{"name":"p","annotations":{"bench/sent-ns":"1764300000123456789"}}}"#;
        let added = format!(r#"{{"type":"ADDED","object":{object}}}"#);
        assert_eq!(
            sent_nanos(added.as_bytes()),
            Some(1_764_300_000_123_456_789)
        );
        let reordered = format!(r#"{{"object":{object},"type":"ADDED"}}"#);
        assert_eq!(
            sent_nanos(reordered.as_bytes()),
            Some(1_764_300_000_123_456_789)
        );
        let modified = format!(r#"{{"type":"MODIFIED","object":{object}}}"#);
        assert_eq!(sent_nanos(modified.as_bytes()), None);
        let unannotated = r#"{"type":"ADDED","object":{"metadata":{"name":"p"}}}"#;
        assert_eq!(sent_nanos(unannotated.as_bytes()), None);
    }
}
