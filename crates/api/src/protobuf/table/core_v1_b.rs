//! Generated field table: core/v1, structs KeyToPath to PortworxVolumeSource.
//! Each static lists one Go struct's fields in declaration order (also the JSON order); the
//! parent module says how the table was produced. Regenerate rather than edit by hand.

use super::*;

pub(crate) static CORE_V1_KEY_TO_PATH: Message = Message::new(
    "core/v1.KeyToPath",
    &[
        always(1, "key", Value(Str)),
        always(2, "path", Value(Str)),
        omitempty(3, "mode", Pointer(Int32)),
    ],
);

pub(crate) static CORE_V1_LIFECYCLE: Message = Message::new(
    "core/v1.Lifecycle",
    &[
        omitempty(1, "postStart", Pointer(Msg(&CORE_V1_LIFECYCLE_HANDLER))),
        omitempty(2, "preStop", Pointer(Msg(&CORE_V1_LIFECYCLE_HANDLER))),
        omitempty(3, "stopSignal", Pointer(Str)),
    ],
);

pub(crate) static CORE_V1_LIFECYCLE_HANDLER: Message = Message::new(
    "core/v1.LifecycleHandler",
    &[
        omitempty(1, "exec", Pointer(Msg(&CORE_V1_EXEC_ACTION))),
        omitempty(2, "httpGet", Pointer(Msg(&CORE_V1_HTTP_GET_ACTION))),
        omitempty(3, "tcpSocket", Pointer(Msg(&CORE_V1_TCP_SOCKET_ACTION))),
        omitempty(4, "sleep", Pointer(Msg(&CORE_V1_SLEEP_ACTION))),
    ],
);

pub(crate) static CORE_V1_LINUX_CONTAINER_USER: Message = Message::new(
    "core/v1.LinuxContainerUser",
    &[
        always(1, "uid", Value(Int64)),
        always(2, "gid", Value(Int64)),
        omitempty(3, "supplementalGroups", Slice(Int64)),
    ],
);

pub(crate) static CORE_V1_LOAD_BALANCER_INGRESS: Message = Message::new(
    "core/v1.LoadBalancerIngress",
    &[
        omitempty(1, "ip", Value(Str)),
        omitempty(2, "hostname", Value(Str)),
        omitempty(3, "ipMode", Pointer(Str)),
        omitempty(4, "ports", Slice(Msg(&CORE_V1_PORT_STATUS))),
    ],
);

pub(crate) static CORE_V1_LOAD_BALANCER_STATUS: Message = Message::new(
    "core/v1.LoadBalancerStatus",
    &[omitempty(
        1,
        "ingress",
        Slice(Msg(&CORE_V1_LOAD_BALANCER_INGRESS)),
    )],
);

pub(crate) static CORE_V1_LOCAL_OBJECT_REFERENCE: Message = Message::new(
    "core/v1.LocalObjectReference",
    &[omitempty(1, "name", Value(Str))],
);

pub(crate) static CORE_V1_MODIFY_VOLUME_STATUS: Message = Message::new(
    "core/v1.ModifyVolumeStatus",
    &[
        omitempty(1, "targetVolumeAttributesClassName", Value(Str)),
        always(2, "status", Value(Str)),
    ],
);

pub(crate) static CORE_V1_NFS_VOLUME_SOURCE: Message = Message::new(
    "core/v1.NFSVolumeSource",
    &[
        always(1, "server", Value(Str)),
        always(2, "path", Value(Str)),
        omitempty(3, "readOnly", Value(Bool)),
    ],
);

pub(crate) static CORE_V1_NAMESPACE: Message = Message::new(
    "core/v1.Namespace",
    &[
        TYPE_META,
        omitempty(1, "metadata", Value(Msg(&META_V1_OBJECT_META))),
        omitempty(2, "spec", Value(Msg(&CORE_V1_NAMESPACE_SPEC))),
        omitempty(3, "status", Value(Msg(&CORE_V1_NAMESPACE_STATUS))),
    ],
);

pub(crate) static CORE_V1_NAMESPACE_CONDITION: Message = Message::new(
    "core/v1.NamespaceCondition",
    &[
        always(1, "type", Value(Str)),
        always(2, "status", Value(Str)),
        omitempty(4, "lastTransitionTime", Value(Time)),
        omitempty(5, "reason", Value(Str)),
        omitempty(6, "message", Value(Str)),
    ],
);

pub(crate) static CORE_V1_NAMESPACE_SPEC: Message = Message::new(
    "core/v1.NamespaceSpec",
    &[omitempty(1, "finalizers", Slice(Str))],
);

pub(crate) static CORE_V1_NAMESPACE_STATUS: Message = Message::new(
    "core/v1.NamespaceStatus",
    &[
        omitempty(1, "phase", Value(Str)),
        omitempty(2, "conditions", Slice(Msg(&CORE_V1_NAMESPACE_CONDITION))),
    ],
);

pub(crate) static CORE_V1_NODE: Message = Message::new(
    "core/v1.Node",
    &[
        TYPE_META,
        omitempty(1, "metadata", Value(Msg(&META_V1_OBJECT_META))),
        omitempty(2, "spec", Value(Msg(&CORE_V1_NODE_SPEC))),
        omitempty(3, "status", Value(Msg(&CORE_V1_NODE_STATUS))),
    ],
);

pub(crate) static CORE_V1_NODE_ADDRESS: Message = Message::new(
    "core/v1.NodeAddress",
    &[
        always(1, "type", Value(Str)),
        always(2, "address", Value(Str)),
    ],
);

pub(crate) static CORE_V1_NODE_AFFINITY: Message = Message::new(
    "core/v1.NodeAffinity",
    &[
        omitempty(
            1,
            "requiredDuringSchedulingIgnoredDuringExecution",
            Pointer(Msg(&CORE_V1_NODE_SELECTOR)),
        ),
        omitempty(
            2,
            "preferredDuringSchedulingIgnoredDuringExecution",
            Slice(Msg(&CORE_V1_PREFERRED_SCHEDULING_TERM)),
        ),
    ],
);

pub(crate) static CORE_V1_NODE_CONDITION: Message = Message::new(
    "core/v1.NodeCondition",
    &[
        always(1, "type", Value(Str)),
        always(2, "status", Value(Str)),
        omitempty(3, "lastHeartbeatTime", Value(Time)),
        omitempty(4, "lastTransitionTime", Value(Time)),
        omitempty(5, "reason", Value(Str)),
        omitempty(6, "message", Value(Str)),
    ],
);

pub(crate) static CORE_V1_NODE_CONFIG_SOURCE: Message = Message::new(
    "core/v1.NodeConfigSource",
    &[omitempty(
        2,
        "configMap",
        Pointer(Msg(&CORE_V1_CONFIG_MAP_NODE_CONFIG_SOURCE)),
    )],
);

pub(crate) static CORE_V1_NODE_CONFIG_STATUS: Message = Message::new(
    "core/v1.NodeConfigStatus",
    &[
        omitempty(1, "assigned", Pointer(Msg(&CORE_V1_NODE_CONFIG_SOURCE))),
        omitempty(2, "active", Pointer(Msg(&CORE_V1_NODE_CONFIG_SOURCE))),
        omitempty(
            3,
            "lastKnownGood",
            Pointer(Msg(&CORE_V1_NODE_CONFIG_SOURCE)),
        ),
        omitempty(4, "error", Value(Str)),
    ],
);

pub(crate) static CORE_V1_NODE_DAEMON_ENDPOINTS: Message = Message::new(
    "core/v1.NodeDaemonEndpoints",
    &[omitempty(
        1,
        "kubeletEndpoint",
        Value(Msg(&CORE_V1_DAEMON_ENDPOINT)),
    )],
);

pub(crate) static CORE_V1_NODE_FEATURES: Message = Message::new(
    "core/v1.NodeFeatures",
    &[omitempty(1, "supplementalGroupsPolicy", Pointer(Bool))],
);

pub(crate) static CORE_V1_NODE_RUNTIME_HANDLER: Message = Message::new(
    "core/v1.NodeRuntimeHandler",
    &[
        always(1, "name", Value(Str)),
        omitempty(
            2,
            "features",
            Pointer(Msg(&CORE_V1_NODE_RUNTIME_HANDLER_FEATURES)),
        ),
    ],
);

pub(crate) static CORE_V1_NODE_RUNTIME_HANDLER_FEATURES: Message = Message::new(
    "core/v1.NodeRuntimeHandlerFeatures",
    &[
        omitempty(1, "recursiveReadOnlyMounts", Pointer(Bool)),
        omitempty(2, "userNamespaces", Pointer(Bool)),
    ],
);

pub(crate) static CORE_V1_NODE_SELECTOR: Message = Message::new(
    "core/v1.NodeSelector",
    &[always(
        1,
        "nodeSelectorTerms",
        Slice(Msg(&CORE_V1_NODE_SELECTOR_TERM)),
    )],
);

pub(crate) static CORE_V1_NODE_SELECTOR_REQUIREMENT: Message = Message::new(
    "core/v1.NodeSelectorRequirement",
    &[
        always(1, "key", Value(Str)),
        always(2, "operator", Value(Str)),
        omitempty(3, "values", Slice(Str)),
    ],
);

pub(crate) static CORE_V1_NODE_SELECTOR_TERM: Message = Message::new(
    "core/v1.NodeSelectorTerm",
    &[
        omitempty(
            1,
            "matchExpressions",
            Slice(Msg(&CORE_V1_NODE_SELECTOR_REQUIREMENT)),
        ),
        omitempty(
            2,
            "matchFields",
            Slice(Msg(&CORE_V1_NODE_SELECTOR_REQUIREMENT)),
        ),
    ],
);

pub(crate) static CORE_V1_NODE_SPEC: Message = Message::new(
    "core/v1.NodeSpec",
    &[
        omitempty(1, "podCIDR", Value(Str)),
        omitempty(7, "podCIDRs", Slice(Str)),
        omitempty(3, "providerID", Value(Str)),
        omitempty(4, "unschedulable", Value(Bool)),
        omitempty(5, "taints", Slice(Msg(&CORE_V1_TAINT))),
        omitempty(6, "configSource", Pointer(Msg(&CORE_V1_NODE_CONFIG_SOURCE))),
        omitempty(2, "externalID", Value(Str)),
    ],
);

pub(crate) static CORE_V1_NODE_STATUS: Message = Message::new(
    "core/v1.NodeStatus",
    &[
        omitempty(1, "capacity", Map(Quantity)),
        omitempty(2, "allocatable", Map(Quantity)),
        omitempty(3, "phase", Value(Str)),
        omitempty(4, "conditions", Slice(Msg(&CORE_V1_NODE_CONDITION))),
        omitempty(5, "addresses", Slice(Msg(&CORE_V1_NODE_ADDRESS))),
        omitempty(
            6,
            "daemonEndpoints",
            Value(Msg(&CORE_V1_NODE_DAEMON_ENDPOINTS)),
        ),
        omitempty(7, "nodeInfo", Value(Msg(&CORE_V1_NODE_SYSTEM_INFO))),
        omitempty(8, "images", Slice(Msg(&CORE_V1_CONTAINER_IMAGE))),
        omitempty(9, "volumesInUse", Slice(Str)),
        omitempty(10, "volumesAttached", Slice(Msg(&CORE_V1_ATTACHED_VOLUME))),
        omitempty(11, "config", Pointer(Msg(&CORE_V1_NODE_CONFIG_STATUS))),
        omitempty(
            12,
            "runtimeHandlers",
            Slice(Msg(&CORE_V1_NODE_RUNTIME_HANDLER)),
        ),
        omitempty(13, "features", Pointer(Msg(&CORE_V1_NODE_FEATURES))),
    ],
);

pub(crate) static CORE_V1_NODE_SWAP_STATUS: Message = Message::new(
    "core/v1.NodeSwapStatus",
    &[omitempty(1, "capacity", Pointer(Int64))],
);

pub(crate) static CORE_V1_NODE_SYSTEM_INFO: Message = Message::new(
    "core/v1.NodeSystemInfo",
    &[
        always(1, "machineID", Value(Str)),
        always(2, "systemUUID", Value(Str)),
        always(3, "bootID", Value(Str)),
        always(4, "kernelVersion", Value(Str)),
        always(5, "osImage", Value(Str)),
        always(6, "containerRuntimeVersion", Value(Str)),
        always(7, "kubeletVersion", Value(Str)),
        always(8, "kubeProxyVersion", Value(Str)),
        always(9, "operatingSystem", Value(Str)),
        always(10, "architecture", Value(Str)),
        omitempty(11, "swap", Pointer(Msg(&CORE_V1_NODE_SWAP_STATUS))),
    ],
);

pub(crate) static CORE_V1_OBJECT_FIELD_SELECTOR: Message = Message::new(
    "core/v1.ObjectFieldSelector",
    &[
        omitempty(1, "apiVersion", Value(Str)),
        always(2, "fieldPath", Value(Str)),
    ],
);

pub(crate) static CORE_V1_OBJECT_REFERENCE: Message = Message::new(
    "core/v1.ObjectReference",
    &[
        omitempty(1, "kind", Value(Str)),
        omitempty(2, "namespace", Value(Str)),
        omitempty(3, "name", Value(Str)),
        omitempty(4, "uid", Value(Str)),
        omitempty(5, "apiVersion", Value(Str)),
        omitempty(6, "resourceVersion", Value(Str)),
        omitempty(7, "fieldPath", Value(Str)),
    ],
);

pub(crate) static CORE_V1_PERSISTENT_VOLUME_CLAIM: Message = Message::new(
    "core/v1.PersistentVolumeClaim",
    &[
        TYPE_META,
        omitempty(1, "metadata", Value(Msg(&META_V1_OBJECT_META))),
        omitempty(2, "spec", Value(Msg(&CORE_V1_PERSISTENT_VOLUME_CLAIM_SPEC))),
        omitempty(
            3,
            "status",
            Value(Msg(&CORE_V1_PERSISTENT_VOLUME_CLAIM_STATUS)),
        ),
    ],
);

pub(crate) static CORE_V1_PERSISTENT_VOLUME_CLAIM_CONDITION: Message = Message::new(
    "core/v1.PersistentVolumeClaimCondition",
    &[
        always(1, "type", Value(Str)),
        always(2, "status", Value(Str)),
        omitempty(3, "lastProbeTime", Value(Time)),
        omitempty(4, "lastTransitionTime", Value(Time)),
        omitempty(5, "reason", Value(Str)),
        omitempty(6, "message", Value(Str)),
    ],
);

pub(crate) static CORE_V1_PERSISTENT_VOLUME_CLAIM_SPEC: Message = Message::new(
    "core/v1.PersistentVolumeClaimSpec",
    &[
        omitempty(1, "accessModes", Slice(Str)),
        omitempty(4, "selector", Pointer(Msg(&META_V1_LABEL_SELECTOR))),
        omitempty(
            2,
            "resources",
            Value(Msg(&CORE_V1_VOLUME_RESOURCE_REQUIREMENTS)),
        ),
        omitempty(3, "volumeName", Value(Str)),
        omitempty(5, "storageClassName", Pointer(Str)),
        omitempty(6, "volumeMode", Pointer(Str)),
        omitempty(
            7,
            "dataSource",
            Pointer(Msg(&CORE_V1_TYPED_LOCAL_OBJECT_REFERENCE)),
        ),
        omitempty(
            8,
            "dataSourceRef",
            Pointer(Msg(&CORE_V1_TYPED_OBJECT_REFERENCE)),
        ),
        omitempty(9, "volumeAttributesClassName", Pointer(Str)),
    ],
);

pub(crate) static CORE_V1_PERSISTENT_VOLUME_CLAIM_STATUS: Message = Message::new(
    "core/v1.PersistentVolumeClaimStatus",
    &[
        omitempty(1, "phase", Value(Str)),
        omitempty(2, "accessModes", Slice(Str)),
        omitempty(3, "capacity", Map(Quantity)),
        omitempty(
            4,
            "conditions",
            Slice(Msg(&CORE_V1_PERSISTENT_VOLUME_CLAIM_CONDITION)),
        ),
        omitempty(5, "allocatedResources", Map(Quantity)),
        omitempty(7, "allocatedResourceStatuses", Map(Str)),
        omitempty(8, "currentVolumeAttributesClassName", Pointer(Str)),
        omitempty(
            9,
            "modifyVolumeStatus",
            Pointer(Msg(&CORE_V1_MODIFY_VOLUME_STATUS)),
        ),
    ],
);

pub(crate) static CORE_V1_PERSISTENT_VOLUME_CLAIM_TEMPLATE: Message = Message::new(
    "core/v1.PersistentVolumeClaimTemplate",
    &[
        omitempty(1, "metadata", Value(Msg(&META_V1_OBJECT_META))),
        always(2, "spec", Value(Msg(&CORE_V1_PERSISTENT_VOLUME_CLAIM_SPEC))),
    ],
);

pub(crate) static CORE_V1_PERSISTENT_VOLUME_CLAIM_VOLUME_SOURCE: Message = Message::new(
    "core/v1.PersistentVolumeClaimVolumeSource",
    &[
        always(1, "claimName", Value(Str)),
        omitempty(2, "readOnly", Value(Bool)),
    ],
);

pub(crate) static CORE_V1_PHOTON_PERSISTENT_DISK_VOLUME_SOURCE: Message = Message::new(
    "core/v1.PhotonPersistentDiskVolumeSource",
    &[
        always(1, "pdID", Value(Str)),
        omitempty(2, "fsType", Value(Str)),
    ],
);

pub(crate) static CORE_V1_POD: Message = Message::new(
    "core/v1.Pod",
    &[
        TYPE_META,
        omitempty(1, "metadata", Value(Msg(&META_V1_OBJECT_META))),
        omitempty(2, "spec", Value(Msg(&CORE_V1_POD_SPEC))),
        omitempty(3, "status", Value(Msg(&CORE_V1_POD_STATUS))),
    ],
);

pub(crate) static CORE_V1_POD_AFFINITY: Message = Message::new(
    "core/v1.PodAffinity",
    &[
        omitempty(
            1,
            "requiredDuringSchedulingIgnoredDuringExecution",
            Slice(Msg(&CORE_V1_POD_AFFINITY_TERM)),
        ),
        omitempty(
            2,
            "preferredDuringSchedulingIgnoredDuringExecution",
            Slice(Msg(&CORE_V1_WEIGHTED_POD_AFFINITY_TERM)),
        ),
    ],
);

pub(crate) static CORE_V1_POD_AFFINITY_TERM: Message = Message::new(
    "core/v1.PodAffinityTerm",
    &[
        omitempty(1, "labelSelector", Pointer(Msg(&META_V1_LABEL_SELECTOR))),
        omitempty(2, "namespaces", Slice(Str)),
        always(3, "topologyKey", Value(Str)),
        omitempty(
            4,
            "namespaceSelector",
            Pointer(Msg(&META_V1_LABEL_SELECTOR)),
        ),
        omitempty(5, "matchLabelKeys", Slice(Str)),
        omitempty(6, "mismatchLabelKeys", Slice(Str)),
    ],
);

pub(crate) static CORE_V1_POD_ANTI_AFFINITY: Message = Message::new(
    "core/v1.PodAntiAffinity",
    &[
        omitempty(
            1,
            "requiredDuringSchedulingIgnoredDuringExecution",
            Slice(Msg(&CORE_V1_POD_AFFINITY_TERM)),
        ),
        omitempty(
            2,
            "preferredDuringSchedulingIgnoredDuringExecution",
            Slice(Msg(&CORE_V1_WEIGHTED_POD_AFFINITY_TERM)),
        ),
    ],
);

pub(crate) static CORE_V1_POD_CONDITION: Message = Message::new(
    "core/v1.PodCondition",
    &[
        always(1, "type", Value(Str)),
        omitempty(7, "observedGeneration", Value(Int64)),
        always(2, "status", Value(Str)),
        omitempty(3, "lastProbeTime", Value(Time)),
        omitempty(4, "lastTransitionTime", Value(Time)),
        omitempty(5, "reason", Value(Str)),
        omitempty(6, "message", Value(Str)),
    ],
);

pub(crate) static CORE_V1_POD_DNS_CONFIG: Message = Message::new(
    "core/v1.PodDNSConfig",
    &[
        omitempty(1, "nameservers", Slice(Str)),
        omitempty(2, "searches", Slice(Str)),
        omitempty(3, "options", Slice(Msg(&CORE_V1_POD_DNS_CONFIG_OPTION))),
    ],
);

pub(crate) static CORE_V1_POD_DNS_CONFIG_OPTION: Message = Message::new(
    "core/v1.PodDNSConfigOption",
    &[
        omitempty(1, "name", Value(Str)),
        omitempty(2, "value", Pointer(Str)),
    ],
);

pub(crate) static CORE_V1_POD_IP: Message =
    Message::new("core/v1.PodIP", &[always(1, "ip", Value(Str))]);

pub(crate) static CORE_V1_POD_OS: Message =
    Message::new("core/v1.PodOS", &[always(1, "name", Value(Str))]);

pub(crate) static CORE_V1_POD_READINESS_GATE: Message = Message::new(
    "core/v1.PodReadinessGate",
    &[always(1, "conditionType", Value(Str))],
);

pub(crate) static CORE_V1_POD_RESOURCE_CLAIM: Message = Message::new(
    "core/v1.PodResourceClaim",
    &[
        always(1, "name", Value(Str)),
        omitempty(3, "resourceClaimName", Pointer(Str)),
        omitempty(4, "resourceClaimTemplateName", Pointer(Str)),
    ],
);

pub(crate) static CORE_V1_POD_RESOURCE_CLAIM_STATUS: Message = Message::new(
    "core/v1.PodResourceClaimStatus",
    &[
        always(1, "name", Value(Str)),
        omitempty(2, "resourceClaimName", Pointer(Str)),
    ],
);

pub(crate) static CORE_V1_POD_SCHEDULING_GATE: Message = Message::new(
    "core/v1.PodSchedulingGate",
    &[always(1, "name", Value(Str))],
);

pub(crate) static CORE_V1_POD_SECURITY_CONTEXT: Message = Message::new(
    "core/v1.PodSecurityContext",
    &[
        omitempty(1, "seLinuxOptions", Pointer(Msg(&CORE_V1_SE_LINUX_OPTIONS))),
        omitempty(
            8,
            "windowsOptions",
            Pointer(Msg(&CORE_V1_WINDOWS_SECURITY_CONTEXT_OPTIONS)),
        ),
        omitempty(2, "runAsUser", Pointer(Int64)),
        omitempty(6, "runAsGroup", Pointer(Int64)),
        omitempty(3, "runAsNonRoot", Pointer(Bool)),
        omitempty(4, "supplementalGroups", Slice(Int64)),
        omitempty(12, "supplementalGroupsPolicy", Pointer(Str)),
        omitempty(5, "fsGroup", Pointer(Int64)),
        omitempty(7, "sysctls", Slice(Msg(&CORE_V1_SYSCTL))),
        omitempty(9, "fsGroupChangePolicy", Pointer(Str)),
        omitempty(10, "seccompProfile", Pointer(Msg(&CORE_V1_SECCOMP_PROFILE))),
        omitempty(
            11,
            "appArmorProfile",
            Pointer(Msg(&CORE_V1_APP_ARMOR_PROFILE)),
        ),
        omitempty(13, "seLinuxChangePolicy", Pointer(Str)),
    ],
);

pub(crate) static CORE_V1_POD_SPEC: Message = Message::new(
    "core/v1.PodSpec",
    &[
        omitempty(1, "volumes", Slice(Msg(&CORE_V1_VOLUME))),
        omitempty(20, "initContainers", Slice(Msg(&CORE_V1_CONTAINER))),
        always(2, "containers", Slice(Msg(&CORE_V1_CONTAINER))),
        omitempty(
            34,
            "ephemeralContainers",
            Slice(Msg(&CORE_V1_EPHEMERAL_CONTAINER)),
        ),
        omitempty(3, "restartPolicy", Value(Str)),
        omitempty(4, "terminationGracePeriodSeconds", Pointer(Int64)),
        omitempty(5, "activeDeadlineSeconds", Pointer(Int64)),
        omitempty(6, "dnsPolicy", Value(Str)),
        omitempty(7, "nodeSelector", Map(Str)),
        omitempty(8, "serviceAccountName", Value(Str)),
        omitempty(9, "serviceAccount", Value(Str)),
        omitempty(21, "automountServiceAccountToken", Pointer(Bool)),
        omitempty(10, "nodeName", Value(Str)),
        omitempty(11, "hostNetwork", Value(Bool)),
        omitempty(12, "hostPID", Value(Bool)),
        omitempty(13, "hostIPC", Value(Bool)),
        omitempty(27, "shareProcessNamespace", Pointer(Bool)),
        omitempty(
            14,
            "securityContext",
            Pointer(Msg(&CORE_V1_POD_SECURITY_CONTEXT)),
        ),
        omitempty(
            15,
            "imagePullSecrets",
            Slice(Msg(&CORE_V1_LOCAL_OBJECT_REFERENCE)),
        ),
        omitempty(16, "hostname", Value(Str)),
        omitempty(17, "subdomain", Value(Str)),
        omitempty(18, "affinity", Pointer(Msg(&CORE_V1_AFFINITY))),
        omitempty(19, "schedulerName", Value(Str)),
        omitempty(22, "tolerations", Slice(Msg(&CORE_V1_TOLERATION))),
        omitempty(23, "hostAliases", Slice(Msg(&CORE_V1_HOST_ALIAS))),
        omitempty(24, "priorityClassName", Value(Str)),
        omitempty(25, "priority", Pointer(Int32)),
        omitempty(26, "dnsConfig", Pointer(Msg(&CORE_V1_POD_DNS_CONFIG))),
        omitempty(
            28,
            "readinessGates",
            Slice(Msg(&CORE_V1_POD_READINESS_GATE)),
        ),
        omitempty(29, "runtimeClassName", Pointer(Str)),
        omitempty(30, "enableServiceLinks", Pointer(Bool)),
        omitempty(31, "preemptionPolicy", Pointer(Str)),
        omitempty(32, "overhead", Map(Quantity)),
        omitempty(
            33,
            "topologySpreadConstraints",
            Slice(Msg(&CORE_V1_TOPOLOGY_SPREAD_CONSTRAINT)),
        ),
        omitempty(35, "setHostnameAsFQDN", Pointer(Bool)),
        omitempty(36, "os", Pointer(Msg(&CORE_V1_POD_OS))),
        omitempty(37, "hostUsers", Pointer(Bool)),
        omitempty(
            38,
            "schedulingGates",
            Slice(Msg(&CORE_V1_POD_SCHEDULING_GATE)),
        ),
        omitempty(
            39,
            "resourceClaims",
            Slice(Msg(&CORE_V1_POD_RESOURCE_CLAIM)),
        ),
        omitempty(
            40,
            "resources",
            Pointer(Msg(&CORE_V1_RESOURCE_REQUIREMENTS)),
        ),
    ],
);

pub(crate) static CORE_V1_POD_STATUS: Message = Message::new(
    "core/v1.PodStatus",
    &[
        omitempty(17, "observedGeneration", Value(Int64)),
        omitempty(1, "phase", Value(Str)),
        omitempty(2, "conditions", Slice(Msg(&CORE_V1_POD_CONDITION))),
        omitempty(3, "message", Value(Str)),
        omitempty(4, "reason", Value(Str)),
        omitempty(11, "nominatedNodeName", Value(Str)),
        omitempty(5, "hostIP", Value(Str)),
        omitempty(16, "hostIPs", Slice(Msg(&CORE_V1_HOST_IP))),
        omitempty(6, "podIP", Value(Str)),
        omitempty(12, "podIPs", Slice(Msg(&CORE_V1_POD_IP))),
        omitempty(7, "startTime", Pointer(Time)),
        omitempty(
            10,
            "initContainerStatuses",
            Slice(Msg(&CORE_V1_CONTAINER_STATUS)),
        ),
        omitempty(
            8,
            "containerStatuses",
            Slice(Msg(&CORE_V1_CONTAINER_STATUS)),
        ),
        omitempty(9, "qosClass", Value(Str)),
        omitempty(
            13,
            "ephemeralContainerStatuses",
            Slice(Msg(&CORE_V1_CONTAINER_STATUS)),
        ),
        omitempty(14, "resize", Value(Str)),
        omitempty(
            15,
            "resourceClaimStatuses",
            Slice(Msg(&CORE_V1_POD_RESOURCE_CLAIM_STATUS)),
        ),
    ],
);

pub(crate) static CORE_V1_POD_TEMPLATE_SPEC: Message = Message::new(
    "core/v1.PodTemplateSpec",
    &[
        omitempty(1, "metadata", Value(Msg(&META_V1_OBJECT_META))),
        omitempty(2, "spec", Value(Msg(&CORE_V1_POD_SPEC))),
    ],
);

pub(crate) static CORE_V1_PORT_STATUS: Message = Message::new(
    "core/v1.PortStatus",
    &[
        always(1, "port", Value(Int32)),
        always(2, "protocol", Value(Str)),
        omitempty(3, "error", Pointer(Str)),
    ],
);

pub(crate) static CORE_V1_PORTWORX_VOLUME_SOURCE: Message = Message::new(
    "core/v1.PortworxVolumeSource",
    &[
        always(1, "volumeID", Value(Str)),
        omitempty(2, "fsType", Value(Str)),
        omitempty(3, "readOnly", Value(Bool)),
    ],
);
