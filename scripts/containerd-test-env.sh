#!/bin/bash
# Real containers for bosun's tests: builds small OCI images from Debian's busybox-static,
# writes a containerd + CNI configuration under a per-run directory, starts containerd
# there and imports the images into its `k8s.io` namespace (the one the CRI sees).
#
#   scripts/containerd-test-env.sh start RUN_DIR   # prints the CRI socket path when ready
#   scripts/containerd-test-env.sh stop RUN_DIR    # kills containerd, removes its bridge
#   scripts/containerd-test-env.sh images OUT_DIR  # only builds the image archives
#
# Everything (socket, state, CNI config, IP allocations, logs) lives under RUN_DIR, and
# the bridge name and pod subnet are derived from RUN_DIR, so runs never collide.
#
# Images (all amd64, ~1 MB each):
#   bosun.test/web:v1, bosun.test/web:v2  httpd on :8080 serving "web v1"/"web v2" and /healthz
#   bosun.test/slow:v1                    the web server, but /healthz appears only after
#                                         $READY_AFTER seconds (default 6)
#   bosun.test/crash:v1                   prints two lines and exits 3
#   bosun.test/pause:1                    the sandbox ("pause") image: sleeps forever
# Needs: containerd runc containernetworking-plugins busybox-static iptables (Debian).
set -euo pipefail

busybox=${BUSYBOX:-/bin/busybox}

# mkoci LAYER_TAR OUT_DIR IMAGE_NAME CMD_JSON -> OUT_DIR.tar, an OCI image layout archive.
mkoci() {
    local layer=$1 out=$2 name=$3 cmd=$4
    rm -rf "$out"; mkdir -p "$out/blobs/sha256"
    local diffid ld ls cfgd cs md ms
    diffid=$(sha256sum "$layer" | cut -d' ' -f1)
    gzip -n -c "$layer" > "$out/layer.tgz"
    ld=$(sha256sum "$out/layer.tgz" | cut -d' ' -f1); ls=$(stat -c %s "$out/layer.tgz")
    mv "$out/layer.tgz" "$out/blobs/sha256/$ld"
    printf '{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/bin"],"Cmd":%s,"WorkingDir":"/"},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]},"history":[{"created_by":"bosun scripts/containerd-test-env.sh"}]}' \
        "$cmd" "$diffid" > "$out/cfg"
    cfgd=$(sha256sum "$out/cfg" | cut -d' ' -f1); cs=$(stat -c %s "$out/cfg")
    mv "$out/cfg" "$out/blobs/sha256/$cfgd"
    printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s}]}' \
        "$cfgd" "$cs" "$ld" "$ls" > "$out/man"
    md=$(sha256sum "$out/man" | cut -d' ' -f1); ms=$(stat -c %s "$out/man")
    mv "$out/man" "$out/blobs/sha256/$md"
    printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"},"platform":{"architecture":"amd64","os":"linux"}}]}' \
        "$md" "$ms" "$name" "${name##*:}" > "$out/index.json"
    echo '{"imageLayoutVersion":"1.0.0"}' > "$out/oci-layout"
    tar -C "$out" -cf "$out.tar" oci-layout index.json blobs
    rm -rf "$out"
}

# rootfs DIR PAGE: busybox and its applets, a passwd with root and nobody, /www.
rootfs() {
    local dir=$1 page=$2
    mkdir -p "$dir"/{bin,etc,proc,sys,dev,tmp,www,root}
    cp "$busybox" "$dir/bin/busybox"
    for applet in sh ash httpd sleep ls cat echo ps ip wget mkdir rm env id hostname \
                  nc true false test touch date printf kill seq head tail grep; do
        ln -sf busybox "$dir/bin/$applet"
    done
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' > "$dir/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' > "$dir/etc/group"
    echo "$page" > "$dir/www/index.html"
    echo ok > "$dir/www/healthz"
    chmod 1777 "$dir/tmp"
}

images() {
    local out=$1
    [ -x "$busybox" ] || { echo "no $busybox: apt-get install busybox-static" >&2; exit 1; }
    mkdir -p "$out"
    local work; work=$(mktemp -d)
    # PID 1 of a container ignores SIGTERM unless it traps it: the shell traps it so a
    # graceful stop ends the container at once, as a well-behaved server does.
    local serve='trap "echo stopping; exit 0" TERM; echo "web $(cat /www/index.html | cut -d" " -f2) serving on :8080"; httpd -f -v -p 8080 -h /www & wait'
    for v in v1 v2; do
        rootfs "$work/web-$v" "web $v"
        tar --numeric-owner --owner=0 --group=0 -C "$work/web-$v" -cf "$work/web-$v.tar" .
        mkoci "$work/web-$v.tar" "$out/web-$v" "bosun.test/web:$v" "$(printf '["sh","-c",%s]' "$(json "$serve")")"
    done
    local slow='trap "echo stopping; exit 0" TERM; rm -f /www/healthz; echo "slow: starting, ready in ${READY_AFTER:-6}s"; httpd -f -v -p 8080 -h /www & sleep "${READY_AFTER:-6}"; echo ok > /www/healthz; echo "slow: ready"; wait'
    mkoci "$work/web-v1.tar" "$out/slow-v1" "bosun.test/slow:v1" "$(printf '["sh","-c",%s]' "$(json "$slow")")"
    local crash='echo "crash: starting"; sleep 1; echo "crash: giving up" >&2; exit 3'
    mkoci "$work/web-v1.tar" "$out/crash-v1" "bosun.test/crash:v1" "$(printf '["sh","-c",%s]' "$(json "$crash")")"
    mkoci "$work/web-v1.tar" "$out/pause-1" "bosun.test/pause:1" '["sleep","2147483647"]'
    rm -rf "$work"
}

# json STRING: STRING as a JSON string literal.
json() {
    local s=${1//\\/\\\\}
    s=${s//\"/\\\"}
    printf '"%s"' "$s"
}

start() {
    local run; run=$(realpath -m "$1")
    mkdir -p "$run"/{containerd,cni/net.d,cni/ipam,images}
    for bin in containerd runc ctr; do
        command -v "$bin" > /dev/null || { echo "no $bin: apt-get install containerd runc" >&2; exit 1; }
    done
    [ -x /usr/lib/cni/bridge ] || { echo "no CNI plugins: apt-get install containernetworking-plugins" >&2; exit 1; }
    # A subnet and bridge of our own: runs claim a number with an atomic mkdir (a claim
    # whose run directory is gone is stale and taken over), so parallel runs never share
    # a subnet, which would misroute each other's pod traffic.
    local claims=/tmp/bosun-test-subnets n=""
    mkdir -p "$claims"
    local first=$(( $(printf '%s' "$run" | cksum | cut -d' ' -f1) % 200 ))
    for i in $(seq 0 199); do
        local c=$(( (first + i) % 200 + 20 ))
        if mkdir "$claims/$c" 2> /dev/null; then
            n=$c; break
        fi
        local owner; owner=$(cat "$claims/$c/owner" 2> /dev/null || true)
        if [ -n "$owner" ] && [ ! -d "$owner" ]; then
            rm -rf "$claims/$c"
            if mkdir "$claims/$c" 2> /dev/null; then n=$c; break; fi
        fi
    done
    [ -n "$n" ] || { echo "no free test subnet in $claims" >&2; exit 1; }
    echo "$run" > "$claims/$n/owner"
    echo "$claims/$n" > "$run/subnet-claim"
    local bridge="bosun$n"
    cat > "$run/containerd/config.toml" <<TOML
version = 2
root = "$run/containerd/root"
state = "$run/containerd/state"
[grpc]
  address = "$run/containerd/containerd.sock"
[ttrpc]
  address = "$run/containerd/containerd.sock.ttrpc"
[debug]
  address = "$run/containerd/debug.sock"
[plugins]
  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = "bosun.test/pause:1"
    # Lowering oom_score_adj needs CAP_SYS_RESOURCE, which VMs like CI's withhold.
    restrict_oom_score_adj = true
    [plugins."io.containerd.grpc.v1.cri".containerd]
      snapshotter = "overlayfs"
      default_runtime_name = "runc"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
          SystemdCgroup = false
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "/usr/lib/cni"
      conf_dir = "$run/cni/net.d"
TOML
    cat > "$run/cni/net.d/10-bosun.conflist" <<JSON
{ "cniVersion": "1.0.0", "name": "bosun$n", "plugins": [
  {"type": "bridge", "bridge": "$bridge", "isGateway": true, "ipMasq": true, "hairpinMode": true,
   "ipam": {"type": "host-local", "dataDir": "$run/cni/ipam",
            "ranges": [[{"subnet": "10.89.$n.0/24"}]], "routes": [{"dst": "0.0.0.0/0"}]}},
  {"type": "portmap", "capabilities": {"portMappings": true}},
  {"type": "loopback"} ] }
JSON
    echo "$bridge" > "$run/bridge"
    containerd --config "$run/containerd/config.toml" > "$run/containerd.log" 2>&1 &
    echo $! > "$run/containerd.pid"
    local sock="$run/containerd/containerd.sock"
    for _ in $(seq 1 100); do
        [ -S "$sock" ] && ctr --address "$sock" version > /dev/null 2>&1 && break
        sleep 0.1
    done
    ctr --address "$sock" version > /dev/null || { echo "containerd did not start; see $run/containerd.log" >&2; exit 1; }
    images "$run/images" > /dev/null
    for archive in "$run"/images/*.tar; do
        ctr --address "$sock" -n k8s.io images import "$archive" > /dev/null
    done
    echo "$sock"
}

stop() {
    local run; run=$(realpath -m "$1")
    if [ -f "$run/containerd.pid" ]; then
        kill "$(cat "$run/containerd.pid")" 2> /dev/null || true
        # The shims outlive containerd; they belong to this run only.
        pkill -f "containerd-shim-runc-v2 -namespace k8s.io -id .* -address $run/" 2> /dev/null || true
        rm -f "$run/containerd.pid"
    fi
    if [ -f "$run/bridge" ]; then
        ip link delete "$(cat "$run/bridge")" 2> /dev/null || true
    fi
    if [ -f "$run/subnet-claim" ]; then
        rm -rf "$(cat "$run/subnet-claim")"
    fi
    # Mounts of this run's snapshots and sandboxes, deepest first.
    grep -o " $run/[^ ]*" /proc/mounts | sort -r | while read -r m; do umount -l "$m" 2> /dev/null || true; done
}

case "${1:-}" in
    start) start "${2:?RUN_DIR}" ;;
    stop) stop "${2:?RUN_DIR}" ;;
    images) images "${2:?OUT_DIR}" ;;
    *) echo "usage: $0 start|stop RUN_DIR | images OUT_DIR" >&2; exit 2 ;;
esac
