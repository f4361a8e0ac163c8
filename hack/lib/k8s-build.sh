# Sourced by the scripts that build Kubernetes binaries from k8s.io/kubernetes through
# the Go module proxy (hack/envtest-binaries.sh, hack/dataplane-binaries.sh): prebuilt
# binaries cannot be downloaded where this project is built and tested.

# k8s_module DIR VERSION makes DIR a Go module that requires k8s.io/kubernetes@VERSION,
# with its staging modules pointed at the versions the proxy serves, so that
# `go build k8s.io/kubernetes/cmd/NAME` works in DIR.
k8s_module() {
  local dir=$1 version=$2 staging_version k8s_mod m
  staging_version="v0${version#v1}"   # v1.37.2 -> v0.37.2
  (
    cd "$dir"
    go mod init vao.local/k8s-build >/dev/null 2>&1
    go mod edit -require="k8s.io/kubernetes@${version}"
    k8s_mod=$(go mod download -json "k8s.io/kubernetes@${version}" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
    # k8s.io/kubernetes points its staging modules at ./staging; the proxy serves them
    # as separate modules at v0.x. The sample modules are not published, so skip them.
    for m in $(sed -n 's#^\s*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#\1#p' "$k8s_mod" | grep -v -e sample-cli-plugin -e sample-controller); do
      go mod edit -replace="${m}=${m}@${staging_version}"
    done
    go mod tidy >/dev/null 2>&1 || true
    go get "k8s.io/kubernetes/cmd/kube-apiserver@${version}" >/dev/null 2>&1 || true
  )
}

# k8s_ldflags VERSION prints the -ldflags that stamp VERSION into a binary, as the
# Kubernetes release build does (`NAME --version` then says VERSION).
k8s_ldflags() {
  local version=$1 major minor pkg ldflags="-s -w"
  major=${version#v}; major=${major%%.*}
  minor=${version#v*.}; minor=${minor%%.*}
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X ${pkg}.gitVersion=${version} -X ${pkg}.gitMajor=${major} -X ${pkg}.gitMinor=${minor}"
    ldflags+=" -X ${pkg}.gitTreeState=clean -X ${pkg}.buildDate=1970-01-01T00:00:00Z"
  done
  echo "$ldflags"
}
