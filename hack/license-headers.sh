#!/usr/bin/env bash
# Puts the licence header (hack/boilerplate.go.txt, which controller-gen also writes on
# the files it generates, as kubebuilder scaffolds every file) at the top of each Go file
# of the repository that lacks it: after a //go:build line if there is one, before
# anything else otherwise. test/layout fails on a file without it.
#
# Usage: hack/license-headers.sh
set -euo pipefail
cd "$(dirname "$0")/.."

header=hack/boilerplate.go.txt
git ls-files --cached --others --exclude-standard -- '*.go' | while read -r f; do
  [[ -f $f ]] || continue
  head -n 8 "$f" | grep -q 'SPDX-License-Identifier: Apache-2.0' && continue
  tmp=$(mktemp)
  if head -n 1 "$f" | grep -q '^//go:build'; then
    { head -n 1 "$f"; echo; cat "$header"; echo; tail -n +2 "$f" | sed '1{/^$/d}'; } > "$tmp"
  else
    { cat "$header"; echo; cat "$f"; } > "$tmp"
  fi
  cat "$tmp" > "$f"
  rm -f "$tmp"
  echo "license-headers: $f"
done
