//! Admission: the checks a write passes before it is stored — the body against the URL
//! (kind, apiVersion, namespace, name, unknown fields), namespace lifecycle, and
//! ResourceQuota (refusal with upstream's wording, and charging the usage).

use std::time::{Duration, Instant};

use bosun_api::resources::ResourceInfo;
use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};
use crate::object::{self, meta_mut};
use crate::registry::{FieldValidation, ListParams, Registry, WriteOptions, namespaces_info};

/// How long after a namespace's DELETE creates in it read it from the store
/// (upstream's `forceLiveLookupTTL`).
const FORCE_LIVE_LOOKUP: Duration = Duration::from_secs(30);

impl Registry {
    /// Namespace lifecycle admission: the namespace must exist and not be terminating.
    pub(crate) async fn admit_namespace(
        &self,
        info: &ResourceInfo,
        ns: Option<&str>,
        name: &str,
    ) -> ApiResult<()> {
        let Some(ns) = ns.filter(|_| info.namespaced) else {
            return Ok(());
        };
        let ns_info = namespaces_info();
        // Upstream's NamespaceLifecycle reads its informer's lister and asks the store
        // only on a miss (a namespace created a moment ago); reading the current state
        // first spares every create a store read and a decode of the namespace.
        let known = if self.namespace_deleted_lately(ns) {
            None
        } else {
            self.current_state()
                .latest(&ns_info.storage_key(None, ns))
                .and_then(|bytes| object::stored_meta(&bytes))
        };
        // Only "active" is taken from the state; a terminating copy may be stale (the
        // namespace deleted and created again), so a refusal is confirmed from the store.
        if known.is_some_and(|meta| meta.get("deletionTimestamp").is_none_or(Value::is_null)) {
            return Ok(());
        }
        match self.get(ns_info, None, ns).await {
            Ok(namespace) if object::is_deleting(&namespace) => Err(terminating(info, name, ns)),
            Ok(_) => Ok(()),
            Err(e) if e.code == 404 => Err(ApiError::not_found(ns_info, ns)),
            Err(e) => Err(e),
        }
    }

    /// Remembers that `ns` is being deleted (see `Registry::namespaces_deleted`).
    pub(crate) fn note_namespace_deleted(&self, ns: &str) {
        let now = Instant::now();
        let mut deleted = self
            .namespaces_deleted
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        deleted.retain(|_, at| now.duration_since(*at) < FORCE_LIVE_LOOKUP);
        deleted.insert(ns.to_string(), now);
    }

    fn namespace_deleted_lately(&self, ns: &str) -> bool {
        self.namespaces_deleted
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(ns)
            .is_some_and(|at| at.elapsed() < FORCE_LIVE_LOOKUP)
    }

    /// ResourceQuota admission: refuses an object that would exceed a quota of its
    /// namespace (403, upstream's wording) and charges it to every quota that tracks it.
    /// The charge is re-checked inside the quota's compare-and-swap, so concurrent
    /// creates cannot overrun a limit; the quota loop in `system` later recomputes usage
    /// from the objects themselves (releasing deleted ones). The guard it answers with
    /// must be held until the object is stored, so that recompute cannot miss a charge.
    pub(crate) async fn admit_quota(
        &self,
        info: &ResourceInfo,
        ns: Option<&str>,
        name: &str,
        obj: &Value,
        dry_run: bool,
    ) -> ApiResult<Option<tokio::sync::OwnedRwLockReadGuard<()>>> {
        let Some(ns) = ns.filter(|_| info.namespaced) else {
            return Ok(None);
        };
        // Quotas first: most namespaces have none, and working out what an object uses
        // (its containers' requests and limits as quantities) cost a create as much as
        // storing it.
        let quota_info = crate::rest::info("", "resourcequotas");
        let quotas = self
            .list(quota_info, Some(ns), &ListParams::default())
            .await?;
        if quotas.items.is_empty() {
            return Ok(None);
        }
        let delta = bosun_api::quota::usage(info, obj);
        if delta.is_empty() {
            return Ok(None);
        }
        // Taken after the list so that namespaces without quotas never wait on it; the
        // charges below re-read each quota inside their compare-and-swap.
        let charging = self.quota_charges.clone().read_owned().await;
        for quota in &quotas.items {
            bosun_api::quota::admit(quota, info, obj, &delta)
                .map_err(|msg| ApiError::forbidden(info, name, &msg))?;
        }
        if dry_run {
            return Ok(None);
        }
        for quota in &quotas.items {
            let hard = bosun_api::quota::hard(quota);
            if !delta.keys().any(|k| hard.contains_key(k)) {
                continue;
            }
            self.mutate(quota_info, Some(ns), object::name(quota), |current| {
                bosun_api::quota::admit(current, info, obj, &delta)
                    .map_err(|msg| ApiError::forbidden(info, name, &msg))?;
                let hard = bosun_api::quota::hard(current);
                let mut used = bosun_api::quota::used(current);
                bosun_api::quota::add(&mut used, &delta);
                let mut next = current.clone();
                next["status"]["hard"] = bosun_api::quota::to_json(&hard, hard.keys());
                next["status"]["used"] = bosun_api::quota::to_json(&used, hard.keys());
                Ok(Some(next))
            })
            .await?;
        }
        Ok(Some(charging))
    }
}

/// Upstream's refusal of a create in a terminating namespace.
fn terminating(info: &ResourceInfo, name: &str, ns: &str) -> ApiError {
    ApiError::forbidden(
        info,
        name,
        &format!("unable to create new content in namespace {ns} because it is being terminated"),
    )
}

/// Status that a create resets, as upstream's strategies do.
pub(crate) fn prepare_create_status(info: &ResourceInfo, obj: &mut Value) {
    let Some(o) = obj.as_object_mut() else {
        return;
    };
    match info.plural {
        "deployments" | "replicasets" | "replicationcontrollers" => {
            o.remove("status");
        }
        "pods" => {
            o.insert("status".into(), json!({"phase": "Pending"}));
        }
        "namespaces" => {
            o.insert("status".into(), json!({"phase": "Active"}));
        }
        _ => {}
    }
}

/// Checks a write body against the URL: kind, apiVersion, namespace, name; applies
/// `fieldValidation` to unknown fields and then drops them from the body. Returns the
/// warnings to send.
pub(crate) fn check_body(
    info: &ResourceInfo,
    ns: Option<&str>,
    url_name: Option<&str>,
    obj: &mut Value,
    opts: &WriteOptions,
    fields: Fields,
) -> ApiResult<Vec<String>> {
    if !obj.is_object() {
        return Err(ApiError::bad_request(
            "the object provided is unrecognized (must be of type object)",
        ));
    }
    let api_version = info.api_version();
    match obj.get("apiVersion").and_then(Value::as_str) {
        None | Some("") => obj["apiVersion"] = json!(api_version),
        Some(v) if v == api_version => {}
        Some(v) => {
            return Err(ApiError::bad_request(format!(
                "the API version in the data ({v}) does not match the expected API version ({api_version})"
            )));
        }
    }
    match obj.get("kind").and_then(Value::as_str) {
        None | Some("") => obj["kind"] = json!(info.kind),
        Some(k) if k == info.kind => {}
        Some(k) => {
            return Err(ApiError::bad_request(format!(
                "the kind in the data ({k}) does not match the expected kind ({})",
                info.kind
            )));
        }
    }
    let m = meta_mut(obj);
    if info.namespaced {
        match (m.get("namespace").and_then(Value::as_str), ns) {
            (Some(body_ns), Some(url_ns)) if !body_ns.is_empty() && body_ns != url_ns => {
                return Err(ApiError::bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request",
                ));
            }
            (_, Some(url_ns)) => {
                m.insert("namespace".into(), json!(url_ns));
            }
            (_, None) => {
                return Err(ApiError::bad_request(
                    "the server could not find the requested resource: a namespace is required",
                ));
            }
        }
    } else if m
        .get("namespace")
        .and_then(Value::as_str)
        .is_some_and(|n| !n.is_empty())
    {
        m.remove("namespace");
    }
    if let Some(url_name) = url_name {
        match m.get("name").and_then(Value::as_str) {
            Some(n) if n != url_name && !n.is_empty() => {
                return Err(ApiError::bad_request(format!(
                    "the name of the object ({n}) does not match the name on the URL ({url_name})"
                )));
            }
            Some(_) => {}
            None => {
                m.insert("name".into(), json!(url_name));
            }
        }
    }
    let mut warnings = Vec::new();
    if fields == Fields::KnownOnly {
        return Ok(warnings);
    }
    let unknown = bosun_api::smp::unknown_fields(info.definition, obj);
    if !unknown.is_empty() {
        let messages: Vec<String> = unknown
            .iter()
            .map(|f| format!("unknown field \"{f}\""))
            .collect();
        match opts.field_validation {
            FieldValidation::Strict => {
                return Err(ApiError::bad_request(format!(
                    "{kind} in version \"{version}\" cannot be handled as a {kind}: strict decoding error: {}",
                    messages.join(", "),
                    kind = info.kind,
                    version = info.version,
                )));
            }
            FieldValidation::Warn => warnings = messages,
            FieldValidation::Ignore => {}
        }
        // Never stored, whatever the validation level: upstream's typed decoding drops
        // them, and a stored one would be reported again by every later write.
        bosun_api::smp::drop_unknown_fields(info.definition, obj);
    }
    Ok(warnings)
}

/// What a body's fields are known to be before [`check_body`] looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fields {
    /// Anything: every field is checked against the schema.
    Unchecked,
    /// Only fields the schema knows: a patch with none unknown applied to a stored
    /// object (which keeps none) adds none, so the walk of the whole object it made is
    /// skipped. An object stored before unknown fields were dropped keeps its own until
    /// a write that is checked whole (a create, a PUT, a patch bringing an unknown field).
    KnownOnly,
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use bosun_store::{EmbeddedStore, Store};
    use serde_json::json;

    use crate::current::CurrentState;
    use crate::registry::{DeleteOptions, Registry, WriteOptions};
    use crate::rest;

    async fn create_configmap(registry: &Registry, ns: &str) -> Result<(), (u16, String)> {
        let cm = json!({"apiVersion": "v1", "kind": "ConfigMap",
                        "metadata": {"name": "late", "namespace": ns}});
        registry
            .create(
                rest::info("", "configmaps"),
                Some(ns),
                cm,
                &WriteOptions::default(),
            )
            .await
            .map(|_| ())
            .map_err(|e| (e.code, e.message))
    }

    /// Namespace admission reads the current state as upstream reads its lister; a
    /// namespace the state does not hold yet is read from the store, and one this
    /// server was just asked to delete is too, so a create right after the DELETE is
    /// refused even while the state still shows the namespace active.
    #[tokio::test]
    async fn a_create_right_after_its_namespaces_delete_is_refused_though_the_state_lags() {
        let store: Arc<dyn Store> = Arc::new(EmbeddedStore::in_memory());
        let registry = Registry::new(store.clone(), Default::default());
        let namespaces = rest::info("", "namespaces");
        let opts = WriteOptions::default();
        let ns = |name: &str| json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}});
        registry
            .create(namespaces, None, ns("team"), &opts)
            .await
            .expect("namespace");
        // The state is read once and then never follows the store (no watch cache).
        let read = CurrentState::read_store(&*store).await.expect("read");
        registry.current_state().install(read, std::iter::empty());
        registry
            .create(namespaces, None, ns("later"), &opts)
            .await
            .expect("namespace");

        assert_eq!(create_configmap(&registry, "team").await, Ok(()));
        // Not in the state: the store has it.
        assert_eq!(create_configmap(&registry, "later").await, Ok(()));
        let missing = create_configmap(&registry, "nowhere").await;
        assert_eq!(
            missing,
            Err((404, "namespaces \"nowhere\" not found".to_string()))
        );

        registry
            .delete(namespaces, None, "team", &DeleteOptions::default())
            .await
            .expect("delete");
        assert!(
            registry
                .current_state()
                .latest("/registry/namespaces/team")
                .is_some(),
            "the state still holds the namespace as it was"
        );
        let refused = create_configmap(&registry, "team").await;
        assert_eq!(
            refused,
            Err((
                403,
                "configmaps \"late\" is forbidden: unable to create new content in namespace team because it is being terminated".to_string()
            ))
        );
    }

    /// A terminating namespace in the state is confirmed from the store before a create
    /// is refused: the namespace may have been deleted and created again since.
    #[tokio::test]
    async fn a_terminating_namespace_in_the_state_is_confirmed_before_refusing() {
        let store: Arc<dyn Store> = Arc::new(EmbeddedStore::in_memory());
        let registry = Registry::new(store.clone(), Default::default());
        let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}});
        registry
            .create(
                rest::info("", "namespaces"),
                None,
                ns,
                &WriteOptions::default(),
            )
            .await
            .expect("namespace");
        let key = "/registry/namespaces/team";
        let active = store.get(key).await.expect("get").expect("stored");
        let mut deleting: serde_json::Value = serde_json::from_slice(&active.value).expect("json");
        deleting["metadata"]["deletionTimestamp"] = json!("2026-01-01T00:00:00Z");
        let marked = store
            .update(key, deleting.to_string().into(), active.mod_revision)
            .await
            .expect("marked");
        // The state sees it terminating; the store then has it active again.
        let read = CurrentState::read_store(&*store).await.expect("read");
        registry.current_state().install(read, std::iter::empty());
        store
            .update(key, active.value.clone(), marked.mod_revision)
            .await
            .expect("active again");
        assert_eq!(create_configmap(&registry, "team").await, Ok(()));
    }
}
