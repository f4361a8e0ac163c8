#!/usr/bin/env bash
# Builds the kubectl plugin's release archives (the release workflow runs it through
# `make plugin-archives`): one kubectl-vendorallowlist_TAG_OS_ARCH.tar.gz per platform
# (.zip on Windows, as krew users there expect), holding the binary
# (kubectl-vendorallowlist, .exe on Windows), LICENSE and README.md, plus checksums.txt
# (sha256sum format) over the archives; hack/krew-manifest turns them into the krew
# manifest. Reproducible: -trimpath, no cgo, the commit's time on every file, sorted
# entries, gzip without a name or time, zip without extra fields.
#
# Usage: hack/plugin-archives.sh TAG OUTDIR
#   e.g. hack/plugin-archives.sh v0.2.0 dist/plugin
# PLATFORMS (space-separated os/arch) overrides the default set.
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "plugin-archives: $*" >&2; exit 2; }

[[ $# -eq 2 ]] || die "usage: $0 TAG OUTDIR"
tag=$1 out=$2
[[ $tag =~ ^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]] ||
  die "tag $tag is not a release version: give vX.Y.Z or vX.Y.Z-pre"
platforms=${PLATFORMS:-linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64}

commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
epoch=$(git log -1 --format=%ct 2>/dev/null || echo 0)
created=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)
pkg=github.com/vendorallowlist/vendor-allowlist-operator/internal/version
ldflags="-s -w -X $pkg.version=$tag -X $pkg.commit=$commit -X $pkg.date=$created"

mkdir -p "$out"
out=$(cd "$out" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
archives=()
for p in $platforms; do
  os=${p%/*} arch=${p#*/}
  name=kubectl-vendorallowlist_${tag}_${os}_${arch}
  dir=$tmp/$name
  mkdir -p "$dir"
  bin=kubectl-vendorallowlist
  [[ $os == windows ]] && bin+=.exe
  CGO_ENABLED=0 GOOS=$os GOARCH=$arch go build -trimpath -ldflags "$ldflags" -o "$dir/$bin" ./cmd/kubectl-vendorallowlist
  cp README.md LICENSE "$dir/"
  if [[ $os == windows ]]; then
    find "$dir" -exec touch -d "@$epoch" {} +
    (cd "$tmp" && find "$name" | LC_ALL=C sort | TZ=UTC zip -q -X -9 -@ "$out/$name.zip")
    archives+=("$name.zip")
  else
    tar --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner -C "$tmp" -cf - "$name" | gzip -n -9 > "$out/$name.tar.gz"
    archives+=("$name.tar.gz")
  fi
done
(cd "$out" && sha256sum "${archives[@]}" > checksums.txt)
for a in "${archives[@]}"; do echo "$out/$a"; done
echo "$out/checksums.txt"
