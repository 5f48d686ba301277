//! The object lifecycle over the store, for every resource: server-set metadata,
//! defaulting, validation, admission (namespace lifecycle, quota), optimistic
//! concurrency, status/spec separation and finalizers (deletion itself is in
//! `deletion.rs`).
//!
//! HTTP handlers and the server's internal loops both go through [`Registry`]; nothing
//! else in the API server writes to the store.

use std::collections::HashMap;
use std::sync::Arc;

use bosun_api::resources::{self, ResourceInfo};
use bosun_api::selector::{FieldSelector, LabelSelector};
use bosun_store::{KeyValue, ListOptions, Store, StoreError};
use serde_json::{Value, json};

use crate::admission::{Fields, check_body, prepare_create_status};
use crate::error::{ApiError, ApiResult};
use crate::object::{self, meta_mut};

/// How long a patch is retried when a concurrent writer wins the compare-and-swap.
pub(crate) const PATCH_RETRIES: usize = 8;

/// Which part of an object a write may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The main resource: everything but `status`.
    Main,
    /// The `status` subresource: only `status`.
    Status,
}

/// `fieldValidation` of a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FieldValidation {
    Ignore,
    Warn,
    #[default]
    Strict,
}

#[derive(Debug, Clone, Default)]
pub struct WriteOptions {
    pub dry_run: bool,
    pub field_validation: FieldValidation,
}

/// The answer to a write: the object plus any `Warning` headers to send.
#[derive(Debug, Clone)]
pub struct Written {
    pub object: Value,
    pub warnings: Vec<String>,
    /// `object` as JSON, when the write made it anyway (spliced from the stored bytes).
    pub json: Option<Vec<u8>>,
}

impl Written {
    /// An answer that is encoded from `object` when it is sent.
    fn unencoded(object: Value) -> Written {
        Written {
            object,
            warnings: Vec::new(),
            json: None,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct ListParams {
    pub label_selector: Option<LabelSelector>,
    pub field_selector: Option<FieldSelector>,
    pub limit: Option<usize>,
    /// Start after this storage key.
    pub start_after: Option<String>,
    /// Read at exactly this revision (`None` = latest).
    pub revision: Option<i64>,
}

pub struct ListPage<T = Value> {
    pub items: Vec<T>,
    pub revision: i64,
    /// Storage key to continue after, if more may match.
    pub continue_after: Option<String>,
    pub remaining: Option<usize>,
}

/// What happens to an object's dependents when it is deleted (carried out by the
/// garbage collector through the `orphan` and `foregroundDeletion` finalizers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Propagation {
    /// Dependents keep running; their ownerReferences to the object are removed first.
    Orphan,
    /// The object goes now; the garbage collector deletes dependents afterwards.
    Background,
    /// Dependents are deleted first; the object goes when none blocks it.
    Foreground,
}

pub const ORPHAN_FINALIZER: &str = "orphan";
pub const FOREGROUND_FINALIZER: &str = "foregroundDeletion";

#[derive(Debug, Clone, Default)]
pub struct DeleteOptions {
    pub propagation: Option<Propagation>,
    pub grace_period_seconds: Option<i64>,
    pub precondition_uid: Option<String>,
    pub precondition_resource_version: Option<String>,
    pub dry_run: bool,
}

pub enum Deleted {
    /// The object is gone; this was its last state.
    Gone(Value),
    /// The object is marked for deletion and waits for finalizers or a grace period.
    Pending(Value),
}

pub struct Registry {
    store: Arc<dyn Store>,
    labels: object::LabelCache,
    /// The latest version of every object, for LISTs of the current state.
    current: Arc<crate::current::CurrentState>,
    toleration_seconds: bosun_api::defaults::TolerationSeconds,
    /// Creates charged to a quota hold it shared from the charge until the object is
    /// stored; the quota recompute holds it alone. Without it a recompute could list
    /// the namespace between a charge and its object's write and store a usage that
    /// forgets the charge, letting a create through past the limit.
    pub(crate) quota_charges: Arc<tokio::sync::RwLock<()>>,
    /// Namespaces this server was asked to delete lately, and when: creates in them
    /// read the namespace from the store, not the current state, which may not show the
    /// deletion yet (upstream's NamespaceLifecycle keeps the same list, for 30 s).
    pub(crate) namespaces_deleted: std::sync::Mutex<HashMap<String, std::time::Instant>>,
}

impl Registry {
    pub fn new(
        store: Arc<dyn Store>,
        toleration_seconds: bosun_api::defaults::TolerationSeconds,
    ) -> Registry {
        Registry {
            store,
            labels: object::LabelCache::default(),
            current: crate::current::CurrentState::new(),
            toleration_seconds,
            quota_charges: Default::default(),
            namespaces_deleted: Default::default(),
        }
    }

    /// The latest state of every object, which the watch cache keeps; LISTs of the
    /// latest state are answered from it once it is built (until then, and for a
    /// registry without a watch cache, from the store).
    pub fn current_state(&self) -> Arc<crate::current::CurrentState> {
        self.current.clone()
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Deletes a stored object if it is still at `revision`.
    pub(crate) async fn delete_stored(
        &self,
        key: &str,
        revision: i64,
    ) -> Result<bosun_store::KeyValue, StoreError> {
        let deleted = self.store.delete(key, Some(revision)).await?;
        self.labels.forget(revision);
        Ok(deleted)
    }

    pub async fn get(&self, info: &ResourceInfo, ns: Option<&str>, name: &str) -> ApiResult<Value> {
        let kv = self.get_stored(info, ns, name).await?;
        object::decode(&kv)
    }

    /// [`Registry::get`] as the JSON a client receives, made without decoding.
    pub async fn get_encoded(
        &self,
        info: &ResourceInfo,
        ns: Option<&str>,
        name: &str,
    ) -> ApiResult<Vec<u8>> {
        let kv = self.get_stored(info, ns, name).await?;
        object::client_json(&kv.value, kv.mod_revision)
    }

    async fn get_stored(
        &self,
        info: &ResourceInfo,
        ns: Option<&str>,
        name: &str,
    ) -> ApiResult<KeyValue> {
        let key = info.storage_key(ns, name);
        match self.store.get(&key).await {
            Ok(Some(kv)) => Ok(kv),
            Ok(None) => Err(ApiError::not_found(info, name)),
            Err(e) => Err(ApiError::from_store(e, info, name)),
        }
    }

    pub async fn list(
        &self,
        info: &ResourceInfo,
        ns: Option<&str>,
        params: &ListParams,
    ) -> ApiResult<ListPage> {
        self.list_as(info, ns, params).await
    }

    /// [`Registry::list`], each object handed back as `T` (decoded, or as JSON).
    pub async fn list_as<T: ListItem>(
        &self,
        info: &ResourceInfo,
        ns: Option<&str>,
        params: &ListParams,
    ) -> ApiResult<ListPage<T>> {
        let prefix = info.storage_prefix_in(ns);
        // A name field selector narrows the read to one key.
        if let Some(name) = params.field_selector.as_ref().and_then(|f| f.exact_name())
            && (ns.is_some() || !info.namespaced)
        {
            let revision = match params.revision {
                Some(r) => r,
                None => self.current_revision().await?,
            };
            let page = self
                .store
                .list(
                    &info.storage_key(ns, name),
                    ListOptions {
                        revision: Some(revision),
                        ..Default::default()
                    },
                )
                .await
                .map_err(|e| ApiError::from_store(e, info, ""))?;
            let mut items = Vec::new();
            for kv in page
                .kvs
                .iter()
                .filter(|kv| kv.key == info.storage_key(ns, name))
            {
                items.extend(T::select(info, params, &kv.value, kv.mod_revision, false)?);
            }
            return Ok(ListPage {
                items,
                revision: page.revision,
                continue_after: None,
                remaining: None,
            });
        }
        if params.revision.is_none() && params.start_after.is_none() {
            let target = self.current_revision().await?;
            if let Some(page) = self.current.list(info, ns, params, target).await? {
                return Ok(page);
            }
        }
        let limit = params.limit.filter(|l| *l > 0);
        let mut items = Vec::new();
        let mut start_after = params.start_after.clone();
        let mut revision = params.revision;
        loop {
            let page = self
                .store
                .list(
                    &prefix,
                    ListOptions {
                        revision,
                        start_after: start_after.clone(),
                        limit: limit.map(|l| l.max(64)),
                    },
                )
                .await
                .map_err(|e| match e {
                    StoreError::Compacted { .. } if params.start_after.is_some() => {
                        ApiError::gone("The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.")
                    }
                    e => ApiError::from_store(e, info, ""),
                })?;
            revision = Some(page.revision);
            let count = page.kvs.len();
            let selected = match &params.label_selector {
                Some(selector) => Some(self.labels.select(&page.kvs, selector)?),
                None => None,
            };
            for (i, kv) in page.kvs.iter().enumerate() {
                if selected.as_ref().is_some_and(|s| !s[i]) {
                    continue;
                }
                // Labels were matched above.
                let labels_matched = true;
                if let Some(item) =
                    T::select(info, params, &kv.value, kv.mod_revision, labels_matched)?
                {
                    items.push(item);
                    if limit.is_some_and(|l| items.len() >= l) {
                        let more = i + 1 < count || page.more;
                        return Ok(ListPage {
                            items,
                            revision: page.revision,
                            continue_after: more.then(|| kv.key.clone()),
                            remaining: (more
                                && params.label_selector.is_none()
                                && params.field_selector.is_none())
                            .then_some(count - i - 1 + page.remaining),
                        });
                    }
                }
            }
            if !page.more {
                return Ok(ListPage {
                    items,
                    revision: page.revision,
                    continue_after: None,
                    remaining: None,
                });
            }
            start_after = page.kvs.last().map(|kv| kv.key.clone());
        }
    }

    pub async fn current_revision(&self) -> ApiResult<i64> {
        self.store
            .current_revision()
            .await
            .map_err(|e| ApiError::unavailable(e.to_string()))
    }

    pub async fn create(
        &self,
        info: &ResourceInfo,
        ns: Option<&str>,
        mut obj: Value,
        opts: &WriteOptions,
    ) -> ApiResult<Written> {
        let warnings = check_body(info, ns, None, &mut obj, opts, Fields::Unchecked)?;
        {
            let m = meta_mut(&mut obj);
            let has_name = m
                .get("name")
                .and_then(Value::as_str)
                .is_some_and(|n| !n.is_empty());
            if !has_name
                && let Some(base) = m.get("generateName").and_then(Value::as_str)
                && !base.is_empty()
            {
                let generated = object::generate_name(base);
                m.insert("name".into(), json!(generated));
            }
            for server_set in [
                "uid",
                "creationTimestamp",
                "deletionTimestamp",
                "deletionGracePeriodSeconds",
                "resourceVersion",
                "selfLink",
                "generation",
            ] {
                m.remove(server_set);
            }
            m.insert("uid".into(), json!(object::new_uid()));
            m.insert("creationTimestamp".into(), json!(object::now_rfc3339()));
            if tracks_generation(info) {
                m.insert("generation".into(), json!(1));
            }
        }
        prepare_create_status(info, &mut obj);
        bosun_api::defaults::apply_defaults(info, &mut obj);
        bosun_api::defaults::apply_pod_admission_defaults(info, &mut obj, &self.toleration_seconds);
        let name = object::name(&obj).to_string();
        let errors = bosun_api::validation::validate(info, &obj, None);
        if !errors.is_empty() {
            return Err(ApiError::invalid(info, &name, &errors));
        }
        self.admit_namespace(info, ns, &name).await?;
        // Held until the object is stored (see `Registry::quota_charges`).
        let _charge = self
            .admit_quota(info, ns, &name, &obj, opts.dry_run)
            .await?;
        let key = info.storage_key(ns, &name);
        if opts.dry_run {
            if self.store.get(&key).await.ok().flatten().is_some() {
                return Err(ApiError::already_exists(info, &name));
            }
            return Ok(Written {
                warnings,
                ..Written::unencoded(obj)
            });
        }
        let encoded = object::encode_for_store(&mut obj);
        let kv = self
            .store
            .create(&key, encoded.bytes.clone())
            .await
            .map_err(|e| ApiError::from_store(e, info, &name))?;
        object::set_revision(&mut obj, kv.mod_revision);
        Ok(Written {
            object: obj,
            warnings,
            json: encoded.client_json(kv.mod_revision),
        })
    }

    /// Replaces `part` of an object with the one in `obj` (a PUT).
    pub async fn update(
        &self,
        info: &ResourceInfo,
        ns: Option<&str>,
        name: &str,
        mut obj: Value,
        part: Part,
        opts: &WriteOptions,
    ) -> ApiResult<Written> {
        let warnings = check_body(info, ns, Some(name), &mut obj, opts, Fields::Unchecked)?;
        let expected = object::meta_str(&obj, "resourceVersion")
            .filter(|rv| !rv.is_empty())
            .map(str::to_string);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let current = self.get(info, ns, name).await?;
            if let Some(rv) = &expected
                && Some(rv.as_str()) != object::meta_str(&current, "resourceVersion")
            {
                return Err(ApiError::conflict(info, name));
            }
            // Checked here too, so a conflict from the write below is only ever a race.
            uid_precondition(info, name, &obj, &current)?;
            // A body without a resourceVersion is an unconditional update: a write
            // that lands between the read and the compare-and-swap makes it read
            // again, as upstream's storage does, rather than answer 409.
            let retries = expected.is_none() && attempt < PATCH_RETRIES;
            let body = if retries {
                obj.clone()
            } else {
                std::mem::take(&mut obj)
            };
            match self
                .write_update(info, ns, name, &current, body, part, opts)
                .await
            {
                Err(e) if e.reason == "Conflict" && retries => {
                    tokio::time::sleep(std::time::Duration::from_millis(1 << attempt.min(6))).await;
                }
                Err(e) => return Err(e),
                Ok(written) => {
                    return Ok(Written {
                        warnings,
                        ..written
                    });
                }
            }
        }
    }

    /// Applies a patch to `part` of an object, retrying on write races.
    pub async fn patch(
        &self,
        info: &ResourceInfo,
        ns: Option<&str>,
        name: &str,
        patch: &crate::patch::Patch,
        part: Part,
        opts: &WriteOptions,
    ) -> ApiResult<Written> {
        let fields = if patch.adds_no_unknown_fields(info.definition) {
            Fields::KnownOnly
        } else {
            Fields::Unchecked
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            let current = self.get(info, ns, name).await?;
            let mut patched = patch.apply(info.definition, &current)?;
            let warnings = check_body(info, ns, Some(name), &mut patched, opts, fields)?;
            // A resourceVersion in the patch is a precondition; otherwise the current one.
            let patched_rv = object::meta_str(&patched, "resourceVersion").map(str::to_string);
            let current_rv = object::meta_str(&current, "resourceVersion").map(str::to_string);
            if patched_rv.is_some() && patched_rv != current_rv {
                return Err(ApiError::conflict(info, name));
            }
            // Checked before the write, so a conflict from it is only ever a race.
            uid_precondition(info, name, &patched, &current)?;
            match self
                .write_update(info, ns, name, &current, patched, part, opts)
                .await
            {
                Err(e)
                    if e.reason == "Conflict"
                        && attempt < PATCH_RETRIES
                        && !patch.pins_version() =>
                {
                    // Back off a little so a busy writer (a controller) lets us in.
                    tokio::time::sleep(std::time::Duration::from_millis(1 << attempt.min(6))).await;
                    continue;
                }
                Err(e) => return Err(e),
                Ok(written) => {
                    return Ok(Written {
                        warnings,
                        ..written
                    });
                }
            }
        }
    }

    /// The shared tail of update and patch: merge with the current object, default,
    /// validate, write with compare-and-swap on the current revision.
    #[allow(clippy::too_many_arguments)]
    async fn write_update(
        &self,
        info: &ResourceInfo,
        ns: Option<&str>,
        name: &str,
        current: &Value,
        obj: Value,
        part: Part,
        opts: &WriteOptions,
    ) -> ApiResult<Written> {
        uid_precondition(info, name, &obj, current)?;
        let mut next = match part {
            Part::Main => {
                let mut next = obj;
                if info.has_status {
                    match current.get("status") {
                        Some(status) => next["status"] = status.clone(),
                        None => {
                            if let Some(o) = next.as_object_mut() {
                                o.remove("status");
                            }
                        }
                    }
                }
                next
            }
            Part::Status => {
                // The stored object with the body's status moved into its place (same
                // field order): neither the old status nor the new one is copied.
                let mut obj = obj;
                let mut status = obj.as_object_mut().and_then(|o| o.remove("status"));
                // Usually the body is the stored object patched: then it is the stored
                // object already, but for its status, and comparing spares copying the
                // spec (the bulk of a pod) into a new object.
                if status.is_some()
                    && let (Some(rest), Some(stored)) = (obj.as_object(), current.as_object())
                    && object::status_last_and_rest_equal(stored, rest)
                {
                    if let (Some(o), Some(status)) = (obj.as_object_mut(), status.take()) {
                        o.insert("status".into(), status);
                    }
                    obj
                } else {
                    let mut next = serde_json::Map::new();
                    for (k, v) in current.as_object().into_iter().flatten() {
                        if k == "status" {
                            if let Some(status) = status.take() {
                                next.insert(k.clone(), status);
                            }
                        } else {
                            next.insert(k.clone(), v.clone());
                        }
                    }
                    if let Some(status) = status {
                        next.insert("status".into(), status);
                    }
                    Value::Object(next)
                }
            }
        };
        // Server-owned metadata always comes from the stored object.
        {
            let cur_meta = object::meta(current);
            let m = meta_mut(&mut next);
            for field in [
                "uid",
                "creationTimestamp",
                "deletionTimestamp",
                "deletionGracePeriodSeconds",
                "generation",
                "namespace",
                "name",
            ] {
                match cur_meta.and_then(|cur| cur.get(field)) {
                    Some(v) => m.insert(field.into(), v.clone()),
                    None => m.remove(field),
                };
            }
            m.remove("resourceVersion");
            m.remove("selfLink");
        }
        bosun_api::defaults::apply_defaults(info, &mut next);
        if part == Part::Main && tracks_generation(info) && next.get("spec") != current.get("spec")
        {
            let generation = object::meta(current)
                .and_then(|m| m.get("generation"))
                .and_then(Value::as_i64)
                .unwrap_or(0);
            meta_mut(&mut next).insert("generation".into(), json!(generation + 1));
        }
        let errors = match part {
            Part::Main => bosun_api::validation::validate(info, &next, Some(current)),
            Part::Status => bosun_api::validation::validate_status_update(info, &next, current),
        };
        if !errors.is_empty() {
            return Err(ApiError::invalid(info, name, &errors));
        }
        let current_rev = current_revision_of(current);
        let key = info.storage_key(ns, name);
        // The last finalizer removed from a deleting object completes its deletion
        // (not while a grace period runs: the kubelet ends that with a delete).
        if deletion_complete(info, &next) {
            if opts.dry_run {
                return Ok(Written::unencoded(next));
            }
            let kv = self
                .delete_stored(&key, current_rev)
                .await
                .map_err(|e| ApiError::from_store(e, info, name))?;
            return object::decode(&kv).map(Written::unencoded);
        }
        object::normalize_meta(&mut next);
        object::set_revision(&mut next, current_rev);
        if &next == current || opts.dry_run {
            // A no-op write makes no new revision, as upstream.
            return Ok(Written::unencoded(next));
        }
        let encoded = object::encode_for_store(&mut next);
        let kv = self
            .store
            .update(&key, encoded.bytes.clone(), current_rev)
            .await
            .map_err(|e| ApiError::from_store(e, info, name))?;
        object::set_revision(&mut next, kv.mod_revision);
        Ok(Written {
            json: encoded.client_json(kv.mod_revision),
            ..Written::unencoded(next)
        })
    }

    /// A system write that skips validation (binding, namespace finalization): `next`
    /// computes the new object from the current one (`None` = nothing to do). Retried
    /// when a concurrent writer wins. Finishes a deletion whose last finalizer went.
    pub async fn mutate(
        &self,
        info: &ResourceInfo,
        ns: Option<&str>,
        name: &str,
        next: impl Fn(&Value) -> ApiResult<Option<Value>>,
    ) -> ApiResult<Value> {
        let key = info.storage_key(ns, name);
        for attempt in 0..PATCH_RETRIES {
            let current = self.get(info, ns, name).await?;
            let Some(new) = next(&current)? else {
                return Ok(current);
            };
            let rev = current_revision_of(&current);
            let mut new = new;
            let deleting = deletion_complete(info, &new);
            let result = if deleting {
                self.delete_stored(&key, rev).await
            } else {
                self.store
                    .update(&key, object::encode_in_place(&mut new), rev)
                    .await
            };
            match result {
                Ok(kv) if deleting => return object::decode(&kv),
                Ok(kv) => {
                    object::set_revision(&mut new, kv.mod_revision);
                    return Ok(new);
                }
                Err(StoreError::Conflict { .. }) => {
                    // Let the competing writer finish before re-reading.
                    tokio::time::sleep(std::time::Duration::from_millis(1 << attempt.min(6))).await;
                    continue;
                }
                Err(e) => return Err(ApiError::from_store(e, info, name)),
            }
        }
        Err(ApiError::conflict(info, name))
    }
}

/// A uid in a written body is a precondition (controllers adopt with one).
fn uid_precondition(
    info: &ResourceInfo,
    name: &str,
    obj: &Value,
    current: &Value,
) -> ApiResult<()> {
    match object::meta_str(obj, "uid").filter(|u| !u.is_empty()) {
        Some(uid) if Some(uid) != object::meta_str(current, "uid") => {
            Err(ApiError::conflict_message(
                info,
                name,
                &format!(
                    "Precondition failed: UID in precondition: {uid}, UID in object meta: {}",
                    object::meta_str(current, "uid").unwrap_or("")
                ),
            ))
        }
        _ => Ok(()),
    }
}

/// Kinds whose `metadata.generation` tracks spec changes.
fn tracks_generation(info: &ResourceInfo) -> bool {
    matches!(
        info.plural,
        "deployments" | "replicasets" | "replicationcontrollers"
    )
}

/// Whether a deleting object may go now: no finalizers left and no grace period running.
pub(crate) fn deletion_complete(info: &ResourceInfo, obj: &Value) -> bool {
    object::is_deleting(obj)
        && object::finalizers(obj).is_empty()
        && !has_spec_finalizers(info, obj)
        && object::meta(obj)
            .and_then(|m| m.get("deletionGracePeriodSeconds"))
            .and_then(Value::as_i64)
            .unwrap_or(0)
            == 0
}

pub(crate) fn has_spec_finalizers(info: &ResourceInfo, obj: &Value) -> bool {
    info.plural == "namespaces"
        && obj
            .pointer("/spec/finalizers")
            .and_then(Value::as_array)
            .is_some_and(|f| !f.is_empty())
}

pub(crate) fn current_revision_of(obj: &Value) -> i64 {
    object::meta_str(obj, "resourceVersion")
        .and_then(|rv| rv.parse().ok())
        .unwrap_or(0)
}

pub(crate) fn namespaces_info() -> &'static ResourceInfo {
    match resources::find("", "v1", "namespaces") {
        Some(info) => info,
        None => unreachable!("namespaces are always served"),
    }
}

/// What a LIST hands back for each object its selectors select.
pub trait ListItem: Sized {
    /// The stored object at `revision` as `Self`, or `None` if `params` do not select
    /// it; `labels_matched` says the label selector was already matched.
    fn select(
        info: &ResourceInfo,
        params: &ListParams,
        stored: &[u8],
        revision: i64,
        labels_matched: bool,
    ) -> ApiResult<Option<Self>>;
}

/// The decoded object, for the server's own readers and Table rendering.
impl ListItem for Value {
    fn select(
        info: &ResourceInfo,
        params: &ListParams,
        stored: &[u8],
        revision: i64,
        _labels_matched: bool,
    ) -> ApiResult<Option<Value>> {
        let obj = object::decode_at(stored, revision)?;
        Ok(matches(info, params, &obj).then_some(obj))
    }
}

/// An object's JSON as a client sees it, for a JSON response. Made from the stored
/// bytes ([`object::encode_at`]) unless a selector needs the decoded object.
pub struct EncodedObject(pub Vec<u8>);

impl ListItem for EncodedObject {
    fn select(
        info: &ResourceInfo,
        params: &ListParams,
        stored: &[u8],
        revision: i64,
        labels_matched: bool,
    ) -> ApiResult<Option<EncodedObject>> {
        let needs_object =
            params.field_selector.is_some() || (params.label_selector.is_some() && !labels_matched);
        if !needs_object {
            return object::client_json(stored, revision).map(|json| Some(EncodedObject(json)));
        }
        Ok(
            Value::select(info, params, stored, revision, labels_matched)?
                .map(|obj| EncodedObject(serde_json::to_vec(&obj).unwrap_or_default())),
        )
    }
}

pub(crate) fn matches(info: &ResourceInfo, params: &ListParams, obj: &Value) -> bool {
    params
        .label_selector
        .as_ref()
        .is_none_or(|s| s.matches(&object::labels(obj)))
        && params
            .field_selector
            .as_ref()
            .is_none_or(|f| f.matches(info, obj))
}
