#[test]
fn a_stored_object_encoded_at_a_revision_is_its_decoded_form_encoded() {
    let objects = [
        json!({"apiVersion": "v1", "kind": "Pod",
                   "metadata": {"name": "a", "labels": {"x": "{\"metadata\":{}}"}},
                   "spec": {"containers": [{"name": "c", "image": "i"}]}}),
        // A nested `metadata` before the object's own, and an empty one.
        json!({"spec": {"template": {"metadata": {"labels": {"a": "b"}}}},
                   "metadata": {}, "kind": "Deployment"}),
        json!({"kind": "ConfigMap", "data": {"k": "v\n\u{e9} \" }"}, "metadata": {"name": "m"}}),
        // Every kind of value before `metadata`, brackets inside strings among them.
        json!({"count": -3.5e2, "ok": true, "no": false, "none": null,
                   "list": [1, {"a": "]}\\"}, [[]]], "metadata": {"name": "n", "uid": "\\\""}}),
    ];
    for obj in objects {
        let stored = encode(&obj);
        let expected =
            serde_json::to_vec(&decode_at(&stored, 42).expect("decode")).expect("encode");
        let spliced = encode_at(&stored, 42).expect("encoded");
        assert_eq!(
            String::from_utf8_lossy(&spliced),
            String::from_utf8_lossy(&expected)
        );
    }
    assert_eq!(encode_at(br#"{"kind":"X"}"#, 1), None, "no metadata");
    assert_eq!(
        encode_at(br#"{"metadata":[1]}"#, 1),
        None,
        "metadata not an object"
    );
    assert_eq!(encode_at(b"not json", 1), None);
    assert_eq!(encode_at(br#"{"a":1"#, 1), None, "cut short");
    assert_eq!(
        encode_at(br#"{"metadata":{]}"#, 1),
        None,
        "mismatched brackets"
    );
    let spaced = encode_at(br#" { "a" : [ 1 , 2 ] , "metadata" : { } , "b" : 2 } "#, 7)
        .expect("spaced JSON");
    assert_eq!(
        serde_json::from_slice::<Value>(&spaced).expect("JSON"),
        json!({"a": [1, 2], "metadata": {"resourceVersion": "7"}, "b": 2})
    );
}

use super::*;

#[test]
fn stored_labels_agree_with_the_decoded_object() {
    let cases = [
        json!({"metadata": {"name": "a", "labels": {"app": "x", "tier": "web"}},
                   "spec": {"containers": [{"name": "c", "env": [{"name": "labels"}]}]}}),
        json!({"metadata": {"name": "b"}, "status": {"labels": {"not": "these"}}}),
        json!({"kind": "Pod"}),
    ];
    for obj in cases {
        let bytes = serde_json::to_vec(&obj).expect("encode");
        let decoded = decode_at(&bytes, 7).expect("decode");
        assert_eq!(
            stored_labels(&bytes).expect("labels"),
            labels(&decoded),
            "{obj}"
        );
    }
    assert!(stored_labels(b"{not json").is_err());
}

#[test]
fn an_object_encoded_in_place_is_what_decoding_its_bytes_gives() {
    let mut obj = json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "a", "resourceVersion": "3", "labels": {},
                         "annotations": {"k": "v"}, "finalizers": []},
            "spec": {"n": 1.5, "big": 18446744073709551615u64, "neg": -4}});
    let bytes = encode_in_place(&mut obj);
    assert_eq!(bytes, encode(&obj));
    set_revision(&mut obj, 42);
    let decoded = decode_at(&bytes, 42).expect("decode");
    assert_eq!(obj, decoded);
    assert_eq!(
        serde_json::to_string(&obj).expect("encode"),
        serde_json::to_string(&decoded).expect("encode"),
        "field order too"
    );
}

/// A write's answer is spliced from the bytes it stored: the same JSON as encoding
/// the object with its new `resourceVersion`, and as a later GET answers.
#[test]
fn a_writes_answer_spliced_from_its_stored_bytes_is_the_object_encoded() {
    let objects = [
        json!({"apiVersion": "v1", "kind": "Pod",
                   "metadata": {"name": "a", "resourceVersion": "3",
                                "labels": {"x": "{\"metadata\":{}}", "\"q\"": "\u{e9}"}},
                   "spec": {"containers": [{"name": "c", "image": "i"}]},
                   "status": {"phase": "Pending"}}),
        // A nested `metadata` first, and an empty one of its own.
        json!({"spec": {"template": {"metadata": {"labels": {"a": "b"}}}},
                   "metadata": {"resourceVersion": "9"}, "kind": "Deployment"}),
        json!({"kind": "ConfigMap", "data": {"k": "v\n\" }"}, "metadata": {"name": "m"}}),
    ];
    for mut obj in objects {
        let encoded = encode_for_store(&mut obj);
        assert_eq!(
            encoded.bytes,
            encode(&obj),
            "stored as serde_json writes it"
        );
        let answer = encoded.client_json(42).expect("spliced");
        assert_eq!(Some(answer.clone()), encode_at(&encoded.bytes, 42));
        set_revision(&mut obj, 42);
        assert_eq!(
            String::from_utf8_lossy(&answer),
            serde_json::to_string(&obj).expect("encode")
        );
    }
}

/// Selectors read the same labels and fields from the skeleton as from the whole
/// object, for every kind with selectable fields.
#[test]
fn a_skeleton_holds_what_selectors_read() {
    use bosun_api::selector::FieldSet;
    let cases = [
        (
            "",
            "v1",
            "pods",
            json!({
                "apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": "p", "namespace": "ns", "labels": {"app": "web", "t": ""},
                             "annotations": {"a": "b"}, "ownerReferences": [{"uid": "u"}]},
                "spec": {"nodeName": "n1", "restartPolicy": "Always", "schedulerName": "s",
                         "serviceAccountName": "sa", "hostNetwork": true,
                         "containers": [{"name": "c", "image": "i", "ports": [{"containerPort": 80}]}],
                         "affinity": {"nodeAffinity": {}}},
                "status": {"phase": "Running", "podIPs": [{"ip": "10.0.0.9"}],
                           "nominatedNodeName": "n2", "conditions": [{"type": "Ready"}],
                           "containerStatuses": [{"name": "c", "state": {"running": {}}}]}}),
        ),
        // podIP from the first of podIPs, and a float and a null on the way.
        (
            "",
            "v1",
            "pods",
            json!({"metadata": {"name": "q", "deletionGracePeriodSeconds": null},
                "spec": {"priority": 1.5}, "status": {"podIP": "", "podIPs": [{"ip": "fd00::1"}]}}),
        ),
        (
            "",
            "v1",
            "nodes",
            json!({"metadata": {"name": "n", "labels": {"zone": "a"}},
                "spec": {"unschedulable": true, "taints": [{"key": "k"}]},
                "status": {"conditions": [{"type": "Ready"}]}}),
        ),
        (
            "",
            "v1",
            "replicationcontrollers",
            json!({"metadata": {"name": "rc", "namespace": "d"},
                "spec": {"template": {"metadata": {"labels": {"inner": "x"}}}},
                "status": {"replicas": 3}}),
        ),
        (
            "apps",
            "v1",
            "replicasets",
            json!({"metadata": {"name": "rs", "namespace": "d"},
                "status": {"replicas": 7}}),
        ),
        (
            "",
            "v1",
            "events",
            json!({"metadata": {"name": "e", "namespace": "d"},
                "involvedObject": {"kind": "Pod", "namespace": "d", "name": "p", "uid": "u",
                                   "apiVersion": "v1", "resourceVersion": "5", "fieldPath": "spec"},
                "reason": "Started", "type": "Normal", "source": {"component": "kubelet"},
                "reportingComponent": ""}),
        ),
        (
            "events.k8s.io",
            "v1",
            "events",
            json!({"metadata": {"name": "e2", "namespace": "d"},
                "regarding": {"kind": "Pod", "name": "p"}, "reason": "R", "type": "Warning",
                "deprecatedSource": {"component": ""}, "reportingController": "ctl"}),
        ),
        (
            "",
            "v1",
            "namespaces",
            json!({"metadata": {"name": "ns"}, "status": {"phase": "Active"}}),
        ),
        (
            "",
            "v1",
            "secrets",
            json!({"metadata": {"name": "s", "namespace": "d"},
                "type": "Opaque", "data": {"k": "dg=="}}),
        ),
        (
            "",
            "v1",
            "services",
            json!({"metadata": {"name": "svc", "namespace": "d"},
                "spec": {"clusterIP": "10.96.0.1", "type": "ClusterIP", "ports": [{"port": 80}]}}),
        ),
        (
            "",
            "v1",
            "configmaps",
            json!({"metadata": {"name": "cm", "namespace": "d"},
                "data": {"k": "v"}}),
        ),
    ];
    for (group, version, plural, obj) in cases {
        let info = bosun_api::resources::find(group, version, plural).expect("a known kind");
        let stored = serde_json::to_vec(&obj).expect("encode");
        let skeleton = selectable_skeleton(&stored).expect("a skeleton");
        assert_eq!(
            FieldSet::of(info, &skeleton),
            FieldSet::of(info, &obj),
            "{obj}"
        );
        assert_eq!(labels(&skeleton), labels(&obj), "{obj}");
        assert!(skeleton.pointer("/spec/containers").is_none(), "{skeleton}");
    }
    assert_eq!(selectable_skeleton(b"[1]"), None);
    assert_eq!(selectable_skeleton(b"{\"a\":"), None);
    assert_eq!(selectable_skeleton(b"{} trailing"), None);
}

fn stored(key: &str, revision: i64, obj: Value) -> KeyValue {
    KeyValue {
        key: key.to_string(),
        value: Bytes::from(serde_json::to_vec(&obj).expect("encode")),
        create_revision: 1,
        mod_revision: revision,
    }
}

#[test]
fn the_label_cache_answers_for_the_listed_version_only() {
    let cache = LabelCache::default();
    let v1 = LabelSelector::parse("v=1").expect("selector");
    let v2 = LabelSelector::parse("v=2").expect("selector");
    let a1 = stored("/pods/a", 5, json!({"metadata": {"labels": {"v": "1"}}}));
    let b = stored("/pods/b", 6, json!({"metadata": {}}));
    let both = [a1.clone(), b.clone()];
    assert_eq!(cache.select(&both, &v1).expect("select"), [true, false]);
    assert_eq!(cache.len(), 2);
    // Answered from the cache now, with the same result.
    assert_eq!(cache.select(&both, &v1).expect("select"), [true, false]);
    assert_eq!(cache.len(), 2);
    // A newer version of `a` is parsed, not answered from its old entry.
    let a2 = stored("/pods/a", 9, json!({"metadata": {"labels": {"v": "2"}}}));
    assert_eq!(
        cache
            .select(std::slice::from_ref(&a2), &v1)
            .expect("select"),
        [false]
    );
    assert_eq!(cache.select(&[a2], &v2).expect("select"), [true]);
    // A read at the old revision still gets the old version's labels.
    assert_eq!(cache.select(&[a1], &v1).expect("select"), [true]);
    // Another key at a revision the cache knows is not answered with its labels.
    let c = stored("/pods/c", 5, json!({"metadata": {"labels": {"v": "2"}}}));
    assert_eq!(cache.select(&[c], &v1).expect("select"), [false]);
    cache.forget(6);
    assert!(cache.len() <= 3);
    // A corrupt value is an error, not an empty label set.
    let corrupt = KeyValue {
        value: Bytes::from_static(b"{oops"),
        mod_revision: 11,
        ..b
    };
    assert!(cache.select(&[corrupt], &v1).is_err());
}

#[test]
fn a_status_write_keeps_the_stored_object_only_when_all_but_status_is_the_same_in_order() {
    let map = |v: Value| v.as_object().cloned().expect("an object");
    let stored = map(
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a"},
                            "spec": {"nodeName": "n"}, "status": {"phase": "Pending"}}),
    );
    let same = map(
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a"},
                          "spec": {"nodeName": "n"}}),
    );
    assert!(status_last_and_rest_equal(&stored, &same));
    let other_spec = map(
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a"},
                                "spec": {"nodeName": "m"}}),
    );
    assert!(!status_last_and_rest_equal(&stored, &other_spec));
    let reordered = map(
        json!({"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "a"},
                               "spec": {"nodeName": "n"}}),
    );
    assert!(!status_last_and_rest_equal(&stored, &reordered));
    let stored_nested = map(json!({"metadata": {"name": "a", "namespace": "n"}, "status": {}}));
    let nested_reordered = map(json!({"metadata": {"namespace": "n", "name": "a"}}));
    assert!(!status_last_and_rest_equal(
        &stored_nested,
        &nested_reordered
    ));
    let nested_same = map(json!({"metadata": {"name": "a", "namespace": "n"}}));
    assert!(status_last_and_rest_equal(&stored_nested, &nested_same));
    let extra = map(
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a"},
                           "spec": {"nodeName": "n"}, "x": 1}),
    );
    assert!(!status_last_and_rest_equal(&stored, &extra));
    let status_first = map(json!({"status": {}, "apiVersion": "v1", "kind": "Pod",
                                  "metadata": {"name": "a"}, "spec": {"nodeName": "n"}}));
    assert!(!status_last_and_rest_equal(&status_first, &same));
    assert!(!status_last_and_rest_equal(&Map::new(), &Map::new()));
}
