//! Deletion: preconditions, `propagationPolicy` as finalizers for the garbage
//! collector, graceful deletion of pods bound to a node, and the final removal.
//!
//! A delete re-reads and tries again when a concurrent write wins the compare-and-swap
//! between its read and its write, as upstream's storage does: a user's delete does not
//! fail with `409` because a controller wrote a status meanwhile. Only preconditions
//! the client set (uid, resourceVersion), or a writer that wins every one of
//! `PATCH_RETRIES` tries, make it `409`.

use bosun_api::resources::ResourceInfo;
use bosun_store::{KeyValue, StoreError};
use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};
use crate::object::{self, meta_mut};
use crate::registry::{
    DeleteOptions, Deleted, FOREGROUND_FINALIZER, ORPHAN_FINALIZER, PATCH_RETRIES, Propagation,
    Registry, current_revision_of, has_spec_finalizers,
};

impl Registry {
    /// Deletes an object, or marks it deleting while finalizers or a grace period hold
    /// it (`Deleted::Pending`).
    pub async fn delete(
        &self,
        info: &ResourceInfo,
        ns: Option<&str>,
        name: &str,
        opts: &DeleteOptions,
    ) -> ApiResult<Deleted> {
        if info.group.is_empty() && info.plural == "namespaces" && !opts.dry_run {
            self.note_namespace_deleted(name);
        }
        for attempt in 0..PATCH_RETRIES {
            if let Some(deleted) = self.delete_attempt(info, ns, name, opts).await? {
                return Ok(deleted);
            }
            if attempt + 1 < PATCH_RETRIES {
                // Let the competing writer finish before reading again.
                tokio::time::sleep(std::time::Duration::from_millis(1 << attempt.min(6))).await;
            }
        }
        Err(ApiError::conflict(info, name))
    }

    /// One try at `delete`; `None` if a concurrent writer changed the object between
    /// its read and the compare-and-swap.
    async fn delete_attempt(
        &self,
        info: &ResourceInfo,
        ns: Option<&str>,
        name: &str,
        opts: &DeleteOptions,
    ) -> ApiResult<Option<Deleted>> {
        let won = |written: Result<KeyValue, StoreError>| match written {
            Ok(kv) => Ok(Some(kv)),
            Err(StoreError::Conflict { .. }) => Ok(None),
            Err(e) => Err(ApiError::from_store(e, info, name)),
        };
        let current = self.get(info, ns, name).await?;
        let meta = object::meta(&current).cloned().unwrap_or_default();
        if let Some(uid) = &opts.precondition_uid
            && meta.get("uid").and_then(Value::as_str) != Some(uid.as_str())
        {
            return Err(ApiError::conflict_message(
                info,
                name,
                &format!(
                    "Precondition failed: UID in precondition: {uid}, UID in object meta: {}",
                    meta.get("uid").and_then(Value::as_str).unwrap_or("")
                ),
            ));
        }
        if let Some(rv) = &opts.precondition_resource_version
            && meta.get("resourceVersion").and_then(Value::as_str) != Some(rv.as_str())
        {
            return Err(ApiError::conflict_message(
                info,
                name,
                &format!(
                    "Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {}",
                    meta.get("resourceVersion")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                ),
            ));
        }
        let key = info.storage_key(ns, name);
        let current_rev = current_revision_of(&current);
        let grace = graceful_period(info, &current, opts.grace_period_seconds);
        // Upstream's default for core/v1 ReplicationControllers is to orphan; for
        // everything else bosun serves it is background deletion.
        let propagation = opts
            .propagation
            .unwrap_or(if info.plural == "replicationcontrollers" {
                Propagation::Orphan
            } else {
                Propagation::Background
            });
        let gc_finalizer = match propagation {
            Propagation::Orphan => Some(ORPHAN_FINALIZER),
            Propagation::Foreground => Some(FOREGROUND_FINALIZER),
            Propagation::Background => None,
        };
        let stored = current.clone();
        let mut current = current;
        if let Some(finalizer) = gc_finalizer
            && !object::finalizers(&current).iter().any(|f| f == finalizer)
        {
            let mut finalizers = object::finalizers(&current);
            finalizers.push(finalizer.to_string());
            meta_mut(&mut current).insert("finalizers".into(), json!(finalizers));
        }
        let needs_wait = !object::finalizers(&current).is_empty()
            || has_spec_finalizers(info, &current)
            || grace.is_some_and(|g| g > 0);
        if needs_wait {
            let mut marked = current.clone();
            let already = object::is_deleting(&current);
            {
                let m = meta_mut(&mut marked);
                let grace = grace.unwrap_or(0);
                if !already {
                    m.insert(
                        "deletionTimestamp".into(),
                        json!(object::rfc3339_after(grace)),
                    );
                    m.insert("deletionGracePeriodSeconds".into(), json!(grace));
                    if let Some(g) = m.get("generation").and_then(Value::as_i64) {
                        m.insert("generation".into(), json!(g + 1));
                    }
                } else if let Some(existing) =
                    m.get("deletionGracePeriodSeconds").and_then(Value::as_i64)
                    && grace < existing
                {
                    // A shorter grace period may replace a longer one.
                    m.insert(
                        "deletionTimestamp".into(),
                        json!(object::rfc3339_after(grace)),
                    );
                    m.insert("deletionGracePeriodSeconds".into(), json!(grace));
                }
                m.remove("resourceVersion");
            }
            if info.plural == "namespaces" {
                marked["status"]["phase"] = json!("Terminating");
            }
            if opts.dry_run {
                return Ok(Some(Deleted::Pending(marked)));
            }
            let finished = object::finalizers(&marked).is_empty()
                && !has_spec_finalizers(info, &marked)
                && grace == Some(0);
            if finished {
                let Some(kv) = won(self.delete_stored(&key, current_rev).await)? else {
                    return Ok(None);
                };
                return Ok(Some(Deleted::Gone(object::decode(&kv)?)));
            }
            let mut probe = marked.clone();
            meta_mut(&mut probe).insert("resourceVersion".into(), json!(current_rev.to_string()));
            if probe == stored {
                return Ok(Some(Deleted::Pending(stored)));
            }
            let written = self
                .store()
                .update(&key, object::encode(&marked), current_rev)
                .await;
            let Some(kv) = won(written)? else {
                return Ok(None);
            };
            return Ok(Some(Deleted::Pending(object::decode(&kv)?)));
        }
        if opts.dry_run {
            return Ok(Some(Deleted::Gone(current)));
        }
        let Some(kv) = won(self.delete_stored(&key, current_rev).await)? else {
            return Ok(None);
        };
        Ok(Some(Deleted::Gone(object::decode(&kv)?)))
    }
}

/// The grace period a delete uses: only pods have one, and only once bound to a node
/// and not yet finished (upstream deletes unbound or terminal pods at once).
fn graceful_period(info: &ResourceInfo, obj: &Value, requested: Option<i64>) -> Option<i64> {
    if info.plural != "pods" {
        return None;
    }
    let bound = obj
        .pointer("/spec/nodeName")
        .and_then(Value::as_str)
        .is_some_and(|n| !n.is_empty());
    let phase = obj.pointer("/status/phase").and_then(Value::as_str);
    if !bound || matches!(phase, Some("Succeeded" | "Failed")) {
        return Some(0);
    }
    Some(
        requested
            .or_else(|| {
                obj.pointer("/spec/terminationGracePeriodSeconds")
                    .and_then(Value::as_i64)
            })
            .unwrap_or(30)
            .max(0),
    )
}
