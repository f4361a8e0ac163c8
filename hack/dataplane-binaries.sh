#!/usr/bin/env bash
# Builds the parts of the dataplane suite (test/dataplane) that Debian does not ship,
# from source through the Go module proxy, because prebuilt binaries cannot be
# downloaded where this project is built and tested:
#
#   kube-proxy               k8s.io/kubernetes K8S_VERSION, built as hack/envtest-binaries.sh
#   kube-controller-manager  builds kube-apiserver; the suite runs its garbage collector only
#   kube-router              KUBE_ROUTER_VERSION, with `go install`
#   traefik                  TRAEFIK_VERSION, built from its module's source
#
# kube-router runs in the tests only and is never shipped (not in the image, the chart
# or any release): v2.1.0 is the only version the module proxy serves, and security
# flaws are reported against it. The suite runs it inside a network namespace of its
# own that has no route off the machine, as the NetworkPolicy engine it tests against.
#
# Traefik, likewise, runs in the tests only (the ingress targets' proof on real HTTP)
# and is never shipped. `go install` cannot build it (its go.mod replaces modules), so
# it is built from a copy of its module with three stand-ins for modules the proxy does
# not serve, none of them on the path the tests use: its dynamic/ext module (empty
# extension points), the lego DNS-01 providers (not built: ACME is not used), and the
# go-http-auth fork (upstream v0.4.0 plus two functions that refuse every password:
# basic and digest auth are not used). The build's go.sum pins everything else.
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
TRAEFIK_VERSION=${TRAEFIK_VERSION:-v3.7.13}
CACHE_ROOT=${VAO_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/vendor-allowlist-operator}
ASSETS="$CACHE_ROOT/dataplane/k8s-${K8S_VERSION}_kube-router-${KUBE_ROUTER_VERSION}"
# Traefik has a directory of its own, keyed by its version, linked into ASSETS.
TRAEFIK_DIR="$CACHE_ROOT/dataplane/traefik-${TRAEFIK_VERSION}"

have_k8s() { [[ -x "$ASSETS/kube-proxy" && -x "$ASSETS/kube-controller-manager" && -x "$ASSETS/kube-router" ]]; }
have_traefik() { [[ -x "$ASSETS/traefik" && "$(readlink "$ASSETS/traefik")" == "$TRAEFIK_DIR/traefik" ]]; }

if have_k8s && have_traefik; then echo "$ASSETS"; exit 0; fi

mkdir -p "$CACHE_ROOT"
exec 9>"$CACHE_ROOT/dataplane.lock"
flock 9
if have_k8s && have_traefik; then echo "$ASSETS"; exit 0; fi

log() { echo "dataplane-binaries: $*" >&2; }
work=$(mktemp -d)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

export GOFLAGS=-mod=mod CGO_ENABLED=0 GOTOOLCHAIN=local

# module_dir MODULE@VERSION downloads a module into the module cache and prints its directory.
module_dir() { go mod download -json "$1" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p'; }

build_traefik() {
  local src="$work/traefik" lego_version lego auth start=$SECONDS
  log "building traefik ${TRAEFIK_VERSION} (first run only, about 10 minutes; tests only, never shipped)"
  cp -r "$(cd "$work" && module_dir "github.com/traefik/traefik/v3@${TRAEFIK_VERSION}")" "$src"
  chmod -R u+w "$src"

  # Its extension points, an empty module of the name its go.mod replaces.
  mkdir -p "$src/pkg/config/dynamic/ext"
  printf 'module github.com/traefik/traefik/dynamic/ext\n\ngo 1.26\n' > "$src/pkg/config/dynamic/ext/go.mod"
  cat > "$src/pkg/config/dynamic/ext/ext.go" <<'GO'
// Package ext stands in for Traefik's extension points of the dynamic configuration,
// a module the proxy does not serve: none in this test build.
package ext

// HTTP extends the HTTP configuration.
type HTTP struct{}

// Router extends a router.
type Router struct{}
GO

  # lego without its DNS-01 providers.
  lego_version=$(sed -n 's#^\s*github.com/go-acme/lego/v5 \(v[^ ]*\).*#\1#p' "$src/go.mod" | head -1)
  lego="$work/lego"
  cp -r "$(cd "$work" && module_dir "github.com/go-acme/lego/v5@${lego_version}")" "$lego"
  chmod -R u+w "$lego"
  cat > "$lego/providers/dns/zz_gen_dns_providers.go" <<'GO'
// Package dns: the test build of Traefik has no DNS-01 provider (several of their
// dependencies are not served by the module proxy); ACME is not used by the tests.
package dns

import (
	"fmt"

	"github.com/go-acme/lego/v5/challenge"
)

// NewDNSChallengeProviderByName refuses every name.
func NewDNSChallengeProviderByName(name string) (challenge.Provider, error) {
	return nil, fmt.Errorf("DNS-01 provider %q is not built into this test binary", name)
}
GO

  # Upstream go-http-auth for the fork Traefik uses.
  auth="$work/go-http-auth"
  cp -r "$(cd "$work" && module_dir "github.com/abbot/go-http-auth@v0.4.0")" "$auth"
  chmod -R u+w "$auth"
  rm -rf "$auth/examples"
  printf 'module github.com/abbot/go-http-auth\n\ngo 1.21\n' > "$auth/go.mod"
  cat > "$auth/zz_test_build.go" <<'GO'
package auth

import "net/http"

// The test build of Traefik was written against a fork of this package that the
// module proxy does not serve. These stand in for the fork's two additions; basic and
// digest authentication are not used by the tests, and this build refuses every
// password.

// CheckSecret refuses every password.
func CheckSecret(password, secret string) bool { return false }

// RequireAuthStale asks for authentication again.
func (a *DigestAuth) RequireAuthStale(w http.ResponseWriter, r *http.Request) { a.RequireAuth(w, r) }
GO

  (
    cd "$src"
    go mod edit -replace="github.com/go-acme/lego/v5=$lego" -replace="github.com/abbot/go-http-auth=$auth"
    mkdir -p "$TRAEFIK_DIR.partial"
    go build -trimpath -ldflags "-s -w -X github.com/traefik/traefik/v3/pkg/version.Version=${TRAEFIK_VERSION}" \
      -o "$TRAEFIK_DIR.partial/traefik" ./cmd/traefik
  )
  rm -rf "$TRAEFIK_DIR"
  mv "$TRAEFIK_DIR.partial" "$TRAEFIK_DIR"
  log "built traefik in $((SECONDS - start))s"
}

if ! have_k8s; then
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
fi

if [[ ! -x "$TRAEFIK_DIR/traefik" ]]; then build_traefik; fi
ln -sfn "$TRAEFIK_DIR/traefik" "$ASSETS/traefik"
"$ASSETS/traefik" version >&2
echo "$ASSETS"
