//! The `bosun` binary: a thin composition of the library crates behind a CLI.
//!
//! `bosun server` runs the datastore and the API server (and, as they land, the
//! controllers, the scheduler and a local node agent) in one process.

mod bench;
mod failover;
mod inflight;
mod join;
mod node;
mod pki;
mod snapshot;
mod trim;

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

/// mimalloc rather than the C library's allocator: a profile of pod creates spent a
/// quarter of the server's time in glibc's malloc and free (its arenas consolidate and
/// unlink chunks on the request path), and the server allocates many small JSON values.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// Run node agents that join a server: one node, or many hollow ones.
    Agent(AgentArgs),
    /// Benchmarks that run the real server as a separate process and print figures.
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Point-in-time copies of the embedded datastore.
    #[command(subcommand)]
    Snapshot(snapshot::SnapshotCommand),
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Start-up time, pod creation throughput and latency over HTTP, idle memory.
    Api(bench::ApiBenchArgs),
    /// A Deployment on hollow nodes: apply → available, then a rolling update.
    Rollout(bench::RolloutBenchArgs),
    /// Binding many pods over many hollow nodes; hollow node memory.
    Scheduler(bench::SchedulerBenchArgs),
    /// Exec → ready on an empty and a populated data dir; idle memory.
    Startup(bench::StartupBenchArgs),
    /// Many watchers on pods while pods are created: delivery latency, memory.
    Watch(bench::WatchBenchArgs),
    /// Many hollow nodes and Deployments: time to all available, peak memory, API latency.
    Density(bench::DensityBenchArgs),
    /// Real containers through containerd: pod start latency, a Deployment's rollout.
    Containers(bench::ContainersBenchArgs),
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
    /// Name of the local node (default: this machine's host name).
    #[arg(long)]
    node_name: Option<String>,
    /// Also run this many simulated (hollow) nodes, named `hollow-0 …` (`hollow` when 1).
    #[arg(long, default_value_t = 0)]
    hollow_nodes: usize,
    #[command(flatten)]
    hollow: HollowArgs,
    #[command(flatten)]
    runtime: node::RuntimeArgs,
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
    /// Extra names or IP addresses for the serving certificate (repeatable).
    #[arg(long = "tls-san", value_name = "NAME")]
    tls_sans: Vec<String>,
    /// Static bearer tokens, one `token,user,uid[,"group1,group2"]` per line
    /// (upstream's `--token-auth-file`).
    #[arg(long, value_name = "FILE")]
    token_auth_file: Option<PathBuf>,
    /// Where objects live: `embedded` (a crash-safe store in the data dir) or
    /// `etcd://HOST:PORT[,HOST:PORT…]` (shared by every server of the cluster; the
    /// controllers and the scheduler then run under leader election).
    #[arg(long, default_value = "embedded")]
    datastore: String,
    /// CA bundle to verify etcd's certificates (makes the etcd connection TLS).
    #[arg(long, value_name = "FILE")]
    etcd_cafile: Option<PathBuf>,
    /// Client certificate for etcd.
    #[arg(long, value_name = "FILE")]
    etcd_certfile: Option<PathBuf>,
    /// Client key for etcd.
    #[arg(long, value_name = "FILE")]
    etcd_keyfile: Option<PathBuf>,
}

#[derive(clap::Args)]
struct HollowArgs {
    /// Image references the hollow runtime fails to pull (`ErrImagePull` →
    /// `ImagePullBackOff`); default: the tag `1.161` and references containing `bad`,
    /// `invalid`, `missing` or `nonexistent`.
    #[arg(long)]
    hollow_unpullable: Option<String>,
    /// How long a hollow container takes to start (e.g. `250ms`, `1s`).
    #[arg(long, value_parser = parse_duration_ms)]
    hollow_start_delay: Option<Duration>,
    /// CPU capacity each node reports.
    #[arg(long, default_value = "4")]
    node_cpu: String,
    /// Memory capacity each node reports.
    #[arg(long, default_value = "8Gi")]
    node_memory: String,
    /// How many pods each node accepts.
    #[arg(long, default_value = "110")]
    node_max_pods: String,
    /// How often nodes renew their lease and post their status (upstream kubelet's
    /// `--node-status-update-frequency`); keep it well under the server's
    /// `--node-monitor-grace-period`.
    #[arg(long, default_value = "10s", value_parser = parse_duration_ms)]
    node_status_update_frequency: Duration,
}

impl HollowArgs {
    /// Agent options for nodes named `name` with these settings.
    fn agent_options(&self, name: String) -> Result<bosun_agent::AgentOptions> {
        let mut options = bosun_agent::AgentOptions::new(name);
        options.hollow = self.options()?;
        options.capacity.cpu = self.node_cpu.clone();
        options.capacity.memory = self.node_memory.clone();
        options.capacity.pods = self.node_max_pods.clone();
        options.lease_renew = self.node_status_update_frequency;
        options.status_update = self.node_status_update_frequency;
        Ok(options)
    }

    fn options(&self) -> Result<bosun_agent::HollowOptions> {
        let mut hollow = bosun_agent::HollowOptions::default();
        if let Some(pattern) = &self.hollow_unpullable {
            hollow.unpullable = bosun_agent::ImagePattern::new(pattern)
                .map_err(|e| anyhow::anyhow!("--hollow-unpullable: {e}"))?;
        }
        if let Some(delay) = self.hollow_start_delay {
            hollow.start_delay = delay;
        }
        Ok(hollow)
    }
}

#[derive(clap::Args)]
struct AgentArgs {
    /// Kubeconfig of the server to join (instead of `--server` and `--token`).
    #[arg(long, conflicts_with_all = ["server", "token"])]
    kubeconfig: Option<PathBuf>,
    /// The server to join, `https://HOST:PORT`; needs `--token`.
    #[arg(long, requires = "token")]
    server: Option<String>,
    /// The server's join token (`DATA_DIR/node-token` on the server); it pins the
    /// server's CA, so joining a server with another CA is refused.
    #[arg(long, requires = "server")]
    token: Option<String>,
    /// Where the agent keeps its client certificate and kubeconfig after joining.
    #[arg(long, default_value = "./bosun-agent")]
    data_dir: PathBuf,
    /// Node name; with `--nodes N > 1`, the prefix of `NAME-0 … NAME-(N-1)`.
    #[arg(long)]
    name: Option<String>,
    #[command(flatten)]
    runtime: node::RuntimeArgs,
    /// How many nodes this process runs.
    #[arg(long, default_value_t = 1)]
    nodes: usize,
    #[command(flatten)]
    hollow: HollowArgs,
}

/// Starts the scheduler on a thread and runtime of its own, as upstream runs it in a
/// process of its own. On the server's runtime it was one task among hundreds of
/// request handlers: at 150,000 pods it fell more than the watch cache's ring behind,
/// and relisted every pod again and again. The requests it makes run there too.
fn spawn_scheduler(client: kube::Client) {
    let spawned = std::thread::Builder::new()
        .name("scheduler".into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(err) => {
                    tracing::error!(%err, "scheduler runtime");
                    return;
                }
            };
            runtime.block_on(run_scheduler(client));
        });
    if let Err(err) = spawned {
        tracing::error!(%err, "starting the scheduler thread");
    }
}

async fn run_scheduler(client: kube::Client) {
    if let Err(err) = bosun_scheduler::run(client, Default::default()).await {
        tracing::error!(%err, "scheduler stopped");
    }
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_ascii_lowercase())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "bosun".to_string())
}

/// Milliseconds or longer durations: `250ms`, `2s`, `1m`.
fn parse_duration_ms(s: &str) -> Result<Duration, String> {
    match s.strip_suffix("ms") {
        Some(ms) => ms
            .parse::<u64>()
            .map(Duration::from_millis)
            .map_err(|_| format!("invalid duration {s:?}")),
        None => parse_duration(s),
    }
}

async fn agent(args: AgentArgs) -> Result<()> {
    let name = args.name.clone().unwrap_or_else(host_name);
    let client = match (&args.kubeconfig, &args.server, &args.token) {
        (Some(path), _, _) => join::client_from_kubeconfig(path).await?,
        (None, Some(server), Some(token)) => {
            if args.nodes != 1 {
                anyhow::bail!(
                    "a node joining with --token runs one node (it gets one node's certificate); use --kubeconfig for many hollow nodes"
                );
            }
            join::join(server, token, &args.data_dir, &name).await?
        }
        _ => anyhow::bail!(
            "say which server to join: --server URL --token TOKEN, or --kubeconfig FILE"
        ),
    };
    let mut options = args.hollow.agent_options(name.clone())?;
    let what = if args.nodes == 1 {
        let ca_pem = join::cluster_ca(args.kubeconfig.as_deref(), &args.data_dir)?;
        node::prepare(
            &args.runtime,
            client.clone(),
            &mut options,
            &args.data_dir,
            &ca_pem,
        )
        .await?
    } else {
        if args.runtime.runtime == node::RuntimeArg::Cri {
            anyhow::bail!("--runtime cri runs one node per agent; drop --nodes");
        }
        "hollow runtime: containers are simulated".to_string()
    };
    println!(
        "bosun agent: running {} node(s) named after {name} ({what})",
        args.nodes
    );
    let run = async {
        if args.nodes == 1 {
            bosun_agent::run_node(client, options).await
        } else {
            // Thousands of nodes on one HTTP/1.1 client: see `inflight`.
            let client = inflight::capped(client, inflight::MAX_IN_FLIGHT);
            bosun_agent::run_hollow_nodes(client, args.nodes, &name, options).await
        }
    };
    tokio::select! {
        result = run => result.map_err(|e| anyhow::anyhow!("node agent: {e}")),
        () = shutdown_signal() => Ok(()),
    }
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
        Command::Agent(args) => runtime.block_on(agent(args)),
        Command::Snapshot(command) => runtime.block_on(snapshot::run(command)),
        Command::Bench(BenchCommand::Api(args)) => runtime.block_on(bench::api(args)),
        Command::Bench(BenchCommand::Rollout(args)) => runtime.block_on(bench::rollout(args)),
        Command::Bench(BenchCommand::Scheduler(args)) => runtime.block_on(bench::scheduler(args)),
        Command::Bench(BenchCommand::Startup(args)) => runtime.block_on(bench::startup(args)),
        Command::Bench(BenchCommand::Watch(args)) => runtime.block_on(bench::watch(args)),
        Command::Bench(BenchCommand::Density(args)) => runtime.block_on(bench::density(args)),
        Command::Bench(BenchCommand::Containers(args)) => runtime.block_on(bench::containers(args)),
    }
}

async fn server(args: ServerArgs) -> Result<()> {
    pki::prepare_data_dir(&args.data_dir)?;
    let data_dir = args
        .data_dir
        .canonicalize()
        .with_context(|| format!("resolving {}", args.data_dir.display()))?;
    let static_tokens = match &args.token_auth_file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            bosun_apiserver::auth::tokens::parse_token_file(&text)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
        }
        None => Default::default(),
    };
    let (store, shared): (Arc<dyn bosun_store::Store>, bool) = if args.datastore == "embedded" {
        let store = bosun_store::EmbeddedStore::open(&data_dir.join("store.wal"))
            .with_context(|| format!("opening the datastore in {}", data_dir.display()))?;
        (Arc::new(store), false)
    } else {
        let mut config = bosun_store::EtcdConfig::parse(&args.datastore)
            .map_err(|e| anyhow::anyhow!("--datastore: {e}"))?;
        config.ca_file = args.etcd_cafile.clone();
        config.cert_file = args.etcd_certfile.clone();
        config.key_file = args.etcd_keyfile.clone();
        let scheme = if config.ca_file.is_some() {
            "https"
        } else {
            "http"
        };
        config.endpoints = config
            .endpoints
            .iter()
            .map(|e| format!("{scheme}://{e}"))
            .collect();
        let store = bosun_store::EtcdStore::connect(&config)
            .await
            .map_err(|e| {
                anyhow::anyhow!(
                    "cannot reach etcd at {} ({e}); start etcd or fix --datastore",
                    config.endpoints.join(",")
                )
            })?;
        (Arc::new(store), true)
    };
    if shared {
        // Every server of the cluster must trust and sign with the same keys.
        pki::share_through_store(&data_dir, store.as_ref()).await?;
    }

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
        "https://{}",
        SocketAddr::new(client_host.parse()?, local.port())
    );
    let keys = pki::load_or_create(&data_dir, &serving_names(&args, local))?;
    let tls = bosun_apiserver::auth::tls::server_config(&keys.serving, &keys.ca.cert_pem)
        .map_err(|e| anyhow::anyhow!("TLS: {e}"))?;
    let (_, join_credentials) = pki::parse_join_token(&keys.join_token)
        .context("the join token in the data dir is malformed")?;

    let (router, state) = bosun_apiserver::build(
        store,
        bosun_apiserver::Config {
            ca_pem: keys.ca.cert_pem.clone(),
            advertise_address: format!("{client_host}:{}", local.port()),
            compaction_interval: args.compaction_interval,
            toleration_seconds: bosun_api::defaults::TolerationSeconds {
                not_ready: args.default_not_ready_toleration_seconds,
                unreachable: args.default_unreachable_toleration_seconds,
            },
            auth: bosun_apiserver::auth::AuthConfig {
                ca: Some((keys.ca.cert_pem.clone(), keys.ca_key_pem.clone())),
                service_account_key: Some(keys.service_account_key_pem.clone()),
                static_tokens,
            },
            join_token: Some(join_credentials),
            kubelet_client: Some(bosun_apiserver::KubeletClientIdentity {
                cert_chain_pem: keys.kubelet_client.cert_pem.clone(),
                key_pem: keys.kubelet_client.key_pem.clone(),
            }),
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("starting the API server: {e}"))?;

    state.metrics.register(|registry| {
        bosun_controllers::metrics::register(registry);
        bosun_scheduler::metrics::register(registry);
    });

    // Controllers are API clients like any other, through the router in-process, each
    // with its own identity (the controllers, like upstream's garbage collector, act on
    // every kind, so they run as masters; the scheduler and nodes meet RBAC and node
    // restriction like remote ones).
    let as_user = |name: &str, groups: &[&str]| {
        kube::Client::new(
            bosun_apiserver::auth::InProcess::new(
                router.clone(),
                bosun_apiserver::auth::user(name, groups),
            ),
            "default",
        )
    };
    let controller_options = bosun_controllers::Options {
        node_lifecycle: bosun_controllers::node_lifecycle::NodeLifecycleOptions {
            grace_period: args.node_monitor_grace_period,
            // Upstream checks every 5 s against a 40 s grace; keep that proportion
            // when the grace period is shortened.
            monitor_period: (args.node_monitor_grace_period / 8)
                .clamp(Duration::from_millis(250), Duration::from_secs(5)),
        },
    };
    let controllers_client = as_user("system:kube-controller-manager", &["system:masters"]);
    let scheduler_client = as_user("system:kube-scheduler", &[]);
    if shared {
        // Several servers share the datastore: each component runs where it holds its
        // Lease, so two instances never act at once.
        let identity = bosun_controllers::leader::identity(&host_name());
        let config = |name: &str| bosun_controllers::leader::LeaderConfig::new(name, &identity);
        run_when_leading(
            bosun_controllers::leader::Elector::new(
                controllers_client.clone(),
                config("bosun-controller-manager"),
            ),
            move || {
                bosun_controllers::start(controllers_client.clone(), controller_options.clone());
            },
        );
        run_when_leading(
            bosun_controllers::leader::Elector::new(
                scheduler_client.clone(),
                config("bosun-scheduler"),
            ),
            // On the runtime of its own that a led component gets.
            move || {
                tokio::spawn(run_scheduler(scheduler_client.clone()));
            },
        );
    } else {
        bosun_controllers::start(controllers_client, controller_options);
        spawn_scheduler(scheduler_client);
    }
    // In-process nodes report often enough for a shortened grace period.
    let report_every = args
        .hollow
        .node_status_update_frequency
        .min(args.node_monitor_grace_period / 4);
    let node_options = |name: String| -> Result<bosun_agent::AgentOptions> {
        let mut options = args.hollow.agent_options(name)?;
        options.lease_renew = report_every;
        options.status_update = report_every;
        Ok(options)
    };
    let mut local_node_line = None;
    if !args.no_agent {
        let name = args.node_name.clone().unwrap_or_else(host_name);
        let mut options = node_options(name.clone())?;
        let client = as_user(&format!("system:node:{name}"), &["system:nodes"]);
        let what = node::prepare(
            &args.runtime,
            client.clone(),
            &mut options,
            &data_dir.join("node"),
            &keys.ca.cert_pem,
        )
        .await?;
        tracing::info!(node = %options.node_name, "running the local node ({what})");
        local_node_line = Some(format!("local node {name}: {what}"));
        tokio::spawn(async move {
            if let Err(err) = bosun_agent::run_node(client, options).await {
                tracing::error!(%err, "local node agent stopped");
            }
        });
    }
    if args.hollow_nodes > 0 {
        let options = node_options("hollow".into())?;
        // One simulator process speaks for many nodes, so it cannot be any one of them.
        let client = as_user("system:hollow-node-simulator", &["system:masters"]);
        let count = args.hollow_nodes;
        tokio::spawn(async move {
            if let Err(err) = bosun_agent::run_hollow_nodes(client, count, "hollow", options).await
            {
                tracing::error!(%err, "hollow nodes stopped");
            }
        });
    }

    let kubeconfig = data_dir.join("kubeconfig");
    write_kubeconfig(&kubeconfig, &server_url, &keys)?;
    println!(
        "bosun server ready at {server_url} (data in {}); to use it: export KUBECONFIG={}",
        data_dir.display(),
        kubeconfig.display()
    );
    // Best effort: whoever started us may only have wanted the ready line.
    let _ = writeln!(
        std::io::stdout(),
        "nodes join with: bosun agent --server {server_url} --token $(cat {})",
        data_dir.join("node-token").display()
    );
    if let Some(line) = local_node_line {
        let _ = writeln!(std::io::stdout(), "{line}");
    }
    // Start-up is over once the first lists and watches are in place.
    tokio::spawn(async {
        tokio::time::sleep(Duration::from_secs(2)).await;
        match tokio::task::spawn_blocking(trim::release_startup_pages).await {
            Ok(Ok(bytes)) => tracing::debug!(bytes, "paged out the executable's start-up pages"),
            Ok(Err(err)) => tracing::debug!(%err, "could not page out start-up pages"),
            Err(_) => {}
        }
    });

    let serve = bosun_apiserver::auth::tls::serve(listener, router, tls, shutdown_signal());
    tokio::select! {
        () = serve => {},
        () = async {
            shutdown_signal().await;
            // Open watches never end on their own; give requests a moment, then stop.
            tokio::time::sleep(Duration::from_secs(3)).await;
        } => {}
    }
    tracing::info!("bosun server stopped");
    Ok(())
}

/// Runs `start` while `elector` holds its Lease. The component gets a runtime of its
/// own, so losing the Lease stops every task it spawned (dropping that runtime) while
/// the API server in this process keeps serving; it starts afresh when the Lease is
/// won again.
fn run_when_leading(
    mut elector: bosun_controllers::leader::Elector,
    start: impl Fn() + Send + Sync + 'static,
) {
    let start = Arc::new(start);
    tokio::spawn(async move {
        loop {
            elector.acquire().await;
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(err) => {
                    tracing::error!(%err, "cannot start a runtime for a led component");
                    return;
                }
            };
            let start = start.clone();
            runtime.spawn(async move { start() });
            elector.hold().await;
            tracing::error!("lost the lease; stopping the component until it is won again");
            runtime.shutdown_background();
        }
    });
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

/// DNS names and addresses the serving certificate covers: loopback, this host, the
/// bind address, the in-cluster `kubernetes` Service names and address, `--tls-san`.
fn serving_names(args: &ServerArgs, local: SocketAddr) -> Vec<String> {
    let mut names: Vec<String> = [
        "localhost",
        "127.0.0.1",
        "::1",
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        "kubernetes.default.svc.cluster.local",
        "10.96.0.1",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    names.push(host_name());
    if !local.ip().is_unspecified() {
        names.push(local.ip().to_string());
    }
    names.extend(args.tls_sans.iter().cloned());
    let mut seen = std::collections::HashSet::new();
    names.retain(|n| seen.insert(n.clone()));
    names
}

/// The admin kubeconfig: the CA to verify the server with and the admin client
/// certificate, embedded so the file stands alone.
fn write_kubeconfig(path: &Path, server_url: &str, keys: &pki::KeyMaterial) -> Result<()> {
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let text = format!(
        "apiVersion: v1
kind: Config
clusters:
- name: bosun
  cluster:
    server: {server_url}
    certificate-authority-data: {ca}
users:
- name: admin
  user:
    client-certificate-data: {cert}
    client-key-data: {key}
contexts:
- name: bosun
  context:
    cluster: bosun
    user: admin
    namespace: default
current-context: bosun
",
        ca = b64(&keys.ca.cert_pem),
        cert = b64(&keys.admin.cert_pem),
        key = b64(&keys.admin.key_pem),
    );
    pki::write_private(path, text.as_bytes())
}
