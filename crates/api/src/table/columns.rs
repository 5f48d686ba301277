//! Column definitions per resource, as upstream's printers register them (names, types,
//! priorities) with the API documentation strings upstream uses as descriptions.

use super::Column;
use crate::resources::ResourceInfo;

const NAME: &str = "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";
const CREATED: &str = "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";
const CONTAINERS: &str = "Names of each container in the template.";
const IMAGES: &str = "Images referenced by each container in the template.";

const POD_IP: &str = "podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.";
const POD_NODE: &str = "NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for scheduling by the scheduler defined in schedulerName. Once this field is set, the kubelet for this node becomes responsible for the lifecycle of this pod. This field should not be used to express a desire for the pod to be scheduled on a specific node. https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#nodename";
const POD_NOMINATED: &str = "nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods. This field does not guarantee that the pod will be scheduled on this node. Scheduler may decide to place the pod elsewhere if other nodes become available sooner. Scheduler may also decide to give the resources on this node to a higher priority pod that is created after preemption. As a result, this field may be different than PodSpec.nodeName when the pod is scheduled.";
const POD_GATES: &str = "If specified, all readiness gates will be evaluated for pod readiness. A pod is ready when all its containers are ready AND all conditions specified in the readiness gates have status equal to \"True\" More info: https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates";

const RC_DESIRED: &str = "Replicas is the number of desired replicas. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller#what-is-a-replicationcontroller";
const RC_CURRENT: &str = "Replicas is the most recently observed number of replicas. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller#what-is-a-replicationcontroller";
const RC_READY: &str = "The number of ready replicas for this replication controller.";
const RC_SELECTOR: &str = "Selector is a label query over pods that should match the Replicas count. If Selector is empty, it is defaulted to the labels present on the Pod template. Label keys and values that must match in order to be controlled by this replication controller, if empty defaulted to labels on Pod template. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors";

// Upstream describes ReplicaSet and Deployment columns with the extensions/v1beta1 docs.
const RS_DESIRED: &str = "Replicas is the number of desired replicas. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller/#what-is-a-replicationcontroller";
const RS_CURRENT: &str = "Replicas is the most recently oberved number of replicas. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller/#what-is-a-replicationcontroller";
const RS_READY: &str = "The number of ready replicas for this replica set.";
const RS_SELECTOR: &str = "Selector is a label query over pods that should match the replica count. If the selector is empty, it is defaulted to the labels present on the pod template. Label keys and values that must match in order to be controlled by this replica set. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors";
const DEPLOY_UPDATED: &str = "Total number of non-terminated pods targeted by this deployment that have the desired template spec.";
const DEPLOY_AVAILABLE: &str = "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.";
const DEPLOY_SELECTOR: &str = "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.";

const SVC_TYPE: &str = "type determines how the Service is exposed. Defaults to ClusterIP. Valid options are ExternalName, ClusterIP, NodePort, and LoadBalancer. \"ClusterIP\" allocates a cluster-internal IP address for load-balancing to endpoints. Endpoints are determined by the selector or if that is not specified, by manual construction of an Endpoints object or EndpointSlice objects. If clusterIP is \"None\", no virtual IP is allocated and the endpoints are published as a set of endpoints rather than a virtual IP. \"NodePort\" builds on ClusterIP and allocates a port on every node which routes to the same endpoints as the clusterIP. \"LoadBalancer\" builds on NodePort and creates an external load-balancer (if supported in the current cloud) which routes to the same endpoints as the clusterIP. \"ExternalName\" aliases this service to the specified externalName. Several other fields do not apply to ExternalName services. More info: https://kubernetes.io/docs/concepts/services-networking/service/#publishing-services-service-types";
const SVC_CLUSTER_IP: &str = "clusterIP is the IP address of the service and is usually assigned randomly. If an address is specified manually, is in-range (as per system configuration), and is not in use, it will be allocated to the service; otherwise creation of the service will fail. This field may not be changed through updates unless the type field is also being changed to ExternalName (which requires this field to be blank) or the type field is being changed from ExternalName (in which case this field may optionally be specified, as describe above).  Valid values are \"None\", empty string (\"\"), or a valid IP address. Setting this to \"None\" makes a \"headless service\" (no virtual IP), which is useful when direct endpoint connections are preferred and proxying is not required.  Only applies to types ClusterIP, NodePort, and LoadBalancer. If this field is specified when creating a Service of type ExternalName, creation will fail. This field will be wiped when updating a Service to type ExternalName. More info: https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies";
const SVC_EXTERNAL_IPS: &str = "externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.  These IPs are not managed by Kubernetes.  The user is responsible for ensuring that traffic arrives at a node with this IP.  A common example is external load-balancers that are not part of the Kubernetes system.";
const SVC_PORTS: &str = "The list of ports that are exposed by this service. More info: https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies";
const SVC_SELECTOR: &str = "Route service traffic to pods with label keys and values matching this selector. If empty or not present, the service is assumed to have an external process managing its endpoints, which Kubernetes will not modify. Only applies to types ClusterIP, NodePort, and LoadBalancer. Ignored if type is ExternalName. More info: https://kubernetes.io/docs/concepts/services-networking/service/";

const NODE_VERSION: &str = "Kubelet Version reported by the node.";
const NODE_ADDRESSES: &str = "List of addresses reachable to the node. Queried from cloud provider, if available. More info: https://kubernetes.io/docs/reference/node/node-status/#addresses Note: This field is declared as mergeable, but the merge key is not sufficiently unique, which can cause data corruption when it is merged. Callers should instead use a full-replacement patch. See https://pr.k8s.io/79391 for an example. Consumers should assume that addresses can change during the lifetime of a Node. However, there are some exceptions where this may not be possible, such as Pods that inherit a Node's address in its own status or consumers of the downward API (status.hostIP).";
const NODE_OS_IMAGE: &str =
    "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).";
const NODE_KERNEL: &str =
    "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).";
const NODE_RUNTIME: &str = "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).";

const EVENT_LAST: &str = "The time at which the most recent occurrence of this event was recorded.";
const EVENT_TYPE: &str =
    "Type of this event (Normal, Warning), new types could be added in the future";
const EVENT_REASON: &str = "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.";
const EVENT_OBJECT: &str = "The object that this event is about.";
const EVENT_SUBOBJECT: &str = "If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2]. For example, if the object reference is to a container within a pod, this would take on a value like: \"spec.containers{name}\" (where \"name\" refers to the name of the container that triggered the event) or if no container name is specified \"spec.containers[2]\" (container with index 2 in this pod). This syntax is chosen only to have some well-defined way of referencing a part of an object.";
const EVENT_SOURCE: &str =
    "The component reporting this event. Should be a short machine understandable string.";
const EVENT_MESSAGE: &str = "A human-readable description of the status of this operation.";
const EVENT_FIRST: &str =
    "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)";
const EVENT_COUNT: &str = "The number of times this event has occurred.";

const SECRET_TYPE: &str = "Used to facilitate programmatic handling of secret data. More info: https://kubernetes.io/docs/concepts/configuration/secret/#secret-types";
const SECRET_DATA: &str = "Data contains the secret data. Each key must consist of alphanumeric characters, '-', '_' or '.'. The serialized form of the secret data is a base64 encoded string, representing the arbitrary (possibly non-string) data value here. Described in https://tools.ietf.org/html/rfc4648#section-4";
const SA_SECRETS: &str = "Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use. Pods are only limited to this list if this service account has a \"kubernetes.io/enforce-mountable-secrets\" annotation set to \"true\". The \"kubernetes.io/enforce-mountable-secrets\" annotation is deprecated since v1.32. Prefer separate namespaces to isolate access to mounted secrets. This field should not be used to find auto-generated service account token secrets for use outside of pods. Instead, tokens can be requested directly using the TokenRequest API, or service account token secrets can be manually created. More info: https://kubernetes.io/docs/concepts/configuration/secret";
const CM_DATA: &str = "Data contains the configuration data. Each key must consist of alphanumeric characters, '-', '_' or '.'. Values with non-UTF-8 byte sequences must use the BinaryData field. The keys stored in Data must not overlap with the keys in the BinaryData field, this is enforced during validation process.";
const LEASE_HOLDER: &str = "holderIdentity contains the identity of the holder of a current lease. If Coordinated Leader Election is used, the holder identity must be equal to the elected LeaseCandidate.metadata.name field.";
const QUOTA_REQUEST: &str =
    "Request represents a minimum amount of cpu/memory that a container may consume.";
const QUOTA_LIMIT: &str = "Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.";

const fn col(name: &'static str, type_: &'static str, description: &'static str) -> Column {
    Column {
        name,
        type_,
        format: "",
        description,
        priority: 0,
    }
}

/// A column only `kubectl get -o wide` shows.
const fn wide(name: &'static str, type_: &'static str, description: &'static str) -> Column {
    Column {
        priority: 1,
        ..col(name, type_, description)
    }
}

const NAME_COL: Column = Column {
    format: "name",
    ..col("Name", "string", NAME)
};
const AGE_COL: Column = col("Age", "string", CREATED);

pub(super) fn for_resource(info: &ResourceInfo) -> Vec<Column> {
    match (info.group, info.plural) {
        ("", "pods") => vec![
            NAME_COL,
            col(
                "Ready",
                "string",
                "The aggregate readiness state of this pod for accepting traffic.",
            ),
            col(
                "Status",
                "string",
                "The aggregate status of the containers in this pod.",
            ),
            col(
                "Restarts",
                "string",
                "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.",
            ),
            AGE_COL,
            wide("IP", "string", POD_IP),
            wide("Node", "string", POD_NODE),
            wide("Nominated Node", "string", POD_NOMINATED),
            wide("Readiness Gates", "string", POD_GATES),
        ],
        ("apps", "deployments") => vec![
            NAME_COL,
            col("Ready", "string", "Number of the pod with ready state"),
            col("Up-to-date", "string", DEPLOY_UPDATED),
            col("Available", "string", DEPLOY_AVAILABLE),
            AGE_COL,
            wide("Containers", "string", CONTAINERS),
            wide("Images", "string", IMAGES),
            wide("Selector", "string", DEPLOY_SELECTOR),
        ],
        ("apps", "replicasets") => vec![
            NAME_COL,
            col("Desired", "integer", RS_DESIRED),
            col("Current", "integer", RS_CURRENT),
            col("Ready", "integer", RS_READY),
            AGE_COL,
            wide("Containers", "string", CONTAINERS),
            wide("Images", "string", IMAGES),
            wide("Selector", "string", RS_SELECTOR),
        ],
        ("", "replicationcontrollers") => vec![
            NAME_COL,
            col("Desired", "integer", RC_DESIRED),
            col("Current", "integer", RC_CURRENT),
            col("Ready", "integer", RC_READY),
            AGE_COL,
            wide("Containers", "string", CONTAINERS),
            wide("Images", "string", IMAGES),
            wide("Selector", "string", RC_SELECTOR),
        ],
        ("", "nodes") => vec![
            NAME_COL,
            col("Status", "string", "The status of the node"),
            col("Roles", "string", "The roles of the node"),
            AGE_COL,
            col("Version", "string", NODE_VERSION),
            wide("Internal-IP", "string", NODE_ADDRESSES),
            wide("External-IP", "string", NODE_ADDRESSES),
            wide("OS-Image", "string", NODE_OS_IMAGE),
            wide("Kernel-Version", "string", NODE_KERNEL),
            wide("Container-Runtime", "string", NODE_RUNTIME),
        ],
        ("", "namespaces") => vec![
            NAME_COL,
            col("Status", "string", "The status of the namespace"),
            AGE_COL,
        ],
        // events.k8s.io Events are served from the core Event printer upstream.
        ("", "events") | ("events.k8s.io", "events") => vec![
            col("Last Seen", "string", EVENT_LAST),
            col("Type", "string", EVENT_TYPE),
            col("Reason", "string", EVENT_REASON),
            col("Object", "string", EVENT_OBJECT),
            wide("Subobject", "string", EVENT_SUBOBJECT),
            wide("Source", "string", EVENT_SOURCE),
            col("Message", "string", EVENT_MESSAGE),
            wide("First Seen", "string", EVENT_FIRST),
            wide("Count", "string", EVENT_COUNT),
            Column {
                priority: 1,
                ..NAME_COL
            },
        ],
        ("", "configmaps") => vec![NAME_COL, col("Data", "string", CM_DATA), AGE_COL],
        ("", "secrets") => vec![
            NAME_COL,
            col("Type", "string", SECRET_TYPE),
            col("Data", "string", SECRET_DATA),
            AGE_COL,
        ],
        ("", "serviceaccounts") => vec![NAME_COL, col("Secrets", "string", SA_SECRETS), AGE_COL],
        ("", "services") => vec![
            NAME_COL,
            col("Type", "string", SVC_TYPE),
            col("Cluster-IP", "string", SVC_CLUSTER_IP),
            col("External-IP", "string", SVC_EXTERNAL_IPS),
            col("Port(s)", "string", SVC_PORTS),
            AGE_COL,
            wide("Selector", "string", SVC_SELECTOR),
        ],
        ("coordination.k8s.io", "leases") => {
            vec![NAME_COL, col("Holder", "string", LEASE_HOLDER), AGE_COL]
        }
        ("", "resourcequotas") => vec![
            NAME_COL,
            col("Request", "string", QUOTA_REQUEST),
            col("Limit", "string", QUOTA_LIMIT),
            AGE_COL,
        ],
        ("rbac.authorization.k8s.io", "rolebindings" | "clusterrolebindings") => vec![
            NAME_COL,
            col(
                "Role",
                "string",
                "RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error. This field is immutable.",
            ),
            AGE_COL,
            wide("Users", "string", "Users in the roleBinding"),
            wide("Groups", "string", "Groups in the roleBinding"),
            wide(
                "ServiceAccounts",
                "string",
                "ServiceAccounts in the roleBinding",
            ),
        ],
        ("certificates.k8s.io", "certificatesigningrequests") => vec![
            NAME_COL,
            AGE_COL,
            col(
                "SignerName",
                "string",
                "Name of the signer the request is for",
            ),
            col(
                "Requestor",
                "string",
                "Name of the user that requested the certificate",
            ),
            col(
                "RequestedDuration",
                "string",
                "Requested duration of the issued certificate",
            ),
            col("Condition", "string", "Condition of the request"),
        ],
        // Upstream's default table convertor, for kinds without a printer.
        _ => vec![NAME_COL, col("Created At", "date", CREATED)],
    }
}
