#!/usr/bin/env bash
# Checks, before a release publishes anything, that the docs install the release
# being tagged: the README's and the quick start's `helm install ... --version X.Y.Z`
# of the published chart, the README's download of the plugin archives, and the Argo
# CD component's ?ref=vX.Y.Z all name TAG, and CHANGELOG.md has a dated section for it. A
# release whose docs still name the previous one fails here, before the image is
# pushed: bump them in the release's own commit.
#
# Usage: hack/release-docs-check.sh TAG   (e.g. v0.2.0)
set -euo pipefail
cd "$(dirname "$0")/.."

[[ $# -eq 1 ]] || { echo "usage: $0 TAG" >&2; exit 2; }
tag=$1
[[ $tag =~ ^v([0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?)$ ]] ||
  { echo "release-docs-check: tag $tag is not a release version: give vX.Y.Z or vX.Y.Z-pre" >&2; exit 2; }
version=${BASH_REMATCH[1]}

fail=0
# Every version a line of FILE names after PATTERN must be WANT.
check() {
  local file=$1 pattern=$2 want=$3 what=$4 found
  found=$(grep -oE -- "$pattern" "$file" | sed -E "s/^.*[^0-9.A-Za-z-]v?//" | sort -u || true)
  if [[ -z $found ]]; then
    echo "release-docs-check: $file: found no mention of $what (looked for /$pattern/)" >&2
    fail=1
    return
  fi
  while read -r v; do
    if [[ $v != "$want" ]]; then
      echo "release-docs-check: $file: $what names $v, the release is $want: update it in this release's commit" >&2
      fail=1
    fi
  done <<<"$found"
}
for f in README.md docs/quick-start.md; do
  check "$f" '--version [0-9][0-9A-Za-z.-]*' "$version" "the published chart's --version"
done
check docs/gitops.md '\?ref=v[0-9][0-9A-Za-z.-]*' "$version" "the Argo CD component's ?ref="
check README.md 'releases/download/v[0-9][0-9A-Za-z.-]*' "$version" "the plugin archives' release"
if ! grep -qE "^## \[${version//./\\.}\] - [0-9]{4}-[0-9]{2}-[0-9]{2}$" CHANGELOG.md; then
  echo "release-docs-check: CHANGELOG.md has no section '## [$version] - YYYY-MM-DD': date the release's section (or move Unreleased there)" >&2
  fail=1
fi
exit $fail
