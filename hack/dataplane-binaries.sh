#!/usr/bin/env bash
# Builds the parts of the dataplane suite (test/dataplane) that Debian does not ship,
# from source through the Go module proxy, because prebuilt binaries cannot be
# downloaded where this project is built and tested:
#
#   kube-proxy               k8s.io/kubernetes K8S_VERSION, built as hack/envtest-binaries.sh
#   kube-controller-manager  builds kube-apiserver; the suite runs its garbage collector only
#   kube-router              KUBE_ROUTER_VERSION, with `go install`
#
# kube-router runs in the tests only and is never shipped (not in the image, the chart
# or any release): v2.1.0 is the only version the module proxy serves, and security
# flaws are reported against it. The suite runs it inside a network namespace of its
# own that has no route off the machine, as the NetworkPolicy engine it tests against.
#
# The binaries are cached outside the clone, keyed by version, so only the first run
# pays for the build (several minutes on 2 cores); later runs print the cached
# directory at once. Two runs starting together build once (flock).
#
# Usage: hack/dataplane-binaries.sh     prints the directory to use as VAO_DATAPLANE_ASSETS
set -euo pipefail

# shellcheck source=hack/lib/k8s-build.sh
source "$(dirname "$0")/lib/k8s-build.sh"

K8S_VERSION=${K8S_VERSION:-v1.37.2}
KUBE_ROUTER_VERSION=${KUBE_ROUTER_VERSION:-v2.1.0}
CACHE_ROOT=${VAO_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/vendor-allowlist-operator}
ASSETS="$CACHE_ROOT/dataplane/k8s-${K8S_VERSION}_kube-router-${KUBE_ROUTER_VERSION}"

have_all() { [[ -x "$ASSETS/kube-proxy" && -x "$ASSETS/kube-controller-manager" && -x "$ASSETS/kube-router" ]]; }

if have_all; then echo "$ASSETS"; exit 0; fi

mkdir -p "$CACHE_ROOT"
exec 9>"$CACHE_ROOT/dataplane.lock"
flock 9
if have_all; then echo "$ASSETS"; exit 0; fi

log() { echo "dataplane-binaries: $*" >&2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

export GOFLAGS=-mod=mod CGO_ENABLED=0 GOTOOLCHAIN=local
mkdir -p "$work/k8s" "$ASSETS.partial"

start=$SECONDS
log "building kube-proxy and kube-controller-manager ${K8S_VERSION} (first run only, a few minutes)"
k8s_module "$work/k8s" "$K8S_VERSION"
ldflags=$(k8s_ldflags "$K8S_VERSION")
(
  cd "$work/k8s"
  go build -trimpath -ldflags "$ldflags" -o "$ASSETS.partial/kube-proxy" k8s.io/kubernetes/cmd/kube-proxy
  go build -trimpath -ldflags "$ldflags" -o "$ASSETS.partial/kube-controller-manager" k8s.io/kubernetes/cmd/kube-controller-manager
)
log "built kube-proxy and kube-controller-manager in $((SECONDS - start))s"

start=$SECONDS
log "installing kube-router ${KUBE_ROUTER_VERSION} (go install; tests only, never shipped)"
GOBIN="$ASSETS.partial" go install -trimpath \
  -ldflags "-s -w -X github.com/cloudnativelabs/kube-router/v2/pkg/version.Version=${KUBE_ROUTER_VERSION}" \
  "github.com/cloudnativelabs/kube-router/v2/cmd/kube-router@${KUBE_ROUTER_VERSION}"
log "installed kube-router in $((SECONDS - start))s"

rm -rf "$ASSETS"
mv "$ASSETS.partial" "$ASSETS"
"$ASSETS/kube-proxy" --version >&2
echo "$ASSETS"
