//! Real containers end to end, one feature at a time: logs (`-f`, `--previous`, `--tail`,
//! `--since`, `--timestamps`), exec, liveness restarts, image pull errors, lifecycle hooks,
//! init containers, the security context, limits, volumes and probes — the real `bosun`
//! binary with its node on a containerd of each test's own, and the real kubectl.
//!
//! Needs root and the packages `containers.rs` names.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::containerd::{Containerd, json, pods, ready, server_on};
use common::wait_within;

const TICKER: &str = r#"apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {greeting: hello from a configmap, mode: fast}
---
apiVersion: v1
kind: Pod
metadata: {name: ticker, labels: {app: ticker}}
spec:
  terminationGracePeriodSeconds: 1
  volumes:
  - name: settings
    configMap: {name: settings}
  - name: scratch
    emptyDir: {}
  containers:
  - name: tick
    image: bosun.test/web:v1
    command: ["sh", "-c"]
    args:
    - 'trap "exit 0" TERM; echo "$(cat /etc/settings/greeting) to $POD_NAME in $POD_NAMESPACE, mode $MODE, ip $POD_IP"; i=0; while true; do echo "tick $i"; i=$((i+1)); sleep 0.2; done'
    env:
    - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
    - {name: POD_NAMESPACE, valueFrom: {fieldRef: {fieldPath: metadata.namespace}}}
    - {name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
    - {name: MODE, valueFrom: {configMapKeyRef: {name: settings, key: mode}}}
    volumeMounts:
    - {name: settings, mountPath: /etc/settings, readOnly: true}
    - {name: scratch, mountPath: /scratch}
---
apiVersion: v1
kind: Pod
metadata: {name: flaky}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: bosun.test/web:v1
    command: ["sh", "-c", 'trap "exit 0" TERM; touch /tmp/alive; echo "alive"; sleep 3; rm /tmp/alive; echo "lost it"; while true; do sleep 1; done']
    livenessProbe:
      exec: {command: ["cat", "/tmp/alive"]}
      periodSeconds: 1
      failureThreshold: 2
---
apiVersion: v1
kind: Pod
metadata: {name: unpullable}
spec:
  containers:
  - {name: app, image: "127.0.0.1:1/missing:v1"}
---
apiVersion: v1
kind: Pod
metadata: {name: never}
spec:
  containers:
  - {name: app, image: bosun.test/absent:v1, imagePullPolicy: Never}
"#;

#[test]
fn logs_follow_and_a_failed_liveness_probe_restarts_the_container() {
    let ctr = Containerd::start();
    let server = server_on(&ctr);
    server.ok_stdin(&["apply", "-f", "-"], TICKER);
    wait_within("ticker running", Duration::from_secs(30), || {
        pods(&server, "app=ticker").first().is_some_and(ready)
    });
    let pod = json(&server, &["get", "pod", "ticker"]);
    let ip = pod["status"]["podIP"].as_str().expect("pod IP").to_string();
    wait_within("a few ticks", Duration::from_secs(10), || {
        server.ok(&["logs", "ticker"]).contains("tick 3\n")
    });
    let logs = server.ok(&["logs", "ticker"]);
    assert!(
        logs.starts_with(&format!(
            "hello from a configmap to ticker in default, mode fast, ip {ip}\ntick 0\ntick 1\n"
        )),
        "{logs}"
    );
    let tail = server.ok(&["logs", "ticker", "--tail", "1", "--timestamps"]);
    assert_eq!(tail.lines().count(), 1, "{tail:?}");
    let (stamp, text) = tail.trim_end().split_once(' ').expect("timestamp and text");
    assert!(
        stamp.parse::<jiff::Timestamp>().is_ok(),
        "RFC 3339 timestamp: {stamp}"
    );
    assert!(text.starts_with("tick "), "{text}");
    let err = server.fails(&["logs", "ticker", "-c", "nope"]);
    assert!(
        err.contains("container nope is not valid for pod ticker"),
        "{err}"
    );

    // exec runs a command in the container: its output, stderr and exit code come back.
    assert_eq!(
        server.ok(&["exec", "ticker", "--", "cat", "/etc/settings/greeting"]),
        "hello from a configmap"
    );
    let out = server.kubectl(&[
        "exec",
        "ticker",
        "-c",
        "tick",
        "--",
        "sh",
        "-c",
        "echo out; echo err >&2; exit 3",
    ]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "kubectl exits with the command's code"
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "out\n");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("err\n") && stderr.contains("command terminated with exit code 3"),
        "{stderr}"
    );
    // stdin reaches the command (-i).
    let out = server.kubectl_with_stdin(
        &[
            "exec",
            "-i",
            "ticker",
            "--",
            "sh",
            "-c",
            "read x; echo \"got $x\"; exit 4",
        ],
        Some("hello\n"),
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "got hello\n");
    assert_eq!(out.status.code(), Some(4));
    // A terminal session (-it), through `script` for a pty: a prompt, commands, the exit code.
    let session = Command::new("script")
        .args(["-qec", "kubectl exec -it ticker -- sh", "/dev/null"])
        .env("KUBECONFIG", &server.kubeconfig)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("script runs");
    let mut stdin = session.stdin.as_ref().expect("stdin");
    std::thread::sleep(Duration::from_secs(2));
    let _ = stdin.write_all(b"echo inside $(hostname)\n");
    std::thread::sleep(Duration::from_secs(1));
    let _ = stdin.write_all(b"exit 7\n");
    let out = session.wait_with_output().expect("script ends");
    let text = String::from_utf8_lossy(&out.stdout).replace('\r', "");
    assert!(text.contains("inside ticker\n"), "{text}");
    assert!(
        text.contains("command terminated with exit code 7"),
        "{text}"
    );
    assert_eq!(out.status.code(), Some(7), "{text}");
    // kubectl before 1.30 speaks SPDY, which is passed through as well.
    let old_kubectl = std::path::Path::new(
        &String::from_utf8_lossy(
            &Command::new("sh")
                .args(["-c", "dirname \"$(readlink -f \"$(command -v kubectl)\")\""])
                .output()
                .expect("sh runs")
                .stdout,
        )
        .trim()
        .to_string(),
    )
    .join("kubectl.1.27");
    let out = Command::new(&old_kubectl)
        .args(["exec", "-i", "ticker", "--", "sh", "-c", "cat; exit 2"])
        .env("KUBECONFIG", &server.kubeconfig)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            if let Some(mut input) = child.stdin.take() {
                input.write_all(b"one\ntwo\n")?;
            }
            child.wait_with_output()
        })
        .expect("kubectl 1.27 runs");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "one\ntwo\n",
        "stdin ends (SPDY)"
    );
    assert_eq!(out.status.code(), Some(2));

    // attach shows what the container's own process writes from now on.
    let mut attach = Command::new("kubectl")
        .args(["attach", "ticker"])
        .env("KUBECONFIG", &server.kubeconfig)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("kubectl runs");
    let mut attached = BufReader::new(attach.stdout.take().expect("stdout")).lines();
    let ticks: Vec<String> = (0..3)
        .filter_map(|_| attached.next().and_then(Result::ok))
        .collect();
    let _ = attach.kill();
    let _ = attach.wait();
    assert_eq!(ticks.len(), 3, "{ticks:?}");
    assert!(ticks.iter().all(|t| t.starts_with("tick ")), "{ticks:?}");

    // -f keeps streaming lines written after it started.
    let mut follow = Command::new("kubectl")
        .args(["logs", "-f", "ticker", "--tail", "1"])
        .env("KUBECONFIG", &server.kubeconfig)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("kubectl runs");
    let mut lines = BufReader::new(follow.stdout.take().expect("stdout")).lines();
    let mut seen = Vec::new();
    for _ in 0..6 {
        seen.push(lines.next().and_then(Result::ok).expect("a followed line"));
    }
    let _ = follow.kill();
    let _ = follow.wait();
    let numbers: Vec<u64> = seen
        .iter()
        .filter_map(|l| l.strip_prefix("tick ")?.parse().ok())
        .collect();
    assert_eq!(numbers.len(), 6, "{seen:?}");
    assert!(
        numbers.windows(2).all(|w| w[1] == w[0] + 1),
        "consecutive ticks: {seen:?}"
    );

    // The liveness probe fails once /tmp/alive is gone: the container is killed and
    // restarted, and the previous instance's log is kept.
    wait_within("a liveness restart", Duration::from_secs(40), || {
        json(&server, &["get", "pod", "flaky"])["status"]["containerStatuses"][0]["restartCount"]
            .as_i64()
            .unwrap_or(0)
            >= 1
    });
    let status = json(&server, &["get", "pod", "flaky"])["status"]["containerStatuses"][0].clone();
    assert!(status["lastState"]["terminated"].is_object(), "{status}");
    assert_eq!(
        server.ok(&["logs", "flaky", "--previous"]),
        "alive\nlost it\n"
    );

    // Images that cannot be had: upstream's waiting reasons.
    wait_within("ImagePullBackOff", Duration::from_secs(30), || {
        let reason = json(&server, &["get", "pod", "unpullable"])["status"]["containerStatuses"][0]
            ["state"]["waiting"]["reason"]
            .clone();
        reason == "ImagePullBackOff"
    });
    let never = json(&server, &["get", "pod", "never"])["status"]["containerStatuses"][0]["state"]
        ["waiting"]
        .clone();
    assert_eq!(never["reason"], "ErrImageNeverPull", "{never}");
    assert_eq!(
        never["message"],
        "Container image \"bosun.test/absent:v1\" is not present with pull policy of Never"
    );

    server.ok(&["delete", "pod", "ticker", "flaky", "unpullable", "never"]);
    wait_within("containerd to be empty", Duration::from_secs(30), || {
        ctr.containers().is_empty()
    });
}

#[test]
fn lifecycle_hooks_run_around_the_container() {
    let ctr = Containerd::start();
    let server = server_on(&ctr);
    let out = tempfile::tempdir().expect("dir");
    let manifest = format!(
        r#"apiVersion: v1
kind: Pod
metadata: {{name: hooked}}
spec:
  terminationGracePeriodSeconds: 10
  volumes: [{{name: out, hostPath: {{path: "{dir}", type: Directory}}}}]
  containers:
  - name: app
    image: bosun.test/web:v1
    command: ["sh", "-c", 'trap "echo got TERM >> /out/events; exit 0" TERM; echo running >> /out/events; while true; do sleep 0.2; done']
    volumeMounts: [{{name: out, mountPath: /out}}]
    lifecycle:
      postStart: {{exec: {{command: ["sh", "-c", "echo post-start >> /out/events"]}}}}
      preStop: {{exec: {{command: ["sh", "-c", "echo pre-stop >> /out/events"]}}}}
"#,
        dir = out.path().display()
    );
    server.ok_stdin(&["apply", "-f", "-"], &manifest);
    wait_within("hooked running", Duration::from_secs(30), || {
        json(&server, &["get", "pod", "hooked"])["status"]["containerStatuses"][0]["state"]
            ["running"]
            .is_object()
    });
    let events = || std::fs::read_to_string(out.path().join("events")).unwrap_or_default();
    assert!(events().contains("post-start\n"), "{}", events());
    server.ok(&["delete", "pod", "hooked"]);
    let lines: Vec<String> = events().lines().map(str::to_string).collect();
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.as_str() != "running" && l.as_str() != "post-start")
            .collect::<Vec<_>>(),
        ["pre-stop", "got TERM"],
        "preStop runs before the container is signalled: {lines:?}"
    );

    // A sidecar (an init container that keeps running) stops after the main container.
    let manifest = format!(
        r#"apiVersion: v1
kind: Pod
metadata: {{name: with-sidecar}}
spec:
  terminationGracePeriodSeconds: 10
  volumes: [{{name: out, hostPath: {{path: "{dir}", type: Directory}}}}]
  initContainers:
  - name: sidecar
    image: bosun.test/web:v1
    restartPolicy: Always
    command: ["sh", "-c", 'trap "sleep 0.5; echo sidecar stopped >> /out/order; exit 0" TERM; while true; do sleep 0.2; done']
    volumeMounts: [{{name: out, mountPath: /out}}]
  containers:
  - name: main
    image: bosun.test/web:v1
    command: ["sh", "-c", 'trap "sleep 1; echo main stopped >> /out/order; exit 0" TERM; while true; do sleep 0.2; done']
    volumeMounts: [{{name: out, mountPath: /out}}]
"#,
        dir = out.path().display()
    );
    server.ok_stdin(&["apply", "-f", "-"], &manifest);
    wait_within("with-sidecar ready", Duration::from_secs(30), || {
        ready(&json(&server, &["get", "pod", "with-sidecar"]))
    });
    server.ok(&["delete", "pod", "with-sidecar"]);
    assert_eq!(
        std::fs::read_to_string(out.path().join("order")).unwrap_or_default(),
        "main stopped\nsidecar stopped\n",
        "the main container stops first even though it takes longer"
    );
    wait_within("containerd to be empty", Duration::from_secs(30), || {
        ctr.containers().is_empty()
    });
}

const SHAPED: &str = r#"apiVersion: v1
kind: Secret
metadata: {name: creds}
stringData: {password: hunter2}
---
apiVersion: v1
kind: Pod
metadata: {name: shaped}
spec:
  terminationGracePeriodSeconds: 1
  securityContext: {fsGroup: 3000}
  volumes:
  - {name: creds, secret: {secretName: creds}}
  - {name: shared, emptyDir: {}}
  initContainers:
  - name: first
    image: bosun.test/web:v1
    command: ["sh", "-c", "echo first >> /shared/order"]
    volumeMounts: [{name: shared, mountPath: /shared}]
  - name: second
    image: bosun.test/web:v1
    command: ["sh", "-c", "echo second >> /shared/order"]
    volumeMounts: [{name: shared, mountPath: /shared}]
  containers:
  - name: main
    image: bosun.test/web:v1
    workingDir: /shared
    command: ["sh", "-c"]
    args:
    - 'echo "order: $(cat order | tr "\n" " ")"; echo "uid: $(id -u) groups: $(id -G)"; echo "shared: $(ls -lnd /shared | tr -s " " | cut -d " " -f 1,4)"; echo "password: $(cat /creds/password)"; echo "memory: $(cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max)"; touch /rootfs-write 2>/dev/null && echo "rootfs: writable" || echo "rootfs: read-only"; echo "pwd: $(pwd)"; trap "exit 0" TERM; nc -l -p 9000 -e true & while true; do sleep 0.2; done'
    securityContext: {runAsUser: 65534, readOnlyRootFilesystem: true}
    resources:
      requests: {cpu: 100m, memory: 32Mi}
      limits: {cpu: 500m, memory: 64Mi}
    readinessProbe:
      tcpSocket: {port: 9000}
      periodSeconds: 1
    volumeMounts:
    - {name: creds, mountPath: /creds, readOnly: true}
    - {name: shared, mountPath: /shared}
---
apiVersion: v1
kind: Pod
metadata: {name: nonroot}
spec:
  securityContext: {runAsNonRoot: true}
  containers:
  - {name: app, image: bosun.test/web:v1}
---
apiVersion: v1
kind: Pod
metadata: {name: oom}
spec:
  restartPolicy: Never
  containers:
  - name: hog
    image: bosun.test/web:v1
    command: ["sh", "-c", "echo hogging; head -c 200000000 /dev/zero | tail"]
    resources:
      limits: {memory: 20Mi}
"#;

#[test]
fn init_containers_security_context_limits_secrets_and_tcp_probes() {
    let ctr = Containerd::start();
    let server = server_on(&ctr);
    server.ok_stdin(&["apply", "-f", "-"], SHAPED);
    wait_within("shaped ready", Duration::from_secs(40), || {
        ready(&json(&server, &["get", "pod", "shaped"]))
    });
    let pod = json(&server, &["get", "pod", "shaped"]);
    for init in pod["status"]["initContainerStatuses"]
        .as_array()
        .expect("init statuses")
    {
        assert_eq!(init["state"]["terminated"]["reason"], "Completed", "{init}");
        assert_eq!(init["state"]["terminated"]["exitCode"], 0, "{init}");
    }
    assert_eq!(pod["status"]["qosClass"], "Burstable");
    let logs = server.ok(&["logs", "shaped"]);
    assert_eq!(
        logs,
        "order: first second \nuid: 65534 groups: 65534 3000\nshared: drwxrwsrwx 3000\npassword: hunter2\nmemory: 67108864\nrootfs: read-only\npwd: /shared\n"
    );
    assert_eq!(server.ok(&["logs", "shaped", "-c", "second"]), "");
    let since = server.ok(&["logs", "shaped", "--since", "1h"]);
    assert_eq!(since, logs, "everything is within the last hour");

    // runAsNonRoot with an image that runs as root: upstream's config error.
    wait_within(
        "CreateContainerConfigError",
        Duration::from_secs(20),
        || {
            json(&server, &["get", "pod", "nonroot"])["status"]["containerStatuses"][0]["state"]["waiting"]
                ["reason"]
                == "CreateContainerConfigError"
        },
    );
    let pod = json(&server, &["get", "pod", "nonroot"]);
    let uid = pod["metadata"]["uid"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(
        pod["status"]["containerStatuses"][0]["state"]["waiting"]["message"],
        format!(
            "container has runAsNonRoot and image will run as root (pod: \"nonroot_default({uid})\", container: app)"
        )
    );

    // Past its memory limit a container is OOM-killed, and the status says so.
    wait_within("the hog to fail", Duration::from_secs(30), || {
        json(&server, &["get", "pod", "oom"])["status"]["phase"] == "Failed"
    });
    let hog = json(&server, &["get", "pod", "oom"])["status"]["containerStatuses"][0]["state"]
        ["terminated"]
        .clone();
    assert_eq!(hog["reason"], "OOMKilled", "{hog}");
    assert_eq!(hog["exitCode"], 137, "{hog}");
    let log = server.ok(&["logs", "oom"]);
    assert!(
        log.starts_with("hogging\n"),
        "a finished pod keeps its log: {log:?}"
    );
}

#[test]
fn container_logs_rotate_past_their_size_limit() {
    let ctr = Containerd::start();
    let server = server_on(&ctr); // --container-log-max-size 16Ki --container-log-max-files 2
    server.ok_stdin(
        &["apply", "-f", "-"],
        r#"apiVersion: v1
kind: Pod
metadata: {name: chatty}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: talk
    image: bosun.test/web:v1
    command: ["sh", "-c", 'trap "exit 0" TERM; i=0; while true; do seq $i $((i+499)); i=$((i+500)); sleep 0.3; done']
"#,
    );
    let uid = || {
        json(&server, &["get", "pod", "chatty"])["metadata"]["uid"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    wait_within("chatty running", Duration::from_secs(30), || {
        ready(&json(&server, &["get", "pod", "chatty"]))
    });
    let dir = server
        .data_dir
        .join("node/logs")
        .join(format!("default_chatty_{}", uid()))
        .join("talk");
    let files = || -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .map(|d| {
                d.filter_map(|e| e.ok()?.file_name().into_string().ok())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    };
    // Two checks (every 10 s) rotate twice; only one rotated file is kept.
    wait_within("two rotations", Duration::from_secs(40), || {
        let names = files();
        names.len() == 2 && names[0] == "0.log" && names[1].starts_with("0.log.") && {
            std::fs::read_to_string(dir.join(&names[1]))
                .map(|t| !t.contains(" F 0\n"))
                .unwrap_or(false)
        }
    });
    let size = std::fs::metadata(dir.join("0.log"))
        .map(|m| m.len())
        .unwrap_or(0);
    assert!(
        size < 200 * 1024,
        "the current file restarted after rotation: {size}"
    );
    // kubectl logs reads the current file, which keeps growing (it may be empty just
    // after a rotation).
    wait_within(
        "the current log to have lines",
        Duration::from_secs(10),
        || {
            let tail = server.ok(&["logs", "chatty", "--tail", "1"]);
            tail.trim().parse::<u64>().is_ok_and(|n| n > 0)
        },
    );
    server.ok(&["delete", "pod", "chatty"]);
}
