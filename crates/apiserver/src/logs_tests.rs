//! Unit tests of `pods/{name}/log`'s pure parts: option decoding and validation, container
//! defaulting, the agent's address and query, and the agent's errors as `Status`es.

use super::*;

fn query(pairs: &[(&str, &str)]) -> Query {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn opts(pairs: &[(&str, &str)]) -> ApiResult<LogOptions> {
    LogOptions::from_query(&query(pairs))
}

fn invalid(pairs: &[(&str, &str)]) -> ApiError {
    let o = opts(pairs).expect("options parse");
    o.validate("web-abc").expect_err("invalid options")
}

#[test]
fn options_decode_like_upstreams_parameter_codec() {
    let o = opts(&[
        ("container", "web"),
        ("follow", "true"),
        ("previous", "1"),
        ("timestamps", ""),
        ("tailLines", "10"),
        ("limitBytes", "+500"),
        ("sinceSeconds", ""),
        ("insecureSkipTLSVerifyBackend", "true"),
    ])
    .expect("parses");
    assert_eq!(o.container, "web");
    // Go's rule: only absence, `0` and `false` are false; an empty value is true.
    assert!(o.follow && o.previous && o.timestamps);
    assert_eq!(o.tail_lines, Some(10));
    assert_eq!(o.limit_bytes, Some(500));
    assert_eq!(o.since_seconds, None);
    let o = opts(&[("follow", "False"), ("previous", "0")]).expect("parses");
    assert!(!o.follow && !o.previous && !o.timestamps);
    assert_eq!(opts(&[]).expect("parses"), LogOptions::default());

    let e = opts(&[("tailLines", "ten")]).expect_err("not a number");
    assert_eq!((e.code, e.reason), (400, "BadRequest"));
    assert_eq!(
        e.message,
        r#"strconv.ParseInt: parsing "ten": invalid syntax"#
    );
    let e = opts(&[("limitBytes", "99999999999999999999")]).expect_err("too big");
    assert_eq!(
        e.message,
        r#"strconv.ParseInt: parsing "99999999999999999999": value out of range"#
    );
    let e = opts(&[("sinceTime", "yesterday")]).expect_err("not a time");
    assert_eq!(e.code, 400);
    assert!(
        e.message.starts_with(r#"parsing time "yesterday""#),
        "{}",
        e.message
    );
    let o = opts(&[("sinceTime", "2024-05-01T12:00:00+02:00")]).expect("parses");
    assert_eq!(
        o.since_time.map(|t| t.as_second()),
        Some(1_714_557_600),
        "offsets are honoured"
    );
}

#[test]
fn options_are_validated_with_upstreams_messages() {
    let e = invalid(&[("tailLines", "-1")]);
    assert_eq!((e.code, e.reason), (422, "Invalid"));
    assert_eq!(
        e.message,
        r#"PodLogOptions "web-abc" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0"#
    );
    let details = e.details.clone().expect("details");
    assert_eq!(details["kind"], "PodLogOptions");
    assert_eq!(details["name"], "web-abc");
    assert_eq!(details["causes"][0]["reason"], "FieldValueInvalid");
    assert_eq!(details["causes"][0]["field"], "tailLines");

    assert_eq!(
        invalid(&[("limitBytes", "0")]).message,
        r#"PodLogOptions "web-abc" is invalid: limitBytes: Invalid value: 0: must be greater than 0"#
    );
    assert_eq!(
        invalid(&[("sinceSeconds", "0")]).message,
        r#"PodLogOptions "web-abc" is invalid: sinceSeconds: Invalid value: 0: must be greater than 0"#
    );
    // Upstream reports this one on the empty field path.
    assert_eq!(
        invalid(&[("sinceSeconds", "5"), ("sinceTime", "2024-05-01T10:00:00Z")]).message,
        "PodLogOptions \"web-abc\" is invalid: : Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified"
    );
    assert_eq!(
        invalid(&[("tailLines", "-2"), ("limitBytes", "-1")]).message,
        r#"PodLogOptions "web-abc" is invalid: [tailLines: Invalid value: -2: must be greater than or equal to 0, limitBytes: Invalid value: -1: must be greater than 0]"#
    );
    let fine = opts(&[
        ("tailLines", "0"),
        ("sinceSeconds", "1"),
        ("limitBytes", "1"),
    ])
    .expect("parses");
    assert!(fine.validate("web-abc").is_ok());
}

#[test]
fn agent_query_is_gos_url_values_encoding_of_the_set_options() {
    assert_eq!(LogOptions::default().agent_query(), "");
    let o = opts(&[
        ("timestamps", "true"),
        ("tailLines", "10"),
        ("sinceTime", "2024-05-01T10:00:00.123456Z"),
        ("previous", "true"),
        ("limitBytes", "100"),
        ("follow", "true"),
        ("container", "web"),
    ])
    .expect("parses");
    assert_eq!(
        o.agent_query(),
        "follow=true&limitBytes=100&previous=true&sinceTime=2024-05-01T10%3A00%3A00Z&tailLines=10&timestamps=true"
    );
    let o = opts(&[("sinceSeconds", "30"), ("follow", "false")]).expect("parses");
    assert_eq!(o.agent_query(), "sinceSeconds=30");
}

fn pod(init: &[&str], containers: &[&str], ephemeral: &[&str]) -> Value {
    let list = |names: &[&str]| -> Vec<Value> {
        names
            .iter()
            .map(|n| json!({"name": n, "image": "busybox"}))
            .collect()
    };
    json!({
        "metadata": {"name": "web-abc", "namespace": "default"},
        "spec": {
            "initContainers": list(init),
            "containers": list(containers),
            "ephemeralContainers": list(ephemeral),
        },
    })
}

#[test]
fn containers_default_and_validate_like_upstream() {
    let single = pod(&["setup"], &["web"], &[]);
    assert_eq!(container_for(&single, "").expect("defaulted"), "web");
    assert_eq!(container_for(&single, "setup").expect("init"), "setup");

    let none = pod(&[], &[], &[]);
    let e = container_for(&none, "").expect_err("no container");
    assert_eq!((e.code, e.reason), (400, "BadRequest"));
    assert_eq!(
        e.message,
        "a container name must be specified for pod web-abc"
    );

    let many = pod(&["setup"], &["web", "sidecar"], &["debugger"]);
    assert_eq!(
        container_for(&many, "").expect_err("ambiguous").message,
        "a container name must be specified for pod web-abc, choose one of: [setup web sidecar debugger]"
    );
    assert_eq!(
        container_for(&many, "debugger").expect("ephemeral"),
        "debugger"
    );
    let e = container_for(&many, "db").expect_err("unknown");
    assert_eq!((e.code, e.reason), (400, "BadRequest"));
    assert_eq!(e.message, "container db is not valid for pod web-abc");
}

fn node(addresses: Value, port: Value) -> Value {
    json!({
        "metadata": {"name": "n1"},
        "status": {
            "addresses": addresses,
            "daemonEndpoints": {"kubeletEndpoint": {"Port": port}},
        },
    })
}

#[test]
fn agent_endpoint_prefers_the_internal_ip_then_the_hostname() {
    let both = node(
        json!([
            {"type": "Hostname", "address": "n1"},
            {"type": "InternalIP", "address": "10.0.0.7"},
        ]),
        json!(10250),
    );
    let e = agent_endpoint(&both).expect("endpoint");
    assert_eq!((e.host.as_str(), e.port), ("10.0.0.7", 10250));
    let hostname = node(json!([{"type": "Hostname", "address": "n1"}]), json!(10250));
    assert_eq!(agent_endpoint(&hostname).expect("endpoint").host, "n1");

    let external = node(
        json!([{"type": "ExternalIP", "address": "203.0.113.5"}]),
        json!(10250),
    );
    let e = agent_endpoint(&external).expect_err("no usable address");
    assert_eq!(e.code, 500);
    assert_eq!(
        e.message,
        "no preferred addresses found; known addresses: [{ExternalIP 203.0.113.5}]"
    );
    assert!(
        e.status().get("reason").is_none(),
        "upstream's Unknown reason"
    );

    for port in [json!(0), json!(70000), Value::Null] {
        let e = agent_endpoint(&node(
            json!([{"type": "InternalIP", "address": "10.0.0.7"}]),
            port,
        ))
        .expect_err("no port");
        assert_eq!(e.code, 500);
        assert!(e.message.contains("kubeletEndpoint.Port"), "{}", e.message);
    }
}

#[test]
fn agent_errors_become_statuses_like_upstreams_response_checker() {
    let e = agent_error(
        400,
        r#"container "web" in pod "web-abc" is waiting to start: ContainerCreating"#,
        "web-abc",
    );
    assert_eq!((e.code, e.reason), (400, "BadRequest"));
    assert_eq!(
        e.message,
        r#"container "web" in pod "web-abc" is waiting to start: ContainerCreating"#
    );

    let e = agent_error(500, "runtime is down", "web-abc");
    assert_eq!((e.code, e.reason), (500, "InternalError"));
    assert_eq!(e.message, "Internal error occurred: runtime is down");

    let e = agent_error(404, r#"pod "web-abc" does not exist"#, "web-abc");
    assert_eq!((e.code, e.reason), (404, "NotFound"));
    assert_eq!(
        e.message,
        "the server could not find the requested resource ( pods/log web-abc)"
    );
    assert_eq!(
        e.details.as_ref().map(|d| d["kind"].clone()),
        Some(json!("pods/log"))
    );

    let e = agent_error(403, "no access", "web-abc");
    assert_eq!((e.code, e.reason), (403, "Forbidden"));
    assert_eq!(e.message, "no access ( pods/log web-abc)");

    let e = agent_error(502, "bad gateway", "web-abc");
    assert_eq!((e.code, e.reason), (502, "InternalError"));
    assert_eq!(
        e.message,
        r#"an error on the server ("bad gateway") has prevented the request from succeeding ( pods/log web-abc)"#
    );

    let e = agent_error(418, "teapot", "web-abc");
    assert_eq!((e.code, e.reason), (418, ""));
    assert_eq!(
        e.message,
        "the server responded with the status code 418 but did not return more information ( pods/log web-abc)"
    );
}

#[test]
fn error_bodies_are_trimmed_and_bounded() {
    assert_eq!(error_text(b"  not found\n"), "not found");
    let long = "é".repeat(MAX_ERROR_MESSAGE);
    let text = error_text(long.as_bytes());
    assert!(text.len() <= MAX_ERROR_MESSAGE);
    assert!(text.chars().all(|c| c == 'é'));
    assert_eq!(error_text(&[0xff, b'x']), "\u{fffd}x");
}
