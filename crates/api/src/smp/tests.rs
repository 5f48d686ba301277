use serde_json::{Value, json};

use super::{apply_strategic_merge_patch, drop_unknown_fields, unknown_fields};

const DEPLOYMENT: &str = "io.k8s.api.apps.v1.Deployment";
const POD: &str = "io.k8s.api.core.v1.Pod";
const SERVICE: &str = "io.k8s.api.core.v1.Service";

/// A pod whose containers are given by name and image.
fn pod_with(containers: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": containers}})
}

struct Case {
    name: &'static str,
    definition: &'static str,
    original: Value,
    patch: Value,
    want: Result<Value, (u16, &'static str)>,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "maps merge recursively and scalars are replaced",
            definition: DEPLOYMENT,
            original: json!({"metadata": {"name": "d", "labels": {"a": "1"}}, "spec": {"replicas": 1}}),
            patch: json!({"metadata": {"labels": {"b": "2"}}, "spec": {"replicas": 3}}),
            want: Ok(
                json!({"metadata": {"name": "d", "labels": {"a": "1", "b": "2"}}, "spec": {"replicas": 3}}),
            ),
        },
        Case {
            name: "null deletes a key and is ignored where there is none",
            definition: DEPLOYMENT,
            original: json!({"metadata": {"labels": {"a": "1", "b": "2"}}, "spec": {"replicas": 1}}),
            patch: json!({"metadata": {"labels": {"a": null}}, "spec": {"paused": null}}),
            want: Ok(json!({"metadata": {"labels": {"b": "2"}}, "spec": {"replicas": 1}})),
        },
        Case {
            name: "an added subtree loses its nulls",
            definition: DEPLOYMENT,
            original: json!({"spec": {"replicas": 1}}),
            patch: json!({"spec": {"strategy": {"type": "Recreate", "rollingUpdate": null}}}),
            want: Ok(json!({"spec": {"replicas": 1, "strategy": {"type": "Recreate"}}})),
        },
        Case {
            name: "containers merge by name",
            definition: POD,
            original: pod_with(json!([{"name": "a", "image": "x"}, {"name": "b", "image": "y"}])),
            patch: json!({"spec": {"containers": [{"name": "b", "image": "z"}]}}),
            want: Ok(pod_with(
                json!([{"name": "a", "image": "x"}, {"name": "b", "image": "z"}]),
            )),
        },
        Case {
            name: "a new container goes before the live ones, as upstream orders it",
            definition: POD,
            original: pod_with(json!([{"name": "a", "image": "x"}, {"name": "b", "image": "y"}])),
            patch: json!({"spec": {"containers": [{"name": "c", "image": "w"}]}}),
            want: Ok(pod_with(json!([
                {"name": "c", "image": "w"}, {"name": "a", "image": "x"}, {"name": "b", "image": "y"}
            ]))),
        },
        Case {
            name: "env merges by name inside a container of a deployment template",
            definition: DEPLOYMENT,
            original: json!({"spec": {"template": {"spec": {"containers": [
                {"name": "app", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]}
            ]}}}}),
            patch: json!({"spec": {"template": {"spec": {"containers": [
                {"name": "app", "env": [{"name": "B", "value": "3"}]}
            ]}}}}),
            want: Ok(json!({"spec": {"template": {"spec": {"containers": [
                {"name": "app", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "3"}]}
            ]}}}})),
        },
        Case {
            name: "ports merge by containerPort",
            definition: POD,
            original: pod_with(
                json!([{"name": "a", "ports": [{"containerPort": 80, "protocol": "TCP"}]}]),
            ),
            patch: json!({"spec": {"containers": [{"name": "a", "ports": [
                {"containerPort": 80, "name": "http"}, {"containerPort": 443}
            ]}]}}),
            want: Ok(pod_with(json!([{"name": "a", "ports": [
                {"containerPort": 80, "protocol": "TCP", "name": "http"}, {"containerPort": 443}
            ]}]))),
        },
        Case {
            name: "service ports merge by port",
            definition: SERVICE,
            original: json!({"spec": {"ports": [{"port": 80, "targetPort": 8080}, {"port": 443}]}}),
            patch: json!({"spec": {"ports": [{"port": 80, "targetPort": 9090}]}}),
            want: Ok(json!({"spec": {"ports": [{"port": 80, "targetPort": 9090}, {"port": 443}]}})),
        },
        Case {
            name: "volumes merge by name without $retainKeys",
            definition: POD,
            original: json!({"spec": {"volumes": [{"name": "v", "emptyDir": {}}]}}),
            patch: json!({"spec": {"volumes": [{"name": "v", "hostPath": {"path": "/x"}}]}}),
            want: Ok(
                json!({"spec": {"volumes": [{"name": "v", "emptyDir": {}, "hostPath": {"path": "/x"}}]}}),
            ),
        },
        Case {
            name: "$retainKeys in a volume clears the other volume source",
            definition: POD,
            original: json!({"spec": {"volumes": [{"name": "v", "emptyDir": {}}]}}),
            patch: json!({"spec": {"volumes": [
                {"name": "v", "hostPath": {"path": "/x"}, "$retainKeys": ["hostPath", "name"]}
            ]}}),
            want: Ok(json!({"spec": {"volumes": [{"name": "v", "hostPath": {"path": "/x"}}]}})),
        },
        Case {
            name: "tolerations have no patch strategy and are replaced",
            definition: POD,
            original: json!({"spec": {"tolerations": [{"key": "a", "operator": "Exists"}]}}),
            patch: json!({"spec": {"tolerations": [{"key": "b", "operator": "Exists"}]}}),
            want: Ok(json!({"spec": {"tolerations": [{"key": "b", "operator": "Exists"}]}})),
        },
        Case {
            name: "args have no patch strategy and are replaced",
            definition: POD,
            original: pod_with(json!([{"name": "a", "args": ["x", "y"]}])),
            patch: json!({"spec": {"containers": [{"name": "a", "args": ["z"]}]}}),
            want: Ok(pod_with(json!([{"name": "a", "args": ["z"]}]))),
        },
        Case {
            name: "finalizers (merge, primitives) take the union, patch items first",
            definition: DEPLOYMENT,
            original: json!({"metadata": {"finalizers": ["x", "y"]}}),
            patch: json!({"metadata": {"finalizers": ["z", "x"]}}),
            want: Ok(json!({"metadata": {"finalizers": ["z", "x", "y"]}})),
        },
        Case {
            name: "$deleteFromPrimitiveList removes scalars",
            definition: DEPLOYMENT,
            original: json!({"metadata": {"finalizers": ["x", "y", "z"]}}),
            patch: json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["y", "w"]}}),
            want: Ok(json!({"metadata": {"finalizers": ["x", "z"]}})),
        },
        Case {
            name: "$deleteFromPrimitiveList works on a list without strategy",
            definition: POD,
            original: pod_with(json!([{"name": "a", "args": ["x", "y"]}])),
            patch: json!({"spec": {"containers": [{"name": "a", "$deleteFromPrimitiveList/args": ["x"]}]}}),
            want: Ok(pod_with(json!([{"name": "a", "args": ["y"]}]))),
        },
        Case {
            name: "$patch: replace in a list replaces the whole list",
            definition: POD,
            original: pod_with(json!([{"name": "a", "image": "x"}, {"name": "b", "image": "y"}])),
            patch: json!({"spec": {"containers": [{"name": "c", "image": "w"}, {"$patch": "replace"}]}}),
            want: Ok(pod_with(json!([{"name": "c", "image": "w"}]))),
        },
        Case {
            name: "$patch: replace in a map replaces the map",
            definition: DEPLOYMENT,
            original: json!({"spec": {"selector": {"matchLabels": {"a": "1"}, "matchExpressions": []}}}),
            patch: json!({"spec": {"selector": {"$patch": "replace", "matchLabels": {"b": "2"}}}}),
            want: Ok(json!({"spec": {"selector": {"matchLabels": {"b": "2"}}}})),
        },
        Case {
            name: "$patch: delete in a map empties it",
            definition: DEPLOYMENT,
            original: json!({"spec": {"replicas": 2, "strategy": {"type": "Recreate"}}}),
            patch: json!({"spec": {"strategy": {"$patch": "delete"}}}),
            want: Ok(json!({"spec": {"replicas": 2, "strategy": {}}})),
        },
        Case {
            name: "$patch: delete on a map that is not there adds nothing",
            definition: DEPLOYMENT,
            original: json!({"spec": {"replicas": 2}}),
            patch: json!({"spec": {"strategy": {"$patch": "delete"}}}),
            want: Ok(json!({"spec": {"replicas": 2}})),
        },
        Case {
            name: "$patch: delete removes a list element by merge key",
            definition: POD,
            original: pod_with(json!([{"name": "a", "image": "x"}, {"name": "b", "image": "y"}])),
            patch: json!({"spec": {"containers": [{"name": "a", "$patch": "delete"}]}}),
            want: Ok(pod_with(json!([{"name": "b", "image": "y"}]))),
        },
        Case {
            name: "a list added wholesale drops its $patch elements",
            definition: POD,
            original: pod_with(json!([{"name": "a"}])),
            patch: json!({"spec": {"initContainers": [{"name": "i", "image": "x"}, {"name": "j", "$patch": "delete"}]}}),
            want: Ok(
                json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                "spec": {"containers": [{"name": "a"}], "initContainers": [{"name": "i", "image": "x"}]}}),
            ),
        },
        Case {
            name: "$retainKeys on the deployment strategy clears rollingUpdate",
            definition: DEPLOYMENT,
            original: json!({"spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}}}),
            patch: json!({"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}}),
            want: Ok(json!({"spec": {"strategy": {"type": "Recreate"}}})),
        },
        Case {
            name: "$setElementOrder orders a merged list",
            definition: POD,
            original: pod_with(json!([{"name": "a"}, {"name": "b"}, {"name": "c"}])),
            patch: json!({"spec": {
                "$setElementOrder/containers": [{"name": "c"}, {"name": "a"}, {"name": "b"}],
                "containers": [{"name": "a", "image": "new"}]
            }}),
            want: Ok(pod_with(
                json!([{"name": "c"}, {"name": "a", "image": "new"}, {"name": "b"}]),
            )),
        },
        Case {
            name: "$setElementOrder keeps server-only items by their live position",
            definition: POD,
            original: pod_with(json!([{"name": "a"}, {"name": "b"}, {"name": "c"}])),
            patch: json!({"spec": {
                "$setElementOrder/containers": [{"name": "c"}, {"name": "a"}],
                "containers": [{"name": "c", "image": "z"}]
            }}),
            want: Ok(pod_with(
                json!([{"name": "b"}, {"name": "c", "image": "z"}, {"name": "a"}]),
            )),
        },
        Case {
            name: "$setElementOrder orders a list of scalars",
            definition: DEPLOYMENT,
            original: json!({"metadata": {"finalizers": ["x", "y"]}}),
            patch: json!({"metadata": {"$setElementOrder/finalizers": ["y", "x", "z"], "finalizers": ["z"]}}),
            want: Ok(json!({"metadata": {"finalizers": ["y", "x", "z"]}})),
        },
        Case {
            name: "owner references merge by uid",
            definition: DEPLOYMENT,
            original: json!({"metadata": {"ownerReferences": [{"uid": "1", "name": "a"}]}}),
            patch: json!({"metadata": {"ownerReferences": [{"uid": "1", "controller": true}]}}),
            want: Ok(
                json!({"metadata": {"ownerReferences": [{"uid": "1", "name": "a", "controller": true}]}}),
            ),
        },
        Case {
            name: "status conditions merge by type",
            definition: DEPLOYMENT,
            original: json!({"status": {"conditions": [
                {"type": "Available", "status": "False"}, {"type": "Progressing", "status": "True"}
            ]}}),
            patch: json!({"status": {"conditions": [{"type": "Available", "status": "True"}]}}),
            want: Ok(json!({"status": {"conditions": [
                {"type": "Available", "status": "True"}, {"type": "Progressing", "status": "True"}
            ]}})),
        },
        Case {
            name: "fields unknown to the schema are added and replaced like a merge patch",
            definition: DEPLOYMENT,
            original: json!({"spec": {"replicas": 1, "bar": 1}}),
            patch: json!({"spec": {"foo": {"a": 1}, "bar": "x"}}),
            want: Ok(json!({"spec": {"replicas": 1, "bar": "x", "foo": {"a": 1}}})),
        },
        Case {
            name: "a null patch changes nothing",
            definition: DEPLOYMENT,
            original: json!({"spec": {"replicas": 1}}),
            patch: Value::Null,
            want: Ok(json!({"spec": {"replicas": 1}})),
        },
        Case {
            name: "a top-level $patch: replace replaces the object",
            definition: DEPLOYMENT,
            original: json!({"spec": {"replicas": 1}}),
            patch: json!({"$patch": "replace", "spec": {"paused": true}}),
            want: Ok(json!({"spec": {"paused": true}})),
        },
        // Errors, with upstream's messages and status codes.
        Case {
            name: "a list element without its merge key",
            definition: POD,
            original: pod_with(json!([{"name": "a"}])),
            patch: json!({"spec": {"containers": [{"image": "nginx"}]}}),
            want: Err((
                500,
                "map: map[image:nginx] does not contain declared merge key: name",
            )),
        },
        Case {
            name: "$patch: merge in a map",
            definition: DEPLOYMENT,
            original: json!({"spec": {"replicas": 1}}),
            patch: json!({"spec": {"$patch": "merge", "replicas": 2}}),
            want: Err((
                500,
                "unknown patch type: merge in map: map[$patch:merge replicas:2]",
            )),
        },
        Case {
            name: "$patch: merge in a list",
            definition: POD,
            original: pod_with(json!([{"name": "a"}])),
            patch: json!({"spec": {"containers": [{"$patch": "merge"}]}}),
            want: Err((500, "merging lists cannot yet be specified in the patch")),
        },
        Case {
            name: "an unknown $patch value in a list",
            definition: POD,
            original: pod_with(json!([{"name": "a"}])),
            patch: json!({"spec": {"containers": [{"name": "a", "$patch": "foo"}]}}),
            want: Err((
                500,
                "unknown patch type: foo in map: map[$patch:foo name:a]",
            )),
        },
        Case {
            name: "a field outside $retainKeys",
            definition: DEPLOYMENT,
            original: json!({"spec": {"strategy": {"type": "RollingUpdate"}}}),
            patch: json!({"spec": {"strategy": {"$retainKeys": ["type"], "rollingUpdate": {"maxSurge": 1}}}}),
            want: Err((400, "invalid patch format of retainKeys")),
        },
        Case {
            name: "$retainKeys that is not a list",
            definition: DEPLOYMENT,
            original: json!({"spec": {"strategy": {}}}),
            patch: json!({"spec": {"strategy": {"$retainKeys": "type"}}}),
            want: Err((400, "invalid patch format of retainKeys")),
        },
        Case {
            name: "a patch list out of $setElementOrder's order",
            definition: POD,
            original: pod_with(json!([{"name": "a"}, {"name": "b"}])),
            patch: json!({"spec": {
                "$setElementOrder/containers": [{"name": "b"}],
                "containers": [{"name": "a", "image": "x"}]
            }}),
            want: Err((
                500,
                "the order in patch list:\n[map[image:x name:a]]\n doesn't match $setElementOrder list:\n[map[name:b]]",
            )),
        },
        Case {
            name: "a malformed $deleteFromPrimitiveList key",
            definition: DEPLOYMENT,
            original: json!({"metadata": {"finalizers": ["x"]}}),
            patch: json!({"metadata": {"$deleteFromPrimitiveListfinalizers": ["x"]}}),
            want: Err((400, "invalid patch format of primitive list")),
        },
        Case {
            name: "a $setElementOrder that is not a list",
            definition: DEPLOYMENT,
            original: json!({"metadata": {"finalizers": ["x"]}}),
            patch: json!({"metadata": {"$setElementOrder/finalizers": "x"}}),
            want: Err((500, "expected a []interface {}, but received a string")),
        },
        Case {
            name: "a list of lists",
            definition: DEPLOYMENT,
            original: json!({"metadata": {"finalizers": []}}),
            patch: json!({"metadata": {"finalizers": [["x"]]}}),
            want: Err((422, "lists of lists are not supported")),
        },
        Case {
            name: "an unknown field holding objects on both sides",
            definition: DEPLOYMENT,
            original: json!({"spec": {"foo": {"a": 1}}}),
            patch: json!({"spec": {"foo": {"b": 2}}}),
            want: Err((
                500,
                "unable to find api field in struct DeploymentSpec for the json field \"foo\"",
            )),
        },
        Case {
            name: "a patch that is not an object",
            definition: DEPLOYMENT,
            original: json!({}),
            patch: json!([{"op": "add"}]),
            want: Err((
                400,
                "json: cannot unmarshal array into Go value of type map[string]interface {}",
            )),
        },
    ]
}

#[test]
fn applies_strategic_merge_patches_like_upstream() {
    let cases = cases();
    assert!(cases.len() >= 25);
    for case in cases {
        let got = apply_strategic_merge_patch(&case.original, &case.patch, case.definition)
            .map_err(|e| (e.status_code(), e.to_string()));
        match (&got, &case.want) {
            (Ok(got), Ok(want)) => assert_eq!(got, want, "{}", case.name),
            (Err((status, message)), Err((want_status, want_message))) => {
                assert_eq!(message, want_message, "{}", case.name);
                assert_eq!(status, want_status, "{}", case.name);
            }
            _ => panic!("{}: got {got:?}, want {:?}", case.name, case.want),
        }
    }
}

#[test]
fn keeps_key_order_of_the_original_and_appends_new_keys() {
    let original = json!({"spec": {"replicas": 1, "paused": false}, "metadata": {"name": "d"}});
    let patch = json!({"spec": {"paused": true, "minReadySeconds": 5, "replicas": null}});
    let got = apply_strategic_merge_patch(&original, &patch, DEPLOYMENT).map(|v| v.to_string());
    assert_eq!(
        got,
        Ok(r#"{"spec":{"paused":true,"minReadySeconds":5},"metadata":{"name":"d"}}"#.to_string())
    );
}

#[test]
fn unknown_fields_are_reported_with_upstream_paths() {
    let deployment = json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d", "labels": {"any": "thing"}, "baz": 1,
            "managedFields": [{"fieldsV1": {"f:spec": {"f:anything": {}}}}]},
        "spec": {
            "foo": true,
            "strategy": {"rollingUpdate": {"maxSurge": "25%"}},
            "template": {"spec": {"containers": [
                {"name": "a", "resources": {"limits": {"cpu": "1"}}},
                {"name": "b", "bar": 1, "env": [{"name": "E", "valueFrom": {"nope": {}}}]}
            ]}}
        },
        "extra": null
    });
    assert_eq!(
        unknown_fields(DEPLOYMENT, &deployment),
        vec![
            "metadata.baz",
            "spec.foo",
            "spec.template.spec.containers[1].bar",
            "spec.template.spec.containers[1].env[0].valueFrom.nope",
            "extra",
        ]
    );
    let config_map = json!({"data": {"any-key": "v"}, "binaryData": {}, "immutable": true});
    assert_eq!(
        unknown_fields("io.k8s.api.core.v1.ConfigMap", &config_map),
        Vec::<String>::new()
    );
    // A value of the wrong type is a decoding error, not an unknown field.
    assert_eq!(
        unknown_fields(DEPLOYMENT, &json!({"spec": "x"})),
        Vec::<String>::new()
    );
    assert_eq!(
        unknown_fields("io.k8s.api.core.v1.Nope", &json!({"a": 1})),
        Vec::<String>::new()
    );
    // Dropped as upstream's typed decoding drops them; the rest keeps its order.
    let mut dropped = deployment.clone();
    drop_unknown_fields(DEPLOYMENT, &mut dropped);
    assert_eq!(unknown_fields(DEPLOYMENT, &dropped), Vec::<String>::new());
    assert_eq!(
        dropped,
        json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "d", "labels": {"any": "thing"},
                "managedFields": [{"fieldsV1": {"f:spec": {"f:anything": {}}}}]},
            "spec": {
                "strategy": {"rollingUpdate": {"maxSurge": "25%"}},
                "template": {"spec": {"containers": [
                    {"name": "a", "resources": {"limits": {"cpu": "1"}}},
                    {"name": "b", "env": [{"name": "E", "valueFrom": {}}]}
                ]}}
            }
        })
    );
    let keys: Vec<&String> = dropped
        .as_object()
        .map(|m| m.keys().collect())
        .unwrap_or_default();
    assert_eq!(keys, ["apiVersion", "kind", "metadata", "spec"]);
    // Directive keys left in a patched object are unknown fields, as upstream reports them.
    assert_eq!(
        unknown_fields(POD, &json!({"spec": {"$setElementOrder/containers": []}})),
        vec!["spec.$setElementOrder/containers"]
    );
}
