//! `bosun bench …`: benchmarks that run the real `bosun server` (and `bosun agent`) as
//! separate processes and print figures. They measure; they assert nothing about speed.

mod api;
mod cluster;
mod containers;
mod density;
mod mixed;
mod scenarios;

pub use api::{ApiBenchArgs, api};
pub use cluster::{RolloutBenchArgs, SchedulerBenchArgs, rollout, scheduler};
pub use containers::{ContainersBenchArgs, containers};
pub use density::{DensityBenchArgs, density};
pub use scenarios::{StartupBenchArgs, WatchBenchArgs, startup, watch};

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use anyhow::{Context, Result, bail};

/// The server's `/metrics` text.
pub(crate) async fn scrape_metrics(client: &kube::Client) -> Result<String> {
    Ok(client
        .request_text(http::Request::get("/metrics").body(Vec::new())?)
        .await?)
}

/// The value of the first sample whose line starts with `series` (a metric name with
/// its trailing space, or a name and the start of its labels).
pub(crate) fn sample(metrics: &str, series: &str) -> Option<f64> {
    metrics
        .lines()
        .find(|l| l.starts_with(series))?
        .rsplit(' ')
        .next()?
        .parse()
        .ok()
}

/// A child process killed on drop.
pub(crate) struct Process(pub Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts this binary as `bosun server --no-agent` on a free port with `data_dir`, and
/// waits for its ready line.
pub(crate) fn spawn_server(data_dir: &Path) -> Result<Process> {
    spawn_server_with(data_dir, &[])
}

/// [`spawn_server`] with extra `bosun server` flags.
pub(crate) fn spawn_server_with(data_dir: &Path, extra: &[&str]) -> Result<Process> {
    let mut args = vec!["--no-agent"];
    args.extend_from_slice(extra);
    spawn_server_with_node(data_dir, &args)
}

/// This binary as `bosun server` with its local node (unless `extra` says
/// `--no-agent`), on a free port with `data_dir`; waits for its ready line.
pub(crate) fn spawn_server_with_node(data_dir: &Path, extra: &[&str]) -> Result<Process> {
    let exe = std::env::current_exe().context("locating the bosun binary")?;
    spawn_server_from(&exe, data_dir, extra)
}

/// [`spawn_server_with_node`] running the executable at `exe`.
pub(crate) fn spawn_server_from(exe: &Path, data_dir: &Path, extra: &[&str]) -> Result<Process> {
    let mut child = Command::new(exe)
        .args(["server", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .args(extra)
        .env("BOSUN_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .context("starting bosun server")?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().context("server stdout")?).read_line(&mut line)?;
    let process = Process(child);
    if !line.contains("ready") {
        bail!("server did not start: {line}");
    }
    Ok(process)
}
