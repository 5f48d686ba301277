//! Every benchmark scenario, at a size that takes seconds, so the benchmark code cannot
//! rot: each must finish, and its JSON must carry figures consistent with what it did
//! (counts, not speeds — speed is for the full-size runs by hand).

use std::path::Path;
use std::process::Command;

fn bench(dir: &Path, args: &[&str]) -> serde_json::Value {
    let output = dir.join(format!("{}.json", args[0]));
    let out = Command::new(env!("CARGO_BIN_EXE_bosun"))
        .arg("bench")
        .args(args)
        .arg("--output")
        .arg(&output)
        .env("BOSUN_LOG", "error")
        .output()
        .expect("bosun runs");
    assert!(
        out.status.success(),
        "bench {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("figures written to"), "{table}");
    let text = std::fs::read_to_string(&output).expect("figures written");
    serde_json::from_str(&text).expect("figures are JSON")
}

fn positive(v: &serde_json::Value) -> bool {
    v.as_f64().is_some_and(|x| x > 0.0)
}

#[test]
fn every_scenario_runs_at_a_small_size() {
    let dir = tempfile::tempdir().expect("dir");
    let api = bench(
        dir.path(),
        &[
            "api",
            "--pods",
            "40",
            "--concurrency",
            "4",
            "--idle-seconds",
            "1",
            "--clients",
            "5",
            "--mixed-pods",
            "50",
        ],
    );
    assert_eq!(api["pods"], 40);
    let mixed = &api["mixed"]["verbs"];
    assert_eq!(mixed["POST"]["count"], 50, "{api}");
    assert_eq!(mixed["PATCH"]["count"], 50, "{api}");
    assert_eq!(mixed["GET"]["count"], 50, "{api}");
    assert_eq!(
        mixed["LIST"]["count"], 5,
        "each client lists after every tenth pod: {api}"
    );
    // Every client write is a store commit; the server commits more of its own.
    let rate = |k: &str| api["mixed"][k].as_f64().unwrap_or(0.0);
    assert!(
        rate("durable_writes_per_second") > 0.0
            && rate("store_commits_per_second") >= rate("durable_writes_per_second"),
        "{api}"
    );
    assert!(positive(&api["creates_per_second"]), "{api}");
    assert!(positive(&api["create_latency_ms"]["p99"]), "{api}");
    assert!(positive(&api["idle_rss_kib"]), "{api}");

    let startup = bench(
        dir.path(),
        &["startup", "--objects", "50", "--idle-seconds", "1"],
    );
    assert!(positive(&startup["empty_ready_ms"]), "{startup}");
    assert!(positive(&startup["populated_ready_ms"]), "{startup}");
    assert!(positive(&startup["populated_idle_rss_kib"]), "{startup}");
    // The breakdown adds up: resident memory is anonymous + file (+ shared memory).
    let kib = |k: &str| startup[k].as_u64().unwrap_or(0);
    assert!(kib("empty_idle_rss_anon_kib") > 0, "{startup}");
    assert!(kib("empty_idle_rss_file_kib") > 0, "{startup}");
    assert!(
        kib("empty_idle_rss_anon_kib") + kib("empty_idle_rss_file_kib")
            <= kib("empty_idle_rss_kib"),
        "{startup}"
    );

    let watch = bench(dir.path(), &["watch", "--watchers", "20", "--pods", "10"]);
    assert_eq!(watch["expected"], 200);
    assert_eq!(
        watch["delivered"], 200,
        "every watcher saw every pod: {watch}"
    );
    assert!(positive(&watch["latency_ms"]["p99"]), "{watch}");
    assert!(positive(&watch["create_ms"]["p50"]), "{watch}");
    assert!(positive(&watch["opening_seconds"]), "{watch}");

    let rollout = bench(dir.path(), &["rollout", "--nodes", "3", "--replicas", "6"]);
    assert_eq!(rollout["replicas"], 6, "{rollout}");

    let scheduler = bench(dir.path(), &["scheduler", "--nodes", "4", "--pods", "20"]);
    assert_eq!(scheduler["pods"], 20, "{scheduler}");
    // Read from the scheduler's own counter: 20 pods bound, so some second saw binds.
    assert!(
        scheduler["peak_pods_per_s"]
            .as_f64()
            .is_some_and(|r| r > 0.0),
        "{scheduler}"
    );

    let density = bench(
        dir.path(),
        &[
            "density",
            "--nodes",
            "5",
            "--deployments",
            "4",
            "--replicas",
            "5",
            "--timeout-seconds",
            "120",
        ],
    );
    assert_eq!(density["pods"], 20, "{density}");
    assert_eq!(
        density["scheduled"], 20.0,
        "every pod scheduled once: {density}"
    );
    assert!(density["all_available_s"].as_f64().is_some(), "{density}");
    assert!(
        density["api_latency_ms"]["POST"]["count"]
            .as_f64()
            .is_some_and(|c| c >= 4.0),
        "{density}"
    );
}
