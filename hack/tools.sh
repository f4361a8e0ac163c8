#!/usr/bin/env bash
# Installs the command-line tools the install tests and the installer build need, with
# `go install` through the Go module proxy (prebuilt binaries cannot be downloaded
# where this project is built). Each tool goes to its own directory, keyed by version,
# under the project's cache outside the clone, and is skipped when already there.
#
#   helm       v3.22.0  helm.sh/helm/v3/cmd/helm
#   kustomize  v5.8.2   sigs.k8s.io/kustomize/kustomize/v5   (v5.8.3 needs a newer Go)
#   actionlint v1.7.12  github.com/rhysd/actionlint/cmd/actionlint  (lints .github/workflows)
#   promtool   v0.316.0 github.com/prometheus/prometheus/cmd/promtool (unit-tests the alert rules;
#                       Prometheus 3.x is tagged v0.3xx.y as a Go module)
#   krew       v0.4.3   sigs.k8s.io/krew/cmd/krew  (installs the plugin from its manifest and archive)
#   validate-krew-manifest v0.4.3 sigs.k8s.io/krew/cmd/validate-krew-manifest  (krew-index's check)
#
# Usage: hack/tools.sh              installs all, prints nothing on success
#        hack/tools.sh path NAME    installs NAME if needed, prints its path
set -euo pipefail

HELM_VERSION=${HELM_VERSION:-v3.22.0}
KUSTOMIZE_VERSION=${KUSTOMIZE_VERSION:-v5.8.2}
ACTIONLINT_VERSION=${ACTIONLINT_VERSION:-v1.7.12}
PROMTOOL_VERSION=${PROMTOOL_VERSION:-v0.316.0}
KREW_VERSION=${KREW_VERSION:-v0.4.3}
CACHE_ROOT=${VAO_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/vendor-allowlist-operator}

log() { echo "tools: $*" >&2; }

# tool NAME -> "version package"
spec() {
  case $1 in
    helm) echo "$HELM_VERSION helm.sh/helm/v3/cmd/helm" ;;
    kustomize) echo "$KUSTOMIZE_VERSION sigs.k8s.io/kustomize/kustomize/v5" ;;
    actionlint) echo "$ACTIONLINT_VERSION github.com/rhysd/actionlint/cmd/actionlint" ;;
    promtool) echo "$PROMTOOL_VERSION github.com/prometheus/prometheus/cmd/promtool" ;;
    krew) echo "$KREW_VERSION sigs.k8s.io/krew/cmd/krew" ;;
    validate-krew-manifest) echo "$KREW_VERSION sigs.k8s.io/krew/cmd/validate-krew-manifest" ;;
    *) log "unknown tool $1 (known: helm, kustomize, actionlint, promtool, krew, validate-krew-manifest)"; return 1 ;;
  esac
}

path_of() {
  local version pkg
  read -r version pkg < <(spec "$1")
  echo "$CACHE_ROOT/tools/$1-$version/$1"
}

install() {
  local name=$1 version pkg bin dir
  read -r version pkg < <(spec "$name")
  bin=$(path_of "$name")
  [[ -x $bin ]] && return 0
  dir=$(dirname "$bin")
  mkdir -p "$CACHE_ROOT/tools"
  # Two builds starting together must not install the same tool twice.
  exec 8>"$CACHE_ROOT/tools/$name.lock"
  flock 8
  if [[ ! -x $bin ]]; then
    log "installing $name $version (go install $pkg@$version; first run only)"
    rm -rf "$dir.partial"
    GOBIN="$dir.partial" GOFLAGS=-mod=mod CGO_ENABLED=0 GOTOOLCHAIN=local \
      go install -trimpath -ldflags "-s -w" "$pkg@$version"
    rm -rf "$dir"
    mv "$dir.partial" "$dir"
  fi
  exec 8>&-
}

case ${1:-all} in
  all) for t in helm kustomize actionlint promtool krew validate-krew-manifest; do install "$t"; done ;;
  path) install "$2"; path_of "$2" ;;
  *) log "usage: $0 [all | path helm|kustomize|actionlint|promtool|krew|validate-krew-manifest]"; exit 2 ;;
esac
