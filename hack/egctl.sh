#!/usr/bin/env bash
# Builds egctl, Envoy Gateway's command-line tool, at the Envoy Gateway version whose
# SecurityPolicy CRD the tests install (test/framework/thirdpartycrds), from its module's
# source through the Go module proxy (prebuilt binaries cannot be downloaded where this
# project is built). The tests run its translator (`egctl x translate`), Envoy
# Gateway's own code from Gateway API objects to Envoy's xDS configuration, to prove
# what a SecurityPolicy the operator writes does to a route (test/security). It runs
# in the tests only and is never shipped.
#
# The binary is cached outside the clone, keyed by version, so only the first run
# pays for the build (several minutes on 2 cores: it links most of Envoy Gateway);
# later runs print its path at once. Two runs starting together build once (flock).
#
# Usage: hack/egctl.sh     prints the path of egctl (the tests read it from EGCTL)
set -euo pipefail

EG_VERSION=${EG_VERSION:-v1.9.1}
CACHE_ROOT=${VAO_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/vendor-allowlist-operator}
DIR="$CACHE_ROOT/tools/egctl-$EG_VERSION"
BIN="$DIR/egctl"

if [[ -x $BIN ]]; then echo "$BIN"; exit 0; fi

log() { echo "egctl: $*" >&2; }
mkdir -p "$CACHE_ROOT/tools"
exec 9>"$CACHE_ROOT/tools/egctl.lock"
flock 9
if [[ -x $BIN ]]; then echo "$BIN"; exit 0; fi

export GOFLAGS=-mod=mod CGO_ENABLED=0 GOTOOLCHAIN=local GO111MODULE=on
start=$SECONDS
log "building egctl $EG_VERSION (first run only, several minutes; tests only, never shipped)"
# The module's source, from the module cache; downloaded outside any module, so the
# repository's go.mod and go.sum stay as they are.
src=$(cd / && go mod download -json "github.com/envoyproxy/gateway@$EG_VERSION" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')
[[ -d $src ]] || { log "go mod download github.com/envoyproxy/gateway@$EG_VERSION gave no directory"; exit 1; }
rm -rf "$DIR.partial"
mkdir -p "$DIR.partial"
# Built inside the module (read-only in the cache: nothing is written there), so its
# own go.mod and go.sum pin every dependency, replace directives included.
(
  cd "$src"
  go build -trimpath -ldflags "-s -w -X github.com/envoyproxy/gateway/internal/cmd/version.envoyGatewayVersion=$EG_VERSION" \
    -o "$DIR.partial/egctl" ./cmd/egctl
)
rm -rf "$DIR"
mv "$DIR.partial" "$DIR"
log "built egctl in $((SECONDS - start))s"
echo "$BIN"
