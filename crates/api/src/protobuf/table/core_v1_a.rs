//! Generated field table: core/v1, structs AWSElasticBlockStoreVolumeSource to ImageVolumeSource.
//! Each static lists one Go struct's fields in declaration order (also the JSON order); the
//! parent module says how the table was produced. Regenerate rather than edit by hand.

use super::*;

pub(crate) static CORE_V1_AWS_ELASTIC_BLOCK_STORE_VOLUME_SOURCE: Message = Message::new(
    "core/v1.AWSElasticBlockStoreVolumeSource",
    &[
        always(1, "volumeID", Value(Str)),
        omitempty(2, "fsType", Value(Str)),
        omitempty(3, "partition", Value(Int32)),
        omitempty(4, "readOnly", Value(Bool)),
    ],
);

pub(crate) static CORE_V1_AFFINITY: Message = Message::new(
    "core/v1.Affinity",
    &[
        omitempty(1, "nodeAffinity", Pointer(Msg(&CORE_V1_NODE_AFFINITY))),
        omitempty(2, "podAffinity", Pointer(Msg(&CORE_V1_POD_AFFINITY))),
        omitempty(
            3,
            "podAntiAffinity",
            Pointer(Msg(&CORE_V1_POD_ANTI_AFFINITY)),
        ),
    ],
);

pub(crate) static CORE_V1_APP_ARMOR_PROFILE: Message = Message::new(
    "core/v1.AppArmorProfile",
    &[
        always(1, "type", Value(Str)),
        omitempty(2, "localhostProfile", Pointer(Str)),
    ],
);

pub(crate) static CORE_V1_ATTACHED_VOLUME: Message = Message::new(
    "core/v1.AttachedVolume",
    &[
        always(1, "name", Value(Str)),
        always(2, "devicePath", Value(Str)),
    ],
);

pub(crate) static CORE_V1_AZURE_DISK_VOLUME_SOURCE: Message = Message::new(
    "core/v1.AzureDiskVolumeSource",
    &[
        always(1, "diskName", Value(Str)),
        always(2, "diskURI", Value(Str)),
        omitempty(3, "cachingMode", Pointer(Str)),
        omitempty(4, "fsType", Pointer(Str)),
        omitempty(5, "readOnly", Pointer(Bool)),
        omitempty(6, "kind", Pointer(Str)),
    ],
);

pub(crate) static CORE_V1_AZURE_FILE_VOLUME_SOURCE: Message = Message::new(
    "core/v1.AzureFileVolumeSource",
    &[
        always(1, "secretName", Value(Str)),
        always(2, "shareName", Value(Str)),
        omitempty(3, "readOnly", Value(Bool)),
    ],
);

pub(crate) static CORE_V1_BINDING: Message = Message::new(
    "core/v1.Binding",
    &[
        TYPE_META,
        omitempty(1, "metadata", Value(Msg(&META_V1_OBJECT_META))),
        always(2, "target", Value(Msg(&CORE_V1_OBJECT_REFERENCE))),
    ],
);

pub(crate) static CORE_V1_CSI_VOLUME_SOURCE: Message = Message::new(
    "core/v1.CSIVolumeSource",
    &[
        always(1, "driver", Value(Str)),
        omitempty(2, "readOnly", Pointer(Bool)),
        omitempty(3, "fsType", Pointer(Str)),
        omitempty(4, "volumeAttributes", Map(Str)),
        omitempty(
            5,
            "nodePublishSecretRef",
            Pointer(Msg(&CORE_V1_LOCAL_OBJECT_REFERENCE)),
        ),
    ],
);

pub(crate) static CORE_V1_CAPABILITIES: Message = Message::new(
    "core/v1.Capabilities",
    &[
        omitempty(1, "add", Slice(Str)),
        omitempty(2, "drop", Slice(Str)),
    ],
);

pub(crate) static CORE_V1_CEPH_FS_VOLUME_SOURCE: Message = Message::new(
    "core/v1.CephFSVolumeSource",
    &[
        always(1, "monitors", Slice(Str)),
        omitempty(2, "path", Value(Str)),
        omitempty(3, "user", Value(Str)),
        omitempty(4, "secretFile", Value(Str)),
        omitempty(
            5,
            "secretRef",
            Pointer(Msg(&CORE_V1_LOCAL_OBJECT_REFERENCE)),
        ),
        omitempty(6, "readOnly", Value(Bool)),
    ],
);

pub(crate) static CORE_V1_CINDER_VOLUME_SOURCE: Message = Message::new(
    "core/v1.CinderVolumeSource",
    &[
        always(1, "volumeID", Value(Str)),
        omitempty(2, "fsType", Value(Str)),
        omitempty(3, "readOnly", Value(Bool)),
        omitempty(
            4,
            "secretRef",
            Pointer(Msg(&CORE_V1_LOCAL_OBJECT_REFERENCE)),
        ),
    ],
);

pub(crate) static CORE_V1_CLIENT_IP_CONFIG: Message = Message::new(
    "core/v1.ClientIPConfig",
    &[omitempty(1, "timeoutSeconds", Pointer(Int32))],
);

pub(crate) static CORE_V1_CLUSTER_TRUST_BUNDLE_PROJECTION: Message = Message::new(
    "core/v1.ClusterTrustBundleProjection",
    &[
        omitempty(1, "name", Pointer(Str)),
        omitempty(2, "signerName", Pointer(Str)),
        omitempty(3, "labelSelector", Pointer(Msg(&META_V1_LABEL_SELECTOR))),
        omitempty(5, "optional", Pointer(Bool)),
        always(4, "path", Value(Str)),
    ],
);

pub(crate) static CORE_V1_CONFIG_MAP: Message = Message::new(
    "core/v1.ConfigMap",
    &[
        TYPE_META,
        omitempty(1, "metadata", Value(Msg(&META_V1_OBJECT_META))),
        omitempty(4, "immutable", Pointer(Bool)),
        omitempty(2, "data", Map(Str)),
        omitempty(3, "binaryData", Map(Bytes)),
    ],
);

pub(crate) static CORE_V1_CONFIG_MAP_ENV_SOURCE: Message = Message::new(
    "core/v1.ConfigMapEnvSource",
    &[
        inline(1, &CORE_V1_LOCAL_OBJECT_REFERENCE),
        omitempty(2, "optional", Pointer(Bool)),
    ],
);

pub(crate) static CORE_V1_CONFIG_MAP_KEY_SELECTOR: Message = Message::new(
    "core/v1.ConfigMapKeySelector",
    &[
        inline(1, &CORE_V1_LOCAL_OBJECT_REFERENCE),
        always(2, "key", Value(Str)),
        omitempty(3, "optional", Pointer(Bool)),
    ],
);

pub(crate) static CORE_V1_CONFIG_MAP_NODE_CONFIG_SOURCE: Message = Message::new(
    "core/v1.ConfigMapNodeConfigSource",
    &[
        always(1, "namespace", Value(Str)),
        always(2, "name", Value(Str)),
        omitempty(3, "uid", Value(Str)),
        omitempty(4, "resourceVersion", Value(Str)),
        always(5, "kubeletConfigKey", Value(Str)),
    ],
);

pub(crate) static CORE_V1_CONFIG_MAP_PROJECTION: Message = Message::new(
    "core/v1.ConfigMapProjection",
    &[
        inline(1, &CORE_V1_LOCAL_OBJECT_REFERENCE),
        omitempty(2, "items", Slice(Msg(&CORE_V1_KEY_TO_PATH))),
        omitempty(4, "optional", Pointer(Bool)),
    ],
);

pub(crate) static CORE_V1_CONFIG_MAP_VOLUME_SOURCE: Message = Message::new(
    "core/v1.ConfigMapVolumeSource",
    &[
        inline(1, &CORE_V1_LOCAL_OBJECT_REFERENCE),
        omitempty(2, "items", Slice(Msg(&CORE_V1_KEY_TO_PATH))),
        omitempty(3, "defaultMode", Pointer(Int32)),
        omitempty(4, "optional", Pointer(Bool)),
    ],
);

pub(crate) static CORE_V1_CONTAINER: Message = Message::new(
    "core/v1.Container",
    &[
        always(1, "name", Value(Str)),
        omitempty(2, "image", Value(Str)),
        omitempty(3, "command", Slice(Str)),
        omitempty(4, "args", Slice(Str)),
        omitempty(5, "workingDir", Value(Str)),
        omitempty(6, "ports", Slice(Msg(&CORE_V1_CONTAINER_PORT))),
        omitempty(19, "envFrom", Slice(Msg(&CORE_V1_ENV_FROM_SOURCE))),
        omitempty(7, "env", Slice(Msg(&CORE_V1_ENV_VAR))),
        omitempty(8, "resources", Value(Msg(&CORE_V1_RESOURCE_REQUIREMENTS))),
        omitempty(
            23,
            "resizePolicy",
            Slice(Msg(&CORE_V1_CONTAINER_RESIZE_POLICY)),
        ),
        omitempty(24, "restartPolicy", Pointer(Str)),
        omitempty(9, "volumeMounts", Slice(Msg(&CORE_V1_VOLUME_MOUNT))),
        omitempty(21, "volumeDevices", Slice(Msg(&CORE_V1_VOLUME_DEVICE))),
        omitempty(10, "livenessProbe", Pointer(Msg(&CORE_V1_PROBE))),
        omitempty(11, "readinessProbe", Pointer(Msg(&CORE_V1_PROBE))),
        omitempty(22, "startupProbe", Pointer(Msg(&CORE_V1_PROBE))),
        omitempty(12, "lifecycle", Pointer(Msg(&CORE_V1_LIFECYCLE))),
        omitempty(13, "terminationMessagePath", Value(Str)),
        omitempty(20, "terminationMessagePolicy", Value(Str)),
        omitempty(14, "imagePullPolicy", Value(Str)),
        omitempty(
            15,
            "securityContext",
            Pointer(Msg(&CORE_V1_SECURITY_CONTEXT)),
        ),
        omitempty(16, "stdin", Value(Bool)),
        omitempty(17, "stdinOnce", Value(Bool)),
        omitempty(18, "tty", Value(Bool)),
    ],
);

pub(crate) static CORE_V1_CONTAINER_IMAGE: Message = Message::new(
    "core/v1.ContainerImage",
    &[
        always(1, "names", Slice(Str)),
        omitempty(2, "sizeBytes", Value(Int64)),
    ],
);

pub(crate) static CORE_V1_CONTAINER_PORT: Message = Message::new(
    "core/v1.ContainerPort",
    &[
        omitempty(1, "name", Value(Str)),
        omitempty(2, "hostPort", Value(Int32)),
        always(3, "containerPort", Value(Int32)),
        omitempty(4, "protocol", Value(Str)),
        omitempty(5, "hostIP", Value(Str)),
    ],
);

pub(crate) static CORE_V1_CONTAINER_RESIZE_POLICY: Message = Message::new(
    "core/v1.ContainerResizePolicy",
    &[
        always(1, "resourceName", Value(Str)),
        always(2, "restartPolicy", Value(Str)),
    ],
);

pub(crate) static CORE_V1_CONTAINER_STATE: Message = Message::new(
    "core/v1.ContainerState",
    &[
        omitempty(1, "waiting", Pointer(Msg(&CORE_V1_CONTAINER_STATE_WAITING))),
        omitempty(2, "running", Pointer(Msg(&CORE_V1_CONTAINER_STATE_RUNNING))),
        omitempty(
            3,
            "terminated",
            Pointer(Msg(&CORE_V1_CONTAINER_STATE_TERMINATED)),
        ),
    ],
);

pub(crate) static CORE_V1_CONTAINER_STATE_RUNNING: Message = Message::new(
    "core/v1.ContainerStateRunning",
    &[omitempty(1, "startedAt", Value(Time))],
);

pub(crate) static CORE_V1_CONTAINER_STATE_TERMINATED: Message = Message::new(
    "core/v1.ContainerStateTerminated",
    &[
        always(1, "exitCode", Value(Int32)),
        omitempty(2, "signal", Value(Int32)),
        omitempty(3, "reason", Value(Str)),
        omitempty(4, "message", Value(Str)),
        omitempty(5, "startedAt", Value(Time)),
        omitempty(6, "finishedAt", Value(Time)),
        omitempty(7, "containerID", Value(Str)),
    ],
);

pub(crate) static CORE_V1_CONTAINER_STATE_WAITING: Message = Message::new(
    "core/v1.ContainerStateWaiting",
    &[
        omitempty(1, "reason", Value(Str)),
        omitempty(2, "message", Value(Str)),
    ],
);

pub(crate) static CORE_V1_CONTAINER_STATUS: Message = Message::new(
    "core/v1.ContainerStatus",
    &[
        always(1, "name", Value(Str)),
        omitempty(2, "state", Value(Msg(&CORE_V1_CONTAINER_STATE))),
        omitempty(3, "lastState", Value(Msg(&CORE_V1_CONTAINER_STATE))),
        always(4, "ready", Value(Bool)),
        always(5, "restartCount", Value(Int32)),
        always(6, "image", Value(Str)),
        always(7, "imageID", Value(Str)),
        omitempty(8, "containerID", Value(Str)),
        omitempty(9, "started", Pointer(Bool)),
        omitempty(10, "allocatedResources", Map(Quantity)),
        omitempty(
            11,
            "resources",
            Pointer(Msg(&CORE_V1_RESOURCE_REQUIREMENTS)),
        ),
        omitempty(12, "volumeMounts", Slice(Msg(&CORE_V1_VOLUME_MOUNT_STATUS))),
        omitempty(13, "user", Pointer(Msg(&CORE_V1_CONTAINER_USER))),
        omitempty(
            14,
            "allocatedResourcesStatus",
            Slice(Msg(&CORE_V1_RESOURCE_STATUS)),
        ),
        omitempty(15, "stopSignal", Pointer(Str)),
    ],
);

pub(crate) static CORE_V1_CONTAINER_USER: Message = Message::new(
    "core/v1.ContainerUser",
    &[omitempty(
        1,
        "linux",
        Pointer(Msg(&CORE_V1_LINUX_CONTAINER_USER)),
    )],
);

pub(crate) static CORE_V1_DAEMON_ENDPOINT: Message =
    Message::new("core/v1.DaemonEndpoint", &[always(1, "Port", Value(Int32))]);

pub(crate) static CORE_V1_DOWNWARD_API_PROJECTION: Message = Message::new(
    "core/v1.DownwardAPIProjection",
    &[omitempty(
        1,
        "items",
        Slice(Msg(&CORE_V1_DOWNWARD_API_VOLUME_FILE)),
    )],
);

pub(crate) static CORE_V1_DOWNWARD_API_VOLUME_FILE: Message = Message::new(
    "core/v1.DownwardAPIVolumeFile",
    &[
        always(1, "path", Value(Str)),
        omitempty(2, "fieldRef", Pointer(Msg(&CORE_V1_OBJECT_FIELD_SELECTOR))),
        omitempty(
            3,
            "resourceFieldRef",
            Pointer(Msg(&CORE_V1_RESOURCE_FIELD_SELECTOR)),
        ),
        omitempty(4, "mode", Pointer(Int32)),
    ],
);

pub(crate) static CORE_V1_DOWNWARD_API_VOLUME_SOURCE: Message = Message::new(
    "core/v1.DownwardAPIVolumeSource",
    &[
        omitempty(1, "items", Slice(Msg(&CORE_V1_DOWNWARD_API_VOLUME_FILE))),
        omitempty(2, "defaultMode", Pointer(Int32)),
    ],
);

pub(crate) static CORE_V1_EMPTY_DIR_VOLUME_SOURCE: Message = Message::new(
    "core/v1.EmptyDirVolumeSource",
    &[
        omitempty(1, "medium", Value(Str)),
        omitempty(2, "sizeLimit", Pointer(Quantity)),
    ],
);

pub(crate) static CORE_V1_ENV_FROM_SOURCE: Message = Message::new(
    "core/v1.EnvFromSource",
    &[
        omitempty(1, "prefix", Value(Str)),
        omitempty(
            2,
            "configMapRef",
            Pointer(Msg(&CORE_V1_CONFIG_MAP_ENV_SOURCE)),
        ),
        omitempty(3, "secretRef", Pointer(Msg(&CORE_V1_SECRET_ENV_SOURCE))),
    ],
);

pub(crate) static CORE_V1_ENV_VAR: Message = Message::new(
    "core/v1.EnvVar",
    &[
        always(1, "name", Value(Str)),
        omitempty(2, "value", Value(Str)),
        omitempty(3, "valueFrom", Pointer(Msg(&CORE_V1_ENV_VAR_SOURCE))),
    ],
);

pub(crate) static CORE_V1_ENV_VAR_SOURCE: Message = Message::new(
    "core/v1.EnvVarSource",
    &[
        omitempty(1, "fieldRef", Pointer(Msg(&CORE_V1_OBJECT_FIELD_SELECTOR))),
        omitempty(
            2,
            "resourceFieldRef",
            Pointer(Msg(&CORE_V1_RESOURCE_FIELD_SELECTOR)),
        ),
        omitempty(
            3,
            "configMapKeyRef",
            Pointer(Msg(&CORE_V1_CONFIG_MAP_KEY_SELECTOR)),
        ),
        omitempty(
            4,
            "secretKeyRef",
            Pointer(Msg(&CORE_V1_SECRET_KEY_SELECTOR)),
        ),
    ],
);

pub(crate) static CORE_V1_EPHEMERAL_CONTAINER: Message = Message::new(
    "core/v1.EphemeralContainer",
    &[
        inline(1, &CORE_V1_EPHEMERAL_CONTAINER_COMMON),
        omitempty(2, "targetContainerName", Value(Str)),
    ],
);

pub(crate) static CORE_V1_EPHEMERAL_CONTAINER_COMMON: Message = Message::new(
    "core/v1.EphemeralContainerCommon",
    &[
        always(1, "name", Value(Str)),
        omitempty(2, "image", Value(Str)),
        omitempty(3, "command", Slice(Str)),
        omitempty(4, "args", Slice(Str)),
        omitempty(5, "workingDir", Value(Str)),
        omitempty(6, "ports", Slice(Msg(&CORE_V1_CONTAINER_PORT))),
        omitempty(19, "envFrom", Slice(Msg(&CORE_V1_ENV_FROM_SOURCE))),
        omitempty(7, "env", Slice(Msg(&CORE_V1_ENV_VAR))),
        omitempty(8, "resources", Value(Msg(&CORE_V1_RESOURCE_REQUIREMENTS))),
        omitempty(
            23,
            "resizePolicy",
            Slice(Msg(&CORE_V1_CONTAINER_RESIZE_POLICY)),
        ),
        omitempty(24, "restartPolicy", Pointer(Str)),
        omitempty(9, "volumeMounts", Slice(Msg(&CORE_V1_VOLUME_MOUNT))),
        omitempty(21, "volumeDevices", Slice(Msg(&CORE_V1_VOLUME_DEVICE))),
        omitempty(10, "livenessProbe", Pointer(Msg(&CORE_V1_PROBE))),
        omitempty(11, "readinessProbe", Pointer(Msg(&CORE_V1_PROBE))),
        omitempty(22, "startupProbe", Pointer(Msg(&CORE_V1_PROBE))),
        omitempty(12, "lifecycle", Pointer(Msg(&CORE_V1_LIFECYCLE))),
        omitempty(13, "terminationMessagePath", Value(Str)),
        omitempty(20, "terminationMessagePolicy", Value(Str)),
        omitempty(14, "imagePullPolicy", Value(Str)),
        omitempty(
            15,
            "securityContext",
            Pointer(Msg(&CORE_V1_SECURITY_CONTEXT)),
        ),
        omitempty(16, "stdin", Value(Bool)),
        omitempty(17, "stdinOnce", Value(Bool)),
        omitempty(18, "tty", Value(Bool)),
    ],
);

pub(crate) static CORE_V1_EPHEMERAL_VOLUME_SOURCE: Message = Message::new(
    "core/v1.EphemeralVolumeSource",
    &[omitempty(
        1,
        "volumeClaimTemplate",
        Pointer(Msg(&CORE_V1_PERSISTENT_VOLUME_CLAIM_TEMPLATE)),
    )],
);

pub(crate) static CORE_V1_EVENT: Message = Message::new(
    "core/v1.Event",
    &[
        TYPE_META,
        always(1, "metadata", Value(Msg(&META_V1_OBJECT_META))),
        always(2, "involvedObject", Value(Msg(&CORE_V1_OBJECT_REFERENCE))),
        omitempty(3, "reason", Value(Str)),
        omitempty(4, "message", Value(Str)),
        omitempty(5, "source", Value(Msg(&CORE_V1_EVENT_SOURCE))),
        omitempty(6, "firstTimestamp", Value(Time)),
        omitempty(7, "lastTimestamp", Value(Time)),
        omitempty(8, "count", Value(Int32)),
        omitempty(9, "type", Value(Str)),
        omitempty(10, "eventTime", Value(MicroTime)),
        omitempty(11, "series", Pointer(Msg(&CORE_V1_EVENT_SERIES))),
        omitempty(12, "action", Value(Str)),
        omitempty(13, "related", Pointer(Msg(&CORE_V1_OBJECT_REFERENCE))),
        always(14, "reportingComponent", Value(Str)),
        always(15, "reportingInstance", Value(Str)),
    ],
);

pub(crate) static CORE_V1_EVENT_SERIES: Message = Message::new(
    "core/v1.EventSeries",
    &[
        omitempty(1, "count", Value(Int32)),
        omitempty(2, "lastObservedTime", Value(MicroTime)),
    ],
);

pub(crate) static CORE_V1_EVENT_SOURCE: Message = Message::new(
    "core/v1.EventSource",
    &[
        omitempty(1, "component", Value(Str)),
        omitempty(2, "host", Value(Str)),
    ],
);

pub(crate) static CORE_V1_EXEC_ACTION: Message =
    Message::new("core/v1.ExecAction", &[omitempty(1, "command", Slice(Str))]);

pub(crate) static CORE_V1_FC_VOLUME_SOURCE: Message = Message::new(
    "core/v1.FCVolumeSource",
    &[
        omitempty(1, "targetWWNs", Slice(Str)),
        omitempty(2, "lun", Pointer(Int32)),
        omitempty(3, "fsType", Value(Str)),
        omitempty(4, "readOnly", Value(Bool)),
        omitempty(5, "wwids", Slice(Str)),
    ],
);

pub(crate) static CORE_V1_FLEX_VOLUME_SOURCE: Message = Message::new(
    "core/v1.FlexVolumeSource",
    &[
        always(1, "driver", Value(Str)),
        omitempty(2, "fsType", Value(Str)),
        omitempty(
            3,
            "secretRef",
            Pointer(Msg(&CORE_V1_LOCAL_OBJECT_REFERENCE)),
        ),
        omitempty(4, "readOnly", Value(Bool)),
        omitempty(5, "options", Map(Str)),
    ],
);

pub(crate) static CORE_V1_FLOCKER_VOLUME_SOURCE: Message = Message::new(
    "core/v1.FlockerVolumeSource",
    &[
        omitempty(1, "datasetName", Value(Str)),
        omitempty(2, "datasetUUID", Value(Str)),
    ],
);

pub(crate) static CORE_V1_GCE_PERSISTENT_DISK_VOLUME_SOURCE: Message = Message::new(
    "core/v1.GCEPersistentDiskVolumeSource",
    &[
        always(1, "pdName", Value(Str)),
        omitempty(2, "fsType", Value(Str)),
        omitempty(3, "partition", Value(Int32)),
        omitempty(4, "readOnly", Value(Bool)),
    ],
);

pub(crate) static CORE_V1_GRPC_ACTION: Message = Message::new(
    "core/v1.GRPCAction",
    &[
        always(1, "port", Value(Int32)),
        always(2, "service", Pointer(Str)),
    ],
);

pub(crate) static CORE_V1_GIT_REPO_VOLUME_SOURCE: Message = Message::new(
    "core/v1.GitRepoVolumeSource",
    &[
        always(1, "repository", Value(Str)),
        omitempty(2, "revision", Value(Str)),
        omitempty(3, "directory", Value(Str)),
    ],
);

pub(crate) static CORE_V1_GLUSTERFS_VOLUME_SOURCE: Message = Message::new(
    "core/v1.GlusterfsVolumeSource",
    &[
        always(1, "endpoints", Value(Str)),
        always(2, "path", Value(Str)),
        omitempty(3, "readOnly", Value(Bool)),
    ],
);

pub(crate) static CORE_V1_HTTP_GET_ACTION: Message = Message::new(
    "core/v1.HTTPGetAction",
    &[
        omitempty(1, "path", Value(Str)),
        always(2, "port", Value(IntOrString)),
        omitempty(3, "host", Value(Str)),
        omitempty(4, "scheme", Value(Str)),
        omitempty(5, "httpHeaders", Slice(Msg(&CORE_V1_HTTP_HEADER))),
    ],
);

pub(crate) static CORE_V1_HTTP_HEADER: Message = Message::new(
    "core/v1.HTTPHeader",
    &[
        always(1, "name", Value(Str)),
        always(2, "value", Value(Str)),
    ],
);

pub(crate) static CORE_V1_HOST_ALIAS: Message = Message::new(
    "core/v1.HostAlias",
    &[
        always(1, "ip", Value(Str)),
        omitempty(2, "hostnames", Slice(Str)),
    ],
);

pub(crate) static CORE_V1_HOST_IP: Message =
    Message::new("core/v1.HostIP", &[always(1, "ip", Value(Str))]);

pub(crate) static CORE_V1_HOST_PATH_VOLUME_SOURCE: Message = Message::new(
    "core/v1.HostPathVolumeSource",
    &[
        always(1, "path", Value(Str)),
        omitempty(2, "type", Pointer(Str)),
    ],
);

pub(crate) static CORE_V1_ISCSI_VOLUME_SOURCE: Message = Message::new(
    "core/v1.ISCSIVolumeSource",
    &[
        always(1, "targetPortal", Value(Str)),
        always(2, "iqn", Value(Str)),
        always(3, "lun", Value(Int32)),
        omitempty(4, "iscsiInterface", Value(Str)),
        omitempty(5, "fsType", Value(Str)),
        omitempty(6, "readOnly", Value(Bool)),
        omitempty(7, "portals", Slice(Str)),
        omitempty(8, "chapAuthDiscovery", Value(Bool)),
        omitempty(11, "chapAuthSession", Value(Bool)),
        omitempty(
            10,
            "secretRef",
            Pointer(Msg(&CORE_V1_LOCAL_OBJECT_REFERENCE)),
        ),
        omitempty(12, "initiatorName", Pointer(Str)),
    ],
);

pub(crate) static CORE_V1_IMAGE_VOLUME_SOURCE: Message = Message::new(
    "core/v1.ImageVolumeSource",
    &[
        omitempty(1, "reference", Value(Str)),
        omitempty(2, "pullPolicy", Value(Str)),
    ],
);
