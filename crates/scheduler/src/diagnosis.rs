//! Why a pod fits nowhere, and the message upstream writes for it:
//! `0/N nodes are available: <count reason>, …. preemption: 0/N nodes are available: …`.
//! Reasons are counted per node and listed as `"<count> <reason>"` strings sorted as
//! strings (so `10 …` sorts before `2 …`, exactly as upstream's `sort.Strings`).

use std::collections::HashMap;

use crate::filter::{Code, Rejection};

/// What the (never-preempting) preemption step reports for a node whose refusal pods
/// could be removed to resolve: we hold every pod to equal priority.
pub const NO_VICTIMS: &str = "No preemption victims found for incoming pod";
/// What preemption reports for a node refused for reasons no eviction can change.
pub const NOT_HELPFUL: &str = "Preemption is not helpful for scheduling";
/// Preemption's answer for a pod with `preemptionPolicy: Never`.
pub const NOT_ELIGIBLE_NEVER: &str = "not eligible due to preemptionPolicy=Never.";
/// The message (reason `SchedulerError`) when the cluster has no nodes at all.
pub const NO_NODES: &str = "no nodes available to schedule pods";

/// The diagnosis of one failed scheduling attempt.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FitError {
    pub num_all_nodes: usize,
    /// A pre-filter refused the pod outright (every node counts as unresolvable).
    pub pre_filter_msg: Option<String>,
    /// Reason → number of nodes refused for it.
    pub reasons: HashMap<String, usize>,
    /// Nodes refused with [`Code::Unschedulable`] (where eviction could make room).
    pub resolvable_nodes: usize,
    pub preemption_never: bool,
}

impl FitError {
    pub fn new(num_all_nodes: usize, preemption_never: bool) -> FitError {
        FitError {
            num_all_nodes,
            preemption_never,
            ..FitError::default()
        }
    }

    /// Records one node's refusal.
    pub fn add(&mut self, r: &Rejection) {
        self.add_n(r, 1);
    }

    /// Records the same refusal for `n` nodes.
    pub fn add_n(&mut self, r: &Rejection, n: usize) {
        if n == 0 {
            return;
        }
        for reason in &r.reasons {
            *self.reasons.entry(reason.clone()).or_default() += n;
        }
        if r.code == Code::Unschedulable {
            self.resolvable_nodes += n;
        }
    }

    /// The filter part: `0/N nodes are available: 2 Insufficient cpu, 1 ….`
    pub fn filter_message(&self) -> String {
        let mut msg = format!("0/{} nodes are available:", self.num_all_nodes);
        if let Some(pre) = &self.pre_filter_msg {
            msg.push_str(&format!(" {pre}."));
        } else {
            let hist = histogram(self.reasons.iter().map(|(k, v)| (k.as_str(), *v)));
            if !hist.is_empty() {
                msg.push_str(&format!(" {hist}."));
            }
        }
        msg
    }

    /// What preemption would add, given that bosun never evicts to make room.
    pub fn preemption_message(&self) -> String {
        if self.preemption_never {
            return format!("preemption: {NOT_ELIGIBLE_NEVER}");
        }
        let resolvable = if self.pre_filter_msg.is_some() {
            0
        } else {
            self.resolvable_nodes
        };
        let unresolvable = self.num_all_nodes.saturating_sub(resolvable);
        let hist = histogram([(NO_VICTIMS, resolvable), (NOT_HELPFUL, unresolvable)]);
        let mut msg = format!("preemption: 0/{} nodes are available:", self.num_all_nodes);
        if !hist.is_empty() {
            msg.push_str(&format!(" {hist}."));
        }
        msg
    }

    /// The whole message, as the `PodScheduled` condition and `FailedScheduling` event
    /// carry it.
    pub fn message(&self) -> String {
        format!("{} {}", self.filter_message(), self.preemption_message())
    }
}

/// `"<count> <reason>"` for non-zero counts, sorted as strings, joined by `", "`.
fn histogram<'a>(counts: impl IntoIterator<Item = (&'a str, usize)>) -> String {
    let mut parts: Vec<String> = counts
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(reason, n)| format!("{n} {reason}"))
        .collect();
    parts.sort();
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::{REASON_AFFINITY, REASON_AFFINITY_CONFLICT, REASON_NOT_IN_NODE_NAMES};

    fn rej(code: Code, reasons: &[&str]) -> Rejection {
        Rejection {
            code,
            reasons: reasons.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn filter_message_counts_and_sorts_reasons() {
        let mut f = FitError::new(5, false);
        f.add_n(&rej(Code::Unschedulable, &["Insufficient cpu"]), 2);
        f.add_n(
            &rej(
                Code::UnschedulableAndUnresolvable,
                &["node(s) had untolerated taint {node.kubernetes.io/unreachable: }"],
            ),
            3,
        );
        assert_eq!(
            f.filter_message(),
            "0/5 nodes are available: 2 Insufficient cpu, 3 node(s) had untolerated taint {node.kubernetes.io/unreachable: }."
        );
        assert_eq!(
            f.message(),
            "0/5 nodes are available: 2 Insufficient cpu, 3 node(s) had untolerated taint {node.kubernetes.io/unreachable: }. \
             preemption: 0/5 nodes are available: 2 No preemption victims found for incoming pod, 3 Preemption is not helpful for scheduling."
        );
    }

    #[test]
    fn messages_match_upstreams_for_common_cases() {
        let cases: Vec<(FitError, &str)> = vec![
            (
                {
                    let mut f = FitError::new(3, false);
                    f.add_n(&rej(Code::Unschedulable, &["Insufficient cpu"]), 3);
                    f
                },
                "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.",
            ),
            (
                // One node short of both cpu and memory counts under each reason.
                {
                    let mut f = FitError::new(2, false);
                    f.add(&rej(
                        Code::Unschedulable,
                        &["Insufficient cpu", "Insufficient memory"],
                    ));
                    f.add(&rej(
                        Code::UnschedulableAndUnresolvable,
                        &["node(s) were unschedulable"],
                    ));
                    f
                },
                "0/2 nodes are available: 1 Insufficient cpu, 1 Insufficient memory, 1 node(s) were unschedulable. \
                 preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.",
            ),
            (
                {
                    let mut f = FitError::new(3, false);
                    f.add_n(
                        &rej(Code::UnschedulableAndUnresolvable, &[REASON_AFFINITY]),
                        3,
                    );
                    f
                },
                "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. \
                 preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
            ),
            (
                // Counts sort as strings: "10 …" before "2 …".
                {
                    let mut f = FitError::new(12, false);
                    f.add_n(&rej(Code::Unschedulable, &["Too many pods"]), 10);
                    f.add_n(&rej(Code::Unschedulable, &["Insufficient cpu"]), 2);
                    f
                },
                "0/12 nodes are available: 10 Too many pods, 2 Insufficient cpu. \
                 preemption: 0/12 nodes are available: 12 No preemption victims found for incoming pod.",
            ),
            (
                {
                    let mut f = FitError::new(3, false);
                    f.add(&rej(Code::Unschedulable, &["Insufficient memory"]));
                    f.add_n(
                        &rej(
                            Code::UnschedulableAndUnresolvable,
                            &[REASON_NOT_IN_NODE_NAMES],
                        ),
                        2,
                    );
                    f
                },
                "0/3 nodes are available: 1 Insufficient memory, 2 node(s) didn't satisfy plugin(s) [NodeAffinity]. \
                 preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.",
            ),
            (
                {
                    let mut f = FitError::new(4, false);
                    f.pre_filter_msg = Some(REASON_AFFINITY_CONFLICT.to_string());
                    f
                },
                "0/4 nodes are available: pod affinity terms conflict. \
                 preemption: 0/4 nodes are available: 4 Preemption is not helpful for scheduling.",
            ),
            (
                {
                    let mut f = FitError::new(1, true);
                    f.add(&rej(Code::Unschedulable, &["Insufficient cpu"]));
                    f
                },
                "0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.",
            ),
        ];
        for (f, want) in cases {
            assert_eq!(f.message(), want);
        }
    }
}
