#!/usr/bin/env bash
# Packages the Helm chart for a release (the release workflow runs it through
# `make chart-package`): chart version X.Y.Z and appVersion vX.Y.Z from the tag, and the
# image pinned by the digest the release pushed, so that `helm install` of the released
# chart runs exactly the released image.
#
# Usage: hack/chart-package.sh TAG DIGEST OUTDIR
#   e.g. hack/chart-package.sh v0.2.0 sha256:0123...cdef dist/chart
# writes OUTDIR/vendor-allowlist-operator-0.2.0.tgz. HELM names helm (default: the one
# hack/tools.sh installs).
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "chart-package: $*" >&2; exit 2; }

[[ $# -eq 3 ]] || die "usage: $0 TAG DIGEST OUTDIR"
tag=$1 digest=$2 out=$3
[[ $tag =~ ^v([0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?)$ ]] ||
  die "tag $tag is not a release version: give vX.Y.Z or vX.Y.Z-pre (the chart's version is the tag without v)"
version=${BASH_REMATCH[1]}
[[ $digest =~ ^sha256:[0-9a-f]{64}$ ]] ||
  die "image digest $digest is not sha256:<64 hex digits>: give the digest make image-push printed"

helm=${HELM:-$(hack/tools.sh path helm)}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r charts/vendor-allowlist-operator "$tmp/"
values=$tmp/vendor-allowlist-operator/values.yaml
# The image block of values.yaml: tag is informative (the digest wins), digest pins.
sed -i -e "/^image:/,/^[^ #]/ s#^  tag: .*#  tag: $tag#" \
       -e "/^image:/,/^[^ #]/ s#^  digest: .*#  digest: \"$digest\"#" "$values"
if ! grep -q "^  digest: \"$digest\"$" "$values" || ! grep -q "^  tag: $tag$" "$values"; then
  die "could not set image.tag and image.digest in values.yaml: has its image block changed?"
fi
mkdir -p "$out"
"$helm" package "$tmp/vendor-allowlist-operator" --version "$version" --app-version "$tag" --destination "$out" >/dev/null
echo "$out/vendor-allowlist-operator-$version.tgz"
