//! A node's container runtime, chosen from the command line: the CRI runtime (real
//! containers through containerd) with the node's HTTPS endpoint for logs, or the hollow
//! runtime. `auto` takes the CRI when its socket exists and says so when it does not, so
//! `bosun server` on a machine without containerd still starts, with simulated containers.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use bosun_agent::runtime::cri::{CriOptions, CriRuntime, DEFAULT_SOCKET};
use bosun_agent::{AgentOptions, RuntimeKind};

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RuntimeArg {
    /// The CRI runtime when its socket exists, otherwise the hollow one.
    Auto,
    /// Real containers through a CRI runtime (containerd) on `--cri-socket`.
    Cri,
    /// Simulated containers (for tests and scale runs).
    Hollow,
}

#[derive(Clone, clap::Args)]
pub struct RuntimeArgs {
    /// Container runtime of the node(s) this process runs.
    #[arg(long, value_enum, default_value = "auto")]
    pub runtime: RuntimeArg,
    /// The CRI socket (containerd's).
    #[arg(long, value_name = "PATH", default_value = DEFAULT_SOCKET)]
    pub cri_socket: PathBuf,
    /// Port of the node's HTTPS endpoint, through which the API server reads container
    /// logs (the kubelet's 10250); 0 picks a free port. Only with the CRI runtime.
    #[arg(long, default_value_t = 10250)]
    pub kubelet_port: u16,
    /// The node's InternalIP with the CRI runtime (default: the address of the interface
    /// that routes outward, else 127.0.0.1).
    #[arg(long)]
    pub node_ip: Option<IpAddr>,
    /// A container log past this size is rotated (the kubelet's `containerLogMaxSize`);
    /// `0` never rotates.
    #[arg(long, default_value = "10Mi", value_parser = parse_bytes)]
    pub container_log_max_size: u64,
    /// How many log files a container keeps, the current one included.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u16).range(2..))]
    pub container_log_max_files: u16,
}

/// A Kubernetes quantity of bytes: `10Mi`, `512Ki`, `1G`, `0`.
fn parse_bytes(text: &str) -> Result<u64, String> {
    bosun_agent::status::qos::parse_milli(text)
        .and_then(|milli| u64::try_from(milli / 1000).ok())
        .ok_or_else(|| format!("{text:?} is not a size such as 10Mi"))
}

/// The address this machine would send from, found without sending anything.
fn detect_node_ip() -> IpAddr {
    std::net::UdpSocket::bind("0.0.0.0:0")
        .and_then(|s| {
            s.connect("192.0.2.1:9")?;
            s.local_addr()
        })
        .map(|a| a.ip())
        .ok()
        .filter(|ip| !ip.is_unspecified())
        .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST))
}

/// Sets up `options.runtime` for one node. With the CRI runtime it also starts the
/// node's HTTPS endpoint (verifying clients against `ca_pem`) and sets the node's IP and
/// endpoint port. Returns a line saying what runs the containers.
pub async fn prepare(
    args: &RuntimeArgs,
    client: kube::Client,
    options: &mut AgentOptions,
    root: &Path,
    ca_pem: &str,
) -> Result<String> {
    let socket_exists = args.cri_socket.exists();
    match args.runtime {
        RuntimeArg::Hollow => return Ok("hollow runtime: containers are simulated".to_string()),
        RuntimeArg::Auto if !socket_exists => {
            return Ok(format!(
                "no CRI socket at {}: containers are simulated (hollow runtime); start containerd or pass --cri-socket PATH for real containers",
                args.cri_socket.display()
            ));
        }
        RuntimeArg::Cri if !socket_exists => bail!(
            "--runtime cri: no CRI socket at {} (is containerd running? see --cri-socket)",
            args.cri_socket.display()
        ),
        _ => {}
    }
    let node_ip = args.node_ip.unwrap_or_else(detect_node_ip);
    let cri = CriRuntime::connect(
        client,
        CriOptions {
            socket: args.cri_socket.clone(),
            root: root.to_path_buf(),
            node_name: options.node_name.clone(),
            host_ip: node_ip.to_string(),
            log_max_size: args.container_log_max_size,
            log_max_files: usize::from(args.container_log_max_files),
        },
    )
    .await
    .with_context(|| format!("the CRI runtime on {}", args.cri_socket.display()))?;
    let cri = Arc::new(cri);
    cri.start_log_rotation();
    let listener = tokio::net::TcpListener::bind(SocketAddr::new(
        IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        args.kubelet_port,
    ))
    .await
    .with_context(|| format!("binding the node endpoint on port {}", args.kubelet_port))?;
    let port = listener
        .local_addr()
        .context("node endpoint address")?
        .port();
    let (endpoint_cri, ca, name) = (cri.clone(), ca_pem.to_string(), options.node_name.clone());
    tokio::spawn(async move {
        if let Err(e) = bosun_agent::logs::serve(listener, endpoint_cri, &ca, &name).await {
            tracing::error!(error = %e, "the node endpoint stopped");
        }
    });
    let line = format!(
        "CRI runtime {}://{} on {}; node IP {node_ip}, endpoint port {port}",
        bosun_agent::Runtime::name(&*cri),
        bosun_agent::Runtime::version(&*cri),
        args.cri_socket.display()
    );
    options.runtime = RuntimeKind::Custom(cri);
    options.node_ip = Some(node_ip);
    options.kubelet_port = i32::from(port);
    Ok(line)
}
