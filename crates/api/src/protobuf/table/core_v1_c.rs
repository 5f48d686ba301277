//! Generated field table: core/v1, structs PreferredSchedulingTerm to WindowsSecurityContextOptions.
//! Each static lists one Go struct's fields in declaration order (also the JSON order); the
//! parent module says how the table was produced. Regenerate rather than edit by hand.

use super::*;

pub(crate) static CORE_V1_PREFERRED_SCHEDULING_TERM: Message = Message::new(
    "core/v1.PreferredSchedulingTerm",
    &[
        always(1, "weight", Value(Int32)),
        always(2, "preference", Value(Msg(&CORE_V1_NODE_SELECTOR_TERM))),
    ],
);

pub(crate) static CORE_V1_PROBE: Message = Message::new(
    "core/v1.Probe",
    &[
        inline(1, &CORE_V1_PROBE_HANDLER),
        omitempty(2, "initialDelaySeconds", Value(Int32)),
        omitempty(3, "timeoutSeconds", Value(Int32)),
        omitempty(4, "periodSeconds", Value(Int32)),
        omitempty(5, "successThreshold", Value(Int32)),
        omitempty(6, "failureThreshold", Value(Int32)),
        omitempty(7, "terminationGracePeriodSeconds", Pointer(Int64)),
    ],
);

pub(crate) static CORE_V1_PROBE_HANDLER: Message = Message::new(
    "core/v1.ProbeHandler",
    &[
        omitempty(1, "exec", Pointer(Msg(&CORE_V1_EXEC_ACTION))),
        omitempty(2, "httpGet", Pointer(Msg(&CORE_V1_HTTP_GET_ACTION))),
        omitempty(3, "tcpSocket", Pointer(Msg(&CORE_V1_TCP_SOCKET_ACTION))),
        omitempty(4, "grpc", Pointer(Msg(&CORE_V1_GRPC_ACTION))),
    ],
);

pub(crate) static CORE_V1_PROJECTED_VOLUME_SOURCE: Message = Message::new(
    "core/v1.ProjectedVolumeSource",
    &[
        always(1, "sources", Slice(Msg(&CORE_V1_VOLUME_PROJECTION))),
        omitempty(2, "defaultMode", Pointer(Int32)),
    ],
);

pub(crate) static CORE_V1_QUOBYTE_VOLUME_SOURCE: Message = Message::new(
    "core/v1.QuobyteVolumeSource",
    &[
        always(1, "registry", Value(Str)),
        always(2, "volume", Value(Str)),
        omitempty(3, "readOnly", Value(Bool)),
        omitempty(4, "user", Value(Str)),
        omitempty(5, "group", Value(Str)),
        omitempty(6, "tenant", Value(Str)),
    ],
);

pub(crate) static CORE_V1_RBD_VOLUME_SOURCE: Message = Message::new(
    "core/v1.RBDVolumeSource",
    &[
        always(1, "monitors", Slice(Str)),
        always(2, "image", Value(Str)),
        omitempty(3, "fsType", Value(Str)),
        omitempty(4, "pool", Value(Str)),
        omitempty(5, "user", Value(Str)),
        omitempty(6, "keyring", Value(Str)),
        omitempty(
            7,
            "secretRef",
            Pointer(Msg(&CORE_V1_LOCAL_OBJECT_REFERENCE)),
        ),
        omitempty(8, "readOnly", Value(Bool)),
    ],
);

pub(crate) static CORE_V1_REPLICATION_CONTROLLER: Message = Message::new(
    "core/v1.ReplicationController",
    &[
        TYPE_META,
        omitempty(1, "metadata", Value(Msg(&META_V1_OBJECT_META))),
        omitempty(2, "spec", Value(Msg(&CORE_V1_REPLICATION_CONTROLLER_SPEC))),
        omitempty(
            3,
            "status",
            Value(Msg(&CORE_V1_REPLICATION_CONTROLLER_STATUS)),
        ),
    ],
);

pub(crate) static CORE_V1_REPLICATION_CONTROLLER_CONDITION: Message = Message::new(
    "core/v1.ReplicationControllerCondition",
    &[
        always(1, "type", Value(Str)),
        always(2, "status", Value(Str)),
        omitempty(3, "lastTransitionTime", Value(Time)),
        omitempty(4, "reason", Value(Str)),
        omitempty(5, "message", Value(Str)),
    ],
);

pub(crate) static CORE_V1_REPLICATION_CONTROLLER_SPEC: Message = Message::new(
    "core/v1.ReplicationControllerSpec",
    &[
        omitempty(1, "replicas", Pointer(Int32)),
        omitempty(4, "minReadySeconds", Value(Int32)),
        omitempty(2, "selector", Map(Str)),
        omitempty(3, "template", Pointer(Msg(&CORE_V1_POD_TEMPLATE_SPEC))),
    ],
);

pub(crate) static CORE_V1_REPLICATION_CONTROLLER_STATUS: Message = Message::new(
    "core/v1.ReplicationControllerStatus",
    &[
        always(1, "replicas", Value(Int32)),
        omitempty(2, "fullyLabeledReplicas", Value(Int32)),
        omitempty(4, "readyReplicas", Value(Int32)),
        omitempty(5, "availableReplicas", Value(Int32)),
        omitempty(3, "observedGeneration", Value(Int64)),
        omitempty(
            6,
            "conditions",
            Slice(Msg(&CORE_V1_REPLICATION_CONTROLLER_CONDITION)),
        ),
    ],
);

pub(crate) static CORE_V1_RESOURCE_CLAIM: Message = Message::new(
    "core/v1.ResourceClaim",
    &[
        always(1, "name", Value(Str)),
        omitempty(2, "request", Value(Str)),
    ],
);

pub(crate) static CORE_V1_RESOURCE_FIELD_SELECTOR: Message = Message::new(
    "core/v1.ResourceFieldSelector",
    &[
        omitempty(1, "containerName", Value(Str)),
        always(2, "resource", Value(Str)),
        omitempty(3, "divisor", Value(Quantity)),
    ],
);

pub(crate) static CORE_V1_RESOURCE_HEALTH: Message = Message::new(
    "core/v1.ResourceHealth",
    &[
        always(1, "resourceID", Value(Str)),
        omitempty(2, "health", Value(Str)),
    ],
);

pub(crate) static CORE_V1_RESOURCE_QUOTA: Message = Message::new(
    "core/v1.ResourceQuota",
    &[
        TYPE_META,
        omitempty(1, "metadata", Value(Msg(&META_V1_OBJECT_META))),
        omitempty(2, "spec", Value(Msg(&CORE_V1_RESOURCE_QUOTA_SPEC))),
        omitempty(3, "status", Value(Msg(&CORE_V1_RESOURCE_QUOTA_STATUS))),
    ],
);

pub(crate) static CORE_V1_RESOURCE_QUOTA_SPEC: Message = Message::new(
    "core/v1.ResourceQuotaSpec",
    &[
        omitempty(1, "hard", Map(Quantity)),
        omitempty(2, "scopes", Slice(Str)),
        omitempty(3, "scopeSelector", Pointer(Msg(&CORE_V1_SCOPE_SELECTOR))),
    ],
);

pub(crate) static CORE_V1_RESOURCE_QUOTA_STATUS: Message = Message::new(
    "core/v1.ResourceQuotaStatus",
    &[
        omitempty(1, "hard", Map(Quantity)),
        omitempty(2, "used", Map(Quantity)),
    ],
);

pub(crate) static CORE_V1_RESOURCE_REQUIREMENTS: Message = Message::new(
    "core/v1.ResourceRequirements",
    &[
        omitempty(1, "limits", Map(Quantity)),
        omitempty(2, "requests", Map(Quantity)),
        omitempty(3, "claims", Slice(Msg(&CORE_V1_RESOURCE_CLAIM))),
    ],
);

pub(crate) static CORE_V1_RESOURCE_STATUS: Message = Message::new(
    "core/v1.ResourceStatus",
    &[
        always(1, "name", Value(Str)),
        omitempty(2, "resources", Slice(Msg(&CORE_V1_RESOURCE_HEALTH))),
    ],
);

pub(crate) static CORE_V1_SE_LINUX_OPTIONS: Message = Message::new(
    "core/v1.SELinuxOptions",
    &[
        omitempty(1, "user", Value(Str)),
        omitempty(2, "role", Value(Str)),
        omitempty(3, "type", Value(Str)),
        omitempty(4, "level", Value(Str)),
    ],
);

pub(crate) static CORE_V1_SCALE_IO_VOLUME_SOURCE: Message = Message::new(
    "core/v1.ScaleIOVolumeSource",
    &[
        always(1, "gateway", Value(Str)),
        always(2, "system", Value(Str)),
        always(
            3,
            "secretRef",
            Pointer(Msg(&CORE_V1_LOCAL_OBJECT_REFERENCE)),
        ),
        omitempty(4, "sslEnabled", Value(Bool)),
        omitempty(5, "protectionDomain", Value(Str)),
        omitempty(6, "storagePool", Value(Str)),
        omitempty(7, "storageMode", Value(Str)),
        omitempty(8, "volumeName", Value(Str)),
        omitempty(9, "fsType", Value(Str)),
        omitempty(10, "readOnly", Value(Bool)),
    ],
);

pub(crate) static CORE_V1_SCOPE_SELECTOR: Message = Message::new(
    "core/v1.ScopeSelector",
    &[omitempty(
        1,
        "matchExpressions",
        Slice(Msg(&CORE_V1_SCOPED_RESOURCE_SELECTOR_REQUIREMENT)),
    )],
);

pub(crate) static CORE_V1_SCOPED_RESOURCE_SELECTOR_REQUIREMENT: Message = Message::new(
    "core/v1.ScopedResourceSelectorRequirement",
    &[
        always(1, "scopeName", Value(Str)),
        always(2, "operator", Value(Str)),
        omitempty(3, "values", Slice(Str)),
    ],
);

pub(crate) static CORE_V1_SECCOMP_PROFILE: Message = Message::new(
    "core/v1.SeccompProfile",
    &[
        always(1, "type", Value(Str)),
        omitempty(2, "localhostProfile", Pointer(Str)),
    ],
);

pub(crate) static CORE_V1_SECRET: Message = Message::new(
    "core/v1.Secret",
    &[
        TYPE_META,
        omitempty(1, "metadata", Value(Msg(&META_V1_OBJECT_META))),
        omitempty(5, "immutable", Pointer(Bool)),
        omitempty(2, "data", Map(Bytes)),
        omitempty(4, "stringData", Map(Str)),
        omitempty(3, "type", Value(Str)),
    ],
);

pub(crate) static CORE_V1_SECRET_ENV_SOURCE: Message = Message::new(
    "core/v1.SecretEnvSource",
    &[
        inline(1, &CORE_V1_LOCAL_OBJECT_REFERENCE),
        omitempty(2, "optional", Pointer(Bool)),
    ],
);

pub(crate) static CORE_V1_SECRET_KEY_SELECTOR: Message = Message::new(
    "core/v1.SecretKeySelector",
    &[
        inline(1, &CORE_V1_LOCAL_OBJECT_REFERENCE),
        always(2, "key", Value(Str)),
        omitempty(3, "optional", Pointer(Bool)),
    ],
);

pub(crate) static CORE_V1_SECRET_PROJECTION: Message = Message::new(
    "core/v1.SecretProjection",
    &[
        inline(1, &CORE_V1_LOCAL_OBJECT_REFERENCE),
        omitempty(2, "items", Slice(Msg(&CORE_V1_KEY_TO_PATH))),
        omitempty(4, "optional", Pointer(Bool)),
    ],
);

pub(crate) static CORE_V1_SECRET_VOLUME_SOURCE: Message = Message::new(
    "core/v1.SecretVolumeSource",
    &[
        omitempty(1, "secretName", Value(Str)),
        omitempty(2, "items", Slice(Msg(&CORE_V1_KEY_TO_PATH))),
        omitempty(3, "defaultMode", Pointer(Int32)),
        omitempty(4, "optional", Pointer(Bool)),
    ],
);

pub(crate) static CORE_V1_SECURITY_CONTEXT: Message = Message::new(
    "core/v1.SecurityContext",
    &[
        omitempty(1, "capabilities", Pointer(Msg(&CORE_V1_CAPABILITIES))),
        omitempty(2, "privileged", Pointer(Bool)),
        omitempty(3, "seLinuxOptions", Pointer(Msg(&CORE_V1_SE_LINUX_OPTIONS))),
        omitempty(
            10,
            "windowsOptions",
            Pointer(Msg(&CORE_V1_WINDOWS_SECURITY_CONTEXT_OPTIONS)),
        ),
        omitempty(4, "runAsUser", Pointer(Int64)),
        omitempty(8, "runAsGroup", Pointer(Int64)),
        omitempty(5, "runAsNonRoot", Pointer(Bool)),
        omitempty(6, "readOnlyRootFilesystem", Pointer(Bool)),
        omitempty(7, "allowPrivilegeEscalation", Pointer(Bool)),
        omitempty(9, "procMount", Pointer(Str)),
        omitempty(11, "seccompProfile", Pointer(Msg(&CORE_V1_SECCOMP_PROFILE))),
        omitempty(
            12,
            "appArmorProfile",
            Pointer(Msg(&CORE_V1_APP_ARMOR_PROFILE)),
        ),
    ],
);

pub(crate) static CORE_V1_SERVICE: Message = Message::new(
    "core/v1.Service",
    &[
        TYPE_META,
        omitempty(1, "metadata", Value(Msg(&META_V1_OBJECT_META))),
        omitempty(2, "spec", Value(Msg(&CORE_V1_SERVICE_SPEC))),
        omitempty(3, "status", Value(Msg(&CORE_V1_SERVICE_STATUS))),
    ],
);

pub(crate) static CORE_V1_SERVICE_ACCOUNT: Message = Message::new(
    "core/v1.ServiceAccount",
    &[
        TYPE_META,
        omitempty(1, "metadata", Value(Msg(&META_V1_OBJECT_META))),
        omitempty(2, "secrets", Slice(Msg(&CORE_V1_OBJECT_REFERENCE))),
        omitempty(
            3,
            "imagePullSecrets",
            Slice(Msg(&CORE_V1_LOCAL_OBJECT_REFERENCE)),
        ),
        omitempty(4, "automountServiceAccountToken", Pointer(Bool)),
    ],
);

pub(crate) static CORE_V1_SERVICE_ACCOUNT_TOKEN_PROJECTION: Message = Message::new(
    "core/v1.ServiceAccountTokenProjection",
    &[
        omitempty(1, "audience", Value(Str)),
        omitempty(2, "expirationSeconds", Pointer(Int64)),
        always(3, "path", Value(Str)),
    ],
);

pub(crate) static CORE_V1_SERVICE_PORT: Message = Message::new(
    "core/v1.ServicePort",
    &[
        omitempty(1, "name", Value(Str)),
        omitempty(2, "protocol", Value(Str)),
        omitempty(6, "appProtocol", Pointer(Str)),
        always(3, "port", Value(Int32)),
        omitempty(4, "targetPort", Value(IntOrString)),
        omitempty(5, "nodePort", Value(Int32)),
    ],
);

pub(crate) static CORE_V1_SERVICE_SPEC: Message = Message::new(
    "core/v1.ServiceSpec",
    &[
        omitempty(1, "ports", Slice(Msg(&CORE_V1_SERVICE_PORT))),
        omitempty(2, "selector", Map(Str)),
        omitempty(3, "clusterIP", Value(Str)),
        omitempty(18, "clusterIPs", Slice(Str)),
        omitempty(4, "type", Value(Str)),
        omitempty(5, "externalIPs", Slice(Str)),
        omitempty(7, "sessionAffinity", Value(Str)),
        omitempty(8, "loadBalancerIP", Value(Str)),
        omitempty(9, "loadBalancerSourceRanges", Slice(Str)),
        omitempty(10, "externalName", Value(Str)),
        omitempty(11, "externalTrafficPolicy", Value(Str)),
        omitempty(12, "healthCheckNodePort", Value(Int32)),
        omitempty(13, "publishNotReadyAddresses", Value(Bool)),
        omitempty(
            14,
            "sessionAffinityConfig",
            Pointer(Msg(&CORE_V1_SESSION_AFFINITY_CONFIG)),
        ),
        omitempty(19, "ipFamilies", Slice(Str)),
        omitempty(17, "ipFamilyPolicy", Pointer(Str)),
        omitempty(20, "allocateLoadBalancerNodePorts", Pointer(Bool)),
        omitempty(21, "loadBalancerClass", Pointer(Str)),
        omitempty(22, "internalTrafficPolicy", Pointer(Str)),
        omitempty(23, "trafficDistribution", Pointer(Str)),
    ],
);

pub(crate) static CORE_V1_SERVICE_STATUS: Message = Message::new(
    "core/v1.ServiceStatus",
    &[
        omitempty(1, "loadBalancer", Value(Msg(&CORE_V1_LOAD_BALANCER_STATUS))),
        omitempty(2, "conditions", Slice(Msg(&META_V1_CONDITION))),
    ],
);

pub(crate) static CORE_V1_SESSION_AFFINITY_CONFIG: Message = Message::new(
    "core/v1.SessionAffinityConfig",
    &[omitempty(
        1,
        "clientIP",
        Pointer(Msg(&CORE_V1_CLIENT_IP_CONFIG)),
    )],
);

pub(crate) static CORE_V1_SLEEP_ACTION: Message =
    Message::new("core/v1.SleepAction", &[always(1, "seconds", Value(Int64))]);

pub(crate) static CORE_V1_STORAGE_OS_VOLUME_SOURCE: Message = Message::new(
    "core/v1.StorageOSVolumeSource",
    &[
        omitempty(1, "volumeName", Value(Str)),
        omitempty(2, "volumeNamespace", Value(Str)),
        omitempty(3, "fsType", Value(Str)),
        omitempty(4, "readOnly", Value(Bool)),
        omitempty(
            5,
            "secretRef",
            Pointer(Msg(&CORE_V1_LOCAL_OBJECT_REFERENCE)),
        ),
    ],
);

pub(crate) static CORE_V1_SYSCTL: Message = Message::new(
    "core/v1.Sysctl",
    &[
        always(1, "name", Value(Str)),
        always(2, "value", Value(Str)),
    ],
);

pub(crate) static CORE_V1_TCP_SOCKET_ACTION: Message = Message::new(
    "core/v1.TCPSocketAction",
    &[
        always(1, "port", Value(IntOrString)),
        omitempty(2, "host", Value(Str)),
    ],
);

pub(crate) static CORE_V1_TAINT: Message = Message::new(
    "core/v1.Taint",
    &[
        always(1, "key", Value(Str)),
        omitempty(2, "value", Value(Str)),
        always(3, "effect", Value(Str)),
        omitempty(4, "timeAdded", Pointer(Time)),
    ],
);

pub(crate) static CORE_V1_TOLERATION: Message = Message::new(
    "core/v1.Toleration",
    &[
        omitempty(1, "key", Value(Str)),
        omitempty(2, "operator", Value(Str)),
        omitempty(3, "value", Value(Str)),
        omitempty(4, "effect", Value(Str)),
        omitempty(5, "tolerationSeconds", Pointer(Int64)),
    ],
);

pub(crate) static CORE_V1_TOPOLOGY_SPREAD_CONSTRAINT: Message = Message::new(
    "core/v1.TopologySpreadConstraint",
    &[
        always(1, "maxSkew", Value(Int32)),
        always(2, "topologyKey", Value(Str)),
        always(3, "whenUnsatisfiable", Value(Str)),
        omitempty(4, "labelSelector", Pointer(Msg(&META_V1_LABEL_SELECTOR))),
        omitempty(5, "minDomains", Pointer(Int32)),
        omitempty(6, "nodeAffinityPolicy", Pointer(Str)),
        omitempty(7, "nodeTaintsPolicy", Pointer(Str)),
        omitempty(8, "matchLabelKeys", Slice(Str)),
    ],
);

pub(crate) static CORE_V1_TYPED_LOCAL_OBJECT_REFERENCE: Message = Message::new(
    "core/v1.TypedLocalObjectReference",
    &[
        always(1, "apiGroup", Pointer(Str)),
        always(2, "kind", Value(Str)),
        always(3, "name", Value(Str)),
    ],
);

pub(crate) static CORE_V1_TYPED_OBJECT_REFERENCE: Message = Message::new(
    "core/v1.TypedObjectReference",
    &[
        always(1, "apiGroup", Pointer(Str)),
        always(2, "kind", Value(Str)),
        always(3, "name", Value(Str)),
        omitempty(4, "namespace", Pointer(Str)),
    ],
);

pub(crate) static CORE_V1_VOLUME: Message = Message::new(
    "core/v1.Volume",
    &[
        always(1, "name", Value(Str)),
        inline(2, &CORE_V1_VOLUME_SOURCE),
    ],
);

pub(crate) static CORE_V1_VOLUME_DEVICE: Message = Message::new(
    "core/v1.VolumeDevice",
    &[
        always(1, "name", Value(Str)),
        always(2, "devicePath", Value(Str)),
    ],
);

pub(crate) static CORE_V1_VOLUME_MOUNT: Message = Message::new(
    "core/v1.VolumeMount",
    &[
        always(1, "name", Value(Str)),
        omitempty(2, "readOnly", Value(Bool)),
        omitempty(7, "recursiveReadOnly", Pointer(Str)),
        always(3, "mountPath", Value(Str)),
        omitempty(4, "subPath", Value(Str)),
        omitempty(5, "mountPropagation", Pointer(Str)),
        omitempty(6, "subPathExpr", Value(Str)),
    ],
);

pub(crate) static CORE_V1_VOLUME_MOUNT_STATUS: Message = Message::new(
    "core/v1.VolumeMountStatus",
    &[
        always(1, "name", Value(Str)),
        always(2, "mountPath", Value(Str)),
        omitempty(3, "readOnly", Value(Bool)),
        omitempty(4, "recursiveReadOnly", Pointer(Str)),
    ],
);

pub(crate) static CORE_V1_VOLUME_PROJECTION: Message = Message::new(
    "core/v1.VolumeProjection",
    &[
        omitempty(1, "secret", Pointer(Msg(&CORE_V1_SECRET_PROJECTION))),
        omitempty(
            2,
            "downwardAPI",
            Pointer(Msg(&CORE_V1_DOWNWARD_API_PROJECTION)),
        ),
        omitempty(3, "configMap", Pointer(Msg(&CORE_V1_CONFIG_MAP_PROJECTION))),
        omitempty(
            4,
            "serviceAccountToken",
            Pointer(Msg(&CORE_V1_SERVICE_ACCOUNT_TOKEN_PROJECTION)),
        ),
        omitempty(
            5,
            "clusterTrustBundle",
            Pointer(Msg(&CORE_V1_CLUSTER_TRUST_BUNDLE_PROJECTION)),
        ),
    ],
);

pub(crate) static CORE_V1_VOLUME_RESOURCE_REQUIREMENTS: Message = Message::new(
    "core/v1.VolumeResourceRequirements",
    &[
        omitempty(1, "limits", Map(Quantity)),
        omitempty(2, "requests", Map(Quantity)),
    ],
);

pub(crate) static CORE_V1_VOLUME_SOURCE: Message = Message::new(
    "core/v1.VolumeSource",
    &[
        omitempty(
            1,
            "hostPath",
            Pointer(Msg(&CORE_V1_HOST_PATH_VOLUME_SOURCE)),
        ),
        omitempty(
            2,
            "emptyDir",
            Pointer(Msg(&CORE_V1_EMPTY_DIR_VOLUME_SOURCE)),
        ),
        omitempty(
            3,
            "gcePersistentDisk",
            Pointer(Msg(&CORE_V1_GCE_PERSISTENT_DISK_VOLUME_SOURCE)),
        ),
        omitempty(
            4,
            "awsElasticBlockStore",
            Pointer(Msg(&CORE_V1_AWS_ELASTIC_BLOCK_STORE_VOLUME_SOURCE)),
        ),
        omitempty(5, "gitRepo", Pointer(Msg(&CORE_V1_GIT_REPO_VOLUME_SOURCE))),
        omitempty(6, "secret", Pointer(Msg(&CORE_V1_SECRET_VOLUME_SOURCE))),
        omitempty(7, "nfs", Pointer(Msg(&CORE_V1_NFS_VOLUME_SOURCE))),
        omitempty(8, "iscsi", Pointer(Msg(&CORE_V1_ISCSI_VOLUME_SOURCE))),
        omitempty(
            9,
            "glusterfs",
            Pointer(Msg(&CORE_V1_GLUSTERFS_VOLUME_SOURCE)),
        ),
        omitempty(
            10,
            "persistentVolumeClaim",
            Pointer(Msg(&CORE_V1_PERSISTENT_VOLUME_CLAIM_VOLUME_SOURCE)),
        ),
        omitempty(11, "rbd", Pointer(Msg(&CORE_V1_RBD_VOLUME_SOURCE))),
        omitempty(12, "flexVolume", Pointer(Msg(&CORE_V1_FLEX_VOLUME_SOURCE))),
        omitempty(13, "cinder", Pointer(Msg(&CORE_V1_CINDER_VOLUME_SOURCE))),
        omitempty(14, "cephfs", Pointer(Msg(&CORE_V1_CEPH_FS_VOLUME_SOURCE))),
        omitempty(15, "flocker", Pointer(Msg(&CORE_V1_FLOCKER_VOLUME_SOURCE))),
        omitempty(
            16,
            "downwardAPI",
            Pointer(Msg(&CORE_V1_DOWNWARD_API_VOLUME_SOURCE)),
        ),
        omitempty(17, "fc", Pointer(Msg(&CORE_V1_FC_VOLUME_SOURCE))),
        omitempty(
            18,
            "azureFile",
            Pointer(Msg(&CORE_V1_AZURE_FILE_VOLUME_SOURCE)),
        ),
        omitempty(
            19,
            "configMap",
            Pointer(Msg(&CORE_V1_CONFIG_MAP_VOLUME_SOURCE)),
        ),
        omitempty(
            20,
            "vsphereVolume",
            Pointer(Msg(&CORE_V1_VSPHERE_VIRTUAL_DISK_VOLUME_SOURCE)),
        ),
        omitempty(21, "quobyte", Pointer(Msg(&CORE_V1_QUOBYTE_VOLUME_SOURCE))),
        omitempty(
            22,
            "azureDisk",
            Pointer(Msg(&CORE_V1_AZURE_DISK_VOLUME_SOURCE)),
        ),
        omitempty(
            23,
            "photonPersistentDisk",
            Pointer(Msg(&CORE_V1_PHOTON_PERSISTENT_DISK_VOLUME_SOURCE)),
        ),
        omitempty(
            26,
            "projected",
            Pointer(Msg(&CORE_V1_PROJECTED_VOLUME_SOURCE)),
        ),
        omitempty(
            24,
            "portworxVolume",
            Pointer(Msg(&CORE_V1_PORTWORX_VOLUME_SOURCE)),
        ),
        omitempty(25, "scaleIO", Pointer(Msg(&CORE_V1_SCALE_IO_VOLUME_SOURCE))),
        omitempty(
            27,
            "storageos",
            Pointer(Msg(&CORE_V1_STORAGE_OS_VOLUME_SOURCE)),
        ),
        omitempty(28, "csi", Pointer(Msg(&CORE_V1_CSI_VOLUME_SOURCE))),
        omitempty(
            29,
            "ephemeral",
            Pointer(Msg(&CORE_V1_EPHEMERAL_VOLUME_SOURCE)),
        ),
        omitempty(30, "image", Pointer(Msg(&CORE_V1_IMAGE_VOLUME_SOURCE))),
    ],
);

pub(crate) static CORE_V1_VSPHERE_VIRTUAL_DISK_VOLUME_SOURCE: Message = Message::new(
    "core/v1.VsphereVirtualDiskVolumeSource",
    &[
        always(1, "volumePath", Value(Str)),
        omitempty(2, "fsType", Value(Str)),
        omitempty(3, "storagePolicyName", Value(Str)),
        omitempty(4, "storagePolicyID", Value(Str)),
    ],
);

pub(crate) static CORE_V1_WEIGHTED_POD_AFFINITY_TERM: Message = Message::new(
    "core/v1.WeightedPodAffinityTerm",
    &[
        always(1, "weight", Value(Int32)),
        always(2, "podAffinityTerm", Value(Msg(&CORE_V1_POD_AFFINITY_TERM))),
    ],
);

pub(crate) static CORE_V1_WINDOWS_SECURITY_CONTEXT_OPTIONS: Message = Message::new(
    "core/v1.WindowsSecurityContextOptions",
    &[
        omitempty(1, "gmsaCredentialSpecName", Pointer(Str)),
        omitempty(2, "gmsaCredentialSpec", Pointer(Str)),
        omitempty(3, "runAsUserName", Pointer(Str)),
        omitempty(4, "hostProcess", Pointer(Bool)),
    ],
);
