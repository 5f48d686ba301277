//! Test-cluster helpers: real etcd clusters on loopback, each member a real `etcd`
//! process (Debian's `etcd-server`) with its own ports and data dir, stopped on drop.
//! Members can be killed and restarted to test what a datastore outage does.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running etcd cluster.
pub struct EtcdCluster {
    members: Vec<Member>,
    initial_cluster: String,
    token: String,
    _dir: tempfile::TempDir,
}

struct Member {
    name: String,
    client_port: u16,
    peer_port: u16,
    data_dir: PathBuf,
    /// The member's stderr, appended across restarts, so a test that fails because a
    /// member died or lost its leader can show why.
    log: PathBuf,
    process: Option<Child>,
}

fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// The `etcd` binary: `$BOSUN_ETCD` or `etcd` on `PATH`.
fn etcd_binary() -> String {
    std::env::var("BOSUN_ETCD").unwrap_or_else(|_| "etcd".to_string())
}

impl EtcdCluster {
    /// Starts `size` members and waits until the cluster serves.
    pub fn start(size: usize) -> Result<EtcdCluster, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let mut members = Vec::new();
        for i in 0..size {
            members.push(Member {
                name: format!("m{i}"),
                client_port: free_port().map_err(|e| e.to_string())?,
                peer_port: free_port().map_err(|e| e.to_string())?,
                data_dir: dir.path().join(format!("m{i}")),
                log: dir.path().join(format!("m{i}.log")),
                process: None,
            });
        }
        let initial_cluster = members
            .iter()
            .map(|m| format!("{}=http://127.0.0.1:{}", m.name, m.peer_port))
            .collect::<Vec<_>>()
            .join(",");
        let token = format!("bosun-test-{}", std::process::id());
        let mut cluster = EtcdCluster {
            members,
            initial_cluster,
            token,
            _dir: dir,
        };
        for i in 0..size {
            cluster.spawn(i)?;
        }
        cluster.wait_serving(Duration::from_secs(30))?;
        Ok(cluster)
    }

    fn spawn(&mut self, i: usize) -> Result<(), String> {
        let m = &mut self.members[i];
        let client = format!("http://127.0.0.1:{}", m.client_port);
        let peer = format!("http://127.0.0.1:{}", m.peer_port);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&m.log)
            .map_err(|e| format!("cannot open {}: {e}", m.log.display()))?;
        let child = Command::new(etcd_binary())
            .arg("--name")
            .arg(&m.name)
            .arg("--data-dir")
            .arg(&m.data_dir)
            .args([
                "--listen-client-urls",
                &client,
                "--advertise-client-urls",
                &client,
            ])
            .args([
                "--listen-peer-urls",
                &peer,
                "--initial-advertise-peer-urls",
                &peer,
            ])
            .args(["--initial-cluster", &self.initial_cluster])
            .args(["--initial-cluster-token", &self.token])
            .args(["--initial-cluster-state", "new"])
            // Fast elections on loopback: tests kill members on purpose.
            .args(["--heartbeat-interval", "50", "--election-timeout", "500"])
            .args(["--log-level", "warn"])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| {
                format!(
                    "cannot run {} ({e}); install Debian's etcd-server package",
                    etcd_binary()
                )
            })?;
        m.process = Some(child);
        Ok(())
    }

    /// Waits until a client can read through the live members. Runs its own runtime on
    /// its own thread, so it may be called from async tests too.
    pub fn wait_serving(&self, timeout: Duration) -> Result<(), String> {
        let endpoints = self.endpoints();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            let deadline = Instant::now() + timeout;
            loop {
                let config = crate::EtcdConfig {
                    endpoints: endpoints.clone(),
                    ..Default::default()
                };
                let ok = runtime.block_on(async {
                    match crate::EtcdStore::connect(&config).await {
                        Ok(store) => crate::Store::current_revision(&store).await.is_ok(),
                        Err(_) => false,
                    }
                });
                if ok {
                    return Ok(());
                }
                if Instant::now() > deadline {
                    return Err("etcd did not start serving".to_string());
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        })
        .join()
        .map_err(|_| "the readiness check panicked".to_string())?
    }

    /// Client URLs of the live members.
    pub fn endpoints(&self) -> Vec<String> {
        self.members
            .iter()
            .filter(|m| m.process.is_some())
            .map(|m| format!("http://127.0.0.1:{}", m.client_port))
            .collect()
    }

    /// Client URLs of every member, live or not.
    pub fn all_endpoints(&self) -> Vec<String> {
        self.members
            .iter()
            .map(|m| format!("http://127.0.0.1:{}", m.client_port))
            .collect()
    }

    /// `etcd://host:port,…` for `bosun server --datastore`.
    pub fn datastore_url(&self) -> String {
        let hosts: Vec<String> = self
            .members
            .iter()
            .map(|m| format!("127.0.0.1:{}", m.client_port))
            .collect();
        format!("etcd://{}", hosts.join(","))
    }

    /// Whether each member's process is running: `Err` names the members that were
    /// started and have exited on their own, with the end of their logs.
    pub fn check_alive(&mut self) -> Result<(), String> {
        let mut dead = Vec::new();
        for m in &mut self.members {
            if let Some(child) = &mut m.process
                && let Ok(Some(exit)) = child.try_wait()
            {
                dead.push(format!("{} exited ({exit})", m.name));
            }
        }
        if dead.is_empty() {
            Ok(())
        } else {
            Err(format!("{}\n{}", dead.join(", "), self.logs()))
        }
    }

    /// The last lines each member logged (warnings and errors), for a failing test's
    /// message.
    pub fn logs(&self) -> String {
        let mut out = String::new();
        for m in &self.members {
            let text = std::fs::read_to_string(&m.log).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            let tail = &lines[lines.len().saturating_sub(15)..];
            let state = if m.process.is_some() {
                "spawned; see above if it exited"
            } else {
                "killed by the test"
            };
            out.push_str(&format!("--- {} ({state}) ---\n", m.name));
            for line in tail {
                out.push_str(line);
                out.push('\n');
            }
        }
        out
    }

    /// `kill -9` of member `i`.
    pub fn kill(&mut self, i: usize) {
        if let Some(mut child) = self.members[i].process.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Restarts a killed member on its data dir (it rejoins the cluster).
    pub fn restart(&mut self, i: usize) -> Result<(), String> {
        if self.members[i].process.is_none() {
            self.spawn(i)?;
        }
        Ok(())
    }
}

impl Drop for EtcdCluster {
    fn drop(&mut self) {
        for i in 0..self.members.len() {
            self.kill(i);
        }
    }
}
