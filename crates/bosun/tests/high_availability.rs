//! Several `bosun server`s on one etcd cluster: the API is served consistently by all
//! of them, the controllers and the scheduler run under leader election, a standby
//! takes over when the leader is killed mid-rollout, and an etcd outage turns writes
//! into 5xx Status errors instead of hangs or crashes.

mod common;

use std::time::{Duration, Instant};

use bosun_store::testing::EtcdCluster;
use common::{NGINX_DEPLOYMENT, TestServer, wait_until, wait_within};

struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn holder(server: &TestServer, lease: &str) -> String {
    server
        .kubectl(&[
            "get",
            "lease",
            "-n",
            "kube-system",
            lease,
            "-o",
            "jsonpath={.spec.holderIdentity}",
        ])
        .stdout
        .iter()
        .map(|b| *b as char)
        .collect()
}

#[test]
fn two_servers_share_etcd_and_a_standby_finishes_the_rollout() {
    let mut etcd = EtcdCluster::start(3).expect("a three-member etcd cluster starts");
    let url = etcd.datastore_url();
    let mut a = TestServer::start_with(&["--datastore", &url, "--hollow-nodes", "3"]);
    wait_until("server A leads the controllers", || {
        !holder(&a, "bosun-controller-manager").is_empty()
    });
    let first_controller_leader = holder(&a, "bosun-controller-manager");
    let b = TestServer::start_with(&[
        "--datastore",
        &url,
        "--hollow-nodes",
        "3",
        "--node-name",
        "unused",
    ]);

    // One API, two doors: a write through A is read and watched through B.
    a.ok(&["create", "configmap", "shared", "--from-literal=k=v"]);
    assert_eq!(
        b.ok(&["get", "configmap", "shared", "-o", "jsonpath={.data.k}"]),
        "v"
    );
    assert_eq!(
        holder(&b, "bosun-controller-manager"),
        first_controller_leader,
        "the standby does not take a live lease"
    );
    // Both servers accept the same credentials (the CA is shared through etcd).
    let a_ca = std::fs::read_to_string(a.data_dir.join("ca.crt")).expect("ca");
    let b_ca = std::fs::read_to_string(b.data_dir.join("ca.crt")).expect("ca");
    assert_eq!(a_ca, b_ca);

    // A node joins knowing both servers (the join token is the same on both).
    let token = std::fs::read_to_string(a.data_dir.join("node-token")).expect("token");
    assert_eq!(
        token,
        std::fs::read_to_string(b.data_dir.join("node-token")).expect("token")
    );
    let agent_dir = tempfile::tempdir().expect("dir");
    let servers = format!("https://{},https://{}", a.addr, b.addr);
    let _agent = Killed(
        std::process::Command::new(env!("CARGO_BIN_EXE_bosun"))
            .args([
                "agent",
                "--server",
                &servers,
                "--token",
                token.trim(),
                "--name",
                "edge",
            ])
            .args(["--node-status-update-frequency", "1s", "--data-dir"])
            .arg(agent_dir.path())
            .env("BOSUN_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("agent runs"),
    );
    wait_until("node edge joins", || {
        b.kubectl(&["get", "lease", "-n", "kube-node-lease", "edge"])
            .status
            .success()
    });

    // A rollout through A; the leader dies mid-rollout.
    let deployment = NGINX_DEPLOYMENT.replace("replicas: 3", "replicas: 6");
    a.ok_stdin(&["apply", "-f", "-"], &deployment);
    a.ok(&[
        "rollout",
        "status",
        "deployment/nginx-deployment",
        "--timeout=60s",
    ]);
    a.ok(&[
        "set",
        "image",
        "deployment/nginx-deployment",
        "nginx=nginx:1.16.1",
    ]);
    a.kill9();
    let killed = Instant::now();

    // B takes the lease within a lease duration (15 s) plus a retry period or two.
    wait_within(
        "B takes the controller lease",
        Duration::from_secs(25),
        || {
            let h = holder(&b, "bosun-controller-manager");
            !h.is_empty() && h != first_controller_leader
        },
    );
    let takeover = killed.elapsed();
    // The joined node keeps heartbeating through B.
    let renewed = |s: &TestServer| {
        s.ok(&[
            "get",
            "lease",
            "-n",
            "kube-node-lease",
            "edge",
            "-o",
            "jsonpath={.spec.renewTime}",
        ])
    };
    let seen = renewed(&b);
    wait_within(
        "edge renews its lease through B",
        Duration::from_secs(20),
        || renewed(&b) != seen,
    );
    assert!(
        takeover < Duration::from_secs(22),
        "takeover took {takeover:?}"
    );
    let transitions = b.ok(&[
        "get",
        "lease",
        "-n",
        "kube-system",
        "bosun-controller-manager",
        "-o",
        "jsonpath={.spec.leaseTransitions}",
    ]);
    assert_eq!(transitions, "1");

    b.ok(&[
        "rollout",
        "status",
        "deployment/nginx-deployment",
        "--timeout=90s",
    ]);
    // Same revision numbers, no duplicate ReplicaSets or pods.
    let sets = b.ok(&["get", "rs", "-o", "jsonpath={range .items[*]}{.metadata.annotations.deployment\\.kubernetes\\.io/revision} {.spec.replicas} {.spec.template.spec.containers[0].image}{\"\\n\"}{end}"]);
    let mut lines: Vec<&str> = sets.lines().collect();
    lines.sort();
    assert_eq!(lines, ["1 0 nginx:1.14.2", "2 6 nginx:1.16.1"], "{sets}");
    wait_until("exactly six pods remain", || {
        b.ok(&["get", "pods", "-o", "name"]).lines().count() == 6
    });
    let annotation = b.ok(&[
        "get",
        "deployment",
        "nginx-deployment",
        "-o",
        "jsonpath={.metadata.annotations.deployment\\.kubernetes\\.io/revision}",
    ]);
    assert_eq!(annotation, "2");

    // One etcd member down mid-rollout: the rollout goes on (a request caught in the
    // member's loss may fail once, as with upstream; the controllers retry theirs).
    b.ok(&[
        "set",
        "image",
        "deployment/nginx-deployment",
        "nginx=nginx:1.17",
    ]);
    // Every member must be alive before one is killed, or the two left lack quorum
    // for a reason that is not the test's.
    etcd.check_alive().expect("every etcd member is running");
    etcd.kill(0);
    let deadline = Instant::now() + Duration::from_secs(90);
    while !b
        .kubectl(&[
            "rollout",
            "status",
            "deployment/nginx-deployment",
            "--timeout=20s",
        ])
        .status
        .success()
    {
        assert!(
            Instant::now() < deadline,
            "the rollout did not complete within 90 s with a member down; etcd:\n{}",
            etcd.logs()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    wait_until("six pods, all of the new image", || {
        let images = b.ok(&[
            "get",
            "pods",
            "-o",
            "jsonpath={.items[*].spec.containers[0].image}",
        ]);
        images.split(' ').filter(|i| *i == "nginx:1.17").count() == 6
            && images.split(' ').count() == 6
    });

    // Two down: no quorum. Writes fail fast with a 5xx Status; the server stays up.
    etcd.check_alive()
        .expect("the two members left are running");
    etcd.kill(1);
    let started = Instant::now();
    let (code, status) = b.json(
        "POST",
        "/api/v1/namespaces/default/configmaps",
        r#"{"metadata":{"name":"during-outage"}}"#,
    );
    assert!((500..600).contains(&code), "{code} {status}");
    assert_eq!(status["kind"], "Status", "{status}");
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );

    // The members return: writes succeed again and the controllers run again.
    etcd.restart(0).expect("restart");
    etcd.restart(1).expect("restart");
    wait_within(
        "writes succeed after the outage",
        Duration::from_secs(60),
        || {
            let (code, _) = b.json(
                "POST",
                "/api/v1/namespaces/default/configmaps",
                r#"{"metadata":{"name":"after-outage"}}"#,
            );
            code == 201 || code == 409
        },
    );
    b.ok(&["scale", "deployment/nginx-deployment", "--replicas=2"]);
    wait_within("the controllers act again", Duration::from_secs(60), || {
        b.ok(&[
            "get",
            "deployment",
            "nginx-deployment",
            "-o",
            "jsonpath={.status.replicas}",
        ]) == "2"
    });
}

#[test]
fn an_unreachable_etcd_is_refused_at_start_with_a_clear_message() {
    let home = tempfile::tempdir().expect("dir");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bosun"))
        .args([
            "server",
            "--no-agent",
            "--bind",
            "127.0.0.1:0",
            "--datastore",
            "etcd://127.0.0.1:1",
        ])
        .arg("--data-dir")
        .arg(home.path().join("data"))
        .output()
        .expect("bosun runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot reach etcd at http://127.0.0.1:1"),
        "{err}"
    );
}
