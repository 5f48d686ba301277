//! Secure by default, end to end with the real binary and the real kubectl: HTTPS only
//! (verified against the cluster CA), 401 without credentials, RBAC with upstream's
//! default roles and 403 wording, `auth can-i`/`whoami`, impersonation, ServiceAccount
//! tokens, and nodes that join with a CA-pinning token and are restricted to their own.

mod common;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::{Creds, TestServer, wait_until};

/// A kubeconfig for `server` that authenticates with a bearer token.
fn token_kubeconfig(server: &TestServer, name: &str, token: &str) -> PathBuf {
    let ca = std::fs::read_to_string(server.data_dir.join("ca.crt")).expect("ca");
    let path = server.data_dir.join(format!("{name}.kubeconfig"));
    let ca_b64 = base64_encode(ca.as_bytes());
    let text = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://{}\n    certificate-authority-data: {ca_b64}\nusers:\n- name: u\n  user:\n    token: {token}\ncontexts:\n- name: x\n  context:\n    cluster: c\n    user: u\n    namespace: default\ncurrent-context: x\n",
        server.addr
    );
    std::fs::write(&path, text).expect("write kubeconfig");
    path
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn kubectl_with(server: &TestServer, kubeconfig: &Path, args: &[&str]) -> Output {
    Command::new("kubectl")
        .args(args)
        .env("KUBECONFIG", kubeconfig)
        .env("HOME", server.data_dir.parent().expect("home"))
        .stdin(Stdio::null())
        .output()
        .expect("kubectl runs")
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn https_only_with_the_cluster_ca_and_401_without_credentials() {
    let server = TestServer::start_with(&["--tls-san", "bosun.example"]);
    // kubectl verifies the server with the kubeconfig's CA (no insecure flag anywhere).
    let out = server.ok(&["get", "namespaces", "-o", "name"]);
    assert!(out.contains("namespace/kube-system"), "{out}");

    // Without credentials: only health and version answer.
    for path in ["/healthz", "/livez", "/readyz", "/version"] {
        let (code, _) = server.http_as(&Creds::Anonymous, "GET", path, "application/json", b"");
        assert_eq!(code, 200, "{path}");
    }
    for path in [
        "/api",
        "/apis",
        "/api/v1/namespaces",
        "/metrics",
        "/openapi/v2",
    ] {
        let (code, status) = server.json_as(&Creds::Anonymous, "GET", path, "");
        assert_eq!(code, 401, "{path}: {status}");
        assert_eq!(status["reason"], "Unauthorized", "{path}");
        assert_eq!(status["kind"], "Status");
    }
    // A token nobody issued is 401 even where anonymous access would be allowed.
    let (code, status) = server.json_as(
        &Creds::Bearer("not-a-real-token".into()),
        "GET",
        "/healthz",
        "",
    );
    assert_eq!(code, 401, "{status}");

    // Plain HTTP is not served at all.
    let mut tcp = std::net::TcpStream::connect(&server.addr).expect("connect");
    tcp.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    tcp.write_all(b"GET /version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .expect("write");
    let mut raw = Vec::new();
    let _ = tcp.read_to_end(&mut raw);
    assert!(
        !String::from_utf8_lossy(&raw).contains("gitVersion"),
        "plain HTTP must not be answered"
    );

    // HTTP/2 is offered by ALPN; the certificate carries --tls-san names, not others.
    let handshake = |name: &str, alpn: bool| -> Result<Option<Vec<u8>>, String> {
        let mut config = (*server.tls_config(&Creds::Anonymous)).clone();
        if alpn {
            config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        }
        let name = rustls::pki_types::ServerName::try_from(name.to_string()).expect("name");
        let mut conn =
            rustls::ClientConnection::new(std::sync::Arc::new(config), name).expect("client");
        let mut tcp = std::net::TcpStream::connect(&server.addr).expect("connect");
        while conn.is_handshaking() {
            conn.complete_io(&mut tcp).map_err(|e| e.to_string())?;
        }
        Ok(conn.alpn_protocol().map(<[u8]>::to_vec))
    };
    assert_eq!(handshake("127.0.0.1", true), Ok(Some(b"h2".to_vec())));
    assert!(handshake("bosun.example", false).is_ok());
    assert!(handshake("localhost", false).is_ok());
    let other = handshake("other.example", false);
    assert!(other.is_err(), "{other:?}");

    // A kubeconfig pointing at another CA is refused by kubectl's verification.
    let other_home = tempfile::tempdir().expect("dir");
    let (other_ca, _) = bosun_apiserver::auth::pki::ClusterCa::generate().expect("ca");
    let ca_path = other_home.path().join("other-ca.crt");
    std::fs::write(&ca_path, &other_ca.cert_pem).expect("write");
    let out = server.kubectl(&[
        "get",
        "ns",
        "--certificate-authority",
        ca_path.to_str().expect("path"),
    ]);
    let (_, err) = text(&out);
    assert!(!out.status.success());
    assert!(err.contains("certificate"), "{err}");

    // Private files are private.
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).expect("file").permissions().mode() & 0o777;
    assert_eq!(mode(&server.data_dir), 0o700);
    for f in [
        "ca.key",
        "sa.key",
        "admin.key",
        "serving.key",
        "node-token",
        "kubeconfig",
        "store.wal",
    ] {
        assert_eq!(mode(&server.data_dir.join(f)), 0o600, "{f}");
    }
}

#[test]
fn rbac_view_reads_but_cannot_write_and_can_i_answers() {
    let home = tempfile::tempdir().expect("dir");
    let tokens = home.path().join("tokens.csv");
    std::fs::write(
        &tokens,
        "jane-token,jane,u-jane\nbob-token,bob,u-bob,\"devs\"\ncarol-token,carol,u-carol\n",
    )
    .expect("write");
    let server = TestServer::start_with(&["--token-auth-file", tokens.to_str().expect("path")]);
    let jane = token_kubeconfig(&server, "jane", "jane-token");
    let bob = token_kubeconfig(&server, "bob", "bob-token");

    // Upstream's default roles exist, aggregated.
    let view = server.ok(&["get", "clusterrole", "view", "-o", "json"]);
    let view: serde_json::Value = serde_json::from_str(&view).expect("json");
    assert!(
        view["rules"]
            .as_array()
            .is_some_and(|r| r.iter().any(|rule| rule["resources"]
                .as_array()
                .is_some_and(|res| res.iter().any(|x| x == "deployments")))),
        "view aggregates system:aggregate-to-view: {view}"
    );

    // Before any binding jane can do nothing (but is authenticated).
    let out = kubectl_with(&server, &jane, &["get", "pods"]);
    let (_, err) = text(&out);
    assert!(
        err.contains(r#"pods is forbidden: User "jane" cannot list resource "pods" in API group "" in the namespace "default""#),
        "{err}"
    );
    let out = kubectl_with(&server, &jane, &["auth", "whoami"]);
    let (who, _) = text(&out);
    assert!(
        who.contains("jane") && who.contains("system:authenticated"),
        "{who}"
    );

    server.ok(&[
        "create",
        "clusterrolebinding",
        "jane-view",
        "--clusterrole=view",
        "--user=jane",
    ]);
    wait_until("jane may list deployments", || {
        kubectl_with(&server, &jane, &["get", "deployments"])
            .status
            .success()
    });
    server.ok(&["create", "deployment", "web", "--image=nginx"]);
    let out = kubectl_with(&server, &jane, &["get", "deployment", "web", "-o", "name"]);
    assert_eq!(text(&out).0.trim(), "deployment.apps/web");

    let out = kubectl_with(
        &server,
        &jane,
        &["create", "deployment", "other", "--image=nginx"],
    );
    let (_, err) = text(&out);
    assert!(!out.status.success());
    assert!(
        err.contains(r#"deployments.apps is forbidden: User "jane" cannot create resource "deployments" in API group "apps" in the namespace "default""#),
        "{err}"
    );
    let out = kubectl_with(
        &server,
        &jane,
        &["scale", "deployment", "web", "--replicas=2"],
    );
    let (_, err) = text(&out);
    assert!(
        err.contains(r#"User "jane" cannot patch resource "deployments/scale" in API group "apps" in the namespace "default""#),
        "{err}"
    );
    // The raw 403 is upstream's Status.
    let (code, status) = server.json_as(
        &Creds::Bearer("jane-token".into()),
        "DELETE",
        "/apis/apps/v1/namespaces/default/deployments/web",
        "",
    );
    assert_eq!(code, 403);
    assert_eq!(status["reason"], "Forbidden");
    assert_eq!(status["details"]["kind"], "deployments");
    assert_eq!(status["details"]["group"], "apps");
    assert_eq!(status["details"]["name"], "web");
    assert_eq!(
        status["message"],
        r#"deployments.apps "web" is forbidden: User "jane" cannot delete resource "deployments" in API group "apps" in the namespace "default""#
    );

    // kubectl auth can-i, as jane and (impersonated) by the admin.
    let can_i = |kubeconfig: &Path, args: &[&str]| -> String {
        let mut all = vec!["auth", "can-i"];
        all.extend_from_slice(args);
        let out = kubectl_with(&server, kubeconfig, &all);
        text(&out).0.trim().to_string()
    };
    assert_eq!(can_i(&jane, &["get", "pods"]), "yes");
    assert_eq!(can_i(&jane, &["watch", "deployments.apps"]), "yes");
    assert_eq!(can_i(&jane, &["create", "deployments"]), "no");
    assert_eq!(can_i(&jane, &["delete", "pods"]), "no");
    assert_eq!(
        can_i(&jane, &["get", "secrets"]),
        "no",
        "view excludes secrets"
    );
    assert_eq!(can_i(&jane, &["get", "pods", "-n", "kube-system"]), "yes");
    assert_eq!(
        can_i(&server.kubeconfig, &["create", "deployments", "--as=jane"]),
        "no"
    );
    assert_eq!(
        can_i(&server.kubeconfig, &["list", "pods", "--as=jane"]),
        "yes"
    );
    assert_eq!(can_i(&server.kubeconfig, &["create", "deployments"]), "yes");
    let list = can_i(&jane, &["--list"]);
    assert!(
        list.lines()
            .any(|l| l.starts_with("deployments.apps") && l.contains("[get list watch]")),
        "{list}"
    );

    // Impersonation needs the impersonate verb: the admin may, jane may not.
    let as_jane = server.kubectl(&["get", "deployments", "--as=jane", "-o", "name"]);
    assert!(as_jane.status.success());
    let as_jane = server.kubectl(&["create", "configmap", "x", "--as=jane"]);
    let (_, err) = text(&as_jane);
    assert!(
        err.contains(r#"User "jane" cannot create resource "configmaps""#),
        "{err}"
    );
    let out = kubectl_with(&server, &jane, &["get", "pods", "--as=admin"]);
    let (_, err) = text(&out);
    assert!(
        err.contains(r#"users "admin" is forbidden: User "jane" cannot impersonate resource "users" in API group "" at the cluster scope"#),
        "{err}"
    );

    // A RoleBinding grants only in its namespace; group subjects work.
    server.ok(&["create", "namespace", "team"]);
    server.ok(&[
        "create",
        "rolebinding",
        "devs-edit",
        "--clusterrole=edit",
        "--group=devs",
        "-n",
        "team",
    ]);
    wait_until("bob may create in team", || {
        kubectl_with(&server, &bob, &["create", "configmap", "c1", "-n", "team"])
            .status
            .success()
    });
    let out = kubectl_with(
        &server,
        &bob,
        &["create", "configmap", "c1", "-n", "default"],
    );
    let (_, err) = text(&out);
    assert!(
        err.contains(r#"configmaps is forbidden: User "bob" cannot create resource "configmaps" in API group "" in the namespace "default""#),
        "{err}"
    );
    let out = kubectl_with(&server, &bob, &["get", "nodes"]);
    let (_, err) = text(&out);
    assert!(err.contains("at the cluster scope"), "{err}");

    // No escalation: a namespace admin may grant what they hold, nothing more.
    let carol = token_kubeconfig(&server, "carol", "carol-token");
    server.ok(&[
        "create",
        "rolebinding",
        "carol-admin",
        "--clusterrole=admin",
        "--user=carol",
        "-n",
        "team",
    ]);
    wait_until("carol may bind edit in team", || {
        kubectl_with(
            &server,
            &carol,
            &[
                "create",
                "rolebinding",
                "jane-edit",
                "--clusterrole=edit",
                "--user=jane",
                "-n",
                "team",
            ],
        )
        .status
        .success()
    });
    let out = kubectl_with(
        &server,
        &carol,
        &[
            "create",
            "rolebinding",
            "carol-root",
            "--clusterrole=cluster-admin",
            "--user=carol",
            "-n",
            "team",
        ],
    );
    let (_, err) = text(&out);
    assert!(
        err.contains(r#"rolebindings.rbac.authorization.k8s.io "carol-root" is forbidden: user "carol" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:"#),
        "{err}"
    );
    let out = kubectl_with(
        &server,
        &carol,
        &[
            "create",
            "role",
            "node-reader",
            "--verb=get",
            "--resource=nodes",
            "-n",
            "team",
        ],
    );
    let (_, err) = text(&out);
    assert!(
        err.contains(r#"{APIGroups:[""], Resources:["nodes"], Verbs:["get"]}"#),
        "{err}"
    );
    let out = kubectl_with(
        &server,
        &carol,
        &[
            "create",
            "role",
            "pod-reader",
            "--verb=get",
            "--resource=pods",
            "-n",
            "team",
        ],
    );
    assert!(out.status.success(), "{:?}", text(&out));

    // A binding's roleRef is immutable, with upstream's 422.
    let binding = |role: &str| {
        format!(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: fixed\n  namespace: team\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: {role}\nsubjects:\n- kind: User\n  apiGroup: rbac.authorization.k8s.io\n  name: jane\n"
        )
    };
    server.ok_stdin(&["apply", "-f", "-"], &binding("view"));
    let out = server.kubectl_with_stdin(&["apply", "-f", "-"], Some(&binding("edit")));
    let (_, err) = text(&out);
    assert!(err.contains("cannot change roleRef"), "{err}");
}

#[test]
fn service_account_tokens_work_until_the_account_is_deleted() {
    let server = TestServer::start();
    server.ok(&["create", "serviceaccount", "robot"]);
    server.ok(&[
        "create",
        "rolebinding",
        "robot-view",
        "--clusterrole=view",
        "--serviceaccount=default:robot",
    ]);
    let token = server.ok(&["create", "token", "robot"]).trim().to_string();
    assert!(token.starts_with("eyJ"), "{token}");
    let robot = Creds::Bearer(token.clone());
    wait_until("the robot may list pods", || {
        server
            .json_as(&robot, "GET", "/api/v1/namespaces/default/pods", "")
            .0
            == 200
    });
    let (code, review) = server.json_as(
        &robot,
        "POST",
        "/apis/authentication.k8s.io/v1/selfsubjectreviews",
        r#"{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}"#,
    );
    assert_eq!(code, 201, "{review}");
    assert_eq!(
        review["status"]["userInfo"]["username"],
        "system:serviceaccount:default:robot"
    );
    let groups = review["status"]["userInfo"]["groups"].to_string();
    assert!(
        groups.contains("system:serviceaccounts:default"),
        "{groups}"
    );
    let (code, status) = server.json_as(
        &robot,
        "POST",
        "/api/v1/namespaces/default/configmaps",
        r#"{"metadata":{"name":"x"}}"#,
    );
    assert_eq!(code, 403);
    assert_eq!(
        status["message"],
        r#"configmaps is forbidden: User "system:serviceaccount:default:robot" cannot create resource "configmaps" in API group "" in the namespace "default""#
    );
    // Too short a lifetime is refused by the server.
    let err = server.fails(&["create", "token", "robot", "--duration=1m"]);
    assert!(
        err.contains("may not specify a duration less than 10 minutes"),
        "{err}"
    );
    // A token of a deleted account no longer authenticates, even if re-created.
    server.ok(&["delete", "serviceaccount", "robot"]);
    let (code, _) = server.json_as(&robot, "GET", "/api/v1/namespaces/default/pods", "");
    assert_eq!(code, 401);
    server.ok(&["create", "serviceaccount", "robot"]);
    let (code, _) = server.json_as(&robot, "GET", "/api/v1/namespaces/default/pods", "");
    assert_eq!(code, 401, "a new account with the same name has a new UID");
}

fn start_agent(server_url: &str, token: &str, dir: &Path, name: &str) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_bosun"))
        .args([
            "agent",
            "--server",
            server_url,
            "--token",
            token,
            "--name",
            name,
            "--data-dir",
        ])
        .arg(dir)
        .env("BOSUN_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("agent runs")
}

struct Killed(std::process::Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn nodes_join_with_a_pinned_token_and_touch_only_their_own() {
    let server = TestServer::start();
    let url = format!("https://{}", server.addr);
    let token = std::fs::read_to_string(server.data_dir.join("node-token"))
        .expect("node-token")
        .trim()
        .to_string();
    assert!(token.starts_with("K10"), "{token}");
    let agents = tempfile::tempdir().expect("dir");

    // A token pinning another CA: the agent refuses to join and says why.
    let hash_start = 3;
    let mut wrong = token.clone();
    let flipped = if &token[hash_start..hash_start + 1] == "0" {
        "1"
    } else {
        "0"
    };
    wrong.replace_range(hash_start..hash_start + 1, flipped);
    let out = start_agent(&url, &wrong, &agents.path().join("bad"), "bad")
        .wait_with_output()
        .expect("agent exits");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("refusing to join") && err.contains("does not match"),
        "{err}"
    );
    assert!(!agents.path().join("bad").join("kubeconfig").exists());

    // The right token: the node joins with its own certificate.
    let dir = agents.path().join("n1");
    let agent = Killed(start_agent(&url, &token, &dir, "n1"));
    wait_until("node n1 is Ready", || {
        server
            .kubectl(&[
                "get",
                "node",
                "n1",
                "-o",
                "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}",
            ])
            .stdout
            == b"True"
    });
    let csrs = server.ok(&["get", "csr", "-o", "jsonpath={range .items[*]}{.spec.username} {.status.conditions[0].type} {.status.conditions[0].reason}{\"\\n\"}{end}"]);
    assert!(
        csrs.contains("system:bootstrap:") && csrs.contains("Approved AutoApproved"),
        "{csrs}"
    );
    let node_kubeconfig = dir.join("kubeconfig");
    let out = kubectl_with(&server, &node_kubeconfig, &["auth", "whoami"]);
    let (who, _) = text(&out);
    assert!(
        who.contains("system:node:n1") && who.contains("system:nodes"),
        "{who}"
    );
    let cert = Creds::Cert {
        cert_pem: std::fs::read_to_string(dir.join("node.crt")).expect("cert"),
        key_pem: std::fs::read_to_string(dir.join("node.key")).expect("key"),
    };

    // Another node's status and a pod bound elsewhere are out of reach.
    server.ok_stdin(
        &["apply", "-f", "-"],
        "apiVersion: v1\nkind: Node\nmetadata:\n  name: n2\n",
    );
    let (code, text) = server.http_as(
        &cert,
        "PATCH",
        "/api/v1/nodes/n2/status",
        "application/merge-patch+json",
        br#"{"status":{"conditions":[{"type":"Ready","status":"False"}]}}"#,
    );
    let status: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    assert_eq!(code, 403, "{status}");
    assert_eq!(
        status["message"],
        r#"nodes "n2" is forbidden: node "n1" is not allowed to modify node "n2""#
    );
    let pod = |name: &str, node: &str, secret: &str| {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\nspec:\n  nodeName: {node}\n  containers:\n  - name: c\n    image: busybox\n    env:\n    - name: S\n      valueFrom:\n        secretKeyRef:\n          name: {secret}\n          key: k\n"
        )
    };
    server.ok(&[
        "create",
        "secret",
        "generic",
        "s-other",
        "--from-literal=k=v",
    ]);
    server.ok(&[
        "create",
        "secret",
        "generic",
        "s-mine",
        "--from-literal=k=v",
    ]);
    server.ok_stdin(&["apply", "-f", "-"], &pod("elsewhere", "n2", "s-other"));
    let merge_patch = |path: &str, body: &str| -> (u16, serde_json::Value) {
        let (code, text) = server.http_as(
            &cert,
            "PATCH",
            path,
            "application/merge-patch+json",
            body.as_bytes(),
        );
        (code, serde_json::from_str(&text).unwrap_or_default())
    };
    let (code, status) = merge_patch(
        "/api/v1/namespaces/default/pods/elsewhere/status",
        r#"{"status":{"phase":"Failed"}}"#,
    );
    assert_eq!(code, 403, "{status}");
    assert_eq!(
        status["message"],
        r#"pods "elsewhere" is forbidden: node "n1" can only update pod status for pods with spec.nodeName set to itself"#
    );
    // Its own Node is the node's to write.
    let (code, status) = merge_patch(
        "/api/v1/nodes/n1/status",
        r#"{"status":{"phase":"Running"}}"#,
    );
    assert_eq!(code, 200, "{status}");
    // Secrets only through a pod bound to the node.
    let (code, status) = server.json_as(
        &cert,
        "GET",
        "/api/v1/namespaces/default/secrets/s-mine",
        "",
    );
    assert_eq!(code, 403, "{status}");
    assert_eq!(
        status["message"],
        r#"secrets "s-mine" is forbidden: User "system:node:n1" cannot get resource "secrets" in API group "" in the namespace "default": no relationship found between node 'n1' and this object"#
    );
    server.ok_stdin(&["apply", "-f", "-"], &pod("mine", "n1", "s-mine"));
    let (code, _) = server.json_as(
        &cert,
        "GET",
        "/api/v1/namespaces/default/secrets/s-mine",
        "",
    );
    assert_eq!(code, 200);
    let (code, _) = server.json_as(
        &cert,
        "GET",
        "/api/v1/namespaces/default/secrets/s-other",
        "",
    );
    assert_eq!(code, 403);
    // Its own pod's status is the node's to write (the agent runs it).
    wait_until("the node reports its pod's status", || {
        server.ok(&["get", "pod", "mine", "-o", "jsonpath={.status.phase}"]) != "Pending"
            && !server
                .ok(&["get", "pod", "mine", "-o", "jsonpath={.status.phase}"])
                .is_empty()
    });

    // A restarted agent reuses its certificate (no new request).
    drop(agent);
    let before = server.ok(&["get", "csr", "-o", "name"]).lines().count();
    let mut again = start_agent(&url, &token, &dir, "n1");
    std::thread::sleep(Duration::from_secs(2));
    let _ = again.kill();
    let out = again.wait_with_output().expect("agent output");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("joined"), "{stdout}");
    assert_eq!(
        server.ok(&["get", "csr", "-o", "name"]).lines().count(),
        before
    );
    use std::os::unix::fs::PermissionsExt;
    for f in ["node.key", "kubeconfig"] {
        let mode = std::fs::metadata(dir.join(f))
            .expect("file")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "{f}");
    }
}

#[test]
fn an_approved_client_csr_is_signed_and_its_certificate_authenticates() {
    let server = TestServer::start();
    let (request, key) = bosun_apiserver::auth::pki::client_request("dev", &["devs"]).expect("csr");
    let csr = format!(
        "apiVersion: certificates.k8s.io/v1\nkind: CertificateSigningRequest\nmetadata:\n  name: dev\nspec:\n  request: {}\n  signerName: kubernetes.io/kube-apiserver-client\n  usages: [\"client auth\"]\n",
        base64_encode(request.as_bytes())
    );
    server.ok_stdin(&["create", "-f", "-"], &csr);
    // Not a node certificate: it waits for a human.
    let table = server.ok(&["get", "csr", "dev"]);
    assert!(
        table.contains("Pending") && table.contains("admin"),
        "{table}"
    );
    assert_eq!(
        server.ok(&["get", "csr", "dev", "-o", "jsonpath={.status.certificate}"]),
        ""
    );
    server.ok(&["certificate", "approve", "dev"]);
    let table = server.ok(&["get", "csr", "dev"]);
    assert!(table.contains("Approved,Issued"), "{table}");
    let cert_b64 = server.ok(&["get", "csr", "dev", "-o", "jsonpath={.status.certificate}"]);
    use base64::Engine;
    let cert = base64::engine::general_purpose::STANDARD
        .decode(cert_b64.trim())
        .expect("base64 certificate");
    let dev = Creds::Cert {
        cert_pem: String::from_utf8(cert).expect("PEM"),
        key_pem: key,
    };
    let (code, review) = server.json_as(
        &dev,
        "POST",
        "/apis/authentication.k8s.io/v1/selfsubjectreviews",
        r#"{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}"#,
    );
    assert_eq!(code, 201, "{review}");
    assert_eq!(review["status"]["userInfo"]["username"], "dev");
    let groups = review["status"]["userInfo"]["groups"].to_string();
    assert!(groups.contains("devs"), "{groups}");
}
