//! bosun's API server: the Kubernetes REST API over a [`bosun_store::Store`].
//!
//! Module map: [`http`] (routes, URL parsing, negotiation) → [`rest`] (verbs) →
//! [`registry`] (object lifecycle, the only writer to the store); [`watch`] (watch cache
//! and streams); [`discovery`] and [`openapi`] (what clients learn about the API);
//! [`system`] (the server's own loops: bootstrap objects, namespace lifecycle, compaction);
//! [`logs`] over [`kubelet`] (`pods/{name}/log`, proxied to the node agent).

pub mod admission;
pub mod auth;
mod current;
mod deletion;
pub mod discovery;
pub mod error;
pub mod exec;
pub mod http;
pub mod kubelet;
pub mod logs;
pub mod metrics;
pub mod object;
pub mod openapi;
pub mod patch;
#[cfg(test)]
mod races_tests;
pub mod registry;
pub mod rest;
pub mod subresources;
pub mod system;
pub mod watch;

use std::sync::Arc;

use bosun_store::Store;

pub use error::{ApiError, ApiResult};
pub use kubelet::KubeletClientIdentity;

/// What every request handler shares.
pub struct ServerState {
    pub registry: Arc<registry::Registry>,
    pub watch_cache: Arc<watch::WatchCache>,
    /// `host:port` clients are told to use (discovery's `serverAddressByClientCIDRs`).
    pub advertise_address: String,
    pub metrics: metrics::Metrics,
    pub auth: auth::AuthState,
    /// How the server reaches node agents (`pods/{name}/log`); `None` without an identity.
    pub kubelet: Option<kubelet::KubeletClient>,
}

/// Settings of one API server.
pub struct Config {
    /// PEM of the cluster CA, published in every namespace as `kube-root-ca.crt`.
    pub ca_pem: String,
    pub advertise_address: String,
    /// How often watch history is compacted (upstream's default is 5 minutes).
    pub compaction_interval: std::time::Duration,
    /// Default tolerations admission adds to pods for not-ready/unreachable nodes.
    pub toleration_seconds: bosun_api::defaults::TolerationSeconds,
    /// Keys and static credentials for authentication.
    pub auth: auth::AuthConfig,
    /// A bootstrap token (`<id>.<secret>`) nodes join with; stored as its Secret.
    pub join_token: Option<String>,
    /// The client certificate the server presents to node agents; without one,
    /// `pods/{name}/log` answers an error.
    pub kubelet_client: Option<KubeletClientIdentity>,
}

/// Builds the API server over `store`: starts the watch cache, creates the bootstrap
/// objects and the server's own loops, and returns the HTTP service.
pub async fn build(
    store: Arc<dyn Store>,
    config: Config,
) -> Result<(axum::Router, Arc<ServerState>), ApiError> {
    let metrics = metrics::Metrics::new();
    let store: Arc<dyn Store> = Arc::new(metrics::MeteredStore::new(store, &metrics));
    let registry = Arc::new(registry::Registry::new(
        store.clone(),
        config.toleration_seconds,
    ));
    let watch_cache = watch::WatchCache::start(store, registry.current_state())
        .await
        .map_err(|e| ApiError::unavailable(format!("starting the watch cache: {e}")))?;
    let auth = auth::AuthState::new(config.auth).map_err(ApiError::internal)?;
    let kubelet = config
        .kubelet_client
        .as_ref()
        .map(kubelet::KubeletClient::new)
        .transpose()
        .map_err(ApiError::internal)?;
    let state = Arc::new(ServerState {
        registry,
        watch_cache,
        advertise_address: config.advertise_address,
        metrics,
        auth,
        kubelet,
    });
    system::bootstrap(&state, &config.ca_pem).await?;
    auth::bootstrap(&state, config.join_token.as_deref()).await?;
    system::spawn_loops(state.clone(), config.ca_pem, config.compaction_interval);
    Ok((http::router(state.clone()), state))
}
