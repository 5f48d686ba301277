//! The scheduler's incremental view of the cluster: every node with the pods charged to
//! it, every charged pod (bound, or assumed while its binding is in flight), and per-owner
//! pod counts per zone for spreading. Watch events and scheduling decisions update it one
//! object at a time, so a decision costs O(nodes examined), never a re-list.

use std::collections::HashMap;

use k8s_openapi::api::core::v1::Node;

use crate::nodeinfo::{NodeFacts, NodeInfo, PodUsage};

/// What a Node event changed, for deciding whether to retry unschedulable pods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeUpdate {
    Added,
    /// Something scheduling reads changed (allocatable, labels, taints, readiness, cordon).
    Changed,
    /// Only fields the scheduler ignores changed (heartbeats, images, addresses…).
    Unchanged,
}

/// A pod charged to a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charged {
    pub node: String,
    pub usage: PodUsage,
    /// Charged by our own decision; the API has not yet shown it bound.
    pub assumed: bool,
}

/// Nodes live in slots of a `Vec`, so a decision scans them by position: it examines
/// hundreds of nodes per pod at 5,000 nodes, and a by-name hash lookup per node was a
/// quarter of the scheduler's time.
#[derive(Debug, Default)]
pub struct Cache {
    /// Every node's accounting; a slot is reused once its node is gone and empty.
    slots: Vec<NodeInfo>,
    /// For each slot, its position in `order` while the node exists.
    order_pos: Vec<Option<usize>>,
    free: Vec<usize>,
    by_name: HashMap<String, usize>,
    /// Slots of the nodes that exist, in a stable order for round-robin scanning.
    order: Vec<usize>,
    pods: HashMap<String, Charged>,
    /// owner UID → zone → pods of that owner on nodes in the zone.
    zone_counts: HashMap<String, HashMap<String, u32>>,
}

impl Cache {
    pub fn new() -> Cache {
        Cache::default()
    }

    /// Number of existing nodes (the `N` of "0/N nodes are available").
    pub fn num_nodes(&self) -> usize {
        self.order.len()
    }

    /// The names of the existing nodes, in scan order.
    pub fn node_names(&self) -> impl Iterator<Item = &str> {
        self.order
            .iter()
            .map(|&slot| self.slots[slot].name.as_str())
    }

    /// The existing node at `position` of the scan order (`0..num_nodes()`).
    pub fn node_at(&self, position: usize) -> Option<&NodeInfo> {
        self.order.get(position).map(|&slot| &self.slots[slot])
    }

    pub fn node(&self, name: &str) -> Option<&NodeInfo> {
        self.by_name.get(name).map(|&slot| &self.slots[slot])
    }

    /// The slot of `name`, made (empty, without facts) if it has none.
    fn slot_for(&mut self, name: &str) -> usize {
        if let Some(&slot) = self.by_name.get(name) {
            return slot;
        }
        let info = NodeInfo::new(name);
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot] = info;
                self.order_pos[slot] = None;
                slot
            }
            None => {
                self.slots.push(info);
                self.order_pos.push(None);
                self.slots.len() - 1
            }
        };
        self.by_name.insert(name.to_string(), slot);
        slot
    }

    /// Frees the slot of a node that is gone and has no pods left.
    fn release(&mut self, slot: usize) {
        let info = std::mem::take(&mut self.slots[slot]);
        self.by_name.remove(&info.name);
        self.order_pos[slot] = None;
        self.free.push(slot);
    }

    pub fn charged(&self, key: &str) -> Option<&Charged> {
        self.pods.get(key)
    }

    /// Keys of every charged pod.
    pub fn charged_keys(&self) -> impl Iterator<Item = &String> {
        self.pods.keys()
    }

    /// Pods of `owner` on nodes in `zone`.
    pub fn zone_count(&self, owner: &str, zone: &str) -> u32 {
        self.zone_counts
            .get(owner)
            .and_then(|z| z.get(zone))
            .copied()
            .unwrap_or(0)
    }

    fn shift_zone(&mut self, owner: &str, zone: &str, delta: i64) {
        let zones = self.zone_counts.entry(owner.to_string()).or_default();
        let c = zones.entry(zone.to_string()).or_default();
        *c = u32::try_from(i64::from(*c) + delta).unwrap_or(0);
        if *c == 0 {
            zones.remove(zone);
            if zones.is_empty() {
                self.zone_counts.remove(owner);
            }
        }
    }

    /// Moves a node's per-owner counts out of (`sign` −1) or into (+1) its zone.
    fn shift_node_zone(&mut self, name: &str, sign: i64) {
        let Some(info) = self.node(name) else {
            return;
        };
        let Some(zone) = info.facts.as_ref().and_then(|f| f.zone.clone()) else {
            return;
        };
        let owners: Vec<(String, u32)> = info
            .owner_counts
            .iter()
            .map(|(o, c)| (o.clone(), *c))
            .collect();
        for (owner, count) in owners {
            self.shift_zone(&owner, &zone, sign * i64::from(count));
        }
    }

    /// Adds or updates a node from its object.
    pub fn upsert_node(&mut self, node: &Node) -> NodeUpdate {
        let Some(name) = node.metadata.name.clone() else {
            return NodeUpdate::Unchanged;
        };
        let facts = NodeFacts::from_node(node);
        let existed = self.node(&name).is_some_and(|n| n.facts.is_some());
        if let Some(info) = self.node(&name)
            && info.facts.as_ref() == Some(&facts)
        {
            return NodeUpdate::Unchanged;
        }
        self.shift_node_zone(&name, -1);
        let slot = self.slot_for(&name);
        self.slots[slot].facts = Some(facts);
        self.shift_node_zone(&name, 1);
        if self.order_pos[slot].is_none() {
            self.order_pos[slot] = Some(self.order.len());
            self.order.push(slot);
        }
        if existed {
            NodeUpdate::Changed
        } else {
            NodeUpdate::Added
        }
    }

    /// Removes a node. Pods still charged to it keep a factless entry until they go.
    pub fn remove_node(&mut self, name: &str) -> bool {
        let Some(&slot) = self.by_name.get(name) else {
            return false;
        };
        let Some(pos) = self.order_pos[slot].take() else {
            return false;
        };
        self.order.swap_remove(pos);
        if let Some(&moved) = self.order.get(pos) {
            self.order_pos[moved] = Some(pos);
        }
        self.shift_node_zone(name, -1);
        self.slots[slot].facts = None;
        if self.slots[slot].is_empty() {
            self.release(slot);
        }
        true
    }

    /// Charges a pod to a node, moving it if it was charged elsewhere.
    pub fn charge(&mut self, key: &str, node: &str, usage: PodUsage, assumed: bool) {
        if let Some(existing) = self.pods.get(key)
            && existing.node == node
            && existing.usage == usage
        {
            if let Some(c) = self.pods.get_mut(key) {
                c.assumed = assumed;
            }
            return;
        }
        self.uncharge(key);
        let slot = self.slot_for(node);
        let info = &mut self.slots[slot];
        info.add_pod(&usage);
        let zone = info.facts.as_ref().and_then(|f| f.zone.clone());
        if let (Some(zone), Some(owner)) = (zone, usage.owner_uid.as_deref()) {
            self.shift_zone(owner, &zone, 1);
        }
        self.pods.insert(
            key.to_string(),
            Charged {
                node: node.to_string(),
                usage,
                assumed,
            },
        );
    }

    /// Releases a pod's charge; returns what it was.
    pub fn uncharge(&mut self, key: &str) -> Option<Charged> {
        let charged = self.pods.remove(key)?;
        let mut zone = None;
        if let Some(&slot) = self.by_name.get(&charged.node) {
            let info = &mut self.slots[slot];
            info.remove_pod(&charged.usage);
            zone = info.facts.as_ref().and_then(|f| f.zone.clone());
            if info.facts.is_none() && info.is_empty() {
                self.release(slot);
            }
        }
        if let (Some(zone), Some(owner)) = (zone, charged.usage.owner_uid.as_deref()) {
            self.shift_zone(owner, &zone, -1);
        }
        Some(charged)
    }

    /// Marks an assumed pod as seen bound by the API.
    pub fn confirm(&mut self, key: &str) {
        if let Some(c) = self.pods.get_mut(key) {
            c.assumed = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::podinfo::Resources;
    use serde_json::json;

    fn node(name: &str, zone: Option<&str>, cpu: &str) -> Node {
        let mut labels = json!({});
        if let Some(z) = zone {
            labels["topology.kubernetes.io/zone"] = json!(z);
        }
        serde_json::from_value(json!({
            "metadata": {"name": name, "labels": labels},
            "status": {"allocatable": {"cpu": cpu, "memory": "1Gi", "pods": "10"},
                       "conditions": [{"type": "Ready", "status": "True"}]}}))
        .expect("node")
    }

    fn usage(cpu: i64, owner: &str) -> PodUsage {
        PodUsage {
            uid: format!("uid-{cpu}"),
            requests: Resources {
                milli_cpu: cpu,
                ..Resources::default()
            },
            non_zero: Resources {
                milli_cpu: cpu,
                ..Resources::default()
            },
            owner_uid: Some(owner.to_string()),
            ..PodUsage::default()
        }
    }

    #[test]
    fn node_updates_report_only_relevant_changes() {
        let mut c = Cache::new();
        assert_eq!(c.upsert_node(&node("a", None, "1")), NodeUpdate::Added);
        assert_eq!(c.upsert_node(&node("a", None, "1")), NodeUpdate::Unchanged);
        let mut heartbeat = node("a", None, "1");
        heartbeat.metadata.resource_version = Some("99".into());
        assert_eq!(c.upsert_node(&heartbeat), NodeUpdate::Unchanged);
        assert_eq!(c.upsert_node(&node("a", None, "2")), NodeUpdate::Changed);
        assert_eq!(c.num_nodes(), 1);
    }

    #[test]
    fn assumed_pods_are_charged_until_forgotten() {
        let mut c = Cache::new();
        c.upsert_node(&node("a", Some("z1"), "2"));
        c.charge("ns/p1", "a", usage(500, "rs"), true);
        c.charge("ns/p2", "a", usage(300, "rs"), true);
        let a = c.node("a").expect("a");
        assert_eq!(a.requested.milli_cpu, 800);
        assert_eq!(a.pod_count, 2);
        assert_eq!(c.zone_count("rs", "z1"), 2);
        // The watch confirms p1 on the same node: nothing is charged twice.
        c.charge("ns/p1", "a", usage(500, "rs"), false);
        assert_eq!(c.node("a").expect("a").requested.milli_cpu, 800);
        assert_eq!(c.charged("ns/p1").map(|p| p.assumed), Some(false));
        // Binding p2 failed: its charge is released.
        c.uncharge("ns/p2");
        assert_eq!(c.node("a").expect("a").requested.milli_cpu, 500);
        assert_eq!(c.zone_count("rs", "z1"), 1);
    }

    #[test]
    fn a_pod_seen_on_another_node_moves() {
        let mut c = Cache::new();
        c.upsert_node(&node("a", Some("z1"), "2"));
        c.upsert_node(&node("b", Some("z2"), "2"));
        c.charge("ns/p", "a", usage(500, "rs"), true);
        c.charge("ns/p", "b", usage(500, "rs"), false);
        assert_eq!(c.node("a").expect("a").requested.milli_cpu, 0);
        assert_eq!(c.node("b").expect("b").requested.milli_cpu, 500);
        assert_eq!(c.zone_count("rs", "z1"), 0);
        assert_eq!(c.zone_count("rs", "z2"), 1);
    }

    #[test]
    fn zone_relabel_moves_owner_counts() {
        let mut c = Cache::new();
        c.upsert_node(&node("a", Some("z1"), "2"));
        c.charge("ns/p", "a", usage(100, "rs"), false);
        c.upsert_node(&node("a", Some("z2"), "2"));
        assert_eq!(c.zone_count("rs", "z1"), 0);
        assert_eq!(c.zone_count("rs", "z2"), 1);
    }

    #[test]
    fn the_scan_sees_every_existing_node_once_as_slots_are_reused() {
        let mut c = Cache::new();
        for n in ["a", "b", "c", "d"] {
            c.upsert_node(&node(n, None, "2"));
        }
        c.charge("ns/p", "b", usage(100, "rs"), false);
        assert!(c.remove_node("a"));
        assert!(c.remove_node("b"));
        // "a" had no pods: its slot is free; "b" keeps its accounting, unscanned.
        assert!(c.node("a").is_none());
        assert_eq!(c.node("b").map(|n| n.pod_count), Some(1));
        c.upsert_node(&node("e", None, "2"));
        c.uncharge("ns/p");
        assert!(c.node("b").is_none());
        c.upsert_node(&node("f", None, "2"));
        c.upsert_node(&node("b", None, "2"));
        let scanned: Vec<&str> = (0..c.num_nodes())
            .filter_map(|i| c.node_at(i))
            .map(|n| n.name.as_str())
            .collect();
        let mut sorted = scanned.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, ["b", "c", "d", "e", "f"]);
        assert!(c.node_at(c.num_nodes()).is_none());
        let mut names: Vec<&str> = c.node_names().collect();
        names.sort_unstable();
        assert_eq!(names, sorted);
        // Reused slots carry nothing over.
        assert!(
            scanned
                .iter()
                .all(|n| c.node(n).is_some_and(|i| i.pod_count == 0))
        );
        assert_eq!(c.slots.len(), 5, "two slots were reused");
    }

    #[test]
    fn removed_nodes_keep_accounting_until_their_pods_go() {
        let mut c = Cache::new();
        c.upsert_node(&node("a", Some("z1"), "2"));
        c.upsert_node(&node("b", None, "2"));
        c.upsert_node(&node("c", None, "2"));
        c.charge("ns/p", "a", usage(100, "rs"), false);
        assert!(c.remove_node("a"));
        assert_eq!(c.num_nodes(), 2);
        assert_eq!(c.node_names().count(), 2);
        assert!(c.node("a").is_some_and(|n| n.facts.is_none()));
        assert_eq!(c.zone_count("rs", "z1"), 0);
        c.uncharge("ns/p");
        assert!(c.node("a").is_none());
        // The node comes back: it is scanned again.
        assert_eq!(c.upsert_node(&node("a", None, "2")), NodeUpdate::Added);
        assert_eq!(c.num_nodes(), 3);
    }
}
