//! `pods/{name}/log` end to end inside the API server: a real server over an in-memory
//! store, called in-process, proxying to a test double of the node agent — a TLS server
//! that demands a client certificate from the cluster CA and records what it was asked.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, Response, StatusCode, header};
use bosun_apiserver::auth::pki::{ClusterCa, certificate_facts};
use bosun_apiserver::auth::{self, InProcess, UserInfo};
use bosun_apiserver::{Config, KubeletClientIdentity};
use bytes::Bytes;
use futures::StreamExt;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use rustls::RootCertStore;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tower::ServiceExt;

const WAIT: Duration = Duration::from_secs(10);

/// What the agent double saw of one request.
#[derive(Debug, Clone)]
struct Seen {
    path_and_query: String,
    client_cn: String,
    client_orgs: Vec<String>,
}

struct Agent {
    port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
    /// Lets the `web` container's log write its second line.
    release: Arc<Notify>,
}

impl Agent {
    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

/// Starts the agent double: a self-signed serving certificate (as the real agent's), client
/// certificates required and verified against `ca_pem`, and three containers —
/// `web` streams `line 1`, waits for `release`, streams `line 2` and ends; `bad` is refused
/// with a 400 text message; any other container is a 404.
async fn start_agent(ca_pem: &str) -> Agent {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    for der in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(der.expect("CA PEM")).expect("CA");
    }
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .expect("verifier");
    let serving = rcgen::generate_simple_self_signed(vec!["n1".to_string()]).expect("cert");
    let cert = CertificateDer::from_pem_slice(serving.cert.pem().as_bytes()).expect("cert");
    let key =
        PrivateKeyDer::from_pem_slice(serving.signing_key.serialize_pem().as_bytes()).expect("key");
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_client_cert_verifier(verifier)
        .with_single_cert(vec![cert], key)
        .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let release = Arc::new(Notify::new());
    let (seen_in, release_in) = (seen.clone(), release.clone());
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let Ok(tls) = acceptor.accept(tcp).await else {
                continue;
            };
            let facts = tls
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|chain| chain.first())
                .and_then(|der| certificate_facts(der.as_ref()).ok());
            let (seen, release) = (seen_in.clone(), release_in.clone());
            let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                let path_and_query = request
                    .uri()
                    .path_and_query()
                    .map(|p| p.to_string())
                    .unwrap_or_default();
                if let (Ok(mut seen), Some(facts)) = (seen.lock(), &facts) {
                    seen.push(Seen {
                        path_and_query: path_and_query.clone(),
                        client_cn: facts.common_name.clone(),
                        client_orgs: facts.organizations.clone(),
                    });
                }
                let release = release.clone();
                async move { Ok::<_, Infallible>(agent_answer(request.uri().path(), release)) }
            });
            tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    Agent {
        port,
        seen,
        release,
    }
}

fn agent_answer(path: &str, release: Arc<Notify>) -> Response<Body> {
    let text = |code: u16, body: &'static str| {
        Response::builder()
            .status(code)
            .header(header::CONTENT_TYPE, "text/plain")
            .body(Body::from(body))
            .expect("response")
    };
    match path.rsplit('/').next() {
        Some("web") => {
            let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, Infallible>>(4);
            tokio::spawn(async move {
                let _ = tx.send(Ok(Bytes::from_static(b"line 1\n"))).await;
                release.notified().await;
                let _ = tx.send(Ok(Bytes::from_static(b"line 2\n"))).await;
            });
            Response::new(Body::from_stream(
                tokio_stream::wrappers::ReceiverStream::new(rx),
            ))
        }
        Some("bad") => text(
            400,
            "container \"bad\" in pod \"web-abc\" is waiting to start: ContainerCreating\n",
        ),
        _ => text(404, "pod \"web-abc\" does not exist\n"),
    }
}

struct Cluster {
    router: Router,
    ca_pem: String,
}

async fn cluster() -> Cluster {
    let (ca, ca_key) = ClusterCa::generate().expect("ca");
    let client = ca
        .issue_client("kube-apiserver-kubelet-client", &["system:masters"])
        .expect("kubelet client certificate");
    let (router, _state) = bosun_apiserver::build(
        Arc::new(bosun_store::EmbeddedStore::in_memory()),
        Config {
            ca_pem: ca.cert_pem.clone(),
            advertise_address: "127.0.0.1:6443".into(),
            compaction_interval: Duration::from_secs(300),
            toleration_seconds: Default::default(),
            auth: auth::AuthConfig {
                ca: Some((ca.cert_pem.clone(), ca_key)),
                ..Default::default()
            },
            join_token: None,
            kubelet_client: Some(KubeletClientIdentity {
                cert_chain_pem: client.cert_pem,
                key_pem: client.key_pem,
            }),
        },
    )
    .await
    .expect("server");
    Cluster {
        router,
        ca_pem: ca.cert_pem,
    }
}

fn admin() -> UserInfo {
    auth::user("admin", &[auth::MASTERS])
}

impl Cluster {
    async fn call(
        &self,
        user: UserInfo,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Response<Body> {
        let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::CONTENT_TYPE, "application/json")
            .body(body)
            .expect("request");
        let Ok(response) = InProcess::new(self.router.clone(), user)
            .oneshot(request)
            .await;
        response
    }

    async fn json(&self, user: UserInfo, method: Method, path: &str, body: Option<Value>) -> Value {
        let response = self.call(user, method, path, body).await;
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        serde_json::from_slice(&bytes).expect("JSON")
    }

    async fn create(&self, path: &str, obj: Value) {
        let created = self.json(admin(), Method::POST, path, Some(obj)).await;
        assert!(created["metadata"]["uid"].is_string(), "{created}");
    }

    async fn node(&self, name: &str, port: u16) {
        self.create(
            "/api/v1/nodes",
            json!({
                "apiVersion": "v1", "kind": "Node", "metadata": {"name": name},
                "status": {
                    "addresses": [
                        {"type": "Hostname", "address": name},
                        {"type": "InternalIP", "address": "127.0.0.1"},
                    ],
                    "daemonEndpoints": {"kubeletEndpoint": {"Port": port}},
                },
            }),
        )
        .await;
    }

    async fn pod(&self, name: &str, node: Option<&str>, containers: &[&str]) {
        let containers: Vec<Value> = containers
            .iter()
            .map(|c| json!({"name": c, "image": "busybox"}))
            .collect();
        let mut spec = json!({"containers": containers});
        if let Some(node) = node {
            spec["nodeName"] = json!(node);
        }
        self.create(
            "/api/v1/namespaces/default/pods",
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}),
        )
        .await;
    }

    /// The `Status` answered for a log request, with its HTTP code.
    async fn log_error(&self, user: UserInfo, path: &str) -> (StatusCode, Value) {
        let response = self.call(user, Method::GET, path, None).await;
        let code = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        (code, serde_json::from_slice(&bytes).expect("a Status"))
    }
}

async fn next_chunk(stream: &mut axum::body::BodyDataStream) -> Option<Bytes> {
    tokio::time::timeout(WAIT, stream.next())
        .await
        .expect("the log stream stalled")
        .map(|chunk| chunk.expect("chunk"))
}

#[tokio::test]
async fn logs_stream_from_the_agent_as_they_are_written() {
    let c = cluster().await;
    let agent = start_agent(&c.ca_pem).await;
    c.node("n1", agent.port).await;
    c.pod("web-abc", Some("n1"), &["web"]).await;

    let response = c
        .call(
            admin(),
            Method::GET,
            "/api/v1/namespaces/default/pods/web-abc/log?follow=true&tailLines=10&timestamps=true&insecureSkipTLSVerifyBackend=true",
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.as_bytes()),
        Some(&b"text/plain"[..])
    );
    let mut stream = response.into_body().into_data_stream();
    // The first line arrives while the agent still holds the second one back.
    assert_eq!(
        next_chunk(&mut stream).await.as_deref(),
        Some(&b"line 1\n"[..])
    );
    agent.release.notify_one();
    let mut rest = Vec::new();
    while let Some(chunk) = next_chunk(&mut stream).await {
        rest.extend_from_slice(&chunk);
    }
    assert_eq!(
        rest, b"line 2\n",
        "the stream ends when the agent closes it"
    );

    let seen = agent.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(
        seen[0].path_and_query,
        "/containerLogs/default/web-abc/web?follow=true&tailLines=10&timestamps=true"
    );
    // The agent double only completes handshakes with certificates of the cluster CA.
    assert_eq!(seen[0].client_cn, "kube-apiserver-kubelet-client");
    assert_eq!(seen[0].client_orgs, vec!["system:masters"]);
}

#[tokio::test]
async fn agent_refusals_become_statuses() {
    let c = cluster().await;
    let agent = start_agent(&c.ca_pem).await;
    c.node("n1", agent.port).await;
    c.pod("web-abc", Some("n1"), &["web", "bad", "gone"]).await;

    let (code, status) = c
        .log_error(
            admin(),
            "/api/v1/namespaces/default/pods/web-abc/log?container=bad&previous=true",
        )
        .await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    assert_eq!(status["kind"], "Status");
    assert_eq!(status["reason"], "BadRequest");
    assert_eq!(
        status["message"],
        "container \"bad\" in pod \"web-abc\" is waiting to start: ContainerCreating"
    );

    let (code, status) = c
        .log_error(
            admin(),
            "/api/v1/namespaces/default/pods/web-abc/log?container=gone",
        )
        .await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    assert_eq!(status["reason"], "NotFound");
    assert_eq!(
        status["message"],
        "the server could not find the requested resource ( pods/log web-abc)"
    );

    let paths: Vec<String> = agent.seen().into_iter().map(|s| s.path_and_query).collect();
    assert_eq!(
        paths,
        [
            "/containerLogs/default/web-abc/bad?previous=true",
            "/containerLogs/default/web-abc/gone",
        ]
    );

    // Checked before the agent is asked.
    let (code, status) = c
        .log_error(admin(), "/api/v1/namespaces/default/pods/web-abc/log")
        .await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    assert_eq!(
        status["message"],
        "a container name must be specified for pod web-abc, choose one of: [web bad gone]"
    );
    let (code, status) = c
        .log_error(
            admin(),
            "/api/v1/namespaces/default/pods/web-abc/log?tailLines=-1",
        )
        .await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(status["reason"], "Invalid");
    assert_eq!(agent.seen().len(), 2);
}

#[tokio::test]
async fn pods_without_a_reachable_agent() {
    let c = cluster().await;
    let (code, status) = c
        .log_error(admin(), "/api/v1/namespaces/default/pods/nope/log")
        .await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    assert_eq!(status["message"], "pods \"nope\" not found");

    // Not scheduled yet: upstream has nowhere to stream from and answers 204.
    c.pod("pending", None, &["web"]).await;
    let response = c
        .call(
            admin(),
            Method::GET,
            "/api/v1/namespaces/default/pods/pending/log",
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);

    c.pod("lost", Some("ghost"), &["web"]).await;
    let (code, status) = c
        .log_error(admin(), "/api/v1/namespaces/default/pods/lost/log")
        .await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    assert_eq!(status["message"], "nodes \"ghost\" not found");

    let closed = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    c.node("down", port).await;
    c.pod("stranded", Some("down"), &["web"]).await;
    let (code, status) = c
        .log_error(
            admin(),
            "/api/v1/namespaces/default/pods/stranded/log?follow=true",
        )
        .await;
    assert_eq!(code, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        status["message"],
        format!(
            "Get \"https://127.0.0.1:{port}/containerLogs/default/stranded/web?follow=true\": dial tcp 127.0.0.1:{port}: connect: connection refused"
        )
    );
    assert!(status.get("reason").is_none(), "{status}");
}

#[tokio::test]
async fn view_users_may_read_logs_and_others_may_not() {
    let c = cluster().await;
    c.create(
        "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings",
        json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": "viewer"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "viewer"}],
        }),
    )
    .await;
    // `kubectl auth can-i get pods --subresource=log`.
    let review = json!({
        "apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
        "spec": {"resourceAttributes": {
            "namespace": "default", "verb": "get", "resource": "pods", "subresource": "log",
        }},
    });
    let viewer = || auth::user("viewer", &[]);
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let answer = c
            .json(
                viewer(),
                Method::POST,
                "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
                Some(review.clone()),
            )
            .await;
        if answer["status"]["allowed"] == true {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the binding never took effect: {answer}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Through authorization to the handler: the pod is missing, not forbidden.
    let (code, _) = c
        .log_error(viewer(), "/api/v1/namespaces/default/pods/nope/log")
        .await;
    assert_eq!(code, StatusCode::NOT_FOUND);

    let (code, status) = c
        .log_error(
            auth::user("stranger", &[]),
            "/api/v1/namespaces/default/pods/nope/log",
        )
        .await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    assert_eq!(
        status["message"],
        "pods \"nope\" is forbidden: User \"stranger\" cannot get resource \"pods/log\" in API group \"\" in the namespace \"default\""
    );
}

#[tokio::test]
async fn discovery_lists_pods_log() {
    let c = cluster().await;
    let list = c.json(admin(), Method::GET, "/api/v1", None).await;
    let entry = list["resources"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["name"] == "pods/log"))
        .cloned();
    assert_eq!(
        entry,
        Some(
            json!({"name": "pods/log", "singularName": "", "namespaced": true, "kind": "Pod", "verbs": ["get"]})
        )
    );
}
