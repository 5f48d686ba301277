//! Leader election through `coordination.k8s.io/v1` Leases, with upstream's timings
//! (lease 15 s, renew deadline 10 s, retry 2 s): of several servers sharing a datastore,
//! exactly one runs each of the controller manager and the scheduler. A candidate takes
//! the Lease when it is absent or when its holder has not renewed it for a whole lease
//! duration — judged by when *this* candidate last saw it change, not by the timestamps
//! in it, so clock skew between machines does not matter (as client-go does).

use std::time::{Duration, Instant};

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use kube::Api;
use kube::api::{ObjectMeta, PostParams};

#[derive(Debug, Clone)]
pub struct LeaderConfig {
    pub namespace: String,
    pub name: String,
    pub identity: String,
    pub lease_duration: Duration,
    pub renew_deadline: Duration,
    pub retry_period: Duration,
}

impl LeaderConfig {
    /// Upstream's defaults for the Lease `kube-system/<name>`.
    pub fn new(name: &str, identity: &str) -> LeaderConfig {
        LeaderConfig {
            namespace: "kube-system".into(),
            name: name.into(),
            identity: identity.into(),
            lease_duration: Duration::from_secs(15),
            renew_deadline: Duration::from_secs(10),
            retry_period: Duration::from_secs(2),
        }
    }
}

/// A candidate's view of the Lease: what it last saw and when it saw it change.
struct Observed {
    holder: Option<String>,
    renew_time: Option<String>,
    at: Instant,
}

pub struct Elector {
    api: Api<Lease>,
    config: LeaderConfig,
    observed: Option<Observed>,
}

fn now() -> MicroTime {
    MicroTime(jiff::Timestamp::now())
}

impl Elector {
    pub fn new(client: kube::Client, config: LeaderConfig) -> Elector {
        Elector {
            api: Api::namespaced(client, &config.namespace),
            config,
            observed: None,
        }
    }

    /// Waits until this candidate holds the Lease.
    pub async fn acquire(&mut self) {
        loop {
            match self.try_acquire_or_renew().await {
                Ok(true) => {
                    tracing::info!(lease = %self.config.name, identity = %self.config.identity, "became leader");
                    return;
                }
                Ok(false) => {}
                Err(err) => {
                    tracing::debug!(%err, lease = %self.config.name, "leader election attempt failed")
                }
            }
            tokio::time::sleep(self.config.retry_period).await;
        }
    }

    /// Renews every retry period; returns when the Lease could not be renewed within
    /// the renew deadline (or another holder took it): leadership is lost.
    pub async fn hold(&mut self) {
        let mut last_renewed = Instant::now();
        loop {
            tokio::time::sleep(self.config.retry_period).await;
            match self.try_acquire_or_renew().await {
                Ok(true) => last_renewed = Instant::now(),
                Ok(false) => {
                    tracing::error!(lease = %self.config.name, "another candidate holds the lease");
                    return;
                }
                Err(err) => {
                    tracing::warn!(%err, lease = %self.config.name, "renewing the lease failed");
                    if last_renewed.elapsed() > self.config.renew_deadline {
                        tracing::error!(lease = %self.config.name, "leadership lost: not renewed within the renew deadline");
                        return;
                    }
                }
            }
        }
    }

    /// One round: take or renew the Lease. `Ok(true)` when we hold it afterwards.
    async fn try_acquire_or_renew(&mut self) -> Result<bool, kube::Error> {
        let me = self.config.identity.clone();
        let seconds = self.config.lease_duration.as_secs() as i32;
        let current = match self.api.get_opt(&self.config.name).await? {
            Some(lease) => lease,
            None => {
                let lease = Lease {
                    metadata: ObjectMeta {
                        name: Some(self.config.name.clone()),
                        namespace: Some(self.config.namespace.clone()),
                        ..Default::default()
                    },
                    spec: Some(LeaseSpec {
                        holder_identity: Some(me.clone()),
                        lease_duration_seconds: Some(seconds),
                        acquire_time: Some(now()),
                        renew_time: Some(now()),
                        lease_transitions: Some(0),
                        ..Default::default()
                    }),
                };
                return match self.api.create(&PostParams::default(), &lease).await {
                    Ok(_) => Ok(true),
                    Err(kube::Error::Api(e)) if e.code == 409 => Ok(false),
                    Err(e) => Err(e),
                };
            }
        };
        let spec = current.spec.clone().unwrap_or_default();
        let holder = spec.holder_identity.clone().filter(|h| !h.is_empty());
        let renew = spec.renew_time.as_ref().map(|t| t.0.to_string());
        let changed = match &self.observed {
            Some(o) => o.holder != holder || o.renew_time != renew,
            None => true,
        };
        if changed {
            self.observed = Some(Observed {
                holder: holder.clone(),
                renew_time: renew,
                at: Instant::now(),
            });
        }
        let held_by_me = holder.as_deref() == Some(me.as_str());
        let duration =
            Duration::from_secs(spec.lease_duration_seconds.unwrap_or(seconds).max(1) as u64);
        let expired = self
            .observed
            .as_ref()
            .is_some_and(|o| o.at.elapsed() > duration);
        if holder.is_some() && !held_by_me && !expired {
            return Ok(false);
        }
        let mut next = current.clone();
        let mut next_spec = spec.clone();
        next_spec.holder_identity = Some(me.clone());
        next_spec.lease_duration_seconds = Some(seconds);
        next_spec.renew_time = Some(now());
        if !held_by_me {
            next_spec.acquire_time = Some(now());
            next_spec.lease_transitions = Some(spec.lease_transitions.unwrap_or(0) + 1);
        }
        next.spec = Some(next_spec);
        // The resourceVersion in `next` makes this a compare-and-swap: of two
        // candidates taking an expired lease, one wins and the other gets 409.
        match self
            .api
            .replace(&self.config.name, &PostParams::default(), &next)
            .await
        {
            Ok(_) => Ok(true),
            Err(kube::Error::Api(e)) if e.code == 409 => Ok(false),
            Err(e) => Err(e),
        }
    }
}

/// A process-unique candidate identity: `<host>_<random>` like client-go's.
pub fn identity(host: &str) -> String {
    use rand::Rng;
    let suffix: u64 = rand::rng().random();
    format!("{host}_{suffix:016x}")
}
