//! Test fixtures shared by the deployment tests.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{
    Deployment, DeploymentSpec, DeploymentStrategy, ReplicaSet, ReplicaSetSpec, ReplicaSetStatus,
    RollingUpdateDeployment,
};
use k8s_openapi::api::core::v1::{Container, PodSpec, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta, Time};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use k8s_openapi::jiff::Timestamp;

use super::DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY;
use crate::replicaset::logic::new_controller_ref;

/// A fixed epoch plus `sec` seconds.
pub fn ts(sec: i64) -> Timestamp {
    Timestamp::from_second(1_800_000_000 + sec).expect("valid test timestamp")
}

pub fn app_labels() -> BTreeMap<String, String> {
    [("app".to_string(), "web".to_string())].into()
}

/// Pod template `app=web` with one container running `image`.
pub fn template(image: &str) -> PodTemplateSpec {
    PodTemplateSpec {
        metadata: Some(ObjectMeta {
            labels: Some(app_labels()),
            ..Default::default()
        }),
        spec: Some(PodSpec {
            containers: vec![Container {
                name: "nginx".into(),
                image: Some(image.into()),
                ..Default::default()
            }],
            ..Default::default()
        }),
    }
}

/// Deployment `default/web` (uid `dep-uid`, generation 1), RollingUpdate
/// with the given surge/unavailable (None = field absent), template image `v1`.
pub fn deployment(
    replicas: i32,
    surge: Option<IntOrString>,
    unavailable: Option<IntOrString>,
) -> Deployment {
    Deployment {
        metadata: ObjectMeta {
            name: Some("web".into()),
            namespace: Some("default".into()),
            uid: Some("dep-uid".into()),
            generation: Some(1),
            ..Default::default()
        },
        spec: DeploymentSpec {
            replicas: Some(replicas),
            selector: LabelSelector {
                match_labels: Some(app_labels()),
                ..Default::default()
            },
            template: template("v1"),
            strategy: Some(DeploymentStrategy {
                type_: Some("RollingUpdate".into()),
                rolling_update: Some(RollingUpdateDeployment {
                    max_surge: surge,
                    max_unavailable: unavailable,
                }),
            }),
            ..Default::default()
        },
        status: None,
    }
}

pub fn set_recreate(d: &mut Deployment) {
    d.spec.strategy = Some(DeploymentStrategy {
        type_: Some("Recreate".into()),
        rolling_update: None,
    });
}

/// ReplicaSet `name` controlled by the fixture Deployment, with a hash label
/// equal to its name, created at `ts(0)`, status observed at generation 1.
pub fn rs_named(
    name: &str,
    template: &PodTemplateSpec,
    spec: i32,
    status: i32,
    available: i32,
) -> ReplicaSet {
    let mut template = template.clone();
    if let Some(m) = template.metadata.as_mut() {
        m.labels
            .get_or_insert_with(BTreeMap::new)
            .insert(DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY.into(), name.into());
    }
    let owner = ObjectMeta {
        name: Some("web".into()),
        uid: Some("dep-uid".into()),
        ..Default::default()
    };
    let mut selector = app_labels();
    selector.insert(DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY.into(), name.into());
    ReplicaSet {
        metadata: ObjectMeta {
            name: Some(name.into()),
            namespace: Some("default".into()),
            uid: Some(format!("{name}-uid")),
            generation: Some(1),
            resource_version: Some("7".into()),
            creation_timestamp: Some(Time(ts(0))),
            owner_references: Some(vec![new_controller_ref(&owner, "apps/v1", "Deployment")]),
            annotations: Some(BTreeMap::new()),
            ..Default::default()
        },
        spec: ReplicaSetSpec {
            replicas: Some(spec),
            min_ready_seconds: Some(0),
            selector: LabelSelector {
                match_labels: Some(selector),
                ..Default::default()
            },
            template: Some(template),
        },
        status: Some(ReplicaSetStatus {
            replicas: status,
            ready_replicas: Some(available),
            available_replicas: Some(available),
            observed_generation: Some(1),
            ..Default::default()
        }),
    }
}

/// Sets `key=value` annotations on a ReplicaSet.
pub fn annotate(rs: &mut ReplicaSet, pairs: &[(&str, &str)]) {
    let ann = rs.metadata.annotations.get_or_insert_with(BTreeMap::new);
    for (k, v) in pairs {
        ann.insert(k.to_string(), v.to_string());
    }
}
