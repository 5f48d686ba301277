//! The etcd backend: etcd's own revisions are the store's revisions (so
//! `resourceVersion` means the same on every API server sharing the cluster),
//! compare-and-swap is an etcd transaction on the key's `mod_revision`, watches are
//! etcd watches from a start revision, and compaction is etcd's. The compacted revision
//! is recorded under [`COMPACTED_KEY`] so that every server sharing the cluster knows it
//! (as upstream's apiserver does with its `compact_rev_key`).

use std::time::Duration;

use bytes::Bytes;
use etcd_client::{
    Client, Compare, CompareOp, ConnectOptions, DeleteOptions, EventType, GetOptions, PutOptions,
    Txn, TxnOp, TxnOpResponse, WatchOptions,
};
use futures::StreamExt;

use crate::{
    Event, EventKind, KeyValue, ListOptions, ListResult, Result, Revision, Store, StoreError,
    WatchStream,
};

/// Where the compacted revision is kept.
pub const COMPACTED_KEY: &str = "/bosun/compacted-revision";
/// A request that gets no answer in this long fails as unavailable (etcd without quorum
/// never answers writes; callers get a 503 instead of a hang).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// A [`Store`] on an etcd cluster.
pub struct EtcdStore {
    client: Client,
}

/// Connection settings: endpoints and optional TLS files.
#[derive(Debug, Clone, Default)]
pub struct EtcdConfig {
    pub endpoints: Vec<String>,
    pub ca_file: Option<std::path::PathBuf>,
    pub cert_file: Option<std::path::PathBuf>,
    pub key_file: Option<std::path::PathBuf>,
}

impl EtcdConfig {
    /// Parses `etcd://HOST:PORT[,HOST:PORT…]` (also accepts `http://`/`https://` lists).
    pub fn parse(url: &str) -> std::result::Result<EtcdConfig, String> {
        let rest = url
            .strip_prefix("etcd://")
            .ok_or_else(|| format!("{url:?}: expected etcd://HOST:PORT[,HOST:PORT…]"))?;
        let endpoints: Vec<String> = rest
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(|e| e.to_string())
            .collect();
        if endpoints.is_empty() {
            return Err(format!("{url:?} names no etcd endpoint"));
        }
        Ok(EtcdConfig {
            endpoints,
            ..Default::default()
        })
    }
}

fn unavailable(err: etcd_client::Error) -> StoreError {
    StoreError::Unavailable(format!("etcd: {err}"))
}

/// Maps etcd's errors onto the store's: compaction and future revisions by etcd's
/// own messages, everything else as unavailability.
fn classify(
    err: etcd_client::Error,
    requested: Option<Revision>,
    current: Revision,
    compacted: Revision,
) -> StoreError {
    let text = err.to_string();
    if text.contains("required revision has been compacted") {
        return StoreError::Compacted {
            requested: requested.unwrap_or_default(),
            compacted,
        };
    }
    if text.contains("required revision is a future revision") {
        return StoreError::FutureRevision {
            requested: requested.unwrap_or_default(),
            current,
        };
    }
    unavailable(err)
}

fn convert(kv: &etcd_client::KeyValue) -> KeyValue {
    KeyValue {
        key: String::from_utf8_lossy(kv.key()).into_owned(),
        value: Bytes::copy_from_slice(kv.value()),
        create_revision: kv.create_revision(),
        mod_revision: kv.mod_revision(),
    }
}

/// The first key after every key that starts with `prefix`.
fn prefix_end(prefix: &str) -> Vec<u8> {
    let mut end = prefix.as_bytes().to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return end;
        }
    }
    vec![0]
}

async fn timed<T>(
    fut: impl std::future::Future<Output = std::result::Result<T, etcd_client::Error>>,
) -> std::result::Result<T, etcd_client::Error> {
    match tokio::time::timeout(REQUEST_TIMEOUT, fut).await {
        Ok(result) => result,
        Err(_) => Err(etcd_client::Error::InvalidArgs(format!(
            "no answer within {REQUEST_TIMEOUT:?} (is a quorum of members up?)"
        ))),
    }
}

/// Whether a request failed before it reached any member (a dead member's address
/// among the endpoints): safe to repeat, writes included, on another member.
fn not_sent(err: &etcd_client::Error) -> bool {
    let text = err.to_string();
    text.contains("tcp connect error") || text.contains("Connection refused")
}

/// Whether a failed read may simply be repeated: not sent, or a leader election in
/// progress.
fn transient(err: &etcd_client::Error) -> bool {
    let text = err.to_string();
    not_sent(err) || text.contains("leader changed") || text.contains("no leader")
}

/// Runs a write, repeating it only if it never reached a member.
async fn write<T, F, Fut>(mut attempt: F) -> std::result::Result<T, etcd_client::Error>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = std::result::Result<T, etcd_client::Error>>,
{
    let mut tries = 0;
    loop {
        match timed(attempt()).await {
            Err(err) if not_sent(&err) && tries < 10 => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(20 * tries)).await;
            }
            other => return other,
        }
    }
}

/// Runs an idempotent read, repeating it through a leader election (reads have no
/// effect to double; writes are never repeated here, as a dropped answer may hide an
/// applied write).
async fn read<T, F, Fut>(mut attempt: F) -> std::result::Result<T, etcd_client::Error>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = std::result::Result<T, etcd_client::Error>>,
{
    let mut tries = 0;
    loop {
        match timed(attempt()).await {
            Err(err) if transient(&err) && tries < 10 => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(50 * tries)).await;
            }
            other => return other,
        }
    }
}

impl EtcdStore {
    /// Connects and checks that the cluster answers; fails at once if it does not.
    pub async fn connect(config: &EtcdConfig) -> Result<EtcdStore> {
        let mut options = ConnectOptions::new()
            .with_connect_timeout(Duration::from_secs(3))
            .with_timeout(REQUEST_TIMEOUT)
            .with_keep_alive(Duration::from_secs(5), Duration::from_secs(3))
            .with_require_leader(true);
        if let Some(ca) = &config.ca_file {
            let read = |p: &std::path::Path| {
                std::fs::read(p)
                    .map_err(|e| StoreError::Unavailable(format!("reading {}: {e}", p.display())))
            };
            let mut tls = etcd_client::TlsOptions::new()
                .ca_certificate(etcd_client::Certificate::from_pem(read(ca)?));
            if let (Some(cert), Some(key)) = (&config.cert_file, &config.key_file) {
                tls = tls.identity(etcd_client::Identity::from_pem(read(cert)?, read(key)?));
            }
            options = options.with_tls(tls);
        }
        let client = timed(Client::connect(&config.endpoints, Some(options)))
            .await
            .map_err(unavailable)?;
        let store = EtcdStore { client };
        store.current_revision().await?;
        Ok(store)
    }

    /// One read of the compaction mark answers both questions: the response header
    /// carries the current revision, the value the compacted one.
    async fn mark(&self) -> Result<(Revision, Revision)> {
        let kv = self.client.kv_client();
        let resp = read(|| {
            let mut kv = kv.clone();
            async move { kv.get(COMPACTED_KEY, None).await }
        })
        .await
        .map_err(unavailable)?;
        let current = resp.header().map(|h| h.revision()).unwrap_or_default();
        let compacted = resp
            .kvs()
            .first()
            .and_then(|kv| std::str::from_utf8(kv.value()).ok()?.parse().ok())
            .unwrap_or_default();
        Ok((current, compacted))
    }

    async fn known_compacted(&self) -> Revision {
        self.compacted_revision().await.unwrap_or_default()
    }
}

#[async_trait::async_trait]
impl Store for EtcdStore {
    async fn current_revision(&self) -> Result<Revision> {
        Ok(self.mark().await?.0)
    }

    async fn compacted_revision(&self) -> Result<Revision> {
        Ok(self.mark().await?.1)
    }

    async fn get(&self, key: &str) -> Result<Option<KeyValue>> {
        let kv = self.client.kv_client();
        let resp = read(|| {
            let mut kv = kv.clone();
            let key = key.to_string();
            async move { kv.get(key, None).await }
        })
        .await
        .map_err(unavailable)?;
        Ok(resp.kvs().first().map(convert))
    }

    async fn list(&self, prefix: &str, options: ListOptions) -> Result<ListResult> {
        let kv = self.client.kv_client();
        let start = match &options.start_after {
            Some(after) => {
                let mut k = after.as_bytes().to_vec();
                k.push(0);
                k
            }
            None => prefix.as_bytes().to_vec(),
        };
        let mut get = GetOptions::new().with_range(prefix_end(prefix));
        if let Some(rev) = options.revision {
            get = get.with_revision(rev);
        }
        if let Some(limit) = options.limit.filter(|l| *l > 0) {
            get = get.with_limit(limit as i64);
        }
        let resp = match read(|| {
            let mut kv = kv.clone();
            let (start, get) = (start.clone(), get.clone());
            async move { kv.get(start, Some(get)).await }
        })
        .await
        {
            Ok(resp) => resp,
            Err(err) => {
                let (current, compacted) = self.mark().await.unwrap_or_default();
                return Err(classify(err, options.revision, current, compacted));
            }
        };
        let kvs: Vec<KeyValue> = resp.kvs().iter().map(convert).collect();
        let remaining = (resp.count() as usize).saturating_sub(kvs.len());
        Ok(ListResult {
            revision: options
                .revision
                .unwrap_or_else(|| resp.header().map(|h| h.revision()).unwrap_or_default()),
            more: resp.more(),
            remaining,
            kvs,
        })
    }

    async fn create(&self, key: &str, value: Bytes) -> Result<KeyValue> {
        let kv = self.client.kv_client();
        let txn = Txn::new()
            .when([Compare::version(key, CompareOp::Equal, 0)])
            .and_then([TxnOp::put(key, value.to_vec(), None)])
            .or_else([TxnOp::get(key, None)]);
        let resp = write(|| {
            let mut kv = kv.clone();
            let txn = txn.clone();
            async move { kv.txn(txn).await }
        })
        .await
        .map_err(unavailable)?;
        let revision = resp.header().map(|h| h.revision()).unwrap_or_default();
        if resp.succeeded() {
            return Ok(KeyValue {
                key: key.to_string(),
                value,
                create_revision: revision,
                mod_revision: revision,
            });
        }
        let existing = first_get(&resp.op_responses()).unwrap_or_else(|| KeyValue {
            key: key.to_string(),
            value: Bytes::new(),
            create_revision: 0,
            mod_revision: 0,
        });
        Err(StoreError::AlreadyExists(Box::new(existing)))
    }

    async fn update(&self, key: &str, value: Bytes, expected: Revision) -> Result<KeyValue> {
        let kv = self.client.kv_client();
        let txn = Txn::new()
            .when([Compare::mod_revision(key, CompareOp::Equal, expected)])
            .and_then([TxnOp::put(
                key,
                value.to_vec(),
                Some(PutOptions::new().with_prev_key()),
            )])
            .or_else([TxnOp::get(key, None)]);
        let resp = write(|| {
            let mut kv = kv.clone();
            let txn = txn.clone();
            async move { kv.txn(txn).await }
        })
        .await
        .map_err(unavailable)?;
        let revision = resp.header().map(|h| h.revision()).unwrap_or_default();
        let ops = resp.op_responses();
        if resp.succeeded() {
            let create_revision = ops
                .iter()
                .find_map(|op| match op {
                    TxnOpResponse::Put(put) => put.prev_key().map(|p| p.create_revision()),
                    _ => None,
                })
                .unwrap_or(revision);
            return Ok(KeyValue {
                key: key.to_string(),
                value,
                create_revision,
                mod_revision: revision,
            });
        }
        let current = first_get(&ops);
        match current {
            None => Err(StoreError::NotFound(key.to_string())),
            Some(current) => Err(StoreError::Conflict {
                key: key.to_string(),
                current: Some(Box::new(current)),
            }),
        }
    }

    async fn delete(&self, key: &str, expected: Option<Revision>) -> Result<KeyValue> {
        let kv = self.client.kv_client();
        let compare = match expected {
            Some(rev) => Compare::mod_revision(key, CompareOp::Equal, rev),
            None => Compare::version(key, CompareOp::Greater, 0),
        };
        let txn = Txn::new()
            .when([compare])
            .and_then([TxnOp::delete(
                key,
                Some(DeleteOptions::new().with_prev_key()),
            )])
            .or_else([TxnOp::get(key, None)]);
        let resp = write(|| {
            let mut kv = kv.clone();
            let txn = txn.clone();
            async move { kv.txn(txn).await }
        })
        .await
        .map_err(unavailable)?;
        let revision = resp.header().map(|h| h.revision()).unwrap_or_default();
        let ops = resp.op_responses();
        if resp.succeeded() {
            let prev = ops.iter().find_map(|op| match op {
                TxnOpResponse::Delete(del) => del.prev_kvs().first().map(convert),
                _ => None,
            });
            return match prev {
                Some(mut kv) => {
                    kv.mod_revision = revision;
                    Ok(kv)
                }
                None => Err(StoreError::NotFound(key.to_string())),
            };
        }
        match first_get(&ops) {
            None => Err(StoreError::NotFound(key.to_string())),
            Some(current) => Err(StoreError::Conflict {
                key: key.to_string(),
                current: Some(Box::new(current)),
            }),
        }
    }

    async fn watch(&self, prefix: &str, after: Revision) -> Result<WatchStream> {
        let compacted = self.known_compacted().await;
        if after < compacted {
            return Err(StoreError::Compacted {
                requested: after,
                compacted,
            });
        }
        let mut client = self.client.watch_client();
        let options = WatchOptions::new()
            .with_range(prefix_end(prefix))
            .with_start_revision(after + 1)
            .with_prev_key()
            .with_progress_notify();
        let stream = timed(client.watch(prefix, Some(options)))
            .await
            .map_err(unavailable)?;
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<Event>>>(64);
        tokio::spawn(async move {
            let mut stream = stream;
            // Keep the client (and so the watch) alive as long as the reader is.
            let _client = client;
            loop {
                let message = stream.message().await;
                let batch = match message {
                    Ok(Some(resp)) if resp.canceled() => {
                        let err = if resp.compact_revision() > 0 {
                            StoreError::Compacted {
                                requested: after,
                                compacted: resp.compact_revision(),
                            }
                        } else {
                            StoreError::Unavailable(format!(
                                "etcd cancelled the watch: {}",
                                resp.cancel_reason()
                            ))
                        };
                        let _ = tx.send(Err(err)).await;
                        return;
                    }
                    Ok(Some(resp)) => resp
                        .events()
                        .iter()
                        .filter_map(|ev| {
                            let kv = ev.kv()?;
                            let prev = ev.prev_kv().map(convert);
                            Some(match ev.event_type() {
                                EventType::Put => Event {
                                    kind: EventKind::Put,
                                    kv: convert(kv),
                                    prev,
                                },
                                EventType::Delete => {
                                    // etcd's delete event has an empty value: report the
                                    // last value, at the deletion's revision.
                                    let mut last = prev.clone().unwrap_or_else(|| convert(kv));
                                    last.mod_revision = kv.mod_revision();
                                    Event {
                                        kind: EventKind::Delete,
                                        kv: last,
                                        prev,
                                    }
                                }
                            })
                        })
                        .collect::<Vec<Event>>(),
                    Ok(None) => {
                        let _ = tx
                            .send(Err(StoreError::Unavailable("etcd closed the watch".into())))
                            .await;
                        return;
                    }
                    Err(err) => {
                        let _ = tx.send(Err(unavailable(err))).await;
                        return;
                    }
                };
                if batch.is_empty() {
                    continue;
                }
                if tx.send(Ok(batch)).await.is_err() {
                    return;
                }
            }
        });
        Ok(Box::pin(
            tokio_stream::wrappers::ReceiverStream::new(rx).fuse(),
        ))
    }

    async fn compact(&self, revision: Revision) -> Result<()> {
        let mut kv = self.client.kv_client();
        if revision <= self.known_compacted().await {
            return Ok(());
        }
        // Record first: a server that reads the mark refuses older reads at once, and
        // etcd refuses them anyway after its own compaction.
        timed(kv.put(COMPACTED_KEY, revision.to_string(), None))
            .await
            .map_err(unavailable)?;
        let mut client = self.client.clone();
        match timed(client.compact(revision, None)).await {
            Ok(_) => Ok(()),
            Err(err)
                if err
                    .to_string()
                    .contains("required revision has been compacted") =>
            {
                Ok(())
            }
            Err(err) => Err(unavailable(err)),
        }
    }
}

fn first_get(ops: &[TxnOpResponse]) -> Option<KeyValue> {
    ops.iter().find_map(|op| match op {
        TxnOpResponse::Get(get) => get.kvs().first().map(convert),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_end_is_the_next_key() {
        assert_eq!(prefix_end("/registry/"), b"/registry0".to_vec());
        assert_eq!(
            EtcdConfig::parse("etcd://a:1,b:2").map(|c| c.endpoints),
            Ok(vec!["a:1".to_string(), "b:2".to_string()])
        );
        assert!(EtcdConfig::parse("http://a:1").is_err());
    }
}
