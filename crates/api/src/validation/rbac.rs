//! RBAC objects: upstream's rules for policy rules (verbs required; resource rules name
//! groups and resources; non-resource URLs only in cluster-wide rules and never mixed
//! with resources) and for bindings (what `roleRef` and subjects may name; `roleRef` is
//! immutable).

use serde_json::Value;

use super::FieldError;

const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

fn strings(v: &Value) -> usize {
    v.as_array().map_or(0, Vec::len)
}

/// Roles (`namespaced`) and ClusterRoles.
pub(crate) fn validate_role(obj: &Value, namespaced: bool) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let empty = Vec::new();
    for (i, rule) in obj["rules"].as_array().unwrap_or(&empty).iter().enumerate() {
        let path = format!("rules[{i}]");
        if strings(&rule["verbs"]) == 0 {
            errs.push(FieldError::required(
                &format!("{path}.verbs"),
                "verbs must contain at least one value",
            ));
        }
        if strings(&rule["nonResourceURLs"]) > 0 {
            if namespaced {
                errs.push(FieldError::invalid(
                    &format!("{path}.nonResourceURLs"),
                    rule["nonResourceURLs"].clone(),
                    "namespaced rules cannot apply to non-resource URLs",
                ));
            }
            if strings(&rule["apiGroups"]) > 0
                || strings(&rule["resources"]) > 0
                || strings(&rule["resourceNames"]) > 0
            {
                errs.push(FieldError::invalid(
                    &format!("{path}.nonResourceURLs"),
                    rule["nonResourceURLs"].clone(),
                    "rules cannot apply to both regular resources and non-resource URLs",
                ));
            }
            continue;
        }
        if strings(&rule["apiGroups"]) == 0 {
            errs.push(FieldError::required(
                &format!("{path}.apiGroups"),
                "resource rules must supply at least one api group",
            ));
        }
        if strings(&rule["resources"]) == 0 {
            errs.push(FieldError::required(
                &format!("{path}.resources"),
                "resource rules must supply at least one resource",
            ));
        }
    }
    errs
}

/// RoleBindings (`namespaced`) and ClusterRoleBindings.
pub(crate) fn validate_binding(obj: &Value, namespaced: bool) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let role_ref = &obj["roleRef"];
    let group = role_ref["apiGroup"].as_str().unwrap_or_default();
    if group != RBAC_GROUP {
        errs.push(FieldError::not_supported(
            "roleRef.apiGroup",
            group,
            &[RBAC_GROUP],
        ));
    }
    let kind = role_ref["kind"].as_str().unwrap_or_default();
    let kinds: &[&str] = if namespaced {
        &["Role", "ClusterRole"]
    } else {
        &["ClusterRole"]
    };
    if !kinds.contains(&kind) {
        errs.push(FieldError::not_supported("roleRef.kind", kind, kinds));
    }
    if role_ref["name"].as_str().unwrap_or_default().is_empty() {
        errs.push(FieldError::required("roleRef.name", ""));
    }
    let empty = Vec::new();
    for (i, subject) in obj["subjects"]
        .as_array()
        .unwrap_or(&empty)
        .iter()
        .enumerate()
    {
        let path = format!("subjects[{i}]");
        let name = subject["name"].as_str().unwrap_or_default();
        if name.is_empty() {
            errs.push(FieldError::required(&format!("{path}.name"), ""));
        }
        let api_group = subject["apiGroup"].as_str().unwrap_or_default();
        match subject["kind"].as_str().unwrap_or_default() {
            "ServiceAccount" => {
                if !api_group.is_empty() {
                    errs.push(FieldError::not_supported(
                        &format!("{path}.apiGroup"),
                        api_group,
                        &[""],
                    ));
                }
                if !namespaced && subject["namespace"].as_str().unwrap_or_default().is_empty() {
                    errs.push(FieldError::required(&format!("{path}.namespace"), ""));
                }
            }
            "User" | "Group" => {
                if api_group != RBAC_GROUP {
                    errs.push(FieldError::not_supported(
                        &format!("{path}.apiGroup"),
                        api_group,
                        &[RBAC_GROUP],
                    ));
                }
            }
            other => errs.push(FieldError::not_supported(
                &format!("{path}.kind"),
                other,
                &["ServiceAccount", "User", "Group"],
            )),
        }
    }
    errs
}

/// A binding's `roleRef` never changes (delete and re-create to point elsewhere).
pub(crate) fn validate_binding_update(obj: &Value, old: &Value) -> Vec<FieldError> {
    if obj["roleRef"] != old["roleRef"] {
        let part =
            |k: &str| super::render::go_quote(obj["roleRef"][k].as_str().unwrap_or_default());
        // Upstream prints the Go struct.
        let repr = format!(
            "rbac.RoleRef{{APIGroup:{}, Kind:{}, Name:{}}}",
            part("apiGroup"),
            part("kind"),
            part("name")
        );
        vec![
            FieldError::invalid("roleRef", obj["roleRef"].clone(), "cannot change roleRef")
                .with_repr(repr),
        ]
    } else {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn messages(errs: &[FieldError]) -> Vec<String> {
        errs.iter().map(|e| e.to_string()).collect()
    }

    #[test]
    fn policy_rules_follow_upstream() {
        let role = json!({"rules": [
            {"verbs": [], "apiGroups": [""], "resources": ["pods"]},
            {"verbs": ["get"], "nonResourceURLs": ["/healthz"], "resources": ["pods"]},
            {"verbs": ["get"]},
            {"verbs": ["get"], "apiGroups": ["apps"], "resources": ["deployments"]},
        ]});
        let errs = messages(&validate_role(&role, true));
        assert_eq!(errs.len(), 5, "{errs:?}");
        assert!(
            errs[0]
                .contains("rules[0].verbs: Required value: verbs must contain at least one value"),
            "{errs:?}"
        );
        assert!(
            errs.iter()
                .any(|e| e.contains("namespaced rules cannot apply to non-resource URLs"))
        );
        assert!(errs.iter().any(|e| {
            e.contains("rules cannot apply to both regular resources and non-resource URLs")
        }));
        assert!(
            errs.iter()
                .any(|e| e.contains("rules[2].apiGroups: Required value"))
        );
        assert_eq!(
            validate_role(
                &json!({"rules": [{"verbs": ["get"], "nonResourceURLs": ["/x"]}]}),
                false
            )
            .len(),
            0
        );
    }

    #[test]
    fn bindings_name_a_role_and_known_subjects() {
        let good = json!({"roleRef": {"apiGroup": RBAC_GROUP, "kind": "ClusterRole", "name": "view"},
            "subjects": [{"kind": "User", "apiGroup": RBAC_GROUP, "name": "jane"},
                         {"kind": "ServiceAccount", "name": "robot", "namespace": "default"}]});
        assert!(validate_binding(&good, false).is_empty());
        let bad = json!({"roleRef": {"apiGroup": "x", "kind": "Role", "name": ""},
            "subjects": [{"kind": "Robot", "name": "r"}, {"kind": "ServiceAccount", "name": "s"}]});
        let errs = messages(&validate_binding(&bad, false));
        assert!(
            errs.iter().any(|e| e.contains(
                r#"roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole""#
            )),
            "{errs:?}"
        );
        assert!(
            errs.iter()
                .any(|e| e.contains("roleRef.name: Required value"))
        );
        assert!(
            errs.iter()
                .any(|e| e.contains("subjects[0].kind: Unsupported value"))
        );
        assert!(
            errs.iter()
                .any(|e| e.contains("subjects[1].namespace: Required value"))
        );
        let changed =
            json!({"roleRef": {"apiGroup": RBAC_GROUP, "kind": "ClusterRole", "name": "edit"}});
        assert_eq!(
            messages(&validate_binding_update(&changed, &good))[0],
            r#"roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"ClusterRole", Name:"edit"}: cannot change roleRef"#
        );
    }
}
