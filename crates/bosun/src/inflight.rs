//! A cap on the API requests a many-node agent has in flight at once, watches aside.
//!
//! kube's client speaks HTTP/1.1, one request per connection at a time, and its pool
//! opens a new connection whenever every pooled one is busy. An agent simulating
//! thousands of hollow nodes writes pod statuses in bursts (a node starts every pod it
//! is given at once), so a burst of new pods opened thousands of connections within
//! seconds, each a full TLS handshake with client-certificate verification on the
//! server: 6.5% of the server's time in a profile of `bench scheduler` (5,000 nodes).
//! Upstream's kubelets each hold one HTTP/2 connection and rate-limit their own calls
//! (`kubeAPIQPS`); here the agent's requests wait for one of [`MAX_IN_FLIGHT`] slots
//! instead, so the pool stays at about that many connections besides the watches.
//! Watches and other streams are long-lived and never take a slot (each needs its own
//! connection anyway), nor do node leases and node status, which keep nodes alive.

use std::sync::Arc;
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use http_body_util::BodyExt;
use kube::client::Body;
use tokio::sync::Semaphore;

/// Requests other than watches in flight at once. At 150,000 pods on 5,000 nodes the
/// agent's status writes need ~3,000/s at ~50-100 ms each under load; 128 slots
/// throttled them (all pods available after 160 s instead of ~128), 512 do not, and
/// keep the pool to a few hundred connections (PATCH p99 600 -> 200-400 ms).
pub const MAX_IN_FLIGHT: usize = 512;

#[derive(Clone)]
struct Capped {
    client: kube::Client,
    slots: Arc<Semaphore>,
}

/// `client` with at most `limit` requests other than watches in flight.
pub fn capped(client: kube::Client, limit: usize) -> kube::Client {
    let default_namespace = client.default_namespace().to_string();
    let service = Capped {
        client,
        slots: Arc::new(Semaphore::new(limit.max(1))),
    };
    kube::Client::new(service, default_namespace)
}

/// Whether the request is a watch (`watch=true`/`watch=1` in its query, or the old
/// `/watch/` paths) or another stream (`follow=true` logs), which must not hold a slot.
fn is_watch(uri: &http::Uri) -> bool {
    uri.path().contains("/watch/")
        || uri.query().is_some_and(|q| {
            q.split('&').any(|pair| {
                matches!(
                    pair,
                    "watch=true" | "watch=1" | "watch=True" | "follow=true" | "follow=1"
                )
            })
        })
}

/// Requests that keep the nodes alive: node leases and node objects (heartbeats and
/// node status). They never wait behind a burst of pod status writes, or a slow server
/// could let every lease lapse and the node lifecycle controller taint every node.
fn keeps_nodes_alive(uri: &http::Uri) -> bool {
    let path = uri.path();
    path.starts_with("/apis/coordination.k8s.io/") || path.starts_with("/api/v1/nodes")
}

impl tower::Service<http::Request<Body>> for Capped {
    type Response = http::Response<Body>;
    type Error = kube::Error;
    type Future = BoxFuture<'static, Result<http::Response<Body>, kube::Error>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), kube::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let client = self.client.clone();
        let upgrade = request.headers().contains_key(http::header::UPGRADE);
        if upgrade || is_watch(request.uri()) || keeps_nodes_alive(request.uri()) {
            return Box::pin(async move { client.send(request).await });
        }
        let slots = self.slots.clone();
        Box::pin(async move {
            // The semaphore is never closed, so this only fails if it were.
            let _slot = slots.acquire_owned().await.ok();
            let response = client.send(request).await?;
            // The connection is busy until the body is read: read it under the slot.
            let (parts, body) = response.into_parts();
            let bytes = body
                .collect()
                .await
                .map_err(|e| kube::Error::Service(e.into()))?
                .to_bytes();
            Ok(http::Response::from_parts(parts, Body::from(bytes)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_watches_go_past_the_cap() {
        let watch = |q: &str| is_watch(&format!("/api/v1/pods?{q}").parse().expect("uri"));
        assert!(watch(
            "fieldSelector=spec.nodeName%3Dn1&watch=true&resourceVersion=5"
        ));
        assert!(watch("watch=1"));
        assert!(!watch("watch=false"));
        assert!(!watch("limit=500&resourceVersion=0"));
        assert!(!watch("labelSelector=watch%3Dtrue"));
        assert!(!is_watch(&"/api/v1/pods".parse().expect("uri")));
        assert!(watch("follow=true&container=app"));
        assert!(is_watch(&"/api/v1/watch/pods".parse().expect("uri")));
        let uri = |p: &str| p.parse::<http::Uri>().expect("uri");
        assert!(keeps_nodes_alive(&uri(
            "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1"
        )));
        assert!(keeps_nodes_alive(&uri("/api/v1/nodes/n1/status")));
        assert!(!keeps_nodes_alive(&uri(
            "/api/v1/namespaces/default/pods/p/status"
        )));
    }

    /// A server that answers after a pause, counting the requests it has at once.
    fn slow_server(
        now: Arc<std::sync::atomic::AtomicUsize>,
        most: Arc<std::sync::atomic::AtomicUsize>,
    ) -> kube::Client {
        use std::sync::atomic::Ordering;
        let service = tower::service_fn(move |request: http::Request<Body>| {
            let (now, most) = (now.clone(), most.clone());
            async move {
                let watch = is_watch(request.uri());
                if !watch {
                    let at_once = now.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(at_once, Ordering::SeqCst);
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                    now.fetch_sub(1, Ordering::SeqCst);
                }
                Ok::<_, std::convert::Infallible>(http::Response::new(Body::from(
                    br#"{"kind":"Status","apiVersion":"v1","status":"Success"}"#.to_vec(),
                )))
            }
        });
        kube::Client::new(service, "default")
    }

    #[tokio::test]
    async fn requests_past_the_cap_wait_and_watches_do_not() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let (now, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let client = capped(slow_server(now.clone(), most.clone()), 4);
        let get = |path: &'static str| {
            let client = client.clone();
            async move {
                let request = http::Request::get(path).body(Vec::new()).expect("request");
                client.request_text(request).await
            }
        };
        let many: Vec<_> = (0..40).map(|_| tokio::spawn(get("/api/v1/pods"))).collect();
        // While every slot is taken, a watch still goes through at once.
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        let watch = tokio::time::timeout(
            std::time::Duration::from_millis(15),
            get("/api/v1/pods?watch=true"),
        )
        .await;
        assert!(matches!(watch, Ok(Ok(_))), "the watch waited: {watch:?}");
        for task in many {
            let answer = task.await.expect("task");
            assert!(answer.is_ok_and(|body| body.contains("Success")));
        }
        assert_eq!(
            most.load(Ordering::SeqCst),
            4,
            "at most 4 at once, and 4 used"
        );
        assert_eq!(now.load(Ordering::SeqCst), 0);
    }
}
