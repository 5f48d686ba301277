//! Tests of the served documents: they parse, every reference resolves, and they carry what
//! kubectl reads (the PATCH probe of the field-validation verifier, the explain lookups,
//! patch metadata), plus the HTTP decisions and the protobuf encoding.

use serde_json::{Value, json};

use super::*;
use bosun_api::resources::RESOURCES;

fn parse(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).expect("served documents are JSON")
}

fn gv_doc(key: &str) -> Value {
    parse(v3_group_version(key).expect("group version is served"))
}

fn gvk_of(r: &bosun_api::resources::ResourceInfo) -> Value {
    json!({"group": r.group, "kind": r.kind, "version": r.version})
}

/// Every `$ref` under `value`.
fn refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("$ref", Value::String(s)) => out.push(s.clone()),
                    _ => refs(v, out),
                }
            }
        }
        Value::Array(xs) => xs.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}

/// Follows `allOf: [{$ref}]` and `$ref` to the named schema of a v3 document.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    let target = schema
        .get("$ref")
        .or_else(|| schema.pointer("/allOf/0/$ref"))
        .and_then(Value::as_str);
    match target.and_then(|t| t.strip_prefix("#/components/schemas/")) {
        Some(name) => &doc["components"]["schemas"][name],
        None => schema,
    }
}

const GV_KEYS: [&str; 8] = [
    "api/v1",
    "apis/apps/v1",
    "apis/authentication.k8s.io/v1",
    "apis/authorization.k8s.io/v1",
    "apis/certificates.k8s.io/v1",
    "apis/coordination.k8s.io/v1",
    "apis/events.k8s.io/v1",
    "apis/rbac.authorization.k8s.io/v1",
];

#[test]
fn index_links_every_group_version_by_content_hash() {
    let index = parse(v3_index());
    let paths = index["paths"].as_object().expect("paths object");
    let keys: Vec<&str> = paths.keys().map(String::as_str).collect();
    assert_eq!(keys, GV_KEYS);
    for key in GV_KEYS {
        let hash = v3_hash(key).expect("hash");
        assert_eq!(
            paths[key]["serverRelativeURL"],
            json!(format!("/openapi/v3/{key}?hash={hash}"))
        );
        let bytes = v3_group_version(key).expect("document");
        assert_eq!(hash, content_hash(bytes), "{key}");
        let doc = parse(bytes);
        assert_eq!(doc["openapi"], "3.0.0");
        assert_eq!(
            doc["info"],
            json!({"title": "Kubernetes", "version": KUBERNETES_VERSION})
        );
    }
    assert_eq!(
        v3_group_version("/apis/apps/v1"),
        v3_group_version("apis/apps/v1")
    );
    assert_eq!(v3_group_version("apis/batch/v1"), None);
    assert_eq!(v3_hash("apis/batch/v1"), None);
}

#[test]
fn v2_document_is_swagger_with_every_reference_defined() {
    let doc = parse(v2_document());
    assert_eq!(doc["swagger"], "2.0");
    assert_eq!(
        doc["info"],
        json!({"title": "Kubernetes", "version": KUBERNETES_VERSION})
    );
    let defs = doc["definitions"].as_object().expect("definitions");
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(!all.is_empty());
    for r in all {
        let name = r
            .strip_prefix("#/definitions/")
            .expect("v2 refs point at definitions");
        assert!(defs.contains_key(name), "dangling {r}");
    }
}

#[test]
fn v3_references_resolve_inside_their_own_document() {
    for key in GV_KEYS {
        let doc = gv_doc(key);
        let schemas = doc["components"]["schemas"].as_object().expect("schemas");
        let mut all = Vec::new();
        refs(&doc, &mut all);
        for r in all {
            let name = r
                .strip_prefix("#/components/schemas/")
                .expect("v3 refs point at components");
            assert!(schemas.contains_key(name), "{key}: dangling {r}");
        }
        // A `$ref` never has siblings in OpenAPI 3.0 output (they would be ignored).
        let text = String::from_utf8_lossy(v3_group_version(key).expect("doc")).to_string();
        assert!(!text.contains("#/definitions/"), "{key}");
    }
}

/// kubectl's `queryParamVerifierV3` walks the paths (in Go map order, so any of them may
/// come first) and decides on the first PATCH whose `x-kubernetes-group-version-kind` is the
/// kind: it must list `fieldValidation`, or kubectl falls back to client-side validation.
#[test]
fn every_patch_of_every_kind_offers_field_validation_in_v3() {
    for r in RESOURCES.iter().filter(|r| !r.create_only) {
        let doc = gv_doc(&gv_key(r.group, r.version));
        let mut matching = 0;
        for (path, item) in doc["paths"].as_object().expect("paths") {
            let Some(patch) = item.get("patch") else {
                continue;
            };
            if patch["x-kubernetes-group-version-kind"] != gvk_of(r) {
                continue;
            }
            matching += 1;
            let names: Vec<&str> = patch["parameters"]
                .as_array()
                .expect("parameters")
                .iter()
                .filter_map(|p| p["name"].as_str())
                .collect();
            assert_eq!(
                names,
                ["dryRun", "fieldManager", "fieldValidation", "force"],
                "{path}"
            );
            let media: Vec<&String> = patch["requestBody"]["content"]
                .as_object()
                .expect("content")
                .keys()
                .collect();
            assert_eq!(
                media,
                [
                    "application/apply-patch+yaml",
                    "application/json-patch+json",
                    "application/merge-patch+json",
                    "application/strategic-merge-patch+json",
                ],
                "{path}"
            );
        }
        // The object itself, and each subresource that carries the whole object.
        let expected = 1 + r
            .subresources
            .iter()
            .filter(|s| matches!(**s, "status" | "approval"))
            .count();
        assert_eq!(matching, expected, "{}", r.kind);
    }
}

/// The v2 verifier (kubectl 1.27/1.28 fallback) decides on the first PATCH in document order
/// with the kind's GVK; parameters are inline.
#[test]
fn first_v2_patch_of_every_kind_offers_field_validation() {
    let doc = parse(v2_document());
    for r in RESOURCES.iter().filter(|r| !r.create_only) {
        let first = doc["paths"]
            .as_object()
            .expect("paths")
            .values()
            .filter_map(|item| item.get("patch"))
            .find(|patch| patch["x-kubernetes-group-version-kind"] == gvk_of(r))
            .expect("a PATCH for every kind");
        let has = first["parameters"]
            .as_array()
            .expect("parameters")
            .iter()
            .any(|p| p["name"] == "fieldValidation" && p["in"] == "query");
        assert!(has, "{}", r.kind);
        assert!(
            first["consumes"]
                .as_array()
                .expect("consumes")
                .contains(&json!("application/strategic-merge-patch+json")),
            "{}",
            r.kind
        );
    }
}

/// `kubectl explain` (v3 templates) finds the GVK on an operation of the resource's
/// collection or item path, then the schema whose GVK list contains exactly that object.
#[test]
fn explain_finds_every_kind_from_its_paths() {
    for r in RESOURCES {
        let doc = gv_doc(&gv_key(r.group, r.version));
        let prefix = if r.group.is_empty() {
            "/api".to_string()
        } else {
            format!("/apis/{}", r.group)
        };
        let path = if r.namespaced {
            format!(
                "{prefix}/{}/namespaces/{{namespace}}/{}",
                r.version, r.plural
            )
        } else {
            format!("{prefix}/{}/{}", r.version, r.plural)
        };
        // Reviews are only ever created.
        let verb = if r.create_only { "post" } else { "get" };
        let gvk = doc["paths"][&path][verb]["x-kubernetes-group-version-kind"].clone();
        assert_eq!(gvk, gvk_of(r), "{path}");
        let found = doc["components"]["schemas"]
            .as_object()
            .expect("schemas")
            .values()
            .filter(|s| {
                s["x-kubernetes-group-version-kind"]
                    .as_array()
                    .is_some_and(|l| l.contains(&gvk))
            })
            .count();
        assert_eq!(found, 1, "{}", r.kind);
    }
}

#[test]
fn deployment_strategy_is_documented_like_explain_walks_it() {
    let doc = gv_doc("apis/apps/v1");
    let deployment = &doc["components"]["schemas"]["io.k8s.api.apps.v1.Deployment"];
    let spec = &deployment["properties"]["spec"];
    assert_eq!(
        spec["allOf"],
        json!([{"$ref": "#/components/schemas/io.k8s.api.apps.v1.DeploymentSpec"}])
    );
    let strategy = &resolve(&doc, spec)["properties"]["strategy"];
    assert_eq!(
        strategy["description"],
        "The deployment strategy to use to replace existing pods with new ones."
    );
    let fields = resolve(&doc, strategy)["properties"]
        .as_object()
        .expect("strategy properties");
    let names: Vec<&String> = fields.keys().collect();
    assert_eq!(names, ["rollingUpdate", "type"]);
}

#[test]
fn pod_containers_carry_patch_merge_metadata_in_both_versions() {
    let v3 = gv_doc("api/v1");
    let containers =
        &v3["components"]["schemas"]["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"];
    assert_eq!(containers["x-kubernetes-patch-merge-key"], "name");
    assert_eq!(containers["x-kubernetes-patch-strategy"], "merge");
    assert_eq!(
        containers["items"],
        json!({"$ref": "#/components/schemas/io.k8s.api.core.v1.Container"})
    );
    let v2 = parse(v2_document());
    let containers = &v2["definitions"]["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"];
    assert_eq!(containers["x-kubernetes-patch-merge-key"], "name");
    assert_eq!(containers["x-kubernetes-patch-strategy"], "merge");
}

/// kubectl 1.27/1.28 parse the whole v2 document with kube-openapi's `proto` package before
/// `apply` or `explain`; any schema it rejects fails the command. Its rules: a `$ref` has no
/// `type` nor `properties` and points into `definitions`, `type` is one known name, and an
/// array has exactly one `items` schema.
#[test]
fn v2_schemas_fit_the_kubectl_v2_parser() {
    fn check(schema: &Value, at: &str, errors: &mut Vec<String>) {
        let Some(map) = schema.as_object() else {
            errors.push(format!("{at}: not an object"));
            return;
        };
        if let Some(r) = map.get("$ref") {
            if map.contains_key("type") || map.contains_key("properties") {
                errors.push(format!("{at}: $ref with type or properties"));
            }
            if !r.as_str().is_some_and(|r| r.starts_with("#/definitions/")) {
                errors.push(format!("{at}: bad $ref {r}"));
            }
            return;
        }
        match map.get("type") {
            None => {}
            Some(Value::String(t)) => {
                let known = ["object", "array", "string", "integer", "number", "boolean"];
                if !known.contains(&t.as_str()) {
                    errors.push(format!("{at}: type {t}"));
                }
                if t == "array" && !map.get("items").is_some_and(Value::is_object) {
                    errors.push(format!("{at}: array without one items schema"));
                }
            }
            Some(other) => errors.push(format!("{at}: type {other}")),
        }
        if let Some(props) = map.get("properties").and_then(Value::as_object) {
            for (name, p) in props {
                check(p, &format!("{at}.{name}"), errors);
            }
        }
        if let Some(items) = map.get("items") {
            check(items, &format!("{at}[]"), errors);
        }
        if let Some(ap @ Value::Object(_)) = map.get("additionalProperties") {
            check(ap, &format!("{at}{{}}"), errors);
        }
    }
    let doc = parse(v2_document());
    let mut errors = Vec::new();
    for (name, schema) in doc["definitions"].as_object().expect("definitions") {
        check(schema, name, &mut errors);
    }
    assert_eq!(errors, Vec::<String>::new());
}

#[test]
fn operations_are_named_and_shaped_as_upstream() {
    let core = gv_doc("api/v1");
    let apps = gv_doc("apis/apps/v1");
    let coord = gv_doc("apis/coordination.k8s.io/v1");
    let cases: [(&Value, &str, &str, &str, &str, Value); 12] = [
        (
            &apps,
            "/apis/apps/v1/namespaces/{namespace}/deployments/{name}",
            "patch",
            "patchAppsV1NamespacedDeployment",
            "patch",
            json!({"group": "apps", "kind": "Deployment", "version": "v1"}),
        ),
        (
            &apps,
            "/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale",
            "put",
            "replaceAppsV1NamespacedDeploymentScale",
            "put",
            json!({"group": "autoscaling", "kind": "Scale", "version": "v1"}),
        ),
        (
            &apps,
            "/apis/apps/v1/namespaces/{namespace}/deployments/{name}/status",
            "get",
            "readAppsV1NamespacedDeploymentStatus",
            "get",
            json!({"group": "apps", "kind": "Deployment", "version": "v1"}),
        ),
        (
            &apps,
            "/apis/apps/v1/deployments",
            "get",
            "listAppsV1DeploymentForAllNamespaces",
            "list",
            json!({"group": "apps", "kind": "Deployment", "version": "v1"}),
        ),
        (
            &apps,
            "/apis/apps/v1/namespaces/{namespace}/replicasets",
            "delete",
            "deleteAppsV1CollectionNamespacedReplicaSet",
            "deletecollection",
            json!({"group": "apps", "kind": "ReplicaSet", "version": "v1"}),
        ),
        (
            &apps,
            "/apis/apps/v1/watch/namespaces/{namespace}/deployments/{name}",
            "get",
            "watchAppsV1NamespacedDeployment",
            "watch",
            json!({"group": "apps", "kind": "Deployment", "version": "v1"}),
        ),
        (
            &core,
            "/api/v1/namespaces/{namespace}/pods/{name}/binding",
            "post",
            "createCoreV1NamespacedPodBinding",
            "post",
            json!({"group": "", "kind": "Binding", "version": "v1"}),
        ),
        (
            &core,
            "/api/v1/namespaces/{namespace}/pods/{name}/eviction",
            "post",
            "createCoreV1NamespacedPodEviction",
            "post",
            json!({"group": "policy", "kind": "Eviction", "version": "v1"}),
        ),
        (
            &core,
            "/api/v1/namespaces/{name}/finalize",
            "put",
            "replaceCoreV1NamespaceFinalize",
            "put",
            json!({"group": "", "kind": "Namespace", "version": "v1"}),
        ),
        (
            &core,
            "/api/v1/nodes",
            "delete",
            "deleteCoreV1CollectionNode",
            "deletecollection",
            json!({"group": "", "kind": "Node", "version": "v1"}),
        ),
        (
            &core,
            "/api/v1/watch/nodes",
            "get",
            "watchCoreV1NodeList",
            "watchlist",
            json!({"group": "", "kind": "Node", "version": "v1"}),
        ),
        (
            &coord,
            "/apis/coordination.k8s.io/v1/watch/leases",
            "get",
            "watchCoordinationV1LeaseListForAllNamespaces",
            "watchlist",
            json!({"group": "coordination.k8s.io", "kind": "Lease", "version": "v1"}),
        ),
    ];
    for (doc, path, method, id, action, gvk) in cases {
        let op = &doc["paths"][path][method];
        assert_eq!(op["operationId"], id, "{method} {path}");
        assert_eq!(op["x-kubernetes-action"], action, "{method} {path}");
        assert_eq!(
            op["x-kubernetes-group-version-kind"], gvk,
            "{method} {path}"
        );
    }
    // Upstream has no DELETECOLLECTION for namespaces.
    assert_eq!(core["paths"]["/api/v1/namespaces"].get("delete"), None);
    // Path-level parameters of an item path.
    let names: Vec<&str> = apps["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]
        ["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(names, ["name", "namespace", "pretty"]);
    let post = &apps["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments"]["post"];
    assert_eq!(
        post["requestBody"],
        json!({"content": {"*/*": {"schema": {"$ref": "#/components/schemas/io.k8s.api.apps.v1.Deployment"}}}, "required": true})
    );
    let codes: Vec<&String> = post["responses"]
        .as_object()
        .expect("responses")
        .keys()
        .collect();
    assert_eq!(codes, ["200", "201", "202", "401"]);
}

#[test]
fn every_registry_subresource_is_documented() {
    for r in RESOURCES {
        for sub in r.subresources {
            assert!(routes::knows_subresource(r, sub), "{}/{sub}", r.plural);
        }
    }
}

/// `readCoreV1NamespacedPodLog` answers a string as `text/plain`, its options on the path.
#[test]
fn pod_log_is_documented_as_upstream() {
    let path = "/api/v1/namespaces/{namespace}/pods/{name}/log";
    let v2 = parse(v2_document());
    let item = &v2["paths"][path];
    let get = &item["get"];
    assert_eq!(get["operationId"], "readCoreV1NamespacedPodLog");
    assert_eq!(get["description"], "read log of the specified Pod");
    assert_eq!(get["x-kubernetes-action"], "get");
    assert_eq!(get["produces"], json!(["text/plain", "application/json"]));
    assert_eq!(get["responses"]["200"]["schema"], json!({"type": "string"}));
    let names: Vec<&str> = item["parameters"]
        .as_array()
        .expect("path parameters")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(
        names,
        [
            "container",
            "follow",
            "insecureSkipTLSVerifyBackend",
            "limitBytes",
            "name",
            "namespace",
            "pretty",
            "previous",
            "sinceSeconds",
            "stream",
            "tailLines",
            "timestamps",
        ]
    );
    let v3 = gv_doc("api/v1");
    let ok = &v3["paths"][path]["get"]["responses"]["200"]["content"];
    assert_eq!(ok["text/plain"], json!({"schema": {"type": "string"}}));
}

#[test]
fn v2_accept_negotiation_follows_upstream() {
    let proto = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf";
    let cases: [(Option<&str>, Option<&str>); 10] = [
        (None, Some(JSON_CONTENT_TYPE)),
        (Some(""), Some(JSON_CONTENT_TYPE)),
        (Some("*/*"), Some(JSON_CONTENT_TYPE)),
        (Some("application/json, */*"), Some(JSON_CONTENT_TYPE)),
        // What client-go sends: protobuf, answered with the dotted content type.
        (Some(proto), Some(V2_PROTOBUF_CONTENT_TYPE)),
        (
            Some("application/com.github.proto-openapi.spec.v2.v1.0+protobuf"),
            Some(V2_PROTOBUF_CONTENT_TYPE),
        ),
        (
            Some(
                "application/json;q=0.5, application/com.github.proto-openapi.spec.v2@v1.0+protobuf",
            ),
            Some(V2_PROTOBUF_CONTENT_TYPE),
        ),
        (Some("application/*"), Some(JSON_CONTENT_TYPE)),
        (Some("text/html"), None),
        (Some("application/json;q=0"), None),
    ];
    for (accept, expected) in cases {
        let got = match v2_response(accept) {
            OpenApiResponse::Ok {
                content_type,
                body,
                etag,
                cache_control,
                expires_in_a_year,
            } => {
                let want_body = if content_type == JSON_CONTENT_TYPE {
                    v2_document()
                } else {
                    v2_protobuf()
                };
                assert_eq!(body, want_body, "{accept:?}");
                assert_eq!(etag, format!("\"{}\"", content_hash(v2_document())));
                assert_eq!((cache_control, expires_in_a_year), (CACHE_NO_CACHE, false));
                Some(content_type)
            }
            OpenApiResponse::NotAcceptable => None,
            other => panic!("{accept:?}: {other:?}"),
        };
        assert_eq!(got, expected, "{accept:?}");
    }
}

#[test]
fn v3_documents_are_immutable_only_under_their_current_hash() {
    let hash = v3_hash("apis/apps/v1").expect("hash");
    let body = v3_group_version("apis/apps/v1").expect("doc");
    let ok = |cache_control, expires_in_a_year| OpenApiResponse::Ok {
        body,
        content_type: JSON_CONTENT_TYPE,
        etag: format!("\"{hash}\""),
        cache_control,
        expires_in_a_year,
    };
    let cases = [
        (
            "apis/apps/v1",
            Some(hash),
            Some("application/json"),
            ok(CACHE_IMMUTABLE, true),
        ),
        ("/apis/apps/v1", Some(hash), None, ok(CACHE_IMMUTABLE, true)),
        (
            "apis/apps/v1",
            None,
            Some("application/json, */*"),
            ok(CACHE_NO_CACHE, false),
        ),
        ("apis/apps/v1", Some(""), None, ok(CACHE_NO_CACHE, false)),
        (
            "apis/apps/v1",
            Some("0123"),
            None,
            OpenApiResponse::Redirect(format!("/openapi/v3/apis/apps/v1?hash={hash}")),
        ),
        (
            "apis/apps/v1",
            Some(hash),
            Some("application/com.github.proto-openapi.spec.v3.v1.0+protobuf"),
            OpenApiResponse::NotAcceptable,
        ),
        ("apis/batch/v1", None, None, OpenApiResponse::NotFound),
    ];
    for (path, h, accept, expected) in cases {
        assert_eq!(
            v3_response(path, h, accept),
            expected,
            "{path} {h:?} {accept:?}"
        );
    }
    match v3_index_response() {
        OpenApiResponse::Ok {
            body,
            content_type,
            etag,
            cache_control,
            ..
        } => {
            assert_eq!(body, v3_index());
            assert_eq!(content_type, JSON_CONTENT_TYPE);
            assert_eq!(etag, format!("\"{}\"", content_hash(v3_index())));
            assert_eq!(cache_control, CACHE_NO_CACHE);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn content_hash_is_fnv1a_64() {
    assert_eq!(content_hash(b""), "CBF29CE484222325");
    assert_eq!(content_hash(b"a"), "AF63DC4C8601EC8C");
    assert_eq!(content_hash(b"foobar"), "85944171F73967E8");
}

#[test]
fn gnostic_encoding_writes_exact_fields() {
    let cases: [(Value, Vec<u8>, Vec<&str>); 7] = [
        // Document.swagger = 1
        (
            json!({"swagger": "2.0"}),
            vec![0x0a, 3, b'2', b'.', b'0'],
            vec![],
        ),
        // Document.info = 2 { title = 1, version = 2 }
        (
            json!({"info": {"title": "K", "version": "v"}}),
            vec![0x12, 6, 0x0a, 1, b'K', 0x12, 1, b'v'],
            vec![],
        ),
        // definitions = 9 { NamedSchema = 1 { name = 1, Schema = 2 { type = 22 (TypeItem
        // { value = 1 }), additionalProperties = 21 (oneof boolean = 2, written when false) } } }
        (
            json!({"definitions": {"M": {"type": "object", "additionalProperties": false}}}),
            [
                0x4a, 23, 0x0a, 21, 0x0a, 1, b'M', 0x12, 16, 0xb2, 0x01, 8, 0x0a, 6,
            ]
            .into_iter()
            .chain(*b"object")
            .chain([0xaa, 0x01, 2, 0x10, 0x00])
            .collect(),
            vec![],
        ),
        // paths = 8 { NamedPathItem = 2 { name = 1, PathItem = 2 { get = 2 { parameters = 8
        // { ParametersItem.parameter = 1 { non_body = 2 { query = 3 { in = 2, name = 4,
        // type = 6, uniqueItems = 20 } } } } } } } }
        (
            json!({"paths": {"/p": {"get": {"parameters": [
                {"in": "query", "name": "w", "type": "boolean", "uniqueItems": true}
            ]}}}}),
            [
                0x42, 40, 0x12, 38, 0x0a, 2, b'/', b'p', 0x12, 32, 0x12, 30, 0x42, 28, 0x0a, 26,
            ]
            .into_iter()
            .chain([0x12, 24, 0x1a, 22, 0x12, 5])
            .chain(*b"query")
            .chain([0x22, 1, b'w', 0x32, 7])
            .chain(*b"boolean")
            .chain([0xa0, 0x01, 0x01])
            .collect(),
            vec![],
        ),
        // A path parameter on the path item (PathItem.parameters = 9): path = 4 { in = 2,
        // name = 4, required = 1, type = 5, uniqueItems = 19 }.
        (
            json!({"paths": {"/p": {"parameters": [
                {"in": "path", "name": "n", "required": true, "type": "string", "uniqueItems": true}
            ]}}}),
            [
                0x42, 38, 0x12, 36, 0x0a, 2, b'/', b'p', 0x12, 30, 0x4a, 28, 0x0a, 26, 0x12, 24,
            ]
            .into_iter()
            .chain([0x22, 22, 0x12, 4])
            .chain(*b"path")
            .chain([0x22, 1, b'n', 0x08, 0x01, 0x2a, 6])
            .chain(*b"string")
            .chain([0x98, 0x01, 0x01])
            .collect(),
            vec![],
        ),
        // Operation vendor extension = 13: NamedAny { name = 1, Any = 2 { yaml = 2 } }.
        (
            json!({"paths": {"/p": {"patch": {"x-a": 1}}}}),
            [
                0x42, 22, 0x12, 20, 0x0a, 2, b'/', b'p', 0x12, 14, 0x42, 12, 0x6a, 10, 0x0a, 3,
            ]
            .into_iter()
            .chain(*b"x-a")
            .chain([0x12, 3, 0x12, 1, b'1'])
            .collect(),
            vec![],
        ),
        // Keys without a place in the message are reported, not written.
        (json!({"bogus": 1}), vec![], vec!["/bogus"]),
    ];
    for (doc, bytes, skipped) in cases {
        let (got, got_skipped) = gnostic::encode(&doc);
        assert_eq!(got, bytes, "{doc}");
        assert_eq!(got_skipped, skipped, "{doc}");
    }
}

#[test]
fn served_protobuf_encodes_the_whole_v2_document() {
    let doc = parse(v2_document());
    let (bytes, skipped) = gnostic::encode(&doc);
    assert_eq!(skipped, Vec::<String>::new());
    assert_eq!(bytes, v2_protobuf());
    let fields = gnostic::decode_fields(&bytes).expect("well-formed protobuf");
    let numbers: Vec<u32> = fields.iter().map(|f| f.0).collect();
    assert_eq!(numbers, [1, 2, 8, 9]);
    assert_eq!(fields[0].2, b"2.0");
    let paths = gnostic::decode_fields(&fields[2].2).expect("paths");
    assert_eq!(paths.len(), doc["paths"].as_object().map_or(0, |m| m.len()));
    let defs = gnostic::decode_fields(&fields[3].2).expect("definitions");
    assert_eq!(
        defs.len(),
        doc["definitions"].as_object().map_or(0, |m| m.len())
    );
}
