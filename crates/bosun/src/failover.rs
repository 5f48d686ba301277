//! A client over several API servers of one cluster: requests go to the current server;
//! when it cannot be reached, the request fails (callers and watches retry, as they do
//! anyway) and the next server becomes current. Answers from a live server, errors
//! included, never cause a switch.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use kube::client::Body;

#[derive(Clone)]
struct Failover {
    clients: Arc<Vec<kube::Client>>,
    current: Arc<AtomicUsize>,
}

/// A client that fails over between `clients` (one per server; at least two).
pub fn client(clients: Vec<kube::Client>) -> kube::Client {
    let service = Failover {
        clients: Arc::new(clients),
        current: Arc::new(AtomicUsize::new(0)),
    };
    kube::Client::new(service, "default")
}

impl tower::Service<http::Request<Body>> for Failover {
    type Response = http::Response<Body>;
    type Error = kube::Error;
    type Future = BoxFuture<'static, Result<http::Response<Body>, kube::Error>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), kube::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let n = self.clients.len().max(1);
        let index = self.current.load(Ordering::Relaxed) % n;
        let client = self.clients[index].clone();
        let current = self.current.clone();
        Box::pin(async move {
            let result = client.send(request).await;
            if let Err(err) = &result
                && !matches!(err, kube::Error::Api(_))
            {
                // Only one of several concurrent failures moves on.
                if current
                    .compare_exchange(index, (index + 1) % n, Ordering::Relaxed, Ordering::Relaxed)
                    .is_ok()
                {
                    tracing::warn!(%err, "API server unreachable; failing over to the next one");
                }
            }
            result
        })
    }
}
