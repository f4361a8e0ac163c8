#!/usr/bin/env bash
# Builds the control-plane binaries that envtest runs (kube-apiserver, kubectl, etcd)
# from source through the Go module proxy, because prebuilt binaries cannot be
# downloaded where this project is built and tested. The binaries are cached outside
# the clone, keyed by version, so only the first run pays for the build (~5 minutes
# on 2 cores); later runs print the cached directory at once.
#
# Usage: hack/envtest-binaries.sh        prints the directory to use as KUBEBUILDER_ASSETS
set -euo pipefail

# shellcheck source=hack/lib/k8s-build.sh
source "$(dirname "$0")/lib/k8s-build.sh"

K8S_VERSION=${K8S_VERSION:-v1.37.2}
ETCD_VERSION=${ETCD_VERSION:-v3.7.0}
CACHE_ROOT=${VAO_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/vendor-allowlist-operator}
ASSETS="$CACHE_ROOT/envtest/k8s-${K8S_VERSION}_etcd-${ETCD_VERSION}"

have_all() { [[ -x "$ASSETS/kube-apiserver" && -x "$ASSETS/kubectl" && -x "$ASSETS/etcd" ]]; }

if have_all; then echo "$ASSETS"; exit 0; fi

mkdir -p "$CACHE_ROOT"
# Two test runs starting together must not build the same thing twice.
exec 9>"$CACHE_ROOT/envtest.lock"
flock 9
if have_all; then echo "$ASSETS"; exit 0; fi

log() { echo "envtest-binaries: $*" >&2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

export GOFLAGS=-mod=mod CGO_ENABLED=0 GOTOOLCHAIN=local
mkdir -p "$work/k8s" "$work/etcd" "$ASSETS.partial"

log "building kube-apiserver and kubectl ${K8S_VERSION} (first run only, ~5 min)"
k8s_module "$work/k8s" "$K8S_VERSION"
ldflags=$(k8s_ldflags "$K8S_VERSION")
(
  cd "$work/k8s"
  go build -trimpath -ldflags "$ldflags" -o "$ASSETS.partial/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
  go build -trimpath -ldflags "$ldflags" -o "$ASSETS.partial/kubectl" k8s.io/kubernetes/cmd/kubectl
)

log "building etcd ${ETCD_VERSION}"
(
  cd "$work/etcd"
  go mod init vao.local/etcd-build >/dev/null 2>&1
  go get "go.etcd.io/etcd/server/v3@${ETCD_VERSION}" >/dev/null
  go build -trimpath -ldflags "-s -w" -o "$ASSETS.partial/etcd" go.etcd.io/etcd/server/v3
)

rm -rf "$ASSETS"
mv "$ASSETS.partial" "$ASSETS"
"$ASSETS/kube-apiserver" --version >&2
echo "$ASSETS"
