//! The OpenAPI (v2-style) definitions of every type bosun serves, and navigation over them.
//!
//! Definitions come from k8s-openapi's schemars output (so they follow the Kubernetes release
//! that crate was generated from), named exactly as upstream names them
//! (`io.k8s.api.apps.v1.Deployment`), with references of the form `#/definitions/<name>`.
//! k8s-openapi drops the extensions that clients and strategic merge patch rely on, so this
//! module adds them back from tables of upstream facts: `x-kubernetes-patch-strategy`,
//! `x-kubernetes-patch-merge-key`, `x-kubernetes-list-type`, `x-kubernetes-list-map-keys`,
//! `x-kubernetes-map-type` and `x-kubernetes-group-version-kind`. It also adds the `…List`
//! kinds, which k8s-openapi models as one generic type without a schema.
//!
//! Navigation ([`definition`], [`field_schema`], [`Node`]) is what strategic merge patch and
//! unknown-field detection walk; the OpenAPI documents serve [`definitions`] as is.

mod tables;

use std::sync::OnceLock;

use k8s_openapi::api::{
    apps, authentication, authorization, autoscaling, certificates, coordination, core, events,
    policy, rbac,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1 as meta;
use schemars::JsonSchema;
use schemars::generate::{SchemaGenerator, SchemaSettings};
use serde_json::{Map, Value, json};

use crate::resources::RESOURCES;
use tables::{LIST_TYPES, ListType, PATCH_STRATEGIES, STRUCT_ATOMIC};

const REF_PREFIX: &str = "#/definitions/";
const LIST_META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta";

/// All definitions, keyed by upstream's definition name, built once.
pub fn definitions() -> &'static Map<String, Value> {
    static DEFINITIONS: OnceLock<Map<String, Value>> = OnceLock::new();
    DEFINITIONS.get_or_init(build)
}

/// The schema of one definition, if bosun knows it.
pub fn definition(name: &str) -> Option<Node> {
    let (name, schema) = definitions().get_key_value(name)?;
    Some(Node {
        schema,
        name: Some(name.as_str()),
    })
}

/// One property of a definition: its schema and its strategic-merge-patch metadata.
/// `None` when the definition is unknown or has no such property.
pub fn field_schema(definition_name: &str, field: &str) -> Option<FieldInfo> {
    definition(definition_name)?.field(field)
}

/// A schema node: a definition, a property, or an `items` / `additionalProperties` schema.
#[derive(Debug, Clone, Copy)]
pub struct Node {
    schema: &'static Value,
    /// The definition's name when the node is a definition itself.
    name: Option<&'static str>,
}

/// What a [`Node`] describes once `$ref`s are followed.
#[derive(Debug, Clone, Copy)]
pub enum Type {
    /// An object with declared properties: the definition's name.
    Struct(&'static str),
    /// An array; the node of its elements.
    List(Node),
    /// A string-keyed map (`additionalProperties`); the node of its values.
    Map(Node),
    /// An object whose content is not described (`RawExtension`, `FieldsV1`, or
    /// `x-kubernetes-preserve-unknown-fields`): anything is accepted under it.
    Opaque,
    /// A string, number or boolean, or a value that may be one of several such
    /// (`IntOrString`, `Quantity`, `Time`).
    Scalar,
}

/// A property of a struct definition.
#[derive(Debug, Clone, Copy)]
pub struct FieldInfo {
    /// The property's schema.
    pub node: Node,
    /// `x-kubernetes-patch-strategy`, e.g. `merge` or `merge,retainKeys`.
    pub patch_strategy: Option<&'static str>,
    /// `x-kubernetes-patch-merge-key`, e.g. `name`.
    pub merge_key: Option<&'static str>,
}

impl FieldInfo {
    /// Whether the strategy names `s` (`merge`, `replace` or `retainKeys`).
    pub fn has_strategy(&self, s: &str) -> bool {
        self.patch_strategy
            .is_some_and(|all| all.split(',').any(|one| one == s))
    }

    /// The struct definition the field holds, looking through lists and maps:
    /// `PodSpec.containers` → `io.k8s.api.core.v1.Container`.
    pub fn definition(&self) -> Option<&'static str> {
        let mut node = self.node;
        loop {
            match node.ty() {
                Type::Struct(name) => return Some(name),
                Type::List(inner) | Type::Map(inner) => node = inner,
                Type::Opaque | Type::Scalar => return None,
            }
        }
    }
}

impl Node {
    /// The raw schema (a `$ref` is not followed).
    pub fn schema(self) -> &'static Value {
        self.schema
    }

    /// The node with its `$ref` followed (itself when it has none).
    fn resolved(self) -> Node {
        let target = self
            .schema
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix(REF_PREFIX))
            .and_then(definition);
        target.unwrap_or(self)
    }

    /// The name of the definition this node is or refers to.
    pub fn definition_name(self) -> Option<&'static str> {
        self.resolved().name
    }

    /// What the node describes, following `$ref`s.
    pub fn ty(self) -> Type {
        let node = self.resolved();
        let schema = node.schema;
        if schema.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true)) {
            return Type::Opaque;
        }
        if let Some(items) = schema.get("items") {
            return Type::List(Node::inline(items));
        }
        if let Some(values) = schema.get("additionalProperties").filter(|v| v.is_object()) {
            return Type::Map(Node::inline(values));
        }
        if schema.get("properties").is_some_and(Value::is_object) {
            return match node.name {
                Some(name) => Type::Struct(name),
                // k8s-openapi never inlines an object with properties; were one to appear,
                // treating it as opaque is safer than inventing a name for it.
                None => Type::Opaque,
            };
        }
        match schema.get("type").and_then(Value::as_str) {
            Some("object") => Type::Opaque,
            _ => Type::Scalar,
        }
    }

    /// The property `field` of a struct node.
    pub fn field(self, field: &str) -> Option<FieldInfo> {
        let property = self.resolved().schema.get("properties")?.get(field)?;
        let text = |key: &str| property.get(key).and_then(Value::as_str);
        Some(FieldInfo {
            node: Node::inline(property),
            patch_strategy: text("x-kubernetes-patch-strategy"),
            merge_key: text("x-kubernetes-patch-merge-key"),
        })
    }

    /// The declared properties, with the `$ref` followed once for all of them (for
    /// walks that look up every key of an object).
    pub(crate) fn properties(self) -> Option<&'static Map<String, Value>> {
        self.resolved().schema.get("properties")?.as_object()
    }

    pub(crate) fn inline(schema: &'static Value) -> Node {
        Node { schema, name: None }
    }
}

/// Adds `T` and everything it refers to.
fn add<T: JsonSchema>(generator: &mut SchemaGenerator) {
    generator.subschema_for::<T>();
}

fn build() -> Map<String, Value> {
    // Draft 7 keeps `definitions` and `$ref`; drop its transforms, which would wrap `$ref`s
    // that carry a description into `allOf` (upstream's v2 documents keep them side by side).
    let settings = SchemaSettings::draft07().with(|s| {
        s.definitions_path = REF_PREFIX.into();
        s.meta_schema = None;
        s.transforms.clear();
        s.inline_subschemas = false;
    });
    let mut generator = settings.into_generator();
    add::<core::v1::Namespace>(&mut generator);
    add::<core::v1::Pod>(&mut generator);
    add::<core::v1::Node>(&mut generator);
    add::<core::v1::Event>(&mut generator);
    add::<core::v1::ConfigMap>(&mut generator);
    add::<core::v1::Secret>(&mut generator);
    add::<core::v1::ServiceAccount>(&mut generator);
    add::<core::v1::Service>(&mut generator);
    add::<core::v1::ResourceQuota>(&mut generator);
    add::<core::v1::ReplicationController>(&mut generator);
    add::<core::v1::Binding>(&mut generator);
    add::<apps::v1::Deployment>(&mut generator);
    add::<apps::v1::ReplicaSet>(&mut generator);
    add::<coordination::v1::Lease>(&mut generator);
    add::<events::v1::Event>(&mut generator);
    add::<authentication::v1::SelfSubjectReview>(&mut generator);
    add::<authentication::v1::TokenReview>(&mut generator);
    add::<authentication::v1::TokenRequest>(&mut generator);
    add::<authorization::v1::SelfSubjectAccessReview>(&mut generator);
    add::<authorization::v1::SelfSubjectRulesReview>(&mut generator);
    add::<authorization::v1::SubjectAccessReview>(&mut generator);
    add::<certificates::v1::CertificateSigningRequest>(&mut generator);
    add::<rbac::v1::Role>(&mut generator);
    add::<rbac::v1::ClusterRole>(&mut generator);
    add::<rbac::v1::RoleBinding>(&mut generator);
    add::<rbac::v1::ClusterRoleBinding>(&mut generator);
    add::<autoscaling::v1::Scale>(&mut generator);
    add::<policy::v1::Eviction>(&mut generator);
    add::<meta::Status>(&mut generator);
    add::<meta::DeleteOptions>(&mut generator);
    add::<meta::WatchEvent<()>>(&mut generator);
    add::<meta::APIResourceList>(&mut generator);
    add::<meta::APIGroupList>(&mut generator);
    add::<meta::APIGroup>(&mut generator);
    add::<meta::APIVersions>(&mut generator);
    add::<meta::ListMeta>(&mut generator);
    let mut definitions = generator.take_definitions(false);

    for resource in RESOURCES {
        let gvk =
            json!([{"group": resource.group, "kind": resource.kind, "version": resource.version}]);
        if let Some(Value::Object(schema)) = definitions.get_mut(resource.definition) {
            schema.insert("x-kubernetes-group-version-kind".into(), gvk);
            // k8s-openapi marks `metadata` required because its Rust field is not optional;
            // upstream requires it only where the Go type says so (core/v1 Event).
            if resource.definition != "io.k8s.api.core.v1.Event" {
                drop_required(schema, "metadata");
            }
        }
        definitions.insert(
            format!("{}List", resource.definition),
            list_schema(
                resource.definition,
                resource.kind,
                resource.group,
                resource.version,
            ),
        );
    }
    for (name, group, version, kind) in [
        (
            "io.k8s.api.autoscaling.v1.Scale",
            "autoscaling",
            "v1",
            "Scale",
        ),
        ("io.k8s.api.core.v1.Binding", "", "v1", "Binding"),
        ("io.k8s.api.policy.v1.Eviction", "policy", "v1", "Eviction"),
        (
            "io.k8s.apimachinery.pkg.apis.meta.v1.Status",
            "",
            "v1",
            "Status",
        ),
        (
            "io.k8s.apimachinery.pkg.apis.meta.v1.APIResourceList",
            "",
            "v1",
            "APIResourceList",
        ),
        (
            "io.k8s.apimachinery.pkg.apis.meta.v1.APIGroupList",
            "",
            "v1",
            "APIGroupList",
        ),
        (
            "io.k8s.apimachinery.pkg.apis.meta.v1.APIGroup",
            "",
            "v1",
            "APIGroup",
        ),
        (
            "io.k8s.apimachinery.pkg.apis.meta.v1.APIVersions",
            "",
            "v1",
            "APIVersions",
        ),
    ] {
        if let Some(Value::Object(schema)) = definitions.get_mut(name) {
            let gvk = json!([{"group": group, "kind": kind, "version": version}]);
            schema.insert("x-kubernetes-group-version-kind".into(), gvk);
            drop_required(schema, "metadata");
        }
    }
    // DeleteOptions and WatchEvent are registered in every group version upstream; list
    // the ones bosun serves.
    for (name, kind) in [
        (
            "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions",
            "DeleteOptions",
        ),
        (
            "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent",
            "WatchEvent",
        ),
    ] {
        if let Some(Value::Object(schema)) = definitions.get_mut(name) {
            schema.insert(
                "x-kubernetes-group-version-kind".into(),
                every_group_version(kind),
            );
        }
    }

    for &(definition, field, list_type, keys) in LIST_TYPES {
        let Some(property) = property_mut(&mut definitions, definition, field) else {
            continue;
        };
        match list_type {
            ListType::Atomic => {
                property.insert("x-kubernetes-list-type".into(), "atomic".into());
            }
            ListType::Set => {
                property.insert("x-kubernetes-list-type".into(), "set".into());
            }
            ListType::Map => {
                property.insert("x-kubernetes-list-type".into(), "map".into());
                property.insert("x-kubernetes-list-map-keys".into(), json!(keys));
            }
            ListType::AtomicMap => {
                property.insert("x-kubernetes-map-type".into(), "atomic".into());
            }
        }
    }
    for &(definition, field, strategy, merge_key) in PATCH_STRATEGIES {
        let Some(property) = property_mut(&mut definitions, definition, field) else {
            continue;
        };
        if !merge_key.is_empty() {
            property.insert("x-kubernetes-patch-merge-key".into(), merge_key.into());
        }
        property.insert("x-kubernetes-patch-strategy".into(), strategy.into());
    }
    for &definition in STRUCT_ATOMIC {
        if let Some(Value::Object(schema)) = definitions.get_mut(definition) {
            schema.insert("x-kubernetes-map-type".into(), "atomic".into());
        }
    }
    definitions.sort_keys();
    definitions
}

fn drop_required(schema: &mut Map<String, Value>, field: &str) {
    let Some(Value::Array(required)) = schema.get_mut("required") else {
        return;
    };
    required.retain(|v| v.as_str() != Some(field));
    if required.is_empty() {
        schema.remove("required");
    }
}

fn property_mut<'a>(
    definitions: &'a mut Map<String, Value>,
    definition: &str,
    field: &str,
) -> Option<&'a mut Map<String, Value>> {
    definitions
        .get_mut(definition)?
        .get_mut("properties")?
        .get_mut(field)?
        .as_object_mut()
}

/// The group versions a shared meta kind is registered in: the core group and every
/// group version bosun serves (including the ones only reached through subresources).
fn every_group_version(kind: &str) -> Value {
    let mut group_versions: Vec<(&str, &str)> = vec![("", "v1")];
    for resource in RESOURCES {
        if !group_versions.contains(&(resource.group, resource.version)) {
            group_versions.push((resource.group, resource.version));
        }
    }
    for extra in [("autoscaling", "v1"), ("policy", "v1")] {
        if !group_versions.contains(&extra) {
            group_versions.push(extra);
        }
    }
    group_versions.sort();
    Value::Array(
        group_versions
            .into_iter()
            .map(|(group, version)| json!({"group": group, "kind": kind, "version": version}))
            .collect(),
    )
}

/// The schema of `<Kind>List`, which k8s-openapi does not generate.
fn list_schema(item_definition: &str, kind: &str, group: &str, version: &str) -> Value {
    json!({
        "description": format!("{kind}List is a list of {kind} objects."),
        "type": "object",
        "properties": {
            "apiVersion": {
                "description": "APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources",
                "type": "string",
            },
            "items": {
                "description": format!("List of {kind} objects."),
                "type": "array",
                "items": {"$ref": format!("{REF_PREFIX}{item_definition}")},
            },
            "kind": {
                "description": "Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds",
                "type": "string",
            },
            "metadata": {
                "$ref": format!("{REF_PREFIX}{LIST_META}"),
                "description": "Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds",
            },
        },
        "required": ["items"],
        "x-kubernetes-group-version-kind": [{"group": group, "kind": format!("{kind}List"), "version": version}],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patch_meta(definition: &str, field: &str) -> (Option<&'static str>, Option<&'static str>) {
        let info =
            field_schema(definition, field).unwrap_or_else(|| panic!("{definition}.{field}"));
        (info.patch_strategy, info.merge_key)
    }

    #[test]
    fn patch_metadata_matches_upstream_tags() {
        let cases: &[(&str, &str, Option<&str>, Option<&str>)] = &[
            (
                "io.k8s.api.core.v1.PodSpec",
                "containers",
                Some("merge"),
                Some("name"),
            ),
            (
                "io.k8s.api.core.v1.PodSpec",
                "volumes",
                Some("merge,retainKeys"),
                Some("name"),
            ),
            ("io.k8s.api.core.v1.PodSpec", "tolerations", None, None),
            (
                "io.k8s.api.core.v1.Container",
                "ports",
                Some("merge"),
                Some("containerPort"),
            ),
            ("io.k8s.api.core.v1.Container", "args", None, None),
            (
                "io.k8s.api.core.v1.ServiceSpec",
                "ports",
                Some("merge"),
                Some("port"),
            ),
            (
                "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
                "finalizers",
                Some("merge"),
                None,
            ),
            (
                "io.k8s.api.apps.v1.DeploymentSpec",
                "strategy",
                Some("retainKeys"),
                None,
            ),
        ];
        for &(definition, field, strategy, key) in cases {
            assert_eq!(
                patch_meta(definition, field),
                (strategy, key),
                "{definition}.{field}"
            );
        }
    }

    #[test]
    fn every_table_entry_names_an_existing_property() {
        for &(definition, field, _, _) in tables::PATCH_STRATEGIES {
            assert!(
                field_schema(definition, field).is_some(),
                "{definition}.{field}"
            );
        }
        for &(definition, field, _, _) in tables::LIST_TYPES {
            assert!(
                field_schema(definition, field).is_some(),
                "{definition}.{field}"
            );
        }
    }

    #[test]
    fn list_annotations_follow_upstream() {
        let ports =
            field_schema("io.k8s.api.core.v1.Container", "ports").map(|f| f.node.schema().clone());
        let ports = ports.unwrap_or_default();
        assert_eq!(ports["x-kubernetes-list-type"], "map");
        assert_eq!(
            ports["x-kubernetes-list-map-keys"],
            json!(["containerPort", "protocol"])
        );
        assert_eq!(ports["x-kubernetes-patch-merge-key"], "containerPort");
        assert_eq!(ports["x-kubernetes-patch-strategy"], "merge");
        let finalizers = field_schema(
            "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
            "finalizers",
        );
        let finalizers = finalizers
            .map(|f| f.node.schema().clone())
            .unwrap_or_default();
        assert_eq!(finalizers["x-kubernetes-list-type"], "set");
        let selector = definitions()["io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector"].clone();
        assert_eq!(selector["x-kubernetes-map-type"], "atomic");
    }

    #[test]
    fn every_reference_resolves() {
        fn walk(value: &Value, missing: &mut Vec<String>) {
            match value {
                Value::Object(map) => {
                    if let Some(Value::String(r)) = map.get("$ref") {
                        let name = r.strip_prefix(REF_PREFIX).unwrap_or(r);
                        if !definitions().contains_key(name) {
                            missing.push(r.clone());
                        }
                    }
                    map.values().for_each(|v| walk(v, missing));
                }
                Value::Array(items) => items.iter().for_each(|v| walk(v, missing)),
                _ => {}
            }
        }
        let mut missing = Vec::new();
        for schema in definitions().values() {
            walk(schema, &mut missing);
        }
        assert_eq!(missing, Vec::<String>::new());
    }

    #[test]
    fn kinds_carry_group_version_kind() {
        let gvk = |name: &str| definitions()[name]["x-kubernetes-group-version-kind"].clone();
        assert_eq!(
            gvk("io.k8s.api.apps.v1.Deployment"),
            json!([{"group": "apps", "kind": "Deployment", "version": "v1"}])
        );
        assert_eq!(
            gvk("io.k8s.api.core.v1.PodList"),
            json!([{"group": "", "kind": "PodList", "version": "v1"}])
        );
        assert_eq!(
            gvk("io.k8s.api.autoscaling.v1.Scale"),
            json!([{"group": "autoscaling", "kind": "Scale", "version": "v1"}])
        );
        assert_eq!(
            gvk("io.k8s.apimachinery.pkg.apis.meta.v1.Status"),
            json!([{"group": "", "kind": "Status", "version": "v1"}])
        );
        assert_eq!(
            gvk("io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions")[0],
            json!({"group": "", "kind": "DeleteOptions", "version": "v1"})
        );
        for resource in RESOURCES {
            assert!(
                definitions().contains_key(resource.definition),
                "{}",
                resource.definition
            );
            assert!(definitions().contains_key(&format!("{}List", resource.definition)));
        }
        // Upstream does not require metadata on kinds (only core/v1 Event does).
        assert_eq!(
            definitions()["io.k8s.api.core.v1.Pod"].get("required"),
            None
        );
    }

    #[test]
    fn navigation_follows_refs_arrays_and_maps() {
        let containers =
            field_schema("io.k8s.api.core.v1.PodSpec", "containers").map(|f| f.node.ty());
        let Some(Type::List(item)) = containers else {
            panic!("containers is a list: {containers:?}")
        };
        assert!(matches!(
            item.ty(),
            Type::Struct("io.k8s.api.core.v1.Container")
        ));
        let labels = field_schema("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", "labels")
            .map(|f| f.node.ty());
        let Some(Type::Map(value)) = labels else {
            panic!("labels is a map: {labels:?}")
        };
        assert!(matches!(value.ty(), Type::Scalar));
        let metadata =
            field_schema("io.k8s.api.apps.v1.Deployment", "metadata").map(|f| f.node.ty());
        assert!(matches!(
            metadata,
            Some(Type::Struct(
                "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
            ))
        ));
        let max_surge = field_schema("io.k8s.api.apps.v1.RollingUpdateDeployment", "maxSurge")
            .map(|f| f.node.ty());
        assert!(matches!(max_surge, Some(Type::Scalar)));
        let fields_v1 = field_schema(
            "io.k8s.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry",
            "fieldsV1",
        )
        .map(|f| f.node.ty());
        assert!(matches!(fields_v1, Some(Type::Opaque)));
        let requests = field_schema("io.k8s.api.core.v1.ResourceRequirements", "requests")
            .map(|f| f.node.ty());
        assert!(matches!(requests, Some(Type::Map(_))));
        let deployment = definition("io.k8s.api.apps.v1.Deployment").map(Node::ty);
        assert!(matches!(
            deployment,
            Some(Type::Struct("io.k8s.api.apps.v1.Deployment"))
        ));
        let containers = field_schema("io.k8s.api.core.v1.PodSpec", "containers");
        assert_eq!(
            containers.and_then(|f| f.definition()),
            Some("io.k8s.api.core.v1.Container")
        );
        let labels = field_schema("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", "labels");
        assert_eq!(labels.and_then(|f| f.definition()), None);
        assert!(field_schema("io.k8s.api.core.v1.PodSpec", "nope").is_none());
        assert!(field_schema("io.k8s.api.core.v1.Nope", "containers").is_none());
    }
}
