//! Decoding tests: real kubectl request bodies against the JSON the same command prints, and
//! hand-built bodies for the types and edge cases kubectl's commands do not reach.

use serde_json::{Value, json};

use super::table::{self, Shape, Ty};
use super::{ProtobufError, decode};

/// Request bodies recorded from kubectl v1.33.1 (byte-identical to v1.32's for `create`),
/// with the JSON expected for each. For `create ...` that JSON is what the same command
/// prints with `--dry-run=client -o json`. The others have no dry-run; their JSON is the
/// decoded object, checked to be a fixed point of Go's encoder (`kubectl set image --local
/// -o json` on it changes nothing but the image) and checked by hand against the input.
macro_rules! fixture {
    ($name:literal) => {
        (
            $name,
            include_bytes!(concat!("../../tests/fixtures/protobuf/", $name, ".pb")).as_slice(),
            include_str!(concat!("../../tests/fixtures/protobuf/", $name, ".json")),
        )
    };
}

const FIXTURES: &[(&str, &[u8], &str)] = &[
    // kubectl create deployment web --image=nginx:1.25 --replicas=3 --port=80
    fixture!("create-deployment"),
    // kubectl create deployment web0 --image=nginx --replicas=0 (a pointer's zero is kept)
    fixture!("create-deployment-zero-replicas"),
    // kubectl create namespace ns-pb
    fixture!("create-namespace"),
    // kubectl create configmap cm-pb --from-literal=a=b --from-literal=c=d
    fixture!("create-configmap"),
    // kubectl create secret generic s-pb --from-literal=password=hunter2 --from-literal=user=admin
    fixture!("create-secret-generic"),
    // kubectl create service clusterip svc-pb --tcp=80:8080 --tcp=443:https
    fixture!("create-service-clusterip"),
    // kubectl create service nodeport np-pb --tcp=80:8080 --node-port=30080
    fixture!("create-service-nodeport"),
    // kubectl create quota q-pb --hard=pods=10,cpu=1,memory=1Gi,requests.cpu=500m --scopes=NotTerminating
    fixture!("create-quota"),
    // kubectl create serviceaccount sa-pb
    fixture!("create-serviceaccount"),
    // kubectl create poddisruptionbudget pdb-pb --selector=app=x --min-available=50%
    fixture!("create-pdb"),
    // kubectl create role r-pb --verb=get,list --resource=pods,deployments.apps
    fixture!("create-role"),
    // kubectl create priorityclass pc-pb --value=1000 --description=high --preemption-policy=Never
    fixture!("create-priorityclass"),
    // kubectl create ingress i-pb --rule=foo.com/bar*=svc1:8080,tls=my-cert
    fixture!("create-ingress"),
    // kubectl create job j-pb --image=busybox -- echo hi
    fixture!("create-job"),
    // kubectl create cronjob cj-pb --image=busybox --schedule='*/5 * * * *' -- date
    fixture!("create-cronjob"),
    // kubectl create token default --duration=1h --audience=api (nil pointers without omitempty)
    fixture!("create-token"),
    // kubectl auth can-i get pods --subresource=log -n kube-system
    fixture!("auth-can-i"),
    // kubectl debug p3 --copy-to=p3dbg --image=busybox --container=dbg, where p3 has resources,
    // probes on a numbered and a named port, env sources, volumes and security contexts.
    fixture!("debug-copy"),
    fixture!("debug-copy-kubectl-1.32"),
    // kubectl debug node/n1 --image=busybox --profile=sysadmin
    fixture!("debug-node"),
];

/// Exact comparison, key order included: the decoder promises Go's field order.
fn assert_json_eq(name: &str, got: &Value, want: &Value) {
    let got = serde_json::to_string_pretty(got).expect("serializable");
    let want = serde_json::to_string_pretty(want).expect("serializable");
    assert_eq!(got, want, "{name}");
}

#[test]
fn kubectl_bodies_decode_to_the_json_kubectl_prints() {
    for (name, body, expected) in FIXTURES {
        let want: Value = serde_json::from_str(expected).expect("fixture JSON parses");
        let got = decode(body).unwrap_or_else(|err| panic!("{name}: {err}"));
        assert_json_eq(name, &got, &want);
    }
}

// A minimal protobuf writer for hand-built bodies.

fn varint(mut value: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

/// A varint field.
fn int(number: u32, value: i64) -> Vec<u8> {
    let mut out = varint(u64::from(number) << 3);
    out.extend(varint(value as u64));
    out
}

/// A length-delimited field.
fn bytes(number: u32, value: &[u8]) -> Vec<u8> {
    let mut out = varint((u64::from(number) << 3) | 2);
    out.extend(varint(value.len() as u64));
    out.extend_from_slice(value);
    out
}

fn string(number: u32, value: &str) -> Vec<u8> {
    bytes(number, value.as_bytes())
}

fn message(number: u32, parts: &[Vec<u8>]) -> Vec<u8> {
    bytes(number, &parts.concat())
}

fn body(api_version: &str, kind: &str, raw: &[Vec<u8>]) -> Vec<u8> {
    let mut out = b"k8s\x00".to_vec();
    out.extend(message(1, &[string(1, api_version), string(2, kind)]));
    out.extend(message(2, raw));
    out.extend(string(3, ""));
    out.extend(string(4, ""));
    out
}

/// `metadata` with just a name; Go then writes `creationTimestamp: null`.
fn metadata(name: &str) -> Vec<u8> {
    message(1, &[string(1, name)])
}

#[test]
fn hand_built_bodies_decode_like_go() {
    let cases: Vec<(&str, Vec<u8>, Value)> = vec![
        (
            "DeleteOptions matches in any group version; pointer zeros are kept",
            body(
                "apps/v1",
                "DeleteOptions",
                &[
                    int(1, 0),
                    message(2, &[string(1, "u-1")]),
                    string(4, "Foreground"),
                    string(5, "All"),
                ],
            ),
            json!({
                "kind": "DeleteOptions", "apiVersion": "apps/v1", "gracePeriodSeconds": 0,
                "preconditions": {"uid": "u-1"}, "propagationPolicy": "Foreground", "dryRun": ["All"],
            }),
        ),
        (
            "a nested object has no TypeMeta of its own",
            body(
                "policy/v1",
                "Eviction",
                &[metadata("p"), message(2, &[int(1, 30)])],
            ),
            json!({
                "kind": "Eviction", "apiVersion": "policy/v1",
                "metadata": {"name": "p", "creationTimestamp": null},
                "deleteOptions": {"gracePeriodSeconds": 30},
            }),
        ),
        (
            "Time is cut to seconds, MicroTime to microseconds, both in UTC",
            body(
                "coordination.k8s.io/v1",
                "Lease",
                &[
                    message(
                        1,
                        &[
                            string(1, "l"),
                            message(8, &[int(1, 1_700_000_000), int(2, 999_999_999)]),
                        ],
                    ),
                    message(
                        2,
                        &[
                            string(1, "node-a"),
                            int(2, 15),
                            message(3, &[int(1, 1_700_000_000), int(2, 123_456_789)]),
                            message(4, &[int(1, 0)]),
                            int(5, 0),
                        ],
                    ),
                ],
            ),
            json!({
                "kind": "Lease", "apiVersion": "coordination.k8s.io/v1",
                "metadata": {"name": "l", "creationTimestamp": "2023-11-14T22:13:20Z"},
                "spec": {
                    "holderIdentity": "node-a", "leaseDurationSeconds": 15,
                    "acquireTime": "2023-11-14T22:13:20.123456Z",
                    "renewTime": "1970-01-01T00:00:00.000000Z", "leaseTransitions": 0,
                },
            }),
        ),
        (
            "Go's zero time, written out explicitly, is still null; a pointer to it is kept",
            body(
                "v1",
                "Namespace",
                &[message(
                    1,
                    &[
                        string(1, "n"),
                        message(8, &[int(1, -62_135_596_800)]),
                        message(9, &[]),
                    ],
                )],
            ),
            json!({
                "kind": "Namespace", "apiVersion": "v1",
                "metadata": {"name": "n", "creationTimestamp": null, "deletionTimestamp": null},
                "spec": {}, "status": {},
            }),
        ),
        (
            "IntOrString as number and string; negative int32s are sign-extended varints",
            body(
                "v1",
                "Service",
                &[
                    metadata("s"),
                    message(
                        2,
                        &[
                            message(
                                1,
                                &[int(3, 80), message(4, &[int(1, 1), string(3, "http")])],
                            ),
                            message(1, &[int(3, 81), message(4, &[int(2, 8081)]), int(5, -1)]),
                            message(1, &[int(3, 82)]),
                        ],
                    ),
                ],
            ),
            json!({
                "kind": "Service", "apiVersion": "v1",
                "metadata": {"name": "s", "creationTimestamp": null},
                "spec": {"ports": [
                    {"port": 80, "targetPort": "http"},
                    {"port": 81, "targetPort": 8081, "nodePort": -1},
                    {"port": 82, "targetPort": 0},
                ]},
                "status": {"loadBalancer": {}},
            }),
        ),
        (
            "bytes are base64; map keys are sorted; a missing map value is empty",
            body(
                "v1",
                "Secret",
                &[
                    metadata("s"),
                    message(2, &[string(1, "z"), bytes(2, &[0xff, 0x00, 0x10])]),
                    message(2, &[string(1, "a")]),
                    int(5, 1),
                    string(3, "Opaque"),
                ],
            ),
            json!({
                "kind": "Secret", "apiVersion": "v1",
                "metadata": {"name": "s", "creationTimestamp": null},
                "immutable": true, "data": {"a": "", "z": "/wAQ"}, "type": "Opaque",
            }),
        ),
        (
            "managed fields carry raw JSON; a message sent in parts is merged",
            body(
                "v1",
                "ConfigMap",
                &[
                    message(1, &[string(1, "c")]),
                    message(
                        1,
                        &[
                            int(7, 4),
                            message(
                                17,
                                &[
                                    string(1, "kubectl"),
                                    string(2, "Update"),
                                    message(4, &[int(1, 1_700_000_000)]),
                                    string(6, "FieldsV1"),
                                    message(7, &[string(1, r#"{"f:data":{".":{}}}"#)]),
                                ],
                            ),
                        ],
                    ),
                ],
            ),
            json!({
                "kind": "ConfigMap", "apiVersion": "v1",
                "metadata": {
                    "name": "c", "generation": 4, "creationTimestamp": null,
                    "managedFields": [{
                        "manager": "kubectl", "operation": "Update", "time": "2023-11-14T22:13:20Z",
                        "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {".": {}}},
                    }],
                },
            }),
        ),
        (
            "unknown field numbers are skipped; packed repeated numbers are read",
            body(
                "v1",
                "Pod",
                &[
                    metadata("p"),
                    int(99, 7),
                    message(
                        2,
                        &[
                            message(14, &[bytes(4, &[1, 2, 0x96, 0x01])]),
                            string(77, "future"),
                        ],
                    ),
                ],
            ),
            json!({
                "kind": "Pod", "apiVersion": "v1",
                "metadata": {"name": "p", "creationTimestamp": null},
                "spec": {"containers": null, "securityContext": {"supplementalGroups": [1, 2, 150]}},
                "status": {},
            }),
        ),
        (
            "named string slices inside maps",
            body(
                "authentication.k8s.io/v1",
                "SelfSubjectReview",
                &[message(
                    2,
                    &[message(
                        1,
                        &[
                            string(1, "alice"),
                            message(
                                4,
                                &[
                                    string(1, "scopes"),
                                    message(2, &[string(1, "a"), string(1, "b")]),
                                ],
                            ),
                            message(4, &[string(1, "empty")]),
                        ],
                    )],
                )],
            ),
            json!({
                "kind": "SelfSubjectReview", "apiVersion": "authentication.k8s.io/v1",
                "metadata": {"creationTimestamp": null},
                "status": {"userInfo": {"username": "alice", "extra": {"empty": null, "scopes": ["a", "b"]}}},
            }),
        ),
    ];
    for (name, body, want) in cases {
        let got = decode(&body).unwrap_or_else(|err| panic!("{name}: {err}"));
        assert_json_eq(name, &got, &want);
    }
}

#[test]
fn broken_or_unsupported_bodies_are_errors() {
    let cases: Vec<(&str, Vec<u8>, ProtobufError, &str, bool)> = vec![
        (
            "JSON sent with the protobuf media type",
            br#"{"kind":"Namespace"}"#.to_vec(),
            ProtobufError::MissingMagic,
            r#"the body is not a Kubernetes protobuf object: it does not start with "k8s\x00""#,
            false,
        ),
        (
            "no kind in the envelope",
            body("v1", "", &[]),
            ProtobufError::MissingKind,
            "the protobuf envelope names no kind",
            false,
        ),
        (
            "compressed content",
            [body("v1", "Namespace", &[]), string(3, "gzip")].concat(),
            ProtobufError::UnsupportedEncoding("gzip".into()),
            r#"content encoding "gzip" of the protobuf envelope is not supported"#,
            true,
        ),
        (
            "a kind without a table",
            body("example.com/v1", "Widget", &[]),
            ProtobufError::UnsupportedKind { api_version: "example.com/v1".into(), kind: "Widget".into() },
            "Widget in example.com/v1 cannot be decoded from protobuf; send it as application/json",
            true,
        ),
        (
            "a field with the wrong wire type",
            body("apps/v1", "Deployment", &[int(1, 5)]),
            ProtobufError::Malformed(
                "apps/v1.Deployment field 1 (metadata): expected a length-delimited value, got a varint".into(),
            ),
            "malformed protobuf body: apps/v1.Deployment field 1 (metadata): expected a length-delimited value, got a varint",
            false,
        ),
        (
            "an impossible IntOrString",
            body("v1", "Service", &[message(2, &[message(1, &[message(4, &[int(1, 2)])])])]),
            ProtobufError::Malformed("core/v1.ServicePort field 4 (targetPort): IntOrString has unknown type 2".into()),
            "malformed protobuf body: core/v1.ServicePort field 4 (targetPort): IntOrString has unknown type 2",
            false,
        ),
        (
            "managed fields that are not JSON",
            body("v1", "ConfigMap", &[message(1, &[message(17, &[message(7, &[string(1, "{")])])])]),
            ProtobufError::Malformed(
                "meta/v1.ManagedFieldsEntry field 7 (fieldsV1): fieldsV1 is not valid JSON: EOF while parsing an object at line 1 column 1".into(),
            ),
            "malformed protobuf body: meta/v1.ManagedFieldsEntry field 7 (fieldsV1): fieldsV1 is not valid JSON: EOF while parsing an object at line 1 column 1",
            false,
        ),
        (
            "a truncated body",
            {
                // Cut inside `raw`, past the two empty trailing envelope fields.
                let full = body("v1", "Namespace", &[metadata("n")]);
                full[..full.len() - 6].to_vec()
            },
            ProtobufError::Malformed("field 2 is longer than its enclosing message".into()),
            "malformed protobuf body: field 2 is longer than its enclosing message",
            false,
        ),
    ];
    for (name, body, error, message, unsupported) in cases {
        let got = decode(&body).expect_err(name);
        assert_eq!(got, error, "{name}");
        assert_eq!(got.to_string(), message, "{name}");
        assert_eq!(got.is_unsupported(), unsupported, "{name}");
    }
}

/// Every kind decodes from an empty object, with `kind` and `apiVersion` first, and no message
/// in the generated table reuses a field number or (after inlining) a JSON name.
#[test]
fn the_table_is_consistent() {
    fn check(message: &'static table::Message, seen: &mut Vec<&'static str>) {
        if seen.contains(&message.name) {
            return;
        }
        seen.push(message.name);
        let mut numbers: Vec<u32> = message
            .fields
            .iter()
            .map(|f| f.number)
            .filter(|n| *n != 0)
            .collect();
        numbers.sort_unstable();
        let count = numbers.len();
        numbers.dedup();
        assert_eq!(
            numbers.len(),
            count,
            "{} repeats a field number",
            message.name
        );
        let mut names = json_names(message);
        names.sort_unstable();
        let count = names.len();
        names.dedup();
        assert_eq!(names.len(), count, "{} repeats a JSON name", message.name);
        for field in message.fields {
            let ty = match field.shape {
                Shape::Value(ty) | Shape::Pointer(ty) | Shape::Slice(ty) | Shape::Map(ty) => ty,
                Shape::Inline(inner) => Ty::Msg(inner),
                Shape::TypeMeta => continue,
            };
            if let Ty::Msg(inner) = ty {
                check(inner, seen);
            }
        }
    }
    fn json_names(message: &'static table::Message) -> Vec<&'static str> {
        let mut names = Vec::new();
        for field in message.fields {
            match field.shape {
                Shape::Inline(inner) => names.extend(json_names(inner)),
                Shape::TypeMeta => names.extend(["kind", "apiVersion"]),
                _ => names.push(field.json),
            }
        }
        names
    }
    let mut seen = Vec::new();
    for (api_version, kind, message) in table::roots() {
        check(message, &mut seen);
        let object =
            decode(&body(api_version, kind, &[])).unwrap_or_else(|err| panic!("{kind}: {err}"));
        let keys: Vec<&String> = object
            .as_object()
            .expect("an object")
            .keys()
            .take(2)
            .collect();
        assert_eq!(keys, ["kind", "apiVersion"], "{kind}");
        assert_eq!(object["kind"], json!(kind));
    }
    assert!(seen.len() > 250, "walked {} messages", seen.len());
}
