//! The `bosun` binary: a thin composition of the library crates behind a CLI.
//!
//! `bosun server` runs the datastore and the API server (and, as they land, the
//! controllers, the scheduler and a local node agent) in one process.

mod bench;
mod pki;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "bosun",
    version,
    about = "A Kubernetes-compatible container orchestrator in one binary"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the API server and its datastore (and the local node, once it exists).
    Server(ServerArgs),
    /// Benchmarks that run the real server as a separate process and print figures.
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Start-up time, pod creation throughput and latency over HTTP, idle memory.
    Api(bench::ApiBenchArgs),
}

#[derive(clap::Args)]
struct ServerArgs {
    /// Directory holding the datastore, the cluster CA and the admin kubeconfig.
    #[arg(long, default_value = "./bosun-data")]
    data_dir: PathBuf,
    /// Address to serve the API on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:6443")]
    bind: SocketAddr,
    /// Do not run a local node agent in this process.
    #[arg(long)]
    no_agent: bool,
    /// How often old history is compacted (e.g. 300s, 5m); watches older than about
    /// one interval get 410 Gone.
    #[arg(long, default_value = "5m", value_parser = parse_duration)]
    compaction_interval: Duration,
    /// How long a node may stop reporting before it is marked Unknown and tainted
    /// unreachable.
    #[arg(long, default_value = "40s", value_parser = parse_duration)]
    node_monitor_grace_period: Duration,
    /// Seconds pods tolerate an unreachable node before eviction (added to every pod
    /// without its own toleration).
    #[arg(long, default_value_t = 300)]
    default_unreachable_toleration_seconds: i64,
    /// Seconds pods tolerate a not-ready node before eviction.
    #[arg(long, default_value_t = 300)]
    default_not_ready_toleration_seconds: i64,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let (number, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = number
        .parse()
        .map_err(|_| format!("invalid duration {s:?} (use e.g. 30s, 5m, 1h)"))?;
    let seconds = match unit {
        "" | "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        _ => return Err(format!("invalid duration unit in {s:?} (use s, m or h)")),
    };
    if seconds == 0 {
        return Err("the interval must be positive".into());
    }
    Ok(Duration::from_secs(seconds))
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("BOSUN_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    match cli.command {
        Command::Server(args) => runtime.block_on(server(args)),
        Command::Bench(BenchCommand::Api(args)) => runtime.block_on(bench::api(args)),
    }
}

async fn server(args: ServerArgs) -> Result<()> {
    std::fs::create_dir_all(&args.data_dir)
        .with_context(|| format!("creating data dir {}", args.data_dir.display()))?;
    let data_dir = args
        .data_dir
        .canonicalize()
        .with_context(|| format!("resolving {}", args.data_dir.display()))?;
    let ca = pki::load_or_create_ca(&data_dir)?;
    let store = bosun_store::EmbeddedStore::open(&data_dir.join("store.wal"))
        .with_context(|| format!("opening the datastore in {}", data_dir.display()))?;
    let store: Arc<dyn bosun_store::Store> = Arc::new(store);

    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .with_context(|| format!("binding {}", args.bind))?;
    let local = listener.local_addr()?;
    let client_host = if local.ip().is_unspecified() {
        "127.0.0.1".to_string()
    } else {
        local.ip().to_string()
    };
    let server_url = format!(
        "http://{}",
        SocketAddr::new(client_host.parse()?, local.port())
    );

    let (router, _state) = bosun_apiserver::build(
        store,
        bosun_apiserver::Config {
            ca_pem: ca,
            advertise_address: format!("{client_host}:{}", local.port()),
            compaction_interval: args.compaction_interval,
            toleration_seconds: bosun_api::defaults::TolerationSeconds {
                not_ready: args.default_not_ready_toleration_seconds,
                unreachable: args.default_unreachable_toleration_seconds,
            },
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("starting the API server: {e}"))?;

    // Controllers are API clients like any other, through the router in-process.
    bosun_controllers::start(
        kube::Client::new(router.clone(), "default"),
        bosun_controllers::Options {
            node_lifecycle: bosun_controllers::node_lifecycle::NodeLifecycleOptions {
                grace_period: args.node_monitor_grace_period,
                // Upstream checks every 5 s against a 40 s grace; keep that proportion
                // when the grace period is shortened.
                monitor_period: (args.node_monitor_grace_period / 8)
                    .clamp(Duration::from_millis(250), Duration::from_secs(5)),
            },
        },
    );

    let kubeconfig = data_dir.join("kubeconfig");
    write_kubeconfig(&kubeconfig, &server_url)?;
    if !args.no_agent {
        tracing::info!(
            "no local node agent yet: this build serves the API only (as with --no-agent)"
        );
    }
    println!(
        "bosun server ready at {server_url} (data in {}); to use it: export KUBECONFIG={}",
        data_dir.display(),
        kubeconfig.display()
    );

    let serve = axum::serve(listener, router).with_graceful_shutdown(shutdown_signal());
    tokio::select! {
        result = serve => result.context("serving the API")?,
        () = async {
            shutdown_signal().await;
            // Open watches never end on their own; give requests a moment, then stop.
            tokio::time::sleep(Duration::from_secs(3)).await;
        } => {}
    }
    tracing::info!("bosun server stopped");
    Ok(())
}

async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => return std::future::pending().await,
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}

fn write_kubeconfig(path: &Path, server_url: &str) -> Result<()> {
    let text = format!(
        "apiVersion: v1
kind: Config
clusters:
- name: bosun
  cluster:
    server: {server_url}
users:
- name: admin
  user: {{}}
contexts:
- name: bosun
  context:
    cluster: bosun
    user: admin
    namespace: default
current-context: bosun
"
    );
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}
