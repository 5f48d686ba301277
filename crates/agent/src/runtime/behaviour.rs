//! What a simulated container does: when it exits and with which code, which probes fail,
//! how long it takes to stop.
//!
//! Sources, strongest first: the container's literal environment (`BOSUN_HOLLOW_*`), the
//! agent's crash rules (by image), and a reading of simple shell commands — `sleep N`,
//! `exit N`, `true`, `false`, `echo …` — so `kubectl run --restart=Never … -- sh -c "sleep 2;
//! exit 3"` behaves as it would for real. Anything else (no command, a server binary, a
//! loop) runs until stopped.

use std::time::Duration;

use k8s_openapi::api::core::v1::Container;

use crate::clock::parse_duration;
use crate::options::HollowOptions;
use crate::probe::ProbeKind;

/// Exit code the container exits with (with `BOSUN_HOLLOW_EXIT_AFTER`, default 0 s).
pub const ENV_EXIT_CODE: &str = "BOSUN_HOLLOW_EXIT_CODE";
/// Time after each start at which the container exits (alone: exit code 0).
pub const ENV_EXIT_AFTER: &str = "BOSUN_HOLLOW_EXIT_AFTER";
/// Comma-separated probe kinds that always fail: `readiness`, `liveness`, `startup`.
pub const ENV_PROBE_FAIL: &str = "BOSUN_HOLLOW_PROBE_FAIL";
/// Time the container takes to exit when asked to stop (beyond the grace period it is
/// killed with 137).
pub const ENV_STOP_AFTER: &str = "BOSUN_HOLLOW_STOP_AFTER";

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Behaviour {
    /// Exit `(after start, code)`; `None` runs until stopped.
    pub exit: Option<(Duration, i32)>,
    pub failing_probes: Vec<ProbeKind>,
    pub stop_after: Option<Duration>,
}

impl Behaviour {
    pub fn of(container: &Container, options: &HollowOptions) -> Self {
        let env = |name: &str| {
            container
                .env
                .iter()
                .flatten()
                .find(|e| e.name == name)
                .and_then(|e| e.value.as_deref())
        };
        let mut exit = None;
        let code = env(ENV_EXIT_CODE).and_then(|v| v.trim().parse::<i32>().ok());
        let after = env(ENV_EXIT_AFTER).and_then(parse_duration);
        if code.is_some() || after.is_some() {
            exit = Some((after.unwrap_or(Duration::ZERO), code.unwrap_or(0)));
        }
        let image = container.image.as_deref().unwrap_or_default();
        if exit.is_none() {
            exit = options
                .crash
                .iter()
                .find(|rule| rule.image.is_match(image))
                .map(|rule| (rule.after, rule.exit_code));
        }
        if exit.is_none() {
            exit = script_exit(container);
        }
        let failing_probes = env(ENV_PROBE_FAIL)
            .map(|list| {
                list.split(',')
                    .filter_map(|k| match k.trim() {
                        "readiness" => Some(ProbeKind::Readiness),
                        "liveness" => Some(ProbeKind::Liveness),
                        "startup" => Some(ProbeKind::Startup),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        Self {
            exit,
            failing_probes,
            stop_after: env(ENV_STOP_AFTER).and_then(parse_duration),
        }
    }
}

/// The command line as a script: the argument of `sh -c` / `bash -c`, or the words joined.
fn script_of(container: &Container) -> Option<String> {
    let words: Vec<&str> = container
        .command
        .iter()
        .flatten()
        .chain(container.args.iter().flatten())
        .map(String::as_str)
        .collect();
    let first = *words.first()?;
    let shell = matches!(
        first.rsplit('/').next(),
        Some("sh" | "bash" | "ash" | "dash")
    );
    if shell && words.get(1) == Some(&"-c") {
        return words.get(2).map(|s| s.to_string());
    }
    Some(words.join(" "))
}

/// How a recognised script ends: `sleep`s add up, `exit N`/`false` end it, and a script of
/// only quick commands ends with 0. An unrecognised statement means "runs until stopped".
fn script_exit(container: &Container) -> Option<(Duration, i32)> {
    let script = script_of(container)?;
    let mut elapsed = Duration::ZERO;
    for statement in script.split(['\n', ';']).flat_map(|s| s.split("&&")) {
        let words: Vec<&str> = statement.split_whitespace().collect();
        let Some(first) = words.first() else { continue };
        match first.rsplit('/').next().unwrap_or(first) {
            "sleep" => {
                let secs = words.get(1).and_then(|w| parse_duration(w))?;
                elapsed += secs;
            }
            "exit" => {
                let code = match words.get(1) {
                    Some(w) => w.parse::<i32>().ok()?,
                    None => 0,
                };
                return Some((elapsed, code));
            }
            "false" => return Some((elapsed, 1)),
            "true" | ":" | "echo" | "printf" | "date" | "env" | "hostname" | "cat" | "ls"
            | "touch" => {}
            _ => return None,
        }
    }
    Some((elapsed, 0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::CrashRule;
    use crate::pattern::ImagePattern;
    use k8s_openapi::api::core::v1::EnvVar;

    fn container(image: &str, command: &[&str], args: &[&str], env: &[(&str, &str)]) -> Container {
        let strings =
            |v: &[&str]| (!v.is_empty()).then(|| v.iter().map(|s| s.to_string()).collect());
        Container {
            name: "app".to_string(),
            image: Some(image.to_string()),
            command: strings(command),
            args: strings(args),
            env: (!env.is_empty()).then(|| {
                env.iter()
                    .map(|(n, v)| EnvVar {
                        name: n.to_string(),
                        value: Some(v.to_string()),
                        ..EnvVar::default()
                    })
                    .collect()
            }),
            ..Container::default()
        }
    }

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn commands_are_read_as_scripts() {
        let opts = HollowOptions::default();
        let cases: Vec<(Container, Option<(Duration, i32)>)> = vec![
            (container("nginx", &[], &[], &[]), None),
            (
                container("nginx", &["nginx", "-g", "daemon off;"], &[], &[]),
                None,
            ),
            (
                container("busybox", &["sleep", "3600"], &[], &[]),
                Some((secs(3600), 0)),
            ),
            (
                container("busybox", &[], &["sleep", "5"], &[]),
                Some((secs(5), 0)),
            ),
            (container("busybox", &["sleep", "infinity"], &[], &[]), None),
            (
                container("busybox", &["sh", "-c", "exit 1"], &[], &[]),
                Some((secs(0), 1)),
            ),
            (
                container("busybox", &["/bin/sh", "-c", "sleep 2; exit 3"], &[], &[]),
                Some((secs(2), 3)),
            ),
            (
                container(
                    "busybox",
                    &["sh", "-c"],
                    &["echo hi && sleep 1 && false"],
                    &[],
                ),
                Some((secs(1), 1)),
            ),
            (
                container("busybox", &["sh", "-c", "echo done"], &[], &[]),
                Some((secs(0), 0)),
            ),
            (
                container(
                    "busybox",
                    &["sh", "-c", "while true; do sleep 1; done"],
                    &[],
                    &[],
                ),
                None,
            ),
            (
                container("busybox", &["true"], &[], &[]),
                Some((secs(0), 0)),
            ),
            (
                container("busybox", &["sh", "-c", "exit nope"], &[], &[]),
                None,
            ),
        ];
        for (c, want) in cases {
            assert_eq!(
                Behaviour::of(&c, &opts).exit,
                want,
                "{:?} {:?}",
                c.command,
                c.args
            );
        }
    }

    #[test]
    fn environment_beats_rules_beat_commands() {
        let opts = HollowOptions {
            crash: vec![CrashRule {
                image: ImagePattern::new("crash").unwrap_or_else(|e| panic!("{e}")),
                exit_code: 2,
                after: secs(3),
            }],
            ..HollowOptions::default()
        };
        let env_code = container(
            "crasher",
            &["sleep", "9"],
            &[],
            &[(ENV_EXIT_CODE, "7"), (ENV_EXIT_AFTER, "4s")],
        );
        assert_eq!(Behaviour::of(&env_code, &opts).exit, Some((secs(4), 7)));
        let env_after_only = container("nginx", &[], &[], &[(ENV_EXIT_AFTER, "1")]);
        assert_eq!(
            Behaviour::of(&env_after_only, &opts).exit,
            Some((secs(1), 0))
        );
        let env_code_only = container("nginx", &[], &[], &[(ENV_EXIT_CODE, "1")]);
        assert_eq!(
            Behaviour::of(&env_code_only, &opts).exit,
            Some((secs(0), 1))
        );
        let rule = container("example/crash:1", &["sleep", "9"], &[], &[]);
        assert_eq!(Behaviour::of(&rule, &opts).exit, Some((secs(3), 2)));
        let script = container("busybox", &["sleep", "9"], &[], &[]);
        assert_eq!(Behaviour::of(&script, &opts).exit, Some((secs(9), 0)));
    }

    #[test]
    fn probe_failures_and_stop_time_come_from_env() {
        let c = container(
            "nginx",
            &[],
            &[],
            &[
                (ENV_PROBE_FAIL, "readiness, liveness,bogus"),
                (ENV_STOP_AFTER, "45s"),
            ],
        );
        let b = Behaviour::of(&c, &HollowOptions::default());
        assert_eq!(
            b.failing_probes,
            vec![ProbeKind::Readiness, ProbeKind::Liveness]
        );
        assert_eq!(b.stop_after, Some(secs(45)));
        assert_eq!(b.exit, None);
    }
}
