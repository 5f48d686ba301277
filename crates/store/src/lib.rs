//! bosun's datastore: the [`Store`] trait, an MVCC key-value store in the model of etcd,
//! and its embedded backend ([`EmbeddedStore`]).
//!
//! The contract every backend keeps:
//! - one global revision, increased by exactly one for every successful write; a key's
//!   `mod_revision` is the revision of the write that produced its current value, and it is
//!   what the API server exposes as `resourceVersion`;
//! - writes are guarded by compare-and-swap on the key's expected `mod_revision`;
//! - a write is acknowledged only once it is durable, and reads and watches never show a
//!   write before it is durable;
//! - a watch of a prefix from revision `R` yields every event with revision `> R`, in
//!   revision order, with no gaps or duplicates, first from history and then live;
//! - history at or below the compacted revision is gone: reads and watches there fail
//!   with [`StoreError::Compacted`].
//!
//! The trait is deliberately narrow (get, list, create, update, delete, watch, compact) so
//! that an etcd backend can implement it with etcd's own revisions and transactions.

pub mod conformance;
mod embedded;
mod etcd;
pub mod testing;
mod wal;

pub use embedded::EmbeddedStore;
pub use etcd::{EtcdConfig, EtcdStore};

use std::pin::Pin;

use bytes::Bytes;
use futures::Stream;

/// A position in the store's history. Revision 0 is the empty store.
pub type Revision = i64;

/// One key's value at some revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyValue {
    pub key: String,
    pub value: Bytes,
    /// Revision of the write that created the key (its latest incarnation).
    pub create_revision: Revision,
    /// Revision of the write that produced this value.
    pub mod_revision: Revision,
}

/// What a write did to a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    Put,
    Delete,
}

/// One write, as seen by watchers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub kind: EventKind,
    /// For `Put`, the new value. For `Delete`, the last value the key had, with
    /// `mod_revision` set to the revision of the deletion.
    pub kv: KeyValue,
    /// The value before this write, if the key existed.
    pub prev: Option<KeyValue>,
}

impl Event {
    pub fn revision(&self) -> Revision {
        self.kv.mod_revision
    }
}

/// Options of a range read.
#[derive(Debug, Clone, Default)]
pub struct ListOptions {
    /// Read at this revision (`None` = the latest durable one).
    pub revision: Option<Revision>,
    /// Start strictly after this key (paging).
    pub start_after: Option<String>,
    /// At most this many keys (`None` or 0 = all).
    pub limit: Option<usize>,
}

/// The answer to a range read.
#[derive(Debug, Clone)]
pub struct ListResult {
    pub kvs: Vec<KeyValue>,
    /// The revision the read was made at.
    pub revision: Revision,
    /// Whether keys remain after the last one returned.
    pub more: bool,
    /// How many keys remain after the last one returned.
    pub remaining: usize,
}

/// Errors of every backend. Callers map them to API statuses (404, 409, 410, 503).
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum StoreError {
    #[error("key {0} not found")]
    NotFound(String),
    #[error("key {} already exists", .0.key)]
    AlreadyExists(Box<KeyValue>),
    /// The key's current `mod_revision` differs from the expected one; `current` is
    /// what is there now (`None` when it does not exist).
    #[error("compare-and-swap failed on {key}")]
    Conflict {
        key: String,
        current: Option<Box<KeyValue>>,
    },
    #[error("required revision {requested} has been compacted (compacted revision {compacted})")]
    Compacted {
        requested: Revision,
        compacted: Revision,
    },
    #[error("required revision {requested} is a future revision (current {current})")]
    FutureRevision {
        requested: Revision,
        current: Revision,
    },
    /// The backend cannot serve (disk failure, lost connection). Data already
    /// acknowledged is safe; the operation was not applied.
    #[error("datastore unavailable: {0}")]
    Unavailable(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// A watch: batches of events in revision order, ending with an error if the watch
/// falls behind compaction or the backend fails.
pub type WatchStream = Pin<Box<dyn Stream<Item = Result<Vec<Event>>> + Send>>;

/// The datastore interface the API server is written against.
#[async_trait::async_trait]
pub trait Store: Send + Sync + 'static {
    /// The latest durable revision.
    async fn current_revision(&self) -> Result<Revision>;
    /// The revision at and below which history is gone (0 if never compacted).
    async fn compacted_revision(&self) -> Result<Revision>;
    /// The current value of one key.
    async fn get(&self, key: &str) -> Result<Option<KeyValue>>;
    /// Keys under `prefix`, in key order.
    async fn list(&self, prefix: &str, options: ListOptions) -> Result<ListResult>;
    /// Creates a key that must not exist.
    async fn create(&self, key: &str, value: Bytes) -> Result<KeyValue>;
    /// Replaces a key whose current `mod_revision` must be `expected`.
    async fn update(&self, key: &str, value: Bytes, expected: Revision) -> Result<KeyValue>;
    /// Deletes a key, guarded by its `mod_revision` when `expected` is given. Returns
    /// the deleted value with `mod_revision` set to the deletion's revision.
    async fn delete(&self, key: &str, expected: Option<Revision>) -> Result<KeyValue>;
    /// Events under `prefix` with revision greater than `after`.
    async fn watch(&self, prefix: &str, after: Revision) -> Result<WatchStream>;
    /// Drops history at and below `revision`.
    async fn compact(&self, revision: Revision) -> Result<()>;
}
