//! The REST operations bosun serves, derived from the resource registry in the shape
//! upstream's OpenAPI documents them (paths, operation ids, actions, parameters, bodies,
//! responses). Format-neutral: `v2` and `v3` render this model as JSON.

use bosun_api::resources::{RESOURCES, ResourceInfo};

use super::params::{self, Param};

pub(crate) const STATUS: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.Status";
pub(crate) const DELETE_OPTIONS: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions";
pub(crate) const PATCH: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.Patch";
pub(crate) const WATCH_EVENT: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent";
pub(crate) const SCALE: &str = "io.k8s.api.autoscaling.v1.Scale";
pub(crate) const BINDING: &str = "io.k8s.api.core.v1.Binding";
pub(crate) const EVICTION: &str = "io.k8s.api.policy.v1.Eviction";
pub(crate) const TOKEN_REQUEST: &str = "io.k8s.api.authentication.v1.TokenRequest";

/// The patch media types every PATCH operation accepts. kubectl's client-side apply only
/// computes a strategic merge patch for a kind whose PATCH lists the strategic type.
pub(crate) const PATCH_MEDIA_TYPES: [&str; 4] = [
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
    "application/apply-patch+yaml",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Method {
    Delete,
    Get,
    Patch,
    Post,
    Put,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Delete => "delete",
            Method::Get => "get",
            Method::Patch => "patch",
            Method::Post => "post",
            Method::Put => "put",
        }
    }
}

/// What an operation answers with, which decides the advertised media types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Produces {
    Object,
    /// LIST and WATCH also stream watch events.
    Stream,
    /// `text/plain` (pod logs): the answer is a string, not a defined object.
    Text,
}

/// The request body of an operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Body {
    pub schema: &'static str,
    pub required: bool,
    /// PATCH bodies come in the four patch media types; everything else accepts `*/*`.
    pub patch: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Gvk {
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Operation {
    pub method: Method,
    pub id: String,
    pub description: String,
    /// `x-kubernetes-action`: get, list, post, put, patch, delete, deletecollection,
    /// watch or watchlist.
    pub action: &'static str,
    pub gvk: Gvk,
    pub tag: String,
    pub params: Vec<Param>,
    pub body: Option<Body>,
    /// Status codes answered with `schema` (401 is added to every operation).
    pub codes: &'static [u16],
    /// The answer's definition; empty for [`Produces::Text`], which answers a string.
    pub schema: String,
    pub produces: Produces,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PathItem {
    pub path: String,
    /// Parameters shared by every operation of the path.
    pub params: Vec<Param>,
    pub ops: Vec<Operation>,
}

/// `apps` → `Apps`, `coordination.k8s.io` → `Coordination`, `` → `Core`: the group part of
/// upstream operation ids.
fn group_camel(group: &str) -> String {
    if group.is_empty() {
        return "Core".to_string();
    }
    group
        .trim_end_matches(".k8s.io")
        .split(['.', '-'])
        .map(capitalize)
        .collect()
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `apps_v1`, `core_v1`, `coordination_v1`: the tag upstream puts on every operation.
fn tag(group: &str, version: &str) -> String {
    let camel = group_camel(group);
    let mut chars = camel.chars();
    let lower: String = match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    };
    format!("{lower}_{version}")
}

/// Builds the operations of one resource: collection, item, subresource, all-namespaces
/// and the deprecated watch paths.
struct Builder<'a> {
    r: &'a ResourceInfo,
    /// `AppsV1`, prefix of every operation id after the verb.
    gv: String,
    tag: String,
    prefix: String,
}

impl<'a> Builder<'a> {
    fn new(r: &'a ResourceInfo) -> Self {
        Builder {
            r,
            gv: format!("{}{}", group_camel(r.group), capitalize(r.version)),
            tag: tag(r.group, r.version),
            prefix: r.group_version_path(),
        }
    }

    fn gvk(&self) -> Gvk {
        Gvk {
            group: self.r.group,
            version: self.r.version,
            kind: self.r.kind,
        }
    }

    /// `Namespaced` for namespaced kinds, empty otherwise (upstream's id infix).
    fn scope(&self) -> &'static str {
        if self.r.namespaced { "Namespaced" } else { "" }
    }

    fn collection_path(&self) -> String {
        if self.r.namespaced {
            format!("{}/namespaces/{{namespace}}/{}", self.prefix, self.r.plural)
        } else {
            format!("{}/{}", self.prefix, self.r.plural)
        }
    }

    fn scope_params(&self) -> Vec<Param> {
        if self.r.namespaced {
            vec![params::namespace()]
        } else {
            Vec::new()
        }
    }

    /// Path-level parameters of an item path whose `name` documents `kind`.
    fn item_params(&self, kind: &str) -> Vec<Param> {
        let mut ps = vec![params::name_of(kind)];
        ps.extend(self.scope_params());
        ps.push(params::pretty());
        ps
    }

    #[allow(clippy::too_many_arguments)]
    fn op(
        &self,
        method: Method,
        id: String,
        description: String,
        action: &'static str,
        params: Vec<Param>,
        body: Option<Body>,
        codes: &'static [u16],
        schema: String,
    ) -> Operation {
        Operation {
            method,
            id,
            description,
            action,
            gvk: self.gvk(),
            tag: self.tag.clone(),
            params,
            body,
            codes,
            schema,
            produces: Produces::Object,
        }
    }

    fn object_body(&self) -> Option<Body> {
        Some(Body {
            schema: self.r.definition,
            required: true,
            patch: false,
        })
    }

    fn collection(&self) -> PathItem {
        let (r, gv, scope) = (self.r, &self.gv, self.scope());
        let list = format!("{}List", r.definition);
        let mut ops = vec![
            Operation {
                produces: Produces::Stream,
                ..self.op(
                    Method::Get,
                    format!("list{gv}{scope}{}", r.kind),
                    format!("list or watch objects of kind {}", r.kind),
                    "list",
                    params::list_options(),
                    None,
                    &[200],
                    list,
                )
            },
            self.op(
                Method::Post,
                format!("create{gv}{scope}{}", r.kind),
                format!("create a {}", r.kind),
                "post",
                params::write_options(),
                self.object_body(),
                &[200, 201, 202],
                r.definition.to_string(),
            ),
        ];
        // Upstream serves no DELETECOLLECTION on namespaces.
        if !(r.group.is_empty() && r.plural == "namespaces") {
            ops.push(self.op(
                Method::Delete,
                format!("delete{gv}Collection{scope}{}", r.kind),
                format!("delete collection of {}", r.kind),
                "deletecollection",
                params::delete_collection_options(),
                Some(Body {
                    schema: DELETE_OPTIONS,
                    required: false,
                    patch: false,
                }),
                &[200],
                STATUS.to_string(),
            ));
        }
        let mut path_params = self.scope_params();
        path_params.push(params::pretty());
        PathItem {
            path: self.collection_path(),
            params: path_params,
            ops,
        }
    }

    /// GET/PUT/PATCH of the object itself (`suffix` empty) or of a subresource that
    /// carries a full object (`Status` for `/status`, `Scale` for `/scale`).
    fn read_write(
        &self,
        suffix: &str,
        what: &str,
        schema: &'static str,
        gvk: Gvk,
    ) -> Vec<Operation> {
        let (r, gv, scope) = (self.r, &self.gv, self.scope());
        let id = |verb: &str| format!("{verb}{gv}{scope}{}{suffix}", r.kind);
        vec![
            Operation {
                gvk: gvk.clone(),
                ..self.op(
                    Method::Get,
                    id("read"),
                    format!("read {what}the specified {}", r.kind),
                    "get",
                    Vec::new(),
                    None,
                    &[200],
                    schema.to_string(),
                )
            },
            Operation {
                gvk: gvk.clone(),
                ..self.op(
                    Method::Put,
                    id("replace"),
                    format!("replace {what}the specified {}", r.kind),
                    "put",
                    params::write_options(),
                    Some(Body {
                        schema,
                        required: true,
                        patch: false,
                    }),
                    &[200, 201],
                    schema.to_string(),
                )
            },
            Operation {
                gvk,
                ..self.op(
                    Method::Patch,
                    id("patch"),
                    format!("partially update {what}the specified {}", r.kind),
                    "patch",
                    params::patch_options(),
                    Some(Body {
                        schema: PATCH,
                        required: true,
                        patch: true,
                    }),
                    &[200, 201],
                    schema.to_string(),
                )
            },
        ]
    }

    fn item(&self) -> PathItem {
        let (r, gv, scope) = (self.r, &self.gv, self.scope());
        let path = format!("{}/{{name}}", self.collection_path());
        let mut ops = self.read_write("", "", r.definition, self.gvk());
        ops.push(self.op(
            Method::Delete,
            format!("delete{gv}{scope}{}", r.kind),
            format!("delete a {}", r.kind),
            "delete",
            params::delete_options(),
            Some(Body {
                schema: DELETE_OPTIONS,
                required: false,
                patch: false,
            }),
            &[200, 202],
            STATUS.to_string(),
        ));
        PathItem {
            params: self.item_params(r.kind),
            path,
            ops,
        }
    }

    /// A subresource path, or `None` for a subresource this module does not know (the
    /// unit tests require every registry subresource to be known).
    fn subresource(&self, sub: &str) -> Option<PathItem> {
        let (r, gv, scope) = (self.r, &self.gv, self.scope());
        let path = format!("{}/{{name}}/{sub}", self.collection_path());
        let created = |kind: &'static str, schema: &'static str, group: &'static str| Operation {
            gvk: Gvk {
                group,
                version: "v1",
                kind,
            },
            ..self.op(
                Method::Post,
                format!("create{gv}{scope}{}{kind}", r.kind),
                format!("create {} of a {}", kind.to_lowercase(), r.kind),
                "post",
                params::write_options(),
                Some(Body {
                    schema,
                    required: true,
                    patch: false,
                }),
                &[200, 201, 202],
                schema.to_string(),
            )
        };
        let (name_kind, ops) = match sub {
            "status" => (
                r.kind,
                self.read_write("Status", "status of ", r.definition, self.gvk()),
            ),
            "scale" => (
                "Scale",
                self.read_write(
                    "Scale",
                    "scale of ",
                    SCALE,
                    Gvk {
                        group: "autoscaling",
                        version: "v1",
                        kind: "Scale",
                    },
                ),
            ),
            "binding" => ("Binding", vec![created("Binding", BINDING, "")]),
            "eviction" => ("Eviction", vec![created("Eviction", EVICTION, "policy")]),
            "token" => (
                "TokenRequest",
                vec![created(
                    "TokenRequest",
                    TOKEN_REQUEST,
                    "authentication.k8s.io",
                )],
            ),
            "log" => (
                r.kind,
                vec![Operation {
                    produces: Produces::Text,
                    ..self.op(
                        Method::Get,
                        format!("read{gv}{scope}{}Log", r.kind),
                        format!("read log of the specified {}", r.kind),
                        "get",
                        Vec::new(),
                        None,
                        &[200],
                        String::new(),
                    )
                }],
            ),
            "exec" | "attach" | "portforward" => {
                let (options, word) = match sub {
                    "exec" => ("PodExecOptions", "Exec"),
                    "attach" => ("PodAttachOptions", "Attach"),
                    _ => ("PodPortForwardOptions", "Portforward"),
                };
                (
                    options,
                    [(Method::Get, "Get"), (Method::Post, "Post")]
                        .into_iter()
                        .map(|(method, verb)| Operation {
                            produces: Produces::Text,
                            ..self.op(
                                method,
                                format!("connect{gv}{verb}{scope}{}{word}", r.kind),
                                format!(
                                    "connect {} requests to {} of {}",
                                    verb.to_uppercase(),
                                    sub,
                                    r.kind
                                ),
                                "connect",
                                Vec::new(),
                                None,
                                &[200],
                                String::new(),
                            )
                        })
                        .collect(),
                )
            }
            "approval" => (
                r.kind,
                self.read_write("Approval", "approval of ", r.definition, self.gvk()),
            ),
            "finalize" => (
                r.kind,
                vec![self.op(
                    Method::Put,
                    format!("replace{gv}{scope}{}Finalize", r.kind),
                    format!("replace finalize of the specified {}", r.kind),
                    "put",
                    params::write_options(),
                    self.object_body(),
                    &[200, 201],
                    r.definition.to_string(),
                )],
            ),
            _ => return None,
        };
        let params = if sub == "log" {
            params::pod_log_path_params(self.item_params(name_kind))
        } else {
            self.item_params(name_kind)
        };
        Some(PathItem { params, path, ops })
    }

    /// `GET /apis/<g>/<v>/<plural>` across namespaces, with its options on the path.
    fn all_namespaces(&self) -> PathItem {
        let (r, gv) = (self.r, &self.gv);
        PathItem {
            path: format!("{}/{}", self.prefix, r.plural),
            params: params::watch_path_params(Vec::new()),
            ops: vec![Operation {
                produces: Produces::Stream,
                ..self.op(
                    Method::Get,
                    format!("list{gv}{}ForAllNamespaces", r.kind),
                    format!("list or watch objects of kind {}", r.kind),
                    "list",
                    Vec::new(),
                    None,
                    &[200],
                    format!("{}List", r.definition),
                )
            }],
        }
    }

    /// The deprecated `/watch/` paths; each takes the list options on the path.
    fn watches(&self) -> Vec<PathItem> {
        let (r, gv, scope) = (self.r, &self.gv, self.scope());
        let list_desc = format!(
            "watch individual changes to a list of {}. deprecated: use the 'watch' parameter with a list operation instead.",
            r.kind
        );
        let watch =
            |path: String, id: String, description: String, action, ps: Vec<Param>| PathItem {
                path,
                params: params::watch_path_params(ps),
                ops: vec![Operation {
                    produces: Produces::Stream,
                    ..self.op(
                        Method::Get,
                        id,
                        description,
                        action,
                        Vec::new(),
                        None,
                        &[200],
                        WATCH_EVENT.to_string(),
                    )
                }],
            };
        let scoped = if r.namespaced {
            format!(
                "{}/watch/namespaces/{{namespace}}/{}",
                self.prefix, r.plural
            )
        } else {
            format!("{}/watch/{}", self.prefix, r.plural)
        };
        let mut paths = vec![
            watch(
                scoped.clone(),
                format!("watch{gv}{scope}{}List", r.kind),
                list_desc.clone(),
                "watchlist",
                self.scope_params(),
            ),
            watch(
                format!("{scoped}/{{name}}"),
                format!("watch{gv}{scope}{}", r.kind),
                format!(
                    "watch changes to an object of kind {}. deprecated: use the 'watch' parameter with a list operation instead, filtered to a single item with the 'fieldSelector' parameter.",
                    r.kind
                ),
                "watch",
                {
                    let mut ps = vec![params::name_of(r.kind)];
                    ps.extend(self.scope_params());
                    ps
                },
            ),
        ];
        if r.namespaced {
            paths.push(watch(
                format!("{}/watch/{}", self.prefix, r.plural),
                format!("watch{gv}{}ListForAllNamespaces", r.kind),
                list_desc,
                "watchlist",
                Vec::new(),
            ));
        }
        paths
    }
}

/// Every path of every served resource, in registry order.
pub(crate) fn all_paths() -> Vec<(&'static ResourceInfo, PathItem)> {
    let mut out = Vec::new();
    for r in RESOURCES {
        let b = Builder::new(r);
        if r.create_only {
            // Reviews are questions: only POST on the collection exists.
            let mut collection = b.collection();
            collection.ops.retain(|op| op.action == "post");
            out.push((r, collection));
            continue;
        }
        out.push((r, b.collection()));
        out.push((r, b.item()));
        for sub in r.subresources {
            if let Some(p) = b.subresource(sub) {
                out.push((r, p));
            }
        }
        if r.namespaced {
            out.push((r, b.all_namespaces()));
        }
        for p in b.watches() {
            out.push((r, p));
        }
    }
    out
}

/// Whether this module knows how to document `sub`.
#[cfg(test)]
pub(crate) fn knows_subresource(r: &ResourceInfo, sub: &str) -> bool {
    Builder::new(r).subresource(sub).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_id_parts_match_upstream() {
        let cases = [
            ("", "Core", "core_v1"),
            ("apps", "Apps", "apps_v1"),
            ("coordination.k8s.io", "Coordination", "coordination_v1"),
            ("events.k8s.io", "Events", "events_v1"),
            (
                "rbac.authorization.k8s.io",
                "RbacAuthorization",
                "rbacAuthorization_v1",
            ),
        ];
        for (group, camel, tag_name) in cases {
            assert_eq!(group_camel(group), camel, "{group}");
            assert_eq!(tag(group, "v1"), tag_name, "{group}");
        }
    }
}
